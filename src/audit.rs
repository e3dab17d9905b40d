//! The audit log: every data access, admin action and pipeline run, appended to a table whose
//! rows are chained by a keyed hash (HMAC-SHA256 over the row and the previous row's hash, with
//! a key kept outside the store), signed checkpoints of its head written outside the table
//! (`checkpoint`), and its verification.

mod checkpoint;
mod key;
mod redact;

pub use checkpoint::{latest_checkpoint, signed_head, write_checkpoint, Checkpoint, CHECKPOINTS};
pub use key::{load_key, KEY_ENV};
pub use redact::redact_before;

use crate::digest::MacKey;
use crate::store::{AuditRow, Store};
use serde::Serialize;

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The object store (checkpoints) failed.
    #[error(transparent)]
    Objects(#[from] crate::objects::Error),
    /// No key was loaded: nothing is appended or verified without it.
    #[error("the audit key is not loaded: nothing can be appended to or verified in the audit log")]
    NoKey,
    /// The key file is missing while the log already holds rows chained with a key.
    #[error("the audit key file {0} is missing but the audit log has rows: restore the key file (or set {KEY_ENV}) from where it is kept; a new key would make every row unverifiable")]
    KeyMissing(std::path::PathBuf),
    /// The key file cannot be read or written.
    #[error("audit key file {path}: {source}")]
    KeyFile { path: std::path::PathBuf, source: std::io::Error },
    /// The key is not a valid key.
    #[error("{origin}: {source}")]
    BadKey { origin: String, source: crate::digest::BadKey },
    /// A checkpoint could not be encoded or decoded.
    #[error("audit checkpoint {path}: {source}")]
    Checkpoint { path: String, source: serde_json::Error },
    /// The batched writer is gone (the server is stopping).
    #[error("the audit writer stopped")]
    WriterStopped,
    /// A checkpoint is not signed with this key.
    #[error("the audit checkpoint {0} is not signed with this key: it was forged, or the key changed")]
    Forged(String),
    /// The batch holding this entry could not be written.
    #[error("the audit log could not be written: {0}")]
    Batch(String),
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Hash of the first row's predecessor.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The audit entry of an administrative action by `actor` (`cli` or an admin client id).
pub fn admin_entry(actor: &str, action: &str, agency: &str, detail: serde_json::Value) -> AuditRow {
    AuditRow {
        kind: "admin".into(),
        actor: actor.into(),
        agency: agency.into(),
        action: action.into(),
        status: 0,
        detail: detail.to_string(),
        ..Default::default()
    }
}

/// The keyed hash (HMAC-SHA256) of the row's content and its predecessor's hash, in a fixed
/// field order. Without the key, a rewritten row cannot be given a hash that verifies.
pub fn hash_of(key: &MacKey, r: &AuditRow) -> String {
    let version = r.version.map(|v| v.to_string()).unwrap_or_default();
    let fields = [
        r.seq.to_string(),
        r.at.clone(),
        r.kind.clone(),
        r.actor.clone(),
        r.agency.clone(),
        r.action.clone(),
        r.dataset.clone(),
        version,
        r.rows_out.to_string(),
        r.bytes_out.to_string(),
        r.status.to_string(),
        r.duration_ms.to_string(),
        r.request_id.clone(),
        r.detail.clone(),
        r.prev_hash.clone(),
        r.peer.clone(),
    ];
    key.mac_hex(fields.iter().map(|f| f.as_bytes()))
}

fn key_of(store: &Store) -> Result<&MacKey> {
    store.audit_chain().key().ok_or(Error::NoKey)
}

/// Appends `entry` (its `seq`, `at`, `prev_hash` and `hash` are set here) and returns it.
/// Another process appending meanwhile makes the insert fail on `seq`: the head is then read
/// again from the store and the append retried.
pub async fn append(store: &Store, mut entry: AuditRow) -> Result<AuditRow> {
    let key = key_of(store)?;
    let mut head = store.audit_chain().head.lock().await;
    let mut attempt = 0;
    loop {
        let (seq, prev) = match head.as_ref() {
            Some((s, h)) if attempt == 0 => (*s, h.clone()),
            _ => store.last_audit().await?.map(|l| (l.seq, l.hash)).unwrap_or((0, GENESIS.to_string())),
        };
        entry.seq = seq + 1;
        entry.prev_hash = prev;
        if entry.at.is_empty() {
            entry.at = crate::store::now();
        }
        entry.hash = hash_of(key, &entry);
        match store.insert_audit(&entry).await {
            Ok(()) => {
                *head = Some((entry.seq, entry.hash.clone()));
                return Ok(entry);
            }
            Err(e) if attempt < 5 => {
                tracing::debug!(error = %e, "audit append raced another writer; retrying");
                *head = None;
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

type Pending = (AuditRow, tokio::sync::oneshot::Sender<std::result::Result<AuditRow, String>>);

/// A background writer that chains and inserts entries in batches (one statement for all the
/// entries waiting), for the API's many small appends.
#[derive(Clone)]
pub(crate) struct AuditWriter {
    tx: tokio::sync::mpsc::Sender<Pending>,
}

impl AuditWriter {
    /// Starts the writer task on the current runtime.
    pub(crate) fn spawn(store: Store) -> AuditWriter {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Pending>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < 256 {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                let result = write_batch(&store, batch.iter().map(|(r, _)| r.clone()).collect()).await;
                match result {
                    // A requester that went away (its client disconnected) needs no answer.
                    Ok(rows) => {
                        for ((_, reply), row) in batch.into_iter().zip(rows) {
                            let _ = reply.send(Ok(row));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, entries = batch.len(), "could not write to the audit log");
                        for (_, reply) in batch {
                            let _ = reply.send(Err(e.to_string()));
                        }
                    }
                }
            }
        });
        AuditWriter { tx }
    }

    /// Appends `entry` and returns it chained (with its hash, for receipts), once the batch
    /// holding it is committed.
    pub(crate) async fn append(&self, entry: AuditRow) -> Result<AuditRow> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.tx.send((entry, reply)).await.map_err(|_| Error::WriterStopped)?;
        answer.await.map_err(|_| Error::WriterStopped)?.map_err(Error::Batch)
    }
}

async fn write_batch(store: &Store, rows: Vec<AuditRow>) -> Result<Vec<AuditRow>> {
    let key = key_of(store)?;
    let mut head = store.audit_chain().head.lock().await;
    let mut attempt = 0;
    loop {
        let (mut seq, mut prev) = match head.as_ref() {
            Some(h) if attempt == 0 => h.clone(),
            _ => store.last_audit().await?.map(|l| (l.seq, l.hash)).unwrap_or((0, GENESIS.to_string())),
        };
        let mut chained = rows.clone();
        for r in &mut chained {
            seq += 1;
            r.seq = seq;
            r.prev_hash = prev.clone();
            if r.at.is_empty() {
                r.at = crate::store::now();
            }
            r.hash = hash_of(key, r);
            prev = r.hash.clone();
        }
        match store.insert_audit_batch(&chained).await {
            Ok(()) => {
                *head = Some((seq, prev));
                return Ok(chained);
            }
            Err(e) if attempt < 4 => {
                tracing::debug!(error = %e, "audit batch raced another writer; retrying");
                *head = None;
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What a verification found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verification {
    /// Rows checked.
    pub rows: i64,
    /// Hash of the last row (the chain head), to quote in reports.
    pub head: String,
    /// The first broken row and why, if any.
    pub broken: Option<(i64, String)>,
    /// The newest signed checkpoint found outside the table, which the rows were checked
    /// against (none when no checkpoint was written yet, or none was looked for).
    pub checkpoint: Option<Checkpoint>,
}

/// Walks the whole log and checks sequence numbers, links and keyed hashes.
pub async fn verify(store: &Store) -> Result<Verification> {
    let key = key_of(store)?;
    let mut v = Verification { rows: 0, head: GENESIS.to_string(), broken: None, checkpoint: None };
    let mut expect_seq = 1;
    loop {
        let page = store.audit_page(expect_seq - 1, 5000).await?;
        if page.is_empty() {
            return Ok(v);
        }
        for r in page {
            let problem = if r.seq != expect_seq {
                Some(format!(
                    "row {} follows row {}: rows {} to {} are missing",
                    r.seq,
                    expect_seq - 1,
                    expect_seq,
                    r.seq - 1
                ))
            } else if r.prev_hash != v.head {
                Some(
                    "its link to the previous row is broken: a row before it was changed, inserted or deleted"
                        .to_string(),
                )
            } else if hash_of(key, &r) != r.hash && !redact::seal_holds(key, &r) {
                Some("its content does not match its keyed hash: the row was edited or rewritten".to_string())
            } else {
                None
            };
            if let Some(p) = problem {
                v.broken = Some((r.seq, p));
                return Ok(v);
            }
            v.rows += 1;
            v.head = r.hash.clone();
            expect_seq = r.seq + 1;
        }
    }
}

/// [`verify`], then checks the rows against the newest signed checkpoint kept outside the table
/// (in the object store and in published manifests): rows missing after it (the log was
/// truncated), or a row that differs from what the checkpoint saw.
pub async fn verify_with_checkpoints(store: &Store, objects: &crate::objects::Objects) -> Result<Verification> {
    let mut v = verify(store).await?;
    let Some(cp) = latest_checkpoint(store, objects).await? else { return Ok(v) };
    if v.broken.is_none() {
        if cp.seq > v.rows {
            v.broken = Some((
                v.rows + 1,
                format!(
                    "rows {} to {} are missing: the checkpoint of {} saw the log up to row {} (the newest rows were deleted)",
                    v.rows + 1,
                    cp.seq,
                    cp.at,
                    cp.seq
                ),
            ));
        } else if cp.seq > 0 {
            let row = store.audit_page(cp.seq - 1, 1).await?.into_iter().next();
            if row.as_ref().is_none_or(|r| r.hash != cp.hash) {
                v.broken = Some((
                    cp.seq,
                    format!("it differs from the checkpoint of {}: the log was rewritten from this row on", cp.at),
                ));
            }
        }
    }
    v.checkpoint = Some(cp);
    Ok(v)
}

#[cfg(test)]
mod tests;
