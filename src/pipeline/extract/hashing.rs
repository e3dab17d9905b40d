//! A reader that hashes what passes through it, counts its bytes, and stops at a NUL byte in
//! the first 8 KiB (a binary file).

use sha2::{Digest, Sha256};
use std::io::Read;

/// The reader under the CSV reader of a file read as UTF-8.
pub(super) struct Hashing<R> {
    pub(super) inner: R,
    pub(super) hasher: Sha256,
    pub(super) bytes: u64,
    pub(super) checked_binary: bool,
    pub(super) nul_at: Option<usize>,
    /// The last byte read that is not a line break.
    pub(super) last_visible: u8,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.checked_binary && n > 0 {
            self.checked_binary = true;
            self.nul_at = buf[..n.min(8192)].iter().position(|&b| b == 0);
            if self.nul_at.is_some() {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "binary"));
            }
        }
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        if let Some(&b) = buf[..n].iter().rev().find(|&&b| b != b'\n' && b != b'\r') {
            self.last_visible = b;
        }
        Ok(n)
    }
}
