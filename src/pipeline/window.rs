//! A key-sorted Parquet file read a window of rows at a time: its sort columns (as
//! [`SortCol`]s) and its row hashes, checked to come in the order the file claims. Merging such
//! files row by row keeps only one window of each in memory.

use super::order::{self, SortCol};
use super::transform::ROW_HASH;
use super::Result;
use crate::parquet_io;
use polars::prelude::*;
use std::path::PathBuf;

/// Where a window reader stands after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// On a row.
    Row,
    /// Past the last row.
    End,
    /// The file's rows are not in the order expected.
    Unsorted,
}

/// How a file's rows are ordered and read.
pub(crate) struct Layout {
    /// Sort columns, most significant first.
    pub(crate) names: Vec<String>,
    /// The type each sort column is compared as (cast when the file's differs).
    pub(crate) types: Vec<DataType>,
    /// Whether each sort column is descending.
    pub(crate) desc: Vec<bool>,
    /// Rows read at a time.
    pub(crate) window: usize,
}

/// A reader of one file (see the module's note).
pub(crate) struct Windows {
    file: parquet_io::Slices,
    layout: std::sync::Arc<Layout>,
    total: usize,
    start: usize,
    /// Index of the current row in the window.
    pub(crate) at: usize,
    /// The window's sort columns.
    pub(crate) cols: Vec<SortCol>,
    /// The window's row hashes.
    pub(crate) hash: Vec<u64>,
}

impl Windows {
    /// A reader on `path`, on its first row (or at its end); `None` when a sort column has no
    /// order here.
    pub(crate) fn open(path: PathBuf, layout: std::sync::Arc<Layout>) -> Result<Option<(Windows, Step)>> {
        let file = parquet_io::Slices::open(&path)?;
        let total = file.rows();
        let mut w = Windows { file, layout, total, start: 0, at: 0, cols: Vec::new(), hash: Vec::new() };
        let step = match w.load(0)? {
            None => return Ok(None),
            Some(step) => step,
        };
        Ok(Some((w, step)))
    }

    /// The position in the file of the current row.
    pub(crate) fn position(&self) -> usize {
        self.start + self.at
    }

    /// Moves to the next row.
    pub(crate) fn advance(&mut self) -> Result<Step> {
        self.at += 1;
        if self.at < self.hash.len() {
            return Ok(Step::Row);
        }
        let next = self.start + self.hash.len();
        // A type that had an order in the first window has one in every window.
        Ok(self.load(next)?.unwrap_or(Step::Unsorted))
    }

    fn load(&mut self, start: usize) -> Result<Option<Step>> {
        if start >= self.total {
            self.at = self.hash.len();
            return Ok(Some(Step::End));
        }
        let layout = &self.layout;
        let mut columns = layout.names.clone();
        columns.push(ROW_HASH.to_string());
        let df = self.file.read(Some(columns), start, layout.window)?;
        let Some(cols) = SortCol::all_of(&df, &layout.names, &layout.types)? else { return Ok(None) };
        let hash: Vec<u64> = df.column(ROW_HASH)?.u64()?.iter().map(|h| h.unwrap_or(0)).collect();
        if hash.is_empty() {
            self.at = self.hash.len();
            return Ok(Some(Step::End));
        }
        let mut step = match order::sorted(&cols, &layout.desc, true) {
            true => Step::Row,
            false => Step::Unsorted,
        };
        if let Some(last) = self.hash.len().checked_sub(1) {
            if order::cmp_rows(&self.cols, last, &cols, 0, &layout.desc).is_ge() {
                step = Step::Unsorted;
            }
        }
        (self.cols, self.hash, self.start, self.at) = (cols, hash, start, 0);
        Ok(Some(step))
    }
}
