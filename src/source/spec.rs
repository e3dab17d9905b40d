//! `[source]` of a pipeline file: where the data is pulled from. Internally tagged by `kind`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a pipeline reads its data.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum SourceSpec {
    /// Delimited text with a header line.
    Csv(CsvSourceSpec),
    /// An Excel workbook (`.xlsx`, `.xls`).
    Excel(ExcelSourceSpec),
    /// A JSON document holding an array of records.
    Json(JsonSourceSpec),
    /// Newline-delimited JSON: one record per line.
    Ndjson(JsonSourceSpec),
    /// An HTTP(S) endpoint answering CSV, JSON or NDJSON.
    Http(HttpSourceSpec),
    /// A query on an agency's PostgreSQL or MySQL/MariaDB database.
    Sql(SqlSourceSpec),
}

/// Which files of a glob or folder a run reads.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Pick {
    /// The most recently modified file (default).
    #[default]
    Newest,
    /// Every file modified since the last successful run, oldest first, one version each.
    AllNew,
}

/// A delimited text file with a header row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsvSourceSpec {
    /// A file path, a glob (`drop/*.csv`), or an object-store location (`file:///…`,
    /// `s3://bucket/prefix/*.csv`). Relative paths are from the working directory; `lgsp run
    /// --input` overrides it.
    pub(crate) path: PathBuf,
    /// With a glob: which files to read.
    #[serde(default)]
    pub(crate) pick: Pick,
    /// Field delimiter, one ASCII character (default `,`).
    #[serde(default = "default_delimiter")]
    pub(crate) delimiter: char,
    /// Character encoding of the file: `utf-8` (default), `windows-1258`, `tcvn3` or `vni`.
    #[serde(default)]
    pub(crate) encoding: crate::text::legacy::Encoding,
    /// Source column name → field name, for columns whose name differs from the field's.
    /// Fields not listed here are read from the column of the same name.
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, String>,
}

/// A sheet of an Excel workbook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExcelSourceSpec {
    /// Path, glob or object-store location of the workbook, as for `csv`.
    pub(crate) path: PathBuf,
    /// With a glob: which files to read.
    #[serde(default)]
    pub(crate) pick: Pick,
    /// Sheet name (default: the first sheet).
    #[serde(default)]
    pub(crate) sheet: Option<String>,
    /// Row number (1-based) of the header row (default 1); data rows follow it.
    #[serde(default = "one")]
    pub(crate) header_row: u32,
    /// Source column name → field name, as for `csv`.
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, String>,
}

/// A JSON or NDJSON file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonSourceSpec {
    /// Path, glob or object-store location, as for `csv`.
    pub(crate) path: PathBuf,
    /// With a glob: which files to read.
    #[serde(default)]
    pub(crate) pick: Pick,
    /// `json` only: dot path to the array of records (`data.items`); empty when the document is
    /// the array itself.
    #[serde(default)]
    pub(crate) records: String,
    /// Source key → field name, as for `csv`. Nested values are read as JSON text.
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, String>,
}

/// Format of an HTTP answer.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HttpFormat {
    /// CSV with a header line (UTF-8 unless `encoding` says otherwise).
    #[default]
    Csv,
    /// A JSON document (records at `records`).
    Json,
    /// One JSON record per line.
    Ndjson,
}

/// An HTTP(S) GET.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpSourceSpec {
    /// The URL.
    pub(crate) url: String,
    /// Format of the answer.
    #[serde(default)]
    pub(crate) format: HttpFormat,
    /// `json`: dot path to the records array in each page.
    #[serde(default)]
    pub(crate) records: String,
    /// `csv`: character encoding, as for `csv`.
    #[serde(default)]
    pub(crate) encoding: crate::text::legacy::Encoding,
    /// `csv`: field delimiter.
    #[serde(default = "default_delimiter")]
    pub(crate) delimiter: char,
    /// Name of an environment variable holding the `Authorization` header value (e.g.
    /// `Bearer …`); the secret never appears in the pipeline file.
    #[serde(default)]
    pub(crate) auth_env: Option<String>,
    /// Other request headers.
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    /// Seconds before a request is abandoned (default 60).
    #[serde(default = "default_timeout")]
    pub(crate) timeout_seconds: u64,
    /// `json` / `ndjson`: how to get further pages (default: one request).
    #[serde(default)]
    pub(crate) pagination: Option<PaginationSpec>,
    /// Source key or column → field name, as for `csv`.
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, String>,
}

/// Pagination of an HTTP source; pages are fetched until one holds no record.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum PaginationSpec {
    /// A page-number query parameter (`?page=1`, `2`, …).
    Page {
        /// Query parameter of the page number (default `page`).
        #[serde(default = "default_page_param")]
        param: String,
        /// First page number (default 1).
        #[serde(default = "one")]
        start: u32,
    },
    /// An offset query parameter advanced by the records received (`?offset=0`, `100`, …).
    Offset {
        /// Query parameter of the offset (default `offset`).
        #[serde(default = "default_offset_param")]
        param: String,
    },
    /// A link to the next page: at a dot path of the JSON answer, or the `Link: <…>; rel="next"`
    /// header when `path` is empty.
    Next {
        /// Dot path of the next page's URL in the answer (e.g. `links.next`).
        #[serde(default)]
        path: String,
    },
}

/// A query on an agency database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SqlSourceSpec {
    /// Name of the environment variable holding the database URL (`postgres://…` or
    /// `mysql://…`); credentials never appear in the pipeline file.
    pub(crate) url_env: String,
    /// A `SELECT` whose columns are the source columns.
    pub(crate) query: String,
    /// Incremental pulls: a column of the query that grows with every change (an update time or
    /// a sequence). Each run reads only rows above the last value seen; such runs never infer
    /// deletes. Without it every run reads the whole query.
    #[serde(default)]
    pub(crate) cursor: Option<String>,
    /// Source column → field name, as for `csv`.
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, String>,
}

fn default_delimiter() -> char {
    ','
}

impl CsvSourceSpec {
    /// The UTF-8, comma-separated file at `path`, with every default of a pipeline file.
    pub(crate) fn file(path: PathBuf) -> CsvSourceSpec {
        CsvSourceSpec {
            path,
            pick: Pick::default(),
            delimiter: default_delimiter(),
            encoding: Default::default(),
            columns: BTreeMap::new(),
        }
    }
}

fn default_timeout() -> u64 {
    60
}

fn default_page_param() -> String {
    "page".into()
}

fn default_offset_param() -> String {
    "offset".into()
}

fn one() -> u32 {
    1
}

/// The format of a file given to one run (`lgsp run --input FILE [--format F]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Delimited text.
    Csv,
    /// An Excel workbook.
    Excel,
    /// A JSON document.
    Json,
    /// Newline-delimited JSON.
    Ndjson,
}

impl FileFormat {
    /// Reads `csv`, `excel` (`xlsx`, `xls`), `json` or `ndjson` (`jsonl`).
    pub fn parse(name: &str) -> Option<FileFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" | "txt" | "tsv" => Some(FileFormat::Csv),
            "excel" | "xlsx" | "xls" | "xlsm" => Some(FileFormat::Excel),
            "json" => Some(FileFormat::Json),
            "ndjson" | "jsonl" => Some(FileFormat::Ndjson),
            _ => None,
        }
    }
}

impl SourceSpec {
    /// The source to read `path` with in one run: this one when `path` is in its format, else
    /// a source of the `format` given (or the one of the file's extension) with the same column
    /// names and default settings.
    pub(crate) fn for_file(&self, path: &Path, format: Option<FileFormat>) -> SourceSpec {
        let ext = path.extension().and_then(|e| e.to_str()).and_then(FileFormat::parse);
        let Some(want) = format.or(ext) else { return self.clone() };
        let (columns, path) = (self.columns().clone(), path.to_path_buf());
        match (want, self) {
            (FileFormat::Csv, SourceSpec::Csv(_))
            | (FileFormat::Excel, SourceSpec::Excel(_))
            | (FileFormat::Json, SourceSpec::Json(_))
            | (FileFormat::Ndjson, SourceSpec::Ndjson(_)) => self.clone(),
            (FileFormat::Csv, _) => SourceSpec::Csv(CsvSourceSpec {
                path,
                pick: Pick::default(),
                delimiter: default_delimiter(),
                encoding: Default::default(),
                columns,
            }),
            (FileFormat::Excel, _) => {
                SourceSpec::Excel(ExcelSourceSpec { path, pick: Pick::default(), sheet: None, header_row: 1, columns })
            }
            (FileFormat::Json, _) => {
                SourceSpec::Json(JsonSourceSpec { path, pick: Pick::default(), records: String::new(), columns })
            }
            (FileFormat::Ndjson, _) => {
                SourceSpec::Ndjson(JsonSourceSpec { path, pick: Pick::default(), records: String::new(), columns })
            }
        }
    }

    /// A digest of the source's settings: saved with its state, so that an edit to the
    /// `[source]` table makes the next run read it afresh.
    pub(crate) fn digest(&self) -> String {
        crate::digest::sha256_hex(format!("{self:?}").as_bytes())
    }

    /// True for a query on a database (its rows are written as UTF-8 by the hub).
    pub(crate) fn is_sql(&self) -> bool {
        matches!(self, SourceSpec::Sql(_))
    }

    /// Source column → field name renames.
    pub(crate) fn columns(&self) -> &BTreeMap<String, String> {
        match self {
            SourceSpec::Csv(s) => &s.columns,
            SourceSpec::Excel(s) => &s.columns,
            SourceSpec::Json(s) | SourceSpec::Ndjson(s) => &s.columns,
            SourceSpec::Http(s) => &s.columns,
            SourceSpec::Sql(s) => &s.columns,
        }
    }

    /// The file path or glob of file kinds.
    pub(crate) fn path(&self) -> Option<&PathBuf> {
        match self {
            SourceSpec::Csv(s) => Some(&s.path),
            SourceSpec::Excel(s) => Some(&s.path),
            SourceSpec::Json(s) | SourceSpec::Ndjson(s) => Some(&s.path),
            SourceSpec::Http(_) | SourceSpec::Sql(_) => None,
        }
    }

    /// Whether every run reads only new rows (deletes are then never inferred).
    pub(crate) fn incremental(&self) -> bool {
        matches!(self, SourceSpec::Sql(SqlSourceSpec { cursor: Some(_), .. }))
    }
}

/// Retries of a failing source (unreachable server, 5xx, timeout, database down).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetrySpec {
    /// Attempts in all, the first included (default 3).
    #[serde(default = "default_attempts")]
    pub(crate) attempts: u32,
    /// Wait before the second attempt in milliseconds (default 1000); it doubles each time.
    #[serde(default = "default_backoff")]
    pub(crate) backoff_ms: u64,
}

fn default_attempts() -> u32 {
    3
}

fn default_backoff() -> u64 {
    1000
}

impl Default for RetrySpec {
    fn default() -> Self {
        RetrySpec { attempts: default_attempts(), backoff_ms: default_backoff() }
    }
}
