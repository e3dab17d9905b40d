//! A catalog version item by item: what it changed against the one before (items added and
//! retired, and each changed item field by field, from the version's published change set).

use super::super::AppState;
use super::changes::diff;
use super::words::Words;
use super::{page, server_error, Person};
use crate::quarantine::text;
use crate::store::CatalogRow;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use polars::prelude::*;

/// One item as a version's change set lists it.
pub(super) struct Line {
    code: String,
    name: String,
    parent: String,
    valid_from: String,
    valid_to: String,
}

/// (code · valid from, field, before, after) of a changed item's field.
type FieldChange = (String, String, String, String);

#[derive(Template)]
#[template(path = "console/catalog_version.html")]
struct VersionPage {
    w: &'static Words,
    person: Option<Person>,
    catalog: CatalogRow,
    version: i64,
    added: Vec<Line>,
    retired: Vec<Line>,
    changed: Vec<FieldChange>,
}

/// The items a change set inserts and deletes, and the field changes of its updates.
fn version_diff(df: &DataFrame) -> PolarsResult<(Vec<Line>, Vec<Line>, Vec<FieldChange>)> {
    let kinds = df.column(crate::pipeline::changes::CHANGE_TYPE)?.str()?.clone();
    let col = |name: &str| df.column(name).cloned();
    let (code, name, parent, from, to) =
        (col("code")?, col("name")?, col("parent_code")?, col("valid_from")?, col("valid_to")?);
    let line = |i: usize| Line {
        code: text(&code, i),
        name: text(&name, i),
        parent: text(&parent, i),
        valid_from: text(&from, i),
        valid_to: text(&to, i),
    };
    let (mut added, mut retired) = (Vec::new(), Vec::new());
    for i in 0..df.height() {
        match kinds.get(i) {
            Some("insert") => added.push(line(i)),
            Some("delete") => retired.push(line(i)),
            _ => {}
        }
    }
    let changed = diff(df, &["code".into(), "valid_from".into()])?.updates;
    Ok((added, retired, changed))
}

/// `GET /catalogs/{id}/versions/{version}`.
pub(super) async fn version(
    State(state): State<AppState>,
    person: Person,
    Path((id, version)): Path<(String, String)>,
) -> Response {
    let Ok(version) = version.parse::<i64>() else {
        return (StatusCode::BAD_REQUEST, format!("'{version}' is not a version number")).into_response();
    };
    let (catalog, versions) = match (state.store.catalog(&id).await, state.store.catalog_versions(&id).await) {
        (Ok(Some(c)), Ok(v)) => (c, v),
        (Ok(None), _) => return (StatusCode::NOT_FOUND, format!("no catalog '{id}'")).into_response(),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let Some(row) = versions.into_iter().find(|v| v.version == version) else {
        return (StatusCode::NOT_FOUND, format!("catalog '{id}' has no version {version}")).into_response();
    };
    let df = match crate::versions::read_parquet(&state.objects, &format!("{}/changes.parquet", row.prefix)).await {
        Ok(df) => df,
        Err(e) => return server_error(&e),
    };
    let (added, retired, changed) = match version_diff(&df) {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let data = VersionPage { w: person.w, person: Some(person), catalog, version, added, retired, changed };
    page(StatusCode::OK, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_diff_lists_items_added_retired_and_each_changed_field() {
        let df = df!(
            "code" => ["1", "2", "2", "3"],
            "name" => ["A", "B", "B", "C"],
            "parent_code" => [Some("01"), Some("01"), Some("01"), None],
            "valid_from" => ["0001-01-01"; 4],
            "valid_to" => ["9999-12-31", "9999-12-31", "2025-06-30", "9999-12-31"],
            "_change_type" => ["insert", "update_preimage", "update_postimage", "delete"]
        )
        .unwrap();
        let (added, retired, changed) = version_diff(&df).unwrap();
        assert_eq!(added.iter().map(|l| (&*l.code, &*l.name, &*l.parent)).collect::<Vec<_>>(), [("1", "A", "01")]);
        assert_eq!(retired.iter().map(|l| (&*l.code, &*l.parent)).collect::<Vec<_>>(), [("3", "")]);
        assert_eq!(
            changed,
            [(
                "2 · 0001-01-01".to_string(),
                "valid_to".to_string(),
                "9999-12-31".to_string(),
                "2025-06-30".to_string()
            )]
        );
    }
}
