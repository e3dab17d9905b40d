//! Every source kind against a real counterpart on this machine: a folder of files, an XLSX
//! workbook written here, JSON and NDJSON, an HTTP server on 127.0.0.1 (ETag, pagination, a
//! failure that recovers on retry), and PostgreSQL and MariaDB databases created here.

mod common;

use common::Hub;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A pipeline of `units` (ma, ten, ngay) with the given `[source]` table body.
fn pipeline(hub: &Hub, source: &str, extra: &str) -> String {
    let text = format!(
        r#"id = "units"
owner = "000.00.00.H48"
dataset = "units"
key = ["ma"]
{extra}
# A few rows, some quarantined on purpose.
[gates]
max_quarantine_fraction = 1.0

[source]
{source}

[retry]
attempts = 3
backoff_ms = 100

[[fields]]
name = "ma"
required = true

[[fields]]
name = "ten"
required = true

[[fields]]
name = "ngay"
type = "date"
"#
    );
    let path = hub.dir.path().join("units.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn run(hub: &Hub, pipeline: &str) -> serde_json::Value {
    serde_json::from_str(hub.ok(&["run", pipeline, "--json"]).trim()).unwrap()
}

fn counts(r: &serde_json::Value) -> (String, i64, i64, i64, i64) {
    let n = |k: &str| r[k].as_i64().unwrap_or(-1);
    (r["status"].as_str().unwrap_or("").to_string(), n("rows_read"), n("inserted"), n("updated"), n("rows_quarantined"))
}

#[test]
fn a_folder_of_files_is_read_newest_or_every_new_file_once() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let drop = hub.dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    let write = |name: &str, body: &str, secs_ago: u64| {
        let p = drop.join(name);
        std::fs::write(&p, body).unwrap();
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs_ago);
        std::fs::File::options().write(true).open(&p).unwrap().set_modified(t).unwrap();
    };
    write("2026-10.csv", "ma,ten,ngay\n01,Một,01/10/2026\n02,Hai,02/10/2026\n", 300);
    write("2026-11.csv", "ma,ten,ngay\n02,Hai mới,02/11/2026\n03,Ba,03/11/2026\n", 200);
    let glob = format!("{}/*.csv", drop.display());
    let p = pipeline(&hub, &format!("kind = \"csv\"\npath = \"{glob}\"\npick = \"all_new\""), "extract = \"partial\"");
    let r = run(&hub, &p);
    assert_eq!(counts(&r), ("published".into(), 2, 1, 1, 0), "the second file is the last run: {r}");
    let runs = hub.ok(&["runs", "--pipeline", "units", "--json"]);
    assert_eq!(runs.lines().count(), 2, "one run per file, oldest first:\n{runs}");
    assert!(runs.contains("2026-10.csv") && runs.contains("2026-11.csv"));
    let r = run(&hub, &p);
    assert_eq!(r["status"], "unchanged", "no new file: {r}");
    write("2026-12.csv", "ma,ten,ngay\n04,Bốn,04/12/2026\n", 100);
    assert_eq!(counts(&run(&hub, &p)), ("published".into(), 1, 1, 0, 0));
    let snap = hub.read_parquet("datasets/units/v3/snapshot.parquet");
    assert_eq!(snap.height(), 4);

    let newest = pipeline(&hub, &format!("kind = \"csv\"\npath = \"{glob}\""), "extract = \"partial\"");
    let r = run(&hub, &newest);
    assert_eq!(
        (r["status"].as_str(), r["rows_read"].as_i64()),
        (Some("unchanged"), Some(1)),
        "the newest file only, whose row is known: {r}"
    );
    let missing = pipeline(&hub, &format!("kind = \"csv\"\npath = \"{}/*.xlsx\"", drop.display()), "");
    let err = hub.fails(&["run", &missing]);
    assert!(err.contains("no file matches") && err.contains("*.xlsx"), "{err}");
}

#[test]
fn an_excel_sheet_is_read_from_its_header_row_and_quarantine_names_sheet_rows() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let path = hub.dir.path().join("units.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Cover").unwrap();
    sheet.write(0, 0, "not this sheet").unwrap();
    let sheet = book.add_worksheet().set_name("Đơn vị").unwrap();
    sheet.write(0, 0, "Danh sách đơn vị (tiêu đề)").unwrap();
    for (c, h) in ["ma", "ten", "ngay"].iter().enumerate() {
        sheet.write(2, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet.write(3, 0, 1001).unwrap();
    sheet.write(3, 1, "Phường Hải Châu").unwrap();
    sheet.write_datetime_with_format(3, 2, ExcelDateTime::from_ymd(2025, 7, 1).unwrap(), &date).unwrap();
    sheet.write(5, 0, "1002").unwrap();
    sheet.write(5, 1, "").unwrap();
    sheet.write(6, 0, "1003").unwrap();
    sheet.write(6, 1, "Xã Hòa Vang").unwrap();
    sheet.write(6, 2, "15/08/2025").unwrap();
    book.save(&path).unwrap();
    let p = pipeline(
        &hub,
        &format!("kind = \"excel\"\npath = \"{}\"\nsheet = \"Đơn vị\"\nheader_row = 3", path.display()),
        "",
    );
    let r = run(&hub, &p);
    assert_eq!(counts(&r), ("published".into(), 3, 2, 0, 1), "{r}");
    let snap = hub.read_parquet("datasets/units/v1/snapshot.parquet");
    let ma: Vec<_> = snap.column("ma").unwrap().str().unwrap().iter().map(|v| v.unwrap().to_string()).collect();
    assert_eq!(ma, ["1001", "1003"], "whole numbers without .0");
    let ngay = snap.column("ngay").unwrap().cast(&polars::prelude::DataType::String).unwrap();
    assert_eq!(ngay.str().unwrap().get(0), Some("2025-07-01"));
    let q = hub.read_parquet("datasets/units/v1/quarantine.parquet");
    assert_eq!(
        q.column("_line").unwrap().cast(&polars::prelude::DataType::Int64).unwrap().i64().unwrap().get(0),
        Some(6),
        "row 6 of the sheet"
    );
    let bad = pipeline(&hub, &format!("kind = \"excel\"\npath = \"{}\"\nsheet = \"Sheet9\"", path.display()), "");
    let err = hub.fails(&["run", &bad]);
    assert!(err.contains("no sheet 'Sheet9'") && err.contains("Đơn vị"), "{err}");
}

#[test]
fn json_and_ndjson_records_are_read_at_their_path() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let json = hub.dir.path().join("units.json");
    std::fs::write(&json, r#"{"data":{"items":[{"ma":"01","ten":"Một","ngay":"2025-07-01","extra":{"a":1}},{"ma":"02","ten":"Hai","ngay":null}]}}"#).unwrap();
    let p = pipeline(&hub, &format!("kind = \"json\"\npath = \"{}\"\nrecords = \"data.items\"", json.display()), "");
    assert_eq!(counts(&run(&hub, &p)), ("published".into(), 2, 2, 0, 0));
    let nd = hub.dir.path().join("units.ndjson");
    std::fs::write(&nd, "{\"ma\":\"01\",\"ten\":\"Một\",\"ngay\":\"2025-07-01\"}\n\n{\"ma\":\"02\",\"ten\":\"Hai đổi\",\"ngay\":null}\n{\"ma\":\"03\",\"ngay\":\"2025-07-03\"}\n").unwrap();
    let p = pipeline(&hub, &format!("kind = \"ndjson\"\npath = \"{}\"", nd.display()), "");
    assert_eq!(counts(&run(&hub, &p)), ("published".into(), 3, 0, 1, 1));
    let q = hub.read_parquet("datasets/units/v2/quarantine.parquet");
    assert_eq!(
        q.column("_line").unwrap().cast(&polars::prelude::DataType::Int64).unwrap().i64().unwrap().get(0),
        Some(4),
        "line 4 of the NDJSON file"
    );
    std::fs::write(&nd, "{\"ma\":\"01\"}\nnot json\n").unwrap();
    let err = hub.fails(&["run", &p]);
    assert!(err.contains("units.ndjson: line 2: not JSON"), "{err}");
}

/// An HTTP server on 127.0.0.1: `/units` pages of JSON with an ETag, failing the first
/// `fail_first` requests with 503; returns its base URL and the request counter.
fn http_server(fail_first: usize) -> (String, Arc<AtomicUsize>) {
    use axum::extract::Query;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let app = axum::Router::new().route(
                "/units",
                axum::routing::get(
                    move |headers: HeaderMap, Query(q): Query<std::collections::HashMap<String, String>>| {
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        async move {
                            if n < fail_first {
                                return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
                            }
                            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer s3cret") {
                                return (StatusCode::UNAUTHORIZED, "no").into_response();
                            }
                            if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some("\"v1\"") {
                                return StatusCode::NOT_MODIFIED.into_response();
                            }
                            let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                            let items: Vec<serde_json::Value> = match page {
                                1 => vec![
                                    serde_json::json!({"ma": "01", "ten": "Một", "ngay": "2025-07-01"}),
                                    serde_json::json!({"ma": "02", "ten": "Hai", "ngay": "2025-07-02"}),
                                ],
                                2 => vec![serde_json::json!({"ma": "03", "ten": "Ba", "ngay": null})],
                                _ => vec![],
                            };
                            ([("etag", "\"v1\"")], axum::Json(serde_json::json!({ "result": { "items": items } })))
                                .into_response()
                        }
                    },
                ),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (format!("http://{addr}"), hits)
}

#[test]
fn an_http_source_pages_retries_and_costs_one_request_when_unchanged() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let (base, hits) = http_server(2);
    let source = format!(
        "kind = \"http\"\nurl = \"{base}/units\"\nformat = \"json\"\nrecords = \"result.items\"\nauth_env = \"UNITS_TOKEN\"\npagination = {{ kind = \"page\", param = \"page\" }}"
    );
    let p = pipeline(&hub, &source, "");
    let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
        .args(["run", &p, "--json"])
        .current_dir(common::repo())
        .env("LGSP_STORE_URL", &hub.store_url)
        .env("LGSP_OBJECT_STORE_URL", hub.objects())
        .env("UNITS_TOKEN", "Bearer s3cret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts(&r), ("published".into(), 3, 3, 0, 0), "{r}");
    assert_eq!(hits.load(Ordering::SeqCst), 2 + 3, "two 503s, then pages 1, 2 and the empty page 3");

    let again = Command::new(env!("CARGO_BIN_EXE_lgsp"))
        .args(["run", &p, "--json"])
        .current_dir(common::repo())
        .env("LGSP_STORE_URL", &hub.store_url)
        .env("LGSP_OBJECT_STORE_URL", hub.objects())
        .env("UNITS_TOKEN", "Bearer s3cret")
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(r["status"], "unchanged", "{r}");
    assert_eq!(hits.load(Ordering::SeqCst), 6, "an unchanged source costs one request (304)");

    // --force reads it again once; `source reset` forgets the ETag; an edit of [source] too.
    let with_token = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(args)
            .current_dir(common::repo())
            .env("LGSP_STORE_URL", &hub.store_url)
            .env("LGSP_OBJECT_STORE_URL", hub.objects())
            .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
            .env("UNITS_TOKEN", "Bearer s3cret")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let forced = with_token(&["run", &p, "--json", "--force"]);
    assert_eq!((forced["status"].as_str(), hits.load(Ordering::SeqCst)), (Some("unchanged"), 9), "pages read again");
    let state = hub.ok(&["source", "show", &p]);
    assert!(state.contains("etag") && state.contains("source_digest"), "{state}");
    hub.ok(&["source", "reset", &p]);
    assert_eq!(hub.ok(&["source", "show", &p]).trim(), "{}");
    with_token(&["run", &p, "--json"]);
    assert_eq!(hits.load(Ordering::SeqCst), 12, "after a reset the source is read whole");
    let edited = pipeline(&hub, &source.replace("format = \"json\"", "format = \"json\"\ntimeout_seconds = 30"), "");
    with_token(&["run", &edited, "--json"]);
    assert_eq!(hits.load(Ordering::SeqCst), 15, "an edited [source] does not use the saved ETag");
    with_token(&["run", &edited, "--json"]);
    assert_eq!(hits.load(Ordering::SeqCst), 16, "then the new one is saved");

    let err = hub.fails(&["run", &p]);
    assert!(err.contains("UNITS_TOKEN is not set"), "{err}");
    let runs = hub.ok(&["runs", "--pipeline", "units", "--failed"]);
    assert!(runs.contains("failed") && runs.contains("UNITS_TOKEN"), "a failed pull is in the run history:\n{runs}");
    let dead = "http://127.0.0.1:9/units";
    let p = pipeline(&hub, &format!("kind = \"http\"\nurl = \"{dead}\"\nformat = \"json\""), "");
    let err = hub.fails(&["run", &p]);
    assert!(err.contains("GET http://127.0.0.1:9/units"), "{err}");
}

fn sql_rows(kind: &str, url: &str, statements: &str) {
    let out = match kind {
        "postgres" => {
            Command::new("psql").arg(url).args(["-qAt", "-v", "ON_ERROR_STOP=1", "-c", statements]).output().unwrap()
        }
        _ => Command::new("mysql").args(["-h127.0.0.1", "-uroot", "-e", statements]).output().unwrap(),
    };
    assert!(out.status.success(), "{statements}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn sql_sources_read_postgres_and_mariadb_whole_and_incrementally() {
    let Some(admin) = common::postgres_admin_url() else { return eprintln!("skipped: no PostgreSQL") };
    let suffix = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
    );
    let pg_db = format!("agency_pg_{suffix}");
    let my_db = format!("agency_my_{suffix}");
    sql_rows("postgres", &admin, &format!("CREATE DATABASE {pg_db}"));
    let pg_url = format!("{}/{pg_db}", admin.rsplit_once('/').unwrap().0);
    sql_rows("mysql", "", &format!("CREATE DATABASE {my_db}"));
    let my_url = format!("mysql://root@127.0.0.1:3306/{my_db}");
    let create = "CREATE TABLE don_vi (ma VARCHAR(10) PRIMARY KEY, ten VARCHAR(100), ngay DATE, sua_luc TIMESTAMP NOT NULL, so NUMERIC(10,2))";
    sql_rows("postgres", &pg_url, create);
    sql_rows("mysql", "", &format!("USE {my_db}; {create}"));
    let seed = "INSERT INTO don_vi VALUES ('01','Một','2025-07-01','2026-01-01 08:00:00',1.50),('02','Hai','2025-07-02','2026-01-01 09:00:00',NULL)";
    sql_rows("postgres", &pg_url, seed);
    sql_rows("mysql", "", &format!("USE {my_db}; {seed}"));
    for (kind, url, prefix) in
        [("postgres", pg_url.clone(), String::new()), ("mysql", my_url.clone(), format!("USE {my_db}; "))]
    {
        let hub = Hub::sqlite();
        hub.ok(&["init"]);
        let p = pipeline(&hub, "kind = \"sql\"\nurl_env = \"AGENCY_DB\"\nquery = \"SELECT ma, ten, ngay, sua_luc FROM don_vi\"\ncursor = \"sua_luc\"", "");
        let lgsp = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_lgsp"))
                .args(args)
                .current_dir(common::repo())
                .env("LGSP_STORE_URL", &hub.store_url)
                .env("LGSP_OBJECT_STORE_URL", hub.objects())
                .env("AGENCY_DB", &url)
                .output()
                .unwrap()
        };
        let out = lgsp(&["run", &p, "--json"]);
        assert!(out.status.success(), "[{kind}] {}", String::from_utf8_lossy(&out.stderr));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(counts(&r), ("published".into(), 2, 2, 0, 0), "[{kind}] {r}");
        sql_rows(kind, &url, &format!("{prefix}UPDATE don_vi SET ten = 'Hai đổi', sua_luc = '2026-02-01 10:00:00' WHERE ma = '02'; INSERT INTO don_vi VALUES ('03','Ba',NULL,'2026-02-01 11:00:00',3); DELETE FROM don_vi WHERE ma = '01'"));
        let r: serde_json::Value = serde_json::from_slice(&lgsp(&["run", &p, "--json"]).stdout).unwrap();
        assert_eq!(
            (r["rows_read"].as_i64(), r["inserted"].as_i64(), r["updated"].as_i64(), r["deleted"].as_i64()),
            (Some(2), Some(1), Some(1), Some(0)),
            "[{kind}] only rows from the cursor on; no delete inferred: {r}"
        );
        let snap = hub.read_parquet("datasets/units/v2/snapshot.parquet");
        assert_eq!(snap.height(), 3, "[{kind}] '01' stays: incremental runs never infer deletes");
        let r: serde_json::Value = serde_json::from_slice(&lgsp(&["run", &p, "--json"]).stdout).unwrap();
        assert_eq!(r["status"], "unchanged", "[{kind}] {r}");
        sql_rows(kind, &url, &format!("{prefix}INSERT INTO don_vi VALUES ('04','Bốn',NULL,'2026-01-15 00:00:00',4)"));
    }
    sql_rows("mysql", "", &format!("DROP DATABASE {my_db}"));
    sql_rows("postgres", &admin, &format!("DROP DATABASE {pg_db}"));
}

#[test]
fn files_are_pulled_from_an_s3_compatible_bucket() {
    let Some((_s3, endpoint)) = common::start_s3() else { return };
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let put = |key: &str, body: &str| {
        let py = format!("import boto3; boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='t', aws_secret_access_key='t', region_name='us-east-1').put_object(Bucket='lgsp', Key='{key}', Body={body:?}.encode())");
        assert!(Command::new("python3").args(["-c", &py]).status().unwrap().success());
    };
    put("drop/so-y-te/2026-10.csv", "ma,ten,ngay\n01,Một,01/10/2026\n");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    put("drop/so-y-te/2026-11.csv", "ma,ten,ngay\n01,Một,01/10/2026\n02,Hai,02/11/2026\n");
    put("drop/other/x.csv", "ma,ten,ngay\n09,Chín,\n");
    let p = pipeline(&hub, "kind = \"csv\"\npath = \"s3://lgsp/drop/so-y-te/*.csv\"", "");
    let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
        .args(["run", &p, "--json"])
        .current_dir(common::repo())
        .env("LGSP_STORE_URL", &hub.store_url)
        .env("LGSP_OBJECT_STORE_URL", hub.objects())
        .envs(common::s3_env(&endpoint))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts(&r), ("published".into(), 2, 2, 0, 0), "the newest object under the prefix: {r}");
    let runs = hub.ok(&["runs", "--json"]);
    assert!(runs.contains("s3://lgsp/drop/so-y-te/2026-11.csv"), "{runs}");
}
