//! Raw bulk loading with ids chosen by the caller: the path synthetic data generation
//! and other whole-tenant loads take.
//!
//! Unlike [`crate::import`], which loads validated domain rows and lets the database
//! assign ids, a [`BulkLoad`] writes rows exactly as given — primary keys and foreign
//! keys included — so a generator can link millions of rows without a round-trip per
//! row. The caller is responsible for the rows being valid (the generator builds them
//! from domain types); the database's constraints still hold them to the schema.
//!
//! - SQLite: multi-row `INSERT` statements on one connection inside one
//!   `BEGIN IMMEDIATE` transaction, with `synchronous = OFF` for that connection (the
//!   connection is closed afterwards rather than returned to the pool, so the setting
//!   never leaks into ordinary requests).
//! - PostgreSQL: `COPY … FROM STDIN` in text format inside one transaction; afterwards
//!   [`Store::reset_id_sequences`] moves the identity sequences past the loaded ids.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::{Backend, Store, StoreError};

/// One column value of a row to load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Int(i64),
    Bool(bool),
    Text(&'a str),
    NullableInt(Option<i64>),
    NullableText(Option<&'a str>),
    /// A calendar date (TEXT `YYYY-MM-DD` on SQLite, DATE on PostgreSQL).
    Date(NaiveDate),
    NullableDate(Option<NaiveDate>),
    /// An instant (RFC 3339 TEXT on SQLite, TIMESTAMPTZ on PostgreSQL).
    Timestamp(DateTime<Utc>),
}

/// Binds a [`Value`] to a query of either backend.
macro_rules! bind_value {
    ($q:expr, $v:expr) => {
        match $v {
            $crate::bulk::Value::Int(i) => $q.bind(i),
            $crate::bulk::Value::Bool(b) => $q.bind(b),
            $crate::bulk::Value::Text(s) => $q.bind(s),
            $crate::bulk::Value::NullableInt(i) => $q.bind(i),
            $crate::bulk::Value::NullableText(s) => $q.bind(s),
            $crate::bulk::Value::Date(d) => $q.bind(d),
            $crate::bulk::Value::NullableDate(d) => $q.bind(d),
            $crate::bulk::Value::Timestamp(t) => $q.bind(t),
        }
    };
}
pub(crate) use bind_value;

/// Appends one row in PostgreSQL's COPY text format (tab-separated, `\N` for NULL,
/// backslash escapes). Also a canonical text form of a row, which is why it is public:
/// content hashes are computed over it.
pub fn write_copy_line(buf: &mut Vec<u8>, values: &[Value<'_>]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        match *v {
            Value::Int(n) | Value::NullableInt(Some(n)) => write_int(buf, n),
            Value::Bool(b) => buf.push(if b { b't' } else { b'f' }),
            Value::Text(s) | Value::NullableText(Some(s)) => escape_copy(buf, s),
            Value::Date(d) | Value::NullableDate(Some(d)) => write_date(buf, d),
            Value::Timestamp(t) => {
                let _ = write!(
                    buf,
                    "{}",
                    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
                );
            }
            Value::NullableInt(None) | Value::NullableText(None) | Value::NullableDate(None) => {
                buf.extend_from_slice(b"\\N")
            }
        }
    }
    buf.push(b'\n');
}

fn write_int(buf: &mut Vec<u8>, n: i64) {
    // Formatting integers is most of the work of a COPY line; avoid `write!`'s overhead.
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let negative = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if negative {
        buf.push(b'-');
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn write_date(buf: &mut Vec<u8>, d: NaiveDate) {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if (0..=9999).contains(&y) {
        let y = y as u32;
        buf.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (day / 10) as u8,
            b'0' + (day % 10) as u8,
        ]);
    } else {
        let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
    }
}

pub(crate) fn escape_copy(buf: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// A multi-row `INSERT` of `rows` rows of `columns` with anonymous `?` parameters.
///
/// Anonymous rather than numbered (`$n`): for numbered parameters the driver asks
/// SQLite for each parameter's name, a linear search, which makes binding a
/// statement of thousands of parameters quadratic.
pub(crate) fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let cols = columns.len();
    let mut sql = String::with_capacity(32 + rows * cols * 3);
    sql.push_str("INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" (");
    sql.push_str(&columns.join(", "));
    sql.push_str(") VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql
}

/// SQLite's limit on bound parameters in one statement (the bundled build's default).
const SQLITE_MAX_PARAMETERS: usize = 32_766;
/// Rows per statement at most; beyond this, longer statements stop paying off.
const SQLITE_MAX_ROWS: usize = 1_000;
/// Bytes of COPY data sent to PostgreSQL at a time.
const COPY_CHUNK: usize = 1 << 20;

enum Inner {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open bulk load: one transaction into which tables are loaded one after another.
/// Nothing is visible to others until [`BulkLoad::commit`]; dropping it without
/// committing discards everything loaded.
pub struct BulkLoad {
    inner: Inner,
    /// The store loaded into: its caches of derived figures are dropped at commit, since
    /// a bulk load is not in the audit log those caches are keyed by.
    store: Store,
    /// The COPY buffer, kept between tables to reuse its allocation.
    copy: Vec<u8>,
}

impl Store {
    /// Opens a bulk load. On SQLite this takes the write lock for as long as the load is
    /// open, so keep each load to a bounded batch (a municipality, say).
    ///
    /// With `check_foreign_keys` false the database does not check the loaded rows'
    /// foreign keys, which makes loading several times faster; only pass false for rows
    /// that are consistent by construction (a generator whose output is checked
    /// elsewhere). On PostgreSQL that needs a superuser (`session_replication_role`);
    /// for anyone else the keys are checked anyway.
    pub async fn begin_bulk(&self, check_foreign_keys: bool) -> Result<BulkLoad, StoreError> {
        let inner = match self.writer() {
            Backend::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                // The connection's settings change for the load; never hand it back.
                conn.close_on_drop();
                // Durability of a half-written load does not matter: the transaction is
                // all or nothing, and a crash mid-load leaves the previous commit intact
                // under WAL. Syncing at every checkpoint would only slow the load.
                sqlx::query("PRAGMA synchronous = OFF")
                    .execute(&mut *conn)
                    .await?;
                if !check_foreign_keys {
                    // Only takes effect outside a transaction, hence before BEGIN.
                    sqlx::query("PRAGMA foreign_keys = OFF")
                        .execute(&mut *conn)
                        .await?;
                }
                sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
                Inner::Sqlite(conn)
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                if !check_foreign_keys {
                    // Foreign keys are enforced by triggers, which the replica role skips;
                    // SET LOCAL ends with the transaction. Asking first keeps a refused SET
                    // from aborting the transaction.
                    let superuser: String =
                        sqlx::query_scalar("SELECT current_setting('is_superuser')")
                            .fetch_one(&mut *tx)
                            .await?;
                    if superuser == "on" {
                        sqlx::query("SET LOCAL session_replication_role = replica")
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Inner::Postgres(tx)
            }
        };
        Ok(BulkLoad {
            inner,
            store: self.clone(),
            copy: Vec::new(),
        })
    }

    /// The largest id in each of `tables` (0 for an empty table), so that a loader can
    /// number new rows after them.
    pub async fn max_ids(&self, tables: &[&str]) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::with_capacity(tables.len());
        for table in tables {
            let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
            let id: i64 = crate::with_pool!(self, |pool| {
                sqlx::query_scalar(&sql).fetch_one(pool).await?
            });
            out.push(id);
        }
        Ok(out)
    }

    /// After rows were loaded with explicit ids, moves each table's id sequence past its
    /// largest id so that ordinary inserts continue after them. PostgreSQL's identity
    /// columns do not notice explicit ids; SQLite's rowids need nothing.
    pub async fn reset_id_sequences(&self, tables: &[&str]) -> Result<(), StoreError> {
        if let Backend::Postgres(pool) = self.backend() {
            for table in tables {
                // setval(…, max, true) makes the next value max + 1; an empty table
                // restarts at 1.
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                );
                sqlx::query(&sql).execute(pool).await?;
            }
        }
        Ok(())
    }
}

impl BulkLoad {
    /// Loads `rows` into `table`. `to_values` appends one row's values in `columns`
    /// order. Returns the number of rows written.
    pub async fn load<R, F>(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[R],
        to_values: F,
    ) -> Result<u64, StoreError>
    where
        F: for<'r> Fn(&'r R, &mut Vec<Value<'r>>),
    {
        if rows.is_empty() {
            return Ok(0);
        }
        let cols = columns.len();
        let mut values: Vec<Value<'_>> = Vec::with_capacity(cols * SQLITE_MAX_ROWS.min(rows.len()));
        let result = match &mut self.inner {
            Inner::Sqlite(conn) => {
                let per_statement = (SQLITE_MAX_PARAMETERS / cols).clamp(1, SQLITE_MAX_ROWS);
                let full_sql = insert_sql(table, columns, per_statement);
                let mut written = 0u64;
                for chunk in rows.chunks(per_statement) {
                    values.clear();
                    for r in chunk {
                        to_values(r, &mut values);
                    }
                    check_width(table, cols, chunk.len(), values.len())?;
                    let tail_sql;
                    let (sql, persistent) = if chunk.len() == per_statement {
                        (full_sql.as_str(), true)
                    } else {
                        tail_sql = insert_sql(table, columns, chunk.len());
                        (tail_sql.as_str(), false)
                    };
                    let mut q = sqlx::query(sql).persistent(persistent);
                    for v in values.iter().copied() {
                        q = bind_value!(q, v);
                    }
                    written += q.execute(&mut **conn).await?.rows_affected();
                }
                Ok(written)
            }
            Inner::Postgres(tx) => {
                let sql = format!(
                    "COPY {table} ({}) FROM STDIN (FORMAT text)",
                    columns.join(", ")
                );
                let mut copy = tx.copy_in_raw(&sql).await?;
                let mut buf = std::mem::take(&mut self.copy);
                buf.clear();
                buf.reserve(COPY_CHUNK + 4096);
                let mut failed = None;
                for r in rows {
                    values.clear();
                    to_values(r, &mut values);
                    if let Err(e) = check_width(table, cols, 1, values.len()) {
                        failed = Some(e);
                        break;
                    }
                    write_copy_line(&mut buf, &values);
                    if buf.len() >= COPY_CHUNK {
                        if let Err(e) = copy.send(buf.as_slice()).await {
                            failed = Some(e.into());
                            break;
                        }
                        buf.clear();
                    }
                }
                let result = match failed {
                    Some(e) => {
                        let _ = copy.abort("bulk load failed").await;
                        Err(e)
                    }
                    None => {
                        let sent = if buf.is_empty() {
                            Ok(())
                        } else {
                            copy.send(buf.as_slice()).await.map(|_| ())
                        };
                        match sent {
                            Ok(()) => copy.finish().await.map_err(StoreError::from),
                            Err(e) => Err(e.into()),
                        }
                    }
                };
                buf.clear();
                self.copy = buf;
                result
            }
        };
        result
    }

    /// Makes everything loaded visible at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            Inner::Sqlite(mut conn) => {
                sqlx::query("COMMIT").execute(&mut *conn).await?;
                // Closing (rather than returning) the connection drops its settings.
                let _ = conn.close().await;
            }
            Inner::Postgres(tx) => tx.commit().await?,
        }
        self.store.forget_derived_figures();
        Ok(())
    }

    /// Discards everything loaded.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            Inner::Sqlite(mut conn) => {
                sqlx::query("ROLLBACK").execute(&mut *conn).await?;
                let _ = conn.close().await;
            }
            Inner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

fn check_width(table: &str, cols: usize, rows: usize, values: usize) -> Result<(), StoreError> {
    if values != cols * rows {
        // A programming error in the caller, not bad input: report it as the driver would.
        return Err(StoreError::Database(sqlx::Error::Protocol(format!(
            "bulk load into {table}: {values} values for {rows} row(s) of {cols} columns"
        ))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_lines_are_canonical() {
        let mut buf = Vec::new();
        write_copy_line(
            &mut buf,
            &[
                Value::Int(-42),
                Value::Date(NaiveDate::from_ymd_opt(2024, 3, 9).unwrap()),
                Value::NullableDate(None),
                Value::Timestamp(
                    NaiveDate::from_ymd_opt(2022, 9, 30)
                        .unwrap()
                        .and_hms_opt(10, 15, 0)
                        .unwrap()
                        .and_utc(),
                ),
                Value::Text("a\tb"),
                Value::Bool(false),
            ],
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "-42\t2024-03-09\t\\N\t2022-09-30T10:15:00+00:00\ta\\tb\tf\n"
        );
        let mut n = Vec::new();
        for v in [0, 7, 10, 1_234_567_890_123, i64::MIN + 1] {
            n.clear();
            write_int(&mut n, v);
            assert_eq!(String::from_utf8(n.clone()).unwrap(), v.to_string());
        }
    }

    #[test]
    fn insert_sql_has_a_parameter_per_value() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?,?), (?,?)"
        );
    }
}
