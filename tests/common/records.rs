//! The current master records of a hub's store, read from its tables as consumers receive
//! them: each record's data (a JSON array of values) with the field names of its version.

use super::Hub;
use serde_json::{Map, Value};

/// A current master record.
pub struct Record {
    pub dataset: String,
    pub key: String,
    /// The record's fields and values.
    pub data: Value,
}

impl Hub {
    /// The current records matching `filter` (SQL over `records r`, e.g. `r.dataset = 'person'`).
    pub fn current_records(&self, filter: &str) -> Vec<Record> {
        let rows = self.query(&format!(
            "SELECT r.dataset, r.record_key, COALESCE(l.fields, ''), r.data FROM records r \
             LEFT JOIN record_layouts l ON l.dataset = r.dataset AND l.version = r.valid_from \
             WHERE r.valid_to IS NULL AND {filter}"
        ));
        rows.lines()
            .filter(|l| !l.is_empty())
            .map(|line| {
                let mut parts = line.splitn(4, '|');
                let mut next = || parts.next().unwrap_or_else(|| panic!("a record row: {line}"));
                let (dataset, key, fields, data) = (next().to_string(), next().to_string(), next(), next());
                let data: Value = serde_json::from_str(data).unwrap_or_else(|e| panic!("{line}: {e}"));
                let data = match data {
                    Value::Array(values) => {
                        let names: Vec<String> = serde_json::from_str(fields).expect("the version's field names");
                        assert_eq!(names.len(), values.len(), "{line}");
                        Value::Object(names.into_iter().zip(values).collect::<Map<_, _>>())
                    }
                    other => other,
                };
                Record { dataset, key, data }
            })
            .collect()
    }
}
