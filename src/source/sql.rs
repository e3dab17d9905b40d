//! SQL sources: a query on an agency's PostgreSQL or MySQL/MariaDB database, read whole or
//! incrementally from the last cursor value. Every column is read as text (the database casts
//! it), so any column type the database can print works.

use super::spec::SqlSourceSpec;
use super::{Error, Result};
use futures::TryStreamExt;
use sqlx::{Column, Executor, Row};
use std::path::{Path, PathBuf};

/// What a query gave.
pub(crate) struct Got {
    /// The rows as a CSV file.
    pub(crate) path: PathBuf,
    /// Rows read.
    pub(crate) rows: u64,
    /// The cursor's value in the last row (`None` without a cursor or rows).
    pub(crate) cursor: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Postgres,
    MySql,
}

impl Dialect {
    fn quote(self, ident: &str) -> String {
        match self {
            Dialect::Postgres => format!("\"{}\"", ident.replace('"', "\"\"")),
            Dialect::MySql => format!("`{}`", ident.replace('`', "``")),
        }
    }

    fn as_text(self, ident: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST(src.{} AS TEXT)", self.quote(ident)),
            Dialect::MySql => format!("CAST(src.{} AS CHAR)", self.quote(ident)),
        }
    }

    fn literal(self, value: &str) -> String {
        let v = value.replace('\'', "''");
        match self {
            Dialect::Postgres => format!("'{v}'"),
            Dialect::MySql => format!("'{}'", v.replace('\\', "\\\\")),
        }
    }
}

fn sql_err(name: &str, e: sqlx::Error) -> Error {
    let transient =
        matches!(e, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed);
    Error::Sql { name: name.into(), message: e.to_string(), transient }
}

enum Pool {
    Pg(sqlx::PgPool),
    My(sqlx::MySqlPool),
}

/// Streams `sql` (every column text) into `w`; returns rows read and the last value of column
/// `cursor_at`.
macro_rules! copy_rows {
    ($pool:expr, $sql:expr, $n:expr, $cursor_at:expr, $w:expr, $name:expr, $path:expr) => {{
        let (mut rows, mut cursor) = (0u64, None);
        let mut stream = sqlx::query($sql).fetch($pool);
        while let Some(row) = stream.try_next().await.map_err(|e| sql_err($name, e))? {
            let values = (0..$n)
                .map(|i| row.try_get::<Option<String>, _>(i).map(Option::unwrap_or_default))
                .collect::<std::result::Result<Vec<String>, _>>()
                .map_err(|e| Error::Sql {
                    name: $name.into(),
                    message: format!("row {}: a value cannot be read as text: {e}", rows + 1),
                    transient: false,
                })?;
            if let Some(i) = $cursor_at {
                cursor = Some(values[i].clone()).filter(|v: &String| !v.is_empty()).or(cursor);
            }
            $w.write_record(&values).map_err(|e| Error::io($path, std::io::Error::other(e)))?;
            rows += 1;
        }
        (rows, cursor)
    }};
}

/// Runs the query (rows at or after `after` of the cursor, when it has one) into `dir`.
pub(crate) async fn fetch(spec: &SqlSourceSpec, after: Option<&str>, dir: &Path) -> Result<Got> {
    let url = std::env::var(&spec.url_env).map_err(|_| Error::Env {
        var: spec.url_env.clone(),
        what: "the database URL of the SQL source (postgres://… or mysql://…)".into(),
    })?;
    let name = format!("query of ${}", spec.url_env);
    let timeout = std::time::Duration::from_secs(10);
    let (dialect, pool) = match url.split("://").next() {
        Some("postgres" | "postgresql") => {
            let p = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(timeout)
                .connect(&url)
                .await
                .map_err(|e| sql_err(&name, e))?;
            (Dialect::Postgres, Pool::Pg(p))
        }
        Some("mysql" | "mariadb") => {
            let url = url.replacen("mariadb://", "mysql://", 1);
            let p = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(timeout)
                .connect(&url)
                .await
                .map_err(|e| sql_err(&name, e))?;
            (Dialect::MySql, Pool::My(p))
        }
        _ => {
            return Err(Error::Format {
                name: spec.url_env.clone(),
                message: "the database URL must start with postgres:// or mysql://".into(),
            })
        }
    };
    let query = spec.query.trim().trim_end_matches(';');
    let filter = match (&spec.cursor, after) {
        (Some(c), Some(v)) => format!(" WHERE src.{} >= {}", dialect.quote(c), dialect.literal(v)),
        _ => String::new(),
    };
    let order = spec.cursor.as_ref().map(|c| format!(" ORDER BY src.{}", dialect.quote(c))).unwrap_or_default();
    let probe = format!("SELECT * FROM ({query}) src");
    let columns: Vec<String> = match &pool {
        Pool::Pg(p) => p
            .describe(&probe)
            .await
            .map_err(|e| sql_err(&name, e))?
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
        Pool::My(p) => p
            .describe(&probe)
            .await
            .map_err(|e| sql_err(&name, e))?
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
    };
    if let Some(c) = &spec.cursor {
        if !columns.contains(c) {
            return Err(Error::Format {
                name: name.clone(),
                message: format!(
                    "the cursor column '{c}' is not a column of the query; it has: {}",
                    columns.join(", ")
                ),
            });
        }
    }
    let select: Vec<String> =
        columns.iter().map(|c| format!("{} AS {}", dialect.as_text(c), dialect.quote(c))).collect();
    let full = format!("SELECT {} FROM ({query}) src{filter}{order}", select.join(", "));
    let path = dir.join("sql-source.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    w.write_record(&columns).map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    let cursor_at = spec.cursor.as_ref().and_then(|c| columns.iter().position(|x| x == c));
    let n = columns.len();
    let (rows, cursor) = match &pool {
        Pool::Pg(p) => copy_rows!(p, &full, n, cursor_at, w, &name, &path),
        Pool::My(p) => copy_rows!(p, &full, n, cursor_at, w, &name, &path),
    };
    w.flush().map_err(|e| Error::io(&path, e))?;
    match pool {
        Pool::Pg(p) => p.close().await,
        Pool::My(p) => p.close().await,
    }
    Ok(Got { path, rows, cursor })
}
