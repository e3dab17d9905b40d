//! Master entities in the store: cross-references, steward decisions, the review queue.

use super::{Result, Store};
use serde::Serialize;

/// Where a source record belongs.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct XrefRow {
    pub source: String,
    pub source_key: String,
    pub master_id: String,
    pub previous_master_id: Option<String>,
    /// The first master id the record had (stores made before it: unknown).
    pub first_master_id: Option<String>,
    pub probability: f64,
    /// The version of `<entity>_xref` since which the record belongs to this master entity.
    pub since: String,
}

/// A steward's decision on a pair of records.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DecisionRow {
    pub a: String,
    pub b: String,
    /// `accept` or `reject`.
    pub decision: String,
    /// Who decided (`cli`, a user, or `unmerge:<master id>` / `detach:<record>`).
    pub decided_by: String,
    #[sqlx(try_from = "super::TsText")]
    pub decided_at: String,
}

/// A pair waiting for (or given) a steward's decision.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: String,
    pub entity: String,
    pub a: String,
    pub b: String,
    pub probability: f64,
    pub status: String,
    #[sqlx(try_from = "super::TsText")]
    pub created_at: String,
    /// JSON explanation of the score.
    pub detail: String,
}

impl Store {
    /// The cross-reference of an entity type.
    pub async fn xrefs(&self, entity: &str) -> Result<Vec<XrefRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as("SELECT source, source_key, master_id, previous_master_id, first_master_id, probability, since FROM entity_xref WHERE entity = $1 ORDER BY master_id, source, source_key")
            .bind(entity).fetch_all(pool).await
        })?)
    }

    /// Replaces the cross-reference of an entity type (one transaction).
    pub(crate) async fn replace_xrefs(&self, entity: &str, rows: &[XrefRow]) -> Result<()> {
        super::on_db!(self, |pool| {
            async {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM entity_xref WHERE entity = $1").bind(entity).execute(&mut *tx).await?;
            for r in rows {
                sqlx::query("INSERT INTO entity_xref (entity, source, source_key, master_id, previous_master_id, first_master_id, probability, since) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(entity).bind(&r.source).bind(&r.source_key).bind(&r.master_id).bind(&r.previous_master_id).bind(&r.first_master_id).bind(r.probability).bind(&r.since)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, super::Error>(())
        }.await
        })?;
        Ok(())
    }

    /// A record gives up its claim on its master ids (it was detached): its first id is set
    /// empty, so the records it leaves keep their id and it gets a new one.
    pub(crate) async fn give_up_master_id(&self, entity: &str, source: &str, key: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query(
            "UPDATE entity_xref SET first_master_id = '' WHERE entity = $1 AND source = $2 AND source_key = $3",
        )
        .bind(entity)
        .bind(source)
        .bind(key)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// Steward decisions of an entity type: (a, b, `accept` | `reject`).
    pub(crate) async fn match_decisions(&self, entity: &str) -> Result<Vec<(String, String, String)>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as("SELECT a, b, decision FROM match_decisions WHERE entity = $1")
            .bind(entity)
            .fetch_all(pool)
            .await)?)
    }

    /// Every decision of an entity type, oldest first.
    pub async fn decisions(&self, entity: &str) -> Result<Vec<DecisionRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT a, b, decision, decided_by, decided_at FROM match_decisions WHERE entity = $1 ORDER BY decided_at, a, b",
        )
        .bind(entity)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Withdraws the decision on the pair (a, b), a < b: the model decides it again at the next
    /// resolution. Whether there was one.
    pub async fn undo_decision(&self, entity: &str, a: &str, b: &str) -> Result<bool> {
        let done = super::on_db!(self, |pool| sqlx::query(
            "DELETE FROM match_decisions WHERE entity = $1 AND a = $2 AND b = $3"
        )
        .bind(entity)
        .bind(a)
        .bind(b)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        super::on_db!(self, |pool| sqlx::query(
            "UPDATE review_queue SET status = 'pending' WHERE entity = $1 AND a = $2 AND b = $3"
        )
        .bind(entity)
        .bind(a)
        .bind(b)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(done > 0)
    }

    /// Marks `expired` the pending items of `entity` that the latest resolution did not queue
    /// (their pair now scores outside the review band, or a record left); how many.
    pub(crate) async fn expire_reviews(
        &self,
        entity: &str,
        queued: &std::collections::HashSet<String>,
    ) -> Result<usize> {
        let pending: Vec<(String,)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT id FROM review_queue WHERE entity = $1 AND status = 'pending'"
        )
        .bind(entity)
        .fetch_all(pool)
        .await)?;
        let mut n = 0;
        for (id,) in pending.into_iter().filter(|(id,)| !queued.contains(id)) {
            super::on_db!(self, |pool| sqlx::query("UPDATE review_queue SET status = 'expired' WHERE id = $1")
                .bind(&id)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()))?;
            n += 1;
        }
        Ok(n)
    }

    /// Records a decision on the pair (a, b), a < b.
    pub async fn decide(&self, entity: &str, a: &str, b: &str, decision: &str, by: &str) -> Result<()> {
        super::on_db!(self, |pool| {
            sqlx::query(
            "INSERT INTO match_decisions (entity, a, b, decision, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (entity, a, b) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        )
        .bind(entity).bind(a).bind(b).bind(decision).bind(by).bind(super::Ts::now())
        .execute(pool).await.map(|d| d.rows_affected())
        })?;
        super::on_db!(self, |pool| sqlx::query(
            "UPDATE review_queue SET status = $1 WHERE entity = $2 AND a = $3 AND b = $4"
        )
        .bind(if decision == "accept" { "accepted" } else { "rejected" })
        .bind(entity)
        .bind(a)
        .bind(b)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// Queues a pair for review, or re-scores it when it is queued already (an expired item
    /// waits again).
    pub(crate) async fn queue_review(&self, r: &ReviewRow) -> Result<()> {
        super::on_db!(self, |pool| {
            sqlx::query(
            "INSERT INTO review_queue (id, entity, a, b, probability, status, created_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (entity, a, b) DO UPDATE SET probability = excluded.probability, detail = excluded.detail, \
             status = CASE WHEN review_queue.status = 'expired' THEN 'pending' ELSE review_queue.status END",
        )
        .bind(&r.id).bind(&r.entity).bind(&r.a).bind(&r.b).bind(r.probability).bind(&r.status).bind(super::ts(&r.created_at)?).bind(&r.detail)
        .execute(pool).await.map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// Review items, pending only unless `all`.
    pub async fn reviews(&self, entity: Option<&str>, all: bool) -> Result<Vec<ReviewRow>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT id, entity, a, b, probability, status, created_at, detail FROM review_queue \
             WHERE ($1 = '' OR entity = $2) AND ($3 = 1 OR status = 'pending') ORDER BY probability DESC, id",
        )
        .bind(entity.unwrap_or(""))
        .bind(entity.unwrap_or(""))
        .bind(i64::from(all))
        .fetch_all(pool)
        .await)?)
    }

    /// One review item.
    pub async fn review(&self, id: &str) -> Result<Option<ReviewRow>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT id, entity, a, b, probability, status, created_at, detail FROM review_queue WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?)
    }
}
