//! Master entities: the records of every pipeline of one entity type are matched together,
//! matches (and the steward's accepted pairs, less the rejected ones) are clustered into
//! entities with stable master ids, each entity gets a golden record, and both the golden
//! records (`<entity>`) and the cross-reference (`<entity>_xref`) are published as datasets.

mod golden;
mod ids;
mod publish;
mod steward;

use crate::matching::records::Records;
use crate::matching::spec::MatchSpec;
use crate::objects::Objects;
use crate::pipeline::{PipelineSpec, RunReport};
use crate::store::{ReviewRow, Store, XrefRow};
use golden::{golden_rows, xref_table};
pub(crate) use golden::{pick, Candidate, Why};
use polars::prelude::*;
use publish::publish;
use std::collections::HashMap;
pub use steward::{detach, unmerge};

/// Errors of entity resolution.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no pipeline declares [matching] entity = \"{0}\"")]
    NoEntity(String),
    #[error("no master entity '{0}'")]
    NoMaster(String),
    #[error("no source record '{0}' in the cross-reference: write it as dataset|key (see `lgsp entity show`)")]
    NoRecord(String),
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
    /// Pending review items whose pair no longer scores between the thresholds (or whose
    /// record left): no longer waiting.
    pub expired_reviews: usize,
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
    let (mut matched, mut queued) = (0, std::collections::HashSet::new());
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
                queued.insert(id.clone());
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
                continue;
            }
        }
        matched += 1;
        best[a] = best[a].max(p.probability);
        best[b] = best[b].max(p.probability);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    // Items queued before and not now are stale: re-scored outside the band, or decided.
    let expired_reviews = store.expire_reviews(entity, &queued).await?;
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
    let old: HashMap<String, XrefRow> =
        store.xrefs(entity).await?.into_iter().map(|x| (record_id(&x.source, &x.source_key), x)).collect();
    let xrefs = ids::assign(entity, &records.ids, &old, &clusters, &best, next_version);
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
        queued_for_review: queued.len(),
        expired_reviews,
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
