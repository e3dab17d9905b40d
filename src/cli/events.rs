//! `lgsp events`: webhook subscriptions, the deliveries of change events, replay.

use clap::Subcommand;
use lgsp_hub::settings::Settings;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// Send the events of the datasets a client is granted to a URL (prints the signing secret once).
    Subscribe {
        /// The client id.
        #[arg(long)]
        client: String,
        /// The receiver's http(s) URL.
        #[arg(long)]
        url: String,
    },
    /// Deliveries, newest first (`--status dead` for dead letters).
    List {
        /// pending, delivered or dead.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Deliver an event again (dead letters, or a receiver that lost it).
    Replay {
        /// The event id (`lgsp events list`).
        event: String,
    },
}

pub async fn events(settings: &Settings, cmd: EventsCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match cmd {
        EventsCommand::Subscribe { client, url } => {
            let (id, secret) = lgsp_hub::events::subscribe(&store, &client, &url).await?;
            let agency = store.client(&client).await?.map(|c| c.agency).unwrap_or_default();
            let detail = serde_json::json!({ "subscription": id, "client": client, "url": url });
            super::access::admin(settings, &store, "events subscribe", &agency, detail).await?;
            println!("subscription: {id}\nsecret: {secret}\n(the secret is shown only now; it signs every delivery)");
        }
        EventsCommand::List { status, limit } => {
            for d in store.deliveries(status.as_deref(), limit).await? {
                println!("{}", serde_json::to_string(&d)?);
            }
        }
        EventsCommand::Replay { event } => {
            let n = store.replay_event(&event).await?;
            super::access::admin(
                settings,
                &store,
                "events replay",
                "",
                serde_json::json!({ "event": event, "deliveries": n }),
            )
            .await?;
            println!("{n} deliveries of {event} will be sent again");
        }
    }
    Ok(ExitCode::SUCCESS)
}
