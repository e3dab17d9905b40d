//! Catalogs item by item in the console, over HTTP as a browser sends it: what a catalog version
//! changed (an item added, one renamed field by field, one retired), and the 2025 crosswalk of a
//! whole province (Quảng Nam's communes into Đà Nẵng) in the page and as CSV for Excel.

mod common;

use common::{console_session, curl, repo, Hub};

const PASSWORD: &str = "mật khẩu đủ dài 2026";

#[test]
fn a_catalog_version_diff_and_a_provinces_crosswalk_in_the_console() {
    let hub = Hub::sqlite();
    hub.add_user("analyst", "analyst", PASSWORD);
    hub.ok(&["catalog", "load"]);

    // Version 2 of the sex catalog: 9 retired, 0 renamed, 3 added.
    let dir = hub.dir.path().join("catalog-edit");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let spec = std::fs::read_to_string(repo().join("catalogs/sex.toml")).unwrap();
    std::fs::write(dir.join("sex.toml"), spec.replace("^[0129]$", "^[0-9]$")).unwrap();
    std::fs::write(
        dir.join("data/gender_iso5218.csv"),
        "code,label_en,label_vi\n0,unknown,chưa rõ\n1,male,nam\n2,female,nữ\n3,other,khác\n",
    )
    .unwrap();
    let loaded = hub.ok(&["catalog", "load", dir.join("sex.toml").to_str().unwrap()]);
    assert!(loaded.contains("version 2"), "{loaded}");

    let (_server, base) = hub.serve(&[]);
    let cookie = console_session(&base, "analyst", PASSWORD);
    let get = |path: &str| {
        let (status, headers, body) = curl(&["-H", &cookie, &format!("{base}{path}")]);
        (status, headers, String::from_utf8_lossy(&body).to_string())
    };

    let (status, _, page) = get("/catalogs/sex");
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/catalogs/sex/versions/2\""), "versions link to their diff: {page}");
    let (status, _, page) = get("/catalogs/sex/versions/2");
    assert_eq!(status, 200, "{page}");
    let section = |id: &str| {
        let at = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("#{id}: {page}"));
        page[at..at + page[at..].find("</table>").unwrap()].to_string()
    };
    assert!(section("added").contains("<td>khác</td>"), "{}", section("added"));
    assert!(section("retired").contains("<td>không áp dụng</td>"), "{}", section("retired"));
    let changed = section("changed");
    assert!(
        changed.contains("<td>name</td><td class=\"before\">không xác định</td><td class=\"after\">chưa rõ</td>"),
        "{changed}"
    );
    assert!(!changed.contains(">nam<"), "an unchanged item is not listed: {changed}");
    assert_eq!(get("/catalogs/sex/versions/7").0, 404);
    assert_eq!(get("/catalogs/sex/versions/x").0, 400);

    // The crosswalk of Quảng Nam (49) on the day before the reform: every commune into Đà Nẵng.
    let (status, _, page) = get("/catalogs/communes/crosswalk");
    assert_eq!(status, 200);
    assert!(page.contains("value=\"2025-06-30\""), "the day before the codes were replaced: {page}");
    assert!(page.contains("<option value=\"49\""), "the provinces of that day to choose from");
    let (status, _, page) = get("/catalogs/communes/crosswalk?parent=49");
    assert_eq!(status, 200);
    assert!(page.contains("id=\"crosswalk\""), "{page}");
    let (status, headers, csv) = get("/catalogs/communes/crosswalk?parent=49&format=csv");
    assert_eq!(status, 200);
    assert!(headers.contains("text/csv") && headers.contains("communes-crosswalk-49-2025-06-30.csv"), "{headers}");
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let old: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[0]).collect();
    let expected = hub.query(
        "SELECT COUNT(*) FROM catalog_items WHERE catalog = 'communes' AND parent_code = '49' \
         AND valid_from <= '2025-06-30' AND valid_to >= '2025-06-30'",
    );
    assert_eq!(old.len().to_string(), expected.trim(), "every commune of the province once at least");
    assert!(rows.iter().all(|r| &r[2] == "49" && &r[6] == "48" && !r[4].is_empty()), "all into Đà Nẵng (48)");
    assert!(rows.iter().any(|r| !r[7].is_empty()), "with how each was merged");
    assert_eq!(get("/catalogs/communes/crosswalk?as_of=h%C3%B4m-qua").0, 400);
}
