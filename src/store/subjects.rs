//! What the store knows about one data subject: the record versions holding a key (the
//! records' history is the index of which versions contain which keys), records whose personal
//! fields hold the value, the master entity linking them, and the audit entries of data served
//! from their datasets.

use super::{AuditRow, Result, Store};

/// One stored version of a record: present in versions `valid_from ≤ v < valid_to`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldRow {
    pub dataset: String,
    pub record_key: String,
    pub valid_from: i64,
    pub valid_to: Option<i64>,
}

/// `value` escaped for a `LIKE … ESCAPE '\'` pattern.
fn like_escaped(value: &str) -> String {
    value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Store {
    /// Every version of the record `key` of `dataset`.
    pub(crate) async fn held_by_key(&self, dataset: &str, key: &str) -> Result<Vec<HeldRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT dataset, record_key, valid_from, valid_to FROM records WHERE dataset = $1 AND record_key = $2 ORDER BY valid_from",
        )
        .bind(dataset)
        .bind(key)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Every version of a record of `dataset` holding `value` as a whole JSON string value
    /// (a CCCD number in a field that is not the key); one pass over the dataset's records.
    pub(crate) async fn held_by_value(&self, dataset: &str, value: &str) -> Result<Vec<HeldRow>> {
        let pattern = format!("%\"{}\"%", like_escaped(value));
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT dataset, record_key, valid_from, valid_to FROM records WHERE dataset = $1 AND data LIKE $2 ESCAPE '\\' ORDER BY record_key, valid_from",
        )
        .bind(dataset)
        .bind(pattern)
        .fetch_all(pool)
        .await
        })?)
    }

    /// The master ids whose entity holds `key` as a master id or as a source record's key.
    pub(crate) async fn masters_of(&self, key: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT DISTINCT master_id FROM entity_xref WHERE master_id = $1 OR source_key = $2 ORDER BY master_id",
        )
        .bind(key)
        .bind(key)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(|(m,)| m).collect())
    }

    /// The source records (source, key) of a master id.
    pub(crate) async fn members_of(&self, master_id: &str) -> Result<Vec<(String, String)>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT source, source_key FROM entity_xref WHERE master_id = $1 ORDER BY source, source_key",
        )
        .bind(master_id)
        .fetch_all(pool)
        .await)?)
    }

    /// The data requests of `dataset` that sent data (whole or a range): snapshots and change
    /// sets, and lookups whose action is one of `lookups`; with their deliveries, in log order.
    pub(crate) async fn served_from(&self, dataset: &str, lookups: &[String]) -> Result<Vec<AuditRow>> {
        let named: Vec<String> = (0..lookups.len()).map(|i| format!("${}", i + 2)).collect();
        let looked_up = match named.is_empty() {
            true => String::new(),
            false => format!(" OR action IN ({})", named.join(", ")),
        };
        let q = format!(
            "SELECT {} FROM audit_log WHERE dataset = $1 AND (kind = 'delivery' OR (kind = 'request' AND status IN (200, 206) \
             AND (action LIKE '%/snapshot' OR action LIKE '%/changes'{looked_up}))) ORDER BY seq",
            super::audit::COLUMNS
        );
        Ok(super::on_db!(self, |pool| {
            let mut query = sqlx::query_as(&q).bind(dataset);
            for l in lookups {
                query = query.bind(l);
            }
            query.fetch_all(pool).await
        })?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_match_only_the_value() {
        assert_eq!(super::like_escaped("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}
