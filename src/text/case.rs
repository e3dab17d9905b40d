//! Upper, lower and title case for Vietnamese text, keeping NFC.

use super::{into_nfc, to_nfc};

/// Returns `s` in upper case, in NFC.
pub(crate) fn upper(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Whether a char needed the Unicode tables. The others are below U+0300 or in U+1EA0–U+1EF9
    // and map into the same ranges, where text without combining marks is NFC.
    let mut tables = false;
    for c in s.chars() {
        match upper_without_tables(c) {
            Some(u) => out.push(u),
            None => {
                tables = true;
                out.extend(c.to_uppercase())
            }
        }
    }
    match tables {
        true => into_nfc(out),
        false => out,
    }
}

/// The capital of `c` when it needs no Unicode table: ASCII, Latin-1 and the Vietnamese letters.
fn upper_without_tables(c: char) -> Option<char> {
    match c {
        'a'..='z' => Some(c.to_ascii_uppercase()),
        c if c.is_ascii() => Some(c),
        // Vietnamese letters with tone marks (Latin Extended Additional): capital even, small odd.
        '\u{1EA0}'..='\u{1EF9}' => char::from_u32(c as u32 & !1),
        // Latin-1 small letters à…þ (but ÷) are their capitals + 0x20.
        'à'..='þ' if c != '÷' => char::from_u32(c as u32 - 0x20),
        // Capitals of Latin-1 and of the other Vietnamese letters stay; ă đ ĩ ũ ơ ư follow their capital.
        'À'..='Þ' | 'Ă' | 'Đ' | 'Ĩ' | 'Ũ' | 'Ơ' | 'Ư' => Some(c),
        'ă' | 'đ' | 'ĩ' | 'ũ' | 'ơ' | 'ư' => char::from_u32(c as u32 - 1),
        _ => None,
    }
}

/// Whether [`upper`] returns `s` unchanged, read off its chars without the Unicode tables (false
/// also when a char would need them: [`upper`] then decides). Most cells of an upper-case field
/// already are.
pub(crate) fn is_surely_upper(s: &str) -> bool {
    s.chars().all(|c| upper_without_tables(c) == Some(c))
}

/// Whether [`lower`] returns `s` unchanged: ASCII without capitals.
pub(crate) fn is_surely_lower(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase())
}

/// Returns `s` in lower case, in NFC.
pub(crate) fn lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    into_nfc(s.to_lowercase())
}

/// Returns `s` in NFC with the first letter of each word in upper case and the rest in lower case.
///
/// A word starts at a letter or digit that follows anything other than a letter, a digit or
/// an apostrophe, so "cư m'gar" becomes "Cư M'gar" and "rịa-vũng" becomes "Rịa-Vũng".
pub(crate) fn title(s: &str) -> String {
    let nfc = to_nfc(s);
    let mut out = String::with_capacity(nfc.len());
    let mut in_word = false;
    for c in nfc.chars() {
        if c.is_alphanumeric() {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            in_word = true;
        } else {
            in_word = matches!(c, '\'' | '\u{2019}' | '\u{02BC}') && in_word;
            out.push(c);
        }
    }
    into_nfc(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::scan::is_surely_nfc;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn upper_and_lower_keep_nfc() {
        assert_eq!(upper("nguyễn thị ánh"), "NGUYỄN THỊ ÁNH");
        assert_eq!(lower("ĐẮK LẮK"), "đắk lắk");
        let nfd: String = "thừa thiên huế".nfd().collect();
        assert_eq!(upper(&nfd), "THỪA THIÊN HUẾ");
        for c in (0..0x3_0000).filter_map(char::from_u32) {
            assert_eq!(upper(&c.to_string()), into_nfc(c.to_uppercase().collect()), "U+{:04X}", c as u32);
            let after = format!("Ư{c}");
            assert_eq!(upper(&after), into_nfc(after.to_uppercase()), "U+{:04X} after a letter", c as u32);
            for s in [c.to_string(), after] {
                if is_surely_upper(&s) {
                    assert_eq!(upper(&s), s, "U+{:04X} is upper case already", c as u32);
                }
                if is_surely_lower(&s) {
                    assert_eq!(lower(&s), s, "U+{:04X} is lower case already", c as u32);
                }
            }
        }
        assert_eq!(lower("Info@Example.VN"), "info@example.vn");
        assert!(is_surely_upper("CÔNG TY TNHH ĐẦU TƯ XÂY DỰNG Ơ ĂN") && !is_surely_upper("CÔNG TY TNHH ĐẦU Tư"));
        assert!(is_surely_lower("info@example.vn") && !is_surely_lower("Info") && !is_surely_lower("hà"));
    }

    #[test]
    fn every_vietnamese_letter_changes_case_within_nfc() {
        let lowers = "àáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ";
        let uppers = "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ";
        assert_eq!(lowers.chars().count(), 67);
        assert_eq!(lowers.to_uppercase(), uppers);
        assert_eq!(upper(lowers), uppers);
        assert_eq!(uppers.to_lowercase(), lowers);
        assert!(is_surely_nfc(&lowers.to_uppercase()));
        assert!(is_surely_nfc(&uppers.to_lowercase()));
    }

    #[test]
    fn title_capitalizes_each_word() {
        assert_eq!(title("nguyễn văn AN"), "Nguyễn Văn An");
        assert_eq!(title("BÀ RỊA-VŨNG TÀU"), "Bà Rịa-Vũng Tàu");
        assert_eq!(title("cư m'gar"), "Cư M'gar");
        assert_eq!(title("  đắk  lắk"), "  Đắk  Lắk");
    }
}
