//! Parquet row groups of a set size, gathered from the smaller parts a merge produces.

use super::spec::PublishSpec;
use super::Result;
use polars::prelude::*;
use std::path::PathBuf;

/// Parts gathered into row groups of a set size (the rows pushed are counted).
pub(crate) struct RowBuffer {
    size: usize,
    schema: Schema,
    pending: DataFrame,
    pub(crate) rows: u64,
}

impl RowBuffer {
    pub(crate) fn new(schema: &Schema, opts: &PublishSpec) -> RowBuffer {
        RowBuffer {
            size: opts.row_group_size.max(1),
            schema: schema.clone(),
            pending: DataFrame::empty_with_schema(schema),
            rows: 0,
        }
    }

    /// Adds a part; returns a full row group once one is gathered.
    pub(crate) fn push(&mut self, part: DataFrame) -> Result<Option<DataFrame>> {
        self.rows += part.height() as u64;
        self.pending.vstack_mut_owned(part)?;
        Ok(match self.pending.height() >= self.size {
            true => self.take(),
            false => None,
        })
    }

    /// The rows gathered so far (in one chunk), if any.
    pub(crate) fn take(&mut self) -> Option<DataFrame> {
        if self.pending.height() == 0 {
            return None;
        }
        let mut part = std::mem::replace(&mut self.pending, DataFrame::empty_with_schema(&self.schema));
        part.rechunk_mut_par();
        Some(part)
    }
}

/// A Parquet file written a row group at a time from smaller parts.
pub(crate) struct RowGroups {
    writer: polars::io::parquet::write::BatchedWriter<std::fs::File>,
    rows: RowBuffer,
}

impl RowGroups {
    pub(crate) fn create(path: PathBuf, schema: &Schema, opts: &PublishSpec) -> Result<RowGroups> {
        let writer = crate::parquet_io::batched(&path, schema, &opts.parquet())?;
        Ok(RowGroups { writer, rows: RowBuffer::new(schema, opts) })
    }

    pub(crate) fn push(&mut self, part: DataFrame) -> Result<()> {
        if let Some(group) = self.rows.push(part)? {
            self.writer.write_batch(&group)?;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<u64> {
        if let Some(group) = self.rows.take() {
            self.writer.write_batch(&group)?;
        }
        self.writer.finish()?;
        Ok(self.rows.rows)
    }
}
