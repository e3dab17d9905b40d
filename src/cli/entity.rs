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
    /// Split a master entity into the entities its records first belonged to, and publish
    /// now. The pairs across them are recorded as rejected by `unmerge:<master id>`
    /// (`lgsp review decisions`; `lgsp review undo --by unmerge:<master id>` withdraws them).
    Unmerge {
        /// Entity type.
        entity: String,
        /// The master entity id.
        master_id: String,
    },
    /// Move one record out of its master entity, keep the others together, and publish now.
    /// The record's pairs with the others are recorded as rejected by `detach:<record>`.
    Detach {
        /// Entity type.
        entity: String,
        /// The record, as `dataset|key` (`lgsp entity show`).
        record: String,
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
    /// The two records are one entity. Recorded now; the master entities change at the next
    /// resolution (`lgsp entity resolve ENTITY`, or the next run of one of its pipelines),
    /// and every later one.
    Accept {
        /// The pair's id (`lgsp review list`).
        id: String,
    },
    /// The two records are different entities. Recorded now; applies from the next
    /// resolution, as `accept`.
    Reject {
        /// The pair's id (`lgsp review list`).
        id: String,
    },
    /// The decisions recorded on pairs of an entity type (accepted, rejected, by whom).
    Decisions {
        /// Entity type.
        entity: String,
    },
    /// Withdraw decisions: the model decides those pairs again from the next resolution.
    Undo {
        /// Entity type.
        entity: String,
        /// The pair's two records (`dataset|key`).
        #[arg(num_args = 2, required_unless_present = "by", conflicts_with = "by")]
        pair: Vec<String>,
        /// Every decision recorded by this name (`unmerge:<master id>`, `detach:<record>`).
        #[arg(long)]
        by: Option<String>,
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
            let groups = lgsp_hub::entity::unmerge(&store, &entity, &master_id).await?;
            audit(
                &store,
                "entity unmerge",
                serde_json::json!({ "entity": entity, "master_id": master_id, "groups": groups }),
            )
            .await?;
            let specs = super::ops::all_pipelines(settings)?;
            let r = lgsp_hub::entity::resolve(&store, &objects, &specs, &entity, "manual").await?;
            println!("{master_id} split into {groups} entities; {} entities now", r.entities);
            println!("withdraw with: lgsp review undo {entity} --by unmerge:{master_id}");
        }
        EntityCommand::Detach { entity, record } => {
            let master = lgsp_hub::entity::detach(&store, &entity, &record).await?;
            audit(
                &store,
                "entity detach",
                serde_json::json!({ "entity": entity, "record": record, "master_id": master }),
            )
            .await?;
            let specs = super::ops::all_pipelines(settings)?;
            let r = lgsp_hub::entity::resolve(&store, &objects, &specs, &entity, "manual").await?;
            let now = store.xrefs(&entity).await?;
            let id = now
                .iter()
                .find(|x| format!("{}|{}", x.source, x.source_key) == record)
                .map_or("(gone)", |x| x.master_id.as_str());
            println!("{record} left {master}; it is {id} now; {} entities", r.entities);
            println!("withdraw with: lgsp review undo {entity} --by detach:{record}");
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

async fn audit(store: &lgsp_hub::store::Store, action: &str, detail: serde_json::Value) -> anyhow::Result<()> {
    lgsp_hub::audit::append(store, lgsp_hub::audit::admin_entry("cli", action, "", detail)).await?;
    Ok(())
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
            println!(
                "{id}: {decision}ed ({} / {}); it applies from the next resolution of '{}' \
                 (lgsp entity resolve {} applies it now)",
                r.a, r.b, r.entity, r.entity
            );
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
            let row = |c: &str, a: &str, b: &str, level: &str, w: f64| {
                println!("{c:<16} {a:<28} {b:<28} {level:<36} {w:>8.2}");
            };
            println!("{:<16} {:<28} {:<28} {:<36} {:>8}", "comparison", r.a, r.b, "level", "weight");
            row("prior", "", "", "share of matches among all pairs", e["prior_weight"].as_f64().unwrap_or(0.0));
            for s in e["steps"].as_array().into_iter().flatten() {
                let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
                row(&text("column"), &text("a"), &text("b"), &text("level"), s["weight"].as_f64().unwrap_or(0.0));
            }
            row("total", "", "", "2^total / (1 + 2^total) = probability", e["total_weight"].as_f64().unwrap_or(0.0));
            println!("match probability {:.6}", e["probability"].as_f64().unwrap_or(r.probability));
        }
        ReviewCommand::Decisions { entity } => {
            for d in store.decisions(&entity).await? {
                println!("{}  {:<6}  {}  {}  by {}", d.decided_at, d.decision, d.a, d.b, d.decided_by);
            }
        }
        ReviewCommand::Undo { entity, pair, by } => {
            let pairs: Vec<(String, String)> = match by {
                Some(by) => store
                    .decisions(&entity)
                    .await?
                    .into_iter()
                    .filter(|d| d.decided_by == by)
                    .map(|d| (d.a, d.b))
                    .collect(),
                None => {
                    let (a, b) = (pair[0].clone(), pair[1].clone());
                    vec![if a <= b { (a, b) } else { (b, a) }]
                }
            };
            let mut undone = 0;
            for (a, b) in &pairs {
                if store.undo_decision(&entity, a, b).await? {
                    undone += 1;
                    audit(&store, "review undo", serde_json::json!({ "entity": entity, "a": a, "b": b })).await?;
                }
            }
            if undone == 0 {
                bail!("no decision to withdraw: see `lgsp review decisions {entity}`");
            }
            println!("{undone} decisions withdrawn; they apply from the next resolution of '{entity}'");
        }
        ReviewCommand::Accept { id } => decide(id, "accept").await?,
        ReviewCommand::Reject { id } => decide(id, "reject").await?,
    }
    Ok(ExitCode::SUCCESS)
}
