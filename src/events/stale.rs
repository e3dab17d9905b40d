//! `dataset.stale` events: a scheduled dataset whose last fire time passed more than a grace
//! period ago without a successful run (late, failed, or never run). One event per version that
//! went stale (its id carries the version's time), so a dataset that stays stale is not
//! announced again at every fire time.

use super::{cloud_event, Result};
use crate::pipeline::PipelineSpec;
use crate::status::Freshness;
use crate::store::Store;
use serde_json::json;

/// Records the stale events of `specs` at `now`; returns how many were new or already there.
pub async fn record(
    store: &Store,
    specs: &[PipelineSpec],
    now: chrono::DateTime<chrono::Utc>,
    grace: chrono::Duration,
) -> Result<usize> {
    let today = crate::catalog::today();
    let mut n = 0;
    for s in crate::status::of(store, specs, now).await? {
        if !matches!(s.freshness, Freshness::Late | Freshness::Failed | Freshness::NeverRun) {
            continue;
        }
        let Some(due) = s.last_fire.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
            continue;
        };
        if now - due.with_timezone(&chrono::Utc) < grace {
            continue;
        }
        let since = s.version_at.clone().unwrap_or_else(|| "never".into());
        let id = format!("stale:{}:{since}", s.dataset);
        let data = json!({
            "dataset": s.dataset, "pipeline": s.pipeline, "freshness": s.freshness, "missed_fire_time": s.last_fire,
            "version": s.version, "version_at": s.version_at, "last_run": s.last_run,
        });
        let at = crate::store::now();
        let body = cloud_event(&id, "vn.gov.lgsp.dataset.stale", &s.dataset, "freshness", &at, data);
        let subs: Vec<String> = store.subscribers_of(&s.dataset, &today).await?.into_iter().map(|s| s.id).collect();
        store.add_event(&id, "vn.gov.lgsp.dataset.stale", &s.dataset, &body, &subs).await?;
        n += 1;
    }
    Ok(n)
}
