//! Agencies, clients and grants from the command line; the audit log's hash chain detects an
//! edited, inserted or deleted row, on SQLite and PostgreSQL.

mod common;

use common::Hub;

/// A hub with enterprises published and a client granted its snapshot (grants are on published
/// datasets).
fn setup(hub: &Hub) -> String {
    hub.ok(&["init"]);
    hub.ok(&["run", "enterprises", "--input", "data/samples/enterprises_v1.csv"]);
    hub.ok(&["agency", "add", "000.00.20.H48", "Sở Y tế"]);
    let out = hub.ok(&["client", "create", "--agency", "000.00.20.H48"]);
    let id = out.lines().find_map(|l| l.strip_prefix("client_id: ")).unwrap().to_string();
    assert!(out.contains("client_secret: "), "{out}");
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
        "Điều 9, Nghị định 47/2020/NĐ-CP",
        "--purpose",
        "thống kê",
    ]);
    id
}

#[test]
fn access_administration_checks_its_input() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let err = hub.fails(&["agency", "add", "so-y-te", "Sở Y tế"]);
    assert!(err.contains("not an agency code"), "{err}");
    let err = hub.fails(&["client", "create", "--agency", "000.00.99.H48"]);
    assert!(err.contains("does not exist"), "{err}");
    let id = setup(&hub);
    let err = hub.fails(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "x",
        "--scope",
        "everything",
        "--basis",
        "b",
        "--purpose",
        "thống kê",
    ]);
    assert!(err.contains("scope 'everything'"), "{err}");
    let grants = hub.ok(&["grant", "list", "--client", &id, "--json"]);
    assert_eq!(grants.lines().count(), 1, "{grants}");
    hub.ok(&["client", "revoke", &id]);
    let err = hub.fails(&["client", "revoke", &id]);
    assert!(err.contains("revoked"), "{err}");
}

#[test]
fn audit_verify_names_an_edited_inserted_or_deleted_row() {
    for hub in Hub::all() {
        setup(&hub);
        let ok = hub.ok(&["audit", "verify"]);
        assert!(ok.contains("audit log intact: 4 rows"), "[{}] {ok}", hub.kind());
        let today = chrono::Utc::now().date_naive().to_string();
        let csv = hub.ok(&["audit", "export", "--from", &today, "--to", &today]);
        assert_eq!(csv.lines().count(), 5, "header + 4 rows: {csv}");
        assert!(csv.lines().nth(1).unwrap().contains(",run,enterprises,000.00.12.H48,run,enterprises,"), "{csv}");

        hub.sql("UPDATE audit_log SET detail = '{\"name\":\"Sở Tài chính\"}' WHERE seq = 2");
        let err = hub.fails(&["audit", "verify"]);
        assert!(err.contains("broken at row 2") && err.contains("edited"), "{err}");
        hub.sql("UPDATE audit_log SET detail = '{\"name\":\"Sở Y tế\"}' WHERE seq = 2");
        assert!(hub.ok(&["audit", "verify"]).contains("intact"));

        hub.sql("DELETE FROM audit_log WHERE seq = 2");
        let err = hub.fails(&["audit", "verify"]);
        assert!(err.contains("broken at row 3") && err.contains("missing"), "{err}");

        hub.sql("INSERT INTO audit_log SELECT 2, at, kind, actor, agency, action, dataset, version, rows_out, bytes_out, status, duration_ms, request_id, detail, prev_hash, hash, peer FROM audit_log WHERE seq = 3");
        let err = hub.fails(&["audit", "verify"]);
        assert!(err.contains("broken at row"), "{err}");
    }
}

#[test]
fn agencies_clients_and_grants_are_listed_without_secrets() {
    let hub = Hub::sqlite();
    let id = setup(&hub);
    hub.ok(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "enterprises",
        "--scope",
        "lookup",
        "--fields",
        "ma_so_thue,trang_thai",
        "--basis",
        "Điều 12",
        "--purpose",
        "thống kê",
    ]);
    let agencies = hub.ok(&["agency", "list"]);
    assert!(agencies.contains("000.00.20.H48") && agencies.contains("Sở Y tế"), "{agencies}");
    let clients = hub.ok(&["client", "list", "--json"]);
    let c: serde_json::Value = serde_json::from_str(clients.lines().find(|l| l.contains(&id)).unwrap()).unwrap();
    assert_eq!(c["agency"], "000.00.20.H48");
    assert!(c.get("secret_hash").is_none() && !clients.contains("argon2"), "no secret: {clients}");
    let table = hub.ok(&["grant", "list", "--client", &id]);
    assert!(
        table.starts_with("GRANT") && table.contains("ma_so_thue,trang_thai") && table.contains("Điều 12"),
        "{table}"
    );
    assert_eq!(hub.ok(&["grant", "list", "--client", &id, "--json"]).lines().count(), 2, "snapshot and lookup");
}

#[test]
fn a_grant_or_a_revocation_from_the_command_line_takes_effect_at_once_in_the_api() {
    let hub = Hub::sqlite();
    setup(&hub);
    let (id, secret) = hub.new_client("000.00.30.H48", "Sở Giáo dục");
    let (_server, base) = hub.serve(&[]);
    let auth = common::bearer(&base, &id, &secret);
    let lookup = format!("{base}/api/v1/datasets/enterprises/records/0100109106");
    assert_eq!(common::curl(&["-H", &auth, &lookup]).0, 403, "no grant yet");
    // The API has this caller cached; the CLI's grant is seen on the very next request.
    hub.ok(&[
        "grant",
        "add",
        "--client",
        &id,
        "--dataset",
        "enterprises",
        "--scope",
        "lookup",
        "--basis",
        "Điều 12",
        "--purpose",
        "thống kê",
    ]);
    let s = common::curl(&["-H", &auth, &lookup]).0;
    assert!(s == 200 || s == 404, "granted at once: {s}");
    hub.ok(&["client", "revoke", &id]);
    assert_eq!(common::curl(&["-H", &auth, &lookup]).0, 401, "revoked at once");
}
