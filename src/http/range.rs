//! `Range` and `If-Range` on stored files, as RFC 9110 §14 says: one byte range is served as
//! `206`; an unknown unit, several ranges, a malformed range, or an `If-Range` that no longer
//! matches the file is ignored (the whole file, `200`); a range that starts past the end (or
//! `bytes=-0`) is `416` with `Content-Range: bytes */<size>`.

use std::ops::Range;

/// What to send of a file of known size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// The whole file (`200`).
    Whole,
    /// These bytes (`206`).
    Part(Range<u64>),
    /// No byte of the file can be sent (`416`).
    Unsatisfiable,
}

/// The validators of the file a client holds a part of.
pub(crate) struct Validators<'a> {
    /// The file's strong entity tag, quoted.
    pub(crate) etag: Option<&'a str>,
    /// The file's modification time as an HTTP date.
    pub(crate) last_modified: Option<&'a str>,
}

/// Resolves `range` (with `if_range`) against a file of `size` bytes.
pub(crate) fn resolve(range: Option<&str>, if_range: Option<&str>, file: &Validators<'_>, size: u64) -> Wanted {
    let Some(range) = range else { return Wanted::Whole };
    if let Some(cond) = if_range.map(str::trim) {
        // A weak tag never matches; a date matches only the exact modification time.
        let matches = (!cond.starts_with("W/") && file.etag == Some(cond)) || file.last_modified == Some(cond);
        if !matches {
            return Wanted::Whole;
        }
    }
    let Some((unit, spec)) = range.split_once('=') else { return Wanted::Whole };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Wanted::Whole };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (first.trim(), last.trim()) {
        ("", n) if digits(n) => {
            // More digits than a u64 holds: the whole file is the suffix.
            let n = n.parse::<u64>().unwrap_or(u64::MAX);
            if n == 0 || size == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(size - n.min(size)..size)
            }
        }
        (a, b) if digits(a) && (b.is_empty() || digits(b)) => {
            let Ok(start) = a.parse::<u64>() else { return Wanted::Unsatisfiable };
            let end = if b.is_empty() { u64::MAX } else { b.parse::<u64>().unwrap_or(u64::MAX) };
            if end < start {
                Wanted::Whole
            } else if start >= size {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(start..end.min(size - 1) + 1)
            }
        }
        _ => Wanted::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: Validators<'static> =
        Validators { etag: Some("\"abc\""), last_modified: Some("Sun, 06 Dec 2026 10:00:00 GMT") };

    fn r(range: &str) -> Wanted {
        resolve(Some(range), None, &FILE, 100)
    }

    #[test]
    fn one_byte_range_is_a_part_clamped_to_the_file() {
        assert_eq!(r("bytes=0-3"), Wanted::Part(0..4));
        assert_eq!(r("bytes=90-"), Wanted::Part(90..100));
        assert_eq!(r("bytes=90-1000"), Wanted::Part(90..100));
        assert_eq!(r("bytes=-4"), Wanted::Part(96..100));
        assert_eq!(r("bytes=-400"), Wanted::Part(0..100));
        assert_eq!(r("BYTES=0-0"), Wanted::Part(0..1));
        assert_eq!(r("bytes=0-18446744073709551615"), Wanted::Part(0..100));
    }

    #[test]
    fn a_range_past_the_end_or_an_empty_suffix_is_unsatisfiable() {
        assert_eq!(r("bytes=100-"), Wanted::Unsatisfiable);
        assert_eq!(r("bytes=100-200"), Wanted::Unsatisfiable);
        assert_eq!(r("bytes=-0"), Wanted::Unsatisfiable);
        assert_eq!(r("bytes=99999999999999999999999-"), Wanted::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=-5"), None, &FILE, 0), Wanted::Unsatisfiable);
    }

    #[test]
    fn unknown_units_several_ranges_and_malformed_ranges_are_ignored() {
        for ignored in ["lines=1-2", "bytes=0-1,5-6", "bytes=5-1", "bytes=a-b", "bytes", "bytes=--3", "bytes=-"] {
            assert_eq!(r(ignored), Wanted::Whole, "{ignored}");
        }
        assert_eq!(resolve(None, None, &FILE, 100), Wanted::Whole);
    }

    #[test]
    fn if_range_serves_the_part_only_while_the_file_is_unchanged() {
        let part = |cond: &str| resolve(Some("bytes=0-3"), Some(cond), &FILE, 100);
        assert_eq!(part("\"abc\""), Wanted::Part(0..4));
        assert_eq!(part("Sun, 06 Dec 2026 10:00:00 GMT"), Wanted::Part(0..4));
        assert_eq!(part("\"old\""), Wanted::Whole);
        assert_eq!(part("W/\"abc\""), Wanted::Whole);
        assert_eq!(part("Sat, 05 Dec 2026 10:00:00 GMT"), Wanted::Whole);
    }
}
