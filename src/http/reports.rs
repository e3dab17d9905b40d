//! `/api/v1/reports`: the monthly and quarterly reports, for callers holding a `reports` grant
//! on `*`. Each fetch is a request entry of the audit log like any other call.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::access;
use crate::report;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Query of a report.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportQuery {
    /// Only this agency's part.
    agency: Option<String>,
    /// `json` (default), `csv`, `xlsx` or `html`.
    format: Option<String>,
    /// `vi` (default) or `en`.
    lang: Option<String>,
}

/// `GET /api/v1/reports/{kind}/{period}`: `monthly/2026-10` or `quarterly/2026-Q3`.
pub(crate) async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, period)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    if access::find_grant(&caller.grants, access::ADMIN_DATASET, "reports").is_none() {
        return Err(ApiError::forbidden(
            "reports need a `reports` grant on `*` (lgsp grant add --dataset '*' --scope reports)",
        ));
    }
    let period = match report::period_of(&kind, &period) {
        Err(e @ report::Error::Kind(_)) => return Err(ApiError::not_found(e.to_string())),
        Err(e @ report::Error::Mismatch(_)) => return Err(ApiError::bad_request(e.to_string())),
        other => other,
    };
    let english = match q.lang.as_deref() {
        None | Some("vi") => false,
        Some("en") => true,
        Some(other) => return Err(ApiError::bad_request(format!("lang '{other}': use vi or en"))),
    };
    let period = period.map_err(|e| ApiError::bad_request(e.to_string()))?;
    let r = report::build(&state.store, &kind, period, q.agency.as_deref(), &indicatif::ProgressBar::hidden())
        .await
        .map_err(ApiError::internal)?;
    let (body, mime, _) = match report::render(&r, q.format.as_deref().unwrap_or("json"), english) {
        Ok(written) => written,
        Err(e @ report::Error::Format(_)) => return Err(ApiError::bad_request(e.to_string())),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let mut response = body.into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static(mime));
    Ok(response)
}
