//! `lgsp status` and `lgsp datasets`: where every dataset stands, at a glance.

use clap::Args;
use lgsp_hub::settings::Settings;
use lgsp_hub::status::Freshness;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Local (Vietnam) time of an RFC 3339 time, to the minute.
fn local(t: &str) -> String {
    lgsp_hub::cron::vietnam_minutes(t).unwrap_or_else(|| t.to_string())
}

pub async fn status(settings: &Settings, a: StatusArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let (specs, broken) = super::ops::load_pipelines(settings)?;
    store.mark_interrupted(None, std::time::Duration::from_secs(settings.run_lease_seconds)).await?;
    let rows = lgsp_hub::status::of(&store, &specs, chrono::Utc::now()).await?;
    let retention = store.retention_totals().await?;
    if a.json {
        let retention: Vec<_> = retention
            .iter()
            .map(|(d, k, n, at)| serde_json::json!({ "dataset": d, "kind": k, "removed": n, "last_at": at }))
            .collect();
        let all = serde_json::json!({ "datasets": rows, "broken_pipeline_files": broken, "retention": retention });
        println!("{}", serde_json::to_string(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<22} {:<10} {:>7} {:>10}  {:<16} {:<28} NEXT RUN",
        "PIPELINE", "FRESHNESS", "VERSION", "RECORDS", "VERSION AT", "LAST RUN"
    );
    for r in &rows {
        let freshness = match r.freshness {
            Freshness::OnTime => "on time",
            Freshness::Late => "LATE",
            Freshness::Failed => "FAILED",
            Freshness::Held => "HELD",
            Freshness::Unscheduled => "manual",
            Freshness::NeverRun => "never run",
        };
        let last =
            r.last_run.as_ref().map(|l| format!("{} {}", l.status, local(&l.started_at))).unwrap_or_else(|| "-".into());
        println!(
            "{:<22} {:<10} {:>7} {:>10}  {:<16} {:<28} {}",
            r.pipeline,
            freshness,
            r.version.map(|v| format!("v{v}")).unwrap_or_else(|| "-".into()),
            r.records.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            r.version_at.as_deref().map(local).unwrap_or_else(|| "-".into()),
            last,
            r.next_fire.as_deref().map(local).unwrap_or_else(|| "-".into()),
        );
        if r.held_runs > 0 {
            println!("    {} held run(s): `lgsp runs --status held --pipeline {}`", r.held_runs, r.pipeline);
        }
        if let Some(e) = r.last_run.as_ref().and_then(|l| l.error.as_deref()) {
            println!("    last error: {e}");
        }
    }
    for b in &broken {
        println!("broken pipeline file: {b}");
    }
    if !retention.is_empty() {
        println!("\nremoved by retention:");
        for (dataset, kind, n, at) in &retention {
            let what = match kind.as_str() {
                "versions" => "versions' files",
                "records" => "record versions no kept version holds",
                "quarantine" => "quarantine files",
                "audit" => "audit entries redacted",
                other => other,
            };
            println!("    {dataset:<22} {n:>9} {what} (last {})", local(at));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn datasets(settings: &Settings, a: StatusArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let rows = store.list_datasets().await?;
    if a.json {
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<16} {:>7}  {:<16} TITLE", "DATASET", "OWNER", "VERSION", "UPDATED");
    for d in rows {
        println!(
            "{:<24} {:<16} {:>7}  {:<16} {}",
            d.name,
            d.owner,
            format!("v{}", d.current_version),
            local(&d.updated_at),
            d.title
        );
    }
    Ok(ExitCode::SUCCESS)
}
