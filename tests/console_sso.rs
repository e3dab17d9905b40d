//! Console sign-in through single sign-on, against a local OpenID Connect provider
//! (node-oidc-provider, `tests/oidc`): a person the provider signs in and the hub has an account
//! for gets a session with that account's role; a person the hub does not know, or whose
//! account is disabled, gets none; a callback replayed, or carried to another browser (a
//! sign-in forced on someone), is refused; every callback is in the audit log.

mod common;

use common::{free_port, repo, Child, Hub};
use std::path::Path;
use std::process::{Command, Stdio};

/// The provider, or `None` (and says so) when Node or its packages are missing, unless
/// `LGSP_TEST_REQUIRE_OIDC=1`.
fn provider(port: u16, client: &str, secret: &str, redirect: &str) -> Option<Child> {
    let dir = repo().join("tests/oidc");
    let ready = dir.join("node_modules/oidc-provider").exists()
        && Command::new("node").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !ready {
        if std::env::var("LGSP_TEST_REQUIRE_OIDC").is_ok_and(|v| v == "1") {
            panic!("the OpenID Connect provider is required (LGSP_TEST_REQUIRE_OIDC=1): npm ci --prefix tests/oidc");
        }
        eprintln!("skipped: no OpenID Connect provider (npm ci --prefix tests/oidc)");
        return None;
    }
    let child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .args([&port.to_string(), client, secret, redirect])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Some(Child(child))
}

/// `curl` with cookie jar `jar`: (status, the redirect's target, body).
fn curl(jar: &Path, url: &str, form: &[&str]) -> (u16, String, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-c", jar.to_str().unwrap(), "-b", jar.to_str().unwrap()]);
    for f in form {
        cmd.args(["--data-urlencode", f]);
    }
    let out = cmd.args(["-w", "\n%{http_code} %{redirect_url}", url]).output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, last) = text.rsplit_once('\n').unwrap_or(("", &text));
    let (status, location) = last.split_once(' ').unwrap_or((last, ""));
    (status.parse().unwrap_or(0), location.to_string(), body.to_string())
}

/// Signs `name` in at the provider from the hub's sign-in page; returns the callback URL the
/// provider sends the browser back to (not yet followed).
fn at_provider(jar: &Path, base: &str, name: &str) -> String {
    let (status, auth, _) = curl(jar, &format!("{base}/login/sso"), &[]);
    assert_eq!(status, 303, "the hub sends the browser to the provider");
    for part in ["code_challenge_method=S256", "state=", "nonce=", "client_id=lgsp-hub"] {
        assert!(auth.contains(part), "{part} in {auth}");
    }
    let (status, interaction, body) = curl(jar, &auth, &[]);
    assert_eq!(status, 303, "{auth}: {body}");
    let (status, resume, body) = curl(jar, &interaction, &["prompt=login", &format!("login={name}"), "password=x"]);
    assert_eq!(status, 303, "{interaction}: {body}");
    let (status, callback, body) = curl(jar, &resume, &[]);
    assert_eq!(status, 303, "{resume}: {body}");
    assert!(callback.starts_with(&format!("{base}/login/sso/callback?code=")), "{callback}");
    callback
}

#[test]
fn people_sign_in_through_the_provinces_single_sign_on_only_with_an_account_here() {
    let hub = Hub::sqlite();
    hub.ok(&["user", "add", "lan", "--role", "steward", "--sso"]);
    hub.ok(&["user", "add", "cu", "--role", "analyst", "--sso"]);
    hub.ok(&["user", "disable", "cu"]);
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let secret = "hub-client-secret-2026-kHq8";
    let env =
        [("LGSP_SSO_ISSUER", issuer.as_str()), ("LGSP_SSO_CLIENT_ID", "lgsp-hub"), ("LGSP_SSO_CLIENT_SECRET", secret)];
    let (_server, base) = hub.serve(&env);
    let Some(_provider) = provider(port, "lgsp-hub", secret, &format!("{base}/login/sso/callback")) else { return };
    let jars = tempfile::tempdir().unwrap();
    let jar = |n: &str| jars.path().join(n);

    // The sign-in page offers single sign-on; an SSO-only account has no password to guess.
    let (_, _, login) = curl(&jar("a"), &format!("{base}/login"), &[]);
    assert!(login.contains("href=\"/login/sso\""), "{login}");

    // lan: signed in as the hub's steward account.
    let callback = at_provider(&jar("a"), &base, "lan");
    std::fs::copy(jar("a"), jar("replay")).unwrap();
    let (status, _, page) = curl(&jar("a"), &callback, &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"signed-in\"") && page.contains("http-equiv=\"refresh\""), "{page}");
    let (status, _, overview) = curl(&jar("a"), &format!("{base}/"), &[]);
    assert_eq!(status, 200);
    assert!(overview.contains("lan") && overview.contains("href=\"/pipelines\""), "a steward's menu: {overview}");
    assert_eq!(curl(&jar("a"), &format!("{base}/pipelines"), &[]).0, 200);
    assert_eq!(curl(&jar("a"), &format!("{base}/access"), &[]).0, 403, "not an operator");

    // The same callback again, from a browser holding its state cookie (a state is used once).
    let (status, _, page) = curl(&jar("replay"), &callback, &[]);
    assert_eq!(status, 401, "a replayed callback: {page}");

    // A callback carried to another browser (which did not start it): refused, no session.
    let forced = at_provider(&jar("b"), &base, "lan");
    let (status, _, _) = curl(&jar("c"), &forced, &[]);
    assert_eq!(status, 403, "a sign-in forced on another browser");
    let (status, to, _) = curl(&jar("c"), &format!("{base}/"), &[]);
    assert!(status == 303 && to.ends_with("/login"), "no session: {status} {to}");

    // Known to the provider, not to the hub; and a disabled account: no session.
    for (name, jar_name) in [("ghost", "d"), ("cu", "e")] {
        let callback = at_provider(&jar(jar_name), &base, name);
        let (status, _, page) = curl(&jar(jar_name), &callback, &[]);
        assert_eq!(status, 403, "{name}: {page}");
        assert!(page.contains("id=\"sso-refused\"") && page.contains(name), "{page}");
        let (status, to, _) = curl(&jar(jar_name), &format!("{base}/"), &[]);
        assert!(status == 303 && to.ends_with("/login"), "{name} has no session");
    }

    // Each callback is in the audit log, with the name it claimed and its answer.
    let mut logged = String::new();
    for _ in 0..50 {
        logged =
            hub.query("SELECT actor, status FROM audit_log WHERE action LIKE '%/login/sso/callback%' ORDER BY seq");
        if logged.contains("user:cu|403") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for line in ["user:lan|200", "user:ghost|403", "user:cu|403"] {
        assert!(logged.lines().any(|l| l == line), "{line} in the audit log: {logged}");
    }
    assert!(hub.query("SELECT COUNT(*) FROM console_sessions").trim() == "1", "one session only (lan's)");
}
