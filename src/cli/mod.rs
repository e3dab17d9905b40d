//! Command-line interface: argument parsing and one function per command.

mod access;
mod audit;
mod catalog;
mod data;
mod entity;
mod events;
mod held;
mod inspect;
mod matching;
mod ops;
mod report;
mod run;
mod source;
mod status;
mod subject;
mod users;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lgsp_hub::settings::Settings;
use lgsp_hub::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// lgsp-hub: batch data-sync and master-data hub of a provincial data-sharing platform (LGSP).
#[derive(Parser, Debug)]
#[command(name = "lgsp", version, about, help_expected = true)]
pub struct Cli {
    /// Settings file (default: ./lgsp.toml when present; LGSP_* variables override it).
    #[arg(long, global = true, env = "LGSP_CONFIG")]
    pub config: Option<PathBuf>,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create or upgrade the store and load the shipped catalogs.
    Init,
    /// Run a pipeline once (by id, or the path of its file).
    Run(run::RunArgs),
    /// Show the run history, newest first.
    Runs(run::RunsArgs),
    /// Check pipeline files (or folders of them) without running them.
    Check {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Every pipeline: current version, freshness against its schedule, last and next run,
    /// held runs.
    Status(status::StatusArgs),
    /// Apply each pipeline's retention now (it is also applied after every run): remove old
    /// versions' files and the record history no kept version holds, old quarantine files, and
    /// redact old audit entries' personal details.
    Retention {
        /// Pipelines (default: every pipeline in the pipelines folder).
        pipelines: Vec<String>,
    },
    /// The published datasets.
    Datasets(status::StatusArgs),
    /// Read the quarantine of a version or of a run.
    #[command(subcommand)]
    Quarantine(inspect::QuarantineCommand),
    /// What changed between two versions of a dataset: inserted, deleted, and updated rows
    /// field by field.
    Diff(inspect::DiffArgs),
    /// Show or reset the saved state of a pipeline's source.
    #[command(subcommand)]
    Source(source::SourceCommand),
    /// List the published versions of a dataset.
    Versions(data::VersionsArgs),
    /// Write a version's snapshot, or the changes since a version, to a file.
    Export(data::ExportArgs),
    /// The data contract of a dataset: Frictionless Table Schema or JSON Schema.
    Schema(data::SchemaArgs),
    /// Shared catalogs: list, look codes up as of a date, resolve old codes, search names.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Agencies that own or consume data.
    #[command(subcommand)]
    Agency(access::AgencyCommand),
    /// API clients of agencies.
    #[command(subcommand)]
    Client(access::ClientCommand),
    /// What each client may pull.
    #[command(subcommand)]
    Grant(access::GrantCommand),
    /// Web console accounts: add, list, disable.
    #[command(subcommand)]
    User(users::UserCommand),
    /// The hash-chained audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Change events: webhook subscriptions, deliveries, replay.
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// A data subject's records and who received them.
    #[command(subcommand)]
    Subject(subject::SubjectCommand),
    /// Serve the consumer API, with the scheduler.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "LGSP_LISTEN")]
        listen: String,
        /// Do not run scheduled pipelines in this process.
        #[arg(long, env = "LGSP_NO_SCHEDULER")]
        no_scheduler: bool,
    },
    /// Master entities: resolve now, show, detach a record, unmerge.
    #[command(subcommand)]
    Entity(entity::EntityCommand),
    /// The steward's queue of uncertain pairs, and the decisions taken (list, undo).
    #[command(subcommand)]
    Review(entity::ReviewCommand),
    /// Monthly and quarterly reports from the run history and the audit log.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Record matching: evaluate a model against ground truth, explain a pair.
    #[command(subcommand, name = "match")]
    Match(matching::MatchCommand),
    /// Run scheduled pipelines (and the scheduled backup) until stopped, without the API.
    Scheduler,
    /// Copy the store and the published manifests to a folder or bucket; `backup verify` checks one.
    Backup(ops::BackupArgs),
    /// Restore a backup into an empty store.
    Restore {
        /// The backup's folder or object-store URL.
        #[arg(long)]
        from: String,
    },
}

/// Sets up structured logs on stderr (`RUST_LOG` overrides the level).
pub fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},sqlx=warn")));
    // Fails only when logs are set up already (tests calling it twice): those logs stay.
    // Colours only on a terminal: logs sent to a file or a journal stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

/// Opens and migrates the store named by the settings.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.store_url)
        .await
        .with_context(|| format!("opening the store {}", lgsp_hub::settings::redact(&settings.store_url)))?;
    store.migrate().await.context("migrating the store")?;
    lgsp_hub::audit::load_key(&store, &settings.audit_key_file).await.context("loading the audit key")?;
    Ok(store)
}

/// Runs the parsed command.
pub async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Init => init(&settings).await,
        Command::Run(a) => run::run(&settings, a).await,
        Command::Runs(a) => run::runs(&settings, a).await,
        Command::Check { paths } => run::check(&settings, &paths).await,
        Command::Source(c) => source::run(&settings, c).await,
        Command::Status(a) => status::status(&settings, a).await,
        Command::Retention { pipelines } => ops::retention(&settings, &pipelines).await,
        Command::Quarantine(c) => inspect::quarantine(&settings, c).await,
        Command::Diff(a) => inspect::diff(&settings, a).await,
        Command::Datasets(a) => status::datasets(&settings, a).await,
        Command::Versions(a) => data::versions(&settings, a).await,
        Command::Export(a) => data::export(&settings, a).await,
        Command::Schema(a) => data::schema(&settings, a).await,
        Command::Catalog(c) => catalog::run(&settings, c).await,
        Command::Agency(c) => access::agency(&settings, c).await,
        Command::Client(c) => access::client(&settings, c).await,
        Command::Grant(c) => access::grant(&settings, c).await,
        Command::User(c) => users::user(&settings, c).await,
        Command::Audit(c) => audit::audit_cmd(&settings, c).await,
        Command::Subject(c) => subject::subject(&settings, c).await,
        Command::Events(c) => events::events(&settings, c).await,
        Command::Serve { listen, no_scheduler } => {
            let store = Store::connect_serving(&settings.store_url)
                .await
                .with_context(|| format!("opening the store {}", lgsp_hub::settings::redact(&settings.store_url)))?;
            store.migrate().await.context("migrating the store")?;
            lgsp_hub::audit::load_key(&store, &settings.audit_key_file).await.context("loading the audit key")?;
            store.spawn_checkpoints();
            let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
            let mut state =
                lgsp_hub::http::AppState::new(store.clone(), objects.clone(), settings.api_requests_per_minute);
            state.install_metrics();
            let (specs, broken) = ops::load_pipelines(&settings).unwrap_or_default();
            state.specs = std::sync::Arc::new(specs.clone());
            state.pipeline_errors = std::sync::Arc::new(broken);
            let grace = chrono::Duration::seconds(settings.stale_after_seconds.min(i64::MAX as u64) as i64);
            lgsp_hub::events::spawn(
                store.clone(),
                objects.clone(),
                lgsp_hub::events::Watch { specs, grace, broker: settings.broker() },
            );
            state.personal_grant_days = settings.personal_grant_days;
            state.public_url = settings.public_url.clone();
            state.sharing_link_seconds = settings.sharing_link_seconds as i64;
            if let Some(sso) = settings.sso.clone() {
                let sso = lgsp_hub::console::sso::Sso::new(sso).context("setting up single sign-on")?;
                state.sso = Some(std::sync::Arc::new(sso));
            }
            let sched = match no_scheduler {
                true => None,
                false => Some(ops::start_scheduler(&settings, store, objects).await?),
            };
            state.spawn_audit_checkpoints(std::time::Duration::from_secs(settings.audit_checkpoint_seconds));
            lgsp_hub::http::serve(state, &listen).await.with_context(|| format!("serving on {listen}"))?;
            if let Some(mut s) = sched {
                if let Err(e) = s.shutdown().await {
                    tracing::warn!(error = %e, "the scheduler did not shut down cleanly");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Scheduler => ops::scheduler(&settings).await,
        Command::Match(c) => matching::run(c),
        Command::Report(c) => report::run(&settings, c).await,
        Command::Entity(c) => entity::entity(&settings, c).await,
        Command::Review(c) => entity::review(&settings, c).await,
        Command::Backup(a) => ops::backup(&settings, a).await,
        Command::Restore { from } => ops::restore(&settings, &from).await,
    }
}

async fn init(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
    let loaded = lgsp_hub::catalog::load_all(&store, &objects, &settings.catalogs_dir).await?;
    println!("store ready: {}", lgsp_hub::settings::redact(&settings.store_url));
    println!("published files: {}", settings.object_store_url);
    for r in loaded {
        println!("catalog {}: {} items, version {} ({})", r.catalog, r.items, r.version, r.status);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command and argument says what it is for (`help_expected`).
    #[test]
    fn every_argument_has_help() {
        super::Cli::command().debug_assert();
    }
}
