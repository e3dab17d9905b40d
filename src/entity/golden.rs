//! Golden records: one row per master entity, each column chosen among its source records by
//! the column's survivorship rule.

use super::record_id;
use crate::matching::records::Records;
use crate::matching::spec::{GoldenRule, GoldenSpec, MatchSpec};
use crate::store::XrefRow;
use std::collections::HashMap;

/// Golden rows: header then one row per entity (`master_id`, `source_records`, golden columns).
pub(super) fn golden_rows(
    spec: &MatchSpec,
    r: &Records,
    clusters: &[Vec<usize>],
    xrefs: &[XrefRow],
) -> Vec<Vec<String>> {
    let master: HashMap<String, &str> =
        xrefs.iter().map(|x| (record_id(&x.source, &x.source_key), x.master_id.as_str())).collect();
    let mut rows = vec![std::iter::once("master_id".to_string())
        .chain(std::iter::once("source_records".to_string()))
        .chain(spec.golden.iter().map(|g| g.column.clone()))
        .collect::<Vec<_>>()];
    let mut body = Vec::new();
    for c in clusters {
        // `assign_ids` gives every record of every cluster its xref row.
        let id = master.get(&r.ids[c[0]]).copied().unwrap_or_default().to_string();
        let mut row = vec![id, c.len().to_string()];
        for g in &spec.golden {
            let Some(values) = r.raw.get(&g.column) else {
                row.push(String::new());
                continue;
            };
            let by = g.by.as_ref().and_then(|b| r.raw.get(b));
            let candidates: Vec<Candidate> = c
                .iter()
                .map(|&i| Candidate {
                    source: r.ids[i].split('|').next().unwrap_or(""),
                    value: values[i].as_str(),
                    by: by.map(|b| b[i].as_str()).unwrap_or(""),
                })
                .collect();
            row.push(pick(g, &candidates).value);
        }
        body.push(row);
    }
    body.sort();
    rows.extend(body);
    rows
}

/// One source record's value of a golden column.
pub(crate) struct Candidate<'a> {
    /// The record's dataset.
    pub(crate) source: &'a str,
    /// Its value of the column (blank: no value).
    pub(crate) value: &'a str,
    /// `most_recent`: its value of the `by` column.
    pub(crate) by: &'a str,
}

/// Why a value won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Why {
    /// No record has a value.
    NoValue,
    /// `source_priority`: the first listed source with a value (`rank` 1 = first).
    Priority { rank: usize },
    /// The longest value (`most_complete`, or `source_priority` when no listed source has one).
    Longest { chars: usize },
    /// `most_frequent`: held by `count` of `of` records with a value.
    Frequent { count: usize, of: usize },
    /// `most_recent`: the newest by the `by` column, at `at`.
    Newest { at: String },
}

/// A golden column's value: which candidate gave it (its first holder) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pick {
    pub(crate) value: String,
    /// Index into the candidates.
    pub(crate) from: Option<usize>,
    pub(crate) why: Why,
}

/// The surviving value of golden column `g` among an entity's candidates.
pub(crate) fn pick(g: &GoldenSpec, candidates: &[Candidate]) -> Pick {
    let filled: Vec<(usize, &Candidate)> =
        candidates.iter().enumerate().filter(|(_, c)| !c.value.trim().is_empty()).collect();
    let first_holder = |value: &str| filled.iter().find(|(_, c)| c.value == value).map(|(i, _)| *i);
    let longest = |vs: &mut dyn Iterator<Item = &str>| -> Pick {
        let value = vs.max_by(|a, b| a.chars().count().cmp(&b.chars().count()).then(b.cmp(a))).unwrap_or("");
        Pick { value: value.to_string(), from: first_holder(value), why: Why::Longest { chars: value.chars().count() } }
    };
    if filled.is_empty() {
        return Pick { value: String::new(), from: None, why: Why::NoValue };
    }
    match g.rule {
        GoldenRule::MostRecent => {
            let (i, c) = filled.iter().copied().max_by_key(|(_, c)| c.by).unwrap_or(filled[0]);
            Pick { value: c.value.to_string(), from: Some(i), why: Why::Newest { at: c.by.to_string() } }
        }
        GoldenRule::MostComplete => longest(&mut filled.iter().map(|(_, c)| c.value)),
        GoldenRule::SourcePriority => {
            let ranked = g
                .sources
                .iter()
                .enumerate()
                .find_map(|(rank, s)| filled.iter().find(|(_, c)| c.source == s).map(|(i, c)| (rank, *i, c.value)));
            match ranked {
                Some((rank, i, value)) => {
                    Pick { value: value.to_string(), from: Some(i), why: Why::Priority { rank: rank + 1 } }
                }
                None => longest(&mut filled.iter().map(|(_, c)| c.value)),
            }
        }
        GoldenRule::MostFrequent => {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for (_, c) in &filled {
                *counts.entry(c.value).or_default() += 1;
            }
            let top = counts.values().copied().max().unwrap_or(0);
            let mut tied = counts.iter().filter(|(_, n)| **n == top).map(|(v, _)| *v);
            let p = longest(&mut tied);
            Pick { why: Why::Frequent { count: top, of: filled.len() }, ..p }
        }
    }
}

/// The cross-reference table: header then one row per source record.
pub(super) fn xref_table(xrefs: &[XrefRow]) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "source".to_string(),
        "source_key".into(),
        "master_id".into(),
        "probability".into(),
        "since_version".into(),
    ]];
    rows.extend(xrefs.iter().map(|x| {
        vec![
            x.source.clone(),
            x.source_key.clone(),
            x.master_id.clone(),
            format!("{:.4}", x.probability),
            x.since.clone(),
        ]
    }));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden(rule: GoldenRule, sources: &[&str]) -> GoldenSpec {
        GoldenSpec { column: "ten".into(), rule, sources: sources.iter().map(|s| s.to_string()).collect(), by: None }
    }

    fn of<'a>(values: &[(&'a str, &'a str)]) -> Vec<Candidate<'a>> {
        values.iter().map(|(source, value)| Candidate { source, value, by: "" }).collect()
    }

    #[test]
    fn each_rule_picks_its_survivor_and_says_which_record_and_why() {
        let values = of(&[("tax", "Công ty A"), ("health", "Công ty A"), ("planning", "Công ty Cổ phần A")]);
        let priority = golden(GoldenRule::SourcePriority, &["health", "tax"]);
        let complete = pick(&golden(GoldenRule::MostComplete, &[]), &values);
        assert_eq!((complete.value.as_str(), complete.from), ("Công ty Cổ phần A", Some(2)));
        assert_eq!(complete.why, Why::Longest { chars: 17 });
        let frequent = pick(&golden(GoldenRule::MostFrequent, &[]), &values);
        assert_eq!((frequent.value.as_str(), frequent.from), ("Công ty A", Some(0)));
        assert_eq!(frequent.why, Why::Frequent { count: 2, of: 3 });
        let p = pick(&priority, &of(&[("tax", "B"), ("health", "C")]));
        assert_eq!((p.value.as_str(), p.from, p.why), ("C", Some(1), Why::Priority { rank: 1 }));
        // No value from a listed source: the most complete one.
        let p = pick(&priority, &of(&[("planning", "Dài hơn"), ("edu", "Ngắn"), ("health", " ")]));
        assert_eq!((p.value.as_str(), p.from), ("Dài hơn", Some(0)));
        let none = pick(&golden(GoldenRule::MostComplete, &[]), &[]);
        assert_eq!((none.value.as_str(), none.from, none.why), ("", None, Why::NoValue));
        let recent = GoldenSpec { by: Some("ngay".into()), ..golden(GoldenRule::MostRecent, &[]) };
        let dated = [
            Candidate { source: "a", value: "cũ", by: "2023-01-01" },
            Candidate { source: "b", value: "mới", by: "2024-05-01" },
            Candidate { source: "c", value: "", by: "2025-01-01" },
        ];
        let p = pick(&recent, &dated);
        assert_eq!((p.value.as_str(), p.from, p.why), ("mới", Some(1), Why::Newest { at: "2024-05-01".into() }));
    }
}
