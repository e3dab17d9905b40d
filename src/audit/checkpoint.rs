//! Signed checkpoints of the audit log's head, written outside the table: to the object store
//! (`audit/checkpoints/`) and into each published version's manifest. A checkpoint says "the
//! log held rows 1 to `seq`, the last one hashed `hash`, at `at`", signed with the audit key, so
//! deleting the newest rows (or the whole table) is found by `lgsp audit verify`.

use super::{key_of, Error, Result};
use crate::objects::{self, Objects};
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Folder of checkpoints in the object store; `latest.json` is the newest.
pub const CHECKPOINTS: &str = "audit/checkpoints";

/// The head of the audit log at a moment, signed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    /// Rows the log held (the last row's sequence number).
    pub seq: i64,
    /// Keyed hash of that row.
    pub hash: String,
    /// When the checkpoint was taken (RFC 3339, UTC).
    pub at: String,
    /// HMAC-SHA256 of `seq`, `hash` and `at` with the audit key.
    pub(crate) signature: String,
}

impl Checkpoint {
    fn signature_of(key: &crate::digest::MacKey, seq: i64, hash: &str, at: &str) -> String {
        let seq = seq.to_string();
        key.mac_hex([b"audit-checkpoint".as_slice(), seq.as_bytes(), hash.as_bytes(), at.as_bytes()])
    }

    /// True when `key` signed this checkpoint.
    fn signed_by(&self, key: &crate::digest::MacKey) -> bool {
        Checkpoint::signature_of(key, self.seq, &self.hash, &self.at) == self.signature
    }
}

/// A signed checkpoint of the log's current head (seq 0 for an empty log).
pub async fn signed_head(store: &Store) -> Result<Checkpoint> {
    let key = key_of(store)?;
    let (seq, hash) = store.last_audit().await?.map(|r| (r.seq, r.hash)).unwrap_or((0, super::GENESIS.to_string()));
    let at = crate::store::now();
    let signature = Checkpoint::signature_of(key, seq, &hash, &at);
    Ok(Checkpoint { seq, hash, at, signature })
}

/// Writes a checkpoint of the current head to the object store (`<seq>.json`, then
/// `latest.json`) and returns it.
pub async fn write_checkpoint(store: &Store, objects: &Objects) -> Result<Checkpoint> {
    let cp = signed_head(store).await?;
    let body =
        serde_json::to_vec_pretty(&cp).map_err(|source| Error::Checkpoint { path: CHECKPOINTS.into(), source })?;
    objects::put(objects, &format!("{CHECKPOINTS}/{:012}.json", cp.seq), body.clone()).await?;
    objects::put(objects, &format!("{CHECKPOINTS}/latest.json"), body).await?;
    Ok(cp)
}

/// The newest checkpoint signed with this process's key, from the object store's
/// `latest.json` and the manifests of every dataset's current version. A checkpoint with a bad
/// signature is an error: it was forged, or the key changed.
pub async fn latest_checkpoint(store: &Store, objects: &Objects) -> Result<Option<Checkpoint>> {
    let key = key_of(store)?;
    let mut found: Vec<(String, Checkpoint)> = Vec::new();
    let latest = format!("{CHECKPOINTS}/latest.json");
    match objects::get(objects, &latest).await {
        Ok(bytes) => found.push((latest.clone(), decode(&latest, &bytes)?)),
        Err(objects::Error::Store(object_store::Error::NotFound { .. })) => {}
        Err(e) => return Err(e.into()),
    }
    for prefix in store.current_version_prefixes().await? {
        let path = format!("{prefix}/manifest.json");
        let bytes = match objects::get(objects, &path).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%path, error = %e, "a manifest could not be read for its audit checkpoint");
                continue;
            }
        };
        let manifest: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|source| Error::Checkpoint { path: path.clone(), source })?;
        if let Some(cp) = manifest.get("audit_checkpoint").filter(|c| !c.is_null()) {
            let cp = serde_json::from_value(cp.clone())
                .map_err(|source| Error::Checkpoint { path: path.clone(), source })?;
            found.push((path, cp));
        }
    }
    for (path, cp) in &found {
        if !cp.signed_by(key) {
            return Err(Error::Forged(path.clone()));
        }
    }
    Ok(found.into_iter().map(|(_, cp)| cp).max_by_key(|cp| cp.seq))
}

fn decode(path: &str, bytes: &[u8]) -> Result<Checkpoint> {
    serde_json::from_slice(bytes).map_err(|source| Error::Checkpoint { path: path.into(), source })
}
