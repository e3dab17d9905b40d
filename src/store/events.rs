//! Change events in the store: subscriptions, the outbox, and deliveries with their attempts.

use super::{Result, Store};
use serde::Serialize;

/// A webhook subscription of a client.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: String,
    pub client_id: String,
    pub url: String,
    #[sqlx(try_from = "super::TsText")]
    pub created_at: String,
    #[sqlx(try_from = "super::OptTs")]
    pub revoked_at: Option<String>,
}

/// One event's delivery to one subscription.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DeliveryRow {
    pub event_id: String,
    pub subscription_id: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    #[sqlx(try_from = "super::TsText")]
    pub next_at: String,
    pub last_error: Option<String>,
    #[sqlx(try_from = "super::OptTs")]
    pub delivered_at: Option<String>,
}

/// A delivery that is due, with its event's body, the subscription's URL, and its client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Due {
    #[sqlx(flatten)]
    pub(crate) delivery: DeliveryRow,
    pub(crate) body: String,
    pub(crate) url: String,
    pub(crate) client_id: String,
    pub(crate) agency: String,
}

/// A published version that has no event yet: (dataset, version, created_at, rows, inserted,
/// updated, deleted).
pub(crate) type UneventedVersion = (String, i64, String, i64, i64, i64, i64);

impl Store {
    /// Adds a subscription.
    pub(crate) async fn add_subscription(&self, id: &str, client_id: &str, url: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query(
            "INSERT INTO event_subscriptions (id, client_id, url, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(id)
        .bind(client_id)
        .bind(url)
        .bind(super::Ts::now())
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// Active subscriptions of clients holding an active grant on `dataset` today.
    pub(crate) async fn subscribers_of(&self, dataset: &str, today: &str) -> Result<Vec<SubscriptionRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT s.id, s.client_id, s.url, s.created_at, s.revoked_at FROM event_subscriptions s \
             JOIN clients c ON c.id = s.client_id \
             WHERE s.revoked_at IS NULL AND c.revoked_at IS NULL AND EXISTS (SELECT 1 FROM grants g \
             WHERE g.client_id = s.client_id AND g.dataset = $1 AND g.revoked_at IS NULL AND (g.until IS NULL OR g.until >= $2)) \
             ORDER BY s.id",
        )
        .bind(dataset)
        .bind(today)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Registers the sink `name` (a broker) from now on, once; returns since when it takes events.
    pub(crate) async fn event_sink(&self, name: &str) -> Result<String> {
        super::on_db!(self, |pool| sqlx::query(
            "INSERT INTO event_sinks (name, since) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
        )
        .bind(name)
        .bind(super::Ts::now())
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        let (since,): (super::TsText,) =
            super::on_db!(self, |pool| sqlx::query_as("SELECT since FROM event_sinks WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await)?;
        Ok(since.0)
    }

    /// Events recorded since `since` not yet on the broker, oldest first: (id, dataset, body).
    pub(crate) async fn unbrokered_events(&self, since: &str, limit: i64) -> Result<Vec<(String, String, String)>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT id, dataset, body FROM events WHERE brokered_at IS NULL AND at >= $1 ORDER BY at, id LIMIT $2",
        )
        .bind(super::ts(since)?)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
    }

    /// Notes that the broker took event `id`.
    pub(crate) async fn mark_brokered(&self, id: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query("UPDATE events SET brokered_at = $1 WHERE id = $2")
            .bind(super::Ts::now())
            .bind(id)
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// Versions published since the first subscription or sink that have no event yet, oldest first.
    pub(crate) async fn unevented_versions(&self, limit: i64) -> Result<Vec<UneventedVersion>> {
        let rows: Vec<(String, i64, super::TsText, i64, i64, i64, i64)> = super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT v.dataset, v.version, v.created_at, v.row_count, v.inserted, v.updated, v.deleted FROM versions v \
             WHERE v.created_at >= (SELECT MIN(t) FROM (SELECT created_at AS t FROM event_subscriptions UNION ALL SELECT since FROM event_sinks) x) \
             AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = 'version:' || v.dataset || ':' || CAST(v.version AS TEXT)) \
             ORDER BY v.created_at, v.dataset, v.version LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await
        })?;
        Ok(rows.into_iter().map(|(d, v, at, n, i, u, x)| (d, v, at.0, n, i, u, x)).collect())
    }

    /// Failed runs since the first subscription that have no event yet: (run id, dataset,
    /// pipeline, finished at, error).
    pub(crate) async fn unevented_failures(&self, limit: i64) -> Result<Vec<(String, String, String, String, String)>> {
        let rows: Vec<(String, String, String, super::TsText, String)> = super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT r.id, r.dataset, r.pipeline, COALESCE(r.finished_at, r.started_at), COALESCE(r.error, '') FROM runs r \
             WHERE r.status = 'failed' AND r.started_at >= (SELECT MIN(t) FROM (SELECT created_at AS t FROM event_subscriptions UNION ALL SELECT since FROM event_sinks) x) \
             AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = 'run-failed:' || r.id) ORDER BY r.started_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await
        })?;
        Ok(rows.into_iter().map(|(id, d, p, at, e)| (id, d, p, at.0, e)).collect())
    }

    /// Records an event and a pending delivery to each of `subscriptions`, once: an event id
    /// already recorded is left as it is.
    pub(crate) async fn add_event(
        &self,
        id: &str,
        kind: &str,
        dataset: &str,
        body: &str,
        subscriptions: &[String],
    ) -> Result<()> {
        let now = super::Ts::now();
        super::on_db!(self, |pool| {
            async {
            let mut tx = pool.begin().await?;
            let added = sqlx::query(
                "INSERT INTO events (id, type, dataset, at, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(kind)
            .bind(dataset)
            .bind(now)
            .bind(body)
            .execute(&mut *tx)
            .await?;
            if added.rows_affected() == 1 {
                for s in subscriptions {
                    sqlx::query(
                        "INSERT INTO event_deliveries (event_id, subscription_id, status, attempts, next_at) VALUES ($1, $2, 'pending', 0, $3)",
                    )
                    .bind(id)
                    .bind(s)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok::<_, super::Error>(())
        }.await
        })?;
        Ok(())
    }

    /// Claims up to `limit` pending deliveries due at `now` for `lease_until` (another instance
    /// skips them meanwhile); returns them with what sending needs.
    pub(crate) async fn claim_due(&self, now: &str, lease_until: &str, limit: i64) -> Result<Vec<Due>> {
        let (now, lease_until) = (super::ts(now)?, super::ts(lease_until)?);
        let due: Vec<Due> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT d.event_id, d.subscription_id, d.status, d.attempts, d.next_at, d.last_error, d.delivered_at, \
             e.body, s.url, s.client_id, c.agency FROM event_deliveries d \
             JOIN events e ON e.id = d.event_id JOIN event_subscriptions s ON s.id = d.subscription_id \
             JOIN clients c ON c.id = s.client_id \
             WHERE d.status = 'pending' AND d.next_at <= $1 ORDER BY d.next_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        let mut claimed = Vec::new();
        for d in due {
            let took = super::on_db!(self, |pool| {
                sqlx::query(
                "UPDATE event_deliveries SET next_at = $1 WHERE event_id = $2 AND subscription_id = $3 AND status = 'pending' AND next_at = $4",
            )
            .bind(lease_until)
            .bind(&d.delivery.event_id)
            .bind(&d.delivery.subscription_id)
            .bind(super::ts(&d.delivery.next_at)?)
            .execute(pool)
            .await.map(|d| d.rows_affected())
            })?;
            if took == 1 {
                claimed.push(d);
            }
        }
        Ok(claimed)
    }

    /// Notes an attempt: delivered, retried at `next_at`, or dead.
    pub(crate) async fn note_attempt(
        &self,
        d: &DeliveryRow,
        status: &str,
        next_at: &str,
        error: Option<&str>,
    ) -> Result<()> {
        let delivered = (status == "delivered").then(super::Ts::now);
        let next_at = super::ts(next_at)?;
        super::on_db!(self, |pool| {
            sqlx::query(
            "UPDATE event_deliveries SET status = $1, attempts = attempts + 1, next_at = $2, last_error = $3, delivered_at = $4 \
             WHERE event_id = $5 AND subscription_id = $6",
        )
        .bind(status)
        .bind(next_at)
        .bind(error)
        .bind(delivered)
        .bind(&d.event_id)
        .bind(&d.subscription_id)
        .execute(pool)
        .await.map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// Deliveries, newest events first, `status` only when given.
    pub async fn deliveries(&self, status: Option<&str>, limit: i64) -> Result<Vec<DeliveryRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT event_id, subscription_id, status, attempts, next_at, last_error, delivered_at FROM event_deliveries \
             WHERE ($1 = '' OR status = $1) ORDER BY next_at DESC LIMIT $2",
        )
        .bind(status.unwrap_or(""))
        .bind(limit)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Makes a dead (or any) delivery of `event_id` pending again now; how many.
    pub async fn replay_event(&self, event_id: &str) -> Result<u64> {
        let done = super::on_db!(self, |pool| {
            sqlx::query(
            "UPDATE event_deliveries SET status = 'pending', attempts = 0, next_at = $1, last_error = NULL WHERE event_id = $2 AND status <> 'pending'",
        )
        .bind(super::Ts::now())
        .bind(event_id)
        .execute(pool)
        .await.map(|d| d.rows_affected())
        })?;
        Ok(done)
    }
}
