//! Freshness against the schedule, downtime and quality per dataset, from the runs of a period.
//!
//! A run *succeeds* when it ends `published` or `unchanged` (the data is as fresh as its source).
//! A fire time of the schedule is *met* when a successful run started between it and the next
//! one. *Downtime* is the time a dataset spent failing: from the start of a failed run that
//! followed a success (or the period's start, when it began failing) to the end of the next
//! successful run, within the period. A dataset whose first run falls in the period is judged
//! from that run on.

use crate::store::RunSpan;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Freshness and downtime of one dataset in a period.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    pub(crate) owner: String,
    pub(crate) dataset: String,
    /// The schedule of the period's last run (none: runs by hand only).
    pub(crate) schedule: Option<String>,
    /// Fire times of the schedule in the period (up to the report's as-of time).
    pub(crate) expected_runs: i64,
    /// Fire times followed by a successful run before the next one.
    pub(crate) on_schedule: i64,
    /// The end of the last successful run in the period.
    pub(crate) last_success: Option<String>,
    /// The longest stretch of the period without a successful run, in hours.
    pub(crate) max_age_hours: f64,
    /// Times the dataset went from succeeding to failing.
    pub(crate) failure_spells: i64,
    /// Hours spent failing.
    pub(crate) downtime_hours: f64,
}

/// Rows quarantined for one reason in one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    pub(crate) owner: String,
    pub(crate) dataset: String,
    /// `rule:field`, or `rule` for row-level reasons.
    pub(crate) reason: String,
    pub(crate) rows: i64,
    /// `rows` over the rows read by the dataset's runs in the period.
    pub(crate) rate: f64,
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc)).or_else(|| {
        chrono::NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
    })
}

fn hours(d: chrono::Duration) -> f64 {
    (d.num_seconds().max(0) as f64 / 36.0).round() / 100.0
}

/// Rounds a rate to six decimals, so every format prints the same number.
pub(crate) fn rate(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        (part as f64 / whole as f64 * 1e6).round() / 1e6
    } else {
        0.0
    }
}

fn succeeded(r: &RunSpan) -> bool {
    r.status == "published" || r.status == "unchanged"
}

/// Freshness of each dataset with runs in `[from, as_of)`; `before` holds each dataset's last
/// run before the period.
pub(crate) fn freshness(runs: &[RunSpan], before: &[RunSpan], from: &str, as_of: &str) -> Vec<Freshness> {
    let (Some(start), Some(end)) = (time(from), time(as_of)) else { return Vec::new() };
    let mut by_dataset: BTreeMap<&str, Vec<&RunSpan>> = BTreeMap::new();
    for r in runs {
        by_dataset.entry(&r.dataset).or_default().push(r);
    }
    let mut out = Vec::new();
    for (dataset, list) in by_dataset {
        let prior = before.iter().find(|b| b.dataset == dataset);
        // A dataset first run in the period is judged from that run on.
        let start = match prior {
            Some(_) => start,
            None => list.first().and_then(|r| time(&r.started_at)).unwrap_or(start).max(start),
        };
        let schedule = list.last().and_then(|r| r.schedule.clone());
        let fires = schedule.as_deref().map(|s| crate::cron::fire_times(s, start, end, 100_000)).unwrap_or_default();
        let successes: Vec<(DateTime<Utc>, DateTime<Utc>)> = list
            .iter()
            .filter(|r| succeeded(r))
            .filter_map(|r| {
                let s = time(&r.started_at)?;
                Some((s, r.finished_at.as_deref().and_then(time).unwrap_or(s)))
            })
            .collect();
        let on_schedule = fires
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                let next = fires.get(i + 1).copied().unwrap_or(end);
                successes.iter().any(|(s, _)| s >= *f && *s < next)
            })
            .count();
        let mut max_age = chrono::Duration::zero();
        let mut last = start;
        for (_, done) in &successes {
            let done = (*done).min(end);
            max_age = max_age.max(done - last);
            last = last.max(done);
        }
        max_age = max_age.max(end - last);
        let (mut spells, mut down) = (0, chrono::Duration::zero());
        let mut failing_since = prior.filter(|p| !succeeded(p)).map(|_| start);
        for r in &list {
            let (Some(s), f) = (time(&r.started_at), r.finished_at.as_deref().and_then(time)) else { continue };
            match (succeeded(r), failing_since) {
                (false, None) => {
                    failing_since = Some(s);
                    spells += 1;
                }
                (true, Some(since)) => {
                    down += f.unwrap_or(s).min(end) - since;
                    failing_since = None;
                }
                _ => {}
            }
        }
        if let Some(since) = failing_since {
            down += end - since.min(end);
        }
        out.push(Freshness {
            owner: list[0].owner.clone(),
            dataset: dataset.to_string(),
            schedule,
            expected_runs: fires.len() as i64,
            on_schedule: on_schedule as i64,
            last_success: list.iter().rev().find(|r| succeeded(r)).and_then(|r| r.finished_at.clone()),
            max_age_hours: hours(max_age),
            failure_spells: spells,
            downtime_hours: hours(down),
        });
    }
    out
}

/// Rows quarantined per reason and dataset over the period's runs.
pub(crate) fn quality(runs: &[RunSpan]) -> Vec<Quality> {
    let mut read: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    let mut counts: BTreeMap<(&str, &str, String), i64> = BTreeMap::new();
    for r in runs {
        *read.entry((&r.owner, &r.dataset)).or_default() += r.rows_read.unwrap_or(0);
        let reasons: BTreeMap<String, i64> = match r.quarantine_reasons.as_deref().map(serde_json::from_str) {
            None => BTreeMap::new(),
            Some(Ok(reasons)) => reasons,
            Some(Err(e)) => {
                // One damaged run row leaves its reasons out of the report, not the report out.
                tracing::warn!(dataset = %r.dataset, started_at = %r.started_at, error = %e, "a run's quarantine reasons are not readable");
                BTreeMap::new()
            }
        };
        for (reason, n) in reasons {
            *counts.entry((&r.owner, &r.dataset, reason)).or_default() += n;
        }
    }
    counts
        .into_iter()
        .map(|((owner, dataset, reason), rows)| Quality {
            owner: owner.into(),
            dataset: dataset.into(),
            reason,
            rows,
            rate: rate(rows, read.get(&(owner, dataset)).copied().unwrap_or(0)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(started: &str, finished: &str, status: &str) -> RunSpan {
        RunSpan {
            owner: "A".into(),
            dataset: "d".into(),
            started_at: started.into(),
            finished_at: Some(finished.into()),
            status: status.into(),
            // Every day at 01:00 Vietnam time = 18:00 UTC the day before.
            schedule: Some("0 0 1 * * *".into()),
            rows_read: Some(100),
            quarantine_reasons: Some(r#"{"required:name": 3}"#.into()),
        }
    }

    #[test]
    fn freshness_counts_met_fire_times_and_failing_time() {
        let runs = [
            run("2026-10-01T18:00:05Z", "2026-10-01T18:10:00Z", "published"),
            run("2026-10-02T18:00:05Z", "2026-10-02T18:01:00Z", "failed"),
            run("2026-10-03T18:00:05Z", "2026-10-03T18:01:00Z", "failed"),
            run("2026-10-04T06:00:00Z", "2026-10-04T06:01:00Z", "published"),
        ];
        let earlier = run("2026-09-30T18:00:00Z", "2026-09-30T18:01:00Z", "published");
        let f = &freshness(&runs, &[earlier], "2026-10-01T00:00:00Z", "2026-10-05T00:00:00Z")[0];
        // Fire times: Oct 1, 2, 3 and 4 at 18:00 UTC; met on Oct 1 and (late, by hand) Oct 3.
        assert_eq!((f.expected_runs, f.on_schedule), (4, 2));
        assert_eq!((f.failure_spells, f.downtime_hours), (1, 36.02), "from 2 Oct 18:00:05 to 4 Oct 06:01");
        assert_eq!(f.max_age_hours, 59.85, "from 1 Oct 18:10 to 4 Oct 06:01");
        assert_eq!(f.last_success.as_deref(), Some("2026-10-04T06:01:00Z"));
        let new = &freshness(&runs, &[], "2026-10-01T00:00:00Z", "2026-10-05T00:00:00Z")[0];
        assert_eq!((new.expected_runs, new.on_schedule), (3, 1), "a new dataset is judged from its first run on");
        let failing = run("2026-09-30T18:00:00Z", "2026-09-30T18:01:00Z", "failed");
        let g = &freshness(&runs[..1], &[failing], "2026-10-01T00:00:00Z", "2026-10-05T00:00:00Z")[0];
        assert_eq!(g.downtime_hours, 18.17, "failing when the period began, until 1 Oct 18:10");
    }

    #[test]
    fn quality_rates_are_over_rows_read() {
        let q = quality(&[
            run("2026-10-01T18:00:05Z", "2026-10-01T18:10:00Z", "published"),
            run("2026-10-02T18:00:05Z", "2026-10-02T18:01:00Z", "published"),
        ]);
        assert_eq!((q[0].reason.as_str(), q[0].rows, q[0].rate), ("required:name", 6, 0.03));
    }
}
