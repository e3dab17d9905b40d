//! What instances share besides data: where each source stopped, leases that expire when their
//! holder dies, and scheduled slots claimed once.

use super::{Result, Store};
use std::collections::HashMap;

impl Store {
    /// The saved state of a pipeline's source (`file`, `etag`, `last_modified`, `cursor`).
    pub async fn source_state(&self, pipeline: &str) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> =
            super::on_db!(self, |pool| sqlx::query_as("SELECT name, value FROM source_state WHERE pipeline = $1")
                .bind(pipeline)
                .fetch_all(pool)
                .await)?;
        Ok(rows.into_iter().collect())
    }

    /// Forgets the saved source state of a pipeline; returns the entries removed.
    pub async fn reset_source_state(&self, pipeline: &str) -> Result<u64> {
        let done = super::on_db!(self, |pool| sqlx::query("DELETE FROM source_state WHERE pipeline = $1")
            .bind(pipeline)
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(done)
    }

    /// Saves source state entries of a pipeline.
    pub(crate) async fn save_source_state(&self, pipeline: &str, entries: &[(&str, String)]) -> Result<()> {
        for (name, value) in entries {
            super::on_db!(self, |pool| sqlx::query(
                "INSERT INTO source_state (pipeline, name, value, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (pipeline, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(pipeline)
            .bind(*name)
            .bind(value)
            .bind(super::Ts::now())
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        }
        Ok(())
    }

    /// Takes or renews the lease `name` for `holder` until `ttl` from now: true when `holder`
    /// holds it (it was free, expired, or already its own).
    pub(crate) async fn acquire_lease(&self, name: &str, holder: &str, ttl: std::time::Duration) -> Result<bool> {
        let now = super::Ts::now();
        // At most a century (chrono cannot add much longer): from_std then always succeeds.
        let ttl = ttl.min(std::time::Duration::from_secs(100 * 365 * 86_400));
        let until = super::Ts::from(chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default());
        let done = super::on_db!(self, |pool| sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.holder = excluded.holder OR leases.expires_at < $4",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(done == 1)
    }

    /// Gives a lease back (only its holder can).
    pub(crate) async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// Claims the fire time `slot` of `job` for `holder`: true for the one instance that gets it.
    pub(crate) async fn claim_slot(&self, job: &str, slot: &str, holder: &str) -> Result<bool> {
        let done = super::on_db!(self, |pool| {
            sqlx::query("INSERT INTO schedule_slots (job, slot, holder, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job, slot) DO NOTHING")
            .bind(job).bind(slot).bind(holder).bind(super::Ts::now())
            .execute(pool).await.map(|d| d.rows_affected())
        })?;
        Ok(done == 1)
    }
}
