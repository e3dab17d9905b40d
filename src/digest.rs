//! Content digests: the sha256 checksums of published files, manifests, backups and tokens,
//! and the keyed hashes (HMAC-SHA256) that chain the audit log and sign its checkpoints.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// sha256 of bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether two MACs written as text are equal, in time that does not depend on where they differ.
pub(crate) fn equal_hex(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A secret key for HMAC-SHA256. Its bytes never appear in `Debug` output, logs or the store.
#[derive(Clone)]
pub struct MacKey(Vec<u8>);

/// A key that is too short or not hexadecimal.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("an audit key is at least 32 bytes written as 64 or more hexadecimal digits")]
pub struct BadKey;

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MacKey(..)")
    }
}

impl MacKey {
    /// Bytes of a new random key.
    pub(crate) fn generate() -> MacKey {
        let mut b = vec![0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
        MacKey(b)
    }

    /// Reads a key written as hex (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<MacKey, BadKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| BadKey)?;
        if bytes.len() < 32 {
            return Err(BadKey);
        }
        Ok(MacKey(bytes))
    }

    /// The key as hex, to store it in its own file.
    pub(crate) fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// HMAC-SHA256 of `parts`, each followed by a 0x1F separator, as lower-case hex.
    pub(crate) fn mac_hex<'a>(&self, parts: impl IntoIterator<Item = &'a [u8]>) -> String {
        hex::encode(self.mac(parts))
    }

    fn mac<'a>(&self, parts: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        for p in parts {
            mac.update(p);
            mac.update(&[0x1f]);
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// A key of its own for `label` and `id` (the MAC of both under this key): keys derived
    /// for different purposes or owners cannot stand for one another, and none is stored.
    pub(crate) fn derive(&self, label: &str, id: &str) -> MacKey {
        MacKey(self.mac([label.as_bytes(), id.as_bytes()]))
    }

    /// The key's bytes (to sign with another MAC scheme).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::{BadKey, MacKey};

    #[test]
    fn sha256_of_the_empty_input_is_the_known_value() {
        assert_eq!(super::sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn a_keyed_hash_depends_on_the_key_and_on_the_part_boundaries() {
        let (a, b) = (MacKey::from_hex(&"11".repeat(32)).unwrap(), MacKey::from_hex(&"22".repeat(32)).unwrap());
        let parts = |p: &[&'static str]| p.iter().map(|s| s.as_bytes()).collect::<Vec<_>>();
        assert_ne!(a.mac_hex(parts(&["x", "y"])), b.mac_hex(parts(&["x", "y"])));
        assert_ne!(a.mac_hex(parts(&["xy", ""])), a.mac_hex(parts(&["x", "y"])));
        assert_eq!(a.mac_hex(parts(&["x"])).len(), 64);
        assert_eq!(MacKey::from_hex("abcd").unwrap_err(), BadKey);
        assert_eq!(format!("{a:?}"), "MacKey(..)");
        assert_eq!(MacKey::from_hex(&a.to_hex()).unwrap().mac_hex(parts(&["x"])), a.mac_hex(parts(&["x"])));
        // A derived key is the MAC of its label and id: the same bytes as `mac_hex` gives.
        assert_eq!(hex::encode(a.derive("webhook", "s-1").bytes()), a.mac_hex(parts(&["webhook", "s-1"])));
        assert_ne!(a.derive("webhook", "s-1").bytes(), a.derive("pseudonym", "s-1").bytes());
    }
}
