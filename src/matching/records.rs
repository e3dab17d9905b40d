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
    /// Value → share of records holding it (term frequency), when asked for.
    pub(crate) tf: Option<HashMap<String, f64>>,
}

/// The records of one matching job.
pub struct Records {
    pub ids: Vec<String>,
    pub(crate) columns: Vec<Column>,
    /// Raw values by column name (blocking keys and display).
    pub(crate) raw: HashMap<String, Vec<String>>,
}

impl Records {
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Reads a CSV file (fields trimmed) and prepares it for `spec`.
    pub fn from_csv(path: &Path, spec: &MatchSpec) -> Result<Records> {
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
        let used = spec.columns();
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
        Records::from_columns(raw, spec, &path.display().to_string())
    }

    /// Prepares raw columns (name → values, all of one length) for `spec`.
    pub(crate) fn from_columns(raw: HashMap<String, Vec<String>>, spec: &MatchSpec, source: &str) -> Result<Records> {
        let need = |c: &str| {
            raw.get(c).ok_or_else(|| Error::Input(format!("{source}: no column '{c}'; it has: {}", sorted_keys(&raw))))
        };
        let ids = need(&spec.id)?.clone();
        let mut columns = Vec::new();
        for c in &spec.comparisons {
            let values: Vec<String> = need(&c.column)?.iter().map(|v| super::compare::prepare(c.kind, v)).collect();
            let swapped = match &c.swapped_with {
                Some(s) => Some(need(s)?.iter().map(|v| super::compare::prepare(c.kind, v)).collect()),
                None => None,
            };
            let tf = c.term_frequency.then(|| {
                let mut counts: HashMap<String, f64> = HashMap::new();
                for v in values.iter().filter(|v| !v.is_empty()) {
                    *counts.entry(v.clone()).or_default() += 1.0;
                }
                let n = values.len().max(1) as f64;
                counts.values_mut().for_each(|x| *x /= n);
                counts
            });
            columns.push(Column { name: c.column.clone(), kind: c.kind, values, swapped, tf });
        }
        for rule in &spec.blocking {
            for key in rule {
                for col in key.split(':').next().unwrap_or(key).split('|') {
                    need(col)?;
                }
            }
        }
        Ok(Records { ids, columns, raw })
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
            let (col, len) = match part.split_once(':') {
                // `MatchSpec::check` makes N a whole number from 1.
                Some((c, n)) => (c, n.parse::<usize>().ok()),
                None => (part.as_str(), None),
            };
            let v = crate::text::fold(self.raw.get(col)?.get(i)?);
            if v.is_empty() {
                return None;
            }
            let v: String = match len {
                Some(n) => v.chars().take(n).collect(),
                None => v,
            };
            key.push_str(&v);
            key.push('\u{1f}');
        }
        Some(key)
    }
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
