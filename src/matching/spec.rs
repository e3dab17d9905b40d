//! `MatchSpec`: how records of one entity type are recognised as the same entity (the
//! `[matching]` table of a pipeline file, or a file of its own for `lgsp match eval`).

use serde::Deserialize;

pub(crate) use super::compare::CompareKind;

/// Blocking, comparisons and thresholds of a Fellegi–Sunter model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// In a pipeline file: the entity type. Pipelines with the same entity match into one set of
    /// master entities (published as dataset `<entity>`, with the cross-reference `<entity>_xref`).
    #[serde(default)]
    pub entity: Option<String>,
    /// For `lgsp match eval`: the column that identifies a record (in a pipeline: its key).
    #[serde(default)]
    pub(crate) id: String,
    /// Blocking rules, OR-ed: a pair is compared when it agrees on every key of at least one
    /// rule. A key is a column (`surname`), its first N folded characters (`surname:3`), or
    /// columns whose values may be swapped, in sorted order (`given_name|surname`).
    pub(crate) blocking: Vec<Vec<String>>,
    /// One comparison per piece of evidence, each with its agreement levels.
    pub(crate) comparisons: Vec<ComparisonSpec>,
    /// A pair at or above this match probability is a match (default 0.9).
    #[serde(default = "default_match")]
    pub match_threshold: f64,
    /// A pair between this and `match_threshold` waits for a steward (default 0.5).
    #[serde(default = "default_review")]
    pub(crate) review_threshold: f64,
    /// Candidate pairs one blocking rule may bring per record (default 20): beyond it, the
    /// rule's largest blocks are skipped (counted, and named by `lgsp match eval`), so a rule
    /// on a common value (a birth date alone, a full name alone) cannot make a job of a million
    /// records take hours and gigabytes. Small jobs (up to 2 million pairs a rule) keep every
    /// block.
    #[serde(default = "default_pairs_per_record")]
    pub(crate) max_pairs_per_record: usize,
    /// Random pairs drawn to estimate u, the chance of each level among non-matches
    /// (default 300,000).
    #[serde(default = "default_u_pairs")]
    pub(crate) u_pairs: usize,
    /// EM iterations at most to estimate m, the chance of each level among matches (default 50).
    #[serde(default = "default_iterations")]
    pub(crate) em_iterations: usize,
    /// Seed of the random pairs (default 1): the same data and spec give the same model.
    #[serde(default = "default_seed")]
    pub(crate) seed: u64,
    /// The golden record's fields and how each value is chosen among an entity's records.
    #[serde(default)]
    pub(crate) golden: Vec<GoldenSpec>,
    /// Which pairs are compared: records of one source with each other too (`dedupe_only`,
    /// the default, and `link_and_dedupe`), or only records of different sources
    /// (`link_only`: each source holds an entity once).
    #[serde(default)]
    pub link_type: LinkType,
    /// For `lgsp match eval` on one file: the column naming each record's source (in a
    /// pipeline, the source is the dataset; with several `--input` files, the file).
    #[serde(default)]
    pub(crate) source: Option<String>,
}

/// Which pairs of records may be one entity.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// Every pair, whatever its sources.
    #[default]
    DedupeOnly,
    /// Only pairs of records from different sources.
    LinkOnly,
    /// Every pair (the same pairs as `dedupe_only`; named for specs that link sources that
    /// also hold duplicates).
    LinkAndDedupe,
}

/// One field of the golden record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoldenSpec {
    /// The column (of the source datasets) and of the golden record.
    pub(crate) column: String,
    /// How the value is chosen (default `most_frequent`).
    #[serde(default)]
    pub(crate) rule: GoldenRule,
    /// `source_priority`: datasets in order of trust.
    #[serde(default)]
    pub(crate) sources: Vec<String>,
    /// `most_recent`: the column (a date or time) saying how recent each record is.
    #[serde(default)]
    pub(crate) by: Option<String>,
}

/// Survivorship of a golden field; ties go to the longer value, then the first in key order.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GoldenRule {
    /// The value most records hold.
    #[default]
    MostFrequent,
    /// The longest value (the most complete).
    MostComplete,
    /// The value of the most trusted source that has one (`sources`).
    SourcePriority,
    /// The value of the most recent record (by the column `by`) that has one.
    MostRecent,
}

/// One comparison.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComparisonSpec {
    /// The column compared (with `with`: the first of the columns compared together).
    pub(crate) column: String,
    /// More columns read with `column` as one value (`household`: address, then commune,
    /// then phone).
    #[serde(default)]
    pub(crate) with: Vec<String>,
    /// The most this comparison can add to or take from a pair's match weight, in bits
    /// (default: no limit; `household`: the weight a disagreement on the name or the birth
    /// date takes away, the smaller of the two): evidence that co-varies with other evidence,
    /// such as a shared household, cannot by itself outweigh a disagreement on name or birth
    /// date, and a person who moved is not made a stranger by the move.
    #[serde(default)]
    pub(crate) max_weight: Option<f64>,
    /// How values are compared, and so its levels.
    pub(crate) kind: CompareKind,
    /// Another column whose value, swapped with this one, counts as a near agreement (given
    /// name and surname written in the other order).
    #[serde(default)]
    pub(crate) swapped_with: Option<String>,
    /// Weigh an exact agreement by how common the value is (a match on "Nguyễn" is weak
    /// evidence, on a rare name strong).
    #[serde(default)]
    pub(crate) term_frequency: bool,
}

fn default_match() -> f64 {
    0.9
}

fn default_review() -> f64 {
    0.5
}

fn default_pairs_per_record() -> usize {
    20
}

fn default_u_pairs() -> usize {
    300_000
}

fn default_iterations() -> usize {
    50
}

fn default_seed() -> u64 {
    1
}

impl ComparisonSpec {
    /// The comparison's name in explanations: its column, or its columns joined by `+`.
    pub(crate) fn name(&self) -> String {
        std::iter::once(self.column.as_str()).chain(self.with.iter().map(String::as_str)).collect::<Vec<_>>().join("+")
    }

    /// The most the comparison adds to or takes from a match weight, in bits; `None`: set
    /// from the model (`household`: as much as a name or birth-date disagreement takes away).
    pub(crate) fn cap(&self) -> Option<f64> {
        match (self.max_weight, self.kind) {
            (Some(w), _) => Some(w),
            (None, CompareKind::Household) => None,
            (None, _) => Some(f64::INFINITY),
        }
    }
}

/// The cap of a `household` comparison, in bits, when the spec compares neither a name nor a
/// birth date.
pub(crate) const HOUSEHOLD_CAP: f64 = 4.0;

impl MatchSpec {
    /// The blocking rules.
    pub fn blocking(&self) -> &[Vec<String>] {
        &self.blocking
    }

    /// Every column the spec reads: id, compared, swapped, blocking and golden columns.
    pub(crate) fn columns(&self) -> Vec<String> {
        let mut out = vec![self.id.clone()];
        for c in &self.comparisons {
            out.push(c.column.clone());
            out.extend(c.with.iter().cloned());
            out.extend(c.swapped_with.clone());
        }
        out.extend(self.source.clone());
        out.extend(
            self.blocking
                .iter()
                .flatten()
                .flat_map(|k| k.split(':').next().unwrap_or(k).split('|').map(str::to_string)),
        );
        out.extend(self.golden.iter().map(|g| g.column.clone()));
        out.extend(self.golden.iter().filter_map(|g| g.by.clone()));
        out.sort();
        out.dedup();
        out
    }

    /// Reads a match spec file, or the `[matching]` table of a pipeline file (whose key is
    /// then the records' id).
    pub fn load(path: &std::path::Path) -> Result<MatchSpec, super::Error> {
        let at = |e: &dyn std::fmt::Display| super::Error::Spec(format!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| at(&e))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| at(&e))?;
        let spec: MatchSpec = match table.get("matching") {
            Some(m) => {
                let mut spec: MatchSpec = m.clone().try_into().map_err(|e| at(&format!("[matching]: {e}")))?;
                if spec.id.is_empty() {
                    spec.id = match table.get("key") {
                        Some(toml::Value::String(k)) => k.clone(),
                        Some(toml::Value::Array(k)) => k.first().and_then(|v| v.as_str()).unwrap_or("").to_string(),
                        _ => String::new(),
                    };
                }
                spec
            }
            None => toml::from_str(&text).map_err(|e| at(&e))?,
        };
        spec.check().map_err(|(key, message)| super::Error::Spec(format!("{}: {key}: {message}", path.display())))?;
        if spec.id.is_empty() {
            return Err(at(&"id: name the column that identifies a record (id = \"...\")"));
        }
        Ok(spec)
    }

    /// What must hold in any match spec; otherwise the key that is wrong and what to do.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        if self.blocking.is_empty() || self.blocking.iter().any(Vec::is_empty) {
            return Err(("blocking".into(), "give at least one rule of at least one key".into()));
        }
        if let Some(key) = self.blocking.iter().flatten().find(|k| !blocking_key_ok(k)) {
            return Err((
                "blocking".into(),
                format!(
                    "'{key}' is not a key: write a column, column:N (first N characters), column:-N (last N), \
                     column:first, column:last, column:ends (first and last words) or column|column"
                ),
            ));
        }
        if !(1..=MAX_COMPARISONS).contains(&self.comparisons.len()) {
            return Err((
                "comparisons".into(),
                format!("give 1 to {MAX_COMPARISONS} comparisons, not {}", self.comparisons.len()),
            ));
        }
        if let Some(c) = self.comparisons.iter().find(|c| c.kind == CompareKind::Household && c.with.len() != 2) {
            return Err((
                "comparisons".into(),
                format!(
                    "household '{}' reads three columns: column = the address, with = [the commune, the phone]",
                    c.column
                ),
            ));
        }
        if let Some(c) = self.comparisons.iter().find(|c| c.max_weight.is_some_and(|w| !w.is_finite() || w < 0.0)) {
            return Err(("max_weight".into(), format!("'{}': give a number of bits from 0", c.column)));
        }
        if !(0.0..=1.0).contains(&self.match_threshold)
            || !(0.0..=self.match_threshold).contains(&self.review_threshold)
        {
            return Err(("review_threshold".into(), "thresholds: 0 ≤ review_threshold ≤ match_threshold ≤ 1".into()));
        }
        Ok(())
    }
}

/// Whether `key` is a blocking key: `column`, `column:PART` or `column|column...`.
fn blocking_key_ok(key: &str) -> bool {
    match key.split_once(':') {
        Some((col, part)) => !col.is_empty() && !col.contains('|') && super::blocking::KeyPart::parse(part).is_some(),
        None => key.split('|').all(|c| !c.is_empty()),
    }
}

/// Comparisons at most: a pair's agreement pattern holds 3 bits per comparison in a `u64`.
pub(crate) const MAX_COMPARISONS: usize = 21;
