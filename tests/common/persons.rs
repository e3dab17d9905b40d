//! Two agencies' person records for the master-entity tests: generated files with known
//! truth, a pipeline per agency matching them into `person` entities, and `lgsp` run with the
//! hub's own pipelines folder.

use super::{repo, Hub};
use std::collections::HashMap;
use std::process::Command;

/// Writes the pipeline file of agency `name` (key field `key`) into the hub's pipelines folder.
pub fn pipeline(hub: &Hub, name: &str, key: &str) -> String {
    let text = format!(
        r#"id = "{name}"
owner = "000.00.00.H48"
dataset = "{name}"
key = ["{key}"]

[source]
kind = "csv"
path = "{dir}/{name}.csv"

[[fields]]
name = "{key}"
required = true

[[fields]]
name = "ho_ten"
required = true

[[fields]]
name = "ngay_sinh"
type = "date"

[[fields]]
name = "so_dien_thoai"
normalize = ["phone"]

[[fields]]
name = "ma_xa"
normalize = [{{ successor = "communes" }}]

[[fields]]
name = "person"

[matching]
entity = "person"
blocking = [["ngay_sinh"], ["so_dien_thoai"], ["ho_ten:3", "ma_xa"]]
match_threshold = 0.9
review_threshold = 0.000000001
u_pairs = 200000

[[matching.comparisons]]
column = "ho_ten"
kind = "name"
term_frequency = true

[[matching.comparisons]]
column = "ngay_sinh"
kind = "date"

[[matching.comparisons]]
column = "so_dien_thoai"
kind = "digits"

[[matching.comparisons]]
column = "ma_xa"
kind = "exact"

[[matching.golden]]
column = "ho_ten"
rule = "most_complete"

[[matching.golden]]
column = "so_dien_thoai"
rule = "source_priority"
sources = ["health", "education"]

[[matching.golden]]
column = "ma_xa"
rule = "most_recent"
by = "ngay_sinh"
"#,
        dir = hub.dir.path().join("data").display()
    );
    let dir = hub.dir.path().join("pipelines");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `lgsp ARGS` with the hub's store and pipelines folder, asserting success; its stdout.
pub fn lgsp(hub: &Hub, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
        .args(args)
        .current_dir(repo())
        .env("LGSP_STORE_URL", &hub.store_url)
        .env("LGSP_OBJECT_STORE_URL", hub.objects())
        .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
        .env("LGSP_PIPELINES_DIR", hub.dir.path().join("pipelines"))
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "[{}] lgsp {args:?}: {}", hub.kind(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// source|key → master id.
pub fn masters(hub: &Hub) -> HashMap<String, String> {
    hub.query("SELECT source, source_key, master_id FROM entity_xref WHERE entity = 'person'")
        .lines()
        .map(|l| {
            let p: Vec<&str> = l.split('|').collect();
            (format!("{}|{}", p[0], p[1]), p[2].to_string())
        })
        .collect()
}

/// Two agencies' files of generated persons (health.csv, education.csv) in the hub's `data`.
pub fn generate(hub: &Hub) -> std::path::PathBuf {
    let data = hub.dir.path().join("data");
    let ok = Command::new("python3")
        .arg(repo().join("scripts/gen_vn_persons.py"))
        .args(["--persons", "400", "--seed", "3", "--out"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(ok.success());
    data
}

/// Runs both agencies' pipelines on generated persons.
pub fn load_two_agencies(hub: &Hub) {
    hub.ok(&["init"]);
    generate(hub);
    for (name, key) in [("health", "ma_bn"), ("education", "ma_hs")] {
        let p = pipeline(hub, name, key);
        lgsp(hub, &["run", &p]);
    }
}
