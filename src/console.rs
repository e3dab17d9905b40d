//! The web console's people: local accounts with one role each (Argon2 password hashes), and
//! their sessions (a random id in an HttpOnly cookie, stored hashed, with a CSRF token; ended
//! after [`IDLE`] without use or [`LIFETIME`] after sign-in). What each role may open is
//! [`Role::may`]; the pages themselves are `http::console`.

use crate::store::Store;

pub mod sso;

/// Errors of console accounts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Access(#[from] crate::access::Error),
    /// Not one of the four roles.
    #[error("role '{0}' is not one of steward, analyst, operator, auditor")]
    Role(String),
    /// A name the console cannot show or a cookie cannot carry.
    #[error("user name '{0}': use 2 to 64 letters, digits, '.', '-', '_' or '@'")]
    Name(String),
    /// Too short to resist guessing.
    #[error("the password is {0} characters: use at least 12")]
    Password(usize),
}

/// Result type of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// How long a session lasts without use.
pub const IDLE: chrono::Duration = chrono::Duration::minutes(30);
/// How long a session lasts at most.
pub const LIFETIME: chrono::Duration = chrono::Duration::hours(12);

/// What a person does in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Looks after pipelines, runs, quarantine and matching.
    Steward,
    /// Reads datasets and reports.
    Analyst,
    /// Manages agencies, clients and grants.
    Operator,
    /// Reads the audit log and verifies it.
    Auditor,
}

/// The console's areas, each open to some roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Datasets, runs and freshness at a glance: everyone.
    Overview,
    /// Versions, quarantine, snapshots: stewards and analysts.
    Datasets,
    /// The matching review queue: stewards.
    Review,
    /// The history of runs: stewards.
    Runs,
    /// Agencies, clients, grants: operators.
    Access,
    /// The audit log: auditors.
    Audit,
    /// The monthly and quarterly reports: analysts.
    Reports,
}

impl Role {
    /// The role named `s`.
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "steward" => Ok(Role::Steward),
            "analyst" => Ok(Role::Analyst),
            "operator" => Ok(Role::Operator),
            "auditor" => Ok(Role::Auditor),
            other => Err(Error::Role(other.into())),
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Steward => "steward",
            Role::Analyst => "analyst",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// Whether the role may open `area` (deny by default).
    pub fn may(self, area: Area) -> bool {
        matches!(
            (self, area),
            (_, Area::Overview)
                | (Role::Steward | Role::Analyst, Area::Datasets)
                | (Role::Steward, Area::Review | Area::Runs)
                | (Role::Operator, Area::Access)
                | (Role::Auditor, Area::Audit)
                | (Role::Analyst, Area::Reports)
        )
    }
}

fn valid_name(name: &str) -> bool {
    (2..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

/// Adds an account (or sets the role and password of an existing one).
pub async fn add_user(store: &Store, name: &str, role: Role, password: &str) -> Result<()> {
    if !valid_name(name) {
        return Err(Error::Name(name.into()));
    }
    let n = password.chars().count();
    if n < 12 {
        return Err(Error::Password(n));
    }
    let hash = crate::access::hash_secret(password)?;
    store.put_user(name, role.as_str(), &hash).await?;
    Ok(())
}

/// The password hash of an account that signs in only through single sign-on: no password
/// matches it.
const SSO_ONLY: &str = "!sso";

/// Adds an account that signs in only through single sign-on (or makes an existing one so).
pub async fn add_sso_user(store: &Store, name: &str, role: Role) -> Result<()> {
    if !valid_name(name) {
        return Err(Error::Name(name.into()));
    }
    store.put_user(name, role.as_str(), SSO_ONLY).await?;
    Ok(())
}

/// Disables an account and ends its sessions.
pub async fn disable_user(store: &Store, name: &str) -> Result<bool> {
    Ok(store.disable_user(name).await?)
}

/// The role of the enabled account whose name and password match (unknown names cost the same
/// work as wrong passwords).
pub async fn authenticate(store: &Store, name: &str, password: &str) -> Result<Option<Role>> {
    let user = store.user(name).await?;
    let ok = crate::access::verify_secret(user.as_ref().map(|u| u.password_hash.clone()), password).await?;
    Ok(user.filter(|u| ok && u.disabled_at.is_none()).and_then(|u| Role::parse(&u.role).ok()))
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    /// The token every form of the session carries.
    pub csrf: String,
}

/// Starts a session; returns its id (for the cookie, shown only now) and the session.
pub async fn sign_in(store: &Store, user: &str, role: Role) -> Result<(String, Session)> {
    let id = crate::access::random_token(32);
    let csrf = crate::access::random_token(24);
    let ends = (chrono::Utc::now() + LIFETIME).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    store.add_session(&crate::access::token_hash(&id), user, &csrf, &ends).await?;
    Ok((id, Session { user: user.into(), role, csrf }))
}

/// The live session of cookie id `id`, noting its use; none when unknown, ended, idle too long
/// or its account disabled.
pub async fn session(store: &Store, id: &str) -> Result<Option<Session>> {
    let hash = crate::access::token_hash(id);
    let Some(row) = store.session(&hash).await? else { return Ok(None) };
    let now = chrono::Utc::now();
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&chrono::Utc)).ok();
    let live = at(&row.expires_at).is_some_and(|e| now < e) && at(&row.seen_at).is_some_and(|s| now - s < IDLE);
    if !live {
        store.end_session(&hash).await?;
        return Ok(None);
    }
    store.touch_session(&hash).await?;
    Ok(Role::parse(&row.role).ok().map(|role| Session { user: row.user_name, role, csrf: row.csrf }))
}

/// Ends the session of cookie id `id`.
pub async fn sign_out(store: &Store, id: &str) -> Result<()> {
    Ok(store.end_session(&crate::access::token_hash(id)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_opens_the_overview_and_its_own_areas_only() {
        use Area::*;
        let all = [Overview, Datasets, Review, Runs, Access, Audit];
        let open = |r: Role| all.into_iter().filter(|a| r.may(*a)).collect::<Vec<_>>();
        assert_eq!(open(Role::Steward), [Overview, Datasets, Review, Runs]);
        assert_eq!(open(Role::Analyst), [Overview, Datasets]);
        assert_eq!(open(Role::Operator), [Overview, Access]);
        assert_eq!(open(Role::Auditor), [Overview, Audit]);
        assert!(Role::parse("admin").is_err());
    }

    #[test]
    fn names_are_plain() {
        assert!(valid_name("lan.nguyen@stp"));
        assert!(!valid_name("a"));
        assert!(!valid_name("x y"));
        assert!(!valid_name("<b>"));
    }
}
