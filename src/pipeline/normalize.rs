//! Normalize: turn one raw cell into a clean, typed value (white space, NFC, case, phones, tax
//! codes, dates, Vietnamese number separators), or say why it cannot be.

use super::spec::{DecimalMark, FieldSpec, FieldType, Normalizer};
use super::validate::CatalogCodes;
use crate::catalog::table::Current;
use crate::text;
use chrono::NaiveDate;
use std::borrow::Cow;

/// A normalized, typed value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    /// Missing (empty after trimming, or listed in `null_if`).
    Null,
    /// Text, NFC (borrowed from the input when normalizing changed nothing).
    Str(Cow<'a, str>),
    /// Integer.
    Int(i64),
    /// Fixed-point number, as the integer `value × 10^scale` of the field.
    Dec(i128),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00.
    Datetime(i64),
    /// Boolean.
    Bool(bool),
}

/// Why a cell could not be normalized.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// Short rule name: `type`, `phone`, `tax_code`.
    pub(crate) rule: &'static str,
    /// Explanation for the steward.
    pub(crate) message: String,
}

fn fail(rule: &'static str, message: impl Into<String>) -> Failure {
    Failure { rule, message: message.into() }
}

/// Days from 0001-01-01 (CE) to 1970-01-01.
const EPOCH_DAYS_CE: i32 = 719_163;

/// Days since 1970-01-01 of a date.
pub(crate) fn date_days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - EPOCH_DAYS_CE
}

/// Error values of spreadsheet formulas (Excel, LibreOffice), as they appear in a cell or in a
/// CSV exported from one.
const SPREADSHEET_ERRORS: [&str; 11] = [
    "#N/A",
    "#REF!",
    "#VALUE!",
    "#DIV/0!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#DATA!",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
];

/// Normalizes one raw cell for `field` (`scale` is the decimal scale in effect; `catalogs`
/// serve the `successor` normalizer).
pub(crate) fn normalize<'a>(
    raw: &'a str,
    field: &FieldSpec,
    scale: u32,
    catalogs: &CatalogCodes,
) -> Result<Value<'a>, Failure> {
    let cleaned = text::clean(raw);
    if cleaned.is_empty() {
        return Ok(Value::Null);
    }
    if cleaned.starts_with('#') && SPREADSHEET_ERRORS.contains(&cleaned.as_ref()) {
        return Err(fail(
            "spreadsheet_error",
            format!("the cell holds the spreadsheet error {cleaned}, not a value: fix the formula at the source"),
        ));
    }
    let mut s: Cow<'a, str> = cleaned;
    for n in &field.normalize {
        s = match n {
            Normalizer::Upper if text::is_surely_upper(&s) => s,
            Normalizer::Upper => Cow::Owned(text::upper(&s)),
            Normalizer::Lower if text::is_surely_lower(&s) => s,
            Normalizer::Lower => Cow::Owned(text::lower(&s)),
            Normalizer::Title => Cow::Owned(text::title(&s)),
            Normalizer::Digits => Cow::Owned(s.chars().filter(char::is_ascii_digit).collect()),
            Normalizer::Phone => {
                Cow::Owned(text::phone::normalize_phone(&s).map_err(|e| fail("phone", e.to_string()))?)
            }
            Normalizer::TaxCode => Cow::Owned(text::taxcode::normalize_tax_code(&s)),
            Normalizer::PadLeft(width) => {
                if s.len() < *width && s.bytes().all(|b| b.is_ascii_digit()) {
                    let mut padded = "0".repeat(width - s.len());
                    padded.push_str(&s);
                    Cow::Owned(padded)
                } else {
                    s
                }
            }
            Normalizer::NameToCode { catalog, min_confidence } => {
                let Some(names) = catalogs.get(catalog).and_then(|c| c.names.as_ref()) else {
                    return Err(fail("name_to_code", format!("catalog '{catalog}' is not loaded")));
                };
                let m = names.find(&s, &crate::catalog::today());
                match m.code {
                    Some(code) if m.confidence >= *min_confidence => Cow::Owned(code),
                    _ => {
                        return Err(fail(
                            "name_to_code",
                            format!(
                                "no code of '{catalog}' with confidence ≥ {min_confidence} (best {}; candidates: {})",
                                m.confidence,
                                if m.candidates.is_empty() { "none".into() } else { m.candidates.join(", ") }
                            ),
                        ))
                    }
                }
            }
            Normalizer::Successor(catalog) => match catalogs.get(catalog).map(|t| t.table.current(&s)) {
                Some(Current::One(code)) => Cow::Owned(code),
                Some(Current::Many(codes)) => {
                    return Err(fail(
                        "successor",
                        format!(
                            "'{s}' was split into {} units of '{catalog}': {}; choose one",
                            codes.len(),
                            codes.join(", ")
                        ),
                    ))
                }
                Some(Current::Keep) | None => s,
            },
            Normalizer::NullIf(values) => {
                if values.iter().any(|v| text::lower(&text::clean(v)) == text::lower(&s)) {
                    return Ok(Value::Null);
                }
                s
            }
        };
        if s.is_empty() {
            return Ok(Value::Null);
        }
    }
    typed(s, field.kind, scale, field.decimal_mark != Some(DecimalMark::Dot))
}

fn typed(s: Cow<'_, str>, kind: FieldType, scale: u32, lone_dot_groups: bool) -> Result<Value<'_>, Failure> {
    match kind {
        FieldType::String => Ok(Value::Str(s)),
        FieldType::Int => text::number::parse_int_as(&s, lone_dot_groups)
            .map(Value::Int)
            .map_err(|e| fail("type", format!("not an integer: {e}"))),
        FieldType::Decimal => {
            let d = text::number::parse_decimal_as(&s, lone_dot_groups)
                .map_err(|e| fail("type", format!("not a number: {e}")))?;
            d.rescale(scale).filter(|m| m.unsigned_abs() < 10u128.pow(38)).map(Value::Dec).ok_or_else(|| {
                fail("type", format!("number too large: at most {} digits before the decimal mark", 38 - scale))
            })
        }
        FieldType::Date => text::date::parse_date(&s)
            .map(|d| Value::Date(date_days(d)))
            .map_err(|e| fail("type", format!("not a date (dd/mm/yyyy or yyyy-mm-dd): {e}"))),
        FieldType::Datetime => text::date::parse_datetime(&s)
            .map(|t| Value::Datetime(t.and_utc().timestamp_micros()))
            .map_err(|e| fail("type", format!("not a date-time (yyyy-mm-dd HH:MM:SS): {e}"))),
        FieldType::Bool => {
            parse_bool(&s).map(Value::Bool).ok_or_else(|| fail("type", "not a boolean (true/false, 1/0, có/không)"))
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match text::fold(s).as_str() {
        "true" | "1" | "yes" | "y" | "co" | "x" | "dung" => Some(true),
        "false" | "0" | "no" | "n" | "khong" | "sai" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldType, normalize: Vec<Normalizer>) -> FieldSpec {
        FieldSpec {
            name: "f".into(),
            kind,
            required: false,
            scale: None,
            normalize,
            rules: vec![],
            description: String::new(),
            max_null_fraction: None,
            personal: None,
            decimal_mark: None,
        }
    }

    #[test]
    fn nfd_input_with_nbsp_becomes_clean_nfc() {
        let v = normalize(
            " Nguye\u{302}\u{303}n\u{a0}\u{a0}Va\u{306}n  ",
            &field(FieldType::String, vec![]),
            0,
            &CatalogCodes::new(),
        );
        assert_eq!(v, Ok(Value::Str("Nguyễn Văn".into())));
    }

    #[test]
    fn upper_keeps_vietnamese_letters() {
        let v = normalize(
            "công ty tnhh Hòa Bình",
            &field(FieldType::String, vec![Normalizer::Upper]),
            0,
            &CatalogCodes::new(),
        );
        assert_eq!(v, Ok(Value::Str("CÔNG TY TNHH HÒA BÌNH".into())));
    }

    #[test]
    fn vietnamese_separators_parse_as_numbers() {
        assert_eq!(
            normalize("1.234.567", &field(FieldType::Int, vec![]), 0, &CatalogCodes::new()),
            Ok(Value::Int(1_234_567))
        );
        assert_eq!(
            normalize("1.234.567,5", &field(FieldType::Decimal, vec![]), 2, &CatalogCodes::new()),
            Ok(Value::Dec(123_456_750))
        );
    }

    #[test]
    fn spreadsheet_errors_are_quarantined_in_any_field() {
        for kind in [FieldType::String, FieldType::Int, FieldType::Date] {
            let err = normalize(" #N/A ", &field(kind, vec![]), 0, &CatalogCodes::new()).unwrap_err();
            assert_eq!(err.rule, "spreadsheet_error", "{err:?}");
        }
        assert_eq!(
            normalize("#N/A tạm", &field(FieldType::String, vec![]), 0, &CatalogCodes::new()),
            Ok(Value::Str("#N/A tạm".into()))
        );
    }

    #[test]
    fn decimals_beyond_38_digits_are_refused() {
        let dec = field(FieldType::Decimal, vec![]);
        let none = CatalogCodes::new();
        assert_eq!(normalize(&"9".repeat(36), &dec, 2, &none), Ok(Value::Dec(10i128.pow(38) - 100)));
        let err = normalize(&"9".repeat(37), &dec, 2, &none).unwrap_err();
        assert!(err.rule == "type" && err.message.contains("36 digits"), "{err:?}");
    }

    #[test]
    fn a_lone_dot_with_three_digits_follows_the_decimal_mark() {
        let (mut int, mut dec) = (field(FieldType::Int, vec![]), field(FieldType::Decimal, vec![]));
        let none = CatalogCodes::new();
        assert_eq!(normalize("2.500", &dec, 3, &none), Ok(Value::Dec(2_500_000)), "Vietnamese grouping: 2500");
        (int.decimal_mark, dec.decimal_mark) = (Some(DecimalMark::Dot), Some(DecimalMark::Dot));
        assert_eq!(normalize("2.500", &dec, 3, &none), Ok(Value::Dec(2_500)), "a decimal mark: 2.5");
        assert_eq!(normalize("12.345", &dec, 3, &none), Ok(Value::Dec(12_345)));
        assert_eq!(normalize("1.234.567,5", &dec, 1, &none), Ok(Value::Dec(12_345_675)), "unambiguous forms stay");
        assert_eq!(normalize("2.000", &int, 0, &none), Ok(Value::Int(2)));
        assert_eq!(normalize("1.234", &int, 0, &none).unwrap_err().rule, "type");
    }

    #[test]
    fn dates_in_vietnamese_order_become_days() {
        let d = NaiveDate::from_ymd_opt(2021, 3, 5).unwrap();
        let f = field(FieldType::Date, vec![]);
        assert_eq!(normalize("05/03/2021", &f, 0, &CatalogCodes::new()), Ok(Value::Date(date_days(d))));
        assert_eq!(normalize("5/3/2021", &f, 0, &CatalogCodes::new()), Ok(Value::Date(date_days(d))));
        assert_eq!(normalize("2021-03-05", &f, 0, &CatalogCodes::new()), Ok(Value::Date(date_days(d))));
        assert_eq!(normalize("31/02/2021", &f, 0, &CatalogCodes::new()).unwrap_err().rule, "type");
    }

    #[test]
    fn codes_that_lost_leading_zeros_are_padded() {
        let f = field(FieldType::String, vec![Normalizer::PadLeft(5)]);
        assert_eq!(normalize("4", &f, 0, &CatalogCodes::new()), Ok(Value::Str("00004".into())));
        assert_eq!(normalize("A4", &f, 0, &CatalogCodes::new()), Ok(Value::Str("A4".into())));
    }

    #[test]
    fn null_if_values_become_missing() {
        let f = field(FieldType::String, vec![Normalizer::NullIf(vec!["N/A".into()])]);
        assert_eq!(normalize(" n/a ", &f, 0, &CatalogCodes::new()), Ok(Value::Null));
    }

    #[test]
    fn phones_are_normalized_or_fail_with_rule_phone() {
        let f = field(FieldType::String, vec![Normalizer::Phone]);
        assert_eq!(normalize("+84 162 567 8945", &f, 0, &CatalogCodes::new()), Ok(Value::Str("0325678945".into())));
        assert_eq!(normalize("12345", &f, 0, &CatalogCodes::new()).unwrap_err().rule, "phone");
    }

    #[test]
    fn booleans_accept_vietnamese_words() {
        let f = field(FieldType::Bool, vec![]);
        assert_eq!(normalize("Có", &f, 0, &CatalogCodes::new()), Ok(Value::Bool(true)));
        assert_eq!(normalize("không", &f, 0, &CatalogCodes::new()), Ok(Value::Bool(false)));
    }
}
