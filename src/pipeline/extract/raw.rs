//! A CSV record whose fields are known to be UTF-8.

/// One data record of the source, with the line it starts on (1-based; line 1 is the header).
pub(crate) struct RawRecord {
    /// Line number in the source file.
    pub(crate) line: u64,
    /// The record's fields; UTF-8, each starting on a character boundary (checked by `checked`).
    record: csv::ByteRecord,
}

impl RawRecord {
    /// `record` once its fields are known to be UTF-8: the record's bytes are checked at once
    /// (with SIMD), then that each field starts a character, so that every field is UTF-8 too.
    /// Otherwise the (0-based) field and the offset in it where the bytes stop being UTF-8.
    pub(super) fn checked(line: u64, record: csv::ByteRecord) -> std::result::Result<RawRecord, (usize, usize)> {
        let whole = simdutf8::basic::from_utf8(record.as_slice()).is_ok();
        // A continuation byte is 10xxxxxx, -64..-1 as i8.
        let starts_ok = || record.iter().all(|field| field.first().is_none_or(|&b| (b as i8) >= -0x40));
        if whole && starts_ok() {
            return Ok(RawRecord { line, record });
        }
        for (i, field) in record.iter().enumerate() {
            if let Err(e) = std::str::from_utf8(field) {
                return Err((i, e.valid_up_to()));
            }
        }
        Ok(RawRecord { line, record })
    }

    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.record.len()
    }

    /// Field `i` as text.
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        // SAFETY: `checked` is the only constructor and found every field to be UTF-8 (the
        // record is never changed after).
        self.record.get(i).map(|b| unsafe { std::str::from_utf8_unchecked(b) })
    }
}
