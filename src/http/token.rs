//! `POST /token`: OAuth2 client credentials (RFC 6749 §4.4) with HTTP Basic or form client
//! authentication; errors as RFC 6749 §5.2. Failed attempts are throttled per claimed client id
//! and per caller address; answers are never cached.

use super::auth::AuditInfo;
use super::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form, Json};
use base64::Engine;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Lifetime of a bearer token, seconds.
pub(crate) const TOKEN_TTL: i64 = 3600;

/// Failed attempts allowed per claimed client id in a minute.
pub(crate) const FAILURES_PER_CLIENT: usize = 5;

/// Failed attempts allowed per caller address in a minute.
pub(crate) const FAILURES_PER_ADDRESS: usize = 20;

/// RFC 6749 §5.1: token answers are not stored by caches.
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    r.headers_mut().insert("pragma", HeaderValue::from_static("no-cache"));
    r
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (status, Json(serde_json::json!({ "error": error, "error_description": description }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert("www-authenticate", HeaderValue::from_static("Basic realm=\"lgsp\""));
    }
    no_store(r)
}

/// Credentials of an `Authorization: Basic` header (scheme case-insensitive); `Err` when the
/// header is there but unreadable.
fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(v) = headers.get("authorization") else { return Ok(None) };
    let v = v.to_str().map_err(|_| ())?;
    let (scheme, value) = v.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    Ok(Some((id.to_string(), secret.to_string())))
}

/// A refusal of the token endpoint: status, RFC 6749 error code, description.
type Refusal = (StatusCode, &'static str, &'static str);

/// The credentials of the request: exactly one set, from Basic or from the form.
fn credentials(headers: &HeaderMap, form: &HashMap<String, String>) -> Result<(String, String), Refusal> {
    let in_form = (form.get("client_id"), form.get("client_secret"));
    let header = basic(headers).map_err(|()| {
        (StatusCode::UNAUTHORIZED, "invalid_client", "the Authorization header is not Basic client_id:client_secret")
    })?;
    match (header, in_form) {
        (Some(_), (Some(_), _) | (_, Some(_))) => Err((
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the client credentials once: in the Authorization header or in the form, not both",
        )),
        (Some(c), _) => Ok(c),
        (None, (Some(id), Some(secret))) => Ok((id.clone(), secret.clone())),
        (None, _) => {
            Err((StatusCode::UNAUTHORIZED, "invalid_client", "authenticate with HTTP Basic client_id:client_secret"))
        }
    }
}

fn throttled(wait: u64) -> Response {
    let mut r = oauth_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        &format!("too many failed attempts: retry in {wait} s"),
    );
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        r.headers_mut().insert("retry-after", v);
    }
    r
}

/// Issues a bearer token to a client that authenticates with its id and secret.
pub(crate) async fn post_token(
    State(state): State<AppState>,
    audit: Option<Extension<Arc<Mutex<AuditInfo>>>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send a form body (application/x-www-form-urlencoded) with grant_type=client_credentials",
        );
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is missing: send grant_type=client_credentials",
            )
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only grant_type=client_credentials is supported",
            )
        }
    }
    let (id, secret) = match credentials(&headers, &form) {
        Ok(c) => c,
        Err((status, error, description)) => return oauth_error(status, error, description),
    };
    let info = audit.map(|Extension(i)| i);
    let peer = info.as_ref().and_then(|i| i.lock().ok().map(|i| i.peer.clone())).unwrap_or_default();
    if let Some(i) = &info {
        if let Ok(mut i) = i.lock() {
            // Whatever the caller claimed, as printable text (a store may refuse NUL).
            i.client_id = id.chars().filter(|c| !c.is_control()).take(200).collect();
        }
    }
    let ip = peer.parse::<std::net::SocketAddr>().map(|a| a.ip().to_string()).unwrap_or(peer);
    let (by_client, by_address) = (format!("client:{id}"), format!("address:{ip}"));
    if let Err(wait) = state.client_failures.check(&by_client).and(state.address_failures.check(&by_address)) {
        return throttled(wait);
    }
    match crate::access::authenticate(&state.store, &id, &secret).await {
        Ok(Some(client)) => {
            state.client_failures.clear(&by_client);
            if let Some(Ok(mut i)) = info.as_ref().map(|i| i.lock()) {
                i.agency = client.agency.clone();
            }
            match crate::access::issue_token(&state.store, &client.id, TOKEN_TTL).await {
                Ok(token) => no_store(
                    Json(serde_json::json!({ "access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL }))
                        .into_response(),
                ),
                Err(e) => no_store(super::error::ApiError::from(e).into_response()),
            }
        }
        Ok(None) => {
            state.client_failures.fail(&by_client);
            state.address_failures.fail(&by_address);
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client, wrong secret or revoked client")
        }
        Err(e) => no_store(super::error::ApiError::from(e).into_response()),
    }
}
