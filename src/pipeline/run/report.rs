//! What a run is asked to do, and what it reports.

use crate::outcome::{RunCounts, RunStatus};
use crate::pipeline::spec::PipelineSpec;
use serde::Serialize;
use std::path::PathBuf;

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Read this file instead of the source path of the spec.
    pub input: Option<PathBuf>,
    /// `manual` (default), `schedule` or `retry`.
    pub trigger: Option<String>,
    /// Show a progress bar on the terminal.
    pub progress: bool,
    /// A steward's approval of a held run: its gates are waived for an input with the same checksum.
    pub approval: Option<Approval>,
    /// How long a run may go unseen before it counts as interrupted (default [`RUN_LEASE`]);
    /// a running run notes that it is alive three times per lease.
    pub lease: Option<std::time::Duration>,
    /// Read a text input (CSV, or an HTTP answer in CSV) in this encoding instead of the
    /// pipeline's: another delivery of the same dataset.
    pub encoding: Option<crate::text::legacy::Encoding>,
    /// Read `input` in this format instead of the one of its extension (or the pipeline's).
    pub format: Option<crate::source::spec::FileFormat>,
    /// Ignore the saved source state once (see `source::Pull::force`).
    pub force: bool,
    /// Stop before publishing: report the would-be counts and gates; write nothing, record
    /// nothing in the run history, save no source state.
    pub dry_run: bool,
    /// Publish even when the pipeline breaks the data contract without raising `contract_version`.
    pub allow_breaking: bool,
}

/// The default lease of a run.
pub const RUN_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// A held run a steward approved.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The held run.
    pub run_id: String,
    /// sha256 of its input: the approval covers that input only.
    pub input_sha256: String,
}

/// What a run did (printed by `lgsp run --json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub pipeline: String,
    pub dataset: String,
    /// `published`, `unchanged` or `held` (a quality gate tripped: nothing was published).
    pub status: RunStatus,
    /// The version published, or the current one when nothing was published.
    pub version: Option<i64>,
    /// Rows read, valid, quarantined, collapsed; keys inserted, updated, deleted, kept.
    #[serde(flatten)]
    pub counts: RunCounts,
    /// Rows quarantined per reason (`rule:field`; a row counts once per reason).
    pub(crate) quarantine_reasons: std::collections::BTreeMap<String, u64>,
    pub(crate) input_sha256: String,
    pub(crate) input_bytes: u64,
    /// Locations of the published files (null when nothing was published).
    pub(crate) snapshot: Option<String>,
    pub(crate) changes: Option<String>,
    pub(crate) quarantine: Option<String>,
    pub manifest: Option<String>,
    /// Where the quarantined rows of a run that published no version are kept
    /// (`runs/<run id>/quarantine.parquet`; null when it published one, or quarantined nothing).
    pub(crate) run_quarantine: Option<String>,
    /// The quality gates a held run tripped (empty unless held).
    pub gates: Vec<crate::pipeline::gates::Tripped>,
    /// The held run whose approval let this run's data through its gates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approves: Option<String>,
    /// A dry run: the status and counts say what the run would have done; nothing was written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

impl RunReport {
    /// A run that found nothing new and published nothing.
    pub(super) fn unchanged(spec: &PipelineSpec, version: Option<i64>) -> RunReport {
        RunReport {
            pipeline: spec.id.to_string(),
            dataset: spec.dataset.to_string(),
            status: RunStatus::Unchanged,
            version,
            ..RunReport::default()
        }
    }
}

impl RunReport {
    /// True when the run published a new version (a dry run publishes nothing).
    pub fn published(&self) -> bool {
        self.status == RunStatus::Published && !self.dry_run
    }

    /// True when a quality gate held the run.
    pub fn held(&self) -> bool {
        self.status == RunStatus::Held
    }
}
