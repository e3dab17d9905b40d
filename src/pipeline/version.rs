//! Writing a version. Following the change plan, one thread merges the rows in business-key
//! order (from the key-sorted spilled runs and the previous snapshot, a window of each at a
//! time) into the snapshot and changes Parquet files, while their record changes load, in the
//! same order, into an open store transaction; then the files and the manifest go to the object
//! store, and the transaction commits last, so a failure anywhere leaves the previous version
//! current.

use super::changes::{change_type, Plan, CHANGE, CHANGE_TYPE, DELETE, INSERT, NONE, POSTIMAGE, PREV, SNAP};
use super::spec::{PipelineSpec, PublishSpec};
use super::spill::{Cursor, Spill, POS, RUN, RUN_WINDOW};
use super::transform::{LINE, ROW_HASH};
use super::twin::{write_files, Parts};
use super::{Error, Result};
use crate::objects::{self, Objects};
use crate::store::{ChangeChunks, ChangeKind, PublishTx, RecordChanges, Store};
use crate::versions::{self, FileEntry, Manifest};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::sync::mpsc::SyncSender;

/// What a version is written from.
pub(crate) struct Sources {
    /// The valid rows, spilled by batch.
    pub(crate) spill: Spill,
    /// Schema of the spilled rows (fields + `_line` + `_row_hash`).
    pub(crate) schema: SchemaRef,
    /// A local copy of the previous snapshot, if any (removed when dropped).
    pub(crate) prev: Option<tempfile::TempPath>,
    /// What each row becomes.
    pub(crate) plan: Plan,
    /// Quarantined rows.
    pub(crate) quarantine: DataFrame,
    /// What collapsed into what.
    pub(crate) duplicates: DataFrame,
}

/// Writes the version's files and records; returns the manifest's location.
pub(crate) async fn write(
    store: &Store,
    objects: &Objects,
    spec: &PipelineSpec,
    tx: &PublishTx,
    manifest: &mut Manifest,
    src: Sources,
) -> Result<String> {
    let Sources { spill, schema, prev, plan, quarantine, duplicates } = src;
    let t0 = std::time::Instant::now();
    let mut pending = store.begin_publish(tx).await?;
    let (records_tx, records_rx) = std::sync::mpsc::sync_channel(2);
    let chunks: ChangeChunks<'static> = Box::new(records_rx.into_iter());
    let spec2 = spec.clone();
    let streamed = tokio::task::spawn_blocking(move || {
        let out = stream(&spec2, &spill, &schema, prev.as_deref(), &plan, &records_tx);
        if let Err(e) = &out {
            // Stops the store side; if it has stopped already, the error is still returned below.
            let _ = records_tx.send(Err(e.to_string()));
        }
        let (snapshot, changes) = out?;
        let quarantine = write_whole(&spill, "quarantine", quarantine, &spec2.publish)?;
        let duplicates = write_whole(&spill, "duplicates", duplicates, &spec2.publish)?;
        Ok::<_, Error>((
            [("snapshot", snapshot), ("changes", changes), ("quarantine", quarantine), ("duplicates", duplicates)],
            spill,
        ))
    });
    // The files go up as soon as they are written, while the record changes may still be
    // loading (the first load of a large dataset writes far more to the store than to files).
    let prefix = versions::version_prefix(&manifest.dataset, manifest.version);
    let uploaded = async {
        let (files, spill) = streamed.await.map_err(|e| Error::Task("version writer", e))??;
        tracing::debug!(ms = t0.elapsed().as_millis() as u64, "version files written");
        let mut entries = Vec::with_capacity(files.len());
        for (name, rows) in files {
            let path = format!("{prefix}/{name}.parquet");
            let (bytes, sha256) = objects::put_file(objects, &path, &spill.file(&format!("{name}.parquet"))).await?;
            entries.push((name, FileEntry { path, bytes, sha256, rows }));
        }
        tracing::debug!(ms = t0.elapsed().as_millis() as u64, "version files uploaded");
        Ok::<_, Error>(entries)
    };
    let (entries, ()) = tokio::try_join!(uploaded, async { pending.apply(chunks).await.map_err(Error::from) })?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "record changes loaded");
    for (name, entry) in entries {
        manifest.files.insert(name.into(), entry);
    }
    let (manifest_path, manifest_sha) = versions::put_manifest(objects, manifest).await?;
    pending.commit(&manifest_sha).await?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "version committed");
    Ok(manifest_path)
}

/// Writes a small frame whole as `<name>.parquet` in the spill folder; returns its rows.
fn write_whole(spill: &Spill, name: &str, mut df: DataFrame, opts: &PublishSpec) -> Result<u64> {
    let path = spill.file(&format!("{name}.parquet"));
    Ok(crate::parquet_io::write_file(&path, &mut df, &opts.parquet())?)
}

/// Rows of the plan gathered at a time.
const CHUNK: usize = 16_384;

/// Streams the rows of the plan, in key order, into `snapshot.parquet` and `changes.parquet`
/// of the spill folder (encoded on a thread of their own), and their record changes into
/// `records`; returns the rows of each file.
fn stream(
    spec: &PipelineSpec,
    spill: &Spill,
    schema: &Schema,
    prev: Option<&std::path::Path>,
    plan: &Plan,
    records: &SyncSender<std::result::Result<RecordChanges, String>>,
) -> Result<(u64, u64)> {
    let mut snap_schema = schema.clone();
    snap_schema.shift_remove(LINE);
    let mut change_schema = snap_schema.clone();
    change_schema.shift_remove(ROW_HASH);
    change_schema.with_column(CHANGE_TYPE.into(), DataType::String);
    let (snapshot_path, changes_path) = (spill.file("snapshot.parquet"), spill.file("changes.parquet"));
    let (parts, parts_rx) = std::sync::mpsc::sync_channel::<Parts>(2);
    let schemas = (&snap_schema, &change_schema);
    std::thread::scope(|scope| {
        // Named, so that the Parquet writer's share of a run shows in `top -H` and profiles.
        let writer = std::thread::Builder::new()
            .name("version-files".into())
            .spawn_scoped(scope, move || {
                write_files(spec, (snapshot_path, changes_path), schemas, prev.is_none(), parts_rx)
            })
            .map_err(|_| Error::Stopped("Parquet writer (its thread did not start)"))?;
        let merged = merge(spec, spill, &snap_schema, prev, plan, records, parts);
        match (merged, writer.join()) {
            (_, Ok(Err(e))) | (Err(e), _) => Err(e),
            (Ok(()), Ok(Ok(rows))) => Ok(rows),
            (Ok(()), Err(_)) => Err(Error::Stopped("Parquet writer (it panicked)")),
        }
    })
}

/// Merges the rows of the plan from the runs and the previous snapshot, a chunk at a time.
fn merge(
    spec: &PipelineSpec,
    spill: &Spill,
    snap_schema: &Schema,
    prev: Option<&std::path::Path>,
    plan: &Plan,
    records: &SyncSender<std::result::Result<RecordChanges, String>>,
    parts: SyncSender<Parts>,
) -> Result<()> {
    let mut runs: Vec<Cursor> = (0..spill.runs()).map(|r| spill.cursor(r, snap_schema)).collect();
    let mut previous =
        prev.map(|p| Cursor::new(p.to_path_buf(), spec.publish.row_group_size.max(RUN_WINDOW), snap_schema));
    let fields = spec.field_names();
    let source = plan.rows.column(RUN)?.u32()?.rechunk();
    let pos = plan.rows.column(POS)?.u32()?.rechunk();
    let in_snapshot = plan.rows.column(SNAP)?.bool()?;
    let change = plan.rows.column(CHANGE)?.u32()?;
    let (source, pos) = (source.cont_slice()?, pos.cont_slice()?);
    for start in (0..plan.rows.height()).step_by(CHUNK) {
        let end = (start + CHUNK).min(plan.rows.height());
        // Each source's rows of the chunk (in increasing position), gathered one source after
        // the other, then put back in plan order.
        let mut wanted: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for i in start..end {
            wanted.entry(source[i]).or_default().push(pos[i]);
        }
        let mut next: BTreeMap<u32, IdxSize> = BTreeMap::new();
        let mut gathered = DataFrame::empty_with_schema(snap_schema);
        for (src, positions) in &wanted {
            let cursor = match *src {
                PREV => previous.as_mut(),
                run => runs.get_mut(run as usize),
            }
            .ok_or(Error::MissingRun(*src))?;
            next.insert(*src, gathered.height() as IdxSize);
            gathered.vstack_mut_owned(cursor.take(positions)?)?;
        }
        let mut order = Vec::with_capacity(end - start);
        for &src in &source[start..end] {
            if let Some(at) = next.get_mut(&src) {
                order.push(*at);
                *at += 1;
            }
        }
        let rows = compact(gathered.take(&IdxCa::from_vec("order".into(), order))?)?;
        drop(gathered);
        let snap_part = rows_where(&rows, &in_snapshot.slice(start as i64, end - start))?;
        let kinds = change.slice(start as i64, end - start);
        let mut changed = rows_where(&rows, &kinds.not_equal(NONE))?;
        let change_part = match changed.height() {
            0 => None,
            _ => {
                let changes: Vec<u32> = kinds.iter().flatten().filter(|k| *k != NONE).collect();
                let types: Vec<&str> = changes.iter().map(|k| change_type(*k)).collect();
                changed.with_column(Column::new(CHANGE_TYPE.into(), types))?;
                let batch = record_changes(&changed, &changes, &spec.key, &fields)?;
                records.send(Ok(batch)).map_err(|_| Error::Stopped("store's loading of record changes"))?;
                Some(changed)
            }
        };
        parts.send((snap_part, change_part)).map_err(|_| Error::Stopped("Parquet writer"))?;
    }
    Ok(())
}

/// The rows of `df` where `mask` holds (all of them without copying, as in a first version).
fn rows_where(df: &DataFrame, mask: &BooleanChunked) -> PolarsResult<DataFrame> {
    match mask.sum() {
        Some(n) if n as usize == df.height() => Ok(df.clone()),
        Some(0) => Ok(df.clear()),
        _ => df.filter(mask),
    }
}

/// `df` with its text columns holding only their own strings: rows taken from a window share the
/// window's string buffers, which would otherwise stay alive as long as any of its rows does.
fn compact(df: DataFrame) -> PolarsResult<DataFrame> {
    let height = df.height();
    let columns = df
        .into_columns()
        .into_iter()
        .map(|c| match c.dtype() {
            DataType::String => {
                let ca = c.str()?;
                Ok(StringChunked::from_chunk_iter(ca.name().clone(), ca.downcast_iter().map(|a| a.clone().gc()))
                    .into_column())
            }
            _ => Ok(c),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(height, columns)
}

/// The record changes of change rows (fields + `_row_hash`) of plan kinds `changes`: inserts
/// and post-images write a record, deletes close one, pre-images need nothing.
fn record_changes(frame: &DataFrame, changes: &[u32], key: &[String], fields: &[String]) -> Result<RecordChanges> {
    let keys = RecordKeys::new(frame, key)?;
    let hashes = frame.column(ROW_HASH)?.u64()?;
    let mut json = super::records::JsonRows::new(frame, fields)?;
    let mut out = RecordChanges::default();
    for (i, change) in changes.iter().enumerate() {
        let kind = match *change {
            INSERT => ChangeKind::Insert,
            POSTIMAGE => ChangeKind::Update,
            DELETE => ChangeKind::Delete,
            _ => {
                json.skip();
                continue;
            }
        };
        out.push(kind, hashes.get(i).unwrap_or(0), |k, data| {
            keys.write(i, k);
            match kind {
                ChangeKind::Delete => json.skip(),
                _ => json.write_next(data),
            }
        });
    }
    Ok(out)
}

/// The store's record key of each row: the key value, or for a composite key the JSON array of
/// its values (`["a","b"]`).
struct RecordKeys {
    cols: Vec<StringChunked>,
}

impl RecordKeys {
    fn new(df: &DataFrame, key: &[String]) -> PolarsResult<RecordKeys> {
        let cols = key
            .iter()
            .map(|k| {
                df.column(k)
                    .and_then(|c| c.as_materialized_series().cast(&DataType::String))
                    .and_then(|s| Ok(s.str()?.clone()))
            })
            .collect::<PolarsResult<_>>()?;
        Ok(RecordKeys { cols })
    }

    /// Appends row `i`'s key to `out`.
    fn write(&self, i: usize, out: &mut String) {
        match self.cols.as_slice() {
            [one] => out.push_str(one.get(i).unwrap_or("")),
            // A list of strings always encodes as JSON.
            many => out.push_str(
                &serde_json::to_string(&many.iter().map(|s| s.get(i).unwrap_or("")).collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
        }
    }
}
