//! The crosswalk of one parent's catalog items on a day (a province's communes on 2025-06-30,
//! the day before the reform) to the codes that replaced them, with how each was merged: in the
//! page, or as CSV for Excel.

use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::store::{CatalogItem, CatalogRow, Successor};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// One old item and one of its successors (or none) in a crosswalk.
pub(super) struct Crossing {
    old: CatalogItem,
    /// The successor's code, name and parent in the period that follows the old item's.
    new: Option<CatalogItem>,
    merge_type: String,
}

/// Each of `old` with each of its successors, in the period of the successor's code that
/// starts after the old item ends (its last period if none does).
fn crossings(old: Vec<CatalogItem>, links: &[Successor], all: &[CatalogItem]) -> Vec<Crossing> {
    let mut periods: HashMap<&str, Vec<&CatalogItem>> = HashMap::new();
    for item in all {
        periods.entry(item.code.as_str()).or_default().push(item);
    }
    let mut by_code: HashMap<&str, Vec<&Successor>> = HashMap::new();
    for l in links {
        by_code.entry(l.code.as_str()).or_default().push(l);
    }
    let mut out = Vec::new();
    for item in old {
        let Some(links) = by_code.get(item.code.as_str()) else {
            out.push(Crossing { old: item, new: None, merge_type: String::new() });
            continue;
        };
        for l in links {
            let of_code = periods.get(l.successor.as_str()).map(Vec::as_slice).unwrap_or_default();
            let new = of_code.iter().find(|p| p.valid_from > item.valid_to).or(of_code.last()).map(|p| (*p).clone());
            out.push(Crossing { old: item.clone(), new, merge_type: l.merge_type.clone() });
        }
    }
    out
}

#[derive(Template)]
#[template(path = "console/catalog_crosswalk.html")]
struct CrosswalkPage {
    w: &'static Words,
    person: Option<Person>,
    catalog: CatalogRow,
    as_of: String,
    parent: String,
    /// The parents with items on the day: (code, name).
    parents: Vec<(String, String)>,
    rows: Vec<Crossing>,
}

/// `GET /catalogs/{id}/crosswalk?parent=&as_of=&format=csv`: by default the day before the
/// catalog's codes were last replaced (2025-06-30 for communes).
pub(super) async fn crosswalk(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let store = &state.store;
    let catalog = match store.catalog(&id).await {
        Ok(Some(c)) => c,
        Ok(None) => return (StatusCode::NOT_FOUND, format!("no catalog '{id}'")).into_response(),
        Err(e) => return server_error(&e),
    };
    let (all, links) = match (store.catalog_items(&id).await, store.catalog_all_successors(&id).await) {
        (Ok(a), Ok(l)) => (a, l),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let replaced: std::collections::HashSet<&str> = links.iter().map(|l| l.code.as_str()).collect();
    // A replaced code may name another unit after the reform: its open period does not count.
    let last_day = all
        .iter()
        .filter(|i| replaced.contains(i.code.as_str()) && i.valid_to.as_str() < crate::store::ALWAYS_TO)
        .map(|i| i.valid_to.clone())
        .max()
        .unwrap_or_default();
    let as_of = match q.get("as_of").map(|d| d.trim()).filter(|d| !d.is_empty()) {
        None if !last_day.is_empty() => last_day,
        None => crate::catalog::today(),
        Some(d) => match crate::catalog::parse_date(d) {
            Ok(d) => d,
            Err(_) => {
                return (StatusCode::BAD_REQUEST, format!("'{d}' is not a date: write yyyy-mm-dd")).into_response()
            }
        },
    };
    let on_day: Vec<CatalogItem> =
        all.iter().filter(|i| i.valid_from <= as_of && i.valid_to >= as_of).cloned().collect();
    let parent_names = match &catalog.parent_catalog {
        Some(p) => store.catalog_items_as_of(p, &as_of, None).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let names: HashMap<&str, &str> = parent_names.iter().map(|p| (p.code.as_str(), p.name.as_str())).collect();
    // In code order (a set of codes), each with its name.
    let parents: Vec<(String, String)> = on_day
        .iter()
        .filter_map(|i| i.parent_code.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|code| {
            let name = names.get(code.as_str()).unwrap_or(&"").to_string();
            (code, name)
        })
        .collect();
    let parent = q.get("parent").map(|p| p.trim().to_string()).unwrap_or_default();
    let old: Vec<CatalogItem> =
        on_day.into_iter().filter(|i| i.parent_code.as_deref() == Some(parent.as_str())).collect();
    let rows = crossings(old, &links, &all);
    if q.get("format").map(String::as_str) == Some("csv") {
        return csv(&id, &parent, &as_of, &rows);
    }
    let data = CrosswalkPage { w: person.w, person: Some(person), catalog, as_of, parent, parents, rows };
    page(StatusCode::OK, &data)
}

/// The crosswalk as a CSV file (UTF-8 with a byte-order mark, so that Excel reads it as such).
fn csv(id: &str, parent: &str, as_of: &str, rows: &[Crossing]) -> Response {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header =
        ["old_code", "old_name", "old_parent", "old_valid_to", "new_code", "new_name", "new_parent", "merge_type"];
    let mut lines = vec![header.map(String::from).to_vec()];
    for r in rows {
        let new = r.new.as_ref();
        lines.push(vec![
            r.old.code.clone(),
            r.old.name.clone(),
            r.old.parent_code.clone().unwrap_or_default(),
            r.old.valid_to.clone(),
            new.map(|n| n.code.clone()).unwrap_or_default(),
            new.map(|n| n.name.clone()).unwrap_or_default(),
            new.and_then(|n| n.parent_code.clone()).unwrap_or_default(),
            r.merge_type.clone(),
        ]);
    }
    for line in lines {
        if let Err(e) = w.write_record(&line) {
            return server_error(&e);
        }
    }
    let bytes = match w.into_inner() {
        Ok(b) => b,
        Err(e) => return server_error(&e.to_string()),
    };
    super::download(bytes, "text/csv; charset=utf-8", &format!("{id}-crosswalk-{parent}-{as_of}.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, name: &str, parent: &str, from: &str, to: &str) -> CatalogItem {
        CatalogItem {
            code: code.into(),
            valid_from: from.into(),
            valid_to: to.into(),
            name: name.into(),
            parent_code: Some(parent.into()),
            level: None,
            attrs: "{}".into(),
        }
    }

    #[test]
    fn each_old_item_meets_its_successors_in_the_period_after_it_ended() {
        let old_a = item("001", "Xã A", "49", "0001-01-01", "2025-06-30");
        let old_b = item("002", "Xã B", "49", "0001-01-01", "2025-06-30");
        let old_c = item("003", "Xã C", "49", "0001-01-01", "2025-06-30");
        // 001 is also a code after the reform, for another unit.
        let new_a = item("001", "Phường Mới", "48", "2025-07-01", "9999-12-31");
        let new_d = item("004", "Xã D", "48", "2025-07-01", "9999-12-31");
        let all = vec![old_a.clone(), new_a, old_b.clone(), old_c.clone(), new_d];
        let link = |from: &str, to: &str, kind: &str| Successor {
            code: from.into(),
            successor: to.into(),
            merge_type: kind.into(),
        };
        let links = [link("001", "001", "full"), link("002", "001", "partial"), link("002", "004", "partial")];
        let rows = crossings(vec![old_a, old_b, old_c], &links, &all);
        let seen: Vec<(String, String, String, String)> = rows
            .iter()
            .map(|r| {
                let n = r.new.as_ref();
                (
                    r.old.code.clone(),
                    n.map(|n| n.code.clone()).unwrap_or_default(),
                    n.map(|n| n.name.clone()).unwrap_or_default(),
                    r.merge_type.clone(),
                )
            })
            .collect();
        let expect = |a: &str, b: &str, c: &str, d: &str| (a.to_string(), b.to_string(), c.to_string(), d.to_string());
        assert_eq!(
            seen,
            [
                expect("001", "001", "Phường Mới", "full"),
                expect("002", "001", "Phường Mới", "partial"),
                expect("002", "004", "Xã D", "partial"),
                expect("003", "", "", ""),
            ]
        );
    }
}
