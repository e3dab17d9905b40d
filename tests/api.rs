//! The consumer API through the real server and `curl`: tokens, deny by default, granted
//! columns only, error envelopes, receipts, and every call in the audit log.

mod common;

use common::{repo, Hub};
use polars::prelude::*;
use std::process::Command;

fn start(hub: &Hub) -> (common::Server, String) {
    hub.serve(&[])
}

/// `curl` → (status, headers, body).
fn curl(args: &[&str]) -> (u16, String, Vec<u8>) {
    let out = Command::new("curl").args(["-s", "-D", "-", "-o", "/dev/stdout"]).args(args).output().unwrap();
    let raw = out.stdout;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4).unwrap_or(raw.len());
    let headers = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, headers, raw[split..].to_vec())
}

/// A bearer header for the client.
fn bearer(base: &str, id: &str, secret: &str) -> String {
    let (_, _, body) =
        curl(&["-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials", &format!("{base}/token")]);
    format!("Authorization: Bearer {}", json(&body)["access_token"].as_str().unwrap())
}

/// A SQLite hub with enterprises v1 and a client holding a snapshot grant: (hub, id, secret).
fn snapshot_client() -> (Hub, String, String) {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
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
    (hub, id, secret)
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|_| panic!("JSON body: {}", String::from_utf8_lossy(body)))
}

#[test]
fn a_client_gets_a_token_and_pulls_only_what_it_is_granted() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
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
            "--fields",
            "ma_so_thue,ten_doanh_nghiep",
            "--basis",
            "Điều 9",
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
            "lookup",
            "--fields",
            "ma_so_thue,trang_thai",
            "--basis",
            "Điều 9",
            "--purpose",
            "thống kê",
        ]);
        let (_server, base) = start(&hub);

        let (s, _, body) =
            curl(&["-u", &format!("{id}:wrong"), "-d", "grant_type=client_credentials", &format!("{base}/token")]);
        assert_eq!((s, json(&body)["error"].as_str()), (401, Some("invalid_client")), "[{}]", hub.kind());
        // NUL, which PostgreSQL cannot store, is the client's mistake on every backend.
        let (s, _, _) =
            curl(&["-d", "grant_type=client_credentials&client_id=a%00b&client_secret=x", &format!("{base}/token")]);
        assert!(s == 400 || s == 401, "[{}] NUL in a client id: {s}", hub.kind());
        let (s, _, body) =
            curl(&["-u", &format!("{id}:{secret}"), "-d", "grant_type=password", &format!("{base}/token")]);
        assert_eq!((s, json(&body)["error"].as_str()), (400, Some("unsupported_grant_type")));
        let (s, _, body) =
            curl(&["-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials", &format!("{base}/token")]);
        assert_eq!(s, 200);
        let token = json(&body)["access_token"].as_str().unwrap().to_string();
        let bearer = format!("Authorization: Bearer {token}");

        let (s, _, body) = curl(&[&format!("{base}/api/v1/me")]);
        let env = json(&body);
        assert_eq!((s, env["code"].as_str()), (401, Some("unauthorized")));
        assert_eq!(env["request_id"].as_str().map(str::len), Some(16), "{env}");
        let (s, _, _) = curl(&["-H", "Authorization: Bearer nope", &format!("{base}/api/v1/me")]);
        assert_eq!(s, 401);
        let (s, _, body) = curl(&["-H", &bearer, &format!("{base}/api/v1/me")]);
        assert_eq!((s, json(&body)["allowed"].as_array().map(Vec::len)), (200, Some(2)));

        let (s, _, _) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/enterprises/changes")]);
        assert_eq!(s, 403, "no changes grant");
        let (s, _, _) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/health_facilities/snapshot")]);
        assert_eq!(s, 403, "deny by default");
        let (s, _, _) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/enterprises/snapshot?version=99")]);
        assert_eq!(s, 404);
        let (s, _, body) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/enterprises/snapshot?format=xml")]);
        assert_eq!((s, json(&body)["code"].as_str()), (400, Some("bad_request")));

        let (s, headers, body) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/enterprises/snapshot")]);
        assert_eq!(s, 200);
        assert!(headers.to_lowercase().contains("x-receipt: "), "{headers}");
        let df = ParquetReader::new(std::io::Cursor::new(body)).finish().unwrap();
        assert_eq!(df.get_column_names(), vec!["ma_so_thue", "ten_doanh_nghiep"], "only granted columns");
        let key = df.column("ma_so_thue").unwrap().str().unwrap().get(0).unwrap().to_string();

        let (s, _, _) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/enterprises/records/a%00b")]);
        assert!(s == 400 || s == 404, "[{}] NUL in a record key: {s}", hub.kind());
        let (s, _, body) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/enterprises/records/{key}")]);
        let rec = json(&body);
        assert_eq!(s, 200);
        assert_eq!(rec.as_object().map(|o| o.len()), Some(2), "{rec}");
        assert_eq!(rec["ma_so_thue"], key.as_str(), "the record is named by its fields: {rec}");
        let (s, _, _) = curl(&["-H", &bearer, &format!("{base}/api/v1/datasets/enterprises/records/%27%20OR%201=1--")]);
        assert_eq!(s, 404, "SQL metacharacters are just a key");

        let (s, _, body) = curl(&[&format!("{base}/metrics")]);
        let text = String::from_utf8_lossy(&body);
        assert_eq!(s, 200);
        assert!(
            text.contains("lgsp_http_requests_total{route=\"/api/v1/datasets/{name}/snapshot\",status=\"200\"}"),
            "{text}"
        );
        assert!(text.contains("lgsp_http_request_seconds"), "{text}");
        hub.ok(&["client", "revoke", &id]);
        // A running server reuses a token's client and grants for up to 2 s.
        let start = std::time::Instant::now();
        let mut s = 200;
        while s != 401 && start.elapsed() < std::time::Duration::from_secs(4) {
            std::thread::sleep(std::time::Duration::from_millis(250));
            s = curl(&["-H", &bearer, &format!("{base}/api/v1/me")]).0;
        }
        assert_eq!(s, 401, "a revoked client's token stops working");
        let verify = hub.ok(&["audit", "verify"]);
        assert!(verify.contains("intact"), "{verify}");
    }
}

#[test]
fn catalogs_and_dataset_metadata_are_served_as_of_a_date() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        let (id, secret) = hub.new_client("000.00.00.H48", "UBND thành phố Đà Nẵng");
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
            "ma_so_thue,trang_thai",
            "--basis",
            "b",
            "--purpose",
            "thống kê",
        ]);
        let (_server, base) = start(&hub);
        let bearer = bearer(&base, &id, &secret);
        let get = |path: &str| curl(&["-H", &bearer, &format!("{base}{path}")]);

        let (s, _, body) = get("/api/v1/datasets/enterprises");
        let meta = json(&body);
        assert_eq!(s, 200, "[{}] {meta}", hub.kind());
        let names: Vec<&str> = meta["schema"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
        assert_eq!(names, vec!["ma_so_thue", "trang_thai"], "only granted fields in the dictionary");
        let (s, _, body) = get("/api/v1/datasets/enterprises/versions");
        assert_eq!((s, json(&body)["versions"].as_array().map(Vec::len)), (200, Some(1)));
        let (s, _, _) = get("/api/v1/datasets/enterprises/changes?format=xml");
        assert_eq!(s, 400, "a format the hub does not write");
        let (s, _, body) = get("/api/v1/datasets/enterprises/changes?format=ndjson");
        assert_eq!(s, 200);
        assert!(!body.is_empty(), "the refused request did not count as a pull");
        let first: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&body).lines().next().unwrap()).unwrap();
        let mut keys: Vec<&String> = first.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, vec!["_change_type", "_version", "ma_so_thue", "trang_thai"]);
        // The position moves once the whole body has gone out, just after the client has it.
        let mut again = get("/api/v1/datasets/enterprises/changes?format=ndjson");
        for _ in 0..50 {
            if again.2.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            again = get("/api/v1/datasets/enterprises/changes?format=ndjson");
        }
        assert_eq!((again.0, again.2.len()), (200, 0), "changes since my last pull: nothing new");

        let (s, _, body) = get("/dmdc/Metadata/provinces");
        assert_eq!((s, json(&body)["Properties"].as_array().map(Vec::len)), (200, Some(7)));
        let (_, _, before) = get("/dmdc/Category/provinces?asOf=2025-06-30");
        let (_, _, after) = get("/dmdc/Category/provinces?asOf=2025-07-01");
        assert_eq!(json(&before)["Data"].as_array().map(Vec::len), Some(63));
        assert_eq!(json(&after)["Data"].as_array().map(Vec::len), Some(34));
        let (s, _, body) = get("/api/v1/catalogs/communes/codes/00001?asOf=2025-07-01");
        assert_eq!((s, json(&body)["status"].as_str()), (200, Some("retired")));
        let (s, _, body) = get("/api/v1/catalogs/provinces/codes/49/current");
        assert_eq!((s, json(&body)[0]["code"].as_str()), (200, Some("48")));
        let (s, _, body) = get("/api/v1/catalogs/districts/search?q=ho%C3%A0%20vang&asOf=2025-06-30");
        assert_eq!((s, json(&body)[0]["code"].as_str()), (200, Some("497")));
        let (s, _, _) = get("/dmdc/Category/nope");
        assert_eq!(s, 404);
        let (s, _, body) = get("/dmdc/Category/provinces?asOf=yesterday");
        assert_eq!((s, json(&body)["code"].as_str()), (400, Some("bad_request")));
        let (s, _, _) = curl(&[&format!("{base}/dmdc/Category/provinces")]);
        assert_eq!(s, 401, "catalogs need a token too");
    }
}

#[test]
fn a_client_over_its_quota_gets_429_with_retry_after() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let (id, secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
    let (_server, base) = hub.serve(&[("LGSP_API_REQUESTS_PER_MINUTE", "3")]);
    let bearer = bearer(&base, &id, &secret);
    for _ in 0..3 {
        assert_eq!(curl(&["-H", &bearer, &format!("{base}/api/v1/me")]).0, 200);
    }
    let (s, headers, body) = curl(&["-H", &bearer, &format!("{base}/api/v1/me")]);
    assert_eq!((s, json(&body)["code"].as_str()), (429, Some("quota_exceeded")));
    assert!(headers.to_lowercase().contains("retry-after: 20"), "{headers}");
}

#[test]
fn bad_input_gets_a_4xx_never_a_500() {
    let (hub, id, secret) = snapshot_client();
    let (_server, base) = start(&hub);
    let bearer = bearer(&base, &id, &secret);
    let token = format!("{base}/token");
    let big = hub.dir.path().join("big-body.txt");
    std::fs::write(&big, "x".repeat(900_000)).unwrap();
    let cases: Vec<(Vec<String>, u16)> = vec![
        (
            vec![
                "-u".into(),
                format!("{id}:{secret}"),
                "-H".into(),
                "Content-Type: application/json".into(),
                "-d".into(),
                "{\"grant_type\":".into(),
                token.clone(),
            ],
            400,
        ),
        (
            vec![
                "-X".into(),
                "POST".into(),
                "-H".into(),
                "Authorization: Basic !!!notbase64".into(),
                "-d".into(),
                "grant_type=client_credentials".into(),
                token.clone(),
            ],
            401,
        ),
        (vec!["-d".into(), "x".repeat(100_000), token.clone()], 413),
        (vec!["--data-binary".into(), format!("@{}", big.display()), token.clone()], 413),
        (
            vec![
                "-H".into(),
                "Transfer-Encoding: chunked".into(),
                "--data-binary".into(),
                format!("@{}", big.display()),
                token.clone(),
            ],
            413,
        ),
        (
            (0..150)
                .flat_map(|i| ["-H".to_string(), format!("X-Header-{i}: {}", "a".repeat(100))])
                .chain([format!("{base}/api/v1/me")])
                .collect(),
            431,
        ),
        (
            vec![
                "-H".into(),
                bearer.clone(),
                "--path-as-is".into(),
                format!("{base}/api/v1/datasets/../../etc/passwd/snapshot"),
            ],
            404,
        ),
        (vec!["-H".into(), bearer.clone(), format!("{base}/api/v1/datasets/..%2F..%2Fetc/snapshot")], 403),
        (vec!["-H".into(), bearer.clone(), format!("{base}/api/v1/datasets/enterprises/snapshot?version=abc")], 400),
        (vec!["-H".into(), bearer.clone(), format!("{base}/api/v1/datasets/enterprises/snapshot?version=-1")], 404),
        (vec!["-H".into(), bearer.clone(), format!("{base}/api/v1/datasets/enterprises/snapshot?verison=1")], 400),
        (
            vec!["-H".into(), bearer.clone(), format!("{base}/api/v1/datasets/enterprises/snapshot?version=1&since=0")],
            400,
        ),
        (
            vec!["-H".into(), bearer.clone(), format!("{base}/api/v1/catalogs/communes/codes/00004?as_of=2025-06-30")],
            400,
        ),
        (
            vec!["-H".into(), bearer.clone(), format!("{base}/api/v1/catalogs/communes/codes/00004?asOf=30/06/2025x")],
            400,
        ),
        (
            vec![
                "-H".into(),
                bearer.clone(),
                "-H".into(),
                "Range: bytes=0-18446744073709551615".into(),
                format!("{base}/api/v1/datasets/enterprises/snapshot"),
            ],
            // RFC 9110: a last position past the end is clamped to the file.
            206,
        ),
        (
            vec![
                "-H".into(),
                bearer.clone(),
                "-X".into(),
                "DELETE".into(),
                format!("{base}/api/v1/datasets/enterprises/snapshot"),
            ],
            405,
        ),
    ];
    for (args, expected) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (s, _, body) = curl(&refs);
        assert_eq!(
            s,
            expected,
            "{:?}: {}",
            &refs[..refs.len().min(4)],
            String::from_utf8_lossy(&body).chars().take(200).collect::<String>()
        );
        if expected != 431 && expected != 206 {
            let v = json(&body);
            assert!(v.get("code").is_some() || v.get("error").is_some(), "an error envelope: {v}");
        }
    }
}

#[test]
fn a_full_snapshot_streams_and_honours_range_requests() {
    let (hub, id, secret) = snapshot_client();
    let (_server, base) = start(&hub);
    let bearer = bearer(&base, &id, &secret);
    let url = format!("{base}/api/v1/datasets/enterprises/snapshot");
    let (s, headers, body) = curl(&["-H", &bearer, &url]);
    assert_eq!(s, 200);
    assert!(headers.to_lowercase().contains("accept-ranges: bytes"), "{headers}");
    let df_bytes = body.len();
    let df = ParquetReader::new(std::io::Cursor::new(body.clone())).finish().unwrap();
    assert_eq!(df.height(), 2926);
    let (s, headers, head) = curl(&["-H", &bearer, "-H", "Range: bytes=0-3", &url]);
    assert_eq!((s, head.as_slice()), (206, b"PAR1".as_slice()));
    assert!(headers.to_lowercase().contains(&format!("content-range: bytes 0-3/{}", body.len())), "{headers}");
    let (s, _, tail) = curl(&["-H", &bearer, "-H", "Range: bytes=-4", &url]);
    assert_eq!((s, tail.as_slice()), (206, b"PAR1".as_slice()));
    let (s, _, body) = curl(&["-H", &bearer, "-H", "Range: lines=1-2", &url]);
    assert_eq!((s, body.len()), (200, df_bytes), "an unknown range unit is ignored");
}

#[test]
fn a_snapshot_much_larger_than_the_servers_memory_use_streams_in_bounded_memory() {
    let (hub, id, secret) = snapshot_client();
    // The stored file of version 1 made 512 MiB: full grants get the stored bytes as they are.
    let big = hub.objects().join("datasets/enterprises/v1/snapshot.parquet");
    let file = std::fs::File::options().append(true).open(&big).unwrap();
    file.set_len(512 * 1024 * 1024).unwrap();
    let (server, base) = start(&hub);
    let bearer = bearer(&base, &id, &secret);
    let before = server.peak_rss_kib();
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-H", &bearer])
        .arg(format!("{base}/api/v1/datasets/enterprises/snapshot"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("200 {}", 512 * 1024 * 1024));
    let peak = server.peak_rss_kib();
    assert!(
        before > 0 && peak < before + 64 * 1024,
        "peak RSS grew from {before} KiB to {peak} KiB while streaming 512 MiB"
    );
}
