//! Tests of number parsing, display, conversion and rescaling.

use super::*;

fn dec(s: &str) -> Option<(i128, u32)> {
    parse_decimal(s).ok().map(|d| (d.mantissa, d.scale))
}

#[test]
fn vietnamese_and_english_separators_parse() {
    assert_eq!(dec("1.234.567,5"), Some((12_345_675, 1)));
    assert_eq!(dec("1.234.567"), Some((1_234_567, 0)));
    assert_eq!(dec("12,5"), Some((125, 1)));
    assert_eq!(dec("-1.000"), Some((-1000, 0)));
    assert_eq!(dec("1,234,567.5"), Some((12_345_675, 1)));
    assert_eq!(dec("1,234,567"), Some((1_234_567, 0)));
}

#[test]
fn a_lone_dot_is_grouping_only_before_three_digits() {
    let cases = [("1.234", 1234, 0), ("1.5", 15, 1), ("12.5", 125, 1), ("0.25", 25, 2)];
    let more = [("1234.5", 12_345, 1), ("0.250", 250, 3), ("1234.567", 1_234_567, 3)];
    for (s, m, scale) in cases.into_iter().chain(more) {
        assert_eq!(dec(s), Some((m, scale)), "{s}");
    }
}

#[test]
fn plain_numbers_signs_and_spaces_parse() {
    assert_eq!(dec("500000"), Some((500_000, 0)));
    assert_eq!(dec("+42"), Some((42, 0)));
    assert_eq!(dec(" 1 234 567 "), Some((1_234_567, 0)));
    assert_eq!(dec("1.234\u{00A0},5"), Some((12_345, 1)));
}

#[test]
fn bad_numbers_are_refused() {
    assert_eq!(parse_decimal("1.23.4"), Err(NumberError::Grouping));
    assert_eq!(parse_decimal("1.2345.678"), Err(NumberError::Grouping));
    assert_eq!(parse_decimal("1234.567,5"), Err(NumberError::Grouping));
    assert_eq!(parse_decimal(""), Err(NumberError::NoDigits));
    assert_eq!(parse_decimal("-"), Err(NumberError::NoDigits));
    assert_eq!(parse_decimal("abc"), Err(NumberError::InvalidChar { ch: 'a' }));
    assert_eq!(parse_decimal("12a"), Err(NumberError::InvalidChar { ch: 'a' }));
    assert_eq!(parse_decimal("1-2"), Err(NumberError::Sign));
    assert_eq!(parse_decimal("1,2.3,4"), Err(NumberError::Grouping));
    assert_eq!(parse_decimal("1.234,5,6"), Err(NumberError::DecimalMark));
    assert_eq!(parse_decimal("12,"), Err(NumberError::DecimalMark));
    assert_eq!(parse_decimal(",5"), Err(NumberError::DecimalMark));
}

#[test]
fn display_gives_the_plain_canonical_form() {
    let show = |s: &str| parse_decimal(s).map(|d| d.to_string()).unwrap_or_default();
    assert_eq!(show("1.234.567,5"), "1234567.5");
    assert_eq!(show("-3"), "-3");
    assert_eq!(show("0,05"), "0.05");
    assert_eq!(show("-0,050"), "-0.05");
    assert_eq!(show("12,00"), "12");
}

#[test]
fn to_f64_is_the_nearest_double() {
    let f = |s: &str| parse_decimal(s).map(|d| d.to_f64()).unwrap_or(f64::NAN);
    assert_eq!(f("1.234.567,5"), 1_234_567.5);
    assert_eq!(f("0,1"), 0.1);
    assert_eq!(f("-0,05"), -0.05);
    assert_eq!(f("123456789012345678901234567890"), 1.2345678901234568e29);
}

#[test]
fn rescale_rounds_half_away_from_zero() {
    let d = |m, scale| Decimal { mantissa: m, scale };
    assert_eq!(d(125, 2).rescale(1), Some(13));
    assert_eq!(d(-125, 2).rescale(1), Some(-13));
    assert_eq!(d(124, 2).rescale(1), Some(12));
    assert_eq!(d(-149, 2).rescale(0), Some(-1));
    assert_eq!(d(5, 1).rescale(3), Some(500));
    assert_eq!(d(i128::MAX, 0).rescale(1), None);
    assert_eq!(d(i128::MAX, 40).rescale(0), Some(0));
}

#[test]
fn integers_parse_with_separators_and_refuse_fractions() {
    assert_eq!(parse_int("1.234.567"), Ok(1_234_567));
    assert_eq!(parse_int("1.234"), Ok(1234));
    assert_eq!(parse_int("-1.000"), Ok(-1000));
    assert_eq!(parse_int("12,00"), Ok(12));
    assert_eq!(parse_int("1.5"), Err(NumberError::NotInteger));
    assert_eq!(parse_int("12,5"), Err(NumberError::NotInteger));
}

#[test]
fn integers_and_decimals_refuse_overflow() {
    assert_eq!(parse_int("9.223.372.036.854.775.808"), Err(NumberError::Overflow));
    assert_eq!(parse_int("-9.223.372.036.854.775.808"), Ok(i64::MIN));
    assert_eq!(parse_decimal(&"9".repeat(40)), Err(NumberError::Overflow));
}
