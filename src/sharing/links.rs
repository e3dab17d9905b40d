//! Signed download links: what a link lets its holder download (one file of one version, for
//! one client) and until when, signed with HMAC-SHA256 under a key derived from the audit key.
//! A link whose text was changed does not verify; an expired one is refused.

use crate::digest::MacKey;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Which file of a version a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// The version's snapshot (needs a `snapshot` grant).
    Snapshot,
    /// The version's change set (needs a `changes` grant).
    Changes,
}

impl FileKind {
    /// The grant scope the file needs.
    pub fn scope(self) -> &'static str {
        match self {
            FileKind::Snapshot => "snapshot",
            FileKind::Changes => "changes",
        }
    }

    /// The file's name in a version's folder.
    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Snapshot => "snapshot.parquet",
            FileKind::Changes => "changes.parquet",
        }
    }

    /// The file's key in a version's manifest.
    pub fn manifest_key(self) -> &'static str {
        self.scope()
    }
}

/// What a signed link allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The client the link was issued to (its grants are checked again on download).
    #[serde(rename = "c")]
    pub client: String,
    /// The client's agency, for the audit entry of the download.
    #[serde(rename = "a")]
    pub agency: String,
    #[serde(rename = "d")]
    pub dataset: String,
    #[serde(rename = "v")]
    pub version: i64,
    #[serde(rename = "k")]
    pub kind: FileKind,
    /// Seconds since the epoch after which the link is refused.
    #[serde(rename = "e")]
    pub expires: i64,
}

/// Why a link is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link this hub wrote, or one whose text was changed.
    #[error("the link is not valid: it was changed or not issued by this hub; ask for the table's files again")]
    Invalid,
    /// Past its expiry.
    #[error("the link expired at {0}: ask for the table's files again")]
    Expired(String),
}

/// The key links are signed with, derived from the hub's audit key.
pub fn link_key(secret: &MacKey) -> MacKey {
    secret.derive("delta-sharing-link", "")
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

impl Link {
    /// The link's token: its content (base64url JSON) and signature, URL-safe.
    pub fn sign(&self, key: &MacKey) -> String {
        let body = b64().encode(serde_json::to_vec(self).unwrap_or_default());
        let mac = key.mac_hex([body.as_bytes()]);
        format!("{body}.{mac}")
    }

    /// The link a token stands for, if its signature holds and it has not expired at `now`
    /// (seconds since the epoch).
    pub fn verify(token: &str, key: &MacKey, now: i64) -> Result<Link, LinkError> {
        let (body, mac) = token.split_once('.').ok_or(LinkError::Invalid)?;
        let expected = key.mac_hex([body.as_bytes()]);
        if !crate::digest::equal_hex(&expected, mac) {
            return Err(LinkError::Invalid);
        }
        let bytes = b64().decode(body).map_err(|_| LinkError::Invalid)?;
        let link: Link = serde_json::from_slice(&bytes).map_err(|_| LinkError::Invalid)?;
        if now > link.expires {
            let at = chrono::DateTime::from_timestamp(link.expires, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
            return Err(LinkError::Expired(at));
        }
        Ok(link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Link {
        Link {
            client: "c1".into(),
            agency: "000.00.15.H29".into(),
            dataset: "enterprises".into(),
            version: 2,
            kind: FileKind::Changes,
            expires: 1_000,
        }
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let key = link_key(&MacKey::from_hex(&"11".repeat(32)).unwrap());
        let token = link().sign(&key);
        assert_eq!(Link::verify(&token, &key, 1_000), Ok(link()));
        assert!(matches!(Link::verify(&token, &key, 1_001), Err(LinkError::Expired(_))));
    }

    #[test]
    fn a_changed_link_or_another_key_does_not_verify() {
        let key = link_key(&MacKey::from_hex(&"11".repeat(32)).unwrap());
        let other = link_key(&MacKey::from_hex(&"22".repeat(32)).unwrap());
        let token = link().sign(&key);
        assert_eq!(Link::verify(&token, &other, 0), Err(LinkError::Invalid));
        // Another version, signed with nothing: the signature no longer matches.
        let mut forged = link();
        forged.version = 1;
        let body = b64().encode(serde_json::to_vec(&forged).unwrap());
        let mac = token.split_once('.').unwrap().1;
        assert_eq!(Link::verify(&format!("{body}.{mac}"), &key, 0), Err(LinkError::Invalid));
        assert_eq!(Link::verify("garbage", &key, 0), Err(LinkError::Invalid));
        assert_eq!(Link::verify(&format!("{}x", token), &key, 0), Err(LinkError::Invalid));
    }
}
