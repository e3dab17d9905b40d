//! `lgsp run approve RUN` and `lgsp run reject RUN`: a steward's decision on a run held by a
//! quality gate. Each decision is an audit-log entry before it takes effect.

use anyhow::{bail, Context};
use clap::Subcommand;
use lgsp_hub::outcome::RunStatus;
use lgsp_hub::pipeline::{self, Approval, RunOptions};
use lgsp_hub::settings::Settings;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Exit code of a run held by a quality gate (0 is published or unchanged, 1 is failed).
pub const EXIT_HELD: u8 = 3;

#[derive(Subcommand, Debug)]
pub enum Decide {
    /// Publish a held run's data: the pipeline runs again on the same input (same checksum),
    /// with its gates waived for that input only.
    Approve {
        /// The held run's id (`lgsp runs --status held`).
        run: String,
        /// Why the data is right despite its gates (kept in the audit log).
        #[arg(long, default_value = "")]
        note: String,
        /// Print the new run's report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Refuse a held run's data: it is never published; the next run is gated as usual.
    Reject {
        /// The held run's id (`lgsp runs --status held`).
        run: String,
        /// Why the data is refused (kept in the audit log).
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// Who decides: the operating-system user running the command.
fn steward() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .map(|u| format!("cli:{u}"))
        .unwrap_or_else(|_| "cli".into())
}

pub async fn decide(settings: &Settings, d: Decide) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let id = match &d {
        Decide::Approve { run, .. } | Decide::Reject { run, .. } => run.clone(),
    };
    let row = store
        .get_run(&id)
        .await?
        .with_context(|| format!("no run '{id}': `lgsp runs --status held` lists the held runs"))?;
    if row.status != RunStatus::Held.as_str() {
        bail!("run '{id}' is {}, not held: only a held run can be approved or rejected", row.status);
    }
    let who = steward();
    let spec_agency = |spec: &lgsp_hub::pipeline::PipelineSpec| spec.owner().to_string();
    match d {
        Decide::Reject { note, .. } => {
            let agency =
                super::run::find_pipeline(settings, &row.pipeline).map(|s| spec_agency(&s)).unwrap_or_default();
            let detail = serde_json::json!({ "run": id, "pipeline": row.pipeline, "dataset": row.dataset, "by": who, "note": note });
            super::access::admin(settings, &store, "run_reject", &agency, detail).await?;
            if !store.decide_run(&id, RunStatus::Rejected, &who).await? {
                bail!("run '{id}' was decided meanwhile: see `lgsp runs --pipeline {}`", row.pipeline);
            }
            println!("run {id} rejected: its data will not be published");
            Ok(ExitCode::SUCCESS)
        }
        Decide::Approve { note, json, .. } => {
            let spec = super::run::find_pipeline(settings, &row.pipeline)?;
            let sha =
                row.input_sha256.clone().with_context(|| format!("run '{id}' has no input checksum to approve"))?;
            let detail = serde_json::json!({ "run": id, "pipeline": row.pipeline, "dataset": row.dataset, "by": who, "note": note, "input_sha256": sha });
            super::access::admin(settings, &store, "run_approve", &spec_agency(&spec), detail).await?;
            let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
            let local = std::path::PathBuf::from(&row.input_path);
            let opts = RunOptions {
                input: local.is_file().then_some(local),
                trigger: Some("approval".into()),
                progress: !json && std::io::stderr().is_terminal(),
                approval: Some(Approval { run_id: id.clone(), input_sha256: sha }),
                lease: Some(std::time::Duration::from_secs(settings.run_lease_seconds)),
                encoding: row.encoding.as_deref().and_then(pipeline::Encoding::parse),
                ..RunOptions::default()
            };
            let report = pipeline::run(&store, &objects, &spec, opts).await?;
            if report.approves.as_deref() == Some(id.as_str()) {
                if !store.decide_run(&id, RunStatus::Approved, &who).await? {
                    tracing::warn!(run = %id, "the held run was decided meanwhile");
                }
            } else {
                eprintln!("the input changed since run {id} was held: the approval does not cover it, and run {id} stays held");
            }
            super::run::finish(settings, &store, &objects, &spec, &report, json).await
        }
    }
}
