//! The caller of an API request, from its `Authorization: Bearer` token (401 when missing,
//! unknown, expired or revoked); what it may do comes from its grants.

use super::error::ApiError;
use super::AppState;
use crate::store::GrantRow;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// An authenticated client with its active grants.
#[derive(Clone, Debug)]
pub struct Caller {
    pub client_id: String,
    pub agency: String,
    pub grants: Vec<GrantRow>,
}

/// Who called, for the audit log (a request extension set once the caller is known).
#[derive(Clone, Debug, Default)]
pub struct AuditInfo {
    pub client_id: String,
    pub agency: String,
    pub dataset: String,
    pub version: Option<i64>,
    pub rows: i64,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header = parts.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        let Some(token) = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(ApiError::unauthorized("send Authorization: Bearer <token>; get a token at POST /token"));
        };
        let Some((client_id, agency, expires)) = state.store.token_client(&crate::access::token_hash(token)).await? else {
            return Err(ApiError::unauthorized("unknown or revoked token"));
        };
        if expires < crate::store::now() {
            return Err(ApiError::unauthorized("the token has expired: get a new one at POST /token"));
        }
        let client = crate::store::ClientRow { id: client_id.clone(), agency, secret_hash: String::new(), created_at: String::new(), revoked_at: None };
        if let Err(wait) = state.quota.take(&client.id) {
            let mut e = ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "quota_exceeded", format!("the quota of {} calls a minute is used up: retry in {wait} s", state.quota.per_minute()));
            e.retry_after = Some(wait);
            return Err(e);
        }
        let grants = state.store.active_grants(&client_id, &crate::catalog::today()).await?;
        if let Some(info) = parts.extensions.get::<std::sync::Arc<std::sync::Mutex<AuditInfo>>>() {
            if let Ok(mut i) = info.lock() {
                i.client_id = client.id.clone();
                i.agency = client.agency.clone();
            }
        }
        Ok(Caller { client_id: client.id, agency: client.agency, grants })
    }
}
