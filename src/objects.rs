//! Published files: the object store behind versions (local folder by default, any
//! S3-compatible store in production), chosen from the settings URL.

use object_store::aws::AmazonS3Builder;
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
}

/// Result type of this module.
pub type Result<T> = std::result::Result<T, Error>;

/// Shared handle on the object store.
pub type Objects = Arc<dyn ObjectStore>;

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
        return Ok(if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix)) });
    }
    let path = url.strip_prefix("file://").unwrap_or(url);
    if path.contains("://") {
        return Err(Error::Url { url: url.into(), message: "use a folder path, file:///path or s3://bucket/prefix".into() });
    }
    std::fs::create_dir_all(path).map_err(|source| Error::Folder { path: path.into(), source })?;
    Ok(Arc::new(LocalFileSystem::new_with_prefix(path)?))
}

/// Writes `bytes` at `path`.
pub async fn put(objects: &Objects, path: &str, bytes: Vec<u8>) -> Result<()> {
    objects.put(&ObjectPath::from(path), PutPayload::from(bytes)).await?;
    Ok(())
}

/// Reads the whole object at `path`.
pub async fn get(objects: &Objects, path: &str) -> Result<bytes::Bytes> {
    Ok(objects.get(&ObjectPath::from(path)).await?.bytes().await?)
}

/// Checks that the store answers (lists the root).
pub async fn ping(objects: &Objects) -> Result<()> {
    objects.list_with_delimiter(None).await?;
    Ok(())
}

/// Deletes every object under `prefix` except those named in `keep` (file names); returns how
/// many were deleted.
pub async fn remove_under(objects: &Objects, prefix: &str, keep: &[&str]) -> Result<usize> {
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
