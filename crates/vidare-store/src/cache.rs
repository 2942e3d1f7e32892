//! A short-lived, in-process cache of sessions and API tokens, so that a signed-in
//! request does not cost a database read just to learn who is asking.
//!
//! Every change this process makes to a session, an API token or a user's account
//! (sign-out, password, role, language, deactivation, revocation) removes the entries it
//! affects at once, in the same method that writes the change. A change made by
//! *another* server sharing the same PostgreSQL database is seen here at the latest
//! [`TTL`] later; that bound is the price of the cache and is stated in
//! `docs/ARCHITECTURE.md`. Expiry times are checked on every hit, so a session never
//! outlives its expiry because of the cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use std::time::{Duration, Instant};

use crate::repo::auth::{ApiToken, Session};

/// How long an entry is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(5);
/// More entries than this and the cache starts over (a bound on memory, not a tuning
/// knob: a server has far fewer live sessions per 5 seconds).
const MAX_ENTRIES: usize = 50_000;

/// A read from the database is cached only if no invalidation happened while it ran
/// (`generation` unchanged), so a change committed during the read cannot be hidden
/// behind the old row.
#[derive(Default)]
pub(crate) struct AuthCache {
    generation: AtomicU64,
    sessions: RwLock<HashMap<String, (Instant, Session)>>,
    tokens: RwLock<HashMap<String, (Instant, ApiToken)>>,
}

impl std::fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCache").finish_non_exhaustive()
    }
}

fn fresh<T: Clone>(map: &RwLock<HashMap<String, (Instant, T)>>, key: &str) -> Option<T> {
    let map = map.read().expect("cache lock");
    map.get(key)
        .filter(|(at, _)| at.elapsed() < TTL)
        .map(|(_, v)| v.clone())
}

fn put<T>(map: &RwLock<HashMap<String, (Instant, T)>>, key: &str, value: T) {
    let mut map = map.write().expect("cache lock");
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, (at, _)| at.elapsed() < TTL);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
    map.insert(key.to_string(), (Instant::now(), value));
}

impl AuthCache {
    /// Taken before reading from the database; pass it to `put_*`.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn invalidated(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn session(&self, token_hash: &str) -> Option<Session> {
        fresh(&self.sessions, token_hash)
    }

    pub(crate) fn put_session(&self, generation: u64, token_hash: &str, s: Session) {
        if self.generation() == generation {
            put(&self.sessions, token_hash, s);
        }
    }

    /// Updates a cached session after its expiry was extended.
    pub(crate) fn touched(
        &self,
        token_hash: &str,
        last_seen_at: chrono::DateTime<chrono::Utc>,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) {
        if let Some((_, s)) = self
            .sessions
            .write()
            .expect("cache lock")
            .get_mut(token_hash)
        {
            s.last_seen_at = last_seen_at;
            s.expires_at = expires_at;
        }
    }

    pub(crate) fn forget_session(&self, token_hash: &str) {
        self.invalidated();
        self.sessions
            .write()
            .expect("cache lock")
            .remove(token_hash);
    }

    /// Forgets every session of one user (after a change to the account).
    pub(crate) fn forget_user(&self, user_id: i64) {
        self.invalidated();
        self.sessions
            .write()
            .expect("cache lock")
            .retain(|_, (_, s)| s.user.id.get() != user_id);
    }

    pub(crate) fn token(&self, token_hash: &str) -> Option<ApiToken> {
        fresh(&self.tokens, token_hash)
    }

    pub(crate) fn put_token(&self, generation: u64, token_hash: &str, t: ApiToken) {
        if self.generation() == generation {
            put(&self.tokens, token_hash, t);
        }
    }

    pub(crate) fn forget_token(&self, id: i64) {
        self.invalidated();
        self.tokens
            .write()
            .expect("cache lock")
            .retain(|_, (_, t)| t.id != id);
    }
}

/// Figures derived from a tenant's data (the overview's counts, the number of
/// participants a list pages through, the number of follow-ups due), kept under the tenant's data position
/// (`audit_heads.data_seq`, one primary-key read: the newest audit entry that changed
/// data, not account bookkeeping such as sign-ins). Every recorded change of data — by
/// this server or any other sharing the database — moves the position, so a kept figure
/// is exact until the next change. Writes that bypass the audit log (bulk loads of generated data) show
/// within [`STAMPED_TTL`].
#[derive(Debug)]
pub struct StampedCache<K, V> {
    entries: Mutex<HashMap<K, (i64, Instant, V)>>,
}

impl<K, V> Default for StampedCache<K, V> {
    fn default() -> Self {
        StampedCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

/// How long a stamped figure is reused even though the audit position has not moved.
pub const STAMPED_TTL: Duration = Duration::from_secs(60);

impl<K: std::hash::Hash + Eq, V: Clone> StampedCache<K, V> {
    /// The figure kept for `key` at audit position `stamp`, if any.
    pub(crate) fn get(&self, key: &K, stamp: i64) -> Option<V> {
        let entries = self.entries.lock().expect("stamped cache lock");
        entries
            .get(key)
            .filter(|(s, at, _)| *s == stamp && at.elapsed() < STAMPED_TTL)
            .map(|(_, _, v)| v.clone())
    }

    /// Forgets every kept figure.
    pub(crate) fn clear(&self) {
        self.entries.lock().expect("stamped cache lock").clear();
    }

    /// Keeps `value`, computed after the audit position `stamp` was read (so it is at
    /// least as new as the position).
    pub(crate) fn put(&self, key: K, stamp: i64, value: V) {
        let mut entries = self.entries.lock().expect("stamped cache lock");
        if entries.len() >= 4096 {
            entries.clear();
        }
        entries.insert(key, (stamp, Instant::now(), value));
    }
}
