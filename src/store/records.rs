//! Datasets, versions and master records: a version becomes current in one transaction that
//! applies only the changed records and keeps their history.

use super::{Error, Result, Store};
use serde::Serialize;

/// A change to one master record.
#[derive(Debug, Clone)]
pub enum RecordChange {
    /// A new or new-valued record: (key, row hash, data as a JSON object).
    Upsert { key: String, hash: String, data: String },
    /// A record that no longer exists.
    Delete { key: String },
}

/// Everything a version's publication writes to the store.
#[derive(Debug, Clone)]
pub struct PublishTx {
    /// Dataset name.
    pub dataset: String,
    /// Pipeline identifier.
    pub pipeline: String,
    /// Owner agency code.
    pub owner: String,
    /// Dataset title.
    pub title: String,
    /// Dataset description.
    pub description: String,
    /// Business key fields, JSON array.
    pub key_fields: String,
    /// Published schema, JSON.
    pub schema_json: String,
    /// The version being published (current + 1).
    pub version: i64,
    /// The run that produced it.
    pub run_id: String,
    /// sha256 of the input.
    pub input_sha256: String,
    /// Rows of the snapshot.
    pub row_count: i64,
    /// Keys inserted / updated / deleted.
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
    /// Rows quarantined by the run.
    pub quarantined: i64,
    /// Object-store prefix of the version's files.
    pub prefix: String,
    /// sha256 of `manifest.json`.
    pub manifest_sha256: String,
}

/// Record changes in chunks, produced while the transaction runs (bounded memory); an `Err`
/// aborts the publication.
pub type ChangeChunks<'a> = Box<dyn Iterator<Item = std::result::Result<Vec<RecordChange>, String>> + Send + 'a>;

/// A published version.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct VersionRow {
    pub dataset: String,
    pub version: i64,
    pub run_id: String,
    pub created_at: String,
    pub input_sha256: String,
    pub row_count: i64,
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
    pub quarantined: i64,
    pub prefix: String,
    pub manifest_sha256: String,
}

const VERSION_COLUMNS: &str = "dataset, version, run_id, created_at, input_sha256, row_count, inserted, updated, deleted, quarantined, prefix, manifest_sha256";

impl Store {
    /// The current version of `dataset`, if it has one.
    pub async fn current_version(&self, dataset: &str) -> Result<Option<VersionRow>> {
        let q = format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 AND version = (SELECT current_version FROM datasets WHERE name = $2)"
        );
        Ok(sqlx::query_as(&q).bind(dataset).bind(dataset).fetch_optional(self.pool()).await?)
    }

    /// All versions of `dataset`, newest first.
    pub async fn list_versions(&self, dataset: &str) -> Result<Vec<VersionRow>> {
        let q = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 ORDER BY version DESC");
        Ok(sqlx::query_as(&q).bind(dataset).fetch_all(self.pool()).await?)
    }

    /// One version of `dataset`.
    pub async fn version(&self, dataset: &str, version: i64) -> Result<Option<VersionRow>> {
        let q = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 AND version = $2");
        Ok(sqlx::query_as(&q).bind(dataset).bind(version).fetch_optional(self.pool()).await?)
    }

    /// The current master record of `key`, as its JSON data.
    pub async fn current_record(&self, dataset: &str, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT data FROM records WHERE dataset = $1 AND record_key = $2 AND valid_to IS NULL",
        )
        .bind(dataset)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(d,)| d))
    }

    /// Number of current master records of `dataset`.
    pub async fn count_current_records(&self, dataset: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM records WHERE dataset = $1 AND valid_to IS NULL")
            .bind(dataset)
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    /// Makes a version current: applies the record changes, inserts the version row and moves
    /// the dataset's current version, all in one transaction. Fails with `Conflict` when the
    /// dataset is no longer at `version - 1`.
    pub async fn publish(&self, p: &PublishTx, changes: ChangeChunks<'_>) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let now = super::now();
        sqlx::query(
            "INSERT INTO datasets (name, pipeline, owner, title, description, key_fields, schema_json, current_version, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&p.dataset).bind(&p.pipeline).bind(&p.owner).bind(&p.title).bind(&p.description)
        .bind(&p.key_fields).bind(&p.schema_json).bind(&now)
        .execute(&mut *tx)
        .await?;
        let moved = sqlx::query(
            "UPDATE datasets SET current_version = $1, pipeline = $2, owner = $3, title = $4, description = $5, key_fields = $6, \
             schema_json = $7, updated_at = $8 WHERE name = $9 AND current_version = $10",
        )
        .bind(p.version).bind(&p.pipeline).bind(&p.owner).bind(&p.title).bind(&p.description)
        .bind(&p.key_fields).bind(&p.schema_json).bind(&now).bind(&p.dataset).bind(p.version - 1)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            let (found,): (i64,) = sqlx::query_as("SELECT current_version FROM datasets WHERE name = $1")
                .bind(&p.dataset)
                .fetch_one(&mut *tx)
                .await?;
            return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
        }
        let q = format!("INSERT INTO versions ({VERSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
        sqlx::query(&q)
            .bind(&p.dataset).bind(p.version).bind(&p.run_id).bind(&now).bind(&p.input_sha256)
            .bind(p.row_count).bind(p.inserted).bind(p.updated).bind(p.deleted).bind(p.quarantined)
            .bind(&p.prefix).bind(&p.manifest_sha256)
            .execute(&mut *tx)
            .await?;
        for chunk in changes {
            let chunk = chunk.map_err(Error::Changes)?;
            apply_chunk(&mut tx, p, &chunk).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn apply_chunk(tx: &mut sqlx::Transaction<'_, sqlx::Any>, p: &PublishTx, chunk: &[RecordChange]) -> Result<()> {
    let closing: Vec<&str> = chunk
        .iter()
        .map(|c| match c {
            RecordChange::Upsert { key, .. } | RecordChange::Delete { key } => key.as_str(),
        })
        .collect();
    for keys in closing.chunks(500) {
        let list: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "UPDATE records SET valid_to = $1 WHERE dataset = $2 AND valid_to IS NULL AND record_key IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(p.version).bind(&p.dataset);
        for k in keys {
            q = q.bind(*k);
        }
        q.execute(&mut **tx).await?;
    }
    let upserts: Vec<(&str, &str, &str)> = chunk
        .iter()
        .filter_map(|c| match c {
            RecordChange::Upsert { key, hash, data } => Some((key.as_str(), hash.as_str(), data.as_str())),
            RecordChange::Delete { .. } => None,
        })
        .collect();
    for rows in upserts.chunks(1000) {
        let sql = format!(
            "INSERT INTO records (dataset, record_key, row_hash, data, valid_from) VALUES {}",
            super::values_placeholders(rows.len(), 5, 0)
        );
        let mut q = sqlx::query(&sql);
        for (k, h, d) in rows {
            q = q.bind(&p.dataset).bind(*k).bind(*h).bind(*d).bind(p.version);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
