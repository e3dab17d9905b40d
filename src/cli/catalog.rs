//! `lgsp catalog …`: load shared catalogs and query them as of a date.

use anyhow::{bail, Context};
use clap::Subcommand;
use lgsp_hub::catalog::{self, query};
use lgsp_hub::settings::Settings;
use lgsp_hub::store::CatalogItem;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    /// List the loaded catalogs.
    List,
    /// Show a catalog's items valid on a date.
    Show {
        /// Catalog id (`lgsp catalog list`).
        id: String,
        /// Read the catalog as it was on this date (yyyy-mm-dd; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What a code is on a date: valid, retired (and succeeded by what), or unknown.
    Lookup {
        /// Catalog id (`lgsp catalog list`).
        id: String,
        /// The code to look up.
        code: String,
        /// Read the catalog as it was on this date (yyyy-mm-dd; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The code(s) valid on a date (default today) that an old code became.
    Resolve {
        /// Catalog id (`lgsp catalog list`).
        id: String,
        /// The code to look up.
        code: String,
        /// The date the old code was recorded (default: its latest period).
        #[arg(long)]
        at: Option<String>,
        /// Read the catalog as it was on this date (yyyy-mm-dd; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search names, ignoring diacritics, case and tone placement.
    Search {
        /// Catalog id (`lgsp catalog list`).
        id: String,
        /// The name to look for (any case, with or without diacritics).
        text: String,
        /// Read the catalog as it was on this date (yyyy-mm-dd; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// At most this many results.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Turn a written place ("Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng") into a code, with a confidence.
    Match {
        /// Catalog id (`lgsp catalog list`).
        id: String,
        /// The name to look for (any case, with or without diacritics).
        text: String,
        /// Read the catalog as it was on this date (yyyy-mm-dd; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Items whose parent is CODE, valid on a date.
    Children {
        /// Catalog id (`lgsp catalog list`).
        id: String,
        /// The code to look up.
        code: String,
        /// Read the catalog as it was on this date (yyyy-mm-dd; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Versions of a catalog with their counts of added, changed and retired codes.
    Diff {
        /// Catalog id (`lgsp catalog list`).
        id: String,
    },
    /// Load (or reload) catalog files; default: every file of the catalogs folder.
    Load {
        /// Catalog files (default: every file of the catalogs folder).
        files: Vec<PathBuf>,
    },
}

fn print_items(items: &[CatalogItem], json: bool) -> anyhow::Result<()> {
    for it in items {
        if json {
            println!("{}", serde_json::to_string(it)?);
        } else {
            let period =
                format!("{}..{}", it.valid_from, it.valid_to).replace("0001-01-01", "").replace("9999-12-31", "");
            println!("{}\t{}\t{}\t{}", it.code, it.name, it.parent_code.as_deref().unwrap_or(""), period);
        }
    }
    Ok(())
}

fn date(d: Option<String>) -> anyhow::Result<String> {
    Ok(match d {
        Some(d) => catalog::parse_date(&d)?,
        None => catalog::today(),
    })
}

pub async fn run(settings: &Settings, cmd: CatalogCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match cmd {
        CatalogCommand::List => {
            for c in store.list_catalogs().await? {
                println!("{:<22} v{:<3} {} / {}", c.id, c.current_version, c.name_vi, c.name_en);
            }
        }
        CatalogCommand::Show { id, as_of, json } => {
            if store.catalog(&id).await?.is_none() {
                bail!(catalog::Error::Unknown(id));
            }
            print_items(&store.catalog_items_as_of(&id, &date(as_of)?, None).await?, json)?;
        }
        CatalogCommand::Lookup { id, code, as_of, json } => {
            let l = query::lookup(&store, &id, &code, &date(as_of)?).await?;
            if json {
                println!("{}", serde_json::to_string(&l)?)
            } else {
                println!("{}", l.message)
            }
            if l.status == "unknown" {
                return Ok(ExitCode::from(3));
            }
        }
        CatalogCommand::Resolve { id, code, at, as_of, json } => {
            let at = at.map(|d| catalog::parse_date(&d)).transpose()?;
            let c = query::resolve(&store, &id, &code, at.as_deref(), &date(as_of)?).await?;
            for cand in &c {
                if json {
                    println!("{}", serde_json::to_string(cand)?)
                } else {
                    println!("{}\t{}\t{}", cand.code, cand.name, cand.merge_type)
                }
            }
            if c.is_empty() {
                eprintln!("{code}: no current code in {id}");
                return Ok(ExitCode::from(3));
            }
        }
        CatalogCommand::Search { id, text, as_of, limit, json } => {
            print_items(&query::search(&store, &id, &text, &date(as_of)?, limit).await?, json)?;
        }
        CatalogCommand::Match { id, text, as_of, json } => {
            let m = catalog::matcher::match_name(&store, &id, &text, &date(as_of)?).await?;
            if json {
                println!("{}", serde_json::to_string(&m)?);
            } else {
                match &m.code {
                    Some(c) => println!("{c}\t{}\tconfidence {}", m.name.as_deref().unwrap_or(""), m.confidence),
                    None => println!("no single match (confidence {}): {}", m.confidence, m.candidates.join(", ")),
                }
            }
            if m.code.is_none() {
                return Ok(ExitCode::from(3));
            }
        }
        CatalogCommand::Children { id, code, as_of, json } => {
            print_items(&query::children(&store, &id, &code, &date(as_of)?).await?, json)?;
        }
        CatalogCommand::Diff { id } => {
            for v in store.catalog_versions(&id).await? {
                println!(
                    "v{:<3} {}  items {:>6}  added {:>6}  changed {:>6}  retired {:>6}  {}",
                    v.version, v.loaded_at, v.items, v.added, v.changed, v.retired, v.prefix
                );
            }
        }
        CatalogCommand::Load { files } => {
            let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
            let reports = if files.is_empty() {
                catalog::load_all(&store, &objects, &settings.catalogs_dir).await?
            } else {
                let mut r = Vec::new();
                for f in &files {
                    r.push(catalog::load_file(&store, &objects, f).await?);
                }
                r
            };
            for r in reports {
                println!(
                    "catalog {}: version {} ({}), {} items, +{} ~{} -{}",
                    r.catalog, r.version, r.status, r.items, r.added, r.changed, r.retired
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
