//! Group commit for the access log.
//!
//! Every read of a participant's personal data must be in the access log before the
//! data are shown, so the write cannot be skipped or deferred past the request. Under
//! load, though, one transaction per request makes the log the bottleneck: SQLite has a
//! single writer, and each commit costs a round of locking (and, now and then, a
//! checkpoint). So requests hand their entries to a queue and wait; whoever finds the
//! writer free becomes the *leader*, takes everything queued so far and writes it in one
//! transaction, then wakes every request whose entries it wrote. A request returns only
//! once its own entries are committed (or with the error that stopped them), exactly as
//! with a transaction of its own; a lone request pays nothing extra.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::{Store, StoreError};

/// One view of participants' personal data, as written: an `access_events` row and one
/// `access_subjects` row per participant (migration 0011).
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub tenant_id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub actor: String,
    pub purpose: String,
    pub route: Option<String>,
    /// In the order shown, without repeats; never empty.
    pub participants: Vec<i64>,
}

type Waiter = oneshot::Sender<Result<(), String>>;

#[derive(Default)]
pub(crate) struct AccessBatcher {
    queue: Mutex<Vec<(Event, Waiter)>>,
    writing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AccessBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessBatcher").finish_non_exhaustive()
    }
}

/// Subject rows per INSERT statement (3 parameters each, well under both backends'
/// limits).
const ROWS_PER_STATEMENT: usize = 1000;

impl AccessBatcher {
    /// Writes `event` durably, possibly together with other requests' events.
    pub(crate) async fn write(&self, store: &Store, event: Event) -> Result<(), StoreError> {
        let (tx, mut rx) = oneshot::channel();
        self.queue.lock().expect("queue lock").push((event, tx));
        loop {
            // Wait for our answer or for the writer, whichever comes first: a leader
            // answers a whole batch at once, and an answered request need not take the
            // lock in turn just to read its answer. (Measured with `vidare bench http`,
            // this did not change the list page's p99; it saves hand-overs only.)
            let _turn = tokio::select! {
                biased;
                answer = &mut rx => {
                    return match answer {
                        Ok(result) => result.map_err(failed),
                        Err(_) => Err(failed("the access log writer stopped".into())),
                    };
                }
                turn = self.writing.lock() => turn,
            };
            match rx.try_recv() {
                Ok(result) => return result.map_err(failed),
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(failed("the access log writer stopped".into()))
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch = std::mem::take(&mut *self.queue.lock().expect("queue lock"));
            if batch.is_empty() {
                // Cannot happen while our own entry is unanswered; wait again if it does.
                continue;
            }
            let all: Vec<&Event> = batch.iter().map(|(e, _)| e).collect();
            let result = insert(store, &all).await.map_err(|e| e.to_string());
            if result.is_err() && batch.len() > 1 {
                // One request's entries must not fail another's: write each on its own.
                for (event, waiter) in batch {
                    let _ = waiter.send(insert(store, &[&event]).await.map_err(|e| e.to_string()));
                }
            } else {
                for (_, waiter) in batch {
                    let _ = waiter.send(result.clone());
                }
            }
            // Our own entry was in the batch: its answer is waiting.
            return match rx.try_recv() {
                Ok(r) => r.map_err(failed),
                Err(_) => Err(failed("the access log writer lost an answer".into())),
            };
        }
    }
}

fn failed(reason: String) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "writing the access log: {reason}"
    )))
}

async fn insert(store: &Store, events: &[&Event]) -> Result<(), StoreError> {
    let sqlite = store.kind() == crate::BackendKind::Sqlite;
    crate::with_tx!(store, |tx| {
        // The events' ids, taken up front so the whole batch is a few statements, not
        // one round trip per event: on SQLite the transaction holds the only write lock,
        // so the ids after the largest are free; on PostgreSQL they come from the
        // identity sequence, which other servers draw from too.
        let n = events.len() as i64;
        let ids: Vec<i64> = if sqlite {
            let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM access_events")
                .fetch_one(&mut *tx)
                .await?;
            (1..=n).map(|k| max + k).collect()
        } else {
            sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('access_events', 'id')) \
                 FROM generate_series(1, $1)",
            )
            .bind(n)
            .fetch_all(&mut *tx)
            .await?
        };
        for (chunk, ids) in events
            .chunks(EVENTS_PER_STATEMENT)
            .zip(ids.chunks(EVENTS_PER_STATEMENT))
        {
            let mut sql = String::from(
                "INSERT INTO access_events (id, tenant_id, at, user_id, actor, purpose, route, \
                 participants, subject_count) VALUES ",
            );
            push_placeholders(&mut sql, sqlite, chunk.len(), 9);
            let mut q = sqlx::query(&sql);
            for (e, id) in chunk.iter().zip(ids) {
                let list = e
                    .participants
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                q = q
                    .bind(*id)
                    .bind(e.tenant_id)
                    .bind(e.at)
                    .bind(e.user_id)
                    .bind(&e.actor)
                    .bind(&e.purpose)
                    .bind(&e.route)
                    .bind(list)
                    .bind(e.participants.len() as i64);
            }
            q.execute(&mut *tx).await?;
        }
        let subjects: Vec<(i64, i64, i64)> = events
            .iter()
            .zip(&ids)
            .flat_map(|(e, &id)| e.participants.iter().map(move |&p| (e.tenant_id, p, id)))
            .collect();
        for chunk in subjects.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO access_subjects (tenant_id, participant_id, event_id) VALUES ",
            );
            push_placeholders(&mut sql, sqlite, chunk.len(), 3);
            let mut q = sqlx::query(&sql);
            for (t, p, e) in chunk {
                q = q.bind(t).bind(p).bind(e);
            }
            q.execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// Events per INSERT statement (9 parameters each).
const EVENTS_PER_STATEMENT: usize = 300;

/// Appends `rows` groups of `width` placeholders. Anonymous parameters on SQLite: its
/// lookup of numbered ones is quadratic in the statement's parameter count.
fn push_placeholders(sql: &mut String, sqlite: bool, rows: usize, width: usize) {
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for j in 0..width {
            if j > 0 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                sql.push_str(&format!("${}", i * width + j + 1));
            }
        }
        sql.push(')');
    }
}
