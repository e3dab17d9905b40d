//! `POST /token`: OAuth2 client credentials (RFC 6749 §4.4) with HTTP Basic client
//! authentication; errors as RFC 6749 §5.2.

use super::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use std::collections::HashMap;

/// Lifetime of a bearer token, seconds.
pub const TOKEN_TTL: i64 = 3600;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (status, Json(serde_json::json!({ "error": error, "error_description": description }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Basic realm=\"lgsp\""));
    }
    r
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get("authorization")?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Issues a bearer token to a client that authenticates with its id and secret.
pub async fn post_token(
    State(state): State<AppState>,
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
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        );
    }
    let creds = basic(&headers).or_else(|| Some((form.get("client_id")?.clone(), form.get("client_secret")?.clone())));
    let Some((id, secret)) = creds else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authenticate with HTTP Basic client_id:client_secret",
        );
    };
    match crate::access::authenticate(&state.store, &id, &secret).await {
        Ok(Some(client)) => match crate::access::issue_token(&state.store, &client.id, TOKEN_TTL).await {
            Ok(token) => {
                Json(serde_json::json!({ "access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL }))
                    .into_response()
            }
            Err(e) => super::error::ApiError::from(e).into_response(),
        },
        Ok(None) => {
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client, wrong secret or revoked client")
        }
        Err(e) => super::error::ApiError::from(e).into_response(),
    }
}
