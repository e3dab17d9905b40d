//! Backup and restore: a backup restored into a fresh store gives the same versions, records
//! and audit chain, on SQLite and PostgreSQL; a damaged backup is named.

mod common;

use common::{repo, Hub};

const TABLES: &[(&str, &str)] = &[
    ("versions", "dataset, version, row_count, inserted, updated, deleted, manifest_sha256"),
    ("record_layouts", "dataset, version, fields"),
    ("records", "dataset, record_key, valid_from, valid_to, row_hash, data"),
    ("audit_log", "seq, {at}, kind, actor, action, prev_hash, hash"),
    ("grants", "id, client_id, dataset, scope, basis"),
    ("catalog_items", "catalog, code, valid_from, name"),
];

/// The rows, sorted here (engines collate text differently); points in time as text.
fn dump(hub: &Hub, table: &str, columns: &str) -> Vec<String> {
    let columns = columns.replace("{at}", &hub.time_text("at"));
    let mut rows: Vec<String> =
        hub.query(&format!("SELECT {columns} FROM {table}")).lines().map(str::to_string).collect();
    rows.sort();
    rows
}

#[test]
fn a_restored_backup_has_the_same_versions_records_and_audit_chain() {
    for hub in Hub::all() {
        let k = hub.kind();
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")));
        let (id, _) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
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
        let before: Vec<Vec<String>> = TABLES.iter().map(|(t, c)| dump(&hub, t, c)).collect();
        let audit_rows: usize = hub.query("SELECT COUNT(*) FROM audit_log").parse().unwrap();

        let to = hub.dir.path().join("backup");
        let out = hub.ok(&["backup", "--to", to.to_str().unwrap(), "--with-files"]);
        assert!(out.contains("backup written"), "[{k}] {out}");
        assert!(hub.ok(&["backup", "verify", "--from", to.to_str().unwrap()]).contains("intact"));

        for fresh in [Hub::sqlite()].into_iter().chain(Hub::postgres()) {
            let f = fresh.kind();
            // Without the original hub's audit key, the restored chain does not verify.
            let err = fresh.fails(&["restore", "--from", to.to_str().unwrap()]);
            assert!(err.contains("install the audit key"), "[{k} → {f}] {err}");
            let fresh = match f {
                "sqlite" => Hub::sqlite(),
                _ => Hub::postgres().unwrap(),
            };
            std::fs::copy(hub.audit_key_file(), fresh.audit_key_file()).unwrap();
            let out = fresh.ok(&["restore", "--from", to.to_str().unwrap()]);
            assert!(out.contains("restored"), "[{k} → {f}] {out}");
            for ((t, c), b) in TABLES.iter().zip(&before) {
                let mut got = dump(&fresh, t, c);
                if *t == "audit_log" {
                    assert_eq!(got.len(), audit_rows + 1, "[{k} → {f}] the restore is logged after the copied chain");
                    got.retain(|r| b.contains(r));
                }
                assert_eq!(&got, b, "[{k} → {f}] table {t} differs");
            }
            assert!(fresh.ok(&["audit", "verify"]).contains("intact"), "[{k} → {f}] the chain continues intact");
            if f == "postgres" {
                let stray = fresh.query("SELECT COUNT(*) FROM records_default");
                assert_eq!(stray, "0", "[{k} → {f}] restored records go to their dataset's partition");
            }
            assert_eq!(hub.ok(&["versions", "enterprises"]), fresh.ok(&["versions", "enterprises"]), "[{k} → {f}]");
            let csv = fresh.dir.path().join("snap.csv");
            fresh.ok(&["export", "enterprises", "--format", "csv", "--out", csv.to_str().unwrap()]);
            assert!(
                std::fs::read_to_string(&csv).unwrap().lines().count() > 1,
                "[{k} → {f}] the published files came back"
            );
            let err = fresh.fails(&["restore", "--from", to.to_str().unwrap()]);
            assert!(err.contains("not empty"), "[{k} → {f}] {err}");
        }

        let table = to.join("tables/records.ndjson");
        let mut text = std::fs::read_to_string(&table).unwrap();
        text = text.replacen("enterprises", "enterprisex", 1);
        std::fs::write(&table, text).unwrap();
        let err = hub.fails(&["backup", "verify", "--from", to.to_str().unwrap()]);
        assert!(err.contains("tables/records.ndjson") && err.contains("sha256"), "[{k}] {err}");
    }
}
