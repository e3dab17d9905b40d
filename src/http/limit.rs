//! Request bodies: at most [`LIMIT`] bytes reach a handler. A larger body is still read, up to
//! [`DRAIN`] bytes, and discarded before the 413 answer goes out: a server that answers and closes
//! while the client is still sending resets the connection, and the client never sees the answer.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::error::ApiError;

/// The largest request body a handler receives (every API body is a small form or JSON object).
pub(crate) const LIMIT: usize = 64 * 1024;
/// How much of a too-large body is read and discarded so that the client receives the 413.
const DRAIN: usize = 1 << 20;

/// Buffers the request body up to [`LIMIT`]; answers 413 `payload_too_large` beyond it.
pub(crate) async fn limit_body(req: Request, next: Next) -> Response {
    if http_body::Body::is_end_stream(req.body()) {
        return next.run(req).await;
    }
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return ApiError::bad_request("the request body could not be read to its end").into_response();
        };
        seen += chunk.len();
        if seen <= LIMIT {
            kept.extend_from_slice(&chunk);
        } else if seen > DRAIN {
            break;
        }
    }
    if seen > LIMIT {
        return too_large();
    }
    next.run(Request::from_parts(parts, Body::from(kept))).await
}

fn too_large() -> Response {
    let message = format!("the request body is larger than {} KiB; send a smaller one", LIMIT / 1024);
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message).into_response()
}
