//! Shared catalogs in the store: items with validity periods, successors, load history.

use super::{Result, Store};
use serde::Serialize;

/// Validity bounds used when a period is open.
pub(crate) const ALWAYS_FROM: &str = "0001-01-01";
/// See [`ALWAYS_FROM`].
pub(crate) const ALWAYS_TO: &str = "9999-12-31";

/// One item of a shared catalog for one validity period.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CatalogItem {
    /// The code (leading zeros kept).
    pub code: String,
    /// First day valid (`yyyy-mm-dd`, `0001-01-01` when always).
    pub valid_from: String,
    /// Last day valid (`9999-12-31` while still valid).
    pub valid_to: String,
    /// Official name (NFC).
    pub name: String,
    /// Parent code, if any.
    pub parent_code: Option<String>,
    /// Level in the hierarchy.
    pub level: Option<i64>,
    /// Other attributes, a JSON object.
    pub attrs: String,
}

/// A successor link: `code` was replaced by `successor`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Successor {
    pub code: String,
    pub successor: String,
    pub merge_type: String,
}

/// A catalog as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CatalogRow {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    pub authority: String,
    pub parent_catalog: Option<String>,
    pub current_version: i64,
    #[sqlx(try_from = "super::TsText")]
    pub updated_at: String,
}

/// One load of a catalog.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CatalogVersion {
    pub catalog: String,
    pub version: i64,
    #[sqlx(try_from = "super::TsText")]
    pub loaded_at: String,
    pub sha256: String,
    pub items: i64,
    pub added: i64,
    pub changed: i64,
    pub retired: i64,
    pub prefix: String,
}

/// Everything one catalog load writes.
pub(crate) struct CatalogLoad<'a> {
    pub row: CatalogRow,
    pub spec_json: String,
    pub items: &'a [CatalogItem],
    pub successors: &'a [Successor],
    pub version: CatalogVersion,
}

const ITEM_COLUMNS: &str = "code, valid_from, valid_to, name, parent_code, level, attrs";

impl Store {
    /// Replaces a catalog's items and successors and records the new version, in one transaction.
    pub(crate) async fn save_catalog(&self, load: &CatalogLoad<'_>) -> Result<()> {
        let b = self.backend();
        let id = load.row.id.as_str();
        super::on_db!(self, |pool| {
            async {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM catalog_items WHERE catalog = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM catalog_successors WHERE catalog = $1").bind(id).execute(&mut *tx).await?;
            for chunk in load.items.chunks(500) {
                let sql = format!(
                    "INSERT INTO catalog_items (catalog, code, valid_from, valid_to, name, name_folded, parent_code, level, attrs) VALUES {}",
                    super::values_placeholders(b, chunk.len(), 9, 0)
                );
                let mut q = sqlx::query(&sql);
                for it in chunk {
                    q = q
                        .bind(id)
                        .bind(&it.code)
                        .bind(&it.valid_from)
                        .bind(&it.valid_to)
                        .bind(&it.name)
                        .bind(crate::text::fold(&it.name))
                        .bind(&it.parent_code)
                        .bind(it.level)
                        .bind(&it.attrs);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in load.successors.chunks(500) {
                let sql = format!(
                    "INSERT INTO catalog_successors (catalog, code, successor, merge_type) VALUES {}",
                    super::values_placeholders(b, chunk.len(), 4, 0)
                );
                let mut q = sqlx::query(&sql);
                for s in chunk {
                    q = q.bind(id).bind(&s.code).bind(&s.successor).bind(&s.merge_type);
                }
                q.execute(&mut *tx).await?;
            }
            let r = &load.row;
            sqlx::query(
                "INSERT INTO catalogs (id, name_vi, name_en, authority, parent_catalog, spec_json, current_version, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET name_vi = excluded.name_vi, \
                 name_en = excluded.name_en, authority = excluded.authority, parent_catalog = excluded.parent_catalog, \
                 spec_json = excluded.spec_json, current_version = excluded.current_version, updated_at = excluded.updated_at",
            )
            .bind(id).bind(&r.name_vi).bind(&r.name_en).bind(&r.authority).bind(&r.parent_catalog)
            .bind(&load.spec_json).bind(r.current_version).bind(super::ts(&r.updated_at)?)
            .execute(&mut *tx)
            .await?;
            let v = &load.version;
            sqlx::query(
                "INSERT INTO catalog_versions (catalog, version, loaded_at, sha256, items, added, changed, retired, prefix) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id).bind(v.version).bind(super::ts(&v.loaded_at)?).bind(&v.sha256).bind(v.items).bind(v.added).bind(v.changed)
            .bind(v.retired).bind(&v.prefix)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, super::Error>(())
        }.await
        })?;
        Ok(())
    }

    /// All catalogs.
    pub async fn list_catalogs(&self) -> Result<Vec<CatalogRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT id, name_vi, name_en, authority, parent_catalog, current_version, updated_at FROM catalogs ORDER BY id",
        )
        .fetch_all(pool)
        .await
        })?)
    }

    /// One catalog.
    pub async fn catalog(&self, id: &str) -> Result<Option<CatalogRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT id, name_vi, name_en, authority, parent_catalog, current_version, updated_at FROM catalogs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        })?)
    }

    /// Versions of a catalog, newest first.
    pub async fn catalog_versions(&self, id: &str) -> Result<Vec<CatalogVersion>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT catalog, version, loaded_at, sha256, items, added, changed, retired, prefix FROM catalog_versions \
             WHERE catalog = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(pool)
        .await)?)
    }

    /// Every item of a catalog (all periods), by code then start date.
    pub(crate) async fn catalog_items(&self, id: &str) -> Result<Vec<CatalogItem>> {
        let q = format!("SELECT {ITEM_COLUMNS} FROM catalog_items WHERE catalog = $1 ORDER BY code, valid_from");
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(id).fetch_all(pool).await)?)
    }

    /// Items valid on `date` (`yyyy-mm-dd`), optionally only children of `parent`.
    pub async fn catalog_items_as_of(&self, id: &str, date: &str, parent: Option<&str>) -> Result<Vec<CatalogItem>> {
        let q = format!(
            "SELECT {ITEM_COLUMNS} FROM catalog_items WHERE catalog = $1 AND valid_from <= $2 AND valid_to >= $3 \
             AND ($4 = '' OR parent_code = $5) ORDER BY code"
        );
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q)
            .bind(id)
            .bind(date)
            .bind(date)
            .bind(parent.unwrap_or(""))
            .bind(parent.unwrap_or(""))
            .fetch_all(pool)
            .await)?)
    }

    /// Every period of one code.
    pub(crate) async fn catalog_code(&self, id: &str, code: &str) -> Result<Vec<CatalogItem>> {
        let q =
            format!("SELECT {ITEM_COLUMNS} FROM catalog_items WHERE catalog = $1 AND code = $2 ORDER BY valid_from");
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(id).bind(code).fetch_all(pool).await)?)
    }

    /// Successors of one code.
    pub(crate) async fn catalog_successors(&self, id: &str, code: &str) -> Result<Vec<Successor>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT code, successor, merge_type FROM catalog_successors WHERE catalog = $1 AND code = $2 ORDER BY successor",
        )
        .bind(id)
        .bind(code)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Every successor link of a catalog.
    pub async fn catalog_all_successors(&self, id: &str) -> Result<Vec<Successor>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT code, successor, merge_type FROM catalog_successors WHERE catalog = $1 ORDER BY code, successor",
        )
        .bind(id)
        .fetch_all(pool)
        .await)?)
    }
}
