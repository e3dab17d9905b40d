//! Parquet encoding and decoding for every file the hub writes or reads: published files
//! (snapshots, change sets, quarantines, catalogs, API downloads), the spill files of a run, and
//! row groups encoded once and written to two files. The only module that uses Polars' Parquet
//! internals (`polars-parquet`), so a Polars upgrade touches this file.
//!
//! What consumers read must open in the readers agencies have (pyarrow 12+, DuckDB, Spark,
//! pandas): every file carries an embedded Arrow schema with plain `large_string` and
//! `large_binary` types, never the view types (`string_view`) that older readers refuse.

use polars::io::parquet::write::{get_encodings, BatchedWriter, KeyValueMetadata, StatisticsOptions};
use polars::prelude::*;
use polars_parquet::read::fallible_streaming_iterator;
pub(crate) use polars_parquet::write::CompressedPage;
use polars_parquet::write::{
    array_to_columns, compress, schema_to_metadata_key, DynIter, DynStreamingIterator, Encoding, ParquetType, Version,
    WriteOptions,
};
use serde::Deserialize;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Errors of Parquet encoding and decoding.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be created or opened.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Polars failed to encode or decode.
    #[error(transparent)]
    Polars(#[from] PolarsError),
    /// A writer's lock was poisoned by a panic on another thread.
    #[error("the Parquet writer of {0} is poisoned")]
    Poisoned(&'static str),
}

/// Result of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Compression of a published file, as a pipeline file names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// zstd (the default).
    #[default]
    Zstd,
    /// Snappy.
    Snappy,
    /// LZ4 (the raw LZ4 codec of the Parquet format).
    Lz4,
    /// No compression.
    #[serde(rename = "none")]
    Uncompressed,
}

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Compression of each page.
    pub codec: Codec,
    /// zstd level (1 to 22; the zstd default when absent).
    pub zstd_level: Option<i32>,
    /// Rows per row group.
    pub row_group_size: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { codec: Codec::Zstd, zstd_level: Some(1), row_group_size: 32_768 }
    }
}

impl Options {
    /// Uncompressed, for files read once and soon (the spill of a run).
    pub(crate) const SCRATCH: Options = Options { codec: Codec::Uncompressed, zstd_level: None, row_group_size: 4096 };

    /// The compression Polars applies.
    fn compression(&self) -> ParquetCompression {
        match self.codec {
            Codec::Snappy => ParquetCompression::Snappy,
            Codec::Lz4 => ParquetCompression::Lz4Raw,
            Codec::Uncompressed => ParquetCompression::Uncompressed,
            // Pipeline files are checked for levels 1 to 22 when loaded: `None` is the default.
            Codec::Zstd => ParquetCompression::Zstd(self.zstd_level.and_then(|l| ZstdLevel::try_new(l).ok())),
        }
    }
}

use polars::polars_utils::compression::ZstdLevel;

/// The Arrow schema embedded in every file: `schema` with plain (non-view) string and binary
/// types, which every Arrow reader since pyarrow 1 understands.
fn portable_schema(schema: &Schema) -> KeyValueMetadata {
    let kv = schema_to_metadata_key(&schema.to_arrow(CompatLevel::oldest()));
    KeyValueMetadata::from_static(vec![(kv.key, kv.value.unwrap_or_default())])
}

/// A Parquet writer with `opts` and the portable schema of `schema`.
fn writer<W: std::io::Write>(w: W, schema: &Schema, opts: &Options) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_compression(opts.compression())
        .with_row_group_size(Some(opts.row_group_size))
        .with_key_value_metadata(Some(portable_schema(schema)))
}

/// Encodes a whole frame.
pub(crate) fn to_bytes(df: &mut DataFrame, opts: &Options) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    writer(&mut buf, &df.schema().clone(), opts).finish(df)?;
    Ok(buf)
}

/// Writes a whole frame to `path`; returns its rows.
pub fn write_file(path: &Path, df: &mut DataFrame, opts: &Options) -> Result<u64> {
    let file = create(path)?;
    writer(file, &df.schema().clone(), opts).finish(df)?;
    Ok(df.height() as u64)
}

/// A writer of `path` that takes a frame of `schema` at a time.
pub(crate) fn batched(path: &Path, schema: &Schema, opts: &Options) -> Result<BatchedWriter<File>> {
    Ok(writer(create(path)?, schema, opts).batched(schema)?)
}

/// Decodes a whole file held in memory.
pub(crate) fn from_bytes(bytes: impl AsRef<[u8]>) -> Result<DataFrame> {
    Ok(ParquetReader::new(std::io::Cursor::new(bytes.as_ref())).finish()?)
}

/// Reads `columns` (all when `None`) of the rows `slice` (offset, length; all when `None`) of
/// the file at `path`.
pub(crate) fn read_file(path: &Path, columns: Option<Vec<String>>, slice: Option<(usize, usize)>) -> Result<DataFrame> {
    let file = File::open(path).map_err(|source| Error::Io { path: path.into(), source })?;
    Ok(ParquetReader::new(file).with_columns(columns).with_slice(slice).finish()?)
}

/// A file read a slice of rows at a time: its footer is read once, and only the row groups a
/// slice covers are decoded (by row group: decoding by column walks every row group before the
/// slice, which makes reading a file window by window quadratic).
pub(crate) struct Slices {
    file: File,
    metadata: FileMetadataRef,
}

impl Slices {
    /// Opens the file at `path` and reads its footer.
    pub(crate) fn open(path: &Path) -> Result<Slices> {
        let mut file = File::open(path).map_err(|source| Error::Io { path: path.into(), source })?;
        let metadata = ParquetReader::new(&mut file).get_metadata()?.clone();
        Ok(Slices { file, metadata })
    }

    /// Rows in the file.
    pub(crate) fn rows(&self) -> usize {
        self.metadata.num_rows
    }

    /// Reads `columns` (all when `None`) of `len` rows from row `start`.
    pub(crate) fn read(&mut self, columns: Option<Vec<String>>, start: usize, len: usize) -> Result<DataFrame> {
        let mut reader = ParquetReader::new(&mut self.file)
            .with_columns(columns)
            .with_slice(Some((start, len)))
            .read_parallel(ParallelStrategy::RowGroups);
        reader.set_metadata(self.metadata.clone());
        Ok(reader.finish()?)
    }
}

fn create(path: &Path) -> Result<File> {
    File::create(path).map_err(|source| Error::Io { path: path.into(), source })
}

/// The compressed pages of a row group's columns, encoded once and written to several files.
pub(crate) type Pages = Vec<Vec<CompressedPage>>;

/// A file written a row group of encoded pages at a time: the Parquet type and encodings of
/// each leaf column, and how pages are encoded.
pub(crate) struct PageWriter {
    writer: BatchedWriter<File>,
    leaves: Vec<(ParquetType, Vec<Encoding>)>,
    options: WriteOptions,
}

impl PageWriter {
    /// A writer of `path` for frames of `schema`. `plain` writes plain pages without
    /// statistics (for scratch files: dictionaries and statistics cost more than they save).
    pub(crate) fn create(path: &Path, schema: &Schema, opts: &Options, plain: bool) -> Result<PageWriter> {
        let mut w = writer(create(path)?, schema, opts);
        if plain {
            w = w.with_statistics(StatisticsOptions::empty());
        }
        let mut writer = w.batched(schema)?;
        let types = writer.parquet_schema().fields().to_vec();
        let encodings = get_encodings(&schema.to_arrow(CompatLevel::newest()));
        let leaves = types
            .into_iter()
            .zip(encodings.iter())
            .map(|(ty, enc)| (ty, if plain { vec![Encoding::Plain] } else { enc.clone() }))
            .collect();
        let statistics = if plain { StatisticsOptions::empty() } else { StatisticsOptions::default() };
        let options = WriteOptions {
            statistics,
            version: Version::V1,
            compression: opts.compression().into(),
            data_page_size: None,
        };
        Ok(PageWriter { writer, leaves, options })
    }

    /// Leaf columns of the file.
    pub(crate) fn leaves(&self) -> usize {
        self.leaves.len()
    }

    /// Encodes and compresses column `leaf`'s array.
    pub(crate) fn encode(&self, leaf: usize, array: &ArrayRef) -> Result<Pages> {
        let (ty, encoding) = &self.leaves[leaf];
        let mut out = Vec::new();
        for pages in array_to_columns(array, ty.clone(), self.options, encoding)? {
            let compressed = pages.map(|p| Ok(compress(p?, Vec::new(), self.options.compression)?));
            out.push(compressed.collect::<PolarsResult<Vec<_>>>()?);
        }
        Ok(out)
    }

    /// Encodes every column of a batch, in order.
    pub(crate) fn encode_batch(&self, batch: &Batch) -> Result<Pages> {
        let mut columns = Vec::with_capacity(self.leaves.len());
        for (leaf, array) in batch.columns.iter().enumerate() {
            columns.extend(self.encode(leaf, array)?);
        }
        Ok(columns)
    }

    /// Writes a row group of `rows` rows from the pages of each leaf column, in order.
    pub(crate) fn write(&self, rows: usize, columns: &[&[CompressedPage]]) -> Result<()> {
        let group = DynIter::new(columns.iter().map(|pages| {
            Ok(DynStreamingIterator::new(fallible_streaming_iterator::convert(pages.iter().map(PolarsResult::Ok))))
        }));
        let mut writer = self.writer.get_writer().lock().map_err(|_| Error::Poisoned("a row group"))?;
        writer.write(rows as u64, group)?;
        Ok(())
    }

    /// Ends the file.
    pub(crate) fn finish(self) -> Result<()> {
        self.writer.finish()?;
        Ok(())
    }
}

/// Rows of a frame as one Arrow array per column.
pub(crate) struct Batch {
    /// Rows in the batch.
    pub rows: usize,
    /// One array per column, in the frame's order.
    pub columns: Vec<ArrayRef>,
}

/// The batches of `df`, one per chunk (its columns must be chunked alike: rechunk first).
pub(crate) fn batches(df: &DataFrame) -> impl Iterator<Item = Batch> + '_ {
    df.iter_chunks(CompatLevel::newest(), false).map(|b| Batch { rows: b.len(), columns: b.columns().to_vec() })
}

#[cfg(test)]
mod tests;
