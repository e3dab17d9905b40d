//! The batch path of a pipeline: extract → transform (normalize + validate) → dedupe → changes →
//! publish → store. `run` drives one run end to end.

pub(crate) mod changes;
pub(crate) mod check;
pub(crate) mod contract;
pub(crate) mod dedupe;
pub(crate) mod extract;
pub(crate) mod gates;
mod lookups;
pub(crate) mod normalize;
mod order;
mod plan_merge;
mod records;
pub mod retention;
mod row_groups;
mod run;
pub(crate) mod spec;
pub(crate) mod spill;
pub(crate) mod stage;
mod survive;
mod tournament;
pub(crate) mod transform;
mod twin;
pub(crate) mod unique;
pub mod validate;
pub mod version;
mod window;

pub use crate::outcome::RunStatus;
pub use crate::source::spec::FileFormat;
pub use crate::text::legacy::Encoding;
pub use run::{run, Approval, RunOptions, RunReport, RUN_LEASE};
pub use spec::PipelineSpec;

/// Fails when `spec` breaks the data contract of the `current` version of its dataset without
/// raising `contract_version` (what `lgsp check` reports before a run would be refused).
pub async fn check_contract(
    objects: &crate::objects::Objects,
    spec: &PipelineSpec,
    current: &crate::store::VersionRow,
) -> Result<()> {
    contract::check(objects, spec, Some(current), false).await
}

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
    /// A Parquet file of the run could not be written or read.
    #[error(transparent)]
    Parquet(#[from] crate::parquet_io::Error),
    /// The pipeline's schema breaks the data contract of the published dataset.
    #[error("dataset '{dataset}': the pipeline breaks its data contract: {message}")]
    Contract { dataset: String, message: String },
    /// A published version could not be read (the previous one, or one retention removed).
    #[error(transparent)]
    Versions(#[from] crate::versions::Error),
    /// A file of the run's temporary folder could not be written or read.
    #[error("{what} {}: {source} (the temporary folder is TMPDIR; check its free space)", path.display())]
    Scratch { what: &'static str, path: std::path::PathBuf, source: std::io::Error },
    /// A task of the run stopped abnormally (panicked or was cancelled).
    #[error("a {0} task stopped abnormally: {1}")]
    Task(&'static str, #[source] tokio::task::JoinError),
    /// A thread of the run stopped before its work was done; the error that stopped it, if any,
    /// is reported first.
    #[error("the {0} stopped before its work was done")]
    Stopped(&'static str),
    /// The frames of the run do not have the columns the code expects (a defect, not bad input).
    #[error("unexpected columns: {0}")]
    Columns(&'static str),
    /// A spill file holds fewer rows than the plan names (a defect, or the file changed under the run).
    #[error("row {row} is past the end of {}", path.display())]
    PastEnd { row: u32, path: std::path::PathBuf },
    /// The change plan names a batch that was not spilled (a defect).
    #[error("the change plan names batch {0}, which was not spilled")]
    MissingRun(u32),
    /// The source gave no input and said nothing about why.
    #[error("the source gave no input")]
    NoInput,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The audit log could not be read or signed.
    #[error(transparent)]
    Audit(#[from] crate::audit::Error),
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] crate::objects::Error),
    /// A shared catalog could not be read.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::Error),
    /// The previous version's snapshot is unreadable.
    #[error("previous version {version} of '{dataset}': {message}")]
    Previous { dataset: String, version: i64, message: String },
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;
