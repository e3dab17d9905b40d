//! An in-memory code table of one catalog, for pipelines: which codes are valid on a date, and
//! what an old code is now.

use crate::store::Store;
use std::collections::BTreeSet;

/// What an old code is today.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Current {
    /// The code is valid today (or unknown to the catalog): keep it.
    Keep,
    /// Replaced by exactly one code valid today.
    One(String),
    /// Split: several codes valid today.
    Many(Vec<String>),
}

/// Validity periods and successors of every code of a catalog.
#[derive(Debug, Default)]
pub(crate) struct CodeTable {
    /// Validity periods, inclusive, as days since 1970-01-01.
    periods: foldhash::HashMap<String, Vec<(i32, i32)>>,
    successors: foldhash::HashMap<String, Vec<String>>,
    today: String,
    today_day: i32,
}

/// Days since 1970-01-01 of a `yyyy-mm-dd` date (`None` when it is not one).
pub(crate) fn epoch_day(date: &str) -> Option<i32> {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    i32::try_from(d.signed_duration_since(chrono::NaiveDate::default()).num_days()).ok()
}

impl CodeTable {
    /// Reads a catalog from the store; `today` is the date "now" means (`yyyy-mm-dd`).
    pub(crate) async fn load(store: &Store, catalog: &str, today: &str) -> crate::store::Result<CodeTable> {
        let mut t = CodeTable {
            today: today.to_string(),
            // Callers pass `catalog::today()`, always a `yyyy-mm-dd` date.
            today_day: epoch_day(today).unwrap_or_default(),
            ..Default::default()
        };
        for it in store.catalog_items(catalog).await? {
            t.add_period(it.code, &it.valid_from, &it.valid_to);
        }
        for s in store.catalog_all_successors(catalog).await? {
            t.successors.entry(s.code).or_default().push(s.successor);
        }
        Ok(t)
    }

    fn add_period(&mut self, code: String, from: &str, to: &str) {
        let (from, to) = (epoch_day(from).unwrap_or(i32::MIN), epoch_day(to).unwrap_or(i32::MAX));
        self.periods.entry(code).or_default().push((from, to));
    }

    /// True when `code` is valid on `date` (`yyyy-mm-dd`).
    pub(crate) fn valid_on(&self, code: &str, date: &str) -> bool {
        epoch_day(date).is_some_and(|day| self.valid_on_day(code, day))
    }

    /// True when `code` is valid on `day` (days since 1970-01-01).
    pub(crate) fn valid_on_day(&self, code: &str, day: i32) -> bool {
        self.periods.get(code).is_some_and(|ps| ps.iter().any(|(f, t)| *f <= day && day <= *t))
    }

    /// True when `code` is valid today.
    pub(crate) fn valid_today(&self, code: &str) -> bool {
        self.valid_on_day(code, self.today_day)
    }

    /// What `code` is today, following successor links.
    pub(crate) fn current(&self, code: &str) -> Current {
        self.current_on(code, &self.today.clone())
    }

    /// What `code` is on `date`, following successor links.
    pub(crate) fn current_on(&self, code: &str, date: &str) -> Current {
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
        let mut t = CodeTable {
            today: "2026-01-01".into(),
            today_day: epoch_day("2026-01-01").unwrap_or_default(),
            ..Default::default()
        };
        t.add_period("A".into(), "0001-01-01", "2025-06-30");
        t.add_period("B".into(), "0001-01-01", "2025-06-30");
        t.add_period("X".into(), "2025-07-01", "9999-12-31");
        t.add_period("Y".into(), "2025-07-01", "9999-12-31");
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
        assert!(!t.valid_today("A") && t.valid_today("X") && !t.valid_on("X", "2025-13-01"));
        assert_eq!(epoch_day("1970-01-02"), Some(1));
        assert_eq!(epoch_day("2025-07-01"), Some(20_270));
        assert!(t.valid_on_day("X", 20_270) && !t.valid_on_day("X", 20_269) && !t.valid_on_day("Q", 20_270));
    }
}
