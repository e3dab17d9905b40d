//! One run of a pipeline, end to end, recorded in the run history whatever its outcome.

mod report;

pub use report::{RunOptions, RunReport};

use super::changes;
use super::dedupe;
use super::publish::{self, Counts, InputInfo, Manifest, SchemaField};
use super::spec::{ExtractMode, PipelineSpec};
use super::stage::{self, Staged};
use super::version;
use super::{Error, Result};
use crate::objects::Objects;
use crate::source::Input;
use crate::store::{PublishTx, RunEnd, RunStart, Store};
use polars::prelude::*;
use std::time::Instant;

fn run_id(pipeline: &str) -> String {
    let now = chrono::Utc::now();
    let salt = xxhash_rust::xxh3::xxh3_64(
        format!("{}{}", now.timestamp_nanos_opt().unwrap_or(0), std::process::id()).as_bytes(),
    );
    format!("{}-{pipeline}-{:06x}", now.format("%Y%m%dT%H%M%S%.3fZ"), salt & 0xff_ffff)
}

/// Runs `spec` once: pulls its source, and publishes a new version for each input whose data
/// changed (a source with `pick = "all_new"` may give several inputs, read oldest first).
/// Returns the report of the last input; every input is a run of the history.
#[tracing::instrument(skip_all, fields(pipeline = %spec.id))]
pub async fn run(store: &Store, objects: &Objects, spec: &PipelineSpec, opts: RunOptions) -> Result<RunReport> {
    let source_name = opts
        .input
        .as_ref()
        .map(|p| p.display().to_string())
        .or_else(|| spec.source.path().map(|p| p.display().to_string()))
        .unwrap_or_else(|| spec.id.clone());
    let fetched = match crate::source::fetch(store, spec, opts.input.as_deref()).await {
        Ok(f) => f,
        Err(e) => {
            let e = Error::Source(e);
            return tracked(store, objects, spec, &opts, &source_name, |_| async {
                Err::<(RunReport, serde_json::Value), _>(e)
            })
            .await;
        }
    };
    if let Some(why) = &fetched.nothing_new {
        tracing::info!(reason = %why, "nothing new at the source");
        let current = store.current_version(&spec.dataset).await?.map(|v| v.version);
        return tracked(store, objects, spec, &opts, &source_name, |_| async {
            Ok((RunReport::unchanged(spec, current), serde_json::json!({ "nothing_new": why })))
        })
        .await;
    }
    let mut last = None;
    for input in &fetched.inputs {
        let report = tracked(store, objects, spec, &opts, &input.name, |id| {
            execute(store, objects, spec, id, input, opts.progress)
        })
        .await?;
        // The run's version is committed: failing to note what was read only makes the next run
        // read it again (and find it unchanged).
        settle("save the source state", || store.save_source_state(&spec.id, &input.state)).await;
        last = Some(report);
    }
    last.ok_or_else(|| Error::Internal("the source gave no input".into()))
}

/// Runs a store write that follows a committed version, retrying it for about half a minute
/// (a busy database); a last failure is logged, since the version itself stands.
async fn settle<F, Fut>(what: &str, write: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = crate::store::Result<()>>,
{
    for attempt in 1..=5u32 {
        match write().await {
            Ok(()) => return,
            Err(e) if attempt == 5 => tracing::error!(error = %e, "could not {what} after the version was committed"),
            Err(e) => {
                tracing::warn!(error = %e, attempt, "could not {what}; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(u64::from(attempt) * 2)).await;
            }
        }
    }
}

/// Records a run around `work`: started, then finished with its counts or its error, in the
/// run history, the audit log and the metrics.
async fn tracked<W, F>(
    store: &Store,
    objects: &Objects,
    spec: &PipelineSpec,
    opts: &RunOptions,
    input: &str,
    work: W,
) -> Result<RunReport>
where
    W: FnOnce(String) -> F,
    F: std::future::Future<Output = Result<(RunReport, serde_json::Value)>>,
{
    let id = run_id(&spec.id);
    let start = RunStart {
        id: id.clone(),
        pipeline: spec.id.clone(),
        dataset: spec.dataset.clone(),
        trigger: opts.trigger.clone().unwrap_or_else(|| "manual".into()),
        input_path: input.to_string(),
        schedule: spec.schedule.clone(),
    };
    store.start_run(&start).await?;
    match work(id.clone()).await {
        Ok((mut report, timings)) => {
            report.run_id = id.clone();
            let n = |v: u64| Some(v as i64);
            let end = RunEnd {
                status: report.status.clone(),
                input_sha256: Some(report.input_sha256.clone()).filter(|s| !s.is_empty()),
                input_bytes: Some(report.input_bytes as i64),
                rows_read: n(report.rows_read),
                rows_valid: n(report.rows_valid),
                rows_quarantined: n(report.rows_quarantined),
                duplicates_collapsed: n(report.duplicates_collapsed),
                inserted: n(report.inserted),
                updated: n(report.updated),
                deleted: n(report.deleted),
                version: if report.status == "published" { report.version } else { None },
                timings: Some(timings.to_string()),
                error: None,
                quarantine_reasons: Some(serde_json::to_string(&report.quarantine_reasons).unwrap_or_default()),
            };
            // The version (if any) is committed: the run is not failed if its row cannot be
            // finished at once (another writer holding SQLite's lock), only retried.
            settle("record the finished run", || store.finish_run(&id, &end)).await;
            audit_run(store, spec, &id, &end).await;
            tracing::info!(status = %report.status, version = ?report.version, "run finished");
            if let (Some(keep), Some(v), "published") =
                (spec.publish.keep_versions, report.version, report.status.as_str())
            {
                match super::publish::prune(store, objects, &spec.dataset, v, keep).await {
                    Ok(pruned) if !pruned.is_empty() => {
                        tracing::info!(?pruned, "retention removed the files of older versions")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "retention could not remove older versions' files"),
                }
            }
            Ok(report)
        }
        Err(e) => {
            let end = RunEnd { status: "failed".into(), error: Some(e.to_string()), ..RunEnd::default() };
            if let Err(e2) = store.finish_run(&id, &end).await {
                tracing::error!(error = %e2, "could not record the failed run");
            }
            audit_run(store, spec, &id, &end).await;
            tracing::warn!(error = %e, "run failed");
            Err(e)
        }
    }
}

/// Appends the run to the audit log (a failure to do so is logged, not fatal to the run).
async fn audit_run(store: &Store, spec: &PipelineSpec, run_id: &str, end: &RunEnd) {
    metrics::counter!("lgsp_pipeline_runs_total", "pipeline" => spec.id.clone(), "status" => end.status.clone())
        .increment(1);
    let row = crate::store::AuditRow {
        kind: "run".into(),
        actor: spec.id.clone(),
        agency: spec.owner.clone(),
        action: "run".into(),
        dataset: spec.dataset.clone(),
        version: end.version,
        rows_out: end.rows_valid.unwrap_or(0),
        status: if end.status == "failed" { 1 } else { 0 },
        request_id: run_id.into(),
        detail: serde_json::json!({ "status": end.status, "error": end.error }).to_string(),
        ..Default::default()
    };
    if let Err(e) = crate::audit::append(store, row).await {
        tracing::error!(error = %e, "could not append the run to the audit log");
    }
}

async fn execute(
    store: &Store,
    objects: &Objects,
    spec: &PipelineSpec,
    id: String,
    input: &Input,
    progress: bool,
) -> Result<(RunReport, serde_json::Value)> {
    let id = id.as_str();
    let t0 = Instant::now();
    let current = store.current_version(&spec.dataset).await?;
    let catalogs = super::lookups::catalogs_of(store, spec).await?;
    let bar = crate::progress::rows_bar(progress, &spec.id);
    let (spec2, input2, bar2) = (spec.clone(), input.clone(), bar.clone());
    let staging = async {
        tokio::task::spawn_blocking(move || {
            let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
            stage::extract_transform(&spec2, &input2, &catalogs, workers, &|n| bar2.set_position(n))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    };
    // The previous snapshot is fetched while the extract runs (mostly I/O, and small next to it).
    let previous = async {
        match &current {
            Some(v) => previous(objects, v, spec).await.map(Some),
            None => Ok(None),
        }
    };
    let (staged, prev): (Staged, _) = tokio::try_join!(staging, previous)?;
    bar.finish_and_clear();
    let t_stage = t0.elapsed();
    let mut report = RunReport {
        run_id: id.to_string(),
        version: current.as_ref().map(|v| v.version),
        rows_read: staged.rows_read,
        rows_valid: staged.valid.height() as u64,
        rows_quarantined: staged.quarantine.height() as u64,
        quarantine_reasons: super::transform::reason_counts(&staged.quarantine),
        input_sha256: staged.info.sha256.clone(),
        input_bytes: staged.info.bytes,
        ..RunReport::unchanged(spec, None)
    };
    crate::memory::release_free();
    let (spec2, held, valid) = (spec.clone(), staged.held, staged.valid);
    let prev_slim = prev.as_ref().map(|(_, slim)| slim.clone());
    let (deduped, changes) = tokio::task::spawn_blocking(move || -> Result<_> {
        let deduped = dedupe::dedupe(valid, &spec2.key, &spec2.survivorship)?;
        let plan = changes::plan(&deduped.rows, prev_slim.as_ref(), &spec2.key, spec2.effective_extract(), &held)?;
        drop(deduped.rows);
        crate::memory::release_free();
        Ok((deduped.collapsed, plan))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    let t_changes = t0.elapsed();
    report.duplicates_collapsed = deduped.height() as u64;
    report.inserted = changes.inserted as u64;
    report.updated = changes.updated as u64;
    report.deleted = changes.deleted as u64;
    report.kept_previous = changes.kept as u64;
    if let Some(cur) = &current {
        let limit = spec.publish.max_delete_fraction * cur.row_count as f64;
        if changes.deleted > 0 && changes.deleted as f64 > limit {
            if let Some(path) = keep_quarantine(objects, spec, id, staged.quarantine).await? {
                tracing::warn!(%path, "the run publishes nothing; its quarantined rows are kept there");
            }
            return Err(Error::TooManyDeletes {
                deleted: changes.deleted,
                current: cur.row_count,
                fraction: spec.publish.max_delete_fraction,
            });
        }
    }
    if changes.is_empty() {
        // The same input as the current version's: that version holds these rows already.
        if current.as_ref().is_none_or(|v| v.input_sha256 != staged.info.sha256) {
            report.run_quarantine = keep_quarantine(objects, spec, id, staged.quarantine).await?;
        }
        return Ok((
            report,
            serde_json::json!({ "extract_transform_ms": t_stage.as_millis(), "changes_ms": t_changes.as_millis() }),
        ));
    }
    let version = current.as_ref().map(|v| v.version).unwrap_or(0) + 1;
    let mut manifest = Manifest {
        dataset: spec.dataset.clone(),
        version,
        previous_version: current.as_ref().map(|v| v.version),
        pipeline: spec.id.clone(),
        owner: spec.owner.clone(),
        run_id: id.to_string(),
        created_at: crate::store::now(),
        extract: if spec.effective_extract() == ExtractMode::Full { "full" } else { "partial" }.into(),
        key: spec.key.clone(),
        input: InputInfo { path: input.name.clone(), sha256: staged.info.sha256.clone(), bytes: staged.info.bytes },
        counts: Counts {
            rows_read: report.rows_read,
            rows_valid: report.rows_valid,
            rows_quarantined: report.rows_quarantined,
            duplicates_collapsed: report.duplicates_collapsed,
            rows: changes.snapshot_rows as u64,
            inserted: report.inserted,
            updated: report.updated,
            deleted: report.deleted,
            kept_previous: report.kept_previous,
        },
        schema: schema_of(spec),
        files: Default::default(),
    };
    let tx = PublishTx {
        dataset: spec.dataset.clone(),
        pipeline: spec.id.clone(),
        owner: spec.owner.clone(),
        title: spec.title.clone(),
        description: spec.description.clone(),
        key_fields: serde_json::to_string(&spec.key).unwrap_or_default(),
        schema_json: serde_json::to_string(&manifest.schema).unwrap_or_default(),
        version,
        run_id: id.to_string(),
        input_sha256: staged.info.sha256.clone(),
        row_count: manifest.counts.rows as i64,
        inserted: report.inserted as i64,
        updated: report.updated as i64,
        deleted: report.deleted as i64,
        quarantined: report.rows_quarantined as i64,
        prefix: publish::version_prefix(&spec.dataset, version),
    };
    let sources = version::Sources {
        spill: staged.spill,
        schema: staged.schema,
        prev: prev.map(|(file, _)| file),
        plan: changes,
        quarantine: staged.quarantine,
        duplicates: deduped,
    };
    let manifest_path = version::write(store, objects, spec, &tx, &mut manifest, sources).await?;
    let t_upload = t0.elapsed();
    let file = |n: &str| manifest.files.get(n).map(|f| f.path.clone());
    report.status = "published".into();
    report.version = Some(version);
    report.snapshot = file("snapshot");
    report.changes = file("changes");
    report.quarantine = file("quarantine");
    report.manifest = Some(manifest_path);
    let timings = serde_json::json!({
        "extract_transform_ms": t_stage.as_millis(),
        "changes_ms": (t_changes - t_stage).as_millis(),
        "publish_ms": (t_upload - t_changes).as_millis(),
    });
    Ok((report, timings))
}

/// Keeps the quarantined rows of a run that publishes no version at `runs/<run id>/quarantine.parquet`
/// (a published version holds its own); returns the location, `None` when no row was quarantined.
async fn keep_quarantine(
    objects: &Objects,
    spec: &PipelineSpec,
    id: &str,
    mut quarantine: DataFrame,
) -> Result<Option<String>> {
    if quarantine.height() == 0 {
        return Ok(None);
    }
    let path = format!("runs/{id}/quarantine.parquet");
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).with_compression(publish::compression(&spec.publish)).finish(&mut quarantine)?;
    crate::objects::put(objects, &path, bytes).await?;
    Ok(Some(path))
}

fn schema_of(spec: &PipelineSpec) -> Vec<SchemaField> {
    spec.fields
        .iter()
        .map(|f| SchemaField {
            name: f.name.clone(),
            kind: format!("{:?}", f.kind).to_lowercase(),
            required: f.required || spec.key.contains(&f.name),
            scale: (f.kind == super::spec::FieldType::Decimal).then(|| f.scale.unwrap_or(2)),
            description: f.description.clone(),
        })
        .collect()
}

/// Copies the snapshot of the current version to a temporary file (removed when dropped) and
/// reads its key and row-hash columns.
async fn previous(
    objects: &Objects,
    v: &crate::store::VersionRow,
    spec: &PipelineSpec,
) -> Result<(tempfile::TempPath, DataFrame)> {
    let unreadable = |message: String| Error::Previous { dataset: spec.dataset.clone(), version: v.version, message };
    let local = tempfile::Builder::new()
        .prefix("lgsp-previous-")
        .suffix(".parquet")
        .tempfile()
        .map_err(|e| unreadable(format!("{e} (the temporary folder is TMPDIR)")))?
        .into_temp_path();
    crate::objects::get_file(objects, &format!("{}/snapshot.parquet", v.prefix), &local)
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    let mut columns = spec.key.clone();
    columns.push(super::transform::ROW_HASH.to_string());
    let path = local.to_path_buf();
    let read = tokio::task::spawn_blocking(move || -> std::result::Result<DataFrame, String> {
        let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        ParquetReader::new(file).with_columns(Some(columns)).finish().map_err(|e| e.to_string())
    });
    let slim = read.await.map_err(|e| unreadable(e.to_string()))?.map_err(unreadable)?;
    Ok((local, slim))
}
