//! Data contracts against the files they describe: the Frictionless Table Schema validates the
//! CSV export and the JSON Schema every NDJSON record, with the `frictionless` and `jsonschema`
//! Python packages (CI installs them; elsewhere the test is skipped).

mod common;

use common::{repo, Hub};
use std::process::Command;

fn python_has(modules: &str) -> bool {
    let ok = Command::new("python3").args(["-c", &format!("import {modules}")]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("LGSP_TEST_REQUIRE_FRICTIONLESS").is_none(), "{modules} are required (see .ci/run)");
        eprintln!("skipped: python3 cannot import {modules}");
    }
    ok
}

#[test]
fn each_contract_validates_its_export_and_catches_a_value_that_breaks_it() {
    if !python_has("frictionless, jsonschema") {
        return;
    }
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let dir = hub.objects().with_file_name("contracts");
    std::fs::create_dir_all(&dir).unwrap();
    let validate = |name: &str| {
        Command::new("python3")
            .arg(repo().join("tests/contracts/validate.py"))
            .args([dir.to_str().unwrap(), name])
            .output()
            .unwrap()
    };
    for (pipeline, sample) in [("enterprises", "enterprises_v2.csv"), ("residents", "residents_v2.csv")] {
        hub.run_json(pipeline, Some(&repo().join("data/samples").join(sample)));
        for (format, ext) in [("frictionless", "frictionless.json"), ("jsonschema", "jsonschema.json")] {
            let out = dir.join(format!("{pipeline}.{ext}"));
            hub.ok(&["schema", pipeline, "--format", format, "--out", out.to_str().unwrap()]);
        }
        for format in ["csv", "ndjson"] {
            let out = dir.join(format!("{pipeline}.{format}"));
            hub.ok(&["export", pipeline, "--format", format, "--out", out.to_str().unwrap()]);
        }
        let run = validate(pipeline);
        let said = String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success() && said.trim_end().ends_with("ok"), "{pipeline}: {said}");
    }
    // A value the contract rules out is caught in both files: the checks are real.
    let csv = dir.join("residents.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, text.replacen("001090012345", "00109001234X", 1)).unwrap();
    let ndjson = dir.join("residents.ndjson");
    let text = std::fs::read_to_string(&ndjson).unwrap();
    std::fs::write(&ndjson, text.replacen("\"gioi_tinh\":\"1\"", "\"gioi_tinh\":1", 1)).unwrap();
    let run = validate("residents");
    let said = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(!run.status.success(), "{said}");
    assert!(said.contains("field so_dinh_danh") && said.contains("ndjson line"), "{said}");
}

#[test]
fn a_pipeline_change_that_breaks_the_contract_is_refused_until_declared() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("residents", Some(&repo().join("data/samples/residents_v1.csv")));
    let text = std::fs::read_to_string(repo().join("pipelines/residents.toml")).unwrap();
    // The phone becomes an integer: consumers reading "0912345678" as text would break.
    let retyped = text.replace("name = \"so_dien_thoai\"\n", "name = \"so_dien_thoai\"\ntype = \"int\"\n");
    assert_ne!(retyped, text);
    let file = hub.objects().with_file_name("residents.toml");
    std::fs::write(&file, &retyped).unwrap();
    let path = file.to_str().unwrap();
    let input = repo().join("data/samples/residents_v2.csv");
    let input = input.to_str().unwrap();

    let err = hub.fails(&["check", path]);
    assert!(
        err.contains("field 'so_dien_thoai' changes type from string to int") && err.contains("contract_version = 2"),
        "{err}"
    );
    let err = hub.fails(&["run", path, "--input", input]);
    assert!(err.contains("field 'so_dien_thoai'") && err.contains("--allow-breaking"), "{err}");
    assert_eq!(hub.ok_json(&["versions", "residents", "--json"])["version"], 1, "nothing was published");

    // Declared: the contract's version goes up, and the run publishes.
    // (Every record's phone is rewritten: the update gate is opened for this run's file.)
    std::fs::write(&file, format!("contract_version = 2\n{retyped}\n[gates]\nmax_update_fraction = 1.0\n")).unwrap();
    assert!(hub.ok(&["check", path]).starts_with("ok"));
    assert_eq!(hub.ok_json(&["run", path, "--input", input, "--json"])["version"], 2);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(hub.objects().join("datasets/residents/v2/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["contract_version"], 2);
    // A renamed (or removed) field is refused too.
    let without = retyped.replace("name = \"ho_ten\"", "name = \"ho_va_ten\"");
    std::fs::write(&file, format!("contract_version = 2\n{without}")).unwrap();
    let err = hub.fails(&["check", path]);
    assert!(err.contains("field 'ho_ten' is removed (or renamed)"), "{err}");
}
