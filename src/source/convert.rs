//! Excel sheets and JSON records written as UTF-8 CSV, so that every source goes through the
//! same extract stage. A first `_line` column keeps each row's position in the original, so a
//! quarantined row's `_line` points at the sheet row, JSON record or NDJSON line.

use super::NUMBER_COLUMN;
use super::{Error, Result};
use serde_json::Value;
use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;

type Out = csv::Writer<std::io::BufWriter<std::fs::File>>;

fn writer(out: &Path) -> Result<Out> {
    let file = std::fs::File::create(out).map_err(|e| Error::io(out, e))?;
    Ok(csv::WriterBuilder::new().flexible(true).from_writer(std::io::BufWriter::new(file)))
}

fn finish(mut w: Out, out: &Path) -> Result<()> {
    w.flush().map_err(|e| Error::io(out, e))
}

fn csv_err(out: &Path, e: csv::Error) -> Error {
    Error::io(out, std::io::Error::other(e))
}

/// A cell as text: whole numbers without `.0`, dates as `yyyy-mm-dd` (with `Thh:mm:ss` when
/// they have a time), errors as their code (`#N/A`, `#REF!`), which normalizing quarantines.
fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::Empty => String::new(),
        Data::Error(e) => e.to_string(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => machine_number(f.to_string()),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// Writes sheet `sheet` (default: the first) of the workbook at `path` to `out`, from
/// `header_row` (1-based) on, with a first `_line` column holding the sheet row. Blank rows are
/// skipped.
pub(crate) fn excel_to_csv(path: &Path, name: &str, sheet: Option<&str>, header_row: u32, out: &Path) -> Result<()> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| Error::Format { name: name.into(), message: format!("not a readable Excel workbook: {e}") })?;
    let names = book.sheet_names().to_vec();
    let sheet = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(Error::Format {
                name: name.into(),
                message: format!("no sheet '{s}'; the workbook has: {}", names.join(", ")),
            })
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Error::Format { name: name.into(), message: "the workbook has no sheet".into() })?,
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| Error::Format { name: name.into(), message: format!("sheet '{sheet}': {e}") })?;
    let first = range.start().map(|(r, _)| r).unwrap_or(0);
    let header_index = header_row.saturating_sub(1);
    if header_index < first || range.is_empty() {
        return Err(Error::Format {
            name: name.into(),
            message: format!("sheet '{sheet}': row {header_row} (the header row) is empty"),
        });
    }
    if let Some((last, _)) = range.end().filter(|(last, _)| header_index > *last) {
        return Err(Error::Format {
            name: name.into(),
            message: format!("sheet '{sheet}': header_row {header_row} is past the last row {} of the sheet", last + 1),
        });
    }
    let mut w = writer(out)?;
    for (i, row) in range.rows().enumerate() {
        let at = first + i as u32;
        if at < header_index {
            continue;
        }
        let mut cells: Vec<String> = row.iter().map(cell_text).collect();
        if at > header_index && cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        cells.insert(0, if at == header_index { NUMBER_COLUMN.to_string() } else { (at + 1).to_string() });
        w.write_record(&cells).map_err(|e| csv_err(out, e))?;
    }
    finish(w, out)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => machine_number(n.to_string()),
        other => other.to_string(),
    }
}

/// A machine-written number (an Excel numeric cell, a JSON number) in a form that cannot be read
/// as Vietnamese thousands grouping: a lone '.' before exactly three digits, after one to three
/// (`12.345`), becomes a decimal comma (`12,345`); any other number stays as written. Text cells
/// and JSON strings keep the steward's `decimal_mark` (by default `1.500` is 1500).
fn machine_number(text: String) -> String {
    let unsigned = text.strip_prefix('-').unwrap_or(&text);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match unsigned.split_once('.') {
        Some((int, frac))
            if frac.len() == 3 && int.len() <= 3 && !int.starts_with('0') && digits(int) && digits(frac) =>
        {
            text.replacen('.', ",", 1)
        }
        _ => text,
    }
}

/// The value at a dot path (`data.items`); the document itself for an empty path.
pub(crate) fn at_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').filter(|p| !p.is_empty()).try_fold(doc, |v, key| match v {
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => v.get(key),
    })
}

/// Writes JSON records as CSV with the `columns` header; keys seen go to `seen`.
pub(crate) struct RecordWriter {
    w: Out,
    out: std::path::PathBuf,
    columns: Vec<String>,
    seen: HashSet<String>,
    /// Records written.
    pub(crate) count: u64,
}

impl RecordWriter {
    /// A writer of `out` with the source columns the pipeline reads.
    pub(crate) fn create(out: &Path, columns: Vec<String>) -> Result<RecordWriter> {
        let mut w = writer(out)?;
        let header: Vec<&str> = std::iter::once(NUMBER_COLUMN).chain(columns.iter().map(String::as_str)).collect();
        w.write_record(&header).map_err(|e| csv_err(out, e))?;
        Ok(RecordWriter { w, out: out.into(), columns, seen: HashSet::new(), count: 0 })
    }

    /// Writes one record numbered `number` (`name` and `position` locate it in errors).
    pub(crate) fn record(&mut self, v: &Value, name: &str, position: &str, number: u64) -> Result<()> {
        let Value::Object(map) = v else {
            return Err(Error::Format {
                name: name.into(),
                message: format!("{position}: a record must be a JSON object, found {}", kind(v)),
            });
        };
        self.seen.extend(map.keys().filter(|k| self.columns.contains(k)).cloned());
        let row: Vec<String> = std::iter::once(number.to_string())
            .chain(self.columns.iter().map(|c| map.get(c).map(text).unwrap_or_default()))
            .collect();
        self.w.write_record(&row).map_err(|e| csv_err(&self.out, e))?;
        self.count += 1;
        Ok(())
    }

    /// Flushes; with at least one record, every column must have been seen in some record.
    pub(crate) fn finish(self, name: &str) -> Result<u64> {
        if self.count > 0 {
            if let Some(missing) = self.columns.iter().find(|c| !self.seen.contains(*c)) {
                return Err(Error::Format {
                    name: name.into(),
                    message: format!("key '{missing}' is in no record; map the right key in [source.columns]"),
                });
            }
        }
        finish(self.w, &self.out)?;
        Ok(self.count)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The records array of a JSON document at `records`.
pub(crate) fn records_of<'a>(doc: &'a Value, records: &str, name: &str) -> Result<&'a Vec<Value>> {
    match at_path(doc, records) {
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(Error::Format {
            name: name.into(),
            message: format!("'{records}' is {}, not an array of records", kind(other)),
        }),
        None => Err(Error::Format {
            name: name.into(),
            message: format!("no '{records}' in the document: set source.records to the path of the records array"),
        }),
    }
}

/// Writes a JSON document's records (at `records`) to `w`, numbered by position.
pub(crate) fn json_into(bytes: &[u8], records: &str, name: &str, w: &mut RecordWriter) -> Result<()> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| Error::Format {
        name: name.into(),
        message: format!("line {}, column {}: not JSON: {e}", e.line(), e.column()),
    })?;
    for (i, r) in records_of(&doc, records, name)?.iter().enumerate() {
        w.record(r, name, &format!("record {}", i + 1), i as u64 + 1)?;
    }
    Ok(())
}

/// Writes NDJSON lines to `w`, numbered by line (after `first_line` lines already read).
pub(crate) fn ndjson_into(reader: impl BufRead, name: &str, w: &mut RecordWriter, first_line: u64) -> Result<()> {
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::Format { name: name.into(), message: format!("line {}: {e}", i + 1) })?;
        if line.trim().is_empty() {
            continue;
        }
        let at = first_line + i as u64 + 1;
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| Error::Format { name: name.into(), message: format!("line {at}: not JSON: {e}") })?;
        w.record(&v, name, &format!("line {at}"), at)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_records_become_csv_rows_with_nested_values_as_json_text() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.csv");
        let mut w = RecordWriter::create(&out, vec!["id".into(), "name".into(), "tags".into()]).unwrap();
        let doc = r#"{"data":{"items":[{"id":1,"name":"Hà Nội","tags":["a"]},{"id":2,"name":null,"tags":{"x":1}}]}}"#
            .as_bytes();
        json_into(doc, "data.items", "f.json", &mut w).unwrap();
        w.finish("f.json").unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let rows: Vec<Vec<String>> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows, vec![vec!["1", "1", "Hà Nội", "[\"a\"]"], vec!["2", "2", "", "{\"x\":1}"]]);
    }

    #[test]
    fn a_key_in_no_record_and_a_non_object_record_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.csv");
        let mut w = RecordWriter::create(&out, vec!["id".into(), "ten".into()]).unwrap();
        ndjson_into("{\"id\":1}\n\n{\"id\":2}\n".as_bytes(), "f.ndjson", &mut w, 0).unwrap();
        let e = w.finish("f.ndjson").unwrap_err().to_string();
        assert!(e.contains("key 'ten' is in no record"), "{e}");
        let mut w = RecordWriter::create(&out, vec!["id".into()]).unwrap();
        let e = ndjson_into("{\"id\":1}\n[1]\n".as_bytes(), "f.ndjson", &mut w, 0).unwrap_err().to_string();
        assert!(e.contains("line 2: a record must be a JSON object, found an array"), "{e}");
        let e = json_into(b"{\"rows\": 3}", "rows", "f.json", &mut RecordWriter::create(&out, vec![]).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("'rows' is a number, not an array"), "{e}");
    }

    #[test]
    fn ndjson_records_are_numbered_by_their_line_blank_lines_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.csv");
        let mut w = RecordWriter::create(&out, vec!["id".into()]).unwrap();
        ndjson_into("{\"id\":1}\n\n{\"id\":3}\n".as_bytes(), "f", &mut w, 0).unwrap();
        w.finish("f").unwrap();
        let mut r = csv::Reader::from_path(&out).unwrap();
        let lines: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
        assert_eq!(lines, ["1", "3"]);
    }

    #[test]
    fn machine_numbers_cannot_be_read_as_thousands() {
        for (written, kept) in [
            ("12.345", "12,345"),
            ("-1.125", "-1,125"),
            ("0.125", "0.125"),
            ("1234.567", "1234.567"),
            ("2.5", "2.5"),
            ("1500", "1500"),
        ] {
            assert_eq!(machine_number(written.into()), kept);
            let as_read = crate::text::number::parse_decimal(kept).unwrap().to_string();
            assert_eq!(as_read, written.trim_start_matches('+'), "{kept} reads back as {written}");
        }
        assert_eq!(text(&serde_json::json!(12.345)), "12,345");
        assert_eq!(text(&serde_json::json!("1.500")), "1.500", "a string keeps the steward's decimal mark");
        assert_eq!(cell_text(&calamine::Data::Float(1.125)), "1,125");
    }

    #[test]
    fn a_header_row_past_the_last_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let book_path = dir.path().join("b.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("DS").unwrap();
        sheet.write_string(0, 0, "ma").unwrap();
        sheet.write_string(1, 0, "01").unwrap();
        book.save(&book_path).unwrap();
        let out = dir.path().join("o.csv");
        assert!(excel_to_csv(&book_path, "b.xlsx", None, 1, &out).is_ok());
        let e = excel_to_csv(&book_path, "b.xlsx", Some("DS"), 5, &out).unwrap_err().to_string();
        assert!(e.contains("header_row 5 is past the last row 2 of the sheet"), "{e}");
    }
}
