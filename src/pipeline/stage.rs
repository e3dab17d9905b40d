//! The CPU-bound part of a run: read the source on one thread while workers normalize and
//! validate its batches on the others. Each batch's valid rows are spilled, in deduplication's
//! order, to a temporary run file; memory keeps the quarantine, in input order, and, for a
//! pipeline with `unique` fields, their values.

use super::extract::{CsvSource, ExtractInfo, RawRecord};
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

type Batch = (usize, Vec<RawRecord>);
type Done = (usize, Result<(BatchOut, u64)>);

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
    let schema = plan.run(&[])?.valid.schema().clone();
    let slim_columns = super::unique::columns(spec);
    let order = super::dedupe::order(&spec.key, &spec.survivorship);
    let gated: Vec<&str> =
        spec.fields.iter().filter(|f| f.max_null_fraction.is_some()).map(|f| f.name.as_str()).collect();
    let null_counts: Vec<AtomicU64> = gated.iter().map(|_| AtomicU64::new(0)).collect();
    let (tx, rx) = mpsc::sync_channel::<Batch>(workers.max(1) * 2);
    let rx = Arc::new(Mutex::new(rx));
    let mut done: Vec<Done> = Vec::new();
    let mut rows_read = 0u64;
    let read = std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let (rx, plan, spill, columns, order) = (rx.clone(), plan.clone(), &spill, &slim_columns, &order);
                let nulls = Nulls { fields: &gated, counts: &null_counts };
                scope.spawn(move || work(&rx, &plan, spill, columns, order, nulls))
            })
            .collect();
        let mut seq = 0;
        let read = loop {
            match source.next_batch() {
                Ok(Some(batch)) => {
                    rows_read += batch.len() as u64;
                    let (done, total) = source.progress();
                    if seq == 0 {
                        spill.expect_runs(total.div_ceil(done.max(1)) as usize);
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
            done.extend(h.join().map_err(|_| Error::Stopped("transform worker (it panicked)"))?);
        }
        read
    });
    read?;
    let info = source.finish();
    if rows_read == 0 && spec.effective_extract() == ExtractMode::Full {
        return Err(named(super::extract::Error::NoRows { path: input.path.clone() }));
    }
    done.sort_by_key(|(seq, _)| *seq);
    spill.set_runs(done.len());
    let mut all = match done.is_empty() {
        true => {
            let mut none = plan.run(&[])?;
            none.valid = for_unique(&none.valid, &slim_columns, 0)?;
            none
        }
        false => BatchOut { valid: DataFrame::empty(), quarantine: DataFrame::empty(), held: DataFrame::empty() },
    };
    let mut valid_rows = 0;
    for (i, (_, res)) in done.into_iter().enumerate() {
        let (out, valid) = res?;
        valid_rows += valid;
        if i == 0 {
            all = out;
        } else {
            if !slim_columns.is_empty() {
                all.valid.vstack_mut_owned(out.valid)?;
            }
            all.quarantine.vstack_mut_owned(out.quarantine)?;
            all.held.vstack_mut_owned(out.held)?;
        }
    }
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

fn work(
    rx: &Mutex<mpsc::Receiver<Batch>>,
    plan: &Plan,
    spill: &Spill,
    columns: &[String],
    order: &(Vec<String>, Vec<bool>),
    nulls: Nulls<'_>,
) -> Vec<Done> {
    let mut out = Vec::new();
    loop {
        let next = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        match next {
            Ok((seq, batch)) => out.push((seq, transform_and_spill(plan, &batch, seq, spill, columns, order, nulls))),
            Err(_) => break,
        }
    }
    out
}

/// The columns a `unique` rule needs of a batch's valid rows (none without such a rule).
fn for_unique(valid: &DataFrame, columns: &[String], seq: usize) -> PolarsResult<DataFrame> {
    match columns.is_empty() {
        true => Ok(DataFrame::empty()),
        false => spill::slim(valid, columns, seq),
    }
}

/// Transforms one batch, spills its valid rows in deduplication's order and keeps the columns
/// a `unique` rule needs; returns them with the number of valid rows.
fn transform_and_spill(
    plan: &Plan,
    batch: &[RawRecord],
    seq: usize,
    spill: &Spill,
    columns: &[String],
    order: &(Vec<String>, Vec<bool>),
    nulls: Nulls<'_>,
) -> Result<(BatchOut, u64)> {
    let mut out = plan.run(batch)?;
    nulls.add(&out.valid);
    out.valid = out.valid.sort(&order.0, super::dedupe::sort_options(order.1.clone()))?;
    spill.write(seq, &mut out.valid)?;
    let valid = out.valid.height() as u64;
    out.valid = for_unique(&out.valid, columns, seq)?;
    Ok((out, valid))
}
