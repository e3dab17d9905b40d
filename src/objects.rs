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
    /// A local file to upload, or to download into, failed.
    #[error("local file {path}: {source}")]
    Local { path: String, source: std::io::Error },
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

/// Files up to this size are written with one request; larger ones in parts.
const ONE_PUT_MAX: u64 = 16 << 20;
/// Bytes read from a local file at a time.
const PART: usize = 8 << 20;

/// Writes the local file `file` at `path` (in parts when large), reading it a part at a time;
/// returns its size and sha256 (hex).
pub async fn put_file(objects: &Objects, path: &str, file: &std::path::Path) -> Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use tokio::io::AsyncReadExt;
    let local = |source| Error::Local { path: file.display().to_string(), source };
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

/// Copies the object at `path` into the local file `file`, a part at a time.
pub async fn get_file(objects: &Objects, path: &str, file: &std::path::Path) -> Result<()> {
    use futures::StreamExt;
    use tokio::io::AsyncWriteExt;
    let local = |source| Error::Local { path: file.display().to_string(), source };
    let mut out = tokio::fs::File::create(file).await.map_err(local)?;
    let mut stream = objects.get(&ObjectPath::from(path)).await?.into_stream();
    while let Some(chunk) = stream.next().await {
        out.write_all(&chunk?).await.map_err(local)?;
    }
    out.flush().await.map_err(local)?;
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
