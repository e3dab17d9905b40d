//! Name → code: turn a written place ("Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng") into a catalog
//! code with a confidence, by folded names, the parent unit and the district named in the text.

use super::{query, Error, Result};
use crate::store::{CatalogItem, Store};
use serde::Serialize;

/// The result of matching a written name.
#[derive(Debug, Clone, Serialize)]
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

const PREFIXES: &[&str] = &[
    "thanh pho ", "thi tran ", "thi xa ", "dac khu ", "phuong ", "huyen ", "quan ", "tinh ", "tp. ", "tp ", "xa ",
];

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

fn attr<'a>(item: &'a CatalogItem, key: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(&item.attrs).ok()?.get(key)?.as_str().map(str::to_string)
}

/// Matches `text` against the names of `catalog` as of `as_of`.
pub async fn match_name(store: &Store, catalog: &str, text: &str, as_of: &str) -> Result<NameMatch> {
    let row = store.catalog(catalog).await?.ok_or_else(|| Error::Unknown(catalog.to_string()))?;
    let parts: Vec<String> = text.split([',', ';']).map(core).filter(|p| !p.is_empty()).collect();
    let none = NameMatch { code: None, name: None, confidence: 0.0, candidates: vec![] };
    let Some(first) = parts.first() else { return Ok(none) };
    let items = store.catalog_items(catalog).await?;
    let parents = match &row.parent_catalog {
        Some(p) => store.catalog_items(p).await?,
        None => vec![],
    };
    let parent_names = |code: &Option<String>| -> Vec<String> {
        parents.iter().filter(|p| Some(&p.code) == code.as_ref()).map(|p| core(&p.name)).collect()
    };
    let rest = &parts[1..];
    let named: Vec<&CatalogItem> = items.iter().filter(|i| core(&i.name) == *first).collect();
    let now: Vec<&CatalogItem> = named.iter().copied().filter(|i| i.valid_from.as_str() <= as_of && as_of <= i.valid_to.as_str()).collect();
    let (pool, earlier) = if now.is_empty() { (named, true) } else { (now, false) };
    let score = |i: &CatalogItem| -> usize {
        let mut s = 0;
        if rest.iter().any(|r| parent_names(&i.parent_code).contains(r)) {
            s += 2;
        }
        if let Some(d) = attr(i, "district_name") {
            if rest.contains(&core(&d)) {
                s += 1;
            }
        }
        s
    };
    let best = pool.iter().map(|i| score(i)).max().unwrap_or(0);
    let kept: Vec<&CatalogItem> = pool.iter().copied().filter(|i| score(i) == best).collect();
    let mut codes: Vec<String> = Vec::new();
    for i in &kept {
        if earlier {
            for c in query::resolve(store, catalog, &i.code, Some(&i.valid_to), as_of).await? {
                codes.push(c.code);
            }
        } else {
            codes.push(i.code.clone());
        }
    }
    codes.sort();
    codes.dedup();
    if codes.is_empty() {
        return Ok(none);
    }
    let mut confidence: f64 = if codes.len() == 1 { 1.0 } else { 1.0 / codes.len() as f64 };
    if best == 0 && !rest.is_empty() {
        confidence *= 0.6;
    } else if rest.is_empty() {
        confidence *= 0.9;
    }
    if earlier {
        confidence *= 0.9;
    }
    let chosen = (codes.len() == 1).then(|| codes[0].clone());
    let name = match &chosen {
        Some(c) => query::lookup(store, catalog, c, as_of).await?.item.map(|i| i.name),
        None => None,
    };
    Ok(NameMatch { code: chosen, name, confidence: (confidence * 100.0).round() / 100.0, candidates: codes })
}
