//! Numbers written with Vietnamese separators ('.' for thousands, ',' for decimals) or English ones.

use std::fmt;

/// `n` with `separator` between groups of three digits: `1.234.567` (Vietnamese, `'.'`) or
/// `1,234,567` (English, `','`).
pub(crate) fn grouped(n: i64, separator: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// An exact decimal number: `mantissa / 10^scale`.
///
/// Equality compares the two fields, so `1,50` (150, scale 2) and `1,5` (15, scale 1) differ;
/// use [`Decimal::rescale`] to compare values at a common scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Decimal {
    /// The digits as an integer, with the sign.
    pub mantissa: i128,
    /// How many of the digits are after the decimal mark.
    pub scale: u32,
}

/// Why a number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NumberError {
    /// No digit at all.
    #[error("no digits")]
    NoDigits,
    /// A character that has no place in a number.
    #[error("{ch:?} is not allowed in a number")]
    InvalidChar {
        /// The first offending character.
        ch: char,
    },
    /// A sign anywhere but at the start, or more than one.
    #[error("a sign (+ or -) may only stand once, at the start")]
    Sign,
    /// Thousands separators that do not separate groups of three digits.
    #[error("thousands separators must separate groups of 3 digits, as in 1.234.567")]
    Grouping,
    /// A decimal mark used twice or without digits on both sides.
    #[error("the decimal mark must appear once, with digits on both sides")]
    DecimalMark,
    /// More digits than the target type holds.
    #[error("the number is too large")]
    Overflow,
    /// A non-zero fraction where an integer is required.
    #[error("an integer is required, but the number has a fractional part")]
    NotInteger,
}

/// Powers of ten that an `f64` holds exactly.
#[cfg(test)]
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

impl Decimal {
    /// The nearest `f64`.
    #[cfg(test)]
    pub(crate) fn to_f64(self) -> f64 {
        let exact_power = usize::try_from(self.scale).ok().and_then(|s| EXACT_POWERS.get(s));
        match exact_power {
            Some(p) if self.mantissa.unsigned_abs() <= 1 << 53 => self.mantissa as f64 / p,
            _ => self.to_string().parse().unwrap_or(f64::NAN),
        }
    }

    /// The mantissa at another scale, rounding half away from zero when the scale shrinks;
    /// `None` on overflow.
    pub(crate) fn rescale(&self, scale: u32) -> Option<i128> {
        if scale >= self.scale {
            return 10i128.checked_pow(scale - self.scale)?.checked_mul(self.mantissa);
        }
        let Some(divisor) = 10i128.checked_pow(self.scale - scale) else {
            return Some(0);
        };
        let (quotient, remainder) = (self.mantissa / divisor, self.mantissa % divisor);
        if remainder.unsigned_abs() >= divisor.unsigned_abs() - remainder.unsigned_abs() {
            Some(quotient + self.mantissa.signum())
        } else {
            Some(quotient)
        }
    }
}

impl fmt::Display for Decimal {
    /// Writes the plain form without trailing fractional zeros: `1234567.5`, `-3`, `0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mut m, mut scale) = (self.mantissa, self.scale);
        while scale > 0 && m % 10 == 0 {
            m /= 10;
            scale -= 1;
        }
        let sign = if m < 0 { "-" } else { "" };
        let digits = m.unsigned_abs().to_string();
        let scale = usize::try_from(scale).map_err(|_| fmt::Error)?;
        if scale == 0 {
            write!(f, "{sign}{digits}")
        } else if digits.len() <= scale {
            write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        } else {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{int}.{frac}")
        }
    }
}

/// What a first look at the text found.
struct Shape {
    negative: bool,
    decimal: Option<char>,
    grouping: Option<char>,
}

/// The characters of `s` that matter: all but white space.
fn significant(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| !c.is_whitespace())
}

/// Finds the sign and decides which of '.' and ',' is the decimal mark.
fn shape(s: &str, lone_dot_groups: bool) -> Result<Shape, NumberError> {
    let (mut dots, mut commas, mut last_dot, mut last_comma) = (0, 0, 0, 0);
    let (mut digits, mut digits_before_dot, mut first_digit) = (0, 0, None);
    let mut negative = false;
    for (i, c) in significant(s).enumerate() {
        match c {
            '0'..='9' => {
                first_digit.get_or_insert(c);
                digits += 1;
            }
            '.' => (dots, last_dot, digits_before_dot) = (dots + 1, i, digits),
            ',' => (commas, last_comma) = (commas + 1, i),
            '-' | '+' if i == 0 => negative = c == '-',
            '-' | '+' => return Err(NumberError::Sign),
            _ => return Err(NumberError::InvalidChar { ch: c }),
        }
    }
    if digits == 0 {
        return Err(NumberError::NoDigits);
    }
    let (decimal, grouping) = match (dots, commas) {
        (0, 0) => (None, None),
        (0, 1) => (Some(','), None),
        (0, _) => (None, Some(',')),
        (1, 0) => {
            let after = digits - digits_before_dot;
            let leading_zero = first_digit == Some('0');
            if lone_dot_groups && after == 3 && (1..=3).contains(&digits_before_dot) && !leading_zero {
                (None, Some('.'))
            } else {
                (Some('.'), None)
            }
        }
        (_, 0) => (None, Some('.')),
        _ if last_dot > last_comma => (Some('.'), Some(',')),
        _ => (Some(','), Some('.')),
    };
    Ok(Shape { negative, decimal, grouping })
}

/// Parses a number written with Vietnamese ('1.234.567,5') or English ('1,234,567.5') separators.
///
/// White space is ignored and a leading '+' or '-' is allowed. When both '.' and ',' occur the
/// last one is the decimal mark. A lone ',' is a decimal mark and repeated ones group thousands.
/// Repeated '.' group thousands; a lone '.' groups thousands when 3 digits follow it and 1 to 3
/// digits (not starting with 0) precede it, and is a decimal mark otherwise.
#[cfg(test)]
pub(crate) fn parse_decimal(s: &str) -> Result<Decimal, NumberError> {
    parse_decimal_as(s, true)
}

/// [`parse_decimal`], with a lone '.' read as a decimal mark when `lone_dot_groups` is false
/// (`1.234` is then 1.234, not 1234).
pub(crate) fn parse_decimal_as(s: &str, lone_dot_groups: bool) -> Result<Decimal, NumberError> {
    let shape = shape(s, lone_dot_groups)?;
    let mut mantissa: i128 = 0;
    let mut scale = 0u32;
    let mut in_fraction = false;
    let mut grouped = false;
    let mut group_len = 0;
    for c in significant(s) {
        match c {
            '0'..='9' => {
                mantissa = mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(i128::from(c as u8 - b'0')))
                    .ok_or(NumberError::Overflow)?;
                if in_fraction {
                    scale += 1;
                } else {
                    group_len += 1;
                }
            }
            c if Some(c) == shape.grouping => {
                let valid = if grouped { group_len == 3 } else { (1..=3).contains(&group_len) };
                if in_fraction || !valid {
                    return Err(NumberError::Grouping);
                }
                grouped = true;
                group_len = 0;
            }
            c if Some(c) == shape.decimal => {
                if in_fraction || group_len == 0 {
                    return Err(NumberError::DecimalMark);
                }
                if grouped && group_len != 3 {
                    return Err(NumberError::Grouping);
                }
                in_fraction = true;
            }
            _ => {}
        }
    }
    if grouped && !in_fraction && group_len != 3 {
        return Err(NumberError::Grouping);
    }
    if in_fraction && scale == 0 {
        return Err(NumberError::DecimalMark);
    }
    if shape.negative {
        mantissa = -mantissa;
    }
    Ok(Decimal { mantissa, scale })
}

/// Parses an integer with the separators [`parse_decimal`] accepts; a fraction is allowed only
/// when it is zero ("12,00").
#[cfg(test)]
pub(crate) fn parse_int(s: &str) -> Result<i64, NumberError> {
    parse_int_as(s, true)
}

/// [`parse_int`], with a lone '.' read as a decimal mark when `lone_dot_groups` is false.
pub(crate) fn parse_int_as(s: &str, lone_dot_groups: bool) -> Result<i64, NumberError> {
    let d = parse_decimal_as(s, lone_dot_groups)?;
    let divisor = 10i128.checked_pow(d.scale).ok_or(NumberError::Overflow)?;
    if d.mantissa % divisor != 0 {
        return Err(NumberError::NotInteger);
    }
    i64::try_from(d.mantissa / divisor).map_err(|_| NumberError::Overflow)
}

#[cfg(test)]
mod tests;
