//! Personal data through the real binary and server: purpose-bound grants, sensitive fields
//! granted only explicitly, masked and pseudonymized fields on every route and format.

mod common;

use common::{bearer, curl, repo, Hub};
use polars::prelude::*;

const PROTECT: [&str; 8] = [
    "--protect",
    "so_dinh_danh=pseudonym",
    "--protect",
    "ho_ten=initials",
    "--protect",
    "ngay_sinh=year",
    "--protect",
    "so_dien_thoai=last4",
];
const NOT_SENSITIVE: &str = "so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,ma_xa,so_dien_thoai";

/// Grants `scope` on residents' non-sensitive fields, protected as [`PROTECT`].
fn grant_protected(hub: &Hub, client: &str, scope: &str) {
    let mut args = vec!["grant", "add", "--client", client, "--dataset", "residents", "--scope", scope];
    args.extend(["--fields", NOT_SENSITIVE, "--basis", "Điều 19 Luật 91/2025/QH15", "--purpose", "tiêm chủng"]);
    args.extend(PROTECT);
    hub.ok(&args);
}

fn residents(hub: &Hub) {
    hub.ok(&["init"]);
    hub.run_json("residents", Some(&repo().join("data/samples/residents_v1.csv")));
}

#[test]
fn grants_on_personal_fields_need_a_purpose_and_sensitive_ones_an_explicit_flag() {
    let hub = Hub::sqlite();
    residents(&hub);
    let (id, _) = hub.new_client("000.00.20.H48", "Sở Y tế");
    let base = ["grant", "add", "--client", &id, "--dataset", "residents", "--scope", "snapshot", "--basis", "Điều 19"];
    let err = hub.fails(&base);
    assert!(err.contains("personal fields (so_dinh_danh, ho_ten") && err.contains("--purpose"), "{err}");
    let err = hub.fails(&[&base[..], &["--purpose", "tiêm chủng"]].concat());
    assert!(err.contains("field 'dan_toc' is sensitive") && err.contains("--sensitive"), "{err}");
    let err =
        hub.fails(&[&base[..], &["--purpose", "p", "--fields", "ho_ten", "--protect", "ngay_sinh=year"]].concat());
    assert!(err.contains("'ngay_sinh' is not a granted field"), "{err}");
    let err =
        hub.fails(&[&base[..], &["--purpose", "p", "--fields", "ngay_sinh", "--protect", "ngay_sinh=last4"]].concat());
    assert!(err.contains("'ngay_sinh' is a date: last4 applies to string fields"), "{err}");

    // Granted explicitly, it lasts a year unless given its last day.
    let out = hub.ok(&[&base[..], &["--purpose", "tiêm chủng", "--sensitive"]].concat());
    let in_a_year = (chrono::Utc::now().date_naive() + chrono::Days::new(365)).to_string();
    assert!(out.contains(&format!("until {in_a_year}")), "{out}");
    let out = hub.ok(&[&base[..], &["--purpose", "p", "--fields", "ma_xa", "--until", "2027-01-31"]].concat());
    assert!(out.contains("until 2027-01-31"), "{out}");
    // Fields that are not personal need no purpose and do not expire by default.
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let out = hub.ok(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "enterprises",
        "--scope",
        "snapshot",
        "--fields",
        "ma_so_thue",
        "--basis",
        "Điều 9",
    ]);
    assert!(!out.contains("until"), "{out}");
    let list = hub.ok(&["grant", "list", "--client", &id]);
    assert!(list.contains("Điều 19 · tiêm chủng · sensitive"), "{list}");
}

fn get(base: &str, auth: &str, path: &str) -> Vec<u8> {
    let (status, _, body) = curl(&["-H", auth, &format!("{base}{path}")]);
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    body
}

fn column(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
    c.str().unwrap().iter().map(|v| v.unwrap_or_default().to_string()).collect()
}

#[test]
fn protected_fields_are_masked_or_pseudonymized_in_every_format_and_route() {
    let hub = Hub::sqlite();
    residents(&hub);
    let (a, a_secret) = hub.new_client("000.00.20.H48", "Sở Y tế");
    let (b, b_secret) = hub.new_client("000.00.21.H48", "Sở Giáo dục và Đào tạo");
    for scope in ["snapshot", "changes", "lookup"] {
        grant_protected(&hub, &a, scope);
    }
    grant_protected(&hub, &b, "snapshot");
    let (_server, base) = hub.serve(&[]);
    let (auth_a, auth_b) = (bearer(&base, &a, &a_secret), bearer(&base, &b, &b_secret));
    let snapshot = "/api/v1/datasets/residents/snapshot";

    let df = ParquetReader::new(std::io::Cursor::new(get(&base, &auth_a, snapshot))).finish().unwrap();
    let row = column(&df, "ho_ten").iter().position(|n| n == "N. V. A.").expect("initials of Nguyễn Văn An");
    assert_eq!(column(&df, "ngay_sinh")[row], "1990");
    assert_eq!(df.column("ngay_sinh").unwrap().dtype(), &DataType::Int32);
    assert_eq!(column(&df, "so_dien_thoai")[row], "******5678");
    let pseudonym = column(&df, "so_dinh_danh")[row].clone();
    assert!(pseudonym.len() == 32 && pseudonym.chars().all(|c| c.is_ascii_hexdigit()), "{pseudonym}");
    assert!(df.column("dan_toc").is_err() && df.column("_row_hash").is_err(), "{:?}", df.get_column_names());

    for format in ["csv", "ndjson"] {
        let body = String::from_utf8(get(&base, &auth_a, &format!("{snapshot}?format={format}"))).unwrap();
        assert!(body.contains("N. V. A.") && body.contains("******5678") && body.contains(&pseudonym), "{body}");
        assert!(!body.contains("Nguyễn") && !body.contains("001090012345") && !body.contains("1990-05-17"), "{body}");
    }
    let changes =
        String::from_utf8(get(&base, &auth_a, "/api/v1/datasets/residents/changes?since=0&format=ndjson")).unwrap();
    assert!(
        changes.contains(&pseudonym) && !changes.contains("001090012345") && changes.contains("L. H. C."),
        "{changes}"
    );
    let record: serde_json::Value =
        serde_json::from_slice(&get(&base, &auth_a, "/api/v1/datasets/residents/records/001090012345")).unwrap();
    assert_eq!(
        (&record["ho_ten"], &record["ngay_sinh"], &record["so_dien_thoai"], &record["so_dinh_danh"]),
        (&"N. V. A.".into(), &1990.into(), &"******5678".into(), &pseudonym.clone().into()),
        "{record}"
    );
    // The data dictionary says how each field is delivered.
    let dict: serde_json::Value = serde_json::from_slice(&get(&base, &auth_a, "/api/v1/datasets/residents")).unwrap();
    let f = dict["schema"].as_array().unwrap().iter().find(|f| f["name"] == "so_dinh_danh").unwrap().clone();
    assert_eq!((&f["delivered"], &f["personal"]), (&"pseudonym".into(), &"basic".into()), "{dict}");

    // So does the data contract, for the JSON Schema of NDJSON records and the Frictionless one.
    let contract: serde_json::Value =
        serde_json::from_slice(&get(&base, &auth_a, "/api/v1/datasets/residents/schema?format=jsonschema")).unwrap();
    let id = &contract["properties"]["so_dinh_danh"];
    assert_eq!(
        (&id["type"], &id["x-personal"], id.get("pattern")),
        (&"string".into(), &"basic".into(), None),
        "{contract}"
    );
    assert_eq!(contract["properties"]["ngay_sinh"]["type"], serde_json::json!(["integer", "null"]));
    assert!(contract["properties"].get("dan_toc").is_none(), "an ungranted field is not in the contract");
    let full = hub.ok_json(&["schema", "residents", "--format", "frictionless"]);
    let dan_toc = full["fields"].as_array().unwrap().iter().find(|f| f["name"] == "dan_toc").unwrap().clone();
    assert_eq!(dan_toc["personal"], "sensitive", "{full}");
    assert!(full["foreignKeys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["reference"]["resource"] == "catalogs/ethnic_groups_1979"));

    // One client's pseudonyms are stable across pulls; another client's differ.
    let again = ParquetReader::new(std::io::Cursor::new(get(&base, &auth_a, snapshot))).finish().unwrap();
    assert_eq!(column(&again, "so_dinh_danh"), column(&df, "so_dinh_danh"));
    let theirs = ParquetReader::new(std::io::Cursor::new(get(&base, &auth_b, snapshot))).finish().unwrap();
    let mine: std::collections::HashSet<_> = column(&df, "so_dinh_danh").into_iter().collect();
    assert!(column(&theirs, "so_dinh_danh").iter().all(|p| !mine.contains(p)), "two clients' pseudonyms must not join");
    assert_eq!(column(&theirs, "ho_ten"), column(&df, "ho_ten"), "masks are the same for every client");
}

/// (route, version, changes after) of the report's disclosures, in log order.
fn disclosed(report: &serde_json::Value) -> Vec<(String, i64, Option<i64>)> {
    let list = report["disclosures"].as_array().expect("disclosures");
    list.iter()
        .map(|d| {
            (d["route"].as_str().unwrap().to_string(), d["version"].as_i64().unwrap_or(0), d["changes_after"].as_i64())
        })
        .collect()
}

#[test]
fn a_subject_report_lists_exactly_the_disclosures_that_held_the_person() {
    for hub in Hub::all() {
        subject_report_on(&hub);
    }
}

fn subject_report_on(hub: &Hub) {
    residents(hub);
    let (a, secret) = hub.new_client("000.00.20.H48", "Sở Y tế");
    for scope in ["snapshot", "changes", "lookup"] {
        hub.ok(&[
            "grant",
            "add",
            "--client",
            &a,
            "--dataset",
            "residents",
            "--scope",
            scope,
            "--fields",
            NOT_SENSITIVE,
            "--basis",
            "Điều 19",
            "--purpose",
            "tiêm chủng",
        ]);
    }
    let (admin, admin_secret) = hub.new_client("000.00.12.H48", "Sở Tài chính");
    hub.ok(&["grant", "add", "--client", &admin, "--dataset", "*", "--scope", "admin", "--basis", "vận hành"]);
    let (_server, base) = hub.serve(&[]);
    let auth = bearer(&base, &a, &secret);
    let data = "/api/v1/datasets/residents";
    get(&base, &auth, &format!("{data}/snapshot?version=1"));
    hub.run_json("residents", Some(&repo().join("data/samples/residents_v2.csv")));
    // v2: Giang (001301067890) inserted, Cường (079202034567) deleted, An (001090012345) unchanged.
    get(&base, &auth, &format!("{data}/records/001301067890"));
    get(&base, &auth, &format!("{data}/snapshot?version=2"));
    get(&base, &auth, &format!("{data}/changes?since=1"));
    get(&base, &auth, &format!("{data}/changes?since=0&format=csv"));
    get(&base, &auth, &format!("{data}/changes?since=2"));
    std::thread::sleep(std::time::Duration::from_millis(300));

    let report = |key: &str| hub.ok_json(&["subject", "report", "--key", key]);
    let giang = report("001301067890");
    let expected = |v: &[(&str, i64, Option<i64>)]| -> Vec<(String, i64, Option<i64>)> {
        v.iter().map(|(r, n, a)| (r.to_string(), *n, *a)).collect()
    };
    assert_eq!(
        disclosed(&giang),
        expected(&[("lookup", 0, None), ("snapshot", 2, None), ("changes", 2, Some(1)), ("changes", 2, Some(0))]),
        "{giang}"
    );
    let first = &giang["disclosures"][1];
    assert_eq!(
        (&first["client"], &first["agency"], &first["purpose"]),
        (&a.clone().into(), &"000.00.20.H48".into(), &"tiêm chủng".into())
    );
    assert_eq!((&first["basis"], &first["delivered"]), (&"Điều 19".into(), &true.into()), "{first}");
    assert!(first["fields"].as_array().is_some_and(|f| f.len() == 6 && !f.contains(&"dan_toc".into())), "{first}");
    assert_eq!(giang["holdings"][0]["versions"], serde_json::json!([[2, null]]), "{giang}");

    let an = report("001090012345");
    assert_eq!(
        disclosed(&an),
        expected(&[("snapshot", 1, None), ("snapshot", 2, None), ("changes", 2, Some(0))]),
        "{an}"
    );
    let cuong = report("079202034567");
    assert_eq!(
        disclosed(&cuong),
        expected(&[("snapshot", 1, None), ("changes", 2, Some(1)), ("changes", 2, Some(0))]),
        "{cuong}"
    );
    // A value held in a personal field finds the person too; an unknown key finds nothing.
    let by_phone = report("0966777888");
    assert_eq!(
        (&by_phone["holdings"][0]["record_key"], &by_phone["holdings"][0]["found_by"]),
        (&"001301067890".into(), &"value".into())
    );
    let nobody = report("000000000000");
    assert_eq!((nobody["holdings"].as_array().unwrap().len(), nobody["disclosures"].as_array().unwrap().len()), (0, 0));

    // The same over the admin API, as JSON and as a printable page; only for the admin.
    let admin_auth = bearer(&base, &admin, &admin_secret);
    let api: serde_json::Value =
        serde_json::from_slice(&get(&base, &admin_auth, "/api/v1/admin/subjects/001301067890")).unwrap();
    assert_eq!(disclosed(&api), disclosed(&giang));
    let page = String::from_utf8(get(&base, &admin_auth, "/api/v1/admin/subjects/001301067890?format=html")).unwrap();
    assert!(page.contains("<html") && page.contains("tiêm chủng") && page.contains("000.00.20.H48"), "{page}");
    let (status, _, _) = curl(&["-H", &auth, &format!("{base}/api/v1/admin/subjects/001301067890")]);
    assert_eq!(status, 403);
    let log = hub.ok(&["audit", "export", "--from", "2000-01-01", "--to", "2100-01-01"]);
    assert!(log.contains("subject report"), "every report is logged");
}

/// A copy of the residents pipeline with `extra` appended to `[publish]` and a retention section.
fn residents_with_retention(hub: &Hub, publish: &str, retention: &str) -> String {
    let text = std::fs::read_to_string(repo().join("pipelines/residents.toml")).unwrap();
    let text = text.replace("[publish]\n", &format!("[publish]\n{publish}\n"));
    let path = hub.objects().with_file_name("residents.toml");
    std::fs::write(&path, format!("{text}\n[retention]\n{retention}\n")).unwrap();
    path.display().to_string()
}

/// `sample` with one row whose identification number is malformed (it goes to quarantine).
fn with_bad_row(hub: &Hub, sample: &str, name: &str, edit: (&str, &str)) -> String {
    let text = std::fs::read_to_string(repo().join("data/samples").join(sample)).unwrap().replace(edit.0, edit.1);
    let path = hub.objects().with_file_name(name);
    std::fs::write(&path, format!("{text}12AB,Người Sai Số,01/01/2000,1,01,01273,0900000000,2026-01-05 08:00:00\n"))
        .unwrap();
    path.display().to_string()
}

#[test]
fn retention_removes_old_quarantine_files_versions_and_audit_details_and_keeps_the_current_version() {
    for hub in Hub::all() {
        retention_on(&hub);
    }
}

fn retention_on(hub: &Hub) {
    hub.ok(&["init"]);
    let pipeline = residents_with_retention(hub, "keep_versions = 2", "quarantine_days = 0\naudit_days = 0");
    let v1 = with_bad_row(hub, "residents_v1.csv", "r1.csv", ("", ""));
    let v2 = with_bad_row(hub, "residents_v2.csv", "r2.csv", ("", ""));
    let v3 = with_bad_row(hub, "residents_v2.csv", "r3.csv", ("0356 555 666", "0356 555 667"));
    let run = |input: &str| hub.ok_json(&["run", &pipeline, "--input", input, "--json"]);
    assert_eq!(run(&v1)["rows_quarantined"], 1);
    let (a, secret) = hub.new_client("000.00.20.H48", "Sở Y tế");
    for scope in ["snapshot", "lookup"] {
        hub.ok(&[
            "grant",
            "add",
            "--client",
            &a,
            "--dataset",
            "residents",
            "--scope",
            scope,
            "--fields",
            NOT_SENSITIVE,
            "--basis",
            "Điều 19",
            "--purpose",
            "tiêm chủng",
        ]);
    }
    let (_server, base) = hub.serve(&[]);
    let auth = bearer(&base, &a, &secret);
    get(&base, &auth, "/api/v1/datasets/residents/records/001090012345");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let objects = hub.objects().join("datasets/residents");

    assert_eq!(run(&v2)["version"], 2);
    assert!(!objects.join("v1/quarantine.parquet").exists(), "v1's quarantine is past its days");
    assert!(objects.join("v1/snapshot.parquet").exists() && objects.join("v2/quarantine.parquet").exists());
    let log = hub.ok(&["audit", "export", "--from", "2000-01-01", "--to", "2100-01-01"]);
    assert!(log.contains("/records/…") && !log.contains("001090012345"), "the looked-up key is redacted: {log}");
    assert!(hub.ok(&["audit", "verify"]).contains("intact"), "a redacted log still verifies");

    // The same rows in another order: nothing to publish, and the run keeps its quarantine.
    let text = std::fs::read_to_string(&v2).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let reordered = hub.objects().with_file_name("r2b.csv");
    std::fs::write(&reordered, lines.join("\n") + "\n").unwrap();
    let unchanged = run(reordered.to_str().unwrap());
    let kept = format!("runs/{}/quarantine.parquet", unchanged["run_id"].as_str().unwrap());
    assert_eq!(
        unchanged["run_quarantine"].as_str(),
        Some(kept.as_str()),
        "an unchanged run keeps its quarantine: {unchanged}"
    );
    let run_quarantine = hub.objects().join(&kept);
    assert!(!run_quarantine.exists(), "the quarantine of a run that published nothing is removed too: {unchanged}");

    assert_eq!(run(&v3)["version"], 3);
    assert!(!objects.join("v1/snapshot.parquet").exists() && objects.join("v1/manifest.json").exists());
    assert!(!objects.join("v2/quarantine.parquet").exists() && objects.join("v2/snapshot.parquet").exists());
    for f in ["snapshot", "changes", "quarantine"] {
        assert!(objects.join(format!("v3/{f}.parquet")).exists(), "the current version keeps its {f}");
    }
    let (status, _, _) = curl(&["-H", &auth, &format!("{base}/api/v1/datasets/residents/snapshot?version=1")]);
    assert_eq!(status, 410);
    get(&base, &auth, "/api/v1/datasets/residents/snapshot");
    // Cường, deleted in v2, is in no kept version: the store no longer holds him.
    let cuong = hub.ok_json(&["subject", "report", "--key", "079202034567"]);
    assert_eq!(cuong["holdings"], serde_json::json!([]), "{cuong}");

    let status = hub.ok(&["status"]);
    assert!(status.contains("removed by retention") && status.contains("quarantine files"), "{status}");
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let report = hub.ok_json(&["report", "monthly", "--month", &month]);
    let kinds: Vec<&str> = report["retention"].as_array().unwrap().iter().filter_map(|r| r[1].as_str()).collect();
    assert!(
        ["versions", "records", "quarantine", "audit"].iter().all(|k| kinds.contains(k)),
        "{}",
        report["retention"]
    );
    assert!(hub.ok(&["audit", "verify"]).contains("intact"));
}
