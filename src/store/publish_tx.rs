//! What a version's publication writes to the store, and the statements that write it on
//! either backend: through the pool (`records`) or on SQLite's own connection
//! (`sqlite_publication`).

/// Everything a version's publication writes to the store.
#[derive(Debug, Clone)]
pub struct PublishTx {
    /// Dataset name.
    pub dataset: String,
    /// Pipeline identifier.
    pub pipeline: String,
    /// Owner agency code.
    pub owner: String,
    /// Dataset title.
    pub title: String,
    /// Dataset description.
    pub description: String,
    /// Business key fields, JSON array.
    pub key_fields: String,
    /// Published schema, JSON.
    pub schema_json: String,
    /// The version being published (current + 1).
    pub version: i64,
    /// The run that produced it.
    pub run_id: String,
    /// sha256 of the input.
    pub input_sha256: String,
    /// The run's counts: rows of the snapshot, keys inserted / updated / deleted, rows quarantined.
    pub counts: crate::outcome::RunCounts,
    /// Object-store prefix of the version's files.
    pub prefix: String,
    /// The record fields, in the order each record's data (a JSON array) lists their values.
    pub record_fields: Vec<String>,
}

impl PublishTx {
    /// The record fields as stored in `record_layouts` (a JSON array of names).
    pub(super) fn layout(&self) -> String {
        serde_json::Value::from(self.record_fields.clone()).to_string()
    }

    /// For the store's tests: version `version` of dataset `d` (key field `k`, the only record
    /// field) by run `run-<version>`, counting `inserted` and `updated` keys.
    #[cfg(test)]
    pub(super) fn test(version: i64, inserted: u64, updated: u64) -> PublishTx {
        PublishTx {
            dataset: "d".into(),
            pipeline: "d".into(),
            owner: "A".into(),
            title: String::new(),
            description: String::new(),
            key_fields: "[\"k\"]".into(),
            schema_json: "[]".into(),
            version,
            run_id: format!("run-{version}"),
            input_sha256: String::new(),
            counts: crate::outcome::RunCounts { inserted, updated, ..Default::default() },
            prefix: String::new(),
            record_fields: vec!["k".into()],
        }
    }
}

/// The columns of `versions`, in the order rows are read and written.
pub(super) const VERSION_COLUMNS: &str = "dataset, version, run_id, created_at, input_sha256, row_count, inserted, updated, deleted, quarantined, prefix, manifest_sha256, pruned_at";

/// A count as an SQL integer (signed; counts never reach 2^63).
pub(crate) fn sql_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Creates the dataset's row (at version 0) if it has none.
pub(super) const UPSERT_DATASET: &str = "INSERT INTO datasets (name, pipeline, owner, title, description, key_fields, schema_json, current_version, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) ON CONFLICT (name) DO NOTHING";
/// Moves the dataset to the new version, only from the one before it (one row moved, or none).
pub(super) const MOVE_DATASET: &str = "UPDATE datasets SET current_version = $1, pipeline = $2, owner = $3, title = $4, description = $5, key_fields = $6, \
     schema_json = $7, updated_at = $8 WHERE name = $9 AND current_version = $10";
/// The dataset's current version (what a publication that could not move it found).
pub(super) const CURRENT_VERSION_OF: &str = "SELECT current_version FROM datasets WHERE name = $1";

/// Records (or, for a version number used again, replaces) the field names of a version's
/// record data: `$1` dataset, `$2` version, `$3` the names as a JSON array.
pub(super) const UPSERT_LAYOUT: &str = "INSERT INTO record_layouts (dataset, version, fields) VALUES ($1, $2, $3) \
     ON CONFLICT (dataset, version) DO UPDATE SET fields = excluded.fields";

/// The statement recording a published version (12 parameters, in `VERSION_COLUMNS` order).
pub(super) fn insert_version_sql() -> String {
    format!(
        "INSERT INTO versions ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        VERSION_COLUMNS.trim_end_matches(", pruned_at")
    )
}
