//! An in-memory code table of one catalog, for pipelines: which codes are valid on a date, and
//! what an old code is now.

use crate::store::Store;
use std::collections::BTreeSet;

/// What an old code is today.
#[derive(Debug, Clone, PartialEq)]
pub enum Current {
    /// The code is valid today (or unknown to the catalog): keep it.
    Keep,
    /// Replaced by exactly one code valid today.
    One(String),
    /// Split: several codes valid today.
    Many(Vec<String>),
}

/// Validity periods and successors of every code of a catalog.
#[derive(Debug, Default)]
pub struct CodeTable {
    periods: foldhash::HashMap<String, Vec<(String, String)>>,
    successors: foldhash::HashMap<String, Vec<String>>,
    today: String,
}

impl CodeTable {
    /// Reads a catalog from the store; `today` is the date "now" means (`yyyy-mm-dd`).
    pub async fn load(store: &Store, catalog: &str, today: &str) -> crate::store::Result<CodeTable> {
        let mut t = CodeTable { today: today.to_string(), ..Default::default() };
        for it in store.catalog_items(catalog).await? {
            t.periods.entry(it.code).or_default().push((it.valid_from, it.valid_to));
        }
        for s in store.catalog_all_successors(catalog).await? {
            t.successors.entry(s.code).or_default().push(s.successor);
        }
        Ok(t)
    }

    /// True when `code` is valid on `date` (`yyyy-mm-dd`).
    pub fn valid_on(&self, code: &str, date: &str) -> bool {
        self.periods.get(code).is_some_and(|ps| ps.iter().any(|(f, t)| f.as_str() <= date && date <= t.as_str()))
    }

    /// True when `code` is valid today.
    pub fn valid_today(&self, code: &str) -> bool {
        self.valid_on(code, &self.today)
    }

    /// What `code` is today, following successor links.
    pub fn current(&self, code: &str) -> Current {
        self.current_on(code, &self.today.clone())
    }

    /// What `code` is on `date`, following successor links.
    pub fn current_on(&self, code: &str, date: &str) -> Current {
        if self.valid_on(code, date) || !self.periods.contains_key(code) {
            return Current::Keep;
        }
        let mut found = BTreeSet::new();
        let mut frontier = vec![code.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(c) = frontier.pop() {
            if !seen.insert(c.clone()) || seen.len() > 64 {
                continue;
            }
            for s in self.successors.get(&c).into_iter().flatten() {
                if self.valid_on(s, date) {
                    found.insert(s.clone());
                } else {
                    frontier.push(s.clone());
                }
            }
        }
        match found.len() {
            0 => Current::Keep,
            1 => Current::One(found.into_iter().next().unwrap_or_default()),
            _ => Current::Many(found.into_iter().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CodeTable {
        let mut t = CodeTable { today: "2026-01-01".into(), ..Default::default() };
        let old = ("0001-01-01".to_string(), "2025-06-30".to_string());
        let new = ("2025-07-01".to_string(), "9999-12-31".to_string());
        t.periods.insert("A".into(), vec![old.clone()]);
        t.periods.insert("B".into(), vec![old]);
        t.periods.insert("X".into(), vec![new.clone()]);
        t.periods.insert("Y".into(), vec![new]);
        t.successors.insert("A".into(), vec!["X".into()]);
        t.successors.insert("B".into(), vec!["X".into(), "Y".into()]);
        t
    }

    #[test]
    fn old_codes_become_their_successors_and_splits_list_candidates() {
        let t = table();
        assert_eq!(t.current("A"), Current::One("X".into()));
        assert_eq!(t.current("B"), Current::Many(vec!["X".into(), "Y".into()]));
        assert_eq!(t.current("X"), Current::Keep);
        assert!(t.valid_on("A", "2025-06-30") && !t.valid_on("A", "2025-07-01"));
    }
}
