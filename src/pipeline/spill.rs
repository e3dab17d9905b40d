//! Spill: the valid rows of each transformed batch go, sorted by business key, to a temporary
//! Parquet file (a *run*), so that memory holds only the slim columns that deduplication and the
//! change plan need (key, survivorship and `unique` fields, line, row hash, and where the row
//! lives). Publishing merges the runs in key order through a [`Cursor`] on each.

use super::spec::{PipelineSpec, RuleSpec};
use super::transform::{LINE, ROW_HASH};
use super::{Error, Result};
use crate::parquet_io::{self, Options, PageWriter};
use polars::prelude::*;
use std::path::PathBuf;

/// Column with the run (batch sequence number) a slim row comes from.
pub(crate) const RUN: &str = "_run";
/// Column with the row's position inside its run.
pub(crate) const POS: &str = "_pos";
/// Rows per row group of a run, and rows a [`Cursor`] on a run holds at a time, at most...
pub(crate) const RUN_WINDOW: usize = 4096;
/// ... and at least (a large input has many runs, all read at once when they are merged).
const MIN_RUN_WINDOW: usize = 512;
/// Rows of all runs' windows together, at most (about 100 MB of the usual rows), where
/// [`MIN_RUN_WINDOW`] allows.
const ALL_WINDOWS: usize = 256 * 1024;

/// The temporary files of one pipeline run (removed when dropped).
pub(crate) struct Spill {
    dir: tempfile::TempDir,
    runs: usize,
    window: std::sync::OnceLock<usize>,
}

impl Spill {
    /// A new, empty spill folder under the system's temporary folder (`TMPDIR`).
    pub(crate) fn new() -> Result<Spill> {
        let dir =
            crate::scratch::dir("spill").map_err(|e| scratch("creating a folder in", &crate::scratch::root(), e))?;
        Ok(Spill { dir, runs: 0, window: std::sync::OnceLock::new() })
    }

    /// Sizes the runs' row groups for about `runs` runs in all (call before the first run is
    /// written; later calls change nothing).
    pub(crate) fn expect_runs(&self, runs: usize) {
        let fit = (ALL_WINDOWS / runs.max(1)).clamp(MIN_RUN_WINDOW, RUN_WINDOW);
        // A power of two, so that windows of this size line up with the row groups.
        let _ = self.window.set(1 << fit.ilog2());
    }

    /// Rows per row group of each run, and per window of a cursor on it.
    pub(crate) fn window(&self) -> usize {
        *self.window.get_or_init(|| RUN_WINDOW)
    }

    /// A path for a temporary file of this run.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The file of run `run`.
    pub(crate) fn run_path(&self, run: usize) -> PathBuf {
        self.file(&format!("run-{run:06}.parquet"))
    }

    /// Writes the valid rows of batch `run` (fields + `_line` + `_row_hash`).
    pub(crate) fn write(&self, run: usize, df: &mut DataFrame) -> Result<()> {
        // Plain, uncompressed pages: trying dictionaries (a cardinality estimate and a hash map
        // per page) or compressing costs more CPU than writing the bytes of a file read once.
        let writer = PageWriter::create(&self.run_path(run), df.schema(), &Options::SCRATCH, true)?;
        df.rechunk_mut_par();
        let window = self.window();
        for start in (0..df.height()).step_by(window) {
            for batch in parquet_io::batches(&df.slice(start as i64, window)) {
                let pages = writer.encode_batch(&batch)?;
                writer.write(batch.rows, &pages.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
            }
        }
        writer.finish()?;
        Ok(())
    }

    /// Declares that runs `0..runs` were written.
    pub(crate) fn set_runs(&mut self, runs: usize) {
        self.runs = runs;
    }

    /// Number of runs.
    pub(crate) fn runs(&self) -> usize {
        self.runs
    }

    /// The columns `columns` (of `schema`) of every run's rows, with `_run` and `_pos`, leaving out the rows
    /// `excluded` (run, position).
    pub(crate) fn read_slim(
        &self,
        columns: &[String],
        schema: &Schema,
        excluded: &std::collections::HashSet<(u32, u32)>,
    ) -> Result<DataFrame> {
        let mut all: Option<DataFrame> = None;
        for run in 0..self.runs {
            let df = parquet_io::read_file(&self.run_path(run), Some(columns.to_vec()), None)?;
            let mut df = slim(&df, columns, run)?;
            if !excluded.is_empty() {
                let pos = df.column(POS)?.u32()?;
                let keep: BooleanChunked =
                    pos.iter().map(|p| Some(!excluded.contains(&(run as u32, p.unwrap_or(0))))).collect();
                df = df.filter(&keep)?;
            }
            match all.as_mut() {
                Some(a) => {
                    a.vstack_mut_owned(df)?;
                }
                None => all = Some(df),
            }
        }
        match all {
            Some(all) => Ok(all),
            None => {
                let fields = columns.iter().filter_map(|c| schema.get_field(c));
                Ok(slim(&DataFrame::empty_with_schema(&Schema::from_iter(fields)), columns, 0)?)
            }
        }
    }

    /// A cursor on run `run`, giving its rows conformed to `schema`.
    pub(crate) fn cursor(&self, run: usize, schema: &Schema) -> Cursor {
        Cursor::new(self.run_path(run), self.window(), schema)
    }
}

/// Reads rows of a Parquet file by position, a window of rows at a time, conformed to a schema
/// (a column missing from the file is null, a type changed since is cast, others are left out).
/// Positions asked in increasing order read each window once.
pub(crate) struct Cursor {
    path: PathBuf,
    file: Option<parquet_io::Slices>,
    window: usize,
    schema: Schema,
    start: usize,
    rows: DataFrame,
}

impl Cursor {
    /// A cursor on `path` holding `window` rows at a time.
    pub(crate) fn new(path: PathBuf, window: usize, schema: &Schema) -> Cursor {
        Cursor { path, file: None, window: window.max(1), schema: schema.clone(), start: 0, rows: DataFrame::empty() }
    }

    /// The rows at `positions`, in that order.
    pub(crate) fn take(&mut self, positions: &[u32]) -> Result<DataFrame> {
        let mut parts: Vec<DataFrame> = Vec::new();
        let mut i = 0;
        while i < positions.len() {
            let p = positions[i] as usize;
            if p < self.start || p >= self.start + self.rows.height() {
                self.load(p / self.window * self.window)?;
            }
            let end = self.start + self.rows.height();
            let mut at = Vec::new();
            while i < positions.len() && (self.start..end).contains(&(positions[i] as usize)) {
                at.push((positions[i] as usize - self.start) as IdxSize);
                i += 1;
            }
            if at.is_empty() {
                return Err(Error::PastEnd { row: positions[i], path: self.path.clone() });
            }
            // Rows asked in a run of consecutive positions (the usual case: a run and the plan
            // are both in key order) are a slice of the window, shared, not copied.
            parts.push(match at.windows(2).all(|w| w[1] == w[0] + 1) {
                true => self.rows.slice(at[0] as i64, at.len()),
                false => self.rows.take(&IdxCa::from_vec("at".into(), at))?,
            });
        }
        let mut parts = parts.into_iter();
        let mut out = parts.next().unwrap_or_else(|| DataFrame::empty_with_schema(&self.schema));
        for p in parts {
            out.vstack_mut_owned(p)?;
        }
        Ok(out)
    }

    fn load(&mut self, start: usize) -> Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(parquet_io::Slices::open(&self.path)?),
        };
        let df = file.read(None, start, self.window)?;
        let height = df.height();
        let columns = self
            .schema
            .iter()
            .map(|(name, dtype)| match df.column(name) {
                Ok(c) if c.dtype() == dtype => Ok(c.clone()),
                Ok(c) => c.cast(dtype),
                Err(_) => Ok(Column::full_null(name.clone(), height, dtype)),
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        self.rows = DataFrame::new(height, columns)?;
        self.start = start;
        Ok(())
    }
}

fn scratch(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Error {
    Error::Scratch { what, path: path.into(), source }
}

/// The columns kept in memory for each valid row: key, survivorship field, `unique` fields,
/// `_line`, `_row_hash`.
pub(crate) fn slim_columns(spec: &PipelineSpec) -> Vec<String> {
    let mut cols: Vec<String> = spec.key.clone();
    let extra = spec
        .survivorship
        .field
        .iter()
        .cloned()
        .chain(spec.fields.iter().filter(|f| f.rules.contains(&RuleSpec::Unique)).map(|f| f.name.clone()));
    for c in extra.chain([LINE.to_string(), ROW_HASH.to_string()]) {
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    cols
}

/// The slim view of batch `run`'s valid rows, with `_run` and `_pos`.
pub(crate) fn slim(valid: &DataFrame, columns: &[String], run: usize) -> PolarsResult<DataFrame> {
    let mut slim = valid.select(columns.iter().map(|c| c.as_str()))?;
    let n = valid.height();
    slim.with_column(Column::new(RUN.into(), vec![run as u32; n]))?;
    slim.with_column(Column::new(POS.into(), (0..n as u32).collect::<Vec<u32>>()))?;
    Ok(slim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_runs_get_smaller_windows_within_bounds() {
        let sized = |runs| {
            let spill = Spill::new().unwrap();
            spill.expect_runs(runs);
            spill.window()
        };
        assert_eq!(sized(1), RUN_WINDOW);
        assert_eq!(sized(64), RUN_WINDOW);
        assert_eq!(sized(153), 1024, "5M rows in batches of 32,768");
        assert_eq!(sized(611), MIN_RUN_WINDOW, "20M rows");
        assert_eq!(Spill::new().unwrap().window(), RUN_WINDOW, "unsized");
    }

    #[test]
    fn a_cursor_reads_rows_across_windows_and_conforms_them() {
        let spill = Spill::new().unwrap();
        let mut df = df!("k" => (0..10_000i64).collect::<Vec<_>>(), "v" => (0..10_000i64).map(|i| format!("row {i}")).collect::<Vec<_>>()).unwrap();
        spill.write(0, &mut df).unwrap();
        let schema = Schema::from_iter([
            Field::new("v".into(), DataType::String),
            Field::new("k".into(), DataType::Int64),
            Field::new("added".into(), DataType::Boolean),
        ]);
        let mut cursor = spill.cursor(0, &schema);
        let rows = cursor.take(&[1, 4095, 4096, 9999, 5]).unwrap();
        let keys: Vec<i64> = rows.column("k").unwrap().i64().unwrap().iter().flatten().collect();
        assert_eq!(keys, vec![1, 4095, 4096, 9999, 5], "in the order asked, a window reloaded when needed");
        assert_eq!(rows.get_column_names(), ["v", "k", "added"]);
        assert_eq!(rows.column("added").unwrap().null_count(), 5, "a column the file lacks is null");
        let run: Vec<i64> = cursor
            .take(&[4094, 4095, 4096, 4097])
            .unwrap()
            .column("k")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(run, vec![4094, 4095, 4096, 4097], "consecutive positions across two windows");
        assert!(cursor.take(&[10_000]).is_err(), "a position past the end is an error");
    }

    #[test]
    fn every_column_type_round_trips_through_a_run_file() {
        let spill = Spill::new().unwrap();
        let n = 9000;
        let dates = Column::new("d".into(), (0..n).map(|i| Some(i % 20_000)).collect::<Vec<Option<i32>>>())
            .cast(&DataType::Date)
            .unwrap();
        let times = Column::new("t".into(), (0..n as i64).map(|i| i * 1_000_003).collect::<Vec<_>>())
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
            .unwrap();
        let amounts = Column::new("m".into(), (0..n as i64).map(|i| i * 12_345 - 7).collect::<Vec<_>>())
            .cast(&DataType::Decimal(38, 2))
            .unwrap();
        let names: Vec<Option<String>> =
            (0..n).map(|i| (i % 7 != 0).then(|| format!("Nguyễn Văn {i} – Đắk Lắk"))).collect();
        let mut df = DataFrame::new(
            n as usize,
            vec![
                Column::new("k".into(), (0..n as i64).collect::<Vec<_>>()),
                Column::new("s".into(), names),
                Column::new("b".into(), (0..n).map(|i| (i % 3 != 0).then_some(i % 2 == 0)).collect::<Vec<_>>()),
                Column::new(
                    ROW_HASH.into(),
                    (0..n as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect::<Vec<_>>(),
                ),
                dates,
                times,
                amounts,
            ],
        )
        .unwrap();
        let expected = df.clone();
        spill.write(3, &mut df).unwrap();
        let mut cursor = spill.cursor(3, expected.schema());
        let back = cursor.take(&(0..n as u32).collect::<Vec<_>>()).unwrap();
        assert!(back.equals_missing(&expected), "{back}\n{expected}");
    }
}
