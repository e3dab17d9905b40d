//! A store made by the previous release upgrades in place. The fixture
//! (`tests/fixtures/upgrade/v0.1.0`, made by `scripts/upgrade_fixture.sh` with that release)
//! holds two versions of the enterprises sample, the health facilities, a client with a grant,
//! a console account and their audit entries. After `lgsp init`, every version, run and account
//! reads back as it was, the audit chain still verifies, and the next run publishes on top (its
//! records beside the earlier release's, both read as objects); on PostgreSQL the columns are
//! then of native types (timestamptz, jsonb, bigint).

mod common;

use common::{repo, Hub};
use std::process::Command;

const FIXTURE: &str = "tests/fixtures/upgrade/v0.1.0";

/// Unpacks the fixture of `engine` into the hub's folder (its store file or dump, audit key and
/// published files land where the hub looks for them).
fn unpack(hub: &Hub, engine: &str) {
    let archive = repo().join(FIXTURE).join(format!("{engine}.tar.gz"));
    let out = Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(hub.dir.path()).output().expect("tar");
    assert!(out.status.success(), "unpacking {}: {}", archive.display(), String::from_utf8_lossy(&out.stderr));
}

/// The versions of enterprises as `version created_at row_count` lines.
fn versions(hub: &Hub) -> Vec<String> {
    hub.ok(&["versions", "enterprises", "--json"])
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            format!("{} {} {}", v["version"], v["created_at"].as_str().unwrap_or("?"), v["row_count"])
        })
        .collect()
}

/// Upgrades `hub` (holding the fixture) and checks that what it held reads back unchanged and
/// that the hub works on.
fn upgrades_in_place(hub: &Hub, before: &[String]) {
    hub.ok(&["init"]);
    let after = versions(hub);
    assert_eq!(after, before, "{}: the versions changed across the upgrade", hub.kind());
    let verified = hub.ok(&["audit", "verify"]);
    assert!(verified.contains("intact") || verified.contains("ok"), "{}: {verified}", hub.kind());
    let users = hub.ok(&["user", "list"]);
    assert!(users.contains("steward1") && users.contains("steward"), "{}: {users}", hub.kind());
    let runs = hub.ok(&["runs", "--limit", "10"]);
    assert!(runs.contains("health_facilities") && runs.contains("enterprises"), "{}: {runs}", hub.kind());
    let v1 = repo().join("data/samples/enterprises_v1.csv");
    let run = hub.run_json("enterprises", Some(&v1));
    assert_eq!(run["version"], 3, "{}: {run}", hub.kind());
    let now = versions(hub);
    assert_eq!(now.len(), 3, "{}: {now:?}", hub.kind());
    assert_eq!(&now[1..], before, "{}: older versions changed", hub.kind());
    // Records the earlier release wrote (JSON objects) and the new version's (arrays of values
    // under the version's field names) read back alike.
    let forms = hub.query(
        "SELECT SUBSTR(data, 1, 1), COUNT(*) FROM records WHERE dataset = 'enterprises' AND valid_to IS NULL GROUP BY 1 ORDER BY 1",
    );
    assert!(forms.contains("[|") && forms.contains("{|"), "{}: both forms are current: {forms}", hub.kind());
    let records = hub.current_records("r.dataset = 'enterprises'");
    let current = hub.query("SELECT COUNT(*) FROM records WHERE dataset = 'enterprises' AND valid_to IS NULL");
    assert_eq!(records.len().to_string(), current, "{}", hub.kind());
    assert!(records.len() > 100, "{}: {} records", hub.kind(), records.len());
    for r in &records {
        assert_eq!(r.data["ma_so_thue"], r.key.as_str(), "{}: {}", hub.kind(), r.data);
    }
    let verified = hub.ok(&["audit", "verify"]);
    assert!(verified.contains("intact") || verified.contains("ok"), "{}: {verified}", hub.kind());
}

#[test]
fn a_sqlite_store_of_the_previous_release_upgrades_in_place() {
    let hub = Hub::sqlite();
    unpack(&hub, "sqlite");
    let before = hub.query("SELECT version || ' ' || created_at || ' ' || row_count FROM versions WHERE dataset = 'enterprises' ORDER BY version DESC");
    let before: Vec<String> = before.lines().map(str::to_string).collect();
    assert_eq!(before.len(), 2, "{before:?}");
    upgrades_in_place(&hub, &before);
}

#[test]
fn a_postgres_store_of_the_previous_release_upgrades_in_place() {
    let Some(hub) = Hub::postgres() else { return };
    unpack(&hub, "postgres");
    let dump = hub.dir.path().join("dump.sql");
    let out = Command::new("psql")
        .arg(&hub.store_url)
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&dump)
        .output()
        .expect("psql");
    assert!(out.status.success(), "loading the dump: {}", String::from_utf8_lossy(&out.stderr));
    let before = hub.query(
        "SELECT version || ' ' || created_at || ' ' || row_count FROM versions WHERE dataset = 'enterprises' ORDER BY version DESC",
    );
    let before: Vec<String> = before.lines().map(str::to_string).collect();
    assert_eq!(before.len(), 2, "{before:?}");
    assert_eq!(
        hub.query(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'audit_log' AND column_name = 'at'"
        ),
        "text"
    );
    upgrades_in_place(&hub, &before);
    let types = hub.query(
        "SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND (column_name LIKE '%\\_at' OR column_name IN ('at', 'since')) \
         AND table_name NOT IN ('entity_xref') ORDER BY 1",
    );
    assert!(types.lines().count() > 30, "{types}");
    for line in types.lines() {
        assert!(line.ends_with("timestamp with time zone"), "not native: {line}");
    }
    let documents = hub.query(
        "SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND column_name IN ('timings', 'quarantine_reasons', 'gates', 'fields', 'protect') ORDER BY 1",
    );
    assert_eq!(documents.lines().filter(|l| l.ends_with(" jsonb")).count(), 5, "{documents}");
    let reasons = hub.query(
        "SELECT quarantine_reasons -> 'tax_code:ma_so_thue' FROM runs WHERE version = 1 AND dataset = 'enterprises'",
    );
    assert!(!reasons.is_empty(), "the quarantine reasons are queryable as jsonb: {reasons:?}");
    let generation = hub.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'access_generation' AND column_name = 'id'");
    assert_eq!(generation, "bigint");
}
