//! The Delta Sharing server under `/delta-sharing` (see `crate::sharing`): the caller's share,
//! its schemas (owning agencies) and tables (datasets it holds a `snapshot` or `changes` grant
//! on), a table's version and metadata. Same bearer tokens, grants and audit log as the API.

use super::auth::{AuditInfo, Caller};
use super::error::ApiError;
use super::AppState;
use crate::sharing::{agency_name, metadata_line, protocol_line, TableMeta};
use crate::store::{DatasetRow, VersionRow};
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

pub(super) type Audit = Extension<Arc<Mutex<AuditInfo>>>;

/// `?maxResults=&pageToken=` of the list calls.
#[derive(Deserialize)]
pub(crate) struct Page {
    #[serde(rename = "maxResults")]
    max_results: Option<usize>,
    #[serde(rename = "pageToken")]
    page_token: Option<String>,
}

/// The Delta Sharing protocol's routes (described by the protocol, not by `/openapi.json`).
pub(super) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    const TABLE: &str = "/delta-sharing/shares/{share}/schemas/{schema}/tables/{table}";
    axum::Router::new()
        .route("/delta-sharing/shares", get(list_shares))
        .route("/delta-sharing/shares/{share}", get(get_share))
        .route("/delta-sharing/shares/{share}/schemas", get(list_schemas))
        .route("/delta-sharing/shares/{share}/schemas/{schema}/tables", get(list_tables))
        .route("/delta-sharing/shares/{share}/all-tables", get(list_all_tables))
        .route(&format!("{TABLE}/version"), get(get_version))
        .route(&format!("{TABLE}/metadata"), get(get_metadata))
        .route(&format!("{TABLE}/query"), post(super::sharing_files::post_query))
        .route(&format!("{TABLE}/changes"), get(super::sharing_files::get_changes))
        .route("/delta-sharing/files/{link}", get(super::sharing_files::get_file))
}

/// One page of `items` as the protocol lists them (`nextPageToken` when more remain).
fn page(items: Vec<serde_json::Value>, p: &Page) -> Result<Json<serde_json::Value>, ApiError> {
    let start: usize = match &p.page_token {
        Some(t) => t.parse().map_err(|_| ApiError::bad_request("pageToken is not one this server gave"))?,
        None => 0,
    };
    let size = p.max_results.unwrap_or(1000).clamp(1, 1000);
    let end = (start + size).min(items.len());
    let mut out = serde_json::json!({ "items": items.get(start..end).unwrap_or_default() });
    if end < items.len() {
        out["nextPageToken"] = end.to_string().into();
    }
    Ok(Json(out))
}

/// The caller's share (one per consuming agency); another name is not found.
fn check_share(caller: &Caller, share: &str) -> Result<String, ApiError> {
    let mine = agency_name(&caller.agency);
    match share == mine {
        true => Ok(mine),
        false => Err(ApiError::not_found(format!("no share '{share}': this client's share is '{mine}'"))),
    }
}

/// The tables the caller may read, as (schema, dataset), sorted.
async fn tables(state: &AppState, caller: &Caller) -> Result<Vec<(String, DatasetRow)>, ApiError> {
    let mut names: Vec<&str> = caller
        .grants
        .iter()
        .filter(|g| g.scope == "snapshot" || g.scope == "changes")
        .map(|g| g.dataset.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for n in names {
        if let Some(d) = state.store.dataset(n).await?.filter(|d| d.current_version > 0) {
            out.push((agency_name(&d.owner), d));
        }
    }
    out.sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
    Ok(out)
}

fn table_json(share: &str, schema: &str, d: &DatasetRow) -> serde_json::Value {
    serde_json::json!({ "name": d.name, "schema": schema, "share": share })
}

/// The table `share.schema.table` as the caller may read it (403 when the caller holds no grant
/// to read it, 404 when it is not in the share).
pub(super) async fn table(
    state: &AppState,
    caller: &Caller,
    audit: &Audit,
    (share, schema, table): &(String, String, String),
) -> Result<DatasetRow, ApiError> {
    check_share(caller, share)?;
    if let Ok(mut i) = audit.0.lock() {
        i.dataset = table.chars().take(200).collect();
    }
    // Refused before it is looked up: whether an ungranted dataset exists is not disclosed.
    if !caller.grants.iter().any(|g| g.dataset == *table && (g.scope == "snapshot" || g.scope == "changes")) {
        return Err(ApiError::forbidden(format!("no snapshot or changes grant on '{table}'")));
    }
    let not_found = || ApiError::not_found(format!("no table '{schema}.{table}' in share '{share}'"));
    let d = state.store.dataset(table).await?.filter(|d| d.current_version > 0).ok_or_else(not_found)?;
    if agency_name(&d.owner) != *schema {
        return Err(not_found());
    }
    Ok(d)
}

/// `GET /delta-sharing/shares`.
pub(crate) async fn list_shares(caller: Caller, Query(p): Query<Page>) -> Result<Json<serde_json::Value>, ApiError> {
    let name = agency_name(&caller.agency);
    page(vec![serde_json::json!({ "name": name })], &p)
}

/// `GET /delta-sharing/shares/{share}`.
pub(crate) async fn get_share(caller: Caller, Path(share): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let name = check_share(&caller, &share)?;
    Ok(Json(serde_json::json!({ "share": { "name": name } })))
}

/// `GET /delta-sharing/shares/{share}/schemas`.
pub(crate) async fn list_schemas(
    State(state): State<AppState>,
    caller: Caller,
    Path(share): Path<String>,
    Query(p): Query<Page>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let share = check_share(&caller, &share)?;
    let mut schemas: Vec<String> = tables(&state, &caller).await?.into_iter().map(|(s, _)| s).collect();
    schemas.dedup();
    page(schemas.into_iter().map(|s| serde_json::json!({ "name": s, "share": share })).collect(), &p)
}

/// `GET /delta-sharing/shares/{share}/schemas/{schema}/tables`.
pub(crate) async fn list_tables(
    State(state): State<AppState>,
    caller: Caller,
    Path((share, schema)): Path<(String, String)>,
    Query(p): Query<Page>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let share = check_share(&caller, &share)?;
    let all = tables(&state, &caller).await?;
    if !all.iter().any(|(s, _)| *s == schema) {
        return Err(ApiError::not_found(format!("no schema '{schema}' in share '{share}'")));
    }
    page(all.iter().filter(|(s, _)| *s == schema).map(|(s, d)| table_json(&share, s, d)).collect(), &p)
}

/// `GET /delta-sharing/shares/{share}/all-tables`.
pub(crate) async fn list_all_tables(
    State(state): State<AppState>,
    caller: Caller,
    Path(share): Path<String>,
    Query(p): Query<Page>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let share = check_share(&caller, &share)?;
    let all = tables(&state, &caller).await?;
    page(all.iter().map(|(s, d)| table_json(&share, s, d)).collect(), &p)
}

/// `?startingTimestamp=` of the version call.
#[derive(Deserialize)]
pub(crate) struct VersionQuery {
    #[serde(rename = "startingTimestamp")]
    starting_timestamp: Option<String>,
}

/// Versions of a dataset still readable, as (version, published at).
pub(super) async fn versions(state: &AppState, dataset: &str) -> Result<Vec<(i64, String)>, ApiError> {
    let rows = state.store.list_versions(dataset).await?;
    Ok(rows.into_iter().filter(|v| v.pruned_at.is_none()).map(|v| (v.version, v.created_at)).collect())
}

/// A timestamp parameter, in ms.
pub(super) fn timestamp(name: &str, text: &str) -> Result<i64, ApiError> {
    crate::sharing::parse_timestamp(text)
        .ok_or_else(|| ApiError::bad_request(format!("{name}={text}: write a time as 2026-12-06T10:00:00Z")))
}

/// An answer with the `delta-table-version` header.
pub(super) fn versioned(mut r: Response, version: i64) -> Response {
    r.headers_mut().insert("delta-table-version", HeaderValue::from(version));
    r
}

/// Newline-delimited JSON lines.
pub(super) fn ndjson(lines: Vec<String>, version: i64) -> Response {
    let mut body = lines.join("\n");
    body.push('\n');
    let mut r = body.into_response();
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/x-ndjson; charset=utf-8"));
    versioned(r, version)
}

/// `HEAD|GET …/tables/{table}/version?startingTimestamp=`: the current version, or the first
/// published at or after the time.
pub(crate) async fn get_version(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(path): Path<(String, String, String)>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, ApiError> {
    let d = table(&state, &caller, &audit, &path).await?;
    let version = match q.starting_timestamp {
        None => d.current_version,
        Some(t) => {
            let at = timestamp("startingTimestamp", &t)?;
            crate::sharing::first_since(&versions(&state, &d.name).await?, at)
                .ok_or_else(|| ApiError::bad_request(format!("no version was published at or after {t}")))?
        }
    };
    Ok(versioned(().into_response(), version))
}

/// The manifest of a version.
pub(super) async fn manifest(state: &AppState, row: &VersionRow) -> Result<crate::versions::Manifest, ApiError> {
    let bytes = crate::objects::get(&state.objects, &format!("{}/manifest.json", row.prefix))
        .await
        .map_err(ApiError::internal)?;
    serde_json::from_slice(&bytes).map_err(ApiError::internal)
}

/// The metadata line of the table at a version, as the caller's grant delivers it.
pub(super) fn metadata(d: &DatasetRow, m: &crate::versions::Manifest, caller: &Caller) -> String {
    let view = crate::access::view(&caller.grants, &d.name);
    let (fields, protect) = match &view {
        Some(v) => (m.schema.iter().filter(|f| v.shows(&f.name)).cloned().collect::<Vec<_>>(), v.protect.clone()),
        None => (Vec::new(), Default::default()),
    };
    let size = m.files.get("snapshot").map_or(0, |f| f.bytes);
    let description = if d.description.is_empty() { &d.title } else { &d.description };
    let schema = crate::sharing::delta_schema(&fields, &protect);
    metadata_line(&TableMeta { dataset: &d.name, description, schema, version: m.version, size })
}

/// `GET …/tables/{table}/metadata`: the protocol and metadata of the current version.
pub(crate) async fn get_metadata(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let d = table(&state, &caller, &audit, &path).await?;
    let row = state
        .store
        .version(&d.name, d.current_version)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("'{}' has no version {}", d.name, d.current_version)))?;
    let m = manifest(&state, &row).await?;
    Ok(ndjson(vec![protocol_line(), metadata(&d, &m, &caller)], row.version))
}
