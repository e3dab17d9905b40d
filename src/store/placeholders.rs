//! Statement parameters: numbered placeholders of each engine.

use super::Backend;

/// Placeholder number `n` (1-based): `$n` for PostgreSQL, `?` for SQLite (SQLite looks numbered
/// parameters up by name, which is quadratic in the number of parameters of a statement).
pub(crate) fn ph(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".into(),
        Backend::Postgres => format!("${n}"),
    }
}

/// `(p1, p2), (p3, p4), …` for `rows` rows of `cols` values, numbered from `start + 1`.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, cols: usize, start: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&ph(backend, start + r * cols + c + 1));
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn placeholders_are_numbered_row_by_row() {
        assert_eq!(super::values_placeholders(Backend::Postgres, 2, 2, 1), "($2, $3), ($4, $5)");
        assert_eq!(super::values_placeholders(Backend::Sqlite, 1, 2, 0), "(?, ?)");
    }
}
