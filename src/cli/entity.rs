//! `lgsp entity` and `lgsp review`: master entities and the steward's queue.

use anyhow::bail;
use clap::Subcommand;
use lgsp_hub::settings::Settings;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum EntityCommand {
    /// Match every pipeline of an entity type and publish its master entities now.
    Resolve {
        /// Entity type (the `[matching] entity` of its pipelines).
        entity: String,
    },
    /// Split a master entity back into the entities it was merged from.
    Unmerge {
        /// Entity type.
        entity: String,
        /// The master entity id.
        master_id: String,
    },
    /// The source records of a master entity.
    Show {
        /// Entity type.
        entity: String,
        /// The master entity id.
        master_id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReviewCommand {
    /// Pairs waiting for a decision (all with --all), most probable first.
    List {
        /// Entity type (the `[matching] entity` of its pipelines); default: every type.
        #[arg(long)]
        entity: Option<String>,
        /// Also the pairs already decided.
        #[arg(long)]
        all: bool,
    },
    /// A pair with each comparison's level and weight.
    Show {
        /// The pair's id (`lgsp review list`).
        id: String,
    },
    /// The two records are one entity (applies now and to every later run).
    Accept {
        /// The pair's id (`lgsp review list`).
        id: String,
    },
    /// The two records are different entities.
    Reject {
        /// The pair's id (`lgsp review list`).
        id: String,
    },
}

pub async fn entity(settings: &Settings, cmd: EntityCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let objects = lgsp_hub::objects::open(&settings.object_store_url)?;
    match cmd {
        EntityCommand::Resolve { entity } => {
            let specs = super::ops::all_pipelines(settings)?;
            let r = lgsp_hub::entity::resolve(&store, &objects, &specs, &entity, "manual").await?;
            lgsp_hub::audit::append(
                &store,
                lgsp_hub::audit::admin_entry(
                    "cli",
                    "entity resolve",
                    "",
                    serde_json::json!({ "entity": entity, "entities": r.entities }),
                ),
            )
            .await?;
            println!("{}", serde_json::to_string(&r)?);
        }
        EntityCommand::Unmerge { entity, master_id } => {
            let groups = lgsp_hub::entity::unmerge(&store, &entity, &master_id, "cli").await?;
            lgsp_hub::audit::append(
                &store,
                lgsp_hub::audit::admin_entry(
                    "cli",
                    "entity unmerge",
                    "",
                    serde_json::json!({ "entity": entity, "master_id": master_id, "groups": groups }),
                ),
            )
            .await?;
            let specs = super::ops::all_pipelines(settings)?;
            let r = lgsp_hub::entity::resolve(&store, &objects, &specs, &entity, "manual").await?;
            println!("{master_id} split into {groups} entities; {} entities now", r.entities);
        }
        EntityCommand::Show { entity, master_id } => {
            let rows: Vec<_> = store.xrefs(&entity).await?.into_iter().filter(|x| x.master_id == master_id).collect();
            if rows.is_empty() {
                bail!("no master entity '{master_id}' of '{entity}'");
            }
            for x in rows {
                println!("{}", serde_json::to_string(&x)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn review(settings: &Settings, cmd: ReviewCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let decide = |id: String, decision: &'static str| {
        let store = store.clone();
        async move {
            let Some(r) = store.review(&id).await? else { bail!("no review item '{id}': see `lgsp review list`") };
            store.decide(&r.entity, &r.a, &r.b, decision, "cli").await?;
            lgsp_hub::audit::append(
                &store,
                lgsp_hub::audit::admin_entry(
                    "cli",
                    &format!("review {decision}"),
                    "",
                    serde_json::json!({ "entity": r.entity, "a": r.a, "b": r.b }),
                ),
            )
            .await?;
            println!("{id}: {decision}ed ({} / {}); it applies from the next resolution of '{}'", r.a, r.b, r.entity);
            anyhow::Ok(())
        }
    };
    match cmd {
        ReviewCommand::List { entity, all } => {
            for r in store.reviews(entity.as_deref(), all).await? {
                println!("{}  {:<9} p={:.3}  {}  {}", r.id, r.status, r.probability, r.a, r.b);
            }
        }
        ReviewCommand::Show { id } => {
            let Some(r) = store.review(&id).await? else { bail!("no review item '{id}': see `lgsp review list`") };
            println!("{}  {}  p={:.4}  {}", r.id, r.status, r.probability, r.entity);
            // Without a readable explanation the item is shown without its comparisons.
            let e: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
            println!("{:<16} {:<28} {:<28} {:<36} {:>8}", "comparison", r.a, r.b, "level", "weight");
            for s in e["steps"].as_array().into_iter().flatten() {
                println!(
                    "{:<16} {:<28} {:<28} {:<36} {:>8.2}",
                    s["column"].as_str().unwrap_or(""),
                    s["a"].as_str().unwrap_or(""),
                    s["b"].as_str().unwrap_or(""),
                    s["level"].as_str().unwrap_or(""),
                    s["weight"].as_f64().unwrap_or(0.0)
                );
            }
        }
        ReviewCommand::Accept { id } => decide(id, "accept").await?,
        ReviewCommand::Reject { id } => decide(id, "reject").await?,
    }
    Ok(ExitCode::SUCCESS)
}
