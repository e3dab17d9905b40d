//! The shared catalogs a pipeline's rules and normalizers look codes and names up in, loaded
//! once per run.

use super::spec::{Normalizer, PipelineSpec, RuleSpec};
use super::validate::{CatalogCodes, CatalogData, Error::UnknownCatalog};
use super::Result;
use crate::catalog::table::CodeTable;
use crate::store::Store;
use std::sync::Arc;

/// Code tables (and name indexes where `name_to_code` needs them) of every catalog `spec` uses.
pub(crate) async fn catalogs_of(store: &Store, spec: &PipelineSpec) -> Result<CatalogCodes> {
    // (field, catalog, whether its name index is needed)
    let mut wanted: Vec<(&String, &String, bool)> = Vec::new();
    for f in &spec.fields {
        for r in &f.rules {
            if let RuleSpec::InCatalog { catalog, .. } = r {
                wanted.push((&f.name, catalog, false));
            }
        }
        for n in &f.normalize {
            match n {
                Normalizer::Successor(catalog) => wanted.push((&f.name, catalog, false)),
                Normalizer::NameToCode { catalog, .. } => wanted.push((&f.name, catalog, true)),
                _ => {}
            }
        }
    }
    let mut out = CatalogCodes::new();
    let today = crate::catalog::today();
    for (field, catalog, names) in &wanted {
        let names = *names || wanted.iter().any(|(_, c, n)| c == catalog && *n);
        if out.contains_key(*catalog) {
            continue;
        }
        if store.catalog(catalog).await?.is_none() {
            return Err(UnknownCatalog { field: field.to_string(), catalog: catalog.to_string() }.into());
        }
        let table = CodeTable::load(store, catalog, &today).await?;
        let names = match names {
            true => Some(crate::catalog::matcher::NameIndex::load(store, catalog).await?),
            false => None,
        };
        out.insert(catalog.to_string(), Arc::new(CatalogData { table, names }));
    }
    Ok(out)
}
