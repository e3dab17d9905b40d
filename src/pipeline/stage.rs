//! The CPU-bound part of a run: read the source on one thread while workers normalize and
//! validate its batches on the others. Each batch's valid rows are spilled, in deduplication's
//! order, to a temporary run file; memory keeps the quarantine, in input order, and, for a
//! pipeline with `unique` fields, their values.

use super::extract::{CsvSource, ExtractInfo, RawBatch};
use super::spec::{ExtractMode, PipelineSpec};
use super::spill::{self, Spill};
use super::transform::{BatchOut, Plan};
use super::validate::CatalogCodes;
use super::{Error, Result};
use crate::source::Input;
use polars::prelude::*;
use std::sync::atomic::AtomicU64;
use std::sync::{mpsc, Arc, Mutex};

/// Output of extract + transform.
pub(crate) struct Staged {
    /// Checksum, size and header of the input.
    pub(crate) info: ExtractInfo,
    /// Data rows read.
    pub(crate) rows_read: u64,
    /// Valid rows, `excluded` ones left out.
    pub(crate) valid_rows: u64,
    /// Spilled rows quarantined after all, by a `unique` rule (run, position).
    pub(crate) excluded: std::collections::HashSet<(u32, u32)>,
    /// The valid rows in full, one run file per batch.
    pub(crate) spill: Spill,
    /// Schema of the valid rows in full (fields + `_line` + `_row_hash`).
    pub(crate) schema: SchemaRef,
    /// Quarantined rows (`_line`, raw fields, `_reasons`), in input order.
    pub(crate) quarantine: DataFrame,
    /// Valid business keys of quarantined rows (their records are kept, not deleted).
    pub(crate) held: DataFrame,
    /// Empty values among the valid rows, per field that has a `max_null_fraction` gate.
    pub(crate) nulls: std::collections::BTreeMap<String, u64>,
}

/// The (source column, field) pairs of a spec, in field order.
pub(crate) fn column_map(spec: &PipelineSpec) -> Vec<(String, String)> {
    let columns = spec.source.columns();
    spec.fields
        .iter()
        .map(|f| {
            let column = columns.iter().find(|(_, field)| **field == f.name).map(|(c, _)| c.clone());
            (column.unwrap_or_else(|| f.name.clone()), f.name.clone())
        })
        .collect()
}

/// The source column names a pipeline reads, in field order.
pub(crate) fn needed_columns(spec: &PipelineSpec) -> Vec<String> {
    column_map(spec).into_iter().map(|(c, _)| c).collect()
}

type Batch = (usize, RawBatch);
type Done = (usize, Result<BatchOut>);
/// What a worker spilled: the columns a `unique` rule needs of each of its runs, and its valid rows.
type Spilled = Result<(Vec<DataFrame>, u64)>;

/// Valid rows a worker gathers (from one batch or more) before it sorts and spills them as one
/// run: fewer, larger runs make a cheaper merge.
const RUN_ROWS: usize = 4 * super::extract::BATCH_ROWS;

/// Reads `input` and transforms it with `workers` threads; `progress` is told of rows read,
/// bytes read and bytes in all.
pub(crate) fn extract_transform(
    spec: &PipelineSpec,
    input: &Input,
    catalogs: &CatalogCodes,
    workers: usize,
    progress: &(dyn Fn(u64, u64, u64) + Sync),
) -> Result<Staged> {
    let named = |e: super::extract::Error| -> Error { e.named(&input.path, &input.name).into() };
    let mut source = CsvSource::open(&input.path, input.encoding, input.delimiter, &column_map(spec)).map_err(named)?;
    if input.numbered {
        source.numbered();
    }
    let plan = Arc::new(Plan::new(spec, source.positions(), source.header_len(), catalogs)?);
    let mut spill = Spill::new()?;
    let schema = plan.run(&RawBatch::default())?.valid.schema().clone();
    let slim_columns = super::unique::columns(spec);
    let order = super::dedupe::order(&spec.key, &spec.survivorship);
    let gated: Vec<&str> =
        spec.fields.iter().filter(|f| f.max_null_fraction.is_some()).map(|f| f.name.as_str()).collect();
    let null_counts: Vec<AtomicU64> = gated.iter().map(|_| AtomicU64::new(0)).collect();
    let (tx, rx) = mpsc::sync_channel::<Batch>(workers.max(1) * 2);
    let rx = Arc::new(Mutex::new(rx));
    let mut done: Vec<Done> = Vec::new();
    let mut spilled: Vec<Spilled> = Vec::new();
    let run_ids = std::sync::atomic::AtomicUsize::new(0);
    let mut rows_read = 0u64;
    let read = std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let (rx, plan) = (rx.clone(), plan.clone());
                let nulls = Nulls { fields: &gated, counts: &null_counts };
                let runs = Runs { spill: &spill, ids: &run_ids, columns: &slim_columns, order: &order };
                scope.spawn(move || work(&rx, &plan, runs, nulls))
            })
            .collect();
        let mut seq = 0;
        let read = loop {
            match source.next_batch() {
                Ok(Some(batch)) => {
                    rows_read += batch.len() as u64;
                    let (done, total) = source.progress();
                    if seq == 0 {
                        let batches = total.div_ceil(done.max(1)) as usize;
                        spill.expect_runs(batches.div_ceil(RUN_ROWS / super::extract::BATCH_ROWS) + workers);
                    }
                    progress(rows_read, done, total);
                    if tx.send((seq, batch)).is_err() {
                        break Err(Error::Stopped("transform workers"));
                    }
                    seq += 1;
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(named(e)),
            }
        };
        drop(tx);
        for h in handles {
            let (batches, runs) = h.join().map_err(|_| Error::Stopped("transform worker (it panicked)"))?;
            done.extend(batches);
            spilled.push(runs);
        }
        read
    });
    read?;
    let info = source.finish();
    if rows_read == 0 && spec.effective_extract() == ExtractMode::Full {
        return Err(named(super::extract::Error::NoRows { path: input.path.clone() }));
    }
    done.sort_by_key(|(seq, _)| *seq);
    spill.set_runs(run_ids.into_inner());
    let mut all = match done.is_empty() {
        true => plan.run(&RawBatch::default())?,
        false => BatchOut { valid: DataFrame::empty(), quarantine: DataFrame::empty(), held: DataFrame::empty() },
    };
    for (i, (_, res)) in done.into_iter().enumerate() {
        let out = res?;
        if i == 0 {
            all = out;
        } else {
            all.quarantine.vstack_mut_owned(out.quarantine)?;
            all.held.vstack_mut_owned(out.held)?;
        }
    }
    let mut valid_rows = 0;
    let mut unique_rows: Option<DataFrame> = None;
    for runs in spilled {
        let (frames, valid) = runs?;
        valid_rows += valid;
        for f in frames {
            match unique_rows.as_mut() {
                Some(u) => drop(u.vstack_mut_owned(f)?),
                None => unique_rows = Some(f),
            }
        }
    }
    all.valid = match unique_rows {
        Some(u) => u,
        None => for_unique(&plan.run(&RawBatch::default())?.valid, &slim_columns, 0)?,
    };
    let (excluded, quarantine, held) =
        super::unique::enforce(spec, all.valid, all.quarantine, all.held, &spill, &schema)?;
    let valid_rows = valid_rows - excluded.len() as u64;
    let nulls = gated
        .iter()
        .zip(&null_counts)
        .map(|(f, n)| (f.to_string(), n.load(std::sync::atomic::Ordering::Relaxed)))
        .collect();
    Ok(Staged { info, rows_read, valid_rows, excluded, spill, schema, quarantine, held, nulls })
}

/// Counters of empty values of the fields with a null gate, shared by the workers.
#[derive(Clone, Copy)]
struct Nulls<'a> {
    fields: &'a [&'a str],
    counts: &'a [AtomicU64],
}

impl Nulls<'_> {
    fn add(&self, valid: &DataFrame) {
        for (f, n) in self.fields.iter().zip(self.counts) {
            if let Ok(c) = valid.column(f) {
                n.fetch_add(c.null_count() as u64, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

/// Where and how a worker spills its runs.
#[derive(Clone, Copy)]
struct Runs<'a> {
    spill: &'a Spill,
    /// The next run's number, shared by the workers.
    ids: &'a std::sync::atomic::AtomicUsize,
    /// The columns a `unique` rule needs.
    columns: &'a [String],
    /// Deduplication's order.
    order: &'a (Vec<String>, Vec<bool>),
}

impl Runs<'_> {
    /// Sorts `parts` (valid rows of one batch or more) and spills them as one run; returns the
    /// columns a `unique` rule needs of it and its rows.
    fn spill(&self, parts: &mut Vec<DataFrame>) -> Result<(DataFrame, u64)> {
        let mut rows = parts.drain(..);
        let mut valid = rows.next().unwrap_or_default();
        for p in rows {
            valid.vstack_mut_owned(p)?;
        }
        let mut valid = valid.sort(&self.order.0, super::dedupe::sort_options(self.order.1.clone()))?;
        let run = self.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.spill.write(run, &mut valid)?;
        Ok((for_unique(&valid, self.columns, run)?, valid.height() as u64))
    }
}

/// Transforms batches until the channel closes: each batch's quarantine and held keys, and
/// the runs spilled from its valid rows.
fn work(rx: &Mutex<mpsc::Receiver<Batch>>, plan: &Plan, runs: Runs<'_>, nulls: Nulls<'_>) -> (Vec<Done>, Spilled) {
    let (mut out, mut parts, mut pending) = (Vec::new(), Vec::new(), 0);
    let (mut unique, mut valid) = (Vec::new(), 0);
    let mut spill = |parts: &mut Vec<DataFrame>| -> Result<()> {
        let (u, n) = runs.spill(parts)?;
        if u.width() > 0 {
            unique.push(u);
        }
        valid += n;
        Ok(())
    };
    loop {
        let next = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        let Ok((seq, batch)) = next else { break };
        match plan.run(&batch) {
            Ok(mut batch_out) => {
                nulls.add(&batch_out.valid);
                pending += batch_out.valid.height();
                parts.push(std::mem::take(&mut batch_out.valid));
                out.push((seq, Ok(batch_out)));
            }
            Err(e) => out.push((seq, Err(e.into()))),
        }
        if pending >= RUN_ROWS {
            if let Err(e) = spill(&mut parts) {
                return (out, Err(e));
            }
            pending = 0;
        }
    }
    if pending > 0 {
        if let Err(e) = spill(&mut parts) {
            return (out, Err(e));
        }
    }
    (out, Ok((unique, valid)))
}

/// The columns a `unique` rule needs of a batch's valid rows (none without such a rule).
fn for_unique(valid: &DataFrame, columns: &[String], seq: usize) -> PolarsResult<DataFrame> {
    match columns.is_empty() {
        true => Ok(DataFrame::empty()),
        false => spill::slim(valid, columns, seq),
    }
}
