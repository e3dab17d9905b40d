//! Publishing to an S3-compatible object store (a moto server started by the test on 127.0.0.1).

mod common;

use common::{repo, start_s3, Hub};
use std::process::Command;

#[test]
fn versions_publish_to_an_s3_compatible_store() {
    let Some((_server, endpoint)) = start_s3() else { return };
    let hub = Hub::sqlite();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(args)
            .current_dir(repo())
            .env("LGSP_STORE_URL", &hub.store_url)
            .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
            .env("LGSP_OBJECT_STORE_URL", "s3://lgsp/hub")
            .env("AWS_ENDPOINT", &endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "t")
            .env("AWS_SECRET_ACCESS_KEY", "t")
            .env("AWS_REGION", "us-east-1")
            .output()
            .expect("lgsp");
        assert!(out.status.success(), "lgsp {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["init"]);
    let v1: serde_json::Value = serde_json::from_str(
        run(&["run", "enterprises", "--input", "data/samples/enterprises_v1.csv", "--json"]).trim(),
    )
    .unwrap();
    let v2: serde_json::Value = serde_json::from_str(
        run(&["run", "enterprises", "--input", "data/samples/enterprises_v2.csv", "--json"]).trim(),
    )
    .unwrap();
    assert_eq!((v1["version"].as_i64(), v2["version"].as_i64()), (Some(1), Some(2)));
    let out = hub.dir.path().join("changes.ndjson");
    run(&["export", "enterprises", "--changes-since", "1", "--format", "ndjson", "--out", out.to_str().unwrap()]);
    let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
    let n = |k: &str| v2[k].as_u64().unwrap();
    assert_eq!(lines, n("inserted") + 2 * n("updated") + n("deleted"), "changes read back from the bucket");
}
