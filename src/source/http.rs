//! HTTP(S) sources: a GET answering CSV, JSON or NDJSON, with conditional requests (ETag,
//! Last-Modified) so an unchanged source costs one request, and pagination.

use super::convert::{self, RecordWriter};
use super::spec::{HttpFormat, HttpSourceSpec, PaginationSpec};
use super::{Error, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::path::{Path, PathBuf};

/// Pages fetched at most, whatever the pagination says.
const MAX_PAGES: u32 = 100_000;

/// What a GET gave.
pub(crate) enum Got {
    /// 304: the source did not change since the last successful run.
    NotModified,
    /// The data, as a CSV file.
    Data {
        path: PathBuf,
        /// Validators to send next time.
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

fn headers(spec: &HttpSourceSpec) -> Result<HeaderMap> {
    let mut h = HeaderMap::new();
    if let Some(var) = &spec.auth_env {
        let value = std::env::var(var).map_err(|_| Error::Env {
            var: var.clone(),
            what: "the Authorization header value of the HTTP source".into(),
        })?;
        let v = HeaderValue::from_str(&value)
            .map_err(|_| Error::Env { var: var.clone(), what: "a valid header value (no line breaks)".into() })?;
        h.insert(reqwest::header::AUTHORIZATION, v);
    }
    for (k, v) in &spec.headers {
        let bad =
            |what: &str| Error::Format { name: spec.url.clone(), message: format!("header '{k}': not a valid {what}") };
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).map_err(|_| bad("name"))?,
            HeaderValue::from_str(v).map_err(|_| bad("value"))?,
        );
    }
    Ok(h)
}

async fn get(client: &reqwest::Client, url: &str, extra: HeaderMap) -> Result<reqwest::Response> {
    let resp = client.get(url).headers(extra).send().await.map_err(|e| Error::Http {
        url: url.into(),
        message: describe(&e),
        transient: e.is_timeout() || e.is_connect() || e.is_request(),
    })?;
    let status = resp.status();
    if status.is_success() || status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(resp);
    }
    // The body only adds detail to the status, the error itself: one that cannot be read is left out.
    let body: String = resp.text().await.unwrap_or_default().chars().take(300).collect();
    Err(Error::HttpStatus { url: url.into(), status: status.as_u16(), body })
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s = format!("{s}: {inner}");
        src = inner.source();
    }
    s
}

fn with_param(url: &str, param: &str, value: u64) -> Result<String> {
    let mut u =
        url::Url::parse(url).map_err(|e| Error::Format { name: url.into(), message: format!("not a URL: {e}") })?;
    let kept: Vec<(String, String)> =
        u.query_pairs().filter(|(k, _)| k != param).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    u.query_pairs_mut().clear().extend_pairs(kept).append_pair(param, &value.to_string());
    Ok(u.to_string())
}

fn link_next(h: &HeaderMap) -> Option<String> {
    // Read as text even with bytes beyond visible ASCII (in a title, say): ignoring the header
    // would end the pagination early, without an error.
    let link = String::from_utf8_lossy(h.get(reqwest::header::LINK)?.as_bytes());
    link.split(',').find(|part| part.contains("rel=\"next\"") || part.contains("rel=next")).and_then(|part| {
        let start = part.find('<')? + 1;
        let end = start + part[start..].find('>')?;
        Some(part[start..end].to_string())
    })
}

/// GETs the source (every page) into `dir`. `validators` are the ETag and Last-Modified of the
/// last successful run; `columns` the source columns the pipeline reads (JSON formats).
pub(crate) async fn fetch(
    spec: &HttpSourceSpec,
    columns: Vec<String>,
    validators: (Option<String>, Option<String>),
    dir: &Path,
) -> Result<Got> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(spec.timeout_seconds.max(1)))
        .default_headers(headers(spec)?)
        .build()
        .map_err(|e| Error::Http { url: spec.url.clone(), message: describe(&e), transient: false })?;
    let mut conditional = HeaderMap::new();
    if let Some(v) = validators.0.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        conditional.insert(reqwest::header::IF_NONE_MATCH, v);
    }
    if let Some(v) = validators.1.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        conditional.insert(reqwest::header::IF_MODIFIED_SINCE, v);
    }
    let first_url = match &spec.pagination {
        Some(PaginationSpec::Page { param, start }) => with_param(&spec.url, param, u64::from(*start))?,
        Some(PaginationSpec::Offset { param }) => with_param(&spec.url, param, 0)?,
        _ => spec.url.clone(),
    };
    let first = get(&client, &first_url, conditional).await?;
    if first.status() == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Got::NotModified);
    }
    let header = |name| first.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (etag, last_modified) = (header(reqwest::header::ETAG), header(reqwest::header::LAST_MODIFIED));
    let path = dir.join("http-source.csv");
    if spec.format == HttpFormat::Csv {
        let bytes = first.bytes().await.map_err(|e| Error::Http {
            url: first_url.clone(),
            message: describe(&e),
            transient: true,
        })?;
        tokio::fs::write(&path, &bytes).await.map_err(|e| Error::io(&path, e))?;
        return Ok(Got::Data { path, etag, last_modified });
    }
    let mut w = RecordWriter::create(&path, columns)?;
    let (mut resp, mut url, mut page) = (first, first_url, 0u32);
    loop {
        let link = link_next(resp.headers());
        let bytes =
            resp.bytes().await.map_err(|e| Error::Http { url: url.clone(), message: describe(&e), transient: true })?;
        let before = w.count;
        let doc = match spec.format {
            HttpFormat::Ndjson => {
                convert::ndjson_into(&bytes[..], &url, &mut w, before)?;
                None
            }
            _ => {
                let doc: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Format { name: url.clone(), message: format!("not JSON: {e}") })?;
                for (i, r) in convert::records_of(&doc, &spec.records, &url)?.iter().enumerate() {
                    w.record(r, &url, &format!("record {}", i + 1), before + i as u64 + 1)?;
                }
                Some(doc)
            }
        };
        let received = w.count - before;
        page += 1;
        let next = match &spec.pagination {
            _ if page >= MAX_PAGES => None,
            None => None,
            Some(_) if received == 0 => None,
            Some(PaginationSpec::Page { param, start }) => {
                Some(with_param(&spec.url, param, u64::from(*start) + u64::from(page))?)
            }
            Some(PaginationSpec::Offset { param }) => Some(with_param(&spec.url, param, w.count)?),
            Some(PaginationSpec::Next { path }) if path.is_empty() => link,
            Some(PaginationSpec::Next { path }) => doc
                .as_ref()
                .and_then(|d| convert::at_path(d, path))
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(|s| {
                    url::Url::parse(&url)
                        .and_then(|base| base.join(s))
                        .map(|u| u.to_string())
                        .unwrap_or_else(|_| s.to_string())
                }),
        };
        let Some(next) = next else { break };
        url = next;
        resp = get(&client, &url, HeaderMap::new()).await?;
    }
    w.finish(&spec.url)?;
    Ok(Got::Data { path, etag, last_modified })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(link: &str) -> Option<String> {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::LINK, link.parse().unwrap());
        link_next(&h)
    }

    #[test]
    fn the_next_page_is_read_off_the_link_header() {
        assert_eq!(
            next(r#"<https://a.vn/p1>; rel="prev", <https://a.vn/p3>; rel="next""#).as_deref(),
            Some("https://a.vn/p3")
        );
        assert_eq!(next("<https://a.vn/p2>; rel=next").as_deref(), Some("https://a.vn/p2"));
        // A '>' before the '<' is not the end of the address.
        assert_eq!(next(r#"x>; <https://a.vn/p2>; rel="next""#).as_deref(), Some("https://a.vn/p2"));
        assert_eq!(next(r#"<https://a.vn/p1>; rel="prev""#), None);
    }

    #[test]
    fn a_link_header_with_bytes_beyond_ascii_still_gives_the_next_page() {
        let mut h = HeaderMap::new();
        let value = "<https://a.vn/p2>; rel=\"next\"; title=\"Trang kế\"";
        h.insert(reqwest::header::LINK, HeaderValue::from_bytes(value.as_bytes()).unwrap());
        assert_eq!(link_next(&h).as_deref(), Some("https://a.vn/p2"));
    }
}
