//! The console's common pages: sign-in, refusal, the overview (everyone), the list of datasets.

use super::words::Words;
use super::{page, server_error, Person};
use crate::console::Area;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::super::AppState;

#[derive(Template)]
#[template(path = "console/login.html")]
pub(super) struct Login {
    pub(super) w: &'static Words,
    pub(super) person: Option<Person>,
    pub(super) csrf: String,
    pub(super) failed: bool,
}

#[derive(Template)]
#[template(path = "console/denied.html")]
pub(super) struct Denied {
    pub(super) w: &'static Words,
    pub(super) person: Option<Person>,
}

/// A dataset's line on the overview.
struct StatusLine {
    dataset: String,
    owner: String,
    version: String,
    records: String,
    freshness: String,
    last_run: String,
    next_fire: String,
}

/// A run's line on the overview.
struct RunLine {
    started_at: String,
    dataset: String,
    status: String,
    read: String,
    quarantined: String,
    version: String,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct Overview {
    w: &'static Words,
    person: Option<Person>,
    person_datasets: bool,
    datasets: Vec<StatusLine>,
    runs: Vec<RunLine>,
    audit_head: String,
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// `GET /`: every dataset's freshness against its schedule, the last runs, the audit log's head.
pub(super) async fn overview(State(state): State<AppState>, person: Person) -> Response {
    let statuses = match crate::status::of(&state.store, &state.specs, chrono::Utc::now()).await {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let datasets = statuses
        .into_iter()
        .map(|s| StatusLine {
            freshness: serde_json::to_value(s.freshness)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            last_run: s.last_run.map(|r| format!("{} · {}", r.status, r.started_at)).unwrap_or_default(),
            next_fire: opt(s.next_fire),
            version: opt(s.version),
            records: opt(s.records),
            dataset: s.dataset,
            owner: s.owner,
        })
        .collect();
    let runs = match state.store.list_runs(None, None, 10).await {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    let runs = runs
        .into_iter()
        .map(|r| RunLine {
            read: opt(r.rows_read),
            quarantined: opt(r.rows_quarantined),
            version: opt(r.version),
            started_at: r.started_at,
            dataset: r.dataset,
            status: r.status,
        })
        .collect();
    let audit_head = match state.store.last_audit().await {
        Ok(Some(a)) => format!("#{} · {}", a.seq, a.at),
        Ok(None) => person.w.none.into(),
        Err(e) => return server_error(&e),
    };
    let person_datasets = person.datasets;
    page(StatusCode::OK, &Overview { w: person.w, person: Some(person), person_datasets, datasets, runs, audit_head })
}

#[derive(Template)]
#[template(path = "console/datasets.html")]
struct Datasets {
    w: &'static Words,
    person: Option<Person>,
    datasets: Vec<(String, String)>,
}

/// `GET /datasets`.
pub(super) async fn datasets(State(state): State<AppState>, person: Person) -> Response {
    if let Some(r) = person.refusal(Area::Datasets) {
        return r;
    }
    match state.store.list_datasets().await {
        Ok(d) => {
            let datasets = d.into_iter().map(|d| (d.name, d.title)).collect();
            page(StatusCode::OK, &Datasets { w: person.w, person: Some(person), datasets })
        }
        Err(e) => server_error(&e),
    }
}
