//! The data contract a pipeline publishes: its schema (types, required fields, what the rules
//! guarantee, the personal-data class) and the check that a changed pipeline file does not break
//! what consumers rely on (a field removed or renamed, a type changed, another key) unless the
//! change is declared (`contract_version` raised, or `--allow-breaking`).

use crate::objects::Objects;
use crate::pipeline::spec::{FieldType, PipelineSpec};
use crate::store::VersionRow;
use crate::versions::{Manifest, SchemaField};

/// The published schema (the data dictionary) of `spec`.
pub(crate) fn schema_of(spec: &PipelineSpec) -> Vec<SchemaField> {
    spec.fields
        .iter()
        .map(|f| SchemaField {
            name: f.name.clone(),
            kind: format!("{:?}", f.kind).to_lowercase(),
            required: f.required || spec.key.contains(&f.name),
            scale: (f.kind == FieldType::Decimal).then(|| f.scale.unwrap_or(2)),
            description: f.description.clone(),
            personal: f.personal,
            constraints: constraints_of(&f.rules),
        })
        .collect()
}

/// What `rules` guarantee of a field's published values (none: nothing to say).
fn constraints_of(rules: &[crate::pipeline::spec::RuleSpec]) -> Option<crate::versions::Constraints> {
    use crate::pipeline::spec::RuleSpec;
    let bound = |v: &Option<toml::Value>| {
        v.as_ref().map(|v| match v {
            toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
            other => serde_json::to_value(other).unwrap_or_default(),
        })
    };
    let mut c = crate::versions::Constraints::default();
    for r in rules {
        match r {
            RuleSpec::Regex { pattern } => c.patterns.push(pattern.clone()),
            RuleSpec::Enum { values } => c.values = Some(values.clone()),
            RuleSpec::Range { min, max } => (c.minimum, c.maximum) = (bound(min), bound(max)),
            RuleSpec::Length { min, max } => (c.min_length, c.max_length) = (*min, *max),
            RuleSpec::Unique => c.unique = true,
            RuleSpec::InCatalog { catalog, .. } => c.catalog = Some(catalog.clone()),
            RuleSpec::TaxCode => c.patterns.push(r"^([0-9]{10}(-[0-9]{3})?|[0-9]{12})$".into()),
        }
    }
    (c != crate::versions::Constraints::default()).then_some(c)
}

/// What `new` breaks of `old` for a consumer: fields removed (or renamed), types changed, the
/// key changed. Fields added, or made required, break nothing.
pub(crate) fn breaking(old: &Manifest, new: &[SchemaField], key: &[String]) -> Vec<String> {
    let mut changes = Vec::new();
    for f in &old.schema {
        match new.iter().find(|n| n.name == f.name) {
            None => changes.push(format!("field '{}' is removed (or renamed)", f.name)),
            Some(n) if n.kind != f.kind => {
                changes.push(format!("field '{}' changes type from {} to {}", f.name, f.kind, n.kind))
            }
            Some(_) => {}
        }
    }
    if old.key != key {
        changes.push(format!("the key changes from [{}] to [{}]", old.key.join(", "), key.join(", ")));
    }
    changes
}

/// Refuses a run of `spec` whose schema breaks the contract of the current version, unless the
/// pipeline raised `contract_version` above the published one or `allow` is set.
pub(crate) async fn check(
    objects: &Objects,
    spec: &PipelineSpec,
    current: Option<&VersionRow>,
    allow: bool,
) -> super::Result<()> {
    let Some(current) = current else { return Ok(()) };
    let bytes = crate::objects::get(objects, &format!("{}/manifest.json", current.prefix)).await?;
    let published: Manifest = serde_json::from_slice(&bytes).map_err(|e| super::Error::Contract {
        dataset: spec.dataset.to_string(),
        message: format!("the manifest of version {} cannot be read: {e}", current.version),
    })?;
    let changes = breaking(&published, &schema_of(spec), &spec.key);
    if changes.is_empty() || allow || spec.contract_version > published.contract_version {
        return Ok(());
    }
    Err(super::Error::Contract {
        dataset: spec.dataset.to_string(),
        message: format!(
            "{}. Consumers rely on the published contract (version {}): declare the change with contract_version = {} in the pipeline file and tell the consumers, or run with --allow-breaking",
            changes.join("; "),
            published.contract_version,
            published.contract_version + 1
        ),
    })
}
