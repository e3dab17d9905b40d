//! Consumer access in the store: agencies, clients, grants, tokens, last pulls.

use super::{Result, Store};
use serde::Serialize;

/// An API client of an agency.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub agency: String,
    #[serde(skip)]
    pub secret_hash: String,
    #[sqlx(try_from = "super::TsText")]
    pub created_at: String,
    #[sqlx(try_from = "super::OptTs")]
    pub revoked_at: Option<String>,
}

/// A grant of one scope on one dataset (or catalog) to one client.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub dataset: String,
    /// `snapshot`, `changes`, `lookup` or `reports`.
    pub scope: String,
    /// JSON array of the fields granted, or null for all.
    #[sqlx(try_from = "super::OptDoc")]
    pub fields: Option<String>,
    /// Last day the grant is valid (`yyyy-mm-dd`), or null.
    pub until: Option<String>,
    /// Legal basis (the law, decree or decision that allows the sharing).
    pub basis: String,
    /// What the receiving agency uses the data for (required on personal fields).
    pub purpose: String,
    /// 1 when the grant explicitly covers sensitive personal fields.
    pub sensitive: i64,
    /// JSON object `{field: last4|initials|year|pseudonym}`: how fields are delivered, or null.
    #[sqlx(try_from = "super::OptDoc")]
    pub protect: Option<String>,
    #[sqlx(try_from = "super::TsText")]
    pub created_at: String,
    #[sqlx(try_from = "super::OptTs")]
    pub revoked_at: Option<String>,
}

/// A grant on a dataset with its client's agency and last pull (see [`Store::dataset_grants`]).
pub type DatasetGrant = (String, String, String, Option<String>, Option<String>, String, Option<i64>, Option<String>);

/// The columns of a [`GrantRow`], in its order.
const GRANT_COLUMNS: &str =
    "id, client_id, dataset, scope, fields, until, basis, purpose, sensitive, protect, created_at, revoked_at";

/// Raises the access generation (in the transaction of the change).
const BUMP: &str = "UPDATE access_generation SET n = n + 1 WHERE id = 1";

impl Store {
    /// Adds an agency.
    pub(crate) async fn add_agency(&self, code: &str, name: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query("INSERT INTO agencies (code, name, created_at) VALUES ($1, $2, $3)")
            .bind(code)
            .bind(name)
            .bind(super::Ts::now())
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// The agency's name, if it exists.
    pub(crate) async fn agency(&self, code: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            super::on_db!(self, |pool| sqlx::query_as("SELECT name FROM agencies WHERE code = $1")
                .bind(code)
                .fetch_optional(pool)
                .await)?;
        Ok(row.map(|(n,)| n))
    }

    /// Adds a client with its hashed secret.
    pub(crate) async fn add_client(&self, id: &str, agency: &str, secret_hash: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query(
            "INSERT INTO clients (id, agency, secret_hash, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(id)
        .bind(agency)
        .bind(secret_hash)
        .bind(super::Ts::now())
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// A client by id.
    pub async fn client(&self, id: &str) -> Result<Option<ClientRow>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT id, agency, secret_hash, created_at, revoked_at FROM clients WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?)
    }

    /// Revokes a client and its tokens; false when there is no such active client.
    pub async fn revoke_client(&self, id: &str) -> Result<bool> {
        let done = super::on_db!(self, |pool| async {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(super::Ts::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM tokens WHERE client_id = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query(BUMP).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, super::Error>(done.rows_affected())
        }
        .await)?;
        Ok(done == 1)
    }

    /// Adds a grant.
    pub(crate) async fn add_grant(&self, g: &GrantRow) -> Result<()> {
        super::on_db!(self, |pool| {
            async {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO grants (id, client_id, dataset, scope, fields, until, basis, purpose, sensitive, protect, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&g.id).bind(&g.client_id).bind(&g.dataset).bind(&g.scope).bind(super::doc(&g.fields)).bind(&g.until).bind(&g.basis)
            .bind(&g.purpose).bind(g.sensitive).bind(super::doc(&g.protect)).bind(super::ts(&g.created_at)?)
            .execute(&mut *tx)
            .await?;
            sqlx::query(BUMP).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, super::Error>(())
        }.await
        })?;
        Ok(())
    }

    /// Grants of a client not revoked and not expired on `today`.
    pub async fn active_grants(&self, client_id: &str, today: &str) -> Result<Vec<GrantRow>> {
        let q = format!(
            "SELECT {GRANT_COLUMNS} FROM grants \
             WHERE client_id = $1 AND revoked_at IS NULL AND (until IS NULL OR until >= $2) ORDER BY dataset, scope"
        );
        Ok(super::on_db!(self, |pool| sqlx::query_as(&q).bind(client_id).bind(today).fetch_all(pool).await)?)
    }

    /// Revokes a grant; false when there is no such active grant.
    pub(crate) async fn revoke_grant(&self, id: &str) -> Result<bool> {
        let done = super::on_db!(self, |pool| async {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(super::Ts::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(BUMP).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, super::Error>(done.rows_affected())
        }
        .await)?;
        Ok(done == 1)
    }

    /// The access generation: raised by every change to grants and clients.
    pub(crate) async fn access_generation(&self) -> Result<i64> {
        let n: Option<i64> =
            super::on_db!(self, |pool| sqlx::query_scalar("SELECT n FROM access_generation WHERE id = 1")
                .fetch_optional(pool)
                .await)?;
        Ok(n.unwrap_or(0))
    }

    /// A grant by id.
    pub(crate) async fn grant(&self, id: &str) -> Result<Option<GrantRow>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(&format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Every agency: (code, name), by code.
    pub async fn agencies(&self) -> Result<Vec<(String, String)>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as("SELECT code, name FROM agencies ORDER BY code")
            .fetch_all(pool)
            .await)?)
    }

    /// The clients of an agency, revoked ones included.
    pub async fn clients_of(&self, agency: &str) -> Result<Vec<ClientRow>> {
        Ok(super::on_db!(self, |pool| {
            sqlx::query_as("SELECT id, agency, secret_hash, created_at, revoked_at FROM clients WHERE agency = $1 ORDER BY created_at, id")
            .bind(agency).fetch_all(pool).await
        })?)
    }

    /// Stores a token (by its hash).
    pub(crate) async fn add_token(&self, token_hash: &str, client_id: &str, expires_at: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query(
            "INSERT INTO tokens (token_hash, client_id, expires_at, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(token_hash)
        .bind(client_id)
        .bind(super::ts(expires_at)?)
        .bind(super::Ts::now())
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// The active client holding a token: (client id, agency, expiry), in one query.
    pub(crate) async fn token_client(&self, token_hash: &str) -> Result<Option<(String, String, String)>> {
        let row: Option<(String, String, super::TsText)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT c.id, c.agency, t.expires_at FROM tokens t JOIN clients c ON c.id = t.client_id \
             WHERE t.token_hash = $1 AND c.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(id, agency, expires)| (id, agency, expires.0)))
    }

    /// Who may read a dataset and how far they read it: each active grant's client, agency,
    /// scope, fields (JSON, null for all), last day and basis, with the last version the client
    /// received whole and when.
    pub async fn dataset_grants(&self, dataset: &str, today: &str) -> Result<Vec<DatasetGrant>> {
        type Row = (String, String, String, super::OptDoc, Option<String>, String, Option<i64>, super::OptTs);
        let rows: Vec<Row> = super::on_db!(self, |pool| {
            sqlx::query_as(
            "SELECT g.client_id, c.agency, g.scope, g.fields, g.until, g.basis, p.version, p.pulled_at FROM grants g \
             JOIN clients c ON c.id = g.client_id \
             LEFT JOIN client_pulls p ON p.client_id = g.client_id AND p.dataset = g.dataset \
             WHERE g.dataset = $1 AND g.revoked_at IS NULL AND c.revoked_at IS NULL AND (g.until IS NULL OR g.until >= $2) \
             ORDER BY c.agency, g.client_id, g.scope",
        )
        .bind(dataset)
        .bind(today)
        .fetch_all(pool)
        .await
        })?;
        Ok(rows.into_iter().map(|(c, a, s, f, u, b, v, at)| (c, a, s, f.into(), u, b, v, at.into())).collect())
    }

    /// Remembers the last version a client pulled of a dataset.
    pub(crate) async fn record_pull(&self, client_id: &str, dataset: &str, version: i64) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query(
            "INSERT INTO client_pulls (client_id, dataset, version, pulled_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (client_id, dataset) DO UPDATE SET version = excluded.version, pulled_at = excluded.pulled_at",
        )
        .bind(client_id)
        .bind(dataset)
        .bind(version)
        .bind(super::Ts::now())
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// The last version a client pulled of a dataset.
    pub(crate) async fn last_pull(&self, client_id: &str, dataset: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT version FROM client_pulls WHERE client_id = $1 AND dataset = $2"
        )
        .bind(client_id)
        .bind(dataset)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(v,)| v))
    }

    /// The newest pulls of whole versions: (agency, client, dataset, version, when), newest first.
    pub async fn latest_pulls(&self, limit: i64) -> Result<Vec<(String, String, String, i64, String)>> {
        let rows: Vec<(String, String, String, i64, super::TsText)> = super::on_db!(self, |pool| sqlx::query_as(
            "SELECT c.agency, p.client_id, p.dataset, p.version, p.pulled_at FROM client_pulls p \
             JOIN clients c ON c.id = p.client_id ORDER BY p.pulled_at DESC, p.client_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(|(a, c, d, v, at)| (a, c, d, v, at.0)).collect())
    }
}
