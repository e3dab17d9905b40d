//! A run whose object-store writes fail midway publishes nothing; the next run succeeds.

mod common;

use async_trait::async_trait;
use futures::stream::BoxStream;
use lgsp_hub::objects::Objects;
use lgsp_hub::pipeline::{self, PipelineSpec, RunOptions};
use lgsp_hub::store::Store;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Delegates to a real store but fails every `put` once `budget` puts have succeeded.
#[derive(Debug)]
struct FailingStore {
    inner: Arc<dyn ObjectStore>,
    budget: AtomicUsize,
}

impl std::fmt::Display for FailingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FailingStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for FailingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let left = self.budget.load(Ordering::SeqCst);
        if left == 0 {
            return Err(object_store::Error::Generic { store: "failing", source: "injected write failure".into() });
        }
        self.budget.store(left - 1, Ordering::SeqCst);
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_object_store_write_publishes_nothing_and_next_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("hub.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    lgsp_hub::audit::load_key(&store, &dir.path().join("audit.key")).await.unwrap();
    let failing = Arc::new(FailingStore {
        inner: lgsp_hub::objects::open(dir.path().join("store").to_str().unwrap()).unwrap().store(),
        budget: AtomicUsize::new(usize::MAX),
    });
    let objects = Objects::new(failing.clone());
    lgsp_hub::catalog::load_all(&store, &objects, &common::repo().join("catalogs")).await.unwrap();
    let spec = PipelineSpec::load(&common::repo().join("pipelines/enterprises.toml")).unwrap();
    let input = |v: &str| RunOptions {
        input: Some(common::repo().join(format!("data/samples/enterprises_{v}.csv"))),
        ..Default::default()
    };

    let v1 = pipeline::run(&store, &objects, &spec, input("v1")).await.unwrap();
    assert_eq!(v1.version, Some(1));

    failing.budget.store(2, Ordering::SeqCst);
    let err = pipeline::run(&store, &objects, &spec, input("v2")).await.unwrap_err();
    assert!(err.to_string().contains("injected write failure"), "{err}");
    let current = store.current_version("enterprises").await.unwrap().unwrap();
    assert_eq!(current.version, 1, "the failed run left version 1 current");
    assert_eq!(store.list_versions("enterprises").await.unwrap().len(), 1);
    assert_eq!(store.count_current_records("enterprises").await.unwrap(), current.row_count);
    let failed = store.list_runs(Some("enterprises"), Some(lgsp_hub::outcome::RunStatus::Failed), 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].error.as_deref().unwrap_or("").contains("injected"));

    failing.budget.store(usize::MAX, Ordering::SeqCst);
    let v2 = pipeline::run(&store, &objects, &spec, input("v2")).await.unwrap();
    assert_eq!(v2.version, Some(2));
    assert_eq!(
        store.count_current_records("enterprises").await.unwrap(),
        store.current_version("enterprises").await.unwrap().unwrap().row_count
    );
}
