//! Publish: write a version's files (snapshot, changes, quarantine, duplicates) and its
//! manifest with checksums through the object store. The store transaction that makes the
//! version visible happens after this, so a failure here leaves only unreferenced files.

use super::spec::PublishSpec;
use crate::objects::{self, Objects};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A published file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Location in the object store.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// sha256 of the content, hex.
    pub sha256: String,
    /// Rows in the file.
    pub rows: u64,
}

/// The input a version was computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputInfo {
    /// Where it was read.
    pub path: String,
    /// sha256 of the raw bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// Row counts of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Counts {
    pub rows_read: u64,
    pub rows_valid: u64,
    pub rows_quarantined: u64,
    pub duplicates_collapsed: u64,
    /// Rows of the snapshot.
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Keys whose new row was quarantined and which keep their previous version.
    #[serde(default)]
    pub kept_previous: u64,
}

/// A field of the published schema (the data dictionary).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SchemaField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    /// Decimals kept, for `decimal` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    pub description: String,
}

/// `manifest.json` of a version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub dataset: String,
    pub version: i64,
    pub previous_version: Option<i64>,
    pub pipeline: String,
    pub owner: String,
    pub run_id: String,
    pub created_at: String,
    pub extract: String,
    /// Business key fields.
    pub key: Vec<String>,
    pub input: InputInfo,
    pub counts: Counts,
    pub schema: Vec<SchemaField>,
    /// `snapshot`, `changes`, `quarantine`, `duplicates` → file.
    pub files: BTreeMap<String, FileEntry>,
}

/// Object-store prefix of a dataset version.
pub fn version_prefix(dataset: &str, version: i64) -> String {
    format!("datasets/{dataset}/v{version}")
}

/// Encodes a frame as Parquet.
pub fn parquet_bytes(df: &mut DataFrame, opts: &PublishSpec) -> PolarsResult<Vec<u8>> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_compression(compression(opts))
        .with_row_group_size(Some(opts.row_group_size))
        .finish(df)?;
    Ok(buf)
}

/// The Parquet compression `opts` names.
pub fn compression(opts: &PublishSpec) -> ParquetCompression {
    match opts.compression.as_str() {
        "snappy" => ParquetCompression::Snappy,
        "lz4" => ParquetCompression::Lz4Raw,
        "none" => ParquetCompression::Uncompressed,
        _ => ParquetCompression::Zstd(
            polars::polars_utils::compression::ZstdLevel::try_new(opts.compression_level.unwrap_or(1)).ok(),
        ),
    }
}

/// sha256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes the manifest of a version (after its files); returns its location and sha256.
pub async fn put_manifest(objects: &Objects, manifest: &Manifest) -> objects::Result<(String, String)> {
    let body = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    let sha = sha256_hex(&body);
    let path = format!("{}/manifest.json", version_prefix(&manifest.dataset, manifest.version));
    objects::put(objects, &path, body).await?;
    Ok((path, sha))
}

/// Reads a published Parquet file.
pub async fn read_parquet(objects: &Objects, path: &str) -> super::Result<DataFrame> {
    let bytes = objects::get(objects, path).await?;
    Ok(ParquetReader::new(std::io::Cursor::new(bytes)).finish()?)
}

/// Fails with [`super::Error::Pruned`] when retention removed the files of version `needed`.
pub async fn ensure_kept(store: &crate::store::Store, dataset: &str, needed: i64) -> super::Result<()> {
    match store.oldest_kept_version(dataset).await? {
        Some(oldest) if needed < oldest => {
            Err(super::Error::Pruned { dataset: dataset.into(), version: needed, oldest })
        }
        _ => Ok(()),
    }
}

/// Every change of `dataset` after version `since` up to `current`, in version order, with a
/// `_version` column (empty when `since == current`).
pub async fn changes_since(objects: &Objects, dataset: &str, since: i64, current: i64) -> super::Result<DataFrame> {
    let mut parts = Vec::new();
    for v in since + 1..=current {
        let df = read_parquet(objects, &format!("{}/changes.parquet", version_prefix(dataset, v))).await?;
        parts.push(df.lazy().with_column(lit(v).alias("_version")));
    }
    if parts.is_empty() {
        return Ok(DataFrame::empty());
    }
    Ok(concat(parts, UnionArgs { diagonal: true, ..Default::default() })?.collect()?)
}

/// Applies `keep` (versions that keep their files) after version `current` of `dataset` was
/// published: older versions are marked pruned in the store, then their files (all but the
/// manifest) are deleted. Returns the versions pruned.
pub async fn prune(
    store: &crate::store::Store,
    objects: &Objects,
    dataset: &str,
    current: i64,
    keep: u32,
) -> super::Result<Vec<i64>> {
    let keep_from = current - i64::from(keep) + 1;
    let pruned = store.prune_versions(dataset, keep_from).await?;
    for v in &pruned {
        objects::remove_under(objects, &v.prefix, &["manifest.json"]).await?;
    }
    Ok(pruned.iter().map(|v| v.version).collect())
}
