//! A dataset's first load on PostgreSQL. `records` is partitioned by dataset; a first load
//! creates the dataset's partition-to-be in the publication's transaction, copies the records
//! into it without an index (`COPY … FREEZE`: the rows are written frozen, as the table is the
//! transaction's own), builds its primary key once from all the rows instead of inserting every
//! key into it, and attaches it as the dataset's partition. The records appear with the version
//! and not before; a load that stops rolls the table back with the rest.

use super::Result;
use sqlx::postgres::Postgres;
use sqlx::Transaction;

/// Memory for the sort that builds the primary key of a first load (the server's default,
/// 64 MB, sorts a million keys partly on disk: 0.77 s against 0.51 s).
const INDEX_SORT_MEMORY: &str = "256MB";

/// Gives every dataset without one its partition of `records`, named as [`partition_of`] names
/// them (a restore, before it copies the records in: else they would all go to `records_default`,
/// which the next first load's attach then scans).
pub(crate) const PARTITION_EVERY_DATASET: &str = "DO $$ DECLARE d TEXT; BEGIN \
    FOR d IN SELECT name FROM datasets LOOP \
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF records FOR VALUES IN (%L)', \
                       'records_' || left(encode(sha256(convert_to(d, 'UTF8')), 'hex'), 16), d); \
    END LOOP; END $$";

/// A first load in progress: the dataset's table, filled in the publication's transaction.
pub(super) struct Staged {
    table: String,
    /// The statement that copies a chunk into the table.
    copy: String,
}

/// The name of `dataset`'s partition of `records` (as migration 0024 names them).
pub(super) fn partition_of(dataset: &str) -> String {
    format!("records_{}", &crate::digest::sha256_hex(dataset.as_bytes())[..16])
}

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Staged {
    /// Starts the first load of `dataset` in `tx` if it can have one: it has no records and no
    /// table of that name (a table of that name that is not its partition is left alone, with a
    /// warning, and the load goes through `records`).
    pub(super) async fn start(tx: &mut Transaction<'static, Postgres>, dataset: &str) -> Result<Option<Staged>> {
        let table = partition_of(dataset);
        let (exists, has_records): (bool, bool) =
            sqlx::query_as("SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM records WHERE dataset = $2)")
                .bind(&table)
                .bind(dataset)
                .fetch_one(&mut **tx)
                .await?;
        if has_records {
            return Ok(None);
        }
        if exists {
            tracing::warn!(%dataset, %table, "a table has the name of the dataset's partition: loading through records");
            return Ok(None);
        }
        sqlx::query(&format!(
            "CREATE TABLE {table} (LIKE records, CONSTRAINT {table}_dataset CHECK (dataset = {}))",
            literal(dataset)
        ))
        .execute(&mut **tx)
        .await?;
        let copy = format!(
            "COPY {table} (dataset, record_key, row_hash, data, valid_from) FROM STDIN (FORMAT binary, FREEZE)"
        );
        Ok(Some(Staged { table, copy }))
    }

    /// Copies one chunk's binary COPY data in.
    pub(super) async fn send(&self, tx: &mut Transaction<'static, Postgres>, data: Vec<u8>) -> Result<()> {
        let mut sink = tx.copy_in_raw(&self.copy).await?;
        sink.send(data).await?;
        sink.finish().await?;
        Ok(())
    }

    /// Builds the primary key and attaches the table as `dataset`'s partition (visible when `tx`
    /// commits).
    pub(super) async fn finish(self, tx: &mut Transaction<'static, Postgres>, dataset: &str) -> Result<()> {
        let table = &self.table;
        sqlx::query(&format!("SET LOCAL maintenance_work_mem = '{INDEX_SORT_MEMORY}'")).execute(&mut **tx).await?;
        sqlx::query(&format!("ALTER TABLE {table} ADD PRIMARY KEY (dataset, record_key, valid_from)"))
            .execute(&mut **tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE records ATTACH PARTITION {table} FOR VALUES IN ({})", literal(dataset)))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn partitions_are_named_by_the_dataset_names_digest() {
        // The first 16 hex digits of sha256("enterprises"), as PostgreSQL's sha256() gives them.
        assert_eq!(super::partition_of("enterprises"), "records_1a978a0886d5e162");
        assert_eq!(super::literal("o'k"), "'o''k'");
    }
}
