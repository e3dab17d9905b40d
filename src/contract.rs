//! Data contracts: a dataset's published schema exported as a Frictionless Table Schema (for the
//! CSV export) or a JSON Schema (for one NDJSON record): types, required fields, the key, what the
//! rules guarantee (enums, patterns, bounds), catalog references as foreign keys, descriptions
//! and the personal-data class of each field. Fields delivered masked or pseudonymized are
//! described as delivered.

use crate::protect::{Protection, Protections};
use crate::versions::SchemaField;
use serde_json::{json, Map, Value};

/// The formats a contract is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Frictionless Table Schema.
    Frictionless,
    /// JSON Schema (2020-12) of one record.
    Jsonschema,
}

/// What a contract describes.
pub(crate) struct Dataset<'a> {
    pub(crate) name: &'a str,
    pub(crate) title: &'a str,
    pub(crate) description: &'a str,
    pub(crate) key: &'a [String],
    pub(crate) fields: &'a [SchemaField],
}

/// A field as the caller receives it: a protected field is text (or a year), and what the rules
/// said of the stored value no longer holds.
pub(crate) fn delivered(f: &SchemaField, protect: &Protections) -> SchemaField {
    let mut f = f.clone();
    if let Some(p) = protect.get(&f.name) {
        f.kind = if *p == Protection::Year { "int".into() } else { "string".into() };
        f.scale = None;
        f.constraints = None;
    }
    f
}

/// The contract of `d` in `format`.
pub(crate) fn export(d: &Dataset<'_>, protect: &Protections, format: Format) -> Value {
    let fields: Vec<SchemaField> = d.fields.iter().map(|f| delivered(f, protect)).collect();
    match format {
        Format::Frictionless => frictionless(d, &fields),
        Format::Jsonschema => json_schema(d, &fields),
    }
}

/// The contract of a published dataset, every field as stored, as pretty JSON.
pub fn export_published(d: &crate::store::DatasetRow, format: Format) -> Result<String, serde_json::Error> {
    let fields: Vec<SchemaField> = serde_json::from_str(&d.schema_json)?;
    let key: Vec<String> = serde_json::from_str(&d.key_fields)?;
    let dataset = Dataset { name: &d.name, title: &d.title, description: &d.description, key: &key, fields: &fields };
    serde_json::to_string_pretty(&export(&dataset, &Protections::new(), format))
}

fn frictionless_type(kind: &str) -> &'static str {
    match kind {
        "int" => "integer",
        "decimal" => "number",
        "date" => "date",
        "datetime" => "datetime",
        "bool" => "boolean",
        _ => "string",
    }
}

fn frictionless(d: &Dataset<'_>, fields: &[SchemaField]) -> Value {
    let mut foreign = Vec::new();
    let described: Vec<Value> = fields
        .iter()
        .map(|f| {
            let mut c = Map::new();
            if f.required {
                c.insert("required".into(), json!(true));
            }
            if let Some(k) = &f.constraints {
                if let [pattern] = k.patterns.as_slice() {
                    // Table Schema patterns match the whole value: the pipeline's anchors go.
                    c.insert("pattern".into(), json!(pattern.trim_start_matches('^').trim_end_matches('$')));
                }
                insert_some(&mut c, "enum", k.values.as_ref().map(|v| json!(v)));
                insert_some(&mut c, "minimum", k.minimum.clone());
                insert_some(&mut c, "maximum", k.maximum.clone());
                insert_some(&mut c, "minLength", k.min_length.map(|n| json!(n)));
                insert_some(&mut c, "maxLength", k.max_length.map(|n| json!(n)));
                if k.unique {
                    c.insert("unique".into(), json!(true));
                }
                if let Some(catalog) = &k.catalog {
                    foreign.push(json!({ "fields": f.name, "reference": { "resource": format!("catalogs/{catalog}"), "fields": "code" } }));
                }
            }
            let mut field = json!({ "name": f.name, "type": frictionless_type(&f.kind), "description": f.description });
            if !c.is_empty() {
                field["constraints"] = Value::Object(c);
            }
            if let Some(p) = f.personal {
                field["personal"] = json!(p);
            }
            field
        })
        .collect();
    let mut schema = json!({ "fields": described, "primaryKey": d.key, "missingValues": [""] });
    if !foreign.is_empty() {
        schema["foreignKeys"] = json!(foreign);
    }
    schema
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}

fn json_schema(d: &Dataset<'_>, fields: &[SchemaField]) -> Value {
    let mut properties = Map::new();
    for f in fields {
        let (kind, format) = match f.kind.as_str() {
            "int" => ("integer", None),
            "decimal" => ("number", None),
            "date" => ("string", Some("date")),
            "datetime" => ("string", Some("date-time")),
            "bool" => ("boolean", None),
            _ => ("string", None),
        };
        let mut p = json!({ "description": f.description });
        p["type"] = if f.required { json!(kind) } else { json!([kind, "null"]) };
        if let Some(format) = format {
            p["format"] = json!(format);
        }
        if let Some(k) = &f.constraints {
            match k.patterns.as_slice() {
                [] => {}
                [one] => p["pattern"] = json!(one),
                many => p["allOf"] = json!(many.iter().map(|m| json!({ "pattern": m })).collect::<Vec<_>>()),
            }
            if let Some(values) = &k.values {
                let mut allowed: Vec<Value> = values.iter().map(|v| json!(v)).collect();
                if !f.required {
                    allowed.push(Value::Null);
                }
                p["enum"] = json!(allowed);
            }
            let bound = |v: &Option<Value>| v.as_ref().filter(|v| v.is_number()).cloned();
            if let Some(min) = bound(&k.minimum) {
                p["minimum"] = min;
            }
            if let Some(max) = bound(&k.maximum) {
                p["maximum"] = max;
            }
            if let Some(n) = k.min_length {
                p["minLength"] = json!(n);
            }
            if let Some(n) = k.max_length {
                p["maxLength"] = json!(n);
            }
            if let Some(catalog) = &k.catalog {
                p["x-catalog"] = json!(catalog);
            }
        }
        if let Some(personal) = f.personal {
            p["x-personal"] = json!(personal);
        }
        properties.insert(f.name.clone(), p);
    }
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name.as_str()).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": if d.title.is_empty() { d.name } else { d.title },
        "description": d.description,
        "type": "object",
        "properties": properties,
        "required": required,
        // Columns the hub adds (`_version`, `_change_type` in change sets) start with `_`.
        "patternProperties": { "^_": {} },
        "additionalProperties": false,
        "x-key": d.key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::{Constraints, Personal};

    fn field(name: &str, kind: &str, required: bool, constraints: Option<Constraints>) -> SchemaField {
        SchemaField {
            name: name.into(),
            kind: kind.into(),
            required,
            scale: None,
            description: format!("{name}."),
            personal: (name == "so_dinh_danh").then_some(Personal::Basic),
            constraints,
        }
    }

    fn sample() -> Vec<SchemaField> {
        let commune = Constraints { catalog: Some("communes".into()), ..Default::default() };
        let id = Constraints { patterns: vec!["^[0-9]{12}$".into()], ..Default::default() };
        let sex = Constraints { values: Some(vec!["1".into(), "2".into()]), ..Default::default() };
        vec![
            field("so_dinh_danh", "string", true, Some(id)),
            field("ngay_sinh", "date", false, None),
            field("gioi_tinh", "string", false, Some(sex)),
            field("ma_xa", "string", true, Some(commune)),
        ]
    }

    #[test]
    fn frictionless_carries_types_key_rules_catalogs_and_the_personal_class() {
        let fields = sample();
        let key = vec!["so_dinh_danh".to_string()];
        let d = Dataset { name: "residents", title: "Dân cư", description: "", key: &key, fields: &fields };
        let s = export(&d, &Protections::new(), Format::Frictionless);
        assert_eq!(s["primaryKey"], json!(["so_dinh_danh"]));
        assert_eq!(s["fields"][0]["constraints"], json!({ "required": true, "pattern": "[0-9]{12}" }));
        assert_eq!(s["fields"][0]["personal"], "basic");
        assert_eq!(s["fields"][1]["type"], "date");
        assert_eq!(s["fields"][2]["constraints"]["enum"], json!(["1", "2"]));
        assert_eq!(s["foreignKeys"][0]["reference"]["resource"], "catalogs/communes");
    }

    #[test]
    fn json_schema_allows_null_where_optional_and_describes_protected_fields_as_delivered() {
        let fields = sample();
        let key = vec!["so_dinh_danh".to_string()];
        let d = Dataset { name: "residents", title: "", description: "", key: &key, fields: &fields };
        let protect: Protections =
            [("ngay_sinh".to_string(), Protection::Year), ("so_dinh_danh".to_string(), Protection::Pseudonym)].into();
        let s = export(&d, &protect, Format::Jsonschema);
        assert_eq!(s["required"], json!(["so_dinh_danh", "ma_xa"]));
        assert_eq!(s["properties"]["ngay_sinh"]["type"], json!(["integer", "null"]));
        assert!(s["properties"]["so_dinh_danh"].get("pattern").is_none(), "a pseudonym is not a CCCD");
        assert_eq!(s["properties"]["gioi_tinh"]["enum"], json!(["1", "2", null]));
        assert_eq!(s["properties"]["ma_xa"]["x-catalog"], "communes");
        assert_eq!(s["title"], "residents");
    }
}
