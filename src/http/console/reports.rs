//! The analyst's reports in the console: the monthly operation report and the quarterly
//! per-agency sharing report rendered in the page, with downloads in every format (CSV, Excel,
//! HTML, JSON). Built from the run history and the audit log like `lgsp report`.

use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::console::Area;
use crate::report;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "console/reports.html")]
struct Reports {
    w: &'static Words,
    person: Option<Person>,
    kind: String,
    period: String,
    agency: String,
    problem: String,
    /// The report's own HTML (its body), already escaped by the report's writer.
    body: String,
    /// The query of the downloads (`kind=…&period=…&agency=…`).
    link: String,
}

/// The last finished month (`yyyy-mm`) and quarter (`yyyy-Qn`) before today.
fn last_periods() -> (String, String) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let (y, m) = if today.month() == 1 { (today.year() - 1, 12) } else { (today.year(), today.month() - 1) };
    let q = (today.month() - 1) / 3;
    let (qy, q) = if q == 0 { (today.year() - 1, 4) } else { (today.year(), q) };
    (format!("{y}-{m:02}"), format!("{qy}-Q{q}"))
}

/// The report asked for, or why it cannot be made.
async fn build(state: &AppState, kind: &str, period: &str, agency: &str) -> Result<report::Report, String> {
    let period = report::period_of(kind, period).map_err(|e| e.to_string())?;
    let agency = Some(agency).filter(|a| !a.is_empty());
    report::build(&state.store, kind, period, agency, &indicatif::ProgressBar::hidden())
        .await
        .map_err(|e| e.to_string())
}

/// What the form asked: kind, period, agency.
fn asked(q: &HashMap<String, String>) -> (String, String, String) {
    let kind = q.get("kind").cloned().unwrap_or_else(|| "monthly".into());
    let (month, quarter) = last_periods();
    let fallback = if kind == "quarterly" { quarter } else { month };
    let period = q.get("period").map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).unwrap_or(fallback);
    let agency = q.get("agency").map(|a| a.trim().to_string()).unwrap_or_default();
    (kind, period, agency)
}

/// `GET /reports?kind=monthly|quarterly&period=&agency=`.
pub(super) async fn reports(
    State(state): State<AppState>,
    person: Person,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.refusal(Area::Reports) {
        return r;
    }
    let (kind, period, agency) = asked(&q);
    let english = person.w.lang == "en";
    let (body, problem) = match build(&state, &kind, &period, &agency).await {
        Ok(r) => (body_of(&report::to_html(&r, english)), String::new()),
        Err(e) => (String::new(), e),
    };
    let link = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("kind", &kind), ("period", &period), ("agency", &agency)])
        .finish();
    let data = Reports { w: person.w, person: Some(person), kind, period, agency, problem, body, link };
    page(StatusCode::OK, &data)
}

/// The inside of the report document's `<body>` (its styles stay out: the console has its own).
fn body_of(html: &str) -> String {
    let start = html.find("<body>").map_or(0, |i| i + "<body>".len());
    let end = html.rfind("</body>").unwrap_or(html.len());
    html.get(start..end).unwrap_or_default().to_string()
}

/// `GET /reports/download?kind=&period=&agency=&format=csv|xlsx|html|json`.
pub(super) async fn download(
    State(state): State<AppState>,
    person: Person,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.refusal(Area::Reports) {
        return r;
    }
    let (kind, period, agency) = asked(&q);
    let english = person.w.lang == "en";
    let r = match build(&state, &kind, &period, &agency).await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let format = q.get("format").map(String::as_str).unwrap_or("csv");
    let (body, mime, ext) = match report::render(&r, format, english) {
        Ok(written) => written,
        Err(e @ report::Error::Format(_)) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        Err(e) => return server_error(&e),
    };
    let name = format!("lgsp-{kind}-{}.{ext}", period.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"));
    super::download(body, mime, &name)
}
