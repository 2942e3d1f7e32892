//! Storage errors. A request handler turns these into HTTP responses; the command line
//! prints them. None of them carries a password or a stack trace.

use vidare_domain::model::RuleViolation;
use vidare_domain::{Lang, Localized};

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not one Vidare understands.
    #[error("the database URL {url} is not valid: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The database could not be reached or opened.
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The database has migrations this binary does not know: a newer Vidare wrote it.
    #[error("the database schema (version {database}) is newer than this program supports (version {binary}); upgrade Vidare before using this database")]
    SchemaNewer { database: i64, binary: i64 },
    /// The database lacks migrations this binary needs.
    #[error("the database schema (version {database}) is older than this program needs (version {binary}); run `vidare migrate` first")]
    SchemaOutdated { database: i64, binary: i64 },
    /// The database holds an applied migration whose content differs from this binary's.
    #[error("migration {version} in the database differs from this program's; the database was changed by hand or by a different build")]
    SchemaMismatch { version: i64 },
    /// No row with that id exists for the tenant (or it belongs to another tenant).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A unique rule would be broken (e.g. the same personnummer twice in a tenant).
    #[error("{field}: already exists")]
    Conflict { field: &'static str },
    /// A domain rule refused the change.
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    /// A stored value no longer satisfies the domain rules (edited outside Vidare).
    #[error("stored {entity} {id} is invalid: {reason}")]
    Corrupt {
        entity: &'static str,
        id: i64,
        reason: String,
    },
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A migration failed to apply.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn unreachable(url: &str, e: sqlx::Error) -> StoreError {
        let reason = match &e {
            sqlx::Error::Io(io) => io.to_string(),
            sqlx::Error::Database(db) => db.message().to_string(),
            sqlx::Error::PoolTimedOut => "timed out connecting".into(),
            other => other.to_string(),
        };
        StoreError::Unreachable {
            url: crate::redact(url),
            reason,
        }
    }

    /// Whether the error is the caller's (4xx) rather than the system's (5xx).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound { .. } | StoreError::Conflict { .. } | StoreError::Rule(_)
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict {
                    field: unique_field(db.message(), db.constraint()),
                };
            }
        }
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound { entity: "row" };
        }
        StoreError::Database(e)
    }
}

/// Names the field behind a unique violation, from PostgreSQL's constraint name or
/// SQLite's message (`UNIQUE constraint failed: participants.tenant_id, participants.personal_number`).
fn unique_field(message: &str, constraint: Option<&str>) -> &'static str {
    let hay = format!("{} {}", message, constraint.unwrap_or_default());
    const FIELDS: &[&str] = &[
        "personal_number",
        "org_number",
        "email",
        "slug",
        "code",
        "number",
        "organisation_id",
        "placement_id",
        "point",
        "round_id",
    ];
    FIELDS
        .iter()
        .find(|f| hay.contains(*f))
        .copied()
        .unwrap_or("id")
}

impl Localized for StoreError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (StoreError::NotFound { .. }, Lang::Sv) => "Uppgiften finns inte.".into(),
            (StoreError::Conflict { field }, Lang::Sv) => {
                format!("Det finns redan en post med samma värde i fältet {field}.")
            }
            (StoreError::Conflict { field }, Lang::En) => {
                format!("A record with the same {field} already exists.")
            }
            (StoreError::Rule(v), lang) => v.message(lang),
            (StoreError::SchemaNewer { .. }, Lang::Sv) => {
                "Databasen är skapad av en nyare version av Vidare. Uppgradera programmet.".into()
            }
            (StoreError::SchemaOutdated { .. }, Lang::Sv) => {
                "Databasen behöver uppdateras. Kör `vidare migrate`.".into()
            }
            (StoreError::Unreachable { url, .. }, Lang::Sv) => {
                format!("Databasen på {url} går inte att nå.")
            }
            (other, _) => other.to_string(),
        }
    }
}
