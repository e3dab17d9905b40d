//! Loading and checking pipeline files: syntax, unknown keys, and what must hold across fields.

use super::spec::{FieldType, Normalizer, PipelineSpec, RuleSpec, SourceSpec, Survivorship};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A pipeline file that cannot be used, with where and what.
#[derive(Debug, thiserror::Error)]
#[error("{}: {key}: {message}", file.display())]
pub struct SpecError {
    /// The pipeline file.
    pub(crate) file: PathBuf,
    /// Key path inside the file (`fields[2].type`), or `(file)` for the whole file.
    pub(crate) key: String,
    /// What is wrong and what to do.
    pub(crate) message: String,
}

fn err(file: &Path, key: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError { file: file.to_path_buf(), key: key.into(), message: message.into() }
}

/// Every catalog `spec` names, with the key that names it (`fields[2].rules[0].catalog`).
pub(crate) fn catalog_refs(spec: &PipelineSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, f) in spec.fields.iter().enumerate() {
        for (j, r) in f.rules.iter().enumerate() {
            if let RuleSpec::InCatalog { catalog, .. } = r {
                out.push((format!("fields[{i}].rules[{j}].catalog"), catalog.clone()));
            }
        }
        for (j, n) in f.normalize.iter().enumerate() {
            match n {
                Normalizer::Successor(c) => out.push((format!("fields[{i}].normalize[{j}].successor"), c.clone())),
                Normalizer::NameToCode { catalog, .. } => {
                    out.push((format!("fields[{i}].normalize[{j}].name_to_code.catalog"), catalog.clone()))
                }
                _ => {}
            }
        }
    }
    out
}

/// Every catalog `spec` (read from `path`) names that is not among `known`: one error each.
pub(crate) fn unknown_catalogs(path: &Path, spec: &PipelineSpec, known: &[String]) -> Vec<SpecError> {
    catalog_refs(spec)
        .into_iter()
        .filter(|(_, c)| !known.contains(c))
        .map(|(key, c)| err(path, key, format!("unknown catalog '{c}'; the catalogs are: {}", known.join(", "))))
        .collect()
}

/// Reads, parses and checks a pipeline file.
pub(crate) fn load(path: &Path) -> Result<PipelineSpec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path, "(file)", format!("cannot read: {e}")))?;
    parse(path, &text)
}

/// Parses and checks pipeline text; `path` is only used in messages.
pub(crate) fn parse(path: &Path, text: &str) -> Result<PipelineSpec, SpecError> {
    let de = toml::Deserializer::new(text);
    let spec: PipelineSpec = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let line = inner
            .span()
            .map(|s| text.as_bytes()[..s.start.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1);
        let message = inner.message().trim().to_string();
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        err(path, if key == "." { "(file)".into() } else { key }, format!("{message}{at}"))
    })?;
    check(path, &spec)?;
    Ok(spec)
}

fn check(path: &Path, spec: &PipelineSpec) -> Result<(), SpecError> {
    if spec.fields.is_empty() {
        return Err(err(path, "fields", "declare at least one field with [[fields]]"));
    }
    let mut names = HashSet::new();
    for (i, f) in spec.fields.iter().enumerate() {
        if f.name.is_empty() || f.name.starts_with('_') {
            return Err(err(path, format!("fields[{i}].name"), "names must be non-empty and not start with '_'"));
        }
        if !names.insert(f.name.as_str()) {
            return Err(err(path, format!("fields[{i}].name"), format!("'{}' is declared twice", f.name)));
        }
        check_field(path, i, f)?;
    }
    for (i, f) in spec.fields.iter().enumerate() {
        for (j, r) in f.rules.iter().enumerate() {
            if let RuleSpec::InCatalog { as_of: Some(a), .. } = r {
                if !spec.field(a).is_some_and(|d| matches!(d.kind, FieldType::Date | FieldType::Datetime)) {
                    return Err(err(
                        path,
                        format!("fields[{i}].rules[{j}].as_of"),
                        format!("'{a}' is not a declared date or datetime field"),
                    ));
                }
            }
        }
    }
    if spec.key.is_empty() {
        return Err(err(path, "key", "name at least one field as the business key"));
    }
    for (i, k) in spec.key.iter().enumerate() {
        if spec.field(k).is_none() {
            return Err(err(path, format!("key[{i}]"), format!("'{k}' is not a declared field")));
        }
        if spec.key[..i].contains(k) {
            return Err(err(path, format!("key[{i}]"), format!("'{k}' is listed twice")));
        }
    }
    if let Some(m) = &spec.matching {
        m.check().map_err(|(key, message)| err(path, format!("matching.{key}"), message))?;
        if let Some(c) = m.columns().into_iter().find(|c| !c.is_empty() && spec.field(c).is_none()) {
            return Err(err(path, "matching", format!("'{c}' is not a declared field")));
        }
    }
    check_source(path, spec)?;
    match spec.survivorship.rule {
        Survivorship::Latest | Survivorship::Earliest => match &spec.survivorship.field {
            None => return Err(err(path, "survivorship.field", "'latest' and 'earliest' need the field to compare")),
            Some(f) if spec.field(f).is_none() => {
                return Err(err(path, "survivorship.field", format!("'{f}' is not a declared field")))
            }
            _ => {}
        },
        Survivorship::First | Survivorship::Last => {}
    }
    match spec.publish.compression_level {
        Some(_) if spec.publish.compression != crate::parquet_io::Codec::Zstd => {
            return Err(err(path, "publish.compression_level", "applies to compression = \"zstd\" only"))
        }
        Some(l) if !(1..=22).contains(&l) => {
            return Err(err(path, "publish.compression_level", "use a zstd level from 1 to 22"))
        }
        _ => {}
    }
    if spec.publish.keep_versions == Some(0) {
        return Err(err(path, "publish.keep_versions", "must be at least 1 (the current version keeps its files)"));
    }
    let g = &spec.gates;
    let shares = [
        ("publish.max_delete_fraction".to_string(), spec.publish.max_delete_fraction),
        ("gates.max_quarantine_fraction".to_string(), g.max_quarantine_fraction),
        ("gates.max_update_fraction".to_string(), g.max_update_fraction),
    ];
    let fields =
        spec.fields.iter().filter_map(|f| Some((format!("fields.{}.max_null_fraction", f.name), f.max_null_fraction?)));
    for (key, v) in shares.into_iter().chain(fields) {
        if !(0.0..=1.0).contains(&v) {
            return Err(err(path, &key, "must be between 0 and 1"));
        }
    }
    if g.max_row_change_fraction.is_some_and(|v| !(v >= 0.0 && v.is_finite())) {
        return Err(err(path, "gates.max_row_change_fraction", "must be 0 or more"));
    }
    if spec.publish.row_group_size == 0 {
        return Err(err(path, "publish.row_group_size", "must be at least 1"));
    }
    Ok(())
}

fn check_source(path: &Path, spec: &PipelineSpec) -> Result<(), SpecError> {
    let text = match &spec.source {
        SourceSpec::Csv(c) => Some(c.delimiter),
        SourceSpec::Http(h) => Some(h.delimiter),
        _ => None,
    };
    if let Some(delimiter) = text {
        if !delimiter.is_ascii() {
            return Err(err(path, "source.delimiter", "must be one ASCII character"));
        }
    }
    match &spec.source {
        SourceSpec::Excel(x) if x.header_row == 0 => {
            return Err(err(path, "source.header_row", "rows are numbered from 1"))
        }
        SourceSpec::Http(h) if !(h.url.starts_with("http://") || h.url.starts_with("https://")) => {
            return Err(err(path, "source.url", format!("'{}' is not an http:// or https:// URL", h.url)));
        }
        SourceSpec::Http(h) if h.format == crate::source::spec::HttpFormat::Csv && h.pagination.is_some() => {
            return Err(err(path, "source.pagination", "pagination applies to json and ndjson answers only"));
        }
        SourceSpec::Sql(q)
            if !q.query.trim_start().to_lowercase().starts_with("select")
                && !q.query.trim_start().to_lowercase().starts_with("with") =>
        {
            return Err(err(path, "source.query", "must be a SELECT (or WITH … SELECT) query"));
        }
        _ => {}
    }
    if spec.retry.attempts == 0 {
        return Err(err(path, "retry.attempts", "at least 1 (the first attempt)"));
    }
    let mut targets = HashSet::new();
    for (column, field) in spec.source.columns() {
        if spec.field(field).is_none() {
            return Err(err(path, format!("source.columns.{column}"), format!("'{field}' is not a declared field")));
        }
        if !targets.insert(field) {
            return Err(err(path, format!("source.columns.{column}"), format!("field '{field}' is mapped twice")));
        }
    }
    Ok(())
}

fn check_field(path: &Path, i: usize, f: &super::spec::FieldSpec) -> Result<(), SpecError> {
    let at = |k: &str| format!("fields[{i}].{k}");
    match (f.kind, f.scale) {
        (FieldType::Decimal, Some(s)) if s > 18 => return Err(err(path, at("scale"), "at most 18")),
        (FieldType::Decimal, _) | (_, None) => {}
        (_, Some(_)) => return Err(err(path, at("scale"), "only decimal fields take a scale")),
    }
    for (j, n) in f.normalize.iter().enumerate() {
        let at = format!("fields[{i}].normalize[{j}]");
        match n {
            Normalizer::PadLeft(w) if !(1..=64).contains(w) => {
                return Err(err(path, at, format!("pad_left width {w} is out of range: use 1 to 64")))
            }
            Normalizer::NameToCode { min_confidence, .. } if !(0.0..=1.0).contains(min_confidence) => {
                return Err(err(path, at, "min_confidence must be between 0 and 1"))
            }
            Normalizer::Successor(c) | Normalizer::NameToCode { catalog: c, .. } if !crate::ident::is_ident(c) => {
                return Err(err(path, at, "not a catalog identifier"))
            }
            _ => {}
        }
    }
    for (j, r) in f.rules.iter().enumerate() {
        let key = format!("fields[{i}].rules[{j}]");
        match r {
            RuleSpec::Regex { pattern } => {
                regex::Regex::new(pattern).map_err(|e| err(path, format!("{key}.pattern"), e.to_string()))?;
            }
            RuleSpec::Range { min, max } => {
                for (name, v) in [("min", min), ("max", max)] {
                    if let Some(v) = v {
                        super::validate::range_bound(f.kind, v).map_err(|m| err(path, format!("{key}.{name}"), m))?;
                    }
                }
            }
            RuleSpec::Enum { values } if values.is_empty() => {
                return Err(err(path, format!("{key}.values"), "list at least one value"));
            }
            RuleSpec::InCatalog { catalog, .. } if !crate::ident::is_ident(catalog) => {
                return Err(err(path, format!("{key}.catalog"), "not a catalog identifier"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A CSV pipeline with business key `key` and the `[[fields]]` tables `fields`, for tests.
#[cfg(test)]
pub(crate) fn test_spec(key: &str, fields: &str) -> PipelineSpec {
    let text = format!("id = \"t\"\nowner = \"000.00.12.H48\"\ndataset = \"t\"\nkey = [\"{key}\"]\n[source]\nkind = \"csv\"\npath = \"x.csv\"\n{fields}");
    parse(Path::new("t.toml"), &text).expect("a valid test pipeline")
}

#[cfg(test)]
mod tests;
