//! Catalog codes in the store (the shared code tables pipelines validate against).

use super::{Result, Store};
use std::collections::HashSet;

/// One item of a shared catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogItem {
    /// The code (a string, leading zeros kept).
    pub code: String,
    /// The official name (NFC).
    pub name: String,
    /// Code of the parent unit, if any.
    pub parent_code: Option<String>,
    /// Level in the hierarchy (1 = top).
    pub level: Option<i64>,
    /// Other attributes, as a JSON object.
    pub attrs: String,
    /// First day the code is valid (`yyyy-mm-dd`).
    pub valid_from: Option<String>,
    /// Last day the code is valid.
    pub valid_to: Option<String>,
}

impl Store {
    /// Replaces the items of `catalog` with `items`, in one transaction.
    pub async fn replace_catalog(&self, catalog: &str, items: &[CatalogItem]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM catalog_items WHERE catalog = $1").bind(catalog).execute(&mut *tx).await?;
        for chunk in items.chunks(500) {
            let sql = format!(
                "INSERT INTO catalog_items (catalog, code, name, parent_code, level, attrs, valid_from, valid_to) VALUES {}",
                super::values_placeholders(self.backend(), chunk.len(), 8, 0)
            );
            let mut q = sqlx::query(&sql);
            for it in chunk {
                q = q
                    .bind(catalog)
                    .bind(&it.code)
                    .bind(&it.name)
                    .bind(&it.parent_code)
                    .bind(it.level)
                    .bind(&it.attrs)
                    .bind(&it.valid_from)
                    .bind(&it.valid_to);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The codes of `catalog` (empty when the catalog is not loaded).
    pub async fn catalog_codes(&self, catalog: &str) -> Result<HashSet<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT code FROM catalog_items WHERE catalog = $1")
            .bind(catalog)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// Catalog identifiers with their item counts.
    pub async fn catalog_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT catalog, COUNT(*) FROM catalog_items GROUP BY catalog ORDER BY catalog")
            .fetch_all(self.pool())
            .await?)
    }
}
