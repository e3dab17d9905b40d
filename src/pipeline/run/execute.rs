//! The work of one run on one input: stage (extract + transform), plan (dedupe + changes),
//! gates (quality limits: a tripped gate holds the run), then publish a version when anything changed.

use super::RunReport;
use crate::objects::Objects;
use crate::outcome::{RunCounts, RunStatus};
use crate::pipeline::changes::Plan;
use crate::pipeline::spec::{ExtractMode, PipelineSpec};
use crate::pipeline::stage::{self, Staged};
use crate::pipeline::survive;
use crate::pipeline::transform::reason_counts;
use crate::pipeline::version;
use crate::pipeline::{Error, Result};
use crate::source::Input;
use crate::store::{PublishTx, Store, VersionRow};
use crate::versions::{InputInfo, Manifest};
use polars::prelude::*;
use std::time::{Duration, Instant};

/// The previous version's snapshot, copied to a temporary file.
type Previous = tempfile::TempPath;

/// Runs `spec` on `input` as run `id`; returns the report and the stage timings.
pub(super) async fn execute(
    store: &Store,
    objects: &Objects,
    spec: &PipelineSpec,
    id: String,
    input: &Input,
    opts: &super::RunOptions,
) -> Result<(RunReport, serde_json::Value)> {
    let id = id.as_str();
    let t0 = Instant::now();
    let current = store.current_version(&spec.dataset).await?;
    crate::pipeline::contract::check(objects, spec, current.as_ref(), opts.allow_breaking).await?;
    let (staged, prev) = stage_input(store, objects, spec, input, current.as_ref(), opts.progress).await?;
    let t_stage = t0.elapsed();
    let mut report = RunReport {
        run_id: id.to_string(),
        version: current.as_ref().map(|v| v.version),
        counts: RunCounts {
            rows_read: staged.rows_read,
            rows_valid: staged.valid_rows,
            rows_quarantined: staged.quarantine.height() as u64,
            ..RunCounts::default()
        },
        quarantine_reasons: reason_counts(&staged.quarantine),
        input_sha256: staged.info.sha256.clone(),
        input_bytes: staged.info.bytes,
        ..RunReport::unchanged(spec, None)
    };
    crate::memory::release_free();
    let (duplicates, plan, withdrawn, staged, prev) = plan_changes(spec, staged, prev).await?;
    let t_changes = t0.elapsed();
    report.counts.duplicates_collapsed = duplicates.height() as u64;
    report.counts.inserted = plan.inserted as u64;
    report.counts.updated = plan.updated as u64;
    report.counts.deleted = plan.deleted as u64;
    report.counts.kept_previous = plan.kept as u64;
    report.counts.withdrawn = withdrawn as u64;
    report.counts.rows = plan.snapshot_rows as u64;
    let timings = |t_publish: Option<Duration>| {
        let mut t = serde_json::json!({
            "extract_transform_ms": t_stage.as_millis(),
            "changes_ms": (t_changes - t_stage).as_millis(),
        });
        if let Some(p) = t_publish {
            t["publish_ms"] = serde_json::json!((p - t_changes).as_millis());
        }
        t
    };
    let same_input = current.as_ref().is_some_and(|v| v.input_sha256 == staged.info.sha256);
    let tripped = if same_input { Vec::new() } else { gates_of(spec, current.as_ref(), &report.counts, &staged.nulls) };
    report.approves = opts.approval.as_ref().filter(|a| a.input_sha256 == staged.info.sha256).map(|a| a.run_id.clone());
    if opts.dry_run {
        report.dry_run = true;
        report.status = match (tripped.is_empty(), plan.is_empty()) {
            (false, _) => RunStatus::Held,
            (true, true) => RunStatus::Unchanged,
            (true, false) => RunStatus::Published,
        };
        if report.status == RunStatus::Published {
            report.version = Some(current.as_ref().map(|v| v.version).unwrap_or(0) + 1);
        }
        report.gates = tripped;
        return Ok((report, timings(None)));
    }
    if !tripped.is_empty() {
        if let Some(held) = &report.approves {
            tracing::info!(%held, "gates tripped and waived: a steward approved this input");
        } else {
            for t in &tripped {
                tracing::warn!(gate = %t.gate, "{}", t.message);
            }
            report.run_quarantine = keep_quarantine(objects, spec, id, staged.quarantine).await?;
            report.status = RunStatus::Held;
            report.gates = tripped;
            return Ok((report, timings(None)));
        }
    }
    if plan.is_empty() {
        // The same input as the current version's: that version holds these rows already.
        if !same_input {
            report.run_quarantine = keep_quarantine(objects, spec, id, staged.quarantine).await?;
        }
        return Ok((report, timings(None)));
    }
    let version = current.as_ref().map(|v| v.version).unwrap_or(0) + 1;
    let mut manifest = manifest_of(spec, id, version, current.as_ref(), input, &staged.info, report.counts);
    manifest.audit_checkpoint = Some(crate::audit::signed_head(store).await?);
    let tx = publish_tx(spec, &manifest);
    let sources = version::Sources {
        spill: staged.spill,
        schema: staged.schema,
        prev,
        plan,
        quarantine: staged.quarantine,
        duplicates,
    };
    let manifest_path = version::write(store, objects, spec, &tx, &mut manifest, sources).await?;
    let file = |n: &str| manifest.files.get(n).map(|f| f.path.clone());
    report.status = RunStatus::Published;
    report.version = Some(version);
    report.snapshot = file("snapshot");
    report.changes = file("changes");
    report.quarantine = file("quarantine");
    report.manifest = Some(manifest_path);
    Ok((report, timings(Some(t0.elapsed()))))
}

/// Extracts and transforms `input` on worker threads while the previous snapshot is fetched
/// (mostly I/O, and small next to the extract).
async fn stage_input(
    store: &Store,
    objects: &Objects,
    spec: &PipelineSpec,
    input: &Input,
    current: Option<&VersionRow>,
    progress: bool,
) -> Result<(Staged, Option<Previous>)> {
    let catalogs = crate::pipeline::lookups::catalogs_of(store, spec).await?;
    let bar = crate::progress::rows_bar(progress, &spec.id);
    let (spec2, input2, bar2) = (spec.clone(), input.clone(), bar.clone());
    let staging = async {
        tokio::task::spawn_blocking(move || {
            let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
            stage::extract_transform(&spec2, &input2, &catalogs, workers, &|rows, done, total| {
                crate::progress::rows_read(&bar2, rows, done, total)
            })
        })
        .await
        .map_err(|e| Error::Task("transform", e))?
    };
    let previous = async {
        match current {
            Some(v) => previous(objects, v, spec).await.map(Some),
            None => Ok(None),
        }
    };
    let staged = tokio::try_join!(staging, previous)?;
    bar.finish_and_clear();
    Ok(staged)
}

/// What the change plan gives: the collapsed duplicates, the plan, the keys withdrawn
/// (quarantined, deleted), and the staged rows and previous snapshot it was made from.
type Planned = (DataFrame, Plan, usize, Staged, Option<Previous>);

/// Collapses exact duplicates, then plans the changes against the previous snapshot: by one
/// merge of the spilled runs in bounded memory, or in memory when they cannot be merged.
async fn plan_changes(spec: &PipelineSpec, staged: Staged, prev: Option<Previous>) -> Result<Planned> {
    let spec = spec.clone();
    tokio::task::spawn_blocking(move || -> Result<_> {
        let inputs = survive::Inputs {
            spec: &spec,
            spill: &staged.spill,
            schema: &staged.schema,
            prev: prev.as_deref(),
            held: &staged.held,
            excluded: &staged.excluded,
            valid_rows: staged.valid_rows as usize,
        };
        let (duplicates, plan, withdrawn) = match survive::plan(&inputs)? {
            Some(m) => (m.collapsed, m.plan, m.withdrawn),
            None => {
                tracing::info!("the spilled rows cannot be merged in order: deduplicating in memory");
                survive::in_memory(&inputs)?
            }
        };
        crate::memory::release_free();
        Ok((duplicates, plan, withdrawn, staged, prev))
    })
    .await
    .map_err(|e| Error::Task("change plan", e))?
}

/// The quality gates the would-be version trips (the delete limit among them).
fn gates_of(
    spec: &PipelineSpec,
    current: Option<&VersionRow>,
    counts: &RunCounts,
    nulls: &std::collections::BTreeMap<String, u64>,
) -> Vec<crate::pipeline::gates::Tripped> {
    let null_limits: Vec<(String, f64)> =
        spec.fields.iter().filter_map(|f| Some((f.name.clone(), f.max_null_fraction?))).collect();
    let measured = crate::pipeline::gates::Measured { counts, current_rows: current.map(|v| v.row_count), nulls };
    crate::pipeline::gates::check(&spec.gates, spec.publish.max_delete_fraction, &null_limits, &measured)
}

/// The manifest of version `version` (its files are added as they are written).
fn manifest_of(
    spec: &PipelineSpec,
    run_id: &str,
    version: i64,
    current: Option<&VersionRow>,
    input: &Input,
    info: &crate::pipeline::extract::ExtractInfo,
    counts: RunCounts,
) -> Manifest {
    Manifest {
        dataset: spec.dataset.to_string(),
        version,
        previous_version: current.map(|v| v.version),
        pipeline: spec.id.to_string(),
        owner: spec.owner.to_string(),
        run_id: run_id.to_string(),
        created_at: crate::store::now(),
        extract: if spec.effective_extract() == ExtractMode::Full { "full" } else { "partial" }.into(),
        key: spec.key.clone(),
        input: InputInfo { path: input.name.clone(), sha256: info.sha256.clone(), bytes: info.bytes },
        counts,
        schema: crate::pipeline::contract::schema_of(spec),
        contract_version: spec.contract_version,
        files: Default::default(),
        audit_checkpoint: None,
    }
}

/// What the store transaction of a version records.
fn publish_tx(spec: &PipelineSpec, manifest: &Manifest) -> PublishTx {
    PublishTx {
        dataset: spec.dataset.to_string(),
        pipeline: spec.id.to_string(),
        owner: spec.owner.to_string(),
        title: spec.title.clone(),
        description: spec.description.clone(),
        key_fields: serde_json::Value::from(spec.key.clone()).to_string(),
        schema_json: serde_json::to_value(&manifest.schema).map(|v| v.to_string()).unwrap_or_else(|_| "[]".into()),
        version: manifest.version,
        run_id: manifest.run_id.clone(),
        input_sha256: manifest.input.sha256.clone(),
        counts: manifest.counts,
        prefix: crate::versions::version_prefix(&spec.dataset, manifest.version),
        record_fields: spec.field_names(),
    }
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
    let bytes = crate::parquet_io::to_bytes(&mut quarantine, &spec.publish.parquet())?;
    crate::objects::put(objects, &path, bytes).await?;
    Ok(Some(path))
}

/// Copies the snapshot of the current version to a temporary file (removed when dropped).
async fn previous(objects: &Objects, v: &VersionRow, spec: &PipelineSpec) -> Result<Previous> {
    let unreadable =
        |message: String| Error::Previous { dataset: spec.dataset.to_string(), version: v.version, message };
    let local = crate::scratch::file("previous", ".parquet")
        .map_err(|e| unreadable(format!("{e} (the temporary folder is TMPDIR)")))?
        .into_temp_path();
    crate::objects::get_file(objects, &format!("{}/snapshot.parquet", v.prefix), &local)
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(local)
}
