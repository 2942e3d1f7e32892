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

/// Where the totals the triggers keep (`placement_totals`, `supplier_month_payments`,
/// migration 0010) differ from the same sums computed afresh from attendance and invoice
/// lines: one line per difference, empty when they agree.
pub async fn totals_mismatches(store: &Store) -> Vec<String> {
    use sqlx::Row;
    const PLACEMENTS: &str = "
        WITH a AS (SELECT placement_id, COUNT(*) AS months, SUM(attended_minutes) AS minutes
                   FROM attendance_months GROUP BY placement_id),
             p AS (SELECT l.placement_id, SUM(CASE WHEN i.kind = 'credit_note'
                          THEN -l.amount_ore ELSE l.amount_ore END) AS paid
                   FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id
                    AND i.id = l.invoice_id WHERE i.status <> 'draft' GROUP BY l.placement_id)
        SELECT pl.id,
               CAST(COALESCE(a.months, 0) AS BIGINT), CAST(COALESCE(a.minutes, 0) AS BIGINT),
               CAST(COALESCE(p.paid, 0) AS BIGINT),
               CAST(COALESCE(t.attendance_months, 0) AS BIGINT),
               CAST(COALESCE(t.attended_minutes, 0) AS BIGINT),
               CAST(COALESCE(t.paid_ore, 0) AS BIGINT)
        FROM placements pl LEFT JOIN a ON a.placement_id = pl.id
        LEFT JOIN p ON p.placement_id = pl.id LEFT JOIN placement_totals t ON t.placement_id = pl.id
        ORDER BY pl.id";
    const PAYMENTS: &str = "
        SELECT i.tenant_id, i.organisation_id, l.agreement_id, i.month,
               CAST(SUM(CASE WHEN i.kind = 'credit_note' THEN -l.amount_ore ELSE l.amount_ore END)
                    AS BIGINT), CAST(COUNT(*) AS BIGINT), CAST(0 AS BIGINT)
        FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
        WHERE i.status <> 'draft' GROUP BY i.tenant_id, i.organisation_id, l.agreement_id, i.month
        UNION ALL
        SELECT tenant_id, organisation_id, agreement_id, month, amount_ore, line_count,
               CAST(1 AS BIGINT)
        FROM supplier_month_payments WHERE line_count > 0
        ORDER BY 1, 2, 3, 4, 7";
    let mut out = Vec::new();
    let (placements, payments) = crate::with_pool!(store, |pool| {
        let placements = sqlx::query(PLACEMENTS).fetch_all(pool).await.map(|r| {
            r.iter()
                .map(|r| (0..7).map(|i| r.get::<i64, _>(i)).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        });
        let payments = sqlx::query(PAYMENTS).fetch_all(pool).await.map(|r| {
            r.iter()
                .map(|r| {
                    let mut k: Vec<String> =
                        (0..3).map(|i| r.get::<i64, _>(i).to_string()).collect();
                    k.push(r.get::<String, _>(3));
                    (
                        k.join("/"),
                        r.get::<i64, _>(4),
                        r.get::<i64, _>(5),
                        r.get::<i64, _>(6),
                    )
                })
                .collect::<Vec<_>>()
        });
        (placements, payments)
    });
    for r in placements.expect("placement totals query") {
        if r[1..4] != r[4..7] {
            out.push(format!(
                "placement {}: computed (months, minutes, paid) {:?}, kept {:?}",
                r[0],
                &r[1..4],
                &r[4..7]
            ));
        }
    }
    let payments = payments.expect("payment totals query");
    let mut computed = std::collections::BTreeMap::new();
    let mut kept = std::collections::BTreeMap::new();
    for (k, amount, lines, side) in payments {
        if side == 0 { &mut computed } else { &mut kept }.insert(k, (amount, lines));
    }
    if computed != kept {
        out.push(format!(
            "supplier payments: computed {computed:?}, kept {kept:?}"
        ));
    }
    out
}
