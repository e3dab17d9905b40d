//! `lgsp user`: the web console's accounts.

use anyhow::{bail, Context};
use clap::Subcommand;
use lgsp_hub::console::{self, Role};
use lgsp_hub::settings::Settings;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a console account, or set the role and password of an existing one. The password is
    /// read from standard input with `--password-stdin`; otherwise one is made and shown once.
    Add {
        /// The user name (letters, digits, '.', '-', '_', '@').
        name: String,
        /// steward (pipelines, runs, quarantine, matching), analyst (datasets, reports),
        /// operator (agencies, clients, grants) or auditor (the audit log).
        #[arg(long)]
        role: String,
        /// Read the password (12 characters or more) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The account signs in only through the province's single sign-on (`[sso]`), as the
        /// person the provider names NAME; it has no password.
        #[arg(long, conflicts_with = "password_stdin")]
        sso: bool,
    },
    /// List the accounts (never their passwords).
    List,
    /// Disable an account and end its sessions.
    Disable {
        /// The user name.
        name: String,
    },
}

pub async fn user(settings: &Settings, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match cmd {
        UserCommand::Add { name, role, sso: true, .. } => {
            let role = Role::parse(&role)?;
            console::add_sso_user(&store, &name, role).await?;
            let detail = serde_json::json!({ "user": name, "role": role.as_str(), "sign_in": "sso" });
            super::access::admin(settings, &store, "user add", "", detail).await?;
            println!("user {name} ({}) can sign in to the console through single sign-on", role.as_str());
        }
        UserCommand::Add { name, role, password_stdin, sso: false } => {
            let role = Role::parse(&role)?;
            let (password, made) = match password_stdin {
                true => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
                    (line.trim_end_matches(['\r', '\n']).to_string(), false)
                }
                false => (lgsp_hub::access::new_password(), true),
            };
            console::add_user(&store, &name, role, &password).await?;
            let detail = serde_json::json!({ "user": name, "role": role.as_str() });
            super::access::admin(settings, &store, "user add", "", detail).await?;
            println!("user {name} ({}) can sign in to the console", role.as_str());
            if made {
                println!("password: {password}\n(shown only now; it is stored hashed)");
            }
        }
        UserCommand::List => {
            for u in store.users().await? {
                let state = if u.disabled_at.is_some() { "disabled" } else { "active" };
                println!("{:<24} {:<9} {:<8} created {}", u.name, u.role, state, u.created_at);
            }
        }
        UserCommand::Disable { name } => {
            if !console::disable_user(&store, &name).await? {
                bail!("no enabled user '{name}' (lgsp user list)");
            }
            super::access::admin(settings, &store, "user disable", "", serde_json::json!({ "user": name })).await?;
            println!("user {name} disabled; their sessions ended");
        }
    }
    Ok(ExitCode::SUCCESS)
}
