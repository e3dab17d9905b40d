//! Changes: compare the deduplicated extract with the current master version by business key
//! and row hash, giving inserts, updates (pre- and post-image) and deletes, and the new snapshot.

use super::spec::ExtractMode;
use super::transform::ROW_HASH;
use polars::prelude::*;

/// Column naming the kind of a change row.
pub const CHANGE_TYPE: &str = "_change_type";
const PREV_HASH: &str = "_prev_hash";
const ORDER: &str = "_order";

/// The change set of a version and its counts.
pub struct Changes {
    /// Fields + `_row_hash` + `_change_type` (`insert`, `update_preimage`, `update_postimage`,
    /// `delete`), sorted by key.
    pub frame: DataFrame,
    /// Keys added.
    pub inserted: usize,
    /// Keys whose values changed.
    pub updated: usize,
    /// Keys removed.
    pub deleted: usize,
    /// Keys absent from the valid rows of a full extract but kept at their previous version
    /// because their new row was quarantined.
    pub kept: usize,
}

impl Changes {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.inserted + self.updated + self.deleted == 0
    }
}

/// Brings a previous snapshot to the current schema (`schema` of the new rows): missing fields
/// become nulls, types are cast.
fn conform(prev: &DataFrame, schema: &Schema) -> LazyFrame {
    let exprs: Vec<Expr> = schema
        .iter()
        .map(|(name, dtype)| {
            if prev.schema().contains(name) {
                col(name.clone()).cast(dtype.clone())
            } else {
                lit(NULL).cast(dtype.clone()).alias(name.clone())
            }
        })
        .collect();
    prev.clone().lazy().select(exprs)
}

fn keys_of(key: &[String]) -> Vec<Expr> {
    key.iter().map(|k| col(k.as_str())).collect()
}

fn semi(lf: LazyFrame, keys: LazyFrame, key: &[String]) -> LazyFrame {
    lf.join(keys, keys_of(key), keys_of(key), JoinArgs::new(JoinType::Semi))
}

fn sort_by_key(lf: LazyFrame, key: &[String], extra: Option<&str>) -> LazyFrame {
    let mut by = keys_of(key);
    if let Some(e) = extra {
        by.push(col(e));
    }
    lf.sort_by_exprs(by, SortMultipleOptions::default().with_maintain_order(true))
}

/// Computes the changes from `prev` (the current snapshot, if any) to `new` (fields + row hash)
/// and the snapshot of the new version. Keys in `held` (key columns of quarantined rows) are
/// never deleted: their previous version stays.
pub fn compute(new: DataFrame, prev: Option<&DataFrame>, key: &[String], mode: ExtractMode, held: &DataFrame) -> PolarsResult<(Changes, DataFrame)> {
    if prev.is_none() {
        let inserted = new.height();
        let frame = new.clone().lazy().with_column(lit("insert").alias(CHANGE_TYPE)).collect()?;
        return Ok((Changes { frame, inserted, updated: 0, deleted: 0, kept: 0 }, new));
    }
    let schema = new.schema().clone();
    let prev = match prev {
        Some(p) => conform(p, &schema).collect()?,
        None => DataFrame::empty_with_schema(&schema),
    };
    let mut sel = keys_of(key);
    sel.push(col(ROW_HASH));
    let mut psel = keys_of(key);
    psel.push(col(ROW_HASH).alias(PREV_HASH));
    let how = if mode == ExtractMode::Full { JoinType::Full } else { JoinType::Left };
    let joined = new
        .clone()
        .lazy()
        .select(sel)
        .join(
            prev.clone().lazy().select(psel),
            keys_of(key),
            keys_of(key),
            JoinArgs::new(how).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
        .collect()?;
    let pick = |pred: Expr| joined.clone().lazy().filter(pred).select(keys_of(key));
    let ins = pick(col(PREV_HASH).is_null());
    let anti = |lf: LazyFrame, other: LazyFrame| lf.join(other, keys_of(key), keys_of(key), JoinArgs::new(JoinType::Anti));
    let held = if held.height() == 0 || held.width() != key.len() {
        DataFrame::empty_with_schema(&new.select(key.iter().map(|k| k.as_str()))?.schema().clone())
    } else {
        held.clone()
    };
    let del = anti(pick(col(ROW_HASH).is_null()), held.clone().lazy());
    let kept_rows = anti(semi(prev.clone().lazy(), held.lazy(), key), new.clone().lazy()).collect()?;
    let upd = pick(col(ROW_HASH).is_not_null().and(col(PREV_HASH).is_not_null()).and(col(ROW_HASH).neq(col(PREV_HASH))));
    let tag = |lf: LazyFrame, kind: &str, order: u8| {
        lf.with_columns([lit(kind).alias(CHANGE_TYPE), lit(order as u32).alias(ORDER)])
    };
    let parts = [
        tag(semi(new.clone().lazy(), ins, key), "insert", 0),
        tag(semi(prev.clone().lazy(), upd.clone(), key), "update_preimage", 1),
        tag(semi(new.clone().lazy(), upd, key), "update_postimage", 2),
        tag(semi(prev.clone().lazy(), del, key), "delete", 3),
    ];
    let frame = sort_by_key(concat(parts, UnionArgs::default())?, key, Some(ORDER))
        .drop(cols([ORDER]))
        .collect()?;
    let count = |kind: &str| -> PolarsResult<usize> {
        Ok(frame.column(CHANGE_TYPE)?.str()?.iter().filter(|v| *v == Some(kind)).count())
    };
    let changes = Changes {
        inserted: count("insert")?,
        updated: count("update_postimage")?,
        deleted: count("delete")?,
        kept: if mode == ExtractMode::Full { kept_rows.height() } else { 0 },
        frame,
    };
    let snapshot = match mode {
        ExtractMode::Full if kept_rows.height() == 0 => new,
        ExtractMode::Full => sort_by_key(concat([new.lazy(), kept_rows.lazy()], UnionArgs::default())?, key, None).collect()?,
        ExtractMode::Partial => {
            let kept = prev.lazy().join(new.clone().lazy(), keys_of(key), keys_of(key), JoinArgs::new(JoinType::Anti));
            sort_by_key(concat([kept, new.lazy()], UnionArgs::default())?, key, None).collect()?
        }
    };
    Ok((changes, snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(keys: &[&str], vals: &[i64]) -> DataFrame {
        let hashes: Vec<u64> = vals.iter().map(|v| *v as u64 * 7919).collect();
        df!("k" => keys, "v" => vals, ROW_HASH => hashes).unwrap()
    }

    fn kinds(c: &Changes) -> Vec<(String, String)> {
        let k = c.frame.column("k").unwrap().str().unwrap();
        let t = c.frame.column(CHANGE_TYPE).unwrap().str().unwrap();
        k.iter().zip(t.iter()).map(|(a, b)| (a.unwrap().to_string(), b.unwrap().to_string())).collect()
    }

    #[test]
    fn full_extract_gives_inserts_updates_and_deletes() {
        let prev = snap(&["a", "b", "c"], &[1, 2, 3]);
        let new = snap(&["a", "b", "d"], &[1, 20, 4]);
        let (c, s) = compute(new, Some(&prev), &["k".into()], ExtractMode::Full, &DataFrame::empty()).unwrap();
        assert_eq!((c.inserted, c.updated, c.deleted), (1, 1, 1));
        let pairs = kinds(&c);
        assert_eq!(pairs[0], ("b".into(), "update_preimage".into()));
        assert_eq!(pairs[1], ("b".into(), "update_postimage".into()));
        assert_eq!(pairs[2], ("c".into(), "delete".into()));
        assert_eq!(pairs[3], ("d".into(), "insert".into()));
        assert_eq!(s.height(), 3);
    }

    #[test]
    fn partial_extract_never_infers_deletes_and_merges_snapshot() {
        let prev = snap(&["a", "b", "c"], &[1, 2, 3]);
        let new = snap(&["b", "d"], &[20, 4]);
        let (c, s) = compute(new, Some(&prev), &["k".into()], ExtractMode::Partial, &DataFrame::empty()).unwrap();
        assert_eq!((c.inserted, c.updated, c.deleted), (1, 1, 0));
        let keys: Vec<_> = s.column("k").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(keys, vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn a_quarantined_key_keeps_its_previous_version() {
        let prev = snap(&["a", "b", "c"], &[1, 2, 3]);
        let new = snap(&["a"], &[1]);
        let held = df!("k" => ["b"]).unwrap();
        let (c, s) = compute(new, Some(&prev), &["k".into()], ExtractMode::Full, &held).unwrap();
        assert_eq!((c.inserted, c.updated, c.deleted, c.kept), (0, 0, 1, 1));
        let keys: Vec<_> = s.column("k").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(keys, vec!["a", "b"]);
    }

    #[test]
    fn identical_data_has_no_changes() {
        let prev = snap(&["a", "b"], &[1, 2]);
        let (c, _) = compute(prev.clone(), Some(&prev), &["k".into()], ExtractMode::Full, &DataFrame::empty()).unwrap();
        assert!(c.is_empty());
    }

    #[test]
    fn first_version_is_all_inserts() {
        let (c, _) = compute(snap(&["a"], &[1]), None, &["k".into()], ExtractMode::Full, &DataFrame::empty()).unwrap();
        assert_eq!((c.inserted, c.updated, c.deleted), (1, 0, 0));
    }
}
