//! The tenant's audit log, for its administrators: who changed what, when, with the
//! record before and after (identity numbers masked, secrets dropped when written; the
//! record removed, its digest kept, once the participant it is about is anonymised).
//! Reading entries that still hold a participant's record is recorded in the access log.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vidare_store::audit::{participants_shown, AuditEntry, AuditFilter, ACCESS_PURPOSE};

use super::{envelopes, ApiQuery, Caller, ListMeta, Paging, ProblemDoc};
use crate::error::ApiError;
use crate::AppState;

/// Filters of the audit log; every one given must match.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The kind of record (`organisations`, `participants`, `users`, …).
    pub entity: Option<String>,
    /// The record's id.
    pub entity_id: Option<String>,
    /// Who acted: an e-mail address, `token:NAME` or `system:…`.
    pub actor: Option<String>,
    /// Entries at or after this instant (RFC 3339, e.g. `2025-01-31T00:00:00Z`).
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Rows to skip (default 0).
    pub offset: Option<u32>,
}

/// One entry of the hash-chained audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    /// The entry's place in the tenant's chain, from 1.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who acted: an e-mail address, `token:NAME` or `system:…`.
    pub actor: String,
    pub actor_user_id: Option<i64>,
    /// `create`, `update`, `sign_in`, `revoke`, …
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    /// The participant the entry is about, if any.
    pub participant_id: Option<i64>,
    /// The record before the change (absent once redacted).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change (absent once redacted).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The entry (`seq`) that removed the record before and after when the participant
    /// was anonymised, if one did.
    pub redacted_by: Option<i64>,
    /// SHA-256 over a salt and the record before and after; kept when they are removed.
    /// Absent for entries of version 1.
    pub payload_digest: Option<String>,
    /// 2: `hash` covers `payload_digest`; 1 (entries written before the digests, in a
    /// chain that could not be converted): `hash` covers the record itself.
    pub hash_version: i64,
    /// The previous entry's hash (empty for the first).
    pub prev_hash: String,
    /// SHA-256 over the previous hash, every field of this entry and the payload's
    /// digest.
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryOut {
    fn from(e: AuditEntry) -> Self {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntryOut {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            actor_user_id: e.actor_user_id,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            participant_id: e.participant_id,
            before: json(e.before_json),
            after: json(e.after_json),
            redacted_by: e.redacted_by,
            payload_digest: e.payload_digest,
            hash_version: e.hash_version,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

envelopes!(list AuditEntryOut => AuditEntryList);

/// Search the audit log
///
/// The tenant's audit entries matching the filters, newest first. Reading entries that
/// still hold a participant's record is recorded in the access log (purpose
/// `audit_log`).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    operation_id = "list_audit_entries",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries.", body = AuditEntryList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditEntryList>, ApiError> {
    let page = Paging {
        limit: q.limit,
        offset: q.offset,
    }
    .resolve(caller.lang)?;
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor: q.actor,
        from: q.from,
        until: q.until,
        limit: page.limit,
        offset: page.offset,
    };
    let s = caller.scoped(state.store());
    let total = s
        .count_audit_entries(&filter)
        .await
        .map_err(|e| caller.store_error(e))?;
    let rows = s
        .audit_entries(&filter)
        .await
        .map_err(|e| caller.store_error(e))?;
    s.log_access(
        &participants_shown(&rows),
        ACCESS_PURPOSE,
        Some("/api/v1/audit"),
    )
    .await
    .map_err(|e| caller.store_error(e))?;
    Ok(Json(AuditEntryList {
        data: rows.into_iter().map(AuditEntryOut::from).collect(),
        meta: ListMeta::new(total, page),
    }))
}
