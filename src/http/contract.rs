//! `GET /api/v1/datasets/{name}/schema?format=frictionless|jsonschema`: the data contract of a
//! dataset as the caller receives it (its granted fields, described as delivered).

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::access::{granted_fields, protections};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

/// `?format=` of a contract (default `frictionless`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemaQuery {
    format: Option<crate::contract::Format>,
}

pub(crate) async fn get_schema(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(q): Query<SchemaQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let grants: Vec<_> = caller.grants.iter().filter(|g| g.dataset == name).collect();
    if grants.is_empty() {
        return Err(ApiError::forbidden(format!("no grant on '{name}'")));
    }
    let d = state
        .store
        .dataset(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset '{name}' has no published version")))?;
    // Every field some grant shows (a grant without a field list shows all).
    let visible: Option<Vec<String>> = grants.iter().map(|g| granted_fields(g)).try_fold(Vec::new(), |mut acc, f| {
        acc.extend(f?);
        Some(acc)
    });
    let fields: Vec<crate::versions::SchemaField> =
        serde_json::from_str::<Vec<crate::versions::SchemaField>>(&d.schema_json)
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|f| visible.as_ref().is_none_or(|v| v.contains(&f.name)))
            .collect();
    let key: Vec<String> = serde_json::from_str(&d.key_fields).unwrap_or_default();
    let protect: crate::protect::Protections = grants.iter().flat_map(|g| protections(g)).collect();
    let dataset = crate::contract::Dataset {
        name: &d.name,
        title: &d.title,
        description: &d.description,
        key: &key,
        fields: &fields,
    };
    let format = q.format.unwrap_or(crate::contract::Format::Frictionless);
    Ok(Json(crate::contract::export(&dataset, &protect, format)))
}
