//! Disclosure report per data subject: which datasets and versions hold a person, and every
//! time their record left the hub (a lookup of it, a snapshot of a version holding it, a change
//! set in which it changed), with the client, agency, time, fields, basis and purpose.
//!
//! The records' history in the store is the index: a record version is present in versions
//! `valid_from ≤ v < valid_to`, so no published file is read. The audit log says what was
//! served (each request names the version, the grant and, for change sets, where they start).

mod html;

pub use html::to_html;

use crate::protect::Protections;
use crate::store::{AuditRow, GrantRow, HeldRow, Store};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Errors of subject reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The key is empty or too long to be a key.
    #[error(
        "give the key of the person: a dataset key, an identification number or a master id (1 to 200 characters)"
    )]
    Key,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// A record of the person in one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Holding {
    pub dataset: String,
    pub record_key: String,
    /// How the record was found: `key` (its key), `value` (a field holds the key given) or
    /// `entity` (matching linked it to the same master id).
    pub found_by: &'static str,
    /// The master entity linking it, when found through one.
    pub master_id: Option<String>,
    /// Versions holding the record: `[from, to)`, `to` null while it is current.
    pub versions: Vec<(i64, Option<i64>)>,
}

/// One time the person's record left the hub.
#[derive(Debug, Clone, Serialize)]
pub struct Disclosure {
    /// Audit log entry (sequence number), time and request id.
    pub seq: i64,
    pub at: String,
    pub request_id: String,
    pub client: String,
    pub agency: String,
    pub dataset: String,
    pub record_key: String,
    /// `lookup`, `snapshot` or `changes`.
    pub route: &'static str,
    /// The version served (for change sets, the last one) and where change sets start.
    pub version: Option<i64>,
    pub changes_after: Option<i64>,
    /// Whether the whole body reached the client (lookups: always; a range of a file: never,
    /// though the range may hold the record).
    pub delivered: bool,
    /// The grant served under: fields (null: all), how they were delivered, basis, purpose.
    pub grant: Option<String>,
    pub fields: Option<Vec<String>>,
    pub protect: Protections,
    pub basis: String,
    pub purpose: String,
}

/// The report on one key.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub key: String,
    pub as_of: String,
    pub holdings: Vec<Holding>,
    pub disclosures: Vec<Disclosure>,
}

impl Report {
    /// What the audit entry of a report records: the key and how much was found.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({ "key": self.key, "records": self.holdings.len(), "disclosures": self.disclosures.len() })
    }
}

/// Records of the person: by key in every dataset, by value in datasets with personal fields,
/// and through the master entities holding the key.
async fn holdings(store: &Store, key: &str) -> Result<Vec<Holding>> {
    let mut found: BTreeMap<(String, String), Holding> = BTreeMap::new();
    let mut add = |rows: Vec<HeldRow>, how: &'static str, master: Option<&str>| {
        for r in rows {
            let h = found.entry((r.dataset.clone(), r.record_key.clone())).or_insert_with(|| Holding {
                dataset: r.dataset,
                record_key: r.record_key,
                found_by: how,
                master_id: master.map(str::to_string),
                versions: Vec::new(),
            });
            if h.found_by == how {
                h.versions.push((r.valid_from, r.valid_to));
            }
        }
    };
    let datasets = store.list_datasets().await?;
    for d in &datasets {
        add(store.held_by_key(&d.name, key).await?, "key", None);
        let fields: Vec<crate::versions::SchemaField> = serde_json::from_str(&d.schema_json).unwrap_or_default();
        if fields.iter().any(|f| f.personal.is_some()) {
            add(store.held_by_value(&d.name, key).await?, "value", None);
        }
    }
    for master in store.masters_of(key).await? {
        for (dataset, record_key) in store.members_of(&master).await? {
            add(store.held_by_key(&dataset, &record_key).await?, "entity", Some(&master));
        }
    }
    Ok(found.into_values().collect())
}

/// Whether a record with these versions was in version `v`.
fn present(versions: &[(i64, Option<i64>)], v: i64) -> bool {
    versions.iter().any(|&(from, to)| from <= v && to.is_none_or(|t| v < t))
}

/// Whether the record changed (inserted, updated or deleted) in a version after `after` up to `to`.
fn changed(versions: &[(i64, Option<i64>)], after: i64, to: i64) -> bool {
    let within = |v: i64| after < v && v <= to;
    versions.iter().any(|&(from, end)| within(from) || end.is_some_and(within))
}

/// The route a successful data request used, from its action (`GET /api/v1/datasets/…`).
fn route_of<'a>(action: &'a str, dataset: &str) -> Option<(&'static str, Option<&'a str>)> {
    let path = action.strip_prefix("GET /api/v1/datasets/")?.strip_prefix(dataset)?;
    match path {
        "/snapshot" => Some(("snapshot", None)),
        "/changes" => Some(("changes", None)),
        _ => path.strip_prefix("/records/").map(|k| ("lookup", Some(k))),
    }
}

/// Builds the report on `key`.
pub async fn report(store: &Store, key: &str) -> Result<Report> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 200 {
        return Err(Error::Key);
    }
    let holdings = holdings(store, key).await?;
    let mut grants: HashMap<String, Option<GrantRow>> = HashMap::new();
    let mut disclosures = Vec::new();
    let mut datasets: Vec<&str> = holdings.iter().map(|h| h.dataset.as_str()).collect();
    datasets.dedup();
    for dataset in datasets {
        let held: Vec<&Holding> = holdings.iter().filter(|h| h.dataset == dataset).collect();
        let mut lookups: Vec<String> = Vec::new();
        for h in &held {
            let encoded = percent_encoding::utf8_percent_encode(&h.record_key, percent_encoding::NON_ALPHANUMERIC);
            for k in [h.record_key.clone(), encoded.to_string()] {
                let action = format!("GET /api/v1/datasets/{dataset}/records/{k}");
                if !lookups.contains(&action) {
                    lookups.push(action);
                }
            }
        }
        let entries = store.served_from(dataset, &lookups).await?;
        let delivered: HashMap<&str, bool> = entries
            .iter()
            .filter(|e| e.kind == "delivery")
            .map(|e| {
                let d = detail(e);
                (e.request_id.as_str(), d["complete"].as_bool() == Some(true) && d["partial"].as_bool() != Some(true))
            })
            .collect();
        for e in entries.iter().filter(|e| e.kind == "request") {
            let Some((route, looked_up)) = route_of(&e.action, dataset) else { continue };
            let d = detail(e);
            let after = d["from"].as_i64();
            for h in &held {
                let hit = match (route, e.version) {
                    ("lookup", _) => looked_up.is_some_and(|k| decoded(k) == h.record_key),
                    ("snapshot", Some(v)) => present(&h.versions, v),
                    // A change set logged without its start is counted as every change.
                    ("changes", Some(v)) => changed(&h.versions, after.unwrap_or(0), v),
                    _ => false,
                };
                if hit {
                    let grant = grant_of(store, &mut grants, d["grant"].as_str()).await?;
                    disclosures.push(disclosure(e, h, route, after, &delivered, grant));
                }
            }
        }
    }
    disclosures.sort_by_key(|d| d.seq);
    Ok(Report { key: key.into(), as_of: crate::store::now(), holdings, disclosures })
}

fn detail(e: &AuditRow) -> serde_json::Value {
    serde_json::from_str(&e.detail).unwrap_or_default()
}

/// A path segment with its percent-escapes decoded.
fn decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

async fn grant_of<'a>(
    store: &Store,
    cache: &'a mut HashMap<String, Option<GrantRow>>,
    id: Option<&str>,
) -> Result<Option<&'a GrantRow>> {
    let Some(id) = id else { return Ok(None) };
    if !cache.contains_key(id) {
        cache.insert(id.to_string(), store.grant(id).await?);
    }
    Ok(cache.get(id).and_then(Option::as_ref))
}

fn disclosure(
    e: &AuditRow,
    h: &Holding,
    route: &'static str,
    after: Option<i64>,
    delivered: &HashMap<&str, bool>,
    grant: Option<&GrantRow>,
) -> Disclosure {
    Disclosure {
        seq: e.seq,
        at: e.at.clone(),
        request_id: e.request_id.clone(),
        client: e.actor.clone(),
        agency: e.agency.clone(),
        dataset: h.dataset.clone(),
        record_key: h.record_key.clone(),
        route,
        version: e.version,
        changes_after: if route == "changes" { after } else { None },
        delivered: route == "lookup" || delivered.get(e.request_id.as_str()).copied().unwrap_or(false),
        grant: grant.map(|g| g.id.clone()),
        fields: grant.and_then(crate::access::granted_fields),
        protect: grant.map(crate::access::protections).unwrap_or_default(),
        basis: grant.map(|g| g.basis.clone()).unwrap_or_default(),
        purpose: grant.map(|g| g.purpose.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_in_the_versions_it_spans_and_changes_where_they_start_or_end() {
        let v = [(2, Some(4)), (4, None)];
        assert!(!present(&v, 1) && present(&v, 2) && present(&v, 3) && present(&v, 9));
        assert!(changed(&v, 0, 2) && changed(&v, 3, 4) && !changed(&v, 4, 9) && !changed(&v, 2, 3));
        let deleted = [(1, Some(3))];
        assert!(changed(&deleted, 2, 3) && !present(&deleted, 3));
    }

    #[test]
    fn routes_are_read_from_the_logged_action() {
        assert_eq!(route_of("GET /api/v1/datasets/residents/snapshot", "residents"), Some(("snapshot", None)));
        assert_eq!(
            route_of("GET /api/v1/datasets/residents/records/0010", "residents"),
            Some(("lookup", Some("0010")))
        );
        assert_eq!(route_of("HEAD /api/v1/datasets/residents/snapshot", "residents"), None);
        assert_eq!(route_of("GET /api/v1/datasets/residents2/snapshot", "residents"), None);
        assert_eq!(decoded("a%20b"), "a b");
    }
}
