//! `POST /token` under hostile clients: failed attempts throttled per client id and per address
//! (429 with Retry-After), the same work for unknown ids and wrong secrets, RFC 6749 errors and
//! headers, one set of credentials, case-insensitive schemes, who tried (the claimed id and the
//! address) in the audit log, and half-sent requests closed by the server.

mod common;

use common::Hub;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// `curl ARGS` → (status, headers, body as JSON or null).
fn curl(args: &[&str]) -> (u16, String, serde_json::Value) {
    let (status, headers, body) = common::curl(args);
    (status, headers, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
}

fn token_with(base: &str, args: &[&str]) -> (u16, String, serde_json::Value) {
    let mut all = args.to_vec();
    let url = format!("{base}/token");
    all.push(&url);
    curl(&all)
}

fn client(hub: &Hub) -> (String, String) {
    hub.ok(&["init"]);
    hub.new_client("000.00.00.G12", "Bộ Tài chính")
}

#[test]
fn failed_attempts_are_throttled_per_client_id_and_per_address() {
    let hub = Hub::sqlite();
    let (id, secret) = client(&hub);
    let (_server, base) = hub.serve(&[]);
    let wrong = format!("{id}:wrong");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (s, headers, body) = token_with(&base, &["-u", &wrong, "-d", "grant_type=client_credentials"]);
        if s == 429 {
            assert!(headers.contains("retry-after: "), "{headers}");
            assert_eq!(body["error"], "too_many_attempts", "{body}");
        }
        statuses.push(s);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    // The right secret is refused too while the id is throttled: guessing gains nothing.
    let (s, _, _) = token_with(&base, &["-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials"]);
    assert_eq!(s, 429);
    // Other ids from the same address: 20 failures a minute, then 429 for any id.
    let mut statuses = Vec::new();
    for n in 0..16 {
        let (s, _, _) = token_with(&base, &["-u", &format!("c-unknown{n}:x"), "-d", "grant_type=client_credentials"]);
        statuses.push(s);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 15, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[test]
fn token_answers_follow_rfc_6749_and_name_who_tried() {
    let hub = Hub::sqlite();
    let (id, secret) = client(&hub);
    let (_server, base) = hub.serve(&[]);
    let basic = format!("{id}:{secret}");
    let (s, headers, body) = token_with(&base, &["-u", &basic, "-d", "grant_type=client_credentials"]);
    assert_eq!(s, 200, "{body}");
    assert!(headers.contains("cache-control: no-store") && headers.contains("pragma: no-cache"), "{headers}");
    let token = body["access_token"].as_str().unwrap().to_string();

    let (s, headers, body) = token_with(&base, &["-u", &basic, "-d", "scope=x"]);
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_request")), "no grant_type");
    assert!(headers.contains("cache-control: no-store"), "{headers}");
    let (s, _, body) = token_with(&base, &["-u", &basic, "-d", "grant_type=password"]);
    assert_eq!((s, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    let both = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    let (s, _, body) = token_with(&base, &["-u", &basic, "-d", &both]);
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_request")), "two sets of credentials: {body}");
    let (s, _, _) = token_with(&base, &["-d", &both]);
    assert_eq!(s, 200, "credentials in the form alone");
    let lower = format!("authorization: basic {}", base64_of(&basic));
    let (s, _, _) = token_with(&base, &["-H", &lower, "-d", "grant_type=client_credentials"]);
    assert_eq!(s, 200, "a lower-case basic scheme");
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let (s, _, me) = curl(&["-H", &format!("Authorization: {scheme} {token}"), &format!("{base}/api/v1/me")]);
        assert_eq!((s, me["client_id"].as_str()), (200, Some(id.as_str())), "{scheme}");
    }
    let (s, _, _) = token_with(&base, &["-u", "c-nobody:x", "-d", "grant_type=client_credentials"]);
    assert_eq!(s, 401);
    let rows = hub
        .query("SELECT actor || '|' || status || '|' || peer FROM audit_log WHERE action = 'POST /token' ORDER BY seq");
    let first = rows.lines().next().unwrap();
    assert!(first.starts_with(&format!("{id}|200|127.0.0.1:")), "{rows}");
    assert!(rows.lines().any(|l| l.starts_with("c-nobody|401|127.0.0.1:")), "the claimed id of a failure: {rows}");
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn an_unknown_client_id_costs_the_same_work_as_a_wrong_secret() {
    let hub = Hub::sqlite();
    let (id, _) = client(&hub);
    let (_server, base) = hub.serve(&[]);
    let time = |user: &str| {
        let t = Instant::now();
        let (s, _, _) = token_with(&base, &["-u", user, "-d", "grant_type=client_credentials"]);
        assert_eq!(s, 401);
        t.elapsed()
    };
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    // Four wrong secrets (under the per-id limit) and four unknown ids, interleaved.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..4 {
        known.push(time(&format!("{id}:wrong{n}")));
        unknown.push(time(&format!("c-nobody{n}:wrong")));
    }
    let (known, unknown) = (median(known), median(unknown));
    assert!(unknown * 3 >= known, "unknown id {unknown:?} against a wrong secret {known:?}: ids can be told apart");
}

#[test]
fn a_half_sent_request_is_closed_by_the_server() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let (_server, base) = hub.serve(&[]);
    let mut conn = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 512];
    let closed = loop {
        match conn.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) => break e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    };
    assert!(closed && start.elapsed() < Duration::from_secs(25), "closed {closed} after {:?}", start.elapsed());
}

#[test]
fn a_kept_alive_connection_left_idle_is_closed_by_the_server() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let (_server, base) = hub.serve(&[]);
    let mut conn = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = conn.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"), "the first request is served");
    let start = Instant::now();
    let closed = loop {
        match conn.read(&mut answer) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) => break e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    };
    assert!(closed && start.elapsed() < Duration::from_secs(25), "closed {closed} after {:?}", start.elapsed());
}
