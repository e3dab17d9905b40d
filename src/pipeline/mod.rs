//! The batch path of a pipeline: extract → transform (normalize + validate) → dedupe → changes →
//! publish → store. `run` drives one run end to end.

pub mod changes;
pub mod check;
pub mod dedupe;
pub mod extract;
mod lookups;
pub mod normalize;
mod plan_merge;
pub mod publish;
mod records;
mod row_groups;
mod run;
pub mod spec;
pub mod spill;
pub(crate) mod stage;
pub mod transform;
mod twin;
pub mod unique;
pub mod validate;
pub mod version;

pub use run::{run, RunOptions, RunReport};
pub use spec::PipelineSpec;

/// Why a run failed. A failed run publishes nothing and leaves the current version as it was.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source could not be pulled.
    #[error(transparent)]
    Source(#[from] crate::source::Error),
    /// The source could not be read.
    #[error(transparent)]
    Extract(#[from] extract::Error),
    /// The pipeline's rules cannot be applied.
    #[error(transparent)]
    Rules(#[from] validate::Error),
    /// Dataframe work failed.
    #[error("dataframe: {0}")]
    Frame(#[from] polars::error::PolarsError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] crate::objects::Error),
    /// A shared catalog could not be read.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::Error),
    /// The previous version's snapshot is unreadable.
    #[error("previous version {version} of '{dataset}': {message}")]
    Previous { dataset: String, version: i64, message: String },
    /// A full extract would delete more of the current records than the pipeline allows.
    #[error("the extract would delete {deleted} of {current} current records, more than publish.max_delete_fraction = {fraction}: check that the file is complete, or raise the limit")]
    TooManyDeletes { deleted: usize, current: i64, fraction: f64 },
    /// Retention removed the files a request needs.
    #[error("the files of version {version} of '{dataset}' were removed by retention (publish.keep_versions); the oldest version kept is {oldest}: take its snapshot, then the changes after it")]
    Pruned { dataset: String, version: i64, oldest: i64 },
    /// A worker thread stopped abnormally.
    #[error("internal: {0}")]
    Internal(String),
}

/// Result type of this module.
pub type Result<T> = std::result::Result<T, Error>;
