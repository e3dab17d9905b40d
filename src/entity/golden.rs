//! Golden records: one row per master entity, each column chosen among its source records by
//! the column's survivorship rule.

use super::record_id;
use crate::matching::records::Records;
use crate::matching::spec::{GoldenRule, MatchSpec};
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
            let values: Vec<(&str, &str)> = c
                .iter()
                .filter_map(|&i| {
                    let v = r.raw.get(&g.column)?.get(i)?.as_str();
                    (!v.trim().is_empty()).then(|| (r.ids[i].split('|').next().unwrap_or(""), v))
                })
                .collect();
            if g.rule == GoldenRule::MostRecent {
                let by = g.by.as_ref().and_then(|b| r.raw.get(b));
                let newest = c
                    .iter()
                    .filter(|&&i| r.raw.get(&g.column).is_some_and(|v| !v[i].trim().is_empty()))
                    .max_by_key(|&&i| by.map(|b| b[i].as_str()).unwrap_or(""));
                row.push(newest.and_then(|&i| r.raw.get(&g.column).map(|v| v[i].clone())).unwrap_or_default());
                continue;
            }
            row.push(survivor(g.rule, &g.sources, &values));
        }
        body.push(row);
    }
    body.sort();
    rows.extend(body);
    rows
}

/// The surviving value among (source, value) pairs.
fn survivor(rule: GoldenRule, sources: &[String], values: &[(&str, &str)]) -> String {
    let longest = |vs: &[&str]| {
        vs.iter()
            .copied()
            .max_by(|a, b| a.chars().count().cmp(&b.chars().count()).then(b.cmp(a)))
            .unwrap_or("")
            .to_string()
    };
    match rule {
        GoldenRule::MostComplete | GoldenRule::MostRecent => {
            longest(&values.iter().map(|(_, v)| *v).collect::<Vec<_>>())
        }
        GoldenRule::SourcePriority => sources
            .iter()
            .find_map(|s| values.iter().find(|(src, _)| src == s).map(|(_, v)| v.to_string()))
            .unwrap_or_else(|| longest(&values.iter().map(|(_, v)| *v).collect::<Vec<_>>())),
        GoldenRule::MostFrequent => {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for (_, v) in values {
                *counts.entry(v).or_default() += 1;
            }
            let top = counts.values().copied().max().unwrap_or(0);
            longest(&counts.into_iter().filter(|(_, n)| *n == top).map(|(v, _)| v).collect::<Vec<_>>())
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

    #[test]
    fn each_rule_picks_its_survivor() {
        let values = [("tax", "Công ty A"), ("health", "Công ty A"), ("planning", "Công ty Cổ phần A")];
        let sources = vec!["health".to_string(), "tax".to_string()];
        assert_eq!(survivor(GoldenRule::MostComplete, &sources, &values), "Công ty Cổ phần A");
        assert_eq!(survivor(GoldenRule::MostFrequent, &sources, &values), "Công ty A");
        assert_eq!(survivor(GoldenRule::SourcePriority, &sources, &[("tax", "B"), ("health", "C")]), "C");
        // No value from a listed source: the most complete one.
        assert_eq!(
            survivor(GoldenRule::SourcePriority, &sources, &[("planning", "Dài hơn"), ("edu", "Ngắn")]),
            "Dài hơn"
        );
        assert_eq!(survivor(GoldenRule::MostComplete, &sources, &[]), "");
    }
}
