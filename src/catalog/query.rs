//! Catalog queries as of a date: look a code up, resolve an old code to current ones, search
//! names ignoring diacritics, case and tone placement, list children.

use super::{Error, Result};
use crate::store::{CatalogItem, Store};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// The answer to "what is this code on date D?".
#[derive(Debug, Clone, Serialize)]
pub struct Lookup {
    pub(crate) catalog: String,
    pub(crate) code: String,
    pub(crate) as_of: String,
    /// `valid`, `retired`, `not_yet_valid` or `unknown`.
    pub status: String,
    /// The item valid on the date, or the last one before it.
    pub item: Option<CatalogItem>,
    /// First day the code was no longer valid (for `retired`).
    pub retired_on: Option<String>,
    /// Codes valid today that replaced it (for `retired`).
    pub successors: Vec<Candidate>,
    /// One-line answer.
    pub message: String,
}

/// A current code an old one resolves to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Candidate {
    pub code: String,
    pub name: String,
    /// `full` when the whole old unit went into this one; otherwise how it did (`partial`, ...).
    pub merge_type: String,
}

async fn known(store: &Store, catalog: &str) -> Result<()> {
    match store.catalog(catalog).await? {
        Some(_) => Ok(()),
        None => Err(Error::Unknown(catalog.to_string())),
    }
}

fn next_day(date: &str) -> String {
    crate::text::date::parse_date(date)
        .ok()
        .and_then(|d| d.succ_opt())
        .map(|d| d.to_string())
        .unwrap_or_else(|| date.to_string())
}

/// Looks `code` up as of `as_of` (`yyyy-mm-dd`).
pub async fn lookup(store: &Store, catalog: &str, code: &str, as_of: &str) -> Result<Lookup> {
    let index = folded_names(store, catalog).await?;
    let periods: Vec<CatalogItem> =
        index.by_code.get(code).into_iter().flatten().map(|&i| index.names[i].1.clone()).collect();
    let mut l = Lookup {
        catalog: catalog.into(),
        code: code.into(),
        as_of: as_of.into(),
        status: "unknown".into(),
        item: None,
        retired_on: None,
        successors: vec![],
        message: format!("{code} is not a code of {catalog}"),
    };
    if let Some(p) = periods.iter().find(|p| p.valid_from.as_str() <= as_of && as_of <= p.valid_to.as_str()) {
        l.status = "valid".into();
        l.message = format!("{code} {} is valid on {as_of}", p.name);
        l.item = Some(p.clone());
    } else if let Some(p) =
        periods.iter().filter(|p| p.valid_to.as_str() < as_of).max_by(|a, b| a.valid_to.cmp(&b.valid_to))
    {
        l.status = "retired".into();
        l.retired_on = Some(next_day(&p.valid_to));
        l.successors = resolve(store, catalog, code, Some(&p.valid_to), as_of).await?;
        let to: Vec<String> = l.successors.iter().map(|c| format!("{} {}", c.code, c.name)).collect();
        l.message = format!(
            "{code} {} was retired on {}, succeeded by {}",
            p.name,
            next_day(&p.valid_to),
            if to.is_empty() { "no code".into() } else { to.join(" / ") }
        );
        l.item = Some(p.clone());
    } else if let Some(p) = periods.first() {
        l.status = "not_yet_valid".into();
        l.message = format!("{code} {} is valid only from {}", p.name, p.valid_from);
        l.item = Some(p.clone());
    }
    Ok(l)
}

/// The codes valid on `as_of` that `code` (as it was on `at`, default: its latest period)
/// became, following successor links; several candidates when the unit was split.
pub async fn resolve(
    store: &Store,
    catalog: &str,
    code: &str,
    at: Option<&str>,
    as_of: &str,
) -> Result<Vec<Candidate>> {
    known(store, catalog).await?;
    let valid_now = |periods: &[CatalogItem]| {
        periods.iter().find(|p| p.valid_from.as_str() <= as_of && as_of <= p.valid_to.as_str()).cloned()
    };
    let periods = store.catalog_code(catalog, code).await?;
    let same_period = match at {
        Some(d) => periods.iter().any(|p| {
            p.valid_from.as_str() <= d
                && d <= p.valid_to.as_str()
                && p.valid_from.as_str() <= as_of
                && as_of <= p.valid_to.as_str()
        }),
        None => valid_now(&periods).is_some(),
    };
    if same_period {
        let p = valid_now(&periods).unwrap_or_else(|| periods[0].clone());
        return Ok(vec![Candidate { code: code.into(), name: p.name, merge_type: "same".into() }]);
    }
    let mut out: BTreeMap<String, Candidate> = BTreeMap::new();
    let mut frontier = vec![(code.to_string(), "full".to_string())];
    let mut visited = HashSet::new();
    while let Some((c, merge)) = frontier.pop() {
        if !visited.insert(c.clone()) || visited.len() > 64 {
            continue;
        }
        for s in store.catalog_successors(catalog, &c).await? {
            let m = if merge == "full" && (s.merge_type.is_empty() || s.merge_type == "full") {
                "full".to_string()
            } else {
                non_empty(&s.merge_type, &merge)
            };
            match valid_now(&store.catalog_code(catalog, &s.successor).await?) {
                Some(item) => {
                    out.entry(s.successor.clone()).or_insert(Candidate {
                        code: s.successor.clone(),
                        name: item.name,
                        merge_type: m,
                    });
                }
                None => frontier.push((s.successor.clone(), m)),
            }
        }
    }
    Ok(out.into_values().collect())
}

fn non_empty(a: &str, b: &str) -> String {
    if a.is_empty() || a == "full" {
        b.to_string()
    } else {
        a.to_string()
    }
}

/// A catalog's items in memory: folded names for search, positions by code for lookups.
pub(crate) struct CatalogIndex {
    names: Vec<(String, CatalogItem)>,
    by_code: HashMap<String, Vec<usize>>,
}

type Folded = Arc<CatalogIndex>;

/// Folded names of each catalog's items, kept per process and reloaded when the catalog's
/// version changes.
static NAMES: OnceLock<Mutex<HashMap<String, (i64, Folded)>>> = OnceLock::new();

async fn folded_names(store: &Store, catalog: &str) -> Result<Folded> {
    let version = store.catalog(catalog).await?.ok_or_else(|| Error::Unknown(catalog.to_string()))?.current_version;
    let cache = NAMES.get_or_init(Default::default);
    // A poisoned cache (a panic while it was updated) is only a miss: the names are read again.
    if let Some((v, names)) = cache.lock().ok().and_then(|c| c.get(catalog).cloned()) {
        if v == version {
            return Ok(names);
        }
    }
    // One load at a time: concurrent first requests wait for it instead of all loading.
    static FILL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _filling = FILL.lock().await;
    if let Some((v, names)) = cache.lock().ok().and_then(|c| c.get(catalog).cloned()) {
        if v == version {
            return Ok(names);
        }
    }
    let items = store.catalog_items(catalog).await?;
    let mut by_code: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        by_code.entry(it.code.clone()).or_default().push(i);
    }
    let names: Folded =
        Arc::new(CatalogIndex { names: items.into_iter().map(|i| (crate::text::fold(&i.name), i)).collect(), by_code });
    if let Ok(mut c) = cache.lock() {
        c.insert(catalog.to_string(), (version, names.clone()));
    }
    Ok(names)
}

/// Items valid on `as_of` whose name contains every word of `text`, folded, by code.
pub async fn search(store: &Store, catalog: &str, text: &str, as_of: &str, limit: i64) -> Result<Vec<CatalogItem>> {
    let names = folded_names(store, catalog).await?;
    let query = crate::text::fold(text);
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut found: Vec<CatalogItem> = names
        .names
        .iter()
        .filter(|(n, i)| {
            i.valid_from.as_str() <= as_of && as_of <= i.valid_to.as_str() && words.iter().all(|w| n.contains(w))
        })
        .map(|(_, i)| i.clone())
        .collect();
    found.sort_by(|a, b| a.code.cmp(&b.code));
    found.truncate(limit.max(0) as usize);
    Ok(found)
}

/// Items valid on `as_of` whose parent is `code`.
pub async fn children(store: &Store, catalog: &str, code: &str, as_of: &str) -> Result<Vec<CatalogItem>> {
    known(store, catalog).await?;
    Ok(store.catalog_items_as_of(catalog, as_of, Some(code)).await?)
}
