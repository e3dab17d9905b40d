//! Who may pull what: agencies, their API clients (secrets stored as Argon2 hashes), grants per
//! dataset and scope (deny by default), and short-lived bearer tokens (stored as sha256).

use crate::store::{ClientRow, GrantRow, Store};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;

mod grant;

pub use grant::{add_grant, parse_protect, GrantRequest};

/// Errors of access management.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The agency code is malformed.
    #[error("'{0}' is not an agency code of the form AAA.BB.CC.XNN (e.g. 000.00.12.H48)")]
    AgencyCode(String),
    /// No such agency.
    #[error("agency '{0}' does not exist: add it with `lgsp agency add`")]
    NoAgency(String),
    /// The agency exists already.
    #[error("agency '{0}' exists already")]
    AgencyExists(String),
    /// No such active client.
    #[error("client '{0}' does not exist or is revoked")]
    NoClient(String),
    /// A grant argument is wrong.
    #[error("{0}")]
    Grant(String),
    /// Hashing failed.
    #[error("secret hashing: {0}")]
    Hash(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Scopes a grant can give.
pub(crate) const SCOPES: &[&str] = &["snapshot", "changes", "lookup", "reports", "admin"];

/// The dataset name of an `admin` grant: administration of agencies, clients and grants.
pub const ADMIN_DATASET: &str = "*";

/// Whether `grants` hold the admin credential.
pub(crate) fn is_admin(grants: &[GrantRow]) -> bool {
    find_grant(grants, ADMIN_DATASET, "admin").is_some()
}

pub(crate) fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// sha256 of a bearer token, as stored.
pub(crate) fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// Adds an agency after checking its code.
pub async fn add_agency(store: &Store, code: &str, name: &str) -> Result<()> {
    if !crate::ident::is_agency_code(code) {
        return Err(Error::AgencyCode(code.into()));
    }
    if name.trim().is_empty() {
        return Err(Error::Grant("give the agency's name".into()));
    }
    if store.agency(code).await?.is_some() {
        return Err(Error::AgencyExists(code.into()));
    }
    Ok(store.add_agency(code, name).await?)
}

/// Creates a client for `agency`; returns (client id, secret). The secret is shown only here.
pub async fn create_client(store: &Store, agency: &str) -> Result<(String, String)> {
    if store.agency(agency).await?.is_none() {
        return Err(Error::NoAgency(agency.into()));
    }
    let id = format!("c-{}", &random_token(9).to_lowercase().replace(['-', '_'], "x"));
    let secret = random_token(32);
    let hash = hash_secret(&secret)?;
    store.add_client(&id, agency, &hash).await?;
    Ok((id, secret))
}

/// A new random password for a console account (shown once).
pub fn new_password() -> String {
    random_token(18)
}

/// The Argon2 hash (PHC string, random salt) a secret is stored as.
pub(crate) fn hash_secret(secret: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(Argon2::default().hash_password(secret.as_bytes(), &salt).map_err(|e| Error::Hash(e.to_string()))?.to_string())
}

/// Argon2 verifications running at once: one per core, on the blocking pool, so that a burst of
/// token requests cannot starve the threads that serve data.
static VERIFYING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
});

/// A hash of a random secret, verified against when the client is unknown, so that an unknown
/// id costs the same time as a wrong secret (no enumeration of client ids by timing).
static DUMMY_HASH: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default().hash_password(random_token(32).as_bytes(), &salt).ok().map(|h| h.to_string())
});

/// Verifies `secret` against the stored hash on the blocking pool (bounded by [`VERIFYING`]).
pub(crate) async fn verify_secret(hash: Option<String>, secret: &str) -> Result<bool> {
    let _permit = VERIFYING.acquire().await.map_err(|e| Error::Hash(e.to_string()))?;
    let secret = secret.to_string();
    let verified = tokio::task::spawn_blocking(move || {
        let hash = hash.or_else(|| DUMMY_HASH.clone());
        hash.is_some_and(|h| {
            PasswordHash::new(&h).is_ok_and(|h| Argon2::default().verify_password(secret.as_bytes(), &h).is_ok())
        })
    });
    verified.await.map_err(|e| Error::Hash(e.to_string()))
}

/// The active client whose id and secret match, if any. Unknown, revoked and wrong secrets
/// take the same work.
pub(crate) async fn authenticate(store: &Store, id: &str, secret: &str) -> Result<Option<ClientRow>> {
    let client = store.client(id).await?;
    let ok = verify_secret(client.as_ref().map(|c| c.secret_hash.clone()), secret).await?;
    Ok(client.filter(|c| ok && c.revoked_at.is_none()))
}

/// Issues a bearer token valid for `ttl_seconds`; returns the token (only its hash is stored).
pub(crate) async fn issue_token(store: &Store, client_id: &str, ttl_seconds: i64) -> Result<String> {
    Ok(issue_token_until(store, client_id, ttl_seconds).await?.0)
}

/// Issues a bearer token to a client for `ttl_seconds`; returns it (shown once, stored hashed)
/// and when it expires (RFC 3339).
pub async fn issue_token_until(store: &Store, client_id: &str, ttl_seconds: i64) -> Result<(String, String)> {
    let token = random_token(32);
    let expires = (chrono::Utc::now() + chrono::Duration::seconds(ttl_seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    store.add_token(&token_hash(&token), client_id, &expires).await?;
    Ok((token, expires))
}

/// The grant of `scope` on `dataset` among `grants`, if any (deny by default).
pub(crate) fn find_grant<'a>(grants: &'a [GrantRow], dataset: &str, scope: &str) -> Option<&'a GrantRow> {
    grants.iter().find(|g| g.dataset == dataset && g.scope == scope)
}

/// Fields a grant allows (`None`: all).
pub(crate) fn granted_fields(g: &GrantRow) -> Option<Vec<String>> {
    g.fields.as_deref().and_then(|f| serde_json::from_str(f).ok())
}

/// How a grant delivers its fields (none: every field as is).
pub fn protections(g: &GrantRow) -> crate::protect::Protections {
    g.protect.as_deref().and_then(|p| serde_json::from_str(p).ok()).unwrap_or_default()
}

/// What a caller's grants on one dataset show of it: the union of their fields (`None`: every
/// field) and how each field is delivered.
pub(crate) struct View {
    pub(crate) fields: Option<Vec<String>>,
    pub(crate) protect: crate::protect::Protections,
}

impl View {
    /// Whether the view shows field `name`.
    pub(crate) fn shows(&self, name: &str) -> bool {
        self.fields.as_ref().is_none_or(|f| f.iter().any(|x| x == name))
    }
}

/// The view `grants` give of `dataset`, or `None` without any grant on it (deny by default).
pub(crate) fn view(grants: &[GrantRow], dataset: &str) -> Option<View> {
    let on: Vec<&GrantRow> = grants.iter().filter(|g| g.dataset == dataset).collect();
    if on.is_empty() {
        return None;
    }
    // A grant without a field list shows every field.
    let fields = on.iter().map(|g| granted_fields(g)).try_fold(Vec::new(), |mut acc, f| {
        acc.extend(f?);
        Some(acc)
    });
    Some(View { fields, protect: on.iter().flat_map(|g| protections(g)).collect() })
}
