//! `MatchSpec`: how records of one entity type are recognised as the same entity (the
//! `[matching]` table of a pipeline file, or a file of its own for `lgsp match eval`).

use serde::Deserialize;

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
    /// The column compared.
    pub(crate) column: String,
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

/// Kinds of comparison; each has its levels, best first, then "different".
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CompareKind {
    /// Equal or not.
    Exact,
    /// Names folded for diacritics, case and tone placement: equal, Jaro-Winkler ≥ 0.92,
    /// ≥ 0.80 (or swapped with `swapped_with`).
    Name,
    /// Free text folded: equal, one edit, two edits, Jaro-Winkler ≥ 0.85.
    Text,
    /// Dates (`yyyymmdd`, `yyyy-mm-dd`, `dd/mm/yyyy`): equal, day and month swapped or one
    /// digit off, same year and month, year only.
    Date,
    /// Digits only (phones, codes, numbers): equal, one edit, last 4 digits equal.
    Digits,
}

fn default_match() -> f64 {
    0.9
}

fn default_review() -> f64 {
    0.5
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

impl CompareKind {
    /// Names of the agreement levels, best first (the last, "different", is implied).
    pub(crate) fn levels(self) -> &'static [&'static str] {
        match self {
            CompareKind::Exact => &["exact"],
            CompareKind::Name => &["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80 or swapped"],
            CompareKind::Text => &["exact", "1 edit", "2 edits", "jaro_winkler>=0.85"],
            CompareKind::Date => &["exact", "day/month swapped or 1 digit off", "same year and month", "same year"],
            CompareKind::Digits => &["exact", "1 edit", "same last 4 digits"],
        }
    }
}

impl MatchSpec {
    /// Every column the spec reads: id, compared, swapped, blocking and golden columns.
    pub(crate) fn columns(&self) -> Vec<String> {
        let mut out = vec![self.id.clone()];
        for c in &self.comparisons {
            out.push(c.column.clone());
            out.extend(c.swapped_with.clone());
        }
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

    /// Reads a match spec file.
    pub fn load(path: &std::path::Path) -> Result<MatchSpec, super::Error> {
        let text = std::fs::read_to_string(path).map_err(|e| super::Error::Spec(format!("{}: {e}", path.display())))?;
        let spec: MatchSpec =
            toml::from_str(&text).map_err(|e| super::Error::Spec(format!("{}: {e}", path.display())))?;
        spec.check().map_err(|(key, message)| super::Error::Spec(format!("{}: {key}: {message}", path.display())))?;
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
                format!("'{key}' is not a key: write a column, column:N (N from 1) or column|column"),
            ));
        }
        if !(1..=MAX_COMPARISONS).contains(&self.comparisons.len()) {
            return Err((
                "comparisons".into(),
                format!("give 1 to {MAX_COMPARISONS} comparisons, not {}", self.comparisons.len()),
            ));
        }
        if !(0.0..=1.0).contains(&self.match_threshold)
            || !(0.0..=self.match_threshold).contains(&self.review_threshold)
        {
            return Err(("review_threshold".into(), "thresholds: 0 ≤ review_threshold ≤ match_threshold ≤ 1".into()));
        }
        Ok(())
    }
}

/// Whether `key` is a blocking key: `column`, `column:N` (N ≥ 1) or `column|column...`.
fn blocking_key_ok(key: &str) -> bool {
    match key.split_once(':') {
        Some((col, n)) => !col.is_empty() && !col.contains('|') && n.parse::<usize>().is_ok_and(|n| n > 0),
        None => key.split('|').all(|c| !c.is_empty()),
    }
}

/// Comparisons at most: a pair's agreement pattern holds 3 bits per comparison in a `u64`.
pub(crate) const MAX_COMPARISONS: usize = 21;
