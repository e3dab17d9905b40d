//! `GET /api/v1/datasets/{name}/schema?format=frictionless|jsonschema`: the data contract of a
//! dataset as the caller receives it (its granted fields, described as delivered).

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
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
    let view = crate::access::view(&caller.grants, &name)
        .ok_or_else(|| ApiError::forbidden(format!("no grant on '{name}'")))?;
    let d = state
        .store
        .dataset(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset '{name}' has no published version")))?;
    let fields: Vec<crate::versions::SchemaField> =
        serde_json::from_str::<Vec<crate::versions::SchemaField>>(&d.schema_json)
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|f| view.shows(&f.name))
            .collect();
    let key: Vec<String> = serde_json::from_str(&d.key_fields).unwrap_or_default();
    let dataset = crate::contract::Dataset {
        name: &d.name,
        title: &d.title,
        description: &d.description,
        key: &key,
        fields: &fields,
    };
    let format = q.format.unwrap_or(crate::contract::Format::Frictionless);
    Ok(Json(crate::contract::export(&dataset, &view.protect, format)))
}
