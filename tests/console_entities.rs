//! The steward's master entities in the console, over HTTP as a browser sends it: the entities
//! of `person` with their records, a record detached from its entity (it leaves, the others
//! stay), the correction logged under the steward's name, and a forged form refused.

mod common;

use common::persons::{load_two_agencies, masters};
use common::{console_session, csrf_of, curl, Hub};

const PASSWORD: &str = "mật khẩu đủ dài 2026";

#[test]
fn a_steward_opens_an_entity_and_detaches_a_record_in_the_console() {
    let hub = Hub::sqlite();
    load_two_agencies(&hub);
    hub.add_user("steward", "steward", PASSWORD);
    hub.add_user("analyst", "analyst", PASSWORD);
    let pipelines = hub.dir.path().join("pipelines");
    let (_server, base) = hub.serve(&[("LGSP_PIPELINES_DIR", pipelines.to_str().unwrap())]);
    let cookie = console_session(&base, "steward", PASSWORD);

    // The largest entity: two records or more, one from each agency.
    let before = masters(&hub);
    let mut sizes: std::collections::HashMap<&String, usize> = Default::default();
    for m in before.values() {
        *sizes.entry(m).or_default() += 1;
    }
    let (master, n) = sizes.iter().max_by_key(|(m, n)| (**n, std::cmp::Reverse(**m))).map(|(m, n)| (*m, *n)).unwrap();
    assert!(n >= 2, "an entity with several records: {sizes:?}");
    let (status, _, body) = curl(&["-H", &cookie, &format!("{base}/entities")]);
    assert_eq!(status, 303, "the first kind of entity");
    let (status, _, body2) = curl(&["-H", &cookie, &format!("{base}/entities/person?master={master}")]);
    let page = String::from_utf8_lossy(&body2).to_string();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let record = before.iter().find(|(_, m)| *m == master).map(|(r, _)| r.clone()).unwrap();
    let key = record.split('|').nth(1).unwrap();
    assert!(page.contains(master.as_str()) && page.contains(key), "the entity and its records: {page}");

    // Its golden record, field by field: the published value, the record it came from and why.
    let golden =
        hub.current_records(&format!("r.dataset = 'person' AND r.record_key = '{master}'")).swap_remove(0).data;
    for (column, rule) in [("ho_ten", "most_complete"), ("so_dien_thoai", "source_priority"), ("ma_xa", "most_recent")]
    {
        let value = golden[column].as_str().unwrap_or_default();
        let row = format!("<tr><td>{column}</td><td class=\"after\">{value}</td><td><code>");
        let at = page.find(&row).unwrap_or_else(|| panic!("{column} = {value} in the golden record: {page}"));
        let rest = &page[at + row.len()..];
        let from = &rest[..rest.find("</code>").unwrap()];
        if !value.is_empty() {
            assert!(before.get(from) == Some(master), "{column} came from a member record, not '{from}'");
        }
        assert!(rest.starts_with(&format!("{from}</code></td><td><code>{rule}</code>")), "{column}: {rest}");
    }
    let phone_from = {
        let row = "<tr><td>so_dien_thoai</td>";
        let rest = &page[page.find(row).unwrap()..];
        rest[rest.find("<code>").unwrap() + 6..rest.find("</code>").unwrap()].to_string()
    };
    // The page is in Vietnamese by default: source 1 of the priority order health > education.
    if phone_from.starts_with("health|") {
        assert!(page.contains("nguồn thứ 1 trong thứ tự ưu tiên health"), "why the health record won: {page}");
    }

    // A forged form changes nothing; the steward's form detaches the record.
    let detach = |csrf: &str| {
        curl(&[
            "-H",
            &cookie,
            "--data-urlencode",
            &format!("csrf={csrf}"),
            "--data-urlencode",
            "action=detach",
            "--data-urlencode",
            &format!("record={record}"),
            &format!("{base}/entities/person/correct"),
        ])
        .0
    };
    assert_eq!(detach("forged"), 403);
    assert_eq!(masters(&hub), before, "nothing changed");
    assert_eq!(detach(&csrf_of(&page)), 303);
    let after = masters(&hub);
    assert_ne!(after[&record], *master, "the record left its entity");
    let others: Vec<&String> = before.iter().filter(|(r, m)| *m == master && **r != record).map(|(r, _)| r).collect();
    let kept: std::collections::HashSet<&String> = others.iter().map(|r| &after[*r]).collect();
    assert_eq!(kept.len(), 1, "the other records stay together: {kept:?}");
    let entry = hub.query("SELECT detail FROM audit_log WHERE actor = 'user:steward' AND action = 'entity detach'");
    assert!(entry.contains(&record), "{entry}");

    // An analyst may not correct entities.
    let analyst = console_session(&base, "analyst", PASSWORD);
    let (status, _, _) = curl(&["-H", &analyst, &format!("{base}/entities/person")]);
    assert_eq!(status, 403);
}
