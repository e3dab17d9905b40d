//! Record changes that span several chunks of the publication (16,384 rows each), on SQLite and
//! PostgreSQL: a first load that only inserts, then a version whose chunks close records in one,
//! only insert in the next and do both in the last. The store's current records are then the
//! published snapshot's rows, each changed key's previous version is closed, and nothing else.

mod common;

use common::Hub;
use std::path::{Path, PathBuf};

const ROWS: usize = 40_000;

/// The pipeline file and the two inputs: v2 renames keys 0–49, deletes 100–109 (first chunk),
/// adds 300 keys between 20000 and 20001 (second chunk), renames 35000 and adds 100 keys after
/// the last (third chunk).
fn inputs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut v1 = String::from("ma,ten\n");
    let mut v2 = String::from("ma,ten\n");
    for i in 0..ROWS {
        v1.push_str(&format!("{i:08},Đơn vị số {i}\n"));
        match i {
            0..=49 | 35_000 => v2.push_str(&format!("{i:08},Đơn vị đổi tên {i}\n")),
            100..=109 => {}
            _ => v2.push_str(&format!("{i:08},Đơn vị số {i}\n")),
        }
        if i == 20_000 {
            for j in 0..300 {
                v2.push_str(&format!("{i:08}-{j:03},Đơn vị mới {i}-{j}\n"));
            }
        }
    }
    for i in ROWS..ROWS + 100 {
        v2.push_str(&format!("{i:08},Đơn vị mới {i}\n"));
    }
    common::units::write(dir, "", &v1, &v2)
}

fn count(hub: &Hub, filter: &str) -> usize {
    let sql = format!("SELECT COUNT(*) FROM records WHERE dataset = 'units' AND {filter}");
    hub.query(&sql).parse().unwrap_or_else(|e| panic!("[{}] {sql}: {e}", hub.kind()))
}

#[test]
fn records_loaded_over_several_chunks_are_the_snapshot_with_each_change_closed() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        let (toml, v1, v2) = inputs(hub.dir.path());
        let toml = toml.to_str().unwrap();
        let first = hub.run_json(toml, Some(&v1));
        assert_eq!(first["inserted"], ROWS, "[{}] {first}", hub.kind());
        assert_eq!(count(&hub, "valid_to IS NULL"), ROWS, "[{}] a first load of three chunks", hub.kind());

        let second = hub.run_json(toml, Some(&v2));
        let (updated, deleted, inserted) = (51, 10, 400);
        assert_eq!(
            (&second["updated"], &second["deleted"], &second["inserted"]),
            (&updated.into(), &deleted.into(), &inserted.into()),
            "[{}] {second}",
            hub.kind()
        );
        let snapshot = hub.read_parquet("datasets/units/v2/snapshot.parquet");
        assert_eq!(count(&hub, "valid_to IS NULL"), snapshot.height(), "[{}]", hub.kind());
        assert_eq!(count(&hub, "valid_to = 2"), updated + deleted, "[{}] closed at v2", hub.kind());
        assert_eq!(count(&hub, "valid_from = 2"), updated + inserted, "[{}] written at v2", hub.kind());
        assert_eq!(count(&hub, "1 = 1"), ROWS + updated + inserted, "[{}] every version kept", hub.kind());
        for (key, now) in [
            ("00000007", "Đơn vị đổi tên 7"),
            ("00020000-299", "Đơn vị mới 20000-299"),
            ("00035000", "Đơn vị đổi tên 35000"),
            ("00040099", "Đơn vị mới 40099"),
        ] {
            let data = hub.query(&format!(
                "SELECT data FROM records WHERE dataset = 'units' AND record_key = '{key}' AND valid_to IS NULL"
            ));
            assert!(data.contains(now), "[{}] {key}: {data}", hub.kind());
        }
        assert_eq!(
            count(&hub, "record_key = '00000105'"),
            1,
            "[{}] a deleted key keeps its closed version",
            hub.kind()
        );
        assert_eq!(count(&hub, "record_key = '00000105' AND valid_to IS NULL"), 0, "[{}]", hub.kind());
    }
}
