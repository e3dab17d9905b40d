//! Vietnamese tax codes (mã số thuế): cleaning and checking, check digit included.

/// Weights of the first nine digits in the check digit sum.
const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// Why a tax code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TaxCodeError {
    /// Not one of the accepted shapes.
    #[error(
        "a tax code has 10 digits, or 10 digits, a hyphen and 3 digits (a dependent unit), \
         or 12 digits (a personal identification number)"
    )]
    Format,
    /// The tenth digit does not match the first nine.
    #[error("check digit is {found} but the first nine digits require {expected}")]
    CheckDigit {
        /// The digit the first nine digits require.
        expected: u8,
        /// The tenth digit as written.
        found: u8,
    },
    /// A dependent-unit suffix of 000, which is never issued.
    #[error("the dependent-unit suffix -000 is not valid: suffixes run from 001 to 999")]
    Suffix000,
    /// The first nine digits give a weighted sum divisible by 11, which leaves no check digit.
    #[error("the first nine digits give a weighted sum divisible by 11, so no check digit can be valid")]
    NoValidCheckDigit,
}

/// Removes spaces (NBSP included) and dots, and writes a bare 13-digit code as
/// `XXXXXXXXXX-NNN`; anything else is returned cleaned but otherwise unchanged.
pub(crate) fn normalize_tax_code(s: &str) -> String {
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace() && *c != '.').collect();
    if cleaned.len() == 13 && cleaned.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &cleaned[..10], &cleaned[10..])
    } else {
        cleaned
    }
}

/// Checks a tax code written as 10 digits, as 10 digits, a hyphen and a 3-digit suffix other
/// than 000, or as a 12-digit personal identification number (format only).
///
/// The tenth digit must equal 10 − (S mod 11), where S weighs the first nine digits by
/// 31, 29, 23, 19, 17, 13, 7, 5, 3; codes with S mod 11 = 0 are refused.
pub(crate) fn check_tax_code(s: &str) -> Result<(), TaxCodeError> {
    let b = s.as_bytes();
    let all_digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    match b.len() {
        12 if all_digits(b) => Ok(()),
        10 if all_digits(b) => check_digit(b),
        14 if b[10] == b'-' && all_digits(&b[..10]) && all_digits(&b[11..]) => {
            check_digit(&b[..10])?;
            if &b[11..] == b"000" {
                return Err(TaxCodeError::Suffix000);
            }
            Ok(())
        }
        _ => Err(TaxCodeError::Format),
    }
}

/// Checks the tenth digit of ten ASCII digits.
fn check_digit(code: &[u8]) -> Result<(), TaxCodeError> {
    let digit = |i: usize| u32::from(code[i] - b'0');
    let sum: u32 = WEIGHTS.iter().enumerate().map(|(i, w)| w * digit(i)).sum();
    let remainder = sum % 11;
    if remainder == 0 {
        return Err(TaxCodeError::NoValidCheckDigit);
    }
    let expected = (10 - remainder) as u8;
    let found = code[9] - b'0';
    if expected == found {
        Ok(())
    } else {
        Err(TaxCodeError::CheckDigit { expected, found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples_are_valid() {
        assert_eq!(check_tax_code("0100109106"), Ok(()));
        assert_eq!(check_tax_code("0300588569"), Ok(()));
    }

    #[test]
    fn wrong_check_digit_names_the_expected_one() {
        let err = check_tax_code("0100109107");
        assert_eq!(err, Err(TaxCodeError::CheckDigit { expected: 6, found: 7 }));
    }

    #[test]
    fn dependent_unit_suffix_is_valid_except_000() {
        assert_eq!(check_tax_code("0100109106-001"), Ok(()));
        assert_eq!(check_tax_code("0100109106-999"), Ok(()));
        assert_eq!(check_tax_code("0100109106-000"), Err(TaxCodeError::Suffix000));
        let err = check_tax_code("0100109107-001");
        assert_eq!(err, Err(TaxCodeError::CheckDigit { expected: 6, found: 7 }));
    }

    #[test]
    fn weighted_sum_divisible_by_eleven_has_no_valid_check_digit() {
        assert_eq!(check_tax_code("0000000125"), Err(TaxCodeError::NoValidCheckDigit));
    }

    #[test]
    fn remainder_ten_gives_check_digit_zero() {
        assert_eq!(check_tax_code("0000000070"), Ok(()));
    }

    #[test]
    fn personal_identification_number_is_accepted_by_format() {
        assert_eq!(check_tax_code("001099012345"), Ok(()));
    }

    #[test]
    fn other_shapes_are_format_errors() {
        for s in ["", "010010910", "01001091066", "0100109106001", "0100109106-01", "01001091O6"] {
            assert_eq!(check_tax_code(s), Err(TaxCodeError::Format), "{s}");
        }
        assert_eq!(check_tax_code("0100109106 001"), Err(TaxCodeError::Format));
    }

    #[test]
    fn thirteen_bare_digits_get_their_hyphen() {
        assert_eq!(normalize_tax_code("0100109106001"), "0100109106-001");
        assert_eq!(normalize_tax_code(" 0100.109.106 001 "), "0100109106-001");
    }

    #[test]
    fn other_codes_are_only_cleaned() {
        assert_eq!(normalize_tax_code("0100 109\u{00A0}106"), "0100109106");
        assert_eq!(normalize_tax_code("0100109106-001"), "0100109106-001");
        assert_eq!(normalize_tax_code("MST 123"), "MST123");
    }
}
