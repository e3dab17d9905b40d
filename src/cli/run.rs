//! `lgsp run`, `lgsp runs` and `lgsp check`.

use anyhow::{bail, Context};
use clap::Args;
use lgsp_hub::outcome::RunStatus;
use lgsp_hub::pipeline::{self, PipelineSpec, RunOptions};
use lgsp_hub::settings::Settings;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RunArgs {
    /// Decide a run held by a quality gate.
    #[command(subcommand)]
    pub decide: Option<super::held::Decide>,
    /// Pipeline id (a file `<id>.toml` in the pipelines folder) or path of a pipeline file.
    #[arg(required = true)]
    pub pipeline: Option<String>,
    /// Read this file instead of the source path in the pipeline file.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Print one JSON object describing the run.
    #[arg(long)]
    pub json: bool,
    /// Read this delivery in another encoding than the pipeline's: utf-8, windows-1258, tcvn3,
    /// vni or auto (CSV and HTTP sources).
    #[arg(long, value_parser = parse_encoding)]
    pub encoding: Option<pipeline::Encoding>,
    /// With --input: read the file as csv, excel, json or ndjson (default: from its extension,
    /// else the pipeline's format).
    #[arg(long, value_parser = parse_format, requires = "input")]
    pub format: Option<pipeline::FileFormat>,
    /// Ignore the source's saved state once (HTTP ETag, SQL cursor, last file read): read it
    /// again even if it says nothing changed.
    #[arg(long)]
    pub force: bool,
    /// Read, check and plan the changes, print the would-be counts, and publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run now, whatever the schedule (the default for `lgsp run`; kept for scripts).
    #[arg(long)]
    pub now: bool,
    /// Publish even though the pipeline breaks the dataset's data contract (a field removed or
    /// renamed, a type changed, another key) without raising `contract_version`.
    #[arg(long)]
    pub allow_breaking: bool,
}

#[derive(Args, Debug)]
pub struct RunsArgs {
    /// Only runs of this pipeline.
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Only failed runs (the same as `--status failed`).
    #[arg(long)]
    pub failed: bool,
    /// Only runs in this status: running, published, unchanged, failed, held, approved,
    /// rejected or interrupted.
    #[arg(long)]
    pub status: Option<String>,
    /// At most this many runs.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Print JSON lines.
    #[arg(long)]
    pub json: bool,
}

fn parse_format(s: &str) -> Result<pipeline::FileFormat, String> {
    pipeline::FileFormat::parse(s).ok_or_else(|| format!("'{s}': use csv, excel, json or ndjson"))
}

fn parse_encoding(s: &str) -> Result<pipeline::Encoding, String> {
    pipeline::Encoding::parse(s).ok_or_else(|| format!("'{s}': use utf-8, windows-1258, tcvn3, vni or auto"))
}

/// Finds a pipeline file by id or path.
pub fn find_pipeline(settings: &Settings, name: &str) -> anyhow::Result<PipelineSpec> {
    let as_path = Path::new(name);
    if name.ends_with(".toml") || as_path.components().count() > 1 {
        return Ok(PipelineSpec::load(as_path)?);
    }
    let file = settings.pipelines_dir.join(format!("{name}.toml"));
    if file.exists() {
        return Ok(PipelineSpec::load(&file)?);
    }
    let mut broken = Vec::new();
    if let Ok(dir) = std::fs::read_dir(&settings.pipelines_dir) {
        for entry in dir.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "toml") {
                match PipelineSpec::load(&p) {
                    Ok(spec) if spec.id == name => return Ok(spec),
                    Ok(_) => {}
                    Err(e) => broken.push(e.to_string()),
                }
            }
        }
    }
    let also =
        if broken.is_empty() { String::new() } else { format!(" (files that do not load: {})", broken.join("; ")) };
    bail!("no pipeline '{name}' in {}: give its id or the path of its file{also}", settings.pipelines_dir.display())
}

pub async fn run(settings: &Settings, a: RunArgs) -> anyhow::Result<ExitCode> {
    let name = match (a.decide, a.pipeline) {
        (Some(d), _) => return super::held::decide(settings, d).await,
        (None, Some(name)) => name,
        (None, None) => bail!("give a pipeline id or the path of a pipeline file"),
    };
    let spec = find_pipeline(settings, &name)?;
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
    let progress = !a.json && std::io::stderr().is_terminal();
    let lease = Some(std::time::Duration::from_secs(settings.run_lease_seconds));
    let opts = RunOptions {
        input: a.input,
        progress,
        lease,
        encoding: a.encoding,
        format: a.format,
        force: a.force,
        dry_run: a.dry_run,
        allow_breaking: a.allow_breaking,
        ..RunOptions::default()
    };
    let report = pipeline::run(&store, &objects, &spec, opts).await?;
    finish(settings, &store, &objects, &spec, &report, a.json).await
}

/// Resolves entities after a published run and prints the report; a held run exits with
/// [`super::held::EXIT_HELD`].
pub(super) async fn finish(
    settings: &Settings,
    store: &lgsp_hub::store::Store,
    objects: &lgsp_hub::objects::Objects,
    spec: &PipelineSpec,
    report: &pipeline::RunReport,
    json: bool,
) -> anyhow::Result<ExitCode> {
    // Entities are resolved over every pipeline of the entity type: without them, the master
    // entities would be remade from this pipeline's records alone.
    let entity = spec.matching.as_ref().and_then(|m| m.entity.as_deref()).filter(|_| report.published());
    let pipelines = match entity {
        Some(entity) => super::ops::all_pipelines(settings).with_context(|| {
            format!("the run is done but entity '{entity}' is not resolved: fix this, then run `lgsp entity resolve {entity}`")
        })?,
        None => Vec::new(),
    };
    let resolved = lgsp_hub::entity::resolve_after(store, objects, &pipelines, spec, report, "manual").await?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let what = match (report.published(), report.version) {
            _ if report.dry_run => match (report.status, report.version) {
                (pipeline::RunStatus::Published, Some(v)) => {
                    format!("dry run: would publish version {v}; nothing written")
                }
                (pipeline::RunStatus::Held, _) => "dry run: would be held by its quality gates; nothing written".into(),
                _ => "dry run: nothing would change; nothing written".into(),
            },
            _ if report.held() => format!(
                "held by its quality gates: run `lgsp run approve {}` to publish it, or `lgsp run reject {}`",
                report.run_id, report.run_id
            ),
            (true, Some(v)) => format!("published version {v}"),
            (_, Some(v)) => format!("unchanged: version {v} stays current"),
            _ => "nothing published".to_string(),
        };
        println!("{} → {}: {what}", report.pipeline, report.dataset);
        println!(
            "  read {}  valid {}  quarantined {}  duplicates collapsed {}",
            report.counts.rows_read,
            report.counts.rows_valid,
            report.counts.rows_quarantined,
            report.counts.duplicates_collapsed
        );
        let c = &report.counts;
        println!("  inserted {}  updated {}  deleted {}", c.inserted, c.updated, c.deleted);
        if let Some(m) = &report.manifest {
            println!("  manifest {m}");
        }
        if let Some(r) = &resolved {
            println!(
                "  entities '{}': {} records → {} entities ({} pairs matched, {} queued for review)",
                r.entity, r.records, r.entities, r.matched_pairs, r.queued_for_review
            );
        }
        for g in &report.gates {
            println!("  gate {}: {}", g.gate, g.message);
        }
    }
    if report.held() {
        for g in &report.gates {
            eprintln!("held: {}", g.message);
        }
        return Ok(ExitCode::from(super::held::EXIT_HELD));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn runs(settings: &Settings, a: RunsArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let status = match (a.status.as_deref(), a.failed) {
        (Some(s), _) => Some(RunStatus::parse(s).with_context(|| {
            let known: Vec<&str> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
            format!("--status {s}: use one of {}", known.join(", "))
        })?),
        (None, true) => Some(RunStatus::Failed),
        (None, false) => None,
    };
    store.mark_interrupted(a.pipeline.as_deref(), std::time::Duration::from_secs(settings.run_lease_seconds)).await?;
    let rows = store.list_runs(a.pipeline.as_deref(), status, a.limit).await?;
    for r in rows {
        if a.json {
            println!("{}", serde_json::to_string(&r)?);
            continue;
        }
        let n = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
        let took = |end: &str| -> Option<String> {
            let (a, b) = (
                chrono::DateTime::parse_from_rfc3339(&r.started_at).ok()?,
                chrono::DateTime::parse_from_rfc3339(end).ok()?,
            );
            Some(format!("{:.1}s", (b - a).num_milliseconds() as f64 / 1000.0))
        };
        let duration = r.finished_at.as_deref().and_then(took).unwrap_or_else(|| "running".into());
        println!(
            "{}  {:<8} {:>8} {:<10} {:<20} v{:<4} read {:>8} valid {:>8} quar {:>6} +{} ~{} -{}{}",
            r.started_at,
            r.trigger_kind,
            duration,
            r.status,
            r.pipeline,
            n(r.version),
            n(r.rows_read),
            n(r.rows_valid),
            n(r.rows_quarantined),
            n(r.inserted),
            n(r.updated),
            n(r.deleted),
            r.error.map(|e| format!("\n    error: {e}")).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks every pipeline file of `paths` (files or folders), reporting each bad one.
pub async fn check(settings: &Settings, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let known = lgsp_hub::catalog::catalog_ids(&settings.catalogs_dir);
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    let mut failed = 0;
    for f in &files {
        let loaded = PipelineSpec::load(f);
        let contract = match &loaded {
            Ok(spec) => contract_problem(settings, spec).await,
            Err(_) => None,
        };
        let errors = match loaded {
            Ok(_) if contract.is_some() => contract.into_iter().collect(),
            Ok(spec) if known.is_empty() => {
                println!(
                    "ok {} ({} → {}; catalog names not checked: no catalogs in {})",
                    f.display(),
                    spec.id,
                    spec.dataset,
                    settings.catalogs_dir.display()
                );
                continue;
            }
            Ok(spec) => match spec.unknown_catalogs(f, &known) {
                unknown if unknown.is_empty() => {
                    println!("ok {} ({} → {})", f.display(), spec.id, spec.dataset);
                    continue;
                }
                unknown => unknown.into_iter().map(|e| e.to_string()).collect(),
            },
            Err(e) => vec![e.to_string()],
        };
        failed += 1;
        for e in errors {
            eprintln!("error: {e}");
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// How `spec` breaks the data contract of its published dataset, when there is a store to ask
/// (a missing SQLite file is not created) and the dataset has a version.
async fn contract_problem(settings: &Settings, spec: &PipelineSpec) -> Option<String> {
    if let Some(path) = settings.store_url.strip_prefix("sqlite://") {
        if !Path::new(path.split('?').next().unwrap_or(path)).exists() {
            return None;
        }
    }
    let store = lgsp_hub::store::Store::connect(&settings.store_url).await.ok()?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url).ok()?;
    let current = store.current_version(&spec.dataset).await.ok()??;
    pipeline::check_contract(&objects, spec, &current).await.err().map(|e| e.to_string())
}
