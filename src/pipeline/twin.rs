//! The snapshot and the change set of a dataset's first version hold the same rows (every row
//! is an insert): each row group's columns are encoded and compressed once and written to both
//! files, the change set without `_row_hash` and with a `_change_type` column of `insert`.
//! `write_files` writes a version's two files from the parts the merge sends: this way for a
//! first version, through `RowGroups` for each file otherwise.

use super::changes::{change_type, CHANGE_TYPE, INSERT};
use super::row_groups::{RowBuffer, RowGroups};
use super::spec::{PipelineSpec, PublishSpec};
use super::transform::ROW_HASH;
use super::{Error, Result};
use crate::parquet_io::{self, CompressedPage, PageWriter};
use polars::prelude::*;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

/// The snapshot part and the change part (if any) of one merged chunk.
pub(crate) type Parts = (DataFrame, Option<DataFrame>);

/// Snapshot and change set written from the same row groups.
pub(crate) struct TwinRowGroups {
    snapshot: PageWriter,
    changes: PageWriter,
    hash_at: usize,
    rows: RowBuffer,
}

impl TwinRowGroups {
    /// Writers of `snapshot` (rows of `schema`, ending with `_row_hash`) and `changes`.
    pub(crate) fn create(
        snapshot: PathBuf,
        changes: PathBuf,
        schema: &Schema,
        opts: &PublishSpec,
    ) -> Result<TwinRowGroups> {
        let mut change_schema = schema.clone();
        change_schema.shift_remove(ROW_HASH);
        change_schema.with_column(CHANGE_TYPE.into(), DataType::String);
        let file_opts = opts.parquet();
        let snapshot = PageWriter::create(&snapshot, schema, &file_opts, false)?;
        let changes = PageWriter::create(&changes, &change_schema, &file_opts, false)?;
        let hash_at = schema
            .index_of(ROW_HASH)
            .filter(|_| snapshot.leaves() == schema.len() && changes.leaves() == schema.len())
            .ok_or(Error::Columns("the snapshot of a first version has nested or missing columns"))?;
        Ok(TwinRowGroups { snapshot, changes, hash_at, rows: RowBuffer::new(schema, opts) })
    }

    /// Adds rows (in the snapshot's schema).
    pub(crate) fn push(&mut self, part: DataFrame) -> Result<()> {
        match self.rows.push(part)? {
            Some(group) => self.write(group),
            None => Ok(()),
        }
    }

    fn write(&mut self, part: DataFrame) -> Result<()> {
        for batch in parquet_io::batches(&part) {
            let columns = self.snapshot.encode_batch(&batch)?;
            let kinds = StringChunked::full(CHANGE_TYPE.into(), change_type(INSERT), batch.rows).rechunk().into_owned();
            let mut kind_pages = Vec::new();
            for array in kinds.chunks() {
                kind_pages.extend(self.changes.encode(self.changes.leaves() - 1, array)?);
            }
            let all: Vec<&[CompressedPage]> = columns.iter().map(Vec::as_slice).collect();
            self.snapshot.write(batch.rows, &all)?;
            let shared = columns.iter().enumerate().filter(|(i, _)| *i != self.hash_at).map(|(_, c)| c.as_slice());
            let change_columns: Vec<&[CompressedPage]> = shared.chain(kind_pages.iter().map(Vec::as_slice)).collect();
            self.changes.write(batch.rows, &change_columns)?;
        }
        Ok(())
    }

    /// Ends both files; returns the rows written to each.
    pub(crate) fn finish(mut self) -> Result<u64> {
        if let Some(group) = self.rows.take() {
            self.write(group)?;
        }
        self.snapshot.finish()?;
        self.changes.finish()?;
        Ok(self.rows.rows)
    }
}

/// Writes the parts the merge sends into `snapshot.parquet` and `changes.parquet` (`paths`), of
/// `schemas`; a first version's two files come from the same row groups. Returns their rows.
pub(crate) fn write_files(
    spec: &PipelineSpec,
    paths: (PathBuf, PathBuf),
    schemas: (&Schema, &Schema),
    first: bool,
    parts: Receiver<Parts>,
) -> Result<(u64, u64)> {
    let (snapshot_path, changes_path) = paths;
    if first {
        // A first version: every row is an insert, the change set is the snapshot.
        let mut both = TwinRowGroups::create(snapshot_path, changes_path, schemas.0, &spec.publish)?;
        for (snap_part, change_part) in parts {
            if change_part.as_ref().map(|c| c.height()).unwrap_or(0) != snap_part.height() {
                return Err(Error::Columns("a first version's changes differ from its snapshot"));
            }
            both.push(snap_part)?;
        }
        let rows = both.finish()?;
        return Ok((rows, rows));
    }
    let mut snapshot = RowGroups::create(snapshot_path, schemas.0, &spec.publish)?;
    let mut changes = RowGroups::create(changes_path, schemas.1, &spec.publish)?;
    for (snap_part, change_part) in parts {
        snapshot.push(snap_part)?;
        if let Some(c) = change_part {
            changes.push(c.drop(ROW_HASH)?)?;
        }
    }
    Ok((snapshot.finish()?, changes.finish()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_hold_the_rows_the_change_set_without_the_hash_and_with_its_type() {
        let dir = tempfile::tempdir().unwrap();
        let rows = |from: i64, n: i64| {
            df!("k" => (from..from + n).map(|i| format!("{i:05}")).collect::<Vec<_>>(), "v" => (from..from + n).collect::<Vec<i64>>(), ROW_HASH => (from..from + n).map(|i| i as u64 * 7).collect::<Vec<u64>>()).unwrap()
        };
        let opts = PublishSpec { row_group_size: 4, ..Default::default() };
        let (snap, changes) = (dir.path().join("s.parquet"), dir.path().join("c.parquet"));
        let mut both = TwinRowGroups::create(snap.clone(), changes.clone(), rows(0, 1).schema(), &opts).unwrap();
        both.push(rows(0, 3)).unwrap();
        both.push(rows(3, 6)).unwrap();
        assert_eq!(both.finish().unwrap(), 9);
        let read = |p: &PathBuf| ParquetReader::new(std::fs::File::open(p).unwrap()).finish().unwrap();
        let (s, c) = (read(&snap), read(&changes));
        assert!(s.equals(&rows(0, 9)));
        assert_eq!(c.get_column_names(), ["k", "v", CHANGE_TYPE]);
        assert!(c.drop(CHANGE_TYPE).unwrap().equals(&s.drop(ROW_HASH).unwrap()));
        assert_eq!(
            c.column(CHANGE_TYPE).unwrap().str().unwrap().iter().flatten().filter(|t| *t == "insert").count(),
            9
        );
    }
}
