//! The scheduler (in `lgsp serve` and alone as `lgsp scheduler`): runs each pipeline on its
//! cron (Vietnam time, UTC+7) with tokio-cron-scheduler. Several instances may share one store:
//! each fire time is claimed once in the store, and a lease that its holder keeps renewing
//! (and that expires if the holder dies) keeps two runs of one pipeline from overlapping.

use crate::objects::Objects;
use crate::pipeline::spec::{Missed, PipelineSpec};
use crate::pipeline::RunOptions;
use crate::store::Store;
use chrono::{DateTime, FixedOffset, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio_cron_scheduler::{Job, JobScheduler};

/// Errors of the scheduler.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A cron expression is not valid.
    #[error("pipeline '{pipeline}': schedule '{schedule}' is not a cron expression with seconds (sec min hour day month weekday)")]
    Cron { pipeline: String, schedule: String },
    /// The scheduler could not start.
    #[error("scheduler: {0}")]
    Start(String),
}

/// Vietnam time, in which schedules are read.
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

fn parse(schedule: &str) -> Option<croner::Cron> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(schedule)
        .ok()
}

/// Checks a cron expression as the scheduler reads it.
pub fn valid(schedule: &str) -> bool {
    parse(schedule).is_some()
}

/// The fire time a tick at `now` belongs to: the first occurrence after `now` − 1 s (ticks come
/// a few milliseconds late), so every instance names a tick alike.
fn slot_of(cron: &croner::Cron, now: DateTime<Utc>) -> String {
    let local = (now - chrono::Duration::milliseconds(1000)).with_timezone(&vietnam());
    cron.find_next_occurrence(&local, false)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The last fire time at or before `now`.
fn previous(cron: &croner::Cron, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&vietnam());
    cron.find_previous_occurrence(&local, true).ok().map(|t| t.with_timezone(&Utc))
}

/// The fire times of `schedule` in `[from, to)`, at most `cap` of them (none for a schedule
/// that does not parse).
pub fn fire_times(schedule: &str, from: DateTime<Utc>, to: DateTime<Utc>, cap: usize) -> Vec<DateTime<Utc>> {
    let Some(cron) = parse(schedule) else { return Vec::new() };
    let mut out = Vec::new();
    let mut at = from.with_timezone(&vietnam());
    let mut inclusive = true;
    while out.len() < cap {
        match cron.find_next_occurrence(&at, inclusive) {
            Ok(t) if t.with_timezone(&Utc) < to => {
                out.push(t.with_timezone(&Utc));
                at = t;
                inclusive = false;
            }
            _ => break,
        }
    }
    out
}

/// What every job of one scheduler shares.
pub struct Context {
    pub store: Store,
    pub objects: Objects,
    /// This instance, as named in claims and leases.
    pub instance: String,
    /// Lease lifetime; renewed every third of it while a run goes on.
    pub lease: Duration,
    /// Every pipeline (entity resolution reads those of one entity type).
    pub pipelines: Vec<PipelineSpec>,
}

/// A name for this instance: host, process id and a random suffix.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "hub".into());
    format!("{host}-{}-{:04x}", std::process::id(), rand::random::<u16>())
}

/// Runs `job` once for `slot` if this instance claims the slot and gets the lease `lease_name`.
pub async fn run_claimed<F, Fut>(ctx: &Context, job: &str, slot: &str, lease_name: &str, work: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match ctx.store.claim_slot(job, slot, &ctx.instance).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => return tracing::error!(job, error = %e, "could not claim the scheduled slot"),
    }
    match ctx.store.acquire_lease(lease_name, &ctx.instance, ctx.lease).await {
        Ok(true) => {}
        Ok(false) => {
            metrics::counter!("lgsp_schedule_skipped_total", "job" => job.to_string()).increment(1);
            return tracing::warn!(job, slot, "the previous run still holds the lease: this slot is skipped");
        }
        Err(e) => return tracing::error!(job, error = %e, "could not take the lease"),
    }
    let (store, name, me, ttl) = (ctx.store.clone(), lease_name.to_string(), ctx.instance.clone(), ctx.lease);
    let renew = tokio::spawn(async move {
        loop {
            tokio::time::sleep(ttl / 3).await;
            if let Err(e) = store.acquire_lease(&name, &me, ttl).await {
                tracing::warn!(error = %e, "could not renew the lease");
            }
        }
    });
    work().await;
    renew.abort();
    if let Err(e) = ctx.store.release_lease(lease_name, &ctx.instance).await {
        tracing::warn!(error = %e, "could not release the lease");
    }
}

async fn run_pipeline(ctx: &Context, spec: &PipelineSpec, slot: &str) {
    let job = format!("run:{}", spec.id);
    run_claimed(ctx, &job, slot, &job, || async {
        tracing::info!(pipeline = %spec.id, slot, "scheduled run");
        let opts = RunOptions { trigger: Some("schedule".into()), ..Default::default() };
        match crate::pipeline::run(&ctx.store, &ctx.objects, spec, opts).await {
            Ok(report) => {
                if let Err(e) =
                    crate::entity::resolve_after(&ctx.store, &ctx.objects, &ctx.pipelines, spec, &report, "schedule")
                        .await
                {
                    tracing::warn!(pipeline = %spec.id, error = %e, "entity resolution failed");
                }
            }
            Err(e) => tracing::warn!(pipeline = %spec.id, error = %e, "scheduled run failed"),
        }
    })
    .await;
}

/// What an extra job does each time it fires.
pub type JobWork =
    Arc<dyn Fn(Arc<Context>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync>;

/// A job besides pipelines (the scheduled backup).
pub struct ExtraJob {
    pub name: String,
    pub schedule: String,
    pub work: JobWork,
}

/// Starts the jobs of every scheduled pipeline (and `extra`); returns the running scheduler.
pub async fn start(ctx: Context, specs: Vec<PipelineSpec>, extra: Vec<ExtraJob>) -> Result<JobScheduler, Error> {
    let ctx = Arc::new(ctx);
    let sched = JobScheduler::new().await.map_err(|e| Error::Start(e.to_string()))?;
    for spec in specs {
        let Some(schedule) = spec.schedule.clone() else { continue };
        let cron =
            parse(&schedule).ok_or_else(|| Error::Cron { pipeline: spec.id.clone(), schedule: schedule.clone() })?;
        if spec.missed == Missed::RunOnce {
            catch_up(&ctx, &spec, &cron).await;
        }
        let (ctx2, spec, cron2) = (ctx.clone(), Arc::new(spec), Arc::new(cron));
        let job = Job::new_async_tz(schedule.as_str(), vietnam(), move |_, _| {
            let (ctx, spec, cron) = (ctx2.clone(), spec.clone(), cron2.clone());
            Box::pin(async move { run_pipeline(&ctx, &spec, &slot_of(&cron, Utc::now())).await })
        })
        .map_err(|e| Error::Start(e.to_string()))?;
        sched.add(job).await.map_err(|e| Error::Start(e.to_string()))?;
    }
    for x in extra {
        let cron = Arc::new(
            parse(&x.schedule).ok_or_else(|| Error::Cron { pipeline: x.name.clone(), schedule: x.schedule.clone() })?,
        );
        let (ctx2, name, work) = (ctx.clone(), x.name.clone(), x.work.clone());
        let job = Job::new_async_tz(x.schedule.as_str(), vietnam(), move |_, _| {
            let (ctx, name, work, cron) = (ctx2.clone(), name.clone(), work.clone(), cron.clone());
            Box::pin(async move {
                let slot = slot_of(&cron, Utc::now());
                let inner = ctx.clone();
                run_claimed(&ctx, &name, &slot, &name, || work(inner)).await
            })
        })
        .map_err(|e| Error::Start(e.to_string()))?;
        sched.add(job).await.map_err(|e| Error::Start(e.to_string()))?;
    }
    sched.start().await.map_err(|e| Error::Start(e.to_string()))?;
    Ok(sched)
}

/// `missed = "run_once"`: when the last fire time before now has no run, run once now.
async fn catch_up(ctx: &Arc<Context>, spec: &PipelineSpec, cron: &croner::Cron) {
    let Some(due) = previous(cron, Utc::now()) else { return };
    let last = ctx
        .store
        .list_runs(Some(&spec.id), false, 1)
        .await
        .ok()
        .and_then(|r| r.into_iter().next())
        .map(|r| r.started_at);
    let due_text = due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if last.as_deref().is_some_and(|l| l >= due_text.as_str()) {
        return;
    }
    tracing::info!(pipeline = %spec.id, due = %due_text, "a scheduled run was missed: running it now");
    let (ctx, spec) = (ctx.clone(), spec.clone());
    tokio::spawn(async move { run_pipeline(&ctx, &spec, &due_text).await });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_ticks_name_the_fire_time_they_belong_to() {
        let cron = parse("*/5 * * * * *").unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(slot_of(&cron, at("2026-11-27T10:00:05.020Z")), "2026-11-27T10:00:05Z");
        assert_eq!(slot_of(&cron, at("2026-11-27T10:00:05.900Z")), "2026-11-27T10:00:05Z");
        let daily = parse("0 0 2 * * *").unwrap();
        assert_eq!(
            slot_of(&daily, at("2026-11-26T19:00:00.050Z")),
            "2026-11-26T19:00:00Z",
            "02:00 in Vietnam is 19:00 UTC"
        );
        assert_eq!(previous(&daily, at("2026-11-27T08:00:00Z")), Some(at("2026-11-26T19:00:00Z")));
        assert!(!valid("every day") && valid("0 30 1 * * *"));
    }
}
