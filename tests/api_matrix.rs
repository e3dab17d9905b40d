//! The authorization matrix: every data route × no token / expired / revoked / not granted /
//! granted, with exact statuses.

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

fn status(args: &[&str]) -> u16 {
    let out = Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}"]).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
}

fn client(hub: &Hub, agency: &str) -> (String, String) {
    let out = hub.ok(&["client", "create", "--agency", agency]);
    let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).unwrap().to_string();
    (field("client_id: "), field("client_secret: "))
}

fn token(base: &str, id: &str, secret: &str) -> String {
    let out = Command::new("curl").args(["-s", "-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials", &format!("{base}/token")]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

fn sql(hub: &Hub, statement: &str) {
    let ok = if hub.kind() == "postgres" {
        Command::new("psql").arg(&hub.store_url).arg("-qAtc").arg(statement).status().unwrap().success()
    } else {
        let path = hub.store_url.trim_start_matches("sqlite://");
        let py = format!("import sqlite3; c = sqlite3.connect({path:?}); c.execute({statement:?}); c.commit()");
        Command::new("python3").args(["-c", &py]).status().unwrap().success()
    };
    assert!(ok, "{statement}");
}

#[test]
fn every_route_answers_the_exact_status_for_each_kind_of_caller() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        hub.ok(&["agency", "add", "000.00.00.G12", "Bộ Tài chính"]);
        let granted = client(&hub, "000.00.00.G12");
        let ungranted = client(&hub, "000.00.00.G12");
        let revoked = client(&hub, "000.00.00.G12");
        let expired = client(&hub, "000.00.00.G12");
        for c in [&granted, &revoked, &expired] {
            for scope in ["snapshot", "changes", "lookup"] {
                hub.ok(&["grant", "add", "--client", &c.0, "--dataset", "enterprises", "--scope", scope, "--basis", "b"]);
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let _server = Server(
            Command::new(env!("CARGO_BIN_EXE_lgsp"))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .current_dir(repo())
                .env("LGSP_STORE_URL", &hub.store_url)
                .env("LGSP_OBJECT_STORE_URL", hub.objects())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let t_granted = token(&base, &granted.0, &granted.1);
        let t_ungranted = token(&base, &ungranted.0, &ungranted.1);
        let t_revoked = token(&base, &revoked.0, &revoked.1);
        let t_expired = token(&base, &expired.0, &expired.1);
        hub.ok(&["client", "revoke", &revoked.0]);
        sql(&hub, &format!("UPDATE tokens SET expires_at = '2000-01-01T00:00:00Z' WHERE client_id = '{}'", expired.0));
        let key = "0101235424";
        // (route, status when not granted: 200 for routes that need only a valid token)
        let routes = [
            ("/api/v1/me", 200),
            ("/api/v1/datasets", 200),
            ("/api/v1/datasets/enterprises", 403),
            ("/api/v1/datasets/enterprises/versions", 403),
            ("/api/v1/datasets/enterprises/snapshot", 403),
            ("/api/v1/datasets/enterprises/changes", 403),
            (&format!("/api/v1/datasets/enterprises/records/{key}") as &str, 403),
            ("/dmdc/Metadata/communes", 200),
            ("/dmdc/Category/provinces", 200),
            ("/api/v1/catalogs/communes/codes/00004", 200),
            ("/api/v1/catalogs/provinces/codes/49/current", 200),
            ("/api/v1/catalogs/communes/search?q=hoa", 200),
        ];
        let out = Command::new("curl").args(["-s", &format!("{base}/openapi.json")]).output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 16, "every route is documented");
        for (path, item) in paths {
            if item.get("get").is_none() {
                continue;
            }
            let url = format!("{base}{}", path.replace("{name}", "enterprises").replace("{key}", key).replace("{catalog}", "communes").replace("{code}", "00004"));
            let url = if path.ends_with("/search") { format!("{url}?q=hoa") } else { url };
            let got = status(&["-H", &format!("Authorization: Bearer {t_granted}"), &url]);
            assert_eq!(got, 200, "[{}] documented {path} is served", hub.kind());
        }
        for (route, not_granted) in routes {
            let url = format!("{base}{route}");
            let with = |t: &str| status(&["-H", &format!("Authorization: Bearer {t}"), &url]);
            let got = [status(&[&url]), with(&t_expired), with(&t_revoked), with(&t_ungranted), with(&t_granted)];
            assert_eq!(got, [401, 401, 401, not_granted, 200], "[{}] {route}: none / expired / revoked / not granted / granted", hub.kind());
        }
    }
}
