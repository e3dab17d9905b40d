//! Validate: the rules of a pipeline's fields, compiled once and checked on each typed value.

use super::normalize::{date_days, Value};
use super::spec::{FieldSpec, FieldType, RuleSpec};
use std::collections::HashMap;

use std::sync::Arc;

/// One reason a row is quarantined.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Reason {
    /// Rule that failed (`required`, `type`, `regex`, `range`, `in_catalog`, ...).
    pub(crate) rule: String,
    /// Field concerned (empty for row-level reasons such as a wrong number of columns).
    pub(crate) field: String,
    /// The offending value as read.
    pub(crate) value: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// A shared catalog as a pipeline uses it.
pub(crate) struct CatalogData {
    /// Validity periods and successors of its codes.
    pub(crate) table: crate::catalog::table::CodeTable,
    /// Its names, when a `name_to_code` normalizer uses it.
    pub(crate) names: Option<crate::catalog::matcher::NameIndex>,
}

/// The shared catalogs a pipeline refers to, by identifier.
pub(crate) type CatalogCodes = HashMap<String, Arc<CatalogData>>;

enum Check {
    Regex(regex::Regex),
    Range {
        min: Option<f64>,
        max: Option<f64>,
    },
    Length {
        min: Option<usize>,
        max: Option<usize>,
    },
    Enum(foldhash::HashSet<String>),
    TaxCode,
    /// Catalog id, its table, and the position of the row's as-of date field.
    InCatalog(String, Arc<CatalogData>, Option<usize>),
}

/// A field's rules, ready to run.
pub(crate) struct FieldRules {
    required: bool,
    checks: Vec<Check>,
    /// Whether a check reads the value's text form (every check but a range does).
    reads_text: bool,
}

/// Why a pipeline's rules cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule names a catalog that is not in the store.
    #[error("field '{field}': catalog '{catalog}' is not in the store: if the name is right, load the catalogs with `lgsp init`; `lgsp check` lists the known ones")]
    UnknownCatalog { field: String, catalog: String },
    /// Already checked by `lgsp check`; kept for specs built in code.
    #[error("field '{field}': {message}")]
    Invalid { field: String, message: String },
}

/// Converts a `range` bound to a comparable number for a field type.
pub(crate) fn range_bound(kind: FieldType, v: &toml::Value) -> Result<f64, String> {
    match (kind, v) {
        (FieldType::Int | FieldType::Decimal, toml::Value::Integer(i)) => Ok(*i as f64),
        (FieldType::Int | FieldType::Decimal, toml::Value::Float(f)) => Ok(*f),
        (FieldType::Date | FieldType::Datetime, toml::Value::String(s)) => crate::text::date::parse_date(s)
            .map(|d| date_days(d) as f64)
            .map_err(|e| format!("'{s}' is not a date: {e}")),
        (FieldType::Date | FieldType::Datetime, toml::Value::Datetime(d)) => {
            let s = d.to_string();
            crate::text::date::parse_date(&s[..s.len().min(10)])
                .map(|d| date_days(d) as f64)
                .map_err(|e| format!("'{s}' is not a date: {e}"))
        }
        (k, v) => Err(format!("a {k:?} field cannot be bounded by {v}")),
    }
}

impl FieldRules {
    /// Compiles the rules of `field`, taking catalog tables from `catalogs`; `position` finds
    /// another field of the row by name.
    pub(crate) fn compile(
        field: &FieldSpec,
        catalogs: &CatalogCodes,
        position: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<FieldRules, Error> {
        let invalid = |message: String| Error::Invalid { field: field.name.clone(), message };
        let mut checks = Vec::new();
        for rule in &field.rules {
            checks.push(match rule {
                RuleSpec::Regex { pattern } => {
                    Check::Regex(regex::Regex::new(pattern).map_err(|e| invalid(e.to_string()))?)
                }
                RuleSpec::Range { min, max } => Check::Range {
                    min: min.as_ref().map(|v| range_bound(field.kind, v)).transpose().map_err(invalid)?,
                    max: max.as_ref().map(|v| range_bound(field.kind, v)).transpose().map_err(invalid)?,
                },
                RuleSpec::Length { min, max } => Check::Length { min: *min, max: *max },
                RuleSpec::Enum { values } => {
                    Check::Enum(values.iter().map(|v| crate::text::clean(v).into_owned()).collect())
                }
                RuleSpec::TaxCode => Check::TaxCode,
                RuleSpec::InCatalog { catalog, as_of } => match catalogs.get(catalog) {
                    Some(codes) => {
                        let at = match as_of {
                            Some(f) => {
                                Some(position(f).ok_or_else(|| invalid(format!("as_of field '{f}' is not declared")))?)
                            }
                            None => None,
                        };
                        Check::InCatalog(catalog.clone(), codes.clone(), at)
                    }
                    None => return Err(Error::UnknownCatalog { field: field.name.clone(), catalog: catalog.clone() }),
                },
                RuleSpec::Unique => continue,
            });
        }
        let reads_text = checks.iter().any(|c| !matches!(c, Check::Range { .. }));
        Ok(FieldRules { required: field.required, checks, reads_text })
    }

    /// Checks one value of `row`; pushes a reason for each failed rule.
    pub(crate) fn check(&self, field: &str, value: &Value, row: &[Value], scale: u32, out: &mut Vec<Reason>) {
        let reason = |rule: &str, message: String| Reason {
            rule: rule.into(),
            field: field.into(),
            value: display(value, scale),
            message,
        };
        if *value == Value::Null {
            if self.required {
                out.push(reason("required", "a value is required".into()));
            }
            return;
        }
        if self.checks.is_empty() {
            return;
        }
        let text: std::borrow::Cow<'_, str> = match value {
            Value::Str(s) => std::borrow::Cow::Borrowed(s),
            _ if !self.reads_text => std::borrow::Cow::Borrowed(""),
            other => std::borrow::Cow::Owned(display(other, scale)),
        };
        for check in &self.checks {
            if let Some(r) = self.run(check, value, row, &text, scale) {
                let rule = match check {
                    Check::Regex(_) => "regex",
                    Check::Range { .. } => "range",
                    Check::Length { .. } => "length",
                    Check::Enum(_) => "enum",
                    Check::TaxCode => "tax_code",
                    Check::InCatalog(..) => "in_catalog",
                };
                out.push(reason(rule, r));
            }
        }
    }

    fn run(&self, check: &Check, value: &Value, row: &[Value], text: &str, scale: u32) -> Option<String> {
        match check {
            Check::Regex(re) => (!re.is_match(text)).then(|| format!("does not match {}", re.as_str())),
            Check::Range { min, max } => {
                let x = match value {
                    Value::Int(i) => *i as f64,
                    Value::Dec(d) => *d as f64 / 10f64.powi(scale as i32),
                    Value::Date(d) => *d as f64,
                    Value::Datetime(t) => t.div_euclid(86_400_000_000) as f64,
                    _ => return None,
                };
                let low = min.is_some_and(|m| x < m);
                let high = max.is_some_and(|m| x > m);
                (low || high).then(|| {
                    let bound = |m: f64| match value {
                        Value::Date(_) | Value::Datetime(_) => display(&Value::Date(m as i32), 0),
                        _ => m.to_string(),
                    };
                    let parts: Vec<String> = [("min", *min), ("max", *max)]
                        .into_iter()
                        .filter_map(|(k, m)| Some(format!("{k} {}", bound(m?))))
                        .collect();
                    format!("out of the allowed range ({})", parts.join(", "))
                })
            }
            Check::Length { min, max } => {
                let n = text.chars().count();
                (min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m)).then(|| {
                    format!(
                        "length {n} is outside the allowed range ({} to {} characters)",
                        min.unwrap_or(0),
                        max.map(|m| m.to_string()).unwrap_or("any".into())
                    )
                })
            }
            Check::Enum(values) => (!values.contains(text)).then(|| {
                let mut allowed: Vec<&str> = values.iter().map(String::as_str).collect();
                allowed.sort_unstable();
                let more = if allowed.len() > 10 { format!(" and {} more", allowed.len() - 10) } else { String::new() };
                format!("not one of the allowed values: {}{more}", allowed[..allowed.len().min(10)].join(", "))
            }),
            Check::TaxCode => crate::text::taxcode::check_tax_code(text).err().map(|e| e.to_string()),
            Check::InCatalog(catalog, table, at) => {
                let day = at.and_then(|i| row.get(i)).and_then(|v| match v {
                    Value::Date(d) => Some((*d, v)),
                    Value::Datetime(t) => Some((t.div_euclid(86_400_000_000) as i32, v)),
                    _ => None,
                });
                match day {
                    Some((d, v)) => (!table.table.valid_on_day(text, d)).then(|| {
                        format!("not a code of catalog '{catalog}' on {}", display(v, 0).get(..10).unwrap_or(""))
                    }),
                    None => {
                        (!table.table.valid_today(text)).then(|| format!("not a current code of catalog '{catalog}'"))
                    }
                }
            }
        }
    }
}

/// Text form of a value, as published in quarantine reasons and used by text rules.
pub(crate) fn display(value: &Value, scale: u32) -> String {
    match value {
        Value::Null => String::new(),
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Dec(d) => crate::text::number::Decimal { mantissa: *d, scale }.to_string(),
        Value::Date(d) => chrono::DateTime::from_timestamp(*d as i64 * 86_400, 0)
            .map(|t| t.date_naive().to_string())
            .unwrap_or_default(),
        Value::Datetime(t) => chrono::DateTime::from_timestamp_micros(*t)
            .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
        Value::Bool(b) => b.to_string(),
    }
}
