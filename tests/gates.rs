//! Quality gates: a run that trips one publishes nothing, is held with its reasons and its
//! would-be counts (exit code 3), and waits for `lgsp run approve` or `lgsp run reject`.

mod common;

use common::{repo, Hub};
use std::path::PathBuf;

fn v1_text() -> String {
    std::fs::read_to_string(repo().join("data/samples/enterprises_v1.csv")).unwrap()
}

fn write(hub: &Hub, name: &str, text: &str) -> PathBuf {
    let p = hub.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `lgsp run enterprises --json --input FILE`: exit code and the report.
fn run(hub: &Hub, input: &std::path::Path) -> (Option<i32>, serde_json::Value) {
    let out = hub.lgsp(&["run", "enterprises", "--json", "--input", input.to_str().unwrap()]);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("one JSON object: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

fn versions(hub: &Hub) -> usize {
    hub.ok(&["versions", "enterprises"]).lines().count()
}

#[test]
fn a_file_whose_every_row_is_quarantined_is_held_not_published() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    // Every tax code broken: every row fails its rule.
    let text: String =
        v1_text().lines().enumerate().map(|(i, l)| if i == 0 { format!("{l}\n") } else { format!("x{l}\n") }).collect();
    let bad = write(&hub, "all_bad.csv", &text);
    let (code, report) = run(&hub, &bad);
    assert_eq!(code, Some(3), "held is its own exit code: {report}");
    assert_eq!(report["status"], "held");
    assert_eq!(report["rows_valid"], 0, "{report}");
    assert_eq!(report["gates"][0]["gate"], "gates.max_quarantine_fraction", "{report}");
    assert!(report["run_quarantine"].as_str().is_some_and(|q| q.ends_with("quarantine.parquet")), "{report}");
    assert!(hub.fails(&["versions", "enterprises"]).contains("no published version"), "nothing published");
    let held = hub.ok(&["runs", "--status", "held", "--json"]);
    let row: serde_json::Value = serde_json::from_str(held.lines().next().unwrap()).unwrap();
    assert_eq!(row["id"], report["run_id"]);
    assert!(row["gates"].as_str().unwrap().contains("max_quarantine_fraction"), "{row}");
}

#[test]
fn a_truncated_file_is_held_then_approved_or_rejected_by_a_steward() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        let truncated: String = v1_text().lines().take(101).map(|l| format!("{l}\n")).collect();
        let truncated = write(&hub, "truncated.csv", &truncated);

        // Held: the delete limit is a gate; the run's would-be counts are reported.
        let (code, held) = run(&hub, &truncated);
        assert_eq!(code, Some(3), "[{}] {held}", hub.kind());
        assert_eq!(held["gates"][0]["gate"], "publish.max_delete_fraction", "{held}");
        assert!(held["deleted"].as_u64().unwrap() > 100, "would-be deletes reported: {held}");
        assert_eq!(versions(&hub), 1);

        // Rejected: never published, and cannot be approved afterwards.
        let id = held["run_id"].as_str().unwrap().to_string();
        hub.ok(&["run", "reject", &id, "--note", "wrong export"]);
        let err = hub.fails(&["run", "approve", &id]);
        assert!(err.contains("rejected, not held"), "{err}");
        assert_eq!(versions(&hub), 1);

        // Held again, then approved: the same input publishes with its deletes.
        let (code, held2) = run(&hub, &truncated);
        assert_eq!(code, Some(3));
        let id2 = held2["run_id"].as_str().unwrap().to_string();
        let approved: serde_json::Value =
            serde_json::from_str(hub.ok(&["run", "approve", &id2, "--json"]).trim()).unwrap();
        assert_eq!(approved["status"], "published", "{approved}");
        assert_eq!(approved["approves"], id2.as_str());
        assert_eq!(approved["deleted"], held2["deleted"], "the approved run is the held one's data");
        assert_eq!(versions(&hub), 2);
        let runs = hub.ok(&["runs", "--json"]);
        let status = |id: &str| -> String {
            runs.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .find(|r| r["id"] == id)
                .map(|r| r["status"].as_str().unwrap().to_string())
                .unwrap()
        };
        assert_eq!((status(&id).as_str(), status(&id2).as_str()), ("rejected", "approved"));

        // Both decisions are in the audit log.
        let audit = hub.ok(&["audit", "export", "--from", "2000-01-01", "--to", "2100-12-31"]);
        assert!(audit.contains("run_reject") && audit.contains("run_approve"), "{audit}");
    }
}

#[test]
fn an_approval_covers_only_the_input_it_was_given_for() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let input = write(&hub, "delivery.csv", &v1_text().lines().take(101).map(|l| format!("{l}\n")).collect::<String>());
    let (_, held) = run(&hub, &input);
    let id = held["run_id"].as_str().unwrap().to_string();
    // The file at the same path is replaced by another (still truncated) delivery.
    write(&hub, "delivery.csv", &v1_text().lines().take(91).map(|l| format!("{l}\n")).collect::<String>());
    let out = hub.lgsp(&["run", "approve", &id]);
    assert_eq!(out.status.code(), Some(3), "the new input is gated as usual");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the input changed"));
    assert_eq!(versions(&hub), 1);
    let still = hub.ok(&["runs", "--status", "held", "--json"]);
    assert!(still.contains(&id), "the first held run stays held: {still}");
}

#[test]
fn gate_limits_are_checked_when_the_file_is_checked() {
    let hub = Hub::sqlite();
    let text = std::fs::read_to_string(repo().join("pipelines/enterprises.toml")).unwrap();
    let bad = write(&hub, "bad.toml", &text.replace("[publish]", "[gates]\nmax_update_fraction = 1.5\n\n[publish]"));
    let err = hub.fails(&["check", bad.to_str().unwrap()]);
    assert!(err.contains("gates.max_update_fraction") && err.contains("between 0 and 1"), "{err}");
}

#[test]
fn status_shows_versions_freshness_and_held_runs() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let of = |s: &serde_json::Value, p: &str| -> serde_json::Value {
        s["datasets"].as_array().unwrap().iter().find(|d| d["pipeline"] == p).cloned().unwrap()
    };
    let s = hub.ok_json(&["status", "--json"]);
    let e = of(&s, "enterprises");
    assert_eq!((e["version"].as_i64(), e["freshness"].as_str()), (Some(1), Some("on_time")), "{e}");
    assert!(e["next_fire"].as_str().is_some(), "{e}");
    assert_eq!(of(&s, "health_facilities")["freshness"], "never_run");
    let truncated: String = v1_text().lines().take(101).map(|l| format!("{l}\n")).collect();
    let (code, _) = run(&hub, &write(&hub, "t.csv", &truncated));
    assert_eq!(code, Some(3));
    let e = of(&hub.ok_json(&["status", "--json"]), "enterprises");
    assert_eq!(
        (e["freshness"].as_str(), e["held_runs"].as_u64(), e["version"].as_i64()),
        (Some("held"), Some(1), Some(1)),
        "{e}"
    );
    let table = hub.ok(&["status"]);
    assert!(table.contains("HELD") && table.contains("lgsp runs --status held"), "{table}");
    let datasets = hub.ok_json(&["datasets", "--json"]);
    assert_eq!(datasets[0]["name"], "enterprises", "{datasets}");
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let report = hub.ok_json(&["report", "monthly", "--month", &month]);
    assert_eq!(
        (report["provided"][0]["held_runs"].as_i64(), report["totals"]["held_runs"].as_i64()),
        (Some(1), Some(1)),
        "{report}"
    );
}
