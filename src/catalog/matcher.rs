//! Name → code: turn a written place ("Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng") into a catalog
//! code with a confidence, by folded names, the parent unit and the district named in the text.

use super::table::{CodeTable, Current};
use super::{Error, Result};
use crate::store::{CatalogItem, Store};
use serde::Serialize;

/// The result of matching a written name.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NameMatch {
    /// The code chosen (valid on the as-of date), when one stands out.
    pub code: Option<String>,
    /// Its official name.
    pub name: Option<String>,
    /// 0 to 1: 1 = unique by name and parent; lower when the parent was not given, the name
    /// was found only in an earlier period, or several units remain.
    pub confidence: f64,
    /// Every remaining candidate code (valid on the as-of date).
    pub candidates: Vec<String>,
}

const PREFIXES: &[&str] =
    &["thanh pho ", "thi tran ", "thi xa ", "dac khu ", "phuong ", "huyen ", "quan ", "tinh ", "tp. ", "tp ", "xa "];

/// Folded name without its unit type ("Xã", "Phường", "Tỉnh", ...).
fn core(s: &str) -> String {
    let f = crate::text::fold(s);
    for p in PREFIXES {
        if let Some(rest) = f.strip_prefix(p) {
            return rest.trim().to_string();
        }
    }
    f
}

/// A catalog's names, its parent catalog's names and its code table, in memory.
pub(crate) struct NameIndex {
    items: Vec<(String, Option<String>, CatalogItem)>,
    parents: Vec<(String, String)>,
    table: CodeTable,
}

impl NameIndex {
    /// Reads `catalog` (and its parent catalog) from the store.
    pub(crate) async fn load(store: &Store, catalog: &str) -> Result<NameIndex> {
        let row = store.catalog(catalog).await?.ok_or_else(|| Error::Unknown(catalog.to_string()))?;
        let district = |i: &CatalogItem| {
            serde_json::from_str::<serde_json::Value>(&i.attrs).ok()?.get("district_name")?.as_str().map(core)
        };
        let items = store.catalog_items(catalog).await?.into_iter().map(|i| (core(&i.name), district(&i), i)).collect();
        let parents = match &row.parent_catalog {
            Some(p) => store.catalog_items(p).await?.into_iter().map(|i| (i.code.clone(), core(&i.name))).collect(),
            None => vec![],
        };
        Ok(NameIndex { items, parents, table: CodeTable::load(store, catalog, &super::today()).await? })
    }

    /// Matches `text` as of `as_of` (`yyyy-mm-dd`).
    pub(crate) fn find(&self, text: &str, as_of: &str) -> NameMatch {
        let parts: Vec<String> = text.split([',', ';']).map(core).filter(|p| !p.is_empty()).collect();
        let none = NameMatch { code: None, name: None, confidence: 0.0, candidates: vec![] };
        let Some(first) = parts.first() else { return none };
        let rest = &parts[1..];
        let named: Vec<_> = self.items.iter().filter(|(n, _, _)| n == first).collect();
        let now: Vec<_> = named
            .iter()
            .copied()
            .filter(|(_, _, i)| i.valid_from.as_str() <= as_of && as_of <= i.valid_to.as_str())
            .collect();
        let (pool, earlier) = if now.is_empty() { (named, true) } else { (now, false) };
        let score = |(_, district, i): &(String, Option<String>, CatalogItem)| -> usize {
            let parent = self.parents.iter().any(|(c, n)| Some(c) == i.parent_code.as_ref() && rest.contains(n));
            2 * parent as usize + district.as_ref().is_some_and(|d| rest.contains(d)) as usize
        };
        let best = pool.iter().map(|e| score(e)).max().unwrap_or(0);
        let mut codes: Vec<String> = Vec::new();
        for (_, _, i) in pool.iter().copied().filter(|e| score(e) == best) {
            match (earlier, self.table.current_on(&i.code, as_of)) {
                (false, _) | (true, Current::Keep) => codes.push(i.code.clone()),
                (true, Current::One(c)) => codes.push(c),
                (true, Current::Many(cs)) => codes.extend(cs),
            }
        }
        codes.sort();
        codes.dedup();
        if codes.is_empty() {
            return none;
        }
        let mut confidence: f64 = 1.0 / codes.len() as f64;
        if best == 0 && !rest.is_empty() {
            confidence *= 0.6;
        } else if rest.is_empty() {
            confidence *= 0.9;
        }
        if earlier {
            confidence *= 0.9;
        }
        let code = (codes.len() == 1).then(|| codes[0].clone());
        let name = code.as_ref().and_then(|c| {
            self.items
                .iter()
                .find(|(_, _, i)| &i.code == c && i.valid_from.as_str() <= as_of && as_of <= i.valid_to.as_str())
                .map(|(_, _, i)| i.name.clone())
        });
        NameMatch { code, name, confidence: (confidence * 100.0).round() / 100.0, candidates: codes }
    }
}

/// Matches `text` against the names of `catalog` as of `as_of`.
pub async fn match_name(store: &Store, catalog: &str, text: &str, as_of: &str) -> Result<NameMatch> {
    Ok(NameIndex::load(store, catalog).await?.find(text, as_of))
}
