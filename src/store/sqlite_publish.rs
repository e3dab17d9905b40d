//! Publishing on SQLite: a connection of its own, on a thread of its own, holds the
//! publication's transaction, and record changes load through prepared statements stepped once
//! per row (no round trip and no parameter encoding per row). The version becomes current only
//! when told to commit; if the publication is dropped first, the thread rolls it back (a large
//! one, committed in parts, also removes its parts).

use super::publish_tx::PublishTx;
use super::record_changes::ChangeChunks;
use super::sqlite_publication::{Publication, PART_ROWS};
use super::{Error, Result};
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
            // No one to tell when `begin` was dropped meanwhile.
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
        // The caller may have been dropped: an unfinished publication is then abandoned below,
        // when the commands end.
        let _ = reply.send(result);
        if last {
            break;
        }
    }
    if !done {
        publication.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ChangeKind, RecordChanges, Store};

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

    fn pool(store: &Store) -> &sqlx::SqlitePool {
        match store.db() {
            crate::store::Db::Sqlite(pool) => pool,
            crate::store::Db::Postgres(_) => panic!("a SQLite store"),
        }
    }

    /// A migrated store in a folder of its own (removed when the folder is dropped).
    async fn fresh_store() -> (tempfile::TempDir, std::path::PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.db");
        let store = Store::connect(&format!("sqlite://{}", file.display())).await.unwrap();
        store.migrate().await.unwrap();
        (dir, file, store)
    }

    async fn count(store: &Store, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool(store)).await.unwrap();
        n
    }

    #[tokio::test]
    async fn parts_stay_invisible_until_the_commit_and_an_abandoned_publication_leaves_nothing() {
        let (_dir, file, store) = fresh_store().await;
        let current = "SELECT COUNT(*) FROM records WHERE dataset = 'd' AND valid_to IS NULL";

        // Version 1 in parts of 2 rows: committed parts are stored but not visible; each part
        // notes that the run is alive (from the connection that holds the write lock).
        sqlx::query(
            "INSERT INTO runs (id, pipeline, dataset, trigger_kind, started_at, status, input_path, heartbeat_at) \
             VALUES ('run-1', 'd', 'd', 'manual', '2026-01-01T00:00:00.000000Z', 'running', '', '2026-01-01T00:00:00.000000Z')",
        )
        .execute(pool(&store))
        .await
        .unwrap();
        let v1 = SqlitePublish::begin_in_parts_of(&file, false, &PublishTx::test(1, 5, 0), 2).await.unwrap();
        v1.apply(changes(ChangeKind::Insert, &["a", "b", "c", "d", "e"])).await.unwrap();
        let (beat,): (String,) =
            sqlx::query_as("SELECT heartbeat_at FROM runs WHERE id = 'run-1'").fetch_one(pool(&store)).await.unwrap();
        assert!(beat.as_str() > "2026-01-01T00:00:00.000000Z", "noted alive while loading: {beat}");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_versions").await, 5, "the parts are committed");
        assert_eq!(count(&store, current).await, 0, "but not visible before the version is");
        v1.commit("sha").await.unwrap();
        assert_eq!(count(&store, current).await, 5);

        // Version 2 abandoned after its parts: nothing of it stays, not even its lease.
        let v2 = SqlitePublish::begin_in_parts_of(&file, false, &PublishTx::test(2, 0, 3), 2).await.unwrap();
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
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM record_versions WHERE valid_to IS NULL").await,
            5,
            "and its closes undone"
        );
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_data").await, 5);

        // A publication that died leaves its rows and an expired lease: the next one removes them.
        sqlx::query("INSERT INTO record_data (id, data) VALUES (99, '{}')").execute(pool(&store)).await.unwrap();
        sqlx::query("INSERT INTO record_versions (dataset, record_key, valid_from, row_hash, data_id) VALUES ('d', 'z', 2, 'h', 99)").execute(pool(&store)).await.unwrap();
        sqlx::query("UPDATE record_versions SET valid_to = 2 WHERE record_key = 'e'")
            .execute(pool(&store))
            .await
            .unwrap();
        sqlx::query("INSERT INTO leases (name, holder, expires_at) VALUES ('publish:d', 'gone', ?1)")
            .bind(now_minus_an_hour())
            .execute(pool(&store))
            .await
            .unwrap();
        let v2 = SqlitePublish::begin_in_parts_of(&file, false, &PublishTx::test(2, 1, 0), 2).await.unwrap();
        v2.apply(changes(ChangeKind::Insert, &["f"])).await.unwrap();
        v2.commit("sha").await.unwrap();
        let keys: Vec<(String,)> =
            sqlx::query_as("SELECT record_key FROM records WHERE dataset = 'd' AND valid_to IS NULL ORDER BY 1")
                .fetch_all(pool(&store))
                .await
                .unwrap();
        assert_eq!(keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>(), ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM record_data WHERE id = 99").await, 0);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM leases").await, 0);

        // A live lease keeps another publication of the dataset out.
        sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ('publish:d', 'busy', '9999-12-31T00:00:00Z')",
        )
        .execute(pool(&store))
        .await
        .unwrap();
        let err = SqlitePublish::begin_in_parts_of(&file, false, &PublishTx::test(3, 1, 0), 2).await.err().unwrap();
        assert!(err.to_string().contains("run busy is publishing dataset 'd'"), "{err}");
    }

    #[tokio::test]
    async fn between_parts_another_connection_writes_without_waiting() {
        let (_dir, file, store) = fresh_store().await;
        let v1 = SqlitePublish::begin_in_parts_of(&file, false, &PublishTx::test(1, 4, 0), 2).await.unwrap();
        // Two whole parts: committed, and the next one not begun before its rows arrive.
        v1.apply(changes(ChangeKind::Insert, &["a", "b", "c", "d"])).await.unwrap();
        let other = rusqlite::Connection::open(&file).unwrap();
        other.execute_batch("PRAGMA busy_timeout = 0;").unwrap();
        other
            .execute("INSERT INTO leases (name, holder, expires_at) VALUES ('other', 'x', '2026-01-01T00:00:00Z')", [])
            .expect("the write lock is free between parts");
        v1.apply(changes(ChangeKind::Insert, &[])).await.unwrap();
        v1.commit("sha").await.unwrap();
        assert_eq!(count(&store, "SELECT COUNT(*) FROM records WHERE dataset = 'd' AND valid_to IS NULL").await, 4);
    }

    #[tokio::test]
    async fn the_wal_starts_over_during_a_long_load_instead_of_growing_by_every_part() {
        let (dir, file, store) = fresh_store().await;
        let keys: Vec<String> = (0..200).map(|i| format!("k{i:03}")).collect();
        let wal = || std::fs::metadata(dir.path().join("hub.db-wal")).map(|m| m.len()).unwrap_or(0);
        let v1 =
            SqlitePublish::begin_in_parts_of(&file, false, &PublishTx::test(1, keys.len() as u64, 0), 2).await.unwrap();
        // Parts of two rows, each of which writes a few pages to the WAL.
        let mut sizes = Vec::new();
        for pair in keys.chunks(2) {
            let pair: Vec<&str> = pair.iter().map(String::as_str).collect();
            v1.apply(changes(ChangeKind::Insert, &pair)).await.unwrap();
            sizes.push(wal());
        }
        v1.commit("sha").await.unwrap();
        assert_eq!(count(&store, "SELECT COUNT(*) FROM records WHERE dataset = 'd' AND valid_to IS NULL").await, 200);
        // A hundred parts: the WAL holds a few of them at most (it starts over every four), as
        // large after the last as after the ninth.
        let (early, last) = (sizes[8], sizes[sizes.len() - 1]);
        assert!(early > 0 && last <= early * 2, "WAL grew from {early} to {last} bytes: {sizes:?}");
    }

    fn now_minus_an_hour() -> String {
        (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}
