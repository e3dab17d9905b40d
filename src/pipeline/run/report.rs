//! What a run is asked to do, and what it reports.

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
}

/// What a run did (printed by `lgsp run --json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub pipeline: String,
    pub dataset: String,
    /// `published` or `unchanged`.
    pub status: String,
    /// The version published, or the current one when nothing was published.
    pub version: Option<i64>,
    pub rows_read: u64,
    pub rows_valid: u64,
    pub rows_quarantined: u64,
    pub duplicates_collapsed: u64,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Keys whose new row was quarantined and which keep their previous version.
    pub kept_previous: u64,
    /// Rows quarantined per reason (`rule:field`; a row counts once per reason).
    pub quarantine_reasons: std::collections::BTreeMap<String, u64>,
    pub input_sha256: String,
    pub input_bytes: u64,
    /// Locations of the published files (null when nothing was published).
    pub snapshot: Option<String>,
    pub changes: Option<String>,
    pub quarantine: Option<String>,
    pub manifest: Option<String>,
    /// Where the quarantined rows of a run that published no version are kept
    /// (`runs/<run id>/quarantine.parquet`; null when it published one, or quarantined nothing).
    pub run_quarantine: Option<String>,
}

impl RunReport {
    /// A run that found nothing new and published nothing.
    pub(super) fn unchanged(spec: &PipelineSpec, version: Option<i64>) -> RunReport {
        RunReport {
            pipeline: spec.id.clone(),
            dataset: spec.dataset.clone(),
            status: "unchanged".into(),
            version,
            ..RunReport::default()
        }
    }
}
