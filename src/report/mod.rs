//! Operation reports (monthly, Điều 15.9; quarterly per agency, Điều 19.3) computed from the
//! run history and the audit log. The same store gives a byte-identical report: the report
//! says which audit entries (and which chain hash) it was computed from, and holds no clock time.

mod asked;
mod display;
mod health;
pub(crate) mod html;
mod tables;

pub use asked::{period_of, render};
pub use health::{Freshness, Quality};
pub use html::to_html;
pub use tables::{to_csv, to_xlsx};

use crate::store::{Calls, Consumed, Denied, Provided, Store};
use serde::Serialize;

/// Errors of reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("period '{0}': give a month as yyyy-mm (e.g. 2026-10) or a quarter as yyyy-Qn (e.g. 2026-Q3)")]
    Period(String),
    #[error("agency '{code}' is not registered; the agencies are: {known}")]
    UnknownAgency { code: String, known: String },
    /// A period that does not suit the kind of report.
    #[error("{0}")]
    Mismatch(String),
    #[error("no report '{0}': the reports are 'monthly' and 'quarterly'")]
    Kind(String),
    #[error("format '{0}': use json, csv, xlsx or html")]
    Format(String),
    /// Writing the report in its format failed.
    #[error("writing the report: {0}")]
    Write(String),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// A period `[from, to)` as UTC dates.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub(crate) name: String,
    pub(crate) from: String,
    pub(crate) to: String,
}

impl Period {
    /// `2026-10` (a month) or `2026-Q3` (a quarter).
    pub fn parse(text: &str) -> Result<Period> {
        let bad = || Error::Period(text.into());
        let (y, rest) = text.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().ok().filter(|y| (1900..=9998).contains(y)).ok_or_else(bad)?;
        let (first, months) = match rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            Some(q) => match q.parse::<u32>() {
                Ok(q @ 1..=4) => ((q - 1) * 3 + 1, 3),
                _ => return Err(bad()),
            },
            None => match rest.parse::<u32>() {
                Ok(m @ 1..=12) => (m, 1),
                _ => return Err(bad()),
            },
        };
        let end = first + months;
        let (ty, tm) = if end > 12 { (year + 1, end - 12) } else { (year, end) };
        Ok(Period {
            name: text.to_uppercase(),
            from: format!("{year:04}-{first:02}-01"),
            to: format!("{ty:04}-{tm:02}-01"),
        })
    }
}

/// Which audit entries a report was computed from.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Basis {
    pub(crate) audit_first_seq: Option<i64>,
    pub(crate) audit_last_seq: Option<i64>,
    /// Hash of the last audit entry of the period: the chain up to it is what was counted.
    pub(crate) chain_hash: Option<String>,
    /// The end of what the report covers: the period's end, or the latest run or audit entry
    /// in the store when the period has not ended yet.
    pub(crate) as_of: String,
}

/// Totals over every agency (or the one agency of the report).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Totals {
    pub(crate) runs: i64,
    pub(crate) failed_runs: i64,
    pub(crate) versions: i64,
    pub(crate) rows_read: i64,
    pub(crate) rows_quarantined: i64,
    pub(crate) quarantine_rate: f64,
    pub(crate) pulls: i64,
    pub(crate) rows_served: i64,
    pub(crate) bytes_served: i64,
    pub(crate) api_calls: i64,
    pub(crate) api_errors: i64,
    pub(crate) downtime_hours: f64,
    pub(crate) denied_requests: i64,
    pub(crate) held_runs: i64,
}

/// One month of a trend.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrendPoint {
    /// yyyy-mm
    pub(crate) month: String,
    pub(crate) versions: i64,
    pub(crate) failed_runs: i64,
    pub(crate) rows_read: i64,
    pub(crate) rows_quarantined: i64,
    pub(crate) quarantine_rate: f64,
    pub(crate) pulls: i64,
    pub(crate) rows_served: i64,
    pub(crate) bytes_served: i64,
    pub(crate) api_calls: i64,
    pub(crate) api_errors: i64,
}

/// A report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `monthly` or `quarterly`.
    pub(crate) kind: String,
    pub(crate) period: Period,
    pub(crate) agency: Option<String>,
    pub(crate) basis: Basis,
    pub(crate) provided: Vec<Provided>,
    pub(crate) freshness: Vec<Freshness>,
    pub(crate) quality: Vec<Quality>,
    pub(crate) consumed: Vec<Consumed>,
    pub(crate) calls: Vec<Calls>,
    /// Data requests refused for want of a grant: proposals for new sharing (Điều 19.3).
    pub(crate) denied: Vec<Denied>,
    pub(crate) grants_added: Vec<(String, i64)>,
    pub(crate) grants_expiring: Vec<(String, i64)>,
    /// What retention removed in the period: (dataset, kind, how many).
    pub(crate) retention: Vec<(String, String, i64)>,
    pub(crate) totals: Totals,
    /// The six months up to the period's last one, oldest first.
    pub(crate) trend: Vec<TrendPoint>,
    /// Nothing was provided, consumed or asked for in the period: the report says so.
    pub(crate) no_data: bool,
    /// Agency names by code, shown beside the codes.
    pub(crate) agency_names: std::collections::BTreeMap<String, String>,
}

/// Months in a trend.
pub(crate) const TREND_MONTHS: u32 = 6;

/// Steps of [`build`], for a progress bar.
pub const STEPS: u64 = 5 + TREND_MONTHS as u64;

fn month_start(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}-01")
}

/// The `n` months ending with the one before `to` (a first day of month), oldest first.
fn months_before(to: &str, n: u32) -> Vec<(String, String, String)> {
    let year: i32 = to.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
    let month: u32 = to.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let index = year * 12 + month as i32 - 1;
    (1..=n as i32)
        .rev()
        .map(|back| {
            let (a, b) = (index - back, index - back + 1);
            let name = format!("{:04}-{:02}", a.div_euclid(12), a.rem_euclid(12) + 1);
            (
                name,
                month_start(a.div_euclid(12), a.rem_euclid(12) as u32 + 1),
                month_start(b.div_euclid(12), b.rem_euclid(12) as u32 + 1),
            )
        })
        .collect()
}

/// Computes the report of `period`, for one agency or all; `progress` advances by [`STEPS`].
pub async fn build(
    store: &Store,
    kind: &str,
    period: Period,
    agency: Option<&str>,
    progress: &indicatif::ProgressBar,
) -> Result<Report> {
    let (from, to) = (period.from.as_str(), period.to.as_str());
    let agencies: std::collections::BTreeMap<String, String> = store.agencies().await?.into_iter().collect();
    if let Some(code) = agency.filter(|c| !agencies.contains_key(*c)) {
        let known: Vec<String> = agencies.iter().map(|(c, n)| format!("{c} ({n})")).collect();
        return Err(Error::UnknownAgency { code: code.to_string(), known: known.join(", ") });
    }
    let keep = |a: &str| agency.is_none_or(|x| x == a);
    let step = |what: &str| {
        progress.set_message(what.to_string());
        progress.inc(1);
    };
    let (mut provided, consumed, calls) = activity(store, from, to, &keep).await?;
    for v in store.report_published(from, to).await? {
        if let Some(p) = provided.iter_mut().find(|p| p.dataset == v.dataset) {
            (p.rows, p.inserted, p.updated, p.deleted) = (v.rows, v.inserted, v.updated, v.deleted);
        }
    }
    step("runs and pulls");
    let (added, expiring) = store.report_grants(from, to).await?;
    let grants_added: Vec<(String, i64)> = added.into_iter().filter(|(a, _)| keep(a)).collect();
    let grants_expiring: Vec<(String, i64)> = expiring.into_iter().filter(|(a, _)| keep(a)).collect();
    let denied: Vec<Denied> = store.report_denied(from, to).await?.into_iter().filter(|d| keep(&d.agency)).collect();
    let owners: std::collections::HashMap<String, String> =
        store.list_datasets().await?.into_iter().map(|d| (d.name, d.owner)).collect();
    let mut retention: Vec<(String, String, i64)> = Vec::new();
    for r in store.retention_between(from, to).await? {
        if !owners.get(&r.dataset).is_none_or(|o| keep(o)) {
            continue;
        }
        match retention.iter_mut().find(|(d, k, _)| *d == r.dataset && *k == r.kind) {
            Some(row) => row.2 += r.removed,
            None => retention.push((r.dataset, r.kind, r.removed)),
        }
    }
    step("grants");
    let latest = store.latest_event().await?.unwrap_or_else(|| from.to_string());
    let as_of = if latest.as_str() < to { latest.max(from.to_string()) } else { to.to_string() };
    let (runs, before) = store.report_runs(from, to).await?;
    let runs: Vec<_> = runs.into_iter().filter(|r| keep(&r.owner)).collect();
    let freshness = health::freshness(&runs, &before, from, &as_of);
    let quality = health::quality(&runs);
    step("freshness");
    let basis = match store.audit_range(from, to).await? {
        Some((first, last, hash)) => {
            Basis { audit_first_seq: Some(first), audit_last_seq: Some(last), chain_hash: Some(hash), as_of }
        }
        None => Basis { audit_first_seq: None, audit_last_seq: None, chain_hash: None, as_of },
    };
    step("audit");
    let mut trend = Vec::new();
    for (month, a, b) in months_before(to, TREND_MONTHS) {
        let (p, c, k) = activity(store, &a, &b, &keep).await?;
        let t = totals(&p, &c, &k, &[], &[]);
        trend.push(TrendPoint {
            month,
            versions: t.versions,
            failed_runs: t.failed_runs,
            rows_read: t.rows_read,
            rows_quarantined: t.rows_quarantined,
            quarantine_rate: t.quarantine_rate,
            pulls: t.pulls,
            rows_served: t.rows_served,
            bytes_served: t.bytes_served,
            api_calls: t.api_calls,
            api_errors: t.api_errors,
        });
        step("trend");
    }
    let totals = totals(&provided, &consumed, &calls, &freshness, &denied);
    let no_data = provided.is_empty() && consumed.is_empty() && calls.is_empty() && denied.is_empty();
    step("done");
    Ok(Report {
        kind: kind.into(),
        period,
        agency: agency.map(str::to_string),
        basis,
        provided,
        freshness,
        quality,
        consumed,
        calls,
        denied,
        grants_added,
        grants_expiring,
        retention,
        totals,
        trend,
        no_data,
        agency_names: agencies,
    })
}

/// What was provided, consumed and called in `[from, to)`, by the agencies `keep` accepts.
async fn activity(
    store: &Store,
    from: &str,
    to: &str,
    keep: &impl Fn(&str) -> bool,
) -> Result<(Vec<Provided>, Vec<Consumed>, Vec<Calls>)> {
    let provided = store.report_provided(from, to).await?.into_iter().filter(|p| keep(&p.owner)).collect();
    let consumed = store.report_consumed(from, to).await?.into_iter().filter(|c| keep(&c.consumer)).collect();
    let calls = store.report_calls(from, to).await?.into_iter().filter(|c| keep(&c.agency)).collect();
    Ok((provided, consumed, calls))
}

fn totals(
    provided: &[Provided],
    consumed: &[Consumed],
    calls: &[Calls],
    freshness: &[Freshness],
    denied: &[Denied],
) -> Totals {
    let sum = |f: fn(&Provided) -> i64| provided.iter().map(f).sum::<i64>();
    let (rows_read, rows_quarantined) = (sum(|p| p.rows_read), sum(|p| p.rows_quarantined));
    Totals {
        runs: sum(|p| p.runs),
        failed_runs: sum(|p| p.failed_runs),
        versions: sum(|p| p.versions),
        rows_read,
        rows_quarantined,
        quarantine_rate: health::rate(rows_quarantined, rows_read),
        pulls: consumed.iter().map(|c| c.calls).sum(),
        rows_served: consumed.iter().map(|c| c.rows).sum(),
        bytes_served: consumed.iter().map(|c| c.bytes).sum(),
        api_calls: calls.iter().map(|c| c.calls).sum(),
        api_errors: calls.iter().map(|c| c.errors).sum(),
        downtime_hours: (freshness.iter().fold(0.0, |a, f| a + f.downtime_hours) * 100.0).round() / 100.0,
        denied_requests: denied.iter().map(|d| d.requests).sum(),
        held_runs: sum(|p| p.held_runs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_quarters_become_date_ranges() {
        let p = Period::parse("2026-10").unwrap();
        assert_eq!((p.from.as_str(), p.to.as_str()), ("2026-10-01", "2026-11-01"));
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!((q.from.as_str(), q.to.as_str()), ("2026-10-01", "2027-01-01"));
        let trend = months_before(&q.to, 6);
        assert_eq!(
            (trend[0].0.as_str(), trend[0].1.as_str(), trend[5].2.as_str()),
            ("2026-07", "2026-07-01", "2027-01-01")
        );
        assert!(Period::parse("0000-01").is_err() && Period::parse("12026-01").is_err());
        assert!(
            Period::parse("2026-13").is_err() && Period::parse("2026-Q5").is_err() && Period::parse("oct").is_err()
        );
    }
}
