//! The audit log: who changed what, when, with the record before and after.
//!
//! Entries are appended in the same transaction as the change they describe, so a change
//! without its entry (or the reverse) cannot be committed. Each tenant has its own hash
//! chain, and `audit_heads` holds the newest sequence number and hash. Editing or
//! deleting any entry — even with the append-only triggers removed — is found by
//! [`Store::verify_audit`].
//!
//! **Payload digests and redaction** (migration 0014). An entry's hash (version 2)
//! covers the previous hash, every field of the entry except its payload, and a digest
//! of the payload: SHA-256 over a random salt and the record before and after. When a
//! participant is anonymised, the payloads of the entries about them (their
//! `participant_id`, found from the record an entry names when it is written) are
//! removed together with their salt, so nothing personal stays and the digest cannot be
//! matched against guesses, while the digest keeps the chain verifiable. The redaction
//! is itself an entry (`redact` on `audit_log`) listing the entries it emptied, and each
//! emptied entry points to it (`redacted_by`); an entry emptied without such a record is
//! reported. An entry that still has its payload must match its digest.
//!
//! Entries written before migration 0014 are version 1: their hash covers the payload
//! itself. [`Store::migrate`] converts each tenant's intact version-1 chain to version 2
//! ([`Store::upgrade_audit_log`], recorded in the chain with the old head), masking the
//! birth dates earlier versions kept and redacting the entries of participants
//! anonymised before. A chain that was already broken is left as it is (and still
//! reported); its version-1 entries can be redacted too, with their header's digest
//! kept in the redaction record, but their payload can no longer be checked.
//!
//! Identity numbers never enter the log: [`redact`] masks them completely.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use vidare_domain::ids::{TenantId, UserId};

use crate::{with_pool, Scoped, Store, StoreError};

/// The hash version new entries are written with.
pub const HASH_VERSION: i64 = 2;

/// What an identity number is replaced with in the log.
pub const MASKED_PERSONAL_NUMBER: &str = "********-****";

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

/// Masks identity numbers completely (not even the birth date stays: the statistics
/// keep the birth year in the participant's record) and drops secrets anywhere in a
/// JSON value.
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
                            *s = MASKED_PERSONAL_NUMBER.to_string();
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

/// Which participant an entry is about, as far as its content tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The entry names the participant.
    Participant(i64),
    /// The entry names a record of one kind (`referral`, `placement`, `exit`,
    /// `follow_up`, `note`, `pause`) whose participant [`SUBJECT_SQL`] looks up.
    Record(&'static str, i64),
}

/// Which participant an entry is about: a participant record itself, a record that
/// names a participant, placement, referral or exit in its payload (top level only —
/// an invoice's lines name placements, but an invoice is not about a person), or a
/// case-work record by its own id. `None` for everything else.
pub fn subject_of(
    entity: &str,
    entity_id: Option<&str>,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Option<Subject> {
    let own_id = entity_id
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|i| *i > 0);
    if entity == "participants" {
        if let Some(id) = own_id {
            return Some(Subject::Participant(id));
        }
    }
    const KEYS: [(&str, Option<&str>); 4] = [
        ("participant_id", None),
        ("placement_id", Some("placement")),
        ("referral_id", Some("referral")),
        ("exit_id", Some("exit")),
    ];
    for (key, kind) in KEYS {
        for v in [after, before].into_iter().flatten() {
            if let Some(id) = v.get(key).and_then(Value::as_i64) {
                return Some(match kind {
                    None => Subject::Participant(id),
                    Some(kind) => Subject::Record(kind, id),
                });
            }
        }
    }
    let kind = match entity {
        "referrals" => "referral",
        "placements" => "placement",
        "exits" => "exit",
        "follow_ups" => "follow_up",
        "placement_notes" => "note",
        "placement_pauses" => "pause",
        _ => return None,
    };
    own_id.map(|id| Subject::Record(kind, id))
}

/// The participant of a [`Subject::Record`]: `$1` tenant, `$2` kind, `$3` id; one row,
/// NULL when the record is not found.
pub const SUBJECT_SQL: &str = "SELECT CASE $2 \
    WHEN 'referral' THEN (SELECT participant_id FROM referrals WHERE tenant_id = $1 AND id = $3) \
    WHEN 'placement' THEN (SELECT participant_id FROM placements WHERE tenant_id = $1 AND id = $3) \
    WHEN 'exit' THEN (SELECT p.participant_id FROM exits e JOIN placements p \
        ON p.tenant_id = e.tenant_id AND p.id = e.placement_id WHERE e.tenant_id = $1 AND e.id = $3) \
    WHEN 'follow_up' THEN (SELECT p.participant_id FROM follow_ups f JOIN exits e \
        ON e.tenant_id = f.tenant_id AND e.id = f.exit_id JOIN placements p \
        ON p.tenant_id = e.tenant_id AND p.id = e.placement_id WHERE f.tenant_id = $1 AND f.id = $3) \
    WHEN 'note' THEN (SELECT p.participant_id FROM placement_notes n JOIN placements p \
        ON p.tenant_id = n.tenant_id AND p.id = n.placement_id WHERE n.tenant_id = $1 AND n.id = $3) \
    WHEN 'pause' THEN (SELECT p.participant_id FROM placement_pauses q JOIN placements p \
        ON p.tenant_id = q.tenant_id AND p.id = q.placement_id WHERE q.tenant_id = $1 AND q.id = $3) \
    END";

/// Resolves `$subject` (an `Option<Subject>`) to a participant id inside the open
/// transaction `$tx`.
#[macro_export]
#[doc(hidden)]
macro_rules! audit_subject {
    ($tx:ident, $tid:expr, $subject:expr) => {{
        match $subject {
            None => None,
            Some($crate::audit::Subject::Participant(id)) => Some(id),
            Some($crate::audit::Subject::Record(kind, id)) => {
                sqlx::query_scalar::<_, Option<i64>>($crate::audit::SUBJECT_SQL)
                    .bind($tid)
                    .bind(kind)
                    .bind(id)
                    .fetch_one(&mut *$tx)
                    .await?
            }
        }
    }};
}

/// A fresh random salt for a payload digest, as hexadecimal.
fn new_salt() -> String {
    hex(&rand::random::<[u8; 16]>())
}

/// Writes one length-prefixed field into a hash, so that no two different sequences of
/// fields hash alike.
fn field(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

/// The digest of a payload: SHA-256 over the salt and the record before and after
/// (`\0` for one that is absent).
pub fn payload_digest(salt: &str, before: Option<&str>, after: Option<&str>) -> String {
    let mut h = Sha256::new();
    field(&mut h, "vidare-audit-payload-v2");
    field(&mut h, salt);
    field(&mut h, before.unwrap_or("\u{0}"));
    field(&mut h, after.unwrap_or("\u{0}"));
    hex(&h.finalize())
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
    /// The record before the change; `None` also once redacted.
    pub before_json: Option<String>,
    /// The record after the change; `None` also once redacted.
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// 1: the hash covers the payload (before migration 0014); 2: it covers the
    /// payload's digest.
    pub hash_version: i64,
    /// The participant the entry is about, if any.
    pub participant_id: Option<i64>,
    /// The digest's salt, removed with the payload. Never shown.
    #[serde(skip)]
    pub payload_salt: Option<String>,
    /// The payload's digest (version 2).
    pub payload_digest: Option<String>,
    /// The redaction entry that removed this entry's payload.
    pub redacted_by: Option<i64>,
}

impl AuditEntry {
    /// Builds the next entry after `prev_hash` about `participant_id`, computing its
    /// digest and hash. The payload is masked again here, whoever built the change.
    pub(crate) fn seal(
        tenant_id: i64,
        seq: i64,
        prev_hash: String,
        actor: &Actor,
        change: &Change,
        participant_id: Option<i64>,
    ) -> AuditEntry {
        // Both backends keep microseconds; truncating first makes the hash reproducible.
        let at = Utc::now().trunc_subsecs(6);
        let json = |v: &Option<Value>| v.clone().map(redact).map(|v| v.to_string());
        let before_json = json(&change.before);
        let after_json = json(&change.after);
        let salt = new_salt();
        let digest = payload_digest(&salt, before_json.as_deref(), after_json.as_deref());
        let mut entry = AuditEntry {
            tenant_id,
            seq,
            at,
            actor_user_id: actor.user_id.map(UserId::get),
            actor: actor.label.clone(),
            action: change.action.to_string(),
            entity: change.entity.to_string(),
            entity_id: change.entity_id.clone(),
            before_json,
            after_json,
            prev_hash,
            hash: String::new(),
            hash_version: HASH_VERSION,
            participant_id,
            payload_salt: Some(salt),
            payload_digest: Some(digest),
            redacted_by: None,
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// Whether the payload was removed by a redaction.
    pub fn is_redacted(&self) -> bool {
        self.redacted_by.is_some()
    }

    /// The hash the entry should have, by its version: version 1 over the previous hash
    /// and every field including the payload; version 2 over the previous hash, every
    /// field but the payload, the participant and the payload's digest. An unknown
    /// version gives an empty string, which matches no hash.
    pub fn compute_hash(&self) -> String {
        match self.hash_version {
            1 => self.hash_v1(),
            2 => self.hash_v2(),
            _ => String::new(),
        }
    }

    /// The hash of version 1 (unchanged since the first version of the log).
    fn hash_v1(&self) -> String {
        let mut h = Sha256::new();
        self.header_fields(&mut h);
        field(&mut h, self.before_json.as_deref().unwrap_or("\u{0}"));
        field(&mut h, self.after_json.as_deref().unwrap_or("\u{0}"));
        hex(&h.finalize())
    }

    fn hash_v2(&self) -> String {
        let mut h = Sha256::new();
        field(&mut h, "vidare-audit-v2");
        self.header_fields(&mut h);
        field(
            &mut h,
            &self
                .participant_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
        );
        field(&mut h, self.payload_digest.as_deref().unwrap_or("\u{0}"));
        hex(&h.finalize())
    }

    /// The previous hash and every field but the payload, in the order version 1 hashed
    /// them.
    fn header_fields(&self, h: &mut Sha256) {
        field(h, &self.prev_hash);
        field(h, &self.tenant_id.to_string());
        field(h, &self.seq.to_string());
        field(h, &self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        field(
            h,
            &self
                .actor_user_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
        );
        field(h, &self.actor);
        field(h, &self.action);
        field(h, &self.entity);
        field(h, self.entity_id.as_deref().unwrap_or("\u{0}"));
    }

    /// A digest of a version-1 entry's hash and every field but the payload: kept in the
    /// redaction record, it lets a redacted version-1 entry (whose hash cannot be
    /// recomputed without its payload) still be checked.
    pub fn header_digest(&self) -> String {
        let mut h = Sha256::new();
        field(&mut h, "vidare-audit-header");
        field(&mut h, &self.hash);
        field(&mut h, &self.hash_version.to_string());
        field(
            &mut h,
            &self
                .participant_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
        );
        self.header_fields(&mut h);
        hex(&h.finalize())
    }

    /// Whether the entry is what was written: its hash matches, and its payload matches
    /// its digest (version 2) or, redacted, is gone with its salt. A redacted version-1
    /// entry's hash cannot be recomputed; its redaction record holds its header's digest
    /// instead (checked by [`Store::verify_audit`]).
    pub fn content_intact(&self) -> bool {
        match (self.hash_version, self.is_redacted()) {
            (1, false) => self.hash_v1() == self.hash,
            (1, true) => self.before_json.is_none() && self.after_json.is_none(),
            (2, redacted) => {
                if self.hash_v2() != self.hash {
                    return false;
                }
                if redacted {
                    self.before_json.is_none()
                        && self.after_json.is_none()
                        && self.payload_salt.is_none()
                } else {
                    match (&self.payload_salt, &self.payload_digest) {
                        (Some(salt), Some(digest)) => {
                            &payload_digest(
                                salt,
                                self.before_json.as_deref(),
                                self.after_json.as_deref(),
                            ) == digest
                        }
                        _ => false,
                    }
                }
            }
            _ => false,
        }
    }

    /// For a redaction record: the entries it emptied, and the header digests of the
    /// version-1 ones among them.
    fn redaction_list(&self) -> Option<(BTreeSet<i64>, HashMap<i64, String>)> {
        if self.action != "redact"
            || self.entity != "audit_log"
            || self.hash_version != HASH_VERSION
            || self.is_redacted()
        {
            return None;
        }
        let after: Value = serde_json::from_str(self.after_json.as_deref()?).ok()?;
        let entries = after
            .get("entries")?
            .as_array()?
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        let v1 = after
            .get("version_1")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| Some((i.get(0)?.as_i64()?, i.get(1)?.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Some((entries, v1))
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
        let _ = $crate::audit_append_seq!($tx, $scoped, $change);
    }};
}

/// [`audit_append!`], evaluating to the new entry's sequence number.
#[macro_export]
#[doc(hidden)]
macro_rules! audit_append_seq {
    ($tx:ident, $scoped:expr, $change:expr) => {{
        let tid: i64 = $scoped.tid();
        $scoped.forget_data_position();
        let change: &$crate::audit::Change = &$change;
        // Which participant the entry is about, looked up before the head is locked.
        let participant: Option<i64> = $crate::audit_subject!(
            $tx,
            tid,
            $crate::audit::subject_of(
                change.entity,
                change.entity_id.as_deref(),
                change.before.as_ref(),
                change.after.as_ref(),
            )
        );
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
        let entry =
            $crate::audit::AuditEntry::seal(tid, seq, prev, $scoped.actor(), change, participant);
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, seq, at, actor_user_id, actor, action, entity, entity_id, \
             before_json, after_json, prev_hash, hash, hash_version, participant_id, payload_salt, \
             payload_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
        .bind(entry.hash_version)
        .bind(entry.participant_id)
        .bind(&entry.payload_salt)
        .bind(&entry.payload_digest)
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
        entry.seq
    }};
}

/// Removes the personal data of participant `$participant` from the audit log of
/// `$scoped`'s tenant inside the open transaction `$tx`: every entry about them that
/// still has a payload (but the `anonymise` entries, which hold none) loses it and its
/// salt, keeping its digest, and one `redact` entry records which were emptied and why
/// (`$reason`). Evaluates to the number of entries emptied (no record when none).
#[macro_export]
#[doc(hidden)]
macro_rules! audit_redact {
    ($tx:ident, $scoped:expr, $participant:expr, $reason:expr) => {{
        let tid: i64 = $scoped.tid();
        let participant: i64 = $participant;
        let rows: Vec<$crate::audit::EntryRow> = sqlx::query_as(&format!(
            "SELECT {} FROM audit_log WHERE tenant_id = $1 AND participant_id = $2 \
             AND redacted_by IS NULL AND (before_json IS NOT NULL OR after_json IS NOT NULL) \
             AND action <> 'anonymise' ORDER BY seq",
            $crate::audit::ENTRY_COLUMNS
        ))
        .bind(tid)
        .bind(participant)
        .fetch_all(&mut *$tx)
        .await?;
        let entries: Vec<$crate::audit::AuditEntry> =
            rows.into_iter().map($crate::audit::AuditEntry::from).collect();
        if !entries.is_empty() {
            let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
            // Version-1 entries cannot be checked without their payload: their header's
            // digest goes into the record instead.
            let version_1: Vec<serde_json::Value> = entries
                .iter()
                .filter(|e| e.hash_version == 1)
                .map(|e| serde_json::json!([e.seq, e.header_digest()]))
                .collect();
            let mut summary = serde_json::json!({
                "participant": participant,
                "reason": $reason,
                "entries": seqs,
            });
            if !version_1.is_empty() {
                summary["version_1"] = serde_json::Value::Array(version_1);
            }
            let record = $crate::audit_append_seq!(
                $tx,
                $scoped,
                $crate::audit::Change::action("redact", "audit_log", None, Some(summary))
            );
            for chunk in seqs.chunks(500) {
                let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
                sqlx::query(&format!(
                    "UPDATE audit_log SET before_json = NULL, after_json = NULL, payload_salt = NULL, \
                     redacted_by = $2 WHERE tenant_id = $1 AND seq IN ({})",
                    list.join(",")
                ))
                .bind(tid)
                .bind(record)
                .execute(&mut *$tx)
                .await?;
            }
        }
        entries.len()
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
    /// The entry's content was removed without a redaction entry recording it.
    UnrecordedRedaction,
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
            (ProblemKind::UnrecordedRedaction, Sv) => {
                "innehållet har tagits bort utan att någon gallring registrerats".into()
            }
            (ProblemKind::UnrecordedRedaction, En) => {
                "its content was removed without a recorded redaction".into()
            }
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
    /// Entries whose payload a recorded redaction removed.
    pub redacted: u64,
}

impl AuditReport {
    /// Whether every chain is intact.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A stored row of `audit_log` ([`ENTRY_COLUMNS`]).
#[derive(sqlx::FromRow)]
#[doc(hidden)]
pub struct EntryRow {
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
    hash_version: i64,
    participant_id: Option<i64>,
    payload_salt: Option<String>,
    payload_digest: Option<String>,
    redacted_by: Option<i64>,
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
            hash_version: r.hash_version,
            participant_id: r.participant_id,
            payload_salt: r.payload_salt,
            payload_digest: r.payload_digest,
            redacted_by: r.redacted_by,
        }
    }
}

/// The columns of [`EntryRow`].
#[doc(hidden)]
pub const ENTRY_COLUMNS: &str =
    "tenant_id, seq, at, actor_user_id, actor, action, entity, entity_id, \
    before_json, after_json, prev_hash, hash, hash_version, participant_id, payload_salt, \
    payload_digest, redacted_by";

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

/// Walks one chain entry by entry: sequence numbers, links, content, and that every
/// redaction is recorded.
struct ChainCheck {
    expected_seq: i64,
    prev_hash: String,
    /// Redacted entries waiting for their record, by the record's sequence number: the
    /// entry's sequence number and, for version 1, its header's digest.
    claims: HashMap<i64, Vec<(i64, Option<String>)>>,
    problems: Vec<(i64, ProblemKind)>,
    entries: u64,
    redacted: u64,
}

impl ChainCheck {
    fn new() -> ChainCheck {
        ChainCheck {
            expected_seq: 1,
            prev_hash: String::new(),
            claims: HashMap::new(),
            problems: Vec::new(),
            entries: 0,
            redacted: 0,
        }
    }

    fn add(&mut self, entry: &AuditEntry) {
        self.entries += 1;
        if entry.seq != self.expected_seq {
            self.problems.push((
                entry.seq,
                ProblemKind::Missing {
                    from: self.expected_seq,
                    to: entry.seq - 1,
                },
            ));
        }
        if entry.prev_hash != self.prev_hash {
            self.problems.push((entry.seq, ProblemKind::BrokenLink));
        }
        if !entry.content_intact() {
            self.problems.push((entry.seq, ProblemKind::Altered));
        }
        if let Some(record) = entry.redacted_by {
            self.redacted += 1;
            if record <= entry.seq {
                self.problems
                    .push((entry.seq, ProblemKind::UnrecordedRedaction));
            } else {
                let header = (entry.hash_version == 1).then(|| entry.header_digest());
                self.claims
                    .entry(record)
                    .or_default()
                    .push((entry.seq, header));
            }
        }
        if let Some(claims) = self.claims.remove(&entry.seq) {
            let list = entry.redaction_list();
            for (seq, header) in claims {
                let problem = match (&list, header) {
                    (Some((entries, _)), _) if !entries.contains(&seq) => {
                        Some(ProblemKind::UnrecordedRedaction)
                    }
                    (Some((_, v1)), Some(header)) => match v1.get(&seq) {
                        Some(kept) if *kept == header => None,
                        // Changed since, or listed as version 2 and now posing as 1.
                        _ => Some(ProblemKind::Altered),
                    },
                    // A version-2 entry the record lists as version 1 was downgraded.
                    (Some((_, v1)), None) if v1.contains_key(&seq) => Some(ProblemKind::Altered),
                    (Some(_), None) => None,
                    (None, _) => Some(ProblemKind::UnrecordedRedaction),
                };
                if let Some(p) = problem {
                    self.problems.push((seq, p));
                }
            }
        }
        self.expected_seq = entry.seq + 1;
        self.prev_hash = entry.hash.clone();
    }

    /// The problems found, by entry, once the chain has been read to its end; `head` is
    /// what the chain's head records.
    fn finish(mut self, head_seq: i64, head_hash: &str) -> Vec<(i64, ProblemKind)> {
        for (_, claims) in std::mem::take(&mut self.claims) {
            for (seq, _) in claims {
                self.problems.push((seq, ProblemKind::UnrecordedRedaction));
            }
        }
        self.problems.sort_by_key(|(seq, _)| *seq);
        if self.expected_seq - 1 != head_seq || self.prev_hash != head_hash {
            self.problems.push((
                head_seq,
                ProblemKind::TailMissing {
                    chain_end: self.expected_seq - 1,
                    head: head_seq,
                },
            ));
        }
        self.problems
    }
}

/// What [`Store::upgrade_audit_log`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditUpgrade {
    /// Tenants whose chain was converted to version 2, with its number of entries.
    pub converted: Vec<(i64, u64)>,
    /// Tenants whose version-1 entries were kept as they are, and why: their chain is
    /// broken (`vidare audit verify` names the problems) or continues in version 2.
    pub kept: Vec<(i64, &'static str)>,
    /// Identity numbers whose birth date was masked in converted entries.
    pub masked: u64,
    /// Entries about participants anonymised earlier whose payload was removed.
    pub redacted: u64,
}

/// Rows converted per statement.
const UPGRADE_BATCH: usize = 100;

impl Store {
    /// Walks every tenant's chain and reports each entry whose hash, link, sequence
    /// number or redaction is wrong, and each chain whose head does not match its last
    /// entry.
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
            let mut check = ChainCheck::new();
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
                    last_after = entry.seq;
                    check.add(&entry);
                }
            }
            report.entries += check.entries;
            report.redacted += check.redacted;
            report.per_tenant.push((tenant_id, check.entries));
            for (seq, problem) in check.finish(head_seq, &head_hash) {
                report.problems.push(AuditProblem {
                    tenant_id,
                    seq,
                    problem,
                });
            }
        }
        Ok(report)
    }

    /// Brings audit logs written before migration 0014 up to version 2, tenant by
    /// tenant, each in one transaction; run by [`Store::migrate`], and a no-op once done.
    ///
    /// Every version-1 entry learns which participant it is about. A chain that is
    /// wholly version 1 and intact is then converted: each entry gets a salt and its
    /// payload's digest (identity numbers masked completely first: earlier versions kept
    /// the birth date) and is hashed again in order; the head follows, and an `upgrade`
    /// entry records the old head's sequence number and hash, so a head noted down
    /// before still proves the history up to it. A broken chain is left for `vidare
    /// audit verify` to report, and converting it would hide what broke it. Last, the
    /// entries about participants anonymised before are redacted.
    pub async fn upgrade_audit_log(&self) -> Result<AuditUpgrade, StoreError> {
        let tenants: Vec<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT DISTINCT tenant_id FROM audit_log WHERE hash_version = 1 ORDER BY tenant_id",
            )
            .fetch_all(pool)
            .await?
        });
        let mut report = AuditUpgrade::default();
        for tid in tenants {
            self.upgrade_chain(tid, &mut report).await?;
        }
        if !report.converted.is_empty() {
            tracing::info!(
                converted = ?report.converted,
                masked = report.masked,
                redacted = report.redacted,
                "audit chains converted to hash version {HASH_VERSION}"
            );
        }
        if !report.kept.is_empty() {
            tracing::warn!(
                kept = ?report.kept,
                "audit chains left at version 1: run `vidare audit verify`"
            );
        }
        Ok(report)
    }

    async fn upgrade_chain(&self, tid: i64, report: &mut AuditUpgrade) -> Result<(), StoreError> {
        let scoped = self.tenant_as(TenantId(tid), Actor::system("migrate"));
        let s = &scoped;
        crate::with_tx!(self, |tx| {
            // The head's lock keeps appends out while the chain is rewritten.
            let head: Option<(i64, String)> = sqlx::query_as(
                "UPDATE audit_heads SET seq = seq WHERE tenant_id = $1 RETURNING seq, hash",
            )
            .bind(tid)
            .fetch_optional(&mut *tx)
            .await?;
            let (head_seq, head_hash) = head.unwrap_or((0, String::new()));
            let newer: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND hash_version <> 1",
            )
            .bind(tid)
            .fetch_one(&mut *tx)
            .await?;
            // First pass: is the chain intact?
            let mut check = ChainCheck::new();
            let mut last = 0;
            loop {
                let rows: Vec<EntryRow> = sqlx::query_as(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000"
                ))
                .bind(tid)
                .bind(last)
                .fetch_all(&mut *tx)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for row in rows {
                    let entry = AuditEntry::from(row);
                    last = entry.seq;
                    check.add(&entry);
                }
            }
            let entries = check.entries;
            let intact = check.redacted == 0 && check.finish(head_seq, &head_hash).is_empty();
            let convert = intact && newer == 0;
            if !convert {
                report.kept.push((
                    tid,
                    if intact {
                        "continues in version 2"
                    } else {
                        "broken"
                    },
                ));
            }
            // Second pass: the subjects, and for an intact chain the new hashes.
            let mut subjects: HashMap<Subject, Option<i64>> = HashMap::new();
            let mut prev = String::new();
            let mut masked = 0u64;
            let mut last = 0;
            loop {
                let rows: Vec<EntryRow> = sqlx::query_as(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq > $2 \
                     AND hash_version = 1 ORDER BY seq LIMIT 1000"
                ))
                .bind(tid)
                .bind(last)
                .fetch_all(&mut *tx)
                .await?;
                if rows.is_empty() {
                    break;
                }
                let mut updates = Vec::with_capacity(rows.len());
                for row in rows {
                    let mut e = AuditEntry::from(row);
                    last = e.seq;
                    let parse = |s: &Option<String>| {
                        s.as_deref().and_then(|s| serde_json::from_str(s).ok())
                    };
                    let (before, after): (Option<Value>, Option<Value>) =
                        (parse(&e.before_json), parse(&e.after_json));
                    let subject = subject_of(
                        &e.entity,
                        e.entity_id.as_deref(),
                        before.as_ref(),
                        after.as_ref(),
                    );
                    let participant = match subject {
                        None => None,
                        Some(subject) => match subjects.get(&subject) {
                            Some(p) => *p,
                            None => {
                                let p = crate::audit_subject!(tx, tid, Some(subject));
                                subjects.insert(subject, p);
                                p
                            }
                        },
                    };
                    let learned = e.participant_id.is_none() && participant.is_some();
                    e.participant_id = e.participant_id.or(participant);
                    if !convert && !learned {
                        continue;
                    }
                    if convert {
                        let remask = |raw: &mut Option<String>, v: Option<Value>| {
                            if let Some(v) = v {
                                let m = redact(v).to_string();
                                if raw.as_deref() != Some(m.as_str()) {
                                    *raw = Some(m);
                                    return 1;
                                }
                            }
                            0
                        };
                        let changed =
                            remask(&mut e.before_json, before) + remask(&mut e.after_json, after);
                        masked += u64::from(changed > 0);
                        let salt = new_salt();
                        e.payload_digest = Some(payload_digest(
                            &salt,
                            e.before_json.as_deref(),
                            e.after_json.as_deref(),
                        ));
                        e.payload_salt = Some(salt);
                        e.hash_version = HASH_VERSION;
                        e.prev_hash = std::mem::take(&mut prev);
                        e.hash = e.compute_hash();
                        prev = e.hash.clone();
                    }
                    updates.push(e);
                }
                for chunk in updates.chunks(UPGRADE_BATCH) {
                    let values: Vec<String> = (0..chunk.len())
                        .map(|i| {
                            let cells: Vec<String> =
                                (0..9).map(|c| format!("${}", 2 + i * 9 + c)).collect();
                            format!("({})", cells.join(", "))
                        })
                        .collect();
                    let sql = format!(
                        "UPDATE audit_log SET hash_version = v.column2, participant_id = v.column3, \
                         payload_salt = v.column4, payload_digest = v.column5, before_json = v.column6, \
                         after_json = v.column7, prev_hash = v.column8, hash = v.column9 \
                         FROM (VALUES {}) AS v WHERE audit_log.tenant_id = $1 AND audit_log.seq = v.column1",
                        values.join(", ")
                    );
                    let mut q = sqlx::query(&sql).bind(tid);
                    for e in chunk {
                        q = q
                            .bind(e.seq)
                            .bind(e.hash_version)
                            .bind(e.participant_id)
                            .bind(&e.payload_salt)
                            .bind(&e.payload_digest)
                            .bind(&e.before_json)
                            .bind(&e.after_json)
                            .bind(&e.prev_hash)
                            .bind(&e.hash);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            if convert {
                sqlx::query("UPDATE audit_heads SET hash = $2 WHERE tenant_id = $1")
                    .bind(tid)
                    .bind(&prev)
                    .execute(&mut *tx)
                    .await?;
                crate::audit_append!(
                    tx,
                    s,
                    Change::action(
                        "upgrade",
                        "audit_log",
                        None,
                        Some(serde_json::json!({
                            "hash_version": HASH_VERSION,
                            "entries": entries,
                            "previous_head": { "seq": head_seq, "hash": head_hash },
                            "personal_numbers_masked": masked,
                        }))
                    )
                );
                report.converted.push((tid, entries));
                report.masked += masked;
            }
            // Participants anonymised before this version: their entries lose their
            // payload now.
            let anonymised: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT l.participant_id FROM audit_log l JOIN participants p \
                 ON p.tenant_id = l.tenant_id AND p.id = l.participant_id \
                 WHERE l.tenant_id = $1 AND p.anonymised_on IS NOT NULL AND l.redacted_by IS NULL \
                 AND (l.before_json IS NOT NULL OR l.after_json IS NOT NULL) AND l.action <> 'anonymise' \
                 ORDER BY l.participant_id",
            )
            .bind(tid)
            .fetch_all(&mut *tx)
            .await?;
            for p in anonymised {
                report.redacted += crate::audit_redact!(tx, s, p, "anonymise") as u64;
            }
        });
        Ok(())
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

/// Why the access log records a read of the audit log itself (its page, its download,
/// its API): entries about a participant hold their record until it is redacted.
pub const ACCESS_PURPOSE: &str = "audit_log";

/// The participants whose personal data these entries show: those of every entry that
/// still has its record before or after (a redacted one shows none, nor does the
/// `anonymise` entry, which holds only the dates).
pub fn participants_shown<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Vec<vidare_domain::ids::ParticipantId> {
    entries
        .into_iter()
        .filter(|e| e.before_json.is_some() || e.after_json.is_some())
        .filter(|e| e.action != "anonymise")
        .filter_map(|e| e.participant_id.map(vidare_domain::ids::ParticipantId))
        .collect()
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
    ///
    /// Read once per handle: a handle serves one request, whose figures should agree with
    /// each other, and every change made through the handle forgets the value. A change
    /// made elsewhere meanwhile is seen by the next request, as it would be had it come
    /// a moment later.
    pub async fn data_position(&self) -> Result<i64, StoreError> {
        use std::sync::atomic::Ordering;
        let known = self.data_position.load(Ordering::Acquire);
        if known != crate::NO_POSITION {
            return Ok(known);
        }
        let row: Option<(i64,)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT data_seq FROM audit_heads WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_optional(pool)
                .await?
        });
        let position = row.map(|r| r.0).unwrap_or(0);
        self.data_position.store(position, Ordering::Release);
        Ok(position)
    }

    /// Forgets the data position read through this handle: it is about to change.
    pub(crate) fn forget_data_position(&self) {
        self.data_position
            .store(crate::NO_POSITION, std::sync::atomic::Ordering::Release);
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
            // One participant: the minutes in which a view showed them, newest first,
            // and each of those minutes' events whose participant list holds them
            // (migration 0015). Minutes do not overlap, so ordering by minute and then
            // by time is ordering by time. Both backends must take the minute keys
            // first and look each minute's events up by `(tenant_id, at)`; neither
            // does for a plain join, since neither knows a minute is short: SQLite
            // without statistics scans every event of the tenant, and PostgreSQL
            // scans them all once per query. CROSS JOIN fixes SQLite's join order; on
            // PostgreSQL, a LATERAL subquery that `OFFSET 0` keeps from being merged
            // into the join runs once per minute, on the index.
            let sql = if self.store().kind() == crate::BackendKind::Sqlite {
                "SELECT e.at, e.user_id, e.actor, s.participant_id, e.purpose, e.route \
                 FROM access_subject_minutes s CROSS JOIN access_events e \
                 WHERE s.tenant_id = $1 AND s.participant_id = $2 \
                 AND e.tenant_id = s.tenant_id \
                 AND e.at >= s.minute_start AND e.at < s.minute_end \
                 AND ',' || e.participants || ',' LIKE $3 \
                 AND ($4 IS NULL OR e.user_id = $4) \
                 ORDER BY s.minute_start DESC, e.at DESC, e.id DESC LIMIT $5 OFFSET $6"
            } else {
                "SELECT e.at, e.user_id, e.actor, s.participant_id, e.purpose, e.route \
                 FROM access_subject_minutes s CROSS JOIN LATERAL ( \
                     SELECT id, at, user_id, actor, purpose, route FROM access_events \
                     WHERE tenant_id = s.tenant_id \
                     AND at >= s.minute_start AND at < s.minute_end \
                     AND ',' || participants || ',' LIKE $3 \
                     AND ($4::BIGINT IS NULL OR user_id = $4) OFFSET 0) e \
                 WHERE s.tenant_id = $1 AND s.participant_id = $2 \
                 ORDER BY s.minute_start DESC, e.at DESC, e.id DESC LIMIT $5 OFFSET $6"
            };
            let rows: Vec<AccessEntry> = with_pool!(self, |pool| {
                sqlx::query_as(sql)
                    .bind(self.tid())
                    .bind(p.get())
                    .bind(format!("%,{},%", p.get()))
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
