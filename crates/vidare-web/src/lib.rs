//! Vidare's HTTP server: the router, the shared application state, and serving with
//! graceful shutdown. Pages, the JSON API and sign-in are added here by the web-platform
//! work; each route states who may use it.

mod health;
mod home;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use tower_http::trace::TraceLayer;
use vidare_store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    started: Instant,
    schema_version: i64,
}

impl AppState {
    /// State over a store whose schema has been checked (`schema_version`).
    pub fn new(store: Store, schema_version: i64) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store,
                started: Instant::now(),
                schema_version,
            }),
        }
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::routes())
        .merge(home::routes())
        .with_state(state)
        .layer(TraceLayer::new_for_http())
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in
/// flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
