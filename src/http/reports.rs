//! `/api/v1/reports`: the monthly and quarterly reports, for callers holding a `reports` grant
//! on `*`. Each fetch is a request entry of the audit log like any other call.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::access;
use crate::report::{self, Period};
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
    let quarter = period.contains(['Q', 'q']);
    match (kind.as_str(), quarter) {
        ("monthly", false) | ("quarterly", true) => {}
        ("monthly", true) => {
            return Err(ApiError::bad_request(format!("'{period}': a monthly report takes a month, yyyy-mm")))
        }
        ("quarterly", false) => {
            return Err(ApiError::bad_request(format!("'{period}': a quarterly report takes a quarter, yyyy-Qn")))
        }
        _ => return Err(ApiError::not_found(format!("no report '{kind}': the reports are 'monthly' and 'quarterly'"))),
    }
    let english = match q.lang.as_deref() {
        None | Some("vi") => false,
        Some("en") => true,
        Some(other) => return Err(ApiError::bad_request(format!("lang '{other}': use vi or en"))),
    };
    let period = Period::parse(&period).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let r = report::build(&state.store, &kind, period, q.agency.as_deref(), &indicatif::ProgressBar::hidden())
        .await
        .map_err(ApiError::internal)?;
    let (body, mime): (Vec<u8>, &str) = match q.format.as_deref().unwrap_or("json") {
        "json" => (serde_json::to_vec_pretty(&r).map_err(ApiError::internal)?, "application/json"),
        "csv" => (report::to_csv(&r, english).into_bytes(), "text/csv; charset=utf-8"),
        "html" => (report::to_html(&r, english).into_bytes(), "text/html; charset=utf-8"),
        "xlsx" => (
            report::to_xlsx(&r, english).map_err(ApiError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        other => return Err(ApiError::bad_request(format!("format '{other}': use json, csv, xlsx or html"))),
    };
    let mut response = body.into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static(mime));
    Ok(response)
}
