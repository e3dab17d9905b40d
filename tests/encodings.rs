//! Encoding safety: a legacy file declared in the wrong encoding is refused, naming the
//! encoding it reads in, and never published; `encoding = "auto"` (or `--encoding auto`)
//! finds the right one.

mod common;

use common::{repo, Hub};

fn sample() -> String {
    repo().join("data/samples/health_facilities_v1.csv").display().to_string()
}

#[test]
fn vni_declared_as_windows_1258_is_refused_and_names_vni() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let err = hub.fails(&["run", "health_facilities", "--input", &sample(), "--encoding", "windows-1258"]);
    assert!(err.contains("health_facilities_v1.csv"), "{err}");
    assert!(err.contains("does not read as Vietnamese in windows-1258"), "{err}");
    assert!(err.contains("it reads as vni") && err.contains("encoding = \"vni\""), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!err.contains('\u{1b}'), "no terminal colours in a pipe: {err}");
    assert!(hub.fails(&["versions", "health_facilities"]).contains("no published version"));
    for wrong in ["tcvn3", "utf-8"] {
        let err = hub.fails(&["run", "health_facilities", "--input", &sample(), "--encoding", wrong]);
        assert!(err.contains("vni"), "{wrong}: {err}");
    }
}

#[test]
fn auto_reads_the_legacy_file_as_declaring_it_would() {
    let auto = Hub::sqlite();
    auto.ok(&["init"]);
    let a = auto.ok_json(&["run", "health_facilities", "--input", &sample(), "--encoding", "auto", "--json"]);
    let declared = Hub::sqlite();
    declared.ok(&["init"]);
    let d = declared.run_json("health_facilities", None);
    assert_eq!(a["status"], "published", "{a}");
    for k in ["rows_read", "rows_valid", "rows_quarantined", "inserted", "input_sha256"] {
        assert_eq!(a[k], d[k], "{k}");
    }
    let snap = |hub: &Hub, r: &serde_json::Value| hub.read_parquet(r["snapshot"].as_str().unwrap());
    assert!(snap(&auto, &a).equals_missing(&snap(&declared, &d)), "same snapshot");
    // The UTF-8 copy of the file is UTF-8 to `auto`.
    let utf8 = repo().join("data/samples/health_facilities_v1.utf8.csv").display().to_string();
    let u = auto.ok_json(&["run", "health_facilities", "--input", &utf8, "--encoding", "auto", "--json"]);
    assert_eq!((u["status"].as_str(), u["rows_read"].clone()), (Some("unchanged"), d["rows_read"].clone()), "{u}");
}
