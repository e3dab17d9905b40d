//! Test helpers: a hub in a temporary folder, driven through the real `lgsp` binary, on SQLite
//! or on a fresh PostgreSQL database.
#![allow(dead_code)]

pub mod persons;
pub mod records;
pub mod units;

use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Root of the repository (pipelines and samples are read from here).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A hub with its own store and published-files folder.
pub struct Hub {
    pub dir: tempfile::TempDir,
    pub store_url: String,
    pg: Option<PgDb>,
}

struct PgDb {
    admin_url: String,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = psql(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

fn psql(url: &str, sql: &str) -> std::io::Result<Output> {
    Command::new("psql").arg(url).arg("-qAtc").arg(sql).output()
}

/// The PostgreSQL server for tests, or `None` (tests then say they were skipped).
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("LGSP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let ok = psql(&url, "SELECT 1").map(|o| o.status.success()).unwrap_or(false);
    if ok {
        return Some(url);
    }
    if std::env::var("LGSP_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!("PostgreSQL is required (LGSP_TEST_REQUIRE_POSTGRES=1) but {url} is not reachable");
    }
    eprintln!("skipped: PostgreSQL not reachable at {url} (set LGSP_TEST_POSTGRES_URL)");
    None
}

impl Hub {
    /// A hub on a fresh SQLite file.
    pub fn sqlite() -> Hub {
        let dir = tempfile::tempdir().expect("temp dir");
        let store_url = format!("sqlite://{}", dir.path().join("hub.db").display());
        Hub { dir, store_url, pg: None }
    }

    /// A hub on a fresh PostgreSQL database, or `None` when no server is reachable.
    pub fn postgres() -> Option<Hub> {
        let admin = postgres_admin_url()?;
        let name = format!("lgsp_test_{}_{}", std::process::id(), rand_suffix());
        let out = psql(&admin, &format!("CREATE DATABASE {name}")).expect("psql");
        assert!(out.status.success(), "create database: {}", String::from_utf8_lossy(&out.stderr));
        let (base, _) = admin.rsplit_once('/').expect("database URL with a path");
        let store_url = format!("{base}/{name}");
        let dir = tempfile::tempdir().expect("temp dir");
        Some(Hub { dir, store_url, pg: Some(PgDb { admin_url: admin, name }) })
    }

    /// Both backends that are available here.
    pub fn all() -> Vec<Hub> {
        let mut v = vec![Hub::sqlite()];
        v.extend(Hub::postgres());
        v
    }

    /// Which backend this is (for messages).
    pub fn kind(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// This hub's audit key file (created by its first command).
    pub fn audit_key_file(&self) -> PathBuf {
        self.dir.path().join("audit.key")
    }

    /// This hub's audit key.
    pub fn audit_key(&self) -> lgsp_hub::digest::MacKey {
        let text = std::fs::read_to_string(self.audit_key_file()).expect("the hub's audit key file");
        lgsp_hub::digest::MacKey::from_hex(&text).expect("an audit key")
    }

    /// The published-files folder.
    pub fn objects(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// `lgsp ARGS` from the repository root with this hub's settings, to be run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lgsp"));
        c.args(args)
            .current_dir(repo())
            .env("LGSP_STORE_URL", &self.store_url)
            .env("LGSP_OBJECT_STORE_URL", self.objects())
            .env("LGSP_AUDIT_KEY_FILE", self.audit_key_file())
            .env_remove("LGSP_AUDIT_KEY")
            .env_remove("LGSP_CONFIG")
            .env("RUST_LOG", "error");
        c
    }

    /// Runs `lgsp ARGS` from the repository root with this hub's settings.
    pub fn lgsp(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run lgsp")
    }

    /// Runs `lgsp ARGS`, asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.lgsp(args);
        assert!(
            out.status.success(),
            "[{}] lgsp {:?} failed:\n{}{}",
            self.kind(),
            args,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `lgsp ARGS`, asserting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.lgsp(args);
        assert!(!out.status.success(), "[{}] lgsp {:?} should fail", self.kind(), args);
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `lgsp run PIPELINE --json [--input FILE]` parsed.
    pub fn run_json(&self, pipeline: &str, input: Option<&Path>) -> serde_json::Value {
        let mut args = vec!["run", pipeline, "--json"];
        let input_s;
        if let Some(i) = input {
            input_s = i.display().to_string();
            args.extend(["--input", &input_s]);
        }
        serde_json::from_str(self.ok(&args).trim()).expect("run --json prints one JSON object")
    }

    /// Runs `lgsp ARGS` that must succeed and print one JSON value.
    pub fn ok_json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(self.ok(args).trim()).expect("one JSON value")
    }

    /// Reads a published Parquet file by its object-store location.
    pub fn read_parquet(&self, location: &str) -> DataFrame {
        let file = std::fs::File::open(self.objects().join(location)).expect("published file");
        ParquetReader::new(file).finish().expect("readable parquet")
    }
}

fn rand_suffix() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}", t & 0xffff_ffff)
}

impl Hub {
    /// Runs SQL statements (`;`-separated) directly on this hub's database, to seed or tamper
    /// with it in tests.
    pub fn sql(&self, statement: &str) {
        let ok = if self.pg.is_some() {
            Command::new("psql")
                .arg(&self.store_url)
                .args(["-qAt", "-v", "ON_ERROR_STOP=1", "-c", statement])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        } else {
            let path = self.store_url.trim_start_matches("sqlite://");
            let py =
                format!("import sqlite3; c = sqlite3.connect({path:?}); c.executescript({statement:?}); c.commit()");
            Command::new("python3").args(["-c", &py]).status().map(|s| s.success()).unwrap_or(false)
        };
        assert!(ok, "{statement}");
    }

    /// Starts `lgsp serve` on a free port with extra environment; returns it and its base URL.
    pub fn serve(&self, env: &[(&str, &str)]) -> (Server, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(["serve", "--no-scheduler", "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(repo())
            .env("LGSP_STORE_URL", &self.store_url)
            .env("LGSP_OBJECT_STORE_URL", self.objects())
            .env("LGSP_AUDIT_KEY_FILE", self.audit_key_file())
            .env_remove("LGSP_AUDIT_KEY")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("lgsp serve");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        (Server(child), format!("http://127.0.0.1:{port}"))
    }

    /// Registers an agency (if new) and creates a client; returns (client id, secret).
    pub fn new_client(&self, agency: &str, name: &str) -> (String, String) {
        let _ = self.lgsp(&["agency", "add", agency, name]);
        let out = self.ok(&["client", "create", "--agency", agency]);
        let field =
            |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string).expect("client create output");
        (field("client_id: "), field("client_secret: "))
    }
}

/// `curl ARGS` → (status, headers with lower-case names and values, body).
pub fn curl(args: &[&str]) -> (u16, String, Vec<u8>) {
    let out = Command::new("curl").args(["-s", "-D", "-", "-o", "/dev/stdout"]).args(args).output().expect("curl");
    let raw = out.stdout;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4).unwrap_or(raw.len());
    let headers = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, headers, raw[split..].to_vec())
}

/// An `Authorization: Bearer …` header for the client, from `POST /token`.
pub fn bearer(base: &str, id: &str, secret: &str) -> String {
    let (_, _, body) =
        curl(&["-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials", &format!("{base}/token")]);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("a token answer");
    format!("Authorization: Bearer {}", v["access_token"].as_str().expect("access_token"))
}

/// A server process, stopped when dropped.
pub struct Server(std::process::Child);

impl Server {
    /// Peak resident memory of the server so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A child process killed when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts `moto_server` (an S3-compatible server) with a bucket `lgsp`; `None` (and says so)
/// when it is not installed, unless `LGSP_TEST_REQUIRE_S3=1`.
pub fn start_s3() -> Option<(Child, String)> {
    use std::process::Stdio;
    if Command::new("moto_server").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        if std::env::var("LGSP_TEST_REQUIRE_S3").is_ok_and(|v| v == "1") {
            panic!("moto_server is required (LGSP_TEST_REQUIRE_S3=1): pip install 'moto[server]'");
        }
        eprintln!("skipped: moto_server not installed (pip install 'moto[server]')");
        return None;
    }
    let port = free_port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Child(child);
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

/// The environment that points the hub at the S3 server `endpoint`.
pub fn s3_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT", endpoint.to_string()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "t".into()),
        ("AWS_SECRET_ACCESS_KEY", "t".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

impl Hub {
    /// Adds a console account (`lgsp user add NAME --role ROLE --password-stdin`).
    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_lgsp"))
            .args(["user", "add", name, "--role", role, "--password-stdin"])
            .current_dir(repo())
            .env("LGSP_STORE_URL", &self.store_url)
            .env("LGSP_OBJECT_STORE_URL", self.objects())
            .env("LGSP_AUDIT_KEY_FILE", self.audit_key_file())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("lgsp user add");
        child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("the password");
        let out = child.wait_with_output().expect("lgsp user add");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// An SQL expression giving the point in time `column` as the hub prints it (RFC 3339 in
    /// UTC with microseconds): the column itself on SQLite, formatted `timestamptz` on PostgreSQL.
    pub fn time_text(&self, column: &str) -> String {
        match self.pg {
            Some(_) => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"),
            None => column.to_string(),
        }
    }

    /// Runs one SQL query on this hub's database; returns its rows, `|`-separated, one a line.
    pub fn query(&self, statement: &str) -> String {
        let out = if self.pg.is_some() {
            Command::new("psql").arg(&self.store_url).arg("-qAtc").arg(statement).output()
        } else {
            let path = self.store_url.trim_start_matches("sqlite://");
            let py = format!("import sqlite3; c = sqlite3.connect({path:?}); print('\\n'.join('|'.join('' if v is None else str(v) for v in r) for r in c.execute({statement:?})))");
            Command::new("python3").args(["-c", &py]).output()
        }
        .expect("query");
        assert!(out.status.success(), "{statement}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// `curl ARGS` with its response headers as sent (the cookies' values keep their case): status,
/// headers, body.
fn curl_raw(args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl").args(["-s", "-D", "-", "-o", "/dev/stdout"]).args(args).output().expect("curl");
    let raw = String::from_utf8_lossy(&out.stdout).to_string();
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, headers.to_string(), body.to_string())
}

/// The value of `name=` in a `Set-Cookie` of `headers`.
fn set_cookie(headers: &str, name: &str) -> Option<String> {
    headers
        .lines()
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.trim()))
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The CSRF token of the first form of a console page.
pub fn csrf_of(page: &str) -> String {
    page.split(r#"name="csrf" value=""#).nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string()
}

/// Signs in to the console at `base` as a browser would (the sign-in form's token, then the
/// form): the `Cookie` header of the session.
pub fn console_session(base: &str, user: &str, password: &str) -> String {
    let (_, headers, body) = curl_raw(&[&format!("{base}/login")]);
    let login = set_cookie(&headers, "lgsp_login").expect("the sign-in form's cookie");
    let token = csrf_of(&body);
    let (status, headers, _) = curl_raw(&[
        "-H",
        &format!("Cookie: lgsp_login={login}"),
        "--data-urlencode",
        &format!("csrf={token}"),
        "--data-urlencode",
        &format!("name={user}"),
        "--data-urlencode",
        &format!("password={password}"),
        &format!("{base}/login"),
    ]);
    let session = set_cookie(&headers, "lgsp_session").unwrap_or_else(|| panic!("signed in ({status}): {headers}"));
    format!("Cookie: lgsp_session={session}")
}
