//! The `unique` rule: a value shared by rows of different business keys quarantines every row
//! that carries it (a rule over the whole extract, so it runs after the row-by-row checks, on
//! the slim columns; the full rows it quarantines are read back from the spill).

use super::spec::{PipelineSpec, RuleSpec};
use super::spill::{Spill, POS, RUN};
use super::transform::{LINE, REASONS};
use super::validate::Reason;
use polars::prelude::*;

/// Moves rows that break a `unique` rule from `valid` to `quarantine`; their keys go to `held`.
pub fn enforce(
    spec: &PipelineSpec,
    mut valid: DataFrame,
    mut quarantine: DataFrame,
    mut held: DataFrame,
    spill: &Spill,
    schema: &Schema,
) -> super::Result<(DataFrame, DataFrame, DataFrame)> {
    let keys: Vec<Expr> = spec.key.iter().map(|k| col(k.as_str())).collect();
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
        let bad = valid.clone().lazy().join(shared.clone().lazy(), on(), on(), JoinArgs::new(JoinType::Inner)).collect()?;
        valid = valid.lazy().join(shared.lazy(), on(), on(), JoinArgs::new(JoinType::Anti)).collect()?;
        let bad = bad.sort([RUN, POS], SortMultipleOptions::default())?;
        let full = full_rows(&bad, spill, schema)?;
        quarantine.vstack_mut_owned(to_quarantine(spec, &full, &bad, f)?)?;
        held.vstack_mut_owned(bad.select(spec.key.iter().map(|k| k.as_str()))?)?;
    }
    Ok((valid, quarantine, held))
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

fn to_quarantine(spec: &PipelineSpec, full: &DataFrame, bad: &DataFrame, field: &str) -> PolarsResult<DataFrame> {
    let value = bad.column(field)?.cast(&DataType::String)?;
    let n = bad.column("_n")?.cast(&DataType::UInt32)?;
    let reasons: Vec<String> = value
        .str()?
        .iter()
        .zip(n.u32()?.iter())
        .map(|(v, n)| {
            let r = Reason {
                rule: "unique".into(),
                field: field.into(),
                value: v.unwrap_or("").into(),
                message: format!("the same value is used by {} records", n.unwrap_or(0)),
            };
            serde_json::to_string(&[r]).unwrap_or_default()
        })
        .collect();
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

    #[test]
    fn a_value_shared_by_two_keys_quarantines_both_rows() {
        let spec = super::super::check::parse(
            std::path::Path::new("p.toml"),
            "id = \"t\"\nowner = \"000.00.12.H48\"\ndataset = \"t\"\nkey = [\"k\"]\n[source]\nkind = \"csv\"\npath = \"x\"\n\
             [[fields]]\nname = \"k\"\n[[fields]]\nname = \"email\"\nrules = [{ kind = \"unique\" }]\n",
        )
        .unwrap();
        let mut full = df!("k" => ["a", "b", "c", "c"], "email" => ["x@y.vn", "x@y.vn", "z@y.vn", "z@y.vn"], LINE => [2i64, 3, 4, 5]).unwrap();
        let spill = Spill::new().unwrap();
        spill.write(0, &mut full).unwrap();
        let valid = super::super::spill::slim(&full, &["k".into(), "email".into(), LINE.into()], 0).unwrap();
        let quarantine = df!(LINE => Vec::<i64>::new(), "k" => Vec::<String>::new(), "email" => Vec::<String>::new(), REASONS => Vec::<String>::new()).unwrap();
        let held = df!("k" => Vec::<String>::new()).unwrap();
        let (v, q, h) = enforce(&spec, valid, quarantine, held, &spill, full.schema()).unwrap();
        assert_eq!(v.height(), 2, "the same key twice is a duplicate, not a clash");
        assert_eq!(q.height(), 2);
        assert_eq!(h.height(), 2);
        let reasons: String = q.column(REASONS).unwrap().str().unwrap().iter().flatten().collect();
        assert!(reasons.contains("\"rule\":\"unique\""));
        let lines: Vec<i64> = q.column(LINE).unwrap().i64().unwrap().iter().flatten().collect();
        assert_eq!(lines, vec![2, 3], "the quarantined rows are read back from the spill");
    }
}
