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
//!
//! Who read a given person is found through a coarse index: one key per participant and
//! minute in which any view showed them (`access_subject_minutes`, migration 0015); the
//! exact views are that minute's events, read by time and filtered on their participant
//! lists (`audit::access_entries`). A page shown again within the minute writes its
//! event row and no keys. Before, every view wrote one key per person shown, fifty for
//! a list page on as many leaf pages, and that was half the list page's cost under
//! load (`vidare bench http`, docs/ARCHITECTURE.md).

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use tokio::sync::oneshot;

use crate::{Store, StoreError};

/// One view of participants' personal data, as written: an `access_events` row, and a
/// key per participant and minute in `access_subject_minutes` unless that key is
/// already there (migration 0015).
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
    /// Held by the leader while it writes; guards what this store knows is committed.
    writing: tokio::sync::Mutex<Indexed>,
}

impl std::fmt::Debug for AccessBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessBatcher").finish_non_exhaustive()
    }
}

/// Subject keys per INSERT statement (4 parameters each, well under both backends'
/// limits).
const ROWS_PER_STATEMENT: usize = 1000;

/// A participant's key in the per-minute index: (tenant, participant, minute start).
type Key = (i64, i64, DateTime<Utc>);

/// The `access_subject_minutes` keys this store has committed for the last two minutes,
/// so that a view of people already read this minute writes its event row and nothing
/// else. Only a cache: a key missing here (another server wrote it, or this one
/// restarted) is written again, and the insert ignores a key that is already there.
#[derive(Default)]
struct Indexed {
    minutes: BTreeMap<DateTime<Utc>, HashSet<(i64, i64)>>,
}

/// The start of the minute `at` falls in.
fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::minutes(1))
        .expect("a minute divides every timestamp")
}

impl Indexed {
    /// The keys `events` need that are not known to be committed, without repeats, in
    /// key order: two PostgreSQL servers inserting the same new keys then wait for
    /// each other in the same order instead of deadlocking.
    fn missing(&self, events: &[&Event]) -> Vec<Key> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for e in events {
            let minute = minute_of(e.at);
            let known = self.minutes.get(&minute);
            for &p in &e.participants {
                let pair = (e.tenant_id, p);
                if known.is_some_and(|k| k.contains(&pair)) || !seen.insert((pair, minute)) {
                    continue;
                }
                out.push((e.tenant_id, p, minute));
            }
        }
        out.sort_unstable();
        out
    }

    /// Records `keys` as committed, forgetting minutes more than one before the newest.
    fn remember(&mut self, keys: &[Key]) {
        for &(t, p, minute) in keys {
            self.minutes.entry(minute).or_default().insert((t, p));
        }
        if let Some(&newest) = self.minutes.keys().next_back() {
            let keep_from = newest - TimeDelta::minutes(1);
            self.minutes = self.minutes.split_off(&keep_from);
        }
    }
}

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
            let mut indexed = tokio::select! {
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
            let keys = indexed.missing(&all);
            let result = insert(store, &all, &keys).await.map_err(|e| e.to_string());
            if result.is_err() && batch.len() > 1 {
                // One request's entries must not fail another's: write each on its own.
                for (event, waiter) in batch {
                    let keys = indexed.missing(&[&event]);
                    let result = insert(store, &[&event], &keys).await;
                    if result.is_ok() {
                        indexed.remember(&keys);
                    }
                    let _ = waiter.send(result.map_err(|e| e.to_string()));
                }
            } else {
                if result.is_ok() {
                    indexed.remember(&keys);
                }
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

async fn insert(store: &Store, events: &[&Event], keys: &[Key]) -> Result<(), StoreError> {
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
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO access_subject_minutes \
                 (tenant_id, participant_id, minute_start, minute_end) VALUES ",
            );
            push_placeholders(&mut sql, sqlite, chunk.len(), 4);
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(&sql);
            for &(t, p, minute) in chunk {
                q = q
                    .bind(t)
                    .bind(p)
                    .bind(minute)
                    .bind(minute + TimeDelta::minutes(1));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tenant_id: i64, at: &str, participants: &[i64]) -> Event {
        Event {
            tenant_id,
            at: DateTime::parse_from_rfc3339(at).unwrap().to_utc(),
            user_id: None,
            actor: "test".into(),
            purpose: "test".into(),
            route: None,
            participants: participants.to_vec(),
        }
    }

    fn minute(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_minute_starts_on_its_whole_minute() {
        assert_eq!(
            minute_of(minute("2026-03-02T10:01:59.999999Z")),
            minute("2026-03-02T10:01:00Z")
        );
        assert_eq!(
            minute_of(minute("2026-03-02T10:02:00Z")),
            minute("2026-03-02T10:02:00Z")
        );
    }

    #[test]
    fn keys_are_written_once_per_tenant_participant_and_minute() {
        let mut indexed = Indexed::default();
        let a = event(1, "2026-03-02T10:01:05Z", &[3, 1, 2]);
        let b = event(1, "2026-03-02T10:01:40Z", &[2, 4]);
        let c = event(2, "2026-03-02T10:01:41Z", &[2]);
        let d = event(1, "2026-03-02T10:02:00Z", &[2]);
        let m1 = minute("2026-03-02T10:01:00Z");
        let m2 = minute("2026-03-02T10:02:00Z");
        // Within one batch: each key once, another tenant's and another minute's apart.
        let first = indexed.missing(&[&a, &b, &c, &d]);
        assert_eq!(
            first,
            [
                (1, 1, m1),
                (1, 2, m1),
                (1, 2, m2),
                (1, 3, m1),
                (1, 4, m1),
                (2, 2, m1)
            ]
        );
        // Not yet committed: asked again, the same keys.
        assert_eq!(indexed.missing(&[&a]), [(1, 1, m1), (1, 2, m1), (1, 3, m1)]);
        indexed.remember(&first);
        assert!(indexed.missing(&[&a, &b, &c, &d]).is_empty());
        let e = event(1, "2026-03-02T10:02:30Z", &[2, 5]);
        assert_eq!(indexed.missing(&[&e]), [(1, 5, m2)]);
    }

    #[test]
    fn only_the_newest_two_minutes_are_kept() {
        let mut indexed = Indexed::default();
        let at = |m: u32| format!("2026-03-02T10:{m:02}:10Z");
        for m in 0..5 {
            let e = event(1, &at(m), &[7]);
            let keys = indexed.missing(&[&e]);
            assert_eq!(keys.len(), 1, "minute {m}");
            indexed.remember(&keys);
        }
        assert_eq!(indexed.minutes.len(), 2);
        // Minute 3 is still known; minute 2 is forgotten, so its key is written again
        // (the insert ignores a key that is already there).
        assert!(indexed.missing(&[&event(1, &at(3), &[7])]).is_empty());
        assert_eq!(indexed.missing(&[&event(1, &at(2), &[7])]).len(), 1);
    }
}
