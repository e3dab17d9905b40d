//! The SQLite and PostgreSQL migrations define the same schema: the same tables with the same
//! columns, of the same kind, read back from each engine's catalog after `lgsp init`.

mod common;

use common::Hub;
use std::collections::BTreeMap;

/// SQLite keeps `records` as a view over these two tables (record versions apart from the data
/// they point to); PostgreSQL keeps `records` as one table partitioned by dataset (its partitions
/// are not listed). Both expose the same `records`.
const SQLITE_ONLY: [&str; 2] = ["record_data", "record_versions"];

/// The kind of a declared column type: integer, real, text, other, or any (a SQLite view column
/// computed by an expression has no declared type).
fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t == "bigserial" {
        "integer"
    } else if t.contains("real") || t.contains("double") || t.contains("float") || t.contains("numeric") {
        "real"
    } else if t.is_empty() {
        "any"
    } else if t.contains("text") || t.contains("char") {
        "text"
    } else {
        "other"
    }
}

/// Table → column → kind, from `rows` of `table|column|type`.
fn schema(rows: &str) -> BTreeMap<String, BTreeMap<String, &'static str>> {
    let mut out: BTreeMap<String, BTreeMap<String, &'static str>> = BTreeMap::new();
    for line in rows.lines() {
        let mut parts = line.split('|');
        let (Some(table), Some(column), ty) = (parts.next(), parts.next(), parts.next().unwrap_or("")) else {
            continue;
        };
        out.entry(table.into()).or_default().insert(column.into(), kind(ty));
    }
    out
}

#[test]
fn sqlite_and_postgres_migrations_define_the_same_tables_and_columns() {
    let Some(pg) = Hub::postgres() else { return };
    let lite = Hub::sqlite();
    pg.ok(&["init"]);
    lite.ok(&["init"]);
    let mut lite_schema = schema(&lite.query(
        "SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' ORDER BY 1, 2",
    ));
    let pg_schema = schema(&pg.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%' \
         AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition) ORDER BY 1, 2",
    ));
    for t in SQLITE_ONLY {
        assert!(lite_schema.remove(t).is_some(), "SQLite has no table {t}: update SQLITE_ONLY");
    }
    assert!(pg_schema.len() > 15, "{pg_schema:?}");
    let names = |s: &BTreeMap<String, BTreeMap<String, &str>>| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&lite_schema), names(&pg_schema), "tables differ");
    for (table, columns) in &pg_schema {
        let lite_columns = &lite_schema[table];
        let listed = |c: &BTreeMap<String, &str>| c.keys().cloned().collect::<Vec<_>>();
        assert_eq!(listed(lite_columns), listed(columns), "columns of {table} differ");
        for (column, kind) in columns {
            let lite_kind = lite_columns[column];
            let comparable = ![lite_kind, *kind].iter().any(|k| *k == "any" || *k == "other");
            assert!(
                !comparable || lite_kind == *kind,
                "{table}.{column} is {lite_kind} on SQLite and {kind} on PostgreSQL"
            );
        }
    }
}
