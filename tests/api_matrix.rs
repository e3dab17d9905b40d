//! The authorization matrix: every data route × no token / expired / revoked / not granted /
//! granted, with exact statuses.

mod common;

use common::{repo, Hub};
use std::process::Command;

fn status(args: &[&str]) -> u16 {
    let out = Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}"]).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
}

fn token(base: &str, id: &str, secret: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials", &format!("{base}/token")])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

#[test]
fn every_route_answers_the_exact_status_for_each_kind_of_caller() {
    for hub in Hub::all() {
        hub.ok(&["init"]);
        hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
        let granted = hub.new_client("000.00.00.G12", "Bộ Tài chính");
        let ungranted = hub.new_client("000.00.00.G12", "Bộ Tài chính");
        let revoked = hub.new_client("000.00.00.G12", "Bộ Tài chính");
        let expired = hub.new_client("000.00.00.G12", "Bộ Tài chính");
        let out = hub.ok(&["client", "create", "--agency", "000.00.00.G12", "--admin"]);
        let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string).unwrap();
        let admin = (field("client_id: "), field("client_secret: "));
        for c in [&granted, &revoked, &expired] {
            for scope in ["snapshot", "changes", "lookup"] {
                hub.ok(&[
                    "grant",
                    "add",
                    "--client",
                    &c.0,
                    "--dataset",
                    "enterprises",
                    "--scope",
                    scope,
                    "--basis",
                    "b",
                    "--purpose",
                    "thống kê",
                ]);
            }
            hub.ok(&[
                "grant",
                "add",
                "--client",
                &c.0,
                "--dataset",
                "*",
                "--scope",
                "reports",
                "--basis",
                "b",
                "--purpose",
                "thống kê",
            ]);
        }
        let (_server, base) = hub.serve(&[]);
        let t_granted = token(&base, &granted.0, &granted.1);
        let t_ungranted = token(&base, &ungranted.0, &ungranted.1);
        let t_revoked = token(&base, &revoked.0, &revoked.1);
        let t_expired = token(&base, &expired.0, &expired.1);
        let t_admin = token(&base, &admin.0, &admin.1);
        hub.ok(&["client", "revoke", &revoked.0]);
        hub.sql(&format!("UPDATE tokens SET expires_at = '2000-01-01T00:00:00Z' WHERE client_id = '{}'", expired.0));
        let key = "0101235424";
        // (route, status when not granted: 200 for routes that need only a valid token)
        let routes = [
            ("/api/v1/me", 200),
            ("/api/v1/datasets", 200),
            ("/api/v1/datasets/enterprises", 403),
            ("/api/v1/datasets/enterprises/versions", 403),
            ("/api/v1/datasets/enterprises/schema", 403),
            ("/api/v1/datasets/enterprises/snapshot", 403),
            ("/api/v1/datasets/enterprises/changes", 403),
            (&format!("/api/v1/datasets/enterprises/records/{key}") as &str, 403),
            ("/dmdc/Metadata/communes", 200),
            ("/dmdc/Category/provinces", 200),
            ("/api/v1/catalogs/communes/codes/00004", 200),
            ("/api/v1/catalogs/provinces/codes/49/current", 200),
            ("/api/v1/catalogs/communes/search?q=hoa", 200),
            ("/api/v1/reports/monthly/2026-10", 403),
            ("/api/v1/reports/quarterly/2026-Q4?format=html", 403),
        ];
        let out = Command::new("curl").args(["-s", &format!("{base}/openapi.json")]).output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 26, "every route is documented");
        for (path, item) in paths {
            if item.get("get").is_none() {
                continue;
            }
            let url = format!(
                "{base}{}",
                path.replace("{name}", "enterprises")
                    .replace("{key}", key)
                    .replace("{catalog}", "communes")
                    .replace("{code}", "00004")
                    .replace("{kind}", "monthly")
                    .replace("{period}", "2026-10")
            );
            let url = if path.ends_with("/search") { format!("{url}?q=hoa") } else { url };
            let url = url
                .replace("/agencies/00004/", "/agencies/000.00.00.G12/")
                .replace("/clients/{id}/", &format!("/clients/{}/", granted.0));
            let t = if path.starts_with("/api/v1/admin/") { &t_admin } else { &t_granted };
            let got = status(&["-H", &format!("Authorization: Bearer {t}"), &url]);
            assert_eq!(got, 200, "[{}] documented {path} is served", hub.kind());
        }
        for (route, not_granted) in routes {
            let url = format!("{base}{route}");
            let with = |t: &str| status(&["-H", &format!("Authorization: Bearer {t}"), &url]);
            let got = [status(&[&url]), with(&t_expired), with(&t_revoked), with(&t_ungranted), with(&t_granted)];
            assert_eq!(
                got,
                [401, 401, 401, not_granted, 200],
                "[{}] {route}: none / expired / revoked / not granted / granted",
                hub.kind()
            );
        }
        // Admin routes: only the admin credential; a data grant is not enough.
        let admin_routes = [
            ("GET", "/api/v1/admin/agencies".to_string()),
            ("GET", "/api/v1/admin/agencies/000.00.00.G12/clients".to_string()),
            ("GET", format!("/api/v1/admin/clients/{}/grants", granted.0)),
            ("POST", "/api/v1/admin/agencies".to_string()),
            ("POST", "/api/v1/admin/clients".to_string()),
            ("POST", format!("/api/v1/admin/clients/{}/revoke", ungranted.0)),
            ("POST", "/api/v1/admin/grants".to_string()),
            ("POST", "/api/v1/admin/grants/g-none/revoke".to_string()),
            ("GET", format!("/api/v1/admin/subjects/{key}")),
        ];
        for (method, route) in &admin_routes {
            let url = format!("{base}{route}");
            let with = |t: &str| {
                status(&[
                    "-X",
                    method,
                    "-H",
                    "content-type: application/json",
                    "-H",
                    &format!("Authorization: Bearer {t}"),
                    &url,
                ])
            };
            let got = [
                status(&["-X", method, &url]),
                with(&t_expired),
                with(&t_revoked),
                with(&t_ungranted),
                with(&t_granted),
            ];
            assert_eq!(
                got,
                [401, 401, 401, 403, 403],
                "[{}] {method} {route}: none / expired / revoked / no grant / data grants only",
                hub.kind()
            );
            if *method == "GET" {
                assert_eq!(with(&t_admin), 200, "[{}] {route} with the admin credential", hub.kind());
            }
        }
    }
}
