//! The console's version diff: what a version changed against the one before, from its change
//! set, a page of change rows at a time (read from the row groups that hold them, from a local
//! copy of the immutable file): each update field by field (before → after), and the keys
//! inserted and deleted; the totals come from the version's counts.

use super::super::AppState;
use super::quarantine::{opened, Opened};
use super::words::Words;
use super::{page, server_error, Person};
use crate::quarantine::text;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use polars::prelude::*;
use std::collections::HashMap;

/// Change rows on one page (an update is two: its pre-image and post-image).
const PAGE_ROWS: usize = 200;

#[derive(Template)]
#[template(path = "console/changes.html")]
struct Changes {
    w: &'static Words,
    person: Option<Person>,
    name: String,
    version: i64,
    /// (key, field, before, after).
    updates: Vec<(String, String, String, String)>,
    updates_total: usize,
    inserted: Vec<String>,
    inserted_total: usize,
    deleted: Vec<String>,
    deleted_total: usize,
    previous: Option<String>,
    next: Option<String>,
}

/// What a change set says: field changes of updates, inserted keys, deleted keys.
#[derive(Default)]
pub(super) struct Diff {
    /// (key, field, before, after) of each changed field of an update.
    pub(super) updates: Vec<(String, String, String, String)>,
    /// Keys inserted.
    pub(super) inserted: Vec<String>,
    /// Keys deleted.
    pub(super) deleted: Vec<String>,
}

/// The diff of change set `df` (rows in key order, a pre-image just before its post-image).
pub(super) fn diff(df: &DataFrame, key: &[String]) -> PolarsResult<Diff> {
    diff_from(df, key, 0)
}

/// The diff of the rows of `df` from `from` on (row `from - 1` only pairs a pre-image with its
/// post-image at `from`).
fn diff_from(df: &DataFrame, key: &[String], from: usize) -> PolarsResult<Diff> {
    let kinds = df.column(crate::pipeline::changes::CHANGE_TYPE)?.str()?.clone();
    let fields: Vec<&Column> = df.columns().iter().filter(|c| !c.name().starts_with('_')).collect();
    let key_of = |i: usize| {
        key.iter().map(|k| df.column(k).map(|c| text(c, i)).unwrap_or_default()).collect::<Vec<_>>().join(" · ")
    };
    let mut out = Diff::default();
    for i in from..df.height() {
        match kinds.get(i) {
            Some("insert") => out.inserted.push(key_of(i)),
            Some("delete") => out.deleted.push(key_of(i)),
            Some("update_postimage") if i > 0 && kinds.get(i - 1) == Some("update_preimage") => {
                for c in &fields {
                    let (before, after) = (text(c, i - 1), text(c, i));
                    if before != after {
                        out.updates.push((key_of(i), c.name().to_string(), before, after));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// `GET /datasets/{name}/changes?version=&page=`.
pub(super) async fn changes(
    State(state): State<AppState>,
    person: Person,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Opened { wanted, dataset: d, row, .. } = match opened(&state, &person, &name, &q).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let path = match super::rows::local_copy(&state, &row.prefix, "changes", &row.manifest_sha256).await {
        Ok(p) => p,
        Err(e) => return server_error(&e),
    };
    // The page's rows and the one before it (the pre-image of an update that starts the page).
    let offset = wanted.page * PAGE_ROWS;
    let start = offset.saturating_sub(1);
    let read = move || crate::parquet_io::read_file(&path, None, Some((start, offset - start + PAGE_ROWS)));
    let df = match tokio::task::spawn_blocking(read).await {
        Ok(Ok(df)) => df,
        Ok(Err(e)) => return server_error(&e),
        Err(e) => return server_error(&e),
    };
    let key: Vec<String> = serde_json::from_str(&d.key_fields).unwrap_or_default();
    let all = match diff_from(&df, &key, offset - start) {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let change_rows = (row.inserted + 2 * row.updated + row.deleted).max(0) as usize;
    let link = |p: usize| format!("/datasets/{name}/changes?version={}&page={p}", row.version);
    let page_data = Changes {
        w: person.w,
        version: row.version,
        updates_total: row.updated.max(0) as usize,
        previous: (wanted.page > 0).then(|| link(wanted.page - 1)),
        next: (offset + PAGE_ROWS < change_rows).then(|| link(wanted.page + 1)),
        updates: all.updates,
        inserted_total: row.inserted.max(0) as usize,
        inserted: all.inserted,
        deleted_total: row.deleted.max(0) as usize,
        deleted: all.deleted,
        name,
        person: Some(person),
    };
    page(StatusCode::OK, &page_data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_field_by_field_and_inserts_and_deletes_by_key() {
        let df = df!(
            "ma" => ["1", "2", "2", "3"],
            "ten" => ["A", "B", "B2", "C"],
            "_change_type" => ["insert", "update_preimage", "update_postimage", "delete"]
        )
        .unwrap();
        let d = diff(&df, &["ma".into()]).unwrap();
        assert_eq!(d.updates, [("2".to_string(), "ten".to_string(), "B".to_string(), "B2".to_string())]);
        assert_eq!((d.inserted, d.deleted), (vec!["1".to_string()], vec!["3".to_string()]));
        // A page that starts at the post-image still pairs it with its pre-image; a page that
        // starts after an insert does not list it again.
        let page = diff_from(&df, &["ma".into()], 2).unwrap();
        assert_eq!(page.updates.len(), 1);
        assert_eq!((page.inserted.len(), page.deleted.len()), (0, 1));
        let after = diff_from(&df, &["ma".into()], 3).unwrap();
        assert_eq!(after.updates.len(), 0, "a post-image whose page came before");
    }
}
