//! Shared catalogs (danh mục dùng chung): code tables with validity periods and successor
//! codes, loaded from catalog files into the store, versioned and published like datasets, and
//! queried as of a date.

pub(crate) mod load;
pub mod matcher;
pub mod query;
pub mod spec;
pub mod table;

pub use load::{catalog_ids, load_all, load_file, LoadReport};

/// Errors of catalog loading and queries.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The catalog file cannot be read or parsed.
    #[error("{file}: {message}")]
    Spec { file: String, message: String },
    /// A data file of the catalog is malformed.
    #[error("{file} line {line}: {message}")]
    Data { file: String, line: u64, message: String },
    /// The catalog is not in the store.
    #[error("catalog '{0}' is not loaded: run `lgsp init` or `lgsp catalog load`")]
    Unknown(String),
    /// A date argument is not `yyyy-mm-dd`.
    #[error("'{0}' is not a date: write yyyy-mm-dd")]
    Date(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] crate::objects::Error),
    /// Encoding the published files failed.
    #[error("dataframe: {0}")]
    Frame(#[from] polars::error::PolarsError),
    /// A catalog's Parquet file could not be written.
    #[error(transparent)]
    Parquet(#[from] crate::parquet_io::Error),
    /// A value stored or published as JSON could not be encoded.
    #[error("encoding {what} as JSON: {source}")]
    Json { what: &'static str, source: serde_json::Error },
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Today's date, `yyyy-mm-dd` (the default "as of").
pub fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

/// Checks and normalizes a date argument (`dd/mm/yyyy` also accepted).
pub fn parse_date(s: &str) -> Result<String> {
    crate::text::date::parse_date(s).map(|d| d.to_string()).map_err(|_| Error::Date(s.to_string()))
}
