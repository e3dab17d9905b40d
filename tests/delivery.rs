//! Acknowledged delivery: a client's position (its last pull) moves only when a whole body was
//! sent, never on `HEAD`, a `Range` read or an abandoned download; `/changes` says what it
//! covers, and an empty change set still carries every column. The log counts what was sent.

mod common;

use common::{bearer, curl, repo, Hub};
use polars::prelude::*;
use std::io::{Read, Write};

fn setup() -> (Hub, String, String) {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let (id, secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
    for scope in ["snapshot", "changes"] {
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
    (hub, id, secret)
}

/// The client's position in enterprises, as `/api/v1/me` shows it.
fn position(base: &str, auth: &str) -> serde_json::Value {
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (_, _, body) = curl(&["-H", auth, &format!("{base}/api/v1/me")]);
    serde_json::from_slice::<serde_json::Value>(&body).unwrap()["positions"]["enterprises"].clone()
}

fn parquet(body: &[u8]) -> DataFrame {
    ParquetReader::new(std::io::Cursor::new(body.to_vec())).finish().unwrap()
}

#[test]
fn head_range_and_abandoned_downloads_leave_the_position_and_the_next_pull_gets_every_change() {
    let (hub, id, secret) = setup();
    // The stored snapshot made 64 MiB, more than a connection buffers.
    let big = hub.objects().join("datasets/enterprises/v1/snapshot.parquet");
    let small_len = std::fs::metadata(&big).unwrap().len();
    std::fs::File::options().append(true).open(&big).unwrap().set_len(64 * 1024 * 1024).unwrap();
    let (_server, base) = hub.serve(&[]);
    let auth = bearer(&base, &id, &secret);
    let snapshot = format!("{base}/api/v1/datasets/enterprises/snapshot");
    let changes = format!("{base}/api/v1/datasets/enterprises/changes");

    let (s, _, _) = curl(&["-I", "-H", &auth, &changes]);
    assert_eq!(s, 200);
    let (s, _, _) = curl(&["-H", &auth, "-H", "Range: bytes=0-3", &snapshot]);
    assert_eq!(s, 206);
    assert_eq!(position(&base, &auth), serde_json::Value::Null, "HEAD and Range move nothing");

    // Abandon the snapshot after 256 KiB.
    let addr = base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    write!(conn, "GET /api/v1/datasets/enterprises/snapshot HTTP/1.1\r\nHost: {addr}\r\n{auth}\r\n\r\n").unwrap();
    let mut got = vec![0u8; 256 * 1024];
    conn.read_exact(&mut got).unwrap();
    drop(conn);
    assert_eq!(position(&base, &auth), serde_json::Value::Null, "an abandoned download moves nothing");
    let abandoned = hub.query(
        "SELECT bytes_out || '|' || rows_out || '|' || detail FROM audit_log WHERE kind = 'delivery' AND status = 200 AND action LIKE '%/snapshot'",
    );
    let (bytes, rest) = abandoned.split_once('|').unwrap();
    let bytes: u64 = bytes.parse().unwrap();
    assert!((256 * 1024..64 * 1024 * 1024).contains(&bytes), "{abandoned}");
    assert!(rest.starts_with("0|") && rest.contains("\"complete\":false"), "{abandoned}");

    // The next pull of changes starts from nothing: every change of version 1.
    let (s, headers, body) = curl(&["-H", &auth, &changes]);
    assert_eq!(s, 200);
    assert!(headers.contains("x-changes-from: 0") && headers.contains("x-changes-to: 1"), "{headers}");
    let df = parquet(&body);
    assert_eq!(df.height(), 2926);
    assert_eq!(position(&base, &auth), 1);

    // Nothing new: an empty change set with every column.
    let (s, headers, body) = curl(&["-H", &auth, &changes]);
    assert_eq!(s, 200);
    assert!(headers.contains("x-changes-from: 1") && headers.contains("x-changes-to: 1"), "{headers}");
    let empty = parquet(&body);
    assert_eq!(empty.height(), 0);
    assert_eq!(empty.get_column_names(), df.get_column_names());

    // A whole download is counted with its rows; an abandoned one only with its bytes.
    let (s, _, body) = curl(&["-H", &auth, &snapshot]);
    assert_eq!((s, body.len() as u64), (200, 64 * 1024 * 1024));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let whole = hub
        .query("SELECT rows_out || '|' || bytes_out FROM audit_log WHERE kind = 'delivery' ORDER BY seq DESC LIMIT 1");
    assert_eq!(whole, format!("2926|{}", 64 * 1024 * 1024));
    assert!(small_len < 64 * 1024 * 1024);
}

#[test]
fn the_report_counts_the_rows_and_bytes_actually_sent() {
    let (hub, id, secret) = setup();
    let (_server, base) = hub.serve(&[]);
    let auth = bearer(&base, &id, &secret);
    let snapshot = format!("{base}/api/v1/datasets/enterprises/snapshot");
    let (_, _, whole) = curl(&["-H", &auth, &snapshot]);
    let (s, _, _) = curl(&["-H", &auth, "-H", "Range: bytes=0-3", &snapshot]);
    assert_eq!(s, 206);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let r = hub.ok_json(&["report", "monthly", "--month", &month]);
    let consumed = &r["consumed"][0];
    assert_eq!(consumed["calls"], 2, "{r}");
    assert_eq!(consumed["rows"], 2926, "the range read counts no rows: {r}");
    assert_eq!(consumed["bytes"], whole.len() as u64 + 4, "{r}");
}
