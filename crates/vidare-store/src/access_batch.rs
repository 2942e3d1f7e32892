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

/// One row of the access log, as written.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub tenant_id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub actor: String,
    pub participant_id: i64,
    pub purpose: String,
    pub route: Option<String>,
}

type Waiter = oneshot::Sender<Result<(), String>>;

#[derive(Default)]
pub(crate) struct AccessBatcher {
    queue: Mutex<Vec<(Vec<Row>, Waiter)>>,
    writing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AccessBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessBatcher").finish_non_exhaustive()
    }
}

/// Rows per INSERT statement (7 parameters each, well under both backends' limits).
const ROWS_PER_STATEMENT: usize = 500;

impl AccessBatcher {
    /// Writes `rows` durably, possibly together with other requests' rows.
    pub(crate) async fn write(&self, store: &Store, rows: Vec<Row>) -> Result<(), StoreError> {
        let (tx, mut rx) = oneshot::channel();
        self.queue.lock().expect("queue lock").push((rows, tx));
        loop {
            // Wait for the writer; the leader before us may have written our rows.
            let _turn = self.writing.lock().await;
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
            let all: Vec<&Row> = batch.iter().flat_map(|(r, _)| r.iter()).collect();
            let result = insert(store, &all).await.map_err(|e| e.to_string());
            if result.is_err() && batch.len() > 1 {
                // One request's rows must not fail another's: write each on its own.
                for (rows, waiter) in batch {
                    let rows: Vec<&Row> = rows.iter().collect();
                    let _ = waiter.send(insert(store, &rows).await.map_err(|e| e.to_string()));
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

async fn insert(store: &Store, rows: &[&Row]) -> Result<(), StoreError> {
    let sqlite = store.kind() == crate::BackendKind::Sqlite;
    crate::with_tx!(store, |tx| {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO access_log (tenant_id, at, user_id, actor, participant_id, purpose, route) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                // Anonymous parameters on SQLite: its lookup of numbered ones is
                // quadratic in the statement's parameter count.
                if sqlite {
                    sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
                } else {
                    let b = i * 7;
                    sql.push_str(&format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7
                    ));
                }
            }
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.tenant_id)
                    .bind(r.at)
                    .bind(r.user_id)
                    .bind(&r.actor)
                    .bind(r.participant_id)
                    .bind(&r.purpose)
                    .bind(&r.route);
            }
            q.execute(&mut *tx).await?;
        }
    });
    Ok(())
}
