//! Master entities: the records of every pipeline of one entity type are matched together,
//! matches (and the steward's accepted pairs, less the rejected ones) are clustered into
//! entities with stable master ids, each entity gets a golden record, and both the golden
//! records (`<entity>`) and the cross-reference (`<entity>_xref`) are published as datasets.

mod golden;
mod publish;

use crate::matching::records::Records;
use crate::matching::spec::MatchSpec;
use crate::objects::Objects;
use crate::pipeline::{PipelineSpec, RunReport};
use crate::store::{ReviewRow, Store, XrefRow};
use golden::{golden_rows, xref_table};
use polars::prelude::*;
use publish::publish;
use std::collections::HashMap;

/// Errors of entity resolution.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no pipeline declares [matching] entity = \"{0}\"")]
    NoEntity(String),
    #[error("no master entity '{0}'")]
    NoMaster(String),
    #[error(transparent)]
    Pipeline(#[from] crate::pipeline::Error),
    #[error(transparent)]
    Versions(#[from] crate::versions::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Matching(#[from] crate::matching::Error),
    #[error("dataframe: {0}")]
    Frame(#[from] PolarsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file of rows to publish could not be written.
    #[error("{}: {source}", path.display())]
    Csv { path: std::path::PathBuf, source: csv::Error },
    /// A dataset named after the entity is not an identifier.
    #[error("master entities '{dataset}': {source}")]
    Name { dataset: String, source: crate::ident::Invalid },
    /// A member pipeline's current version lacks one of its key columns.
    #[error("the current version of dataset '{dataset}' has no key column '{column}': {source}")]
    KeyColumn { dataset: String, column: String, source: PolarsError },
    /// The explanation of a pair queued for review could not be encoded.
    #[error("encoding the review detail of {a} and {b}: {source}")]
    ReviewDetail { a: String, b: String, source: serde_json::Error },
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// What a resolution did.
#[derive(Debug, serde::Serialize)]
pub struct Resolution {
    pub entity: String,
    pub records: usize,
    pub entities: usize,
    pub matched_pairs: usize,
    pub queued_for_review: usize,
    pub(crate) golden: RunReport,
    pub(crate) xref: RunReport,
}

/// The id of a source record in matching: `dataset|key`.
fn record_id(dataset: &str, key: &str) -> String {
    format!("{dataset}|{key}")
}

fn text(s: &Column, i: usize) -> String {
    match s.get(i) {
        Ok(AnyValue::Null) | Err(_) => String::new(),
        Ok(AnyValue::String(v)) => v.to_string(),
        Ok(v) => v.to_string().trim_matches('"').to_string(),
    }
}

/// Reads the current snapshot of every member pipeline into matching columns.
async fn gather(
    store: &Store,
    objects: &Objects,
    members: &[&PipelineSpec],
    spec: &MatchSpec,
) -> Result<HashMap<String, Vec<String>>> {
    // The spec's id is `_id`, made here from each dataset and key.
    let wanted: Vec<String> = spec.columns().into_iter().filter(|c| *c != spec.id).collect();
    let mut raw: HashMap<String, Vec<String>> = wanted.iter().map(|w| (w.clone(), Vec::new())).collect();
    raw.insert("_id".into(), Vec::new());
    for m in members {
        let Some(v) = store.current_version(&m.dataset).await? else { continue };
        let df = crate::versions::read_parquet(objects, &format!("{}/snapshot.parquet", v.prefix)).await?;
        // Every key column: without one, records of different keys would get the same id.
        let keys = m
            .key
            .iter()
            .map(|k| {
                df.column(k).map_err(|source| Error::KeyColumn {
                    dataset: m.dataset.to_string(),
                    column: k.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<&Column>>>()?;
        for i in 0..df.height() {
            let key: Vec<String> = keys.iter().map(|c| text(c, i)).collect();
            if let Some(c) = raw.get_mut("_id") {
                c.push(record_id(&m.dataset, &key.join("|")));
            }
            for w in &wanted {
                // A member pipeline may lack a column others have: its records leave it empty.
                let value = df.column(w).map(|c| text(c, i)).unwrap_or_default();
                if let Some(c) = raw.get_mut(w) {
                    c.push(value);
                }
            }
        }
    }
    Ok(raw)
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Matches, clusters and publishes the master entities of `entity` from the pipelines in `all`.
pub async fn resolve(
    store: &Store,
    objects: &Objects,
    all: &[PipelineSpec],
    entity: &str,
    trigger: &str,
) -> Result<Resolution> {
    let members: Vec<&PipelineSpec> =
        all.iter().filter(|s| s.matching.as_ref().and_then(|m| m.entity.as_deref()) == Some(entity)).collect();
    let first = members.first().ok_or_else(|| Error::NoEntity(entity.into()))?;
    let mut spec = first.matching.clone().ok_or_else(|| Error::NoEntity(entity.into()))?;
    spec.id = "_id".into();
    let raw = gather(store, objects, &members, &spec).await?;
    spec.source = None;
    let mut records = Records::from_columns(raw, &spec, entity)?;
    // Each record's source is its dataset (linkage compares records of different datasets).
    let datasets: Vec<String> =
        records.ids.iter().map(|id| id.split_once('|').map_or(id.as_str(), |(d, _)| d).to_string()).collect();
    records.set_sources(&datasets);
    let outcome = crate::matching::run(&spec, &records);
    let index: HashMap<&str, usize> = records.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let decisions: HashMap<(String, String), String> =
        store.match_decisions(entity).await?.into_iter().map(|(a, b, d)| ((a, b), d)).collect();
    let pair_key = |a: usize, b: usize| {
        let (x, y) = (records.ids[a].clone(), records.ids[b].clone());
        if x <= y {
            (x, y)
        } else {
            (y, x)
        }
    };
    let n = records.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut best = vec![0.0f64; n];
    let (mut matched, mut queued) = (0, 0);
    for p in &outcome.pairs {
        let (a, b) = (p.a as usize, p.b as usize);
        let key = pair_key(a, b);
        match decisions.get(&key).map(String::as_str) {
            Some("reject") => continue,
            Some("accept") => {}
            _ if p.probability >= spec.match_threshold => {}
            _ => {
                let explained = crate::matching::explain(&records, &outcome.model, &key.0, &key.1)?;
                let detail = serde_json::to_string(&explained).map_err(|source| Error::ReviewDetail {
                    a: key.0.clone(),
                    b: key.1.clone(),
                    source,
                })?;
                let id = format!(
                    "r-{}",
                    &crate::digest::sha256_hex(format!("{entity}|{}|{}", key.0, key.1).as_bytes())[..12]
                );
                store
                    .queue_review(&ReviewRow {
                        id,
                        entity: entity.into(),
                        a: key.0,
                        b: key.1,
                        probability: p.probability,
                        status: "pending".into(),
                        created_at: crate::store::now(),
                        detail,
                    })
                    .await?;
                queued += 1;
                continue;
            }
        }
        matched += 1;
        best[a] = best[a].max(p.probability);
        best[b] = best[b].max(p.probability);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    for ((a, b), d) in &decisions {
        if let (Some(&i), Some(&j), "accept") = (index.get(a.as_str()), index.get(b.as_str()), d.as_str()) {
            best[i] = 1.0;
            best[j] = 1.0;
            let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
            parent[ri.max(rj)] = ri.min(rj);
        }
    }
    let mut clusters: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        clusters.entry(r).or_default().push(i);
    }
    let mut clusters: Vec<Vec<usize>> = clusters.into_values().collect();
    clusters.sort_by(|a, b| records.ids[a[0]].cmp(&records.ids[b[0]]));
    let next_version = store.current_version(&format!("{entity}_xref")).await?.map(|v| v.version).unwrap_or(0) + 1;
    let xrefs = assign_ids(store, entity, &records, &clusters, &best, next_version).await?;
    let golden = golden_rows(&spec, &records, &clusters, &xrefs);
    let owner = first.owner.clone();
    let golden_report = publish(store, objects, entity, &owner, &golden, trigger).await?;
    let xref_report = publish(store, objects, &format!("{entity}_xref"), &owner, &xref_table(&xrefs), trigger).await?;
    store.replace_xrefs(entity, &xrefs).await?;
    Ok(Resolution {
        entity: entity.into(),
        records: n,
        entities: clusters.len(),
        matched_pairs: matched,
        queued_for_review: queued,
        golden: golden_report,
        xref: xref_report,
    })
}

/// After a run of `spec`: when it published a version and the pipeline matches into an entity,
/// resolves that entity's master entities (over `pipelines`, where `spec` replaces any pipeline
/// of the same id).
pub async fn resolve_after(
    store: &Store,
    objects: &Objects,
    pipelines: &[PipelineSpec],
    spec: &PipelineSpec,
    report: &RunReport,
    trigger: &str,
) -> Result<Option<Resolution>> {
    let Some(entity) = spec.matching.as_ref().and_then(|m| m.entity.as_deref()) else { return Ok(None) };
    if !report.published() {
        return Ok(None);
    }
    let mut all: Vec<PipelineSpec> = pipelines.iter().filter(|s| s.id != spec.id).cloned().collect();
    all.push(spec.clone());
    Ok(Some(resolve(store, objects, &all, entity, trigger).await?))
}

/// Stable master ids: each cluster keeps the id most of its records had (if no larger cluster
/// took it first); new clusters get the next number.
async fn assign_ids(
    store: &Store,
    entity: &str,
    r: &Records,
    clusters: &[Vec<usize>],
    best: &[f64],
    next_version: i64,
) -> Result<Vec<XrefRow>> {
    let old: HashMap<String, XrefRow> =
        store.xrefs(entity).await?.into_iter().map(|x| (record_id(&x.source, &x.source_key), x)).collect();
    let mut next = old.values().filter_map(|x| x.master_id.rsplit('-').next()?.parse::<u64>().ok()).max().unwrap_or(0);
    let mut order: Vec<&Vec<usize>> = clusters.iter().collect();
    order.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::new();
    for c in order {
        let mut votes: HashMap<&str, usize> = HashMap::new();
        for &i in c {
            if let Some(x) = old.get(&r.ids[i]) {
                *votes.entry(x.master_id.as_str()).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let id = match ranked.iter().find(|(m, _)| !taken.contains(*m)) {
            Some((m, _)) => m.to_string(),
            None => {
                next += 1;
                format!("{entity}-{next:07}")
            }
        };
        taken.insert(id.clone());
        for &i in c {
            let (source, key) = r.ids[i].split_once('|').unwrap_or(("", &r.ids[i]));
            let prev = old.get(&r.ids[i]);
            let changed = prev.is_none_or(|p| p.master_id != id);
            out.push(XrefRow {
                source: source.into(),
                source_key: key.into(),
                master_id: id.clone(),
                previous_master_id: if changed {
                    prev.map(|p| p.master_id.clone())
                } else {
                    prev.and_then(|p| p.previous_master_id.clone())
                },
                probability: if c.len() == 1 { 1.0 } else { best[i] },
                since: if changed {
                    next_version.to_string()
                } else {
                    prev.map(|p| p.since.clone()).unwrap_or_default()
                },
            });
        }
    }
    out.sort_by(|a, b| (&a.master_id, &a.source, &a.source_key).cmp(&(&b.master_id, &b.source, &b.source_key)));
    Ok(out)
}

/// Splits master entity `master_id` back into the entities its records belonged to before
/// they were merged (records without an earlier entity become entities of their own): the
/// pairs across those groups are recorded as rejected, so later runs keep them apart.
pub async fn unmerge(store: &Store, entity: &str, master_id: &str, by: &str) -> Result<usize> {
    let xrefs = store.xrefs(entity).await?;
    let members: Vec<&XrefRow> = xrefs.iter().filter(|x| x.master_id == master_id).collect();
    if members.is_empty() {
        return Err(Error::NoMaster(master_id.into()));
    }
    let group = |x: &XrefRow| x.previous_master_id.clone().unwrap_or_else(|| record_id(&x.source, &x.source_key));
    let mut restored = xrefs.clone();
    for x in restored.iter_mut().filter(|x| x.master_id == master_id) {
        if let Some(p) = x.previous_master_id.clone() {
            x.master_id = p;
            x.previous_master_id = Some(master_id.into());
        }
    }
    for (i, a) in members.iter().enumerate() {
        for b in &members[i + 1..] {
            if group(a) != group(b) {
                let (x, y) = (record_id(&a.source, &a.source_key), record_id(&b.source, &b.source_key));
                let (x, y) = if x <= y { (x, y) } else { (y, x) };
                store.decide(entity, &x, &y, "reject", by).await?;
            }
        }
    }
    store.replace_xrefs(entity, &restored).await?;
    let groups: std::collections::HashSet<String> = members.iter().map(|x| group(x)).collect();
    Ok(groups.len())
}
