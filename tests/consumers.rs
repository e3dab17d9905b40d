//! What consumers read opens in the readers agencies have: the oldest pyarrow claimed (14, in
//! CI) and DuckDB read the stored snapshot, encoded snapshots, change sets and an empty change
//! set; CSV and NDJSON render timestamps alike (RFC 3339); stored files carry validators and
//! follow RFC 9110 range rules.

mod common;

use common::{bearer, curl, repo, Hub};
use std::process::Command;

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).map(str::trim)
}

/// A hub with two versions of enterprises; a client with a full snapshot grant and a changes
/// grant on two fields. Returns (hub, server, base, auth header).
fn serving() -> (Hub, common::Server, String, String) {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")));
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
        "b",
        "--purpose",
        "thống kê",
    ]);
    hub.ok(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "enterprises",
        "--scope",
        "changes",
        "--fields",
        "ma_so_thue,ten_doanh_nghiep,updated_at",
        "--basis",
        "b",
        "--purpose",
        "thống kê",
    ]);
    let (server, base) = hub.serve(&[]);
    let auth = bearer(&base, &id, &secret);
    (hub, server, base, auth)
}

fn python_has(modules: &str) -> bool {
    let ok = Command::new("python3").args(["-c", &format!("import {modules}")]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("LGSP_TEST_REQUIRE_PYARROW").is_none(), "{modules} are required (see .ci/run)");
        eprintln!("skipped: python3 cannot import {modules}");
    }
    ok
}

#[test]
fn pyarrow_and_duckdb_read_every_parquet_the_api_serves() {
    if !python_has("pyarrow.parquet, duckdb") {
        return;
    }
    let (hub, _server, base, auth) = serving();
    let files = [
        ("snapshot", "stored.parquet"),
        ("snapshot?version=1", "v1.parquet"),
        ("changes?since=0", "changes.parquet"),
        ("changes?since=2", "empty.parquet"),
    ];
    for (path, name) in files {
        let (s, _, body) = curl(&["-H", &auth, &format!("{base}/api/v1/datasets/enterprises/{path}")]);
        assert_eq!(s, 200, "{path}: {}", String::from_utf8_lossy(&body));
        std::fs::write(hub.dir.path().join(name), body).unwrap();
    }
    let py = r#"
import sys, os, pyarrow, pyarrow.parquet as pq, duckdb
d = sys.argv[1]
out = [pyarrow.__version__.split('.')[0]]
for name in ["stored", "v1", "changes", "empty"]:
    path = os.path.join(d, name + ".parquet")
    t = pq.read_table(path)
    types = {str(f.type) for f in t.schema}
    assert not any("view" in x for x in types), (name, types)
    n = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{path}')").fetchall()[0][0]
    assert n == t.num_rows, (name, n, t.num_rows)
    out.append(f"{name}:{t.num_rows}:{len(t.column_names)}:{str(t.schema.field('ten_doanh_nghiep').type)}")
print(" ".join(out))
"#;
    let out = Command::new("python3").args(["-c", py]).arg(hub.dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    eprintln!("pyarrow major, then file:rows:columns:string type = {printed}");
    let parts: Vec<&str> = printed.split(' ').collect();
    let snapshot_rows = hub.read_parquet("datasets/enterprises/v2/snapshot.parquet").height();
    assert!(parts[1].starts_with(&format!("stored:{snapshot_rows}:")), "{printed}");
    assert!(parts[4].starts_with("empty:0:5:"), "an empty change set keeps its columns: {printed}");
    assert!(parts[1..].iter().all(|p| p.ends_with(":large_string") || p.ends_with(":string")), "{printed}");
    if let Ok(expected) = std::env::var("LGSP_TEST_PYARROW_MAJOR") {
        assert_eq!(parts[0], expected, "the pyarrow CI claims to test with");
    }
}

#[test]
fn csv_and_ndjson_render_timestamps_alike_in_rfc_3339() {
    let (_hub, _server, base, auth) = serving();
    let url = |format: &str| format!("{base}/api/v1/datasets/enterprises/changes?since=1&format={format}");
    let (s, _, csv) = curl(&["-H", &auth, &url("csv")]);
    assert_eq!(s, 200);
    let (s, _, ndjson) = curl(&["-H", &auth, &url("ndjson")]);
    assert_eq!(s, 200);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let at = reader.headers().unwrap().iter().position(|h| h == "updated_at").unwrap();
    let from_csv: Vec<String> = reader.records().map(|r| r.unwrap()[at].to_string()).collect();
    let from_json: Vec<String> = String::from_utf8_lossy(&ndjson)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["updated_at"].as_str().unwrap().to_string())
        .collect();
    assert!(!from_csv.is_empty());
    assert_eq!(from_csv, from_json);
    let rfc3339 = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$").unwrap();
    assert!(from_csv.iter().all(|t| rfc3339.is_match(t)), "{:?}", &from_csv[..3]);
}

#[test]
fn stored_snapshots_carry_validators_and_follow_rfc_9110_ranges() {
    let (_hub, _server, base, auth) = serving();
    let url = format!("{base}/api/v1/datasets/enterprises/snapshot");
    let (s, headers, whole) = curl(&["-H", &auth, &url]);
    assert_eq!(s, 200);
    let etag = header(&headers, "etag").expect("an etag").to_string();
    let modified = header(&headers, "last-modified").expect("a last-modified").to_string();
    assert!(etag.starts_with('"') && modified.ends_with("gmt"), "{headers}");
    let size = whole.len();

    let (s, headers, body) = curl(&["-H", &auth, "-H", "Range: bytes=-0", &url]);
    assert_eq!(s, 416, "{}", String::from_utf8_lossy(&body));
    assert_eq!(header(&headers, "content-range"), Some(format!("bytes */{size}").as_str()));
    let (s, headers, _) = curl(&["-H", &auth, "-H", &format!("Range: bytes={size}-"), &url]);
    assert_eq!((s, header(&headers, "content-range")), (416, Some(format!("bytes */{size}").as_str())));
    for ignored in ["lines=1-2", "bytes=0-1,4-5", "bytes=9-2"] {
        let (s, _, body) = curl(&["-H", &auth, "-H", &format!("Range: {ignored}"), &url]);
        assert_eq!((s, body.len()), (200, size), "{ignored}");
    }
    let (s, _, body) = curl(&["-H", &auth, "-H", "Range: bytes=0-3", "-H", &format!("If-Range: {etag}"), &url]);
    assert_eq!((s, body.as_slice()), (206, b"PAR1".as_slice()));
    let (s, _, body) = curl(&["-H", &auth, "-H", "Range: bytes=0-3", "-H", "If-Range: \"stale\"", &url]);
    assert_eq!((s, body.len()), (200, size), "a stale If-Range gets the whole file");
}
