//! The thread that copies a large SQLite publication's committed parts from the WAL into the
//! database while the next parts load.

use super::{Error, Result};
use std::path::Path;
use std::sync::mpsc;

/// Parts after which the publication waits for the checkpoint thread to have copied everything
/// before it begins the next part: the WAL then starts over from its beginning instead of growing
/// by every part of the load (a whole first load twice over on disk: 4.2 GB at 5M rows, written
/// back under the kernel's dirty-page limits).
const RESTART_PARTS: usize = 4;

/// A request to the checkpoint thread: copy what is committed, then say so on the sender given.
type Checkpoint = Option<mpsc::SyncSender<()>>;

/// A publication's checkpoint thread, and when its next part must wait for it.
pub(super) struct Checkpoints {
    tx: mpsc::Sender<Checkpoint>,
    /// Parts committed since the WAL last started over.
    parts: usize,
    /// The checkpoint to wait for before the next part begins.
    restart: Option<mpsc::Receiver<()>>,
}

impl Checkpoints {
    /// Starts the thread, on a connection of its own to `file`; it ends when this is dropped.
    pub(super) fn start(file: &Path) -> Result<Checkpoints> {
        Ok(Checkpoints { tx: checkpointer(file)?, parts: 0, restart: None })
    }

    /// After a part's commit: has the thread copy it into the database, and every
    /// `RESTART_PARTS` parts has the next part wait until it has. False when the thread has
    /// stopped.
    pub(super) fn committed(&mut self) -> bool {
        self.parts += 1;
        let done = match self.parts >= RESTART_PARTS {
            true => {
                let (done, wait) = mpsc::sync_channel(1);
                self.restart = Some(wait);
                self.parts = 0;
                Some(done)
            }
            false => None,
        };
        self.tx.send(done).is_ok()
    }

    /// Before a part begins: waits, when due, for the checkpoint of everything committed, so
    /// that the part's first write starts the WAL over (a stopped thread has dropped the sender:
    /// nothing to wait for).
    pub(super) fn before_part(&mut self) {
        if let Some(wait) = self.restart.take() {
            let _ = wait.recv();
        }
    }
}

/// A thread with a connection of its own that copies committed parts from the WAL into the
/// database each time it is told to; it ends when the sender is dropped.
fn checkpointer(file: &Path) -> Result<mpsc::Sender<Checkpoint>> {
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
