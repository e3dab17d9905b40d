//! Publishing master entities and their cross-reference: the rows go through an ordinary
//! pipeline run over a CSV file, so they are versioned, diffed and served like any dataset.

use super::{Error, Result};
use crate::ident::{AgencyCode, Ident};
use crate::objects::Objects;
use crate::pipeline::gates::GatesSpec;
use crate::pipeline::spec::{ExtractMode, FieldSpec, Missed, PublishSpec, SurvivorshipSpec};
use crate::pipeline::{PipelineSpec, RunOptions, RunReport};
use crate::source::spec::{CsvSourceSpec, RetrySpec, SourceSpec};
use crate::store::Store;
use std::path::PathBuf;

/// The pipeline that publishes `header`'s columns from the CSV file at `path` as `dataset`:
/// keyed by `source, source_key` for a cross-reference, by `master_id` otherwise, and allowed to
/// delete any share of the records (entities merge and split).
fn spec(dataset: &str, owner: &AgencyCode, header: &[String], path: PathBuf) -> Result<PipelineSpec> {
    let ident = |name: String| name.parse::<Ident>().map_err(|source| Error::Name { dataset: dataset.into(), source });
    let key = match header.first().map(String::as_str) {
        Some("source") => vec!["source".to_string(), "source_key".to_string()],
        _ => vec!["master_id".to_string()],
    };
    Ok(PipelineSpec {
        id: ident(format!("entity-{dataset}"))?,
        owner: owner.clone(),
        dataset: ident(dataset.to_string())?,
        title: format!("Master entities: {dataset}"),
        description: String::new(),
        schedule: None,
        extract: ExtractMode::default(),
        key,
        source: SourceSpec::Csv(CsvSourceSpec::file(path)),
        retry: RetrySpec::default(),
        missed: Missed::default(),
        fields: header.iter().map(|name| FieldSpec { name: name.clone(), ..Default::default() }).collect(),
        on_quarantined_key: Default::default(),
        survivorship: SurvivorshipSpec::default(),
        publish: PublishSpec { max_delete_fraction: 1.0, ..Default::default() },
        retention: Default::default(),
        contract_version: 1,
        // Entities are derived from published datasets, which passed their own gates.
        gates: GatesSpec { max_quarantine_fraction: 1.0, max_update_fraction: 1.0, ..GatesSpec::default() },
        matching: None,
    })
}

/// Publishes `rows` (header first) as dataset `dataset` through an ordinary pipeline run.
pub(super) async fn publish(
    store: &Store,
    objects: &Objects,
    dataset: &str,
    owner: &AgencyCode,
    rows: &[Vec<String>],
    trigger: &str,
) -> Result<RunReport> {
    let dir = crate::scratch::dir("entity")?;
    let path = dir.path().join(format!("{dataset}.csv"));
    let written = || -> std::result::Result<(), csv::Error> {
        let mut w = csv::Writer::from_path(&path)?;
        for r in rows {
            w.write_record(r)?;
        }
        Ok(w.flush()?)
    };
    written().map_err(|source| Error::Csv { path: path.clone(), source })?;
    // `golden_rows` and `xref_table` always start with the header.
    let header = rows.first().map(Vec::as_slice).unwrap_or_default();
    let spec = spec(dataset, owner, header, path)?;
    // Its columns follow the source pipelines, whose own contracts declare their changes.
    let opts = RunOptions { trigger: Some(trigger.into()), allow_breaking: true, ..Default::default() };
    Ok(crate::pipeline::run(store, objects, &spec, opts).await?)
}
