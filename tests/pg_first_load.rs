//! A dataset's first load on PostgreSQL goes to a partition of `records` of its own, created in
//! the publication's transaction, filled without an index, keyed after and attached. A first load
//! killed on the way leaves no record, no version and no table behind, and the next run loads
//! the dataset whole; a table that has the partition's name is left alone.

mod common;

use common::Hub;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: usize = 40_000;

/// Rows of the first load that is killed: enough chunks that its COPY runs for a while.
const KILLED_ROWS: usize = 160_000;

/// The pipeline and its inputs of `rows` rows: v2 renames every hundredth key.
fn inputs(dir: &Path, rows: usize) -> (PathBuf, PathBuf, PathBuf) {
    let (mut v1, mut v2) = (String::from("ma,ten\n"), String::from("ma,ten\n"));
    for i in 0..rows {
        v1.push_str(&format!("{i:08},Đơn vị số {i}\n"));
        let name = if i % 100 == 0 { "Đơn vị đổi tên" } else { "Đơn vị số" };
        v2.push_str(&format!("{i:08},{name} {i}\n"));
    }
    common::units::write(dir, "", &v1, &v2)
}

/// The partition of dataset `units`, named as the store names it.
fn partition(hub: &Hub) -> String {
    hub.query("SELECT 'records_' || left(encode(sha256(convert_to('units', 'UTF8')), 'hex'), 16)")
}

fn count(hub: &Hub, from: &str, filter: &str) -> usize {
    let sql = format!("SELECT COUNT(*) FROM {from} WHERE {filter}");
    hub.query(&sql).parse().unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Whether `table` is attached as a partition (false when it is not, or not there).
fn attached(hub: &Hub, table: &str) -> bool {
    hub.query(&format!(
        "SELECT COALESCE((SELECT relispartition FROM pg_class WHERE oid = to_regclass('{table}')), false)"
    )) == "t"
}

#[test]
fn a_first_load_becomes_its_datasets_partition_and_later_versions_land_in_it() {
    let Some(hub) = Hub::postgres() else { return };
    hub.ok(&["init"]);
    let (toml, v1, v2) = inputs(hub.dir.path(), ROWS);
    let toml = toml.to_str().unwrap();
    let table = partition(&hub);

    let first = hub.run_json(toml, Some(&v1));
    assert_eq!(first["inserted"], ROWS, "{first}");
    assert!(attached(&hub, &table), "{table} is the partition of dataset units");
    assert_eq!(count(&hub, &table, "true"), ROWS, "the partition holds the first load");
    assert_eq!(count(&hub, "records", "dataset = 'units' AND valid_to IS NULL"), ROWS);
    assert_eq!(count(&hub, "records_default", "true"), 0);
    assert_eq!(
        hub.query(&format!("SELECT contype FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype = 'p'")),
        "p",
        "the partition has its primary key"
    );

    let second = hub.run_json(toml, Some(&v2));
    assert_eq!(second["updated"], ROWS / 100, "{second}");
    assert_eq!(count(&hub, &table, "true"), ROWS + ROWS / 100, "later versions land in the same partition");
    assert_eq!(count(&hub, "records", "dataset = 'units' AND valid_to = 2"), ROWS / 100);
    let key =
        hub.query("SELECT data FROM records WHERE dataset = 'units' AND record_key = '00000300' AND valid_to IS NULL");
    assert!(key.contains("Đơn vị đổi tên 300"), "{key}");
}

/// `lgsp run` of `input` as a child process with a one-second run lease.
fn run(hub: &Hub, toml: &str, input: &Path) -> Command {
    let mut c = hub.command(&["run", toml, "--input", input.to_str().unwrap(), "--json"]);
    c.env("LGSP_RUN_LEASE_SECONDS", "1").stdout(Stdio::null()).stderr(Stdio::null());
    c
}

#[test]
fn a_first_load_killed_while_copying_shows_nothing_and_the_next_loads_whole() {
    let Some(hub) = Hub::postgres() else { return };
    hub.ok(&["init"]);
    let (toml, v1, _) = inputs(hub.dir.path(), KILLED_ROWS);
    let toml = toml.to_str().unwrap();
    let table = partition(&hub);

    let mut child = run(&hub, toml, &v1).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // The table is the transaction's own (invisible here): the load is under way once the
    // server shows the run's COPY.
    let copying = || {
        hub.query(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY records_%'",
        ) != "0"
    };
    while !copying() && child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    child.wait().unwrap();
    if count(&hub, "versions", "dataset = 'units'") == 0 {
        // Killed before its commit: nothing of it is visible, and its table is rolled back.
        assert_eq!(count(&hub, "records", "dataset = 'units'"), 0, "no record of an uncommitted first load");
        assert_eq!(hub.query(&format!("SELECT to_regclass('{table}') IS NULL")), "t", "no table left");
        std::thread::sleep(Duration::from_millis(1200));
        assert!(run(&hub, toml, &v1).status().unwrap().success(), "the next first load runs");
    }
    assert_eq!(count(&hub, "versions", "dataset = 'units'"), 1);
    assert!(attached(&hub, &table));
    assert_eq!(count(&hub, "records", "dataset = 'units' AND valid_to IS NULL"), KILLED_ROWS);
    assert_eq!(count(&hub, &table, "true"), KILLED_ROWS);
}

#[test]
fn a_table_with_the_partitions_name_is_left_alone_and_the_load_goes_through_records() {
    let Some(hub) = Hub::postgres() else { return };
    hub.ok(&["init"]);
    let (toml, v1, _) = inputs(hub.dir.path(), ROWS);
    let table = partition(&hub);
    hub.sql(&format!("CREATE TABLE {table} (note TEXT); INSERT INTO {table} VALUES ('kept')"));
    let first = hub.run_json(toml.to_str().unwrap(), Some(&v1));
    assert_eq!(first["inserted"], ROWS, "{first}");
    assert_eq!(hub.query(&format!("SELECT note FROM {table}")), "kept");
    assert_eq!(count(&hub, "records_default", "dataset = 'units' AND valid_to IS NULL"), ROWS);
}
