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
    pub probability: f64,
    /// The version of `<entity>_xref` since which the record belongs to this master entity.
    pub since: String,
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
    pub created_at: String,
    /// JSON explanation of the score.
    pub detail: String,
}

impl Store {
    /// The cross-reference of an entity type.
    pub async fn xrefs(&self, entity: &str) -> Result<Vec<XrefRow>> {
        Ok(sqlx::query_as("SELECT source, source_key, master_id, previous_master_id, probability, since FROM entity_xref WHERE entity = $1 ORDER BY master_id, source, source_key")
            .bind(entity).fetch_all(self.pool()).await?)
    }

    /// Replaces the cross-reference of an entity type (one transaction).
    pub(crate) async fn replace_xrefs(&self, entity: &str, rows: &[XrefRow]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM entity_xref WHERE entity = $1").bind(entity).execute(&mut *tx).await?;
        for r in rows {
            sqlx::query("INSERT INTO entity_xref (entity, source, source_key, master_id, previous_master_id, probability, since) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(entity).bind(&r.source).bind(&r.source_key).bind(&r.master_id).bind(&r.previous_master_id).bind(r.probability).bind(&r.since)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Steward decisions of an entity type: (a, b, `accept` | `reject`).
    pub(crate) async fn match_decisions(&self, entity: &str) -> Result<Vec<(String, String, String)>> {
        Ok(sqlx::query_as("SELECT a, b, decision FROM match_decisions WHERE entity = $1")
            .bind(entity)
            .fetch_all(self.pool())
            .await?)
    }

    /// Records a decision on the pair (a, b), a < b.
    pub async fn decide(&self, entity: &str, a: &str, b: &str, decision: &str, by: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO match_decisions (entity, a, b, decision, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (entity, a, b) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        )
        .bind(entity).bind(a).bind(b).bind(decision).bind(by).bind(super::now())
        .execute(self.pool()).await?;
        sqlx::query("UPDATE review_queue SET status = $1 WHERE entity = $2 AND a = $3 AND b = $4")
            .bind(if decision == "accept" { "accepted" } else { "rejected" })
            .bind(entity)
            .bind(a)
            .bind(b)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Queues a pair for review unless it is queued or decided already.
    pub(crate) async fn queue_review(&self, r: &ReviewRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO review_queue (id, entity, a, b, probability, status, created_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (entity, a, b) DO UPDATE SET probability = excluded.probability, detail = excluded.detail",
        )
        .bind(&r.id).bind(&r.entity).bind(&r.a).bind(&r.b).bind(r.probability).bind(&r.status).bind(&r.created_at).bind(&r.detail)
        .execute(self.pool()).await?;
        Ok(())
    }

    /// Review items, pending only unless `all`.
    pub async fn reviews(&self, entity: Option<&str>, all: bool) -> Result<Vec<ReviewRow>> {
        Ok(sqlx::query_as(
            "SELECT id, entity, a, b, probability, status, created_at, detail FROM review_queue \
             WHERE ($1 = '' OR entity = $2) AND ($3 = 1 OR status = 'pending') ORDER BY probability DESC, id",
        )
        .bind(entity.unwrap_or(""))
        .bind(entity.unwrap_or(""))
        .bind(i64::from(all))
        .fetch_all(self.pool())
        .await?)
    }

    /// One review item.
    pub async fn review(&self, id: &str) -> Result<Option<ReviewRow>> {
        Ok(sqlx::query_as(
            "SELECT id, entity, a, b, probability, status, created_at, detail FROM review_queue WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }
}
