//! Reports over two seeded quarters: runs, grants and a chained audit log for several agencies
//! are written with past times, and every format (JSON, CSV, XLSX, HTML, and over the API) is
//! checked for the exact numbers. The HTML page is rendered by headless Chromium.

mod common;

use common::Hub;
use lgsp_hub::store::AuditRow;
use std::process::Command;

const PLAN: &str = "000.00.12.H48"; // owner of enterprises
const HEALTH: &str = "000.00.20.H48"; // owner of health_facilities
const FINANCE: &str = "000.00.00.G12"; // consumer
const TAX: &str = "000.00.31.H48"; // consumer

fn sql_text(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Runs, datasets, clients, grants and audit entries of 2026-Q2 and 2026-Q3.
fn seed(hub: &Hub) {
    let mut sql = vec![];
    for (code, name) in
        [(PLAN, "Sở Kế hoạch và Đầu tư"), (HEALTH, "Sở Y tế"), (FINANCE, "Bộ Tài chính"), (TAX, "Cục Thuế")]
    {
        sql.push(format!(
            "INSERT INTO agencies (code, name, created_at) VALUES ('{code}', '{name}', '2026-04-01T00:00:00.000000Z')"
        ));
        sql.push(format!("INSERT INTO clients (id, agency, secret_hash, created_at) VALUES ('c-{code}', '{code}', 'x', '2026-04-01T00:00:00.000000Z')"));
    }
    for (name, owner) in [("enterprises", PLAN), ("health_facilities", HEALTH)] {
        sql.push(format!(
            "INSERT INTO datasets (name, pipeline, owner, key_fields, schema_json, current_version, updated_at) VALUES ('{name}', '{name}', '{owner}', '[]', '[]', 1, '2026-04-01T00:00:00.000000Z')"
        ));
    }
    // Enterprises run daily at 02:00 Vietnam time (19:00 UTC); health facilities by hand.
    let daily = "'0 0 2 * * *'";
    let runs = [
        (
            "r1",
            "enterprises",
            "2026-05-10T19:00:05.000000Z",
            "2026-05-10T19:04:00.000000Z",
            "published",
            daily,
            1000,
            10,
            5,
            r#"{"required:ten_doanh_nghiep":6,"tax_code:ma_so_thue":4}"#,
        ),
        (
            "r2",
            "enterprises",
            "2026-08-01T19:00:05.000000Z",
            "2026-08-01T19:05:00.000000Z",
            "published",
            daily,
            1200,
            12,
            3,
            r#"{"required:ten_doanh_nghiep":12}"#,
        ),
        (
            "r3",
            "enterprises",
            "2026-08-02T19:00:05.000000Z",
            "2026-08-02T19:00:10.000000Z",
            "failed",
            daily,
            0,
            0,
            0,
            "{}",
        ),
        (
            "r4",
            "enterprises",
            "2026-08-03T19:00:05.000000Z",
            "2026-08-03T19:03:00.000000Z",
            "published",
            daily,
            1100,
            0,
            0,
            "{}",
        ),
        (
            "r5",
            "health_facilities",
            "2026-09-15T03:00:00.000000Z",
            "2026-09-15T03:01:00.000000Z",
            "published",
            "NULL",
            400,
            4,
            0,
            r#"{"type:ngay_cap_phep":4}"#,
        ),
    ];
    for (id, ds, start, end, status, schedule, read, quarantined, dups, reasons) in runs {
        sql.push(format!(
            "INSERT INTO runs (id, pipeline, dataset, trigger_kind, started_at, finished_at, status, input_path, rows_read, rows_quarantined, duplicates_collapsed, schedule, quarantine_reasons) \
             VALUES ('{id}', '{ds}', '{ds}', 'schedule', '{start}', '{end}', '{status}', 'in.csv', {read}, {quarantined}, {dups}, {schedule}, {})",
            sql_text(reasons)
        ));
    }
    // The versions those runs published.
    let versions = [
        ("enterprises", 1, "r1", "2026-05-10T19:04:00.000000Z", 985, 985, 0, 0),
        ("enterprises", 2, "r2", "2026-08-01T19:05:00.000000Z", 1190, 210, 40, 5),
        ("enterprises", 3, "r4", "2026-08-03T19:03:00.000000Z", 1180, 0, 30, 10),
        ("health_facilities", 1, "r5", "2026-09-15T03:01:00.000000Z", 396, 396, 0, 0),
    ];
    for (ds, v, run, at, rows, ins, upd, del) in versions {
        sql.push(format!(
            "INSERT INTO versions (dataset, version, run_id, created_at, input_sha256, row_count, inserted, updated, deleted, quarantined, prefix, manifest_sha256) \
             VALUES ('{ds}', {v}, '{run}', '{at}', 'x', {rows}, {ins}, {upd}, {del}, 0, 'datasets/{ds}/v{v}', 'x')"
        ));
    }
    sql.push(format!("INSERT INTO grants (id, client_id, dataset, scope, basis, created_at) VALUES ('g1', 'c-{FINANCE}', 'enterprises', 'snapshot', 'Điều 9', '2026-07-05T00:00:00.000000Z')"));
    sql.push(format!("INSERT INTO grants (id, client_id, dataset, scope, basis, until, created_at) VALUES ('g2', 'c-{FINANCE}', 'enterprises', 'changes', 'Điều 9', '2026-08-31', '2026-04-02T00:00:00.000000Z')"));

    let last = hub.query("SELECT seq || '|' || hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    let (mut seq, mut prev) =
        last.split_once('|').map(|(s, h)| (s.parse::<i64>().unwrap(), h.to_string())).unwrap_or((0, "0".repeat(64)));
    let calls = [
        ("2026-06-10T08:00:00.000000Z", FINANCE, "/api/v1/datasets/{name}/snapshot", "enterprises", 200, 1000, 50_000),
        ("2026-07-10T08:00:00.000000Z", FINANCE, "/api/v1/datasets/{name}/snapshot", "enterprises", 200, 1100, 55_000),
        ("2026-08-05T08:00:00.000000Z", FINANCE, "/api/v1/datasets/{name}/changes", "enterprises", 200, 100, 5_000),
        ("2026-08-06T08:00:00.000000Z", TAX, "/api/v1/datasets/{name}/snapshot", "health_facilities", 403, 0, 0),
        ("2026-08-07T08:00:00.000000Z", TAX, "/api/v1/datasets/{name}/snapshot", "health_facilities", 403, 0, 0),
        ("2026-09-20T08:00:00.000000Z", TAX, "/api/v1/datasets/{name}/snapshot", "enterprises", 200, 1100, 55_000),
        ("2026-09-21T08:00:00.000000Z", FINANCE, "/api/v1/me", "", 200, 0, 0),
        ("2026-09-22T08:00:00.000000Z", "", "/api/v1/datasets", "", 401, 0, 0),
    ];
    for (at, agency, action, dataset, status, rows, bytes) in calls {
        seq += 1;
        let mut row = AuditRow {
            seq,
            at: at.into(),
            kind: "request".into(),
            actor: if agency.is_empty() { String::new() } else { format!("c-{agency}") },
            agency: agency.into(),
            action: action.into(),
            dataset: dataset.into(),
            rows_out: rows,
            bytes_out: bytes,
            status,
            prev_hash: prev.clone(),
            ..Default::default()
        };
        row.hash = lgsp_hub::audit::hash_of(&hub.audit_key(), &row);
        sql.push(format!(
            "INSERT INTO audit_log (seq, at, kind, actor, agency, action, dataset, version, rows_out, bytes_out, status, duration_ms, request_id, detail, prev_hash, hash) \
             VALUES ({seq}, '{at}', 'request', '{}', '{agency}', '{action}', '{dataset}', NULL, {rows}, {bytes}, {status}, 0, '', '', '{}', '{}')",
            row.actor, row.prev_hash, row.hash
        ));
        prev = row.hash;
    }
    hub.sql(&sql.join(";\n"));
}

#[test]
fn two_seeded_quarters_give_the_exact_numbers_in_every_format() {
    for hub in Hub::all() {
        let k = hub.kind();
        hub.ok(&["init"]);
        seed(&hub);
        hub.ok(&["audit", "verify"]);

        let r = hub.ok_json(&["report", "monthly", "--month", "2026-08"]);
        let p = &r["provided"][0];
        let n = |v: &serde_json::Value, key: &str| v[key].as_i64().unwrap_or_else(|| panic!("[{k}] {key} in {v}"));
        assert_eq!(
            (
                p["dataset"].as_str(),
                n(p, "runs"),
                n(p, "failed_runs"),
                n(p, "versions"),
                n(p, "rows_read"),
                n(p, "rows_quarantined"),
                n(p, "duplicates_collapsed")
            ),
            (Some("enterprises"), 3, 1, 2, 2300, 12, 3),
            "[{k}] {r}"
        );
        assert_eq!(
            (n(p, "rows"), n(p, "inserted"), n(p, "updated"), n(p, "deleted")),
            (1180, 210, 70, 15),
            "[{k}] versions of August: {p}"
        );
        let f = &r["freshness"][0];
        assert_eq!((n(f, "expected_runs"), n(f, "on_schedule"), n(f, "failure_spells")), (31, 2, 1), "[{k}] {f}");
        assert_eq!(
            (f["downtime_hours"].as_f64(), f["max_age_hours"].as_f64(), f["last_success"].as_str()),
            (Some(24.05), Some(676.95), Some("2026-08-03T19:03:00.000000Z")),
            "[{k}] {f}"
        );
        assert_eq!(
            r["quality"],
            serde_json::json!([{"owner": PLAN, "dataset": "enterprises", "reason": "required:ten_doanh_nghiep", "rows": 12, "rate": 0.005217}]),
            "[{k}]"
        );
        assert_eq!(
            r["consumed"],
            serde_json::json!([{"consumer": FINANCE, "dataset": "enterprises", "calls": 1, "rows": 100, "bytes": 5000}]),
            "[{k}]"
        );
        assert_eq!(
            r["calls"],
            serde_json::json!([{"agency": FINANCE, "calls": 1, "errors": 0}, {"agency": TAX, "calls": 2, "errors": 2}]),
            "[{k}]"
        );
        assert_eq!(
            r["denied"],
            serde_json::json!([{"agency": TAX, "dataset": "health_facilities", "requests": 2}]),
            "[{k}]"
        );
        assert_eq!(
            (r["grants_added"].clone(), r["grants_expiring"].clone()),
            (serde_json::json!([]), serde_json::json!([[FINANCE, 1]])),
            "[{k}]"
        );
        let t = &r["totals"];
        assert_eq!(
            (
                n(t, "runs"),
                n(t, "failed_runs"),
                n(t, "versions"),
                n(t, "pulls"),
                n(t, "rows_served"),
                n(t, "bytes_served"),
                n(t, "api_calls"),
                n(t, "api_errors"),
                n(t, "denied_requests")
            ),
            (3, 1, 2, 1, 100, 5000, 3, 2, 2),
            "[{k}] {t}"
        );
        assert_eq!((t["quarantine_rate"].as_f64(), t["downtime_hours"].as_f64()), (Some(0.005217), Some(24.05)));
        let months: Vec<_> = r["trend"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["month"].as_str().unwrap().to_string(), n(m, "pulls"), n(m, "rows_served"), n(m, "versions")))
            .collect();
        let want: Vec<(String, i64, i64, i64)> = vec![
            ("2026-03".into(), 0, 0, 0),
            ("2026-04".into(), 0, 0, 0),
            ("2026-05".into(), 0, 0, 1),
            ("2026-06".into(), 1, 1000, 0),
            ("2026-07".into(), 1, 1100, 0),
            ("2026-08".into(), 1, 100, 2),
        ];
        assert_eq!(months, want, "[{k}] month-on-month");
        assert_eq!(r["trend"][2]["quarantine_rate"].as_f64(), Some(0.01));
        let b = &r["basis"];
        assert_eq!(
            (
                n(b, "audit_last_seq") - n(b, "audit_first_seq"),
                b["as_of"].as_str(),
                b["chain_hash"].as_str().map(str::len)
            ),
            (2, Some("2026-09-01"), Some(64)),
            "[{k}] three entries in August"
        );

        // Quarters: the whole of Q3, one consumer's part of it, and Q2.
        let q3 = hub.ok_json(&["report", "quarterly", "--quarter", "2026-Q3"]);
        assert_eq!(
            (
                n(&q3["totals"], "runs"),
                n(&q3["totals"], "versions"),
                n(&q3["totals"], "pulls"),
                n(&q3["totals"], "rows_served"),
                n(&q3["totals"], "api_calls"),
                n(&q3["totals"], "api_errors")
            ),
            (4, 3, 3, 2300, 7, 3),
            "[{k}] {}",
            q3["totals"]
        );
        assert_eq!(
            q3["calls"][0],
            serde_json::json!({"agency": "-", "calls": 1, "errors": 1}),
            "[{k}] calls without a token"
        );
        assert_eq!(q3["grants_added"], serde_json::json!([[FINANCE, 1]]));
        let tax = hub.ok_json(&["report", "quarterly", "--quarter", "2026-Q3", "--agency", TAX]);
        assert_eq!(
            tax["consumed"],
            serde_json::json!([{"consumer": TAX, "dataset": "enterprises", "calls": 1, "rows": 1100, "bytes": 55000}]),
            "[{k}]"
        );
        assert!(tax["provided"].as_array().unwrap().is_empty() && tax["denied"][0]["requests"] == 2, "[{k}] {tax}");
        let health = hub.ok_json(&["report", "quarterly", "--quarter", "2026-Q3", "--agency", HEALTH]);
        assert_eq!(
            (
                health["provided"].as_array().unwrap().len(),
                health["freshness"][0]["expected_runs"].as_i64(),
                health["quality"][0]["rate"].as_f64()
            ),
            (1, Some(0), Some(0.01)),
            "[{k}] {health}"
        );
        let q2 = hub.ok_json(&["report", "quarterly", "--quarter", "2026-Q2"]);
        assert_eq!(
            (
                q3["provided"][1]["dataset"].as_str(),
                q3["provided"][1]["rows"].as_i64(),
                q3["provided"][1]["inserted"].as_i64()
            ),
            (Some("health_facilities"), Some(396), Some(396)),
            "[{k}]"
        );
        assert_eq!(
            (n(&q2["totals"], "versions"), n(&q2["totals"], "pulls"), n(&q2["totals"], "rows_quarantined")),
            (1, 1, 10),
            "[{k}]"
        );

        // CSV, in Vietnamese and in English.
        let csv = hub.ok(&["report", "monthly", "--month", "2026-08", "--format", "csv"]);
        for line in [
            "section,agency,subject,metric,value",
            "du_lieu_cung_cap,000.00.12.H48,enterprises,rows_read,2300",
            "du_lieu_cung_cap,000.00.12.H48,enterprises,rows,1180",
            "do_cap_nhat,000.00.12.H48,enterprises,downtime_hours,24.05",
            "chat_luong,000.00.12.H48,enterprises/required:ten_doanh_nghiep,rate,0.005217",
            "du_lieu_khai_thac,000.00.00.G12,enterprises,rows,100",
            "de_xuat_chia_se,000.00.31.H48,health_facilities,requests,2",
            "quyen_het_han,000.00.00.G12,,grants,1",
            "tong_hop,,,api_errors,2",
            "xu_huong,,2026-07,rows_served,1100",
        ] {
            assert!(csv.lines().any(|l| l == line), "[{k}] no line {line} in\n{csv}");
        }
        let en = hub.ok(&["report", "monthly", "--month", "2026-08", "--format", "csv", "--lang", "en"]);
        assert!(en.lines().any(|l| l == "provided,000.00.12.H48,enterprises,versions,2"), "[{k}] {en}");

        // XLSX reads back with the same numbers, and is byte-identical when made again.
        let xlsx = hub.dir.path().join("r.xlsx");
        hub.ok(&["report", "monthly", "--month", "2026-08", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
        let first = std::fs::read(&xlsx).unwrap();
        hub.ok(&["report", "monthly", "--month", "2026-08", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
        assert_eq!(first, std::fs::read(&xlsx).unwrap(), "[{k}] the same inputs give the same workbook");
        {
            use calamine::Reader;
            let mut book = calamine::open_workbook_auto(&xlsx).unwrap();
            let mut cells = |sheet: &str, row: usize| -> Vec<String> {
                book.worksheet_range(sheet).unwrap().rows().nth(row).unwrap().iter().map(|c| c.to_string()).collect()
            };
            assert_eq!(
                cells("du_lieu_cung_cap", 1),
                [
                    "000.00.12.H48",
                    "enterprises",
                    "3",
                    "1",
                    "2",
                    "2300",
                    "12",
                    "3",
                    "1180",
                    "210",
                    "70",
                    "15",
                    "0",
                    "0",
                    "0"
                ],
                "[{k}]"
            );
            assert_eq!(
                cells("do_cap_nhat", 1)[3..],
                ["31", "2", "2026-08-03T19:03:00.000000Z", "676.95", "1", "24.05"],
                "[{k}]"
            );
            assert_eq!(cells("de_xuat_chia_se", 1), ["000.00.31.H48", "health_facilities", "2"], "[{k}]");
            assert_eq!(cells("xu_huong", 4)[..3], ["2026-06", "0", "0"], "[{k}]");
            assert_eq!(cells("tong_hop", 0), ["Chỉ tiêu", "Giá trị"], "[{k}] Vietnamese headers");
            assert_eq!(cells("tong_hop", 7), ["Lượt khai thác", "1"], "[{k}] metrics named in the report's language");
        }

        // HTML: self-contained, the same numbers, byte-identical, rendered by Chromium.
        let html = hub.ok(&["report", "monthly", "--month", "2026-08", "--format", "html"]);
        assert_eq!(
            html,
            hub.ok(&["report", "monthly", "--month", "2026-08", "--format", "html"]),
            "[{k}] byte-identical"
        );
        assert!(
            html.contains("tháng 8/2026")
                && html.contains("<td class=\"n\">2.300</td>")
                && html.contains("<td class=\"n\">24,05</td>"),
            "[{k}]"
        );
        assert!(
            html.contains("+0,00% so với tháng trước") && html.contains("-90,91% so với tháng trước"),
            "[{k}] month-on-month changes of pulls and rows served"
        );
        assert_eq!(html.matches("<svg").count(), 3, "[{k}] three charts");
        // Every total of the JSON report is in the HTML totals table, written the Vietnamese way.
        let vi = |n: i64| {
            let d = n.to_string();
            d.chars().enumerate().fold(String::new(), |mut s, (i, c)| {
                if i > 0 && (d.len() - i) % 3 == 0 {
                    s.push('.');
                }
                s.push(c);
                s
            })
        };
        let totals_table = html.split("Tổng hợp toàn nền tảng").nth(1).unwrap().split("</table>").next().unwrap();
        for (metric, label) in [
            ("runs", "Lượt chạy"),
            ("failed_runs", "Lượt chạy lỗi"),
            ("versions", "Phiên bản công bố"),
            ("rows_read", "Dòng đọc vào"),
            ("pulls", "Lượt khai thác"),
            ("rows_served", "Dòng đã cung cấp"),
            ("bytes_served", "Dung lượng đã cung cấp (byte)"),
            ("api_calls", "Lượt gọi API"),
            ("api_errors", "Lượt gọi lỗi"),
            ("denied_requests", "Yêu cầu chưa được cấp quyền"),
        ] {
            let cell = format!("<tr><td>{label}</td><td class=\"n\">{}</td></tr>", vi(n(t, metric)));
            assert!(totals_table.contains(&cell), "[{k}] {cell} in the HTML totals");
        }
        assert!(
            totals_table.contains("<td class=\"n\">0,52%</td>") && totals_table.contains("<td class=\"n\">24,05</td>"),
            "[{k}] rate and downtime"
        );
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "[{k}] nothing loaded from elsewhere");
        let en = hub.ok(&["report", "quarterly", "--quarter", "2026-Q3", "--format", "html", "--lang", "en"]);
        assert!(
            en.contains("Integration, sharing and use of data — 2026-Q3")
                && en.contains("vs previous quarter")
                && en.contains("<td class=\"n\">2,300</td>"),
            "[{k}]"
        );
        if k == "sqlite" {
            screenshot(&hub, &html);
        }

        // Over the API: a `reports` grant on `*`, the same bytes as the command line.
        let (analyst, secret) = hub.new_client("000.00.99.H48", "Văn phòng UBND tỉnh");
        let (nobody, nobody_secret) = hub.new_client("000.00.98.H48", "Sở Nội vụ");
        hub.ok(&[
            "grant",
            "add",
            "--client",
            &analyst,
            "--dataset",
            "*",
            "--scope",
            "reports",
            "--basis",
            "Điều 15.9, Điều 19.3",
            "--purpose",
            "thống kê",
        ]);
        let err = hub.fails(&[
            "grant",
            "add",
            "--client",
            &analyst,
            "--dataset",
            "enterprises",
            "--scope",
            "reports",
            "--basis",
            "x",
            "--purpose",
            "thống kê",
        ]);
        assert!(err.contains("reports scope goes with dataset '*'"), "{err}");
        let (_server, base) = hub.serve(&[]);
        let token = |id: &str, secret: &str| {
            let out = Command::new("curl")
                .args([
                    "-s",
                    "-u",
                    &format!("{id}:{secret}"),
                    "-d",
                    "grant_type=client_credentials",
                    &format!("{base}/token"),
                ])
                .output()
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let get = |token: &str, path: &str| -> (u16, Vec<u8>) {
            let out = Command::new("curl")
                .args([
                    "-s",
                    "-w",
                    "\n%{http_code}",
                    "-H",
                    &format!("Authorization: Bearer {token}"),
                    &format!("{base}{path}"),
                ])
                .output()
                .unwrap();
            let (body, code) = out.stdout.split_at(out.stdout.iter().rposition(|b| *b == b'\n').unwrap());
            (String::from_utf8_lossy(&code[1..]).parse().unwrap(), body.to_vec())
        };
        let t = token(&analyst, &secret);
        let (code, body) = get(&t, "/api/v1/reports/monthly/2026-08?format=csv");
        assert_eq!(
            (code, String::from_utf8_lossy(&body).to_string()),
            (200, csv.clone()),
            "[{k}] the API gives the CLI's CSV"
        );
        let (code, body) = get(&t, &format!("/api/v1/reports/quarterly/2026-Q3?agency={TAX}"));
        assert_eq!(code, 200);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["consumed"], tax["consumed"], "[{k}]");
        assert_eq!(get(&t, "/api/v1/reports/monthly/2026-08?format=html").1, html.as_bytes(), "[{k}]");
        assert_eq!(get(&t, "/api/v1/reports/monthly/2026-08?format=xlsx").1, first, "[{k}]");
        for (path, want) in [
            ("/api/v1/reports/monthly/2026-Q3", 400),
            ("/api/v1/reports/quarterly/2026-Q9", 400),
            ("/api/v1/reports/weekly/2026-08", 404),
            ("/api/v1/reports/monthly/2026-08?format=pdf", 400),
            ("/api/v1/reports/monthly/2026-08?lang=fr", 400),
            ("/api/v1/reports/monthly/0000-01?format=xlsx", 400),
        ] {
            assert_eq!(get(&t, path).0, want, "[{k}] {path}");
        }
        let other = token(&nobody, &nobody_secret);
        assert_eq!(get(&other, "/api/v1/reports/monthly/2026-08").0, 403, "[{k}] no reports grant");
        assert_eq!(get("nope", "/api/v1/reports/monthly/2026-08").0, 401, "[{k}]");
    }
}

/// Renders the page in headless Chromium and checks a screenshot was produced.
fn screenshot(hub: &Hub, html: &str) {
    let Some(chromium) =
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| std::path::Path::new(p).exists())
    else {
        assert!(
            std::env::var("LGSP_TEST_REQUIRE_CHROMIUM").is_err(),
            "LGSP_TEST_REQUIRE_CHROMIUM is set but Chromium is not installed"
        );
        eprintln!("skipped: the HTML report is not rendered (no Chromium; Debian package `chromium`)");
        return;
    };
    let page = hub.dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let png = hub.dir.path().join("report.png");
    let profile = hub.dir.path().join("chromium-profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1200,1600")
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let bytes =
        std::fs::read(&png).unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "a rendered page, not a blank one ({} bytes)",
        bytes.len()
    );
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, 1200);
}
