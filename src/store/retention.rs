//! Retention in the store: quarantine files due for removal, record history no kept version
//! holds, audit entries whose personal details are due for redaction, and the log of what
//! retention removed.

use super::{AuditRow, Result, Store};

/// What one retention pass removed of one kind, for `lgsp status` and the reports.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct RetentionRow {
    #[sqlx(try_from = "super::TsText")]
    pub at: String,
    pub dataset: String,
    /// `versions`, `records`, `quarantine` or `audit`.
    pub kind: String,
    pub removed: i64,
    pub detail: String,
}

impl Store {
    /// Quarantine files older than `before` not yet removed: those of versions other than the
    /// current one, and those runs that published nothing kept under `runs/`. Marked removed
    /// here; the caller deletes the files.
    pub(crate) async fn take_quarantine_files(&self, dataset: &str, before: &str) -> Result<Vec<String>> {
        let now = super::Ts::now();
        let before = super::ts(before)?;
        let (versions, runs) = super::on_db!(self, |pool| {
            async {
            let mut tx = pool.begin().await?;
            let versions: Vec<(String,)> = sqlx::query_as(
                "SELECT prefix FROM versions WHERE dataset = $1 AND created_at < $2 AND quarantine_pruned_at IS NULL \
                 AND version <> (SELECT current_version FROM datasets WHERE name = $3) ORDER BY version",
            )
            .bind(dataset)
            .bind(before)
            .bind(dataset)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE versions SET quarantine_pruned_at = $1 WHERE dataset = $2 AND created_at < $3 AND quarantine_pruned_at IS NULL \
                 AND version <> (SELECT current_version FROM datasets WHERE name = $4)",
            )
            .bind(now).bind(dataset).bind(before).bind(dataset)
            .execute(&mut *tx)
            .await?;
            let runs: Vec<(String,)> = sqlx::query_as(
                "SELECT id FROM runs WHERE dataset = $1 AND started_at < $2 AND quarantine_pruned_at IS NULL \
                 AND version IS NULL AND rows_quarantined > 0 ORDER BY id",
            )
            .bind(dataset)
            .bind(before)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE runs SET quarantine_pruned_at = $1 WHERE dataset = $2 AND started_at < $3 AND quarantine_pruned_at IS NULL \
                 AND version IS NULL AND rows_quarantined > 0",
            )
            .bind(now).bind(dataset).bind(before)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, super::Error>((versions, runs))
        }.await
        })?;
        let mut paths: Vec<String> = versions.into_iter().map(|(p,)| format!("{p}/quarantine.parquet")).collect();
        paths.extend(runs.into_iter().map(|(id,)| format!("runs/{id}/quarantine.parquet")));
        Ok(paths)
    }

    /// Deletes the record versions that ended at or before version `keep_from` (no version
    /// whose files are kept holds them); returns how many.
    pub(crate) async fn prune_record_history(&self, dataset: &str, keep_from: i64) -> Result<u64> {
        let done = super::on_db!(self, |pool| async {
            let mut tx = pool.begin().await?;
            let done = if self.is_postgres() {
                sqlx::query("DELETE FROM records WHERE dataset = $1 AND valid_to IS NOT NULL AND valid_to <= $2")
                    .bind(dataset)
                    .bind(keep_from)
                    .execute(&mut *tx)
                    .await?
            } else {
                sqlx::query(
                    "DELETE FROM record_data WHERE id IN (SELECT data_id FROM record_versions \
                     WHERE dataset = $1 AND valid_to IS NOT NULL AND valid_to <= $2)",
                )
                .bind(dataset)
                .bind(keep_from)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM record_versions WHERE dataset = $1 AND valid_to IS NOT NULL AND valid_to <= $2",
                )
                .bind(dataset)
                .bind(keep_from)
                .execute(&mut *tx)
                .await?
            };
            tx.commit().await?;
            Ok::<_, super::Error>(done.rows_affected())
        }
        .await)?;
        Ok(done)
    }

    /// Up to `limit` request and delivery entries of `dataset` older than `before` that are not
    /// redacted yet, in log order.
    pub(crate) async fn audit_to_redact(&self, dataset: &str, before: &str, limit: i64) -> Result<Vec<AuditRow>> {
        let q = format!(
            "SELECT {} FROM audit_log WHERE dataset = $1 AND at < $2 AND kind IN ('request', 'delivery') \
             AND detail NOT LIKE '{{\"redacted_at\"%' ORDER BY seq LIMIT $3",
            super::audit::COLUMNS
        );
        let before = super::ts(before)?;
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(dataset).bind(before).bind(limit).fetch_all(pool).await)?)
    }

    /// Writes a redacted entry's new action, peer and detail (its hash and links stay).
    pub(crate) async fn redact_audit(&self, rows: &[AuditRow]) -> Result<()> {
        super::on_db!(self, |pool| async {
            let mut tx = pool.begin().await?;
            for r in rows {
                sqlx::query("UPDATE audit_log SET action = $1, peer = $2, detail = $3 WHERE seq = $4")
                    .bind(&r.action)
                    .bind(&r.peer)
                    .bind(&r.detail)
                    .bind(r.seq)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, super::Error>(())
        }
        .await)?;
        Ok(())
    }

    /// Notes what a retention pass removed.
    pub(crate) async fn log_retention(&self, dataset: &str, kind: &str, removed: i64, detail: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query(
            "INSERT INTO retention_log (at, dataset, kind, removed, detail) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(super::Ts::now())
        .bind(dataset)
        .bind(kind)
        .bind(removed)
        .bind(detail)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// What retention removed between two times (`at` in `[from, to)`), oldest first.
    pub async fn retention_between(&self, from: &str, to: &str) -> Result<Vec<RetentionRow>> {
        let (from, to) = (super::ts(from)?, super::ts(to)?);
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT at, dataset, kind, removed, detail FROM retention_log WHERE at >= $1 AND at < $2 ORDER BY at, dataset, kind",
        )
        .bind(from).bind(to)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Totals retention removed per dataset and kind, ever: (dataset, kind, removed, last at).
    pub async fn retention_totals(&self) -> Result<Vec<(String, String, i64, String)>> {
        let rows: Vec<(String, String, i64, super::TsText)> = super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT dataset, kind, CAST(SUM(removed) AS BIGINT), MAX(at) FROM retention_log GROUP BY dataset, kind ORDER BY dataset, kind",
        )
        .fetch_all(pool)
        .await
        })?;
        Ok(rows.into_iter().map(|(d, k, n, at)| (d, k, n, at.0)).collect())
    }
}
