//! Comparison levels of two values: each kind prepares its values once (folded names, digits,
//! `yyyymmdd` dates) and answers the best level they reach, `None` when one is missing.

use serde::Deserialize;

/// Kinds of comparison; each has its levels, best first, then "different".
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CompareKind {
    /// Equal or not.
    Exact,
    /// Names folded for diacritics, case and tone placement: equal, Jaro-Winkler ≥ 0.92,
    /// ≥ 0.80 (or swapped with `swapped_with`).
    Name,
    /// Free text folded: equal, one edit, two edits (or swapped with `swapped_with`),
    /// Jaro-Winkler ≥ 0.85.
    Text,
    /// Dates (`yyyymmdd`, `yyyy-mm-dd`, `dd/mm/yyyy`): equal, day and month swapped or one
    /// digit off, same year and month, year only.
    Date,
    /// Digits only (phones, codes, numbers): equal, one edit, last 4 digits equal. Numbers
    /// of 8 digits or more whose lengths differ by more than one are not compared (a 9-digit
    /// CMND and a 12-digit CCCD are different kinds of number).
    Digits,
    /// A Vietnamese full name parsed into family, middle and given name (the last word):
    /// equal; same family and given name (middle dropped or different); the same words in
    /// another order (given name written first); family and given name within a typo. Any
    /// other given name is a disagreement. Term frequencies use family + given name.
    PersonName,
    /// A citizen id by kind: 12-digit CCCD (11 digits: a spreadsheet dropped the leading zero)
    /// or 9-digit CMND; equal, one digit off. A CCCD and a CMND are not compared.
    CitizenId,
    /// A birth date (`dd/mm/yyyy`, `yyyy-mm-dd`, `yyyymmdd`, or a year alone): equal, day and
    /// month swapped, one digit off, same year where one side gives only the year.
    BirthDate,
    /// One household signal from `column` (address) and `with` (commune, then phone): same
    /// address and phone, same address, same phone, same commune. Held within what a name or
    /// birth-date disagreement weighs.
    Household,
    /// An organisation's name without its legal form (Công ty TNHH, Cổ phần, DNTN, Hợp tác
    /// xã …): equal; same name with another way of writing the form; same words reordered or
    /// one edit; Jaro-Winkler ≥ 0.92. A branch (chi nhánh) is not its enterprise.
    OrgName,
    /// A tax code (mã số thuế): equal, one digit off, an enterprise and one of its dependent
    /// units (`0101234567` and `0101234567-001`).
    TaxCode,
}

impl CompareKind {
    /// Names of the agreement levels, best first (the last, "different", is implied).
    pub(crate) fn levels(self) -> &'static [&'static str] {
        match self {
            CompareKind::Exact => &["exact"],
            CompareKind::Name => &["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80 or swapped"],
            CompareKind::Text => &["exact", "1 edit", "2 edits or swapped", "jaro_winkler>=0.85"],
            CompareKind::Date => &["exact", "day/month swapped or 1 digit off", "same year and month", "same year"],
            CompareKind::Digits => &["exact", "1 edit", "same last 4 digits"],
            CompareKind::PersonName => super::person::NAME_LEVELS,
            CompareKind::CitizenId => super::person::ID_LEVELS,
            CompareKind::BirthDate => super::person::DATE_LEVELS,
            CompareKind::Household => super::person::HOUSEHOLD_LEVELS,
            CompareKind::OrgName => super::org::NAME_LEVELS,
            CompareKind::TaxCode => super::org::TAX_LEVELS,
        }
    }
}

/// A value ready for comparison.
pub(crate) fn prepare(kind: CompareKind, raw: &str) -> String {
    let raw = raw.trim();
    match kind {
        CompareKind::Exact => crate::text::clean(raw).into_owned(),
        CompareKind::Name | CompareKind::Text => crate::text::fold(raw),
        CompareKind::Digits => raw.chars().filter(char::is_ascii_digit).collect(),
        CompareKind::Date => date_digits(raw),
        CompareKind::PersonName => super::person::prepare_name(raw),
        CompareKind::CitizenId => super::person::prepare_id(raw),
        CompareKind::BirthDate => {
            let d = date_digits(raw);
            if d.len() == 8 || d.len() == 4 {
                d
            } else {
                String::new()
            }
        }
        CompareKind::Household => super::person::prepare_household(raw),
        CompareKind::OrgName => super::org::prepare_name(raw),
        CompareKind::TaxCode => super::org::prepare_tax(raw),
    }
}

/// `yyyymmdd` from `yyyymmdd`, `yyyy-mm-dd` or `dd/mm/yyyy` (other text: its digits).
fn date_digits(raw: &str) -> String {
    let parts: Vec<&str> = raw.split(['/', '-', '.']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 => format!("{y}{m:0>2}{d:0>2}"),
        [y, m, d] if y.len() == 4 => format!("{y}{m:0>2}{d:0>2}"),
        _ => raw.chars().filter(char::is_ascii_digit).collect(),
    }
}

/// Edits (insert, delete, substitute, transpose neighbours) from `a` to `b`, or `max + 1` when
/// the lengths alone say it is more than `max`.
fn edits(a: &str, b: &str, max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max * 4 {
        return max + 1;
    }
    strsim::osa_distance(a, b)
}

fn one_edit(a: &str, b: &str) -> bool {
    edits(a, b, 1) <= 1
}

/// The level `a` and `b` reach (0 best, `levels.len()` different); `None` if one is empty.
/// `swapped` is the pair (a's other column, b's other column) for name swaps.
pub(crate) fn level(kind: CompareKind, a: &str, b: &str, swapped: Option<(&str, &str)>) -> Option<u8> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some(0);
    }
    // Written in the other order (`swapped_with`), each within a typo of the other's.
    let close = |x: &str, y: &str| x == y || strsim::jaro_winkler(x, y) >= 0.92;
    let crossed = swapped.is_some_and(|(a2, b2)| !a2.is_empty() && !b2.is_empty() && close(a, b2) && close(b, a2));
    Some(match kind {
        CompareKind::Exact => 1,
        CompareKind::Name if a.contains(' ') && b.contains(' ') => multi_word_name(a, b),
        CompareKind::Name => {
            let jw = strsim::jaro_winkler(a, b);
            if jw >= 0.92 {
                1
            } else if jw >= 0.80 || crossed {
                2
            } else {
                3
            }
        }
        CompareKind::Text => {
            let d = edits(a, b, 2);
            if d <= 1 {
                1
            } else if d <= 2 || crossed {
                2
            } else if strsim::jaro_winkler(a, b) >= 0.85 {
                3
            } else {
                4
            }
        }
        CompareKind::Date => {
            let swapped = a.len() == 8 && b.len() == 8 && a[..4] == b[..4] && a[4..6] == b[6..8] && a[6..8] == b[4..6];
            if swapped || (a.len() == b.len() && one_edit(a, b)) {
                1
            } else if a.len() >= 6 && b.len() >= 6 && a[..6] == b[..6] {
                2
            } else if a.len() >= 4 && b.len() >= 4 && a[..4] == b[..4] {
                3
            } else {
                4
            }
        }
        CompareKind::Digits if a.len().min(b.len()) >= 8 && a.len().abs_diff(b.len()) > 1 => return None,
        CompareKind::Digits => {
            if one_edit(a, b) {
                1
            } else if a.len() >= 4 && b.len() >= 4 && a[a.len() - 4..] == b[b.len() - 4..] {
                2
            } else {
                3
            }
        }
        CompareKind::PersonName => super::person::name_level(a, b),
        CompareKind::CitizenId => return super::person::id_level(a, b),
        CompareKind::BirthDate => super::person::date_level(a, b),
        CompareKind::Household => return super::person::household_level(a, b),
        CompareKind::OrgName => super::org::name_level(a, b),
        CompareKind::TaxCode => super::org::tax_level(a, b),
    })
}

/// Names of several words (a full name in one column): they agree only as far as their last
/// words do (the given name in Vietnamese order), and the same words in another order are a
/// near agreement.
fn multi_word_name(a: &str, b: &str) -> u8 {
    let last = |s: &str| s.rsplit(' ').next().unwrap_or(s).to_string();
    let sorted = |s: &str| {
        let mut w: Vec<&str> = s.split(' ').collect();
        w.sort_unstable();
        w.join(" ")
    };
    let (la, lb) = (last(a), last(b));
    if la == lb || strsim::jaro_winkler(&la, &lb) >= 0.93 {
        if strsim::jaro_winkler(a, b) >= 0.92 {
            1
        } else {
            2
        }
    } else if sorted(a) == sorted(b) {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_names_match_whatever_the_diacritics_case_and_tone_placement() {
        let p = |s| prepare(CompareKind::Name, s);
        assert_eq!(p("Nguyễn Văn An"), p("NGUYEN VAN AN"));
        assert_eq!(p("Hòa"), p("Hoà"), "tone mark on o or on a");
        assert_eq!(p("Thủy"), p("Thuỷ"));
        assert_eq!(p("Đặng"), "dang");
        assert_eq!(level(CompareKind::Name, &p("Nguyễn Văn An"), &p("Nguyen Van Anh"), None), Some(3), "An and Anh");
        assert_eq!(level(CompareKind::Name, &p("Nguyễn Văn An"), &p("Nguyen Van Tuna"), None), Some(3));
        assert_eq!(level(CompareKind::Name, &p("Nguyễn Văn Tuấn"), &p("Nguyen Van Tuna"), None), Some(1), "a typo");
        assert_eq!(level(CompareKind::Name, &p("Nguyễn Văn Duy"), &p("Nguyễn Văn Tuấn"), None), Some(3));
        assert_eq!(level(CompareKind::Name, &p("Nguyễn Thị Châu"), &p("Chau Thi Nguyen"), None), Some(2));
        assert_eq!(level(CompareKind::Name, &p("Nguyễn An"), &p("Trần Bình"), None), Some(3));
        assert_eq!(
            level(CompareKind::Name, "an", "nguyen", Some(("nguyen", "an"))),
            Some(2),
            "given name and surname swapped"
        );
        assert_eq!(level(CompareKind::Name, "", "an", None), None);
    }

    #[test]
    fn dates_tolerate_swapped_day_and_month_and_keep_year_only_evidence() {
        let d = |s| prepare(CompareKind::Date, s);
        assert_eq!(d("05/03/1990"), "19900305");
        assert_eq!(level(CompareKind::Date, &d("1990-03-05"), &d("05/03/1990"), None), Some(0));
        assert_eq!(level(CompareKind::Date, &d("1990-03-05"), &d("1990-05-03"), None), Some(1), "swapped");
        assert_eq!(level(CompareKind::Date, "19900305", "19900315", None), Some(1), "one digit off");
        assert_eq!(level(CompareKind::Date, "19900305", "19900328", None), Some(2));
        assert_eq!(level(CompareKind::Date, "19900305", "19901128", None), Some(3));
        assert_eq!(level(CompareKind::Date, "19900305", "19851128", None), Some(4));
    }

    #[test]
    fn digits_compare_after_normalization() {
        let d = |s| prepare(CompareKind::Digits, s);
        assert_eq!(d("0912 345 678"), "0912345678");
        assert_eq!(level(CompareKind::Digits, &d("0912345678"), &d("0912345679"), None), Some(1));
        assert_eq!(level(CompareKind::Digits, "0912345678", "0987005678", None), Some(2));
    }
}
