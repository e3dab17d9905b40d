//! `/api/v1`: snapshots and changes (Parquet, CSV or NDJSON, only granted columns, delivered as
//! each grant says), record lookup by business key.

use super::auth::{AuditInfo, Caller};
use super::error::ApiError;
use super::AppState;
use crate::access::{find_grant, granted_fields, protections};
use crate::store::GrantRow;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use polars::prelude::*;
use serde::Deserialize;
use std::sync::{Arc, Mutex};

type Audit = Extension<Arc<Mutex<AuditInfo>>>;

pub(super) fn note(audit: &Audit, grant: &GrantRow, version: Option<i64>, rows: usize) {
    if let Ok(mut i) = audit.0.lock() {
        i.dataset = grant.dataset.clone();
        i.grant = grant.id.clone();
        i.version = version;
        i.rows = rows as i64;
    }
}

/// Notes a download whose delivery is tracked: the client's position moves to `version` only
/// once the whole body was sent (see `delivery`).
pub(super) fn offer(
    audit: &Audit,
    caller: &Caller,
    grant: &GrantRow,
    version: i64,
    rows: usize,
    partial: bool,
    from: Option<i64>,
) {
    note(audit, grant, Some(version), rows);
    if let Ok(mut i) = audit.0.lock() {
        i.offer = Some(super::delivery::Offer {
            client_id: caller.client_id.clone(),
            dataset: grant.dataset.clone(),
            version,
            rows: rows as i64,
            partial,
            from,
        });
    }
}

/// The encodings a client may ask for (`format=`).
#[derive(Deserialize, Clone, Copy, PartialEq, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    #[default]
    Parquet,
    Csv,
    Ndjson,
}

/// `snapshot?version=&format=`; an unknown parameter is a 400, not silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnapshotQuery {
    version: Option<i64>,
    #[serde(default)]
    format: Format,
}

/// `changes?since=&format=`; an unknown parameter is a 400, not silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesQuery {
    since: Option<i64>,
    #[serde(default)]
    format: Format,
}

fn encode(df: &mut DataFrame, format: Format) -> Result<(Vec<u8>, &'static str), ApiError> {
    let mut buf = Vec::new();
    let mime = match format {
        Format::Parquet => {
            buf = crate::parquet_io::to_bytes(df, &crate::parquet_io::Options::default())?;
            "application/vnd.apache.parquet"
        }
        Format::Csv => {
            CsvWriter::new(&mut buf).finish(&mut crate::versions::with_text_timestamps(df.clone())?)?;
            "text/csv; charset=utf-8"
        }
        Format::Ndjson => {
            let mut df = crate::versions::with_text_timestamps(df.clone())?;
            JsonWriter::new(&mut buf).with_json_format(JsonFormat::JsonLines).finish(&mut df)?;
            "application/x-ndjson"
        }
    };
    Ok((buf, mime))
}

fn only_granted(df: DataFrame, fields: Option<Vec<String>>) -> Result<DataFrame, ApiError> {
    let keep: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| c != "_row_hash" && (c.starts_with('_') || fields.as_ref().is_none_or(|f| f.contains(c))))
        .collect();
    Ok(df.select(keep)?)
}

/// The key of the caller's pseudonyms (none loaded: nothing protected leaves).
fn client_key(state: &AppState, caller: &Caller) -> Result<crate::digest::MacKey, ApiError> {
    let secret = state.store.audit_chain().key().ok_or_else(|| ApiError::internal("the hub's key is not loaded"))?;
    Ok(crate::protect::client_key(secret, &caller.client_id))
}

/// What the grant lets the caller see of `df`: its fields, masked or pseudonymized as it says.
pub(super) fn granted(
    state: &AppState,
    caller: &Caller,
    grant: &GrantRow,
    df: DataFrame,
) -> Result<DataFrame, ApiError> {
    let df = only_granted(df, granted_fields(grant))?;
    let p = protections(grant);
    if p.is_empty() {
        return Ok(df);
    }
    crate::protect::frame(df, &p, &client_key(state, caller)?).map_err(ApiError::internal)
}

pub(super) async fn read(state: &AppState, path: &str) -> Result<DataFrame, ApiError> {
    Ok(crate::versions::read_parquet(&state.objects, path).await?)
}

/// The frame encoded as asked for, ready to send (encoded before the pull is recorded, so a
/// failed encoding does not move the client's last pull).
fn respond(mut df: DataFrame, format: Format) -> Result<Response, ApiError> {
    let (body, mime) = encode(&mut df, format)?;
    let mut r = body.into_response();
    r.headers_mut().insert("content-type", HeaderValue::from_static(mime));
    Ok(r)
}

/// `GET /api/v1/datasets/{name}/snapshot?version=&format=`. With a grant on every field and
/// Parquet asked for, the stored file is streamed as is (with its `_row_hash` column) and
/// `Range` requests are honoured; otherwise the granted columns are encoded.
pub(crate) async fn get_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    headers: axum::http::HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<SnapshotQuery>,
) -> Result<Response, ApiError> {
    let grant = find_grant(&caller.grants, &name, "snapshot")
        .ok_or_else(|| ApiError::forbidden(format!("no snapshot grant on '{name}'")))?;
    let current = state
        .store
        .current_version(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset '{name}' has no published version")))?;
    let version = q.version.unwrap_or(current.version);
    let row = state
        .store
        .version(&name, version)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset '{name}' has no version {version}")))?;
    crate::versions::ensure_kept(&state.store, &name, version).await?;
    if granted_fields(grant).is_none() && grant.protect.is_none() && q.format == Format::Parquet {
        let response = super::files::stream_file(&state, &format!("{}/snapshot.parquet", row.prefix), &headers).await?;
        let partial = response.status() == axum::http::StatusCode::PARTIAL_CONTENT;
        offer(&audit, &caller, grant, version, row.row_count as usize, partial, None);
        return Ok(response);
    }
    let df = granted(&state, &caller, grant, read(&state, &format!("{}/snapshot.parquet", row.prefix)).await?)?;
    let rows = df.height();
    let response = respond(df, q.format)?;
    offer(&audit, &caller, grant, version, rows, false, None);
    Ok(response)
}

/// `GET /api/v1/datasets/{name}/changes?since=&format=`: every change after version `since`
/// (default: the last version this client pulled), with a `_version` column.
pub(crate) async fn get_changes(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path(name): Path<String>,
    Query(q): Query<ChangesQuery>,
) -> Result<Response, ApiError> {
    let grant = find_grant(&caller.grants, &name, "changes")
        .ok_or_else(|| ApiError::forbidden(format!("no changes grant on '{name}'")))?;
    let current = state
        .store
        .current_version(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset '{name}' has no published version")))?;
    let since = match q.since {
        Some(s) => s,
        None => state.store.last_pull(&caller.client_id, &name).await?.unwrap_or(0),
    };
    if since < 0 || since > current.version {
        return Err(ApiError::bad_request(format!(
            "since={since}: use 0 (every change) up to the current version {}",
            current.version
        )));
    }
    if since < current.version {
        crate::versions::ensure_kept(&state.store, &name, since + 1).await?;
    }
    let df = crate::versions::changes_since(&state.objects, &name, since, current.version).await?;
    let df = granted(&state, &caller, grant, df)?;
    let rows = df.height();
    let mut response = respond(df, q.format)?;
    let h = response.headers_mut();
    h.insert("x-changes-from", HeaderValue::from(since));
    h.insert("x-changes-to", HeaderValue::from(current.version));
    offer(&audit, &caller, grant, current.version, rows, false, Some(since));
    Ok(response)
}

/// `GET /api/v1/datasets/{name}/records/{key}`: the current master record.
pub(crate) async fn get_record(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    Path((name, key)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let grant = find_grant(&caller.grants, &name, "lookup")
        .ok_or_else(|| ApiError::forbidden(format!("no lookup grant on '{name}'")))?;
    let data = state
        .store
        .current_record(&name, &key)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no current record '{key}' in '{name}'")))?;
    let mut value: serde_json::Value = serde_json::from_str(&data).map_err(ApiError::internal)?;
    if let (Some(fields), Some(obj)) = (granted_fields(grant), value.as_object_mut()) {
        obj.retain(|k, _| fields.contains(k));
    }
    let p = protections(grant);
    if !p.is_empty() {
        crate::protect::record(&mut value, &p, &client_key(&state, &caller)?);
    }
    note(&audit, grant, None, 1);
    Ok(Json(value))
}
