//! The audit log in the store: rows appended with a hash chain.

use super::{Result, Store};
use serde::Serialize;

/// One audit entry.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    #[sqlx(try_from = "super::TsText")]
    pub at: String,
    /// `request`, `admin` or `run`.
    pub kind: String,
    /// Client id, `cli` or pipeline id.
    pub actor: String,
    pub agency: String,
    /// Route or command.
    pub action: String,
    pub dataset: String,
    pub version: Option<i64>,
    pub rows_out: i64,
    pub bytes_out: i64,
    pub status: i64,
    pub duration_ms: i64,
    pub request_id: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
    /// The address (ip:port) a request came from; empty for commands and runs.
    pub peer: String,
}

pub(super) const COLUMNS: &str = "seq, at, kind, actor, agency, action, dataset, version, rows_out, bytes_out, status, duration_ms, request_id, detail, prev_hash, hash, peer";

impl Store {
    /// The last entry of the log.
    pub(crate) async fn last_audit(&self) -> Result<Option<AuditRow>> {
        let q = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1");
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).fetch_optional(pool).await)?)
    }

    /// Appends an entry whose `seq`, `prev_hash` and `hash` the caller computed; fails when
    /// another writer took that `seq` first.
    pub(crate) async fn insert_audit(&self, r: &AuditRow) -> Result<()> {
        self.insert_audit_batch(std::slice::from_ref(r)).await
    }

    /// Appends several chained entries in one statement (all or none).
    pub(crate) async fn insert_audit_batch(&self, rows: &[AuditRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let q = format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES {}",
            super::values_placeholders(self.backend(), rows.len(), 17, 0)
        );
        let mut at = Vec::with_capacity(rows.len());
        for r in rows {
            // The chain hashes the text: it must read back exactly as written.
            let t = super::ts(&r.at)?;
            if t.text() != r.at {
                return Err(super::Error::Timestamp(r.at.clone()));
            }
            at.push(t);
        }
        super::on_db!(self, |pool| {
            let mut query = sqlx::query(&q);
            for (r, at) in rows.iter().zip(&at) {
                query = query
                    .bind(r.seq)
                    .bind(at)
                    .bind(&r.kind)
                    .bind(&r.actor)
                    .bind(&r.agency)
                    .bind(&r.action)
                    .bind(&r.dataset)
                    .bind(r.version)
                    .bind(r.rows_out)
                    .bind(r.bytes_out)
                    .bind(r.status)
                    .bind(r.duration_ms)
                    .bind(&r.request_id)
                    .bind(&r.detail)
                    .bind(&r.prev_hash)
                    .bind(&r.hash)
                    .bind(&r.peer);
            }
            query.execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Object-store folders of every dataset's current version (their manifests carry audit
    /// checkpoints).
    pub(crate) async fn current_version_prefixes(&self) -> Result<Vec<String>> {
        let q = "SELECT v.prefix FROM versions v JOIN datasets d ON d.name = v.dataset AND v.version = d.current_version ORDER BY v.dataset";
        let rows: Vec<(String,)> = super::on_db!(self, |pool| sqlx::query_as(q).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(|(p,)| p).collect())
    }

    /// The newest entries (at most `limit`, newest first) by actor, dataset and status (empty:
    /// any), at `from` or later and before `to` (RFC 3339 or dates; empty: unbounded).
    pub async fn search_audit(
        &self,
        actor: &str,
        dataset: &str,
        status: Option<i64>,
        from: &str,
        to: &str,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE ($1 = '' OR actor = $2) AND ($3 = '' OR dataset = $4) \
             AND ($5 < 0 OR status = $6) AND ($7 IS NULL OR at >= $8) AND ($9 IS NULL OR at < $10) ORDER BY seq DESC LIMIT $11"
        );
        let status = status.unwrap_or(-1);
        let (from, to) = (super::opt_ts(Some(from))?, super::opt_ts(Some(to))?);
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q)
            .bind(actor)
            .bind(actor)
            .bind(dataset)
            .bind(dataset)
            .bind(status)
            .bind(status)
            .bind(from)
            .bind(from)
            .bind(to)
            .bind(to)
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    /// Entries in order, from `after` (exclusive), at most `limit`.
    pub async fn audit_page(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>> {
        let q = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(after).bind(limit).fetch_all(pool).await)?)
    }

    /// Each caller's use of the API since `since`: (actor, calls, calls refused or failed, rows
    /// and bytes sent, last call), from the request and delivery entries.
    pub async fn usage_by_actor(&self, since: &str) -> Result<Vec<Usage>> {
        let since = super::ts(since)?;
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT actor, CAST(SUM(CASE WHEN kind = 'request' THEN 1 ELSE 0 END) AS BIGINT) AS calls, \
             CAST(SUM(CASE WHEN kind = 'request' AND status >= 400 THEN 1 ELSE 0 END) AS BIGINT) AS errors, \
             CAST(COALESCE(SUM(CASE WHEN status < 300 THEN rows_out ELSE 0 END), 0) AS BIGINT) AS rows, \
             CAST(COALESCE(SUM(CASE WHEN status < 300 THEN bytes_out ELSE 0 END), 0) AS BIGINT) AS bytes, MAX(at) AS last \
             FROM audit_log WHERE kind IN ('request', 'delivery') AND actor <> '' AND at >= $1 GROUP BY actor ORDER BY actor",
        )
        .bind(since)
        .fetch_all(pool)
        .await
        })?)
    }
}

/// A caller's use of the API (see [`Store::usage_by_actor`]).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Usage {
    pub actor: String,
    pub calls: i64,
    pub errors: i64,
    pub rows: i64,
    pub bytes: i64,
    #[sqlx(try_from = "super::OptTs")]
    pub last: Option<String>,
}
