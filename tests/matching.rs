//! Matching on FEBRL data with ground truth: quality of the whole model, and `explain` adding up
//! to the probability it prints.

mod common;

use common::repo;
use std::process::Command;

fn lgsp(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lgsp")).args(args).current_dir(repo()).output().unwrap();
    assert!(out.status.success(), "lgsp {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The FEBRL spec with fewer random pairs (a quicker test).
fn spec(dir: &std::path::Path, name: &str) -> String {
    let text = std::fs::read_to_string(repo().join("matching").join(name))
        .unwrap()
        .replace("review_threshold = 0.5", "review_threshold = 0.5\nu_pairs = 200000");
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn febrl_pairs_are_found_with_and_without_the_national_id() {
    let dir = tempfile::tempdir().unwrap();
    for (name, min_f1) in [("febrl.toml", 0.99), ("febrl_no_ssn.toml", 0.98)] {
        let out = lgsp(&[
            "match",
            "eval",
            "--spec",
            &spec(dir.path(), name),
            "--input",
            "data/linkage/febrl_dataset1.csv",
            "--truth",
            r"rec-(\d+)-",
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let e = &v["evaluation"];
        assert_eq!(e["true_pairs"], 500, "{v}");
        let f1 = e["f1"].as_f64().unwrap();
        assert!(f1 >= min_f1, "{name}: F1 {f1} < {min_f1}: {v}");
        assert!(e["precision"].as_f64().unwrap() >= 0.99, "{name}: {v}");
    }
}

#[test]
fn explain_shows_weights_that_add_up_to_the_probability() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), "febrl_no_ssn.toml");
    let out = lgsp(&[
        "match",
        "explain",
        "--spec",
        &s,
        "--input",
        "data/linkage/febrl_dataset1.csv",
        "rec-0-org",
        "rec-0-dup-0",
    ]);
    let total: f64 = out
        .lines()
        .find(|l| l.starts_with("total"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    let steps: f64 = out
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("total"))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum();
    assert!((total - steps).abs() < 0.1, "the rows add up to the total:\n{out}");
    let p: f64 = out.lines().find_map(|l| l.strip_prefix("match probability ")).unwrap().parse().unwrap();
    let expected = total.exp2() / (1.0 + total.exp2());
    assert!((p - expected).abs() < 1e-3, "probability {p} is the total weight's {expected}:\n{out}");
    assert!(p > 0.9, "a true duplicate:\n{out}");
    let out = lgsp(&[
        "match",
        "explain",
        "--spec",
        &s,
        "--input",
        "data/linkage/febrl_dataset1.csv",
        "rec-0-org",
        "rec-1-org",
    ]);
    let p: f64 = out.lines().find_map(|l| l.strip_prefix("match probability ")).unwrap().parse().unwrap();
    assert!(p < 0.5, "two different people:\n{out}");
}

#[test]
fn eval_sweeps_thresholds_and_explains_false_positives() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), "febrl_no_ssn.toml");
    // Every candidate above one in a million is kept, so the sweep has wrong pairs to explain.
    let text = std::fs::read_to_string(&s).unwrap().replace("review_threshold = 0.5", "review_threshold = 0.000001");
    std::fs::write(&s, text).unwrap();
    let out = lgsp(&[
        "match",
        "eval",
        "--spec",
        &s,
        "--input",
        "data/linkage/febrl_dataset2.csv",
        "--truth",
        r"rec-(\d+)-",
        "--threshold",
        "0.000001",
        "--false-positives",
        "2",
    ]);
    let recalls: Vec<f64> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("at "))
        .map(|l| l.split("recall ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(recalls.len(), 6, "six thresholds:\n{out}");
    assert!(recalls.windows(2).all(|w| w[0] >= w[1]), "recall falls as the threshold rises:\n{out}");
    let wrong: Vec<(&str, &str, f64)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("false positive "))
        .map(|l| {
            let (pair, p) = l.split_once(": probability ").unwrap();
            let (a, b) = pair.split_once(" / ").unwrap();
            (a, b, p.parse().unwrap())
        })
        .collect();
    assert_eq!(wrong.len(), 2, "{out}");
    let entity = |id: &str| id.split('-').nth(1).unwrap().to_string();
    for (a, b, p) in &wrong {
        assert!(entity(a) != entity(b) && *p >= 0.000001, "{a} / {b} ({p}) is a false positive above the threshold");
    }
    assert!(wrong[0].2 >= wrong[1].2, "most probable first");
}

fn eval_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["match", "eval", "--json"];
    all.extend_from_slice(args);
    let out = lgsp(&all);
    serde_json::from_str(out.trim()).unwrap()
}

#[test]
fn febrl4_is_linked_across_its_two_files() {
    let v = eval_json(&[
        "--spec",
        "matching/febrl4_link.toml",
        "--input",
        "data/linkage/febrl_dataset4a.csv",
        "--input",
        "data/linkage/febrl_dataset4b.csv",
        "--truth",
        r"rec-(\d+)-",
    ]);
    let e = &v["evaluation"];
    assert_eq!(e["true_pairs"], 5000, "{v}");
    assert!(e["f1"].as_f64().unwrap() > 0.9906, "F1 above the reference's 0.9906: {v}");
}

/// Vietnamese persons of six agencies (households, twins, CMND beside CCCD, year-only births):
/// the shipped spec and the specs a steward writes first, all at the default threshold.
#[test]
fn vietnamese_persons_match_with_the_shipped_spec_and_with_naive_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new("python3")
        .arg(repo().join("scripts/gen_vn_persons.py"))
        .args(["--registry", "--persons", "2500", "--seed", "5", "--out"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(ok.success());
    let input = dir.path().join("registry.csv").display().to_string();
    for (spec, min_f1, min_precision) in [
        ("matching/vn_person.toml", 0.985, 0.995),
        ("matching/eval/steward_first.toml", 0.95, 0.95),
        ("matching/eval/steward_no_id.toml", 0.95, 0.95),
        ("matching/eval/steward_every_column.toml", 0.95, 0.95),
    ] {
        let v = eval_json(&["--spec", spec, "--input", &input, "--truth-column", "person"]);
        let e = &v["evaluation"];
        let (f1, p) = (e["f1"].as_f64().unwrap(), e["precision"].as_f64().unwrap());
        assert!(f1 >= min_f1 && p >= min_precision, "{spec}: F1 {f1}, precision {p}: {v}");
    }
}
