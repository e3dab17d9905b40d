//! The snapshot and the change set of a dataset's first version hold the same rows (every row
//! is an insert): each row group's columns are encoded and compressed once and written to both
//! files, the change set without `_row_hash` and with a `_change_type` column of `insert`.

use super::changes::{change_type, CHANGE_TYPE, INSERT};
use super::publish;
use super::row_groups::RowBuffer;
use super::spec::PublishSpec;
use super::transform::ROW_HASH;
use super::{Error, Result};
use polars::io::parquet::write::{get_encodings, BatchedWriter, StatisticsOptions};
use polars::prelude::*;
use polars_parquet::read::fallible_streaming_iterator;
use polars_parquet::write::{
    array_to_columns, compress, CompressedPage, DynIter, DynStreamingIterator, Encoding, ParquetType, Version,
    WriteOptions,
};
use std::path::PathBuf;

/// How one column is encoded.
struct Leaf {
    ty: ParquetType,
    encoding: Vec<Encoding>,
}

/// Snapshot and change set written from the same row groups.
pub struct TwinRowGroups {
    snapshot: BatchedWriter<std::fs::File>,
    changes: BatchedWriter<std::fs::File>,
    leaves: Vec<Leaf>,
    change_leaf: Leaf,
    hash_at: usize,
    options: WriteOptions,
    rows: RowBuffer,
}

impl TwinRowGroups {
    /// Writers of `snapshot` (rows of `schema`, ending with `_row_hash`) and `changes`.
    pub fn create(snapshot: PathBuf, changes: PathBuf, schema: &Schema, opts: &PublishSpec) -> Result<TwinRowGroups> {
        let mut change_schema = schema.clone();
        change_schema.shift_remove(ROW_HASH);
        change_schema.with_column(CHANGE_TYPE.into(), DataType::String);
        let open = |path: &PathBuf, schema: &Schema| -> Result<BatchedWriter<std::fs::File>> {
            let file =
                std::fs::File::create(path).map_err(|e| Error::Internal(format!("writing {}: {e}", path.display())))?;
            Ok(ParquetWriter::new(file).with_compression(publish::compression(opts)).batched(schema)?)
        };
        let (mut snap_writer, mut change_writer) = (open(&snapshot, schema)?, open(&changes, &change_schema)?);
        let leaves = leaves_of(&mut snap_writer, schema)?;
        let change_leaf = leaves_of(&mut change_writer, &change_schema)?
            .pop()
            .ok_or_else(|| Error::Internal("no change type column".into()))?;
        let hash_at = schema
            .index_of(ROW_HASH)
            .filter(|_| leaves.len() == schema.len())
            .ok_or_else(|| Error::Internal("unexpected snapshot columns".into()))?;
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            version: Version::V1,
            compression: publish::compression(opts).into(),
            data_page_size: None,
        };
        Ok(TwinRowGroups {
            snapshot: snap_writer,
            changes: change_writer,
            leaves,
            change_leaf,
            hash_at,
            options,
            rows: RowBuffer::new(schema, opts),
        })
    }

    /// Adds rows (in the snapshot's schema).
    pub fn push(&mut self, part: DataFrame) -> Result<()> {
        match self.rows.push(part)? {
            Some(group) => self.write(group),
            None => Ok(()),
        }
    }

    fn write(&mut self, part: DataFrame) -> Result<()> {
        for batch in part.iter_chunks(CompatLevel::newest(), false) {
            let mut columns = Vec::with_capacity(self.leaves.len());
            for (array, leaf) in batch.columns().iter().zip(&self.leaves) {
                columns.extend(self.encode(array, leaf)?);
            }
            let kinds =
                StringChunked::full(CHANGE_TYPE.into(), change_type(INSERT), batch.len()).rechunk().into_owned();
            let mut kind_pages = Vec::new();
            for array in kinds.chunks() {
                kind_pages.extend(self.encode(array, &self.change_leaf)?);
            }
            self.snapshot.write_row_group(batch.len() as u64, &columns)?;
            let shared = columns.iter().enumerate().filter(|(i, _)| *i != self.hash_at).map(|(_, c)| c.as_slice());
            let change_columns: Vec<&[CompressedPage]> = shared.chain(kind_pages.iter().map(Vec::as_slice)).collect();
            let group = DynIter::new(change_columns.into_iter().map(|pages| {
                Ok(DynStreamingIterator::new(fallible_streaming_iterator::convert(pages.iter().map(PolarsResult::Ok))))
            }));
            let mut writer = self
                .changes
                .get_writer()
                .lock()
                .map_err(|_| Error::Internal("the change set writer is poisoned".into()))?;
            writer.write(batch.len() as u64, group)?;
        }
        Ok(())
    }

    fn encode(&self, array: &ArrayRef, leaf: &Leaf) -> Result<Vec<Vec<CompressedPage>>> {
        encode(array, &leaf.ty, &leaf.encoding, self.options)
    }

    /// Ends both files; returns the rows written to each.
    pub fn finish(mut self) -> Result<u64> {
        if let Some(group) = self.rows.take() {
            self.write(group)?;
        }
        self.snapshot.finish()?;
        self.changes.finish()?;
        Ok(self.rows.rows)
    }
}

/// The compressed pages of one column's chunk (one list per leaf column).
pub(super) fn encode(
    array: &ArrayRef,
    ty: &ParquetType,
    encoding: &[Encoding],
    options: WriteOptions,
) -> Result<Vec<Vec<CompressedPage>>> {
    let mut out = Vec::new();
    for pages in array_to_columns(array, ty.clone(), options, encoding)? {
        out.push(pages.map(|p| Ok(compress(p?, Vec::new(), options.compression)?)).collect::<PolarsResult<Vec<_>>>()?);
    }
    Ok(out)
}

/// How each column of `schema` is encoded by `writer`.
fn leaves_of(writer: &mut BatchedWriter<std::fs::File>, schema: &Schema) -> Result<Vec<Leaf>> {
    let encodings = get_encodings(&schema.to_arrow(CompatLevel::newest()));
    let types = writer.parquet_schema().fields().to_vec();
    Ok(types.into_iter().zip(encodings.iter()).map(|(ty, encoding)| Leaf { ty, encoding: encoding.clone() }).collect())
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
