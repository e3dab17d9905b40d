//! `CatalogSpec`: the catalog file a steward writes (`catalogs/<id>.toml`).

use serde::Deserialize;
use std::path::PathBuf;

/// A shared catalog (danh mục dùng chung): a code table with validity periods.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogSpec {
    /// Catalog identifier used by pipelines and the API: lower case letters, digits, `_`, `-`.
    pub(crate) id: String,
    /// Vietnamese name.
    pub(crate) name_vi: String,
    /// English name.
    #[serde(default)]
    pub(crate) name_en: String,
    /// Issuing authority (e.g. `Cục Thống kê`).
    #[serde(default)]
    pub(crate) authority: String,
    /// Legal documents the catalog rests on.
    #[serde(default)]
    pub(crate) legal_basis: Vec<LegalBasisSpec>,
    /// Regular expression every code must match (whole code; anchor it with `^…$`).
    #[serde(default)]
    pub(crate) code_format: Option<String>,
    /// Catalog the `parent` codes belong to (e.g. `provinces` for communes).
    #[serde(default)]
    pub(crate) parent_catalog: Option<String>,
    /// Level in the administrative hierarchy or code tree (1 = top), for every item.
    #[serde(default)]
    pub(crate) level: Option<i64>,
    /// Data files; one file may be listed twice with different columns or periods.
    pub(crate) sources: Vec<CatalogSourceSpec>,
    /// Old code → new code(s) crosswalk, for codes that were replaced.
    #[serde(default)]
    pub(crate) successors: Option<SuccessorSpec>,
    /// Free text shown with the catalog (doubts, conventions).
    #[serde(default)]
    pub(crate) notes: String,
}

/// A legal document.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LegalBasisSpec {
    /// Document number and kind, e.g. `Nghị quyết 202/2025/QH15`.
    pub(crate) document: String,
    /// Date the document was signed (`yyyy-mm-dd`).
    #[serde(default)]
    pub(crate) date: Option<String>,
}

/// One data file of a catalog (UTF-8 CSV with a header row).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogSourceSpec {
    /// CSV file, relative to the catalog file's folder.
    pub(crate) file: PathBuf,
    /// Column holding the code (kept as text, leading zeros included).
    pub(crate) code: String,
    /// Column holding the official name.
    pub(crate) name: String,
    /// Column holding the parent code (in `parent_catalog`).
    #[serde(default)]
    pub(crate) parent: Option<String>,
    /// First day the rows of this file are valid (`yyyy-mm-dd`; default: always).
    #[serde(default)]
    pub(crate) valid_from: Option<String>,
    /// Last day the rows of this file are valid (`yyyy-mm-dd`; default: still valid).
    #[serde(default)]
    pub(crate) valid_to: Option<String>,
    /// Columns kept as attributes of each item (default: every other column).
    #[serde(default)]
    pub(crate) attributes: Option<Vec<String>>,
}

/// The crosswalk from replaced codes to their successors.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuccessorSpec {
    /// CSV file, relative to the catalog file's folder.
    pub(crate) file: PathBuf,
    /// Column of the old code.
    pub(crate) from: String,
    /// Column of the successor code.
    pub(crate) to: String,
    /// Column saying how the old unit went into the new one (`full`, `partial`, ...).
    #[serde(default)]
    pub(crate) merge_type: Option<String>,
}
