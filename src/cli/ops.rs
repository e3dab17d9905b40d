//! `lgsp scheduler`, `lgsp backup` and `lgsp restore`: running the hub over time.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use lgsp_hub::objects::Objects;
use lgsp_hub::pipeline::PipelineSpec;
use lgsp_hub::schedule::{self, ExtraJob};
use lgsp_hub::settings::Settings;
use lgsp_hub::store::Store;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// Folder or object-store URL (`s3://bucket/prefix`) to write the backup to.
    #[arg(long)]
    pub to: Option<String>,
    /// Also copy every published file (default: only the published manifests).
    #[arg(long)]
    pub with_files: bool,
}

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Check a backup's files against its manifest.
    Verify {
        /// The backup: a folder or an object-store URL.
        #[arg(long)]
        from: String,
    },
}

/// The pipeline files of the pipelines folder that load, and the error of each that does not.
pub fn load_pipelines(settings: &Settings) -> anyhow::Result<(Vec<PipelineSpec>, Vec<String>)> {
    let dir = &settings.pipelines_dir;
    let mut files = Vec::new();
    let mut broken = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading the pipelines folder {}", dir.display()))? {
        match entry {
            Ok(e) if e.path().extension().is_some_and(|x| x == "toml") => files.push(e.path()),
            Ok(_) => {}
            Err(e) => broken.push(format!("{}: an entry cannot be read: {e}", dir.display())),
        }
    }
    files.sort();
    let known = lgsp_hub::catalog::catalog_ids(&settings.catalogs_dir);
    let mut specs = Vec::new();
    for f in &files {
        match PipelineSpec::load(f) {
            Ok(spec) => {
                let unknown = if known.is_empty() { Vec::new() } else { spec.unknown_catalogs(f, &known) };
                match unknown.is_empty() {
                    true => specs.push(spec),
                    false => broken.extend(unknown.into_iter().map(|e| e.to_string())),
                }
            }
            Err(e) => broken.push(e.to_string()),
        }
    }
    Ok((specs, broken))
}

/// Every pipeline of the pipelines folder; an error naming every file that does not load.
pub fn all_pipelines(settings: &Settings) -> anyhow::Result<Vec<PipelineSpec>> {
    let (specs, broken) = load_pipelines(settings)?;
    if !broken.is_empty() {
        anyhow::bail!("{} pipeline file(s) do not load: {}", broken.len(), broken.join("; "));
    }
    Ok(specs)
}

/// Starts the scheduler for every scheduled pipeline and the scheduled backup.
pub async fn start_scheduler(
    settings: &Settings,
    store: Store,
    objects: Objects,
) -> anyhow::Result<tokio_cron_scheduler::JobScheduler> {
    // A bad pipeline file is skipped, with its error, and the others are scheduled.
    let (specs, broken) = load_pipelines(settings)?;
    for e in &broken {
        tracing::error!("pipeline file skipped: {e}");
    }
    metrics::gauge!("lgsp_pipeline_files_invalid").set(broken.len() as f64);
    let scheduled: Vec<&str> = specs.iter().filter(|s| s.schedule.is_some()).map(|s| s.id.as_str()).collect();
    let mut extra = Vec::new();
    if let Some(cron) = &settings.backup_schedule {
        let (root, keep) = (settings.backup_to.clone(), settings.backup_keep);
        extra.push(ExtraJob {
            name: "backup".into(),
            schedule: cron.parse().map_err(|e| anyhow::anyhow!("backup_schedule (LGSP_BACKUP_SCHEDULE): {e}"))?,
            work: Arc::new(move |ctx: Arc<schedule::Context>| {
                let root = root.clone();
                Box::pin(async move {
                    match lgsp_hub::backup::scheduled(&ctx.store, &ctx.objects, &root, keep).await {
                        Ok(to) => tracing::info!(to, "scheduled backup written"),
                        Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
                    }
                })
            }),
        });
    }
    let instance = schedule::instance_name();
    tracing::info!(instance, pipelines = ?scheduled, "scheduler starting");
    let run_lease = std::time::Duration::from_secs(settings.run_lease_seconds);
    for dead in store.mark_interrupted(None, run_lease).await? {
        tracing::warn!(run = %dead, "marked interrupted: its process stopped before it finished");
    }
    let ctx = schedule::Context {
        store,
        objects,
        instance,
        lease: std::time::Duration::from_secs(settings.lease_seconds.max(1)),
        pipelines: specs.clone(),
        run_lease,
    };
    Ok(schedule::start(ctx, specs, extra).await?)
}

/// `lgsp scheduler`: runs the schedules until Ctrl-C or SIGTERM.
pub async fn scheduler(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
    let mut sched = start_scheduler(settings, store, objects).await?;
    println!("scheduler running");
    lgsp_hub::http::shutdown_signal().await;
    let _ = sched.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn backup(settings: &Settings, a: BackupArgs) -> anyhow::Result<ExitCode> {
    if let Some(BackupCommand::Verify { from }) = a.command {
        let m = lgsp_hub::backup::verify(&from).await?;
        let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
        println!(
            "backup {from} intact: {} tables, {rows} rows, {} published files, made {}",
            m.tables.len(),
            m.objects.len(),
            m.created_at
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(to) = a.to else {
        bail!("say where: lgsp backup --to DIR|s3://bucket/prefix (or lgsp backup verify --from …)")
    };
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
    let m = lgsp_hub::backup::create(&store, &objects, &to, a.with_files).await?;
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    lgsp_hub::audit::append(
        &store,
        lgsp_hub::audit::admin_entry(
            "cli",
            "backup",
            "",
            serde_json::json!({ "to": to, "rows": rows, "files": m.objects.len() }),
        ),
    )
    .await?;
    println!("backup written to {to}: {} tables, {rows} rows, {} published files", m.tables.len(), m.objects.len());
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(settings: &Settings, from: &str) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
    let m = lgsp_hub::backup::restore(&store, &objects, from).await?;
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    // The restored chain must verify with this hub's key before anything is chained after it.
    if let Some((seq, why)) = lgsp_hub::audit::verify(&store).await?.broken {
        bail!(
            "restored {rows} rows from {from}, but the audit log does not verify with this hub's audit key (row {seq}: {why}): \
             install the audit key of the hub the backup was made on ({} or {}), then run lgsp audit verify",
            settings.audit_key_file.display(),
            lgsp_hub::audit::KEY_ENV
        );
    }
    lgsp_hub::audit::append(
        &store,
        lgsp_hub::audit::admin_entry(
            "cli",
            "restore",
            "",
            serde_json::json!({ "from": from, "rows": rows, "backup_made": m.created_at }),
        ),
    )
    .await?;
    println!(
        "restored {rows} rows of {} tables and {} published files from {from} (made {})",
        m.tables.len(),
        m.objects.len(),
        m.created_at
    );
    Ok(ExitCode::SUCCESS)
}

/// `lgsp retention [PIPELINE…]`: applies retention now and says what it removed.
pub async fn retention(settings: &Settings, names: &[String]) -> anyhow::Result<ExitCode> {
    let specs = match names {
        [] => load_pipelines(settings)?.0,
        _ => names.iter().map(|n| super::run::find_pipeline(settings, n)).collect::<anyhow::Result<_>>()?,
    };
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url)?;
    for spec in &specs {
        let current = store.current_version(&spec.dataset).await?.map(|v| v.version);
        let r = lgsp_hub::pipeline::retention::apply(&store, &objects, spec, current).await?;
        println!(
            "{}: {} versions' files, {} record versions, {} quarantine files removed; {} audit entries redacted",
            spec.id,
            r.versions.len(),
            r.records,
            r.quarantine,
            r.audit
        );
    }
    Ok(ExitCode::SUCCESS)
}
