//! Transform: normalize and validate batches of raw records in one pass per cell, building the
//! valid rows and the quarantined rows as Polars frames.

use super::extract::{RawBatch, RawRecord};
use super::normalize::{self, Value};
use super::spec::{DecimalMark, FieldSpec, FieldType, PipelineSpec};
use super::validate::{self, CatalogCodes, FieldRules, Reason};
use polars::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

/// Column with the source line of a row.
pub(crate) const LINE: &str = "_line";
/// Column with the row hash (over the normalized values, in field order).
pub(crate) const ROW_HASH: &str = "_row_hash";
/// Column with the quarantine reasons (JSON array of `{rule, field, value, message}`).
pub(crate) const REASONS: &str = "_reasons";

/// A field ready to transform.
pub(crate) struct FieldPlan {
    /// The field as declared.
    pub(crate) spec: FieldSpec,
    /// Decimal scale in effect.
    pub(crate) scale: u32,
    rules: FieldRules,
    /// Position of the field's column in the source record.
    pub(crate) source_pos: usize,
}

/// The compiled transform of a pipeline.
pub(crate) struct Plan {
    /// Catalog tables for the `successor` normalizer.
    catalogs: CatalogCodes,
    /// Fields in published order.
    pub(crate) fields: Vec<FieldPlan>,
    /// Number of columns of the header.
    pub(crate) header_len: usize,
    /// Positions in `fields` of the business-key fields.
    key: Vec<usize>,
}

/// What one batch became.
pub(crate) struct BatchOut {
    /// Valid rows: fields + `_line` + `_row_hash`.
    pub(crate) valid: DataFrame,
    /// Quarantined rows: `_line`, raw fields, `_reasons`.
    pub(crate) quarantine: DataFrame,
    /// Business keys (typed key fields) of quarantined rows whose key itself is valid: these
    /// records keep their previous version instead of being deleted.
    pub(crate) held: DataFrame,
}

impl Plan {
    /// Compiles the fields of `spec`; `positions[i]` is the source column of field `i`.
    pub(crate) fn new(
        spec: &PipelineSpec,
        positions: &[usize],
        header_len: usize,
        catalogs: &CatalogCodes,
    ) -> Result<Plan, validate::Error> {
        let mut fields = Vec::with_capacity(spec.fields.len());
        for (f, &pos) in spec.fields.iter().zip(positions) {
            let mut f = f.clone();
            f.required |= spec.key.contains(&f.name);
            f.decimal_mark.get_or_insert(DecimalMark::default_for(&spec.source));
            fields.push(FieldPlan {
                rules: FieldRules::compile(&f, catalogs, &|name| spec.fields.iter().position(|g| g.name == name))?,
                scale: if f.kind == FieldType::Decimal { f.scale.unwrap_or(2) } else { 0 },
                source_pos: pos,
                spec: f,
            });
        }
        let key = spec.key.iter().filter_map(|k| fields.iter().position(|f| &f.spec.name == k)).collect();
        Ok(Plan { catalogs: catalogs.clone(), fields, header_len, key })
    }

    /// Transforms one batch.
    pub fn run(&self, batch: &RawBatch) -> PolarsResult<BatchOut> {
        let mut cols: Vec<Builder> = self.fields.iter().map(|f| Builder::new(f, batch.len())).collect();
        let mut held: Vec<Builder> = self.key.iter().map(|&i| Builder::new(&self.fields[i], 0)).collect();
        let mut lines = Vec::with_capacity(batch.len());
        let mut hashes = Vec::with_capacity(batch.len());
        let mut q = QuarantineBuilder::new(self);
        let mut values = Vec::with_capacity(self.fields.len());
        let mut reasons = Vec::new();
        let mut buf = Vec::with_capacity(256);
        for rec in batch.iter() {
            values.clear();
            reasons.clear();
            if rec.len() != self.header_len {
                reasons.push(Reason {
                    rule: "columns".into(),
                    field: String::new(),
                    value: String::new(),
                    message: format!("has {} columns, the header has {}", rec.len(), self.header_len),
                });
            }
            let before = reasons.len();
            for f in &self.fields {
                let raw = rec.get(f.source_pos).unwrap_or("");
                match normalize::normalize(raw, &f.spec, f.scale, &self.catalogs) {
                    Ok(v) => values.push(v),
                    Err(fail) => {
                        reasons.push(Reason {
                            rule: fail.rule.into(),
                            field: f.spec.name.clone(),
                            value: raw.into(),
                            message: fail.message,
                        });
                        values.push(Value::Null);
                    }
                }
            }
            let failed: Vec<String> = reasons[before..].iter().map(|r| r.field.clone()).collect();
            for (f, v) in self.fields.iter().zip(&values) {
                if !failed.contains(&f.spec.name) {
                    f.rules.check(&f.spec.name, v, &values, f.scale, &mut reasons);
                }
            }
            if reasons.is_empty() {
                buf.clear();
                for (b, v) in cols.iter_mut().zip(values.drain(..)) {
                    hash_value(&mut buf, &v);
                    b.push(v);
                }
                hashes.push(xxh3_64(&buf));
                lines.push(rec.line as i64);
            } else {
                q.push(self, &rec, &reasons);
                // A row with a column too many or too few still holds its key when the key
                // cells read at their places are valid: a wrong key held keeps a record at most,
                // a right key not held would delete one.
                let key_ok = reasons.iter().all(|r| !self.key.iter().any(|&i| self.fields[i].spec.name == r.field));
                if key_ok {
                    for (b, &i) in held.iter_mut().zip(&self.key) {
                        b.push(std::mem::replace(&mut values[i], Value::Null));
                    }
                }
            }
        }
        let mut columns: Vec<Column> = cols.into_iter().map(|b| b.finish().into_column()).collect();
        columns.push(Column::new(LINE.into(), lines));
        columns.push(Column::new(ROW_HASH.into(), hashes));
        let held = DataFrame::new_infer_height(held.into_iter().map(|b| b.finish().into_column()).collect())?;
        Ok(BatchOut { valid: DataFrame::new_infer_height(columns)?, quarantine: q.finish()?, held })
    }
}

fn hash_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => buf.push(0),
        Value::Str(s) => {
            buf.push(1);
            buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
            buf.extend_from_slice(s.as_bytes());
        }
        Value::Int(i) => {
            buf.push(2);
            buf.extend_from_slice(&i.to_le_bytes());
        }
        Value::Dec(d) => {
            buf.push(3);
            buf.extend_from_slice(&d.to_le_bytes());
        }
        Value::Date(d) => {
            buf.push(4);
            buf.extend_from_slice(&d.to_le_bytes());
        }
        Value::Datetime(t) => {
            buf.push(5);
            buf.extend_from_slice(&t.to_le_bytes());
        }
        Value::Bool(b) => buf.extend_from_slice(&[6, *b as u8]),
    }
}

enum Builder {
    Str(StringChunkedBuilder),
    Int(PrimitiveChunkedBuilder<Int64Type>),
    Dec(PrimitiveChunkedBuilder<Int128Type>, u32),
    Date(PrimitiveChunkedBuilder<Int32Type>),
    Datetime(PrimitiveChunkedBuilder<Int64Type>),
    Bool(BooleanChunkedBuilder),
}

impl Builder {
    fn new(f: &FieldPlan, cap: usize) -> Builder {
        let name: PlSmallStr = f.spec.name.as_str().into();
        match f.spec.kind {
            FieldType::String => Builder::Str(StringChunkedBuilder::new(name, cap)),
            FieldType::Int => Builder::Int(PrimitiveChunkedBuilder::new(name, cap)),
            FieldType::Decimal => Builder::Dec(PrimitiveChunkedBuilder::new(name, cap), f.scale),
            FieldType::Date => Builder::Date(PrimitiveChunkedBuilder::new(name, cap)),
            FieldType::Datetime => Builder::Datetime(PrimitiveChunkedBuilder::new(name, cap)),
            FieldType::Bool => Builder::Bool(BooleanChunkedBuilder::new(name, cap)),
        }
    }

    fn push(&mut self, v: Value) {
        match (self, v) {
            (Builder::Str(b), Value::Str(s)) => b.append_value(&s),
            (Builder::Int(b), Value::Int(i)) => b.append_value(i),
            (Builder::Dec(b, _), Value::Dec(d)) => b.append_value(d),
            (Builder::Date(b), Value::Date(d)) => b.append_value(d),
            (Builder::Datetime(b), Value::Datetime(t)) => b.append_value(t),
            (Builder::Bool(b), Value::Bool(x)) => b.append_value(x),
            (Builder::Str(b), _) => b.append_null(),
            (Builder::Int(b), _) | (Builder::Datetime(b), _) => b.append_null(),
            (Builder::Dec(b, _), _) => b.append_null(),
            (Builder::Date(b), _) => b.append_null(),
            (Builder::Bool(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> Series {
        match self {
            Builder::Str(b) => b.finish().into_series(),
            Builder::Int(b) => b.finish().into_series(),
            Builder::Dec(b, scale) => b.finish().into_decimal_unchecked(38, scale as usize).into_series(),
            Builder::Date(b) => b.finish().into_date().into_series(),
            Builder::Datetime(b) => b.finish().into_datetime(TimeUnit::Microseconds, None).into_series(),
            Builder::Bool(b) => b.finish().into_series(),
        }
    }
}

struct QuarantineBuilder {
    lines: Vec<i64>,
    raw: Vec<StringChunkedBuilder>,
    reasons: Vec<String>,
}

impl QuarantineBuilder {
    fn new(plan: &Plan) -> Self {
        QuarantineBuilder {
            lines: Vec::new(),
            raw: plan.fields.iter().map(|f| StringChunkedBuilder::new(f.spec.name.as_str().into(), 0)).collect(),
            reasons: Vec::new(),
        }
    }

    fn push(&mut self, plan: &Plan, rec: &RawRecord<'_>, reasons: &[Reason]) {
        self.lines.push(rec.line as i64);
        for (b, f) in self.raw.iter_mut().zip(&plan.fields) {
            match rec.get(f.source_pos) {
                Some(v) => b.append_value(v),
                None => b.append_null(),
            }
        }
        // Reasons are text fields only: encoding them cannot fail.
        self.reasons.push(serde_json::to_string(reasons).unwrap_or_default());
    }

    fn finish(self) -> PolarsResult<DataFrame> {
        let mut columns = vec![Column::new(LINE.into(), self.lines)];
        columns.extend(self.raw.into_iter().map(|b| b.finish().into_column()));
        columns.push(Column::new(REASONS.into(), self.reasons));
        DataFrame::new_infer_height(columns)
    }
}

/// Quarantined rows per reason, keyed `rule:field` (or `rule` for row-level reasons); a row
/// counts once for each distinct reason it has.
pub(crate) fn reason_counts(quarantine: &DataFrame) -> std::collections::BTreeMap<String, u64> {
    #[derive(serde::Deserialize)]
    struct R {
        rule: String,
        #[serde(default)]
        field: String,
    }
    let mut counts = std::collections::BTreeMap::new();
    let Ok(col) = quarantine.column(REASONS).and_then(|c| c.str().cloned()) else { return counts };
    for text in col.iter().flatten() {
        // Written from `Reason`s by this run (`QuarantineBuilder::push`, `unique`), so readable.
        let reasons: Vec<R> = serde_json::from_str(text).unwrap_or_default();
        let mut seen: Vec<String> = reasons
            .into_iter()
            .map(|r| if r.field.is_empty() { r.rule } else { format!("{}:{}", r.rule, r.field) })
            .collect();
        seen.sort();
        seen.dedup();
        for k in seen {
            *counts.entry(k).or_insert(0) += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests;
