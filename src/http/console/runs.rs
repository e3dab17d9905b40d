//! The steward's runs: the history filtered by pipeline and status, and a run's counts, input
//! (path, checksum, encoding), gates, decision, error and stage timings.

use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::console::Area;
use crate::outcome::RunStatus;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// A run's line: id, started, pipeline, status, read, quarantined, inserted, updated, deleted,
/// version.
type Line = (String, String, String, String, String, String, String, String, String, String);

#[derive(Template)]
#[template(path = "console/runs.html")]
struct Runs {
    w: &'static Words,
    person: Option<Person>,
    csrf: String,
    pipelines: Vec<String>,
    statuses: Vec<String>,
    pipeline: String,
    status: String,
    runs: Vec<Line>,
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

const STATUSES: [&str; 8] =
    ["running", "published", "unchanged", "failed", "interrupted", "held", "approved", "rejected"];

/// `GET /runs?pipeline=&status=`: the newest 200 runs that match.
pub(super) async fn runs(
    State(state): State<AppState>,
    person: Person,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.refusal(Area::Runs) {
        return r;
    }
    let pipeline = q.get("pipeline").cloned().unwrap_or_default();
    let status = q.get("status").cloned().unwrap_or_default();
    let wanted = STATUSES.iter().find(|s| **s == status).and_then(|s| RunStatus::parse(s));
    let found = state.store.list_runs(Some(&pipeline).filter(|p| !p.is_empty()).map(String::as_str), wanted, 200).await;
    let rows = match found {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    let runs = rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                r.started_at,
                r.pipeline,
                r.status,
                opt(r.rows_read),
                opt(r.rows_quarantined),
                opt(r.inserted),
                opt(r.updated),
                opt(r.deleted),
                opt(r.version),
            )
        })
        .collect();
    let pipelines = state.specs.iter().map(|s| s.id.as_str().to_string()).collect();
    let statuses = STATUSES.iter().map(|s| s.to_string()).collect();
    let csrf = person.csrf.clone();
    page(StatusCode::OK, &Runs { w: person.w, person: Some(person), csrf, pipelines, statuses, pipeline, status, runs })
}

#[derive(Template)]
#[template(path = "console/run.html")]
struct RunPage {
    w: &'static Words,
    person: Option<Person>,
    id: String,
    csrf: String,
    /// Held by a quality gate: the steward approves or rejects it here.
    held: bool,
    facts: Vec<(&'static str, String)>,
    timings: Vec<(String, String)>,
}

/// `GET /runs/{id}`.
pub(super) async fn run(State(state): State<AppState>, person: Person, Path(id): Path<String>) -> Response {
    if let Some(r) = person.refusal(Area::Runs) {
        return r;
    }
    let (row, timings) = match (state.store.get_run(&id).await, state.store.run_timings(&id).await) {
        (Ok(Some(r)), Ok(t)) => (r, t),
        (Ok(None), _) => return (StatusCode::NOT_FOUND, "no such run").into_response(),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let held = row.status == RunStatus::Held.as_str();
    let facts = vec![
        ("pipeline", row.pipeline),
        ("dataset", row.dataset),
        ("trigger", row.trigger_kind),
        ("started", row.started_at),
        ("finished", opt(row.finished_at)),
        ("status", row.status),
        ("input", row.input_path),
        ("input sha256", opt(row.input_sha256)),
        ("encoding", opt(row.encoding)),
        ("read", opt(row.rows_read)),
        ("valid", opt(row.rows_valid)),
        ("quarantined", opt(row.rows_quarantined)),
        ("duplicates collapsed", opt(row.duplicates_collapsed)),
        ("inserted", opt(row.inserted)),
        ("updated", opt(row.updated)),
        ("deleted", opt(row.deleted)),
        ("version", opt(row.version)),
        ("gates", opt(row.gates)),
        ("decided by", opt(row.decided_by)),
        ("error", opt(row.error)),
    ];
    let timings: serde_json::Map<String, serde_json::Value> =
        timings.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let timings = timings.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    let csrf = person.csrf.clone();
    page(StatusCode::OK, &RunPage { w: person.w, person: Some(person), id, csrf, held, facts, timings })
}
