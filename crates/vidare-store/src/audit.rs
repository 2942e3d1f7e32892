//! The audit log: who changed what, when, with the record before and after.
//!
//! Entries are appended in the same transaction as the change they describe, so a change
//! without its entry (or the reverse) cannot be committed. Each tenant has its own hash
//! chain: an entry's hash covers the previous entry's hash and every field of the entry,
//! and `audit_heads` holds the newest sequence number and hash. Editing or deleting any
//! entry — even with the append-only triggers removed — is found by [`Store::verify_audit`].
//!
//! Identity numbers never enter the log in full: [`redact`] masks them.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use vidare_domain::ids::UserId;

use crate::{with_pool, Scoped, Store, StoreError};

/// Who is acting: a signed-in user, an API token, or the system itself (the command
/// line, the data generator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<UserId>,
    /// How the actor is shown in the log: an e-mail address, `token:NAME`, `system:…`.
    pub label: String,
}

impl Actor {
    /// The system acting on its own behalf (`system:cli`, `system:generator`).
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            label: format!("system:{what}"),
        }
    }

    /// A signed-in user.
    pub fn user(id: UserId, email: &str) -> Actor {
        Actor {
            user_id: Some(id),
            label: email.to_string(),
        }
    }
}

/// A change to record.
#[derive(Debug, Clone)]
pub struct Change {
    /// `create`, `update`, `delete`, `import`, `sign_in`, `password_change`, …
    pub action: &'static str,
    /// The kind of record (`participant`, `framework_agreement`, …).
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Change {
    /// A record was created.
    pub fn create(entity: &'static str, id: i64, after: &impl Serialize) -> Change {
        Change {
            action: "create",
            entity,
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(redact(serde_json::to_value(after).unwrap_or_default())),
        }
    }

    /// A record was changed.
    pub fn update(
        entity: &'static str,
        id: i64,
        before: &impl Serialize,
        after: &impl Serialize,
    ) -> Change {
        Change {
            action: "update",
            entity,
            entity_id: Some(id.to_string()),
            before: Some(redact(serde_json::to_value(before).unwrap_or_default())),
            after: Some(redact(serde_json::to_value(after).unwrap_or_default())),
        }
    }

    /// Any other action, with an optional summary as `after`.
    pub fn action(
        action: &'static str,
        entity: &'static str,
        entity_id: Option<String>,
        after: Option<serde_json::Value>,
    ) -> Change {
        Change {
            action,
            entity,
            entity_id,
            before: None,
            after: after.map(redact),
        }
    }
}

/// Masks identity numbers and drops secrets anywhere in a JSON value.
pub fn redact(mut value: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("password");
                map.remove("password_hash");
                map.remove("token");
                map.remove("token_hash");
                for (k, child) in map.iter_mut() {
                    if k == "personal_number" {
                        if let serde_json::Value::String(s) = child {
                            let masked = format!("{}-****", s.get(..8).unwrap_or(""));
                            *s = masked;
                        }
                    } else {
                        walk(child);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// An entry as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub tenant_id: i64,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Builds the next entry after `prev_hash`, computing its hash.
    pub(crate) fn seal(
        tenant_id: i64,
        seq: i64,
        prev_hash: String,
        actor: &Actor,
        change: &Change,
    ) -> AuditEntry {
        // Both backends keep microseconds; truncating first makes the hash reproducible.
        let at = Utc::now().trunc_subsecs(6);
        let mut entry = AuditEntry {
            tenant_id,
            seq,
            at,
            actor_user_id: actor.user_id.map(UserId::get),
            actor: actor.label.clone(),
            action: change.action.to_string(),
            entity: change.entity.to_string(),
            entity_id: change.entity_id.clone(),
            before_json: change.before.as_ref().map(|v| v.to_string()),
            after_json: change.after.as_ref().map(|v| v.to_string()),
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// SHA-256 over the previous hash and every field, each length-prefixed so that no
    /// two different entries serialise alike.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |s: &str| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        field(&self.prev_hash);
        field(&self.tenant_id.to_string());
        field(&self.seq.to_string());
        field(&self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        field(
            &self
                .actor_user_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
        );
        field(&self.actor);
        field(&self.action);
        field(&self.entity);
        field(self.entity_id.as_deref().unwrap_or("\u{0}"));
        field(self.before_json.as_deref().unwrap_or("\u{0}"));
        field(self.after_json.as_deref().unwrap_or("\u{0}"));
        hex(&h.finalize())
    }
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Whether an audit entry about `entity` records a change of the tenant's data (rather
/// than account bookkeeping: sign-ins, passwords, roles, API tokens), which moves the
/// position that caches of derived figures are kept under.
pub fn changes_data(entity: &str) -> bool {
    !matches!(entity, "users" | "api_tokens")
}

/// Appends `$change` to the audit chain of `$scoped`'s tenant inside the open
/// transaction `$tx`. Used inside `with_tx!` bodies, so it compiles for both backends.
#[macro_export]
#[doc(hidden)]
macro_rules! audit_append {
    ($tx:ident, $scoped:expr, $change:expr) => {{
        let tid: i64 = $scoped.tid();
        sqlx::query(
            "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, '') ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(tid)
        .execute(&mut *$tx)
        .await?;
        // The UPDATE takes the head row's lock: concurrent appends to one tenant's chain
        // queue here (PostgreSQL); SQLite's write transaction already serialises them.
        let (seq, prev): (i64, String) = sqlx::query_as(
            "UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash",
        )
        .bind(tid)
        .fetch_one(&mut *$tx)
        .await?;
        let entry = $crate::audit::AuditEntry::seal(tid, seq, prev, $scoped.actor(), &$change);
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, seq, at, actor_user_id, actor, action, entity, entity_id, \
             before_json, after_json, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(entry.tenant_id)
        .bind(entry.seq)
        .bind(entry.at)
        .bind(entry.actor_user_id)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.entity)
        .bind(&entry.entity_id)
        .bind(&entry.before_json)
        .bind(&entry.after_json)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *$tx)
        .await?;
        // `data_seq` follows changes of the tenant's data, not account bookkeeping
        // (migration 0012): the key of the caches of derived figures.
        sqlx::query(
            "UPDATE audit_heads SET hash = $2, data_seq = CASE WHEN $3 THEN $4 ELSE data_seq END \
             WHERE tenant_id = $1",
        )
        .bind(tid)
        .bind(&entry.hash)
        .bind($crate::audit::changes_data(&entry.entity))
        .bind(entry.seq)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// What `verify_audit` found wrong with an entry or a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    /// Entries `from`–`to` are not in the log.
    Missing { from: i64, to: i64 },
    /// The entry's previous-hash does not match the entry before it.
    BrokenLink,
    /// The entry's content no longer matches its hash.
    Altered,
    /// The chain ends before the sequence number its head records.
    TailMissing { chain_end: i64, head: i64 },
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&vidare_domain::Localized::message(
            self,
            vidare_domain::Lang::En,
        ))
    }
}

impl vidare_domain::Localized for ProblemKind {
    fn message(&self, lang: vidare_domain::Lang) -> String {
        use vidare_domain::Lang::{En, Sv};
        match (self, lang) {
            (ProblemKind::Missing { from, to }, Sv) => format!("posterna {from}–{to} saknas"),
            (ProblemKind::Missing { from, to }, En) => format!("entries {from}–{to} are missing"),
            (ProblemKind::BrokenLink, Sv) => "länkar inte till föregående post".into(),
            (ProblemKind::BrokenLink, En) => "does not link to the previous entry".into(),
            (ProblemKind::Altered, Sv) => "har ändrats efter att den skrevs".into(),
            (ProblemKind::Altered, En) => "was changed after it was written".into(),
            (ProblemKind::TailMissing { chain_end, head }, Sv) => format!(
                "de senaste posterna saknas: kedjan slutar vid {chain_end} men huvudet anger {head}"
            ),
            (ProblemKind::TailMissing { chain_end, head }, En) => format!(
                "the newest entries are missing: the chain ends at {chain_end} but its head says {head}"
            ),
        }
    }
}

/// A problem at one entry of one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditProblem {
    pub tenant_id: i64,
    pub seq: i64,
    pub problem: ProblemKind,
}

/// The result of checking every chain.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    pub tenants: u64,
    pub entries: u64,
    pub problems: Vec<AuditProblem>,
    /// Entries checked per tenant, as `(tenant_id, entries)`, by tenant id.
    pub per_tenant: Vec<(i64, u64)>,
}

impl AuditReport {
    /// Whether every chain is intact.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    tenant_id: i64,
    seq: i64,
    at: DateTime<Utc>,
    actor_user_id: Option<i64>,
    actor: String,
    action: String,
    entity: String,
    entity_id: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    prev_hash: String,
    hash: String,
}

impl From<EntryRow> for AuditEntry {
    fn from(r: EntryRow) -> Self {
        AuditEntry {
            tenant_id: r.tenant_id,
            seq: r.seq,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before_json: r.before_json,
            after_json: r.after_json,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const ENTRY_COLUMNS: &str = "tenant_id, seq, at, actor_user_id, actor, action, entity, entity_id, \
    before_json, after_json, prev_hash, hash";

/// Filters for searching the log; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u32,
}

impl Store {
    /// Walks every tenant's chain and reports each entry whose hash, link or sequence
    /// number is wrong, and each chain whose head does not match its last entry.
    pub async fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        self.verify_chains(None).await
    }

    /// [`Store::verify_audit`] for every tenant, or only for `only`.
    async fn verify_chains(&self, only: Option<i64>) -> Result<AuditReport, StoreError> {
        let heads: Vec<(i64, i64, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT tenant_id, seq, hash FROM audit_heads WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY tenant_id",
            )
            .bind(only)
            .fetch_all(pool)
            .await?
        });
        let mut report = AuditReport::default();
        for (tenant_id, head_seq, head_hash) in heads {
            report.tenants += 1;
            let entries_before = report.entries;
            let mut problem = |seq: i64, what: ProblemKind| {
                report.problems.push(AuditProblem {
                    tenant_id,
                    seq,
                    problem: what,
                })
            };
            let mut expected_seq = 1;
            let mut prev_hash = String::new();
            let mut last_after = 0;
            // Page through the chain so memory stays flat whatever its length.
            loop {
                let rows: Vec<EntryRow> = with_pool!(self, |pool| {
                    sqlx::query_as(&format!(
                        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000"
                    ))
                    .bind(tenant_id)
                    .bind(last_after)
                    .fetch_all(pool)
                    .await?
                });
                if rows.is_empty() {
                    break;
                }
                for row in rows {
                    let entry = AuditEntry::from(row);
                    report.entries += 1;
                    last_after = entry.seq;
                    if entry.seq != expected_seq {
                        problem(
                            entry.seq,
                            ProblemKind::Missing {
                                from: expected_seq,
                                to: entry.seq - 1,
                            },
                        );
                    }
                    if entry.prev_hash != prev_hash {
                        problem(entry.seq, ProblemKind::BrokenLink);
                    }
                    if entry.compute_hash() != entry.hash {
                        problem(entry.seq, ProblemKind::Altered);
                    }
                    expected_seq = entry.seq + 1;
                    prev_hash = entry.hash;
                }
            }
            if expected_seq - 1 != head_seq || prev_hash != head_hash {
                problem(
                    head_seq,
                    ProblemKind::TailMissing {
                        chain_end: expected_seq - 1,
                        head: head_seq,
                    },
                );
            }
            report
                .per_tenant
                .push((tenant_id, report.entries - entries_before));
        }
        Ok(report)
    }
}

impl Scoped<'_> {
    /// [`Store::verify_audit`] for this tenant's chain only.
    pub async fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        self.store().verify_chains(Some(self.tid())).await
    }

    /// Appends a change on its own (for events that change nothing else, such as a
    /// sign-in or an export).
    pub async fn audit(&self, change: Change) -> Result<(), StoreError> {
        crate::with_tx!(self, |tx| {
            crate::audit_append!(tx, self, change);
        });
        Ok(())
    }

    /// Entries of this tenant's log matching `filter`, newest first.
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<EntryRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE tenant_id = $1 \
                 AND ($2 IS NULL OR entity = $2) AND ($3 IS NULL OR entity_id = $3) \
                 AND ($4 IS NULL OR actor = $4) AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) \
                 ORDER BY seq DESC LIMIT $7 OFFSET $8"
            ))
            .bind(self.tid())
            .bind(&f.entity)
            .bind(&f.entity_id)
            .bind(&f.actor)
            .bind(f.from)
            .bind(f.until)
            .bind(i64::from(if f.limit == 0 { 100 } else { f.limit }))
            .bind(i64::from(f.offset))
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// How many entries of this tenant's log match `filter` (its `limit` and `offset`
    /// ignored), for paging.
    pub async fn count_audit_entries(&self, f: &AuditFilter) -> Result<u64, StoreError> {
        let n: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 \
                 AND ($2 IS NULL OR entity = $2) AND ($3 IS NULL OR entity_id = $3) \
                 AND ($4 IS NULL OR actor = $4) AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6)",
            )
            .bind(self.tid())
            .bind(&f.entity)
            .bind(&f.entity_id)
            .bind(&f.actor)
            .bind(f.from)
            .bind(f.until)
            .fetch_one(pool)
            .await?
        });
        Ok(n as u64)
    }
}

/// One read of a participant's personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub actor: String,
    pub participant_id: i64,
    pub purpose: String,
    pub route: Option<String>,
}

impl Scoped<'_> {
    /// The tenant's data position: the sequence number of the newest audit entry that
    /// changed the tenant's data (sign-ins and other account bookkeeping do not count;
    /// migration 0012), 0 if none.
    pub async fn data_position(&self) -> Result<i64, StoreError> {
        let row: Option<(i64,)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT data_seq FROM audit_heads WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|r| r.0).unwrap_or(0))
    }

    /// Records that the acting user read these participants' personal data, and why.
    pub async fn log_access(
        &self,
        participants: &[vidare_domain::ids::ParticipantId],
        purpose: &str,
        route: Option<&str>,
    ) -> Result<(), StoreError> {
        if participants.is_empty() {
            return Ok(());
        }
        let at = Utc::now().trunc_subsecs(6);
        let mut seen = std::collections::HashSet::with_capacity(participants.len());
        let event = crate::access_batch::Event {
            tenant_id: self.tid(),
            at,
            user_id: self.actor().user_id.map(UserId::get),
            actor: self.actor().label.clone(),
            purpose: purpose.to_string(),
            route: route.map(str::to_string),
            participants: participants
                .iter()
                .map(|p| p.get())
                .filter(|p| seen.insert(*p))
                .collect(),
        };
        // Committed before this returns, possibly in one transaction with other
        // requests' entries (group commit, see `access_batch`).
        self.store()
            .access_batcher()
            .write(self.store(), event)
            .await?;
        Ok(())
    }

    /// Reads of personal data in this tenant, newest first, optionally for one
    /// participant or one user: one entry per participant and view.
    pub async fn access_entries(
        &self,
        participant: Option<vidare_domain::ids::ParticipantId>,
        user: Option<UserId>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<AccessEntry>, StoreError> {
        if let Some(p) = participant {
            // One participant: its subject rows, each one entry.
            let rows: Vec<AccessEntry> = with_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT e.at, e.user_id, e.actor, s.participant_id, e.purpose, e.route \
                     FROM access_subjects s JOIN access_events e ON e.id = s.event_id \
                     WHERE s.tenant_id = $1 AND s.participant_id = $2 \
                     AND ($3 IS NULL OR e.user_id = $3) \
                     ORDER BY e.at DESC, e.id DESC LIMIT $4 OFFSET $5",
                )
                .bind(self.tid())
                .bind(p.get())
                .bind(user.map(UserId::get))
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .fetch_all(pool)
                .await?
            });
            return Ok(rows);
        }
        // Every participant: events newest first, each expanded into its participants in
        // the order shown, skipping `offset` entries.
        let mut out = Vec::new();
        let mut skip = u64::from(offset);
        let limit = limit as usize;
        with_pool!(self, |pool| {
            let mut events = sqlx::query_as::<_, EventRow>(
                "SELECT id, at, user_id, actor, purpose, route, participants, subject_count \
                 FROM access_events WHERE tenant_id = $1 AND ($2 IS NULL OR user_id = $2) \
                 ORDER BY at DESC, id DESC",
            )
            .bind(self.tid())
            .bind(user.map(UserId::get))
            .fetch(pool);
            while out.len() < limit {
                let Some(e) = futures_util::TryStreamExt::try_next(&mut events).await? else {
                    break;
                };
                let count = u64::try_from(e.subject_count).unwrap_or(0);
                if skip >= count {
                    skip -= count;
                    continue;
                }
                for id in e.participants.split(',').skip(skip as usize) {
                    if out.len() == limit {
                        break;
                    }
                    let participant_id = id.parse().map_err(|_| StoreError::Corrupt {
                        entity: "access_events",
                        id: e.id,
                        reason: format!("participant id {id:?} is not a number"),
                    })?;
                    out.push(AccessEntry {
                        at: e.at,
                        user_id: e.user_id,
                        actor: e.actor.clone(),
                        participant_id,
                        purpose: e.purpose.clone(),
                        route: e.route.clone(),
                    });
                }
                skip = 0;
            }
        });
        Ok(out)
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    actor: String,
    purpose: String,
    route: Option<String>,
    participants: String,
    subject_count: i64,
}
