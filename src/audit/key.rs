//! The audit key: the secret of the audit log's keyed hashes, kept outside the store. It comes
//! from `LGSP_AUDIT_KEY` (hex), or from the key file (`audit_key_file`, default
//! `data/audit.key`), which is created with a new random key the first time, while the log is
//! still empty.

use super::{Error, Result};
use crate::digest::MacKey;
use crate::store::Store;
use std::path::Path;

/// Environment variable that holds the key itself (hex), instead of the key file.
pub const KEY_ENV: &str = "LGSP_AUDIT_KEY";

/// Loads the key (from [`KEY_ENV`] or `file`) into `store`. A missing file is created with a
/// new key only while the log has no rows; afterwards a missing key is an error, never a new
/// key that would make every row unverifiable.
pub async fn load_key(store: &Store, file: &Path) -> Result<()> {
    let key = match std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty()) {
        Some(hex) => MacKey::from_hex(&hex).map_err(|source| Error::BadKey { origin: KEY_ENV.into(), source })?,
        None => from_file(store, file).await?,
    };
    store.set_audit_key(key);
    Ok(())
}

async fn from_file(store: &Store, file: &Path) -> Result<MacKey> {
    let bad = |source| Error::BadKey { origin: file.display().to_string(), source };
    match std::fs::read_to_string(file) {
        Ok(text) => return MacKey::from_hex(&text).map_err(bad),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(Error::KeyFile { path: file.into(), source }),
    }
    if store.last_audit().await?.is_some() {
        return Err(Error::KeyMissing(file.into()));
    }
    create(file)?;
    // Another process may have created it first: whichever file won is the key.
    let text = std::fs::read_to_string(file).map_err(|source| Error::KeyFile { path: file.into(), source })?;
    MacKey::from_hex(&text).map_err(bad)
}

/// Writes a new key to `file` atomically and only if no file is there (readable by its owner only).
fn create(file: &Path) -> Result<()> {
    let io = |source| Error::KeyFile { path: file.into(), source };
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut tmp, format!("{}\n", MacKey::generate().to_hex()).as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    match std::fs::hard_link(tmp.path(), file) {
        Ok(()) => {
            tracing::info!(file = %file.display(), "created a new audit key: keep a copy apart from the backups");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(io(source)),
    }
}
