//! Aggregates for the operation reports, over a time range `[from, to)` of RFC 3339 text.

use super::{Result, Store};
use serde::Serialize;

/// What one dataset's pipeline did in a period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Provided {
    pub owner: String,
    pub dataset: String,
    pub runs: i64,
    pub failed_runs: i64,
    pub versions: i64,
    pub rows_read: i64,
    pub rows_quarantined: i64,
    pub duplicates_collapsed: i64,
    /// Rows of the last version published in the period (0 when none was).
    #[sqlx(default)]
    pub rows: i64,
    /// Keys inserted, updated and deleted by the versions published in the period.
    #[sqlx(default)]
    pub inserted: i64,
    #[sqlx(default)]
    pub updated: i64,
    #[sqlx(default)]
    pub deleted: i64,
    /// Runs held by a quality gate (since approved, rejected, or still waiting).
    #[sqlx(default)]
    pub held_runs: i64,
    /// Keys whose new rows were all quarantined, kept at their previous version or withdrawn,
    /// summed over the runs of the period that finished (published or unchanged).
    #[sqlx(default)]
    pub kept_previous: i64,
    #[sqlx(default)]
    pub withdrawn: i64,
}

/// The versions of one dataset published in a period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Published {
    pub dataset: String,
    pub rows: i64,
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
}

/// Pulls of one dataset by one consumer agency in a period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Consumed {
    pub consumer: String,
    pub dataset: String,
    pub calls: i64,
    pub rows: i64,
    pub bytes: i64,
}

/// API calls of one agency's clients in a period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Calls {
    pub agency: String,
    pub calls: i64,
    pub errors: i64,
}

/// One finished run, for freshness and downtime.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub(crate) struct RunSpan {
    pub owner: String,
    pub dataset: String,
    #[sqlx(try_from = "super::TsText")]
    pub started_at: String,
    #[sqlx(try_from = "super::OptTs")]
    pub finished_at: Option<String>,
    pub status: String,
    pub schedule: Option<String>,
    pub rows_read: Option<i64>,
    #[sqlx(try_from = "super::OptDoc")]
    pub quarantine_reasons: Option<String>,
}

/// Requests refused for want of a grant, per agency and dataset: demand for data not yet shared.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Denied {
    pub agency: String,
    pub dataset: String,
    pub requests: i64,
}

impl Store {
    /// Finished runs that started in the period, in order per dataset, and the last run of each
    /// dataset before it (what state the period began in).
    pub(crate) async fn report_runs(&self, from: &str, to: &str) -> Result<(Vec<RunSpan>, Vec<RunSpan>)> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        const COLS: &str = "d.owner AS owner, r.dataset AS dataset, r.started_at AS started_at, r.finished_at AS finished_at, \
             r.status AS status, r.schedule AS schedule, r.rows_read AS rows_read, r.quarantine_reasons AS quarantine_reasons";
        let within = format!(
            "SELECT {COLS} FROM runs r JOIN datasets d ON d.name = r.dataset \
             WHERE r.started_at >= $1 AND r.started_at < $2 AND r.status <> 'running' ORDER BY r.dataset, r.started_at, r.id"
        );
        let before = format!(
            "SELECT {COLS} FROM runs r JOIN datasets d ON d.name = r.dataset WHERE r.status <> 'running' AND r.started_at = \
             (SELECT MAX(p.started_at) FROM runs p WHERE p.dataset = r.dataset AND p.started_at < $1 AND p.status <> 'running') \
             ORDER BY r.dataset, r.id"
        );
        let within = super::on_db!(self, |pool| sqlx::query_as(&within).bind(from).bind(to).fetch_all(pool).await)?;
        let before = super::on_db!(self, |pool| sqlx::query_as(&before).bind(from).fetch_all(pool).await)?;
        Ok((within, before))
    }

    /// Data requests answered 403 (no grant), per calling agency and dataset.
    pub(crate) async fn report_denied(&self, from: &str, to: &str) -> Result<Vec<Denied>> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT agency, dataset, COUNT(*) AS requests FROM audit_log \
             WHERE kind = 'request' AND status = 403 AND agency <> '' AND dataset <> '' AND at >= $1 AND at < $2 \
             GROUP BY agency, dataset ORDER BY agency, dataset",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?)
    }

    /// The time of the latest thing the store knows happened (a run or an audit entry).
    pub(crate) async fn latest_event(&self) -> Result<Option<String>> {
        let runs: (super::OptTs,) =
            super::on_db!(self, |pool| sqlx::query_as("SELECT MAX(COALESCE(finished_at, started_at)) FROM runs")
                .fetch_one(pool)
                .await)?;
        let audit: (super::OptTs,) =
            super::on_db!(self, |pool| sqlx::query_as("SELECT MAX(at) FROM audit_log").fetch_one(pool).await)?;
        Ok(runs.0 .0.max(audit.0 .0))
    }

    /// Runs and versions per dataset, with its owner.
    pub(crate) async fn report_provided(&self, from: &str, to: &str) -> Result<Vec<Provided>> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT d.owner AS owner, r.dataset AS dataset, COUNT(*) AS runs, \
             CAST(SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed_runs, \
             CAST(SUM(CASE WHEN r.status = 'published' THEN 1 ELSE 0 END) AS BIGINT) AS versions, \
             CAST(SUM(CASE WHEN r.status IN ('held', 'approved', 'rejected') THEN 1 ELSE 0 END) AS BIGINT) AS held_runs, \
             CAST(COALESCE(SUM(CASE WHEN r.status IN ('published', 'unchanged') THEN r.kept_previous ELSE 0 END), 0) AS BIGINT) AS kept_previous, \
             CAST(COALESCE(SUM(CASE WHEN r.status IN ('published', 'unchanged') THEN r.withdrawn ELSE 0 END), 0) AS BIGINT) AS withdrawn, \
             CAST(COALESCE(SUM(r.rows_read), 0) AS BIGINT) AS rows_read, \
             CAST(COALESCE(SUM(r.rows_quarantined), 0) AS BIGINT) AS rows_quarantined, \
             CAST(COALESCE(SUM(r.duplicates_collapsed), 0) AS BIGINT) AS duplicates_collapsed \
             FROM runs r JOIN datasets d ON d.name = r.dataset \
             WHERE r.started_at >= $1 AND r.started_at < $2 GROUP BY d.owner, r.dataset ORDER BY d.owner, r.dataset",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Per dataset, the versions published in the period: the last one's rows and the keys
    /// inserted, updated and deleted.
    pub(crate) async fn report_published(&self, from: &str, to: &str) -> Result<Vec<Published>> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT v.dataset AS dataset, \
             CAST(COALESCE((SELECT x.row_count FROM versions x WHERE x.dataset = v.dataset AND x.created_at >= $1 AND x.created_at < $2 \
                 ORDER BY x.version DESC LIMIT 1), 0) AS BIGINT) AS rows, \
             CAST(SUM(v.inserted) AS BIGINT) AS inserted, CAST(SUM(v.updated) AS BIGINT) AS updated, CAST(SUM(v.deleted) AS BIGINT) AS deleted \
             FROM versions v WHERE v.created_at >= $1 AND v.created_at < $2 GROUP BY v.dataset ORDER BY v.dataset",
        )
        .bind(from).bind(to).fetch_all(pool).await
        })?)
    }

    /// Successful data pulls (snapshots, changes, record lookups) per consumer agency and
    /// dataset, from the audit log: calls are requests; rows and bytes are what was actually
    /// sent (a download's `delivery` entry; rows only for a whole body, never for a range).
    pub(crate) async fn report_consumed(&self, from: &str, to: &str) -> Result<Vec<Consumed>> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT agency AS consumer, dataset, CAST(SUM(CASE WHEN kind = 'request' THEN 1 ELSE 0 END) AS BIGINT) AS calls, \
             CAST(COALESCE(SUM(rows_out), 0) AS BIGINT) AS rows, CAST(COALESCE(SUM(bytes_out), 0) AS BIGINT) AS bytes FROM audit_log \
             WHERE kind IN ('request', 'delivery') AND dataset <> '' AND status >= 200 AND status < 300 AND at >= $1 AND at < $2 \
             AND (action LIKE '%/snapshot' OR action LIKE '%/changes' OR action LIKE '%/records/%') GROUP BY agency, dataset ORDER BY agency, dataset",
        )
        .bind(from).bind(to).fetch_all(pool).await
        })?)
    }

    /// API calls and errors per calling agency (`-` for calls without a valid token).
    pub(crate) async fn report_calls(&self, from: &str, to: &str) -> Result<Vec<Calls>> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT CASE WHEN agency = '' THEN '-' ELSE agency END AS agency, COUNT(*) AS calls, \
             CAST(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS BIGINT) AS errors FROM audit_log \
             WHERE kind = 'request' AND at >= $1 AND at < $2 GROUP BY CASE WHEN agency = '' THEN '-' ELSE agency END ORDER BY 1",
        )
        .bind(from).bind(to).fetch_all(pool).await
        })?)
    }

    /// Grants added in the period per agency of the client, and grants whose last day falls in it.
    pub(crate) async fn report_grants(&self, from: &str, to: &str) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>)> {
        let (day_from, day_to) = (from.get(..10).unwrap_or(from), to.get(..10).unwrap_or(to));
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        let added = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT c.agency, COUNT(*) FROM grants g JOIN clients c ON c.id = g.client_id \
             WHERE g.created_at >= $1 AND g.created_at < $2 GROUP BY c.agency ORDER BY c.agency",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?;
        let expired = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT c.agency, COUNT(*) FROM grants g JOIN clients c ON c.id = g.client_id \
             WHERE g.until IS NOT NULL AND g.until >= $1 AND g.until < $2 GROUP BY c.agency ORDER BY c.agency",
        )
        .bind(day_from)
        .bind(day_to)
        .fetch_all(pool)
        .await)?;
        Ok((added, expired))
    }

    /// The audit entries of the period: (first seq, last seq, hash of the last), if any.
    pub(crate) async fn audit_range(&self, from: &str, to: &str) -> Result<Option<(i64, i64, String)>> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        let row: Option<(i64, i64)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT MIN(seq), MAX(seq) FROM audit_log WHERE at >= $1 AND at < $2 HAVING COUNT(*) > 0"
        )
        .bind(from)
        .bind(to)
        .fetch_optional(pool)
        .await)?;
        let Some((first, last)) = row else { return Ok(None) };
        let (hash,): (String,) =
            super::on_db!(self, |pool| sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(last)
                .fetch_one(pool)
                .await)?;
        Ok(Some((first, last, hash)))
    }
}
