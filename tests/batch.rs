//! The batch path end to end, through the real binary, on SQLite and PostgreSQL.

mod common;

use common::{repo, Hub};
use polars::prelude::*;

fn sample(name: &str) -> std::path::PathBuf {
    repo().join("data/samples").join(name)
}

fn n(v: &serde_json::Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// Applies a change set to a snapshot: drop pre-images and deletes, add inserts and post-images.
fn apply(snapshot: &DataFrame, changes: &DataFrame, key: &str) -> DataFrame {
    let gone = changes
        .clone()
        .lazy()
        .filter(
            col("_change_type")
                .is_in(lit(Series::new("t".into(), ["update_preimage", "delete"])).implode(false), false),
        )
        .select([col(key)]);
    let added = changes
        .clone()
        .lazy()
        .filter(
            col("_change_type")
                .is_in(lit(Series::new("t".into(), ["insert", "update_postimage"])).implode(false), false),
        )
        .drop(cols(["_change_type"]));
    let kept = snapshot.clone().lazy().drop(cols(["_row_hash"])).join(
        gone,
        [col(key)],
        [col(key)],
        JoinArgs::new(JoinType::Anti),
    );
    concat([kept, added], UnionArgs::default()).unwrap().sort([key], SortMultipleOptions::default()).collect().unwrap()
}

fn check_counts(run: &serde_json::Value, snapshot_rows: u64) {
    assert_eq!(n(run, "rows_read"), n(run, "rows_valid") + n(run, "rows_quarantined"), "{run}");
    assert_eq!(n(run, "rows_valid"), snapshot_rows + n(run, "duplicates_collapsed"), "{run}");
}

#[test]
fn samples_publish_two_versions_whose_changes_rebuild_the_snapshot() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        let v1 = hub.run_json("enterprises", Some(&sample("enterprises_v1.csv")));
        assert_eq!(v1["version"], 1, "[{}] {v1}", hub.kind());
        assert_eq!(v1["status"], "published");
        let s1 = hub.read_parquet(v1["snapshot"].as_str().unwrap());
        check_counts(&v1, s1.height() as u64);
        assert_eq!(n(&v1, "inserted"), s1.height() as u64);
        assert_eq!(n(&v1, "rows_read"), 3000);
        // 24 defects are injected; one of them, "30.04.2018", is a valid dd.mm.yyyy date.
        assert_eq!(n(&v1, "rows_quarantined"), 23, "{v1}");
        let q = hub.read_parquet(v1["quarantine"].as_str().unwrap());
        let reasons: String = q.column("_reasons").unwrap().str().unwrap().iter().flatten().collect();
        for (rule, field) in [
            ("required", "ma_so_thue"),
            ("tax_code", "ma_so_thue"),
            ("required", "ten_doanh_nghiep"),
            ("in_catalog", "ma_xa"),
            ("type", "ngay_cap"),
        ] {
            assert!(reasons.contains(&format!("\"rule\":\"{rule}\",\"field\":\"{field}\"")), "no {rule} on {field}");
        }
        assert!(n(&v1, "duplicates_collapsed") > 0);

        let v2 = hub.run_json("enterprises", Some(&sample("enterprises_v2.csv")));
        assert_eq!(v2["version"], 2, "{v2}");
        let s2 = hub.read_parquet(v2["snapshot"].as_str().unwrap());
        check_counts(&v2, s2.height() as u64);
        let changes = hub.read_parquet(v2["changes"].as_str().unwrap());
        assert!(n(&v2, "inserted") > 0 && n(&v2, "updated") > 0 && n(&v2, "deleted") > 0, "{v2}");
        for (name, df) in [("snapshot v1", &s1), ("snapshot v2", &s2), ("changes v2", &changes)] {
            let keys: Vec<&str> = df.column("ma_so_thue").unwrap().str().unwrap().iter().flatten().collect();
            assert!(keys.windows(2).all(|w| w[0] <= w[1]), "[{}] {name} is not sorted by key", hub.kind());
        }
        let rebuilt = apply(&s1, &changes, "ma_so_thue");
        let expected = s2.drop("_row_hash").unwrap();
        assert!(rebuilt.equals_missing(&expected), "[{}] snapshot(v2) != snapshot(v1) + changes(v2)", hub.kind());

        let again = hub.run_json("enterprises", Some(&sample("enterprises_v2.csv")));
        assert_eq!(again["status"], "unchanged", "{again}");
        assert_eq!(again["version"], 2);
        assert!(again["manifest"].is_null());
        assert!(again["run_quarantine"].is_null(), "version 2 holds the quarantine of the same input");
        // A new bad row whose key is valid: the record keeps its row, nothing is published, and
        // the run keeps its quarantine.
        let text =
            std::fs::read_to_string(sample("enterprises_v2.csv")).unwrap().replacen("17/11/1995", "31/02/1995", 1);
        let bad = hub.dir.path().join("v2-bad-date.csv");
        std::fs::write(&bad, text).unwrap();
        let held = hub.run_json("enterprises", Some(&bad));
        assert_eq!((held["status"].as_str(), n(&held, "kept_previous")), (Some("unchanged"), 1), "{held}");
        let kept = hub.read_parquet(held["run_quarantine"].as_str().expect("the run's quarantine"));
        assert_eq!(kept.height() as u64, n(&held, "rows_quarantined"));
        assert_eq!(n(&held, "rows_quarantined"), n(&again, "rows_quarantined") + 1);
        let versions = hub.ok(&["versions", "enterprises"]);
        assert_eq!(versions.lines().count(), 2, "{versions}");
    }
}

#[test]
fn manifest_lists_every_file_with_its_checksum() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let v1 = hub.run_json("enterprises", Some(&sample("enterprises_v1.csv")));
    let text = std::fs::read_to_string(hub.objects().join(v1["manifest"].as_str().unwrap())).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["key"], serde_json::json!(["ma_so_thue"]));
    assert_eq!(m["version"], 1);
    // The data dictionary says which fields are personal data.
    let field = |name: &str| m["schema"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap().clone();
    assert_eq!(field("so_dien_thoai")["personal"], "basic", "{}", m["schema"]);
    assert!(field("ma_so_thue").get("personal").is_none(), "not personal data: {}", m["schema"]);
    for name in ["snapshot", "changes", "quarantine", "duplicates"] {
        let f = &m["files"][name];
        let bytes = std::fs::read(hub.objects().join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["bytes"].as_u64().unwrap(), bytes.len() as u64, "{name}");
        assert_eq!(f["sha256"].as_str().unwrap(), lgsp_hub::digest::sha256_hex(&bytes), "{name}");
    }
    let q = hub.read_parquet(v1["quarantine"].as_str().unwrap());
    assert_eq!(q.height() as u64, n(&v1, "rows_quarantined"));
    let reasons = q.column("_reasons").unwrap().str().unwrap();
    assert!(reasons.iter().all(|r| r.is_some_and(|r| r.contains("\"rule\""))));
}

#[test]
fn legacy_vni_dataset_comes_out_as_nfc_text() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let run = hub.run_json("health_facilities", None);
    assert_eq!(run["status"], "published", "{run}");
    assert_eq!(n(&run, "rows_quarantined"), 1, "the sample's one bad row: {run}");
    let snap = hub.read_parquet(run["snapshot"].as_str().unwrap());
    let expected = CsvReadOptions::default()
        .with_parse_options(CsvParseOptions::default().with_separator(b';'))
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(sample("health_facilities_v1.utf8.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let names: Vec<&str> = snap.column("ten_co_so").unwrap().str().unwrap().iter().flatten().collect();
    let want: std::collections::HashSet<&str> =
        expected.column("Tên cơ sở").unwrap().str().unwrap().iter().flatten().collect();
    assert_eq!(names.len(), 400);
    for name in names {
        assert!(want.contains(name), "{name:?} is not a name of the UTF-8 reference");
        assert!(unicode_normalization::is_nfc(name));
    }
    let phones = snap.column("dien_thoai").unwrap().str().unwrap();
    assert!(phones.iter().flatten().all(|p| !p.starts_with("01") && (p.len() == 10 || p.starts_with("02"))));
}

/// Compares `actual` with the golden file `tests/golden/NAME` (rewritten when UPDATE_GOLDEN=1).
fn golden(name: &str, actual: &str) {
    let path = repo().join("tests/golden").join(name);
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing golden file {}", path.display()));
    assert!(
        expected == actual,
        "{} differs from the output (UPDATE_GOLDEN=1 rewrites it after review)",
        path.display()
    );
}

#[test]
fn health_facilities_snapshot_and_quarantine_match_golden_files() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let run = hub.run_json("health_facilities", None);
    let out = hub.dir.path().join("snapshot.csv");
    hub.ok(&["export", "health_facilities", "--format", "csv", "--out", out.to_str().unwrap()]);
    golden("health_facilities_v1.snapshot.csv", &std::fs::read_to_string(&out).unwrap());
    let mut q = hub.read_parquet(run["quarantine"].as_str().unwrap());
    let mut text = Vec::new();
    CsvWriter::new(&mut text).finish(&mut q).unwrap();
    golden("health_facilities_v1.quarantine.csv", &String::from_utf8(text).unwrap());
}
