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

impl Store {
    /// Runs and versions per dataset, with its owner.
    pub async fn report_provided(&self, from: &str, to: &str) -> Result<Vec<Provided>> {
        Ok(sqlx::query_as(
            "SELECT d.owner AS owner, r.dataset AS dataset, COUNT(*) AS runs, \
             CAST(SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed_runs, \
             CAST(SUM(CASE WHEN r.status = 'published' THEN 1 ELSE 0 END) AS BIGINT) AS versions, \
             CAST(COALESCE(SUM(r.rows_read), 0) AS BIGINT) AS rows_read, \
             CAST(COALESCE(SUM(r.rows_quarantined), 0) AS BIGINT) AS rows_quarantined, \
             CAST(COALESCE(SUM(r.duplicates_collapsed), 0) AS BIGINT) AS duplicates_collapsed \
             FROM runs r JOIN datasets d ON d.name = r.dataset \
             WHERE r.started_at >= $1 AND r.started_at < $2 GROUP BY d.owner, r.dataset ORDER BY d.owner, r.dataset",
        )
        .bind(from).bind(to).fetch_all(self.pool()).await?)
    }

    /// Successful data pulls per consumer agency and dataset, from the audit log.
    pub async fn report_consumed(&self, from: &str, to: &str) -> Result<Vec<Consumed>> {
        Ok(sqlx::query_as(
            "SELECT agency AS consumer, dataset, COUNT(*) AS calls, CAST(COALESCE(SUM(rows_out), 0) AS BIGINT) AS rows, \
             CAST(COALESCE(SUM(bytes_out), 0) AS BIGINT) AS bytes FROM audit_log \
             WHERE kind = 'request' AND dataset <> '' AND status >= 200 AND status < 300 AND at >= $1 AND at < $2 \
             GROUP BY agency, dataset ORDER BY agency, dataset",
        )
        .bind(from).bind(to).fetch_all(self.pool()).await?)
    }

    /// API calls and errors per calling agency (`-` for calls without a valid token).
    pub async fn report_calls(&self, from: &str, to: &str) -> Result<Vec<Calls>> {
        Ok(sqlx::query_as(
            "SELECT CASE WHEN agency = '' THEN '-' ELSE agency END AS agency, COUNT(*) AS calls, \
             CAST(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS BIGINT) AS errors FROM audit_log \
             WHERE kind = 'request' AND at >= $1 AND at < $2 GROUP BY CASE WHEN agency = '' THEN '-' ELSE agency END ORDER BY 1",
        )
        .bind(from).bind(to).fetch_all(self.pool()).await?)
    }

    /// Grants added in the period per agency of the client, and grants whose last day falls in it.
    pub async fn report_grants(&self, from: &str, to: &str) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>)> {
        let added = sqlx::query_as(
            "SELECT c.agency, COUNT(*) FROM grants g JOIN clients c ON c.id = g.client_id \
             WHERE g.created_at >= $1 AND g.created_at < $2 GROUP BY c.agency ORDER BY c.agency",
        )
        .bind(from).bind(to).fetch_all(self.pool()).await?;
        let expired = sqlx::query_as(
            "SELECT c.agency, COUNT(*) FROM grants g JOIN clients c ON c.id = g.client_id \
             WHERE g.until IS NOT NULL AND g.until >= $1 AND g.until < $2 GROUP BY c.agency ORDER BY c.agency",
        )
        .bind(&from[..10]).bind(&to[..10]).fetch_all(self.pool()).await?;
        Ok((added, expired))
    }

    /// The audit entries of the period: (first seq, last seq, hash of the last), if any.
    pub async fn audit_range(&self, from: &str, to: &str) -> Result<Option<(i64, i64, String)>> {
        let row: Option<(i64, i64)> = sqlx::query_as("SELECT MIN(seq), MAX(seq) FROM audit_log WHERE at >= $1 AND at < $2 HAVING COUNT(*) > 0")
            .bind(from).bind(to).fetch_optional(self.pool()).await?;
        let Some((first, last)) = row else { return Ok(None) };
        let (hash,): (String,) = sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1").bind(last).fetch_one(self.pool()).await?;
        Ok(Some((first, last, hash)))
    }
}
