//! Runs killed with SIGKILL at several points (extract, spill, publish, commit): the previous
//! version stays current and intact, the killed run is marked `interrupted` once its lease has
//! expired, its temporary files are removed, and the next run equals a clean run.

mod common;

use common::Hub;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: usize = 150_000;

/// Whether the run of process `pid` has reached a kill point.
type Reached<'a> = Box<dyn Fn(u32) -> bool + 'a>;

fn write_inputs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut v1 = String::from("ma,ten,ngay\n");
    let mut v2 = String::from("ma,ten,ngay\n");
    for i in 0..ROWS {
        v1.push_str(&format!("{i:08},Đơn vị số {i},2024-01-15\n"));
        let name = if i % 10 == 0 { format!("Đơn vị đổi tên {i}") } else { format!("Đơn vị số {i}") };
        v2.push_str(&format!("{i:08},{name},2024-01-15\n"));
    }
    for i in ROWS..ROWS + 1000 {
        v2.push_str(&format!("{i:08},Đơn vị mới {i},2025-07-01\n"));
    }
    let (toml, p1, p2) = common::units::write(dir, "[[fields]]\nname = \"ngay\"\ntype = \"date\"\n", &v1, &v2);
    (p1, p2, toml)
}

/// `lgsp run` as a child process with its own TMPDIR and a one-second run lease.
fn run_cmd(hub: &Hub, tmp: &Path, toml: &Path, input: &Path) -> Command {
    lgsp(hub, tmp, &["run", toml.to_str().unwrap(), "--input", input.to_str().unwrap(), "--json"])
}

/// `lgsp ARGS` with its own TMPDIR and a one-second run lease.
fn lgsp(hub: &Hub, tmp: &Path, args: &[&str]) -> Command {
    let mut c = hub.command(args);
    c.env("LGSP_RUN_LEASE_SECONDS", "1").env("TMPDIR", tmp).stdout(Stdio::null()).stderr(Stdio::null());
    c
}

fn sha256_file(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

/// Every file of version 1 still matches its manifest.
fn v1_intact(hub: &Hub) {
    let manifest = hub.objects().join("datasets/units/v1/manifest.json");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
    for (name, f) in m["files"].as_object().unwrap() {
        let path = hub.objects().join(f["path"].as_str().unwrap());
        assert_eq!(sha256_file(&path), f["sha256"].as_str().unwrap(), "v1 {name} changed");
    }
}

fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lgsp-"))
        .collect()
}

fn snapshot_rows(hub: &Hub, version: u64) -> Vec<String> {
    let df = hub.read_parquet(&format!("datasets/units/v{version}/snapshot.parquet"));
    let mut rows: Vec<String> = (0..df.height())
        .map(|i| df.columns().iter().take(3).map(|c| format!("{}", c.get(i).unwrap())).collect::<Vec<_>>().join("|"))
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_killed_run_is_marked_interrupted_leaves_nothing_behind_and_the_next_run_is_clean() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let tmp = hub.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let (v1, v2, toml) = write_inputs(hub.dir.path());
    assert!(run_cmd(&hub, &tmp, &toml, &v1).status().unwrap().success());

    // A clean run of v2 on a second hub: the reference, and the time the kills are spread over.
    let clean = Hub::sqlite();
    clean.ok(&["init"]);
    let ctmp = clean.dir.path().join("tmp");
    std::fs::create_dir(&ctmp).unwrap();
    assert!(run_cmd(&clean, &ctmp, &toml, &v1).status().unwrap().success());
    let t0 = Instant::now();
    assert!(run_cmd(&clean, &ctmp, &toml, &v2).status().unwrap().success());
    let took = t0.elapsed();

    // Kill points: once the spill folder exists (extract), once it holds a batch (spill), once
    // version 2's files are being written (publish), and once its manifest exists (just before
    // the commit).
    let v2_dir = hub.objects().join("datasets/units/v2");
    // Files in the spill folder of process `pid`, once it exists.
    let spill_files = |pid: u32| -> Option<usize> {
        let dir = leftovers(&tmp).into_iter().find(|n| n.starts_with(&format!("lgsp-{pid}-spill-")))?;
        Some(std::fs::read_dir(tmp.join(dir)).ok()?.count())
    };
    let points: [(&str, Reached); 4] = [
        ("extract", Box::new(|pid| spill_files(pid).is_some())),
        ("spill", Box::new(|pid| spill_files(pid).is_some_and(|n| n > 0))),
        ("publish", Box::new(|_| std::fs::read_dir(&v2_dir).is_ok_and(|mut d| d.next().is_some()))),
        ("commit", Box::new(|_| v2_dir.join("manifest.json").exists())),
    ];
    let mut interrupted = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (point, reached) in points {
        // Files of an earlier killed attempt at version 2 are referenced by nothing.
        let _ = std::fs::remove_dir_all(&v2_dir);
        let mut child = run_cmd(&hub, &tmp, &toml, &v2).spawn().unwrap();
        let deadline = Instant::now() + took * 20;
        while !reached(child.id()) && child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        child.wait().unwrap();
        let published = hub.ok(&["versions", "units"]).lines().count();
        if published == 2 {
            break; // the kill came after the commit: the version stands, as committed
        }
        assert_eq!(published, 1, "[{point}] the previous version stays current");
        v1_intact(&hub);
        std::thread::sleep(Duration::from_millis(1200));
        let runs = lgsp(&hub, &tmp, &["runs", "--json", "--limit", "1"]).stdout(Stdio::piped()).output().unwrap();
        let last: serde_json::Value =
            serde_json::from_slice(runs.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
        assert_eq!(last["status"], "interrupted", "[{point}] {last}");
        assert!(seen.insert(last["id"].to_string()), "[{point}] a new run each time: {last}");
        assert!(last["error"].as_str().unwrap().contains("last seen alive"), "{last}");
        interrupted.push(point);
    }
    assert!(interrupted.len() >= 3, "kills inside the run: {interrupted:?}");

    // The next run sweeps the dead runs' files and publishes what a clean run publishes.
    assert!(!leftovers(&tmp).is_empty(), "the killed runs left temporary files behind");
    let out = run_cmd(&hub, &tmp, &toml, &v2).status().unwrap();
    assert!(out.success());
    assert_eq!(leftovers(&tmp), Vec::<String>::new(), "temporary files of dead runs removed");
    assert_eq!(hub.ok(&["versions", "units"]).lines().count(), 2);
    assert_eq!(snapshot_rows(&hub, 2), snapshot_rows(&clean, 2), "the next run equals a clean run");
}
