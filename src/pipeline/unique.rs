//! The `unique` rule: a value shared by rows of different business keys quarantines every row
//! that carries it (a rule over the whole extract, so it runs after the row-by-row checks, on
//! the key and `unique` columns of every valid row; the full rows it quarantines are read back
//! from the spill).

use super::spec::{PipelineSpec, RuleSpec};
use super::spill::{Spill, POS, RUN};
use super::transform::{LINE, REASONS};
use super::validate::Reason;
use polars::prelude::*;
use std::collections::{BTreeMap, HashSet};

/// The columns [`enforce`] needs of each valid row: the key and the `unique` fields (none when
/// the pipeline has no `unique` rule).
pub(crate) fn columns(spec: &PipelineSpec) -> Vec<String> {
    let unique: Vec<String> =
        spec.fields.iter().filter(|f| f.rules.contains(&RuleSpec::Unique)).map(|f| f.name.clone()).collect();
    if unique.is_empty() {
        return Vec::new();
    }
    let mut cols = spec.key.clone();
    cols.extend(unique.into_iter().filter(|u| !spec.key.contains(u)));
    cols
}

/// Rows that broke the rule (run, position), the quarantine and the held keys.
pub(crate) type Enforced = (HashSet<(u32, u32)>, DataFrame, DataFrame);

/// Finds the valid rows that break a `unique` rule (`valid`: [`columns`] with `_run` and
/// `_pos`), adds them to `quarantine` and their keys to `held`; returns them (run, position).
/// Every field's clashes are found on the same valid rows, so a row gets every reason it
/// earns, whatever the order of the fields.
pub(crate) fn enforce(
    spec: &PipelineSpec,
    valid: DataFrame,
    mut quarantine: DataFrame,
    mut held: DataFrame,
    spill: &Spill,
    schema: &Schema,
) -> super::Result<Enforced> {
    let keys: Vec<Expr> = spec.key.iter().map(|k| col(k.as_str())).collect();
    // (run, position) of each clashing row → its reasons, in spill order.
    let mut clashes: BTreeMap<(u32, u32), Vec<Reason>> = BTreeMap::new();
    for field in spec.fields.iter().filter(|f| f.rules.contains(&RuleSpec::Unique)) {
        let f = field.name.as_str();
        let mut distinct = keys.clone();
        distinct.push(col(f));
        let shared = valid
            .clone()
            .lazy()
            .filter(col(f).is_not_null())
            .select(distinct)
            .unique(None, UniqueKeepStrategy::Any)
            .group_by([col(f)])
            .agg([len().alias("_n")])
            .filter(col("_n").gt(lit(1)))
            .collect()?;
        if shared.height() == 0 {
            continue;
        }
        let on = || vec![col(f)];
        let bad = valid
            .clone()
            .lazy()
            .join(shared.lazy(), on(), on(), JoinArgs::new(JoinType::Inner))
            .select([col(RUN), col(POS), col(f).cast(DataType::String), col("_n").cast(DataType::UInt32)])
            .collect()?;
        let (runs, pos, values, n) =
            (bad.column(RUN)?.u32()?, bad.column(POS)?.u32()?, bad.column(f)?.str()?, bad.column("_n")?.u32()?);
        for i in 0..bad.height() {
            clashes.entry((runs.get(i).unwrap_or(0), pos.get(i).unwrap_or(0))).or_default().push(Reason {
                rule: "unique".into(),
                field: f.into(),
                value: values.get(i).unwrap_or("").into(),
                message: format!("the same value is used by {} records", n.get(i).unwrap_or(0)),
            });
        }
    }
    if clashes.is_empty() {
        return Ok((HashSet::new(), quarantine, held));
    }
    let marks = DataFrame::new_infer_height(vec![
        Column::new(RUN.into(), clashes.keys().map(|k| k.0).collect::<Vec<u32>>()),
        Column::new(POS.into(), clashes.keys().map(|k| k.1).collect::<Vec<u32>>()),
    ])?;
    let on = || vec![col(RUN), col(POS)];
    let bad = valid.lazy().join(marks.lazy(), on(), on(), JoinArgs::new(JoinType::Inner)).collect()?;
    let bad = bad.sort([RUN, POS], SortMultipleOptions::default())?;
    let full = full_rows(&bad, spill, schema)?;
    // Reasons are text fields only: encoding them cannot fail.
    let reasons = clashes.values().map(|r| serde_json::to_string(r).unwrap_or_default()).collect();
    quarantine.vstack_mut_owned(to_quarantine(spec, &full, reasons)?)?;
    held.vstack_mut_owned(bad.select(spec.key.iter().map(|k| k.as_str()))?)?;
    Ok((clashes.into_keys().collect(), quarantine, held))
}

/// The spilled rows of `bad` (sorted by run and position), in that order.
fn full_rows(bad: &DataFrame, spill: &Spill, schema: &Schema) -> super::Result<DataFrame> {
    let runs = bad.column(RUN)?.u32()?;
    let pos = bad.column(POS)?.u32()?;
    let mut out = DataFrame::empty_with_schema(schema);
    let mut i = 0;
    while i < bad.height() {
        let run = runs.get(i).unwrap_or(0);
        let mut at = Vec::new();
        while i < bad.height() && runs.get(i) == Some(run) {
            at.push(pos.get(i).unwrap_or(0));
            i += 1;
        }
        out.vstack_mut_owned(spill.cursor(run as usize, schema).take(&at)?)?;
    }
    Ok(out)
}

/// Quarantine rows of `full` with their `reasons` (JSON), row for row.
fn to_quarantine(spec: &PipelineSpec, full: &DataFrame, reasons: Vec<String>) -> PolarsResult<DataFrame> {
    let mut columns = vec![full.column(LINE)?.clone()];
    for f in &spec.fields {
        columns.push(full.column(&f.name)?.cast(&DataType::String)?);
    }
    columns.push(Column::new(REASONS.into(), reasons));
    DataFrame::new_infer_height(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIQUE: &str = "rules = [{ kind = \"unique\" }]\n";

    /// Runs `enforce` on `full` (key `k`, its other columns the `unique` fields, then `_line`)
    /// spilled as one run, with an empty quarantine.
    fn enforce_on(mut full: DataFrame) -> (usize, DataFrame, DataFrame) {
        let names: Vec<String> = full.get_column_names().iter().map(|c| c.to_string()).collect();
        let fields: String = names
            .iter()
            .filter(|n| *n != LINE)
            .map(|n| format!("[[fields]]\nname = \"{n}\"\n{}", if n == "k" { "" } else { UNIQUE }))
            .collect();
        let spec = crate::pipeline::check::test_spec("k", &fields);
        let spill = Spill::new().unwrap();
        spill.write(0, &mut full).unwrap();
        let valid = super::super::spill::slim(&full, &names, 0).unwrap();
        let mut empty = vec![Column::new(LINE.into(), Vec::<i64>::new())];
        empty.extend(names.iter().filter(|n| *n != LINE).map(|n| Column::new(n.as_str().into(), Vec::<String>::new())));
        empty.push(Column::new(REASONS.into(), Vec::<String>::new()));
        let quarantine = DataFrame::new_infer_height(empty).unwrap();
        let held = df!("k" => Vec::<String>::new()).unwrap();
        let n = valid.height();
        let (excluded, q, h) = enforce(&spec, valid, quarantine, held, &spill, full.schema()).unwrap();
        (n - excluded.len(), q, h)
    }

    #[test]
    fn a_value_shared_by_two_keys_quarantines_both_rows() {
        let full = df!("k" => ["a", "b", "c", "c"], "email" => ["x@y.vn", "x@y.vn", "z@y.vn", "z@y.vn"], LINE => [2i64, 3, 4, 5]).unwrap();
        let (v, q, h) = enforce_on(full);
        assert_eq!(v, 2, "the same key twice is a duplicate, not a clash");
        assert_eq!(q.height(), 2);
        assert_eq!(h.height(), 2);
        let reasons: String = q.column(REASONS).unwrap().str().unwrap().iter().flatten().collect();
        assert!(reasons.contains("\"rule\":\"unique\""));
        let lines: Vec<i64> = q.column(LINE).unwrap().i64().unwrap().iter().flatten().collect();
        assert_eq!(lines, vec![2, 3], "the quarantined rows are read back from the spill");
    }

    #[test]
    fn every_unique_field_is_checked_on_the_same_rows() {
        // a and b share an email; b and c share a phone; a and c share nothing.
        let full = df!("k" => ["a", "b", "c", "d"], "email" => ["x@y.vn", "x@y.vn", "c@y.vn", "d@y.vn"], "phone" => ["1", "2", "2", "4"], LINE => [2i64, 3, 4, 5]).unwrap();
        let (v, q, h) = enforce_on(full);
        assert_eq!((v, q.height(), h.height()), (1, 3, 3), "a, b and c go; d stays");
        let reasons: Vec<&str> = q.column(REASONS).unwrap().str().unwrap().iter().flatten().collect();
        assert!(
            reasons[1].contains("\"field\":\"email\"") && reasons[1].contains("\"field\":\"phone\""),
            "b breaks both: {}",
            reasons[1]
        );
        assert!(reasons[2].contains("\"field\":\"phone\"") && !reasons[2].contains("email"), "{}", reasons[2]);
    }
}
