//! `lgsp source show|reset PIPELINE`: the saved state of a pipeline's source (the last file
//! read, HTTP validators, the SQL cursor).

use clap::Subcommand;
use lgsp_hub::settings::Settings;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SourceCommand {
    /// Print the saved state (JSON).
    Show {
        /// Pipeline id (or path of its file).
        pipeline: String,
    },
    /// Forget the saved state: the next run reads the source as if for the first time (the
    /// newest file of a glob, the whole answer of an HTTP endpoint, the whole SQL query).
    Reset {
        /// Pipeline id (or path of its file).
        pipeline: String,
    },
}

pub async fn run(settings: &Settings, cmd: SourceCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match cmd {
        SourceCommand::Show { pipeline } => {
            let spec = super::run::find_pipeline(settings, &pipeline)?;
            let state: std::collections::BTreeMap<_, _> = store.source_state(&spec.id).await?.into_iter().collect();
            println!("{}", serde_json::to_string_pretty(&state)?);
        }
        SourceCommand::Reset { pipeline } => {
            let spec = super::run::find_pipeline(settings, &pipeline)?;
            let detail = serde_json::json!({ "pipeline": spec.id.as_str() });
            super::access::admin(settings, &store, "source_reset", spec.owner(), detail).await?;
            let n = store.reset_source_state(&spec.id).await?;
            println!("{}: {n} saved source state entries removed; the next run reads the source afresh", spec.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}
