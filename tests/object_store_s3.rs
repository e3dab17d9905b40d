//! Publishing to an S3-compatible object store (a moto server started by the test on 127.0.0.1).

mod common;

use common::{repo, Hub};
use std::process::{Child, Command, Stdio};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts `moto_server` and creates a bucket, or returns `None` (and says so) when it is missing.
fn start_s3() -> Option<(Server, String)> {
    if Command::new("moto_server").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        if std::env::var("LGSP_TEST_REQUIRE_S3").is_ok_and(|v| v == "1") {
            panic!("moto_server is required (LGSP_TEST_REQUIRE_S3=1): pip install 'moto[server]'");
        }
        eprintln!("skipped: moto_server not installed (pip install 'moto[server]')");
        return None;
    }
    let port = free_port();
    let child = Command::new("moto_server").args(["-H", "127.0.0.1", "-p", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
    let server = Server(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let made = Command::new("python3")
        .args(["-c", &format!("import boto3; boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='t', aws_secret_access_key='t', region_name='us-east-1').create_bucket(Bucket='lgsp')")])
        .status()
        .expect("python3");
    assert!(made.success(), "bucket created");
    Some((server, endpoint))
}

#[test]
fn versions_publish_to_an_s3_compatible_store() {
    let Some((_server, endpoint)) = start_s3() else { return };
    let hub = Hub::sqlite();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(args)
            .current_dir(repo())
            .env("LGSP_STORE_URL", &hub.store_url)
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
    let v1: serde_json::Value = serde_json::from_str(run(&["run", "enterprises", "--input", "data/samples/enterprises_v1.csv", "--json"]).trim()).unwrap();
    let v2: serde_json::Value = serde_json::from_str(run(&["run", "enterprises", "--input", "data/samples/enterprises_v2.csv", "--json"]).trim()).unwrap();
    assert_eq!((v1["version"].as_i64(), v2["version"].as_i64()), (Some(1), Some(2)));
    let out = hub.dir.path().join("changes.ndjson");
    run(&["export", "enterprises", "--changes-since", "1", "--format", "ndjson", "--out", out.to_str().unwrap()]);
    let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
    let n = |k: &str| v2[k].as_u64().unwrap();
    assert_eq!(lines, n("inserted") + 2 * n("updated") + n("deleted"), "changes read back from the bucket");
}
