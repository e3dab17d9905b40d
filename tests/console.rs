//! The web console in headless Chromium (Debian's `chromium` and `chromedriver`, driven by the
//! `selenium` package from PyPI; CI installs them, elsewhere the test is skipped): sign-in per
//! role and a page each role may not open, a steward finding quarantined rows by reason and
//! downloading them, a forged form refused, no console errors. The screenshots it takes are the
//! README's (`docs/console/`, refreshed with `LGSP_UPDATE_SCREENSHOTS=1`).

mod common;

use common::{repo, Hub};
use std::process::Command;

const PASSWORD: &str = "mật khẩu đủ dài 2026";

fn browser() -> bool {
    let ok = std::path::Path::new("/usr/bin/chromedriver").exists()
        && Command::new("python3").args(["-c", "import selenium"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("LGSP_TEST_REQUIRE_BROWSER").is_none(),
            "chromium-driver and selenium are required (see .ci/run)"
        );
        eprintln!("skipped: no chromedriver or selenium");
    }
    ok
}

fn add_user(hub: &Hub, name: &str, role: &str) {
    hub.add_user(name, role, PASSWORD);
}

#[test]
fn each_role_signs_in_to_its_pages_and_a_steward_finds_and_downloads_quarantined_rows() {
    if !browser() {
        return;
    }
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")));
    // A truncated file: held by its delete gate, for a steward to decide in the console.
    let v1 = std::fs::read_to_string(repo().join("data/samples/enterprises_v1.csv")).unwrap();
    let truncated = hub.dir.path().join("truncated.csv");
    std::fs::write(&truncated, v1.lines().take(101).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    assert_eq!(hub.lgsp(&["run", "enterprises", "--input", truncated.to_str().unwrap()]).status.code(), Some(3));
    hub.ok(&["agency", "add", "000.00.15.H29", "Sở Kế hoạch"]);
    for role in ["steward", "analyst", "operator", "auditor"] {
        add_user(&hub, role, role);
    }
    let err = hub.fails(&["user", "add", "x1", "--role", "admin"]);
    assert!(err.contains("role 'admin' is not one of steward, analyst, operator, auditor"), "{err}");
    // A pair waiting for a steward, as matching queues it.
    let detail = r#"{"prior_weight":-5.2,"steps":[{"column":"ho_ten","a":"Nguyễn Văn An","b":"Nguyen Van An","level":"same without marks","weight":6.1},{"column":"ngay_sinh","a":"1990-01-02","b":"1990-02-01","level":"day and month swapped","weight":2.3}],"total_weight":3.2,"probability":0.9019}"#;
    hub.sql(&format!(
        "INSERT INTO review_queue (id, entity, a, b, probability, status, created_at, detail) \
         VALUES ('r-1', 'person', 'health|7', 'education|9', 0.9019, 'pending', '2026-12-01T00:00:00Z', '{detail}')"
    ));
    // A consumer that has pulled a snapshot: its use shows on the access page.
    let (consumer, consumer_secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
    hub.ok(&[
        "grant",
        "add",
        "--client",
        &consumer,
        "--dataset",
        "enterprises",
        "--scope",
        "snapshot",
        "--fields",
        "ma_so_thue",
        "--basis",
        "Điều 9",
    ]);
    let (_server, base) = hub.serve(&[]);
    let auth = common::bearer(&base, &consumer, &consumer_secret);
    let (status, _, _) = common::curl(&["-H", &auth, &format!("{base}/api/v1/datasets/enterprises/snapshot")]);
    assert_eq!(status, 200);
    let shots = hub.objects().with_file_name("shots");
    std::fs::create_dir_all(&shots).unwrap();
    let run = Command::new("python3")
        .arg(repo().join("tests/console/browse.py"))
        .args([&base, shots.to_str().unwrap(), PASSWORD])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(run.status.success(), "{said}{}", String::from_utf8_lossy(&run.stderr));
    let got: serde_json::Value = serde_json::from_str(said.lines().last().unwrap_or_default()).unwrap();

    assert_eq!(got["wrong_password"], true, "{got}");
    for role in ["steward", "analyst", "operator", "auditor"] {
        let r = &got["roles"][role];
        assert_eq!(r["user"], role, "{got}");
        assert_eq!((r["denied"].as_bool(), r["opens"].as_bool()), (Some(true), Some(true)), "{role}: {got}");
    }
    assert!(got["overview_datasets"].as_array().unwrap().iter().any(|d| d == "enterprises"), "{got}");
    assert!(got["trends"].as_u64() >= Some(1), "the quarantine trend of the runs so far: {got}");
    // The rows the browser found are the ones the command line finds for that reason.
    let reason = got["reason"].as_str().unwrap();
    // Version 2 was current when the browser read it (run now published another since).
    let cli = hub.ok(&[
        "quarantine",
        "show",
        "enterprises",
        "--version",
        "2",
        "--reason",
        reason,
        "--json",
        "--limit",
        "100000",
    ]);
    let first: serde_json::Value = serde_json::from_str(cli.lines().next().unwrap()).unwrap();
    assert_eq!(got["first_line"], first["line"], "{got}");
    assert_eq!(got["shown_reasons"], serde_json::json!([reason]), "{got}");
    let total = cli.lines().count() as u64;
    assert_eq!(got["csv_status"], 200);
    assert_eq!(got["csv_rows"].as_u64(), Some(total), "{got}");
    assert_eq!(got["forged_status"], 403, "a forged form is refused");
    assert_eq!(got["still_signed_in"], true);
    assert_eq!(got["english"], "Overview");
    // The data dictionary and the snapshot: a page of 50, the next one, one key by its value.
    assert!(got["dictionary"].as_array().unwrap().iter().any(|f| f == "ma_so_thue"), "{got}");
    assert_eq!(got["page_rows"], 50, "{got}");
    assert_eq!(got["second_page_first"], "51", "{got}");
    assert_eq!(got["filtered"], serde_json::json!([got["filtered_key"]]), "{got}");
    // The monthly report, in the page and as downloads.
    assert!(got["report_title"].as_str().is_some_and(|t| !t.is_empty()), "{got}");
    assert!(got["report_tables"].as_u64() >= Some(1), "{got}");
    assert_eq!(got["report_csv"][0], 200, "{got}");
    assert!(got["report_csv"][1].as_u64() > Some(1), "{got}");
    assert_eq!(got["report_xlsx"], 200, "{got}");
    // Catalogs: found without diacritics; a retired code names the one that replaced it.
    let found: Vec<String> = serde_json::from_value(got["catalog_found"].clone()).unwrap();
    assert!(found.iter().any(|n| n == "Xã Hòa Tiến"), "{got}");
    assert_eq!(got["lookup_status"], "retired", "{got}");
    assert!(got["successors"][0].as_str().is_some_and(|s| s.starts_with("00097")), "{got}");
    assert!(got["history_rows"].as_u64() >= Some(1), "{got}");
    assert_eq!(got["console_errors"], serde_json::json!([]), "{got}");
    // The version diff shows an update field by field.
    let update: Vec<String> = serde_json::from_value(got["update"].clone()).unwrap();
    assert_eq!(update.len(), 4, "{got}");
    assert_ne!(update[2], update[3], "before and after differ: {got}");
    assert!(got["inserted"].as_u64() > Some(0), "{got}");
    // Runs filtered by status, and a run's stage timings.
    assert_eq!(got["run_statuses"], serde_json::json!(["published"]), "{got}");
    assert!(!got["timings"].as_array().unwrap().is_empty(), "{got}");
    // Pipelines: the loaded ones listed; a pasted file's mistake named with its line.
    assert!(got["pipelines"].as_array().unwrap().iter().any(|p| p == "enterprises"), "{got}");
    let bad = got["checked_bad"].as_str().unwrap();
    assert!(bad.contains("shedule") && bad.contains("line"), "{bad}");
    assert!(got["checked_good"].as_str().unwrap().contains("enterprises → enterprises"), "{got}");
    let uploaded = got["checked_upload"].as_str().unwrap();
    assert!(
        uploaded.contains("doanh_nghiep.toml") && uploaded.contains("shedule"),
        "named by the uploaded file: {uploaded}"
    );
    // The held run, rejected in the page: recorded with who and why, after its audit entry.
    let held = got["held_run"].as_str().unwrap();
    assert_eq!(got["decided_status"], serde_json::json!(["rejected"]), "{got}");
    assert_eq!(hub.query(&format!("SELECT status, decided_by FROM runs WHERE id = '{held}'")), "rejected|user:steward");
    let entry = hub.query("SELECT detail FROM audit_log WHERE actor = 'user:steward' AND action = 'run_reject'");
    assert!(entry.contains(held) && entry.contains("tệp bị cắt cụt"), "{entry}");
    // Run now: one more run of the pipeline, started from the console and logged.
    let counts: Vec<u64> = serde_json::from_value(got["runs_after_run_now"].clone()).unwrap();
    assert_eq!(counts[1], counts[0] + 1, "{got}");
    assert_eq!(hub.query("SELECT COUNT(*) FROM runs WHERE trigger_kind = 'console'"), "1");
    assert_eq!(hub.query("SELECT COUNT(*) FROM audit_log WHERE actor = 'user:steward' AND action = 'run_now'"), "1");
    // The pair with each comparison and its waterfall (prior, two comparisons, total); accepted.
    let pair = got["pair"].to_string();
    assert!(
        pair.contains("Nguyễn Văn An") && pair.contains("day and month swapped") && pair.contains("0.9019"),
        "{pair}"
    );
    assert_eq!(got["waterfall_bars"], 4, "{got}");
    assert_eq!(
        hub.query("SELECT decision, decided_by FROM match_decisions WHERE a = 'health|7'"),
        "accept|user:steward"
    );
    assert_eq!(hub.query("SELECT status FROM review_queue WHERE id = 'r-1'"), "accepted");
    assert_eq!(
        hub.query("SELECT COUNT(*) FROM audit_log WHERE actor = 'user:steward' AND action = 'review accept'"),
        "1"
    );
    // The operator's client works with the secret shown once, and holds the grant made.
    assert_eq!(got["secret_again"], false, "the secret is shown only once");
    let (id, secret) = (got["client_id"].as_str().unwrap(), got["client_secret"].as_str().unwrap());
    assert!(got["granted"].as_str().unwrap().contains(&format!("{id} · snapshot · enterprises")), "{got}");
    let grants = hub.ok(&["grant", "list", "--client", id, "--json"]);
    assert!(grants.contains("\"ma_so_thue,ten_doanh_nghiep\"") || grants.contains("ten_doanh_nghiep"), "{grants}");
    let (_, _, token) = common::curl(&[
        "-u",
        &format!("{id}:{secret}"),
        "-d",
        "grant_type=client_credentials",
        &format!("{base}/token"),
    ]);
    assert!(String::from_utf8_lossy(&token).contains("access_token"));
    assert!(got["grants_listed"].as_array().unwrap().iter().any(|d| d == "enterprises"), "{got}");
    assert_eq!(
        got["usage"][&consumer], "2",
        "the consumer's calls of the last 30 days, its token and its snapshot: {got}"
    );
    assert_eq!((got["second_grants"].as_u64(), got["second_grants_after"].as_u64()), (Some(1), Some(0)), "{got}");
    assert_eq!(
        hub.query("SELECT COUNT(*) FROM audit_log WHERE actor = 'user:operator' AND action = 'grant revoke'"),
        "1"
    );
    // The revoked client gets no token, and its revocation is the operator's entry.
    let (gone, secret2) = (got["revoked_client"].as_str().unwrap(), got["revoked_secret"].as_str().unwrap());
    assert_eq!(got["revoke_buttons_left"], 0, "{got}");
    let (status, _, _) = common::curl(&[
        "-u",
        &format!("{gone}:{secret2}"),
        "-d",
        "grant_type=client_credentials",
        &format!("{base}/token"),
    ]);
    assert_eq!(status, 401, "a revoked client is refused a token");
    let entry = hub.query("SELECT detail FROM audit_log WHERE actor = 'user:operator' AND action = 'client revoke'");
    assert!(entry.contains(gone), "{entry}");
    assert_eq!(got["audit_actions"], serde_json::json!(["client create", "grant add"]), "{got}");
    assert_eq!(
        got["audit_actors"],
        serde_json::json!(["user:operator"]),
        "the search keeps the actor asked for: {got}"
    );
    assert!(got["verdict"].as_str().unwrap().starts_with("Nhật ký toàn vẹn"), "{got}");
    let consumers: Vec<String> = serde_json::from_value(got["consumers"].clone()).unwrap();
    assert!(
        consumers.contains(&id.to_string()) && consumers.contains(&consumer) && consumers.len() == 2,
        "the dataset page lists its consumers: {got}"
    );
    // Every page and the download are audit entries of the user.
    let entries = hub.query("SELECT COUNT(*) FROM audit_log WHERE actor = 'user:steward' AND action LIKE 'GET /datasets/enterprises/quarantine.csv%' AND status = 200");
    assert_eq!(entries, "1");
    let refused = hub.query(
        "SELECT COUNT(*) FROM audit_log WHERE actor = 'user:analyst' AND action = 'GET /audit' AND status = 403",
    );
    assert_eq!(refused, "1");
    hub.ok(&["audit", "verify"]);
    if std::env::var_os("LGSP_UPDATE_SCREENSHOTS").is_some() {
        for shot in ["overview.png", "quarantine.png", "diff.png", "review.png"] {
            std::fs::copy(shots.join(shot), repo().join("docs/console").join(shot)).unwrap();
        }
    }
}
