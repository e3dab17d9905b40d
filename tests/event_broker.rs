//! Change events on NATS JetStream (the machine's server at 127.0.0.1:4222, or
//! `LGSP_TEST_NATS_URL`): a consumer of the stream receives each version's event, once per event
//! id even when the hub publishes it again after a restart. Skipped when no server answers,
//! unless `LGSP_TEST_REQUIRE_NATS=1`.

mod common;

use common::{repo, Hub};
use futures::StreamExt;

fn nats_url() -> Option<String> {
    let url = std::env::var("LGSP_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let addr = url.trim_start_matches("nats://").to_string();
    if std::net::TcpStream::connect(&addr).is_err() {
        assert!(std::env::var_os("LGSP_TEST_REQUIRE_NATS").is_none(), "NATS is required at {url}");
        eprintln!("skipped: no NATS server at {url}");
        return None;
    }
    Some(url)
}

/// The events in the stream: (subject, Nats-Msg-Id, body).
async fn events(url: &str, stream: &str) -> Vec<(String, String, serde_json::Value)> {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let stream = js.get_stream(stream).await.unwrap();
    let consumer = stream.create_consumer(async_nats::jetstream::consumer::pull::Config::default()).await.unwrap();
    let n = stream.get_info().await.unwrap().state.messages as usize;
    let mut got = Vec::new();
    let mut messages =
        consumer.fetch().max_messages(n.max(1)).expires(std::time::Duration::from_secs(2)).messages().await.unwrap();
    while let Some(Ok(m)) = messages.next().await {
        let id = m.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id")).map(|v| v.to_string()).unwrap_or_default();
        got.push((m.subject.to_string(), id, serde_json::from_slice(&m.payload).unwrap()));
        m.ack().await.unwrap();
    }
    got
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..150 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn each_version_event_reaches_a_jetstream_consumer_once() {
    let Some(url) = nats_url() else { return };
    let tag = format!("{}{}", std::process::id(), chrono::Utc::now().timestamp_subsec_nanos());
    let (stream, prefix) = (format!("LGSP_TEST_{tag}"), format!("lgsptest{tag}.events"));
    let hub = Hub::sqlite();
    hub.ok(&["init"]);
    let env = [("LGSP_NATS_URL", url.as_str()), ("LGSP_NATS_STREAM", &stream), ("LGSP_NATS_SUBJECT_PREFIX", &prefix)];
    let server = hub.serve(&env);
    // Events are made from the time the broker is first reached on.
    wait_until("the broker sink", || !hub.query("SELECT since FROM event_sinks WHERE name = 'nats'").is_empty());
    let samples = repo().join("data/samples");
    hub.run_json("enterprises", Some(&samples.join("enterprises_v1.csv")));
    hub.run_json("enterprises", Some(&samples.join("enterprises_v2.csv")));
    let published = || hub.query("SELECT COUNT(*) FROM events WHERE brokered_at IS NOT NULL") == "2";
    wait_until("two events on the broker", published);

    // A restart that finds the events unpublished (as after a crash before noting them) sends
    // them again; the stream keeps one copy of each.
    drop(server);
    hub.sql("UPDATE events SET brokered_at = NULL");
    let _server = hub.serve(&env);
    wait_until("the events published again", published);

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let got = rt.block_on(events(&url, &stream));
    let ids: Vec<&str> = got.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(ids, ["version:enterprises:1", "version:enterprises:2"], "{got:?}");
    for (subject, id, body) in &got {
        assert_eq!(subject, &format!("{prefix}.enterprises"));
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body["type"], "vn.gov.lgsp.version.published");
        assert_eq!(body["specversion"], "1.0");
    }
    assert_eq!(got[1].2["data"]["version"], 2);
    // Each publication is an audit entry, the second copies marked as such.
    let dups = hub.query("SELECT COUNT(*) FROM audit_log WHERE kind = 'event' AND action = 'nats' AND detail LIKE '%\"duplicate\":true%'");
    assert_eq!(dups, "2");
    hub.ok(&["audit", "verify"]);
    rt.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
        js.delete_stream(&stream).await.unwrap();
    });
}
