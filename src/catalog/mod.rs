//! Shared catalogs (danh mục dùng chung): the code tables shipped with the hub, loaded into the
//! store by `lgsp init` so that pipelines can check codes against them.

use crate::store::{CatalogItem, Store};

/// Errors of catalog loading.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A shipped data file is malformed.
    #[error("catalog '{catalog}' line {line}: {message}")]
    Data { catalog: String, line: u64, message: String },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Result type of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// A catalog shipped inside the binary.
pub struct Builtin {
    /// Catalog identifier used by `in_catalog` rules.
    pub id: &'static str,
    /// Vietnamese name.
    pub name_vi: &'static str,
    /// CSV data (UTF-8, NFC, header row).
    pub csv: &'static str,
    /// Column holding the parent code, if any.
    pub parent_column: Option<&'static str>,
}

/// Catalogs shipped with the hub (sources in `data/catalogs/SOURCES.md`).
pub const BUILTIN: &[Builtin] = &[
    Builtin {
        id: "provinces_2025",
        name_vi: "Đơn vị hành chính cấp tỉnh (từ 01/7/2025)",
        csv: include_str!("../../data/catalogs/vn_admin_2025_provinces.csv"),
        parent_column: None,
    },
    Builtin {
        id: "communes_2025",
        name_vi: "Đơn vị hành chính cấp xã (từ 01/7/2025)",
        csv: include_str!("../../data/catalogs/vn_admin_2025_communes.csv"),
        parent_column: Some("province_code"),
    },
];

/// Parses a builtin catalog's CSV into items: `code`, `name`, optional parent and `level`
/// columns; every other column goes into the attributes.
pub fn items(b: &Builtin) -> Result<Vec<CatalogItem>> {
    let bad = |line: u64, message: String| Error::Data { catalog: b.id.into(), line, message };
    let mut rdr = csv::Reader::from_reader(b.csv.as_bytes());
    let header = rdr.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let pos = |name: &str| header.iter().position(|h| h == name);
    let (code, name) = match (pos("code"), pos("name")) {
        (Some(c), Some(n)) => (c, n),
        _ => return Err(bad(1, "needs 'code' and 'name' columns".into())),
    };
    let parent = b.parent_column.and_then(pos);
    let (level, from, to) = (pos("level"), pos("effective_from"), pos("valid_to"));
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(e.position().map(|p| p.line()).unwrap_or(0), e.to_string()))?;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|v| !v.is_empty()).map(str::to_string);
        let mut attrs = serde_json::Map::new();
        for (i, h) in header.iter().enumerate() {
            if ![Some(code), Some(name), parent, level].contains(&Some(i)) {
                attrs.insert(h.to_string(), rec.get(i).unwrap_or("").into());
            }
        }
        out.push(CatalogItem {
            code: rec.get(code).unwrap_or("").to_string(),
            name: rec.get(name).unwrap_or("").to_string(),
            parent_code: get(parent),
            level: get(level).and_then(|l| l.parse().ok()),
            attrs: serde_json::Value::Object(attrs).to_string(),
            valid_from: get(from),
            valid_to: get(to),
        });
    }
    Ok(out)
}

/// Loads every builtin catalog into the store; returns (catalog, items) loaded.
pub async fn load_builtin(store: &Store) -> Result<Vec<(String, usize)>> {
    let mut loaded = Vec::new();
    for b in BUILTIN {
        let items = items(b)?;
        store.replace_catalog(b.id, &items).await?;
        loaded.push((b.id.to_string(), items.len()));
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogs_have_the_official_counts() {
        let counts: Vec<usize> = BUILTIN.iter().map(|b| items(b).unwrap().len()).collect();
        assert_eq!(counts, vec![34, 3321]);
    }

    #[test]
    fn commune_codes_keep_leading_zeros_and_parents() {
        let communes = items(&BUILTIN[1]).unwrap();
        let ba_dinh = communes.iter().find(|c| c.code == "00004").unwrap();
        assert_eq!(ba_dinh.name, "Phường Ba Đình");
        assert_eq!(ba_dinh.parent_code.as_deref(), Some("01"));
    }
}
