//! The CPU-bound part of a run: read the source on one thread while workers normalize and
//! validate its batches on the others, then put the batches back in input order.

use super::extract::{CsvSource, ExtractInfo, RawRecord};
use super::spec::{ExtractMode, PipelineSpec};
use super::transform::{BatchOut, Plan};
use super::validate::CatalogCodes;
use super::{Error, Result};
use crate::source::Input;
use polars::prelude::*;
use std::sync::{mpsc, Arc, Mutex};

/// Output of extract + transform.
pub struct Staged {
    /// Checksum, size and header of the input.
    pub info: ExtractInfo,
    /// Data rows read.
    pub rows_read: u64,
    /// Valid rows (fields + `_line` + `_row_hash`), in input order.
    pub valid: DataFrame,
    /// Quarantined rows (`_line`, raw fields, `_reasons`), in input order.
    pub quarantine: DataFrame,
    /// Valid business keys of quarantined rows (their records are kept, not deleted).
    pub held: DataFrame,
}

/// The (source column, field) pairs of a spec, in field order.
pub fn column_map(spec: &PipelineSpec) -> Vec<(String, String)> {
    let columns = spec.source.columns();
    spec.fields
        .iter()
        .map(|f| {
            let column = columns.iter().find(|(_, field)| **field == f.name).map(|(c, _)| c.clone());
            (column.unwrap_or_else(|| f.name.clone()), f.name.clone())
        })
        .collect()
}

type Batch = (usize, Vec<RawRecord>);
type Done = (usize, PolarsResult<BatchOut>);

/// Reads `input` and transforms it with `workers` threads; `progress` is told of rows read.
pub fn extract_transform(
    spec: &PipelineSpec,
    input: &Input,
    catalogs: &CatalogCodes,
    workers: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Staged> {
    let named = |e: super::extract::Error| -> Error { e.named(&input.path, &input.name).into() };
    let mut source = CsvSource::open(&input.path, input.encoding, input.delimiter, &column_map(spec)).map_err(named)?;
    if input.numbered {
        source.numbered();
    }
    let plan = Arc::new(Plan::new(spec, source.positions(), source.header_len(), catalogs)?);
    let (tx, rx) = mpsc::sync_channel::<Batch>(workers.max(1) * 2);
    let rx = Arc::new(Mutex::new(rx));
    let mut done: Vec<Done> = Vec::new();
    let mut rows_read = 0u64;
    let read = std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let (rx, plan) = (rx.clone(), plan.clone());
                scope.spawn(move || work(&rx, &plan))
            })
            .collect();
        let mut seq = 0;
        let read = loop {
            match source.next_batch() {
                Ok(Some(batch)) => {
                    rows_read += batch.len() as u64;
                    progress(rows_read);
                    if tx.send((seq, batch)).is_err() {
                        break Err(Error::Internal("transform workers stopped".into()));
                    }
                    seq += 1;
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(named(e)),
            }
        };
        drop(tx);
        for h in handles {
            done.extend(h.join().map_err(|_| Error::Internal("transform worker panicked".into()))?);
        }
        read
    });
    read?;
    let info = source.finish();
    if rows_read == 0 && spec.effective_extract() == ExtractMode::Full {
        return Err(named(super::extract::Error::NoRows { path: input.path.clone() }));
    }
    done.sort_by_key(|(seq, _)| *seq);
    let mut all = match done.is_empty() {
        true => plan.run(&[])?,
        false => BatchOut { valid: DataFrame::empty(), quarantine: DataFrame::empty(), held: DataFrame::empty() },
    };
    for (i, (_, res)) in done.into_iter().enumerate() {
        let out = res?;
        if i == 0 {
            all = out;
        } else {
            all.valid.vstack_mut_owned(out.valid)?;
            all.quarantine.vstack_mut_owned(out.quarantine)?;
            all.held.vstack_mut_owned(out.held)?;
        }
    }
    let (valid, quarantine, held) = super::unique::enforce(spec, all.valid, all.quarantine, all.held)?;
    Ok(Staged { info, rows_read, valid, quarantine, held })
}

fn work(rx: &Mutex<mpsc::Receiver<Batch>>, plan: &Plan) -> Vec<Done> {
    let mut out = Vec::new();
    loop {
        let next = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        match next {
            Ok((seq, batch)) => out.push((seq, plan.run(&batch))),
            Err(_) => break,
        }
    }
    out
}
