//! One JSON envelope for every error: `{status, code, message, request_id}`. Internal errors are
//! logged and never shown; bad input is always a 4xx.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    /// Machine code (`invalid_client`, `forbidden`, `not_found`, ...).
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// Seconds to wait before retrying (429).
    pub(crate) retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    request_id: &'a str,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }
    pub(crate) fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// An internal failure: logged with its cause, answered without it.
    pub(crate) fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the hub could not answer; the operators have the details",
        )
    }
}

macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> ApiError {
                ApiError::internal(e)
            }
        }
    )*};
}

internal_from!(crate::objects::Error, polars::error::PolarsError, crate::audit::Error, crate::parquet_io::Error);

impl From<crate::store::Error> for ApiError {
    /// Text the database cannot hold came from the request, so it is the client's 400;
    /// anything else is internal.
    fn from(e: crate::store::Error) -> ApiError {
        match refused_text(&e) {
            true => ApiError::bad_request("the request holds a character that is not allowed (NUL, U+0000): remove it"),
            false => ApiError::internal(e),
        }
    }
}

impl From<crate::access::Error> for ApiError {
    fn from(e: crate::access::Error) -> ApiError {
        match e {
            crate::access::Error::Store(e) => e.into(),
            e => ApiError::internal(e),
        }
    }
}

/// Whether the database refused text of the request (PostgreSQL refuses NUL: 22021, 22P05).
fn refused_text(e: &crate::store::Error) -> bool {
    match e {
        crate::store::Error::Sql(sqlx::Error::Database(d)) => matches!(d.code().as_deref(), Some("22021" | "22P05")),
        _ => false,
    }
}

impl From<crate::versions::Error> for ApiError {
    /// Files removed by retention are 410 Gone; anything else is internal.
    fn from(e: crate::versions::Error) -> ApiError {
        match e {
            crate::versions::Error::Pruned { .. } => ApiError::new(StatusCode::GONE, "gone", e.to_string()),
            e => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&Envelope {
            status: self.status.as_u16(),
            code: self.code,
            message: &self.message,
            request_id: "",
        })
        .unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
