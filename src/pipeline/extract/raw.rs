//! Batches of CSV records whose fields are known to be UTF-8: the bytes of all of a batch's
//! records in one buffer, so that a batch costs a few allocations instead of a few per record.

/// Records of the source, in order, each with the line it starts on.
#[derive(Default)]
pub(crate) struct RawBatch {
    /// Every field's bytes, one after the other; UTF-8, each field starting on a character
    /// boundary (checked by `push`).
    bytes: Vec<u8>,
    /// Where each field ends in `bytes`, record after record.
    ends: Vec<usize>,
    /// Each record's line and where its fields begin in `ends`.
    records: Vec<(u64, usize)>,
}

/// One record of a batch.
#[derive(Clone, Copy)]
pub(crate) struct RawRecord<'a> {
    /// Line number in the source file (1-based; line 1 is the header).
    pub(crate) line: u64,
    /// Where the record's bytes begin in the batch's buffer.
    start: usize,
    /// Where each of its fields ends in the batch's buffer.
    ends: &'a [usize],
    bytes: &'a [u8],
}

impl RawBatch {
    /// An empty batch with room for `records` records of about `bytes` bytes in all.
    pub(crate) fn with_capacity(records: usize, bytes: usize, fields: usize) -> RawBatch {
        RawBatch {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(records * fields),
            records: Vec::with_capacity(records),
        }
    }

    /// Appends `record` (of line `line`) once its fields are known to be UTF-8: the record's
    /// bytes are checked at once (with SIMD), then that each field starts a character, so that
    /// every field is UTF-8 too. Otherwise the (0-based) field and the offset in it where the
    /// bytes stop being UTF-8, and the batch is left as it was.
    pub(crate) fn push(&mut self, line: u64, record: &csv::ByteRecord) -> std::result::Result<(), (usize, usize)> {
        let whole = simdutf8::basic::from_utf8(record.as_slice()).is_ok();
        // A continuation byte is 10xxxxxx, -64..-1 as i8.
        let starts_ok = || record.iter().all(|field| field.first().is_none_or(|&b| (b as i8) >= -0x40));
        if !(whole && starts_ok()) {
            for (i, field) in record.iter().enumerate() {
                if let Err(e) = std::str::from_utf8(field) {
                    return Err((i, e.valid_up_to()));
                }
            }
        }
        self.records.push((line, self.ends.len()));
        // `as_slice` holds the fields back to back, and each field ends where the next begins.
        let base = self.bytes.len();
        self.bytes.extend_from_slice(record.as_slice());
        let mut end = base;
        for field in record.iter() {
            end += field.len();
            self.ends.push(end);
        }
        Ok(())
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the batch has no records.
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes of all the records' fields.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Record `i`.
    fn record(&self, i: usize) -> RawRecord<'_> {
        let (line, first) = self.records[i];
        let last = self.records.get(i + 1).map_or(self.ends.len(), |r| r.1);
        let start = match first {
            0 => 0,
            _ => self.ends[first - 1],
        };
        RawRecord { line, start, ends: &self.ends[first..last], bytes: &self.bytes }
    }

    /// The records, in order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = RawRecord<'_>> + '_ {
        (0..self.len()).map(|i| self.record(i))
    }
}

impl<'a> RawRecord<'a> {
    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i` as text.
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => self.start,
            _ => self.ends[i - 1],
        };
        let field = self.bytes.get(start..end)?;
        // SAFETY: `RawBatch::push` is the only way in and found every field to be UTF-8 (the
        // bytes are never changed after).
        Some(unsafe { std::str::from_utf8_unchecked(field) })
    }
}

#[cfg(test)]
mod tests {
    use super::RawBatch;

    #[test]
    fn records_keep_their_fields_lines_and_empty_fields() {
        let mut batch = RawBatch::default();
        batch.push(2, &csv::ByteRecord::from(vec!["a", "", "Việt"])).unwrap();
        batch.push(3, &csv::ByteRecord::from(vec![""])).unwrap();
        batch.push(5, &csv::ByteRecord::from(vec!["x", "yz"])).unwrap();
        let got: Vec<(u64, Vec<&str>)> =
            batch.iter().map(|r| (r.line, (0..r.len()).map(|i| r.get(i).unwrap()).collect())).collect();
        assert_eq!(got, vec![(2, vec!["a", "", "Việt"]), (3, vec![""]), (5, vec!["x", "yz"])]);
        assert_eq!(batch.iter().next().unwrap().get(3), None);
    }

    #[test]
    fn a_record_that_is_not_utf8_is_refused_and_leaves_the_batch_as_it_was() {
        let mut batch = RawBatch::default();
        batch.push(2, &csv::ByteRecord::from(vec!["ok"])).unwrap();
        let bad = csv::ByteRecord::from(vec![&b"fine"[..], &b"ab\xff"[..]]);
        assert_eq!(batch.push(3, &bad), Err((1, 2)));
        // A field that starts inside a character, though the record's bytes are UTF-8 as a whole.
        let split = csv::ByteRecord::from(vec![&b"\xc3"[..], &b"\xa9"[..]]);
        assert_eq!(batch.push(4, &split), Err((0, 0)));
        assert_eq!(batch.len(), 1);
        assert_eq!(batch.iter().next().unwrap().get(0), Some("ok"));
    }
}
