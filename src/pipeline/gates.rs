//! Quality gates: dataset-level expectations a run must meet before it publishes. A run that
//! trips one publishes nothing and is held, with its reasons and its would-be counts, until a
//! steward approves it (`lgsp run approve`) or rejects it (`lgsp run reject`).

use crate::outcome::RunCounts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[gates]` table of a pipeline file. Every limit is a share from 0 to 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GatesSpec {
    /// Largest share of the rows read that may be quarantined (default 0.2). A run that
    /// quarantines every row is a wrong file or a wrong rule, not a success.
    #[serde(default = "default_quarantine")]
    pub(crate) max_quarantine_fraction: f64,
    /// Largest share of the current records one run may update (default 0.5): a mass update is
    /// usually a wrong encoding or a changed export, not a real change. Not checked on a first load.
    #[serde(default = "default_update")]
    pub(crate) max_update_fraction: f64,
    /// Fewest rows the new snapshot may hold (default 0: no limit).
    #[serde(default)]
    pub(crate) min_rows: u64,
    /// Largest change of the snapshot's row count against the current version, as a share of
    /// the current count (default: no limit).
    #[serde(default)]
    pub(crate) max_row_change_fraction: Option<f64>,
}

fn default_quarantine() -> f64 {
    0.2
}

fn default_update() -> f64 {
    0.5
}

impl Default for GatesSpec {
    fn default() -> Self {
        GatesSpec {
            max_quarantine_fraction: default_quarantine(),
            max_update_fraction: default_update(),
            min_rows: 0,
            max_row_change_fraction: None,
        }
    }
}

/// One tripped gate: which limit, the measured value and the limit, and what to check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tripped {
    /// The key of the limit in the pipeline file (`gates.max_quarantine_fraction`, …).
    pub gate: String,
    /// What was measured (a share, or a row count for `min_rows`).
    pub value: f64,
    /// The limit.
    pub limit: f64,
    /// One sentence for the steward.
    pub message: String,
}

/// What the gates look at.
pub(crate) struct Measured<'a> {
    /// The run's counts (would-be counts: nothing is published yet).
    pub(crate) counts: &'a RunCounts,
    /// Records of the current version, when there is one.
    pub(crate) current_rows: Option<i64>,
    /// Null values per field among the valid rows.
    pub(crate) nulls: &'a BTreeMap<String, u64>,
}

/// Every gate `m` trips under `gates`, the delete limit `max_delete` and the per-field null
/// limits `null_limits` (field → largest share), in a fixed order.
pub(crate) fn check(
    gates: &GatesSpec,
    max_delete: f64,
    null_limits: &[(String, f64)],
    m: &Measured<'_>,
) -> Vec<Tripped> {
    let mut out = Vec::new();
    let c = m.counts;
    let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let q = share(c.rows_quarantined, c.rows_read);
    if c.rows_read > 0 && q > gates.max_quarantine_fraction {
        out.push(Tripped {
            gate: "gates.max_quarantine_fraction".into(),
            value: q,
            limit: gates.max_quarantine_fraction,
            message: format!(
                "{} of {} rows ({}) were quarantined, more than gates.max_quarantine_fraction = {}: read the quarantine reasons (a wrong file, encoding or rule?)",
                c.rows_quarantined, c.rows_read, pct(q), gates.max_quarantine_fraction
            ),
        });
    }
    if let Some(cur) = m.current_rows.filter(|n| *n > 0).map(|n| n as u64) {
        let u = share(c.updated, cur);
        if c.updated > 0 && u > gates.max_update_fraction {
            out.push(Tripped {
                gate: "gates.max_update_fraction".into(),
                value: u,
                limit: gates.max_update_fraction,
                message: format!(
                    "the run would update {} of {} current records ({}), more than gates.max_update_fraction = {}: compare a few rows with `lgsp diff` (a wrong encoding or a changed export?)",
                    c.updated, cur, pct(u), gates.max_update_fraction
                ),
            });
        }
        let d = share(c.deleted, cur);
        if c.deleted > 0 && d > max_delete {
            out.push(Tripped {
                gate: "publish.max_delete_fraction".into(),
                value: d,
                limit: max_delete,
                message: format!(
                    "the extract would delete {} of {} current records, more than publish.max_delete_fraction = {}: check that the file is complete",
                    c.deleted, cur, max_delete
                ),
            });
        }
        if let Some(limit) = gates.max_row_change_fraction {
            let r = (c.rows as f64 - cur as f64).abs() / cur as f64;
            if r > limit {
                out.push(Tripped {
                    gate: "gates.max_row_change_fraction".into(),
                    value: r,
                    limit,
                    message: format!(
                        "the snapshot would hold {} records against {} now ({} change), more than gates.max_row_change_fraction = {limit}",
                        c.rows, cur, pct(r)
                    ),
                });
            }
        }
    }
    if c.rows < gates.min_rows {
        out.push(Tripped {
            gate: "gates.min_rows".into(),
            value: c.rows as f64,
            limit: gates.min_rows as f64,
            message: format!(
                "the snapshot would hold {} records, fewer than gates.min_rows = {}: check that the file is complete",
                c.rows, gates.min_rows
            ),
        });
    }
    for (field, limit) in null_limits {
        let n = m.nulls.get(field).copied().unwrap_or(0);
        let s = share(n, c.rows_valid);
        if c.rows_valid > 0 && s > *limit {
            out.push(Tripped {
                gate: format!("fields.{field}.max_null_fraction"),
                value: s,
                limit: *limit,
                message: format!(
                    "field '{field}' is empty in {n} of {} valid rows ({}), more than its max_null_fraction = {limit}: is the column still in the file under the same name?",
                    c.rows_valid,
                    pct(s)
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(read: u64, quarantined: u64, updated: u64, deleted: u64, rows: u64) -> RunCounts {
        RunCounts {
            rows_read: read,
            rows_valid: read - quarantined,
            rows_quarantined: quarantined,
            updated,
            deleted,
            rows,
            ..RunCounts::default()
        }
    }

    fn gates_of(
        c: &RunCounts,
        current: Option<i64>,
        nulls: &BTreeMap<String, u64>,
        limits: &[(String, f64)],
    ) -> Vec<String> {
        let m = Measured { counts: c, current_rows: current, nulls };
        check(&GatesSpec::default(), 0.5, limits, &m).into_iter().map(|t| t.gate).collect()
    }

    #[test]
    fn every_row_quarantined_trips_the_quarantine_gate() {
        let none = BTreeMap::new();
        assert_eq!(gates_of(&counts(502, 502, 0, 0, 0), None, &none, &[]), ["gates.max_quarantine_fraction"]);
        assert!(
            gates_of(&counts(502, 100, 0, 0, 402), None, &none, &[]).is_empty(),
            "20% is at the limit, not over it"
        );
    }

    #[test]
    fn mass_updates_and_deletes_trip_only_against_a_current_version() {
        let none = BTreeMap::new();
        assert!(
            gates_of(&counts(3000, 0, 2800, 0, 3000), None, &none, &[]).is_empty(),
            "a first load has nothing to update"
        );
        assert_eq!(gates_of(&counts(3000, 0, 2800, 0, 3000), Some(3000), &none, &[]), ["gates.max_update_fraction"]);
        assert_eq!(gates_of(&counts(1000, 0, 0, 2000, 1000), Some(3000), &none, &[]), ["publish.max_delete_fraction"]);
        assert!(
            gates_of(&counts(3000, 0, 1500, 1500, 3000), Some(3000), &none, &[]).is_empty(),
            "half is at the limit"
        );
    }

    #[test]
    fn min_rows_row_change_and_null_limits() {
        let gates = GatesSpec { min_rows: 10, max_row_change_fraction: Some(0.1), ..GatesSpec::default() };
        let nulls = BTreeMap::from([("phone".to_string(), 7u64)]);
        let c = counts(12, 0, 0, 0, 5);
        let m = Measured { counts: &c, current_rows: Some(10), nulls: &nulls };
        let limits = [("phone".to_string(), 0.5), ("name".to_string(), 0.0)];
        let got: Vec<String> = check(&gates, 1.0, &limits, &m).into_iter().map(|t| t.gate).collect();
        assert_eq!(got, ["gates.max_row_change_fraction", "gates.min_rows", "fields.phone.max_null_fraction"]);
    }
}
