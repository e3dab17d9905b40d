//! Published versions, as readers find them: the object-store folder of each version, its
//! `manifest.json`, reading its Parquet files, the changes between two versions, and the
//! retention that removes the files of old versions. The write side (encoding a version's files
//! and committing it) is `pipeline::version`.

use crate::objects::{self, Objects};
use crate::outcome::RunCounts;
use crate::parquet_io;
use crate::store::Store;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Errors of reading versions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] objects::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// A published file could not be decoded.
    #[error(transparent)]
    Parquet(#[from] parquet_io::Error),
    /// The changes of several versions could not be put together.
    #[error("combining changes: {0}")]
    Frame(#[from] PolarsError),
    /// A manifest could not be encoded.
    #[error("encoding a manifest: {0}")]
    Manifest(#[from] serde_json::Error),
    /// Retention removed the files a request needs.
    #[error("the files of version {version} of '{dataset}' were removed by retention (publish.keep_versions); the oldest version kept is {oldest}: take its snapshot, then the changes after it")]
    Pruned { dataset: String, version: i64, oldest: i64 },
}

/// Result of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// A published file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct FileEntry {
    /// Location in the object store.
    pub(crate) path: String,
    /// Size in bytes.
    pub(crate) bytes: u64,
    /// sha256 of the content, hex.
    pub(crate) sha256: String,
    /// Rows in the file.
    pub rows: u64,
}

/// The input a version was computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct InputInfo {
    /// Where it was read.
    pub(crate) path: String,
    /// sha256 of the raw bytes.
    pub(crate) sha256: String,
    /// Size in bytes.
    pub(crate) bytes: u64,
}

/// The class of a personal-data field.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Personal {
    /// Basic personal data (dữ liệu cá nhân cơ bản; Decree 356/2025/NĐ-CP, Điều 3): names, birth
    /// date, sex, places of birth and residence, nationality, phone and identity numbers, marital
    /// status, family relationships, digital accounts.
    Basic,
    /// Sensitive personal data (dữ liệu cá nhân nhạy cảm; Decree 356/2025/NĐ-CP, Điều 4 khoản 1):
    /// ethnic origin, political and religious views, health, biometric and genetic data, sex
    /// life, crime data, location, financial credentials and transactions, among others.
    Sensitive,
}

fn first_contract() -> u32 {
    1
}

/// A field of the published schema (the data dictionary).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct SchemaField {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) required: bool,
    /// Decimals kept, for `decimal` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scale: Option<u32>,
    pub(crate) description: String,
    /// Personal data: `basic` or `sensitive` (absent: not personal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) personal: Option<Personal>,
    /// What the pipeline's rules guarantee of every published value (absent: nothing more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) constraints: Option<Constraints>,
}

/// What a field's rules guarantee of its published values, for data contracts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Constraints {
    /// Regular expressions every value matches (`regex` rules; anchored as written).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) patterns: Vec<String>,
    /// The values allowed (`enum` rule).
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub(crate) values: Option<Vec<String>>,
    /// Bounds of numbers and dates (`range` rule), as written in the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) minimum: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) maximum: Option<serde_json::Value>,
    /// Bounds of the text length in characters (`length` rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_length: Option<usize>,
    /// No two keys share a value (`unique` rule).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) unique: bool,
    /// The shared catalog whose codes the values are (`in_catalog` rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) catalog: Option<String>,
}

/// `manifest.json` of a version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Manifest {
    pub(crate) dataset: String,
    pub(crate) version: i64,
    pub(crate) previous_version: Option<i64>,
    pub(crate) pipeline: String,
    pub(crate) owner: String,
    pub(crate) run_id: String,
    pub(crate) created_at: String,
    pub(crate) extract: String,
    /// Business key fields.
    pub(crate) key: Vec<String>,
    pub(crate) input: InputInfo,
    pub(crate) counts: RunCounts,
    pub(crate) schema: Vec<SchemaField>,
    /// The version of the data contract (`contract_version` of the pipeline; 1 before it existed).
    #[serde(default = "first_contract")]
    pub(crate) contract_version: u32,
    /// `snapshot`, `changes`, `quarantine`, `duplicates` → file.
    pub(crate) files: BTreeMap<String, FileEntry>,
    /// The audit log's head when the version was written, signed: a copy of it outside the
    /// store, against which `lgsp audit verify` finds deleted rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) audit_checkpoint: Option<crate::audit::Checkpoint>,
}

/// Object-store prefix of a dataset version.
pub fn version_prefix(dataset: &str, version: i64) -> String {
    format!("datasets/{dataset}/v{version}")
}

/// `df` with its timestamps as RFC 3339 text (`2026-07-01T08:30:00.000000Z`), so that CSV and
/// NDJSON render them alike; dates stay `yyyy-mm-dd`. Timestamps without a zone are UTC.
pub fn with_text_timestamps(df: DataFrame) -> PolarsResult<DataFrame> {
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        columns.push(match c.dtype() {
            DataType::Datetime(_, tz) => {
                let format = if tz.is_some() { "%Y-%m-%dT%H:%M:%S%.6f%:z" } else { "%Y-%m-%dT%H:%M:%S%.6fZ" };
                c.as_materialized_series().datetime()?.to_string(format)?.into_column()
            }
            _ => c.clone(),
        });
    }
    DataFrame::new(df.height(), columns)
}

/// Writes the manifest of a version (after its files); returns its location and sha256.
pub(crate) async fn put_manifest(objects: &Objects, manifest: &Manifest) -> Result<(String, String)> {
    let body = serde_json::to_vec_pretty(manifest)?;
    let sha = crate::digest::sha256_hex(&body);
    let path = format!("{}/manifest.json", version_prefix(&manifest.dataset, manifest.version));
    objects::put(objects, &path, body).await?;
    Ok((path, sha))
}

/// Reads a published Parquet file.
pub async fn read_parquet(objects: &Objects, path: &str) -> Result<DataFrame> {
    let bytes = objects::get(objects, path).await?;
    Ok(parquet_io::from_bytes(&bytes)?)
}

/// Fails with [`Error::Pruned`] when retention removed the files of version `needed`.
pub async fn ensure_kept(store: &Store, dataset: &str, needed: i64) -> Result<()> {
    match store.oldest_kept_version(dataset).await? {
        Some(oldest) if needed < oldest => Err(Error::Pruned { dataset: dataset.into(), version: needed, oldest }),
        _ => Ok(()),
    }
}

/// Every change of `dataset` after version `since` up to `current`, in version order, with a
/// `_version` column (empty when `since == current`).
pub async fn changes_since(objects: &Objects, dataset: &str, since: i64, current: i64) -> Result<DataFrame> {
    let mut parts = Vec::new();
    for v in since + 1..=current {
        let df = read_parquet(objects, &format!("{}/changes.parquet", version_prefix(dataset, v))).await?;
        parts.push(df.lazy().with_column(lit(v).alias("_version")));
    }
    if parts.is_empty() {
        // No change: an empty frame with the columns a change set of this dataset has.
        let latest = read_parquet(objects, &format!("{}/changes.parquet", version_prefix(dataset, current))).await?;
        return Ok(latest.clear().lazy().with_column(lit(current).alias("_version")).collect()?);
    }
    Ok(concat(parts, UnionArgs { diagonal: true, ..Default::default() })?.collect()?)
}

/// Applies `keep` (versions that keep their files) after version `current` of `dataset` was
/// published: older versions are marked pruned in the store, then their files (all but the
/// manifest) are deleted. Returns the versions pruned.
pub(crate) async fn prune(
    store: &Store,
    objects: &Objects,
    dataset: &str,
    current: i64,
    keep: u32,
) -> Result<Vec<i64>> {
    let keep_from = current - i64::from(keep) + 1;
    let pruned = store.prune_versions(dataset, keep_from).await?;
    for v in &pruned {
        objects::remove_under(objects, &v.prefix, &["manifest.json"]).await?;
    }
    Ok(pruned.iter().map(|v| v.version).collect())
}
