//! Shared catalogs over HTTP, for any authenticated client: the NGSP-style
//! `/dmdc/Metadata/{catalog}` and `/dmdc/Category/{catalog}` (with `asOf`), and
//! `/api/v1/catalogs/...` for lookup, resolve and search as of a date.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::catalog::{self, query};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

/// `?asOf=&q=&at=`; an unknown parameter is a 400, not silently ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AsOf {
    as_of: Option<String>,
    q: Option<String>,
    at: Option<String>,
}

/// The date of parameter `name` (today when absent).
fn date(name: &str, d: &Option<String>) -> Result<String, ApiError> {
    match d {
        Some(d) => catalog::parse_date(d)
            .map_err(|_| ApiError::bad_request(format!("{name}='{d}' is not a date: write yyyy-mm-dd"))),
        None => Ok(catalog::today()),
    }
}

fn catalog_error(e: catalog::Error) -> ApiError {
    match e {
        catalog::Error::Unknown(c) => ApiError::not_found(format!("no catalog '{c}'")),
        catalog::Error::Date(d) => ApiError::bad_request(format!("'{d}' is not a date: write yyyy-mm-dd")),
        other => ApiError::internal(other),
    }
}

/// `GET /dmdc/Metadata/{catalog}`: the fields of the catalog's rows.
pub(crate) async fn get_metadata(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let c = state.store.catalog(&id).await?.ok_or_else(|| ApiError::not_found(format!("no catalog '{id}'")))?;
    let props = [
        ("Ma", "Mã", "string"),
        ("Ten", "Tên", "string"),
        ("MaCha", "Mã đơn vị cha", "string"),
        ("Cap", "Cấp", "int"),
        ("HieuLucTu", "Hiệu lực từ ngày", "date"),
        ("HieuLucDen", "Hiệu lực đến ngày", "date"),
        ("ThuocTinh", "Thuộc tính khác", "object"),
    ];
    let list: Vec<_> = props
        .iter()
        .map(|(code, name, ty)| serde_json::json!({ "PropertyCode": code, "PropertyName": name, "PropertyType": ty }))
        .collect();
    Ok(Json(
        serde_json::json!({ "CatalogCode": c.id, "CatalogName": c.name_vi, "Version": c.current_version, "Properties": list }),
    ))
}

/// `GET /dmdc/Category/{catalog}?asOf=`: the rows valid on the date.
pub(crate) async fn get_category(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let c = state.store.catalog(&id).await?.ok_or_else(|| ApiError::not_found(format!("no catalog '{id}'")))?;
    let as_of = date("asOf", &q.as_of)?;
    let rows: Vec<_> = state.store.catalog_items_as_of(&id, &as_of, None).await?.into_iter().map(|i| {
        let attrs: serde_json::Value = serde_json::from_str(&i.attrs).unwrap_or_default();
        serde_json::json!({ "Ma": i.code, "Ten": i.name, "MaCha": i.parent_code, "Cap": i.level, "HieuLucTu": i.valid_from, "HieuLucDen": i.valid_to, "ThuocTinh": attrs })
    }).collect();
    Ok(Json(serde_json::json!({ "CatalogCode": c.id, "Version": c.current_version, "AsOf": as_of, "Data": rows })))
}

/// `GET /api/v1/catalogs/{catalog}/codes/{code}?asOf=`: valid, retired (and succeeded by), unknown.
pub(crate) async fn get_lookup(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Json<query::Lookup>, ApiError> {
    Ok(Json(query::lookup(&state.store, &id, &code, &date("asOf", &q.as_of)?).await.map_err(catalog_error)?))
}

/// `GET /api/v1/catalogs/{catalog}/codes/{code}/current?at=&asOf=`: the code(s) it became.
pub(crate) async fn get_resolve(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Json<Vec<query::Candidate>>, ApiError> {
    let at = q.at.is_some().then(|| date("at", &q.at)).transpose()?;
    Ok(Json(
        query::resolve(&state.store, &id, &code, at.as_deref(), &date("asOf", &q.as_of)?)
            .await
            .map_err(catalog_error)?,
    ))
}

/// `GET /api/v1/catalogs/{catalog}/search?q=&asOf=`.
pub(crate) async fn get_search(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Json<Vec<crate::store::CatalogItem>>, ApiError> {
    let text =
        q.q.clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("give the text to search as ?q="))?;
    Ok(Json(query::search(&state.store, &id, &text, &date("asOf", &q.as_of)?, 50).await.map_err(catalog_error)?))
}
