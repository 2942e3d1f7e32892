//! Bulk loads into SQLite through the connection's own handle.
//!
//! sqlx hands every bound value to its connection thread as an owned copy, which SQLite
//! then copies again; for a million imported rows of twelve values that copying and the
//! hand-over of each statement cost about as much as SQLite's own inserting
//! (`vidare bench import`, profiled with `perf`). Here one prepared single-row INSERT is
//! bound with values borrowed from the rows (`SQLITE_STATIC`: SQLite reads them in place
//! until they are bound again) and stepped once per row, which is what the `sqlite3`
//! shell's `.import` does.
//!
//! The caller holds the connection (and its transaction) through sqlx's
//! `lock_handle`, so nothing else uses the handle meanwhile.

use std::ffi::{c_char, c_int, CStr};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;

use crate::bulk::Value;

/// One prepared statement, finalized when dropped.
pub(crate) struct Statement {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Statement {
    /// Prepares `sql` (one statement) on `db`.
    ///
    /// # Safety
    /// `db` must be an open connection that no other thread uses while this statement
    /// lives.
    pub(crate) unsafe fn prepare(
        db: NonNull<ffi::sqlite3>,
        sql: &str,
    ) -> Result<Self, sqlx::Error> {
        let mut stmt = std::ptr::null_mut();
        let len = c_int::try_from(sql.len())
            .map_err(|_| sqlx::Error::Protocol("statement too long".into()))?;
        // SAFETY: `sql` is valid for `len` bytes; `stmt` receives the statement.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr().cast::<c_char>(),
                len,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        let stmt = NonNull::new(stmt)
            .ok_or_else(|| sqlx::Error::Protocol("an empty statement was prepared".into()))?;
        Ok(Statement { db, stmt })
    }

    /// Binds `values` to parameters 1.. and runs the statement once; returns the
    /// number of rows it changed (0 for an INSERT skipped by `ON CONFLICT DO NOTHING`).
    ///
    /// Text is bound without a copy. SQLite reads it only while stepping, which happens
    /// here while `values` is borrowed; the statement is reset before returning, and the
    /// next call binds every parameter anew before stepping again.
    pub(crate) fn run(&mut self, values: &[Value<'_>]) -> Result<u64, sqlx::Error> {
        let s = self.stmt.as_ptr();
        // Every parameter is bound on every run, so no pointer from an earlier run can
        // be read.
        // SAFETY: a live statement.
        let expected = unsafe { ffi::sqlite3_bind_parameter_count(s) };
        if usize::try_from(expected).ok() != Some(values.len()) {
            return Err(sqlx::Error::Protocol(format!(
                "a bulk load bound {} values to a statement with {expected} parameters",
                values.len()
            )));
        }
        for (i, v) in values.iter().enumerate() {
            let at = c_int::try_from(i + 1)
                .map_err(|_| sqlx::Error::Protocol("too many parameters".into()))?;
            // SAFETY: `s` is a live statement; text pointers are valid for their length
            // until the reset below, after which SQLite no longer reads them.
            let rc = unsafe {
                match *v {
                    Value::Int(n) | Value::NullableInt(Some(n)) => {
                        ffi::sqlite3_bind_int64(s, at, n)
                    }
                    Value::Bool(b) => ffi::sqlite3_bind_int64(s, at, i64::from(b)),
                    Value::Text(t) | Value::NullableText(Some(t)) => bind_text(s, at, t, false),
                    Value::NullableInt(None)
                    | Value::NullableText(None)
                    | Value::NullableDate(None) => ffi::sqlite3_bind_null(s, at),
                    // The text forms sqlx's encoders write, so a row reads back the same
                    // whichever way it was stored; copied, being temporaries.
                    Value::Date(d) | Value::NullableDate(Some(d)) => {
                        bind_text(s, at, &d.format("%F").to_string(), true)
                    }
                    Value::Timestamp(t) => bind_text(
                        s,
                        at,
                        &t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
                        true,
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.db, rc));
            }
        }
        // SAFETY: a live statement with every parameter bound.
        let rc = unsafe { ffi::sqlite3_step(s) };
        // SAFETY: as above. Resetting ends SQLite's reads of the bound text; its result
        // repeats the step's error, whose message stays readable for `error`.
        unsafe { ffi::sqlite3_reset(s) };
        if rc != ffi::SQLITE_DONE {
            return Err(error(self.db, rc));
        }
        // SAFETY: the connection is open.
        let changed = unsafe { ffi::sqlite3_changes64(self.db.as_ptr()) };
        Ok(u64::try_from(changed).unwrap_or(0))
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on this connection and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// # Safety
/// `s` is a live statement; unless `copy`, `t` must outlive the statement's next reset.
unsafe fn bind_text(s: *mut ffi::sqlite3_stmt, at: c_int, t: &str, copy: bool) -> c_int {
    let destructor = if copy {
        ffi::SQLITE_TRANSIENT()
    } else {
        ffi::SQLITE_STATIC()
    };
    // SAFETY: `t` is valid UTF-8 of `t.len()` bytes (SQLite takes a 64-bit length).
    unsafe {
        ffi::sqlite3_bind_text64(
            s,
            at,
            t.as_ptr().cast::<c_char>(),
            t.len() as u64,
            destructor,
            ffi::SQLITE_UTF8 as u8,
        )
    }
}

/// The connection's error as sqlx reports errors it cannot type.
fn error(db: NonNull<ffi::sqlite3>, rc: c_int) -> sqlx::Error {
    // SAFETY: the connection is open; the message is copied before anything else runs.
    let message = unsafe {
        let m = ffi::sqlite3_errmsg(db.as_ptr());
        if m.is_null() {
            String::new()
        } else {
            CStr::from_ptr(m).to_string_lossy().into_owned()
        }
    };
    sqlx::Error::Protocol(format!("SQLite error {rc} in a bulk load: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use sqlx::{Connection, Row};

    /// Every kind of value, stored through the raw handle and through sqlx's encoders,
    /// reads back identically; a wrong number of values is refused before any step.
    #[tokio::test]
    async fn values_are_stored_as_sqlx_stores_them() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (a, b, c, d, e, f, g, h, i, j)")
            .execute(&mut conn)
            .await
            .unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 23, 59, 1).unwrap();
        let values = [
            Value::Int(-7),
            Value::Bool(true),
            Value::Text("Åsa \"O'Brien\"\t;"),
            Value::NullableInt(None),
            Value::NullableInt(Some(12)),
            Value::NullableText(None),
            Value::Date(date),
            Value::NullableDate(Some(date)),
            Value::NullableDate(None),
            Value::Timestamp(at),
        ];
        let sql = "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        {
            let mut handle = conn.lock_handle().await.unwrap();
            let db = handle.as_raw_handle();
            // SAFETY: the handle is locked for this block.
            let mut stmt = unsafe { Statement::prepare(db, sql).unwrap() };
            assert_eq!(stmt.run(&values).unwrap(), 1);
            assert!(stmt.run(&values[..9]).is_err());
            let text = String::from("changes after binding");
            assert_eq!(stmt.run(&[Value::Text(&text); 10]).unwrap(), 1);
        }
        let mut q = sqlx::query(sql);
        for v in values {
            q = crate::bulk::bind_value!(q, v);
        }
        q.execute(&mut conn).await.unwrap();
        let rows =
            sqlx::query("SELECT a, b, c, d, e, f, g, h, i, j, typeof(a) || typeof(b) FROM t")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert_eq!(rows.len(), 3);
        let cells = |r: &sqlx::sqlite::SqliteRow| -> Vec<Option<String>> {
            (0..11)
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .or_else(|_| {
                            r.try_get::<Option<i64>, _>(i)
                                .map(|n| n.map(|n| n.to_string()))
                        })
                        .unwrap()
                })
                .collect()
        };
        assert_eq!(cells(&rows[0]), cells(&rows[2]));
        assert_eq!(rows[1].get::<String, _>(9), "changes after binding");
    }
}
