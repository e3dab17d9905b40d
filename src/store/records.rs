//! Datasets, versions and master records: a version becomes current in one transaction that
//! applies only the changed records and keeps their history.

use super::publish_tx::{PublishTx, VERSION_COLUMNS};
use super::record_changes::ChangeChunks;
use super::{Error, Result, Store};
use serde::Serialize;

/// A published version.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct VersionRow {
    pub dataset: String,
    pub version: i64,
    pub run_id: String,
    #[sqlx(try_from = "super::TsText")]
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
    #[sqlx(try_from = "super::OptTs")]
    pub pruned_at: Option<String>,
}

impl Store {
    /// Marks the versions of `dataset` older than `keep_from` whose files are still there as
    /// pruned; returns them (their files are to be removed).
    pub(crate) async fn prune_versions(&self, dataset: &str, keep_from: i64) -> Result<Vec<VersionRow>> {
        let q = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 AND version < $2 AND pruned_at IS NULL ORDER BY version");
        let rows: Vec<VersionRow> =
            super::on_db!(self, |pool| sqlx::query_as(&q).bind(dataset).bind(keep_from).fetch_all(pool).await)?;
        super::on_db!(self, |pool| sqlx::query(
            "UPDATE versions SET pruned_at = $1 WHERE dataset = $2 AND version < $3 AND pruned_at IS NULL"
        )
        .bind(super::Ts::now())
        .bind(dataset)
        .bind(keep_from)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(rows)
    }

    /// The oldest version of `dataset` whose files are kept.
    pub(crate) async fn oldest_kept_version(&self, dataset: &str) -> Result<Option<i64>> {
        let row: (Option<i64>,) = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT MIN(version) FROM versions WHERE dataset = $1 AND pruned_at IS NULL"
        )
        .bind(dataset)
        .fetch_one(pool)
        .await)?;
        Ok(row.0)
    }

    /// The current version of `dataset`, if it has one.
    pub async fn current_version(&self, dataset: &str) -> Result<Option<VersionRow>> {
        let q = format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 AND version = (SELECT current_version FROM datasets WHERE name = $2)"
        );
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(dataset).bind(dataset).fetch_optional(pool).await)?)
    }

    /// All versions of `dataset`, newest first.
    pub async fn list_versions(&self, dataset: &str) -> Result<Vec<VersionRow>> {
        let q = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 ORDER BY version DESC");
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(dataset).fetch_all(pool).await)?)
    }

    /// One version of `dataset`.
    pub async fn version(&self, dataset: &str, version: i64) -> Result<Option<VersionRow>> {
        let q = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE dataset = $1 AND version = $2");
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(dataset).bind(version).fetch_optional(pool).await)?)
    }

    /// The current master record of `key`, as a JSON object of its fields.
    pub(crate) async fn current_record(&self, dataset: &str, key: &str) -> Result<Option<String>> {
        let row: Option<(String, Option<String>)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT r.data, l.fields FROM records r \
             LEFT JOIN record_layouts l ON l.dataset = r.dataset AND l.version = r.valid_from \
             WHERE r.dataset = $1 AND r.record_key = $2 AND r.valid_to IS NULL"
        )
        .bind(dataset)
        .bind(key)
        .fetch_optional(pool)
        .await)?;
        row.map(|(data, layout)| super::record_layout::record_object(dataset, key, data, layout.as_deref())).transpose()
    }

    /// Number of current master records of `dataset`.
    pub async fn count_current_records(&self, dataset: &str) -> Result<i64> {
        let (n,): (i64,) = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT COUNT(*) FROM records WHERE dataset = $1 AND valid_to IS NULL"
        )
        .bind(dataset)
        .fetch_one(pool)
        .await)?;
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
        let super::Db::Postgres(pg) = self.db() else {
            return Err(Error::Scheme("a SQLite store without its file".into()));
        };
        Ok(PendingPublish(Pending::Pg(super::pg_publish::PgPublish::begin(pg, p).await?)))
    }
}

/// A publication in progress: an open transaction with the dataset moved to the new version;
/// nothing is visible before [`PendingPublish::commit`], and dropping it rolls back.
pub(crate) struct PendingPublish(Pending);

enum Pending {
    /// On a native PostgreSQL connection (bulk `COPY`).
    Pg(super::pg_publish::PgPublish),
    /// On a connection and thread of its own (SQLite).
    Sqlite(super::sqlite_publish::SqlitePublish),
}

impl PendingPublish {
    /// Applies record changes (closing current versions, inserting new ones).
    pub(crate) async fn apply(&mut self, changes: ChangeChunks<'static>) -> Result<()> {
        match &mut self.0 {
            Pending::Sqlite(s) => s.apply(changes).await,
            Pending::Pg(p) => p.apply(changes).await,
        }
    }

    /// Records the version (with its manifest's checksum) and commits: the version is visible.
    pub(crate) async fn commit(self, manifest_sha256: &str) -> Result<()> {
        match self.0 {
            Pending::Sqlite(s) => s.commit(manifest_sha256).await,
            Pending::Pg(p) => p.commit(manifest_sha256).await,
        }
    }
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
    #[sqlx(try_from = "super::TsText")]
    pub updated_at: String,
}

impl Store {
    /// One dataset's description.
    pub async fn dataset(&self, name: &str) -> Result<Option<DatasetRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT name, pipeline, owner, title, description, key_fields, schema_json, current_version, updated_at FROM datasets WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(pool)
        .await
        })?)
    }

    /// Every published dataset, by name.
    pub async fn list_datasets(&self) -> Result<Vec<DatasetRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT name, pipeline, owner, title, description, key_fields, schema_json, current_version, updated_at FROM datasets ORDER BY name",
        )
        .fetch_all(pool)
        .await
        })?)
    }
}
