//! The caller of an API request, from its `Authorization: Bearer` token (401 when missing,
//! unknown, expired or revoked); what it may do comes from its grants.

use super::error::ApiError;
use super::AppState;
use crate::store::GrantRow;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// An authenticated client with its active grants.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) client_id: String,
    pub(crate) agency: String,
    pub(crate) grants: Vec<GrantRow>,
}

/// Who called, for the audit log (a request extension set once the caller is known).
#[derive(Clone, Debug, Default)]
pub(crate) struct AuditInfo {
    pub(crate) client_id: String,
    pub(crate) agency: String,
    pub(crate) dataset: String,
    pub(crate) version: Option<i64>,
    pub(crate) rows: i64,
    /// The grant data was served under (its fields, basis and purpose).
    pub(crate) grant: String,
    /// The address (ip:port) the request came from.
    pub(crate) peer: String,
    /// A download whose delivery is tracked to its end (snapshots and change sets).
    pub(crate) offer: Option<super::delivery::Offer>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header = parts.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        // The scheme is case-insensitive (RFC 9110 §11.1).
        let token = header.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")).map(|(_, t)| t);
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(ApiError::unauthorized("send Authorization: Bearer <token>; get a token at POST /token"));
        };
        let hash = crate::access::token_hash(token);
        // One small read: a grant or revocation made by any process is seen at once.
        let generation = state.store.access_generation().await?;
        let (caller, expires) = match state.callers.get(&hash, generation) {
            Some(hit) => hit,
            None => {
                let Some((client_id, agency, expires)) = state.store.token_client(&hash).await? else {
                    return Err(ApiError::unauthorized("unknown or revoked token"));
                };
                let grants = state.store.active_grants(&client_id, &crate::catalog::today()).await?;
                let caller = Caller { client_id, agency, grants };
                state.callers.put(hash, caller.clone(), expires.clone(), generation);
                (caller, expires)
            }
        };
        if expires < crate::store::now() {
            return Err(ApiError::unauthorized("the token has expired: get a new one at POST /token"));
        }
        if let Err(wait) = state.quota.take(&caller.client_id) {
            let mut e = ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "quota_exceeded",
                format!("the quota of {} calls a minute is used up: retry in {wait} s", state.quota.per_minute()),
            );
            e.retry_after = Some(wait);
            return Err(e);
        }
        if let Some(info) = parts.extensions.get::<std::sync::Arc<std::sync::Mutex<AuditInfo>>>() {
            if let Ok(mut i) = info.lock() {
                i.client_id = caller.client_id.clone();
                i.agency = caller.agency.clone();
            }
        }
        Ok(caller)
    }
}

/// Callers by token hash, kept for [`CALLER_TTL`] and while the store's access generation is
/// the one they were read at: a request then costs one small read for authentication, and a
/// change to grants or clients made by any process (the CLI, another instance) is seen at once.
#[derive(Default)]
pub(crate) struct CallerCache {
    map: std::sync::RwLock<std::collections::HashMap<String, (std::time::Instant, Caller, String, i64)>>,
}

/// How long a token's client and grants are reused.
pub(crate) const CALLER_TTL: std::time::Duration = std::time::Duration::from_secs(2);

const CALLER_CACHE_MAX: usize = 10_000;

impl CallerCache {
    fn get(&self, hash: &str, generation: i64) -> Option<(Caller, String)> {
        let map = self.map.read().ok()?;
        let (at, caller, expires, read_at) = map.get(hash)?;
        (at.elapsed() < CALLER_TTL && *read_at == generation).then(|| (caller.clone(), expires.clone()))
    }

    fn put(&self, hash: String, caller: Caller, expires: String, generation: i64) {
        if let Ok(mut map) = self.map.write() {
            if map.len() >= CALLER_CACHE_MAX {
                map.retain(|_, (at, ..)| at.elapsed() < CALLER_TTL);
                if map.len() >= CALLER_CACHE_MAX {
                    map.clear();
                }
            }
            map.insert(hash, (std::time::Instant::now(), caller, expires, generation));
        }
    }

    /// Forgets every caller (after an admin change).
    pub(crate) fn clear(&self) {
        if let Ok(mut map) = self.map.write() {
            map.clear();
        }
    }
}
