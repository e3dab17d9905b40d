//! Vietnamese text handling: normalization, white space, case, and the matching key.

mod case;
pub(crate) mod date;
pub(crate) mod legacy;
pub(crate) mod number;
pub(crate) mod phone;
mod scan;
pub(crate) mod syllable;
pub(crate) mod taxcode;

use std::borrow::Cow;

pub(crate) use case::{is_surely_lower, is_surely_upper, lower, title, upper};

use scan::{is_surely_nfc, surely_clean, surely_clean_spaces};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Returns `s` in Unicode NFC, borrowing it when it is already NFC.
pub(crate) fn to_nfc(s: &str) -> Cow<'_, str> {
    if is_surely_nfc(s) {
        return Cow::Borrowed(s);
    }
    let normalized: String = s.nfc().collect();
    if normalized == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(normalized)
    }
}

/// Returns `s` in NFC, trimmed, with every run of white space collapsed to one ASCII space.
///
/// White space is any char for which `char::is_whitespace` holds (NBSP included), plus the
/// zero-width space U+200B and the byte order mark U+FEFF. Borrows `s` when nothing changes.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    if surely_clean(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    match to_nfc(s) {
        Cow::Borrowed(b) => match collapse_space(b) {
            Some(collapsed) => Cow::Owned(collapsed),
            None => Cow::Borrowed(b),
        },
        Cow::Owned(o) => match collapse_space(&o) {
            Some(collapsed) => Cow::Owned(collapsed),
            None => Cow::Owned(o),
        },
    }
}

/// Returns the matching and search key of `s`.
///
/// The key drops every diacritic (so tone placement such as Hoà/Hòa or Thuỷ/Thủy does not
/// matter), maps đ/Đ to `d`, lowers case, turns typographic apostrophes (’ ‘ ʼ `) into `'`,
/// and cleans white space as [`clean`] does.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if is_space(c) {
            pending_space = !out.is_empty();
            return;
        }
        if is_combining_mark(c) {
            return;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' => out.push('\''),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase().filter(|l| !is_combining_mark(*l))),
        }
    };
    if s.is_ascii() {
        s.chars().for_each(|c| push(c, &mut out));
    } else {
        s.nfd().for_each(|c| push(c, &mut out));
    }
    out
}

/// Tells whether `c` counts as white space for [`clean`] and [`fold`].
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// Normalizes an owned string to NFC, reusing it when it is already NFC.
fn into_nfc(s: String) -> String {
    if is_surely_nfc(&s) {
        s
    } else {
        s.nfc().collect()
    }
}

/// Splits an embedded CSV table (no quoted fields) into rows of `columns` fields, header skipped.
fn embedded_rows(name: &'static str, text: &'static str, columns: usize) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().skip(1).filter(|l| !l.is_empty()).map(move |line| {
        let fields: Vec<&str> = line.split(',').collect();
        assert!(fields.len() == columns && !line.contains('"'), "embedded table {name} has a malformed row: {line}");
        fields
    })
}

/// Trims and collapses white space; returns `None` when `s` is already clean.
fn collapse_space(s: &str) -> Option<String> {
    if surely_clean_spaces(s) {
        return None;
    }
    let mut prev_space = true;
    let mut first_change = None;
    for (i, c) in s.char_indices() {
        if is_space(c) {
            if prev_space || c != ' ' {
                first_change = Some(i);
                break;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
    }
    let start = match first_change {
        Some(i) => i,
        None if prev_space && !s.is_empty() => s.len(),
        None => return None,
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..start]);
    let mut pending_space = out.ends_with(' ');
    if pending_space {
        out.pop();
    }
    for c in s[start..].chars() {
        if is_space(c) {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_borrowed(c: Cow<'_, str>) -> bool {
        matches!(c, Cow::Borrowed(_))
    }

    #[test]
    fn nfd_input_becomes_nfc() {
        let nfd: String = "Nguyễn Thừa Huế".nfd().collect();
        assert_ne!(nfd, "Nguyễn Thừa Huế");
        assert_eq!(to_nfc(&nfd), "Nguyễn Thừa Huế");
        assert_eq!(clean(&nfd), "Nguyễn Thừa Huế");
    }

    #[test]
    fn nfc_and_ascii_inputs_are_borrowed() {
        assert!(is_borrowed(to_nfc("Hà Nội")));
        assert!(is_borrowed(to_nfc("Ha Noi")));
        assert!(is_borrowed(clean("Hà Nội")));
        assert!(is_borrowed(clean("Ha Noi")));
        assert!(is_borrowed(clean("")));
    }

    #[test]
    fn clean_trims_and_collapses_every_kind_of_space() {
        assert_eq!(clean("  Hà \t Nội  "), "Hà Nội");
        assert_eq!(clean("Hà\u{00A0}Nội"), "Hà Nội");
        assert_eq!(clean("\u{FEFF}Hà\u{200B}\u{200B}Nội\n"), "Hà Nội");
        assert_eq!(clean("a  b"), "a b");
        assert_eq!(clean("a b "), "a b");
        assert_eq!(clean(" \u{00A0} "), "");
    }

    #[test]
    fn clean_normalizes_and_collapses_together() {
        let nfd: String = " Thừa  Thiên ".nfd().collect();
        assert_eq!(clean(&nfd), "Thừa Thiên");
    }

    #[test]
    fn spelling_variants_fold_to_one_key() {
        for s in ["Hoà Vang", "Hòa Vang", "HOA VANG", "Hoa\u{00A0} Vang", " hoa vang "] {
            assert_eq!(fold(s), "hoa vang", "{s}");
        }
        assert_eq!(fold("Thuỷ"), fold("Thủy"));
        assert_eq!(fold("oá"), fold("óa"));
        assert_eq!(fold("uý"), fold("úy"));
    }

    #[test]
    fn fold_maps_d_with_stroke_and_apostrophes() {
        assert_eq!(fold("Đắk Lắk"), "dak lak");
        assert_eq!(fold("Cư M’gar"), "cu m'gar");
        assert_eq!(fold("Cư M`gar"), fold("Cư M'gar"));
        let nfd: String = "Đồng Tháp".nfd().collect();
        assert_eq!(fold(&nfd), "dong thap");
    }
}
