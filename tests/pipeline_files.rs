//! Bad pipeline files: `lgsp check` reports every one (unknown catalog names included), and
//! `lgsp serve` skips them with an error each and a metric, and serves the rest.

mod common;

use common::{repo, Hub};
use std::process::{Command, Stdio};

fn enterprises() -> String {
    std::fs::read_to_string(repo().join("pipelines/enterprises.toml")).unwrap()
}

/// A pipelines folder with the enterprises pipeline, one with a misspelt catalog, one broken.
fn folder(hub: &Hub) -> std::path::PathBuf {
    let dir = hub.dir.path().join("pipelines");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("enterprises.toml"), enterprises()).unwrap();
    let typo = enterprises()
        .replace("id = \"enterprises\"", "id = \"typo\"")
        .replace("catalog = \"communes\"", "catalog = \"comunes\"");
    std::fs::write(dir.join("typo.toml"), typo).unwrap();
    std::fs::write(dir.join("broken.toml"), "id = \"broken\"\nthis is not toml\n").unwrap();
    dir
}

#[test]
fn check_reports_every_bad_file_and_names_unknown_catalogs() {
    let hub = Hub::sqlite();
    let dir = folder(&hub);
    let out = hub.lgsp(&["check", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ok ") && stdout.contains("enterprises.toml"), "{stdout}");
    assert!(stderr.contains("broken.toml"), "{stderr}");
    let typo = stderr.lines().find(|l| l.contains("typo.toml")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(typo.contains("rules[0].catalog") && typo.contains("unknown catalog 'comunes'"), "{typo}");
    assert!(typo.contains("communes") && typo.contains("provinces"), "the known catalogs are listed: {typo}");
}

#[test]
fn serve_skips_bad_pipeline_files_and_serves_the_rest() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let dir = folder(&hub);
    let port = common::free_port();
    let log = hub.dir.path().join("serve.log");
    let child = Command::new(env!("CARGO_BIN_EXE_lgsp"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(repo())
        .env("LGSP_STORE_URL", &hub.store_url)
        .env("LGSP_OBJECT_STORE_URL", hub.objects())
        .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
        .env("LGSP_PIPELINES_DIR", &dir)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let _server = common::Child(child);
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if common::curl(&[&format!("{base}/healthz")]).0 == 200 {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(up, "serve started: {}", std::fs::read_to_string(&log).unwrap_or_default());
    let (_, _, metrics) = common::curl(&[&format!("{base}/metrics")]);
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains("lgsp_pipeline_files_invalid 2"), "{metrics}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("broken.toml") && log.contains("typo.toml"), "an error per bad file: {log}");
}
