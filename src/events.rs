//! Change events: when a version is published (its schema changed, or not) or a run fails, a CloudEvents 1.0 event goes to
//! the webhooks of the clients granted the dataset. Events live in an outbox in the store, with
//! ids that follow from what happened (`version:<dataset>:<n>`, `run-failed:<run id>`), so an
//! event missed by a process that stopped is made by the next pass, and never twice. Deliveries
//! are signed (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`),
//! retried with exponential backoff, kept `dead` after the last attempt and replayable; every
//! attempt is an audit-log entry.

mod broker;
mod stale;
mod worker;

pub use broker::{publish_pending, Broker};
pub use stale::record as record_stale;
pub use worker::{spawn, Watch};

use crate::digest::MacKey;
use crate::store::{Due, Store};
use base64::Engine;
use serde_json::json;

/// Errors of change events.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Access(#[from] crate::access::Error),
    /// The URL is not an http(s) URL.
    #[error("'{0}' is not an http:// or https:// URL")]
    Url(String),
    /// The broker did not take an event.
    #[error("publishing to the broker: {0}")]
    Broker(String),
    /// The hub's key is not loaded (secrets derive from it).
    #[error("the hub's key is not loaded: webhook secrets derive from it")]
    NoKey,
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Attempts before a delivery is dead.
pub const MAX_ATTEMPTS: i64 = 8;

/// The secret of a subscription (`whsec_…`): derived from the hub's key and the subscription
/// id, so it is never stored.
pub(crate) fn secret(key: &MacKey, subscription: &str) -> Vec<u8> {
    key.derive("webhook", subscription).bytes().to_vec()
}

/// The `webhook-signature` header of a body: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body` under the secret.
pub fn signature(secret: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Subscribes `client_id` to the events of the datasets it is granted; returns (id, secret as
/// `whsec_…`, shown only now).
pub async fn subscribe(store: &Store, client_id: &str, url: &str) -> Result<(String, String)> {
    if !(url.starts_with("http://") || url.starts_with("https://")) || url::Url::parse(url).is_err() {
        return Err(Error::Url(url.into()));
    }
    match store.client(client_id).await? {
        Some(c) if c.revoked_at.is_none() => {}
        _ => return Err(Error::Access(crate::access::Error::NoClient(client_id.into()))),
    }
    let key = store.audit_chain().key().ok_or(Error::NoKey)?;
    let id = format!("s-{}", crate::access::random_token(9).to_lowercase().replace(['-', '_'], "x"));
    store.add_subscription(&id, client_id, url).await?;
    let secret = base64::engine::general_purpose::STANDARD.encode(secret(key, &id));
    Ok((id, format!("whsec_{secret}")))
}

pub(crate) fn cloud_event(
    id: &str,
    kind: &str,
    dataset: &str,
    subject: &str,
    time: &str,
    data: serde_json::Value,
) -> String {
    json!({
        "specversion": "1.0", "id": id, "source": format!("/lgsp-hub/datasets/{dataset}"), "type": kind,
        "subject": subject, "time": time, "datacontenttype": "application/json", "data": data,
    })
    .to_string()
}

/// Makes the events of versions and failed runs that have none yet (with a delivery to each
/// subscriber); returns how many.
pub async fn record_pending(store: &Store, objects: Option<&crate::objects::Objects>) -> Result<usize> {
    let today = crate::catalog::today();
    let mut n = 0;
    for (dataset, version, at, rows, inserted, updated, deleted) in store.unevented_versions(100).await? {
        if let Some(objects) = objects {
            schema_change(store, objects, &dataset, version, &at, &today).await?;
        }
        let id = format!("version:{dataset}:{version}");
        let data = json!({
            "dataset": dataset, "version": version, "rows": rows, "inserted": inserted, "updated": updated, "deleted": deleted,
            "snapshot": format!("/api/v1/datasets/{dataset}/snapshot?version={version}"),
            "changes": format!("/api/v1/datasets/{dataset}/changes?since={}", version - 1),
        });
        let body =
            cloud_event(&id, "vn.gov.lgsp.version.published", &dataset, &format!("versions/{version}"), &at, data);
        let subs: Vec<String> = store.subscribers_of(&dataset, &today).await?.into_iter().map(|s| s.id).collect();
        store.add_event(&id, "vn.gov.lgsp.version.published", &dataset, &body, &subs).await?;
        n += 1;
    }
    for (run, dataset, pipeline, at, error) in store.unevented_failures(100).await? {
        let id = format!("run-failed:{run}");
        let data = json!({ "dataset": dataset, "pipeline": pipeline, "run": run, "error": error });
        let body = cloud_event(&id, "vn.gov.lgsp.run.failed", &dataset, &format!("runs/{run}"), &at, data);
        let subs: Vec<String> = store.subscribers_of(&dataset, &today).await?.into_iter().map(|s| s.id).collect();
        store.add_event(&id, "vn.gov.lgsp.run.failed", &dataset, &body, &subs).await?;
        n += 1;
    }
    Ok(n)
}

/// The manifest of a version, when its row and file are there.
async fn manifest(
    store: &Store,
    objects: &crate::objects::Objects,
    dataset: &str,
    version: i64,
) -> Option<crate::versions::Manifest> {
    let row = store.version(dataset, version).await.ok()??;
    let bytes = crate::objects::get(objects, &format!("{}/manifest.json", row.prefix)).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Records a `schema.changed` event when version `version`'s schema or key differs from the
/// previous version's (a breaking change can only be published declared: see `pipeline::contract`).
async fn schema_change(
    store: &Store,
    objects: &crate::objects::Objects,
    dataset: &str,
    version: i64,
    at: &str,
    today: &str,
) -> Result<()> {
    let (Some(before), Some(now)) =
        (manifest(store, objects, dataset, version - 1).await, manifest(store, objects, dataset, version).await)
    else {
        return Ok(());
    };
    let breaking = crate::pipeline::contract::breaking(&before, &now.schema, &now.key);
    let added: Vec<&str> = now
        .schema
        .iter()
        .filter(|f| !before.schema.iter().any(|b| b.name == f.name))
        .map(|f| f.name.as_str())
        .collect();
    if breaking.is_empty() && added.is_empty() {
        return Ok(());
    }
    let id = format!("schema-changed:{dataset}:{version}");
    let data = json!({
        "dataset": dataset, "version": version, "contract_version": now.contract_version,
        "previous_contract_version": before.contract_version, "breaking": breaking, "added": added,
        "schema": format!("/api/v1/datasets/{dataset}/schema"),
    });
    let body = cloud_event(&id, "vn.gov.lgsp.schema.changed", dataset, &format!("versions/{version}"), at, data);
    let subs: Vec<String> = store.subscribers_of(dataset, today).await?.into_iter().map(|s| s.id).collect();
    store.add_event(&id, "vn.gov.lgsp.schema.changed", dataset, &body, &subs).await?;
    Ok(())
}

/// Seconds before attempt `attempts + 1` (after `attempts` failed): 2, 4, 8, … up to an hour.
fn backoff(attempts: i64) -> i64 {
    2_i64.saturating_pow(attempts.clamp(0, 30) as u32 + 1).min(3600)
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Sends the deliveries that are due; returns how many were attempted.
pub async fn deliver_due(store: &Store, http: &reqwest::Client) -> Result<usize> {
    let key = store.audit_chain().key().ok_or(Error::NoKey)?.clone();
    let now = chrono::Utc::now();
    let claimed = store.claim_due(&rfc3339(now), &rfc3339(now + chrono::Duration::seconds(60)), 50).await?;
    let n = claimed.len();
    for due in claimed {
        let d = &due.delivery;
        let timestamp = chrono::Utc::now().timestamp();
        let sig = signature(&secret(&key, &d.subscription_id), &d.event_id, timestamp, &due.body);
        let sent = http
            .post(&due.url)
            .header("content-type", "application/cloudevents+json")
            .header("webhook-id", &d.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", sig)
            .body(due.body.clone())
            .send()
            .await;
        let (status, error) = match &sent {
            Ok(r) if r.status().is_success() => (r.status().as_u16() as i64, None),
            Ok(r) => (r.status().as_u16() as i64, Some(format!("the receiver answered {}", r.status()))),
            Err(e) => (0, Some(format!("not sent: {e}"))),
        };
        note(store, &due, status, error.as_deref()).await?;
    }
    Ok(n)
}

/// Records an attempt in the store and the audit log.
async fn note(store: &Store, due: &Due, status: i64, error: Option<&str>) -> Result<()> {
    let d = &due.delivery;
    let attempt = d.attempts + 1;
    let (state, next) = match error {
        None => ("delivered", rfc3339(chrono::Utc::now())),
        Some(_) if attempt >= MAX_ATTEMPTS => ("dead", rfc3339(chrono::Utc::now())),
        Some(_) => ("pending", rfc3339(chrono::Utc::now() + chrono::Duration::seconds(backoff(d.attempts)))),
    };
    store.note_attempt(d, state, &next, error).await?;
    let entry = crate::store::AuditRow {
        kind: "event".into(),
        actor: due.client_id.clone(),
        agency: due.agency.clone(),
        action: "webhook".into(),
        dataset: d.event_id.split(':').nth(1).unwrap_or_default().into(),
        status,
        detail: json!({ "event": d.event_id, "subscription": d.subscription_id, "attempt": attempt, "state": state, "error": error })
            .to_string(),
        ..Default::default()
    };
    if let Err(e) = crate::audit::append(store, entry).await {
        tracing::error!(error = %e, "could not log a webhook delivery");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!((super::backoff(0), super::backoff(1), super::backoff(5)), (2, 4, 64));
        assert_eq!(super::backoff(20), 3600);
    }

    #[test]
    fn the_signature_is_standard_webhooks_v1() {
        // The example of the Standard Webhooks specification.
        let secret =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
                .unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            super::signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
