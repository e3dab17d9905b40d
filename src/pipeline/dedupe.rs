//! Dedupe (exact): rows with the same business key collapse into the one chosen by the
//! survivorship rule; what collapsed into what is kept.

use super::spec::{Survivorship, SurvivorshipSpec};
use super::transform::LINE;
use polars::prelude::*;

/// Column naming, for a collapsed row, the line of the row that survived.
pub(crate) const KEPT_LINE: &str = "_kept_line";

/// The outcome of exact deduplication.
pub(crate) struct Deduped {
    /// One row per business key, sorted by key.
    pub(crate) rows: DataFrame,
    /// Collapsed rows: key columns, their `_line` and the surviving `_kept_line`.
    pub(crate) collapsed: DataFrame,
}

/// The order deduplication ranks rows in: the key, then the survivorship field and the line as
/// `rule` wants them, nulls last, so that the first row of each key is the one that survives.
/// Column names, and whether each is descending.
pub(crate) fn order(key: &[String], rule: &SurvivorshipSpec) -> (Vec<String>, Vec<bool>) {
    let mut by = key.to_vec();
    let mut desc = vec![false; key.len()];
    match (rule.rule, &rule.field) {
        (Survivorship::Latest, Some(f)) => {
            by.push(f.clone());
            desc.push(true);
        }
        (Survivorship::Earliest, Some(f)) => {
            by.push(f.clone());
            desc.push(false);
        }
        _ => {}
    }
    by.push(LINE.to_string());
    desc.push(rule.rule != Survivorship::First);
    (by, desc)
}

/// Sort options for [`order`]'s columns.
pub(crate) fn sort_options(desc: Vec<bool>) -> SortMultipleOptions {
    let n = desc.len();
    SortMultipleOptions::default().with_order_descending_multi(desc).with_nulls_last_multi(vec![true; n])
}

/// Collapses `valid` on `key` by `rule`.
pub(crate) fn dedupe(valid: DataFrame, key: &[String], rule: &SurvivorshipSpec) -> PolarsResult<Deduped> {
    let (by, desc) = order(key, rule);
    let sorted = valid
        .lazy()
        .sort_by_exprs(by.iter().map(|c| col(c.as_str())).collect::<Vec<_>>(), sort_options(desc))
        .collect()?;
    let first = first_of_group(&sorted, key)?;
    let rows = sorted.filter(&first)?;
    let dropped = sorted.filter(&!&first)?;
    let keys: Vec<Expr> = key.iter().map(|k| col(k.as_str())).collect();
    let mut kept_cols = keys.clone();
    kept_cols.push(col(LINE).alias(KEPT_LINE));
    let mut dropped_cols = keys.clone();
    dropped_cols.push(col(LINE));
    let collapsed = dropped
        .lazy()
        .select(dropped_cols)
        .join(rows.clone().lazy().select(kept_cols), keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .collect()?;
    Ok(Deduped { rows, collapsed })
}

/// True for the first row of each run of equal keys in a frame sorted by `key`.
fn first_of_group(df: &DataFrame, key: &[String]) -> PolarsResult<BooleanChunked> {
    let mut first = BooleanChunked::full("first".into(), df.height() > 0, df.height());
    if df.height() == 0 {
        return Ok(first);
    }
    let mut any_diff: Option<BooleanChunked> = None;
    for k in key {
        let c = df.column(k)?.as_materialized_series();
        let prev = c.shift(1);
        let diff = c.not_equal_missing(&prev)?;
        any_diff = Some(match any_diff {
            None => diff,
            Some(a) => &a | &diff,
        });
    }
    if let Some(d) = any_diff {
        first = d;
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df!(
            "k" => ["a", "b", "a", "a"],
            "t" => [1i64, 5, 3, 2],
            LINE => [2i64, 3, 4, 5]
        )
        .unwrap()
    }

    #[test]
    fn latest_keeps_greatest_field_and_records_what_collapsed() {
        let rule = SurvivorshipSpec { rule: Survivorship::Latest, field: Some("t".into()) };
        let d = dedupe(frame(), &["k".into()], &rule).unwrap();
        assert_eq!(d.rows.height(), 2);
        let lines: Vec<_> = d.rows.column(LINE).unwrap().i64().unwrap().iter().flatten().collect();
        assert_eq!(lines, vec![4, 3]);
        let kept: Vec<_> = d.collapsed.column(KEPT_LINE).unwrap().i64().unwrap().iter().flatten().collect();
        assert_eq!(kept, vec![4, 4]);
    }

    #[test]
    fn first_keeps_earliest_line() {
        let rule = SurvivorshipSpec { rule: Survivorship::First, field: None };
        let d = dedupe(frame(), &["k".into()], &rule).unwrap();
        let lines: Vec<_> = d.rows.column(LINE).unwrap().i64().unwrap().iter().flatten().collect();
        assert_eq!(lines, vec![2, 3]);
        assert_eq!(d.collapsed.height(), 2);
    }
}
