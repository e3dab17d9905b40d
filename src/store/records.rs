//! Datasets, versions and master records: a version becomes current in one transaction that
//! applies only the changed records and keeps their history.

use super::publish_tx::{
    insert_version_sql, sql_count, PublishTx, CURRENT_VERSION_OF, MOVE_DATASET, UPSERT_DATASET, VERSION_COLUMNS,
};
use super::record_changes::{hash_text, ChangeChunks, ChangeKind, RecordChanges};
use super::{Error, Result, Store};
use serde::Serialize;

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
    /// When retention removed the version's files (the row stays).
    pub pruned_at: Option<String>,
}

impl Store {
    /// Marks the versions of `dataset` older than `keep_from` whose files are still there as
    /// pruned; returns them (their files are to be removed).
    pub(crate) async fn prune_versions(&self, dataset: &str, keep_from: i64) -> Result<Vec<VersionRow>> {
        let q = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 AND version < $2 AND pruned_at IS NULL ORDER BY version");
        let rows: Vec<VersionRow> = sqlx::query_as(&q).bind(dataset).bind(keep_from).fetch_all(self.pool()).await?;
        sqlx::query("UPDATE versions SET pruned_at = $1 WHERE dataset = $2 AND version < $3 AND pruned_at IS NULL")
            .bind(super::now())
            .bind(dataset)
            .bind(keep_from)
            .execute(self.pool())
            .await?;
        Ok(rows)
    }

    /// The oldest version of `dataset` whose files are kept.
    pub(crate) async fn oldest_kept_version(&self, dataset: &str) -> Result<Option<i64>> {
        let row: (Option<i64>,) =
            sqlx::query_as("SELECT MIN(version) FROM versions WHERE dataset = $1 AND pruned_at IS NULL")
                .bind(dataset)
                .fetch_one(self.pool())
                .await?;
        Ok(row.0)
    }

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
    pub(crate) async fn current_record(&self, dataset: &str, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT data FROM records WHERE dataset = $1 AND record_key = $2 AND valid_to IS NULL")
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

    /// Starts making a version current (failing with `Conflict` when the dataset is no longer at
    /// `version - 1`); nothing is visible before [`PendingPublish::commit`], and dropping it rolls
    /// back. PostgreSQL holds one transaction throughout; SQLite commits a large publication's
    /// record changes in parts, invisible until the dataset moves (see `sqlite_publish`).
    pub(crate) async fn begin_publish(&self, p: &PublishTx) -> Result<PendingPublish> {
        if let Some(file) = &self.sqlite_file {
            return Ok(PendingPublish(Pending::Sqlite(
                super::sqlite_publish::SqlitePublish::begin(file, self.serving, p).await?,
            )));
        }
        let mut tx = self.pool().begin().await?;
        let now = super::now();
        sqlx::query(UPSERT_DATASET)
            .bind(&p.dataset)
            .bind(&p.pipeline)
            .bind(&p.owner)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.key_fields)
            .bind(&p.schema_json)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        let moved = sqlx::query(MOVE_DATASET)
            .bind(p.version)
            .bind(&p.pipeline)
            .bind(&p.owner)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.key_fields)
            .bind(&p.schema_json)
            .bind(&now)
            .bind(&p.dataset)
            .bind(p.version - 1)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            let (found,): (i64,) = sqlx::query_as(CURRENT_VERSION_OF).bind(&p.dataset).fetch_one(&mut *tx).await?;
            return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
        }
        Ok(PendingPublish(Pending::Pool { tx, p: Box::new(p.clone()) }))
    }
}

/// A publication in progress: an open transaction with the dataset moved to the new version;
/// nothing is visible before [`PendingPublish::commit`], and dropping it rolls back.
pub(crate) struct PendingPublish(Pending);

enum Pending {
    /// Through the pool (PostgreSQL).
    Pool { tx: sqlx::Transaction<'static, sqlx::Any>, p: Box<PublishTx> },
    /// On a connection and thread of its own (SQLite).
    Sqlite(super::sqlite_publish::SqlitePublish),
}

impl PendingPublish {
    /// Applies record changes (closing current versions, inserting new ones).
    pub(crate) async fn apply(&mut self, changes: ChangeChunks<'static>) -> Result<()> {
        let (tx, p) = match &mut self.0 {
            Pending::Sqlite(s) => return s.apply(changes).await,
            Pending::Pool { tx, p } => (tx, &*p),
        };
        for chunk in changes {
            apply_chunk(tx, p, &chunk.map_err(Error::Changes)?).await?;
        }
        Ok(())
    }

    /// Records the version (with its manifest's checksum) and commits: the version is visible.
    pub(crate) async fn commit(self, manifest_sha256: &str) -> Result<()> {
        let (mut tx, p) = match self.0 {
            Pending::Sqlite(s) => return s.commit(manifest_sha256).await,
            Pending::Pool { tx, p } => (tx, p),
        };
        sqlx::query(&insert_version_sql())
            .bind(&p.dataset)
            .bind(p.version)
            .bind(&p.run_id)
            .bind(super::now())
            .bind(&p.input_sha256)
            .bind(sql_count(p.counts.rows))
            .bind(sql_count(p.counts.inserted))
            .bind(sql_count(p.counts.updated))
            .bind(sql_count(p.counts.deleted))
            .bind(sql_count(p.counts.rows_quarantined))
            .bind(&p.prefix)
            .bind(manifest_sha256)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Applies one chunk of record changes on PostgreSQL with two statements whose rows travel as
/// one JSON array parameter (a bulk path, without a parameter per value).
async fn apply_chunk(tx: &mut sqlx::Transaction<'_, sqlx::Any>, p: &PublishTx, chunk: &RecordChanges) -> Result<()> {
    let closing: Vec<&str> = chunk.iter().filter(|c| c.kind != ChangeKind::Insert).map(|c| c.key).collect();
    if !closing.is_empty() {
        let sql = "UPDATE records SET valid_to = $1 WHERE dataset = $2 AND valid_to IS NULL AND record_key IN (SELECT jsonb_array_elements_text($3::jsonb))";
        let keys = serde_json::to_string(&closing).map_err(|e| Error::Changes(e.to_string()))?;
        sqlx::query(sql).bind(p.version).bind(&p.dataset).bind(keys).execute(&mut **tx).await?;
    }
    let upserts: Vec<(&str, String, &str)> = chunk
        .iter()
        .filter(|c| c.kind != ChangeKind::Delete)
        .map(|c| (c.key, hash_text(c.hash, &mut [0; 16]).to_string(), c.data))
        .collect();
    if !upserts.is_empty() {
        let sql = "INSERT INTO records (dataset, record_key, row_hash, data, valid_from) \
                   SELECT $1, e->>0, e->>1, e->>2, $2 FROM jsonb_array_elements($3::jsonb) AS e";
        let rows = serde_json::to_string(&upserts).map_err(|e| Error::Changes(e.to_string()))?;
        sqlx::query(sql).bind(&p.dataset).bind(p.version).bind(rows).execute(&mut **tx).await?;
    }
    Ok(())
}

/// A dataset's description as published (the data dictionary).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DatasetRow {
    pub name: String,
    pub pipeline: String,
    pub owner: String,
    pub title: String,
    pub description: String,
    /// JSON array of the business-key fields.
    pub key_fields: String,
    /// JSON array of `{name, type, required, description}`.
    pub schema_json: String,
    pub current_version: i64,
    pub updated_at: String,
}

impl Store {
    /// One dataset's description.
    pub async fn dataset(&self, name: &str) -> Result<Option<DatasetRow>> {
        Ok(sqlx::query_as(
            "SELECT name, pipeline, owner, title, description, key_fields, schema_json, current_version, updated_at FROM datasets WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Every published dataset, by name.
    pub async fn list_datasets(&self) -> Result<Vec<DatasetRow>> {
        Ok(sqlx::query_as(
            "SELECT name, pipeline, owner, title, description, key_fields, schema_json, current_version, updated_at FROM datasets ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?)
    }
}
