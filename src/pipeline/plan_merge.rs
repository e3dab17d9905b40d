//! The change plan by a single merge of two key-sorted sides: the surviving new rows, given one
//! at a time in key order, and the previous snapshot (written in key order), read a window at a
//! time. No hash table, no sort, and memory for the plan alone. When the previous snapshot turns
//! out not to be in key order (its key changed type since), the caller falls back to its join.

use super::changes::{Plan, CHANGE, DELETE, INSERT, NONE, POSTIMAGE, PREIMAGE, PREV, SNAP};
use super::order::{self, SortCol};
use super::spec::ExtractMode;
use super::spill::{POS, RUN};
use super::window::{Step, Windows};
use super::Result;
use polars::prelude::*;
use std::cmp::Ordering;
use std::collections::HashSet;

/// What becomes of the previous records that have no new row.
pub(crate) struct Rules {
    /// Full extract: a missing key is deleted; partial: kept.
    pub(crate) mode: ExtractMode,
    /// Keys of quarantined rows, as text: kept by a full extract rather than deleted...
    pub(crate) held: HashSet<Vec<String>>,
    /// ... unless they are withdrawn (deleted, and counted).
    pub(crate) withdraw: bool,
}

/// The plan being made (see the module's note).
pub(crate) struct Planner {
    prev: Option<Windows>,
    prev_step: Step,
    nkey: usize,
    rules: Rules,
    run: Vec<u32>,
    pos: Vec<u32>,
    snap: Vec<bool>,
    change: Vec<u32>,
    counts: [usize; 5],
}

/// Indexes of the planner's counts.
const INSERTED: usize = 0;
const UPDATED: usize = 1;
const DELETED: usize = 2;
const KEPT: usize = 3;
const WITHDRAWN: usize = 4;

impl Planner {
    /// A plan against the previous snapshot `prev` (a reader of its key columns, the first
    /// `nkey` sort columns of the new rows), or a first version's plan without it.
    pub(crate) fn new(prev: Option<(Windows, Step)>, nkey: usize, rules: Rules, capacity: usize) -> Planner {
        let (prev, prev_step) = match prev {
            Some((w, step)) => (Some(w), step),
            None => (None, Step::End),
        };
        Planner {
            prev,
            prev_step,
            nkey,
            rules,
            run: Vec::with_capacity(capacity),
            pos: Vec::with_capacity(capacity),
            snap: Vec::with_capacity(capacity),
            change: Vec::with_capacity(capacity),
            counts: [0; 5],
        }
    }

    fn push(&mut self, run: u32, pos: u32, snap: bool, change: u32) {
        self.run.push(run);
        self.pos.push(pos);
        self.snap.push(snap);
        self.change.push(change);
    }

    /// Places the surviving new row `i` of `key` (its key columns) with its row hash, from
    /// position `pos` of run `run`. `Ok(false)`: the previous snapshot is not in key order.
    pub(crate) fn new_row(&mut self, key: &[SortCol], i: usize, hash: u64, run: u32, pos: u32) -> Result<bool> {
        loop {
            if self.prev_step == Step::Unsorted {
                return Ok(false);
            }
            let Some(prev) = self.prev.as_ref().filter(|_| self.prev_step == Step::Row) else {
                self.push(run, pos, true, INSERT);
                self.counts[INSERTED] += 1;
                return Ok(true);
            };
            let j = prev.at;
            match order::cmp_rows(&prev.cols[..self.nkey], j, key, i, &[]) {
                Ordering::Less => self.previous_only()?,
                Ordering::Equal => {
                    let (prev_pos, same) = (prev.position() as u32, prev.hash[j] == hash);
                    if same {
                        self.push(run, pos, true, NONE);
                    } else {
                        self.push(PREV, prev_pos, false, PREIMAGE);
                        self.push(run, pos, true, POSTIMAGE);
                        self.counts[UPDATED] += 1;
                    }
                    self.advance_prev()?;
                    return Ok(true);
                }
                Ordering::Greater => {
                    self.push(run, pos, true, INSERT);
                    self.counts[INSERTED] += 1;
                    return Ok(true);
                }
            }
        }
    }

    fn advance_prev(&mut self) -> Result<()> {
        if let Some(prev) = self.prev.as_mut() {
            self.prev_step = prev.advance()?;
        }
        Ok(())
    }

    /// The current previous row has no new row: kept, deleted or withdrawn.
    fn previous_only(&mut self) -> Result<()> {
        let Some(prev) = self.prev.as_ref() else { return Ok(()) };
        let (j, at) = (prev.at, prev.position() as u32);
        let held = !self.rules.held.is_empty()
            && self.rules.held.contains(&prev.cols[..self.nkey].iter().map(|c| c.text(j)).collect::<Vec<_>>());
        match (self.rules.mode, held, self.rules.withdraw) {
            (ExtractMode::Partial, _, _) => self.push(PREV, at, true, NONE),
            (ExtractMode::Full, true, false) => {
                self.push(PREV, at, true, NONE);
                self.counts[KEPT] += 1;
            }
            (ExtractMode::Full, held, _) => {
                self.push(PREV, at, false, DELETE);
                self.counts[DELETED] += 1;
                self.counts[WITHDRAWN] += usize::from(held);
            }
        }
        self.advance_prev()
    }

    /// The plan, and how many held keys were withdrawn; `None` when the previous snapshot is
    /// not in key order.
    pub(crate) fn finish(mut self) -> Result<Option<(Plan, usize)>> {
        while self.prev.is_some() && self.prev_step == Step::Row {
            self.previous_only()?;
        }
        if self.prev_step == Step::Unsorted {
            return Ok(None);
        }
        let snapshot_rows = self.snap.iter().filter(|s| **s).count();
        let rows = DataFrame::new(
            self.run.len(),
            vec![
                Column::new(RUN.into(), self.run),
                Column::new(POS.into(), self.pos),
                Column::new(SNAP.into(), self.snap),
                Column::new(CHANGE.into(), self.change),
            ],
        )?;
        let c = self.counts;
        let plan = Plan {
            rows,
            inserted: c[INSERTED],
            updated: c[UPDATED],
            deleted: c[DELETED],
            kept: c[KEPT],
            snapshot_rows,
        };
        Ok(Some((plan, c[WITHDRAWN])))
    }
}

/// The held keys of `held` (typed as `types`) as text; `None` when a key type has no order here.
pub(crate) fn held_keys(held: &DataFrame, key: &[String], types: &[DataType]) -> Result<Option<HashSet<Vec<String>>>> {
    if held.height() == 0 || held.width() != key.len() {
        return Ok(Some(HashSet::new()));
    }
    let Some(cols) = SortCol::all_of(held, key, types)? else { return Ok(None) };
    Ok(Some((0..held.height()).map(|i| cols.iter().map(|c| c.text(i)).collect()).collect()))
}
