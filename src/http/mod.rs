//! The consumer API (`lgsp serve`): OAuth2 client-credentials tokens, per-agency grants, and
//! every request written to the audit log with a receipt header.

mod admin;
mod auth;
mod catalogs;
mod console;
mod contract;
mod data;
mod datasets;
mod delivery;
pub(crate) mod error;
mod files;
mod limit;
mod openapi;
mod quota;
mod range;
mod reports;
pub(crate) mod route_spec;
pub(crate) mod routes;
mod server;
mod sharing;
mod sharing_files;
mod throttle;
mod token;

use crate::objects::Objects;
use crate::store::{AuditRow, Store};
use auth::AuditInfo;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) objects: Objects,
    /// Per-client request quotas.
    pub(crate) quota: Arc<quota::Quota>,
    /// Renders the Prometheus metrics of this process.
    pub(crate) metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Writes the audit entries of requests in batches.
    pub(crate) audit: crate::audit::AuditWriter,
    /// Recently authenticated callers.
    pub(crate) callers: Arc<auth::CallerCache>,
    /// Failed `/token` attempts per claimed client id, and per caller address.
    pub(crate) client_failures: Arc<throttle::Failures>,
    pub(crate) address_failures: Arc<throttle::Failures>,
    /// Days a new grant on personal fields lasts when given no last day.
    pub personal_grant_days: u32,
    /// The hub's address as consumers reach it, for Delta Sharing file links (none: the
    /// address each request was sent to).
    pub public_url: Option<String>,
    /// Seconds a Delta Sharing file link works.
    pub sharing_link_seconds: i64,
    /// The pipelines, for the console's freshness of each dataset.
    pub specs: Arc<Vec<crate::pipeline::PipelineSpec>>,
    /// The pipeline files that did not load, with their error (the console shows them).
    pub pipeline_errors: Arc<Vec<String>>,
    /// Console sign-in through the province's single sign-on, when set up.
    pub sso: Option<Arc<crate::console::sso::Sso>>,
}

impl AppState {
    /// State for a store, an object store and a per-client quota (requests per minute).
    pub fn new(store: Store, objects: Objects, requests_per_minute: u32) -> AppState {
        let audit = crate::audit::AuditWriter::spawn(store.clone());
        AppState {
            store,
            objects,
            quota: Arc::new(quota::Quota::new(requests_per_minute)),
            metrics: None,
            audit,
            callers: Arc::default(),
            client_failures: Arc::new(throttle::Failures::new(token::FAILURES_PER_CLIENT)),
            address_failures: Arc::new(throttle::Failures::new(token::FAILURES_PER_ADDRESS)),
            personal_grant_days: 365,
            public_url: None,
            sharing_link_seconds: 900,
            specs: Arc::default(),
            pipeline_errors: Arc::default(),
            sso: None,
        }
    }
}

impl AppState {
    /// Writes a signed checkpoint of the audit log's head to the object store every `every`,
    /// when the head moved since the last one.
    pub fn spawn_audit_checkpoints(&self, every: Duration) {
        let (store, objects) = (self.store.clone(), self.objects.clone());
        tokio::spawn(async move {
            let mut last = -1;
            loop {
                tokio::time::sleep(every).await;
                let head = match store.last_audit().await {
                    Ok(h) => h.map_or(0, |r| r.seq),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the audit head for a checkpoint");
                        continue;
                    }
                };
                if head == last {
                    continue;
                }
                match crate::audit::write_checkpoint(&store, &objects).await {
                    Ok(cp) => last = cp.seq,
                    Err(e) => tracing::warn!(error = %e, "could not write an audit checkpoint"),
                }
            }
        });
    }
}

/// `GET /metrics`: Prometheus text format (requests by route and status, latencies, rows and
/// bytes served, pipeline runs). It carries no data, only counts.
pub(crate) async fn get_metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert("content-type", HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

/// The API's routes.
pub(crate) fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (route, handler) in routes::routes() {
        router = router.route(route.path, handler);
    }
    router = router.merge(sharing::routes()).merge(console::routes());
    router
        .fallback(|| async { error::ApiError::not_found("no such route") })
        .layer(axum::middleware::from_fn(limit::limit_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(60),
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), audited))
        .with_state(state)
}

pub(crate) async fn healthz(State(state): State<AppState>) -> Result<&'static str, error::ApiError> {
    state.store.ping().await?;
    crate::objects::ping(&state.objects).await?;
    Ok("ok")
}

fn request_id() -> String {
    let mut b = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}

/// Writes every request to the audit log, puts the request id in error envelopes and a
/// receipt (`request id:hash of the log entry`) on data responses.
async fn audited(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = request_id();
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let info = Arc::new(Mutex::new(AuditInfo { peer, ..AuditInfo::default() }));
    req.extensions_mut().insert(info.clone());
    let action = format!("{} {}", req.method(), req.uri().path());
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    // The dataset a request is about, from its path; a handler that serves data sets it too.
    let named = match route.starts_with("/api/v1/datasets/{name}") {
        true => req.uri().path().split('/').nth(4).map(|s| s.chars().take(200).collect::<String>()).unwrap_or_default(),
        false => String::new(),
    };
    let mut resp = next.run(req).await;
    let status = resp.status();
    if status.is_client_error() || status.is_server_error() {
        resp = with_request_id(resp, &id).await;
    }
    let declared = resp.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let bytes = http_body::Body::size_hint(resp.body()).exact().or(declared).unwrap_or(0) as i64;
    let info = info.lock().map(|i| i.clone()).unwrap_or_default();
    let labels = [("route", route), ("status", status.as_u16().to_string())];
    metrics::counter!("lgsp_http_requests_total", &labels).increment(1);
    metrics::histogram!("lgsp_http_request_seconds", &labels[..1]).record(start.elapsed().as_secs_f64());
    metrics::counter!("lgsp_http_rows_served_total").increment(info.rows.max(0) as u64);
    metrics::counter!("lgsp_http_bytes_served_total").increment(bytes.max(0) as u64);
    // A tracked download logs what it offers now and what it sent when its body ends.
    let offer = info.offer.clone().filter(|_| status.is_success());
    let (rows_out, bytes_out, detail) = match &offer {
        Some(o) => (
            0,
            0,
            serde_json::json!({ "offered_rows": o.rows, "offered_bytes": bytes, "partial": o.partial, "grant": info.grant, "from": o.from })
                .to_string(),
        ),
        None if !info.grant.is_empty() => (info.rows, bytes, serde_json::json!({ "grant": info.grant }).to_string()),
        None => (info.rows, bytes, String::new()),
    };
    let row = AuditRow {
        kind: "request".into(),
        actor: if info.client_id.is_empty() { "-".into() } else { info.client_id },
        agency: info.agency,
        action,
        dataset: if info.dataset.is_empty() { named } else { info.dataset },
        version: info.version,
        rows_out,
        bytes_out,
        status: status.as_u16() as i64,
        duration_ms: start.elapsed().as_millis() as i64,
        request_id: id.clone(),
        detail,
        peer: info.peer,
        ..Default::default()
    };
    // Its delivery entry copies the request's (tracked downloads only: no clone per lookup).
    let request = offer.as_ref().map(|_| row.clone());
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    // No entry, no answer: the response (and any data in it) is dropped unless its entry is
    // committed; the client is told to retry.
    match state.audit.append(row).await {
        Ok(entry) if status.is_success() => {
            if let Ok(v) = HeaderValue::from_str(&format!("{id}:{}", entry.hash)) {
                resp.headers_mut().insert("x-receipt", v);
            }
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, request_id = %id, "could not append to the audit log: answering 503");
            metrics::counter!("lgsp_audit_failures_total").increment(1);
            return audit_unavailable(&id).await;
        }
    }
    if let (Some(offer), Some(request)) = (offer, request) {
        let (parts, body) = resp.into_parts();
        resp = Response::from_parts(parts, delivery::track(&state, offer, request, body, declared));
    }
    resp
}

/// The answer when a request's audit entry cannot be written: 503, `Retry-After`, no data.
async fn audit_unavailable(id: &str) -> Response {
    let mut e = error::ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "audit_unavailable",
        "the audit log cannot be written, so nothing is served until it can: retry later",
    );
    e.retry_after = Some(AUDIT_RETRY_AFTER_SECS);
    let mut resp = with_request_id(axum::response::IntoResponse::into_response(e), id).await;
    if let Ok(v) = HeaderValue::from_str(id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// Seconds a client is asked to wait when the audit log cannot be written.
const AUDIT_RETRY_AFTER_SECS: u64 = 5;

async fn with_request_id(resp: Response, id: &str) -> Response {
    // The console's pages are pages, refusals too.
    if resp.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html")) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let status = parts.status;
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let mut v = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) if v.get("request_id").is_some() || v.get("error").is_some() => v,
        _ => {
            let code = match status.as_u16() {
                400 => "bad_request",
                404 => "not_found",
                405 => "method_not_allowed",
                408 | 503 => "timeout",
                413 => "payload_too_large",
                415 => "unsupported_media_type",
                422 => "unprocessable",
                _ => "error",
            };
            let message: String = String::from_utf8_lossy(&bytes).chars().take(500).collect();
            serde_json::json!({ "status": status.as_u16(), "code": code, "message": message, "request_id": "" })
        }
    };
    if v.get("request_id").is_some() {
        v["request_id"] = id.into();
    }
    parts.headers.remove("content-length");
    parts.headers.insert("content-type", HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(serde_json::to_vec(&v).unwrap_or_default()))
}

pub use server::{serve, shutdown_signal};
