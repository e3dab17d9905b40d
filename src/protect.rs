//! How a grant delivers a field: as is, masked (`last4`, `initials`, `year`) or pseudonymized
//! (a keyed hash per consuming client: one client can link its own pulls, two clients cannot
//! join theirs). Applied the same way to every route and format, on frames and on records.

use crate::digest::MacKey;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Errors of field protection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A protection that is not one of the known ones.
    #[error("'{0}' is not a protection: use last4, initials, year or pseudonym")]
    Unknown(String),
    /// The protection does not fit the field's type.
    #[error("field '{field}' is a {kind}: {protection} applies to {fits}")]
    Misfit { field: String, kind: String, protection: &'static str, fits: &'static str },
    /// The frame could not be rewritten.
    #[error(transparent)]
    Frame(#[from] PolarsError),
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// How one field is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protection {
    /// Every character but the last four replaced by `*` (phones, identity numbers).
    Last4,
    /// The first letter of each word followed by a dot (`Nguyễn Văn An` → `N. V. A.`).
    Initials,
    /// The year only (dates and timestamps; an integer).
    Year,
    /// `HMAC-SHA256(client key, value)`, 32 hex digits: stable for one client, different
    /// between clients.
    Pseudonym,
}

impl std::str::FromStr for Protection {
    type Err = Error;
    fn from_str(s: &str) -> Result<Protection> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase())).map_err(|_| Error::Unknown(s.into()))
    }
}

impl Protection {
    fn name(self) -> &'static str {
        match self {
            Protection::Last4 => "last4",
            Protection::Initials => "initials",
            Protection::Year => "year",
            Protection::Pseudonym => "pseudonym",
        }
    }

    /// Checks that the protection fits a field of pipeline type `kind`.
    pub(crate) fn check(self, field: &str, kind: &str) -> Result<()> {
        let dated = matches!(kind, "date" | "datetime");
        let (ok, fits) = match self {
            Protection::Year => (dated, "date and datetime fields"),
            Protection::Last4 | Protection::Initials => (kind == "string", "string fields"),
            Protection::Pseudonym => (true, "any field"),
        };
        match ok {
            true => Ok(()),
            false => Err(Error::Misfit { field: field.into(), kind: kind.into(), protection: self.name(), fits }),
        }
    }
}

/// The protections of a grant, by field.
pub type Protections = BTreeMap<String, Protection>;

/// The key a client's pseudonyms are made with: derived from the hub's secret (the audit key)
/// and the client id, so it is never stored and differs for every client.
pub(crate) fn client_key(secret: &MacKey, client_id: &str) -> MacKey {
    secret.derive("pseudonym", client_id)
}

fn last4(s: &str) -> String {
    let n = s.chars().count();
    s.chars().enumerate().map(|(i, c)| if i + 4 < n { '*' } else { c }).collect()
}

fn initials(s: &str) -> String {
    let words: Vec<String> = s.split_whitespace().filter_map(|w| w.chars().next()).map(|c| format!("{c}.")).collect();
    words.join(" ")
}

fn pseudonym(key: &MacKey, s: &str) -> String {
    key.mac_hex([s.as_bytes()])[..32].to_string()
}

/// Applies one text protection to a value.
fn text(p: Protection, key: &MacKey, s: &str) -> String {
    match p {
        Protection::Last4 => last4(s),
        Protection::Initials => initials(s),
        Protection::Year | Protection::Pseudonym => pseudonym(key, s),
    }
}

/// `df` with each protected column rewritten; `key` is the client's key ([`client_key`]).
pub(crate) fn frame(mut df: DataFrame, protections: &Protections, key: &MacKey) -> Result<DataFrame> {
    for (field, p) in protections {
        let Some(col) = df.column(field).ok().map(|c| c.as_materialized_series().clone()) else { continue };
        let out: Series = match p {
            // Dates and timestamps written as text start with the year.
            Protection::Year => {
                let s = col.cast(&DataType::String)?;
                let years: Int32Chunked = s.str()?.iter().map(|v| v.and_then(|v| v.get(..4)?.parse().ok())).collect();
                years.into_series()
            }
            _ => {
                let s = col.cast(&DataType::String)?;
                s.str()?.apply_values(|v| text(*p, key, v).into()).into_series()
            }
        };
        df.replace(field, out.with_name(field.as_str().into()).into_column())?;
    }
    Ok(df)
}

/// A record (JSON object) with each protected field rewritten as in [`frame`].
pub(crate) fn record(value: &mut serde_json::Value, protections: &Protections, key: &MacKey) {
    let Some(obj) = value.as_object_mut() else { return };
    for (field, p) in protections {
        let Some(v) = obj.get_mut(field) else { continue };
        let raw = match &*v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        *v = match p {
            Protection::Year => {
                raw.get(..4).and_then(|y| y.parse::<i32>().ok()).map_or(serde_json::Value::Null, Into::into)
            }
            _ => text(*p, key, &raw).into(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: &str) -> MacKey {
        MacKey::from_hex(&b.repeat(32)).unwrap()
    }

    #[test]
    fn masks_keep_what_they_say() {
        assert_eq!(last4("0912345678"), "******5678");
        assert_eq!(last4("123"), "123");
        assert_eq!(initials("Nguyễn  Văn An"), "N. V. A.");
        assert_eq!("Last4".parse::<Protection>().unwrap(), Protection::Last4);
        assert!("hash".parse::<Protection>().is_err());
        assert!(Protection::Year.check("ngay_sinh", "date").is_ok());
        assert!(Protection::Year.check("ten", "string").unwrap_err().to_string().contains("'ten' is a string"));
        assert!(Protection::Last4.check("ngay_sinh", "date").is_err());
    }

    #[test]
    fn pseudonyms_are_stable_per_client_and_differ_between_clients() {
        let hub = key("ab");
        let (a, b) = (client_key(&hub, "c-a"), client_key(&hub, "c-b"));
        assert_eq!(pseudonym(&a, "001090000001"), pseudonym(&client_key(&hub, "c-a"), "001090000001"));
        assert_ne!(pseudonym(&a, "001090000001"), pseudonym(&b, "001090000001"));
        assert_ne!(pseudonym(&a, "001090000001"), pseudonym(&a, "001090000002"));
        assert_eq!(pseudonym(&a, "x").len(), 32);
    }

    #[test]
    fn frames_and_records_are_protected_alike() {
        let k = key("cd");
        let df = df!("cccd" => ["001090000001"], "ten" => ["Lê Thị Hoa"], "so" => [Some(42i64)]).unwrap();
        let d = chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
        let df = df.hstack(&[Column::new("ngay".into(), [d])]).unwrap();
        let p: Protections = [
            ("cccd".to_string(), Protection::Last4),
            ("ten".to_string(), Protection::Initials),
            ("ngay".to_string(), Protection::Year),
            ("so".to_string(), Protection::Pseudonym),
        ]
        .into();
        let out = frame(df, &p, &k).unwrap();
        let mut rec =
            serde_json::json!({ "cccd": "001090000001", "ten": "Lê Thị Hoa", "ngay": "1990-05-17", "so": 42 });
        record(&mut rec, &p, &k);
        assert_eq!(out.column("cccd").unwrap().str().unwrap().get(0), Some("********0001"));
        assert_eq!(out.column("ten").unwrap().str().unwrap().get(0), Some("L. T. H."));
        assert_eq!(out.column("ngay").unwrap().i32().unwrap().get(0), Some(1990));
        assert_eq!(out.column("so").unwrap().str().unwrap().get(0), rec["so"].as_str());
        assert_eq!(rec["cccd"], "********0001");
        assert_eq!(rec["ngay"], 1990);
    }
}
