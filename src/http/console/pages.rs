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
    /// Whether single sign-on is set up (a link to it).
    pub(super) sso: bool,
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
    /// The quarantined share of the last runs' rows, as an SVG line (oldest to newest).
    trend: String,
    /// The last run's quarantined share.
    rate: String,
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
    /// The newest pulls: agency, client, dataset, version, when.
    pulls: Vec<(String, String, String, i64, String)>,
}

/// Runs read for each dataset's quarantine trend.
const TREND_RUNS: usize = 12;

/// The quarantined share of each finished run's rows, per dataset, oldest first.
fn rates(runs: &[crate::store::RunRow]) -> std::collections::HashMap<String, Vec<f64>> {
    let mut out: std::collections::HashMap<String, Vec<f64>> = Default::default();
    for r in runs {
        if let (Some(read), Some(q)) = (r.rows_read.filter(|n| *n > 0), r.rows_quarantined) {
            let line = out.entry(r.dataset.clone()).or_default();
            if line.len() < TREND_RUNS {
                line.push(q as f64 / read as f64);
            }
        }
    }
    out.values_mut().for_each(|v| v.reverse());
    out
}

/// A small SVG line of `values` (shares, 0..=1), scaled to the largest.
fn sparkline(values: &[f64]) -> String {
    if values.is_empty() {
        return String::new();
    }
    let (w, h) = (120.0, 24.0);
    let top = values.iter().cloned().fold(0.0_f64, f64::max).max(0.001);
    let step = if values.len() > 1 { w / (values.len() - 1) as f64 } else { 0.0 };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", i as f64 * step, h - 2.0 - v / top * (h - 4.0)))
        .collect();
    format!(
        r#"<svg class="trend" width="120" height="24" viewBox="0 0 120 24" role="img" aria-label="{:.1}% max"><polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{}"/></svg>"#,
        top * 100.0,
        points.join(" ")
    )
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
    let runs = match state.store.list_runs(None, None, 500).await {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    let rates = rates(&runs);
    let datasets = statuses
        .into_iter()
        .map(|s| StatusLine {
            trend: rates.get(&s.dataset).map(|v| sparkline(v)).unwrap_or_default(),
            rate: rates
                .get(&s.dataset)
                .and_then(|v| v.last())
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_default(),
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
    let runs = runs
        .into_iter()
        .take(10)
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
    let pulls = match state.store.latest_pulls(10).await {
        Ok(p) => p,
        Err(e) => return server_error(&e),
    };
    let person_datasets = person.datasets;
    let data = Overview { w: person.w, person: Some(person), person_datasets, datasets, runs, audit_head, pulls };
    page(StatusCode::OK, &data)
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
