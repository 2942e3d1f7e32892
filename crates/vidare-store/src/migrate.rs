//! Versioned migrations, one set per backend (`migrations/sqlite`, `migrations/postgres`),
//! embedded in the binary, and the check that refuses a database written by a newer
//! Vidare.

use sqlx::migrate::Migrator;

use crate::{Backend, Store, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// How the database's schema relates to this binary's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaStatus {
    /// No migration has been applied.
    Empty { binary: i64 },
    /// Every migration this binary knows is applied, and no other.
    Current { version: i64 },
    /// Some of this binary's migrations are not yet applied.
    Outdated { database: i64, binary: i64 },
    /// The database has migrations this binary does not know.
    Newer { database: i64, binary: i64 },
}

impl Store {
    fn migrator(&self) -> &'static Migrator {
        match self.backend() {
            Backend::Sqlite(_) => &SQLITE,
            Backend::Postgres(_) => &POSTGRES,
        }
    }

    /// The newest schema version this binary knows.
    pub fn binary_schema_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Applies every pending migration, then brings audit logs written before migration
    /// 0014 up to its hash version ([`Store::upgrade_audit_log`]). Refuses a database
    /// whose schema is newer.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if let SchemaStatus::Newer { database, binary } = self.schema_status().await? {
            return Err(StoreError::SchemaNewer { database, binary });
        }
        match self.writer() {
            Backend::Sqlite(pool) => SQLITE.run(pool).await?,
            Backend::Postgres(pool) => POSTGRES.run(pool).await?,
        }
        self.upgrade_audit_log().await?;
        Ok(())
    }

    /// Applies the migrations up to and including `version` only, nothing else: for
    /// tests that write data the way an earlier version did and then migrate it.
    #[doc(hidden)]
    pub async fn migrate_until(&self, version: i64) -> Result<(), StoreError> {
        let partial = |all: &Migrator| Migrator {
            migrations: std::borrow::Cow::Owned(
                all.iter()
                    .filter(|m| m.version <= version)
                    .cloned()
                    .collect(),
            ),
            ..Migrator::DEFAULT
        };
        match self.writer() {
            Backend::Sqlite(pool) => partial(&SQLITE).run(pool).await?,
            Backend::Postgres(pool) => partial(&POSTGRES).run(pool).await?,
        }
        Ok(())
    }

    /// Compares the applied migrations with this binary's.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let applied = self.applied_migrations().await?;
        let binary = self.binary_schema_version();
        let known = self.migrator();
        let mut database = 0;
        for (version, checksum) in &applied {
            database = database.max(*version);
            match known.iter().find(|m| m.version == *version) {
                None => {
                    return Ok(SchemaStatus::Newer {
                        database: *version,
                        binary,
                    })
                }
                Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                    return Err(StoreError::SchemaMismatch { version: *version })
                }
                Some(_) => {}
            }
        }
        Ok(if applied.is_empty() {
            SchemaStatus::Empty { binary }
        } else if applied.len() < known.iter().count() {
            SchemaStatus::Outdated { database, binary }
        } else {
            SchemaStatus::Current { version: database }
        })
    }

    /// Succeeds only when the schema is exactly this binary's: what `serve` checks before
    /// it accepts requests.
    pub async fn require_current_schema(&self) -> Result<i64, StoreError> {
        match self.schema_status().await? {
            SchemaStatus::Current { version } => Ok(version),
            SchemaStatus::Empty { binary } => Err(StoreError::SchemaOutdated {
                database: 0,
                binary,
            }),
            SchemaStatus::Outdated { database, binary } => {
                Err(StoreError::SchemaOutdated { database, binary })
            }
            SchemaStatus::Newer { database, binary } => {
                Err(StoreError::SchemaNewer { database, binary })
            }
        }
    }

    async fn applied_migrations(&self) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let exists: bool = match self.backend() {
            Backend::Sqlite(pool) => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
            )
            .fetch_one(pool)
            .await?,
            Backend::Postgres(pool) => {
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(pool)
                    .await?
            }
        };
        if !exists {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, Vec<u8>)> = crate::with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
