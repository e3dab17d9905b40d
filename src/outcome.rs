//! What a pipeline run came to: its row counts and its status. One type for each, shared by the
//! run report, the manifest of a version, the run history and the reports.

use serde::{Deserialize, Serialize};

/// Row counts of a run. Every input row is accounted for:
/// `rows_read = rows_valid + rows_quarantined`, and `rows_valid − duplicates_collapsed` rows
/// reach the change plan.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunCounts {
    /// Data rows read from the input.
    pub rows_read: u64,
    /// Rows that passed every rule.
    pub rows_valid: u64,
    /// Rows moved to the quarantine, with their reasons.
    pub rows_quarantined: u64,
    /// Valid rows merged into another row of the same business key (survivorship).
    pub duplicates_collapsed: u64,
    /// Rows of the new snapshot.
    #[serde(default)]
    pub rows: u64,
    /// Keys new in this version.
    pub inserted: u64,
    /// Keys whose row changed.
    pub updated: u64,
    /// Keys gone from a full extract.
    pub deleted: u64,
    /// Keys whose new row was quarantined and which keep their previous version.
    #[serde(default)]
    pub kept_previous: u64,
    /// Keys whose new row was quarantined and which were deleted (`on_quarantined_key =
    /// "withdraw"`); counted in `deleted` too.
    #[serde(default)]
    pub withdrawn: u64,
}

impl RunCounts {
    /// True when the run changes the dataset (a new version is due).
    pub(crate) fn changes_anything(&self) -> bool {
        self.inserted + self.updated + self.deleted > 0
    }
}

/// Where a run stands, as the run history stores it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Started and not finished (or its process died; see `lgsp runs`).
    #[default]
    Running,
    /// Finished and published a new version.
    Published,
    /// Finished; the data did not change, so no version was published.
    Unchanged,
    /// Stopped with an error; nothing was published.
    Failed,
    /// Tripped a quality gate: nothing was published; waits for a steward's decision.
    Held,
    /// A held run a steward approved (the run that published its data is named in the audit log).
    Approved,
    /// A held run a steward rejected: its data is never published.
    Rejected,
    /// Its process died before it finished (marked once its lease expired); nothing was published.
    Interrupted,
}

impl RunStatus {
    /// Every status, in the order above.
    pub const ALL: [RunStatus; 8] = [
        RunStatus::Running,
        RunStatus::Published,
        RunStatus::Unchanged,
        RunStatus::Failed,
        RunStatus::Held,
        RunStatus::Approved,
        RunStatus::Rejected,
        RunStatus::Interrupted,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Published => "published",
            RunStatus::Unchanged => "unchanged",
            RunStatus::Failed => "failed",
            RunStatus::Held => "held",
            RunStatus::Approved => "approved",
            RunStatus::Rejected => "rejected",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// Reads a stored text (`None` for anything else).
    pub fn parse(text: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_back_what_it_writes() {
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(RunStatus::parse("Published"), None);
    }

    #[test]
    fn counts_without_snapshot_rows_read_as_zero() {
        let c: RunCounts = serde_json::from_str(
            r#"{"rows_read":3,"rows_valid":2,"rows_quarantined":1,"duplicates_collapsed":0,"inserted":2,"updated":0,"deleted":0}"#,
        )
        .unwrap();
        assert_eq!((c.rows, c.kept_previous, c.changes_anything()), (0, 0, true));
    }
}
