//! Publishing on SQLite: a connection of its own, on a thread of its own, holds the
//! publication's transaction, and record changes load through two prepared statements stepped
//! once per row (no round trip and no parameter encoding per row). The transaction commits only
//! when told to; if the publication is dropped first, the thread rolls it back.

use super::record_changes::{hash_text, ChangeChunks, ChangeKind};
use super::records::{self, PublishTx};
use super::{Error, Result};
use rusqlite::params;
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

const CLOSE_ONE: &str = "UPDATE records SET valid_to = ?1 WHERE dataset = ?2 AND record_key = ?3 AND valid_to IS NULL";
const INSERT_ONE: &str = "INSERT INTO records (dataset, record_key, row_hash, data, valid_from) VALUES (?1, ?2, ?3, ?4, ?5)";

impl SqlitePublish {
    /// Opens the transaction and moves the dataset to `p.version` (see `Store::begin_publish`).
    pub(super) async fn begin(file: &Path, serving: bool, p: &PublishTx) -> Result<SqlitePublish> {
        let (cmds, rx) = mpsc::channel();
        let (ready, started) = oneshot::channel();
        let (file, p) = (file.to_path_buf(), p.clone());
        std::thread::Builder::new()
            .name("sqlite-publish".into())
            .spawn(move || serve(file, serving, p, rx, ready))
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

fn serve(file: PathBuf, serving: bool, p: PublishTx, rx: mpsc::Receiver<Cmd>, ready: Reply) {
    let conn = match open_and_begin(&file, serving, &p) {
        Ok(conn) => conn,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        return;
    }
    while let Ok(cmd) = rx.recv() {
        let (result, reply, last) = match cmd {
            Cmd::Apply(chunks, reply) => {
                let r = apply(&conn, &p, chunks);
                let failed = r.is_err();
                (r, reply, failed)
            }
            Cmd::Commit(sha, reply) => (commit(&conn, &p, &sha), reply, true),
        };
        let _ = reply.send(result);
        if last {
            break;
        }
    }
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

fn open_and_begin(file: &Path, serving: bool, p: &PublishTx) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(file)?;
    conn.execute_batch(super::SQLITE_PRAGMAS)?;
    // The page cache is memory of the run: as large as the store's (64 MiB) for a large load,
    // where it saves writing the same pages twice, and 16 MiB for the few changes of a usual run.
    let changes = p.inserted + p.updated + p.deleted;
    conn.execute_batch(&format!("PRAGMA cache_size = -{};", (changes / 8).clamp(16_384, 65_536)))?;
    if serving {
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let now = super::now();
    conn.execute(records::UPSERT_DATASET, params![p.dataset, p.pipeline, p.owner, p.title, p.description, p.key_fields, p.schema_json, now])?;
    let moved = conn.execute(
        records::MOVE_DATASET,
        params![p.version, p.pipeline, p.owner, p.title, p.description, p.key_fields, p.schema_json, now, p.dataset, p.version - 1],
    )?;
    if moved != 1 {
        let found: i64 = conn.query_row(records::CURRENT_VERSION_OF, params![p.dataset], |r| r.get(0))?;
        return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
    }
    Ok(conn)
}

fn apply(conn: &rusqlite::Connection, p: &PublishTx, chunks: ChangeChunks<'static>) -> Result<()> {
    let mut close = conn.prepare_cached(CLOSE_ONE)?;
    let mut insert = conn.prepare_cached(INSERT_ONE)?;
    let mut hex = [0u8; 16];
    for chunk in chunks {
        for change in chunk.map_err(Error::Changes)?.iter() {
            let (key, data) = (change.key, change.data);
            if change.kind != ChangeKind::Insert {
                close.execute(params![p.version, p.dataset, key])?;
            }
            if change.kind != ChangeKind::Delete {
                insert.execute(params![p.dataset, key, hash_text(change.hash, &mut hex), data, p.version])?;
            }
        }
    }
    Ok(())
}

fn commit(conn: &rusqlite::Connection, p: &PublishTx, manifest_sha256: &str) -> Result<()> {
    conn.execute(
        &records::insert_version_sql(),
        params![p.dataset, p.version, p.run_id, super::now(), p.input_sha256, p.row_count, p.inserted, p.updated, p.deleted, p.quarantined, p.prefix, manifest_sha256],
    )?;
    conn.execute_batch("COMMIT")?;
    Ok(())
}
