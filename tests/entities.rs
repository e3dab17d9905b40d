//! Master entities across two agencies' person records (generated with known truth): matches
//! join one entity, a steward's decision survives later runs, unmerge restores the entities.

mod common;

use common::persons::{generate, lgsp, load_two_agencies, masters, pipeline};
use common::Hub;
use std::collections::HashMap;
use std::process::Command;

#[test]
fn two_agencies_persons_become_master_entities_that_stewards_can_correct() {
    for hub in Hub::all() {
        let k = hub.kind();
        hub.ok(&["init"]);
        let data = generate(&hub);
        // Some records carry the code of a commune merged on 2025-07-01; the pipeline replaces it
        // by the current code, so old and new codes compare equal.
        let olds = [
            "20195", "20293", "20198", "20302", "20206", "20207", "20215", "20218", "20227", "20230", "20233", "20236",
            "20245", "20254", "20258", "20311", "20312", "20266", "20269", "20272", "20278", "20284", "20287", "20290",
            "20224", "20306",
        ];
        let input = std::fs::read_to_string(data.join("health.csv")).unwrap()
            + &std::fs::read_to_string(data.join("education.csv")).unwrap();
        assert!(
            input.lines().any(|l| l.split(',').nth(4).is_some_and(|c| olds.contains(&c))),
            "[{k}] the input has old commune codes"
        );
        let health = pipeline(&hub, "health", "ma_bn");
        let edu = pipeline(&hub, "education", "ma_hs");
        let out = lgsp(&hub, &["run", &health]);
        assert!(out.contains("entities 'person'"), "[{k}] {out}");
        let out = lgsp(&hub, &["run", &edu]);
        assert!(out.contains("entities 'person'"), "[{k}] {out}");

        // Truth: the `person` column of each source record.
        let mut truth: HashMap<String, String> = HashMap::new();
        for r in hub.current_records("r.dataset IN ('health', 'education')") {
            truth.insert(
                format!("{}|{}", r.dataset, r.key.trim_matches(|c| c == '"' || c == '[' || c == ']')),
                r.data["person"].as_str().unwrap().to_string(),
            );
        }
        let codes: Vec<String> = hub
            .current_records("r.dataset IN ('health', 'education')")
            .iter()
            .map(|r| r.data["ma_xa"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(codes.iter().filter(|c| c.len() == 5).count() > 10, "[{k}] commune codes: {codes:?}");
        assert!(
            !olds.iter().any(|o| codes.contains(&o.to_string())),
            "[{k}] no retired commune code in the master records"
        );
        let m = masters(&hub);
        assert_eq!(m.len(), truth.len(), "[{k}] every source record has a master entity");
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        let ids: Vec<&String> = m.keys().collect();
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                match (m[*a] == m[*b], truth[*a] == truth[*b]) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fn_ += 1,
                    _ => {}
                }
            }
        }
        let (p, r) = (tp as f64 / (tp + fp).max(1) as f64, tp as f64 / (tp + fn_).max(1) as f64);
        assert!(p > 0.97 && r > 0.9, "[{k}] same-entity precision {p:.3} recall {r:.3} ({tp} tp, {fp} fp, {fn_} fn)");
        // A master id finds every record of the person, in both agencies' datasets.
        let mut members: HashMap<&String, Vec<&String>> = HashMap::new();
        for (record, master) in &m {
            members.entry(master).or_default().push(record);
        }
        let (master, records) = members
            .iter()
            .find(|(_, r)| r.iter().any(|x| x.starts_with("health|")) && r.iter().any(|x| x.starts_with("education|")))
            .expect("an entity with records of both agencies");
        let report: serde_json::Value =
            serde_json::from_str(&lgsp(&hub, &["subject", "report", "--key", master])).unwrap();
        let held = report["holdings"].as_array().unwrap();
        let mut found: Vec<String> = held
            .iter()
            .filter(|h| h["found_by"] == "entity" && h["master_id"] == master.as_str())
            .map(|h| format!("{}|{}", h["dataset"].as_str().unwrap(), h["record_key"].as_str().unwrap()))
            .collect();
        let mut expected: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        found.sort();
        expected.sort();
        assert_eq!(found, expected, "[{k}] {report}");

        let golden = hub.query("SELECT COUNT(*) FROM records WHERE dataset = 'person' AND valid_to IS NULL");
        let entities: std::collections::HashSet<&String> = m.values().collect();
        assert_eq!(golden, entities.len().to_string(), "[{k}] one golden record per entity");
        assert!(hub.query("SELECT COUNT(*) FROM versions WHERE dataset = 'person_xref'").parse::<i64>().unwrap() >= 1);
        let xref = hub.current_records("r.dataset = 'person_xref'").swap_remove(0).data;
        assert!(xref["since_version"].as_str().is_some_and(|v| v == "1" || v == "2"), "[{k}] {xref}");
        let g = hub.current_records("r.dataset = 'person'").swap_remove(0).data;
        assert!(
            g["ma_xa"].as_str().is_some_and(|v| v.len() == 5) && g["so_dien_thoai"].is_string(),
            "[{k}] golden fields: {g}"
        );

        // The steward accepts an uncertain pair of two different persons: it applies now and
        // after a later resolution.
        let list = lgsp(&hub, &["review", "list", "--entity", "person"]);
        let item = list
            .lines()
            .find(|l| {
                let p: Vec<&str> = l.split_whitespace().collect();
                truth.get(p[3]) != truth.get(p[4])
            })
            .unwrap_or_else(|| panic!("[{k}] an uncertain pair of two persons is queued:\n{list}"));
        let f: Vec<&str> = item.split_whitespace().collect();
        let (id, a, b) = (f[0], f[3].to_string(), f[4].to_string());
        assert!(lgsp(&hub, &["review", "show", id]).contains("ho_ten"));
        let before = masters(&hub);
        lgsp(&hub, &["review", "accept", id]);
        lgsp(&hub, &["entity", "resolve", "person"]);
        let now = masters(&hub);
        assert_eq!(now[&a], now[&b], "[{k}] accepted pair merged");
        lgsp(&hub, &["entity", "resolve", "person"]);
        let again = masters(&hub);
        assert_eq!(again[&a], again[&b], "[{k}] the decision survives a re-run");

        // Unmerge restores the entities the two records had before.
        lgsp(&hub, &["entity", "unmerge", "person", &again[&a]]);
        let after = masters(&hub);
        assert_ne!(after[&a], after[&b], "[{k}] split again");
        assert_eq!((&after[&a], &after[&b]), (&before[&a], &before[&b]), "[{k}] with their previous master ids");
        lgsp(&hub, &["entity", "resolve", "person"]);
        let last = masters(&hub);
        assert_ne!(last[&a], last[&b], "[{k}] and they stay apart");
    }
}

#[test]
fn a_steward_detaches_a_record_undoes_it_and_stale_queue_items_expire() {
    let hub = Hub::sqlite();
    load_two_agencies(&hub);
    let before = masters(&hub);
    let mut groups: HashMap<&String, Vec<&String>> = HashMap::new();
    for (record, m) in &before {
        groups.entry(m).or_default().push(record);
    }
    let (master, members) = groups.iter().find(|(_, v)| v.len() == 2).expect("an entity of two records");
    let (record, other) = if members[0].starts_with("education") {
        (members[0].clone(), members[1].clone())
    } else {
        (members[1].clone(), members[0].clone())
    };

    // Detach: the record leaves, the other keeps the entity and its id.
    let out = lgsp(&hub, &["entity", "detach", "person", &record]);
    assert!(out.contains(&format!("{record} left {master}")), "{out}");
    let after = masters(&hub);
    assert_eq!(&after[&other], *master, "the rest keeps the master id");
    assert_ne!(after[&record], **master, "the record has an entity of its own");
    assert!(lgsp(&hub, &["review", "decisions", "person"]).contains(&format!("by detach:{record}")));
    lgsp(&hub, &["entity", "resolve", "person"]);
    assert_ne!(masters(&hub)[&record], **master, "the detach lasts");

    // Undone, the two are one entity again, under the id they had.
    let out = lgsp(&hub, &["review", "undo", "person", "--by", &format!("detach:{record}")]);
    assert!(out.contains("1 decisions withdrawn"), "{out}");
    lgsp(&hub, &["entity", "resolve", "person"]);
    let again = masters(&hub);
    assert_eq!((&again[&record], &again[&other]), (*master, *master));
    let audit = hub.query("SELECT action FROM audit_log");
    for action in ["entity detach", "review undo"] {
        assert!(audit.contains(action), "'{action}' is audit-logged: {audit}");
    }

    // A queued pair that no longer scores between the thresholds expires at the next resolution.
    hub.sql(&format!(
        "INSERT INTO review_queue (id, entity, a, b, probability, status, created_at, detail) \
         VALUES ('r-stale', 'person', '{other}', '{record}', 0.6, 'pending', '2026-01-01T00:00:00Z', '{{}}')"
    ));
    assert!(lgsp(&hub, &["review", "list", "--entity", "person"]).contains("r-stale"));
    lgsp(&hub, &["entity", "resolve", "person"]);
    assert_eq!(hub.query("SELECT status FROM review_queue WHERE id = 'r-stale'"), "expired");
    assert!(!lgsp(&hub, &["review", "list", "--entity", "person"]).contains("r-stale"));

    // `review show`: the prior and the weights add up to the total.
    let list = lgsp(&hub, &["review", "list", "--entity", "person"]);
    let id = list.split_whitespace().next().expect("a pending item");
    let show = lgsp(&hub, &["review", "show", id]);
    let weight = |l: &str| l.split_whitespace().last().and_then(|w| w.parse::<f64>().ok());
    let rows: Vec<&str> = show.lines().skip(2).take_while(|l| !l.starts_with("total")).collect();
    assert!(rows[0].starts_with("prior"), "{show}");
    let sum: f64 = rows.iter().filter_map(|l| weight(l)).sum();
    let total = show.lines().find(|l| l.starts_with("total")).and_then(weight).expect("a total row");
    assert!((sum - total).abs() < 0.05, "prior and weights {sum} add up to the total {total}:\n{show}");

    // The reader of `review list` goes away before it writes: the command ends quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_lgsp"))
        .args(["review", "list", "--all"])
        .env("LGSP_STORE_URL", &hub.store_url)
        .env("LGSP_OBJECT_STORE_URL", hub.objects())
        .env("LGSP_AUDIT_KEY_FILE", hub.audit_key_file())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "{stderr}");
}
