//! Temporary files of runs, under the system's temporary folder (`TMPDIR`). Each name carries
//! the id of the process that made it (`lgsp-<pid>-<what>-…`), so that the files a killed
//! process could not remove are found and removed by the next run ([`sweep`]).

use std::path::{Path, PathBuf};

/// The name prefix of this process's temporary files.
fn prefix(what: &str) -> String {
    format!("lgsp-{}-{what}-", std::process::id())
}

/// A new temporary folder (removed when dropped).
pub(crate) fn dir(what: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix(&prefix(what)).tempdir()
}

/// A new temporary file (removed when dropped).
pub(crate) fn file(what: &str, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new().prefix(&prefix(what)).suffix(suffix).tempfile()
}

/// The temporary folder, for error messages.
pub(crate) fn root() -> PathBuf {
    std::env::temp_dir()
}

/// The process id in a temporary file's name, when it is one of ours.
fn owner(name: &str) -> Option<u32> {
    name.strip_prefix("lgsp-")?.split('-').next()?.parse().ok()
}

/// Whether process `pid` is running. Only Linux says (through `/proc`); elsewhere every process
/// counts as running, and nothing is swept.
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Removes the temporary files and folders left by processes that are no longer running;
/// returns how many were removed. Failures are logged: a leftover file costs disk, not data.
pub(crate) fn sweep() -> usize {
    let Ok(entries) = std::fs::read_dir(root()) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner) else { continue };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        let path = entry.path();
        let gone = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        match gone {
            Ok(()) => removed += 1,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a dead run's temporary file")
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed temporary files of runs whose process stopped");
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_process() {
        let d = dir("spill").unwrap();
        let name = d.path().file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(owner(&name), Some(std::process::id()));
        assert_eq!(owner("lgsp-run-abc"), None);
        assert_eq!(owner("other-1-x"), None);
        assert!(alive(std::process::id()));
    }
}
