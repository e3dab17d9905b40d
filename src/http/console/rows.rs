//! A version's data in the console: its data dictionary (each field's type, whether it is
//! required, and what it means) and its snapshot a page at a time, filtered by one field's value.
//! A page reads only the Parquet row groups that hold it: the snapshot is copied once per version
//! (versions never change) to the temporary folder, then read by slice or scanned with the
//! filter, never decoded whole into memory.

use super::super::AppState;
use super::quarantine::opened;
use super::words::Words;
use super::{page, server_error, Person};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;

/// Rows on a page.
const PAGE: usize = 50;

/// A field of the data dictionary: name, type, required, description.
type Entry = (String, String, bool, String);

#[derive(Template)]
#[template(path = "console/rows.html")]
struct Rows {
    w: &'static Words,
    person: Option<Person>,
    name: String,
    version: i64,
    total: i64,
    dictionary: Vec<Entry>,
    field: String,
    value: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    first: usize,
    previous: Option<String>,
    next: Option<String>,
    problem: String,
}

/// The data dictionary of a dataset's published schema.
fn dictionary(schema_json: &str) -> Vec<Entry> {
    let fields: Vec<serde_json::Value> = serde_json::from_str(schema_json).unwrap_or_default();
    let text = |f: &serde_json::Value, k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    fields
        .iter()
        .map(|f| (text(f, "name"), text(f, "type"), f["required"].as_bool().unwrap_or(false), text(f, "description")))
        .collect()
}

/// A version's file `<name>.parquet` as a local file, copied from the object store the first
/// time (versions are immutable; the manifest's checksum is in the name).
pub(super) async fn local_copy(
    state: &AppState,
    prefix: &str,
    name: &str,
    manifest_sha256: &str,
) -> Result<PathBuf, String> {
    let dir = crate::scratch::root().join("lgsp-console-snapshots");
    let key: String = prefix.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let path = dir.join(format!("{key}-{name}-{}.parquet", manifest_sha256.get(..16).unwrap_or(manifest_sha256)));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let part = crate::scratch::file("snapshot", ".parquet").map_err(|e| e.to_string())?;
    crate::objects::get_file(&state.objects, &format!("{prefix}/{name}.parquet"), part.path())
        .await
        .map_err(|e| e.to_string())?;
    part.persist(&path).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Rows `[offset, offset + PAGE)` of the snapshot, of those whose `field` reads `value` when
/// one is given.
fn read_page(path: PathBuf, filter: Option<(String, String)>, offset: usize) -> Result<DataFrame, String> {
    match filter {
        None => crate::parquet_io::read_file(&path, None, Some((offset, PAGE))).map_err(|e| e.to_string()),
        Some((field, value)) => {
            let source = PlRefPath::try_from_path(&path).map_err(|e| e.to_string())?;
            let lf = LazyFrame::scan_parquet(source, ScanArgsParquet::default()).map_err(|e| e.to_string())?;
            lf.filter(col(field.as_str()).cast(DataType::String).eq(lit(value)))
                .slice(offset as i64, PAGE as IdxSize)
                .collect()
                .map_err(|e| e.to_string())
        }
    }
}

fn cell(v: AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// `GET /datasets/{name}/rows?version=&field=&value=&page=`.
pub(super) async fn rows(
    State(state): State<AppState>,
    person: Person,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let o = match opened(&state, &person, &name, &q).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let dictionary = dictionary(&o.dataset.schema_json);
    let field = q.get("field").map(|f| f.trim().to_string()).unwrap_or_default();
    let value = q.get("value").cloned().unwrap_or_default();
    let page_no = o.wanted.page;
    let mut problem = String::new();
    let filter = match (field.is_empty(), dictionary.iter().any(|d| d.0 == field)) {
        (true, _) => None,
        (false, true) => Some((field.clone(), value.clone())),
        (false, false) => {
            problem = format!("'{field}' is not a field of {name}");
            None
        }
    };
    let path = match local_copy(&state, &o.row.prefix, "snapshot", &o.row.manifest_sha256).await {
        Ok(p) => p,
        Err(e) => return server_error(&e),
    };
    let offset = page_no * PAGE;
    let df = match tokio::task::spawn_blocking(move || read_page(path, filter, offset)).await {
        Ok(Ok(df)) => df,
        Ok(Err(e)) if e.contains("not found") => {
            return (StatusCode::BAD_REQUEST, format!("the snapshot has no such field: {e}")).into_response()
        }
        Ok(Err(e)) => return server_error(&e),
        Err(e) => return server_error(&e),
    };
    let columns: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
    let rows: Vec<Vec<String>> = (0..df.height())
        .map(|i| df.get_row(i).map(|r| r.0.into_iter().map(cell).collect()).unwrap_or_default())
        .collect();
    let link = |p: usize| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("version", &o.row.version.to_string()).append_pair("page", &p.to_string());
        if !field.is_empty() {
            s.append_pair("field", &field).append_pair("value", &value);
        }
        format!("/datasets/{name}/rows?{}", s.finish())
    };
    let previous = (page_no > 0).then(|| link(page_no - 1));
    let next = (rows.len() == PAGE).then(|| link(page_no + 1));
    let data = Rows {
        w: person.w,
        person: Some(person),
        version: o.row.version,
        total: o.row.row_count,
        dictionary,
        field: field.clone(),
        value: value.clone(),
        columns,
        rows,
        first: offset + 1,
        previous,
        next,
        problem,
        name,
    };
    page(StatusCode::OK, &data)
}
