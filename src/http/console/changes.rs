//! The console's version diff: what a version changed against the one before, from its change
//! set: each update field by field (before → after), a page at a time, and the keys inserted
//! and deleted.

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

/// Field changes on one page.
const PAGE_CHANGES: usize = 100;
/// Keys listed of inserts and deletes.
const KEYS_SHOWN: usize = 200;

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
struct Diff {
    updates: Vec<(String, String, String, String)>,
    inserted: Vec<String>,
    deleted: Vec<String>,
}

/// The diff of change set `df` (rows in key order, a pre-image just before its post-image).
fn diff(df: &DataFrame, key: &[String]) -> PolarsResult<Diff> {
    let kinds = df.column(crate::pipeline::changes::CHANGE_TYPE)?.str()?.clone();
    let fields: Vec<&Column> = df.columns().iter().filter(|c| !c.name().starts_with('_')).collect();
    let key_of = |i: usize| {
        key.iter().map(|k| df.column(k).map(|c| text(c, i)).unwrap_or_default()).collect::<Vec<_>>().join(" · ")
    };
    let mut out = Diff::default();
    for i in 0..df.height() {
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
    let df = match crate::versions::read_parquet(&state.objects, &format!("{}/changes.parquet", row.prefix)).await {
        Ok(df) => df,
        Err(e) => return server_error(&e),
    };
    let key: Vec<String> = serde_json::from_str(&d.key_fields).unwrap_or_default();
    let all = match diff(&df, &key) {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let start = wanted.page * PAGE_CHANGES;
    let link = |p: usize| format!("/datasets/{name}/changes?version={}&page={p}", row.version);
    let page_data = Changes {
        w: person.w,
        version: row.version,
        updates_total: all.updates.len(),
        previous: (wanted.page > 0).then(|| link(wanted.page - 1)),
        next: (start + PAGE_CHANGES < all.updates.len()).then(|| link(wanted.page + 1)),
        updates: all.updates.into_iter().skip(start).take(PAGE_CHANGES).collect(),
        inserted_total: all.inserted.len(),
        inserted: all.inserted.into_iter().take(KEYS_SHOWN).collect(),
        deleted_total: all.deleted.len(),
        deleted: all.deleted.into_iter().take(KEYS_SHOWN).collect(),
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
    }
}
