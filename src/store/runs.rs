//! Run history: one row per pipeline run, written when it starts and completed when it ends.

use super::{Result, Store};
use crate::outcome::{RunCounts, RunStatus};
use serde::Serialize;

/// What is known when a run starts.
#[derive(Debug, Clone)]
pub(crate) struct RunStart {
    /// Run identifier.
    pub id: String,
    /// Pipeline identifier.
    pub pipeline: String,
    /// Dataset name.
    pub dataset: String,
    /// `manual`, `schedule` or `retry`.
    pub trigger: String,
    /// Input location.
    pub input_path: String,
    /// The pipeline's schedule (cron) when the run started, if it has one.
    pub schedule: Option<String>,
    /// The encoding the input was read in instead of the pipeline's (`--encoding`).
    pub encoding: Option<String>,
}

/// What is known when a run ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunEnd {
    /// `published`, `unchanged` or `failed`.
    pub status: RunStatus,
    /// sha256 of the input.
    pub input_sha256: Option<String>,
    /// Input size in bytes.
    pub input_bytes: Option<i64>,
    /// The run's counts (none for a run that failed before it counted anything).
    pub counts: Option<RunCounts>,
    /// Version published, if any.
    pub version: Option<i64>,
    /// Stage timings as JSON (`{"extract_transform_ms": …}`).
    pub timings: Option<String>,
    /// Error message of a failed run.
    pub error: Option<String>,
    /// Rows quarantined per reason (`rule:field`), as a JSON object.
    pub quarantine_reasons: Option<String>,
    /// The quality gates a held run tripped, as a JSON array.
    pub gates: Option<String>,
}

/// A run as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RunRow {
    pub id: String,
    pub pipeline: String,
    pub dataset: String,
    pub trigger_kind: String,
    #[sqlx(try_from = "super::TsText")]
    pub started_at: String,
    #[sqlx(try_from = "super::OptTs")]
    pub finished_at: Option<String>,
    pub status: String,
    pub input_path: String,
    pub input_sha256: Option<String>,
    pub rows_read: Option<i64>,
    pub rows_valid: Option<i64>,
    pub rows_quarantined: Option<i64>,
    pub duplicates_collapsed: Option<i64>,
    pub inserted: Option<i64>,
    pub updated: Option<i64>,
    pub deleted: Option<i64>,
    pub version: Option<i64>,
    pub error: Option<String>,
    /// The quality gates a held run tripped (a JSON array).
    #[sqlx(try_from = "super::OptDoc")]
    pub gates: Option<String>,
    /// Who approved or rejected a held run.
    pub decided_by: Option<String>,
    /// The encoding the input was read in instead of the pipeline's (`--encoding`).
    pub encoding: Option<String>,
}

/// One count of a finished run, as stored (SQL integers are signed; counts never reach 2^63).
fn count(e: &RunEnd, pick: impl Fn(&RunCounts) -> u64) -> Option<i64> {
    e.counts.as_ref().map(|c| super::publish_tx::sql_count(pick(c)))
}

impl Store {
    /// Records the start of a run (status `running`).
    pub(crate) async fn start_run(&self, r: &RunStart) -> Result<()> {
        super::on_db!(self, |pool| {
            sqlx::query(
            "INSERT INTO runs (id, pipeline, dataset, trigger_kind, started_at, status, input_path, schedule, encoding) \
             VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8)",
        )
        .bind(&r.id)
        .bind(&r.pipeline)
        .bind(&r.dataset)
        .bind(&r.trigger)
        .bind(super::Ts::now())
        .bind(&r.input_path)
        .bind(&r.schedule)
        .bind(&r.encoding)
        .execute(pool)
        .await.map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// Records the end of a run.
    pub(crate) async fn finish_run(&self, id: &str, e: &RunEnd) -> Result<()> {
        super::on_db!(self, |pool| {
            sqlx::query(
            "UPDATE runs SET finished_at = $1, status = $2, input_sha256 = $3, input_bytes = $4, rows_read = $5, rows_valid = $6, \
             rows_quarantined = $7, duplicates_collapsed = $8, inserted = $9, updated = $10, deleted = $11, version = $12, \
             timings = $13, error = $14, quarantine_reasons = $15, gates = $16, \
             kept_previous = $17, withdrawn = $18 WHERE id = $19",
        )
        .bind(super::Ts::now())
        .bind(e.status.as_str())
        .bind(&e.input_sha256)
        .bind(e.input_bytes)
        .bind(count(e, |c| c.rows_read))
        .bind(count(e, |c| c.rows_valid))
        .bind(count(e, |c| c.rows_quarantined))
        .bind(count(e, |c| c.duplicates_collapsed))
        .bind(count(e, |c| c.inserted))
        .bind(count(e, |c| c.updated))
        .bind(count(e, |c| c.deleted))
        .bind(e.version)
        .bind(super::doc(&e.timings))
        .bind(&e.error)
        .bind(super::doc(&e.quarantine_reasons))
        .bind(super::doc(&e.gates))
        .bind(count(e, |c| c.kept_previous))
        .bind(count(e, |c| c.withdrawn))
        .bind(id)
        .execute(pool)
        .await.map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// Latest runs first, optionally of one pipeline and/or in one status.
    pub async fn list_runs(
        &self,
        pipeline: Option<&str>,
        status: Option<RunStatus>,
        limit: i64,
    ) -> Result<Vec<RunRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT id, pipeline, dataset, trigger_kind, started_at, finished_at, status, input_path, input_sha256, rows_read, \
             rows_valid, rows_quarantined, duplicates_collapsed, inserted, updated, deleted, version, error, gates, decided_by, \
             encoding FROM runs WHERE ($1 = '' OR pipeline = $2) AND ($3 = '' OR status = $4) ORDER BY started_at DESC, id DESC LIMIT $5",
        )
        .bind(pipeline.unwrap_or(""))
        .bind(pipeline.unwrap_or(""))
        .bind(status.map_or("", RunStatus::as_str))
        .bind(status.map_or("", RunStatus::as_str))
        .bind(limit)
        .fetch_all(pool)
        .await
        })?)
    }

    /// A run's stage timings (JSON), if it finished.
    pub async fn run_timings(&self, id: &str) -> Result<Option<String>> {
        let row: Option<(super::OptDoc,)> =
            super::on_db!(self, |pool| sqlx::query_as("SELECT timings FROM runs WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await)?;
        Ok(row.and_then(|(t,)| t.0))
    }

    /// One run by id.
    pub async fn get_run(&self, id: &str) -> Result<Option<RunRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT id, pipeline, dataset, trigger_kind, started_at, finished_at, status, input_path, input_sha256, rows_read, \
             rows_valid, rows_quarantined, duplicates_collapsed, inserted, updated, deleted, version, error, gates, decided_by, \
             encoding FROM runs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        })?)
    }

    /// Records a steward's decision on a held run; false when the run is not held (any more).
    pub async fn decide_run(&self, id: &str, decision: RunStatus, by: &str) -> Result<bool> {
        let done = super::on_db!(self, |pool| sqlx::query(
            "UPDATE runs SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'held'",
        )
        .bind(decision.as_str())
        .bind(by)
        .bind(super::Ts::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }

    /// Notes that run `id` is alive.
    pub(crate) async fn heartbeat(&self, id: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query(
            "UPDATE runs SET heartbeat_at = $1 WHERE id = $2 AND status = 'running'"
        )
        .bind(super::Ts::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// Marks `interrupted` every run (of `pipeline`, or of any) still `running` but not seen
    /// alive for longer than `lease`: its process died. Returns the runs marked.
    pub async fn mark_interrupted(&self, pipeline: Option<&str>, lease: std::time::Duration) -> Result<Vec<String>> {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let cutoff = super::Ts::from(cutoff);
        let stale: Vec<(String, super::TsText)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT id, COALESCE(heartbeat_at, started_at) FROM runs WHERE status = 'running' \
             AND ($1 = '' OR pipeline = $2) AND COALESCE(heartbeat_at, started_at) < $3",
        )
        .bind(pipeline.unwrap_or(""))
        .bind(pipeline.unwrap_or(""))
        .bind(cutoff)
        .fetch_all(pool)
        .await)?;
        let mut marked = Vec::new();
        for (id, seen) in stale {
            let error =
                format!("the process running it stopped (last seen alive at {}); nothing was published", seen.0);
            let done = super::on_db!(self, |pool| {
                sqlx::query(
                "UPDATE runs SET status = 'interrupted', finished_at = $1, error = $2 WHERE id = $3 AND status = 'running'",
            )
            .bind(super::Ts::now())
            .bind(&error)
            .bind(&id)
            .execute(pool)
            .await.map(|d| d.rows_affected())
            })?;
            if done == 1 {
                marked.push(id);
            }
        }
        Ok(marked)
    }
}
