//! Records prepared for matching: ids, each comparison's prepared values (and swapped
//! column), term frequencies, and blocking keys.

use super::spec::{CompareKind, MatchSpec};
use super::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// One comparison's values, prepared.
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) kind: CompareKind,
    pub(crate) values: Vec<String>,
    pub(crate) swapped: Option<Vec<String>>,
    /// Each record's term frequency (the share of records holding its value; 0 when empty),
    /// when asked for.
    pub(crate) tf: Option<Vec<f64>>,
    /// The most the comparison adds to or takes from a match weight, in bits (`None`: set
    /// by the model).
    pub(crate) cap: Option<f64>,
}

/// The records of one matching job.
pub struct Records {
    pub ids: Vec<String>,
    /// The source of each record (an index into `source_names`), for linkage.
    pub(crate) sources: Vec<u32>,
    /// Source names: datasets, files, or values of the spec's `source` column.
    pub(crate) source_names: Vec<String>,
    pub(crate) columns: Vec<Column>,
    /// Raw values by column name (blocking keys and display).
    pub(crate) raw: HashMap<String, Vec<String>>,
}

impl Records {
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Reads CSV files (fields trimmed) and prepares their records for `spec`; with several
    /// files (and no `source` column in the spec), each file is a source.
    pub fn from_csv(paths: &[&Path], spec: &MatchSpec, extra: &[String]) -> Result<Records> {
        let mut used = spec.columns();
        used.extend(extra.iter().cloned());
        let mut raw: HashMap<String, Vec<String>> = HashMap::new();
        let mut files = Vec::new();
        for path in paths {
            let before = raw.values().next().map_or(0, Vec::len);
            let part = read_csv(path, &used)?;
            let rows = part.values().next().map_or(0, Vec::len);
            for (k, v) in part {
                raw.entry(k).or_insert_with(|| vec![String::new(); before]).extend(v);
            }
            // A column one file lacks is empty in its records.
            raw.values_mut().for_each(|v| v.resize(before + rows, String::new()));
            files.extend(std::iter::repeat_n(path.display().to_string(), rows));
        }
        let name = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        let mut records = Records::from_columns(raw, spec, &name)?;
        if spec.source.is_none() && paths.len() > 1 {
            records.set_sources(&files);
        }
        Ok(records)
    }

    /// Prepares raw columns (name → values, all of one length) for `spec`.
    pub(crate) fn from_columns(raw: HashMap<String, Vec<String>>, spec: &MatchSpec, source: &str) -> Result<Records> {
        let need = |c: &str| {
            raw.get(c).ok_or_else(|| Error::Input(format!("{source}: no column '{c}'; it has: {}", sorted_keys(&raw))))
        };
        let ids = need(&spec.id)?.clone();
        let mut columns = Vec::new();
        for c in &spec.comparisons {
            let first = need(&c.column)?;
            let more = c.with.iter().map(|w| need(w)).collect::<Result<Vec<_>>>()?;
            let values: Vec<String> = first
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if more.is_empty() {
                        return super::compare::prepare(c.kind, v);
                    }
                    let mut joined = v.clone();
                    for m in &more {
                        joined.push(super::person::SEP);
                        joined.push_str(m.get(i).map_or("", String::as_str));
                    }
                    super::compare::prepare(c.kind, &joined)
                })
                .collect();
            let swapped = match &c.swapped_with {
                Some(s) => Some(need(s)?.iter().map(|v| super::compare::prepare(c.kind, v)).collect()),
                None => None,
            };
            // Each record's share once, not a key and a lookup for every pair scored.
            let tf = c.term_frequency.then(|| {
                let keys: Vec<String> = values.iter().map(|v| tf_key(c.kind, v)).collect();
                let mut counts: HashMap<&str, f64> = HashMap::new();
                for (k, _) in keys.iter().zip(&values).filter(|(_, v)| !v.is_empty()) {
                    *counts.entry(k.as_str()).or_default() += 1.0;
                }
                let n = values.len().max(1) as f64;
                keys.iter().map(|k| counts.get(k.as_str()).map_or(0.0, |x| x / n)).collect()
            });
            columns.push(Column { name: c.name(), kind: c.kind, values, swapped, tf, cap: c.cap() });
        }
        for rule in &spec.blocking {
            for key in rule {
                for col in key.split(':').next().unwrap_or(key).split('|') {
                    need(col)?;
                }
            }
        }
        let (sources, source_names) = match &spec.source {
            Some(col) => sources_of(need(col)?),
            None => (vec![0; ids.len()], vec![source.to_string()]),
        };
        Ok(Records { ids, sources, source_names, columns, raw })
    }

    /// The raw values of a column read with the records, if it was.
    pub fn column(&self, name: &str) -> Option<&[String]> {
        self.raw.get(name).map(Vec::as_slice)
    }

    /// Sets each record's source from `names` (one per record).
    pub(crate) fn set_sources(&mut self, names: &[String]) {
        (self.sources, self.source_names) = sources_of(names);
    }

    /// Number of pairs the link type allows: every pair, or pairs across sources.
    pub(crate) fn comparable_pairs(&self, link: super::spec::LinkType) -> f64 {
        let n = self.len() as f64;
        let all = n * (n - 1.0) / 2.0;
        if link != super::spec::LinkType::LinkOnly {
            return all;
        }
        let mut sizes = vec![0f64; self.source_names.len()];
        for &s in &self.sources {
            sizes[s as usize] += 1.0;
        }
        all - sizes.iter().map(|k| k * (k - 1.0) / 2.0).sum::<f64>()
    }

    /// The blocking key of record `i` under `rule`, `None` when a part is empty. A part
    /// `a|b` is the folded values of columns a and b in sorted order (names in either order).
    pub(crate) fn block_key(&self, rule: &[String], i: usize) -> Option<String> {
        let mut key = String::new();
        for part in rule {
            if part.contains('|') {
                let mut values: Vec<String> = part
                    .split('|')
                    .map(|c| self.raw.get(c).and_then(|v| v.get(i)).map(|v| crate::text::fold(v)).unwrap_or_default())
                    .collect();
                if values.iter().any(String::is_empty) {
                    return None;
                }
                values.sort();
                key.push_str(&values.join(" "));
                key.push('\u{1f}');
                continue;
            }
            let (col, take) = match part.split_once(':') {
                // `MatchSpec::check` made sure the part parses.
                Some((c, p)) => (c, super::blocking::KeyPart::parse(p)),
                None => (part.as_str(), None),
            };
            let v = crate::text::fold(self.raw.get(col)?.get(i)?);
            let v = match take {
                Some(t) => t.apply(&v),
                None => v,
            };
            if v.is_empty() {
                return None;
            }
            key.push_str(&v);
            key.push('\u{1f}');
        }
        Some(key)
    }
}

/// Source indices and names, in order of first appearance.
fn sources_of(names: &[String]) -> (Vec<u32>, Vec<String>) {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut out = Vec::with_capacity(names.len());
    let mut order = Vec::new();
    for n in names {
        let next = index.len() as u32;
        let k = *index.entry(n.as_str()).or_insert_with(|| {
            order.push(n.clone());
            next
        });
        out.push(k);
    }
    (out, order)
}

/// The value a term frequency counts: a person's family and given name, else the value.
fn tf_key(kind: CompareKind, v: &str) -> String {
    match kind {
        CompareKind::PersonName => super::person::name_tf_key(v),
        _ => v.to_string(),
    }
}

/// The columns of `path` named in `used`, by name.
fn read_csv(path: &Path, used: &[String]) -> Result<HashMap<String, Vec<String>>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?
        .iter()
        .map(str::to_string)
        .collect();
    if let Some((i, h)) = header.iter().enumerate().find(|(i, h)| used.contains(h) && header[..*i].contains(h)) {
        return Err(Error::Input(format!(
            "{}: column '{h}' appears twice in the header (column {}): keep one",
            path.display(),
            i + 1
        )));
    }
    let mut raw: HashMap<String, Vec<String>> =
        header.iter().filter(|h| used.contains(h)).map(|h| (h.clone(), Vec::new())).collect();
    for (n, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| Error::Input(format!("{}: line {}: {e}", path.display(), n + 2)))?;
        for (i, h) in header.iter().enumerate() {
            if let Some(col) = raw.get_mut(h) {
                col.push(rec.get(i).unwrap_or("").to_string());
            }
        }
    }
    Ok(raw)
}

fn sorted_keys(raw: &HashMap<String, Vec<String>>) -> String {
    let mut k: Vec<&str> = raw.keys().map(String::as_str).collect();
    k.sort();
    k.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swapped_key_blocks_names_written_in_either_order() {
        let spec: MatchSpec = toml::from_str("id = \"id\"\nblocking = [[\"given|family\"], [\"family:3\"]]\n[[comparisons]]\ncolumn = \"given\"\nkind = \"name\"\n").unwrap();
        let col = |v: [&str; 3]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let raw = HashMap::from([
            ("id".to_string(), col(["1", "2", "3"])),
            ("given".to_string(), col(["An", "Nguyễn", "Bình"])),
            ("family".to_string(), col(["Nguyen", "an", "Nguyễn"])),
        ]);
        let r = Records::from_columns(raw, &spec, "t").unwrap();
        assert_eq!(r.block_key(&spec.blocking[0], 0), r.block_key(&spec.blocking[0], 1));
        assert_ne!(r.block_key(&spec.blocking[0], 0), r.block_key(&spec.blocking[0], 2));
        assert_eq!(r.block_key(&spec.blocking[1], 0), r.block_key(&spec.blocking[1], 2), "first 3 folded characters");
    }
}
