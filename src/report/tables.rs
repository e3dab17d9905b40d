//! A report as tables: one per section, written as CSV (one number per line) or XLSX (a sheet
//! per section), with names in Vietnamese by default or English.

use super::Report;
use serde_json::{json, Value};

/// One section of a report: `keys` leading columns name what a row is about, the rest are numbers.
pub(crate) struct Section {
    pub(crate) name: &'static str,
    pub(crate) keys: usize,
    pub(crate) header: Vec<&'static str>,
    pub(crate) rows: Vec<Vec<Value>>,
}

/// Words of the reports: (key, Vietnamese, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("provided", "Dữ liệu cung cấp", "Data provided"),
    ("freshness", "Độ cập nhật và gián đoạn", "Freshness and downtime"),
    ("quality", "Chất lượng: dòng cách ly theo lý do", "Quality: rows quarantined by reason"),
    ("consumed", "Dữ liệu khai thác", "Data consumed"),
    ("calls", "Lượt gọi API", "API calls"),
    ("denied", "Yêu cầu chưa được cấp quyền (đề xuất chia sẻ)", "Requests without a grant (proposals for sharing)"),
    ("grants_added", "Quyền truy cập mới cấp", "Access grants added"),
    ("grants_expiring", "Quyền truy cập hết hạn", "Access grants expired"),
    ("retention", "Dữ liệu đã xóa hết thời hạn lưu trữ", "Removed by retention"),
    ("kind", "Loại", "Kind"),
    ("removed", "Số lượng đã xóa", "Removed"),
    ("totals", "Tổng hợp toàn nền tảng", "Platform totals"),
    ("trend", "Xu hướng theo tháng", "Month-on-month trend"),
    ("agency", "Cơ quan", "Agency"),
    ("consumer", "Cơ quan khai thác", "Consumer"),
    ("dataset", "Dữ liệu", "Dataset"),
    ("reason", "Lý do", "Reason"),
    ("month", "Tháng", "Month"),
    ("metric", "Chỉ tiêu", "Metric"),
    ("value", "Giá trị", "Value"),
    ("runs", "Lượt chạy", "Runs"),
    ("failed_runs", "Lượt chạy lỗi", "Failed runs"),
    ("held_runs", "Lượt chạy bị giữ lại (cổng chất lượng)", "Runs held by a quality gate"),
    ("kept_previous", "Bản ghi giữ bản cũ (dòng mới bị cách ly)", "Keys kept (new rows quarantined)"),
    ("withdrawn", "Bản ghi rút khỏi dữ liệu (dòng mới bị cách ly)", "Keys withdrawn (new rows quarantined)"),
    ("versions", "Phiên bản công bố", "Versions published"),
    ("rows_read", "Dòng đọc vào", "Rows read"),
    ("rows_quarantined", "Dòng cách ly", "Rows quarantined"),
    ("quarantine_rate", "Tỷ lệ cách ly", "Quarantine rate"),
    ("duplicates_collapsed", "Bản ghi trùng đã gộp", "Duplicates collapsed"),
    ("schedule", "Lịch chạy", "Schedule"),
    ("expected_runs", "Lượt theo lịch", "Scheduled runs"),
    ("on_schedule", "Đúng lịch", "On schedule"),
    ("last_success", "Lần thành công cuối", "Last success"),
    ("max_age_hours", "Thời gian chưa cập nhật dài nhất (giờ)", "Longest without fresh data (h)"),
    ("failure_spells", "Số lần gián đoạn", "Outages"),
    ("downtime_hours", "Thời gian gián đoạn (giờ)", "Downtime (h)"),
    ("rows", "Số dòng", "Rows"),
    ("inserted", "Bản ghi thêm mới", "Keys inserted"),
    ("updated", "Bản ghi cập nhật", "Keys updated"),
    ("deleted", "Bản ghi xóa", "Keys deleted"),
    ("rate", "Tỷ lệ", "Rate"),
    ("calls_n", "Lượt khai thác", "Pulls"),
    ("bytes", "Dung lượng (byte)", "Bytes"),
    ("errors", "Lỗi", "Errors"),
    ("requests", "Số yêu cầu", "Requests"),
    ("grants", "Số quyền", "Grants"),
    ("pulls", "Lượt khai thác", "Pulls"),
    ("rows_served", "Dòng đã cung cấp", "Rows served"),
    ("bytes_served", "Dung lượng đã cung cấp (byte)", "Bytes served"),
    ("api_calls", "Lượt gọi API", "API calls"),
    ("api_errors", "Lượt gọi lỗi", "API errors"),
    ("denied_requests", "Yêu cầu chưa được cấp quyền", "Requests without a grant"),
    ("period_from", "Từ ngày (UTC)", "From (UTC)"),
    ("period_to", "Đến ngày (UTC, không gồm)", "To (UTC, exclusive)"),
    ("as_of", "Số liệu đến", "As of"),
    ("audit_first_seq", "Mục nhật ký đầu tiên", "First audit entry"),
    ("audit_last_seq", "Mục nhật ký cuối cùng", "Last audit entry"),
    ("chain_hash", "Mã băm chuỗi nhật ký (sha256)", "Audit chain hash (sha256)"),
];

/// `key` in Vietnamese, or English with `english`; unknown keys as they are.
pub(crate) fn word(key: &str, english: bool) -> &str {
    WORDS.iter().find(|w| w.0 == key).map(|w| if english { w.2 } else { w.1 }).unwrap_or(key)
}

/// Machine name of a section (CSV section column, XLSX sheet name).
fn sheet(section: &str, english: bool) -> &str {
    if english {
        return section;
    }
    match section {
        "provided" => "du_lieu_cung_cap",
        "freshness" => "do_cap_nhat",
        "quality" => "chat_luong",
        "consumed" => "du_lieu_khai_thac",
        "calls" => "goi_api",
        "denied" => "de_xuat_chia_se",
        "grants_added" => "cap_quyen_moi",
        "grants_expiring" => "quyen_het_han",
        "retention" => "luu_tru",
        "totals" => "tong_hop",
        "trend" => "xu_huong",
        other => other,
    }
}

/// The report's sections, in order.
pub(crate) fn sections(r: &Report) -> Vec<Section> {
    // `Totals` holds numbers only: turning it into a JSON value cannot fail.
    let totals = serde_json::to_value(&r.totals).unwrap_or_default();
    let total_keys = [
        "runs",
        "failed_runs",
        "versions",
        "rows_read",
        "rows_quarantined",
        "quarantine_rate",
        "pulls",
        "rows_served",
        "bytes_served",
        "api_calls",
        "api_errors",
        "downtime_hours",
        "denied_requests",
        "held_runs",
    ];
    vec![
        Section {
            name: "provided",
            keys: 2,
            header: vec![
                "agency",
                "dataset",
                "runs",
                "failed_runs",
                "versions",
                "rows_read",
                "rows_quarantined",
                "duplicates_collapsed",
                "rows",
                "inserted",
                "updated",
                "deleted",
                "held_runs",
                "kept_previous",
                "withdrawn",
            ],
            rows: r
                .provided
                .iter()
                .map(|p| {
                    let counts = [
                        p.runs,
                        p.failed_runs,
                        p.versions,
                        p.rows_read,
                        p.rows_quarantined,
                        p.duplicates_collapsed,
                        p.rows,
                        p.inserted,
                        p.updated,
                        p.deleted,
                        p.held_runs,
                        p.kept_previous,
                        p.withdrawn,
                    ];
                    [json!(p.owner), json!(p.dataset)].into_iter().chain(counts.into_iter().map(|n| json!(n))).collect()
                })
                .collect(),
        },
        Section {
            name: "freshness",
            keys: 2,
            header: vec![
                "agency",
                "dataset",
                "schedule",
                "expected_runs",
                "on_schedule",
                "last_success",
                "max_age_hours",
                "failure_spells",
                "downtime_hours",
            ],
            rows: r
                .freshness
                .iter()
                .map(|f| {
                    vec![
                        json!(f.owner),
                        json!(f.dataset),
                        json!(f.schedule),
                        json!(f.expected_runs),
                        json!(f.on_schedule),
                        json!(f.last_success),
                        json!(f.max_age_hours),
                        json!(f.failure_spells),
                        json!(f.downtime_hours),
                    ]
                })
                .collect(),
        },
        Section {
            name: "quality",
            keys: 3,
            header: vec!["agency", "dataset", "reason", "rows", "rate"],
            rows: r
                .quality
                .iter()
                .map(|q| vec![json!(q.owner), json!(q.dataset), json!(q.reason), json!(q.rows), json!(q.rate)])
                .collect(),
        },
        Section {
            name: "consumed",
            keys: 2,
            header: vec!["consumer", "dataset", "calls_n", "rows", "bytes"],
            rows: r
                .consumed
                .iter()
                .map(|c| vec![json!(c.consumer), json!(c.dataset), json!(c.calls), json!(c.rows), json!(c.bytes)])
                .collect(),
        },
        Section {
            name: "calls",
            keys: 1,
            header: vec!["agency", "api_calls", "errors"],
            rows: r.calls.iter().map(|c| vec![json!(c.agency), json!(c.calls), json!(c.errors)]).collect(),
        },
        Section {
            name: "denied",
            keys: 2,
            header: vec!["agency", "dataset", "requests"],
            rows: r.denied.iter().map(|d| vec![json!(d.agency), json!(d.dataset), json!(d.requests)]).collect(),
        },
        Section {
            name: "grants_added",
            keys: 1,
            header: vec!["agency", "grants"],
            rows: r.grants_added.iter().map(|(a, n)| vec![json!(a), json!(n)]).collect(),
        },
        Section {
            name: "grants_expiring",
            keys: 1,
            header: vec!["agency", "grants"],
            rows: r.grants_expiring.iter().map(|(a, n)| vec![json!(a), json!(n)]).collect(),
        },
        Section {
            name: "retention",
            keys: 2,
            header: vec!["dataset", "kind", "removed"],
            rows: r.retention.iter().map(|(d, k, n)| vec![json!(d), json!(k), json!(n)]).collect(),
        },
        Section {
            name: "totals",
            keys: 1,
            header: vec!["metric", "value"],
            rows: total_keys.iter().map(|k| vec![json!(k), totals[k].clone()]).collect(),
        },
        Section {
            name: "trend",
            keys: 1,
            header: vec![
                "month",
                "versions",
                "failed_runs",
                "rows_read",
                "rows_quarantined",
                "quarantine_rate",
                "pulls",
                "rows_served",
                "bytes_served",
                "api_calls",
                "api_errors",
            ],
            rows: r
                .trend
                .iter()
                .map(|t| {
                    vec![
                        json!(t.month),
                        json!(t.versions),
                        json!(t.failed_runs),
                        json!(t.rows_read),
                        json!(t.rows_quarantined),
                        json!(t.quarantine_rate),
                        json!(t.pulls),
                        json!(t.rows_served),
                        json!(t.bytes_served),
                        json!(t.api_calls),
                        json!(t.api_errors),
                    ]
                })
                .collect(),
        },
    ]
}

/// A cell as text (empty for null).
pub(crate) fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The report as one CSV: `section, agency, subject, metric, value`, one line per number. The
/// subject is the dataset (with the reason for quality) or the month of a trend.
pub fn to_csv(r: &Report, english: bool) -> String {
    // Writing text fields into memory cannot fail, and gives UTF-8: the `let _` and the
    // defaults below never drop anything.
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut line = |fields: [&str; 5]| {
        let _ = w.write_record(fields);
    };
    line(["section", "agency", "subject", "metric", "value"]);
    line(["period", "", "", "from", &r.period.from]);
    line(["period", "", "", "to", &r.period.to]);
    line(["basis", "", "", "as_of", &r.basis.as_of]);
    line(["basis", "", "", "audit_first_seq", &r.basis.audit_first_seq.map(|v| v.to_string()).unwrap_or_default()]);
    line(["basis", "", "", "audit_last_seq", &r.basis.audit_last_seq.map(|v| v.to_string()).unwrap_or_default()]);
    line(["basis", "", "", "chain_hash", r.basis.chain_hash.as_deref().unwrap_or_default()]);
    for s in sections(r) {
        for row in &s.rows {
            let keys: Vec<String> = row[..s.keys].iter().map(cell).collect();
            let (agency, subject) = match (s.name, keys.len()) {
                ("totals", _) => (String::new(), String::new()),
                ("trend", _) => (String::new(), keys[0].clone()),
                (_, 1) => (keys[0].clone(), String::new()),
                _ => (keys[0].clone(), keys[1..].join("/")),
            };
            let metrics: Vec<(&str, &Value)> = if s.name == "totals" {
                vec![(keys[0].as_str(), &row[1])]
            } else {
                s.header[s.keys..].iter().copied().zip(&row[s.keys..]).collect()
            };
            for (metric, v) in metrics {
                let metric = if metric == "calls_n" { "calls" } else { metric };
                line([sheet(s.name, english), &agency, &subject, metric, &cell(v)]);
            }
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The report as an XLSX workbook, a sheet per section (numbers as numbers).
pub fn to_xlsx(r: &Report, english: bool) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    // Rates are shares: Excel shows them as percentages, as the HTML page does.
    let percent = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    // A fixed creation time (the report's as-of date), so the same inputs give the same bytes.
    let created = rust_xlsxwriter::ExcelDateTime::parse_from_str(r.basis.as_of.get(..10).unwrap_or(&r.period.from))?;
    book.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(format!("{} {}", r.kind, r.period.name))
            .set_creation_datetime(&created),
    );
    let mut all = sections(r);
    let mut totals = all.iter().position(|s| s.name == "totals").map(|i| all.remove(i));
    if let Some(t) = totals.as_mut() {
        let basis = [
            ("period_from", json!(r.period.from)),
            ("period_to", json!(r.period.to)),
            ("as_of", json!(r.basis.as_of)),
            ("audit_first_seq", json!(r.basis.audit_first_seq)),
            ("audit_last_seq", json!(r.basis.audit_last_seq)),
            ("chain_hash", json!(r.basis.chain_hash)),
        ];
        t.rows.extend(basis.into_iter().map(|(k, v)| vec![json!(k), v]));
    }
    for s in totals.into_iter().chain(all) {
        let ws = book.add_worksheet().set_name(sheet(s.name, english))?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_with_format(0, c as u16, word(h, english), &bold)?;
        }
        for (i, row) in s.rows.iter().enumerate() {
            let metric = row.first().and_then(Value::as_str).unwrap_or_default();
            for (c, v) in row.iter().enumerate() {
                let rate = s.header.get(c).is_some_and(|h| h.ends_with("rate"))
                    || (s.name == "totals" && metric.ends_with("rate"));
                let (r, c) = (i as u32 + 1, c as u16);
                match v {
                    Value::Number(n) if rate => ws.write_with_format(r, c, n.as_f64().unwrap_or_default(), &percent)?,
                    Value::Number(n) => ws.write(r, c, n.as_f64().unwrap_or_default())?,
                    // The totals sheet names its metrics in the report's language.
                    Value::String(m) if s.name == "totals" && c == 0 => ws.write(r, c, word(m, english))?,
                    Value::String(s) => ws.write(r, c, s.as_str())?,
                    Value::Null => ws,
                    other => ws.write(r, c, other.to_string())?,
                };
            }
        }
    }
    book.save_to_buffer()
}
