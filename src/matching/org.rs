//! Comparisons of Vietnamese organisations: names without their legal form (Công ty TNHH,
//! Cổ phần, DNTN, Hợp tác xã, chi nhánh …) and tax codes with dependent-unit suffixes.

use super::person::{one_digit_off, parts, SEP};

/// Legal forms and unit words, folded, longest first: stripped from a name wherever they
/// stand, and kept apart as the name's form.
const FORMS: &[(&str, &str)] = &[
    ("cong ty trach nhiem huu han mot thanh vien", "tnhh"),
    ("cong ty trach nhiem huu han hai thanh vien tro len", "tnhh"),
    ("cong ty trach nhiem huu han", "tnhh"),
    ("cong ty tnhh mot thanh vien", "tnhh"),
    ("cong ty tnhh hai thanh vien tro len", "tnhh"),
    ("cong ty tnhh mtv", "tnhh"),
    ("cong ty tnhh", "tnhh"),
    ("cty tnhh mtv", "tnhh"),
    ("cty tnhh", "tnhh"),
    ("cong ty co phan", "cp"),
    ("cty co phan", "cp"),
    ("cty cp", "cp"),
    ("ctcp", "cp"),
    ("cong ty hop danh", "hd"),
    ("doanh nghiep tu nhan", "dntn"),
    ("dntn", "dntn"),
    ("hop tac xa", "htx"),
    ("htx", "htx"),
    ("lien hiep hop tac xa", "htx"),
    ("tnhh mtv", "tnhh"),
    ("tnhh", "tnhh"),
    ("mot thanh vien", "tnhh"),
    ("mtv", "tnhh"),
    ("cong ty", "ct"),
    ("cty", "ct"),
];

/// Words that name a dependent unit; a branch is kept apart from its enterprise.
const UNITS: &[&str] = &["chi nhanh", "van phong dai dien", "dia diem kinh doanh", "cn", "vpdd"];

/// `core SEP form SEP unit`: the folded name without legal form and unit words, the legal
/// form (`tnhh`, `cp`, `dntn`, `htx` …) and `branch` for a dependent unit.
pub(crate) fn prepare_name(raw: &str) -> String {
    let folded = crate::text::fold(raw).replace(['.', ',', '"', '(', ')', '-'], " ");
    let mut text = format!(" {} ", folded.split_whitespace().collect::<Vec<_>>().join(" "));
    let mut unit = "";
    for u in UNITS {
        let pat = format!(" {u} ");
        if text.contains(&pat) {
            text = text.replacen(&pat, " ", 1);
            unit = "branch";
        }
    }
    let mut form = "";
    for (words, code) in FORMS {
        let pat = format!(" {words} ");
        if text.contains(&pat) {
            text = text.replacen(&pat, " ", 1);
            if form.is_empty() || form == "ct" {
                form = code;
            }
        }
    }
    let core = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if core.is_empty() {
        return String::new();
    }
    format!("{core}{SEP}{form}{SEP}{unit}")
}

/// Levels of `org_name`, best first.
pub(crate) const NAME_LEVELS: &[&str] = &[
    "exact",
    "same name, legal form written differently",
    "same words in another order or one edit",
    "jaro_winkler>=0.92",
];

/// The level of two prepared organisation names. A branch and its enterprise differ.
pub(crate) fn name_level(a: &str, b: &str) -> u8 {
    if a == b {
        return 0;
    }
    let (ca, fa, ua) = parts(a);
    let (cb, fb, ub) = parts(b);
    if ua != ub {
        return 4;
    }
    let forms_agree = fa == fb || fa.is_empty() || fb.is_empty() || fa == "ct" || fb == "ct";
    if ca == cb {
        return if forms_agree { 1 } else { 2 };
    }
    let mut wa: Vec<&str> = ca.split(' ').collect();
    let mut wb: Vec<&str> = cb.split(' ').collect();
    wa.sort_unstable();
    wb.sort_unstable();
    if wa == wb || strsim::osa_distance(ca, cb) <= 1 {
        return 2;
    }
    if strsim::jaro_winkler(ca, cb) >= 0.92 {
        return 3;
    }
    4
}

/// Levels of `tax_code`.
pub(crate) const TAX_LEVELS: &[&str] = &["exact", "one digit off", "an enterprise and one of its dependent units"];

/// The ten digits of the enterprise, then `-` and the unit's three digits when it is a
/// dependent unit (a nine-digit code gets back the leading zero a spreadsheet dropped).
pub(crate) fn prepare_tax(raw: &str) -> String {
    let d: String = raw.chars().filter(char::is_ascii_digit).collect();
    match d.len() {
        0 => String::new(),
        9 => format!("0{d}"),
        12 if raw.contains('-') => format!("0{}-{}", &d[..9], &d[9..]),
        13 => format!("{}-{}", &d[..10], &d[10..]),
        _ => d,
    }
}

/// The level of two prepared tax codes (two units of one enterprise are different units).
pub(crate) fn tax_level(a: &str, b: &str) -> u8 {
    if a == b {
        return 0;
    }
    let (ea, ua) = a.split_once('-').unwrap_or((a, ""));
    let (eb, ub) = b.split_once('-').unwrap_or((b, ""));
    if ea == eb {
        return if ua.is_empty() || ub.is_empty() { 2 } else { 3 };
    }
    if one_digit_off(ea, eb) && ua == ub {
        1
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_forms_are_set_apart() {
        let n = prepare_name;
        assert_eq!(n("Công ty TNHH Thương mại Hòa Phát"), n("CTY TNHH THUONG MAI HOA PHAT"));
        assert_eq!(name_level(&n("Công ty TNHH Thương mại Hòa Phát"), &n("Thương mại Hòa Phát")), 1);
        assert_eq!(name_level(&n("Công ty Cổ phần Hòa Phát"), &n("Công ty TNHH Hòa Phát")), 2);
        assert_eq!(name_level(&n("CTCP Sữa Việt Nam"), &n("Công ty cổ phần Sữa Việt Nam")), 0);
        assert_eq!(
            name_level(&n("Chi nhánh Công ty TNHH Hòa Phát"), &n("Công ty TNHH Hòa Phát")),
            4,
            "a branch is not its enterprise"
        );
        assert_eq!(n("Hợp tác xã Nông nghiệp Hòa Tiến"), "nong nghiep hoa tien\u{1f}htx\u{1f}");
    }

    #[test]
    fn tax_codes_and_their_units() {
        assert_eq!(prepare_tax("0101234567-001"), "0101234567-001");
        assert_eq!(prepare_tax("0101234567001"), "0101234567-001");
        assert_eq!(prepare_tax("101234567"), "0101234567", "leading zero dropped by a spreadsheet");
        assert_eq!(tax_level("0101234567", "0101234567"), 0);
        assert_eq!(tax_level("0101234567", "0101234568"), 1);
        assert_eq!(tax_level("0101234567-001", "0101234567"), 2, "a branch of the enterprise");
        assert_eq!(tax_level("0101234567-001", "0101234567-002"), 3, "two units");
    }
}
