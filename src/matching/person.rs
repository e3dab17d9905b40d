//! Comparisons of Vietnamese person records: full names parsed into họ (family), đệm (middle)
//! and tên (given), citizen ids by kind (12-digit CCCD, 9-digit CMND), birth dates that may
//! hold a year only, and a household signal (address, commune, phone) counted as one fact.

/// Separator of the parts of a prepared value.
pub(crate) const SEP: char = '\u{1f}';

/// Family names of two words; any other family name is the first word.
const COMPOUND_FAMILY: &[&str] = &["ton nu", "ton that", "au duong", "nguyen phuc", "hoang phu", "ton that"];

/// `family SEP middle SEP given SEP toned given`: folded, and the given name with its marks
/// in lower case, the tone moved to the end (`Hòa` and `Hoà` are one name, `Thủy` and `Thúy`
/// two); the toned given name is empty when the name was written without diacritics. A name
/// of one word is a given name alone.
pub(crate) fn prepare_name(raw: &str) -> String {
    let folded = crate::text::fold(raw);
    let toned = raw.split_whitespace().next_back().map(toned).unwrap_or_default();
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let family_len = match words.as_slice() {
        [] | [_] => 0,
        [a, b, _, ..] if COMPOUND_FAMILY.contains(&format!("{a} {b}").as_str()) => 2,
        _ => 1,
    };
    match words.split_last() {
        None => String::new(),
        Some((given, rest)) => {
            let (family, middle) = rest.split_at(family_len.min(rest.len()));
            format!("{}{SEP}{}{SEP}{given}{SEP}{toned}", family.join(" "), middle.join(" "))
        }
    }
}

/// A word in lower case with its tone mark moved to the end; empty when it has no
/// diacritics at all (written without them, its tone is unknown).
fn toned(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    if word.is_ascii() {
        return String::new();
    }
    let mut tone = None;
    let letters: String = word
        .nfd()
        .filter(|c| {
            let is_tone = TONES.contains(c);
            if is_tone {
                tone = Some(*c);
            }
            !is_tone
        })
        .flat_map(char::to_lowercase)
        .nfc()
        .collect();
    let mut out = letters;
    out.extend(tone);
    out
}

/// The first three parts of a prepared value (missing parts empty).
pub(crate) fn parts(v: &str) -> (&str, &str, &str) {
    let mut it = v.splitn(4, SEP);
    (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""))
}

/// Whether the given names of two prepared names, both written with diacritics, differ in
/// their marks (`Thủy` and `Thúy`).
fn tones_differ(a: &str, b: &str) -> bool {
    let t = |v: &str| v.splitn(4, SEP).nth(3).unwrap_or("").to_string();
    let (ta, tb) = (t(a), t(b));
    !ta.is_empty() && !tb.is_empty() && ta != tb
}

fn words(v: &str) -> Vec<&str> {
    let mut w: Vec<&str> = v.split([SEP, ' ']).filter(|w| !w.is_empty()).collect();
    w.sort_unstable();
    w
}

/// Two words that differ by a typo at most.
fn close(a: &str, b: &str) -> bool {
    a == b || (strsim::osa_distance(a, b) <= 1 && a.len().min(b.len()) >= 2) || strsim::jaro_winkler(a, b) >= 0.93
}

/// Levels of `person_name`, best first; "different" (the given names differ) is implied.
pub(crate) const NAME_LEVELS: &[&str] = &[
    "exact",
    "same family and given name (middle name dropped or different)",
    "same words in another order",
    "family and given name within a typo",
];

/// The level two prepared names reach.
pub(crate) fn name_level(a: &str, b: &str) -> u8 {
    if a == b {
        return 0;
    }
    let (fa, ma, ga) = parts(a);
    let (fb, mb, gb) = parts(b);
    if ga == gb && tones_differ(a, b) {
        return 4;
    }
    if fa == fb && ga == gb {
        return if ma == mb { 0 } else { 1 };
    }
    let strip = |v: &str| v.rsplit_once(SEP).map_or("", |x| x.0).to_string();
    let (a, b) = (strip(a), strip(b));
    let (wa, wb) = (words(&a), words(&b));
    let subset = |x: &[&str], y: &[&str]| x.iter().all(|w| y.contains(w));
    if wa == wb || (wa.len() != wb.len() && (subset(&wa, &wb) || subset(&wb, &wa)) && wa.len().min(wb.len()) >= 2) {
        // Reordered ("Chau Thi Nguyen"), or reordered with the middle name left out.
        if ga != gb || fa != fb {
            return 2;
        }
    }
    if close(ga, gb)
        && (close(fa, fb) || fa.is_empty() || fb.is_empty())
        && (ma == mb || close(ma, mb) || ma.is_empty() || mb.is_empty())
    {
        return 3;
    }
    4
}

/// The key of a name for term frequencies: family and given name (the middle name is often
/// left out).
pub(crate) fn name_tf_key(v: &str) -> String {
    let (f, _, g) = parts(v);
    format!("{f}{SEP}{g}")
}

/// Levels of `citizen_id`; ids of different kinds (CCCD against CMND) are not compared.
pub(crate) const ID_LEVELS: &[&str] = &["exact", "one digit off"];

/// `C` and 12 digits (CCCD; 11 or 10 digits get back the leading zeros a spreadsheet dropped),
/// `M` and 9 digits (CMND; 8 digits likewise), or `X` and the digits of anything else.
pub(crate) fn prepare_id(raw: &str) -> String {
    let d: String = raw.chars().filter(char::is_ascii_digit).collect();
    match d.len() {
        0 => String::new(),
        12 => format!("C{d}"),
        11 => format!("C0{d}"),
        10 => format!("C00{d}"),
        9 => format!("M{d}"),
        8 => format!("M0{d}"),
        _ => format!("X{d}"),
    }
}

/// The level of two prepared ids; `None` when they are of different kinds.
pub(crate) fn id_level(a: &str, b: &str) -> Option<u8> {
    if a.as_bytes().first() != b.as_bytes().first() {
        return None;
    }
    Some(if a == b {
        0
    } else if one_digit_off(a, b) {
        1
    } else {
        2
    })
}

/// Two values of one length that differ in one place.
pub(crate) fn one_digit_off(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count() == 1
}

/// Levels of `birth_date`.
pub(crate) const DATE_LEVELS: &[&str] =
    &["exact", "day and month swapped", "one digit off", "same year, one side gives the year only"];

/// The level of two prepared dates (`yyyymmdd`, or `yyyy` when only the year is known).
pub(crate) fn date_level(a: &str, b: &str) -> u8 {
    if a == b {
        return 0;
    }
    let full = |d: &str| d.len() == 8;
    if full(a) && full(b) {
        if a[..4] == b[..4] && a[4..6] == b[6..8] && a[6..8] == b[4..6] {
            return 1;
        }
        if one_digit_off(a, b) {
            return 2;
        }
        return 4;
    }
    if (a.len() == 4 || b.len() == 4) && a.len() >= 4 && b.len() >= 4 && a[..4] == b[..4] {
        return 3;
    }
    4
}

/// Levels of `household`: address, commune and phone together, one fact about where a person
/// lives (members of a household share it, so it cannot tell them apart).
pub(crate) const HOUSEHOLD_LEVELS: &[&str] = &["same address and phone", "same address", "same phone", "same commune"];

/// `address SEP commune SEP phone`: folded address without "số", commune code, phone digits
/// in their post-2018 form.
pub(crate) fn prepare_household(raw: &str) -> String {
    let mut it = raw.splitn(3, SEP);
    let address = crate::text::fold(it.next().unwrap_or(""));
    // "Số 12 đường Lê Lợi, tổ 3" and "12 đ. Lê Lợi, T. 3" are one address.
    let address: Vec<&str> = address
        .split([' ', ',', '.'])
        .filter(|w| !w.is_empty() && !matches!(*w, "so" | "duong" | "d"))
        .map(|w| if w == "t" { "to" } else { w })
        .collect();
    let commune = crate::text::clean(it.next().unwrap_or("")).into_owned();
    let phone = it.next().unwrap_or("");
    let phone = crate::text::phone::normalize_phone(phone)
        .unwrap_or_else(|_| phone.chars().filter(char::is_ascii_digit).collect());
    if address.is_empty() && commune.is_empty() && phone.is_empty() {
        return String::new();
    }
    format!("{}{SEP}{commune}{SEP}{phone}", address.join(" "))
}

/// The level of two prepared households; `None` when no part is known on both sides.
pub(crate) fn household_level(a: &str, b: &str) -> Option<u8> {
    let (aa, ca, pa) = parts(a);
    let (ab, cb, pb) = parts(b);
    let known = |x: &str, y: &str| !x.is_empty() && !y.is_empty();
    if !known(aa, ab) && !known(ca, cb) && !known(pa, pb) {
        return None;
    }
    let address = known(aa, ab) && (aa == ab || strsim::osa_distance(aa, ab) <= 1);
    let phone = known(pa, pb) && pa == pb;
    Some(match (address, phone) {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => 2,
        _ if known(ca, cb) && ca == cb => 3,
        _ => 4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_into_family_middle_and_given() {
        assert_eq!(prepare_name("Nguyễn Văn Tuấn"), "nguyen\u{1f}van\u{1f}tuan\u{1f}tuân\u{301}");
        assert_eq!(prepare_name("Tôn Nữ Thị Hà"), "ton nu\u{1f}thi\u{1f}ha\u{1f}ha\u{300}");
        assert_eq!(prepare_name("LE HOA"), "le\u{1f}\u{1f}hoa\u{1f}");
        assert_eq!(prepare_name("Hoa"), "\u{1f}\u{1f}hoa\u{1f}");
        assert_eq!(prepare_name("  "), "");
    }

    #[test]
    fn the_given_name_decides_and_reorderings_are_recognised() {
        let l = |a: &str, b: &str| name_level(&prepare_name(a), &prepare_name(b));
        assert_eq!(l("Nguyễn Văn Duy", "NGUYEN VAN DUY"), 0);
        assert_eq!(l("Nguyễn Văn Duy", "Nguyễn Văn Tuấn"), 4, "same family and middle, other given name");
        assert_eq!(l("Nguyễn Thị Lan", "Nguyễn Lan"), 1, "middle name dropped");
        assert_eq!(l("Nguyễn Thị Châu", "Chau Thi Nguyen"), 2, "given name first");
        assert_eq!(l("Nguyễn Thị Châu", "Chau Nguyen"), 2, "given name first, middle dropped");
        assert_eq!(l("Nguyễn Văn Tuấn", "Nguyen Van Tuna"), 3, "a typo");
        assert_eq!(l("Trần Văn An", "Trần Văn Anh"), 3, "one letter apart is within a typo");
        assert_eq!(l("Trần Văn An", "Lê Văn An"), 4, "another family");
        assert_eq!(l("Trần Minh Thủy", "Trần Thu Thúy"), 4, "Thủy and Thúy are two names");
        assert_eq!(l("Trần Thị Hòa", "TRẦN THỊ HOÀ"), 0, "tone placement");
        assert_eq!(l("Trần Thị Thủy", "Tran Thi Thuy"), 0, "written without diacritics");
    }

    #[test]
    fn ids_of_different_kinds_are_not_compared() {
        let c = prepare_id("048090001234");
        assert_eq!(prepare_id("48090001234"), c, "a spreadsheet dropped the leading zero");
        assert_eq!(id_level(&c, &prepare_id("201234567")), None, "CCCD against CMND");
        assert_eq!(id_level(&c, &prepare_id("048090001235")), Some(1));
        assert_eq!(id_level(&c, &prepare_id("048190771234")), Some(2));
        assert_eq!(id_level(&prepare_id("201234567"), &prepare_id("201234567")), Some(0));
    }

    #[test]
    fn birth_dates_with_a_year_only() {
        assert_eq!(date_level("19900305", "19900503"), 1);
        assert_eq!(date_level("19900305", "19900306"), 2);
        assert_eq!(date_level("19900305", "1990"), 3);
        assert_eq!(date_level("1990", "1991"), 4);
        assert_eq!(date_level("19900305", "19900315"), 2);
        assert_eq!(date_level("19900305", "19901128"), 4, "same year, other day: a disagreement");
    }

    #[test]
    fn a_household_is_one_fact() {
        let h = |a: &str, c: &str, p: &str| prepare_household(&format!("{a}{SEP}{c}{SEP}{p}"));
        let a = h("Số 12 đường Lê Lợi, tổ 3", "20194", "0912345678");
        assert_eq!(household_level(&a, &h("12 Le Loi, to 3", "20194", "0912345678")), Some(0));
        assert_eq!(household_level(&a, &h("12 đ. Lê Lợi, T. 3", "20194", "")), Some(1));
        assert_eq!(household_level(&a, &h("", "", "01212345678")), Some(4), "an old number is another number");
        assert_eq!(household_level(&a, &h("Thôn Phú Sơn", "20194", "")), Some(3));
        assert_eq!(household_level(&a, &h("", "", "")), None);
    }
}
