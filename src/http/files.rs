//! Stored files sent as they are: streamed from the object store in bounded memory, with their
//! validators (`ETag`, `Last-Modified`) and byte ranges (see `range`).

use super::error::ApiError;
use super::range::{self, Validators, Wanted};
use super::AppState;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use object_store::ObjectStoreExt;

/// An HTTP date (RFC 9110 §5.6.7).
pub(crate) fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
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
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let file = Validators { etag: etag.as_deref(), last_modified: Some(&last_modified) };
    let wanted = range::resolve(header("range"), header("if-range"), &file, meta.size);
    let span = match wanted {
        Wanted::Whole => None,
        Wanted::Part(r) => Some(r),
        Wanted::Unsatisfiable => {
            let mut e = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "bad_range",
                format!(
                    "the range starts past the end of the file ({} bytes): ask for bytes below its size",
                    meta.size
                ),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", meta.size)) {
                e.headers_mut().insert("content-range", v);
            }
            return Ok(e);
        }
    };
    let opts =
        object_store::GetOptions { range: span.clone().map(object_store::GetRange::Bounded), ..Default::default() };
    let got = state.objects.get_opts(&location, opts).await.map_err(ApiError::internal)?;
    let sent = got.range.clone();
    let mut r = Response::new(axum::body::Body::from_stream(got.into_stream()));
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/vnd.apache.parquet"));
    h.insert("accept-ranges", HeaderValue::from_static("bytes"));
    h.insert("content-length", HeaderValue::from(sent.end - sent.start));
    if let Some(v) = etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("etag", v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert("last-modified", v);
    }
    if span.is_some() {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) =
            HeaderValue::from_str(&format!("bytes {}-{}/{}", sent.start, sent.end.saturating_sub(1), meta.size))
        {
            r.headers_mut().insert("content-range", v);
        }
    }
    Ok(r)
}
