//! The console's pages: the overview (everyone), datasets with their versions and quarantine
//! browser (stewards, analysts), access (operators), the audit log (auditors).

use super::words::Words;
use super::{page, server_error, Person};
use crate::console::Area;
use crate::quarantine::{text, Filter};
use crate::store::VersionRow;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

use super::super::auth::AuditInfo;
use super::super::AppState;
use axum::Extension;
use std::sync::{Arc, Mutex};

/// Quarantined rows on one page of the browser.
const PAGE_ROWS: usize = 50;

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

/// A quarantined row's reason, as the browser shows it.
struct QuarantineLine {
    line: String,
    rule: String,
    field: String,
    value: String,
    message: String,
}

#[derive(Template)]
#[template(path = "console/dataset.html")]
struct DatasetPage {
    w: &'static Words,
    person: Option<Person>,
    name: String,
    title: String,
    versions: Vec<VersionRow>,
    version: i64,
    reasons: Vec<(String, usize)>,
    reason: String,
    field: String,
    csv_link: String,
    shown: usize,
    total: usize,
    rows: Vec<QuarantineLine>,
    previous: Option<String>,
    next: Option<String>,
}

/// What the quarantine browser shows: `?version=&reason=&field=&page=`.
struct Wanted {
    version: Option<i64>,
    filter: Filter,
    page: usize,
}

impl Wanted {
    fn of(q: &HashMap<String, String>) -> Wanted {
        let some = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        Wanted {
            version: q.get("version").and_then(|v| v.parse().ok()),
            filter: Filter { reason: some("reason"), field: some("field") },
            page: q.get("page").and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    }

    /// The link to `path` with this selection at `page`.
    fn link(&self, path: &str, version: i64, page: Option<usize>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("version", &version.to_string());
        if let Some(r) = &self.filter.reason {
            q.append_pair("reason", r);
        }
        if let Some(f) = &self.filter.field {
            q.append_pair("field", f);
        }
        if let Some(p) = page {
            q.append_pair("page", &p.to_string());
        }
        format!("{path}?{}", q.finish())
    }
}

/// A version's quarantine file as a frame (an empty frame when the version quarantined nothing).
async fn quarantine_of(state: &AppState, row: &VersionRow) -> Result<polars::prelude::DataFrame, Response> {
    let path = format!("{}/quarantine.parquet", row.prefix);
    match crate::versions::read_parquet(&state.objects, &path).await {
        Ok(df) => Ok(df),
        Err(crate::versions::Error::Objects(_)) => Ok(polars::prelude::DataFrame::empty()),
        Err(e) => Err(server_error(&e)),
    }
}

/// The dataset and version asked for.
async fn version_of(
    state: &AppState,
    name: &str,
    wanted: &Wanted,
) -> Result<(crate::store::DatasetRow, Vec<VersionRow>, VersionRow), Response> {
    let not_found = || (StatusCode::NOT_FOUND, "no such dataset or version").into_response();
    let d = state.store.dataset(name).await.map_err(|e| server_error(&e))?.ok_or_else(not_found)?;
    let versions = state.store.list_versions(name).await.map_err(|e| server_error(&e))?;
    let v = wanted.version.unwrap_or(d.current_version);
    let row = versions.iter().find(|r| r.version == v).cloned().ok_or_else(not_found)?;
    Ok((d, versions, row))
}

/// `GET /datasets/{name}`: versions with their counts, and the quarantine of one version
/// filtered by reason and field, a page at a time.
pub(super) async fn dataset(
    State(state): State<AppState>,
    person: Person,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.refusal(Area::Datasets) {
        return r;
    }
    let wanted = Wanted::of(&q);
    let (d, mut versions, row) = match version_of(&state, &name, &wanted).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let df = match quarantine_of(&state, &row).await {
        Ok(df) => df,
        Err(r) => return r,
    };
    let all = crate::quarantine::select(&df, &Filter::default()).unwrap_or_default();
    let selected = crate::quarantine::select(&df, &wanted.filter).unwrap_or_default();
    let lines = df.column("_line").ok();
    let start = wanted.page * PAGE_ROWS;
    let rows = selected
        .rows
        .iter()
        .skip(start)
        .take(PAGE_ROWS)
        .flat_map(|(i, rs)| {
            let line = lines.map(|c| text(c, *i)).unwrap_or_default();
            rs.iter().filter(|r| wanted.filter.matches(r)).map(move |r| QuarantineLine {
                line: line.clone(),
                rule: r.rule.clone(),
                field: r.field.clone(),
                value: r.value.clone(),
                message: r.message.clone(),
            })
        })
        .collect();
    let path = format!("/datasets/{name}");
    let total = selected.rows.len();
    versions.reverse();
    let page_data = DatasetPage {
        w: person.w,
        name: name.clone(),
        title: d.title,
        version: row.version,
        reasons: all.by_reason.into_iter().collect(),
        reason: wanted.filter.reason.clone().unwrap_or_default(),
        field: wanted.filter.field.clone().unwrap_or_default(),
        csv_link: wanted.link(&format!("{path}/quarantine.csv"), row.version, None),
        shown: total.saturating_sub(start).min(PAGE_ROWS),
        total,
        rows,
        previous: (wanted.page > 0).then(|| wanted.link(&path, row.version, Some(wanted.page - 1))),
        next: (start + PAGE_ROWS < total).then(|| wanted.link(&path, row.version, Some(wanted.page + 1))),
        versions,
        person: Some(person),
    };
    page(StatusCode::OK, &page_data)
}

/// `GET /datasets/{name}/quarantine.csv?version=&reason=&field=`: the selected quarantined rows,
/// raw values and reasons, as CSV for Excel.
pub(super) async fn quarantine_csv(
    State(state): State<AppState>,
    person: Person,
    Extension(audit): Extension<Arc<Mutex<AuditInfo>>>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.refusal(Area::Datasets) {
        return r;
    }
    let wanted = Wanted::of(&q);
    let (_, _, row) = match version_of(&state, &name, &wanted).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let df = match quarantine_of(&state, &row).await {
        Ok(df) => df,
        Err(r) => return r,
    };
    let rows: Vec<usize> =
        crate::quarantine::select(&df, &wanted.filter).unwrap_or_default().rows.iter().map(|(i, _)| *i).collect();
    let bytes = match crate::quarantine::csv(&df, &rows) {
        Ok(b) => b,
        Err(e) => return server_error(&e),
    };
    if let Ok(mut i) = audit.lock() {
        i.dataset = name.clone();
        i.version = Some(row.version);
        i.rows = rows.len() as i64;
    }
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}-v{}-quarantine.csv\"", row.version)) {
        h.insert("content-disposition", v);
    }
    r
}

#[derive(Template)]
#[template(path = "console/access.html")]
struct Access {
    w: &'static Words,
    person: Option<Person>,
    clients: Vec<(String, String, String, String)>,
}

/// `GET /access`: agencies and their clients.
pub(super) async fn access(State(state): State<AppState>, person: Person) -> Response {
    if let Some(r) = person.refusal(Area::Access) {
        return r;
    }
    let mut clients = Vec::new();
    let agencies = match state.store.agencies().await {
        Ok(a) => a,
        Err(e) => return server_error(&e),
    };
    for (code, name) in agencies {
        match state.store.clients_of(&code).await {
            Ok(cs) => clients.extend(
                cs.into_iter()
                    .map(|c| (format!("{code} · {name}"), c.id, c.created_at, c.revoked_at.unwrap_or_default())),
            ),
            Err(e) => return server_error(&e),
        }
    }
    page(StatusCode::OK, &Access { w: person.w, person: Some(person), clients })
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct Audit {
    w: &'static Words,
    person: Option<Person>,
    entries: Vec<crate::store::AuditRow>,
}

/// `GET /audit`: the newest 100 entries of the audit log.
pub(super) async fn audit(State(state): State<AppState>, person: Person) -> Response {
    if let Some(r) = person.refusal(Area::Audit) {
        return r;
    }
    let head = match state.store.last_audit().await {
        Ok(h) => h.map_or(0, |h| h.seq),
        Err(e) => return server_error(&e),
    };
    match state.store.audit_page((head - 100).max(0), 100).await {
        Ok(mut entries) => {
            entries.reverse();
            page(StatusCode::OK, &Audit { w: person.w, person: Some(person), entries })
        }
        Err(e) => server_error(&e),
    }
}
