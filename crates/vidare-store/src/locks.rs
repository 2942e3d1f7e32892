//! Locks that make a read-then-write transaction safe against a concurrent one doing the
//! same: taken first in the transaction, held until it commits or rolls back.
//!
//! PostgreSQL runs transactions in READ COMMITTED, where two transactions can both read
//! "one place left" (or "this month is not invoiced yet") and both act on it. Taking the
//! lock before reading makes the second wait until the first has committed; its reads
//! then see what the first wrote (each statement of a READ COMMITTED transaction reads
//! the latest committed data). SQLite needs nothing: its write transactions run one at a
//! time on the single writer connection and start with `BEGIN IMMEDIATE` (see
//! [`crate::with_tx!`]), so no other writer can run between the read and the write.

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, SqliteConnection};
use vidare_domain::period::YearMonth;

/// A connection inside a write transaction, of either backend.
pub(crate) trait TxLocks {
    /// Locks an agreement's row for the rest of the transaction, so its free places are
    /// counted and taken by one transaction at a time.
    async fn lock_agreement(&mut self, tenant: i64, agreement: i64) -> Result<(), sqlx::Error>;

    /// Takes the invoicing lock of a tenant's month for the rest of the transaction:
    /// creating the month's invoices, crediting one of them and correcting a
    /// placement-month's attendance each read what is billed before writing.
    async fn lock_invoicing_month(
        &mut self,
        tenant: i64,
        month: YearMonth,
    ) -> Result<(), sqlx::Error>;
}

impl TxLocks for SqliteConnection {
    async fn lock_agreement(&mut self, _: i64, _: i64) -> Result<(), sqlx::Error> {
        // The transaction already holds SQLite's write lock (BEGIN IMMEDIATE).
        Ok(())
    }

    async fn lock_invoicing_month(&mut self, _: i64, _: YearMonth) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

impl TxLocks for PgConnection {
    async fn lock_agreement(&mut self, tenant: i64, agreement: i64) -> Result<(), sqlx::Error> {
        // NO KEY UPDATE conflicts with itself but not with the key-share locks that
        // foreign-key checks take, so inserting placements under the agreement elsewhere
        // is not held up.
        sqlx::query(
            "SELECT id FROM framework_agreements WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE",
        )
        .bind(tenant)
        .bind(agreement)
        .fetch_optional(self)
        .await?;
        Ok(())
    }

    async fn lock_invoicing_month(
        &mut self,
        tenant: i64,
        month: YearMonth,
    ) -> Result<(), sqlx::Error> {
        // A month has no row to lock, so a transaction-scoped advisory lock on a key
        // derived from (tenant, month). Two keys that collide only make unrelated
        // months wait for each other, never let two runs of one month through.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(advisory_key(&format!("invoicing/{tenant}/{month}")))
            .execute(self)
            .await?;
        Ok(())
    }
}

/// A stable 64-bit advisory-lock key for `name` (the first 8 bytes of its SHA-256), the
/// same in every process and version.
fn advisory_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_keys_are_stable_and_distinct() {
        let may = advisory_key("invoicing/1/2024-05");
        assert_eq!(may, advisory_key("invoicing/1/2024-05"));
        assert_ne!(may, advisory_key("invoicing/1/2024-06"));
        assert_ne!(may, advisory_key("invoicing/2/2024-05"));
    }
}
