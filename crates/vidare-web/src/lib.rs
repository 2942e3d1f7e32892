//! Vidare's HTTP server: pages rendered on the server, the JSON API, sign-in and
//! permissions, served with graceful shutdown.
//!
//! Every route is declared once in a [`routes::RouteDef`] with its [`routes::Access`]
//! rule; [`routes::build`] turns the list into the router and wraps each handler in the
//! rule's check, so a route without a permission rule cannot exist. Around all routes:
//! the session layer (who is asking, in which language) and the CSRF layer (no state
//! change without the session's token).

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
mod health;
pub mod i18n;
pub mod metrics;
pub mod pages;
pub mod pdf;
pub mod routes;
pub mod session;
pub mod upload;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::Router;
use vidare_domain::ids::TenantId;
use vidare_domain::model::tenant::Tenant;
use vidare_store::{Store, StoreError};

pub use routes::{Access, RouteDef};

/// How the server behaves; the defaults suit the demo and a server behind TLS alike.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies `Secure` (set when Vidare is reached over HTTPS).
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle: chrono::Duration,
    /// A session ends this long after sign-in whatever happens.
    pub session_absolute: chrono::Duration,
    /// Show the demo accounts and their password on the sign-in page.
    pub show_demo_accounts: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: false,
            session_idle: chrono::Duration::minutes(60),
            session_absolute: chrono::Duration::hours(12),
            show_demo_accounts: false,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    started: Instant,
    schema_version: i64,
    settings: Settings,
    tenants: RwLock<HashMap<TenantId, Tenant>>,
    /// What time it is for deadlines (tender sealing, standstill); tests move it.
    clock: Clock,
    /// Sends e-mail when SMTP is configured (`VIDARE_SMTP_URL`).
    mailer: Option<pages::procurement::mail::Mailer>,
}

/// The time deadlines are judged by: the system clock, or one a test sets and moves.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<RwLock<chrono::DateTime<chrono::Utc>>>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock standing at `at` until [`Clock::set`] moves it.
    pub fn fixed(at: chrono::DateTime<chrono::Utc>) -> Clock {
        Clock(Some(Arc::new(RwLock::new(at))))
    }

    /// Moves a fixed clock (the system clock cannot be moved).
    pub fn set(&self, at: chrono::DateTime<chrono::Utc>) {
        if let Some(c) = &self.0 {
            *c.write().expect("lock") = at;
        }
    }

    /// Now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        match &self.0 {
            Some(c) => *c.read().expect("lock"),
            None => chrono::Utc::now(),
        }
    }
}

impl AppState {
    /// State over a store whose schema has been checked (`schema_version`).
    pub fn new(store: Store, schema_version: i64) -> AppState {
        AppState::with_settings(store, schema_version, Settings::default())
    }

    /// State with explicit settings.
    pub fn with_settings(store: Store, schema_version: i64, settings: Settings) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store,
                started: Instant::now(),
                schema_version,
                settings,
                tenants: RwLock::new(HashMap::new()),
                clock: Clock::system(),
                mailer: None,
            }),
        }
    }

    /// The state with another clock; call before the state is shared.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("set the clock before the state is shared")
            .clock = clock;
        self
    }

    /// The state with a mailer; call before the state is shared.
    pub fn with_mailer(mut self, mailer: pages::procurement::mail::Mailer) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("set the mailer before the state is shared")
            .mailer = Some(mailer);
        self
    }

    /// Now, by the state's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// Today in Stockholm, by the state's clock: the one "today" every page and
    /// endpoint uses, so a test that moves the clock moves all of them.
    pub fn today(&self) -> chrono::NaiveDate {
        vidare_domain::deadline::stockholm_today(self.now())
    }

    /// The mailer, when SMTP is configured.
    pub fn mailer(&self) -> Option<&pages::procurement::mail::Mailer> {
        self.inner.mailer.as_ref()
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The server's settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// A tenant by id, cached: tenants change rarely and every page shows its name.
    pub async fn tenant(&self, id: TenantId) -> Result<Tenant, StoreError> {
        if let Some(t) = self.inner.tenants.read().expect("lock").get(&id) {
            return Ok(t.clone());
        }
        let t = self.store().get_tenant(id).await?;
        self.inner
            .tenants
            .write()
            .expect("lock")
            .insert(id, t.clone());
        Ok(t)
    }
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    routes::build(state, routes::all())
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
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
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
