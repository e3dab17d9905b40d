//! Deduplication and the change plan in one pass over the spilled runs, in bounded memory. Each
//! run is sorted in deduplication's order (key, then survivorship), so merging the runs row by
//! row gives every key's rows together, best first: the first survives, the others collapse
//! into it. Survivors go straight to the [`Planner`], which merges them with the previous
//! snapshot. Memory holds one window of each run and of the previous snapshot, and the plan.
//! When a column has no order here or a file is not in the order expected, the caller falls
//! back to doing both in memory.

use super::changes::{self, Plan};
use super::dedupe::{self, KEPT_LINE};
use super::order::{self, SortCol};
use super::plan_merge::{self, Planner, Rules};
use super::spec::{ExtractMode, OnQuarantinedKey, PipelineSpec};
use super::spill::{Spill, RUN_WINDOW};
use super::tournament::Tournament;
use super::transform::{LINE, ROW_HASH};
use super::window::{Layout, Step, Windows};
use super::Result;
use polars::prelude::*;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

/// What the merge is made from.
pub(crate) struct Inputs<'a> {
    pub(crate) spec: &'a PipelineSpec,
    /// The valid rows, one run per batch, each in deduplication's order.
    pub(crate) spill: &'a Spill,
    /// Schema of the spilled rows.
    pub(crate) schema: &'a Schema,
    /// A local copy of the previous snapshot, if any.
    pub(crate) prev: Option<&'a Path>,
    /// Keys of quarantined rows.
    pub(crate) held: &'a DataFrame,
    /// Spilled rows that are not valid after all (run, position): they broke a `unique` rule.
    pub(crate) excluded: &'a HashSet<(u32, u32)>,
    /// Valid rows in all (to size the plan).
    pub(crate) valid_rows: usize,
}

/// The outcome of the merge.
pub(crate) struct Merged {
    pub(crate) plan: Plan,
    /// Collapsed rows: key columns, their `_line` and the surviving `_kept_line`.
    pub(crate) collapsed: DataFrame,
    /// Held keys withdrawn (deleted) rather than kept.
    pub(crate) withdrawn: usize,
}

/// Deduplicates and plans (see the module's note); `None` when the caller must do it in memory.
pub(crate) fn plan(inp: &Inputs<'_>) -> Result<Option<Merged>> {
    let spec = inp.spec;
    let nkey = spec.key.len();
    let (names, desc) = dedupe::order(&spec.key, &spec.survivorship);
    let Some(types) = names.iter().map(|n| inp.schema.get(n).cloned()).collect::<Option<Vec<_>>>() else {
        return Ok(None);
    };
    let layout = Arc::new(Layout { names, types: types.clone(), desc: desc.clone(), window: inp.spill.window() });
    let mut readers = Vec::with_capacity(inp.spill.runs());
    let mut finished = Vec::with_capacity(inp.spill.runs());
    for r in 0..inp.spill.runs() {
        match Windows::open(inp.spill.run_path(r), layout.clone())? {
            Some((_, Step::Unsorted)) | None => return Ok(None),
            Some((w, step)) => {
                finished.push(step == Step::End);
                readers.push(w);
            }
        }
    }
    let prev = match inp.prev {
        Some(path) => {
            let window = spec.publish.row_group_size.max(RUN_WINDOW);
            let keys = Layout { names: spec.key.clone(), types: types[..nkey].to_vec(), desc: vec![], window };
            match Windows::open(path.to_path_buf(), Arc::new(keys))? {
                Some((_, Step::Unsorted)) | None => return Ok(None),
                Some(w) => Some(w),
            }
        }
        None => None,
    };
    let Some(held) = plan_merge::held_keys(inp.held, &spec.key, &types[..nkey])? else { return Ok(None) };
    let mode = spec.effective_extract();
    let withdraw = spec.on_quarantined_key == OnQuarantinedKey::Withdraw && mode == ExtractMode::Full;
    let mut planner = Planner::new(prev, nkey, Rules { mode, held, withdraw }, inp.valid_rows);
    let less = |a: usize, b: usize, readers: &[Windows]| {
        let (x, y) = (&readers[a], &readers[b]);
        order::cmp_rows(&x.cols, x.at, &y.cols, y.at, &desc).then(a.cmp(&b)).is_lt()
    };
    let mut runs = Tournament::new(finished, |a, b| less(a, b, &readers));
    let line = layout.names.len() - 1;
    let mut last = LastKey::default();
    let mut kept_line = 0;
    let mut collapsed = Collapsed::default();
    while let Some(r) = runs.winner() {
        let w = &readers[r];
        let (i, pos) = (w.at, w.position() as u32);
        if inp.excluded.is_empty() || !inp.excluded.contains(&(r as u32, pos)) {
            let this_line = w.cols[line].int(i).unwrap_or(0);
            if last.is(&w.cols[..nkey], i) {
                collapsed.push(&w.cols[..nkey], i, this_line, kept_line);
            } else {
                last.set(&w.cols[..nkey], i);
                kept_line = this_line;
                if !planner.new_row(&w.cols[..nkey], i, w.hash[i], r as u32, pos)? {
                    return Ok(None);
                }
            }
        }
        let finished = match readers[r].advance()? {
            Step::Row => false,
            Step::End => true,
            Step::Unsorted => return Ok(None),
        };
        runs.replay(finished, |a, b| less(a, b, &readers));
    }
    let Some((plan, withdrawn)) = planner.finish()? else { return Ok(None) };
    let line_type = inp.schema.get(LINE).cloned().unwrap_or(DataType::Int64);
    let collapsed = collapsed.frame(&spec.key, &types[..nkey], &line_type)?;
    Ok(Some(Merged { plan, collapsed, withdrawn }))
}

/// Deduplication and the change plan on every valid row's slim columns in memory.
pub(crate) fn in_memory(inp: &Inputs<'_>) -> Result<(DataFrame, Plan, usize)> {
    let spec = inp.spec;
    let valid = inp.spill.read_slim(&super::spill::slim_columns(spec), inp.schema, inp.excluded)?;
    let prev_slim = match inp.prev {
        Some(path) => {
            let mut columns = spec.key.clone();
            columns.push(ROW_HASH.to_string());
            Some(crate::parquet_io::read_file(path, Some(columns), None)?)
        }
        None => None,
    };
    let deduped = dedupe::dedupe(valid, &spec.key, &spec.survivorship)?;
    let mode = spec.effective_extract();
    let withdraw = spec.on_quarantined_key == OnQuarantinedKey::Withdraw && mode == ExtractMode::Full;
    let (held, withdrawn) = match withdraw {
        true => (DataFrame::empty(), changes::held_and_gone(&deduped.rows, prev_slim.as_ref(), &spec.key, inp.held)?),
        false => (inp.held.clone(), 0),
    };
    let plan = changes::plan(&deduped.rows, prev_slim.as_ref(), &spec.key, mode, &held)?;
    Ok((deduped.collapsed, plan, withdrawn))
}

/// One value of a key, owned (its buffer reused from key to key).
enum Owned {
    Str(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
}

/// The key of the last surviving row.
#[derive(Default)]
struct LastKey(Option<Vec<Owned>>);

impl LastKey {
    /// Whether row `i` of `key` has this key (nulls equal, as deduplication groups them).
    fn is(&self, key: &[SortCol], i: usize) -> bool {
        let Some(last) = &self.0 else { return false };
        last.iter().zip(key).all(|(o, c)| match (o, c) {
            (Owned::Str(a), SortCol::Str(b)) => a.as_deref() == b.get(i),
            (Owned::Int(a), SortCol::Int(b)) => *a == b[i],
            (Owned::Float(a), SortCol::Float(b)) => a.map(f64::to_bits) == b[i].map(f64::to_bits),
            _ => false,
        })
    }

    fn set(&mut self, key: &[SortCol], i: usize) {
        let last = self.0.get_or_insert_with(|| key.iter().map(|_| Owned::Int(None)).collect());
        for (o, c) in last.iter_mut().zip(key) {
            match (o, c) {
                (Owned::Str(Some(buf)), SortCol::Str(b)) if b.get(i).is_some() => {
                    buf.clear();
                    buf.push_str(b.get(i).unwrap_or(""));
                }
                (o, SortCol::Str(b)) => *o = Owned::Str(b.get(i).map(str::to_string)),
                (o, SortCol::Int(b)) => *o = Owned::Int(b[i]),
                (o, SortCol::Float(b)) => *o = Owned::Float(b[i]),
            }
        }
    }
}

/// One key column of the collapsed rows.
enum Values {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
}

impl Values {
    /// Appends row `i` of `c` (a column of the kind this one was made for).
    fn push(&mut self, c: &SortCol, i: usize) {
        match (self, c) {
            (Values::Str(v), SortCol::Str(b)) => v.push(b.get(i).map(str::to_string)),
            (Values::Int(v), SortCol::Int(b)) => v.push(b[i]),
            (Values::Float(v), SortCol::Float(b)) => v.push(b[i]),
            _ => {}
        }
    }

    fn column(self, name: &str, t: &DataType) -> PolarsResult<Column> {
        let column = match self {
            Values::Str(v) => Column::new(name.into(), v),
            Values::Int(v) => Column::new(name.into(), v),
            Values::Float(v) => Column::new(name.into(), v),
        };
        if column.dtype() == t {
            Ok(column)
        } else {
            column.cast(t)
        }
    }
}

/// The collapsed rows gathered so far.
#[derive(Default)]
struct Collapsed {
    keys: Vec<Values>,
    lines: Vec<i64>,
    kept: Vec<i64>,
}

impl Collapsed {
    fn push(&mut self, key: &[SortCol], i: usize, line: i64, kept: i64) {
        if self.keys.is_empty() {
            let like = |c: &SortCol| match c {
                SortCol::Str(_) => Values::Str(Vec::new()),
                SortCol::Int(_) => Values::Int(Vec::new()),
                SortCol::Float(_) => Values::Float(Vec::new()),
            };
            self.keys = key.iter().map(like).collect();
        }
        for (values, c) in self.keys.iter_mut().zip(key) {
            values.push(c, i);
        }
        self.lines.push(line);
        self.kept.push(kept);
    }

    /// The frame: key columns (typed as `types`), `_line` and `_kept_line` (typed as `line`).
    fn frame(self, key: &[String], types: &[DataType], line: &DataType) -> PolarsResult<DataFrame> {
        let n = self.lines.len();
        let mut values = self.keys.into_iter();
        let mut columns = Vec::with_capacity(key.len() + 2);
        for (name, t) in key.iter().zip(types) {
            columns.push(match values.next() {
                Some(v) => v.column(name, t)?,
                None => Column::full_null(name.as_str().into(), 0, t),
            });
        }
        columns.push(Column::new(LINE.into(), self.lines).cast(line)?);
        columns.push(Column::new(KEPT_LINE.into(), self.kept).cast(line)?);
        DataFrame::new(n, columns)
    }
}

#[cfg(test)]
mod tests;
