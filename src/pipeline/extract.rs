//! Extract: read a source file, checksum it, decode its encoding to UTF-8 NFC and cut it into
//! batches of CSV records, keeping each record's line number.

mod decoding;
mod hashing;
mod lines;
mod raw;

pub(crate) use raw::{RawBatch, RawRecord};

use crate::text::legacy::{self, Encoding};
use hashing::Hashing;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The column of a converted source that holds each record's position in the original.
pub(crate) use crate::source::NUMBER_COLUMN;

/// Records handed to the transform stage at a time.
pub(crate) const BATCH_ROWS: usize = 32_768;

/// Why a source cannot be read at all (bad rows are not errors: they are quarantined).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// Zero bytes, or only a header line's worth of nothing.
    #[error("{}: the file is empty: expected a header line and data rows", path.display())]
    Empty { path: PathBuf },
    /// A header line but no data rows (a full extract of nothing would delete every record).
    #[error("{}: the file has a header line but no data rows; if the dataset is really empty, remove the pipeline's records by hand", path.display())]
    NoRows { path: PathBuf },
    /// NUL bytes: not a text file.
    #[error("{}: byte {offset} is NUL: this is a binary file, not {expected} text; check the source path", path.display())]
    Binary { path: PathBuf, offset: usize, expected: &'static str },
    /// Bytes that the declared encoding cannot decode.
    #[error("{}: {source}", path.display())]
    Decode { path: PathBuf, source: legacy::DecodeError },
    /// The text does not read as Vietnamese in the declared encoding, or no encoding was found.
    #[error("{}: {message}", path.display())]
    Encoding { path: PathBuf, message: String },
    /// A malformed CSV record (e.g. an unclosed quote).
    #[error("{}: line {line}: {message}", path.display())]
    Csv { path: PathBuf, line: u64, message: String },
    /// A declared column is missing from the header.
    #[error("{}: column '{column}' (field '{field}') is not in the header line; the header has: {header}", path.display())]
    MissingColumn { path: PathBuf, column: String, field: String, header: String },
}

impl Error {
    /// The same error naming `name` instead of `local` (a download or a conversion of it).
    pub(crate) fn named(self, local: &Path, name: &str) -> Error {
        if local == Path::new(name) {
            return self;
        }
        let n = PathBuf::from(name);
        match self {
            Error::Io { source, .. } => Error::Io { path: n, source },
            Error::Empty { .. } => Error::Empty { path: n },
            Error::NoRows { .. } => Error::NoRows { path: n },
            Error::Binary { offset, expected, .. } => Error::Binary { path: n, offset, expected },
            Error::Decode { source, .. } => Error::Decode { path: n, source },
            Error::Encoding { message, .. } => Error::Encoding { path: n, message },
            Error::Csv { line, message, .. } => Error::Csv { path: n, line, message },
            Error::MissingColumn { column, field, header, .. } => {
                Error::MissingColumn { path: n, column, field, header }
            }
        }
    }
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// What was read: checksum and size; records are streamed to the caller.
#[derive(Debug, Clone)]
pub(crate) struct ExtractInfo {
    /// sha256 of the raw input bytes, hex.
    pub(crate) sha256: String,
    /// Size of the raw input in bytes.
    pub(crate) bytes: u64,
}

enum Inner {
    Utf8(csv::Reader<std::io::BufReader<lines::Lines<Hashing<std::fs::File>>>>),
    Decoded(csv::Reader<lines::Lines<std::io::Cursor<Vec<u8>>>>, String, u64),
}

impl Inner {
    /// The physical line of a record or error at reader position `pos`.
    fn line_at(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(byte) = pos.map(csv::Position::byte) else { return 0 };
        match self {
            Inner::Utf8(r) => r.get_mut().get_mut().line_at(byte),
            Inner::Decoded(r, ..) => r.get_mut().line_at(byte),
        }
    }

    /// The offset of the first NUL byte of a file read as UTF-8 (it is binary).
    fn nul_at(&self) -> Option<usize> {
        match self {
            Inner::Utf8(r) => r.get_ref().get_ref().inner.nul_at,
            Inner::Decoded(..) => None,
        }
    }
}

/// An open CSV source, read batch by batch.
pub(crate) struct CsvSource {
    path: PathBuf,
    encoding: Encoding,
    inner: Inner,
    header: Vec<String>,
    positions: Vec<usize>,
    record: csv::ByteRecord,
    line_column: Option<usize>,
    /// The line of the last record read when its last field holds a line break.
    broken_last: Option<u64>,
    /// Bytes the CSV reader reads in all (the file, or its decoded text), and where the last
    /// record read starts.
    total: u64,
    done: u64,
    /// Bytes of the last batch's fields (the next one is made as large).
    batch_bytes: usize,
}

impl CsvSource {
    /// Opens `path` as CSV in `encoding` and checks that every `(column, field)` of `columns`
    /// is in the header.
    pub(crate) fn open(
        path: &Path,
        encoding: Encoding,
        delimiter: u8,
        columns: &[(String, String)],
    ) -> Result<CsvSource> {
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut reader = Hashing {
            inner: file,
            hasher: Sha256::new(),
            bytes: 0,
            checked_binary: false,
            nul_at: None,
            last_visible: 0,
        };
        let builder = {
            let mut b = csv::ReaderBuilder::new();
            b.delimiter(delimiter).flexible(true).has_headers(true);
            b
        };
        let utf8 = encoding == Encoding::Utf8 || (encoding == Encoding::Auto && decoding::sniff_utf8(path)?);
        let mut encoding = if utf8 { Encoding::Utf8 } else { encoding };
        let mut inner = match encoding {
            Encoding::Utf8 => {
                Inner::Utf8(builder.from_reader(std::io::BufReader::with_capacity(1 << 20, lines::Lines::new(reader))))
            }
            other => {
                let mut raw = Vec::new();
                if let Err(e) = reader.read_to_end(&mut raw) {
                    return Err(binary_or_io(path, reader.nul_at, e, encoding));
                }
                let (text, used) = decoding::decode_file(path, &raw, other)?;
                encoding = used;
                let sha = hex::encode(reader.hasher.finalize());
                let text = lines::Lines::new(std::io::Cursor::new(text.into_bytes()));
                Inner::Decoded(builder.from_reader(text), sha, reader.bytes)
            }
        };
        let total = match &inner {
            Inner::Utf8(_) => std::fs::metadata(path).map_or(0, |m| m.len()),
            Inner::Decoded(r, ..) => r.get_ref().inner.get_ref().len() as u64,
        };
        let headers = match &mut inner {
            Inner::Utf8(r) => r.headers().cloned(),
            Inner::Decoded(r, ..) => r.headers().cloned(),
        };
        let headers = headers.map_err(|e| csv_error(path, &mut inner, e, encoding))?;
        let header: Vec<String> =
            headers.iter().map(|h| crate::text::clean(h.trim_start_matches('\u{feff}')).into_owned()).collect();
        if header.iter().all(|h| h.is_empty()) {
            return Err(Error::Empty { path: path.to_path_buf() });
        }
        let mut positions = Vec::with_capacity(columns.len());
        for (column, field) in columns {
            match header.iter().position(|h| h == column) {
                Some(p) if header[p + 1..].contains(column) => {
                    return Err(Error::Csv {
                        path: path.to_path_buf(),
                        line: 1,
                        message: format!("column '{column}' (field '{field}') appears twice in the header, as columns {} and {}: rename one", p + 1, p + 2 + header[p + 1..].iter().position(|h| h == column).unwrap_or(0)),
                    })
                }
                Some(p) => positions.push(p),
                None => {
                    return Err(Error::MissingColumn {
                        path: path.to_path_buf(),
                        column: column.clone(),
                        field: field.clone(),
                        header: header.join(", "),
                    })
                }
            }
        }
        Ok(CsvSource {
            path: path.to_path_buf(),
            encoding,
            inner,
            header,
            positions,
            record: csv::ByteRecord::new(),
            line_column: None,
            broken_last: None,
            total,
            done: 0,
            batch_bytes: 0,
        })
    }

    /// Bytes read so far and in all, for a progress bar.
    pub(crate) fn progress(&self) -> (u64, u64) {
        (self.done, self.total)
    }

    /// Positions in the header of the requested columns, in request order.
    pub(crate) fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// Number of header columns.
    pub(crate) fn header_len(&self) -> usize {
        self.header.len()
    }

    /// Takes each record's line number from its `_line` column (a conversion of an Excel
    /// sheet or JSON records, numbered with the original's rows, records or lines).
    pub(crate) fn numbered(&mut self) {
        self.line_column = self.header.iter().position(|h| h == NUMBER_COLUMN);
    }

    /// The next batch of at most `BATCH_ROWS` records; `None` at the end.
    pub(crate) fn next_batch(&mut self) -> Result<Option<RawBatch>> {
        // Room for a batch like the last one, so that filling it does not grow it from empty.
        let mut batch = RawBatch::with_capacity(BATCH_ROWS, self.batch_bytes + self.batch_bytes / 8, self.header.len());
        while batch.len() < BATCH_ROWS {
            let read = match &mut self.inner {
                Inner::Utf8(r) => r.read_byte_record(&mut self.record),
                Inner::Decoded(r, ..) => r.read_byte_record(&mut self.record),
            };
            match read {
                Ok(false) => {
                    self.check_closed()?;
                    break;
                }
                Ok(true) => {
                    let at = self.inner.line_at(self.record.position());
                    self.done = self.record.position().map_or(self.done, csv::Position::byte);
                    let last = self.record.get(self.record.len().saturating_sub(1)).unwrap_or_default();
                    self.broken_last = last.iter().any(|&b| b == b'\n' || b == b'\r').then_some(at);
                    let line = self
                        .line_column
                        .and_then(|i| std::str::from_utf8(self.record.get(i)?).ok()?.parse().ok())
                        .unwrap_or(at);
                    batch.push(line, &self.record).map_err(|(field, valid_up_to)| Error::Csv {
                        path: self.path.clone(),
                        line: at,
                        message: not_utf8(&self.path, field, valid_up_to),
                    })?;
                }
                Err(e) => return Err(csv_error(&self.path, &mut self.inner, e, self.encoding)),
            }
        }
        self.batch_bytes = batch.bytes();
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }

    /// At the end of the input: an error when the file ends inside a quoted field. The CSV
    /// reader takes the rest of the file as that field, so a last field with a line break that
    /// does not end the file with its closing quote was never closed.
    fn check_closed(&self) -> Result<()> {
        let Some(line) = self.broken_last else { return Ok(()) };
        let last_visible = match &self.inner {
            Inner::Utf8(r) => r.get_ref().get_ref().inner.last_visible,
            Inner::Decoded(r, ..) => {
                r.get_ref().inner.get_ref().iter().rev().find(|&&b| b != b'\n' && b != b'\r').copied().unwrap_or(0)
            }
        };
        match last_visible {
            b'"' => Ok(()),
            _ => Err(Error::Csv {
                path: self.path.clone(),
                line,
                message: "a quoted field of this record is never closed, so the rest of the file would be read as part of it: close the quote (\"\") or remove it".into(),
            }),
        }
    }

    /// Checksum and size, once every batch has been read.
    pub(crate) fn finish(self) -> ExtractInfo {
        let (sha256, bytes) = match self.inner {
            Inner::Utf8(r) => {
                let h = r.into_inner().into_inner().inner;
                (hex::encode(h.hasher.finalize()), h.bytes)
            }
            Inner::Decoded(_, sha, bytes) => (sha, bytes),
        };
        ExtractInfo { sha256, bytes }
    }
}

fn binary_or_io(path: &Path, nul_at: Option<usize>, e: std::io::Error, encoding: Encoding) -> Error {
    match nul_at {
        Some(offset) => Error::Binary { path: path.to_path_buf(), offset, expected: encoding.name() },
        None => Error::Io { path: path.to_path_buf(), source: e },
    }
}

/// Why a record's (0-based) `field` of the file at `path` is not text, and what to do.
fn not_utf8(path: &Path, field: usize, valid_up_to: usize) -> String {
    let advice = decoding::not_utf8_advice(path).unwrap_or_else(|| {
        "declare the file's encoding in [source] encoding (windows-1258, tcvn3, vni or auto)".into()
    });
    format!("field {} is not valid UTF-8 (bytes from {valid_up_to}): {advice}", field + 1)
}

/// The error `e` of reading `inner`, at its physical line.
fn csv_error(path: &Path, inner: &mut Inner, e: csv::Error, encoding: Encoding) -> Error {
    if let Some(offset) = inner.nul_at() {
        return Error::Binary { path: path.to_path_buf(), offset, expected: encoding.name() };
    }
    let at = e.position().cloned();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io { path: path.to_path_buf(), source },
        csv::ErrorKind::Utf8 { pos, err } => {
            let line = inner.line_at(pos.as_ref().or(at.as_ref()));
            Error::Csv { path: path.to_path_buf(), line, message: not_utf8(path, err.field(), err.valid_up_to()) }
        }
        other => {
            Error::Csv { path: path.to_path_buf(), line: inner.line_at(at.as_ref()), message: format!("{other:?}") }
        }
    }
}

#[cfg(test)]
mod tests;
