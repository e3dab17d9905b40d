//! Retention per dataset: how long a dataset's versions, quarantine files and the personal
//! details of its audit entries are kept, and the pass that removes what is due. Each pass that
//! removes anything notes it in the retention log (`lgsp status`, the reports) and the audit log.

use super::spec::PipelineSpec;
use crate::objects::Objects;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Errors of a retention pass (the run it follows is not affected).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Objects(#[from] crate::objects::Error),
    #[error(transparent)]
    Versions(#[from] crate::versions::Error),
    #[error(transparent)]
    Audit(#[from] crate::audit::Error),
}

/// `[retention]` of a pipeline file. Versions are kept as `publish.keep_versions` says.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetentionSpec {
    /// Days the quarantine files (with their raw values) of versions and of runs that published
    /// nothing are kept; the current version's stays. Default: as long as the version's files.
    #[serde(default)]
    pub quarantine_days: Option<u32>,
    /// Days the audit entries of this dataset's requests keep their personal details (the key
    /// of a looked-up record, the caller's address); older entries are redacted and the log
    /// still verifies. Default: kept.
    #[serde(default)]
    pub audit_days: Option<u32>,
}

/// What one pass removed.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Removed {
    /// Versions whose files were removed.
    pub versions: Vec<i64>,
    /// Record versions no kept version holds, deleted from the store.
    pub records: u64,
    /// Quarantine files removed.
    pub quarantine: usize,
    /// Audit entries redacted.
    pub audit: usize,
}

impl Removed {
    fn is_empty(&self) -> bool {
        *self == Removed::default()
    }
}

/// The time `days` ago (RFC 3339, as the store writes times).
fn days_ago(days: u32) -> String {
    (chrono::Utc::now() - chrono::Duration::days(i64::from(days))).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Applies the pipeline's retention to its dataset, whose current version is `current`.
pub async fn apply(
    store: &Store,
    objects: &Objects,
    spec: &PipelineSpec,
    current: Option<i64>,
) -> Result<Removed, Error> {
    let dataset = spec.dataset.as_str();
    let mut removed = Removed::default();
    if let (Some(keep), Some(v)) = (spec.publish.keep_versions, current) {
        removed.versions = crate::versions::prune(store, objects, dataset, v, keep).await?;
        let keep_from = v - i64::from(keep) + 1;
        if keep_from > 1 {
            removed.records = store.prune_record_history(dataset, keep_from).await?;
        }
    }
    if let Some(days) = spec.retention.quarantine_days {
        for path in store.take_quarantine_files(dataset, &days_ago(days)).await? {
            // A file already gone (removed by hand, or never written) is not an error.
            if crate::objects::remove(objects, &path).await? {
                removed.quarantine += 1;
            }
        }
    }
    if let Some(days) = spec.retention.audit_days {
        removed.audit = crate::audit::redact_before(store, dataset, &days_ago(days)).await?;
    }
    if !removed.is_empty() {
        log(store, spec, &removed).await?;
    }
    Ok(removed)
}

async fn log(store: &Store, spec: &PipelineSpec, r: &Removed) -> Result<(), Error> {
    let dataset = spec.dataset.as_str();
    let versions = serde_json::json!({ "versions": r.versions }).to_string();
    let kinds = [
        ("versions", r.versions.len() as i64, versions.as_str()),
        ("records", r.records as i64, ""),
        ("quarantine", r.quarantine as i64, ""),
        ("audit", r.audit as i64, ""),
    ];
    for (kind, n, detail) in kinds.into_iter().filter(|k| k.1 > 0) {
        store.log_retention(dataset, kind, n, detail).await?;
    }
    let mut entry = crate::audit::admin_entry(
        spec.id.as_str(),
        "retention",
        spec.owner.as_str(),
        serde_json::to_value(r).unwrap_or_default(),
    );
    entry.dataset = dataset.into();
    crate::audit::append(store, entry).await?;
    Ok(())
}
