//! Publishing on SQLite: a connection of its own, on a thread of its own, holds the
//! publication's transaction, and record changes load through prepared statements stepped once
//! per row (no round trip and no parameter encoding per row). The version becomes current only
//! when told to commit; if the publication is dropped first, the thread rolls it back (a large
//! one, committed in parts, also removes its parts).

use super::record_changes::{hash_text, ChangeChunks, ChangeKind};
use super::records::{self, PublishTx};
use super::{Error, Result};
use rusqlite::{params, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<()>>;

enum Cmd {
    Apply(ChangeChunks<'static>, Reply),
    Commit(String, Reply),
}

/// A publication in progress on SQLite.
pub(super) struct SqlitePublish {
    cmds: mpsc::Sender<Cmd>,
}

// On SQLite, `records` is a view over the version rows and the record data (migration 0008);
// the publication writes both tables directly.
const CLOSE_ONE: &str = "UPDATE record_versions SET valid_to = ?1 WHERE dataset = ?2 AND record_key = ?3 AND valid_to IS NULL";
const INSERT_DATA: &str = "INSERT INTO record_data (data) VALUES (?1)";
const INSERT_VERSION: &str = "INSERT INTO record_versions (dataset, record_key, valid_from, row_hash, data_id) VALUES (?1, ?2, ?3, ?4, ?5)";

impl SqlitePublish {
    /// Opens the publication, checking that the dataset is at `p.version - 1` (see
    /// `Store::begin_publish`); the dataset moves to `p.version` when it commits.
    pub(super) async fn begin(file: &Path, serving: bool, p: &PublishTx) -> Result<SqlitePublish> {
        SqlitePublish::begin_in_parts_of(file, serving, p, PART_ROWS).await
    }

    async fn begin_in_parts_of(file: &Path, serving: bool, p: &PublishTx, part_rows: usize) -> Result<SqlitePublish> {
        let (cmds, rx) = mpsc::channel();
        let (ready, started) = oneshot::channel();
        let (file, p) = (file.to_path_buf(), p.clone());
        std::thread::Builder::new()
            .name("sqlite-publish".into())
            .spawn(move || serve(file, serving, p, part_rows, rx, ready))
            .map_err(|e| Error::Changes(format!("starting the publication thread: {e}")))?;
        started.await.map_err(|_| stopped())??;
        Ok(SqlitePublish { cmds })
    }

    /// Applies record changes.
    pub(super) async fn apply(&self, chunks: ChangeChunks<'static>) -> Result<()> {
        self.call(|reply| Cmd::Apply(chunks, reply)).await
    }

    /// Records the version and commits.
    pub(super) async fn commit(self, manifest_sha256: &str) -> Result<()> {
        self.call(|reply| Cmd::Commit(manifest_sha256.to_string(), reply)).await
    }

    async fn call(&self, cmd: impl FnOnce(Reply) -> Cmd) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.cmds.send(cmd(reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Changes("the publication's store transaction ended early".into())
}

fn serve(file: PathBuf, serving: bool, p: PublishTx, part_rows: usize, rx: mpsc::Receiver<Cmd>, ready: Reply) {
    let mut publication = match Publication::open(&file, serving, p, part_rows) {
        Ok(publication) => publication,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        publication.abandon();
        return;
    }
    let mut done = false;
    while let Ok(cmd) = rx.recv() {
        let (result, reply, last) = match cmd {
            Cmd::Apply(chunks, reply) => {
                let r = publication.apply(chunks);
                let failed = r.is_err();
                (r, reply, failed)
            }
            Cmd::Commit(sha, reply) => {
                let r = publication.commit(&sha);
                done = r.is_ok();
                (r, reply, true)
            }
        };
        let _ = reply.send(result);
        if last {
            break;
        }
    }
    if !done {
        publication.abandon();
    }
}

/// Record changes committed at a time. A first load writes hundreds of MiB: committed in parts,
/// they are copied from the WAL into the database (and synced) by a checkpointer thread while
/// the next parts load, instead of all at once in the last commit.
const PART_ROWS: usize = 65_536;
/// How long a publication's lease lasts without being renewed (it is renewed at every part).
const LEASE_SECS: i64 = 120;

/// A publication's connection. Parts committed before the last one are written with the new
/// version's numbers but stay invisible: the `records` view shows only rows of versions up to the
/// dataset's current one. The lease `publish:<dataset>` keeps other publications of the dataset
/// out meanwhile; a publication that finds the rows of a failed one (its lease left behind)
/// removes them first.
struct Publication {
    conn: rusqlite::Connection,
    p: PublishTx,
    lease: String,
    /// Whether the changes are committed in parts (a large publication) or in one transaction.
    parts: bool,
    part_rows: usize,
    rows: usize,
    checkpoints: Option<mpsc::Sender<()>>,
}

impl Publication {
    fn open(file: &Path, serving: bool, p: PublishTx, part_rows: usize) -> Result<Publication> {
        let conn = rusqlite::Connection::open(file)?;
        conn.execute_batch(super::SQLITE_PRAGMAS)?;
        // The page cache is memory of the run: as large as the store's (64 MiB) for a large load,
        // where it saves writing the same pages twice, and 16 MiB for the few changes of a usual run.
        let changes = p.inserted + p.updated + p.deleted;
        conn.execute_batch(&format!("PRAGMA cache_size = -{}; PRAGMA wal_autocheckpoint = 0;", (changes / 8).clamp(16_384, 65_536)))?;
        // `lgsp serve` checkpoints on a task of its own; elsewhere a thread does, after each part.
        let parts = changes as usize > part_rows;
        let checkpoints = match parts && !serving {
            true => Some(checkpointer(file)?),
            false => None,
        };
        let lease = format!("publish:{}", p.dataset);
        let publication = Publication { conn, p, lease, parts, part_rows, rows: 0, checkpoints };
        publication.start()?;
        Ok(publication)
    }

    /// Opens the (first part's) transaction and checks the dataset's version; a publication in
    /// parts also takes the lease, first removing the rows of a failed one if it finds its lease.
    fn start(&self) -> Result<()> {
        let (conn, p) = (&self.conn, &self.p);
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute(records::UPSERT_DATASET, params![p.dataset, p.pipeline, p.owner, p.title, p.description, p.key_fields, p.schema_json, super::now()])?;
        let found: i64 = conn.query_row(records::CURRENT_VERSION_OF, params![p.dataset], |r| r.get(0))?;
        if found != p.version - 1 {
            conn.execute_batch("ROLLBACK")?;
            return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
        }
        let left: Option<(String, String)> = conn
            .query_row("SELECT holder, expires_at FROM leases WHERE name = ?1", params![self.lease], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((holder, until)) = &left {
            if until.as_str() >= super::now().as_str() {
                conn.execute_batch("ROLLBACK")?;
                return Err(Error::Changes(format!("run {holder} is publishing dataset '{}' (its lease runs until {until}): run again when it ends", p.dataset)));
            }
            sweep(conn, p)?;
            if !self.parts {
                conn.execute("DELETE FROM leases WHERE name = ?1", params![self.lease])?;
            }
        }
        if self.parts {
            self.renew()?;
        }
        Ok(())
    }

    fn renew(&self) -> Result<()> {
        let until = (chrono::Utc::now() + chrono::Duration::seconds(LEASE_SECS)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.conn.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
            params![self.lease, self.p.run_id, until],
        )?;
        Ok(())
    }

    fn apply(&mut self, chunks: ChangeChunks<'static>) -> Result<()> {
        let p = &self.p;
        let mut hex = [0u8; 16];
        for chunk in chunks {
            let chunk = chunk.map_err(Error::Changes)?;
            {
                let mut close = self.conn.prepare_cached(CLOSE_ONE)?;
                let mut data = self.conn.prepare_cached(INSERT_DATA)?;
                let mut version = self.conn.prepare_cached(INSERT_VERSION)?;
                for change in chunk.iter() {
                    let key = change.key;
                    if change.kind != ChangeKind::Insert {
                        close.execute(params![p.version, p.dataset, key])?;
                    }
                    if change.kind != ChangeKind::Delete {
                        let id = data.insert(params![change.data])?;
                        version.execute(params![p.dataset, key, p.version, hash_text(change.hash, &mut hex), id])?;
                    }
                }
            }
            self.rows += chunk.len();
            if self.parts && self.rows >= self.part_rows {
                self.rows = 0;
                self.renew()?;
                self.conn.execute_batch("COMMIT; BEGIN IMMEDIATE")?;
                if let Some(tx) = &self.checkpoints {
                    let _ = tx.send(());
                }
            }
        }
        Ok(())
    }

    /// Records the version, moves the dataset to it, releases the lease, commits.
    fn commit(&mut self, manifest_sha256: &str) -> Result<()> {
        let (conn, p) = (&self.conn, &self.p);
        let now = super::now();
        let moved = conn.execute(
            records::MOVE_DATASET,
            params![p.version, p.pipeline, p.owner, p.title, p.description, p.key_fields, p.schema_json, now, p.dataset, p.version - 1],
        )?;
        if moved != 1 {
            let found: i64 = conn.query_row(records::CURRENT_VERSION_OF, params![p.dataset], |r| r.get(0))?;
            return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
        }
        conn.execute(
            &records::insert_version_sql(),
            params![p.dataset, p.version, p.run_id, now, p.input_sha256, p.row_count, p.inserted, p.updated, p.deleted, p.quarantined, p.prefix, manifest_sha256],
        )?;
        // Parts committed earlier are this publication's only while it still holds the lease.
        if self.parts && conn.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![self.lease, p.run_id])? != 1 {
            return Err(Error::Changes(format!("the publication of dataset '{}' lost its lease (not renewed for {LEASE_SECS} s): run again", p.dataset)));
        }
        conn.execute_batch("COMMIT")?;
        self.checkpoints = None;
        if self.p.inserted + self.p.updated + self.p.deleted > 0 {
            // What the parts' checkpoints have not copied yet (as the automatic checkpoint would).
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
        Ok(())
    }

    /// Rolls back the open part and removes the rows of the parts already committed (when that
    /// fails too, the next publication of the dataset removes them once the lease has expired).
    fn abandon(mut self) {
        self.checkpoints = None;
        let conn = &self.conn;
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        if !self.parts {
            return;
        }
        let swept = conn.execute_batch("BEGIN IMMEDIATE").map_err(Error::from).and_then(|()| sweep(conn, &self.p));
        let released = swept.and_then(|()| Ok(conn.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![self.lease, self.p.run_id])?));
        match released {
            Ok(_) => {
                let _ = conn.execute_batch("COMMIT");
            }
            Err(e) => {
                tracing::warn!(dataset = %self.p.dataset, error = %e, "could not remove the rows of an abandoned publication; the next one will");
                let _ = conn.execute_batch("ROLLBACK");
            }
        }
    }
}

/// Removes the rows a publication of versions after the dataset's current one left behind.
fn sweep(conn: &rusqlite::Connection, p: &PublishTx) -> Result<()> {
    let current = p.version - 1;
    conn.execute(
        "DELETE FROM record_data WHERE id IN (SELECT data_id FROM record_versions WHERE dataset = ?1 AND valid_from > ?2)",
        params![p.dataset, current],
    )?;
    conn.execute("DELETE FROM record_versions WHERE dataset = ?1 AND valid_from > ?2", params![p.dataset, current])?;
    conn.execute("UPDATE record_versions SET valid_to = NULL WHERE dataset = ?1 AND valid_to > ?2", params![p.dataset, current])?;
    Ok(())
}

/// A thread with a connection of its own that copies committed parts from the WAL into the
/// database each time it is told to; it ends when the sender is dropped.
fn checkpointer(file: &Path) -> Result<mpsc::Sender<()>> {
    let conn = rusqlite::Connection::open(file)?;
    conn.execute_batch("PRAGMA busy_timeout = 10000;")?;
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "checkpoint during a publication");
                }
            }
        })
        .map_err(|e| Error::Changes(format!("starting the checkpoint thread: {e}")))?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{RecordChanges, Store};

    fn tx(version: i64, inserted: i64, updated: i64) -> PublishTx {
        PublishTx {
            dataset: "d".into(),
            pipeline: "d".into(),
            owner: "A".into(),
            title: String::new(),
            description: String::new(),
            key_fields: "[\"k\"]".into(),
            schema_json: "[]".into(),
            version,
            run_id: format!("run-{version}"),
            input_sha256: String::new(),
            row_count: 0,
            inserted,
            updated,
            deleted: 0,
            quarantined: 0,
            prefix: String::new(),
        }
    }

    fn changes(kind: ChangeKind, keys: &[&str]) -> ChangeChunks<'static> {
        let mut out = RecordChanges::default();
        for k in keys {
            out.push(kind, 7, |key, data| {
                key.push_str(k);
                data.push_str(&format!("{{\"k\":\"{k}\"}}"));
            });
        }
        Box::new(std::iter::once(Ok(out)))
    }

    async fn count(store: &Store, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(store.pool()).await.unwrap();
        n
    }

    #[tokio::test]
    async fn parts_stay_invisible_until_the_commit_and_an_abandoned_publication_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.db");
        let store = Store::connect(&format!("sqlite://{}", file.display())).await.unwrap();
        store.migrate().await.unwrap();
        let current = "SELECT COUNT(*) FROM records WHERE dataset = 'd' AND valid_to IS NULL";

        // Version 1 in parts of 2 rows: committed parts are stored but not visible.
        let v1 = SqlitePublish::begin_in_parts_of(&file, false, &tx(1, 5, 0), 2).await.unwrap();
        v1.apply(changes(ChangeKind::Insert, &["a", "b", "c", "d", "e"])).await.unwrap();
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_versions").await, 5, "the parts are committed");
        assert_eq!(count(&store, current).await, 0, "but not visible before the version is");
        v1.commit("sha").await.unwrap();
        assert_eq!(count(&store, current).await, 5);

        // Version 2 abandoned after its parts: nothing of it stays, not even its lease.
        let v2 = SqlitePublish::begin_in_parts_of(&file, false, &tx(2, 0, 3), 2).await.unwrap();
        v2.apply(changes(ChangeKind::Update, &["a", "b", "c"])).await.unwrap();
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_versions").await, 8);
        assert_eq!(count(&store, current).await, 5, "closed rows still count as current");
        drop(v2);
        for _ in 0..100 {
            if count(&store, "SELECT COUNT(*) FROM leases").await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(count(&store, "SELECT COUNT(*) FROM leases").await, 0);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_versions").await, 5, "its rows are removed");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_versions WHERE valid_to IS NULL").await, 5, "and its closes undone");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_data").await, 5);

        // A publication that died leaves its rows and an expired lease: the next one removes them.
        sqlx::query("INSERT INTO record_data (id, data) VALUES (99, '{}')").execute(store.pool()).await.unwrap();
        sqlx::query("INSERT INTO record_versions (dataset, record_key, valid_from, row_hash, data_id) VALUES ('d', 'z', 2, 'h', 99)").execute(store.pool()).await.unwrap();
        sqlx::query("UPDATE record_versions SET valid_to = 2 WHERE record_key = 'e'").execute(store.pool()).await.unwrap();
        sqlx::query("INSERT INTO leases (name, holder, expires_at) VALUES ('publish:d', 'gone', ?1)").bind(now_minus_an_hour()).execute(store.pool()).await.unwrap();
        let v2 = SqlitePublish::begin_in_parts_of(&file, false, &tx(2, 1, 0), 2).await.unwrap();
        v2.apply(changes(ChangeKind::Insert, &["f"])).await.unwrap();
        v2.commit("sha").await.unwrap();
        let keys: Vec<(String,)> = sqlx::query_as("SELECT record_key FROM records WHERE dataset = 'd' AND valid_to IS NULL ORDER BY 1").fetch_all(store.pool()).await.unwrap();
        assert_eq!(keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>(), ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_data WHERE id = 99").await, 0);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM leases").await, 0);

        // A live lease keeps another publication of the dataset out.
        sqlx::query("INSERT INTO leases (name, holder, expires_at) VALUES ('publish:d', 'busy', '9999-12-31T00:00:00Z')").execute(store.pool()).await.unwrap();
        let err = SqlitePublish::begin_in_parts_of(&file, false, &tx(3, 1, 0), 2).await.err().unwrap();
        assert!(err.to_string().contains("run busy is publishing dataset 'd'"), "{err}");
    }

    fn now_minus_an_hour() -> String {
        (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}
