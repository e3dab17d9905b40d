//! Content digests: the sha256 checksums of published files, manifests, backups, tokens and
//! audit entries.

use sha2::{Digest, Sha256};

/// sha256 of bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_of_the_empty_input_is_the_known_value() {
        assert_eq!(super::sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
