//! Bad input gets a one-line error naming where and what, and leaves the current version as it was.

mod common;

use common::{repo, Hub};
use std::path::PathBuf;

fn write(hub: &Hub, name: &str, bytes: &[u8]) -> PathBuf {
    let p = hub.dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    lines[0]
}

fn v1_text() -> String {
    std::fs::read_to_string(repo().join("data/samples/enterprises_v1.csv")).unwrap()
}

#[test]
fn pipeline_file_with_unknown_key_is_named_with_its_key_path() {
    let hub = Hub::sqlite();
    let text = std::fs::read_to_string(repo().join("pipelines/enterprises.toml")).unwrap();
    let bad = write(
        &hub,
        "bad.toml",
        text.replace("required = true\nnormalize = [\"upper\"]", "requried = true\nnormalize = [\"upper\"]").as_bytes(),
    );
    let err = hub.fails(&["check", bad.to_str().unwrap()]);
    let line = one_line(&err);
    assert!(line.contains("bad.toml") && line.contains("fields[1]") && line.contains("requried"), "{line}");
    let ok = hub.ok(&["check", "pipelines"]);
    assert!(ok.contains("enterprises") && ok.contains("health_facilities"), "{ok}");
}

#[test]
fn bad_files_fail_the_run_and_keep_the_current_version() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        let missing_col = write(&hub, "missing.csv", v1_text().replacen("ma_xa,", "ma_phuong,", 1).as_bytes());
        let mut bad_utf8 = v1_text().into_bytes();
        let third_line = bad_utf8.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).map(|(i, _)| i + 1).unwrap();
        bad_utf8.insert(third_line + 12, 0xff);
        let undecodable = write(&hub, "undecodable.csv", &bad_utf8);
        let empty = write(&hub, "empty.csv", b"");
        let mut bin = vec![0x50u8, 0x4b, 0x03, 0x04, 0, 0, 0, 0];
        bin.extend(std::iter::repeat_n(7u8, 200));
        let binary = write(&hub, "binary.csv", &bin);
        let header_only = write(&hub, "header.csv", b"ma_so_thue,ten_doanh_nghiep,dia_chi,ma_xa,ngay_cap,so_dien_thoai,email,trang_thai,von_dieu_le,updated_at\n");
        let cases = [
            (&missing_col, vec!["missing.csv", "column 'ma_xa'"]),
            (&undecodable, vec!["undecodable.csv", "line 3", "UTF-8"]),
            (&empty, vec!["empty.csv", "empty"]),
            (&binary, vec!["binary.csv", "binary"]),
            (&header_only, vec!["header.csv", "no data rows"]),
        ];
        for (file, words) in cases {
            let err = hub.fails(&["run", "enterprises", "--input", file.to_str().unwrap()]);
            let line = one_line(&err);
            for w in words {
                assert!(line.contains(w), "[{}] '{w}' not in: {line}", hub.kind());
            }
        }
        let versions = hub.ok(&["versions", "enterprises"]);
        assert_eq!(versions.lines().count(), 1, "still only version 1: {versions}");
        let failed = hub.ok(&["runs", "--failed", "--json"]);
        assert_eq!(failed.lines().count(), 5, "{failed}");
        let v2 = hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")));
        assert_eq!(v2["version"], 2, "the next good run publishes");
    }
}

#[test]
fn a_closed_pipe_ends_a_command_quietly_and_json_failures_are_json() {
    use std::io::Read;
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    // Many lines, read one byte of them, then close the pipe.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lgsp"))
        .args(["catalog", "show", "communes", "--as-of", "2025-06-30"])
        .current_dir(repo())
        .env("LGSP_STORE_URL", &hub.store_url)
        .env("LGSP_OBJECT_STORE_URL", hub.objects())
        .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut one = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut one).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");

    let out = hub.lgsp(&["run", "enterprises", "--json", "--input", "/nonexistent/file.csv"]);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON error object on stdout");
    assert!(v["error"].as_str().unwrap().contains("/nonexistent/file.csv"), "{v}");
}
