//! The event worker of `lgsp serve`: records events, checks freshness, delivers webhooks and
//! publishes to the broker.

use super::{deliver_due, publish_pending, record_pending, stale, Broker};
use crate::settings::BrokerSettings;
use crate::store::Store;

/// What the event worker of `lgsp serve` watches.
pub struct Watch {
    /// The pipelines whose datasets can go stale.
    pub specs: Vec<crate::pipeline::PipelineSpec>,
    /// How long after a missed fire time a dataset is announced stale.
    pub grace: chrono::Duration,
    /// The NATS JetStream events also go to, if any.
    pub broker: Option<BrokerSettings>,
}

/// Records and delivers events every second until the process stops (`lgsp serve`); checks
/// freshness every five seconds.
pub fn spawn(store: Store, objects: crate::objects::Objects, watch: Watch) {
    tokio::spawn(async move {
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default();
        let mut checked = std::time::Instant::now() - std::time::Duration::from_secs(60);
        let (mut broker, mut tried) = (None, None);
        loop {
            if let Err(e) = record_pending(&store, Some(&objects)).await {
                tracing::warn!(error = %e, "could not record events");
            }
            if checked.elapsed() >= std::time::Duration::from_secs(5) {
                checked = std::time::Instant::now();
                if let Err(e) = stale::record(&store, &watch.specs, chrono::Utc::now(), watch.grace).await {
                    tracing::warn!(error = %e, "could not record stale datasets");
                }
            }
            if let Some(settings) = &watch.broker {
                broker = to_broker(&store, settings, broker, &mut tried).await;
            }
            match deliver_due(&store, &http).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not deliver events"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}

/// Publishes pending events to the broker, connecting first when not connected (at most every
/// five seconds); returns the connection to keep, none after a failure.
async fn to_broker(
    store: &Store,
    settings: &BrokerSettings,
    broker: Option<Broker>,
    tried: &mut Option<std::time::Instant>,
) -> Option<Broker> {
    let broker = match broker {
        Some(b) => b,
        None if tried.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(5)) => return None,
        None => {
            *tried = Some(std::time::Instant::now());
            match Broker::connect(settings).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, url = %settings.url, "could not reach the event broker");
                    return None;
                }
            }
        }
    };
    match publish_pending(store, &broker).await {
        Ok(_) => Some(broker),
        Err(e) => {
            tracing::warn!(error = %e, "could not publish events to the broker");
            None
        }
    }
}
