//! Per-run options: `--dry-run` publishes and records nothing; `--input` with another format
//! (from the extension or `--format`) reads that delivery in its own format.

mod common;

use common::{repo, Hub};

fn csv_rows() -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(repo().join("data/samples/enterprises_v1.csv")).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    (header, r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect())
}

#[test]
fn a_dry_run_reports_what_would_happen_and_writes_nothing() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let v1 = repo().join("data/samples/enterprises_v1.csv").display().to_string();
    let dry = hub.ok_json(&["run", "enterprises", "--input", &v1, "--json", "--dry-run"]);
    assert_eq!(
        (dry["status"].as_str(), dry["version"].as_i64(), dry["dry_run"].as_bool()),
        (Some("published"), Some(1), Some(true)),
        "{dry}"
    );
    assert!(dry["snapshot"].is_null(), "{dry}");
    assert!(hub.fails(&["versions", "enterprises"]).contains("no published version"));
    assert_eq!(hub.ok(&["runs", "--json"]).trim(), "", "a dry run is not in the run history");
    let real = hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    for k in ["rows_read", "rows_valid", "rows_quarantined", "inserted"] {
        assert_eq!(dry[k], real[k], "{k}");
    }
    // Gates trip in a dry run as in a real one (exit code 3), and still nothing is written.
    let truncated: String = std::fs::read_to_string(&v1).unwrap().lines().take(50).map(|l| format!("{l}\n")).collect();
    let t = hub.dir.path().join("truncated.csv");
    std::fs::write(&t, truncated).unwrap();
    let out = hub.lgsp(&["run", "enterprises", "--input", t.to_str().unwrap(), "--json", "--dry-run"]);
    assert_eq!(out.status.code(), Some(3));
    let held: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(held["status"], "held", "{held}");
    assert_eq!(hub.ok(&["runs", "--json"]).lines().count(), 1, "only the real run");
}

#[test]
fn another_delivery_format_is_read_by_its_extension_or_format() {
    let (header, rows) = csv_rows();
    let ndjson: String = rows
        .iter()
        .map(|r| {
            let o: serde_json::Map<String, serde_json::Value> =
                header.iter().zip(r).map(|(h, v)| (h.clone(), serde_json::Value::from(v.as_str()))).collect();
            format!("{}\n", serde_json::Value::Object(o))
        })
        .collect();
    let csv_run = {
        let hub = Hub::sqlite();
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")))
    };
    for (name, extra) in [("delivery.jsonl", None), ("delivery.txt", Some("ndjson"))] {
        let hub = Hub::sqlite();
        hub.ok(&["init"]);
        let f = hub.dir.path().join(name);
        std::fs::write(&f, &ndjson).unwrap();
        let mut args = vec!["run", "enterprises", "--input", f.to_str().unwrap(), "--json"];
        if let Some(fmt) = extra {
            args.extend(["--format", fmt]);
        }
        let r = hub.ok_json(&args);
        for k in ["rows_read", "rows_valid", "rows_quarantined", "inserted"] {
            assert_eq!(r[k], csv_run[k], "{name} {k}");
        }
    }
}

#[test]
fn a_quarantined_current_key_is_kept_or_withdrawn_as_the_pipeline_says() {
    let v1 = std::fs::read_to_string(repo().join("data/samples/enterprises_v1.csv")).unwrap();
    let spec = std::fs::read_to_string(repo().join("pipelines/enterprises.toml")).unwrap();
    // The third data row loses its required name: that row is quarantined.
    let mut lines: Vec<String> = v1.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[1] = String::new();
    lines[3] = cells.join(",");
    let edited = lines.join("\n") + "\n";
    for (choice, kept, withdrawn) in [("keep_previous", 1, 0), ("withdraw", 0, 1)] {
        let hub = Hub::sqlite();
        hub.ok(&["init"]);
        let toml = hub.dir.path().join("enterprises.toml");
        std::fs::write(
            &toml,
            spec.replace("extract = \"full\"", &format!("extract = \"full\"\non_quarantined_key = \"{choice}\"")),
        )
        .unwrap();
        let (p1, p2) = (hub.dir.path().join("v1.csv"), hub.dir.path().join("v2.csv"));
        std::fs::write(&p1, &v1).unwrap();
        std::fs::write(&p2, &edited).unwrap();
        let run = |p: &std::path::Path| {
            hub.ok_json(&["run", toml.to_str().unwrap(), "--input", p.to_str().unwrap(), "--json"])
        };
        let first = run(&p1);
        let r = run(&p2);
        assert_eq!(r["rows_quarantined"].as_u64(), first["rows_quarantined"].as_u64().map(|q| q + 1), "{choice}: {r}");
        assert_eq!(
            (r["kept_previous"].as_u64(), r["withdrawn"].as_u64()),
            (Some(kept), Some(withdrawn)),
            "{choice}: {r}"
        );
        assert_eq!(r["deleted"].as_u64(), Some(withdrawn), "{choice}: a withdrawn key is a delete");
        let month = chrono::Utc::now().format("%Y-%m").to_string();
        let report = hub.ok_json(&["report", "monthly", "--month", &month]);
        let p = &report["provided"][0];
        assert_eq!(
            (p["kept_previous"].as_u64(), p["withdrawn"].as_u64()),
            (Some(kept), Some(withdrawn)),
            "{choice}: {p}"
        );
    }
}

#[test]
fn quarantine_show_and_diff_read_versions_without_a_dataframe_library() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let v1 = hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let v2 = hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")));
    // The whole quarantine, one line per reason, with the counts by reason first.
    let all = hub.ok(&["quarantine", "show", "enterprises", "--version", "1", "--limit", "100000"]);
    assert!(
        all.starts_with(&format!("{} of {} quarantined rows", v1["rows_quarantined"], v1["rows_quarantined"])),
        "{all}"
    );
    let reason = v1["quarantine_reasons"].as_object().unwrap().keys().next().unwrap().clone();
    let n = v1["quarantine_reasons"][&reason].as_u64().unwrap();
    let one = hub.ok(&[
        "quarantine",
        "show",
        "enterprises",
        "--version",
        "1",
        "--reason",
        &reason,
        "--json",
        "--limit",
        "100000",
    ]);
    assert_eq!(one.lines().count() as u64, n, "--reason {reason}");
    let row: serde_json::Value = serde_json::from_str(one.lines().next().unwrap()).unwrap();
    assert!(row["line"].as_str().unwrap().parse::<u64>().unwrap() > 1 && row["raw"].is_object(), "{row}");
    let csv = hub.dir.path().join("q.csv");
    hub.ok(&["quarantine", "show", "enterprises", "--reason", &reason, "--csv", csv.to_str().unwrap()]);
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a byte order mark for Excel");

    // The diff has the run's counts, and field-level changes for updates.
    let d = hub.ok_json(&["diff", "enterprises", "1", "2", "--json", "--limit", "5"]);
    for k in ["inserted", "updated", "deleted"] {
        assert_eq!(d[k], v2[k], "{k}: {d}");
    }
    let up = &d["updates"][0];
    let (field, change) = up["fields"].as_object().unwrap().iter().next().unwrap();
    assert_ne!(change[0], change[1], "{field}: {up}");
    let text = hub.ok(&["diff", "enterprises", "1", "2"]);
    assert!(text.contains(" → ") && text.contains("~ ma_so_thue="), "{text}");
    assert!(hub.fails(&["diff", "enterprises", "2", "1"]).contains("older version first"));
}
