//! The `unique` rule: a value shared by rows of different business keys quarantines every row
//! that carries it (a rule over the whole extract, so it runs after the row-by-row checks).

use super::spec::{PipelineSpec, RuleSpec};
use super::transform::{LINE, REASONS};
use super::validate::Reason;
use polars::prelude::*;

/// Moves rows that break a `unique` rule from `valid` to `quarantine`.
pub fn enforce(spec: &PipelineSpec, mut valid: DataFrame, mut quarantine: DataFrame) -> PolarsResult<(DataFrame, DataFrame)> {
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
        quarantine.vstack_mut_owned(to_quarantine(spec, &bad, f)?)?;
    }
    Ok((valid, quarantine))
}

fn to_quarantine(spec: &PipelineSpec, bad: &DataFrame, field: &str) -> PolarsResult<DataFrame> {
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
    let mut columns = vec![bad.column(LINE)?.clone()];
    for f in &spec.fields {
        columns.push(bad.column(&f.name)?.cast(&DataType::String)?);
    }
    columns.push(Column::new(REASONS.into(), reasons));
    DataFrame::new_infer_height(columns)
}
