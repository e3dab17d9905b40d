//! `/api/v1`: what the caller may see: itself and its grants, the datasets it is granted, their
//! data dictionary (granted fields only, with how each is delivered) and their versions.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::access::{granted_fields, protections};
use axum::extract::{Path, State};
use axum::Json;

/// `GET /api/v1/me`: the caller, every dataset and scope it may use, and its position in each
/// dataset (the version it last received whole; `/changes` without `since` starts after it).
pub(crate) async fn get_me(State(state): State<AppState>, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    let allowed: Vec<_> = caller
        .grants
        .iter()
        .map(|g| {
            serde_json::json!({
                "dataset": g.dataset, "scope": g.scope, "fields": granted_fields(g), "until": g.until,
                "basis": g.basis, "purpose": g.purpose, "protect": protections(g)
            })
        })
        .collect();
    let mut names: Vec<&str> = caller.grants.iter().map(|g| g.dataset.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut positions = serde_json::Map::new();
    for n in names {
        positions.insert(n.to_string(), state.store.last_pull(&caller.client_id, n).await?.into());
    }
    Ok(Json(serde_json::json!({
        "client_id": caller.client_id, "agency": caller.agency, "allowed": allowed, "positions": positions
    })))
}

/// `GET /api/v1/datasets`: datasets the caller holds a grant on, with their current version.
pub(crate) async fn list_datasets(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut names: Vec<&str> = caller.grants.iter().map(|g| g.dataset.as_str()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for n in names {
        if let Some(v) = state.store.current_version(n).await? {
            out.push(serde_json::json!({ "dataset": n, "version": v.version, "rows": v.row_count, "published_at": v.created_at }));
        }
    }
    Ok(Json(serde_json::json!({ "datasets": out })))
}

fn any_grant(caller: &Caller, name: &str) -> Result<(), ApiError> {
    match caller.grants.iter().any(|g| g.dataset == name) {
        true => Ok(()),
        false => Err(ApiError::forbidden(format!("no grant on '{name}'"))),
    }
}

/// `GET /api/v1/datasets/{name}`: the dataset's description and published schema (the data
/// dictionary); fields the caller may not see are left out.
pub(crate) async fn get_dataset(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let view = crate::access::view(&caller.grants, &name)
        .ok_or_else(|| ApiError::forbidden(format!("no grant on '{name}'")))?;
    let d = state
        .store
        .dataset(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset '{name}' has no published version")))?;
    let schema: Vec<serde_json::Value> = serde_json::from_str(&d.schema_json).unwrap_or_default();
    let schema: Vec<_> = schema
        .into_iter()
        .filter(|f| f["name"].as_str().is_some_and(|n| view.shows(n)))
        .map(|mut f| {
            if let Some(p) = f["name"].as_str().and_then(|n| view.protect.get(n)) {
                f["delivered"] = serde_json::json!(p);
            }
            f
        })
        .collect();
    let key: serde_json::Value = serde_json::from_str(&d.key_fields).unwrap_or_default();
    Ok(Json(
        serde_json::json!({ "dataset": d.name, "title": d.title, "description": d.description, "owner": d.owner, "key": key, "schema": schema, "version": d.current_version, "updated_at": d.updated_at }),
    ))
}

/// `GET /api/v1/datasets/{name}/versions`.
pub(crate) async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    any_grant(&caller, &name)?;
    let versions: Vec<_> = state.store.list_versions(&name).await?.into_iter().map(|v| {
        serde_json::json!({ "version": v.version, "published_at": v.created_at, "rows": v.row_count, "inserted": v.inserted, "updated": v.updated, "deleted": v.deleted })
    }).collect();
    Ok(Json(serde_json::json!({ "dataset": name, "versions": versions })))
}
