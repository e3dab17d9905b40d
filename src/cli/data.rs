//! `lgsp versions` and `lgsp export`.

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use lgsp_hub::objects;
use lgsp_hub::settings::Settings;
use lgsp_hub::versions;
use polars::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct VersionsArgs {
    /// Dataset name.
    pub dataset: String,
    /// Print JSON lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Parquet,
    Csv,
    Ndjson,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Dataset name.
    pub dataset: String,
    /// The version's snapshot (default: the current version).
    #[arg(long, conflicts_with = "changes_since")]
    pub version: Option<i64>,
    /// Instead of a snapshot, every change after this version up to the current one, with a
    /// `_version` column.
    #[arg(long)]
    pub changes_since: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: Format,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn versions(settings: &Settings, a: VersionsArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let rows = store.list_versions(&a.dataset).await?;
    if rows.is_empty() {
        bail!("dataset '{}' has no published version", a.dataset);
    }
    for v in rows {
        if a.json {
            println!("{}", serde_json::to_string(&v)?);
        } else {
            println!(
                "v{:<4} {}  rows {:>8}  +{} ~{} -{}  quarantined {}  {}",
                v.version, v.created_at, v.row_count, v.inserted, v.updated, v.deleted, v.quarantined, v.prefix
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn export(settings: &Settings, a: ExportArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let objects = objects::open(&settings.object_store_url)?;
    let current = store
        .current_version(&a.dataset)
        .await?
        .with_context(|| format!("dataset '{}' has no published version", a.dataset))?;
    let mut df = if let Some(since) = a.changes_since {
        if since < 0 || since > current.version {
            bail!("--changes-since {since}: dataset '{}' has versions 1 to {}", a.dataset, current.version);
        }
        versions::ensure_kept(&store, &a.dataset, since + 1).await?;
        versions::changes_since(&objects, &a.dataset, since, current.version).await?
    } else {
        let v = a.version.unwrap_or(current.version);
        let row = store
            .version(&a.dataset, v)
            .await?
            .with_context(|| format!("dataset '{}' has no version {v}", a.dataset))?;
        versions::ensure_kept(&store, &a.dataset, v).await?;
        versions::read_parquet(&objects, &format!("{}/snapshot.parquet", row.prefix)).await?
    };
    if df.schema().contains("_row_hash") {
        df = df.drop("_row_hash")?;
    }
    let create = || std::fs::File::create(&a.out).with_context(|| format!("creating {}", a.out.display()));
    match a.format {
        Format::Parquet => {
            lgsp_hub::parquet_io::write_file(&a.out, &mut df, &lgsp_hub::parquet_io::Options::default())?;
        }
        Format::Csv => CsvWriter::new(&mut create()?).finish(&mut versions::with_text_timestamps(df.clone())?)?,
        Format::Ndjson => JsonWriter::new(&mut create()?)
            .with_json_format(JsonFormat::JsonLines)
            .finish(&mut versions::with_text_timestamps(df.clone())?)?,
    }
    eprintln!("wrote {} rows to {}", df.height(), a.out.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Dataset name.
    pub dataset: String,
    /// Frictionless Table Schema (for the CSV export) or JSON Schema (for one NDJSON record).
    #[arg(long, value_enum, default_value = "frictionless")]
    pub format: lgsp_hub::contract::Format,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `lgsp schema DATASET`: the data contract of the current version, every field.
pub async fn schema(settings: &Settings, a: SchemaArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let Some(d) = store.dataset(&a.dataset).await? else {
        bail!("dataset '{}' has no published version (lgsp datasets lists them)", a.dataset);
    };
    let text = lgsp_hub::contract::export_published(&d, a.format)?;
    match a.out {
        Some(path) => std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
