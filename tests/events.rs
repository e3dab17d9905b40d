//! Change events through the real binary: a version published while no server runs reaches the
//! subscriber's webhook once the server starts; a failed delivery is retried after the server
//! is killed and started again; an event is acknowledged once per id; signatures verify; every
//! attempt is in the audit log; a replay sends the event again; a failed run and a declared
//! schema change are events.

mod common;

use common::{repo, Hub};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got: (webhook-id, webhook-timestamp, webhook-signature, body, answered status).
type Received = (String, String, String, String, u16);

/// A webhook receiver on a free port that answers 500 to its first `failures` requests, then 200.
fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = std::collections::HashMap::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_lowercase(), v.trim().to_string());
                }
                line.clear();
            }
            let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let mut log = log.lock().unwrap();
            let status = if log.len() < failures { 500 } else { 200 };
            let h = |k: &str| headers.get(k).cloned().unwrap_or_default();
            log.push((
                h("webhook-id"),
                h("webhook-timestamp"),
                h("webhook-signature"),
                String::from_utf8_lossy(&body).into(),
                status,
            ));
            let mut stream = stream;
            let _ = write!(stream, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, got)
}

fn wait_for(got: &Arc<Mutex<Vec<Received>>>, n: usize, secs: u64) -> Vec<Received> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if got.lock().unwrap().len() >= n {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    got.lock().unwrap().clone()
}

#[test]
fn a_version_event_reaches_the_webhook_once_across_a_killed_server_and_its_signature_verifies() {
    for hub in Hub::all() {
        event_once_on(&hub);
    }
}

fn event_once_on(hub: &Hub) {
    hub.ok(&["init"]);
    hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v1.csv")));
    let (client, _) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
    let mut grant = vec!["grant", "add", "--client", &client, "--dataset", "enterprises", "--scope", "changes"];
    grant.extend(["--fields", "ma_so_thue", "--basis", "Điều 9"]);
    hub.ok(&grant);
    let (url, got) = receiver(1);
    let out = hub.ok(&["events", "subscribe", "--client", &client, "--url", &url]);
    let secret = out.lines().find_map(|l| l.strip_prefix("secret: whsec_")).expect("a secret").to_string();
    let err = hub.fails(&["events", "subscribe", "--client", &client, "--url", "ftp://x"]);
    assert!(err.contains("not an http"), "{err}");

    // Published while no server runs: the event is made when one starts.
    assert_eq!(hub.run_json("enterprises", Some(&repo().join("data/samples/enterprises_v2.csv")))["version"], 2);
    let server = hub.serve(&[]);
    let first = wait_for(&got, 1, 20);
    assert_eq!(first.len(), 1, "the first attempt came (and was refused with 500)");
    drop(server); // killed before the retry
    let _server = hub.serve(&[]);
    let all = wait_for(&got, 2, 30);
    std::thread::sleep(Duration::from_secs(3));
    let all_after = got.lock().unwrap().clone();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all_after.len(), 2, "nothing is sent after the acknowledgement: {all_after:?}");
    let acknowledged: Vec<&Received> = all.iter().filter(|r| r.4 == 200).collect();
    assert_eq!(acknowledged.len(), 1);
    let (id, timestamp, signature, body, _) = acknowledged[0].clone();
    assert_eq!(id, "version:enterprises:2");
    assert_eq!(all[0].0, id, "the retry carries the same id");
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((&event["specversion"], &event["type"]), (&"1.0".into(), &"vn.gov.lgsp.version.published".into()));
    assert_eq!((&event["data"]["dataset"], &event["data"]["version"]), (&"enterprises".into(), &2.into()), "{event}");
    let key = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &secret).unwrap();
    let expected = lgsp_hub::events::signature(&key, &id, timestamp.parse().unwrap(), &body);
    assert_eq!(signature, expected, "the signature verifies with the subscription's secret");
    assert_ne!(lgsp_hub::events::signature(b"another secret", &id, timestamp.parse().unwrap(), &body), signature);

    let log = hub.ok(&["audit", "export", "--from", "2000-01-01", "--to", "2100-01-01"]);
    assert_eq!(log.lines().filter(|l| l.contains(",event,") && l.contains("webhook")).count(), 2, "{log}");
    let delivered = hub.ok(&["events", "list", "--status", "delivered"]);
    assert!(delivered.contains("version:enterprises:2") && delivered.contains("\"attempts\":2"), "{delivered}");

    // A replay sends it again, under the same id (receivers deduplicate by id).
    assert!(hub.ok(&["events", "replay", "version:enterprises:2"]).contains("1 deliveries"));
    let replayed = wait_for(&got, 3, 20);
    assert_eq!(replayed.len(), 3);
    assert_eq!(replayed[2].0, "version:enterprises:2");

    // A failed run is an event too.
    assert!(!hub.lgsp(&["run", "enterprises", "--input", "/nonexistent/enterprises.csv"]).status.success());
    let failed = wait_for(&got, 4, 20);
    let event: serde_json::Value = serde_json::from_str(&failed[3].3).unwrap();
    assert_eq!(event["type"], "vn.gov.lgsp.run.failed", "{event}");
    assert!(event["data"]["error"].as_str().is_some_and(|e| e.contains("/nonexistent/enterprises.csv")), "{event}");

    // A declared breaking change: the field `email` goes, under contract version 2.
    let text = std::fs::read_to_string(repo().join("pipelines/enterprises.toml")).unwrap();
    let (a, rest) = text.split_at(text.find("[[fields]]\nname = \"email\"").unwrap());
    let b = rest[10..].find("[[fields]]").unwrap() + 10;
    let file = hub.objects().with_file_name("enterprises.toml");
    let gates = "\n[gates]\nmax_update_fraction = 1.0\n";
    std::fs::write(&file, format!("contract_version = 2\n{a}{}{gates}", &rest[b..])).unwrap();
    let v2 = repo().join("data/samples/enterprises_v2.csv");
    let run = hub.ok_json(&["run", file.to_str().unwrap(), "--input", v2.to_str().unwrap(), "--json"]);
    assert_eq!(run["version"], 3, "{run}");
    let changed = wait_for(&got, 6, 20);
    let kinds: Vec<serde_json::Value> = changed[4..].iter().map(|r| serde_json::from_str(&r.3).unwrap()).collect();
    let schema = kinds.iter().find(|e| e["type"] == "vn.gov.lgsp.schema.changed").expect("a schema event");
    assert_eq!(
        (&schema["data"]["contract_version"], &schema["data"]["previous_contract_version"]),
        (&2.into(), &1.into())
    );
    assert_eq!(schema["data"]["breaking"], serde_json::json!(["field 'email' is removed (or renamed)"]), "{schema}");
}

#[test]
fn a_scheduled_dataset_that_misses_its_fire_time_is_announced_stale_once() {
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    // Every two seconds: with no scheduler running, the dataset is late at once.
    let dir = hub.objects().with_file_name("pipelines");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(repo().join("pipelines/enterprises.toml")).unwrap();
    let text = text.replace("schedule = \"0 0 2 * * *\"", "schedule = \"*/2 * * * * *\"");
    let file = dir.join("enterprises.toml");
    std::fs::write(&file, text).unwrap();
    let input = repo().join("data/samples/enterprises_v1.csv");
    hub.ok(&["run", file.to_str().unwrap(), "--input", input.to_str().unwrap()]);
    let (client, _) = hub.new_client("000.00.00.G12", "Bộ Tài chính");
    hub.ok(&[
        "grant",
        "add",
        "--client",
        &client,
        "--dataset",
        "enterprises",
        "--scope",
        "changes",
        "--fields",
        "ma_so_thue",
        "--basis",
        "b",
    ]);
    let (url, got) = receiver(0);
    hub.ok(&["events", "subscribe", "--client", &client, "--url", &url]);
    let _server = hub.serve(&[("LGSP_PIPELINES_DIR", dir.to_str().unwrap()), ("LGSP_STALE_AFTER_SECONDS", "1")]);
    let stale = wait_for(&got, 1, 30);
    assert_eq!(stale.len(), 1, "a stale event came");
    let event: serde_json::Value = serde_json::from_str(&stale[0].3).unwrap();
    assert_eq!(
        (&event["type"], &event["data"]["dataset"]),
        (&"vn.gov.lgsp.dataset.stale".into(), &"enterprises".into())
    );
    assert_eq!(event["data"]["freshness"], "late", "{event}");
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(got.lock().unwrap().len(), 1, "a dataset that stays stale is announced once");
}
