//! Console accounts and sessions in the store.

use super::{Result, Store};

/// A console account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub name: String,
    /// `steward`, `analyst`, `operator` or `auditor`.
    pub role: String,
    pub password_hash: String,
    #[sqlx(try_from = "super::TsText")]
    pub created_at: String,
    #[sqlx(try_from = "super::OptTs")]
    pub disabled_at: Option<String>,
}

/// A signed-in session with its account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_name: String,
    pub role: String,
    pub csrf: String,
    #[sqlx(try_from = "super::TsText")]
    pub seen_at: String,
    #[sqlx(try_from = "super::TsText")]
    pub expires_at: String,
}

impl Store {
    /// Adds an account, or replaces the role and password of an existing one (enabling it).
    pub(crate) async fn put_user(&self, name: &str, role: &str, password_hash: &str) -> Result<()> {
        super::on_db!(self, |pool| {
            sqlx::query(
            "INSERT INTO console_users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, disabled_at = NULL",
        )
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .bind(super::Ts::now())
        .execute(pool)
        .await.map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// An account by name.
    pub(crate) async fn user(&self, name: &str) -> Result<Option<UserRow>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT name, role, password_hash, created_at, disabled_at FROM console_users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(pool)
        .await)?)
    }

    /// Every account.
    pub async fn users(&self) -> Result<Vec<UserRow>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT name, role, password_hash, created_at, disabled_at FROM console_users ORDER BY name"
        )
        .fetch_all(pool)
        .await)?)
    }

    /// Disables an account and ends its sessions; false when there is no such enabled account.
    pub(crate) async fn disable_user(&self, name: &str) -> Result<bool> {
        let done = super::on_db!(self, |pool| async {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE console_users SET disabled_at = $1 WHERE name = $2 AND disabled_at IS NULL")
                .bind(super::Ts::now())
                .bind(name)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM console_sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, super::Error>(done.rows_affected())
        }
        .await)?;
        Ok(done == 1)
    }

    /// Records a new session.
    pub(crate) async fn add_session(&self, id_hash: &str, user: &str, csrf: &str, expires_at: &str) -> Result<()> {
        let now = super::Ts::now();
        super::on_db!(self, |pool| {
            sqlx::query(
            "INSERT INTO console_sessions (id_hash, user_name, csrf, created_at, seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(id_hash)
        .bind(user)
        .bind(csrf)
        .bind(now)
        .bind(super::ts(expires_at)?)
        .execute(pool)
        .await.map(|d| d.rows_affected())
        })?;
        Ok(())
    }

    /// A session of an enabled account, by its hashed id.
    pub(crate) async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        Ok(super::on_db!(self, |pool| sqlx::query_as(
            "SELECT s.user_name, u.role, s.csrf, s.seen_at, s.expires_at FROM console_sessions s \
             JOIN console_users u ON u.name = s.user_name WHERE s.id_hash = $1 AND u.disabled_at IS NULL",
        )
        .bind(id_hash)
        .fetch_optional(pool)
        .await)?)
    }

    /// Notes that a session was used now.
    pub(crate) async fn touch_session(&self, id_hash: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query("UPDATE console_sessions SET seen_at = $1 WHERE id_hash = $2")
            .bind(super::Ts::now())
            .bind(id_hash)
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(())
    }

    /// Ends a session.
    pub(crate) async fn end_session(&self, id_hash: &str) -> Result<()> {
        super::on_db!(self, |pool| sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(pool)
            .await
            .map(|d| d.rows_affected()))?;
        Ok(())
    }
}
