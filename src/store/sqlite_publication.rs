//! A SQLite publication's connection: record changes written through prepared statements, in
//! one transaction or, for a large publication, in parts committed as they load (invisible until
//! the version is current; each part's transaction begins when its first rows arrive, so other
//! writers take the lock between parts) and checkpointed meanwhile by a thread of its own; the
//! lease that keeps other publications of the dataset out; the removal of a failed
//! publication's parts.

use super::publish_tx::{self, PublishTx};
use super::record_changes::{hash_text, ChangeChunks, ChangeKind};
use super::sqlite_checkpoint::Checkpoints;
use super::{Error, Result};
use rusqlite::{params, OptionalExtension};
use std::path::Path;

// On SQLite, `records` is a view over the version rows and the record data (migration 0008);
// the publication writes both tables directly.
const CLOSE_ONE: &str =
    "UPDATE record_versions SET valid_to = ?1 WHERE dataset = ?2 AND record_key = ?3 AND valid_to IS NULL";
/// Rows a multi-row insert statement writes: one statement (and one B-tree cursor, which then
/// appends without searching from the root) for many rows.
const ROWS_PER_INSERT: usize = 64;

/// `INSERT OR FAIL INTO record_data` of `n` rows with the ids given: `(id, data)` parameters.
/// `OR FAIL`: a multi-row statement that could fail part-way with `ABORT` (the default) keeps a
/// statement journal of every page it changes, to undo its own rows; a failure here abandons
/// the whole publication (rolled back, its parts removed), so nothing needs undoing by statement.
fn insert_data(n: usize) -> String {
    format!("INSERT OR FAIL INTO record_data (id, data) VALUES {}", vec!["(?, ?)"; n].join(", "))
}

/// `INSERT OR FAIL INTO record_versions` of `n` rows of one dataset and version (`OR FAIL` as
/// in [`insert_data`]): `?1` the dataset, `?2` the version, then `(record_key, row_hash,
/// data_id)` parameters.
fn insert_versions(n: usize) -> String {
    let rows: Vec<String> =
        (0..n).map(|i| format!("(?1, ?{}, ?2, ?{}, ?{})", 3 + 3 * i, 4 + 3 * i, 5 + 3 * i)).collect();
    format!(
        "INSERT OR FAIL INTO record_versions (dataset, record_key, valid_from, row_hash, data_id) VALUES {}",
        rows.join(", ")
    )
}

/// Record changes committed at a time. A first load writes hundreds of MiB: committed in parts,
/// they are copied from the WAL into the database (and synced) by a checkpointer thread while
/// the next parts load, instead of all at once in the last commit.
pub(super) const PART_ROWS: usize = 65_536;
/// How long a publication's lease lasts without being renewed (it is renewed at every part).
const LEASE_SECS: i64 = 120;

/// A publication's connection. Parts committed before the last one are written with the new
/// version's numbers but stay invisible: the `records` view shows only rows of versions up to the
/// dataset's current one. The lease `publish:<dataset>` keeps other publications of the dataset
/// out meanwhile; a publication that finds the rows of a failed one (its lease left behind)
/// removes them first.
pub(super) struct Publication {
    conn: rusqlite::Connection,
    p: PublishTx,
    lease: String,
    /// Whether the changes are committed in parts (a large publication) or in one transaction.
    parts: bool,
    part_rows: usize,
    rows: usize,
    checkpoints: Option<Checkpoints>,
}

impl Publication {
    pub(super) fn open(file: &Path, serving: bool, p: PublishTx, part_rows: usize) -> Result<Publication> {
        let conn = rusqlite::Connection::open(file)?;
        conn.execute_batch(super::SQLITE_PRAGMAS)?;
        // The page cache is memory of the run: as large as the store's (64 MiB) for a large load,
        // where it saves writing the same pages twice, and 16 MiB for the few changes of a usual run.
        let changes = publish_tx::sql_count(p.counts.inserted + p.counts.updated + p.counts.deleted);
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -{}; PRAGMA wal_autocheckpoint = 0;",
            (changes / 8).clamp(16_384, 65_536)
        ))?;
        // `lgsp serve` checkpoints on a task of its own; elsewhere a thread does, after each part.
        let parts = changes as usize > part_rows;
        let checkpoints = match parts && !serving {
            true => Some(Checkpoints::start(file)?),
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
        conn.execute(
            publish_tx::UPSERT_DATASET,
            params![p.dataset, p.pipeline, p.owner, p.title, p.description, p.key_fields, p.schema_json, super::now()],
        )?;
        let found: i64 = conn.query_row(publish_tx::CURRENT_VERSION_OF, params![p.dataset], |r| r.get(0))?;
        if found != p.version - 1 {
            conn.execute_batch("ROLLBACK")?;
            return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
        }
        let left: Option<(String, String)> = conn
            .query_row("SELECT holder, expires_at FROM leases WHERE name = ?1", params![self.lease], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((holder, until)) = &left {
            if until.as_str() >= super::now().as_str() {
                conn.execute_batch("ROLLBACK")?;
                return Err(Error::Changes(format!(
                    "run {holder} is publishing dataset '{}' (its lease runs until {until}): run again when it ends",
                    p.dataset
                )));
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

    /// Renews the lease, and notes that the run is alive: while a large publication loads, its
    /// connection takes the write lock again as soon as it commits a part, so another
    /// connection's note (the run's heartbeat task) could wait past its busy timeout.
    fn renew(&self) -> Result<()> {
        let until = (chrono::Utc::now() + chrono::Duration::seconds(LEASE_SECS))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.conn.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
            params![self.lease, self.p.run_id, until],
        )?;
        self.conn.execute(
            "UPDATE runs SET heartbeat_at = ?1 WHERE id = ?2 AND status = 'running'",
            params![super::now(), self.p.run_id],
        )?;
        Ok(())
    }

    pub(super) fn apply(&mut self, chunks: ChangeChunks<'static>) -> Result<()> {
        let p = &self.p;
        let mut hex = [0u8; 16];
        let full = (insert_data(ROWS_PER_INSERT), insert_versions(ROWS_PER_INSERT));
        let sql = |n: usize| match n == ROWS_PER_INSERT {
            true => (std::borrow::Cow::Borrowed(full.0.as_str()), std::borrow::Cow::Borrowed(full.1.as_str())),
            false => (insert_data(n).into(), insert_versions(n).into()),
        };
        // Ids of new record data are given here (the transaction holds the write lock), so that
        // a multi-row insert knows them.
        let next_id = |conn: &rusqlite::Connection| -> Result<i64> {
            Ok(conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM record_data", [], |r| r.get(0))?)
        };
        let mut id = next_id(&self.conn)?;
        for chunk in chunks {
            let chunk = chunk.map_err(Error::Changes)?;
            if self.conn.is_autocommit() {
                // The next part: its transaction begins only now that its rows are here, so
                // that other writers (the audit log, a run's heartbeat) get the lock meanwhile.
                if let Some(c) = self.checkpoints.as_mut() {
                    c.before_part();
                }
                self.conn.execute_batch("BEGIN IMMEDIATE")?;
                // Another dataset's publication may have added record data in between.
                id = next_id(&self.conn)?;
            }
            {
                // Closes first: a key's new version is inserted open (valid_to NULL).
                let mut close = self.conn.prepare_cached(CLOSE_ONE)?;
                for change in chunk.iter().filter(|c| c.kind != ChangeKind::Insert) {
                    close.execute(params![p.version, p.dataset, change.key])?;
                }
                let new: Vec<_> = chunk.iter().filter(|c| c.kind != ChangeKind::Delete).collect();
                for rows in new.chunks(ROWS_PER_INSERT) {
                    let n = rows.len();
                    let (data_sql, versions_sql) = sql(n);
                    let mut data = self.conn.prepare_cached(&data_sql)?;
                    for (i, change) in rows.iter().enumerate() {
                        data.raw_bind_parameter(2 * i + 1, id + i as i64)?;
                        data.raw_bind_parameter(2 * i + 2, change.data)?;
                    }
                    data.raw_execute()?;
                    let mut version = self.conn.prepare_cached(&versions_sql)?;
                    version.raw_bind_parameter(1, &p.dataset)?;
                    version.raw_bind_parameter(2, p.version)?;
                    for (i, change) in rows.iter().enumerate() {
                        version.raw_bind_parameter(3 + 3 * i, change.key)?;
                        version.raw_bind_parameter(4 + 3 * i, hash_text(change.hash, &mut hex))?;
                        version.raw_bind_parameter(5 + 3 * i, id + i as i64)?;
                    }
                    version.raw_execute()?;
                    id += n as i64;
                }
            }
            self.rows += chunk.len();
            if self.parts && self.rows >= self.part_rows {
                self.rows = 0;
                self.renew()?;
                self.conn.execute_batch("COMMIT")?;
                if self.checkpoints.as_mut().is_some_and(|c| !c.committed()) {
                    // The parts are still copied from the WAL at the commit.
                    tracing::warn!(dataset = %p.dataset, "the checkpoint thread has stopped");
                    self.checkpoints = None;
                }
            }
        }
        Ok(())
    }

    /// Records the version, moves the dataset to it, releases the lease, commits.
    pub(super) fn commit(&mut self, manifest_sha256: &str) -> Result<()> {
        let (conn, p) = (&self.conn, &self.p);
        if conn.is_autocommit() {
            conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        let now = super::now();
        let moved = conn.execute(
            publish_tx::MOVE_DATASET,
            params![
                p.version,
                p.pipeline,
                p.owner,
                p.title,
                p.description,
                p.key_fields,
                p.schema_json,
                now,
                p.dataset,
                p.version - 1
            ],
        )?;
        if moved != 1 {
            let found: i64 = conn.query_row(publish_tx::CURRENT_VERSION_OF, params![p.dataset], |r| r.get(0))?;
            return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
        }
        conn.execute(
            &publish_tx::insert_version_sql(),
            params![
                p.dataset,
                p.version,
                p.run_id,
                now,
                p.input_sha256,
                publish_tx::sql_count(p.counts.rows),
                publish_tx::sql_count(p.counts.inserted),
                publish_tx::sql_count(p.counts.updated),
                publish_tx::sql_count(p.counts.deleted),
                publish_tx::sql_count(p.counts.rows_quarantined),
                p.prefix,
                manifest_sha256
            ],
        )?;
        conn.execute(publish_tx::UPSERT_LAYOUT, params![p.dataset, p.version, p.layout()])?;
        // Parts committed earlier are this publication's only while it still holds the lease.
        if self.parts
            && conn.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![self.lease, p.run_id])? != 1
        {
            return Err(Error::Changes(format!(
                "the publication of dataset '{}' lost its lease (not renewed for {LEASE_SECS} s): run again",
                p.dataset
            )));
        }
        conn.execute_batch("COMMIT")?;
        self.checkpoints = None;
        if self.p.counts.changes_anything() {
            // What the parts' checkpoints have not copied yet (as the automatic checkpoint would).
            // The version is committed either way: a later checkpoint copies what this one does not.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(dataset = %p.dataset, error = %e, "checkpoint after a publication");
            }
        }
        Ok(())
    }

    /// Rolls back the open part and removes the rows of the parts already committed (when that
    /// fails too, the next publication of the dataset removes them once the lease has expired).
    pub(super) fn abandon(mut self) {
        self.checkpoints = None;
        let conn = &self.conn;
        if !conn.is_autocommit() {
            if let Err(e) = conn.execute_batch("ROLLBACK") {
                tracing::warn!(dataset = %self.p.dataset, error = %e, "could not roll back an abandoned publication");
            }
        }
        if !self.parts {
            return;
        }
        let swept = conn.execute_batch("BEGIN IMMEDIATE").map_err(Error::from).and_then(|()| sweep(conn, &self.p));
        let released = swept.and_then(|()| {
            Ok(conn.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![self.lease, self.p.run_id])?)
        });
        let done = released.and_then(|_| Ok(conn.execute_batch("COMMIT")?));
        if let Err(e) = done {
            tracing::warn!(dataset = %self.p.dataset, error = %e, "could not remove the rows of an abandoned publication; the next one will");
            if let Err(e) = conn.execute_batch("ROLLBACK") {
                tracing::debug!(dataset = %self.p.dataset, error = %e, "rolling back the removal");
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
    conn.execute(
        "UPDATE record_versions SET valid_to = NULL WHERE dataset = ?1 AND valid_to > ?2",
        params![p.dataset, current],
    )?;
    Ok(())
}
