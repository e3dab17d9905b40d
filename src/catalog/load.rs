//! Loading catalog files: read the sources, check codes, compare with the stored version, and
//! publish a new version (snapshot, changes, manifest) when anything changed.

use super::spec::{CatalogSourceSpec, CatalogSpec};
use super::{Error, Result};
use crate::digest::sha256_hex;
use crate::objects::{self, Objects};
use crate::store::{CatalogItem, CatalogLoad, CatalogRow, CatalogVersion, Store, Successor, ALWAYS_FROM, ALWAYS_TO};
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What one load did.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub catalog: String,
    /// `loaded` (a new version) or `unchanged`.
    pub status: String,
    pub version: i64,
    pub items: usize,
    pub added: usize,
    pub changed: usize,
    pub retired: usize,
}

/// Loads every `*.toml` of `dir`, in name order.
pub async fn load_all(store: &Store, objects: &Objects, dir: &Path) -> Result<Vec<LoadReport>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Spec {
            file: dir.display().to_string(),
            message: format!("cannot read the catalogs folder: {e}"),
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        out.push(load_file(store, objects, &f).await?);
    }
    Ok(out)
}

/// Reads and checks a catalog file without loading it.
/// The ids of the catalog files of `dir` that can be read, sorted.
pub fn catalog_ids(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| read_spec(&p).ok().map(|(spec, _)| spec.id))
        .collect();
    ids.sort();
    ids
}

pub(crate) fn read_spec(path: &Path) -> Result<(CatalogSpec, String)> {
    let spec_err = |message: String| Error::Spec { file: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| spec_err(format!("cannot read: {e}")))?;
    let spec: CatalogSpec = serde_path_to_error::deserialize(toml::Deserializer::new(&text)).map_err(|e| {
        let key = e.path().to_string();
        spec_err(format!("{key}: {}", e.into_inner().message().trim()))
    })?;
    let ident = !spec.id.is_empty()
        && spec.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ident {
        return Err(spec_err("id: use lower case letters, digits, '_' or '-'".into()));
    }
    if spec.sources.is_empty() {
        return Err(spec_err("sources: list at least one data file with [[sources]]".into()));
    }
    for (i, src) in spec.sources.iter().enumerate() {
        for (key, date) in [("valid_from", &src.valid_from), ("valid_to", &src.valid_to)] {
            if let Some(d) = date.as_deref().filter(|d| super::parse_date(d).is_err()) {
                return Err(spec_err(format!("sources[{i}].{key}: '{d}' is not a date: write yyyy-mm-dd")));
            }
        }
    }
    Ok((spec, text))
}

/// Loads one catalog file; publishes a new version when its content changed.
pub async fn load_file(store: &Store, objects: &Objects, path: &Path) -> Result<LoadReport> {
    let (spec, text) = read_spec(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let code_re = match &spec.code_format {
        Some(p) => Some(
            regex::Regex::new(p)
                .map_err(|e| Error::Spec { file: path.display().to_string(), message: format!("code_format: {e}") })?,
        ),
        None => None,
    };
    let mut digest = text.clone().into_bytes();
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for source in &spec.sources {
        read_source(dir, source, &spec, code_re.as_ref(), &mut items, &mut seen, &mut digest)?;
    }
    let successors = match &spec.successors {
        Some(s) => read_successors(dir, s, &mut digest)?,
        None => Vec::new(),
    };
    let sha256 = sha256_hex(&digest);
    let current = store.catalog_versions(&spec.id).await?.into_iter().next();
    if let Some(cur) = &current {
        if cur.sha256 == sha256 {
            return Ok(LoadReport {
                catalog: spec.id,
                status: "unchanged".into(),
                version: cur.version,
                items: items.len(),
                added: 0,
                changed: 0,
                retired: 0,
            });
        }
    }
    let diff = diff(&store.catalog_items(&spec.id).await?, &items);
    let version = current.as_ref().map(|c| c.version).unwrap_or(0) + 1;
    let prefix = format!("catalogs/{}/v{version}", spec.id);
    let spec_json =
        serde_json::to_string(&spec).map_err(|source| Error::Json { what: "the catalog's spec", source })?;
    publish(objects, &spec, version, &prefix, &items, &diff, &sha256).await?;
    let now = crate::store::now();
    let report = LoadReport {
        catalog: spec.id.clone(),
        status: "loaded".into(),
        version,
        items: items.len(),
        added: diff.added.len(),
        changed: diff.changed.len(),
        retired: diff.retired.len(),
    };
    store
        .save_catalog(&CatalogLoad {
            row: CatalogRow {
                id: spec.id.clone(),
                name_vi: spec.name_vi.clone(),
                name_en: spec.name_en.clone(),
                authority: spec.authority.clone(),
                parent_catalog: spec.parent_catalog.clone(),
                current_version: version,
                updated_at: now.clone(),
            },
            spec_json,
            items: &items,
            successors: &successors,
            version: CatalogVersion {
                catalog: spec.id.clone(),
                version,
                loaded_at: now,
                sha256,
                items: items.len() as i64,
                added: report.added as i64,
                changed: report.changed as i64,
                retired: report.retired as i64,
                prefix,
            },
        })
        .await?;
    Ok(report)
}

fn read_source(
    dir: &Path,
    src: &CatalogSourceSpec,
    spec: &CatalogSpec,
    code_re: Option<&regex::Regex>,
    items: &mut Vec<CatalogItem>,
    seen: &mut HashSet<(String, String)>,
    digest: &mut Vec<u8>,
) -> Result<()> {
    let file = dir.join(&src.file);
    let fname = file.display().to_string();
    let bytes = std::fs::read(&file).map_err(|e| Error::Data {
        file: fname.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    digest.extend_from_slice(&bytes);
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Data { file: fname.clone(), line: 1, message: e.to_string() })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| Error::Data {
            file: fname.clone(),
            line: 1,
            message: format!("no column '{name}'; the header has: {}", header.join(", ")),
        })
    };
    let (code_i, name_i) = (col(&src.code)?, col(&src.name)?);
    let parent_i = src.parent.as_deref().map(col).transpose()?;
    let attr_cols: Vec<(String, usize)> = match &src.attributes {
        Some(list) => list.iter().map(|a| col(a).map(|i| (a.clone(), i))).collect::<Result<_>>()?,
        None => header
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != code_i && *i != name_i && Some(*i) != parent_i)
            .map(|(i, h)| (h.clone(), i))
            .collect(),
    };
    let from = src.valid_from.as_deref().map(super::parse_date).transpose()?.unwrap_or_else(|| ALWAYS_FROM.into());
    let to = src.valid_to.as_deref().map(super::parse_date).transpose()?.unwrap_or_else(|| ALWAYS_TO.into());
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Data {
            file: fname.clone(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let code = rec.get(code_i).unwrap_or("").trim().to_string();
        if code.is_empty() {
            continue;
        }
        if let Some(re) = code_re {
            if !re.is_match(&code) {
                return Err(Error::Data {
                    file: fname.clone(),
                    line,
                    message: format!("code '{code}' does not match code_format {}", re.as_str()),
                });
            }
        }
        if !seen.insert((code.clone(), from.clone())) {
            return Err(Error::Data {
                file: fname.clone(),
                line,
                message: format!("code '{code}' appears twice for the period starting {from}"),
            });
        }
        let attrs: BTreeMap<&str, &str> =
            attr_cols.iter().map(|(n, i)| (n.as_str(), rec.get(*i).unwrap_or(""))).collect();
        items.push(CatalogItem {
            code,
            valid_from: from.clone(),
            valid_to: to.clone(),
            name: crate::text::clean(rec.get(name_i).unwrap_or("")).into_owned(),
            parent_code: parent_i.and_then(|i| rec.get(i)).filter(|p| !p.is_empty()).map(str::to_string),
            level: spec.level,
            attrs: serde_json::to_string(&attrs)
                .map_err(|source| Error::Json { what: "an item's attributes", source })?,
        });
    }
    Ok(())
}

fn read_successors(dir: &Path, s: &super::spec::SuccessorSpec, digest: &mut Vec<u8>) -> Result<Vec<Successor>> {
    let file = dir.join(&s.file);
    let fname = file.display().to_string();
    let bytes = std::fs::read(&file).map_err(|e| Error::Data {
        file: fname.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    digest.extend_from_slice(&bytes);
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Data { file: fname.clone(), line: 1, message: e.to_string() })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| Error::Data {
            file: fname.clone(),
            line: 1,
            message: format!("no column '{name}'; the header has: {}", header.join(", ")),
        })
    };
    let (from_i, to_i) = (col(&s.from)?, col(&s.to)?);
    let merge_i = s.merge_type.as_deref().map(col).transpose()?;
    let mut pairs: BTreeMap<(String, String), String> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Data {
            file: fname.clone(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        let (from, to) = (rec.get(from_i).unwrap_or("").trim(), rec.get(to_i).unwrap_or("").trim());
        if from.is_empty() || to.is_empty() {
            continue;
        }
        let merge = merge_i.and_then(|i| rec.get(i)).unwrap_or("").to_string();
        pairs.insert((from.to_string(), to.to_string()), merge);
    }
    Ok(pairs.into_iter().map(|((code, successor), merge_type)| Successor { code, successor, merge_type }).collect())
}

/// Differences between two sets of items, keyed by (code, valid_from).
pub(crate) struct Diff {
    pub(crate) added: Vec<CatalogItem>,
    /// (old, new) pairs.
    pub(crate) changed: Vec<(CatalogItem, CatalogItem)>,
    pub(crate) retired: Vec<CatalogItem>,
}

/// Compares the stored items with the new ones.
pub(crate) fn diff(old: &[CatalogItem], new: &[CatalogItem]) -> Diff {
    let key = |i: &CatalogItem| (i.code.clone(), i.valid_from.clone());
    let before: HashMap<_, _> = old.iter().map(|i| (key(i), i)).collect();
    let after: HashMap<_, _> = new.iter().map(|i| (key(i), i)).collect();
    let mut d = Diff { added: vec![], changed: vec![], retired: vec![] };
    for n in new {
        match before.get(&key(n)) {
            None => d.added.push(n.clone()),
            Some(o) if *o != n => d.changed.push(((*o).clone(), n.clone())),
            Some(_) => {}
        }
    }
    d.retired = old.iter().filter(|o| !after.contains_key(&key(o))).cloned().collect();
    d
}

fn frame(items: &[&CatalogItem], kinds: Option<&[&str]>) -> PolarsResult<DataFrame> {
    let s = |f: fn(&CatalogItem) -> String| items.iter().map(|i| f(i)).collect::<Vec<_>>();
    let mut cols = vec![
        Column::new("code".into(), s(|i| i.code.clone())),
        Column::new("name".into(), s(|i| i.name.clone())),
        Column::new("parent_code".into(), items.iter().map(|i| i.parent_code.clone()).collect::<Vec<_>>()),
        Column::new("level".into(), items.iter().map(|i| i.level).collect::<Vec<_>>()),
        Column::new("valid_from".into(), s(|i| i.valid_from.clone())),
        Column::new("valid_to".into(), s(|i| i.valid_to.clone())),
        Column::new("attrs".into(), s(|i| i.attrs.clone())),
    ];
    if let Some(k) = kinds {
        cols.push(Column::new("_change_type".into(), k.to_vec()));
    }
    DataFrame::new_infer_height(cols)
}

async fn publish(
    objects: &Objects,
    spec: &CatalogSpec,
    version: i64,
    prefix: &str,
    items: &[CatalogItem],
    d: &Diff,
    sha256: &str,
) -> Result<()> {
    let opts = crate::parquet_io::Options::default();
    let mut snapshot = frame(&items.iter().collect::<Vec<_>>(), None)?;
    let mut rows: Vec<&CatalogItem> = Vec::new();
    let mut kinds: Vec<&str> = Vec::new();
    for a in &d.added {
        rows.push(a);
        kinds.push("insert");
    }
    for (o, n) in &d.changed {
        rows.extend([o, n]);
        kinds.extend(["update_preimage", "update_postimage"]);
    }
    for r in &d.retired {
        rows.push(r);
        kinds.push("delete");
    }
    let mut changes = frame(&rows, Some(&kinds))?;
    let mut files = serde_json::Map::new();
    for (name, df) in [("snapshot", &mut snapshot), ("changes", &mut changes)] {
        let bytes = crate::parquet_io::to_bytes(df, &opts)?;
        let path = format!("{prefix}/{name}.parquet");
        files.insert(name.into(), serde_json::json!({ "path": path, "bytes": bytes.len(), "sha256": sha256_hex(&bytes), "rows": df.height() }));
        objects::put(objects, &path, bytes).await?;
    }
    let manifest = serde_json::json!({
        "catalog": spec.id, "version": version, "created_at": crate::store::now(), "source_sha256": sha256,
        "counts": { "items": items.len(), "added": d.added.len(), "changed": d.changed.len(), "retired": d.retired.len() },
        "spec": spec, "files": files,
    });
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|source| Error::Json { what: "the version's manifest", source })?;
    objects::put(objects, &format!("{prefix}/manifest.json"), manifest).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
