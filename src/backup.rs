//! Backup and restore (`lgsp backup`, `lgsp restore`): every table of the store copied in one
//! read transaction (a consistent snapshot on SQLite and PostgreSQL), the published manifests
//! (optionally every published file), and a manifest of the backup with checksums. The table
//! files are engine-neutral, so a backup restores into SQLite or PostgreSQL alike.

use crate::objects::{self, Objects};
use crate::store::Store;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::{Column, Row, TypeInfo};

/// Errors of backup and restore.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Objects(#[from] objects::Error),
    /// The backup is damaged or not a backup.
    #[error("backup {location}: {message}")]
    Damaged { location: String, message: String },
    /// Restore needs an empty store.
    #[error("the store is not empty (table {table} has {rows} rows): restore into a fresh store")]
    NotEmpty { table: String, rows: i64 },
}

impl From<object_store::Error> for Error {
    fn from(e: object_store::Error) -> Error {
        Error::Objects(e.into())
    }
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Tables copied, parents first. Bearer tokens (short-lived) and leases are not.
pub(crate) const TABLES: &[&str] = &[
    "datasets",
    "versions",
    "record_layouts",
    "runs",
    "records",
    "catalogs",
    "catalog_versions",
    "catalog_items",
    "catalog_successors",
    "agencies",
    "clients",
    "grants",
    "client_pulls",
    "audit_log",
    "source_state",
    "schedule_slots",
    "entity_xref",
    "match_decisions",
    "review_queue",
];

/// `manifest.json` of a backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct BackupManifest {
    pub(crate) format: String,
    pub created_at: String,
    /// `sqlite` or `postgres`.
    pub(crate) source: String,
    pub tables: Vec<FileEntry>,
    /// Copies of published files (manifests, or every file with `--with-files`).
    pub objects: Vec<FileEntry>,
}

/// One file of a backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct FileEntry {
    /// Table name or published path.
    pub(crate) name: String,
    pub rows: u64,
    pub(crate) bytes: u64,
    pub(crate) sha256: String,
}

const FORMAT: &str = "lgsp-backup/1";

/// Column `i` of `row` as JSON: an integer, a float or a text (the store's column types); a
/// value of any other type is an error rather than a null in the backup. A macro, as the row is
/// either engine's.
macro_rules! json_value {
    ($row:expr, $i:expr) => {{
        let ty = $row.columns()[$i].type_info().name().to_string();
        if ty == "TIMESTAMPTZ" {
            Ok($row
                .try_get::<Option<crate::store::Ts>, _>($i)?
                .map(|t| t.text().into())
                .unwrap_or(serde_json::Value::Null))
        } else if ty == "JSONB" {
            Ok($row.try_get::<crate::store::OptDoc, _>($i)?.0.map(Into::into).unwrap_or(serde_json::Value::Null))
        } else if let Ok(v) = $row.try_get::<Option<i64>, _>($i) {
            Ok::<_, Error>(v.map(Into::into).unwrap_or(serde_json::Value::Null))
        } else if let Ok(v) = $row.try_get::<Option<f64>, _>($i) {
            Ok(v.map(Into::into).unwrap_or(serde_json::Value::Null))
        } else {
            Ok($row.try_get::<Option<String>, _>($i)?.map(Into::into).unwrap_or(serde_json::Value::Null))
        }
    }};
}

/// Writes a backup of `store` and `objects` to `to` (a folder or an object-store URL).
pub async fn create(store: &Store, objects: &Objects, to: &str, with_files: bool) -> Result<BackupManifest> {
    let target = objects::open(to)?;
    let tables = crate::store::on_db!(store, |pool| async {
        let mut tx = pool.begin().await?;
        if store.is_postgres() {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        let mut tables = Vec::new();
        for table in TABLES {
            let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY 1, 2")).fetch_all(&mut *tx).await?;
            let mut body = Vec::new();
            let columns: Vec<String> =
                rows.first().map(|r| r.columns().iter().map(|c| c.name().to_string()).collect()).unwrap_or_default();
            serde_json::to_writer(&mut body, &columns)
                .map_err(|e| Error::Damaged { location: to.into(), message: e.to_string() })?;
            body.push(b'\n');
            for row in &rows {
                let values = (0..columns.len()).map(|i| json_value!(row, i)).collect::<Result<Vec<_>>>()?;
                serde_json::to_writer(&mut body, &values)
                    .map_err(|e| Error::Damaged { location: to.into(), message: e.to_string() })?;
                body.push(b'\n');
            }
            let entry = FileEntry {
                name: table.to_string(),
                rows: rows.len() as u64,
                bytes: body.len() as u64,
                sha256: crate::digest::sha256_hex(&body),
            };
            objects::put(&target, &format!("tables/{table}.ndjson"), body).await?;
            tables.push(entry);
        }
        tx.commit().await?;
        Ok::<_, Error>(tables)
    }
    .await)?;
    let listed: Vec<_> = objects.list(None).try_collect().await?;
    let mut copied = Vec::new();
    for meta in listed {
        let path = meta.location.to_string();
        if !with_files && !path.ends_with("manifest.json") {
            continue;
        }
        let bytes = objects::get(objects, &path).await?;
        copied.push(FileEntry {
            name: path.clone(),
            rows: 0,
            bytes: bytes.len() as u64,
            sha256: crate::digest::sha256_hex(&bytes),
        });
        objects::put(&target, &format!("objects/{path}"), bytes.to_vec()).await?;
    }
    copied.sort_by(|a, b| a.name.cmp(&b.name));
    let manifest = BackupManifest {
        format: FORMAT.into(),
        created_at: crate::store::now(),
        source: if store.is_postgres() { "postgres" } else { "sqlite" }.into(),
        tables,
        objects: copied,
    };
    let body = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::Damaged { location: to.into(), message: e.to_string() })?;
    objects::put(&target, "manifest.json", body).await?;
    Ok(manifest)
}

async fn read_manifest(source: &Objects, from: &str) -> Result<BackupManifest> {
    let bytes = objects::get(source, "manifest.json")
        .await
        .map_err(|e| Error::Damaged { location: from.into(), message: format!("no readable manifest.json ({e})") })?;
    let m: BackupManifest = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Damaged { location: from.into(), message: format!("manifest.json: {e}") })?;
    if m.format != FORMAT {
        return Err(Error::Damaged {
            location: from.into(),
            message: format!("format '{}' is not {FORMAT}", m.format),
        });
    }
    Ok(m)
}

async fn checked(source: &Objects, from: &str, path: &str, entry: &FileEntry) -> Result<bytes::Bytes> {
    let bytes = objects::get(source, path)
        .await
        .map_err(|e| Error::Damaged { location: from.into(), message: format!("{path}: {e}") })?;
    let sum = crate::digest::sha256_hex(&bytes);
    if sum != entry.sha256 {
        return Err(Error::Damaged {
            location: from.into(),
            message: format!("{path}: sha256 {sum} differs from the manifest's {}", entry.sha256),
        });
    }
    Ok(bytes)
}

/// Checks every file of the backup at `from` against its manifest; returns the manifest.
pub async fn verify(from: &str) -> Result<BackupManifest> {
    let source = objects::open(from)?;
    let m = read_manifest(&source, from).await?;
    for t in &m.tables {
        let bytes = checked(&source, from, &format!("tables/{}.ndjson", t.name), t).await?;
        let lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
        if lines != t.rows + 1 {
            return Err(Error::Damaged {
                location: from.into(),
                message: format!("table {}: {} rows, the manifest says {}", t.name, lines.saturating_sub(1), t.rows),
            });
        }
    }
    for o in &m.objects {
        checked(&source, from, &format!("objects/{}", o.name), o).await?;
    }
    Ok(m)
}

/// Restores the backup at `from` into an empty `store` (migrated) and `objects`.
pub async fn restore(store: &Store, objects: &Objects, from: &str) -> Result<BackupManifest> {
    let m = verify(from).await?;
    let source = objects::open(from)?;
    for table in TABLES {
        let q = format!("SELECT COUNT(*) FROM {table}");
        let (rows,): (i64,) = crate::store::on_db!(store, |pool| sqlx::query_as(&q).fetch_one(pool).await)?;
        if rows > 0 {
            return Err(Error::NotEmpty { table: table.to_string(), rows });
        }
    }
    crate::store::on_db!(store, |pool| async {
        let mut tx = pool.begin().await?;
        for t in &m.tables {
            let bytes = objects::get(&source, &format!("tables/{}.ndjson", t.name)).await?;
            let mut lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
            let damaged = |e: serde_json::Error| Error::Damaged {
                location: from.into(),
                message: format!("table {}: {e}", t.name),
            };
            let columns: Vec<String> = match lines.next() {
                Some(l) => serde_json::from_slice(l).map_err(damaged)?,
                None => continue,
            };
            if columns.is_empty() {
                continue;
            }
            let types = store.column_types(&t.name).await?;
            let rows: Vec<Vec<serde_json::Value>> =
                lines.map(|l| serde_json::from_slice(l).map_err(damaged)).collect::<Result<_>>()?;
            let per = (30_000 / columns.len()).max(1);
            for chunk in rows.chunks(per) {
                let mut sql = format!("INSERT INTO {} ({}) VALUES ", t.name, columns.join(", "));
                let mut n = 0;
                for (r, _) in chunk.iter().enumerate() {
                    sql.push_str(if r == 0 { "(" } else { ", (" });
                    for (c, col) in columns.iter().enumerate() {
                        n += 1;
                        let p = store.placeholder(n);
                        let cast = types
                            .get(col)
                            .filter(|_| store.is_postgres())
                            .map(|ty| format!("CAST({p} AS {ty})"))
                            .unwrap_or(p);
                        sql.push_str(&if c == 0 { cast } else { format!(", {cast}") });
                    }
                    sql.push(')');
                }
                let mut q = sqlx::query(&sql);
                for row in chunk {
                    for v in row {
                        q = q.bind(match v {
                            serde_json::Value::Null => None,
                            serde_json::Value::String(s) => Some(s.clone()),
                            other => Some(other.to_string()),
                        });
                    }
                }
                q.execute(&mut *tx).await?;
            }
            if t.name == "datasets" && store.is_postgres() {
                sqlx::query(crate::store::PARTITION_EVERY_DATASET).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<_, Error>(())
    }
    .await)?;
    for o in &m.objects {
        let bytes = objects::get(&source, &format!("objects/{}", o.name)).await?;
        objects::put(objects, &o.name, bytes.to_vec()).await?;
    }
    Ok(m)
}

/// Writes a backup into a new timestamped folder under `root` and deletes all but the newest
/// `keep` of them (before writing, down to `keep - 1`, so that an interrupted run leaves no
/// excess); returns the new folder's location.
pub async fn scheduled(store: &Store, objects: &Objects, root: &str, keep: usize) -> Result<String> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let keep = keep.max(1);
    prune_backups(root, keep - 1, stamp.len()).await?;
    let to = format!("{}/{stamp}", root.trim_end_matches('/'));
    create(store, objects, &to, false).await?;
    prune_backups(root, keep, stamp.len()).await?;
    Ok(to)
}

/// Deletes all but the newest `keep` backup folders (names of `len` characters) under `root`.
async fn prune_backups(root: &str, keep: usize, len: usize) -> Result<()> {
    let target = objects::open(root)?;
    let listed = target.list_with_delimiter(None).await?;
    let mut folders: Vec<String> =
        listed.common_prefixes.iter().map(|p| p.to_string()).filter(|p| p.len() == len).collect();
    folders.sort();
    let excess = folders.len().saturating_sub(keep);
    for old in &folders[..excess] {
        objects::remove_under(&target, old, &[]).await?;
        // The objects are gone; what may stay on a local folder is its empty directories.
        if let Some(dir) = local_dir(root).map(|d| d.join(old)) {
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(path = %dir.display(), error = %e, "could not remove an old backup's folder")
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn local_dir(root: &str) -> Option<std::path::PathBuf> {
    (!root.starts_with("s3://")).then(|| std::path::PathBuf::from(root.strip_prefix("file://").unwrap_or(root)))
}
