//! Byte scans that prove, without decoding chars or allocating, that a text is already NFC and
//! clean of white space: the usual cell, which then needs no copy.

use unicode_normalization::{is_nfc_quick, IsNormalized};

/// Tells, without allocating, whether `s` is certainly NFC. Letters below U+0300 and the
/// precomposed Latin letters of U+1E00–U+1EFF (all of Vietnamese) need no table lookup.
pub(super) fn is_surely_nfc(s: &str) -> bool {
    starters_only(s.as_bytes()) || is_nfc_quick(s.chars()) == IsNormalized::Yes
}

/// True when every char of the UTF-8 text `b` is below U+0300 or in U+1E00–U+1EFF, read off
/// the bytes: ASCII, two-byte chars led by C2–CB (U+0080–U+02FF), and three-byte chars E1 B8–BB
/// (U+1E00–U+1EFF).
fn starters_only(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x00..=0x7F => i += 1,
            0xC2..=0xCB => i += 2,
            0xE1 if matches!(b.get(i + 1), Some(0xB8..=0xBB)) => i += 3,
            _ => return false,
        }
    }
    true
}

/// True when one byte scan proves the UTF-8 text `b` both NFC (as [`starters_only`]) and clean
/// of white space (as [`surely_clean_spaces`]): the usual cell, which [`clean`] then borrows.
/// Each byte is judged with the one after it, 16 pairs at a time without branching inside
/// (which the compiler turns into vector code). Continuation bytes (80–BF) never count.
pub(super) fn surely_clean(b: &[u8]) -> bool {
    // A control character \t \n \v \f \r, two spaces, U+0085 or U+00A0 (C2 85, C2 A0), or a
    // lead byte of a char at or above U+0300 other than U+1E00–U+1EFF (E1 B8–BB).
    fn bad(x: u8, y: u8) -> bool {
        (x.wrapping_sub(0x09) < 5)
            | ((x == b' ') & (y == b' '))
            | ((x == 0xC2) & ((y == 0x85) | (y == 0xA0)))
            | ((x >= 0xCC) & !((x == 0xE1) & (y.wrapping_sub(0xB8) < 4)))
    }
    let Some((&last, head)) = b.split_last() else { return true };
    if b[0] == b' ' || last == b' ' || bad(last, 0) {
        return false;
    }
    let (mut xs, mut ys) = (head.chunks_exact(16), b[1..].chunks_exact(16));
    for (x, y) in (&mut xs).zip(&mut ys) {
        if x.iter().zip(y).fold(false, |any, (&x, &y)| any | bad(x, y)) {
            return false;
        }
    }
    !xs.remainder().iter().zip(ys.remainder()).any(|(&x, &y)| bad(x, y))
}

/// True when a byte scan proves `s` has no leading, trailing, doubled or non-space white
/// space; false when the slower character scan must decide.
pub(super) fn surely_clean_spaces(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    let mut prev_space = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b' ' if prev_space => return false,
            b' ' => prev_space = true,
            b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => return false,
            // The lead bytes of the non-ASCII white space, told apart from letters (such as
            // Vietnamese's E1 B8–BB) by the byte after: U+0085 and U+00A0 (C2 85, C2 A0),
            // U+1680 and U+180E (E1 9A, E1 A0), U+2000–U+205F (E2 80, E2 81), U+3000 (E3 80)
            // and U+FEFF (EF BB).
            0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF => {
                let next = b.get(i + 1).copied().unwrap_or(0);
                let space = match c {
                    0xC2 => next == 0x85 || next == 0xA0,
                    0xE1 => next == 0x9A || next == 0xA0,
                    0xE2 => next == 0x80 || next == 0x81,
                    0xE3 => next == 0x80,
                    _ => next == 0xBB,
                };
                if space {
                    return false;
                }
                prev_space = false;
            }
            _ => prev_space = false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::is_space;
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn byte_scans_agree_with_the_char_definitions() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            if is_space(c) && c != ' ' {
                assert!(!surely_clean_spaces(&s), "U+{:04X} is white space", c as u32);
            }
            if starters_only(s.as_bytes()) {
                assert!((c as u32) < 0x300 || (0x1E00..=0x1EFF).contains(&(c as u32)), "U+{:04X}", c as u32);
                assert_eq!(s.nfc().collect::<String>(), s, "U+{:04X} is NFC", c as u32);
            }
        }
        assert!(surely_clean_spaces("Phường Mỹ Tho, Tỉnh Đồng Tháp") && starters_only("Phường Mỹ Tho".as_bytes()));
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            for s in [
                format!("a{c}b"),
                format!("abcdefgh{c}ijklmnopq"),
                format!("{c}"),
                format!("Tỉnh Đồng{c}{c}Tháp 12345678"),
                format!("abcdefghijklmno{c}{c}pqrstuvwxyz0123456789{c}"),
            ] {
                let both = starters_only(s.as_bytes()) && surely_clean_spaces(&s);
                assert_eq!(surely_clean(s.as_bytes()), both, "U+{:04X} in {s:?}", c as u32);
            }
        }
        for (s, want) in [
            ("abcdefghijklmnop", true),
            ("abcdefgh  ijklmnop", false),
            ("abcdefghijklmno\t", false),
            ("CÔNG TY TNHH CÔNG NGHỆ VÀ THỰC PHẨM", true),
            ("Số 672, Ngõ 162,\u{a0}Đường", false),
            ("abcdefg ", false),
        ] {
            assert_eq!(surely_clean(s.as_bytes()), want, "{s:?}");
        }
    }
}
