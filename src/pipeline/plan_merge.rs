//! The change plan of a version with a previous one, by a single merge of two key-sorted sides:
//! the surviving new rows (sorted by deduplication) and the previous snapshot (written in key
//! order). One pass, no hash table and no sort. When a key type has no cheap order here, or a
//! side turns out not to be sorted, the caller falls back to its join.

use super::changes::{Plan, CHANGE, DELETE, INSERT, NONE, POSTIMAGE, PREIMAGE, PREV, SNAP};
use super::spec::ExtractMode;
use super::spill::{POS, RUN};
use super::transform::ROW_HASH;
use polars::prelude::*;
use std::cmp::Ordering;
use std::collections::HashSet;

/// One key column of one side, in a form that compares as Polars sorts it.
enum KeyCol {
    Str(StringChunked),
    Int(Vec<Option<i64>>),
}

impl KeyCol {
    fn of(c: &Column, as_type: &DataType) -> PolarsResult<Option<KeyCol>> {
        let c = if c.dtype() == as_type { c.clone() } else { c.cast(as_type)? };
        Ok(match as_type {
            DataType::String => Some(KeyCol::Str(c.str()?.rechunk().into_owned())),
            DataType::Int64 | DataType::Int32 | DataType::Date | DataType::Datetime(_, _) | DataType::Boolean => {
                let ints = c.to_physical_repr().cast(&DataType::Int64)?;
                Some(KeyCol::Int(ints.i64()?.iter().collect()))
            }
            _ => None,
        })
    }

    /// Compares row `i` of `self` with row `j` of `other` (same type); nulls sort last.
    fn cmp(&self, i: usize, other: &KeyCol, j: usize) -> Ordering {
        fn nulls_last<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) => a.cmp(&b),
                (None, None) => Ordering::Equal,
                (None, _) => Ordering::Greater,
                (_, None) => Ordering::Less,
            }
        }
        match (self, other) {
            (KeyCol::Str(a), KeyCol::Str(b)) => nulls_last(a.get(i), b.get(j)),
            (KeyCol::Int(a), KeyCol::Int(b)) => nulls_last(a[i], b[j]),
            _ => Ordering::Equal,
        }
    }

    fn text(&self, i: usize) -> String {
        match self {
            KeyCol::Str(a) => a.get(i).unwrap_or("").to_string(),
            KeyCol::Int(a) => a[i].map(|v| v.to_string()).unwrap_or_default(),
        }
    }
}

fn cmp_rows(a: &[KeyCol], i: usize, b: &[KeyCol], j: usize) -> Ordering {
    a.iter().zip(b).map(|(x, y)| x.cmp(i, y, j)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

fn key_cols(df: &DataFrame, key: &[String], types: &[DataType]) -> PolarsResult<Option<Vec<KeyCol>>> {
    let mut out = Vec::with_capacity(key.len());
    for (k, t) in key.iter().zip(types) {
        match KeyCol::of(df.column(k)?, t)? {
            Some(c) => out.push(c),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

fn text_key(cols: &[KeyCol], i: usize) -> Vec<String> {
    cols.iter().map(|c| c.text(i)).collect()
}

/// The plan, or `None` when the sides cannot be merged (see the module's note).
pub(crate) fn plan(
    new: &DataFrame,
    prev: &DataFrame,
    key: &[String],
    mode: ExtractMode,
    held: &DataFrame,
) -> PolarsResult<Option<Plan>> {
    let types: Vec<DataType> =
        key.iter().map(|k| new.column(k).map(|c| c.dtype().clone())).collect::<PolarsResult<_>>()?;
    let (Some(a), Some(b)) = (key_cols(new, key, &types)?, key_cols(prev, key, &types)?) else {
        return Ok(None);
    };
    // Each side's rows must come in strictly increasing key order.
    let unsorted = |side: &[KeyCol], len: usize| (1..len).any(|k| cmp_rows(side, k - 1, side, k).is_ge());
    if unsorted(&a, new.height()) || unsorted(&b, prev.height()) {
        return Ok(None);
    }
    let held: HashSet<Vec<String>> = match held.height() > 0 && held.width() == key.len() {
        true => match key_cols(held, key, &types)? {
            Some(h) => (0..held.height()).map(|i| text_key(&h, i)).collect(),
            None => return Ok(None),
        },
        false => HashSet::new(),
    };
    let (new_hash, prev_hash) = (new.column(ROW_HASH)?.u64()?.rechunk(), prev.column(ROW_HASH)?.u64()?.rechunk());
    let (runs, poss) = (new.column(RUN)?.u32()?.rechunk(), new.column(POS)?.u32()?.rechunk());
    let (n, m) = (new.height(), prev.height());
    let cap = n + m / 16;
    let (mut run, mut pos, mut snap, mut change) =
        (Vec::with_capacity(cap), Vec::with_capacity(cap), Vec::with_capacity(cap), Vec::with_capacity(cap));
    let mut push = |r: u32, p: u32, s: bool, c: u32| {
        run.push(r);
        pos.push(p);
        snap.push(s);
        change.push(c);
    };
    let (mut inserted, mut updated, mut deleted, mut kept) = (0, 0, 0, 0);
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        let order = match (i < n, j < m) {
            (true, true) => cmp_rows(&a, i, &b, j),
            (true, false) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let new_row = || (runs.get(i).unwrap_or(0), poss.get(i).unwrap_or(0));
        match order {
            Ordering::Less => {
                let (r, p) = new_row();
                push(r, p, true, INSERT);
                inserted += 1;
                i += 1;
            }
            Ordering::Greater => {
                let keep = mode == ExtractMode::Partial || (!held.is_empty() && held.contains(&text_key(&b, j)));
                match keep {
                    true => {
                        push(PREV, j as u32, true, NONE);
                        kept += usize::from(mode == ExtractMode::Full);
                    }
                    false => {
                        push(PREV, j as u32, false, DELETE);
                        deleted += 1;
                    }
                }
                j += 1;
            }
            Ordering::Equal => {
                let (r, p) = new_row();
                if new_hash.get(i) == prev_hash.get(j) {
                    push(r, p, true, NONE);
                } else {
                    push(PREV, j as u32, false, PREIMAGE);
                    push(r, p, true, POSTIMAGE);
                    updated += 1;
                }
                i += 1;
                j += 1;
            }
        }
    }
    let snapshot_rows = snap.iter().filter(|s| **s).count();
    let rows = DataFrame::new(
        run.len(),
        vec![
            Column::new(RUN.into(), run),
            Column::new(POS.into(), pos),
            Column::new(SNAP.into(), snap),
            Column::new(CHANGE.into(), change),
        ],
    )?;
    Ok(Some(Plan { rows, inserted, updated, deleted, kept, snapshot_rows }))
}

#[cfg(test)]
mod tests;
