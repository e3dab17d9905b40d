//! Redaction of old audit entries by retention: the personal details of a request (the key of
//! a looked-up record in its path, the caller's address) are removed, and the entry keeps its
//! hash, so the rows after it still link to it. The redacted entry carries a seal (a keyed hash
//! of what it now holds and of its hash), which `verify` checks instead of its hash: without the
//! key, a redacted entry can no more be rewritten than any other.

use super::{hash_of, Error, Result};
use crate::digest::MacKey;
use crate::store::{AuditRow, Store};
use serde::{Deserialize, Serialize};

/// How a redacted entry's detail starts (the store finds entries not yet redacted by it).
pub(crate) const REDACTED_PREFIX: &str = "{\"redacted_at\"";

/// The detail of a redacted entry.
#[derive(Serialize, Deserialize)]
struct Redacted {
    redacted_at: String,
    /// The entry's detail before (grant, offered rows, where changes start: nothing personal).
    kept: String,
    seal: String,
}

/// The path of an action with a looked-up record's key replaced by `…`.
fn without_key(action: &str) -> String {
    match action.find("/records/") {
        Some(i) => format!("{}/records/…", &action[..i]),
        None => action.to_string(),
    }
}

fn seal(key: &MacKey, r: &AuditRow, redacted_at: &str, kept: &str) -> String {
    let mut sealed = r.clone();
    sealed.detail = format!("{redacted_at}\u{1f}{kept}");
    key.mac_hex([b"redacted".as_slice(), hash_of(key, &sealed).as_bytes(), r.hash.as_bytes()])
}

/// `r` redacted at `now`.
fn redact(key: &MacKey, mut r: AuditRow, now: &str) -> AuditRow {
    r.action = without_key(&r.action);
    r.peer = String::new();
    let kept = std::mem::take(&mut r.detail);
    let seal = seal(key, &r, now, &kept);
    r.detail = serde_json::to_string(&Redacted { redacted_at: now.into(), kept, seal }).unwrap_or_default();
    r
}

/// Whether `r` is a redacted entry whose seal holds.
pub(crate) fn seal_holds(key: &MacKey, r: &AuditRow) -> bool {
    if !r.detail.starts_with(REDACTED_PREFIX) {
        return false;
    }
    let Ok(d) = serde_json::from_str::<Redacted>(&r.detail) else { return false };
    let mut bare = r.clone();
    bare.detail = String::new();
    seal(key, &bare, &d.redacted_at, &d.kept) == d.seal
}

/// Redacts the request and delivery entries of `dataset` older than `before`; returns how many.
/// An entry that does not verify is not redacted (that would hide the change): the pass stops
/// and says which.
pub async fn redact_before(store: &Store, dataset: &str, before: &str) -> Result<usize> {
    let key = store.audit_chain().key().ok_or(Error::NoKey)?;
    let now = crate::store::now();
    let mut n = 0;
    loop {
        let page = store.audit_to_redact(dataset, before, 1000).await?;
        if page.is_empty() {
            return Ok(n);
        }
        if let Some(bad) = page.iter().find(|r| hash_of(key, r) != r.hash) {
            return Err(Error::Batch(format!(
                "row {} does not match its keyed hash, so retention does not redact it: run `lgsp audit verify`",
                bad.seq
            )));
        }
        let redacted: Vec<AuditRow> = page.into_iter().map(|r| redact(key, r, &now)).collect();
        store.redact_audit(&redacted).await?;
        n += redacted.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_entry_verifies_by_its_seal_and_not_once_changed() {
        let key = MacKey::from_hex(&"5a".repeat(32)).unwrap();
        let mut r = AuditRow {
            seq: 7,
            at: "2026-01-01T00:00:00Z".into(),
            kind: "request".into(),
            actor: "c-1".into(),
            action: "GET /api/v1/datasets/residents/records/001090012345".into(),
            dataset: "residents".into(),
            status: 200,
            detail: "{\"grant\":\"g-1\"}".into(),
            peer: "10.0.0.5:5000".into(),
            prev_hash: "00".into(),
            ..Default::default()
        };
        r.hash = hash_of(&key, &r);
        let red = redact(&key, r.clone(), "2027-01-01T00:00:00Z");
        assert_eq!(red.action, "GET /api/v1/datasets/residents/records/…");
        assert!(red.peer.is_empty() && !red.detail.contains("001090012345") && red.hash == r.hash);
        assert!(seal_holds(&key, &red) && !seal_holds(&key, &r));
        let mut forged = red.clone();
        forged.actor = "c-2".into();
        assert!(!seal_holds(&key, &forged));
        let other = MacKey::from_hex(&"6b".repeat(32)).unwrap();
        assert!(!seal_holds(&other, &red));
    }
}
