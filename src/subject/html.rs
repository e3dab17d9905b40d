//! The subject report as a printable page (Vietnamese, with English headings beside).

use super::Report;
use crate::report::html::esc;

const STYLE: &str = "body{font-family:system-ui,'Segoe UI',Arial,sans-serif;margin:24px;color:#1f2328}\
h1{font-size:20px}h2{font-size:16px;margin-top:24px}.sub{color:#555;font-size:13px}\
table{border-collapse:collapse;font-size:13px;width:100%}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left}\
th{background:#f3f5f7}.empty{color:#777;font-style:italic}@media print{body{margin:0}}";

fn time(at: &str) -> String {
    crate::cron::vietnam_minutes(at).map(|t| format!("{t} (UTC+7)")).unwrap_or_else(|| at.to_string())
}

fn span((from, to): (i64, Option<i64>)) -> String {
    match to {
        Some(to) if to == from + 1 => format!("v{from}"),
        Some(to) => format!("v{from}–v{}", to - 1),
        None => format!("v{from}–"),
    }
}

/// The report as one HTML page.
pub fn to_html(r: &Report) -> String {
    let mut out = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Báo cáo xử lý dữ liệu cá nhân — {key}</title>\
         <style>{STYLE}</style></head><body><h1>Báo cáo dữ liệu cá nhân được lưu giữ và chia sẻ <span class=\"sub\">(personal data held and disclosed)</span></h1>\
         <p class=\"sub\">Khóa (key): <b>{key}</b> · lập lúc (as of) {}</p>",
        time(&r.as_of),
        key = esc(&r.key)
    );
    out.push_str("<h2>Dữ liệu đang lưu giữ <span class=\"sub\">(datasets and versions holding the person)</span></h2>");
    if r.holdings.is_empty() {
        out.push_str("<p class=\"empty\">Không có bản ghi nào (no record holds this key).</p>");
    } else {
        out.push_str("<table><tr><th>Bộ dữ liệu (dataset)</th><th>Khóa bản ghi (record)</th><th>Tìm theo (found by)</th><th>Phiên bản (versions)</th></tr>");
        for h in &r.holdings {
            let found = match &h.master_id {
                Some(m) => format!("{} {}", h.found_by, esc(m)),
                None => h.found_by.to_string(),
            };
            let versions: Vec<String> = h.versions.iter().copied().map(span).collect();
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{found}</td><td>{}</td></tr>",
                esc(&h.dataset),
                esc(&h.record_key),
                versions.join(", ")
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("<h2>Các lần cung cấp <span class=\"sub\">(disclosures)</span></h2>");
    if r.disclosures.is_empty() {
        out.push_str("<p class=\"empty\">Chưa cung cấp cho cơ quan nào (not disclosed).</p>");
    } else {
        out.push_str(
            "<table><tr><th>Thời gian (time)</th><th>Cơ quan (agency)</th><th>Client</th><th>Bộ dữ liệu (dataset)</th>\
             <th>Hình thức (route)</th><th>Phiên bản (version)</th><th>Trường (fields)</th><th>Căn cứ (basis)</th><th>Mục đích (purpose)</th><th>Đã nhận đủ (delivered)</th></tr>",
        );
        for d in &r.disclosures {
            let version = match (d.changes_after, d.version) {
                (Some(a), Some(v)) => format!("v{a} → v{v}"),
                (None, Some(v)) => format!("v{v}"),
                _ => "hiện hành (current)".into(),
            };
            let mut fields = d.fields.as_ref().map(|f| f.join(", ")).unwrap_or_else(|| "tất cả (all)".into());
            for (f, p) in &d.protect {
                fields.push_str(&format!(
                    "; {f}: {}",
                    serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
                ));
            }
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{version}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(&d.at),
                esc(&d.agency),
                esc(&d.client),
                esc(&d.dataset),
                d.route,
                esc(&fields),
                esc(&d.basis),
                esc(&d.purpose),
                if d.delivered { "có (yes)" } else { "không (no)" }
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>");
    out
}
