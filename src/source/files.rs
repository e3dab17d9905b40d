//! File sources: a path, a glob, or an object-store location (`file://`, `s3://`), and which
//! of the matching files a run reads (`newest`, or `all_new` since the last run).

use super::spec::Pick;
use super::{Error, Result};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use std::path::{Path, PathBuf};

/// A file found for a run.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Where it is, as the steward wrote it (path or URL).
    pub(crate) name: String,
    /// Last modification time.
    pub(crate) modified: DateTime<Utc>,
    /// `s3://` files: the store and the key to download.
    object: Option<(crate::objects::Objects, ObjectPath)>,
}

impl Found {
    /// The position of this file in the `all_new` order, saved after a successful run.
    pub(crate) fn marker(&self) -> String {
        format!("{}|{}", self.modified.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true), self.name)
    }

    /// A local path to read: the file itself, or a download into `dir`.
    pub(crate) async fn local(&self, dir: &Path) -> Result<PathBuf> {
        let Some((store, key)) = &self.object else { return Ok(PathBuf::from(&self.name)) };
        let target = dir.join(key.filename().unwrap_or("download"));
        let mut file = tokio::fs::File::create(&target).await.map_err(|e| Error::io(&target, e))?;
        let mut stream = store.get(key).await?.into_stream();
        while let Some(chunk) = stream.try_next().await? {
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await.map_err(|e| Error::io(&target, e))?;
        }
        tokio::io::AsyncWriteExt::flush(&mut file).await.map_err(|e| Error::io(&target, e))?;
        Ok(target)
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn pattern(s: &str) -> Result<glob::Pattern> {
    glob::Pattern::new(s).map_err(|e| Error::Format { name: s.into(), message: format!("not a valid glob: {e}") })
}

async fn local(path: &str) -> Result<Vec<Found>> {
    let paths: Vec<PathBuf> = if is_glob(path) {
        let mut files = Vec::new();
        for p in glob::glob(path)
            .map_err(|e| Error::Format { name: path.into(), message: format!("not a valid glob: {e}") })?
        {
            // A folder the glob cannot read may hold matching files: reading fewer files than
            // are there is an error, not a smaller extract.
            let p = p.map_err(|e| {
                let dir = e.path().to_path_buf();
                Error::io(&dir, e.into())
            })?;
            if p.is_file() {
                files.push(p);
            }
        }
        files
    } else {
        vec![PathBuf::from(path)]
    };
    let mut out = Vec::new();
    for p in paths {
        let modified = std::fs::metadata(&p)
            .and_then(|m| m.modified())
            .map(DateTime::<Utc>::from)
            .map_err(|e| Error::io(&p, e))?;
        out.push(Found { name: p.display().to_string(), modified, object: None });
    }
    Ok(out)
}

async fn in_bucket(url: &str) -> Result<Vec<Found>> {
    let rest = url.trim_start_matches("s3://");
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let store = crate::objects::open(&format!("s3://{bucket}"))?;
    let glob_at = key.find(['*', '?', '[']).unwrap_or(key.len());
    let prefix = key[..glob_at].rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    let pat = pattern(key)?;
    let listed: Vec<_> = store.list(Some(&ObjectPath::from(prefix))).try_collect().await?;
    Ok(listed
        .into_iter()
        .filter(|m| if is_glob(key) { pat.matches(m.location.as_ref()) } else { m.location.as_ref() == key })
        .map(|m| Found {
            name: format!("s3://{bucket}/{}", m.location),
            modified: m.last_modified,
            object: Some((store.clone(), m.location)),
        })
        .collect())
}

/// The files a run reads, oldest first: the newest match, or (`all_new`) every match after
/// `after` (a [`Found::marker`] saved by the last successful run).
pub(crate) async fn find(path: &Path, pick: Pick, after: Option<&str>) -> Result<Vec<Found>> {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("file://").unwrap_or(&text);
    let mut found = if text.starts_with("s3://") { in_bucket(text).await? } else { local(text).await? };
    if found.is_empty() {
        return Err(Error::NoFile { pattern: text.to_string() });
    }
    found.sort_by(|a, b| (a.modified, &a.name).cmp(&(b.modified, &b.name)));
    Ok(match pick {
        Pick::Newest => found.split_off(found.len() - 1),
        Pick::AllNew => found.into_iter().filter(|f| after.is_none_or(|m| f.marker().as_str() > m)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str, secs_ago: u64) {
        let p = dir.join(name);
        std::fs::write(&p, "a\n1\n").unwrap();
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs_ago);
        std::fs::File::options().write(true).open(&p).unwrap().set_modified(t).unwrap();
    }

    #[tokio::test]
    async fn newest_or_every_file_after_the_last_one_read() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "a.csv", 300);
        touch(dir.path(), "b.csv", 200);
        touch(dir.path(), "c.csv", 100);
        touch(dir.path(), "notes.txt", 10);
        let glob = dir.path().join("*.csv");
        let newest = find(&glob, Pick::Newest, None).await.unwrap();
        assert!(newest[0].name.ends_with("c.csv") && newest.len() == 1);
        let all = find(&glob, Pick::AllNew, None).await.unwrap();
        let names: Vec<_> = all.iter().map(|f| f.name.rsplit('/').next().unwrap().to_string()).collect();
        assert_eq!(names, ["a.csv", "b.csv", "c.csv"], "oldest first");
        let after_a = find(&glob, Pick::AllNew, Some(&all[0].marker())).await.unwrap();
        assert_eq!(after_a.len(), 2);
        assert!(find(&glob, Pick::AllNew, Some(&all[2].marker())).await.unwrap().is_empty());
        let none = find(&dir.path().join("*.xlsx"), Pick::Newest, None).await.unwrap_err().to_string();
        assert!(none.contains("no file matches"), "{none}");
    }
}
