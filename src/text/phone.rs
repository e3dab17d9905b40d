//! Vietnamese phone numbers: separators, country code and the 2018 mobile prefix change.

use std::sync::OnceLock;

use super::embedded_rows;

const PREFIXES: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/catalogs/vn_mobile_prefix_conversion_2018.csv"));

/// Why a phone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PhoneError {
    /// A character other than a digit or a separator.
    #[error("{found:?} is not a digit; a phone number holds digits, spaces, dots, dashes and parentheses")]
    NotDigits {
        /// The first offending character.
        found: char,
    },
    /// An international number with a country code other than +84.
    #[error("the number has a country code other than +84 (Vietnam)")]
    ForeignCountryCode,
    /// Not 10 digits (mobile) nor 11 (landline, or mobile before 2018).
    #[error("the number has {digits} digits; Vietnamese mobile numbers have 10 and landlines 11")]
    WrongLength {
        /// Digits counted after removing separators and the country code.
        digits: usize,
    },
    /// The right length, but a prefix no Vietnamese number starts with.
    #[error(
        "prefix {prefix} is unknown for {digits} digits: mobiles start 03, 05, 07, 08 or 09 \
         (10 digits), landlines 02 (11 digits)"
    )]
    UnknownPrefix {
        /// The first three digits.
        prefix: String,
        /// Number of digits.
        digits: usize,
    },
}

/// Normalizes a Vietnamese phone number to its national form: `0` and 9 or 10 digits.
///
/// Spaces (NBSP included), dots, dashes and parentheses are removed; `+84`, `0084`, and `84`
/// followed by 9 or 10 digits become `0`; an 11-digit mobile number with a pre-2018 prefix
/// (0162 → 032, 0120 → 070, …) gets its new prefix. The result is a 10-digit mobile number
/// (03, 05, 07, 08, 09) or an 11-digit landline (02).
pub(crate) fn normalize_phone(s: &str) -> Result<String, PhoneError> {
    let mut digits = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_digit() || (c == '+' && digits.is_empty()) {
            digits.push(c);
        } else if !(c.is_whitespace() || matches!(c, '.' | '-' | '(' | ')')) {
            return Err(PhoneError::NotDigits { found: c });
        }
    }
    let national = national_digits(&digits)?;
    let national = match old_mobile_prefix(&national) {
        Some(new_prefix) => format!("{new_prefix}{}", &national[4..]),
        None => national.into_owned(),
    };
    let prefix = national.get(..2).unwrap_or("");
    match (national.len(), prefix) {
        (10, "03" | "05" | "07" | "08" | "09") | (11, "02") => Ok(national),
        (10 | 11, _) => Err(PhoneError::UnknownPrefix { prefix: national[..3].to_owned(), digits: national.len() }),
        (n, _) => Err(PhoneError::WrongLength { digits: n }),
    }
}

/// Strips the country code from `digits` (ASCII digits, perhaps after one leading `+`) and puts
/// the national `0` back in front.
fn national_digits(digits: &str) -> Result<std::borrow::Cow<'_, str>, PhoneError> {
    let international = digits
        .strip_prefix("+84")
        .or_else(|| digits.strip_prefix("0084"))
        .map(|rest| rest.strip_prefix('0').unwrap_or(rest));
    if let Some(rest) = international {
        return Ok(format!("0{rest}").into());
    }
    if digits.starts_with('+') {
        return Err(PhoneError::ForeignCountryCode);
    }
    match digits.strip_prefix("84") {
        Some(rest) if matches!(rest.len(), 9 | 10) => Ok(format!("0{rest}").into()),
        _ => Ok(digits.into()),
    }
}

/// The new 3-digit prefix of an 11-digit mobile number that still has its pre-2018 prefix.
fn old_mobile_prefix(national: &str) -> Option<&'static str> {
    static TABLE: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        embedded_rows("vn_mobile_prefix_conversion_2018.csv", PREFIXES, 6)
            .map(|f| {
                assert!(
                    f[1].len() == 4 && f[2].len() == 3,
                    "mobile prefix table row has prefixes of the wrong length: {f:?}"
                );
                (f[1], f[2])
            })
            .collect()
    });
    if national.len() != 11 {
        return None;
    }
    let head = national.get(..4)?;
    table.iter().find(|(old, _)| *old == head).map(|(_, new)| *new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_prefix_with_country_code_gets_the_new_prefix() {
        assert_eq!(normalize_phone("+84 162 567 8945").as_deref(), Ok("0325678945"));
        assert_eq!(normalize_phone("0084 1625678945").as_deref(), Ok("0325678945"));
    }

    #[test]
    fn old_prefix_with_dots_gets_the_new_prefix() {
        assert_eq!(normalize_phone("0169.567.8945").as_deref(), Ok("0395678945"));
        assert_eq!(normalize_phone("0120 123 4567").as_deref(), Ok("0701234567"));
        assert_eq!(normalize_phone("0199-123-4567").as_deref(), Ok("0591234567"));
    }

    #[test]
    fn all_21_old_prefixes_are_known() {
        assert!(old_mobile_prefix("01621234567").is_some());
        let count = (0..100).filter(|n| old_mobile_prefix(&format!("01{n:02}1234567")).is_some()).count();
        assert_eq!(count, 21);
    }

    #[test]
    fn parentheses_and_spaces_are_removed() {
        assert_eq!(normalize_phone("(090) 123 4567").as_deref(), Ok("0901234567"));
        assert_eq!(normalize_phone("090\u{00A0}123\u{00A0}4567").as_deref(), Ok("0901234567"));
    }

    #[test]
    fn country_code_without_plus_becomes_zero() {
        assert_eq!(normalize_phone("84901234567").as_deref(), Ok("0901234567"));
        assert_eq!(normalize_phone("+84 (0) 90 123 4567").as_deref(), Ok("0901234567"));
    }

    #[test]
    fn landline_keeps_eleven_digits() {
        assert_eq!(normalize_phone("024 3825 1234").as_deref(), Ok("02438251234"));
        assert_eq!(normalize_phone("+84 24 3825 1234").as_deref(), Ok("02438251234"));
    }

    #[test]
    fn too_short_number_is_the_wrong_length() {
        assert_eq!(normalize_phone("12345"), Err(PhoneError::WrongLength { digits: 5 }));
    }

    #[test]
    fn eleven_digit_mobile_without_an_old_prefix_is_refused() {
        let err = normalize_phone("09012345678");
        assert_eq!(err, Err(PhoneError::UnknownPrefix { prefix: "090".into(), digits: 11 }));
    }

    #[test]
    fn letters_and_foreign_numbers_are_refused() {
        assert_eq!(normalize_phone("090 123 45x7"), Err(PhoneError::NotDigits { found: 'x' }));
        assert_eq!(normalize_phone("+1 202 555 0100"), Err(PhoneError::ForeignCountryCode));
        assert_eq!(normalize_phone("0901+234567"), Err(PhoneError::NotDigits { found: '+' }));
    }

    #[test]
    fn ten_digits_with_an_unknown_prefix_are_refused() {
        let err = normalize_phone("0112345678");
        assert_eq!(err, Err(PhoneError::UnknownPrefix { prefix: "011".into(), digits: 10 }));
    }
}
