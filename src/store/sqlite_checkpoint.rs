//! The thread that copies a large SQLite publication's committed parts from the WAL into the
//! database while the next parts load.

use super::{Error, Result};
use std::path::Path;
use std::sync::mpsc;

/// A request to the checkpoint thread: copy what is committed, then say so on the sender given.
pub(super) type Checkpoint = Option<mpsc::SyncSender<()>>;

/// A thread with a connection of its own that copies committed parts from the WAL into the
/// database each time it is told to; it ends when the sender is dropped.
pub(super) fn checkpointer(file: &Path) -> Result<mpsc::Sender<Checkpoint>> {
    let conn = rusqlite::Connection::open(file)?;
    conn.execute_batch("PRAGMA busy_timeout = 10000;")?;
    let (tx, rx) = mpsc::channel::<Checkpoint>();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let waiting: Vec<_> = std::iter::once(first).chain(rx.try_iter()).flatten().collect();
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "checkpoint during a publication");
                }
                for done in waiting {
                    let _ = done.send(());
                }
            }
        })
        .map_err(|e| Error::Changes(format!("starting the checkpoint thread: {e}")))?;
    Ok(tx)
}
