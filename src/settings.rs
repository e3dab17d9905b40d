//! Runtime settings: embedded defaults, then `lgsp.toml`, then `LGSP_*` environment variables.

use serde::Deserialize;
use std::path::{Path, PathBuf};

pub mod sso;

/// Errors raised while loading settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings file exists but cannot be read.
    #[error("cannot read settings file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The settings file is not valid TOML or has unknown keys.
    #[error("settings file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// An environment variable holds a value of the wrong kind.
    #[error("environment variable {name}='{value}' is not a whole number: {what}")]
    Env { name: &'static str, value: String, what: &'static str },
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// How the hub is wired: where the master store and the published files live.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Master-data store: `sqlite://PATH` (default `sqlite://data/hub.db`) or `postgres://...`.
    /// Env: `LGSP_STORE_URL`.
    pub store_url: String,
    /// Where published versions are written: a local folder (default `data/store`), `file:///abs/path`,
    /// or `s3://bucket/prefix` (S3-compatible; credentials and endpoint from the usual `AWS_*`
    /// variables). Env: `LGSP_OBJECT_STORE_URL`.
    pub object_store_url: String,
    /// Folder of pipeline files (`*.toml`). Env: `LGSP_PIPELINES_DIR`.
    pub pipelines_dir: PathBuf,
    /// Folder of catalog files and their data. Env: `LGSP_CATALOGS_DIR`.
    pub catalogs_dir: PathBuf,
    /// API calls one client may make per minute before getting 429 (default 6000).
    /// Env: `LGSP_API_REQUESTS_PER_MINUTE`.
    pub api_requests_per_minute: u32,
    /// Seconds a scheduler instance holds a pipeline's lease without renewing it (default 60);
    /// another instance takes over that long after a holder dies. Env: `LGSP_LEASE_SECONDS`.
    pub lease_seconds: u64,
    /// Seconds a pipeline run may go without noting that it is alive before it counts as
    /// interrupted (default 30; it notes it three times per lease). Env: `LGSP_RUN_LEASE_SECONDS`.
    pub run_lease_seconds: u64,
    /// Cron (with seconds, Vietnam time) of the scheduled backup; none by default.
    /// Env: `LGSP_BACKUP_SCHEDULE`.
    pub backup_schedule: Option<String>,
    /// Folder or object-store URL under which scheduled backups are written, one sub-folder
    /// per backup (default `data/backups`). Env: `LGSP_BACKUP_TO`.
    pub backup_to: String,
    /// Scheduled backups kept; older ones are deleted (default 7). Env: `LGSP_BACKUP_KEEP`.
    pub backup_keep: usize,
    /// File holding the audit log's key (hex), created with a new key while the log is empty
    /// (default `data/audit.key`). Keep it outside the store and apart from its backups. The key
    /// itself may be given instead in `LGSP_AUDIT_KEY`. Env: `LGSP_AUDIT_KEY_FILE`.
    pub audit_key_file: PathBuf,
    /// Seconds between signed checkpoints of the audit log written by `lgsp serve` to the object
    /// store (default 60). Env: `LGSP_AUDIT_CHECKPOINT_SECONDS`.
    pub audit_checkpoint_seconds: u64,
    /// Days a grant covering personal fields lasts when it is given no last day (default 365).
    /// Env: `LGSP_PERSONAL_GRANT_DAYS`.
    pub personal_grant_days: u32,
    /// Seconds after a missed fire time before a scheduled dataset is announced stale to
    /// subscribers (default 3600). Env: `LGSP_STALE_AFTER_SECONDS`.
    pub stale_after_seconds: u64,
    /// The hub's address as consumers reach it (`https://lgsp.example.gov.vn`), written into
    /// Delta Sharing profiles and file links; none by default (links then use the address the
    /// request was sent to). Env: `LGSP_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// Seconds a Delta Sharing file link works (default 900). Env: `LGSP_SHARING_LINK_SECONDS`.
    pub sharing_link_seconds: u64,
    /// NATS server change events are also published to (`nats://127.0.0.1:4222`), on JetStream;
    /// none by default. Env: `LGSP_NATS_URL`.
    pub nats_url: Option<String>,
    /// The JetStream stream that keeps the events (made when missing; default `LGSP_EVENTS`).
    /// Env: `LGSP_NATS_STREAM`.
    pub nats_stream: String,
    /// Events of dataset D go to subject `<prefix>.D` (default `lgsp.events`).
    /// Env: `LGSP_NATS_SUBJECT_PREFIX`.
    pub nats_subject_prefix: String,
    /// Console sign-in through the province's OpenID Connect provider (`[sso]`, or the
    /// `LGSP_SSO_*` variables); none by default.
    pub sso: Option<sso::SsoSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store_url: "sqlite://data/hub.db".into(),
            object_store_url: "data/store".into(),
            pipelines_dir: "pipelines".into(),
            catalogs_dir: "catalogs".into(),
            api_requests_per_minute: 6000,
            lease_seconds: 60,
            run_lease_seconds: 30,
            backup_schedule: None,
            backup_to: "data/backups".into(),
            backup_keep: 7,
            audit_key_file: "data/audit.key".into(),
            audit_checkpoint_seconds: 60,
            personal_grant_days: 365,
            stale_after_seconds: 3600,
            public_url: None,
            sharing_link_seconds: 900,
            nats_url: None,
            nats_stream: "LGSP_EVENTS".into(),
            nats_subject_prefix: "lgsp.events".into(),
            sso: None,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("store_url", &redact(&self.store_url))
            .field("object_store_url", &self.object_store_url)
            .field("pipelines_dir", &self.pipelines_dir)
            .field("catalogs_dir", &self.catalogs_dir)
            .field("audit_key_file", &self.audit_key_file)
            .finish()
    }
}

/// Hides the password of a `scheme://user:password@host` URL.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Where change events also go on a broker.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// `nats://host:port` of the NATS server.
    pub url: String,
    /// The JetStream stream that keeps the events (made when missing).
    pub stream: String,
    /// Subjects are `<subject_prefix>.<dataset>`.
    pub subject_prefix: String,
}

impl Settings {
    /// Where change events also go, when a NATS server is set.
    pub fn broker(&self) -> Option<BrokerSettings> {
        self.nats_url.as_ref().map(|url| BrokerSettings {
            url: url.clone(),
            stream: self.nats_stream.clone(),
            subject_prefix: self.nats_subject_prefix.clone(),
        })
    }

    /// Loads settings: defaults, then `path` (or `lgsp.toml` in the working directory when it
    /// exists), then `LGSP_*` environment variables.
    pub fn load(path: Option<&Path>) -> Result<Settings> {
        let default_path = Path::new("lgsp.toml");
        let file = match path {
            Some(p) => Some(p.to_path_buf()),
            None if default_path.exists() => Some(default_path.to_path_buf()),
            None => None,
        };
        let mut settings = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
                toml::from_str(&text).map_err(|e| Error::Parse { path, message: e.to_string() })?
            }
            None => Settings::default(),
        };
        settings.apply_env(|k| std::env::var(k).ok())?;
        Ok(settings)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        let number = |name: &'static str, what: &'static str| -> Result<Option<u64>> {
            get(name).map(|value| value.trim().parse().map_err(|_| Error::Env { name, value, what })).transpose()
        };
        if let Some(v) = get("LGSP_STORE_URL") {
            self.store_url = v;
        }
        if let Some(v) = get("LGSP_OBJECT_STORE_URL") {
            self.object_store_url = v;
        }
        if let Some(v) = get("LGSP_PIPELINES_DIR") {
            self.pipelines_dir = v.into();
        }
        if let Some(v) = get("LGSP_CATALOGS_DIR") {
            self.catalogs_dir = v.into();
        }
        if let Some(v) = number("LGSP_API_REQUESTS_PER_MINUTE", "requests per client per minute, e.g. 600")? {
            self.api_requests_per_minute = v.try_into().unwrap_or(u32::MAX);
        }
        if let Some(v) = number("LGSP_LEASE_SECONDS", "seconds, e.g. 120")? {
            self.lease_seconds = v;
        }
        if let Some(v) = number("LGSP_RUN_LEASE_SECONDS", "seconds, e.g. 30")? {
            self.run_lease_seconds = v.max(1);
        }
        if let Some(v) = get("LGSP_BACKUP_SCHEDULE") {
            self.backup_schedule = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("LGSP_BACKUP_TO") {
            self.backup_to = v;
        }
        if let Some(v) = number("LGSP_BACKUP_KEEP", "backups to keep, e.g. 7")? {
            self.backup_keep = v.try_into().unwrap_or(usize::MAX);
        }
        if let Some(v) = get("LGSP_AUDIT_KEY_FILE") {
            self.audit_key_file = v.into();
        }
        if let Some(v) = number("LGSP_AUDIT_CHECKPOINT_SECONDS", "seconds, e.g. 60")? {
            self.audit_checkpoint_seconds = v.max(1);
        }
        if let Some(v) = number("LGSP_PERSONAL_GRANT_DAYS", "days, e.g. 365")? {
            self.personal_grant_days = v.clamp(1, 36_500) as u32;
        }
        if let Some(v) = number("LGSP_STALE_AFTER_SECONDS", "seconds, e.g. 3600")? {
            self.stale_after_seconds = v;
        }
        if let Some(v) = get("LGSP_PUBLIC_URL") {
            self.public_url = Some(v.trim_end_matches('/').to_string()).filter(|v| !v.is_empty());
        }
        if let Some(v) = number("LGSP_SHARING_LINK_SECONDS", "seconds, e.g. 900")? {
            self.sharing_link_seconds = v.clamp(1, 7 * 86_400);
        }
        if let Some(v) = get("LGSP_NATS_URL") {
            self.nats_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("LGSP_NATS_STREAM") {
            self.nats_stream = v;
        }
        if let Some(v) = get("LGSP_NATS_SUBJECT_PREFIX") {
            self.nats_subject_prefix = v.trim_end_matches('.').to_string();
        }
        sso::SsoSettings::apply_env(&mut self.sso, &get);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_values() {
        let mut s: Settings = toml::from_str("store_url = \"sqlite://x.db\"").unwrap();
        s.apply_env(|k| (k == "LGSP_OBJECT_STORE_URL").then(|| "s3://b/p".to_string())).unwrap();
        assert_eq!(s.store_url, "sqlite://x.db");
        assert_eq!(s.object_store_url, "s3://b/p");
        assert_eq!(s.pipelines_dir, PathBuf::from("pipelines"));
    }

    #[test]
    fn unknown_settings_key_is_rejected() {
        assert!(toml::from_str::<Settings>("stor_url = \"x\"").is_err());
    }

    #[test]
    fn debug_hides_database_password() {
        let s = Settings { store_url: "postgres://u:secret@h/db".into(), ..Settings::default() };
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn a_number_variable_that_is_not_a_number_is_an_error_naming_it() {
        let mut s = Settings::default();
        let err = s.apply_env(|k| (k == "LGSP_LEASE_SECONDS").then(|| "2m".to_string())).unwrap_err().to_string();
        assert!(err.contains("LGSP_LEASE_SECONDS='2m'") && err.contains("seconds"), "{err}");
        s.apply_env(|k| (k == "LGSP_BACKUP_KEEP").then(|| " 3 ".to_string())).unwrap();
        assert_eq!(s.backup_keep, 3);
    }
}
