//! One run of a pipeline, end to end, recorded in the run history whatever its outcome.

mod execute;
mod report;

pub use report::{Approval, RunOptions, RunReport, RUN_LEASE};

use super::spec::PipelineSpec;
use super::{Error, Result};
use crate::objects::Objects;
use crate::outcome::RunStatus;
use crate::store::{RunEnd, RunStart, Store};
use execute::execute;

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
        .unwrap_or_else(|| spec.id.to_string());
    let columns = super::stage::needed_columns(spec);
    let source = match &opts.input {
        Some(path) => spec.source.for_file(path, opts.format),
        None => spec.source.clone(),
    };
    let pull = crate::source::Pull {
        pipeline: &spec.id,
        source: &source,
        retry: &spec.retry,
        columns: &columns,
        force: opts.force,
    };
    let fetched = match crate::source::fetch(store, pull, opts.input.as_deref()).await {
        Ok(mut f) => {
            if let Some(enc) = opts.encoding {
                // Converted inputs (Excel, JSON, SQL) are UTF-8 written by the hub.
                for input in f.inputs.iter_mut().filter(|i| !i.numbered && !spec.source.is_sql()) {
                    input.encoding = enc;
                }
            }
            f
        }
        Err(e) if opts.dry_run => return Err(Error::Source(e)),
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
        if opts.dry_run {
            return Ok(RunReport { dry_run: true, ..RunReport::unchanged(spec, current) });
        }
        return tracked(store, objects, spec, &opts, &source_name, |_| async {
            Ok((RunReport::unchanged(spec, current), serde_json::json!({ "nothing_new": why })))
        })
        .await;
    }
    if opts.dry_run {
        let input = fetched.inputs.last().ok_or(Error::NoInput)?;
        let (mut report, _) = execute(store, objects, spec, "dry-run".into(), input, &opts).await?;
        report.run_id = String::new();
        return Ok(report);
    }
    let mut last = None;
    for input in &fetched.inputs {
        let report =
            tracked(store, objects, spec, &opts, &input.name, |id| execute(store, objects, spec, id, input, &opts))
                .await?;
        if report.held() {
            // The source state is not saved: the held input is pulled again on approval, and
            // later inputs wait behind it.
            last = Some(report);
            break;
        }
        // The run's version is committed: failing to note what was read only makes the next run
        // read it again (and find it unchanged).
        let mut state = input.state.clone();
        if !state.is_empty() {
            state.push((crate::source::SPEC_DIGEST, spec.source.digest()));
        }
        settle("save the source state", || store.save_source_state(&spec.id, &state)).await;
        last = Some(report);
    }
    last.ok_or(Error::NoInput)
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
    let lease = opts.lease.unwrap_or(RUN_LEASE);
    // Runs of this pipeline whose process died are marked, and dead runs' files removed.
    for dead in store.mark_interrupted(Some(&spec.id), lease).await? {
        tracing::warn!(run = %dead, "marked interrupted: its process stopped before it finished");
    }
    let sweep = tokio::task::spawn_blocking(crate::scratch::sweep);
    let id = run_id(&spec.id);
    let start = RunStart {
        id: id.clone(),
        pipeline: spec.id.to_string(),
        dataset: spec.dataset.to_string(),
        trigger: opts.trigger.clone().unwrap_or_else(|| "manual".into()),
        input_path: input.to_string(),
        schedule: spec.schedule.as_ref().map(|s| s.as_str().to_string()),
        encoding: opts.encoding.map(|e| e.name().to_string()),
    };
    store.start_run(&start).await?;
    if sweep.await.is_err() {
        tracing::warn!("the sweep of dead runs' temporary files stopped");
    }
    let alive = heartbeat(store.clone(), id.clone(), lease);
    let outcome = work(id.clone()).await;
    alive.abort();
    match outcome {
        Ok((mut report, timings)) => {
            report.run_id = id.clone();
            let end = RunEnd {
                status: report.status,
                input_sha256: Some(report.input_sha256.clone()).filter(|s| !s.is_empty()),
                input_bytes: Some(i64::try_from(report.input_bytes).unwrap_or(i64::MAX)),
                counts: Some(report.counts),
                version: if report.published() { report.version } else { None },
                timings: Some(timings.to_string()),
                error: None,
                gates: (!report.gates.is_empty()).then(|| serde_json::to_string(&report.gates).unwrap_or_default()),
                quarantine_reasons: Some(serde_json::Value::from_iter(report.quarantine_reasons.clone()).to_string()),
            };
            // The version (if any) is committed: the run is not failed if its row cannot be
            // finished at once (another writer holding SQLite's lock), only retried.
            settle("record the finished run", || store.finish_run(&id, &end)).await;
            audit_run(store, spec, &id, &end).await;
            tracing::info!(status = %report.status, version = ?report.version, "run finished");
            let current = match report.version.filter(|_| report.published()) {
                Some(v) => Some(v),
                None => store.current_version(&spec.dataset).await.ok().flatten().map(|v| v.version),
            };
            match super::retention::apply(store, objects, spec, current).await {
                Ok(removed) => tracing::debug!(?removed, "retention applied"),
                Err(e) => {
                    tracing::warn!(error = %e, "retention could not remove what is due; the next run tries again")
                }
            }
            Ok(report)
        }
        Err(e) => {
            let end = RunEnd { status: RunStatus::Failed, error: Some(e.to_string()), ..RunEnd::default() };
            if let Err(e2) = store.finish_run(&id, &end).await {
                tracing::error!(error = %e2, "could not record the failed run");
            }
            audit_run(store, spec, &id, &end).await;
            // A manual run's caller prints the error; a scheduled run's log is where it shows.
            if start.trigger == "manual" {
                tracing::info!(error = %e, "run failed");
            } else {
                tracing::warn!(error = %e, "run failed");
            }
            Err(e)
        }
    }
}

/// Notes that run `id` is alive three times per `lease` until aborted.
fn heartbeat(store: Store, id: String, lease: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = (lease / 3).max(std::time::Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = store.heartbeat(&id).await {
                tracing::warn!(error = %e, "could not note that the run is alive");
            }
        }
    })
}

/// Appends the run to the audit log (a failure to do so is logged, not fatal to the run).
async fn audit_run(store: &Store, spec: &PipelineSpec, run_id: &str, end: &RunEnd) {
    metrics::counter!("lgsp_pipeline_runs_total", "pipeline" => spec.id.to_string(), "status" => end.status.as_str())
        .increment(1);
    let row = crate::store::AuditRow {
        kind: "run".into(),
        actor: spec.id.to_string(),
        agency: spec.owner.to_string(),
        action: "run".into(),
        dataset: spec.dataset.to_string(),
        version: end.version,
        rows_out: end.counts.map_or(0, |c| i64::try_from(c.rows_valid).unwrap_or(i64::MAX)),
        status: if end.status == RunStatus::Failed { 1 } else { 0 },
        request_id: run_id.into(),
        detail: serde_json::json!({ "status": end.status, "error": end.error, "gates": end.gates }).to_string(),
        ..Default::default()
    };
    if let Err(e) = crate::audit::append(store, row).await {
        tracing::error!(error = %e, "could not append the run to the audit log");
    }
}
