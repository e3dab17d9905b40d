//! Acknowledged delivery of snapshots and change sets: what a download actually sent is known
//! only when its body ends. The body is wrapped so that, when the server has handed its last
//! byte to the connection, the client's position moves (its last pull) and a `delivery` entry
//! records the bytes and rows sent; a body dropped before its end (the client went away, or a
//! `HEAD`) records the bytes sent and moves nothing. A `Range` answer never moves the position.

use super::AppState;
use crate::store::AuditRow;
use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a download offers, set by its handler for the audit middleware.
#[derive(Clone, Debug, Default)]
pub(crate) struct Offer {
    /// The client whose position moves when the whole body is sent.
    pub(crate) client_id: String,
    /// The dataset, and the version the client holds once it has the whole body.
    pub(crate) dataset: String,
    pub(crate) version: i64,
    /// Rows in the whole body.
    pub(crate) rows: i64,
    /// A part of the file (`206`): never moves the position, counts no rows.
    pub(crate) partial: bool,
    /// For change sets: the version the changes start after.
    pub(crate) from: Option<i64>,
}

/// How the download ended, for its `delivery` entry.
struct Ended {
    sent: u64,
    complete: bool,
}

/// A body that reports, once, how many bytes it gave and whether it reached its end.
pub(crate) struct Tracked {
    inner: Body,
    sent: u64,
    /// The body's length when known in advance (the server stops polling once it is sent).
    length: Option<u64>,
    on_end: Option<Box<dyn FnOnce(Ended) + Send>>,
}

impl Tracked {
    fn end(&mut self, complete: bool) {
        if let Some(f) = self.on_end.take() {
            f(Ended { sent: self.sent, complete });
        }
    }

    /// Every byte was given: the inner body says it ended, or its known length was reached.
    fn all_given(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner) || self.length.is_some_and(|n| self.sent >= n)
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.sent += data.len() as u64;
                }
                if self.all_given() {
                    self.end(true);
                }
            }
            Poll::Ready(None) => self.end(true),
            Poll::Ready(Some(Err(_))) => self.end(false),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let complete = self.all_given();
        self.end(complete);
    }
}

/// Wraps `body` so that its end moves the client's position (whole bodies only) and appends
/// the `delivery` entry of request `request` (whose entry is already in the log).
/// `length` is the body's declared length (`Content-Length`), when it has one.
pub(crate) fn track(state: &AppState, offer: Offer, request: AuditRow, body: Body, length: Option<u64>) -> Body {
    let state = state.clone();
    let on_end = move |ended: Ended| {
        let whole = ended.complete && !offer.partial;
        let delivery = AuditRow {
            kind: "delivery".into(),
            rows_out: if whole { offer.rows } else { 0 },
            bytes_out: i64::try_from(ended.sent).unwrap_or(i64::MAX),
            detail: serde_json::json!({ "complete": ended.complete, "partial": offer.partial }).to_string(),
            seq: 0,
            at: String::new(),
            duration_ms: 0,
            prev_hash: String::new(),
            hash: String::new(),
            ..request
        };
        tokio::spawn(async move {
            if whole {
                if let Err(e) = state.store.record_pull(&offer.client_id, &offer.dataset, offer.version).await {
                    // The position stays where it was: the client gets these changes again.
                    tracing::warn!(error = %e, client = %offer.client_id, "could not move the client's position");
                }
            }
            if let Err(e) = state.audit.append(delivery).await {
                tracing::error!(error = %e, "could not record a delivery in the audit log");
            }
        });
    };
    let length = http_body::Body::size_hint(&body).exact().or(length);
    Body::new(Tracked { inner: body, sent: 0, length, on_end: Some(Box::new(on_end)) })
}
