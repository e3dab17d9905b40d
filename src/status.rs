//! Where each dataset stands: its current version, its last run, whether it is fresh against
//! its schedule, and what waits for a steward (`lgsp status`, and the console's overview).

use crate::outcome::RunStatus;
use crate::pipeline::PipelineSpec;
use crate::store::{RunRow, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Whether a dataset is as fresh as its schedule says.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// A run that succeeded (published or found nothing new) started at or after the last fire time.
    OnTime,
    /// The last fire time has no successful run, and the last run did not fail.
    Late,
    /// The last run since the last fire time failed or was interrupted.
    Failed,
    /// The last run tripped a quality gate and waits for a steward.
    Held,
    /// No schedule: runs only when asked.
    Unscheduled,
    /// Scheduled, never run.
    NeverRun,
}

/// The last run of a pipeline, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct LastRun {
    pub id: String,
    pub status: String,
    pub started_at: String,
    pub error: Option<String>,
}

/// One dataset (pipeline) and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetStatus {
    pub pipeline: String,
    pub dataset: String,
    pub owner: String,
    /// The current version, its time and its records.
    pub version: Option<i64>,
    pub version_at: Option<String>,
    pub records: Option<i64>,
    pub freshness: Freshness,
    pub last_run: Option<LastRun>,
    /// The schedule (cron, Vietnam time), the last fire time and the next.
    pub schedule: Option<String>,
    pub last_fire: Option<String>,
    pub next_fire: Option<String>,
    /// Runs held by a quality gate, waiting for `lgsp run approve` or `reject`.
    pub held_runs: usize,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The freshness of a pipeline with `schedule`'s last fire time `due`, from its recent runs
/// (newest first).
fn freshness(due: Option<DateTime<Utc>>, scheduled: bool, runs: &[RunRow]) -> Freshness {
    let ok = |r: &RunRow| {
        [RunStatus::Published, RunStatus::Unchanged, RunStatus::Approved].iter().any(|s| s.as_str() == r.status)
    };
    match runs.first() {
        Some(r) if r.status == RunStatus::Held.as_str() => return Freshness::Held,
        None if scheduled => return Freshness::NeverRun,
        _ => {}
    }
    if !scheduled {
        return Freshness::Unscheduled;
    }
    let Some(due) = due else { return Freshness::OnTime };
    let since: Vec<&RunRow> = runs.iter().filter(|r| crate::cron::covers(&r.started_at, due)).collect();
    if since.iter().any(|r| ok(r)) {
        Freshness::OnTime
    } else if since.first().is_some_and(|r| r.status == "failed" || r.status == "interrupted") {
        Freshness::Failed
    } else {
        Freshness::Late
    }
}

/// Where each of `specs` stands at `now`.
pub async fn of(store: &Store, specs: &[PipelineSpec], now: DateTime<Utc>) -> crate::store::Result<Vec<DatasetStatus>> {
    let mut out = Vec::new();
    for spec in specs {
        let current = store.current_version(&spec.dataset).await?;
        let runs = store.list_runs(Some(&spec.id), None, 20).await?;
        let held = store.list_runs(Some(&spec.id), Some(RunStatus::Held), 1000).await?.len();
        let due = spec.schedule.as_ref().and_then(|s| s.previous(now));
        let next = spec.schedule.as_ref().and_then(|s| s.next(now));
        out.push(DatasetStatus {
            pipeline: spec.id.to_string(),
            dataset: spec.dataset.to_string(),
            owner: spec.owner().to_string(),
            version: current.as_ref().map(|v| v.version),
            version_at: current.as_ref().map(|v| v.created_at.clone()),
            records: current.as_ref().map(|v| v.row_count),
            freshness: freshness(due, spec.schedule.is_some(), &runs),
            last_run: runs.first().map(|r| LastRun {
                id: r.id.clone(),
                status: r.status.clone(),
                started_at: r.started_at.clone(),
                error: r.error.clone(),
            }),
            schedule: spec.schedule.as_ref().map(|s| s.as_str().to_string()),
            last_fire: due.map(rfc3339),
            next_fire: next.map(rfc3339),
            held_runs: held,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: &str, started: &str) -> RunRow {
        RunRow {
            id: "r".into(),
            pipeline: "p".into(),
            dataset: "d".into(),
            trigger_kind: "schedule".into(),
            started_at: started.into(),
            finished_at: None,
            status: status.into(),
            input_path: String::new(),
            input_sha256: None,
            rows_read: None,
            rows_valid: None,
            rows_quarantined: None,
            duplicates_collapsed: None,
            inserted: None,
            updated: None,
            deleted: None,
            version: None,
            error: None,
            gates: None,
            decided_by: None,
            encoding: None,
        }
    }

    #[test]
    fn freshness_follows_the_runs_since_the_last_fire_time() {
        let due = DateTime::parse_from_rfc3339("2026-12-06T02:00:00Z").unwrap().with_timezone(&Utc);
        let f = |runs: &[RunRow]| freshness(Some(due), true, runs);
        assert_eq!(f(&[run("published", "2026-12-06T02:00:00.050Z")]), Freshness::OnTime, "a run in its fire second");
        assert_eq!(f(&[run("published", "2026-12-05T02:00:00Z")]), Freshness::Late);
        assert_eq!(
            f(&[run("failed", "2026-12-06T02:00:01Z"), run("published", "2026-12-05T02:00:00Z")]),
            Freshness::Failed
        );
        assert_eq!(f(&[run("held", "2026-12-06T02:00:01Z")]), Freshness::Held);
        assert_eq!(f(&[]), Freshness::NeverRun);
        assert_eq!(freshness(None, false, &[run("published", "2026-12-05T02:00:00Z")]), Freshness::Unscheduled);
    }
}
