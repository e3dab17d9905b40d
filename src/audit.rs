//! The audit log: every data access, admin action and pipeline run, appended to a table whose
//! rows are hash-chained (each row carries the hash of the previous one), and its verification.

use crate::store::{AuditRow, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Result type of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// Hash of the first row's predecessor.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

/// sha256 over the row's content and its predecessor's hash, in a fixed field order.
pub fn hash_of(r: &AuditRow) -> String {
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
    ];
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// The chain head this process last wrote or read: (seq, hash). One writer at a time.
static HEAD: tokio::sync::Mutex<Option<(i64, String)>> = tokio::sync::Mutex::const_new(None);

/// Appends `entry` (its `seq`, `at`, `prev_hash` and `hash` are set here) and returns it.
/// Another process appending meanwhile makes the insert fail on `seq`: the head is then read
/// again from the store and the append retried.
pub async fn append(store: &Store, mut entry: AuditRow) -> Result<AuditRow> {
    let mut head = HEAD.lock().await;
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
        entry.hash = hash_of(&entry);
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
pub struct AuditWriter {
    tx: tokio::sync::mpsc::Sender<Pending>,
}

impl AuditWriter {
    /// Starts the writer task on the current runtime.
    pub fn spawn(store: Store) -> AuditWriter {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Pending>(4096);
        tokio::spawn(async move {
            let mut head: Option<(i64, String)> = None;
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < 256 {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                let result = write_batch(&store, &mut head, batch.iter().map(|(r, _)| r.clone()).collect()).await;
                match result {
                    Ok(rows) => {
                        for ((_, reply), row) in batch.into_iter().zip(rows) {
                            let _ = reply.send(Ok(row));
                        }
                    }
                    Err(e) => {
                        for (_, reply) in batch {
                            let _ = reply.send(Err(e.to_string()));
                        }
                    }
                }
            }
        });
        AuditWriter { tx }
    }

    /// Appends `entry` and returns it chained (with its hash, for receipts).
    pub async fn append(&self, entry: AuditRow) -> std::result::Result<AuditRow, String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.tx.send((entry, reply)).await.map_err(|_| "the audit writer stopped".to_string())?;
        answer.await.map_err(|_| "the audit writer stopped".to_string())?
    }
}

async fn write_batch(store: &Store, head: &mut Option<(i64, String)>, rows: Vec<AuditRow>) -> Result<Vec<AuditRow>> {
    for attempt in 0..5 {
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
            r.hash = hash_of(r);
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
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Vec::new())
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
}

/// Walks the whole log and checks sequence numbers, links and hashes.
pub async fn verify(store: &Store) -> Result<Verification> {
    let mut v = Verification { rows: 0, head: GENESIS.to_string(), broken: None };
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
            } else if hash_of(&r) != r.hash {
                Some("its content does not match its hash: the row was edited".to_string())
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

#[cfg(test)]
mod tests;
