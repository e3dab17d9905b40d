//! `lgsp subject`: what the hub holds about one person and to whom it was disclosed.

use clap::Subcommand;
use lgsp_hub::settings::Settings;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SubjectCommand {
    /// Every dataset and version holding a person, and every disclosure of their record
    /// (lookups, snapshots and change sets that contained it), from the records' history and
    /// the audit log. JSON on standard output; `--html FILE` writes a printable page.
    Report {
        /// A dataset key, an identification number (CCCD) held in a personal field, or a
        /// master id from matching.
        #[arg(long)]
        key: String,
        /// Also write the report as a printable HTML page.
        #[arg(long)]
        html: Option<std::path::PathBuf>,
    },
}

pub async fn subject(settings: &Settings, cmd: SubjectCommand) -> anyhow::Result<ExitCode> {
    let SubjectCommand::Report { key, html } = cmd;
    let store = super::open_store(settings).await?;
    let report = lgsp_hub::subject::report(&store, &key).await?;
    super::access::admin(settings, &store, "subject report", "", report.summary()).await?;
    if let Some(path) = html {
        std::fs::write(&path, lgsp_hub::subject::to_html(&report))
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
