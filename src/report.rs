//! Operation reports (monthly, Điều 15.9; quarterly per agency, Điều 19.3) computed from the
//! run history and the audit log. The same store gives a byte-identical report: the report
//! says which audit entries (and which chain hash) it was computed from, and holds no clock time.

use crate::store::{Calls, Consumed, Provided, Store};
use serde::Serialize;

/// Errors of reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("period '{0}': give a month as yyyy-mm (e.g. 2026-10) or a quarter as yyyy-Qn (e.g. 2026-Q3)")]
    Period(String),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Result type of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// A period `[from, to)` as UTC dates.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub name: String,
    pub from: String,
    pub to: String,
}

impl Period {
    /// `2026-10` (a month) or `2026-Q3` (a quarter).
    pub fn parse(text: &str) -> Result<Period> {
        let bad = || Error::Period(text.into());
        let (y, rest) = text.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
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
        Ok(Period { name: text.to_uppercase(), from: format!("{year:04}-{first:02}-01"), to: format!("{ty:04}-{tm:02}-01") })
    }
}

/// Which audit entries a report was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct Basis {
    pub audit_first_seq: Option<i64>,
    pub audit_last_seq: Option<i64>,
    /// Hash of the last audit entry of the period: the chain up to it is what was counted.
    pub chain_hash: Option<String>,
}

/// Totals over every agency.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub runs: i64,
    pub failed_runs: i64,
    pub versions: i64,
    pub rows_read: i64,
    pub rows_quarantined: i64,
    pub quarantine_rate: f64,
    pub pulls: i64,
    pub rows_served: i64,
    pub bytes_served: i64,
    pub api_calls: i64,
    pub api_errors: i64,
}

/// A report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: String,
    pub period: Period,
    pub agency: Option<String>,
    pub basis: Basis,
    pub provided: Vec<Provided>,
    pub consumed: Vec<Consumed>,
    pub calls: Vec<Calls>,
    pub grants_added: Vec<(String, i64)>,
    pub grants_expiring: Vec<(String, i64)>,
    pub totals: Totals,
}

/// Computes the report of `period`, for one agency or all.
pub async fn build(store: &Store, kind: &str, period: Period, agency: Option<&str>) -> Result<Report> {
    let (from, to) = (period.from.as_str(), period.to.as_str());
    let keep = |a: &str| agency.is_none_or(|x| x == a);
    let provided: Vec<Provided> = store.report_provided(from, to).await?.into_iter().filter(|p| keep(&p.owner)).collect();
    let consumed: Vec<Consumed> = store.report_consumed(from, to).await?.into_iter().filter(|c| keep(&c.consumer)).collect();
    let calls: Vec<Calls> = store.report_calls(from, to).await?.into_iter().filter(|c| keep(&c.agency)).collect();
    let (added, expiring) = store.report_grants(from, to).await?;
    let grants_added: Vec<(String, i64)> = added.into_iter().filter(|(a, _)| keep(a)).collect();
    let grants_expiring: Vec<(String, i64)> = expiring.into_iter().filter(|(a, _)| keep(a)).collect();
    let basis = match store.audit_range(from, to).await? {
        Some((first, last, hash)) => Basis { audit_first_seq: Some(first), audit_last_seq: Some(last), chain_hash: Some(hash) },
        None => Basis { audit_first_seq: None, audit_last_seq: None, chain_hash: None },
    };
    let sum = |f: fn(&Provided) -> i64| provided.iter().map(f).sum::<i64>();
    let (rows_read, rows_quarantined) = (sum(|p| p.rows_read), sum(|p| p.rows_quarantined));
    let totals = Totals {
        runs: sum(|p| p.runs),
        failed_runs: sum(|p| p.failed_runs),
        versions: sum(|p| p.versions),
        rows_read,
        rows_quarantined,
        quarantine_rate: if rows_read > 0 { (rows_quarantined as f64 / rows_read as f64 * 1e6).round() / 1e6 } else { 0.0 },
        pulls: consumed.iter().map(|c| c.calls).sum(),
        rows_served: consumed.iter().map(|c| c.rows).sum(),
        bytes_served: consumed.iter().map(|c| c.bytes).sum(),
        api_calls: calls.iter().map(|c| c.calls).sum(),
        api_errors: calls.iter().map(|c| c.errors).sum(),
    };
    Ok(Report { kind: kind.into(), period, agency: agency.map(str::to_string), basis, provided, consumed, calls, grants_added, grants_expiring, totals })
}

/// Section names in Vietnamese (default) or English.
fn label(section: &str, english: bool) -> &str {
    if english {
        return section;
    }
    match section {
        "provided" => "du_lieu_cung_cap",
        "consumed" => "du_lieu_khai_thac",
        "calls" => "goi_api",
        "grants_added" => "cap_quyen_moi",
        "grants_expiring" => "quyen_het_han",
        "totals" => "tong_hop",
        other => other,
    }
}

/// The report as one CSV: `section, agency, dataset, metric, value`, one row per number.
pub fn to_csv(r: &Report, english: bool) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut row = |section: &str, agency: &str, dataset: &str, metric: &str, value: String| {
        let _ = w.write_record([label(section, english), agency, dataset, metric, &value]);
    };
    row("period", "", "", "from", r.period.from.clone());
    row("period", "", "", "to", r.period.to.clone());
    row("basis", "", "", "audit_last_seq", r.basis.audit_last_seq.map(|v| v.to_string()).unwrap_or_default());
    row("basis", "", "", "chain_hash", r.basis.chain_hash.clone().unwrap_or_default());
    for p in &r.provided {
        for (m, v) in [("runs", p.runs), ("failed_runs", p.failed_runs), ("versions", p.versions), ("rows_read", p.rows_read), ("rows_quarantined", p.rows_quarantined), ("duplicates_collapsed", p.duplicates_collapsed)] {
            row("provided", &p.owner, &p.dataset, m, v.to_string());
        }
    }
    for c in &r.consumed {
        for (m, v) in [("calls", c.calls), ("rows", c.rows), ("bytes", c.bytes)] {
            row("consumed", &c.consumer, &c.dataset, m, v.to_string());
        }
    }
    for c in &r.calls {
        row("calls", &c.agency, "", "calls", c.calls.to_string());
        row("calls", &c.agency, "", "errors", c.errors.to_string());
    }
    for (a, n) in &r.grants_added {
        row("grants_added", a, "", "grants", n.to_string());
    }
    for (a, n) in &r.grants_expiring {
        row("grants_expiring", a, "", "grants", n.to_string());
    }
    let t = serde_json::to_value(&r.totals).unwrap_or_default();
    for (k, v) in t.as_object().into_iter().flatten() {
        row("totals", "", "", k, v.to_string());
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The report as an XLSX workbook, a sheet per section (numbers as numbers).
pub fn to_xlsx(r: &Report, english: bool) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let mut sheet = |name: &str, header: &[&str], rows: Vec<Vec<serde_json::Value>>| -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
        let ws = book.add_worksheet().set_name(label(name, english))?;
        for (c, h) in header.iter().enumerate() {
            ws.write_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (i as u32 + 1, c as u16);
                match v {
                    serde_json::Value::Number(n) => ws.write(r, c, n.as_f64().unwrap_or_default())?,
                    serde_json::Value::String(s) => ws.write(r, c, s.as_str())?,
                    serde_json::Value::Null => ws,
                    other => ws.write(r, c, other.to_string())?,
                };
            }
        }
        Ok(())
    };
    use serde_json::json;
    sheet("provided", &["agency", "dataset", "runs", "failed_runs", "versions", "rows_read", "rows_quarantined", "duplicates_collapsed"],
        r.provided.iter().map(|p| vec![json!(p.owner), json!(p.dataset), json!(p.runs), json!(p.failed_runs), json!(p.versions), json!(p.rows_read), json!(p.rows_quarantined), json!(p.duplicates_collapsed)]).collect())?;
    sheet("consumed", &["consumer", "dataset", "calls", "rows", "bytes"],
        r.consumed.iter().map(|c| vec![json!(c.consumer), json!(c.dataset), json!(c.calls), json!(c.rows), json!(c.bytes)]).collect())?;
    sheet("calls", &["agency", "calls", "errors"], r.calls.iter().map(|c| vec![json!(c.agency), json!(c.calls), json!(c.errors)]).collect())?;
    sheet("grants_added", &["agency", "grants"], r.grants_added.iter().map(|(a, n)| vec![json!(a), json!(n)]).collect())?;
    sheet("grants_expiring", &["agency", "grants"], r.grants_expiring.iter().map(|(a, n)| vec![json!(a), json!(n)]).collect())?;
    let totals = serde_json::to_value(&r.totals).unwrap_or_default();
    let mut rows: Vec<Vec<serde_json::Value>> = totals.as_object().into_iter().flatten().map(|(k, v)| vec![json!(k), v.clone()]).collect();
    rows.push(vec![json!("period_from"), json!(r.period.from)]);
    rows.push(vec![json!("period_to"), json!(r.period.to)]);
    rows.push(vec![json!("audit_last_seq"), json!(r.basis.audit_last_seq)]);
    rows.push(vec![json!("chain_hash"), json!(r.basis.chain_hash)]);
    sheet("totals", &["metric", "value"], rows)?;
    book.save_to_buffer()
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
        assert!(Period::parse("2026-13").is_err() && Period::parse("2026-Q5").is_err() && Period::parse("oct").is_err());
    }
}
