//! Delta Sharing through the stock `delta-sharing` Python client (PyPI) against a live
//! `lgsp serve`: tables listed per grant, the latest snapshot and an older version, the change
//! feed, with a bearer profile from `lgsp client profile` and an OAuth client-credentials
//! profile against `/token`; an ungranted table refused; every call in the audit log; links
//! that expire and cannot be altered. The client needs pyarrow ≥ 16, so it lives in a venv of its
//! own (`LGSP_TEST_DELTA_SHARING_PYTHON`, made by .ci/run); without it the test is skipped.

mod common;

use common::{bearer, curl, repo, Hub};
use std::path::PathBuf;
use std::process::Command;

const CONSUMER: &str = "000.00.15.H29";
const SHARE: &str = "000_00_15_h29";
const SCHEMA: &str = "000_00_12_h48";

fn python() -> Option<PathBuf> {
    let python = std::env::var_os("LGSP_TEST_DELTA_SHARING_PYTHON")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lgsp-hub/ds-venv/bin/python")))?;
    let ok = Command::new(&python).args(["-c", "import delta_sharing"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("LGSP_TEST_REQUIRE_DELTA_SHARING").is_none(),
            "the delta-sharing client is required (see .ci/run)"
        );
        eprintln!("skipped: {} cannot import delta_sharing", python.display());
        return None;
    }
    Some(python)
}

/// A hub with enterprises at versions 1 and 2, health facilities at 1, and a consumer granted
/// snapshots and changes of enterprises only; returns the hub, client id and secret.
fn published() -> (Hub, String, String) {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let samples = repo().join("data/samples");
    hub.run_json("enterprises", Some(&samples.join("enterprises_v1.csv")));
    hub.run_json("enterprises", Some(&samples.join("enterprises_v2.csv")));
    hub.run_json("health_facilities", Some(&samples.join("health_facilities_v1.csv")));
    let (id, secret) = hub.new_client(CONSUMER, "Sở Kế hoạch");
    for scope in ["snapshot", "changes"] {
        let args = ["grant", "add", "--client", &id, "--dataset", "enterprises", "--scope", scope];
        hub.ok(&[&args[..], &["--basis", "Quyết định 01/QĐ-UBND", "--purpose", "thống kê doanh nghiệp"]].concat());
    }
    (hub, id, secret)
}

fn read(python: &PathBuf, profile: &std::path::Path) -> serde_json::Value {
    let out = Command::new(python)
        .arg(repo().join("tests/delta_sharing/read.py"))
        .args([profile.to_str().unwrap(), SHARE, SCHEMA, "enterprises", "000_00_20_h48.health_facilities"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(said.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {said}"))
}

fn keys(hub: &Hub, version: i64) -> Vec<String> {
    let df = hub.read_parquet(&format!("datasets/enterprises/v{version}/snapshot.parquet"));
    let mut keys: Vec<String> =
        df.column("ma_so_thue").unwrap().str().unwrap().iter().map(|k| k.unwrap().to_string()).collect();
    keys.sort();
    keys
}

#[test]
fn the_stock_client_reads_snapshots_versions_and_changes_with_bearer_and_oauth_profiles() {
    let Some(python) = python() else { return };
    let (hub, id, secret) = published();
    let (_server, base) = hub.serve(&[]);
    let dir = hub.objects().with_file_name("profiles");
    std::fs::create_dir_all(&dir).unwrap();
    let bearer_profile = dir.join("bearer.share");
    hub.ok(&["client", "profile", "--client", &id, "--endpoint", &base, "--out", bearer_profile.to_str().unwrap()]);
    let oauth_profile = dir.join("oauth.share");
    let oauth = serde_json::json!({
        "shareCredentialsVersion": 2, "type": "oauth_client_credentials",
        "endpoint": format!("{base}/delta-sharing"), "tokenEndpoint": format!("{base}/token"),
        "clientId": id, "clientSecret": secret,
    });
    std::fs::write(&oauth_profile, oauth.to_string()).unwrap();
    for profile in [&bearer_profile, &oauth_profile] {
        let got = read(&python, profile);
        assert_eq!(got["tables"], serde_json::json!([format!("{SHARE}.{SCHEMA}.enterprises")]), "{got}");
        assert_eq!(got["version"], 2, "{got}");
        let latest: Vec<String> = serde_json::from_value(got["latest"]["keys"].clone()).unwrap();
        assert_eq!(latest, keys(&hub, 2), "the latest snapshot is version 2's");
        let first: Vec<String> = serde_json::from_value(got["first"]["keys"].clone()).unwrap();
        assert_eq!(first, keys(&hub, 1), "version=1 reads version 1");
        assert_ne!(latest, first);
        assert_eq!(got["limited"], 5);
        assert!(!got["latest"]["columns"].as_array().unwrap().iter().any(|c| c == "_row_hash"), "{got}");
        let types = &got["changes"]["types"];
        assert!(types["insert"].as_u64() > Some(0) && types["delete"].as_u64() > Some(0), "{got}");
        assert_eq!(types["update_preimage"], types["update_postimage"], "{got}");
        assert_eq!(got["changes"]["versions"], serde_json::json!([2]));
        let other = got["other"].as_str().unwrap();
        assert!(
            other.contains("403") && other.contains("no snapshot or changes grant on 'health_facilities'"),
            "{other}"
        );
    }
    // Every call, file downloads included, is in the audit log under the client.
    for call in [
        "GET %/all-tables",
        "GET %/enterprises/version",
        "GET %/enterprises/metadata",
        "POST %/enterprises/query",
        "GET %/enterprises/changes",
    ] {
        let n = hub.query(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor = '{id}' AND action LIKE '{call}' AND status = 200"
        ));
        assert!(n.trim().parse::<i64>().unwrap() >= 2, "{call}: {n}");
    }
    let calls = hub.query(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE actor = '{id}' AND action LIKE 'GET /delta-sharing/files/%' AND dataset = 'enterprises' AND status IN (200, 206)"
    ));
    assert!(calls.trim().parse::<i64>().unwrap() >= 6, "downloads logged: {calls}");
    let refused = hub.query(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE actor = '{id}' AND status = 403 AND dataset = 'health_facilities'"
    ));
    assert_eq!(refused.trim(), "2", "one refusal per profile");
    hub.ok(&["audit", "verify"]);
}

/// The files of `POST …/query` for the client: its lines, then the file URL.
fn query(base: &str, auth: &str, body: &str) -> (u16, String) {
    let url = format!("{base}/delta-sharing/shares/{SHARE}/schemas/{SCHEMA}/tables/enterprises/query");
    let (status, _, out) = curl(&["-H", auth, "-H", "content-type: application/json", "-d", body, &url]);
    let text = String::from_utf8_lossy(&out).to_string();
    let file = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["file"]["url"].as_str().map(str::to_string))
        .unwrap_or_default();
    (status, file)
}

#[test]
fn links_cannot_be_altered_and_expire() {
    let (hub, id, secret) = published();
    let (_server, base) = hub.serve(&[("LGSP_SHARING_LINK_SECONDS", "2")]);
    let auth = bearer(&base, &id, &secret);
    let (status, link) = query(&base, &auth, r#"{"version": 1}"#);
    assert_eq!(status, 200);
    assert!(link.starts_with(&format!("{base}/delta-sharing/files/")), "{link}");
    let (status, _, body) = curl(&[&link]);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(&body[..4], b"PAR1");
    // Another version in the same link: the signature no longer holds.
    let token = link.rsplit('/').next().unwrap();
    let (payload, mac) = token.split_once('.').unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    let forged = b64.encode(text.replace("\"v\":1", "\"v\":2"));
    assert_ne!(forged, payload);
    let (status, _, body) = curl(&[&format!("{base}/delta-sharing/files/{forged}.{mac}")]);
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("not valid"));
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let (status, _, body) = curl(&[&link]);
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("expired"), "{}", String::from_utf8_lossy(&body));
    // Revoking the client stops a fresh link too.
    let (_, link) = query(&base, &auth, "{}");
    hub.ok(&["client", "revoke", &id]);
    let (status, _, _) = curl(&[&link]);
    assert_eq!(status, 403, "a link stops with its client");
}

#[test]
fn a_field_limited_grant_gets_files_with_its_fields_only() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let (id, secret) = hub.new_client(CONSUMER, "Sở Kế hoạch");
    let args = ["grant", "add", "--client", &id, "--dataset", "enterprises", "--scope", "snapshot"];
    hub.ok(&[&args[..], &["--fields", "ma_so_thue,ten_doanh_nghiep", "--basis", "Quyết định 01/QĐ-UBND"]].concat());
    let (_server, base) = hub.serve(&[]);
    let auth = bearer(&base, &id, &secret);
    let meta = format!("{base}/delta-sharing/shares/{SHARE}/schemas/{SCHEMA}/tables/enterprises/metadata");
    let (status, headers, body) = curl(&["-H", &auth, &meta]);
    assert_eq!(status, 200);
    assert!(headers.contains("delta-table-version: 1"), "{headers}");
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&body).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let schema: serde_json::Value =
        serde_json::from_str(lines[1]["metaData"]["schemaString"].as_str().unwrap()).unwrap();
    let names: Vec<&str> = schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ma_so_thue", "ten_doanh_nghiep"]);
    let (_, link) = query(&base, &auth, "{}");
    let (status, _, body) = curl(&[&link]);
    assert_eq!(status, 200);
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(std::io::Cursor::new(body)).finish().unwrap();
    let cols: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
    assert_eq!(cols, ["ma_so_thue", "ten_doanh_nghiep"]);
    // The same bytes on every download, so ranges of it fit together.
    let (_, _, again) = curl(&[&link]);
    let (status, headers, part) = curl(&["-H", "range: bytes=0-3", &link]);
    assert_eq!((status, part.as_slice()), (206, &b"PAR1"[..]), "{headers}");
    assert!(headers.contains(&format!("content-range: bytes 0-3/{}", again.len())), "{headers}");
    // Changes were not granted: no change feed.
    let changes =
        format!("{base}/delta-sharing/shares/{SHARE}/schemas/{SCHEMA}/tables/enterprises/changes?startingVersion=1");
    let (status, _, body) = curl(&["-H", &auth, &changes]);
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn on_s3_a_grant_on_every_field_gets_presigned_urls_of_the_stored_files() {
    let Some((_s3, endpoint)) = common::start_s3() else { return };
    let hub = Hub::sqlite();
    let mut env = common::s3_env(&endpoint);
    env.push(("LGSP_OBJECT_STORE_URL", "s3://lgsp/hub".into()));
    let lgsp = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(args)
            .current_dir(repo())
            .env("LGSP_STORE_URL", &hub.store_url)
            .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
            .envs(env.iter().map(|(k, v)| (k, v.as_str())))
            .output()
            .unwrap();
        assert!(out.status.success(), "lgsp {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    lgsp(&["init"]);
    lgsp(&["run", "enterprises", "--input", "data/samples/enterprises_v1.csv"]);
    let (id, secret) = hub.new_client(CONSUMER, "Sở Kế hoạch");
    let args = ["grant", "add", "--client", &id, "--dataset", "enterprises", "--scope", "snapshot"];
    hub.ok(&[&args[..], &["--basis", "Quyết định 01/QĐ-UBND", "--purpose", "thống kê doanh nghiệp"]].concat());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_server, base) = hub.serve(&env);
    let (status, link) = query(&base, &bearer(&base, &id, &secret), "{}");
    assert_eq!(status, 200);
    assert!(link.starts_with(&format!("{endpoint}/lgsp/hub/datasets/enterprises/")), "{link}");
    assert!(link.contains("X-Amz-Signature=") && link.contains("X-Amz-Expires=900"), "{link}");
    let (status, _, body) = curl(&[&link]);
    assert_eq!((status, &body[..4]), (200, &b"PAR1"[..]));
}
