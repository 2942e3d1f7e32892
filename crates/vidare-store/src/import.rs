//! Bulk loading for imports: all rows or none.
//!
//! The rows arrive already validated by the domain types; what can still go wrong is a
//! key that the tenant already holds. Both backends load inside one transaction and,
//! if any key was already stored, roll back and report the file's lines that clash.
//! SQLite loads with a prepared `INSERT … ON CONFLICT DO NOTHING` of 512 rows stepped on
//! the connection's own handle, values bound in place (`sqlite_load`); PostgreSQL loads
//! with `COPY … FROM STDIN`, its fastest path. Both write the rows in key order.

use sqlx::Row;
use vidare_domain::model::participant::NewParticipant;

use crate::rows::int;
use crate::{Backend, Scoped, StoreError};
use vidare_domain::model::organisation::NewOrganisation;

pub use crate::bulk::Value;
use crate::bulk::{bind_value, write_copy_line};

/// A row type that can be bulk-loaded.
pub trait BulkRow: Sync {
    /// The table to load into.
    const TABLE: &'static str;
    /// The columns, `tenant_id` first.
    const COLUMNS: &'static [&'static str];
    /// The column that is unique per tenant (the natural key).
    const KEY: &'static str;
    /// The row's natural key as stored.
    fn key(&self) -> Key;
    /// The row's values in [`BulkRow::COLUMNS`] order, after `tenant_id`.
    fn values<'a>(&'a self, key: &'a str, out: &mut Vec<Value<'a>>);
    /// Starts loading the text the row points to into the CPU's cache (see
    /// [`in_key_order`]); a hint that changes no result.
    fn prefetch_text(&self) {}
}

/// A natural key as stored: up to twelve ASCII digits held inline, so that a million
/// of them are made and sorted without an allocation or a pointer to follow each.
/// Keys of one length order as their numbers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    len: u8,
    digits: [u8; 12],
}

impl Key {
    /// The key spelled by `ascii`, at most twelve ASCII digits (the canonical identity
    /// and organisation numbers).
    pub fn new(ascii: &[u8]) -> Key {
        assert!(
            ascii.len() <= 12 && ascii.iter().all(u8::is_ascii_digit),
            "a key is at most twelve ASCII digits"
        );
        let mut digits = [0; 12];
        digits[..ascii.len()].copy_from_slice(ascii);
        Key {
            len: ascii.len() as u8,
            digits,
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).expect("ASCII digits")
    }
}

/// How far ahead of the row being written [`in_key_order`] asks for the next rows.
const PREFETCH_AHEAD: usize = 16;

/// The rows in the order of `order` (key, index into `rows`), each with its key.
///
/// The file's order is not the key's, so this visits the parsed rows, and the names
/// they point to, at scattered places in memory: for a million rows, each visit would
/// wait for main memory several times over, most of a second in all, while SQLite or
/// the COPY stream has nothing to do. So the row `PREFETCH_AHEAD` places on is asked
/// for in advance, and the text of the one half as far on, whose row has arrived by
/// then.
fn in_key_order<'r, T: BulkRow>(
    rows: &'r [Numbered<T>],
    order: &'r [(Key, u32)],
) -> impl Iterator<Item = (&'r Numbered<T>, &'r Key)> + 'r {
    order.iter().enumerate().map(move |(at, (key, i))| {
        if let Some((_, far)) = order.get(at + PREFETCH_AHEAD) {
            prefetch(&rows[*far as usize]);
        }
        if let Some((_, near)) = order.get(at + PREFETCH_AHEAD / 2) {
            rows[*near as usize].row.prefetch_text();
        }
        (&rows[*i as usize], key)
    })
}

/// Asks the CPU to start loading every cache line of `value`; a hint only.
#[inline(always)]
fn prefetch<V: ?Sized>(value: &V) {
    let start = (value as *const V).cast::<u8>();
    let len = std::mem::size_of_val(value).max(1);
    let mut offset = 0;
    while offset < len {
        prefetch_line(start.wrapping_add(offset));
        offset += 64;
    }
    prefetch_line(start.wrapping_add(len - 1));
}

#[inline(always)]
fn prefetch_line(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache; it reads nothing the program sees and
    // never faults, whatever the address. (Safe to call since Rust 1.87.)
    #[allow(unused_unsafe)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

pub use vidare_domain::Numbered;

/// Why a bulk load wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// These lines carry keys the tenant already holds.
    #[error("{} row(s) already exist (lines {})", lines.len(), lines.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))]
    AlreadyStored {
        field: &'static str,
        lines: Vec<u64>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BulkError {
    fn from(e: sqlx::Error) -> Self {
        BulkError::Store(e.into())
    }
}

/// From this many rows on, an SQLite load drops the non-unique indexes it would fill
/// at scattered places inside its transaction and builds them again after the rows are
/// in ([`deferrable_indexes`]). Below it, the rebuild would cost more than it saves.
const SQLITE_REBUILD_INDEXES_FROM: usize = 20_000;
/// The page cache while a large load builds its indexes, in SQLite's negative-KiB
/// form: the size of each sorted run the sorter's helper threads make.
const SQLITE_SORT_RUN_KIB: i64 = -4096;
/// Rows per INSERT statement in an SQLite load (12 parameters each, well below SQLite's
/// 32,766). Each statement opens the table's and its indexes' cursors once, so a
/// million rows took 2.17 s as single-row statements, 1.87 s with 32 rows, 1.41 s
/// with 256 and 1.35 s with 512; 2,048 gained nothing more.
const SQLITE_ROWS_PER_INSERT: usize = 512;
/// Keys per lookup when reporting clashes.
const KEY_BATCH: usize = 500;

impl BulkRow for NewParticipant {
    const TABLE: &'static str = "participants";
    const COLUMNS: &'static [&'static str] = &[
        "tenant_id",
        "personal_number",
        "first_name",
        "last_name",
        "gender",
        "born_abroad",
        "education",
        "months_on_income_support",
        "health_limitation",
        "swedish_level",
        "prior_work_experience",
        "synthetic",
    ];
    const KEY: &'static str = "personal_number";

    fn key(&self) -> Key {
        Key::new(&self.personal_number.canonical_ascii())
    }

    fn prefetch_text(&self) {
        prefetch(self.first_name.as_str());
        prefetch(self.last_name.as_str());
    }

    fn values<'a>(&'a self, key: &'a str, out: &mut Vec<Value<'a>>) {
        let c = &self.covariates;
        out.extend([
            Value::Text(key),
            Value::Text(self.first_name.as_str()),
            Value::Text(self.last_name.as_str()),
            Value::Text(c.gender.as_str()),
            Value::Bool(c.born_abroad),
            Value::Text(c.education.as_str()),
            Value::Int(int(c.months_on_income_support)),
            Value::Bool(c.health_limitation),
            Value::Text(c.swedish_level.as_str()),
            Value::Bool(c.prior_work_experience),
            Value::Bool(self.synthetic),
        ]);
    }
}

impl BulkRow for NewOrganisation {
    const TABLE: &'static str = "organisations";
    const COLUMNS: &'static [&'static str] = &[
        "tenant_id",
        "org_number",
        "name",
        "legal_form",
        "idea_driven",
        "in_idea_driven_register",
        "headcount_total",
        "headcount_target_groups",
        "annual_turnover_ore",
        "email",
        "synthetic",
    ];
    const KEY: &'static str = "org_number";

    fn key(&self) -> Key {
        Key::new(&self.org_number.canonical_ascii())
    }

    fn prefetch_text(&self) {
        prefetch(self.name.as_str());
    }

    fn values<'a>(&'a self, key: &'a str, out: &mut Vec<Value<'a>>) {
        out.extend([
            Value::Text(key),
            Value::Text(self.name.as_str()),
            Value::Text(self.legal_form.as_str()),
            Value::Bool(self.idea_driven),
            Value::Bool(self.in_idea_driven_register),
            Value::NullableInt(self.headcount.map(|h| int(h.total()))),
            Value::NullableInt(self.headcount.map(|h| int(h.from_target_groups()))),
            Value::NullableInt(self.annual_turnover.map(|m| m.ore())),
            Value::NullableText(self.email.as_ref().map(|e| e.as_str())),
            Value::Bool(self.synthetic),
        ]);
    }
}

impl Scoped<'_> {
    /// Loads every row or none. Keys the tenant already holds are reported with their
    /// lines and nothing is written. Returns the number of rows written. Rows are
    /// written in key order, so their new ids follow the key, not the file's order.
    pub async fn bulk_insert<T: BulkRow>(&self, rows: &[Numbered<T>]) -> Result<u64, BulkError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let started = std::time::Instant::now();
        // Rows go in in key order, not the file's: each insert into the unique key's
        // index then lands next to the previous one instead of on a random page. For
        // a million rows in a scattered order (a municipality's file is in case or name
        // order), measured on one machine: SQLite import 5.4–6.5 → 4.9–5.4 s, and
        // PostgreSQL's COPY into the table 12.7–14.0 → 10.6–10.8 s. New ids therefore
        // follow the key order. The keys are sorted with the rows' places beside them,
        // not as indices into the rows: 0.55 → 0.10 s for a million.
        let index = |i: usize| u32::try_from(i).expect("fewer than 2^32 rows");
        let mut order: Vec<(Key, u32)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.row.key(), index(i)))
            .collect();
        order.sort_unstable();
        tracing::debug!(
            rows = rows.len(),
            seconds = started.elapsed().as_secs_f64(),
            "import: keys sorted"
        );
        let written = match self.writer() {
            Backend::Sqlite(pool) => self.sqlite_load(pool, rows, &order).await?,
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let sql = format!(
                    "COPY {} ({}) FROM STDIN (FORMAT text)",
                    T::TABLE,
                    T::COLUMNS.join(", ")
                );
                let mut copy = tx.copy_in_raw(&sql).await?;
                let mut buf = Vec::with_capacity(1 << 20);
                let mut values = Vec::with_capacity(T::COLUMNS.len());
                let mut failed = None;
                for (r, key) in in_key_order(rows, &order) {
                    values.clear();
                    values.push(Value::Int(self.tid()));
                    r.row.values(key.as_str(), &mut values);
                    write_copy_line(&mut buf, &values);
                    if buf.len() >= 1 << 20 {
                        if let Err(e) = copy.send(std::mem::take(&mut buf)).await {
                            failed = Some(e);
                            break;
                        }
                        buf.reserve(1 << 20);
                    }
                }
                let result = match failed {
                    Some(e) => {
                        let _ = copy.abort("import failed").await;
                        Err(e)
                    }
                    None => {
                        if !buf.is_empty() {
                            copy.send(buf).await?;
                        }
                        copy.finish().await
                    }
                };
                match result {
                    Ok(n) => {
                        crate::audit_append!(tx, self, import_change::<T>(n));
                        tx.commit().await?;
                        n
                    }
                    Err(sqlx::Error::Database(db)) if db.is_unique_violation() => 0,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        if written == rows.len() as u64 {
            return Ok(written);
        }
        // Something clashed and the transaction was rolled back: find which lines.
        let stored = self.existing_keys::<T>(&order).await?;
        let mut lines: Vec<u64> = order
            .iter()
            .filter(|(k, _)| stored.contains(k.as_str()))
            .map(|(_, i)| rows[*i as usize].line)
            .collect();
        lines.sort_unstable();
        if lines.is_empty() {
            // Keys repeated within the rows themselves; callers check that first, so this
            // is a programming error rather than bad input.
            return Err(StoreError::Conflict { field: T::KEY }.into());
        }
        Err(BulkError::AlreadyStored {
            field: T::KEY,
            lines,
        })
    }

    /// The SQLite side of [`Scoped::bulk_insert`]: returns the rows written, and
    /// commits only if that is all of them.
    async fn sqlite_load<T: BulkRow>(
        &self,
        pool: &sqlx::SqlitePool,
        rows: &[Numbered<T>],
        order: &[(Key, u32)],
    ) -> Result<u64, BulkError> {
        let mut conn = pool.acquire().await?;
        let large = rows.len() >= SQLITE_REBUILD_INDEXES_FROM;
        if large {
            // Outside the transaction: SQLite refuses to change it inside one once the
            // connection has temporary tables.
            sqlx::query("PRAGMA temp_store = FILE")
                .execute(&mut *conn)
                .await?;
        }
        let loaded = self.sqlite_load_in(&mut conn, large, rows, order).await;
        if large {
            // The connection's settings outlive the load, failed or not: put back the
            // ones every other statement on it expects, or let the pool drop it.
            let mut reset = Ok(());
            for pragma in [
                "PRAGMA threads = 0".to_owned(),
                format!("PRAGMA cache_size = {}", crate::SQLITE_CACHE_SIZE),
                "PRAGMA temp_store = MEMORY".to_owned(),
            ] {
                if let Err(e) = sqlx::query(&pragma).execute(&mut *conn).await {
                    reset = Err(e);
                }
            }
            if let Err(e) = reset {
                tracing::warn!(error = %e, "could not reset the writer after an import; closing it");
                conn.close_on_drop();
            }
        }
        loaded
    }

    async fn sqlite_load_in<T: BulkRow>(
        &self,
        conn: &mut sqlx::SqliteConnection,
        large: bool,
        rows: &[Numbered<T>],
        order: &[(Key, u32)],
    ) -> Result<u64, BulkError> {
        use sqlx::Connection as _;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let deferred = if large {
            deferrable_indexes::<T>(&mut tx).await?
        } else {
            Vec::new()
        };
        for (name, _) in &deferred {
            sqlx::query(&format!("DROP INDEX \"{name}\""))
                .execute(&mut *tx)
                .await?;
        }
        let tid = self.tid();
        let started = std::time::Instant::now();
        let written = {
            let mut handle = tx.lock_handle().await?;
            let db = handle.as_raw_handle();
            let load = || -> Result<u64, sqlx::Error> {
                // SAFETY: the handle is locked for this load, in our transaction;
                // nothing else uses the connection until it is released.
                let prepare = |rows: usize| unsafe {
                    crate::sqlite_load::Statement::prepare(db, &insert_sql::<T>(rows))
                };
                let full = T::COLUMNS.len() * SQLITE_ROWS_PER_INSERT;
                let mut batch = prepare(SQLITE_ROWS_PER_INSERT)?;
                let mut values = Vec::with_capacity(full);
                let mut written = 0;
                for (r, key) in in_key_order(rows, order) {
                    values.push(Value::Int(tid));
                    r.row.values(key.as_str(), &mut values);
                    if values.len() == full {
                        written += batch.run(&values)?;
                        values.clear();
                    }
                }
                if !values.is_empty() {
                    // The last rows, fewer than a batch: one statement of their number.
                    written += prepare(values.len() / T::COLUMNS.len())?.run(&values)?;
                }
                Ok(written)
            };
            // Seconds of work for a large file: off the async workers where the
            // runtime has others to give it to.
            match tokio::runtime::Handle::current().runtime_flavor() {
                tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(load)?,
                _ => load()?,
            }
        };
        tracing::debug!(
            rows = written,
            seconds = started.elapsed().as_secs_f64(),
            "import: rows inserted"
        );
        if written != rows.len() as u64 {
            // The transaction rolls back, and the dropped indexes with it.
            return Ok(written);
        }
        if !deferred.is_empty() {
            // Let SQLite sort each index's keys on every core: its sorter hands runs
            // of at most the page cache's size to helper threads, and only when it
            // may write them to temporary files (`temp_store = FILE`, set by the
            // caller), so the cache is made small for the builds. For a million rows
            // the name index took 0.78 s sorted in memory on one core, 0.52 s so.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            sqlx::query(&format!("PRAGMA threads = {}", cores.min(8)))
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!("PRAGMA cache_size = {SQLITE_SORT_RUN_KIB}"))
                .execute(&mut *tx)
                .await?;
            for (name, sql) in &deferred {
                let started = std::time::Instant::now();
                sqlx::query(sql).execute(&mut *tx).await?;
                tracing::debug!(index = %name, seconds = started.elapsed().as_secs_f64(), "import: index built");
            }
        }
        crate::audit_append!(tx, self, import_change::<T>(written));
        let started = std::time::Instant::now();
        tx.commit().await?;
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "import: committed"
        );
        Ok(written)
    }

    /// Which of `keys` the tenant already holds.
    async fn existing_keys<T: BulkRow>(
        &self,
        keys: &[(Key, u32)],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut found = std::collections::HashSet::new();
        for chunk in keys.chunks(KEY_BATCH) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {key} FROM {table} WHERE tenant_id = $1 AND {key} IN ({})",
                placeholders.join(", "),
                key = T::KEY,
                table = T::TABLE
            );
            crate::with_pool!(self, |pool| {
                let mut q = sqlx::query(&sql).bind(self.tid());
                for (k, _) in chunk {
                    q = q.bind(k.as_str());
                }
                for row in q.fetch_all(pool).await? {
                    found.insert(row.try_get::<String, _>(0)?);
                }
            });
        }
        Ok(found)
    }
}

/// The table's non-unique indexes whose entries a load would insert at scattered
/// places: those on a column the load fills in. Each is dropped for the load and built
/// again after it, one sort instead of a B-tree insertion at a random place per row.
/// An index only on columns the load leaves empty (the registration date) gets its
/// new entries in row order, one after another at the same place, which costs less
/// kept than rebuilt. Unique indexes stay, since they decide which keys clash.
async fn deferrable_indexes<T: BulkRow>(
    tx: &mut sqlx::SqliteConnection,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
         AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
    )
    .bind(T::TABLE)
    .fetch_all(&mut *tx)
    .await?;
    let mut deferred = Vec::new();
    for (name, sql) in indexes {
        let columns: Vec<Option<String>> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info($1)")
                .bind(&name)
                .fetch_all(&mut *tx)
                .await?;
        // An expression column (no name) is taken as filled in.
        let filled = columns.iter().any(|c| match c.as_deref() {
            Some("tenant_id") => false,
            Some(column) => T::COLUMNS.contains(&column),
            None => true,
        });
        if filled {
            deferred.push((name, sql));
        }
    }
    Ok(deferred)
}

/// The audit entry for a bulk load: the table and the number of rows, not the rows.
fn import_change<T: BulkRow>(rows: u64) -> crate::Change {
    crate::Change::action(
        "import",
        T::TABLE,
        None,
        Some(serde_json::json!({ "rows": rows })),
    )
}

/// The single-row INSERT an SQLite load steps once per row: [`crate::bulk::insert_sql`]
/// skipping keys the tenant already holds, which the load then counts as not written.
fn insert_sql<T: BulkRow>(rows: usize) -> String {
    format!(
        "{} ON CONFLICT (tenant_id, {}) DO NOTHING",
        crate::bulk::insert_sql(T::TABLE, T::COLUMNS, rows),
        T::KEY
    )
}

impl Scoped<'_> {
    /// Inserts one row through the same column mapping as bulk loads, returning its id.
    pub(crate) async fn insert_row<T: BulkRow + serde::Serialize>(
        &self,
        row: &T,
    ) -> Result<i64, StoreError> {
        let key = row.key();
        let mut values = vec![Value::Int(self.tid())];
        row.values(key.as_str(), &mut values);
        let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
            T::TABLE,
            T::COLUMNS.join(", "),
            placeholders.join(", ")
        );
        let id: i64 = crate::with_tx!(self, |tx| {
            let mut q = sqlx::query_scalar(&sql);
            for v in values.iter().copied() {
                q = bind_value!(q, v);
            }
            let id: i64 = q.fetch_one(&mut *tx).await?;
            crate::audit_append!(tx, self, crate::Change::create(T::TABLE, id, row));
            id
        });
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_is_escaped() {
        let mut buf = Vec::new();
        write_copy_line(
            &mut buf,
            &[
                Value::Int(1),
                Value::Text("a\tb\\c\nd"),
                Value::NullableText(None),
                Value::Bool(true),
            ],
        );
        assert_eq!(buf, b"1\ta\\tb\\\\c\\nd\t\\N\tt\n");
    }

    #[test]
    fn insert_statement_has_a_parameter_per_value() {
        let sql = insert_sql::<NewParticipant>(1);
        assert_eq!(sql.matches('?').count(), NewParticipant::COLUMNS.len());
        assert!(sql.contains("VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT"));
        assert!(sql.ends_with("ON CONFLICT (tenant_id, personal_number) DO NOTHING"));
        let batch = insert_sql::<NewParticipant>(SQLITE_ROWS_PER_INSERT);
        assert_eq!(
            batch.matches('?').count(),
            NewParticipant::COLUMNS.len() * SQLITE_ROWS_PER_INSERT
        );
        assert!(
            batch.matches('?').count() <= 32_766,
            "SQLite's parameter limit"
        );
        assert!(batch.ends_with("ON CONFLICT (tenant_id, personal_number) DO NOTHING"));
    }

    #[test]
    fn keys_hold_their_digits_and_order_as_numbers() {
        let a = Key::new(b"195001012384");
        let b = Key::new(b"200012319876");
        assert_eq!(a.as_str(), "195001012384");
        assert!(a < b);
        assert_eq!(Key::new(b"5560160680").as_str(), "5560160680");
        let mut keys = [b"30", b"10", b"20"].map(|k| Key::new(k));
        keys.sort();
        assert_eq!(keys.map(|k| k.as_str().to_owned()), ["10", "20", "30"]);
    }

    #[test]
    #[should_panic(expected = "at most twelve ASCII digits")]
    fn a_key_is_only_digits() {
        Key::new(b"19500101-2384");
    }

    #[test]
    fn rows_come_in_key_order_with_their_keys() {
        struct Row(u8);
        impl BulkRow for Row {
            const TABLE: &'static str = "rows";
            const COLUMNS: &'static [&'static str] = &["tenant_id", "k"];
            const KEY: &'static str = "k";
            fn key(&self) -> Key {
                Key::new(format!("{:02}", 39 - self.0).as_bytes())
            }
            fn values<'a>(&'a self, key: &'a str, out: &mut Vec<Value<'a>>) {
                out.push(Value::Text(key));
            }
        }
        let rows: Vec<Numbered<Row>> = (0..40u8)
            .map(|i| Numbered {
                line: u64::from(i) + 2,
                row: Row(i),
            })
            .collect();
        // Keys in the reverse of the rows' order; more rows than the look-ahead.
        let mut order: Vec<(Key, u32)> = rows
            .iter()
            .zip(0..)
            .map(|(r, i)| (r.row.key(), i))
            .collect();
        order.sort_unstable();
        let seen: Vec<(u8, String)> = in_key_order(&rows, &order)
            .map(|(r, k)| (r.row.0, k.as_str().to_owned()))
            .collect();
        let expected: Vec<(u8, String)> = (0..40u8)
            .rev()
            .map(|i| (i, format!("{:02}", 39 - i)))
            .collect();
        assert_eq!(seen, expected);
    }
}
