//! Change events on NATS JetStream, for platforms that run a broker: every event of the outbox
//! is published to the subject of its dataset (`<subject_prefix>.<dataset>`) in a stream the hub
//! makes when missing, as a structured CloudEvent, with the event id as `Nats-Msg-Id` (the
//! stream drops a second copy published within its duplicate window: after a restart, say). An
//! event counts as published once the stream acknowledged it; every attempt is an audit entry.

use crate::settings::BrokerSettings;
use crate::store::Store;
use async_nats::jetstream;
use std::time::Duration;

/// How long the stream remembers event ids to drop a second copy.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// A broker failure, as the broker client said it.
#[derive(Debug, thiserror::Error)]
#[error("NATS: {0}")]
pub struct BrokerError(String);

fn failed(e: impl std::fmt::Display) -> BrokerError {
    BrokerError(e.to_string())
}

/// A connection to the broker, with the stream in place.
pub struct Broker {
    js: jetstream::Context,
    settings: BrokerSettings,
}

impl Broker {
    /// Connects and makes the stream when missing.
    pub async fn connect(settings: &BrokerSettings) -> Result<Broker, BrokerError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .connect(settings.url.as_str())
            .await
            .map_err(failed)?;
        let js = jetstream::new(client);
        let config = jetstream::stream::Config {
            name: settings.stream.clone(),
            subjects: vec![format!("{}.>", settings.subject_prefix)],
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        };
        js.get_or_create_stream(config).await.map_err(failed)?;
        Ok(Broker { js, settings: settings.clone() })
    }

    /// The subject of a dataset's events.
    pub fn subject(&self, dataset: &str) -> String {
        format!("{}.{dataset}", self.settings.subject_prefix)
    }

    /// Publishes one event and waits for the stream's acknowledgement; returns its sequence
    /// number in the stream and whether the stream had it already.
    async fn publish(&self, id: &str, dataset: &str, body: &str) -> Result<(u64, bool), BrokerError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
        headers.insert("content-type", "application/cloudevents+json");
        let ack = self
            .js
            .publish_with_headers(self.subject(dataset), headers, body.to_string().into())
            .await
            .map_err(failed)?
            .await
            .map_err(failed)?;
        Ok((ack.sequence, ack.duplicate))
    }
}

/// Publishes the events not yet on the broker, oldest first, until one fails; returns how many
/// were published.
pub async fn publish_pending(store: &Store, broker: &Broker) -> Result<usize, super::Error> {
    let since = store.event_sink("nats").await?;
    let mut n = 0;
    for (id, dataset, body) in store.unbrokered_events(&since, 100).await? {
        let sent = broker.publish(&id, &dataset, &body).await;
        let (status, detail) = match &sent {
            Ok((seq, duplicate)) => (
                200,
                serde_json::json!({ "event": id, "subject": broker.subject(&dataset), "stream": broker.settings.stream, "seq": seq, "duplicate": duplicate }),
            ),
            Err(e) => {
                (0, serde_json::json!({ "event": id, "subject": broker.subject(&dataset), "error": e.to_string() }))
            }
        };
        let entry = crate::store::AuditRow {
            kind: "event".into(),
            actor: "-".into(),
            action: "nats".into(),
            dataset: dataset.clone(),
            status,
            detail: detail.to_string(),
            ..Default::default()
        };
        if let Err(e) = crate::audit::append(store, entry).await {
            tracing::error!(error = %e, "could not log a broker publication");
        }
        sent.map_err(|e| super::Error::Broker(e.to_string()))?;
        store.mark_brokered(&id).await?;
        n += 1;
    }
    Ok(n)
}
