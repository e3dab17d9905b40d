//! `lgsp quarantine show` and `lgsp diff`: reading a version's quarantine and what changed
//! between two versions, without a dataframe library.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use lgsp_hub::quarantine::{text, Filter};
use lgsp_hub::settings::Settings;
use lgsp_hub::versions;
use polars::prelude::*;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum QuarantineCommand {
    /// The quarantined rows of a version (default: the current one) or of a run that published
    /// nothing, with their reasons.
    Show(ShowArgs),
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Dataset name.
    pub dataset: String,
    /// This version's quarantine.
    #[arg(long, conflicts_with = "run")]
    pub version: Option<i64>,
    /// The quarantine of this run (held, failed or unchanged runs keep theirs under `runs/`).
    #[arg(long)]
    pub run: Option<String>,
    /// Only rows with this reason: a rule (`required`), or `rule:field` (`type:ngay_cap`).
    #[arg(long)]
    pub reason: Option<String>,
    /// Only rows with a reason on this field.
    #[arg(long)]
    pub field: Option<String>,
    /// At most this many rows printed (the counts cover every row).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Write the selected rows, raw values and reasons, to this CSV file (UTF-8 with a byte
    /// order mark, so that Excel reads the Vietnamese text).
    #[arg(long)]
    pub csv: Option<std::path::PathBuf>,
    /// Print JSON lines.
    #[arg(long)]
    pub json: bool,
}

pub async fn quarantine(settings: &Settings, cmd: QuarantineCommand) -> anyhow::Result<ExitCode> {
    let QuarantineCommand::Show(a) = cmd;
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url)?;
    let path = match (&a.run, a.version) {
        (Some(run), _) => format!("runs/{run}/quarantine.parquet"),
        (None, v) => {
            let v = match v {
                Some(v) => v,
                None => {
                    store
                        .current_version(&a.dataset)
                        .await?
                        .with_context(|| format!("dataset '{}' has no published version", a.dataset))?
                        .version
                }
            };
            versions::ensure_kept(&store, &a.dataset, v).await?;
            format!("{}/quarantine.parquet", versions::version_prefix(&a.dataset, v))
        }
    };
    let df = versions::read_parquet(&objects, &path).await.with_context(|| format!("reading {path}"))?;
    let filter = Filter { reason: a.reason.clone(), field: a.field.clone() };
    let Some(selection) = lgsp_hub::quarantine::select(&df, &filter) else { bail!("{path} has no _reasons column") };
    let (keep, by_reason) = (selection.rows, selection.by_reason);
    let lines = df.column("_line").ok();
    if let Some(out) = &a.csv {
        let rows: Vec<usize> = keep.iter().map(|(i, _)| *i).collect();
        let bytes = lgsp_hub::quarantine::csv(&df, &rows)?;
        std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {} rows to {}", rows.len(), out.display());
        return Ok(ExitCode::SUCCESS);
    }
    if !a.json {
        println!("{} of {} quarantined rows in {path}", keep.len(), df.height());
        for (reason, n) in &by_reason {
            println!("  {n:>7}  {reason}");
        }
    }
    for (i, rs) in keep.iter().take(a.limit) {
        let line = lines.map(|c| text(c, *i)).unwrap_or_default();
        if a.json {
            let raw: serde_json::Map<String, serde_json::Value> = df
                .columns()
                .iter()
                .filter(|c| !c.name().starts_with('_'))
                .map(|c| (c.name().to_string(), serde_json::Value::from(text(c, *i))))
                .collect();
            println!("{}", serde_json::json!({ "line": line, "reasons": rs, "raw": raw }));
        } else {
            for r in rs.iter().filter(|r| filter.matches(r)) {
                println!("line {line:>7}  {}:{}  '{}'  {}", r.rule, r.field, r.value, r.message);
            }
        }
    }
    if !a.json && keep.len() > a.limit {
        println!("… {} more (--limit, or --csv FILE for all)", keep.len() - a.limit);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// Dataset name.
    pub dataset: String,
    /// The older version.
    pub from: i64,
    /// The newer version.
    pub to: i64,
    /// At most this many rows of each kind printed (the counts cover every row).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The key of row `i` as `field=value` pairs.
fn key_of(df: &DataFrame, key: &[String], i: usize) -> String {
    key.iter()
        .map(|k| format!("{k}={}", df.column(k).map(|c| text(c, i)).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn diff(settings: &Settings, a: DiffArgs) -> anyhow::Result<ExitCode> {
    if a.from >= a.to {
        bail!("give the older version first: lgsp diff {} {} {}", a.dataset, a.to.min(a.from), a.to.max(a.from));
    }
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url)?;
    let dataset = store.dataset(&a.dataset).await?.with_context(|| format!("no dataset '{}'", a.dataset))?;
    let key: Vec<String> = serde_json::from_str(&dataset.key_fields).context("the dataset's key fields")?;
    let mut snap = Vec::new();
    for v in [a.from, a.to] {
        if store.version(&a.dataset, v).await?.is_none() {
            bail!("dataset '{}' has no version {v} (its current version is {})", a.dataset, dataset.current_version);
        }
        versions::ensure_kept(&store, &a.dataset, v).await?;
        snap.push(
            versions::read_parquet(&objects, &format!("{}/snapshot.parquet", versions::version_prefix(&a.dataset, v)))
                .await?,
        );
    }
    let (old, new) = (snap[0].clone(), snap[1].clone());
    let on: Vec<Expr> = key.iter().map(|k| col(k.as_str())).collect();
    let anti = |l: &DataFrame, r: &DataFrame| -> PolarsResult<DataFrame> {
        l.clone()
            .lazy()
            .join(r.clone().lazy().select(on.clone()), on.clone(), on.clone(), JoinArgs::new(JoinType::Anti))
            .collect()
    };
    let (inserted, deleted) = (anti(&new, &old)?, anti(&old, &new)?);
    let updated = old
        .clone()
        .lazy()
        .join(
            new.clone().lazy(),
            on.clone(),
            on.clone(),
            JoinArgs::new(JoinType::Inner).with_suffix(Some("__new".into())),
        )
        .filter(col("_row_hash").neq(col("_row_hash__new")))
        .collect()?;
    let fields: Vec<String> = new
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| !c.starts_with('_') && !key.contains(c))
        .collect();
    let mut updates = Vec::new();
    for i in 0..updated.height().min(a.limit) {
        let mut changed = serde_json::Map::new();
        for f in &fields {
            let before = updated.column(f).map(|c| text(c, i)).unwrap_or_default();
            let after = updated.column(&format!("{f}__new")).map(|c| text(c, i)).unwrap_or_default();
            if before != after {
                changed.insert(f.clone(), serde_json::json!([before, after]));
            }
        }
        updates.push((key_of(&updated, &key, i), changed));
    }
    let keys = |df: &DataFrame| (0..df.height().min(a.limit)).map(|i| key_of(df, &key, i)).collect::<Vec<_>>();
    if a.json {
        let ups: Vec<serde_json::Value> =
            updates.iter().map(|(k, c)| serde_json::json!({ "key": k, "fields": c })).collect();
        println!(
            "{}",
            serde_json::json!({
                "dataset": a.dataset, "from": a.from, "to": a.to,
                "inserted": inserted.height(), "updated": updated.height(), "deleted": deleted.height(),
                "inserted_keys": keys(&inserted), "deleted_keys": keys(&deleted), "updates": ups,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} v{} → v{}: +{} inserted, ~{} updated, -{} deleted",
        a.dataset,
        a.from,
        a.to,
        inserted.height(),
        updated.height(),
        deleted.height()
    );
    for k in keys(&inserted) {
        println!("+ {k}");
    }
    for k in keys(&deleted) {
        println!("- {k}");
    }
    for (k, changed) in &updates {
        println!("~ {k}");
        for (f, v) in changed {
            println!("    {f}: {} → {}", v[0], v[1]);
        }
    }
    Ok(ExitCode::SUCCESS)
}
