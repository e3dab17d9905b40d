//! The master-data store: datasets, versions, runs, master records and catalog codes, in SQLite
//! (embedded default) or PostgreSQL, chosen by the URL scheme. All SQL of the hub lives here.

mod access;
mod console;
mod coordination;
mod entities;
mod events;
mod reports;
pub(crate) use entities::{ReviewRow, XrefRow};
pub(crate) use reports::RunSpan;
pub use reports::{Calls, Consumed, Denied, Provided};
mod audit;
mod catalogs;
mod document;
mod instant;
mod placeholders;
pub(crate) use placeholders::{ph, values_placeholders};
mod pg_publish;
mod pg_stage;
pub(crate) use pg_stage::PARTITION_EVERY_DATASET;
mod publish_tx;
mod record_changes;
mod record_layout;
mod records;
mod retention;
mod runs;
mod sqlite_checkpoint;
mod sqlite_publication;
mod sqlite_publish;
mod subjects;
pub(crate) use document::doc;
pub use document::{Doc, DocText, OptDoc};
pub use instant::{OptTs, Ts, TsText};

pub use access::{ClientRow, DatasetGrant, GrantRow};
pub use audit::{AuditRow, Usage};
pub use catalogs::CatalogItem;
pub(crate) use catalogs::{CatalogLoad, CatalogRow, CatalogVersion, Successor, ALWAYS_FROM, ALWAYS_TO};
pub use console::{SessionRow, UserRow};
pub(crate) use events::Due;
pub use events::{DeliveryRow, SubscriptionRow};
pub use publish_tx::PublishTx;
pub(crate) use record_changes::{ChangeChunks, ChangeKind, RecordChanges};
pub use records::DatasetRow;
pub(crate) use records::VersionRow;
pub use retention::RetentionRow;
pub use runs::RunRow;
pub(crate) use runs::{RunEnd, RunStart};
pub use subjects::HeldRow;

use sqlx::Executor;
use std::str::FromStr;
use std::sync::Arc;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store URL is neither `sqlite:` nor `postgres:`.
    #[error("store URL '{0}' is not supported: use sqlite://PATH or postgres://USER@HOST/DB")]
    Scheme(String),
    /// A database error.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// A database error on SQLite's publication connection.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Applying migrations failed.
    #[error("migrating the store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Another run published a version of this dataset at the same time.
    #[error("dataset '{dataset}' moved to version {found} while this run prepared version {expected}: run again")]
    Conflict { dataset: String, expected: i64, found: i64 },
    /// The record changes of a version could not be produced.
    #[error("preparing record changes: {0}")]
    Changes(String),
    /// A point in time given to the store is not RFC 3339 (nor a date).
    #[error("'{0}' is not a point in time: give RFC 3339 (2026-12-07T08:30:00+07:00) or a date (2026-12-07)")]
    Timestamp(String),
    /// A stored record's data does not match the field names of its version.
    #[error("record '{key}' of dataset '{dataset}' cannot be read: {message} (restore the store from a backup)")]
    Record { dataset: String, key: String, message: String },
    /// The folder of the SQLite file cannot be created.
    #[error("store folder {}: {source}", path.display())]
    Folder { path: std::path::PathBuf, source: std::io::Error },
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Which database engine is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// SQLite file (embedded default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The store's connection pool, native to its engine (each engine's own types and bulk paths).
#[derive(Clone)]
pub(crate) enum Db {
    /// SQLite file.
    Sqlite(sqlx::SqlitePool),
    /// PostgreSQL server.
    Postgres(sqlx::PgPool),
}

/// Evaluates `$body` with `$pool` bound to the store's native pool: the body is compiled once
/// per engine, so both arms must give the same type (map engine-specific results inside).
macro_rules! on_db {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store.db() {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// A connection pool to the master-data store.
#[derive(Clone)]
pub struct Store {
    db: Db,
    backend: Backend,
    /// The database file, on SQLite (publications write through a connection of their own).
    sqlite_file: Option<std::path::PathBuf>,
    /// Connected for a long-running server (see [`Store::connect_serving`]).
    serving: bool,
    /// The audit log's key (kept outside the store) and the chain head this process last wrote.
    audit: Arc<AuditChain>,
}

/// What appending to the audit log needs besides the table: the key of its keyed hashes, and
/// the chain head (seq, hash) this process last wrote or read, one writer at a time.
#[derive(Default)]
pub(crate) struct AuditChain {
    key: std::sync::OnceLock<crate::digest::MacKey>,
    /// The head as last written or read by this process.
    pub head: tokio::sync::Mutex<Option<(i64, String)>>,
}

impl AuditChain {
    /// The key, once loaded (appending and verifying fail without it).
    pub(crate) fn key(&self) -> Option<&crate::digest::MacKey> {
        self.key.get()
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

/// Settings of every SQLite connection of the store.
const SQLITE_PRAGMAS: &str = "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;";

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created when missing, or `postgres://...`).
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, false).await
    }

    /// Connects for a long-running server. On SQLite, commits then never checkpoint the WAL
    /// themselves (a checkpoint inside a commit stalls every request waiting on it): call
    /// [`Store::spawn_checkpoints`] to checkpoint from a task of its own.
    pub async fn connect_serving(url: &str) -> Result<Store> {
        Store::connect_with(url, true).await
    }

    /// Checkpoints the SQLite WAL every 100 ms in the background (no-op on PostgreSQL).
    pub fn spawn_checkpoints(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        let Db::Sqlite(pool) = self.db.clone() else { return };
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                if pool.is_closed() {
                    break;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::debug!(error = %e, "WAL checkpoint");
                }
            }
        });
    }

    async fn connect_with(url: &str, serving: bool) -> Result<Store> {
        let mut sqlite_file = None;
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let file = path.split('?').next().unwrap_or(path);
            sqlite_file = Some(std::path::PathBuf::from(file));
            if let Some(dir) = std::path::Path::new(file).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|source| Error::Folder { path: dir.to_path_buf(), source })?;
                }
            }
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = if path.contains("mode=") {
                format!("sqlite://{path}")
            } else {
                format!("sqlite://{path}{sep}mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(Error::Scheme(crate::settings::redact(url)));
        };
        let db = match backend {
            Backend::Sqlite => Db::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(4)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            if serving {
                                conn.execute("PRAGMA wal_autocheckpoint = 0;").await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_with(sqlx::sqlite::SqliteConnectOptions::from_str(&url)?)
                    .await?,
            ),
            Backend::Postgres => Db::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(10)
                    .connect_with(sqlx::postgres::PgConnectOptions::from_str(&url)?)
                    .await?,
            ),
        };
        Ok(Store { db, backend, sqlite_file, serving, audit: Arc::default() })
    }

    /// Sets the audit log's key (once; a second key is ignored: one process, one key).
    pub(crate) fn set_audit_key(&self, key: crate::digest::MacKey) {
        if self.audit.key.set(key).is_err() {
            tracing::warn!("the audit key was already set; the first one stays");
        }
    }

    /// The audit log's key and head.
    pub(crate) fn audit_chain(&self) -> &AuditChain {
        &self.audit
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(pool) => MIGRATE_SQLITE.run(pool).await?,
            Db::Postgres(pool) => MIGRATE_POSTGRES.run(pool).await?,
        }
        Ok(())
    }

    /// The engine behind this store.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// The native connection pool (see [`on_db`]).
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Whether the store is PostgreSQL.
    pub(crate) fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Placeholder number `n` (1-based) of this engine.
    pub(crate) fn placeholder(&self, n: usize) -> String {
        ph(self.backend, n)
    }

    /// Column name → declared type of a table.
    pub(crate) async fn column_types(&self, table: &str) -> Result<std::collections::HashMap<String, String>> {
        let q = match self.backend {
            Backend::Sqlite => "SELECT name, type FROM pragma_table_info(?)",
            Backend::Postgres => "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        };
        let rows: Vec<(String, String)> = on_db!(self, |pool| sqlx::query_as(q).bind(table).fetch_all(pool).await)?;
        Ok(rows.into_iter().collect())
    }

    /// Checks that the store answers.
    pub(crate) async fn ping(&self) -> Result<()> {
        on_db!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}

/// Current UTC time in RFC 3339 with microseconds, as stored.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `s` as a point in time (RFC 3339 or a date), for a parameter compared with a stored one.
pub(crate) fn ts(s: &str) -> Result<Ts> {
    Ts::parse(s).ok_or_else(|| Error::Timestamp(s.to_string()))
}

/// An optional point in time (empty: none).
pub(crate) fn opt_ts(s: Option<&str>) -> Result<Option<Ts>> {
    s.filter(|s| !s.is_empty()).map(ts).transpose()
}
