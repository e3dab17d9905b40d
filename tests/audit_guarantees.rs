//! What the audit log guarantees, through the real binary and server: no entry, no answer (a
//! request whose entry cannot be written gets 503 and no data), and rows deleted from the end of
//! the log or rewritten are found by `lgsp audit verify` against signed checkpoints kept outside
//! the store.

mod common;

use common::{bearer, curl, repo, Hub};
use std::process::Command;

/// A hub with enterprises v1 and a client holding snapshot and lookup grants.
fn hub_with_client(hub: &Hub) -> (String, String) {
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let (id, secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
    for scope in ["snapshot", "lookup"] {
        hub.ok(&[
            "grant",
            "add",
            "--client",
            &id,
            "--dataset",
            "enterprises",
            "--scope",
            scope,
            "--basis",
            "b",
            "--purpose",
            "thống kê",
        ]);
    }
    (id, secret)
}

/// Makes every insert into the audit log fail (as a full disk or a lock would), or lets them
/// through again.
fn break_audit_inserts(hub: &Hub, broken: bool) {
    let sql = match (hub.kind(), broken) {
        ("sqlite", true) => "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END".to_string(),
        ("sqlite", false) => "DROP TRIGGER audit_down".to_string(),
        (_, true) => "CREATE FUNCTION audit_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql; \
                      CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down()".to_string(),
        (_, false) => "DROP TRIGGER audit_down ON audit_log; DROP FUNCTION audit_down()".to_string(),
    };
    hub.sql(&sql);
}

#[test]
fn a_request_whose_audit_entry_cannot_be_written_gets_503_and_no_data() {
    for hub in Hub::all() {
        let (id, secret) = hub_with_client(&hub);
        let (_server, base) = hub.serve(&[]);
        let auth = bearer(&base, &id, &secret);
        let snapshot = format!("{base}/api/v1/datasets/enterprises/snapshot?format=csv");
        let record = format!("{base}/api/v1/datasets/enterprises/records/8014817974");
        let (status, headers, body) = curl(&["-H", &auth, &snapshot]);
        assert_eq!(status, 200, "[{}] {headers}", hub.kind());
        assert!(headers.contains("x-receipt:"), "{headers}");
        let rows_before = hub.query("SELECT COUNT(*) FROM audit_log");

        break_audit_inserts(&hub, true);
        for url in [&snapshot, &record, &format!("{base}/healthz")] {
            let (status, headers, body) = curl(&["-H", &auth, url]);
            let text = String::from_utf8_lossy(&body);
            assert_eq!(status, 503, "[{}] {url}: {headers}{text}", hub.kind());
            assert!(headers.to_ascii_lowercase().contains("retry-after: 5"), "{headers}");
            assert!(!headers.contains("x-receipt"), "{headers}");
            assert!(text.contains("\"audit_unavailable\"") && !text.contains("8014817974"), "no data: {text}");
        }
        assert_eq!(hub.query("SELECT COUNT(*) FROM audit_log"), rows_before, "nothing was logged, nothing was served");

        break_audit_inserts(&hub, false);
        let (status, _, again) = curl(&["-H", &auth, &snapshot]);
        assert_eq!(
            (status, again.len()),
            (200, body.len()),
            "[{}] served again once the log can be written",
            hub.kind()
        );
    }
}

#[test]
fn deleting_the_newest_audit_rows_or_rewriting_one_is_found_by_verify() {
    for hub in Hub::all() {
        let (id, secret) = hub_with_client(&hub);
        let (server, base) = hub.serve(&[("LGSP_AUDIT_CHECKPOINT_SECONDS", "1")]);
        let auth = bearer(&base, &id, &secret);
        for _ in 0..3 {
            let (status, _, _) =
                curl(&["-H", &auth, &format!("{base}/api/v1/datasets/enterprises/records/8014817974")]);
            assert_eq!(status, 200);
        }
        let rows: i64 = hub.query("SELECT COUNT(*) FROM audit_log").parse().unwrap();
        // The server writes a checkpoint of the head every second.
        let latest = hub.objects().join("audit/checkpoints/latest.json");
        let mut seen = 0;
        for _ in 0..50 {
            seen = std::fs::read(&latest)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["seq"].as_i64())
                .unwrap_or(0);
            if seen >= rows {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        drop(server);
        assert!(seen >= rows, "[{}] checkpoint at {seen}, {rows} rows", hub.kind());
        let seen_rows: i64 = hub.query("SELECT COUNT(*) FROM audit_log").parse().unwrap();
        assert!(hub.ok(&["audit", "verify"]).contains(&format!("intact: {seen_rows} rows")));

        hub.sql(&format!("DELETE FROM audit_log WHERE seq > {}", rows - 2));
        let err = hub.fails(&["audit", "verify"]);
        assert!(
            err.contains(&format!("broken at row {}", rows - 1)) && err.contains("are missing"),
            "[{}] {err}",
            hub.kind()
        );
    }
}

#[test]
fn a_row_rewritten_with_a_recomputed_plain_hash_chain_is_named() {
    let hub = Hub::sqlite();
    hub_with_client(&hub);
    let before = hub.ok(&["audit", "verify"]);
    assert!(before.contains("intact"), "{before}");
    // Rewrite row 2 and re-chain every row after it with plain sha256, as someone with write
    // access to the table but without the key would.
    let path = hub.store_url.trim_start_matches("sqlite://").to_string();
    let py = format!(
        r#"
import sqlite3, hashlib
c = sqlite3.connect({path:?})
cols = "seq, at, kind, actor, agency, action, dataset, version, rows_out, bytes_out, status, duration_ms, request_id, detail, prev_hash, hash"
rows = [list(r) for r in c.execute(f"SELECT {{cols}} FROM audit_log ORDER BY seq")]
prev = None
for r in rows:
    if r[0] < 2:
        prev = r[15]
        continue
    if r[0] == 2:
        r[13] = '{{"forged": true}}'
    r = r[:15]
    r[14] = prev
    text = "".join(("" if v is None else str(v)) + "\x1f" for v in r)
    h = hashlib.sha256(text.encode()).hexdigest()
    c.execute("UPDATE audit_log SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?", (r[13], r[14], h, r[0]))
    prev = h
c.commit()
"#
    );
    let out = Command::new("python3").args(["-c", &py]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = hub.fails(&["audit", "verify"]);
    assert!(err.contains("broken at row 2"), "{err}");
    assert!(err.contains("keyed hash"), "{err}");
}
