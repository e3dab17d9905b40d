//! Fetch: pull a pipeline's source (files, object storage, Excel, JSON, HTTP, SQL) into local
//! CSV inputs for the extract stage, retrying transient failures with backoff, and remember
//! where the last successful run stopped (file, ETag, cursor).

pub(crate) mod convert;
pub(crate) mod files;
pub(crate) mod http;
pub mod spec;
pub(crate) mod sql;

use crate::store::Store;
use crate::text::legacy::Encoding;
pub(crate) use spec::{RetrySpec, SourceSpec};
use std::path::{Path, PathBuf};

/// Why a source cannot be pulled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A local file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// The source's content or a source option is not what the pipeline says.
    #[error("{name}: {message}")]
    Format { name: String, message: String },
    /// Nothing matches a path or glob.
    #[error("no file matches '{pattern}': check source.path, or drop the agency's file there")]
    NoFile { pattern: String },
    /// A needed environment variable is missing.
    #[error("environment variable {var} is not set: it must hold {what}")]
    Env { var: String, what: String },
    /// An HTTP request failed before an answer.
    #[error("GET {url}: {message}")]
    Http { url: String, message: String, transient: bool },
    /// An HTTP answer with an error status.
    #[error("GET {url}: HTTP {status}: {body}")]
    HttpStatus { url: String, status: u16, body: String },
    /// A database source failed.
    #[error("{name}: {message}")]
    Sql { name: String, message: String, transient: bool },
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] crate::objects::Error),
    /// The hub's store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), source }
    }

    /// Whether trying again later may succeed (server down, timeout, 5xx, 429).
    pub(crate) fn transient(&self) -> bool {
        match self {
            Error::Http { transient, .. } | Error::Sql { transient, .. } => *transient,
            Error::HttpStatus { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            Error::Objects(_) => true,
            _ => false,
        }
    }
}

impl From<object_store::Error> for Error {
    fn from(e: object_store::Error) -> Error {
        Error::Objects(e.into())
    }
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// One input of a run: a local CSV file and how to read it.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    /// The file the extract stage reads.
    pub(crate) path: PathBuf,
    /// What the steward knows it as (path, URL or query), for errors and run history.
    pub(crate) name: String,
    pub(crate) encoding: Encoding,
    pub(crate) delimiter: u8,
    /// The file has a `_line` column with each record's position in the original (sheet row,
    /// JSON record, NDJSON line, query row).
    pub(crate) numbered: bool,
    /// Source state to save once this input's run succeeded.
    pub(crate) state: Vec<(&'static str, String)>,
}

/// What a pull gave: inputs to run in order, or why there is nothing to run.
pub(crate) struct Fetched {
    pub(crate) inputs: Vec<Input>,
    /// Set when there is nothing new (HTTP 304, no new file).
    pub(crate) nothing_new: Option<String>,
    /// The staging folder of downloads and conversions (removed when dropped).
    _dir: tempfile::TempDir,
}

/// Header of the column that carries each record's position in its source (sheet row, record
/// number) in the CSV a conversion writes; the extract reports it as the row's line.
pub(crate) const NUMBER_COLUMN: &str = "_line";

/// What to pull: one pipeline's source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pull<'a> {
    /// The pipeline, as named in logs, metrics and the saved source state.
    pub(crate) pipeline: &'a str,
    /// Where and how to read.
    pub(crate) source: &'a SourceSpec,
    /// Retries of transient failures.
    pub(crate) retry: &'a RetrySpec,
    /// The source columns the pipeline reads (conversions keep only these).
    pub(crate) columns: &'a [String],
    /// Ignore the saved state once: HTTP validators, SQL cursor, and the last file read (a
    /// glob then gives its newest file).
    pub(crate) force: bool,
}

/// The state entry holding the digest of the source settings the state was saved with.
pub(crate) const SPEC_DIGEST: &str = "source_digest";

/// The saved state a pull may use: none when forced; without the HTTP validators and the SQL
/// cursor when the `[source]` settings changed since it was saved (the last file read stays:
/// reading every earlier delivery again would publish old data).
async fn usable_state(store: &Store, pull: &Pull<'_>) -> Result<std::collections::HashMap<String, String>> {
    if pull.force {
        tracing::info!("forced: the saved source state is not used");
        return Ok(Default::default());
    }
    let mut state = store.source_state(pull.pipeline).await?;
    let digest = pull.source.digest();
    if state.get(SPEC_DIGEST).is_some_and(|d| *d != digest) {
        tracing::info!("the [source] settings changed: their saved validators and cursor are not used");
        state.retain(|k, _| k == "file");
    }
    Ok(state)
}

fn csv_input(path: PathBuf, name: String, encoding: Encoding, delimiter: char) -> Input {
    Input { path, name, encoding, delimiter: delimiter as u8, numbered: false, state: Vec::new() }
}

fn numbered_input(path: PathBuf, name: String) -> Input {
    Input { path, name, encoding: Encoding::Utf8, delimiter: b',', numbered: true, state: Vec::new() }
}

/// Turns one local file of a file kind into an input.
fn file_input(
    source: &SourceSpec,
    local: PathBuf,
    name: String,
    needed: Vec<String>,
    dir: &Path,
    n: usize,
) -> Result<Input> {
    let out = dir.join(format!("input-{n}.csv"));
    Ok(match source {
        SourceSpec::Csv(c) => csv_input(local, name, c.encoding, c.delimiter),
        SourceSpec::Sql(_) => csv_input(local, name, Encoding::Utf8, ','),
        SourceSpec::Http(h) if h.format == spec::HttpFormat::Csv => csv_input(local, name, h.encoding, h.delimiter),
        SourceSpec::Excel(x) => {
            convert::excel_to_csv(&local, &name, x.sheet.as_deref(), x.header_row, &out)?;
            numbered_input(out, name)
        }
        SourceSpec::Ndjson(_) | SourceSpec::Http(spec::HttpSourceSpec { format: spec::HttpFormat::Ndjson, .. }) => {
            let file = std::fs::File::open(&local).map_err(|e| Error::io(&local, e))?;
            let mut w = convert::RecordWriter::create(&out, needed)?;
            convert::ndjson_into(std::io::BufReader::new(file), &name, &mut w, 0)?;
            w.finish(&name)?;
            numbered_input(out, name)
        }
        SourceSpec::Json(spec::JsonSourceSpec { records, .. })
        | SourceSpec::Http(spec::HttpSourceSpec { records, .. }) => {
            let bytes = std::fs::read(&local).map_err(|e| Error::io(&local, e))?;
            let mut w = convert::RecordWriter::create(&out, needed)?;
            convert::json_into(&bytes, records, &name, &mut w)?;
            w.finish(&name)?;
            numbered_input(out, name)
        }
    })
}

async fn fetch_once(
    store: &Store,
    pull: Pull<'_>,
    input: Option<&Path>,
    dir: &Path,
) -> Result<(Vec<Input>, Option<String>)> {
    let needed = pull.columns.to_vec();
    if let Some(path) = input {
        let name = path.display().to_string();
        return Ok((vec![file_input(pull.source, path.to_path_buf(), name, needed, dir, 0)?], None));
    }
    let state = usable_state(store, &pull).await?;
    match pull.source {
        SourceSpec::Http(h) => {
            match http::fetch(h, needed, (state.get("etag").cloned(), state.get("last_modified").cloned()), dir).await?
            {
                http::Got::NotModified => Ok((Vec::new(), Some(format!("{} answered 304 Not Modified", h.url)))),
                http::Got::Data { path, etag, last_modified } => {
                    let mut input = match h.format {
                        spec::HttpFormat::Csv => csv_input(path, h.url.clone(), h.encoding, h.delimiter),
                        _ => numbered_input(path, h.url.clone()),
                    };
                    input.state = [("etag", etag), ("last_modified", last_modified)]
                        .into_iter()
                        .filter_map(|(k, v)| Some((k, v?)))
                        .collect();
                    Ok((vec![input], None))
                }
            }
        }
        SourceSpec::Sql(s) => {
            let got = sql::fetch(s, state.get("cursor").map(String::as_str), dir).await?;
            tracing::info!(rows = got.rows, "query of ${} read", s.url_env);
            let mut input = csv_input(got.path, format!("query of ${}", s.url_env), Encoding::Utf8, ',');
            input.state = got.cursor.map(|c| vec![("cursor", c)]).unwrap_or_default();
            Ok((vec![input], None))
        }
        file_kind => {
            let (path, pick) = match file_kind {
                SourceSpec::Csv(c) => (&c.path, c.pick),
                SourceSpec::Excel(x) => (&x.path, x.pick),
                SourceSpec::Json(j) | SourceSpec::Ndjson(j) => (&j.path, j.pick),
                _ => unreachable!("http and sql are handled above"),
            };
            // Forced, a glob of every new file gives its newest only: not every delivery again.
            let pick = if pull.force { spec::Pick::Newest } else { pick };
            let found = files::find(path, pick, state.get("file").map(String::as_str)).await?;
            if found.is_empty() {
                return Ok((
                    Vec::new(),
                    Some(format!("no file in '{}' is newer than the last one read", path.display())),
                ));
            }
            let mut inputs = Vec::new();
            for (n, f) in found.iter().enumerate() {
                let local = f.local(dir).await?;
                let mut input = file_input(file_kind, local, f.name.clone(), needed.clone(), dir, n)?;
                input.state = vec![("file", f.marker())];
                inputs.push(input);
            }
            Ok((inputs, None))
        }
    }
}

/// Pulls a pipeline's source (or reads `input` in its format), retrying transient failures
/// per `pull.retry`.
pub(crate) async fn fetch(store: &Store, pull: Pull<'_>, input: Option<&Path>) -> Result<Fetched> {
    let dir = crate::scratch::dir("source").map_err(|e| Error::io(&crate::scratch::root(), e))?;
    let mut wait = std::time::Duration::from_millis(pull.retry.backoff_ms);
    let mut attempt = 1;
    loop {
        match fetch_once(store, pull, input, dir.path()).await {
            Ok((inputs, nothing_new)) => return Ok(Fetched { inputs, nothing_new, _dir: dir }),
            Err(e) if e.transient() && attempt < pull.retry.attempts => {
                tracing::warn!(pipeline = %pull.pipeline, attempt, error = %e, "source failed; retrying in {} ms", wait.as_millis());
                metrics::counter!("lgsp_source_retries_total", "pipeline" => pull.pipeline.to_string()).increment(1);
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
