//! Throwaway databases for tests: a fresh SQLite file, or a fresh PostgreSQL schema in
//! the database named by `VIDARE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The README's test command creates a
//! database for the run and drops it afterwards.
//!
//! A test never skips because PostgreSQL is missing: it fails, saying what to start.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

use crate::{BackendKind, Store};

/// The PostgreSQL database tests create their schemas in.
pub fn postgres_url() -> String {
    std::env::var("VIDARE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A migrated, empty database that disappears with the test (SQLite) or with the run's
/// database (PostgreSQL).
pub struct TestDb {
    pub store: Store,
    /// For SQLite: the directory holding the file; removed on drop.
    _dir: Option<tempfile::TempDir>,
    /// For SQLite: the database URL, so a test can open a second store on the same file.
    pub url: String,
}

impl TestDb {
    /// A fresh database of the given kind, migrated.
    pub async fn new(kind: BackendKind) -> TestDb {
        match kind {
            BackendKind::Sqlite => TestDb::sqlite().await,
            BackendKind::Postgres => TestDb::postgres().await,
        }
    }

    /// A fresh SQLite file in a temporary directory, migrated.
    pub async fn sqlite() -> TestDb {
        let db = TestDb::sqlite_unmigrated().await;
        db.store
            .migrate()
            .await
            .expect("migrate SQLite test database");
        db
    }

    /// A fresh SQLite file, not migrated.
    pub async fn sqlite_unmigrated() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("vidare.sqlite").display());
        let store = Store::connect(&url)
            .await
            .expect("open SQLite test database");
        TestDb {
            store,
            _dir: Some(dir),
            url,
        }
    }

    /// A fresh schema in the test PostgreSQL database, migrated.
    pub async fn postgres() -> TestDb {
        let db = TestDb::postgres_unmigrated().await;
        db.store
            .migrate()
            .await
            .expect("migrate PostgreSQL test schema");
        db
    }

    /// A fresh schema in the test PostgreSQL database, not migrated.
    pub async fn postgres_unmigrated() -> TestDb {
        let url = postgres_url();
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for the storage tests and was not reachable at {}: {e}. \
                 Start it (see README) or set VIDARE_TEST_POSTGRES_URL.",
                crate::redact(&url)
            )
        });
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        let _ = admin.close().await;
        let options = PgConnectOptions::from_str(&url)
            .expect("test URL")
            .options([("search_path", schema.as_str())]);
        let store = Store::connect_postgres(options, &url)
            .await
            .expect("connect to test schema");
        TestDb {
            store,
            _dir: None,
            url: format!("{url}?options=-c%20search_path%3D{schema}"),
        }
    }
}
