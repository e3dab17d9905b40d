//! An entity's golden record in the console: each golden column's value, the source record it
//! came from and why (the column's survivorship rule and what decided it), with every member's
//! value beside it. Computed by the rule that builds the published golden record
//! (`entity::pick`), from the members' current records.

use super::super::AppState;
use super::words::Words;
use crate::entity::{pick, Candidate, Why};
use crate::matching::spec::GoldenRule;
use crate::store::XrefRow;

/// One golden column of an entity.
pub(super) struct Field {
    pub(super) column: String,
    pub(super) rule: &'static str,
    pub(super) value: String,
    /// The record that gave the value (`source|key`), if any did.
    pub(super) from: String,
    pub(super) why: String,
    /// Each member's value: (`source|key`, value, whether it is the one that won).
    pub(super) values: Vec<(String, String, bool)>,
}

fn rule_name(rule: GoldenRule) -> &'static str {
    match rule {
        GoldenRule::MostFrequent => "most_frequent",
        GoldenRule::MostComplete => "most_complete",
        GoldenRule::SourcePriority => "source_priority",
        GoldenRule::MostRecent => "most_recent",
    }
}

/// Why, in the console's language.
fn said(w: &Words, why: &Why, sources: &[String], by: Option<&str>) -> String {
    let vi = w.lang == "vi";
    match why {
        Why::NoValue if vi => "không bản ghi nào có giá trị".into(),
        Why::NoValue => "no record has a value".into(),
        Why::Priority { rank } if vi => format!("nguồn thứ {rank} trong thứ tự ưu tiên {}", sources.join(" > ")),
        Why::Priority { rank } => format!("source {rank} in the priority order {}", sources.join(" > ")),
        Why::Longest { chars } if vi => format!("giá trị đầy đủ nhất ({chars} ký tự)"),
        Why::Longest { chars } => format!("the most complete value ({chars} characters)"),
        Why::Frequent { count, of } if vi => format!("{count} trên {of} bản ghi có giá trị này"),
        Why::Frequent { count, of } => format!("held by {count} of {of} records with a value"),
        Why::Newest { at } if vi => format!("bản ghi mới nhất theo {} ({at})", by.unwrap_or("")),
        Why::Newest { at } => format!("the newest record by {} ({at})", by.unwrap_or("")),
    }
}

/// A JSON value as the golden record's text (blank for null).
fn text(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The golden record of the entity whose records are `members`, by the golden columns of the
/// pipelines that match into `entity`.
pub(super) async fn fields(
    state: &AppState,
    w: &Words,
    entity: &str,
    members: &[XrefRow],
) -> Result<Vec<Field>, String> {
    let pipelines: Vec<_> =
        state.specs.iter().filter(|s| s.matching.as_ref().and_then(|m| m.entity.as_deref()) == Some(entity)).collect();
    let Some(spec) = pipelines.first().and_then(|p| p.matching.as_ref()) else { return Ok(Vec::new()) };
    let mut records = Vec::with_capacity(members.len());
    for m in members {
        // A composite key is stored as the JSON array of its values; the xref joins them with '|'.
        let parts = pipelines.iter().find(|p| p.dataset.as_str() == m.source).map_or(1, |p| p.key.len());
        let key = match parts {
            1 => m.source_key.clone(),
            _ => serde_json::to_string(&m.source_key.splitn(parts, '|').collect::<Vec<_>>()).unwrap_or_default(),
        };
        let data = state.store.current_record(&m.source, &key).await.map_err(|e| e.to_string())?;
        let row: serde_json::Map<String, serde_json::Value> =
            data.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
        records.push((format!("{}|{}", m.source, m.source_key), m.source.clone(), row));
    }
    let mut out = Vec::new();
    for g in &spec.golden {
        let cells: Vec<(String, String)> = records
            .iter()
            .map(|(_, _, row)| (text(row.get(&g.column)), g.by.as_ref().map(|b| text(row.get(b))).unwrap_or_default()))
            .collect();
        let candidates: Vec<Candidate> =
            records.iter().zip(&cells).map(|((_, source, _), (value, by))| Candidate { source, value, by }).collect();
        let p = pick(g, &candidates);
        out.push(Field {
            column: g.column.clone(),
            rule: rule_name(g.rule),
            from: p.from.map(|i| records[i].0.clone()).unwrap_or_default(),
            why: said(w, &p.why, &g.sources, g.by.as_deref()),
            values: records
                .iter()
                .zip(&cells)
                .enumerate()
                .map(|(i, ((id, _, _), (value, _)))| (id.clone(), value.clone(), Some(i) == p.from))
                .collect(),
            value: p.value,
        });
    }
    Ok(out)
}
