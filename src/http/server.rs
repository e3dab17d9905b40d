//! The API's server: accepts connections, serves each with hyper (HTTP/1.1 and HTTP/2), hands
//! the caller's address to the router, closes connections whose request head does not arrive in
//! time (a half-sent request, or a kept-alive connection left idle), and stops gracefully.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt;

/// Time a client has to send a request's head, counted from when the connection is ready for
/// one (so it also closes kept-alive connections left idle that long).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time given to requests in flight when the server is asked to stop.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves the API on `addr` until Ctrl-C or SIGTERM.
pub async fn serve(mut state: super::AppState, addr: &str) -> std::io::Result<()> {
    state.install_metrics();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving");
    println!("listening on {}", listener.local_addr()?);
    accept(listener, super::router(state), shutdown_signal()).await;
    Ok(())
}

impl super::AppState {
    /// Installs the metrics recorder that `/metrics` reads, once: metrics recorded before
    /// (by the scheduler starting) are kept.
    pub fn install_metrics(&mut self) {
        if self.metrics.is_some() {
            return;
        }
        match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
            Ok(handle) => self.metrics = Some(handle),
            Err(e) => tracing::warn!(error = %e, "metrics recorder not installed"),
        }
    }
}

/// Accepts connections on `listener` until `stop` resolves, then drains those in flight.
pub(crate) async fn accept(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(Duration::from_secs(30)));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(req)
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after {} s were cut", DRAIN.as_secs());
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "Ctrl-C cannot be awaited; stop the server with SIGTERM");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
