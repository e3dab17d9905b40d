//! `lgsp agency`, `lgsp client`, `lgsp grant` and `lgsp audit`: consumer access administration;
//! every change is written to the audit log.

use anyhow::{bail, Context};
use clap::Subcommand;
use lgsp_hub::access::{self, GrantRequest};
use lgsp_hub::audit;
use lgsp_hub::settings::Settings;
use lgsp_hub::store::Store;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AgencyCommand {
    /// Add an agency by its electronic identifier code (Decision 20/2020/QĐ-TTg).
    Add {
        /// The agency's electronic identifier code, e.g. `000.00.12.H48`.
        code: String,
        /// Its name, e.g. "Sở Y tế".
        name: String,
    },
    /// List the agencies.
    List {
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Create an API client for an agency; prints its id and secret once.
    Create {
        /// The agency's electronic identifier code (`lgsp agency list`).
        #[arg(long)]
        agency: String,
        /// Also give it the admin credential (the admin API: agencies, clients, grants).
        #[arg(long)]
        admin: bool,
    },
    /// Write a Delta Sharing profile file for a client: a bearer token of its own (shown only
    /// in the file, stored hashed) and the hub's address. Revoking the client ends it.
    Profile {
        /// The client id.
        #[arg(long)]
        client: String,
        /// Days the token works.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// The hub's address as the consumer reaches it (default: the `public_url` setting, else
        /// http://127.0.0.1:8080).
        #[arg(long)]
        endpoint: Option<String>,
        /// Write the profile to this file (default: print it).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Revoke a client and its tokens.
    Revoke {
        /// The client id.
        id: String,
    },
    /// List the clients (never their secrets), of one agency or of all.
    List {
        /// Only this agency's clients.
        #[arg(long)]
        agency: Option<String>,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum GrantCommand {
    /// Grant a client one scope on a dataset (deny by default).
    Add {
        /// The client id (`lgsp client list`).
        #[arg(long)]
        client: String,
        /// Dataset name ('*' with the admin scope).
        #[arg(long)]
        dataset: String,
        /// snapshot, changes, lookup, reports (or admin, with dataset '*').
        #[arg(long)]
        scope: String,
        /// Only these fields (comma separated).
        #[arg(long, value_delimiter = ',')]
        fields: Option<Vec<String>>,
        /// Last day of the grant.
        #[arg(long)]
        until: Option<String>,
        /// Legal basis: the law, decree or decision that allows the sharing.
        #[arg(long)]
        basis: String,
        /// What the receiving agency uses the data for (required when personal fields are granted).
        #[arg(long, default_value = "")]
        purpose: String,
        /// Grant sensitive personal fields (refused without it).
        #[arg(long)]
        sensitive: bool,
        /// Deliver a field masked or pseudonymized: field=last4|initials|year|pseudonym (repeatable).
        #[arg(long = "protect")]
        protect: Vec<String>,
    },
    /// List a client's active grants (a table; `--json` for JSON lines).
    List {
        /// The client id.
        #[arg(long)]
        client: String,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

/// Writes a file only its owner can read (it holds a token).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

pub(super) async fn admin(
    settings: &Settings,
    store: &Store,
    action: &str,
    agency: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    audit::append(store, audit::admin_entry("cli", action, agency, detail)).await?;
    checkpoint_after(settings, store).await;
    Ok(())
}

/// Writes a checkpoint after an admin action: the action is done, so a failure is reported,
/// not fatal (the next checkpoint covers it).
async fn checkpoint_after(settings: &Settings, store: &Store) {
    let written = match lgsp_hub::objects::open(&settings.object_store_url) {
        Ok(objects) => audit::write_checkpoint(store, &objects).await.map(|_| ()).map_err(anyhow::Error::from),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = written {
        tracing::warn!(error = %e, "the audit checkpoint after this action was not written");
    }
}

pub async fn agency(settings: &Settings, cmd: AgencyCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let (code, name) = match cmd {
        AgencyCommand::Add { code, name } => (code, name),
        AgencyCommand::List { json } => {
            for (code, name) in store.agencies().await? {
                match json {
                    true => println!("{}", serde_json::json!({ "code": code, "name": name })),
                    false => println!("{code:<16} {name}"),
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    access::add_agency(&store, &code, &name).await?;
    admin(settings, &store, "agency add", &code, serde_json::json!({ "name": name })).await?;
    println!("agency {code} added");
    Ok(ExitCode::SUCCESS)
}

pub async fn client(settings: &Settings, cmd: ClientCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match cmd {
        ClientCommand::Create { agency, admin: is_admin } => {
            let (id, secret) = access::create_client(&store, &agency).await?;
            admin(settings, &store, "client create", &agency, serde_json::json!({ "client": id })).await?;
            if is_admin {
                let g = access::add_grant(
                    &store,
                    GrantRequest {
                        client_id: &id,
                        dataset: access::ADMIN_DATASET,
                        scope: "admin",
                        fields: None,
                        until: None,
                        basis: "platform administration",
                        purpose: "",
                        sensitive: false,
                        protect: Default::default(),
                        personal_days: settings.personal_grant_days,
                    },
                )
                .await?;
                admin(settings, &store, "grant add", &agency, serde_json::to_value(&g)?).await?;
            }
            println!("client_id: {id}\nclient_secret: {secret}\n(the secret is shown only now; it is stored hashed)");
        }
        ClientCommand::List { agency, json } => {
            let agencies = match agency {
                Some(a) => vec![a],
                None => store.agencies().await?.into_iter().map(|(code, _)| code).collect(),
            };
            for a in agencies {
                for c in store.clients_of(&a).await? {
                    let status = if c.revoked_at.is_some() { "revoked" } else { "active" };
                    match json {
                        true => println!(
                            "{}",
                            serde_json::json!({ "id": c.id, "agency": c.agency, "created_at": c.created_at, "revoked_at": c.revoked_at })
                        ),
                        false => println!("{:<36} {:<16} {:<8} created {}", c.id, c.agency, status, c.created_at),
                    }
                }
            }
        }
        ClientCommand::Profile { client, days, endpoint, out } => {
            let row = store.client(&client).await?.filter(|c| c.revoked_at.is_none());
            let Some(row) = row else { bail!(access::Error::NoClient(client)) };
            let days = days.clamp(1, 3650);
            let (token, expires) = access::issue_token_until(&store, &client, i64::from(days) * 86_400).await?;
            let endpoint =
                endpoint.or_else(|| settings.public_url.clone()).unwrap_or_else(|| "http://127.0.0.1:8080".into());
            let profile =
                serde_json::to_string_pretty(&lgsp_hub::sharing::bearer_profile(&endpoint, &token, &expires))?;
            let detail = serde_json::json!({ "client": client, "expires": expires, "endpoint": endpoint });
            admin(settings, &store, "client profile", &row.agency, detail).await?;
            match out {
                Some(path) => {
                    write_private(&path, &profile).with_context(|| format!("writing {}", path.display()))?;
                    println!("profile for {client} written to {} (token until {expires})", path.display());
                }
                None => println!("{profile}"),
            }
        }
        ClientCommand::Revoke { id } => {
            let agency = store.client(&id).await?.map(|c| c.agency).unwrap_or_default();
            if !store.revoke_client(&id).await? {
                bail!(access::Error::NoClient(id));
            }
            admin(settings, &store, "client revoke", &agency, serde_json::json!({ "client": id })).await?;
            println!("client {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn grant(settings: &Settings, cmd: GrantCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match cmd {
        GrantCommand::Add { client, dataset, scope, fields, until, basis, purpose, sensitive, protect } => {
            let protect = access::parse_protect(&protect).map_err(anyhow::Error::msg)?;
            let request = GrantRequest {
                client_id: &client,
                dataset: &dataset,
                scope: &scope,
                fields,
                until,
                basis: &basis,
                purpose: &purpose,
                sensitive,
                protect,
                personal_days: settings.personal_grant_days,
            };
            let g = access::add_grant(&store, request).await?;
            let agency = store.client(&client).await?.map(|c| c.agency).unwrap_or_default();
            admin(settings, &store, "grant add", &agency, serde_json::to_value(&g)?).await?;
            let ends = g.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
            println!("grant {} added: {} may {} {}{ends}", g.id, client, scope, dataset);
        }
        GrantCommand::List { client, json } => {
            let grants = store.active_grants(&client, &lgsp_hub::catalog::today()).await?;
            if !json {
                println!(
                    "{:<36} {:<20} {:<9} {:<11} {:<24} BASIS · PURPOSE",
                    "GRANT", "DATASET", "SCOPE", "UNTIL", "FIELDS"
                );
            }
            for g in grants {
                if json {
                    println!("{}", serde_json::to_string(&g)?);
                    continue;
                }
                let fields: Vec<String> =
                    g.fields.as_deref().and_then(|f| serde_json::from_str(f).ok()).unwrap_or_default();
                let mut fields = if fields.is_empty() { "all".to_string() } else { fields.join(",") };
                for (f, p) in access::protections(&g) {
                    fields.push_str(&format!(" {f}:{}", serde_json::to_value(p)?.as_str().unwrap_or_default()));
                }
                let until = g.until.as_deref().unwrap_or("-");
                let purpose = if g.purpose.is_empty() { String::new() } else { format!(" · {}", g.purpose) };
                let sensitive = if g.sensitive == 1 { " · sensitive" } else { "" };
                println!(
                    "{:<36} {:<20} {:<9} {:<11} {:<24} {}{purpose}{sensitive}",
                    g.id, g.dataset, g.scope, until, fields, g.basis
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
