//! Files sent as they are: stored files streamed from the object store in bounded memory, or
//! bytes encoded for one caller, with their validators (`ETag`, `Last-Modified`) and byte
//! ranges (see `range`).

use super::error::ApiError;
use super::range::{self, Validators, Wanted};
use super::AppState;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use object_store::ObjectStoreExt;
use std::ops::Range;

/// An HTTP date (RFC 9110 §5.6.7).
pub(crate) fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `416` for a range past the end of a file of `size` bytes.
fn unsatisfiable(size: u64) -> Response {
    let mut e = ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "bad_range",
        format!("the range starts past the end of the file ({size} bytes): ask for bytes below its size"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
        e.headers_mut().insert("content-range", v);
    }
    e
}

/// The headers of a Parquet body holding `sent` of a file of `size` bytes (`206` when it is a
/// part asked for).
fn with_file_headers(mut r: Response, file: &Validators<'_>, sent: Range<u64>, size: u64, part: bool) -> Response {
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/vnd.apache.parquet"));
    h.insert("accept-ranges", HeaderValue::from_static("bytes"));
    h.insert("content-length", HeaderValue::from(sent.end - sent.start));
    if let Some(v) = file.etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("etag", v);
    }
    if let Some(v) = file.last_modified.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("last-modified", v);
    }
    if part {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", sent.start, sent.end.saturating_sub(1))) {
            r.headers_mut().insert("content-range", v);
        }
    }
    r
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The stored Parquet file at `path`, whole or the byte range `headers` ask for.
pub(crate) async fn stream_file(state: &AppState, path: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let location = object_store::path::Path::from(path);
    let meta = state.objects.head(&location).await.map_err(|e| match e {
        object_store::Error::NotFound { .. } => ApiError::not_found("the version's file is missing"),
        other => ApiError::internal(other),
    })?;
    let etag = meta.e_tag.as_ref().map(|t| format!("\"{}\"", t.trim_matches('"')));
    let last_modified = http_date(meta.last_modified);
    let file = Validators { etag: etag.as_deref(), last_modified: Some(&last_modified) };
    let span = match range::resolve(header(headers, "range"), header(headers, "if-range"), &file, meta.size) {
        Wanted::Whole => None,
        Wanted::Part(r) => Some(r),
        Wanted::Unsatisfiable => return Ok(unsatisfiable(meta.size)),
    };
    let opts =
        object_store::GetOptions { range: span.clone().map(object_store::GetRange::Bounded), ..Default::default() };
    let got = state.objects.get_opts(&location, opts).await.map_err(ApiError::internal)?;
    let sent = got.range.clone();
    let r = Response::new(axum::body::Body::from_stream(got.into_stream()));
    Ok(with_file_headers(r, &file, sent, meta.size, span.is_some()))
}

/// Parquet bytes encoded for one caller (the same bytes for the same data and caller, so a
/// client may fetch them in ranges), whole or the range `headers` ask for.
pub(crate) fn send_bytes(bytes: Vec<u8>, headers: &HeaderMap) -> Response {
    let size = bytes.len() as u64;
    let etag = format!("\"{}\"", &crate::digest::sha256_hex(&bytes)[..32]);
    let file = Validators { etag: Some(&etag), last_modified: None };
    match range::resolve(header(headers, "range"), header(headers, "if-range"), &file, size) {
        Wanted::Whole => with_file_headers(Response::new(bytes.into()), &file, 0..size, size, false),
        Wanted::Part(r) => {
            let part = bytes[r.start as usize..r.end as usize].to_vec();
            with_file_headers(Response::new(part.into()), &file, r, size, true)
        }
        Wanted::Unsatisfiable => unsatisfiable(size),
    }
}
