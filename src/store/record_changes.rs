//! Changes to master records as the store takes them: a chunk at a time, column-wise.

/// What happens to a master record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    /// A new record.
    Insert,
    /// New values for an existing record (its current version is closed).
    Update,
    /// A record that no longer exists (its current version is closed).
    Delete,
}

/// One change to a master record, as read from [`RecordChanges`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordChange<'a> {
    pub kind: ChangeKind,
    /// The record key.
    pub key: &'a str,
    /// The row hash (stored as 16 hex digits).
    pub hash: u64,
    /// The record's values as a JSON object (empty for a delete).
    pub data: &'a str,
}

/// Changes to master records, held column-wise: every key shares one buffer and every JSON
/// value another, so a chunk of thousands of rows costs a handful of allocations.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordChanges {
    kinds: Vec<ChangeKind>,
    hashes: Vec<u64>,
    keys: String,
    key_ends: Vec<usize>,
    data: String,
    data_ends: Vec<usize>,
}

impl RecordChanges {
    /// Appends a change whose key and JSON data `write` appends to the two buffers it is given.
    pub(crate) fn push(&mut self, kind: ChangeKind, hash: u64, write: impl FnOnce(&mut String, &mut String)) {
        write(&mut self.keys, &mut self.data);
        self.kinds.push(kind);
        self.hashes.push(hash);
        self.key_ends.push(self.keys.len());
        self.data_ends.push(self.data.len());
    }

    /// Number of changes.
    pub(crate) fn len(&self) -> usize {
        self.kinds.len()
    }

    /// The `i`-th change.
    pub(crate) fn get(&self, i: usize) -> RecordChange<'_> {
        let key_from = if i == 0 { 0 } else { self.key_ends[i - 1] };
        let data_from = if i == 0 { 0 } else { self.data_ends[i - 1] };
        RecordChange {
            kind: self.kinds[i],
            key: &self.keys[key_from..self.key_ends[i]],
            hash: self.hashes[i],
            data: &self.data[data_from..self.data_ends[i]],
        }
    }

    /// The changes in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = RecordChange<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// A row hash as stored: 16 lower-case hex digits, written into `buf`.
pub(crate) fn hash_text(hash: u64, buf: &mut [u8; 16]) -> &str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in buf.iter_mut().enumerate() {
        *b = DIGITS[((hash >> (60 - 4 * i)) & 0xf) as usize];
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

/// Record changes in chunks, produced while the transaction runs (bounded memory); an `Err`
/// aborts the publication.
pub(crate) type ChangeChunks<'a> = Box<dyn Iterator<Item = std::result::Result<RecordChanges, String>> + Send + 'a>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_back_as_pushed() {
        let mut c = RecordChanges::default();
        c.push(ChangeKind::Insert, 0xabc, |k, d| {
            k.push_str("0100109106");
            d.push_str("{\"a\":1}");
        });
        c.push(ChangeKind::Delete, 7, |k, _| k.push('x'));
        c.push(ChangeKind::Update, u64::MAX, |k, d| {
            k.push_str("Đồng");
            d.push_str("{}");
        });
        let got: Vec<(ChangeKind, &str, u64, &str)> = c.iter().map(|r| (r.kind, r.key, r.hash, r.data)).collect();
        assert_eq!(
            got,
            vec![
                (ChangeKind::Insert, "0100109106", 0xabc, "{\"a\":1}"),
                (ChangeKind::Delete, "x", 7, ""),
                (ChangeKind::Update, "Đồng", u64::MAX, "{}")
            ]
        );
        for h in [0u64, 0xabc, u64::MAX, 0x0123_4567_89ab_cdef] {
            assert_eq!(hash_text(h, &mut [0; 16]), format!("{h:016x}"));
        }
    }
}
