//! Writing a version: the Parquet files and manifest go to the object store while the record
//! changes go into an open store transaction; the transaction commits only after every file is
//! written, so a failure anywhere leaves the previous version current.

use super::changes::CHANGE_TYPE;
use super::publish::{self, Manifest};
use super::spec::{PipelineSpec, PublishSpec};
use super::transform::ROW_HASH;
use super::{Error, Result};
use crate::objects::Objects;
use crate::store::{ChangeChunks, PublishTx, RecordChange, Store};
use polars::prelude::*;

/// Rows of the change set converted to store records at a time.
const RECORD_CHUNK: usize = 8192;

/// The frames a version publishes.
pub struct Frames {
    /// The whole current set (fields + `_row_hash`).
    pub snapshot: DataFrame,
    /// Changes (fields + `_row_hash` + `_change_type`).
    pub changes: DataFrame,
    /// Quarantined rows.
    pub quarantine: DataFrame,
    /// What collapsed into what.
    pub duplicates: DataFrame,
}

/// Writes the version's files and records; returns the manifest's location.
pub async fn write(store: &Store, objects: &Objects, spec: &PipelineSpec, tx: &PublishTx, manifest: &mut Manifest, frames: Frames) -> Result<String> {
    let change_rows = frames.changes.clone();
    let opts = spec.publish.clone();
    let t0 = std::time::Instant::now();
    let files = async {
        let encoded = tokio::task::spawn_blocking(move || encode(frames, &opts))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        let written = publish::upload(objects, manifest, encoded).await?;
        tracing::debug!(ms = t0.elapsed().as_millis() as u64, "version files written");
        Ok::<_, Error>(written)
    };
    let records = async {
        let mut pending = store.begin_publish(tx).await?;
        pending.apply(prefetch(record_chunks(change_rows, spec))).await?;
        tracing::debug!(ms = t0.elapsed().as_millis() as u64, "record changes loaded");
        Ok::<_, Error>(pending)
    };
    let ((manifest_path, manifest_sha), pending) = tokio::try_join!(files, records)?;
    pending.commit(&manifest_sha).await?;
    Ok(manifest_path)
}

type Encoded = Vec<(&'static str, Vec<u8>, u64)>;

/// Encodes the four files one after the other (each frame is released once encoded; the
/// store load runs meanwhile on the other core).
fn encode(frames: Frames, opts: &PublishSpec) -> Result<Encoded> {
    let Frames { snapshot, changes, quarantine, duplicates } = frames;
    let changes = changes.drop(ROW_HASH)?;
    let mut out = Vec::with_capacity(4);
    for (name, mut df) in [("snapshot", snapshot), ("changes", changes), ("quarantine", quarantine), ("duplicates", duplicates)] {
        let rows = df.height() as u64;
        out.push((name, publish::parquet_bytes(&mut df, opts)?, rows));
    }
    Ok(out)
}

/// Runs `chunks` on its own thread, two chunks ahead of the consumer.
fn prefetch(chunks: ChangeChunks<'static>) -> ChangeChunks<'static> {
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    std::thread::spawn(move || {
        for c in chunks {
            if tx.send(c).is_err() {
                break;
            }
        }
    });
    Box::new(rx.into_iter())
}

/// The record changes of a change frame, converted a chunk at a time.
fn record_chunks(frame: DataFrame, spec: &PipelineSpec) -> ChangeChunks<'static> {
    let key = spec.key.clone();
    let fields: Vec<String> = spec.fields.iter().map(|f| f.name.clone()).collect();
    let height = frame.height();
    Box::new((0..height).step_by(RECORD_CHUNK).map(move |offset| {
        record_changes(&frame.slice(offset as i64, RECORD_CHUNK), &key, &fields).map_err(|e| e.to_string())
    }))
}

fn record_changes(frame: &DataFrame, key: &[String], fields: &[String]) -> Result<Vec<RecordChange>> {
    let upserts = frame
        .clone()
        .lazy()
        .filter(col(CHANGE_TYPE).eq(lit("insert")).or(col(CHANGE_TYPE).eq(lit("update_postimage"))))
        .collect()?;
    let deletes = frame.clone().lazy().filter(col(CHANGE_TYPE).eq(lit("delete"))).collect()?;
    let mut out = Vec::with_capacity(upserts.height() + deletes.height());
    let keys = record_keys(&upserts, key)?;
    let kinds: Vec<bool> = upserts.column(CHANGE_TYPE)?.str()?.iter().map(|t| t == Some("insert")).collect();
    let hashes: Vec<String> = upserts.column(ROW_HASH)?.u64()?.iter().map(|h| format!("{:016x}", h.unwrap_or(0))).collect();
    let rows = super::records::to_json_rows(&upserts, fields)?;
    for (((key, hash), data), insert) in keys.into_iter().zip(hashes).zip(rows).zip(kinds) {
        out.push(if insert { RecordChange::Insert { key, hash, data } } else { RecordChange::Update { key, hash, data } });
    }
    for k in record_keys(&deletes, key)? {
        out.push(RecordChange::Delete { key: k });
    }
    Ok(out)
}

/// The store's record key of each row: the key value, or for a composite key the JSON array of
/// its values (`["a","b"]`).
pub fn record_keys(df: &DataFrame, key: &[String]) -> PolarsResult<Vec<String>> {
    let cols: Vec<Series> = key
        .iter()
        .map(|k| df.column(k).and_then(|c| c.as_materialized_series().cast(&DataType::String)))
        .collect::<PolarsResult<_>>()?;
    let strs: Vec<&StringChunked> = cols.iter().map(|s| s.str()).collect::<PolarsResult<_>>()?;
    Ok((0..df.height())
        .map(|i| match strs.as_slice() {
            [one] => one.get(i).unwrap_or("").to_string(),
            many => serde_json::to_string(&many.iter().map(|s| s.get(i).unwrap_or("")).collect::<Vec<_>>()).unwrap_or_default(),
        })
        .collect())
}
