//! Dates and datetimes written day first (dd/mm/yyyy) or in ISO order (yyyy-mm-dd).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Why a date or datetime was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DateError {
    /// The text does not have the shape of a date.
    #[error(
        "{input:?} is not a date: expected dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd \
         or yyyy/mm/dd"
    )]
    Format {
        /// The text as given.
        input: String,
    },
    /// The year is not between 1000 and 9999.
    #[error("year {year} is outside 1000-9999")]
    Year {
        /// The year as read.
        year: u32,
    },
    /// Day, month and year are well formed but name no calendar day.
    #[error("{day:02}/{month:02}/{year} is not a calendar date")]
    NoSuchDate {
        /// The year as read.
        year: u32,
        /// The month as read.
        month: u32,
        /// The day as read.
        day: u32,
    },
    /// The date is followed by something other than a valid time of day.
    #[error("{input:?} has no valid time after the date: expected HH:MM or HH:MM:SS")]
    Time {
        /// The text as given.
        input: String,
    },
}

/// Parses a date in one of the forms dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd
/// or yyyy/mm/dd. Surrounding white space is ignored.
pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, DateError> {
    let text = s.trim();
    match date_prefix(text.as_bytes())? {
        Some((date, used)) if used == text.len() => Ok(date),
        _ => Err(DateError::Format { input: s.into() }),
    }
}

/// Parses a date (any form [`parse_date`] accepts) followed by a space or `T` and a time
/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.ffffff` (digits beyond microseconds are dropped). A bare
/// date gives midnight.
pub(crate) fn parse_datetime(s: &str) -> Result<NaiveDateTime, DateError> {
    let bytes = s.trim().as_bytes();
    let Some((date, used)) = date_prefix(bytes)? else {
        return Err(DateError::Format { input: s.into() });
    };
    let time = match bytes.get(used..).unwrap_or_default() {
        [] => Some(NaiveTime::MIN),
        [b' ' | b'T', rest @ ..] => time_of_day(rest.trim_ascii_start()),
        _ => return Err(DateError::Format { input: s.into() }),
    };
    match time {
        Some(time) => Ok(NaiveDateTime::new(date, time)),
        None => Err(DateError::Time { input: s.into() }),
    }
}

/// Reads a run of 1 to `max` ASCII digits at the start of `b`: its value and length.
fn digits(b: &[u8], max: usize) -> Option<(u32, usize)> {
    let len = b.iter().take(max + 1).take_while(|c| c.is_ascii_digit()).count();
    if len == 0 || len > max {
        return None;
    }
    let value = b[..len].iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0'));
    Some((value, len))
}

/// Reads a date at the start of `b`: the date and the number of bytes used. `Ok(None)` when
/// the text does not have the shape of a date.
fn date_prefix(b: &[u8]) -> Result<Option<(NaiveDate, usize)>, DateError> {
    let Some((first, n1)) = digits(b, 4) else {
        return Ok(None);
    };
    let Some(&sep) = b.get(n1) else {
        return Ok(None);
    };
    let mut i = n1 + 1;
    let Some((middle, n2)) = digits(&b[i..], 2) else {
        return Ok(None);
    };
    i += n2;
    if b.get(i) != Some(&sep) {
        return Ok(None);
    }
    i += 1;
    let Some((last, n3)) = digits(&b[i..], 4) else {
        return Ok(None);
    };
    i += n3;
    let (year, month, day) = match (n1, n3, sep) {
        (4, 1..=2, b'-' | b'/') => (first, middle, last),
        (1..=2, 4, b'/' | b'-' | b'.') => (last, middle, first),
        _ => return Ok(None),
    };
    if !(1000..=9999).contains(&year) {
        return Err(DateError::Year { year });
    }
    let date = i32::try_from(year).ok().and_then(|y| NaiveDate::from_ymd_opt(y, month, day));
    match date {
        Some(date) => Ok(Some((date, i))),
        None => Err(DateError::NoSuchDate { year, month, day }),
    }
}

/// Reads a whole `HH:MM[:SS[.fraction]]` time of day.
fn time_of_day(b: &[u8]) -> Option<NaiveTime> {
    let (hour, n) = digits(b, 2)?;
    let b = b[n..].strip_prefix(b":")?;
    let (minute, 2) = digits(b, 2)? else {
        return None;
    };
    let mut b = &b[2..];
    let mut second = 0;
    let mut micro = 0;
    if let Some(rest) = b.strip_prefix(b":") {
        let (s, 2) = digits(rest, 2)? else {
            return None;
        };
        second = s;
        b = &rest[2..];
        if let Some(fraction) = b.strip_prefix(b".") {
            let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if len == 0 {
                return None;
            }
            micro = fraction[..len]
                .iter()
                .chain(std::iter::repeat(&b'0'))
                .take(6)
                .fold(0, |acc, c| acc * 10 + u32::from(c - b'0'));
            b = &fraction[len..];
        }
    }
    if !b.is_empty() {
        return None;
    }
    NaiveTime::from_hms_micro_opt(hour, minute, second, micro)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    fn at(date: NaiveDate, h: u32, m: u32, s: u32, micro: u32) -> NaiveDateTime {
        NaiveDateTime::new(date, NaiveTime::from_hms_micro_opt(h, m, s, micro).unwrap_or_default())
    }

    #[test]
    fn every_accepted_date_form_parses() {
        let expected = Ok(ymd(2021, 3, 5));
        for s in ["05/03/2021", "5/3/2021", "05-03-2021", "05.03.2021", "2021-03-05", "2021/03/05"] {
            assert_eq!(parse_date(s), expected, "{s}");
        }
        assert_eq!(parse_date(" 29/02/2024 "), Ok(ymd(2024, 2, 29)));
    }

    #[test]
    fn impossible_calendar_dates_are_refused() {
        let err = parse_date("31/02/2021");
        assert_eq!(err, Err(DateError::NoSuchDate { year: 2021, month: 2, day: 31 }));
        assert!(matches!(parse_date("15/13/2020"), Err(DateError::NoSuchDate { .. })));
        assert!(matches!(parse_date("29/02/2023"), Err(DateError::NoSuchDate { .. })));
    }

    #[test]
    fn zero_date_is_refused() {
        assert_eq!(parse_date("00/00/0000"), Err(DateError::Year { year: 0 }));
    }

    #[test]
    fn years_outside_four_digits_are_refused() {
        assert!(parse_date("05/03/0999").is_err());
        assert!(parse_date("05/03/21").is_err());
        assert!(parse_date("05/03/20210").is_err());
    }

    #[test]
    fn partial_and_non_dates_are_refused() {
        for s in ["12/2019", "N/A", "", "2021-03", "05/03-2021", "2021.03.05", "05/03/2021x"] {
            assert!(matches!(parse_date(s), Err(DateError::Format { .. })), "{s}");
        }
    }

    #[test]
    fn datetime_accepts_space_or_t_and_optional_seconds() {
        let d = ymd(2021, 3, 5);
        assert_eq!(parse_datetime("05/03/2021 08:30"), Ok(at(d, 8, 30, 0, 0)));
        assert_eq!(parse_datetime("2021-03-05T08:30:15"), Ok(at(d, 8, 30, 15, 0)));
        assert_eq!(parse_datetime("05.03.2021 8:30:15"), Ok(at(d, 8, 30, 15, 0)));
        assert_eq!(parse_datetime("2021-03-05 23:59:59.5"), Ok(at(d, 23, 59, 59, 500_000)));
        assert_eq!(parse_datetime("2021-03-05T08:30:15.123456789"), Ok(at(d, 8, 30, 15, 123_456)));
    }

    #[test]
    fn bare_date_is_midnight() {
        assert_eq!(parse_datetime("05/03/2021"), Ok(at(ymd(2021, 3, 5), 0, 0, 0, 0)));
    }

    #[test]
    fn bad_times_are_refused() {
        for s in ["05/03/2021 24:00", "05/03/2021 08:3", "05/03/2021 08:30:", "2021-03-05T08"] {
            assert!(matches!(parse_datetime(s), Err(DateError::Time { .. })), "{s}");
        }
        assert!(matches!(parse_datetime("05/03/2021x08:30"), Err(DateError::Format { .. })));
        assert!(matches!(parse_datetime("31/02/2021 08:30"), Err(DateError::NoSuchDate { .. })));
    }
}
