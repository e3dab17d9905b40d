//! The admin API (agencies, clients, grants over HTTP with the admin credential), retention
//! answering 410 Gone, and a Python reader opening the Parquet the API serves.

mod common;

use common::{repo, Hub};
use std::process::Command;

/// `curl` → (status, body as JSON or null).
fn curl(args: &[&str]) -> (u16, serde_json::Value) {
    let out = Command::new("curl").args(["-s", "-w", "\n%{http_code}"]).args(args).output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

fn bearer(base: &str, id: &str, secret: &str) -> String {
    let (s, body) =
        curl(&["-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials", &format!("{base}/token")]);
    assert_eq!(s, 200, "token for {id}: {body}");
    format!("Authorization: Bearer {}", body["access_token"].as_str().expect("access_token"))
}

fn post(base: &str, auth: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    curl(&["-H", auth, "-H", "content-type: application/json", "-d", body, &format!("{base}{path}")])
}

fn get(base: &str, auth: &str, path: &str) -> (u16, serde_json::Value) {
    curl(&["-H", auth, &format!("{base}{path}")])
}

#[test]
fn only_the_admin_credential_manages_agencies_clients_and_grants_and_each_change_is_logged() {
    for hub in Hub::all() {
        let k = hub.kind();
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        hub.ok(&["agency", "add", "000.00.00.H48", "Sở Thông tin và Truyền thông"]);
        let out = hub.ok(&["client", "create", "--agency", "000.00.00.H48", "--admin"]);
        let field =
            |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string).expect("client create output");
        let (admin_id, admin_secret) = (field("client_id: "), field("client_secret: "));
        let (plain_id, plain_secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
        let (_server, base) = hub.serve(&[]);
        let admin = bearer(&base, &admin_id, &admin_secret);
        let plain = bearer(&base, &plain_id, &plain_secret);

        // Deny by default: no token → 401, a client without the admin credential → 403.
        assert_eq!(curl(&[&format!("{base}/api/v1/admin/agencies")]).0, 401, "[{k}]");
        let (s, body) = get(&base, &plain, "/api/v1/admin/agencies");
        assert_eq!((s, body["code"].as_str()), (403, Some("forbidden")), "[{k}]");
        assert_eq!(
            post(&base, &plain, "/api/v1/admin/agencies", r#"{"code":"000.00.00.G09","name":"Bộ Y tế"}"#).0,
            403
        );

        // Agencies: add, duplicate 409, bad code 400, malformed and unknown-field bodies 400.
        let (s, _) = post(&base, &admin, "/api/v1/admin/agencies", r#"{"code":"000.00.00.G09","name":"Bộ Y tế"}"#);
        assert_eq!(s, 200, "[{k}]");
        let (s, body) = post(&base, &admin, "/api/v1/admin/agencies", r#"{"code":"000.00.00.G09","name":"Bộ Y tế"}"#);
        assert_eq!((s, body["code"].as_str()), (409, Some("conflict")));
        let (s, body) =
            post(&base, &admin, "/api/v1/admin/agencies", r#"{"code":"G09'; DROP TABLE agencies;--","name":"x"}"#);
        assert_eq!((s, body["code"].as_str()), (400, Some("bad_request")), "{body}");
        assert_eq!(post(&base, &admin, "/api/v1/admin/agencies", r#"{"code":"#).0, 400);
        assert_eq!(
            post(&base, &admin, "/api/v1/admin/agencies", r#"{"code":"000.00.00.G10","name":"x","role":"root"}"#).0,
            400
        );
        let (_, body) = get(&base, &admin, "/api/v1/admin/agencies");
        let codes: Vec<&str> = body["agencies"].as_array().unwrap().iter().filter_map(|a| a["code"].as_str()).collect();
        assert_eq!(codes, vec!["000.00.00.G09", "000.00.00.G12", "000.00.00.H48"]);

        // Clients: created over HTTP with the secret shown once; unknown agency 404.
        assert_eq!(post(&base, &admin, "/api/v1/admin/clients", r#"{"agency":"000.00.00.Z99"}"#).0, 404);
        let (s, body) = post(&base, &admin, "/api/v1/admin/clients", r#"{"agency":"000.00.00.G09"}"#);
        assert_eq!(s, 200, "{body}");
        let (new_id, new_secret) =
            (body["client_id"].as_str().unwrap().to_string(), body["client_secret"].as_str().unwrap().to_string());
        let (_, body) = get(&base, &admin, "/api/v1/admin/agencies/000.00.00.G09/clients");
        assert_eq!(body["clients"][0]["id"].as_str(), Some(new_id.as_str()));
        assert!(body["clients"][0].get("secret_hash").is_none(), "secret hashes never leave the store");

        // Grants: the new client pulls once granted, not after the grant is revoked.
        let newbie = bearer(&base, &new_id, &new_secret);
        assert_eq!(get(&base, &newbie, "/api/v1/datasets/enterprises/records/0100109106").0, 403);
        let (s, body) = post(
            &base,
            &admin,
            "/api/v1/admin/grants",
            &format!(
                r#"{{"client":"{new_id}","dataset":"enterprises","scope":"lookup","basis":"Điều 9","purpose":"thống kê"}}"#
            ),
        );
        assert_eq!(s, 200, "{body}");
        let grant = body["id"].as_str().unwrap().to_string();
        assert_eq!(
            post(
                &base,
                &admin,
                "/api/v1/admin/grants",
                &format!(r#"{{"client":"{new_id}","dataset":"enterprises","scope":"write","basis":"x","purpose":"thống kê"}}"#)
            )
            .0,
            400
        );
        assert_eq!(
            post(
                &base,
                &admin,
                "/api/v1/admin/grants",
                &format!(r#"{{"client":"{new_id}","dataset":"enterprises","scope":"admin","basis":"x","purpose":"thống kê"}}"#)
            )
            .0,
            400
        );
        // Grants only on published datasets and their declared fields, each refusal naming it.
        for (dataset, fields, named) in [
            ("../../etc/passwd", "null", "dataset '../../etc/passwd' does not exist"),
            ("khong_co", "null", "dataset 'khong_co' does not exist"),
            ("enterprises", "[]", "name at least one field"),
            ("enterprises", r#"["ma_so_thue","luong"]"#, "field 'luong' is not a field of 'enterprises'"),
        ] {
            let (s, body) = post(
                &base,
                &admin,
                "/api/v1/admin/grants",
                &format!(
                    r#"{{"client":"{new_id}","dataset":"{dataset}","scope":"snapshot","fields":{fields},"basis":"x","purpose":"thống kê"}}"#
                ),
            );
            assert_eq!(s, 400, "[{k}] {dataset} {fields}: {body}");
            assert!(body["message"].as_str().unwrap_or("").contains(named), "[{k}] {body}");
        }
        let err = hub.fails(&[
            "grant",
            "add",
            "--client",
            &new_id,
            "--dataset",
            "enterprises",
            "--scope",
            "snapshot",
            "--fields",
            "ma_so_thue,luong",
            "--basis",
            "x",
            "--purpose",
            "thống kê",
        ]);
        assert!(err.contains("field 'luong' is not a field of 'enterprises'"), "[{k}] {err}");
        let err = hub.fails(&[
            "grant",
            "add",
            "--client",
            &new_id,
            "--dataset",
            "khong_co",
            "--scope",
            "lookup",
            "--basis",
            "x",
            "--purpose",
            "thống kê",
        ]);
        assert!(err.contains("dataset 'khong_co' does not exist"), "[{k}] {err}");
        let (_, me) = get(&base, &newbie, "/api/v1/me");
        assert_eq!(me["allowed"].as_array().map(Vec::len), Some(1));
        let (_, listed) = get(&base, &admin, &format!("/api/v1/admin/clients/{new_id}/grants"));
        assert_eq!(listed["grants"][0]["id"].as_str(), Some(grant.as_str()));
        assert_eq!(post(&base, &admin, &format!("/api/v1/admin/grants/{grant}/revoke"), "").0, 200);
        assert_eq!(post(&base, &admin, &format!("/api/v1/admin/grants/{grant}/revoke"), "").0, 404, "revoked already");
        let (_, me) = get(&base, &newbie, "/api/v1/me");
        assert_eq!(me["allowed"].as_array().map(Vec::len), Some(0));

        // Revoking the client kills its token at once.
        assert_eq!(post(&base, &admin, &format!("/api/v1/admin/clients/{new_id}/revoke"), "").0, 200);
        assert_eq!(get(&base, &newbie, "/api/v1/me").0, 401);
        assert_eq!(post(&base, &admin, "/api/v1/admin/clients/c-nope/revoke", "").0, 404);

        // Each change is an admin entry naming the admin client; the chain is intact.
        drop(_server);
        let csv = hub.ok(&["audit", "export", "--from", "2000-01-01", "--to", "2999-12-31"]);
        let actions: Vec<&str> = csv
            .lines()
            .filter(|l| l.starts_with(&format!("admin,{admin_id},")) || l.contains(&format!(",admin,{admin_id},")))
            .collect();
        for action in ["agency add", "client create", "grant add", "grant revoke", "client revoke"] {
            assert!(
                actions.iter().any(|l| l.contains(action)),
                "[{k}] no admin entry '{action}' by {admin_id} in:\n{csv}"
            );
        }
        assert!(hub.ok(&["audit", "verify"]).contains("intact"));
    }
}

/// The enterprises pipeline keeping the files of its last two versions only.
fn pipeline_keeping_two(hub: &Hub) -> String {
    let text = std::fs::read_to_string(repo().join("pipelines/enterprises.toml")).unwrap();
    let text = text.replace("[publish]\n", "[publish]\nkeep_versions = 2\n");
    let path = hub.dir.path().join("enterprises.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn retention_removes_old_files_and_the_api_answers_410_gone_for_them() {
    for hub in Hub::all() {
        let k = hub.kind();
        hub.ok(&["init"]);
        let pipeline = pipeline_keeping_two(&hub);
        let samples = repo().join("data/samples");
        for input in ["enterprises_v1.csv", "enterprises_v2.csv", "enterprises_v1.csv"] {
            let input = samples.join(input).display().to_string();
            hub.ok(&["run", &pipeline, "--input", &input]);
        }
        assert!(!hub.objects().join("datasets/enterprises/v1/snapshot.parquet").exists(), "[{k}] v1 files removed");
        assert!(hub.objects().join("datasets/enterprises/v1/manifest.json").exists(), "[{k}] v1 manifest kept");
        assert!(hub.objects().join("datasets/enterprises/v2/snapshot.parquet").exists());

        let (id, secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
        for scope in ["snapshot", "changes"] {
            hub.ok(&[
                "grant",
                "add",
                "--client",
                &id,
                "--dataset",
                "enterprises",
                "--scope",
                scope,
                "--basis",
                "Điều 9",
                "--purpose",
                "thống kê",
            ]);
        }
        let (_server, base) = hub.serve(&[]);
        let auth = bearer(&base, &id, &secret);
        let (s, body) = get(&base, &auth, "/api/v1/datasets/enterprises/snapshot?version=1&format=ndjson");
        assert_eq!((s, body["code"].as_str()), (410, Some("gone")), "[{k}] {body}");
        assert!(body["message"].as_str().unwrap().contains("oldest version kept is 2"), "{body}");
        assert_eq!(get(&base, &auth, "/api/v1/datasets/enterprises/changes?since=0&format=ndjson").0, 410);
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", &auth])
            .arg(format!("{base}/api/v1/datasets/enterprises/changes?since=1&format=csv"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "200", "changes after the oldest kept version are served");
        let (s, body) = get(&base, &auth, "/api/v1/datasets/enterprises/versions");
        assert_eq!((s, body["versions"].as_array().map(Vec::len)), (200, Some(3)), "every version stays listed");

        let out_file = hub.dir.path().join("old.parquet").display().to_string();
        let err = hub.fails(&["export", "enterprises", "--changes-since", "0", "--out", &out_file]);
        assert!(err.contains("removed by retention"), "{err}");
    }
}

/// `pyarrow` in Python reads the Parquet the API serves (skipped without pyarrow unless
/// `LGSP_TEST_REQUIRE_PYARROW` is set, as CI does).
#[test]
fn python_pyarrow_reads_the_snapshot_and_the_changes() {
    let has =
        Command::new("python3").args(["-c", "import pyarrow.parquet"]).status().map(|s| s.success()).unwrap_or(false);
    if !has {
        assert!(std::env::var_os("LGSP_TEST_REQUIRE_PYARROW").is_none(), "pyarrow is required (pip install pyarrow)");
        eprintln!("skipped: no pyarrow");
        return;
    }
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")));
    let (id, secret) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
    hub.ok(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "enterprises",
        "--scope",
        "snapshot",
        "--basis",
        "Điều 9",
        "--purpose",
        "thống kê",
    ]);
    hub.ok(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "enterprises",
        "--scope",
        "changes",
        "--fields",
        "ma_so_thue,ten_doanh_nghiep",
        "--basis",
        "Điều 9",
        "--purpose",
        "thống kê",
    ]);
    let (_server, base) = hub.serve(&[]);
    let auth = bearer(&base, &id, &secret);
    let (snap, changes) = (hub.dir.path().join("snap.parquet"), hub.dir.path().join("changes.parquet"));
    for (path, file) in [("snapshot", &snap), ("changes?since=1", &changes)] {
        let ok = Command::new("curl")
            .args(["-sf", "-H", &auth, "-o"])
            .arg(file)
            .arg(format!("{base}/api/v1/datasets/enterprises/{path}"))
            .status()
            .unwrap();
        assert!(ok.success(), "{path}");
    }
    let py = "import sys, pyarrow.parquet as pq\n\
              s = pq.read_table(sys.argv[1]); c = pq.read_table(sys.argv[2])\n\
              print(s.num_rows, 'ma_so_thue' in s.column_names, c.num_rows, sorted(c.column_names))";
    let out = Command::new("python3").args(["-c", py]).arg(&snap).arg(&changes).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let expected_rows = hub.read_parquet("datasets/enterprises/v2/snapshot.parquet").height();
    let expected_changes = hub.read_parquet("datasets/enterprises/v2/changes.parquet").height();
    assert!(printed.starts_with(&format!("{expected_rows} True {expected_changes} ")), "{printed}");
    assert!(
        printed.contains("'ma_so_thue'") && printed.contains("'ten_doanh_nghiep'") && !printed.contains("dia_chi"),
        "only granted columns: {printed}"
    );
}
