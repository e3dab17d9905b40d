//! Published files: the object store behind versions (local folder by default, any
//! S3-compatible store in production), chosen from the settings URL.

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;

/// Errors of the object store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL cannot be used.
    #[error("object store URL '{url}': {message}")]
    Url { url: String, message: String },
    /// The local folder cannot be created.
    #[error("object store folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    /// A read or write failed.
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    /// A local file to upload, or to download into, failed.
    #[error("local file {path}: {source}")]
    Local { path: String, source: std::io::Error },
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Shared handle on the object store. Derefs to the store; on a local folder it also lets whole
/// files move in and out through the file system (a hard link or an in-kernel copy) instead of
/// through memory.
#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    local: Option<Arc<LocalFileSystem>>,
    /// On S3: the bucket's client and the prefix of the store in it, to pre-sign downloads.
    s3: Option<(Arc<AmazonS3>, String)>,
}

impl Objects {
    /// A handle on any object store (files always go through its API).
    pub fn new(store: Arc<dyn ObjectStore>) -> Objects {
        Objects { store, local: None, s3: None }
    }

    /// The store itself.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    fn local(local: LocalFileSystem) -> Objects {
        let local = Arc::new(local);
        Objects { store: local.clone(), local: Some(local), s3: None }
    }

    /// A pre-signed URL that lets its holder GET the file at `path` for `expires_in`, when the
    /// store is S3 (`None` on a local folder: the hub serves those files itself).
    pub(crate) async fn presigned_get(&self, path: &str, expires_in: std::time::Duration) -> Result<Option<String>> {
        let Some((s3, prefix)) = &self.s3 else { return Ok(None) };
        let full = if prefix.is_empty() { path.to_string() } else { format!("{prefix}/{path}") };
        let url = object_store::signer::Signer::signed_url(
            s3.as_ref(),
            axum::http::Method::GET,
            &ObjectPath::from(full),
            expires_in,
        )
        .await?;
        Ok(Some(url.to_string()))
    }
}

impl std::ops::Deref for Objects {
    type Target = dyn ObjectStore;
    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.store)
    }
}

/// Opens the object store named by `url`: a folder path, `file:///abs/path`, or
/// `s3://bucket[/prefix]` (credentials, region and endpoint from the `AWS_*` variables, e.g.
/// `AWS_ENDPOINT=http://127.0.0.1:9000` and `AWS_ALLOW_HTTP=true` for a local S3-compatible server).
pub fn open(url: &str) -> Result<Objects> {
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::Url { url: url.into(), message: "name a bucket: s3://bucket/prefix".into() });
        }
        let s3 = AmazonS3Builder::from_env().with_bucket_name(bucket).build()?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = match prefix.is_empty() {
            true => Arc::new(s3.clone()),
            false => Arc::new(PrefixStore::new(s3.clone(), prefix)),
        };
        let s3 = Arc::new(s3);
        return Ok(Objects { store, local: None, s3: Some((s3, prefix.to_string())) });
    }
    let path = url.strip_prefix("file://").unwrap_or(url);
    if path.contains("://") {
        return Err(Error::Url {
            url: url.into(),
            message: "use a folder path, file:///path or s3://bucket/prefix".into(),
        });
    }
    std::fs::create_dir_all(path).map_err(|source| Error::Folder { path: path.into(), source })?;
    Ok(Objects::local(LocalFileSystem::new_with_prefix(path)?))
}

/// Writes `bytes` at `path`.
pub(crate) async fn put(objects: &Objects, path: &str, bytes: Vec<u8>) -> Result<()> {
    objects.put(&ObjectPath::from(path), PutPayload::from(bytes)).await?;
    if let Some(fs) = &objects.local {
        let dest = fs.path_to_filesystem(&ObjectPath::from(path))?;
        let synced = tokio::task::spawn_blocking(move || {
            sync_local(&dest).map_err(|source| Error::Local { path: dest.display().to_string(), source })
        });
        synced
            .await
            .map_err(|e| Error::Local { path: path.into(), source: std::io::Error::other(e.to_string()) })??;
    }
    Ok(())
}

/// Flushes a file of the local store and its folder entry to disk, so that a version the
/// store commits after it survives a power loss (an S3-compatible store is durable on success).
fn sync_local(dest: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(dest)?.sync_all()?;
    match dest.parent() {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// Removes the file at `path`; a file that is not there is not an error.
fn remove_if_present(path: &std::path::Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Files up to this size are written with one request; larger ones in parts.
const ONE_PUT_MAX: u64 = 16 << 20;
/// Bytes read from a local file at a time.
const PART: usize = 8 << 20;

/// Writes the local file `file` at `path` (in parts when large), reading it a part at a time;
/// returns its size and sha256 (hex).
pub(crate) async fn put_file(objects: &Objects, path: &str, file: &std::path::Path) -> Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use tokio::io::AsyncReadExt;
    let local = |source| Error::Local { path: file.display().to_string(), source };
    if let Some(fs) = &objects.local {
        let dest = fs.path_to_filesystem(&ObjectPath::from(path))?;
        let file = file.to_path_buf();
        let placed = tokio::task::spawn_blocking(move || {
            place(&file, &dest).map_err(|source| Error::Local { path: file.display().to_string(), source })
        });
        return placed.await.map_err(|e| local(std::io::Error::other(e.to_string())))?;
    }
    let mut f = tokio::fs::File::open(file).await.map_err(local)?;
    let size = f.metadata().await.map_err(local)?.len();
    let mut hash = Sha256::new();
    if size <= ONE_PUT_MAX {
        let mut bytes = Vec::with_capacity(size as usize);
        f.read_to_end(&mut bytes).await.map_err(local)?;
        hash.update(&bytes);
        put(objects, path, bytes).await?;
        return Ok((size, hex::encode(hash.finalize())));
    }
    let upload = objects.put_multipart(&ObjectPath::from(path)).await?;
    let mut w = object_store::WriteMultipart::new_with_chunk_size(upload, PART);
    let mut buf = vec![0u8; PART];
    loop {
        let n = f.read(&mut buf).await.map_err(local)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        w.write(&buf[..n]);
        w.wait_for_capacity(2).await?;
    }
    w.finish().await?;
    Ok((size, hex::encode(hash.finalize())))
}

/// Places the local file `file` at `dest` in the store's folder as the local store itself would
/// (under a staging name first, then renamed), by a hard link when both are on one file system
/// and an in-kernel copy otherwise; returns its size and sha256 (hex).
fn place(file: &std::path::Path, dest: &std::path::Path) -> std::io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut hash = Sha256::new();
    let mut f = std::fs::File::open(file)?;
    let mut buf = vec![0u8; PART];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        size += n as u64;
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut staged = dest.as_os_str().to_owned();
    staged.push(format!("#{}", std::process::id()));
    let staged = std::path::PathBuf::from(staged);
    // A staging file left by an earlier attempt goes first; if it cannot, the copy below could
    // write through it into whatever it is linked to.
    remove_if_present(&staged)
        .map_err(|e| std::io::Error::new(e.kind(), format!("removing {}: {e}", staged.display())))?;
    if std::fs::hard_link(file, &staged).is_err() {
        std::fs::copy(file, &staged)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o644))?;
    }
    std::fs::rename(&staged, dest)?;
    sync_local(dest)?;
    Ok((size, hex::encode(hash.finalize())))
}

/// Copies the object at `path` into the local file `file`, a part at a time (on a local folder:
/// a hard link, or an in-kernel copy).
pub(crate) async fn get_file(objects: &Objects, path: &str, file: &std::path::Path) -> Result<()> {
    use futures::StreamExt;
    use tokio::io::AsyncWriteExt;
    let local = |source| Error::Local { path: file.display().to_string(), source };
    if let Some(fs) = &objects.local {
        let from = fs.path_to_filesystem(&ObjectPath::from(path))?;
        if !from.is_file() {
            return Err(Error::Store(object_store::Error::NotFound {
                path: path.into(),
                source: "no such file in the store's folder".into(),
            }));
        }
        // An old `file` may be a hard link to a published file: it goes before the copy, which
        // would otherwise write into that file.
        remove_if_present(file).map_err(local)?;
        return std::fs::hard_link(&from, file).or_else(|_| std::fs::copy(&from, file).map(|_| ())).map_err(local);
    }
    let mut out = tokio::fs::File::create(file).await.map_err(local)?;
    let mut stream = objects.get(&ObjectPath::from(path)).await?.into_stream();
    while let Some(chunk) = stream.next().await {
        out.write_all(&chunk?).await.map_err(local)?;
    }
    out.flush().await.map_err(local)?;
    Ok(())
}

/// Reads the whole object at `path`.
pub(crate) async fn get(objects: &Objects, path: &str) -> Result<bytes::Bytes> {
    Ok(objects.get(&ObjectPath::from(path)).await?.bytes().await?)
}

/// Checks that the store answers (lists the root).
pub(crate) async fn ping(objects: &Objects) -> Result<()> {
    objects.list_with_delimiter(None).await?;
    Ok(())
}

/// Deletes the object at `path`; false when there was none.
pub(crate) async fn remove(objects: &Objects, path: &str) -> Result<bool> {
    match objects.delete(&ObjectPath::from(path)).await {
        Ok(()) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Deletes every object under `prefix` except those named in `keep` (file names); returns how
/// many were deleted.
pub(crate) async fn remove_under(objects: &Objects, prefix: &str, keep: &[&str]) -> Result<usize> {
    use futures::TryStreamExt;
    let prefix = ObjectPath::from(prefix);
    let metas: Vec<_> = objects.list(Some(&prefix)).try_collect().await?;
    let mut n = 0;
    for m in metas {
        if m.location.filename().is_some_and(|f| keep.contains(&f)) {
            continue;
        }
        objects.delete(&m.location).await?;
        n += 1;
    }
    Ok(n)
}
