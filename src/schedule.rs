//! The scheduler (in `lgsp serve` and alone as `lgsp scheduler`): runs each pipeline on its
//! cron (Vietnam time, UTC+7) with tokio-cron-scheduler. Several instances may share one store:
//! each fire time is claimed once in the store, and a lease that its holder keeps renewing
//! (and that expires if the holder dies) keeps two runs of one pipeline from overlapping.

use crate::cron::{vietnam, Schedule};
use crate::objects::Objects;
use crate::pipeline::spec::{Missed, PipelineSpec};
use crate::pipeline::RunOptions;
use crate::store::Store;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio_cron_scheduler::{Job, JobScheduler};

/// Errors of the scheduler.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scheduler could not start.
    #[error("scheduler: {0}")]
    Start(#[from] tokio_cron_scheduler::JobSchedulerError),
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
    /// How long a run may go unseen before it counts as interrupted.
    pub run_lease: Duration,
}

/// A name for this instance: host, process id and a random suffix.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "hub".into());
    format!("{host}-{}-{:04x}", std::process::id(), rand::random::<u16>())
}

/// Runs `job` once for `slot` if this instance claims the slot and gets the lease `lease_name`.
pub(crate) async fn run_claimed<F, Fut>(ctx: &Context, job: &str, slot: &str, lease_name: &str, work: F)
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
        let opts = RunOptions { trigger: Some("schedule".into()), lease: Some(ctx.run_lease), ..Default::default() };
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
pub(crate) type JobWork =
    Arc<dyn Fn(Arc<Context>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync>;

/// A job besides pipelines (the scheduled backup).
pub struct ExtraJob {
    pub name: String,
    pub schedule: Schedule,
    pub work: JobWork,
}

/// Starts the jobs of every scheduled pipeline (and `extra`); returns the running scheduler.
pub async fn start(ctx: Context, specs: Vec<PipelineSpec>, extra: Vec<ExtraJob>) -> Result<JobScheduler, Error> {
    let ctx = Arc::new(ctx);
    let sched = JobScheduler::new().await?;
    for spec in specs {
        let Some(schedule) = spec.schedule.clone() else { continue };
        if spec.missed == Missed::RunOnce {
            catch_up(&ctx, &spec, &schedule).await;
        }
        let (ctx2, spec, cron) = (ctx.clone(), Arc::new(spec), Arc::new(schedule.clone()));
        let job = Job::new_async_tz(schedule.as_str(), vietnam(), move |_, _| {
            let (ctx, spec, cron) = (ctx2.clone(), spec.clone(), cron.clone());
            Box::pin(async move { run_pipeline(&ctx, &spec, &cron.slot_of(Utc::now())).await })
        })?;
        sched.add(job).await?;
    }
    for x in extra {
        let cron = Arc::new(x.schedule.clone());
        let (ctx2, name, work) = (ctx.clone(), x.name.clone(), x.work.clone());
        let job = Job::new_async_tz(x.schedule.as_str(), vietnam(), move |_, _| {
            let (ctx, name, work, cron) = (ctx2.clone(), name.clone(), work.clone(), cron.clone());
            Box::pin(async move {
                let slot = cron.slot_of(Utc::now());
                let inner = ctx.clone();
                run_claimed(&ctx, &name, &slot, &name, || work(inner)).await
            })
        })?;
        sched.add(job).await?;
    }
    sched.start().await?;
    Ok(sched)
}

/// `missed = "run_once"`: when the last fire time before now has no run, run once now.
async fn catch_up(ctx: &Arc<Context>, spec: &PipelineSpec, schedule: &Schedule) {
    let Some(due) = schedule.previous(Utc::now()) else { return };
    let last = match ctx.store.list_runs(Some(&spec.id), None, 1).await {
        Ok(runs) => runs.into_iter().next().map(|r| r.started_at),
        // Without the history, running again is safer than missing a run.
        Err(e) => {
            tracing::warn!(pipeline = %spec.id, error = %e, "could not read the run history; catching up");
            None
        }
    };
    let due_text = due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if last.as_deref().is_some_and(|l| crate::cron::covers(l, due)) {
        return;
    }
    tracing::info!(pipeline = %spec.id, due = %due_text, "a scheduled run was missed: running it now");
    let (ctx, spec) = (ctx.clone(), spec.clone());
    tokio::spawn(async move { run_pipeline(&ctx, &spec, &due_text).await });
}
