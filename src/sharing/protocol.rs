//! The protocol's JSON lines: the protocol and metadata actions every table answer starts with,
//! and one line per file, in the `parquet` response format that every client reads.

use crate::protect::Protections;
use crate::versions::SchemaField;
use serde_json::{json, Value};

/// `{"protocol": …}`: files are plain Parquet.
pub(crate) fn protocol_line() -> String {
    json!({ "protocol": { "minReaderVersion": 1 } }).to_string()
}

/// A table's id: stable for its name, shaped as a UUID.
fn table_id(dataset: &str) -> String {
    let h = crate::digest::sha256_hex(format!("lgsp-table:{dataset}").as_bytes());
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The Delta (Spark) type of a field as delivered.
fn delta_type(f: &SchemaField) -> String {
    match f.kind.as_str() {
        "int" => "long".into(),
        "decimal" => format!("decimal(38,{})", f.scale.unwrap_or(2)),
        "date" => "date".into(),
        "datetime" => "timestamp".into(),
        "bool" => "boolean".into(),
        _ => "string".into(),
    }
}

/// The table's schema as the protocol writes it (a Spark struct type as JSON text): the fields
/// the caller is granted, typed as delivered, with their descriptions.
pub(crate) fn delta_schema(fields: &[SchemaField], protect: &Protections) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| crate::contract::delivered(f, protect))
        .map(|f| {
            json!({
                "name": f.name,
                "type": delta_type(&f),
                "nullable": !f.required,
                "metadata": { "comment": f.description },
            })
        })
        .collect();
    json!({ "type": "struct", "fields": fields }).to_string()
}

/// What a metadata action says of a table at a version.
pub(crate) struct TableMeta<'a> {
    pub(crate) dataset: &'a str,
    pub(crate) description: &'a str,
    pub(crate) schema: String,
    pub(crate) version: i64,
    /// Bytes and files of the version's snapshot.
    pub(crate) size: u64,
}

/// `{"metaData": …}`: the table's id, schema and version; its change data feed is on.
pub(crate) fn metadata_line(m: &TableMeta<'_>) -> String {
    json!({ "metaData": {
        "id": table_id(m.dataset),
        "name": m.dataset,
        "description": m.description,
        "format": { "provider": "parquet" },
        "schemaString": m.schema,
        "partitionColumns": [],
        "configuration": { "enableChangeDataFeed": "true" },
        "version": m.version,
        "size": m.size,
        "numFiles": 1,
    }})
    .to_string()
}

/// A file of a version, as the protocol lists it.
pub(crate) struct FileLine<'a> {
    /// Where to download it (a signed link).
    pub(crate) url: &'a str,
    /// Stable for the file's content as this caller receives it.
    pub(crate) id: &'a str,
    pub(crate) size: u64,
    pub(crate) rows: u64,
    pub(crate) version: i64,
    /// Publication time of the version, ms.
    pub(crate) timestamp: i64,
    /// When the link stops working, ms.
    pub(crate) expires: i64,
}

/// `{"file": …}` (a snapshot file, in a query answer) or `{"cdf": …}` (a change-data file with
/// a `_change_type` column, in a changes answer).
pub(crate) fn file_line(action: &str, f: &FileLine<'_>) -> String {
    let mut body = json!({
        "url": f.url,
        "id": f.id,
        "partitionValues": {},
        "size": f.size,
        "version": f.version,
        "timestamp": f.timestamp,
        "expirationTimestamp": f.expires,
    });
    if action == "file" {
        body["stats"] = json!({ "numRecords": f.rows }).to_string().into();
    }
    json!({ action: body }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_use_spark_types_and_describe_protected_fields_as_delivered() {
        let field = |name: &str, kind: &str| SchemaField {
            name: name.into(),
            kind: kind.into(),
            required: name == "id",
            scale: None,
            description: format!("{name} (mô tả)"),
            personal: None,
            constraints: None,
        };
        let fields =
            vec![field("id", "string"), field("von", "decimal"), field("ngay", "date"), field("cccd", "string")];
        let mut protect = Protections::new();
        protect.insert("ngay".into(), crate::protect::Protection::Year);
        let s: Value = serde_json::from_str(&delta_schema(&fields, &protect)).unwrap();
        assert_eq!(s["type"], "struct");
        assert_eq!(s["fields"][0]["nullable"], false);
        assert_eq!(s["fields"][1]["type"], "decimal(38,2)");
        assert_eq!(s["fields"][2]["type"], "long", "a date delivered as its year is a number");
        assert_eq!(s["fields"][3]["metadata"]["comment"], "cccd (mô tả)");
    }

    #[test]
    fn table_ids_are_stable_and_shaped_as_uuids() {
        assert_eq!(table_id("a"), table_id("a"));
        assert_ne!(table_id("a"), table_id("b"));
        assert_eq!(table_id("a").len(), 36);
    }
}
