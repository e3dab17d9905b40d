//! Shared catalogs in the console, for every role: the catalogs with their versions (items,
//! added, changed, retired per load); one catalog's items valid on a date, searched by name
//! without minding diacritics; and a code's answer on that date, its whole history and the codes
//! that replaced it (the 2025-07-01 reform's successors).

use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::catalog::{self, query};
use crate::store::{CatalogItem, CatalogRow, CatalogVersion};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Items listed at most on a page (a province's communes fit; search narrows the rest).
const SHOWN: usize = 500;

#[derive(Template)]
#[template(path = "console/catalogs.html")]
struct Catalogs {
    w: &'static Words,
    person: Option<Person>,
    catalogs: Vec<CatalogRow>,
}

/// `GET /catalogs`.
pub(super) async fn catalogs(State(state): State<AppState>, person: Person) -> Response {
    match state.store.list_catalogs().await {
        Ok(catalogs) => page(StatusCode::OK, &Catalogs { w: person.w, person: Some(person), catalogs }),
        Err(e) => server_error(&e),
    }
}

#[derive(Template)]
#[template(path = "console/catalog.html")]
struct CatalogPage {
    w: &'static Words,
    person: Option<Person>,
    catalog: CatalogRow,
    as_of: String,
    q: String,
    code: String,
    /// The items valid on the date (or found by the search), at most [`SHOWN`].
    items: Vec<CatalogItem>,
    /// How many there were in all.
    total: usize,
    /// The code's answer on the date.
    lookup: Option<query::Lookup>,
    /// Every period of the code.
    history: Vec<CatalogItem>,
    versions: Vec<CatalogVersion>,
    problem: String,
}

/// `GET /catalogs/{id}?as_of=&q=&code=`.
pub(super) async fn catalog(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let catalog = match state.store.catalog(&id).await {
        Ok(Some(c)) => c,
        Ok(None) => return (StatusCode::NOT_FOUND, format!("no catalog '{id}'")).into_response(),
        Err(e) => return server_error(&e),
    };
    let asked = p.get("as_of").map(|d| d.trim()).filter(|d| !d.is_empty());
    let (as_of, mut problem) = match asked.map(catalog::parse_date) {
        None => (catalog::today(), String::new()),
        Some(Ok(d)) => (d, String::new()),
        Some(Err(_)) => (catalog::today(), format!("'{}' is not a date: write yyyy-mm-dd", asked.unwrap_or_default())),
    };
    let q = p.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let code = p.get("code").map(|c| c.trim().to_string()).unwrap_or_default();
    let found = match q.is_empty() {
        true => state.store.catalog_items_as_of(&id, &as_of, None).await.map_err(|e| e.to_string()),
        false => query::search(&state.store, &id, &q, &as_of, SHOWN as i64).await.map_err(|e| e.to_string()),
    };
    let mut items = match found {
        Ok(items) => items,
        Err(e) => return server_error(&e),
    };
    let total = items.len();
    items.truncate(SHOWN);
    let (mut lookup, mut history) = (None, Vec::new());
    if !code.is_empty() {
        match query::lookup(&state.store, &id, &code, &as_of).await {
            Ok(l) => lookup = Some(l),
            Err(e) => problem = e.to_string(),
        }
        match state.store.catalog_code(&id, &code).await {
            Ok(h) => history = h,
            Err(e) => return server_error(&e),
        }
    }
    let versions = match state.store.catalog_versions(&id).await {
        Ok(v) => v,
        Err(e) => return server_error(&e),
    };
    let data = CatalogPage {
        w: person.w,
        person: Some(person),
        catalog,
        as_of,
        q,
        code,
        items,
        total,
        lookup,
        history,
        versions,
        problem,
    };
    page(StatusCode::OK, &data)
}
