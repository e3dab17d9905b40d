//! A report as one self-contained HTML page: headline numbers with their change on the previous
//! period, month-on-month charts (inline SVG drawn by plotters) and a table per section.

use super::display::{local_time, month_label, named, schedule_words};
use super::tables::{cell, sections, word};
use super::{Report, TrendPoint};
use plotters::prelude::*;
use serde_json::Value;
// The page is written into a `String` (`let _ = write!(out, ..)`), which cannot fail.
use std::fmt::Write as _;

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#1d2733;max-width:1100px}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid #c62828;padding-bottom:4px}\
.sub{color:#555;font-size:13px;margin:2px 0}.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}\
.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:150px}.card b{display:block;font-size:22px}\
.card span{font-size:12px;color:#555}.up{color:#1b7f3b}.down{color:#b3261e}.charts{display:flex;flex-wrap:wrap;gap:12px}\
table{border-collapse:collapse;font-size:13px;width:100%}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f5f7}.empty{color:#777;font-style:italic}";

pub(crate) fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An integer with thousands separators: `1.234.567` in Vietnamese, `1,234,567` in English.
fn int(n: i64, english: bool) -> String {
    crate::text::number::grouped(n, if english { ',' } else { '.' })
}

/// A decimal with two places, with the language's decimal mark.
fn dec(x: f64, english: bool) -> String {
    let s = format!("{x:.2}");
    if english {
        s
    } else {
        s.replace('.', ",")
    }
}

fn number(v: &Value, rate: bool, english: bool) -> String {
    match v {
        Value::Number(n) if rate => format!("{}%", dec(n.as_f64().unwrap_or_default() * 100.0, english)),
        Value::Number(n) => {
            n.as_i64().map(|i| int(i, english)).unwrap_or_else(|| dec(n.as_f64().unwrap_or_default(), english))
        }
        other => esc(&cell(other)),
    }
}

fn title(r: &Report, english: bool) -> String {
    let (y, rest) = r.period.name.split_once('-').unwrap_or((&r.period.name, ""));
    let rest = rest.trim_start_matches('Q').trim_start_matches('0');
    match (r.kind.as_str(), english) {
        ("monthly", false) => format!("Báo cáo tình hình vận hành, kết nối và chia sẻ dữ liệu — tháng {rest}/{y}"),
        ("monthly", true) => format!("Operation, connections and data sharing — {}", r.period.name),
        (_, false) => format!("Báo cáo tích hợp, chia sẻ và sử dụng dữ liệu — quý {rest}/{y}"),
        (_, true) => format!("Integration, sharing and use of data — {}", r.period.name),
    }
}

/// Sums of the trend's last `n` months and of the `n` before them (this and the previous period).
fn halves(trend: &[TrendPoint], n: usize, f: fn(&TrendPoint) -> i64) -> (i64, Option<i64>) {
    let len = trend.len();
    let now = trend[len.saturating_sub(n)..].iter().map(f).sum();
    let before = (len >= 2 * n).then(|| trend[len - 2 * n..len - n].iter().map(f).sum());
    (now, before)
}

fn card(out: &mut String, label: &str, value: String, change: Option<(i64, i64)>, english: bool, vs: &str) {
    let delta = match change {
        Some((now, before)) if before != 0 => {
            let pct = (now - before) as f64 / before as f64 * 100.0;
            let class = if pct >= 0.0 { "up" } else { "down" };
            format!("<span class=\"{class}\">{}{}% {vs}</span>", if pct >= 0.0 { "+" } else { "" }, dec(pct, english))
        }
        _ => String::new(),
    };
    let _ = write!(out, "<div class=\"card\"><span>{}</span><b>{value}</b>{delta}</div>", esc(label));
}

/// A chart of one series over the trend's months: bars, or a line with `line`.
fn chart(months: &[String], values: &[f64], caption: &str, line: bool, percent: bool, english: bool) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (350, 220)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let top = values.iter().copied().fold(0.0f64, f64::max).max(if percent { 0.01 } else { 1.0 }) * 1.15;
            let mut c = ChartBuilder::on(&root)
                .caption(caption, ("sans-serif", 14))
                .margin(8)
                .x_label_area_size(38)
                .y_label_area_size(62)
                .build_cartesian_2d((0..months.len() as i32 - 1).into_segmented(), 0f64..top)?;
            c.configure_mesh()
                .disable_x_mesh()
                .x_labels(months.len())
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => months.get(*i as usize).map(|m| month_label(m)).unwrap_or_default(),
                    _ => String::new(),
                })
                .y_labels(5)
                .y_label_formatter(&|v| match (percent, *v) {
                    (true, v) => format!("{:.1}%", v * 100.0),
                    (false, v) if v >= 10_000.0 => format!("{:.0}k", v / 1000.0),
                    (false, v) if (v - v.round()).abs() < 1e-9 => format!("{v:.0}"),
                    _ => String::new(),
                })
                .x_desc(if english { "Month" } else { "Tháng" })
                .y_desc(caption)
                .axis_desc_style(("sans-serif", 11))
                .light_line_style(RGBColor(245, 245, 245))
                .label_style(("sans-serif", 11))
                .draw()?;
            let color = RGBColor(21, 101, 192);
            if line {
                let points: Vec<_> =
                    values.iter().enumerate().map(|(i, v)| (SegmentValue::CenterOf(i as i32), *v)).collect();
                c.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?;
                c.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
            } else {
                c.draw_series(values.iter().enumerate().map(|(i, v)| {
                    Rectangle::new(
                        [(SegmentValue::Exact(i as i32), 0.0), (SegmentValue::Exact(i as i32 + 1), *v)],
                        color.mix(0.8).filled(),
                    )
                }))?;
            }
            root.present()?;
            Ok(())
        })();
        if let Err(e) = drawn {
            tracing::warn!(error = %e, "a report chart could not be drawn");
        }
    }
    svg
}

/// The report as a self-contained HTML page.
pub fn to_html(r: &Report, english: bool) -> String {
    let mut out = String::new();
    let lang = if english { "en" } else { "vi" };
    let t = title(r, english);
    let _ = write!(out, "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>", esc(&t));
    let _ = write!(out, "<h1>{}</h1>", esc(&t));
    let (period, agency, basis) = if english {
        ("Period (UTC)", "Agency", "Computed from audit entries")
    } else {
        ("Kỳ báo cáo (UTC)", "Cơ quan", "Tính từ nhật ký truy cập")
    };
    let all = if english { "all agencies" } else { "tất cả cơ quan" };
    let _ = write!(
        out,
        "<p class=\"sub\">{period}: {} → {} · {agency}: {}</p>",
        r.period.from,
        r.period.to,
        esc(&r.agency.as_deref().map(|a| named(r, a)).unwrap_or_else(|| all.to_string()))
    );
    if r.no_data {
        let _ = write!(
            out,
            "<p class=\"empty\"><b>{}</b></p>",
            if english {
                "No data for this period: nothing was provided, consumed or requested."
            } else {
                "Không có dữ liệu trong kỳ báo cáo: không có dữ liệu được cung cấp, khai thác hay yêu cầu."
            }
        );
    }
    let range = match (r.basis.audit_first_seq, r.basis.audit_last_seq) {
        (Some(a), Some(b)) => format!("#{a}–#{b}"),
        _ => "—".into(),
    };
    let _ = write!(
        out,
        "<p class=\"sub\">{basis}: {range} · sha256 {} · {} {}</p>",
        r.basis.chain_hash.as_deref().unwrap_or("—"),
        if english { "as of" } else { "số liệu đến" },
        esc(&local_time(&r.basis.as_of).unwrap_or_else(|| r.basis.as_of.clone()))
    );

    let n = if r.kind == "monthly" { 1 } else { 3 };
    let vs = match (n, english) {
        (1, false) => "so với tháng trước",
        (1, true) => "vs previous month",
        (_, false) => "so với quý trước",
        (_, true) => "vs previous quarter",
    };
    out.push_str("<div class=\"cards\">");
    let tot = &r.totals;
    let change = |f: fn(&TrendPoint) -> i64| {
        let (now, before) = halves(&r.trend, n, f);
        before.map(|b| (now, b))
    };
    card(&mut out, word("versions", english), int(tot.versions, english), change(|p| p.versions), english, vs);
    card(&mut out, word("pulls", english), int(tot.pulls, english), change(|p| p.pulls), english, vs);
    card(&mut out, word("rows_served", english), int(tot.rows_served, english), change(|p| p.rows_served), english, vs);
    card(&mut out, word("api_calls", english), int(tot.api_calls, english), change(|p| p.api_calls), english, vs);
    card(&mut out, word("api_errors", english), int(tot.api_errors, english), change(|p| p.api_errors), english, vs);
    card(
        &mut out,
        word("quarantine_rate", english),
        format!("{}%", dec(tot.quarantine_rate * 100.0, english)),
        None,
        english,
        vs,
    );
    card(&mut out, word("failed_runs", english), int(tot.failed_runs, english), change(|p| p.failed_runs), english, vs);
    card(&mut out, word("downtime_hours", english), dec(tot.downtime_hours, english), None, english, vs);
    out.push_str("</div>");

    let _ = write!(out, "<h2>{}</h2><div class=\"charts\">", word("trend", english));
    let months: Vec<String> = r.trend.iter().map(|p| p.month.clone()).collect();
    let series = |f: fn(&TrendPoint) -> f64| r.trend.iter().map(f).collect::<Vec<f64>>();
    out.push_str(&chart(&months, &series(|p| p.pulls as f64), word("pulls", english), false, false, english));
    out.push_str(&chart(
        &months,
        &series(|p| p.rows_served as f64),
        word("rows_served", english),
        true,
        false,
        english,
    ));
    out.push_str(&chart(
        &months,
        &series(|p| p.quarantine_rate),
        word("quarantine_rate", english),
        true,
        true,
        english,
    ));
    out.push_str("</div>");

    for s in sections(r) {
        let _ = write!(out, "<h2>{}</h2>", esc(word(s.name, english)));
        if s.rows.is_empty() {
            let _ = write!(
                out,
                "<p class=\"empty\">{}</p>",
                if english { "Nothing in this period." } else { "Không có trong kỳ." }
            );
            continue;
        }
        out.push_str("<table><tr>");
        for h in &s.header {
            let _ = write!(out, "<th>{}</th>", esc(word(h, english)));
        }
        out.push_str("</tr>");
        for row in &s.rows {
            out.push_str("<tr>");
            let metric = row.first().and_then(Value::as_str).unwrap_or_default();
            for (i, v) in row.iter().enumerate() {
                let agency_column = matches!(s.header[i], "owner" | "consumer" | "agency");
                let shown = if s.name == "totals" && i == 0 {
                    esc(word(metric, english))
                } else if let (true, Some(code)) = (agency_column, v.as_str()) {
                    esc(&named(r, code))
                } else if let (true, Some(cron)) = (s.header[i] == "schedule", v.as_str()) {
                    esc(&schedule_words(cron, english))
                } else if let Some(local) = v.as_str().and_then(local_time) {
                    esc(&local)
                } else {
                    number(
                        v,
                        s.header[i].ends_with("rate") || (s.name == "totals" && metric.ends_with("rate")),
                        english,
                    )
                };
                let class = if i >= s.keys && v.is_number() { " class=\"n\"" } else { "" };
                let _ = write!(out, "<td{class}>{shown}</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_way_each_language_writes_them() {
        assert_eq!(
            (int(1234567, false), int(1234567, true), int(-12, false), int(999, true)),
            ("1.234.567".into(), "1,234,567".into(), "-12".into(), "999".into())
        );
        assert_eq!((dec(36.016, false), dec(0.5, true)), ("36,02".into(), "0.50".into()));
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn a_chart_is_an_svg_with_its_month_labels() {
        let months: Vec<String> = ["2026-05", "2026-06"].map(String::from).to_vec();
        let svg = chart(&months, &[3.0, 5.0], "Lượt khai thác", false, false, false);
        assert!(svg.starts_with("<svg") && svg.contains("06/2026") && svg.contains("Lượt khai thác"), "{svg}");
        assert!(svg.contains("Tháng"), "an axis title: {svg}");
        assert_eq!(
            svg,
            chart(&months, &[3.0, 5.0], "Lượt khai thác", false, false, false),
            "the same numbers draw the same chart"
        );
    }
}
