//! The console's quarantine browser: a dataset's versions with their counts, and a version's
//! quarantined rows filtered by reason and field, a page at a time, or as CSV for Excel.

use super::super::auth::AuditInfo;
use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::console::Area;
use crate::quarantine::{text, Filter};
use crate::store::VersionRow;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Quarantined rows on one page of the browser.
const PAGE_ROWS: usize = 50;

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
    /// Who may read the dataset and the last version each received whole.
    consumers: Vec<crate::store::DatasetGrant>,
}

/// What the quarantine browser shows: `?version=&reason=&field=&page=`.
pub(super) struct Wanted {
    pub(super) version: Option<i64>,
    pub(super) filter: Filter,
    pub(super) page: usize,
}

impl Wanted {
    pub(super) fn of(q: &HashMap<String, String>) -> Wanted {
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
pub(super) async fn quarantine_of(state: &AppState, row: &VersionRow) -> Result<polars::prelude::DataFrame, Response> {
    let path = format!("{}/quarantine.parquet", row.prefix);
    match crate::versions::read_parquet(&state.objects, &path).await {
        Ok(df) => Ok(df),
        Err(crate::versions::Error::Objects(_)) => Ok(polars::prelude::DataFrame::empty()),
        Err(e) => Err(server_error(&e)),
    }
}

/// A dataset page as asked for: the selection, the dataset, its versions and the version.
pub(super) struct Opened {
    pub(super) wanted: Wanted,
    pub(super) dataset: crate::store::DatasetRow,
    pub(super) versions: Vec<VersionRow>,
    pub(super) row: VersionRow,
}

/// The dataset and version a page asks for, when the person's role may open datasets.
pub(super) async fn opened(
    state: &AppState,
    person: &Person,
    name: &str,
    q: &HashMap<String, String>,
) -> Result<Opened, Response> {
    if let Some(r) = person.refusal(Area::Datasets) {
        return Err(r);
    }
    let wanted = Wanted::of(q);
    let not_found = || (StatusCode::NOT_FOUND, "no such dataset or version").into_response();
    let dataset = state.store.dataset(name).await.map_err(|e| server_error(&e))?.ok_or_else(not_found)?;
    let versions = state.store.list_versions(name).await.map_err(|e| server_error(&e))?;
    let v = wanted.version.unwrap_or(dataset.current_version);
    let row = versions.iter().find(|r| r.version == v).cloned().ok_or_else(not_found)?;
    Ok(Opened { wanted, dataset, versions, row })
}

/// `GET /datasets/{name}`: versions with their counts, and the quarantine of one version
/// filtered by reason and field, a page at a time.
pub(super) async fn dataset(
    State(state): State<AppState>,
    person: Person,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Opened { wanted, dataset: d, mut versions, row } = match opened(&state, &person, &name, &q).await {
        Ok(o) => o,
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
    let consumers = match state.store.dataset_grants(&name, &crate::catalog::today()).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
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
        consumers,
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
    let Opened { wanted, row, .. } = match opened(&state, &person, &name, &q).await {
        Ok(o) => o,
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
    super::download(bytes, "text/csv; charset=utf-8", &format!("{name}-v{}-quarantine.csv", row.version))
}
