//! Moving SQLite's write-ahead log back into the database file off the writer's path.
//!
//! By default SQLite checkpoints inside the commit that pushes the log past 1,000 pages:
//! that one commit copies the log into the database file and syncs it, and every writer
//! queued behind it waits (the single writer connection, and the access log's group
//! commit, see `access_batch`). Under load this made the log's housekeeping the largest
//! cost of a request that writes. Here a background task checkpoints from a reader
//! connection instead (`PASSIVE`: it never blocks the writer or readers), a few times a
//! second when there is something to copy; the writer's own automatic checkpoint stays
//! as a safety net, at a threshold the task keeps the log well below.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::SqlitePool;

/// How often the task looks at the log.
const INTERVAL: Duration = Duration::from_millis(250);

/// The writer's own automatic checkpoint threshold, in pages (4 KiB each): reached only
/// if the background task cannot keep up or is not running.
pub(crate) const WRITER_AUTOCHECKPOINT_PAGES: &str = "8000";

/// Keeps the background checkpointer alive: the task ends once every clone of the
/// store holding this handle is gone.
#[derive(Debug, Clone)]
pub(crate) struct Handle(#[allow(dead_code)] Arc<()>);

/// Starts the background checkpointer for `readers` if a Tokio runtime is running (a
/// store opened outside one keeps SQLite's own checkpointing only).
pub(crate) fn start(readers: &SqlitePool) -> Option<Handle> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let alive = Arc::new(());
    let watch: Weak<()> = Arc::downgrade(&alive);
    let pool = readers.clone();
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if watch.strong_count() == 0 || pool.is_closed() {
                break;
            }
            // (busy, pages in the log, pages checkpointed); a failure (the file went
            // away, the pool is closing) is left to the next round or the writer's own
            // checkpoint.
            let r: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await;
            if let Err(e) = r {
                tracing::debug!(error = %e, "background WAL checkpoint failed");
            }
        }
    });
    Some(Handle(alive))
}
