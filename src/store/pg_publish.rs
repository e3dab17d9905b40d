//! A version's publication on PostgreSQL: one transaction on a native PostgreSQL connection,
//! in which closed records are marked with one statement per chunk and new record versions are
//! streamed with `COPY records … FROM STDIN (FORMAT binary)`, without a parameter or a JSON
//! value per row. A dataset's first load fills its partition of its own instead (`pg_stage`).

use super::pg_stage::Staged;
use super::publish_tx::{
    insert_version_sql, sql_count, PublishTx, CURRENT_VERSION_OF, MOVE_DATASET, UPSERT_DATASET, UPSERT_LAYOUT,
};
use super::record_changes::{hash_text, ChangeChunks, ChangeKind, RecordChanges};
use super::{Error, Result};
use sqlx::postgres::{PgPool, Postgres};
use sqlx::Transaction;

/// The signature, flags and header extension that open binary COPY data.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// A publication in progress on PostgreSQL (dropping it rolls back).
pub(super) struct PgPublish {
    tx: Transaction<'static, Postgres>,
    p: Box<PublishTx>,
    /// A first load's table, filled in `tx` (none for a later version).
    staged: Option<Staged>,
}

impl PgPublish {
    /// Opens the transaction and moves the dataset to the new version (`Conflict` when it is no
    /// longer at the version before).
    pub(super) async fn begin(pool: &PgPool, p: &PublishTx) -> Result<PgPublish> {
        let mut tx = pool.begin().await?;
        let now = super::Ts::now();
        sqlx::query(UPSERT_DATASET)
            .bind(&p.dataset)
            .bind(&p.pipeline)
            .bind(&p.owner)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.key_fields)
            .bind(&p.schema_json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let moved = sqlx::query(MOVE_DATASET)
            .bind(p.version)
            .bind(&p.pipeline)
            .bind(&p.owner)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.key_fields)
            .bind(&p.schema_json)
            .bind(now)
            .bind(&p.dataset)
            .bind(p.version - 1)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            let (found,): (i64,) = sqlx::query_as(CURRENT_VERSION_OF).bind(&p.dataset).fetch_one(&mut *tx).await?;
            return Err(Error::Conflict { dataset: p.dataset.clone(), expected: p.version, found });
        }
        let staged = match p.version {
            1 => Staged::start(&mut tx, &p.dataset).await?,
            _ => None,
        };
        Ok(PgPublish { tx, p: Box::new(p.clone()), staged })
    }

    /// Applies record changes: closes the current versions of updated and deleted keys, then
    /// copies the new versions of inserted and updated keys in (a first load: into the dataset's
    /// partition to be, attached at the end).
    pub(super) async fn apply(&mut self, changes: ChangeChunks<'static>) -> Result<()> {
        for chunk in changes {
            let chunk = chunk.map_err(Error::Changes)?;
            match self.staged.as_ref() {
                Some(staged) => {
                    if chunk.iter().any(|c| c.kind != ChangeKind::Insert) {
                        return Err(Error::Changes("a first load changes a record that is not there".into()));
                    }
                    if let Some(data) = copy_data(&self.p, &chunk) {
                        staged.send(&mut self.tx, data).await?;
                    }
                }
                None => {
                    self.close(&chunk).await?;
                    self.copy_in(&chunk).await?;
                }
            }
        }
        if let Some(staged) = self.staged.take() {
            staged.finish(&mut self.tx, &self.p.dataset).await?;
        }
        Ok(())
    }

    async fn close(&mut self, chunk: &RecordChanges) -> Result<()> {
        let closing: Vec<&str> = chunk.iter().filter(|c| c.kind != ChangeKind::Insert).map(|c| c.key).collect();
        if closing.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE records SET valid_to = $1 WHERE dataset = $2 AND valid_to IS NULL AND record_key = ANY($3)",
        )
        .bind(self.p.version)
        .bind(&self.p.dataset)
        .bind(&closing)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn copy_in(&mut self, chunk: &RecordChanges) -> Result<()> {
        let Some(data) = copy_data(&self.p, chunk) else { return Ok(()) };
        let mut copy = self
            .tx
            .copy_in_raw("COPY records (dataset, record_key, row_hash, data, valid_from) FROM STDIN (FORMAT binary)")
            .await?;
        copy.send(data).await?;
        copy.finish().await?;
        Ok(())
    }

    /// Records the version (with its manifest's checksum) and commits: the version is visible.
    pub(super) async fn commit(mut self, manifest_sha256: &str) -> Result<()> {
        let p = &self.p;
        sqlx::query(&insert_version_sql())
            .bind(&p.dataset)
            .bind(p.version)
            .bind(&p.run_id)
            .bind(super::Ts::now())
            .bind(&p.input_sha256)
            .bind(sql_count(p.counts.rows))
            .bind(sql_count(p.counts.inserted))
            .bind(sql_count(p.counts.updated))
            .bind(sql_count(p.counts.deleted))
            .bind(sql_count(p.counts.rows_quarantined))
            .bind(&p.prefix)
            .bind(manifest_sha256)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(UPSERT_LAYOUT).bind(&p.dataset).bind(p.version).bind(p.layout()).execute(&mut *self.tx).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// The binary COPY data of the new record versions of `chunk` (none when it only deletes).
fn copy_data(p: &PublishTx, chunk: &RecordChanges) -> Option<Vec<u8>> {
    let mut buf = COPY_HEADER.to_vec();
    let mut hash = [0u8; 16];
    let mut rows = 0;
    for c in chunk.iter().filter(|c| c.kind != ChangeKind::Delete) {
        tuple(&mut buf, &p.dataset, c.key, hash_text(c.hash, &mut hash), c.data, p.version);
        rows += 1;
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    (rows > 0).then_some(buf)
}

/// Appends one row of binary COPY data: five fields, each its length and bytes (text as UTF-8,
/// `bigint` as 8 bytes big-endian).
fn tuple(buf: &mut Vec<u8>, dataset: &str, key: &str, hash: &str, data: &str, version: i64) {
    buf.extend_from_slice(&5i16.to_be_bytes());
    for text in [dataset, key, hash, data] {
        buf.extend_from_slice(&(text.len() as i32).to_be_bytes());
        buf.extend_from_slice(text.as_bytes());
    }
    buf.extend_from_slice(&8i32.to_be_bytes());
    buf.extend_from_slice(&version.to_be_bytes());
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tuple_is_its_field_count_then_each_length_and_bytes() {
        let mut buf = Vec::new();
        super::tuple(&mut buf, "d", "k1", "h", "{}", 3);
        let expected: Vec<u8> = [
            &[0, 5][..],
            &[0, 0, 0, 1, b'd'],
            &[0, 0, 0, 2, b'k', b'1'],
            &[0, 0, 0, 1, b'h'],
            &[0, 0, 0, 2, b'{', b'}'],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 3],
        ]
        .concat();
        assert_eq!(buf, expected);
        assert_eq!(super::COPY_HEADER.len(), 19);
    }
}
