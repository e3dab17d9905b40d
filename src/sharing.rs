//! Delta Sharing: the hub's datasets as tables of the open Delta Sharing protocol, so that stock
//! clients (the `delta-sharing` Python package, Spark, pandas, Power BI) read snapshots and the
//! change feed with a profile file.
//!
//! - **Share**: one per consuming agency, named after its code (`000_00_15_h29` for
//!   `000.00.15.H29`: clients split `share.schema.table` on dots).
//! - **Schema**: the owning agency of a dataset, named the same way.
//! - **Table**: a dataset the caller holds a `snapshot` or `changes` grant on. Hub version `n` is
//!   table version `n`; a version's snapshot is one file, its change set one change-data file.
//! - **Files** are reached through short-lived signed links ([`Link`]): the hub's own download
//!   URL, signed with a key derived from the audit key, or an S3 pre-signed URL.

pub mod links;
mod protocol;

pub use links::{FileKind, Link, LinkError};
pub(crate) use protocol::{delta_schema, file_line, metadata_line, protocol_line, FileLine, TableMeta};

/// The protocol's name for an agency code: lower case, dots as underscores.
pub fn agency_name(code: &str) -> String {
    code.to_lowercase().replace('.', "_")
}

/// A Delta Sharing profile file (bearer token) for the hub at `endpoint` (its address, without
/// `/delta-sharing`).
pub fn bearer_profile(endpoint: &str, token: &str, expires: &str) -> serde_json::Value {
    serde_json::json!({
        "shareCredentialsVersion": 1,
        "endpoint": format!("{}/delta-sharing", endpoint.trim_end_matches('/')),
        "bearerToken": token,
        "expirationTime": expires,
    })
}

/// A version's publication time in milliseconds since the epoch (0 when unreadable).
pub(crate) fn millis(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map(|t| t.timestamp_millis()).unwrap_or(0)
}

/// The version current at `at` (the last published at or before it), among `(version,
/// published_at)` in version order.
pub(crate) fn version_at(versions: &[(i64, String)], at: i64) -> Option<i64> {
    versions.iter().filter(|(_, t)| millis(t) <= at).map(|(v, _)| *v).next_back()
}

/// The first version published at or after `at`.
pub(crate) fn first_since(versions: &[(i64, String)], at: i64) -> Option<i64> {
    versions.iter().find(|(_, t)| millis(t) >= at).map(|(v, _)| *v)
}

/// A timestamp as the protocol sends it (`2026-12-06T10:00:00Z`, or with an offset), in ms.
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Vec<(i64, String)> {
        vec![(1, "2026-01-01T00:00:00Z".into()), (2, "2026-02-01T00:00:00Z".into()), (3, "2026-03-01T00:00:00Z".into())]
    }

    #[test]
    fn agency_codes_become_names_without_dots() {
        assert_eq!(agency_name("000.00.15.H29"), "000_00_15_h29");
    }

    #[test]
    fn versions_are_found_by_time_both_ways() {
        let feb15 = parse_timestamp("2026-02-15T00:00:00Z").unwrap();
        assert_eq!(version_at(&versions(), feb15), Some(2));
        assert_eq!(first_since(&versions(), feb15), Some(3));
        let before = parse_timestamp("2025-12-31T23:59:59+07:00").unwrap();
        assert_eq!(version_at(&versions(), before), None);
        assert_eq!(first_since(&versions(), before), Some(1));
        assert_eq!(first_since(&versions(), parse_timestamp("2026-03-01T00:00:00Z").unwrap()), Some(3));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
