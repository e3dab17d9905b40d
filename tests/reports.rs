//! Reports from the run history and the audit log: exact numbers, a filter per agency, and the
//! same store giving a byte-identical report.

mod common;

use common::{repo, Hub};
use std::process::Command;

#[test]
fn the_monthly_report_counts_runs_versions_pulls_and_errors() {
    for hub in Hub::all() {
        let k = hub.kind();
        hub.ok(&["init"]);
        let v1 = hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        let v2 = hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")));
        let empty = hub.dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        hub.fails(&["run", "enterprises", "--input", empty.to_str().unwrap()]);
        let (id, secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
        hub.ok(&[
            "grant",
            "add",
            "--client",
            &id,
            "--dataset",
            "enterprises",
            "--scope",
            "snapshot",
            "--basis",
            "Điều 9",
            "--purpose",
            "thống kê",
        ]);
        let (_server, base) = hub.serve(&[]);
        let tok = Command::new("curl")
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
        let tok: serde_json::Value = serde_json::from_slice(&tok.stdout).unwrap();
        let auth = format!("Authorization: Bearer {}", tok["access_token"].as_str().unwrap());
        for path in ["snapshot?format=csv", "snapshot?format=csv", "changes"] {
            Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-H", &auth])
                .arg(format!("{base}/api/v1/datasets/enterprises/{path}"))
                .status()
                .unwrap();
        }
        drop(_server);
        let month = hub.query(&format!("SELECT substr({}, 1, 7) FROM audit_log", hub.time_text("MIN(at)")));
        let r = hub.ok_json(&["report", "monthly", "--month", &month]);
        let p = &r["provided"][0];
        let n = |v: &serde_json::Value, key: &str| v[key].as_i64().unwrap();
        assert_eq!(
            (p["dataset"].as_str(), n(p, "runs"), n(p, "failed_runs"), n(p, "versions")),
            (Some("enterprises"), 3, 1, 2),
            "[{k}] {r}"
        );
        assert_eq!(n(p, "rows_read"), n(&v1, "rows_read") + n(&v2, "rows_read"), "[{k}]");
        assert_eq!(n(p, "rows_quarantined"), n(&v1, "rows_quarantined") + n(&v2, "rows_quarantined"), "[{k}]");
        let c = &r["consumed"][0];
        let rows = hub.read_parquet("datasets/enterprises/v2/snapshot.parquet").height() as i64;
        assert_eq!(
            (n(p, "rows"), n(p, "inserted")),
            (rows, n(&v1, "inserted") + n(&v2, "inserted")),
            "[{k}] the last version's rows and the keys its versions inserted"
        );
        assert_eq!(
            (c["consumer"].as_str(), n(c, "calls"), n(c, "rows")),
            (Some("000.00.00.G12"), 2, 2 * rows),
            "[{k}] the 403 on changes is not a pull: {r}"
        );
        let calls = r["calls"].as_array().unwrap().iter().find(|c| c["agency"] == "000.00.00.G12").unwrap().clone();
        // Its token request, two pulls and the refused one.
        assert_eq!((n(&calls, "calls"), n(&calls, "errors")), (4, 1), "[{k}] {r}");
        assert_eq!(r["grants_added"][0][0], "000.00.00.G12");
        assert_eq!(
            r["denied"],
            serde_json::json!([{"agency": "000.00.00.G12", "dataset": "enterprises", "requests": 1}]),
            "[{k}] the refused changes request names its dataset"
        );
        assert!(r["basis"]["chain_hash"].as_str().is_some_and(|h| h.len() == 64), "[{k}] {r}");

        let again = hub.ok(&["report", "monthly", "--month", &month]);
        assert_eq!(again, hub.ok(&["report", "monthly", "--month", &month]), "[{k}] byte-identical");
        let csv = hub.ok(&["report", "monthly", "--month", &month, "--format", "csv"]);
        assert!(csv.contains("du_lieu_cung_cap,000.00.12.H48,enterprises,versions,2"), "[{k}] {csv}");
        let xlsx = hub.dir.path().join("r.xlsx");
        hub.ok(&["report", "monthly", "--month", &month, "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
        {
            use calamine::Reader;
            let mut book = calamine::open_workbook_auto(&xlsx).unwrap();
            assert!(book.sheet_names().contains(&"du_lieu_cung_cap".to_string()), "[{k}] {:?}", book.sheet_names());
            let sheet = book.worksheet_range("du_lieu_cung_cap").unwrap();
            let row: Vec<String> = sheet.rows().nth(1).unwrap().iter().map(|c| c.to_string()).collect();
            assert_eq!(
                &row[..5],
                ["000.00.12.H48", "enterprises", "3", "1", "2"],
                "[{k}] the workbook reads back with the same numbers"
            );
            let consumed = book.worksheet_range("du_lieu_khai_thac").unwrap();
            assert_eq!(consumed.rows().nth(1).unwrap()[3].to_string(), (2 * rows).to_string());
        }
        let q = format!("{}-Q{}", &month[..4], (month[5..7].parse::<u32>().unwrap() - 1) / 3 + 1);
        let only = hub.ok_json(&["report", "quarterly", "--quarter", &q, "--agency", "000.00.00.G12"]);
        assert!(
            only["provided"].as_array().unwrap().is_empty() && only["consumed"].as_array().unwrap().len() == 1,
            "[{k}] {only}"
        );
        let none = hub.ok_json(&["report", "monthly", "--month", "2001-01"]);
        assert_eq!((none["totals"]["runs"].as_i64(), none["basis"]["chain_hash"].is_null()), (Some(0), true));
        let err = hub.fails(&["report", "monthly", "--month", "2026-13"]);
        assert!(err.contains("yyyy-mm"), "{err}");
    }
}

#[test]
fn an_unknown_agency_is_an_error_and_an_empty_period_says_so() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let err = hub.fails(&["report", "quarterly", "--quarter", "2026-Q3", "--agency", "000.00.99.H48"]);
    assert!(err.contains("agency '000.00.99.H48' is not registered"), "{err}");
    let r = hub.ok_json(&["report", "monthly", "--month", "2020-01"]);
    assert_eq!(r["no_data"], true, "{r}");
    let html = hub.ok(&["report", "monthly", "--month", "2020-01", "--format", "html"]);
    assert!(html.contains("Không có dữ liệu trong kỳ báo cáo"), "a note, not a silent all-zero report");
    assert!(html.contains("12/2019") && !html.contains(">19-12<"), "months as mm/yyyy");
}
