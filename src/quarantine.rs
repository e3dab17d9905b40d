//! Reading quarantine files: which rows match a reason or a field, counts by reason, and the
//! selected rows as CSV for Excel (`lgsp quarantine show` and the console's quarantine browser).

use polars::prelude::*;
use std::collections::BTreeMap;

/// One reason of a quarantined row, as stored in `_reasons`.
#[derive(serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
pub struct Reason {
    /// The rule that failed (`required`, `type`, `in_catalog`, …).
    pub rule: String,
    /// The field it failed on.
    #[serde(default)]
    pub field: String,
    /// The value as read.
    #[serde(default)]
    pub value: String,
    /// What is wrong and what to do.
    #[serde(default)]
    pub message: String,
}

impl Reason {
    /// `rule:field`, as the counts and filters name it.
    pub fn label(&self) -> String {
        format!("{}:{}", self.rule, self.field)
    }
}

/// Which quarantined rows to show: with a reason of this rule (`required`) or rule and field
/// (`type:ngay_cap`), and/or with a reason on this field. Empty: every row.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub reason: Option<String>,
    pub field: Option<String>,
}

impl Filter {
    /// Whether `r` is a reason the filter asks for.
    pub fn matches(&self, r: &Reason) -> bool {
        self.reason.as_deref().is_none_or(|want| want == r.rule || want == r.label())
            && self.field.as_deref().is_none_or(|f| f == r.field)
    }
}

/// The rows of a quarantine file a filter selects.
#[derive(Debug, Default)]
pub struct Selection {
    /// Row index in the file and every reason of the row, in file order.
    pub rows: Vec<(usize, Vec<Reason>)>,
    /// Selected rows per `rule:field` of their matching reasons.
    pub by_reason: BTreeMap<String, usize>,
}

/// A cell as text (empty for null).
pub fn text(c: &Column, i: usize) -> String {
    match c.get(i) {
        Ok(AnyValue::Null) | Err(_) => String::new(),
        Ok(AnyValue::String(s)) => s.to_string(),
        Ok(v) => v.to_string(),
    }
}

/// The rows of quarantine frame `df` that `filter` selects; `None` when `df` has no
/// `_reasons` column (not a quarantine file).
pub fn select(df: &DataFrame, filter: &Filter) -> Option<Selection> {
    let reasons = df.column("_reasons").ok()?;
    let mut out = Selection::default();
    for i in 0..df.height() {
        let rs: Vec<Reason> = serde_json::from_str(&text(reasons, i)).unwrap_or_default();
        if rs.iter().any(|r| filter.matches(r)) {
            for r in rs.iter().filter(|r| filter.matches(r)) {
                *out.by_reason.entry(r.label()).or_default() += 1;
            }
            out.rows.push((i, rs));
        }
    }
    Some(out)
}

/// Rows `rows` of `df` as CSV, UTF-8 with a byte order mark (Excel then reads Vietnamese text),
/// timestamps as RFC 3339.
pub fn csv(df: &DataFrame, rows: &[usize]) -> PolarsResult<Vec<u8>> {
    let idx = IdxCa::from_vec("i".into(), rows.iter().map(|i| *i as IdxSize).collect());
    let mut sel = crate::versions::with_text_timestamps(df.take(&idx)?)?;
    let mut out = b"\xEF\xBB\xBF".to_vec();
    CsvWriter::new(&mut out).finish(&mut sel)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quarantine() -> DataFrame {
        let r =
            |rule: &str, field: &str| format!(r#"[{{"rule":"{rule}","field":"{field}","value":"x","message":"m"}}]"#);
        df!(
            "ma" => ["1", "2", "3"],
            "_line" => [2i64, 3, 4],
            "_reasons" => [r("required", "ten"), r("type", "ngay_cap"), r("type", "von")]
        )
        .unwrap()
    }

    #[test]
    fn rows_are_selected_by_rule_rule_and_field_or_field() {
        let df = quarantine();
        let pick = |reason: Option<&str>, field: Option<&str>| {
            let f = Filter { reason: reason.map(Into::into), field: field.map(Into::into) };
            select(&df, &f).unwrap().rows.iter().map(|(i, _)| *i).collect::<Vec<_>>()
        };
        assert_eq!(pick(None, None), [0, 1, 2]);
        assert_eq!(pick(Some("type"), None), [1, 2]);
        assert_eq!(pick(Some("type:von"), None), [2]);
        assert_eq!(pick(None, Some("ten")), [0]);
        let all = select(&df, &Filter::default()).unwrap();
        assert_eq!(all.by_reason.get("type:ngay_cap"), Some(&1));
    }

    #[test]
    fn csv_starts_with_a_byte_order_mark_and_keeps_the_rows_asked_for() {
        let out = String::from_utf8(csv(&quarantine(), &[2]).unwrap()).unwrap();
        assert!(out.starts_with('\u{feff}'));
        assert_eq!(out.lines().count(), 2);
        assert!(out.lines().nth(1).unwrap().starts_with("3,4,"));
    }
}
