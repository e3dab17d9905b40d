//! Master-record data: each row of a frame written as one JSON array of its values, in field
//! order, the form in which the store keeps record values (the field names are kept once per
//! version, beside the records). Written by hand from typed columns: this runs on every inserted
//! row of a first load.

use polars::prelude::*;
// Records are written into a `String` (`let _ = write!(out, ..)`), which cannot fail.
use std::fmt::Write as _;

enum Cells<'a> {
    Str(Box<dyn Iterator<Item = Option<&'a str>> + 'a>),
    Int(Box<dyn Iterator<Item = Option<i64>> + 'a>),
    Dec(Box<dyn Iterator<Item = Option<i128>> + 'a>, u32),
    Date(Box<dyn Iterator<Item = Option<i32>> + 'a>),
    Datetime(Box<dyn Iterator<Item = Option<i64>> + 'a>),
    Bool(Box<dyn Iterator<Item = Option<bool>> + 'a>),
}

impl<'a> Cells<'a> {
    fn of(c: &'a Column) -> PolarsResult<Cells<'a>> {
        let s = c.as_materialized_series();
        Ok(match s.dtype() {
            DataType::Int64 => Cells::Int(Box::new(s.i64()?.iter())),
            DataType::Decimal(_, scale) => Cells::Dec(Box::new(s.decimal()?.physical().iter()), *scale as u32),
            DataType::Date => Cells::Date(Box::new(s.date()?.physical().iter())),
            DataType::Datetime(_, _) => Cells::Datetime(Box::new(s.datetime()?.physical().iter())),
            DataType::Boolean => Cells::Bool(Box::new(s.bool()?.iter())),
            _ => Cells::Str(Box::new(s.str()?.iter())),
        })
    }

    fn skip(&mut self) {
        match self {
            Cells::Str(it) => drop(it.next()),
            Cells::Int(it) | Cells::Datetime(it) => drop(it.next()),
            Cells::Dec(it, _) => drop(it.next()),
            Cells::Date(it) => drop(it.next()),
            Cells::Bool(it) => drop(it.next()),
        }
    }

    fn write_next(&mut self, out: &mut String) {
        let ok = match self {
            Cells::Str(it) => it.next().flatten().map(|v| write_str(out, v)),
            Cells::Int(it) => it.next().flatten().map(|v| {
                let _ = write!(out, "{v}");
            }),
            Cells::Dec(it, scale) => it.next().flatten().map(|v| {
                let _ = write!(out, "{}", crate::text::number::Decimal { mantissa: v, scale: *scale });
            }),
            Cells::Date(it) => it.next().flatten().map(|d| push_date(out, d as i64)),
            Cells::Datetime(it) => it.next().flatten().map(|t| push_datetime(out, t)),
            Cells::Bool(it) => it.next().flatten().map(|b| out.push_str(if b { "true" } else { "false" })),
        };
        if ok.is_none() {
            out.push_str("null");
        }
    }
}

/// Days since 1970-01-01 as `"YYYY-MM-DD"` (the text chrono gives, without its formatter).
fn push_date(out: &mut String, days: i64) {
    out.push('"');
    push_day(out, days);
    out.push('"');
}

fn push_day(out: &mut String, days: i64) {
    use chrono::Datelike;
    let date = i32::try_from(days + 719_163).ok().and_then(chrono::NaiveDate::from_num_days_from_ce_opt);
    match date {
        Some(d) if (0..=9999).contains(&d.year()) => {
            push_digits(out, d.year() as u32, 4);
            out.push('-');
            push_digits(out, d.month(), 2);
            out.push('-');
            push_digits(out, d.day(), 2);
        }
        Some(d) => {
            let _ = write!(out, "{d}");
        }
        None => {}
    }
}

/// Microseconds since the epoch as `"YYYY-MM-DD HH:MM:SS[.fff|.ffffff]"`.
fn push_datetime(out: &mut String, micros: i64) {
    let (secs, frac) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000) as u32);
    let (days, in_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400) as u32);
    out.push('"');
    push_day(out, days);
    out.push(' ');
    push_digits(out, in_day / 3600, 2);
    out.push(':');
    push_digits(out, in_day / 60 % 60, 2);
    out.push(':');
    push_digits(out, in_day % 60, 2);
    if frac != 0 {
        out.push('.');
        if frac % 1000 == 0 {
            push_digits(out, frac / 1000, 3);
        } else {
            push_digits(out, frac, 6);
        }
    }
    out.push('"');
}

/// `v` in decimal, left-padded with zeros to `width` digits.
fn push_digits(out: &mut String, v: u32, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (v / 10u32.pow(i) % 10) as u8));
    }
}

/// Whether `b` holds a byte that JSON text escapes (`"`, `\\`, a control character); checked
/// 16 bytes at a time without branching inside, which the compiler turns into vector code.
fn needs_escape(b: &[u8]) -> bool {
    let special = |x: u8| x < 0x20 || x == b'"' || x == b'\\';
    let mut chunks = b.chunks_exact(16);
    for c in &mut chunks {
        if c.iter().fold(false, |any, &x| any | special(x)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&x| special(x))
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    if !needs_escape(s.as_bytes()) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes the rows of a frame one after the other as JSON arrays of the values of the columns
/// `fields`, in that order.
pub(crate) struct JsonRows<'a> {
    cells: Vec<Cells<'a>>,
}

impl<'a> JsonRows<'a> {
    /// A writer at the first row of `df`.
    pub(crate) fn new(df: &'a DataFrame, fields: &[String]) -> PolarsResult<JsonRows<'a>> {
        let cells = fields.iter().map(|f| df.column(f).and_then(Cells::of)).collect::<PolarsResult<_>>()?;
        Ok(JsonRows { cells })
    }

    /// Appends the next row's array to `out`.
    pub(crate) fn write_next(&mut self, out: &mut String) {
        out.push('[');
        for (i, c) in self.cells.iter_mut().enumerate() {
            if i > 0 {
                out.push(',');
            }
            c.write_next(out);
        }
        out.push(']');
    }

    /// Passes over the next row.
    pub(crate) fn skip(&mut self) {
        for c in &mut self.cells {
            c.skip();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_json_rows(df: &DataFrame, fields: &[String]) -> PolarsResult<Vec<String>> {
        let mut rows = JsonRows::new(df, fields)?;
        let mut second = JsonRows::new(df, fields)?;
        second.skip();
        let mut out: Vec<String> = (0..df.height())
            .map(|_| {
                let mut s = String::new();
                rows.write_next(&mut s);
                s
            })
            .collect();
        if df.height() > 1 {
            let mut s = String::new();
            second.write_next(&mut s);
            assert_eq!(s, out[1], "skip passes over exactly one row");
            out[1] = s;
        }
        Ok(out)
    }

    #[test]
    fn rows_are_json_arrays_of_typed_values_in_field_order() {
        let df = df!(
            "ten" => [Some("Công ty \"A\"\n"), None],
            "von" => [Some(5i64), Some(-1)],
            "ok" => [Some(true), None]
        )
        .unwrap();
        let rows = to_json_rows(&df, &["ten".into(), "von".into(), "ok".into()]).unwrap();
        let first: serde_json::Value = serde_json::from_str(&rows[0]).unwrap();
        assert_eq!(first, serde_json::json!(["Công ty \"A\"\n", 5, true]));
        let second: serde_json::Value = serde_json::from_str(&rows[1]).unwrap();
        assert_eq!(second, serde_json::json!([null, -1, null]));
    }

    #[test]
    fn text_is_escaped_wherever_the_special_byte_is() {
        for at in [0, 7, 15, 16, 17, 31, 40] {
            for special in ['"', '\\', '\n', '\u{1}'] {
                let mut text: String = "Hà Nội 123456789".repeat(3).chars().take(41).collect();
                text.insert(text.char_indices().nth(at).map_or(text.len(), |(i, _)| i), special);
                let mut out = String::new();
                write_str(&mut out, &text);
                assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text, "{special:?} at {at}");
            }
        }
    }

    #[test]
    fn dates_and_times_are_iso_text() {
        let day = Column::new("ngay".into(), [19_723i32]).cast(&DataType::Date).unwrap();
        let micros = [1_704_103_200_000_000i64, 1_704_103_200_500_000];
        let at = Column::new("luc".into(), micros).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap();
        let df = DataFrame::new(2, vec![day.new_from_index(0, 2), at]).unwrap();
        let rows = to_json_rows(&df, &["ngay".into(), "luc".into()]).unwrap();
        assert_eq!(rows[0], r#"["2024-01-01","2024-01-01 10:00:00"]"#);
        assert_eq!(rows[1], r#"["2024-01-01","2024-01-01 10:00:00.500"]"#);
    }

    #[test]
    fn dates_and_times_read_as_chrono_writes_them() {
        for micros in [
            0i64,
            -1,
            1,
            999_999,
            1_704_103_200_000_123,
            -62_135_596_800_000_000,
            253_402_300_799_999_999,
            -86_400_000_001,
        ] {
            let mut out = String::new();
            push_datetime(&mut out, micros);
            let want = chrono::DateTime::from_timestamp_micros(micros).unwrap().naive_utc().to_string();
            assert_eq!(out, format!("\"{want}\""), "{micros}");
        }
        for days in [-719_162i64, -1, 0, 19_723, 2_932_896] {
            let mut out = String::new();
            push_date(&mut out, days);
            let want = chrono::DateTime::from_timestamp(days * 86_400, 0).unwrap().date_naive().to_string();
            assert_eq!(out, format!("\"{want}\""), "{days}");
        }
    }
}
