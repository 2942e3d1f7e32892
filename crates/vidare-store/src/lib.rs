//! Vidare's storage: one interface over two backends.
//!
//! [`Store`] is the interface every other crate uses. It holds either an SQLite pool
//! (the embedded default) or a PostgreSQL pool (production and scale-out). Each query is
//! written once, in SQL that both backends accept, and compiled twice — once per
//! backend — by the [`with_pool!`] and [`with_tx!`] macros, so both implementations
//! always do the same thing. Where the backends genuinely differ (connection set-up,
//! locking, bulk loading with `COPY`) the code says so in one place.
//!
//! Every row belongs to a tenant. Queries about a tenant's data go through
//! [`Store::tenant`], which returns a [`Scoped`] handle that binds the tenant id into
//! every statement; no method on it can reach another tenant's rows.

mod access_batch;
pub mod audit;
pub mod bulk;
pub mod cache;
mod checkpoint;
mod error;
pub mod import;
mod locks;
mod migrate;
pub mod repo;
mod rows;
mod sqlite_load;
#[cfg(feature = "testing")]
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use vidare_domain::ids::TenantId;

pub use audit::{Actor, Change};
pub use error::StoreError;
pub use migrate::SchemaStatus;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// The concrete pool behind a [`Store`]; used by the query macros.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of either backend. The body is
/// compiled once per backend, so the same SQL and row mapping serve both.
#[macro_export]
#[doc(hidden)]
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store.backend() {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}

/// Like [`with_pool!`] but on the writer: for a single statement that changes data
/// outside a transaction. On SQLite the writer is one connection, so writers queue in
/// the process instead of retrying against the file lock.
#[macro_export]
#[doc(hidden)]
macro_rules! with_writer {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store.writer() {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx`, committing when the body
/// returns normally; an early return through `?` drops the transaction, which rolls it
/// back. On SQLite the transaction runs on the single writer connection and starts with
/// `BEGIN IMMEDIATE`, taking the write lock up front so that a writer in another process
/// never deadlocks upgrading a read lock (the busy timeout then queues it). Never nest
/// one `with_tx!` inside another: the inner would wait for the writer the outer holds.
#[macro_export]
#[doc(hidden)]
macro_rules! with_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match $store.writer() {
            $crate::Backend::Sqlite(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Backend::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Vidare's database, whichever backend holds it. Cheap to clone: clones share the pool.
///
/// On SQLite a store holds two pools over the same file: readers (several connections,
/// which WAL lets run beside a writer) and one writer connection. SQLite allows one
/// writer at a time anyway; giving it a single connection makes writers wait their turn
/// in an orderly queue in the process, instead of each retrying against the file lock
/// with the busy handler's growing sleeps, which under load gave tail latencies of
/// hundreds of milliseconds. An in-memory database lives in one connection, so there
/// both roles share it. On PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    writer: Backend,
    auth_cache: std::sync::Arc<cache::AuthCache>,
    access_batcher: std::sync::Arc<access_batch::AccessBatcher>,
    due_counts: std::sync::Arc<cache::StampedCache<(i64, chrono::NaiveDate), u64>>,
    overviews:
        std::sync::Arc<cache::StampedCache<(i64, chrono::NaiveDate), repo::overview::Overview>>,
    participant_counts: std::sync::Arc<cache::StampedCache<i64, u64>>,
    /// SQLite files: the background WAL checkpointer, stopped when the last clone goes.
    _checkpointer: Option<checkpoint::Handle>,
}

/// Each SQLite connection's page cache, in the pragma's negative-KiB form: 64 MiB.
pub(crate) const SQLITE_CACHE_SIZE: &str = "-65536";
/// How long a writer waits for SQLite's lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a writer waits for its turn on SQLite's single writer connection.
const SQLITE_WRITER_WAIT: Duration = Duration::from_secs(30);

impl Store {
    /// Opens the database at `url`: `sqlite://PATH` (created if missing), `sqlite::memory:`,
    /// or `postgres://…`. Does not migrate; see [`Store::migrate`] and
    /// [`Store::schema_status`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl {
                    url: redact(url),
                    reason: e.to_string(),
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .pragma("temp_store", "memory")
                .pragma("cache_size", SQLITE_CACHE_SIZE);
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = SqlitePoolOptions::new()
                // An in-memory database exists per connection, so it must have exactly one.
                .max_connections(if in_memory { 1 } else { 8 })
                .min_connections(if in_memory { 1 } else { 0 })
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(3600))
                })
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await
                .map_err(|e| StoreError::unreachable(url, e))?;
            let writer = if in_memory {
                pool.clone()
            } else {
                let options = options.pragma(
                    "wal_autocheckpoint",
                    checkpoint::WRITER_AUTOCHECKPOINT_PAGES,
                );
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(SQLITE_WRITER_WAIT)
                    .connect_with(options)
                    .await
                    .map_err(|e| StoreError::unreachable(url, e))?
            };
            let checkpointer = if in_memory {
                None
            } else {
                checkpoint::start(&pool)
            };
            Ok(Store {
                backend: Backend::Sqlite(pool),
                writer: Backend::Sqlite(writer),
                auth_cache: Default::default(),
                access_batcher: Default::default(),
                due_counts: Default::default(),
                overviews: Default::default(),
                participant_counts: Default::default(),
                _checkpointer: checkpointer,
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl {
                url: redact(url),
                reason: e.to_string(),
            })?;
            Store::connect_postgres(options, url).await
        } else {
            Err(StoreError::InvalidUrl {
                url: redact(url),
                reason: "use sqlite://PATH or postgres://USER@HOST/DATABASE".into(),
            })
        }
    }

    pub(crate) async fn connect_postgres(
        options: PgConnectOptions,
        url: &str,
    ) -> Result<Store, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::unreachable(url, e))?;
        Ok(Store {
            backend: Backend::Postgres(pool.clone()),
            writer: Backend::Postgres(pool),
            auth_cache: Default::default(),
            access_batcher: Default::default(),
            due_counts: Default::default(),
            overviews: Default::default(),
            participant_counts: Default::default(),
            _checkpointer: None,
        })
    }

    /// Which backend this store uses.
    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// The pool for reads.
    #[doc(hidden)]
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub(crate) fn auth_cache(&self) -> &cache::AuthCache {
        &self.auth_cache
    }

    pub(crate) fn due_counts(&self) -> &cache::StampedCache<(i64, chrono::NaiveDate), u64> {
        &self.due_counts
    }

    pub(crate) fn overviews(
        &self,
    ) -> &cache::StampedCache<(i64, chrono::NaiveDate), repo::overview::Overview> {
        &self.overviews
    }

    pub(crate) fn participant_counts(&self) -> &cache::StampedCache<i64, u64> {
        &self.participant_counts
    }

    /// Identifies this store and its clones within the process (two stores over
    /// different databases never share it), for in-process bookkeeping keyed per
    /// database, such as which background computations are running.
    pub fn instance_id(&self) -> usize {
        std::sync::Arc::as_ptr(&self.auth_cache) as usize
    }

    /// Drops this process's cached figures of every tenant (after a write the audit log
    /// does not record, such as a bulk load).
    pub(crate) fn forget_derived_figures(&self) {
        self.overviews.clear();
        self.participant_counts.clear();
        self.due_counts.clear();
    }

    pub(crate) fn access_batcher(&self) -> &access_batch::AccessBatcher {
        &self.access_batcher
    }

    /// The pool for writes: on SQLite its single writer connection.
    #[doc(hidden)]
    pub fn writer(&self) -> &Backend {
        &self.writer
    }

    /// A handle whose every query is limited to one tenant's rows, acting as the
    /// system (`system:cli`) in the audit log.
    pub fn tenant(&self, tenant_id: TenantId) -> Scoped<'_> {
        self.tenant_as(tenant_id, Actor::system("cli"))
    }

    /// A handle limited to one tenant, whose changes are recorded as `actor`'s.
    pub fn tenant_as(&self, tenant_id: TenantId, actor: Actor) -> Scoped<'_> {
        Scoped {
            store: self,
            tenant_id,
            actor,
            data_position: std::sync::atomic::AtomicI64::new(NO_POSITION),
        }
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        with_writer!(self, |pool| pool.close().await);
        with_pool!(self, |pool| pool.close().await)
    }
}

/// Queries limited to one tenant, on behalf of one actor. Obtained from
/// [`Store::tenant`] or [`Store::tenant_as`]; the repository methods live in [`repo`].
/// Every change made through it is recorded in the audit log in the same transaction.
#[derive(Debug)]
pub struct Scoped<'a> {
    store: &'a Store,
    tenant_id: TenantId,
    actor: Actor,
    /// The tenant's data position as this handle last read it ([`Scoped::data_position`];
    /// [`NO_POSITION`] before the first read and after every change made through it).
    /// A page asks for it once per derived figure it shows; a handle lives for one
    /// request, so one read serves them all.
    data_position: std::sync::atomic::AtomicI64,
}

/// See [`Scoped::data_position`]'s memo: not read yet, or a change made since.
const NO_POSITION: i64 = i64::MIN;

impl Clone for Scoped<'_> {
    /// A copy reads the data position afresh: a change made through the original would
    /// not clear the copy's memo.
    fn clone(&self) -> Self {
        Scoped {
            store: self.store,
            tenant_id: self.tenant_id,
            actor: self.actor.clone(),
            data_position: std::sync::atomic::AtomicI64::new(NO_POSITION),
        }
    }
}

impl<'a> Scoped<'a> {
    /// The tenant this handle is limited to.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// Who is acting.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The store behind this handle.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    #[doc(hidden)]
    pub fn backend(&self) -> &'a Backend {
        &self.store.backend
    }

    #[doc(hidden)]
    pub fn writer(&self) -> &'a Backend {
        &self.store.writer
    }

    #[doc(hidden)]
    pub fn tid(&self) -> i64 {
        self.tenant_id.get()
    }
}

/// A database URL with any password replaced, safe for logs and messages.
pub fn redact(url: &str) -> String {
    // postgres://user:secret@host/db → postgres://user:***@host/db
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://vidare:hemligt@db.example/vidare"),
            "postgres://vidare:***@db.example/vidare"
        );
        assert_eq!(
            super::redact("postgres://vidare@db/vidare"),
            "postgres://vidare@db/vidare"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
