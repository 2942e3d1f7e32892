//! The reserved-procurement workflow: publishing a round with its award criteria and
//! documents, outreach (invitations, information meetings), questions and answers,
//! tenders (sealed until the deadline), qualification and evaluation, the award
//! decision with its standstill, signing into framework agreements, and the suppliers'
//! periodic eligibility declarations.
//!
//! The seal is enforced here, not in the pages: [`Scoped::tenders_of_round`] and
//! [`Scoped::bid_document`] refuse before the tender deadline and write the refused
//! attempt to the audit log with its purpose. Tender content never enters the audit log
//! (the log is readable by administrators before the deadline): tender changes are
//! logged with their ids and counts only. Every method that depends on the time takes
//! `now`, so the caller's clock decides (tests move it).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;
use vidare_domain::calendar::DecisionDelivery;
use vidare_domain::deadline::{stockholm_today, Deadline};
use vidare_domain::ids::{
    AgreementId, AwardDecisionId, BidId, CriterionId, LotId, OrganisationId, PlacementTypeId,
    RoundId, TenantId,
};
use vidare_domain::model::organisation::Headcount;
use vidare_domain::model::procurement::{
    check_criteria, check_required_documents, check_signing, check_tender_open, check_unsealed,
    quality_points, rank_offers, AbsenceRule, AwardCriterion, AwardDecision, Bid, BidDocumentKind,
    BidLot, BidStatus, CriterionKind, EligibilityDeclaration, Lot, Offer, ProcurementRound,
    RoundStatus, TestOutcome,
};
use vidare_domain::model::{Email, RuleViolation, Text};
use vidare_domain::money::Money;

use crate::rows::{conv, count, int};
use crate::{with_pool, with_tx, Change, Scoped, Store, StoreError};

/// The largest document accepted (procurement documents and tender evidence): 10 MiB.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The file types accepted as documents.
pub const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// A file to store.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub filename: String,
    pub mime: String,
    pub content: Vec<u8>,
}

impl NewFile {
    /// Checks name, type and size; `field` names the form field.
    pub fn check(&self, field: &'static str) -> Result<(), RuleViolation> {
        if self.content.is_empty() {
            return Err(RuleViolation::new(
                field,
                "Välj en fil att ladda upp. Filen var tom eller saknades.",
                "Choose a file to upload. The file was empty or missing.",
            ));
        }
        if self.content.len() > MAX_DOCUMENT_BYTES {
            return Err(RuleViolation::new(
                field,
                "Filen är större än 10 MB. Dela upp eller komprimera den.",
                "The file is larger than 10 MB. Split or compress it.",
            ));
        }
        if !DOCUMENT_TYPES.contains(&self.mime.as_str()) {
            return Err(RuleViolation::new(
                field,
                "Filtypen tas inte emot. Ladda upp PDF, Word, OpenDocument, Excel eller text.",
                "That file type is not accepted. Upload PDF, Word, OpenDocument, Excel or text.",
            ));
        }
        if self.filename.trim().is_empty() || self.filename.len() > 200 {
            return Err(RuleViolation::new(
                field,
                "Filnamnet saknas eller är för långt (högst 200 tecken).",
                "The file name is missing or too long (at most 200 characters).",
            ));
        }
        Ok(())
    }
}

/// A stored document without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentMeta {
    pub id: i64,
    /// The round document's title, or the tender document's kind code.
    pub title: String,
    pub filename: String,
    pub mime: String,
    pub size: i64,
    pub uploaded_at: DateTime<Utc>,
}

/// A letter inviting a potential supplier.
#[derive(Debug, Clone, Serialize)]
pub struct NewInvitation {
    pub organisation_id: Option<OrganisationId>,
    pub recipient_name: Text,
    pub email: Option<String>,
    pub sent_on: NaiveDate,
}

/// A stored invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub round_id: RoundId,
    pub organisation_id: Option<OrganisationId>,
    pub recipient_name: String,
    pub email: Option<String>,
    pub sent_on: NaiveDate,
    pub emailed_at: Option<DateTime<Utc>>,
}

/// An information meeting to hold.
#[derive(Debug, Clone, Serialize)]
pub struct NewMeeting {
    pub starts_at: Deadline,
    pub place: Text,
    pub capacity: Option<u32>,
}

/// A stored meeting with its registrations' total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meeting {
    pub id: i64,
    pub round_id: RoundId,
    pub starts_at: Deadline,
    pub place: String,
    pub capacity: Option<u32>,
    pub registrations: Vec<Registration>,
}

/// A registration for a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    pub id: i64,
    pub organisation_name: String,
    pub attendees: u32,
    pub registered_on: NaiveDate,
    /// The supplier organisation that registered itself; `None` when the procurement
    /// officer recorded the registration by name.
    pub organisation_id: Option<OrganisationId>,
    /// The attendees' names, when the supplier gave them.
    pub attendee_names: Vec<String>,
    /// The contact address the supplier gave.
    pub email: Option<String>,
}

/// A supplier's own registration for an information meeting: who will come and where
/// to reach them. The number of attendees is the number of names.
#[derive(Debug, Clone, Serialize)]
pub struct NewSupplierRegistration {
    pub attendee_names: Vec<Text>,
    pub email: Email,
}

/// The most attendees one registration may have.
pub const MAX_ATTENDEES: usize = 50;

/// A question and, once given, its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub id: i64,
    pub round_id: RoundId,
    /// Who asked: never published.
    pub organisation_id: OrganisationId,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// A criterion to set.
#[derive(Debug, Clone, Serialize)]
pub struct NewCriterion {
    pub kind: CriterionKind,
    pub name: Text,
    pub weight_percent: u32,
}

/// A tender's offer for one lot, as the supplier enters it.
#[derive(Debug, Clone)]
pub struct TenderLot {
    pub lot_id: LotId,
    pub price_per_month: Money,
    pub capacity: u32,
    pub quality_answer: Option<Text>,
}

/// A tender as the supplier saves it. The declaration's fields are checked here
/// ([`EligibilityDeclaration::new`]): the share from the target groups must lie within
/// 0–100 %.
#[derive(Debug, Clone)]
pub struct TenderDraft {
    pub purpose_statement: String,
    pub headcount_total: i64,
    pub headcount_target_groups: i64,
    pub lots: Vec<TenderLot>,
}

/// A tender with everything in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tender {
    pub bid: Bid,
    pub organisation_name: String,
    pub lots: Vec<BidLot>,
    pub documents: Vec<(BidDocumentKind, DocumentMeta)>,
    pub qualification: Option<QualificationRecord>,
}

/// The qualification of a tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QualificationRecord {
    pub purpose_test: TestOutcome,
    pub share_test: TestOutcome,
    pub notes: Option<String>,
}

impl QualificationRecord {
    /// Both tests passed.
    pub fn qualified(&self) -> bool {
        self.purpose_test == TestOutcome::Pass && self.share_test == TestOutcome::Pass
    }
}

/// A lot's ranking as the evaluation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotEvaluation {
    pub lot: Lot,
    /// Qualified tenders in rank order (empty while grades are missing).
    pub ranking: Vec<RankedTender>,
    /// Why the ranking is not complete, if it is not.
    pub incomplete: Option<String>,
}

/// One tender's place in a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedTender {
    pub bid_id: BidId,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub price_per_month: Money,
    pub capacity: u32,
    pub rank: u32,
    pub points: Vec<(CriterionId, u32)>,
    pub total_centi: u32,
}

/// The result of the award decision for one tender and lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardResult {
    pub lot_id: LotId,
    pub bid_id: BidId,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub rank: Option<u32>,
    pub total_centi: Option<u32>,
    pub awarded: bool,
    /// `ranked` or `not_qualified`.
    pub reason: String,
    pub price_per_month: Money,
    pub capacity: u32,
}

/// A stored periodic eligibility declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclarationRecord {
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub declared_on: NaiveDate,
    pub purpose_statement: String,
    pub headcount: Headcount,
}

/// Demand against supply for one placement type: the planning view's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlacementNeed {
    pub placement_type_id: PlacementTypeId,
    /// Referrals to this type in the last 12 months.
    pub referrals: u64,
    /// Of them, declined or withdrawn (the supplier could not take the participant).
    pub unmet: u64,
    /// Places under agreements in force today.
    pub capacity_in_force: u64,
    /// Agreements in force today.
    pub agreements_in_force: u64,
}

/// How a deadline's local time is stored (as in `procurement.rs`).
const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

fn parse_local(entity: &'static str, id: i64, s: &str) -> Result<Deadline, StoreError> {
    let local = conv(entity, id, NaiveDateTime::parse_from_str(s, LOCAL_FORMAT))?;
    conv(entity, id, Deadline::new(local))
}

fn rule(field: &'static str, sv: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Rule(RuleViolation::new(field, sv, en))
}

/// Locks a meeting of a published round for a supplier's change and checks that it has
/// not started; evaluates to its round, start and capacity. The no-op update takes
/// PostgreSQL's row lock, so two registrations cannot both take the last seats (SQLite's
/// single writer already serialises them). A macro because the transaction's type
/// differs by backend.
macro_rules! open_meeting {
    ($tx:ident, $tid:expr, $meeting:expr, $now:expr) => {{
        sqlx::query(
            "UPDATE information_meetings SET capacity = capacity WHERE tenant_id = $1 AND id = $2",
        )
        .bind($tid)
        .bind($meeting)
        .execute(&mut *$tx)
        .await?;
        let m: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT m.round_id, m.starts_at_local, m.capacity FROM information_meetings m \
             JOIN procurement_rounds r ON r.tenant_id = m.tenant_id AND r.id = m.round_id \
             WHERE m.tenant_id = $1 AND m.id = $2 AND r.status = $3",
        )
        .bind($tid)
        .bind($meeting)
        .bind(RoundStatus::Published.as_str())
        .fetch_optional(&mut *$tx)
        .await?;
        let Some((round, local, capacity)) = m else {
            return Err(StoreError::NotFound {
                entity: "information_meeting",
            });
        };
        let starts = parse_local("information_meeting", $meeting, &local)?;
        if starts.has_passed($now) {
            return Err(rule(
                "meeting",
                format!("Informationsmötet började {starts}. Anmälan till mötet är stängd och kan inte längre ändras."),
                format!("The information meeting began {starts}. Registration is closed and can no longer be changed."),
            ));
        }
        (RoundId(round), starts, capacity)
    }};
}

fn not_in_planning() -> StoreError {
    rule(
        "status",
        "Upphandlingen är redan publicerad. Delområden, tilldelningsgrunder och anbudstid kan bara ändras under planeringen.",
        "The round is already published. Lots, award criteria and the tender deadline can only be changed while planning.",
    )
}

type TenderRow = (
    i64,
    i64,
    i64,
    String,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    String,
);

const TENDER_COLUMNS: &str = "b.id, b.round_id, b.organisation_id, b.status, b.submitted_at, \
    b.purpose_statement, b.headcount_total, b.headcount_target_groups, o.name";

fn bid_from(r: &TenderRow) -> Result<Bid, StoreError> {
    const E: &str = "bid";
    let declaration = match (&r.5, r.6, r.7) {
        (Some(p), Some(t), Some(g)) => Some(EligibilityDeclaration {
            purpose_statement: conv(E, r.0, Text::parse(p))?,
            headcount: conv(E, r.0, Headcount::new(count(E, r.0, t)?, count(E, r.0, g)?))?,
        }),
        _ => None,
    };
    Ok(Bid {
        id: BidId(r.0),
        round_id: RoundId(r.1),
        organisation_id: OrganisationId(r.2),
        status: conv(E, r.0, BidStatus::parse(&r.3))?,
        submitted_at: r.4,
        declaration,
    })
}

impl Store {
    /// The tenant of a round the public may see (published or later, not cancelled).
    pub async fn public_round_tenant(&self, round: RoundId) -> Result<TenantId, StoreError> {
        let row: Option<(i64,)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT tenant_id FROM procurement_rounds WHERE id = $1 AND status NOT IN ('planning', 'cancelled')",
            )
            .bind(round.get())
            .fetch_optional(pool)
            .await?
        });
        row.map(|r| TenantId(r.0)).ok_or(StoreError::NotFound {
            entity: "procurement_round",
        })
    }

    /// Every round the public may see, in every tenant: `(tenant, round id)`, newest first.
    pub async fn public_round_ids(&self) -> Result<Vec<(TenantId, RoundId)>, StoreError> {
        let rows: Vec<(i64, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT tenant_id, id FROM procurement_rounds WHERE status NOT IN ('planning', 'cancelled') \
                 ORDER BY contract_start DESC, id DESC",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(t, r)| (TenantId(t), RoundId(r)))
            .collect())
    }
}

impl Scoped<'_> {
    // ---- Planning and publishing ------------------------------------------------------

    /// The round's award criteria, in the order set.
    pub async fn criteria_of_round(
        &self,
        round: RoundId,
    ) -> Result<Vec<AwardCriterion>, StoreError> {
        let rows: Vec<(i64, i64, String, String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, round_id, kind, name, weight_percent FROM award_criteria \
                 WHERE tenant_id = $1 AND round_id = $2 ORDER BY id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        const E: &str = "award_criterion";
        rows.into_iter()
            .map(|(id, r, kind, name, w)| {
                Ok(AwardCriterion {
                    id: CriterionId(id),
                    round_id: RoundId(r),
                    kind: conv(E, id, CriterionKind::parse(&kind))?,
                    name: conv(E, id, Text::parse(&name))?,
                    weight_percent: count(E, id, w)?,
                })
            })
            .collect()
    }

    /// Replaces a planned round's award criteria: exactly one price criterion, weights
    /// summing to 100.
    pub async fn set_criteria(
        &self,
        round: RoundId,
        criteria: &[NewCriterion],
    ) -> Result<(), StoreError> {
        let parts: Vec<_> = criteria
            .iter()
            .map(|c| (c.kind, c.weight_percent))
            .collect();
        check_criteria(&parts)?;
        let r = self.get_round(round).await?;
        if r.status != RoundStatus::Planning {
            return Err(not_in_planning());
        }
        with_tx!(self, |tx| {
            let before: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT kind, name, weight_percent FROM award_criteria WHERE tenant_id = $1 AND round_id = $2 ORDER BY id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM award_criteria WHERE tenant_id = $1 AND round_id = $2")
                .bind(self.tid())
                .bind(round.get())
                .execute(&mut *tx)
                .await?;
            for c in criteria {
                sqlx::query(
                    "INSERT INTO award_criteria (tenant_id, round_id, kind, name, weight_percent) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(self.tid())
                .bind(round.get())
                .bind(c.kind.as_str())
                .bind(c.name.as_str())
                .bind(int(c.weight_percent))
                .execute(&mut *tx)
                .await?;
            }
            crate::audit_append!(
                tx,
                self,
                Change::update("award_criteria", round.get(), &before, &criteria)
            );
        });
        Ok(())
    }

    /// Sets a planned round's tender deadline.
    pub async fn set_tender_deadline(
        &self,
        round: RoundId,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if deadline.has_passed(now) {
            return Err(rule(
                "tender_deadline",
                "Anbudstiden måste sluta i framtiden.",
                "The tender deadline must be in the future.",
            ));
        }
        let r = self.get_round(round).await?;
        if r.status != RoundStatus::Planning {
            return Err(not_in_planning());
        }
        let local = deadline.local().format(LOCAL_FORMAT).to_string();
        with_tx!(self, |tx| {
            sqlx::query(
                "UPDATE procurement_rounds SET tender_deadline_local = $1 WHERE tenant_id = $2 AND id = $3",
            )
            .bind(&local)
            .bind(self.tid())
            .bind(round.get())
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "procurement_rounds",
                    round.get(),
                    &json!({"tender_deadline": r.tender_deadline}),
                    &json!({"tender_deadline": deadline})
                )
            );
        });
        Ok(())
    }

    /// Publishes a planned round: it needs lots, award criteria and a future deadline.
    pub async fn publish_round(
        &self,
        round: RoundId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let r = self.get_round(round).await?;
        if r.status != RoundStatus::Planning {
            return Err(not_in_planning());
        }
        if self.lots_of_round(round).await?.is_empty() {
            return Err(rule(
                "lots",
                "Lägg till minst ett delområde innan upphandlingen publiceras.",
                "Add at least one lot before publishing the round.",
            ));
        }
        let criteria = self.criteria_of_round(round).await?;
        let parts: Vec<_> = criteria
            .iter()
            .map(|c| (c.kind, c.weight_percent))
            .collect();
        check_criteria(&parts)?;
        match &r.tender_deadline {
            Some(d) if !d.has_passed(now) => {}
            _ => {
                return Err(rule(
                    "tender_deadline",
                    "Ange en anbudstid i framtiden innan upphandlingen publiceras.",
                    "Set a tender deadline in the future before publishing the round.",
                ))
            }
        }
        self.set_status(round, RoundStatus::Planning, RoundStatus::Published)
            .await
    }

    /// Moves a round from one status to the next, refusing if another change came first.
    async fn set_status(
        &self,
        round: RoundId,
        from: RoundStatus,
        to: RoundStatus,
    ) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE procurement_rounds SET status = $1 WHERE tenant_id = $2 AND id = $3 AND status = $4",
            )
            .bind(to.as_str())
            .bind(self.tid())
            .bind(round.get())
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(rule(
                    "status",
                    "Upphandlingens status har ändrats under tiden. Ladda om sidan.",
                    "The round's status changed meanwhile. Reload the page.",
                ));
            }
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "procurement_rounds",
                    round.get(),
                    &json!({"status": from}),
                    &json!({"status": to})
                )
            );
        });
        Ok(())
    }

    // ---- Documents, invitations, meetings -------------------------------------------

    /// Stores a procurement document of a round.
    pub async fn insert_round_document(
        &self,
        round: RoundId,
        title: &Text,
        file: &NewFile,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        file.check("file")?;
        self.get_round(round).await?;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO round_documents (tenant_id, round_id, title, filename, mime, content, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(title.as_str())
            .bind(&file.filename)
            .bind(&file.mime)
            .bind(&file.content)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "round_documents",
                    id,
                    &json!({"round_id": round, "title": title, "filename": file.filename,
                        "mime": file.mime, "size": file.content.len()})
                )
            );
            id
        });
        Ok(id)
    }

    /// A round's documents, without content.
    pub async fn round_documents(&self, round: RoundId) -> Result<Vec<DocumentMeta>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64, DateTime<Utc>)> = with_pool!(
            self,
            |pool| {
                sqlx::query_as(
                "SELECT id, title, filename, mime, CAST(length(content) AS BIGINT), uploaded_at FROM round_documents \
                 WHERE tenant_id = $1 AND round_id = $2 ORDER BY id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
            }
        );
        Ok(rows
            .into_iter()
            .map(|(id, title, filename, mime, size, at)| DocumentMeta {
                id,
                title,
                filename,
                mime,
                size,
                uploaded_at: at,
            })
            .collect())
    }

    /// One document of a round with its content.
    pub async fn round_document(
        &self,
        round: RoundId,
        id: i64,
    ) -> Result<(String, String, Vec<u8>), StoreError> {
        let row: Option<(String, String, Vec<u8>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT filename, mime, content FROM round_documents WHERE tenant_id = $1 AND round_id = $2 AND id = $3",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound {
            entity: "round_document",
        })
    }

    /// Records an invitation letter.
    pub async fn insert_invitation(
        &self,
        round: RoundId,
        inv: &NewInvitation,
    ) -> Result<i64, StoreError> {
        self.get_round(round).await?;
        if let Some(org) = inv.organisation_id {
            self.get_organisation(org).await?;
        }
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO round_invitations (tenant_id, round_id, organisation_id, recipient_name, email, sent_on) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(inv.organisation_id.map(|o| o.get()))
            .bind(inv.recipient_name.as_str())
            .bind(inv.email.as_deref())
            .bind(inv.sent_on)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("round_invitations", id, inv));
            id
        });
        Ok(id)
    }

    /// Records that an invitation was delivered to the mail server.
    pub async fn mark_invitation_emailed(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE round_invitations SET emailed_at = $1 WHERE tenant_id = $2 AND id = $3",
            )
            .bind(at)
            .bind(self.tid())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(StoreError::NotFound {
                    entity: "round_invitation",
                });
            }
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "email",
                    "round_invitations",
                    Some(id.to_string()),
                    Some(json!({"emailed_at": at}))
                )
            );
        });
        Ok(())
    }

    /// A round's invitations, oldest first.
    pub async fn invitations_of_round(
        &self,
        round: RoundId,
    ) -> Result<Vec<Invitation>, StoreError> {
        type Row = (
            i64,
            i64,
            Option<i64>,
            String,
            Option<String>,
            NaiveDate,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, round_id, organisation_id, recipient_name, email, sent_on, emailed_at FROM round_invitations \
                 WHERE tenant_id = $1 AND round_id = $2 ORDER BY id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| Invitation {
                id: r.0,
                round_id: RoundId(r.1),
                organisation_id: r.2.map(OrganisationId),
                recipient_name: r.3,
                email: r.4,
                sent_on: r.5,
                emailed_at: r.6,
            })
            .collect())
    }

    /// Schedules an information meeting.
    pub async fn insert_meeting(&self, round: RoundId, m: &NewMeeting) -> Result<i64, StoreError> {
        if m.capacity == Some(0) {
            return Err(rule(
                "capacity",
                "Antalet platser måste vara minst 1, eller lämnas tomt.",
                "The number of seats must be at least 1, or left empty.",
            ));
        }
        self.get_round(round).await?;
        let local = m.starts_at.local().format(LOCAL_FORMAT).to_string();
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO information_meetings (tenant_id, round_id, starts_at_local, place, capacity) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(&local)
            .bind(m.place.as_str())
            .bind(m.capacity.map(int))
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("information_meetings", id, m));
            id
        });
        Ok(id)
    }

    /// Registers attendees for a meeting, within its capacity.
    pub async fn register_for_meeting(
        &self,
        round: RoundId,
        meeting: i64,
        organisation_name: &Text,
        attendees: u32,
        today: NaiveDate,
    ) -> Result<i64, StoreError> {
        if attendees == 0 || attendees > 50 {
            return Err(rule(
                "attendees",
                "Antalet deltagare ska vara 1–50.",
                "The number of attendees must be 1–50.",
            ));
        }
        let id: i64 = with_tx!(self, |tx| {
            let m: Option<(Option<i64>,)> = sqlx::query_as(
                "SELECT capacity FROM information_meetings WHERE tenant_id = $1 AND round_id = $2 AND id = $3",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(meeting)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((capacity,)) = m else {
                return Err(StoreError::NotFound {
                    entity: "information_meeting",
                });
            };
            let taken: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(attendees), 0) AS BIGINT) FROM meeting_registrations WHERE tenant_id = $1 AND meeting_id = $2",
            )
            .bind(self.tid())
            .bind(meeting)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(c) = capacity {
                if taken + i64::from(attendees) > c {
                    return Err(rule(
                        "attendees",
                        format!("Mötet har bara {} platser kvar.", (c - taken).max(0)),
                        format!("The meeting has only {} seats left.", (c - taken).max(0)),
                    ));
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO meeting_registrations (tenant_id, meeting_id, organisation_name, attendees, registered_on) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(self.tid())
            .bind(meeting)
            .bind(organisation_name.as_str())
            .bind(int(attendees))
            .bind(today)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "meeting_registrations",
                    id,
                    &json!({"meeting_id": meeting, "organisation_name": organisation_name, "attendees": attendees})
                )
            );
            id
        });
        Ok(id)
    }

    /// A round's meetings with their registrations.
    pub async fn meetings_of_round(&self, round: RoundId) -> Result<Vec<Meeting>, StoreError> {
        let rows: Vec<(i64, String, String, Option<i64>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, starts_at_local, place, capacity FROM information_meetings \
                 WHERE tenant_id = $1 AND round_id = $2 ORDER BY starts_at_local, id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        type Reg = (
            i64,
            i64,
            String,
            i64,
            NaiveDate,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let regs: Vec<Reg> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT r.id, r.meeting_id, r.organisation_name, r.attendees, r.registered_on, \
                 r.organisation_id, r.attendee_names, r.email FROM meeting_registrations r \
                 JOIN information_meetings m ON m.tenant_id = r.tenant_id AND m.id = r.meeting_id \
                 WHERE r.tenant_id = $1 AND m.round_id = $2 ORDER BY r.id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        const E: &str = "information_meeting";
        rows.into_iter()
            .map(|(id, local, place, capacity)| {
                Ok(Meeting {
                    id,
                    round_id: round,
                    starts_at: parse_local(E, id, &local)?,
                    place,
                    capacity: capacity.map(|c| count(E, id, c)).transpose()?,
                    registrations: regs
                        .iter()
                        .filter(|r| r.1 == id)
                        .map(|r| {
                            Ok(Registration {
                                id: r.0,
                                organisation_name: r.2.clone(),
                                attendees: count(E, id, r.3)?,
                                registered_on: r.4,
                                organisation_id: r.5.map(OrganisationId),
                                attendee_names: r
                                    .6
                                    .as_deref()
                                    .map(|n| n.lines().map(str::to_string).collect())
                                    .unwrap_or_default(),
                                email: r.7.clone(),
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                })
            })
            .collect()
    }

    /// A supplier registers its own organisation for an information meeting of a
    /// published round: before the meeting starts, within its capacity, once per
    /// organisation. A meeting of a planned or cancelled round does not exist for a
    /// supplier (404), like another tenant's.
    pub async fn register_organisation_for_meeting(
        &self,
        meeting: i64,
        organisation: OrganisationId,
        reg: &NewSupplierRegistration,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let names = &reg.attendee_names;
        if names.is_empty() || names.len() > MAX_ATTENDEES {
            return Err(rule(
                "attendee_names",
                format!("Ange deltagarnas namn, ett per rad (1–{MAX_ATTENDEES} deltagare)."),
                format!("Enter the attendees' names, one per line (1–{MAX_ATTENDEES} attendees)."),
            ));
        }
        let org = self.get_organisation(organisation).await?;
        let attendees = names.len() as u32;
        let joined = names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let today = stockholm_today(now);
        let user = self.actor().user_id.map(|u| u.get());
        let id: i64 = with_tx!(self, |tx| {
            let (round, starts, capacity) = open_meeting!(tx, self.tid(), meeting, now);
            let already: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM meeting_registrations WHERE tenant_id = $1 AND meeting_id = $2 AND organisation_id = $3",
            )
            .bind(self.tid())
            .bind(meeting)
            .bind(organisation.get())
            .fetch_one(&mut *tx)
            .await?;
            if already > 0 {
                return Err(rule(
                    "meeting",
                    "Er organisation är redan anmäld till informationsmötet. Avanmäl först om ni vill ändra deltagarna.",
                    "Your organisation is already registered for the information meeting. Cancel first to change the attendees.",
                ));
            }
            if let Some(c) = capacity {
                let taken: i64 = sqlx::query_scalar(
                    "SELECT CAST(COALESCE(SUM(attendees), 0) AS BIGINT) FROM meeting_registrations WHERE tenant_id = $1 AND meeting_id = $2",
                )
                .bind(self.tid())
                .bind(meeting)
                .fetch_one(&mut *tx)
                .await?;
                let left = (c - taken).max(0);
                if left == 0 {
                    return Err(rule(
                        "attendee_names",
                        format!("Informationsmötet {starts} är fullt: alla {c} platser är tagna."),
                        format!(
                            "The information meeting {starts} is full: all {c} seats are taken."
                        ),
                    ));
                }
                if taken + i64::from(attendees) > c {
                    return Err(rule(
                        "attendee_names",
                        format!("Informationsmötet har bara {left} platser kvar, men ni anmäler {attendees} deltagare. Ta bort namn under Deltagare."),
                        format!("The information meeting has only {left} seats left, but you register {attendees} attendees. Remove names under Attendees."),
                    ));
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO meeting_registrations (tenant_id, meeting_id, organisation_name, attendees, registered_on, \
                 organisation_id, attendee_names, email, registered_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(self.tid())
            .bind(meeting)
            .bind(org.name.as_str())
            .bind(int(attendees))
            .bind(today)
            .bind(organisation.get())
            .bind(&joined)
            .bind(reg.email.as_str())
            .bind(user)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "meeting_registrations",
                    id,
                    &json!({"round_id": round, "meeting_id": meeting, "organisation_id": organisation,
                        "organisation_name": org.name, "attendees": attendees,
                        "attendee_names": names, "email": reg.email})
                )
            );
            id
        });
        Ok(id)
    }

    /// A supplier cancels its organisation's registration for a meeting, before the
    /// meeting starts. `NotFound` when the organisation has none (or the meeting is not
    /// the supplier's to see).
    pub async fn cancel_meeting_registration(
        &self,
        meeting: i64,
        organisation: OrganisationId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            let (round, _, _) = open_meeting!(tx, self.tid(), meeting, now);
            let gone: Option<(i64, i64)> = sqlx::query_as(
                "DELETE FROM meeting_registrations WHERE tenant_id = $1 AND meeting_id = $2 AND organisation_id = $3 \
                 RETURNING id, attendees",
            )
            .bind(self.tid())
            .bind(meeting)
            .bind(organisation.get())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, attendees)) = gone else {
                return Err(StoreError::NotFound {
                    entity: "meeting_registration",
                });
            };
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "delete",
                    "meeting_registrations",
                    Some(id.to_string()),
                    Some(json!({"round_id": round, "meeting_id": meeting,
                        "organisation_id": organisation, "attendees": attendees}))
                )
            );
        });
        Ok(())
    }

    // ---- Questions and answers --------------------------------------------------------

    /// A supplier asks a question during the tender period.
    pub async fn ask_question(
        &self,
        round: RoundId,
        organisation: OrganisationId,
        question: &Text,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let r = self.get_round(round).await?;
        check_tender_open(r.status, r.tender_deadline.as_ref(), now)?;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO round_questions (tenant_id, round_id, organisation_id, question, asked_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(organisation.get())
            .bind(question.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "round_questions",
                    id,
                    &json!({"round_id": round, "organisation_id": organisation, "question": question})
                )
            );
            id
        });
        Ok(id)
    }

    /// The officer answers (or corrects the answer to) a question; answers are published.
    pub async fn answer_question(
        &self,
        round: RoundId,
        question: i64,
        answer: &Text,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            let before: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT answer FROM round_questions WHERE tenant_id = $1 AND round_id = $2 AND id = $3",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(question)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((before,)) = before else {
                return Err(StoreError::NotFound {
                    entity: "round_question",
                });
            };
            sqlx::query(
                "UPDATE round_questions SET answer = $1, answered_at = $2 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(answer.as_str())
            .bind(now)
            .bind(self.tid())
            .bind(question)
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "round_questions",
                    question,
                    &json!({"answer": before}),
                    &json!({"answer": answer})
                )
            );
        });
        Ok(())
    }

    /// A round's questions, oldest first (with who asked: strip it before publishing).
    pub async fn questions_of_round(&self, round: RoundId) -> Result<Vec<Question>, StoreError> {
        type Row = (
            i64,
            i64,
            i64,
            String,
            DateTime<Utc>,
            Option<String>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, round_id, organisation_id, question, asked_at, answer, answered_at FROM round_questions \
                 WHERE tenant_id = $1 AND round_id = $2 ORDER BY id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| Question {
                id: r.0,
                round_id: RoundId(r.1),
                organisation_id: OrganisationId(r.2),
                question: r.3,
                asked_at: r.4,
                answer: r.5,
                answered_at: r.6,
            })
            .collect())
    }

    // ---- Tenders ----------------------------------------------------------------------

    /// Saves a supplier's tender as a draft (a submitted tender becomes a draft again
    /// until it is submitted anew), until the deadline. Every lot offered is checked
    /// against its maximum price; nothing is saved if any part is refused.
    pub async fn save_tender(
        &self,
        round: RoundId,
        organisation: OrganisationId,
        draft: &TenderDraft,
        now: DateTime<Utc>,
    ) -> Result<BidId, StoreError> {
        let r = self.get_round(round).await?;
        check_tender_open(r.status, r.tender_deadline.as_ref(), now)?;
        let lots = self.lots_of_round(round).await?;
        if draft.lots.is_empty() {
            return Err(rule(
                "lots",
                "Lämna anbud på minst ett delområde.",
                "Tender for at least one lot.",
            ));
        }
        for (i, l) in draft.lots.iter().enumerate() {
            let Some(lot) = lots.iter().find(|x| x.id == l.lot_id) else {
                return Err(StoreError::NotFound { entity: "lot" });
            };
            if draft.lots[..i].iter().any(|p| p.lot_id == l.lot_id) {
                return Err(rule(
                    "lots",
                    "Samma delområde finns två gånger i anbudet.",
                    "The same lot appears twice in the tender.",
                ));
            }
            BidLot::check(lot, l.price_per_month, l.capacity)?;
        }
        let d = &EligibilityDeclaration::new(
            &draft.purpose_statement,
            draft.headcount_total,
            draft.headcount_target_groups,
        )?;
        let id: i64 = with_tx!(self, |tx| {
            // The deadline again, inside the transaction: a save racing the deadline loses.
            check_tender_open(r.status, r.tender_deadline.as_ref(), now)?;
            let existing: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM bids WHERE tenant_id = $1 AND round_id = $2 AND organisation_id = $3",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(organisation.get())
            .fetch_optional(&mut *tx)
            .await?;
            let id = match existing {
                Some((id,)) => {
                    sqlx::query(
                        "UPDATE bids SET status = 'draft', submitted_at = NULL, purpose_statement = $1, \
                         headcount_total = $2, headcount_target_groups = $3 WHERE tenant_id = $4 AND id = $5",
                    )
                    .bind(d.purpose_statement.as_str())
                    .bind(int(d.headcount.total()))
                    .bind(int(d.headcount.from_target_groups()))
                    .bind(self.tid())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM bid_lots WHERE tenant_id = $1 AND bid_id = $2")
                        .bind(self.tid())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    id
                }
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO bids (tenant_id, round_id, organisation_id, status, purpose_statement, \
                         headcount_total, headcount_target_groups) VALUES ($1, $2, $3, 'draft', $4, $5, $6) RETURNING id",
                    )
                    .bind(self.tid())
                    .bind(round.get())
                    .bind(organisation.get())
                    .bind(d.purpose_statement.as_str())
                    .bind(int(d.headcount.total()))
                    .bind(int(d.headcount.from_target_groups()))
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            for l in &draft.lots {
                sqlx::query(
                    "INSERT INTO bid_lots (tenant_id, bid_id, lot_id, price_per_month_ore, capacity, quality_answer) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(self.tid())
                .bind(id)
                .bind(l.lot_id.get())
                .bind(l.price_per_month.ore())
                .bind(int(l.capacity))
                .bind(l.quality_answer.as_ref().map(|t| t.as_str()))
                .execute(&mut *tx)
                .await?;
            }
            // Sealed content stays out of the log: ids and counts only.
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "save_draft",
                    "bids",
                    Some(id.to_string()),
                    Some(
                        json!({"round_id": round, "organisation_id": organisation, "lots": draft.lots.len()})
                    )
                )
            );
            id
        });
        Ok(BidId(id))
    }

    /// Attaches (or replaces) a required document of the supplier's own tender.
    pub async fn attach_bid_document(
        &self,
        round: RoundId,
        organisation: OrganisationId,
        kind: BidDocumentKind,
        file: &NewFile,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        file.check(kind.field())?;
        let r = self.get_round(round).await?;
        check_tender_open(r.status, r.tender_deadline.as_ref(), now)?;
        let id: i64 = with_tx!(self, |tx| {
            let bid: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM bids WHERE tenant_id = $1 AND round_id = $2 AND organisation_id = $3",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(organisation.get())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((bid,)) = bid else {
                return Err(rule(
                    kind.field(),
                    "Spara anbudet först, ladda sedan upp dokumenten.",
                    "Save the tender first, then upload the documents.",
                ));
            };
            sqlx::query(
                "DELETE FROM bid_documents WHERE tenant_id = $1 AND bid_id = $2 AND kind = $3",
            )
            .bind(self.tid())
            .bind(bid)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO bid_documents (tenant_id, bid_id, kind, filename, mime, content, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(self.tid())
            .bind(bid)
            .bind(kind.as_str())
            .bind(&file.filename)
            .bind(&file.mime)
            .bind(&file.content)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            // A changed document makes the tender a draft again until resubmitted.
            sqlx::query("UPDATE bids SET status = 'draft', submitted_at = NULL WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(bid)
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "attach_document",
                    "bids",
                    Some(bid.to_string()),
                    Some(json!({"kind": kind, "document_id": id}))
                )
            );
            id
        });
        Ok(id)
    }

    /// Submits the supplier's tender: before the deadline, with a declaration, at least
    /// one lot and every required document.
    pub async fn submit_tender(
        &self,
        round: RoundId,
        organisation: OrganisationId,
        now: DateTime<Utc>,
    ) -> Result<BidId, StoreError> {
        let r = self.get_round(round).await?;
        check_tender_open(r.status, r.tender_deadline.as_ref(), now)?;
        let id: i64 = with_tx!(self, |tx| {
            check_tender_open(r.status, r.tender_deadline.as_ref(), now)?;
            let bid: Option<(i64, Option<String>)> = sqlx::query_as(
                "SELECT id, purpose_statement FROM bids WHERE tenant_id = $1 AND round_id = $2 AND organisation_id = $3",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(organisation.get())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((bid, Some(_))) = bid else {
                return Err(rule(
                    "purpose_statement",
                    "Fyll i och spara anbudet med egenförsäkran innan det lämnas.",
                    "Fill in and save the tender with its declaration before submitting it.",
                ));
            };
            let lots: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM bid_lots WHERE tenant_id = $1 AND bid_id = $2",
            )
            .bind(self.tid())
            .bind(bid)
            .fetch_one(&mut *tx)
            .await?;
            if lots == 0 {
                return Err(rule(
                    "lots",
                    "Lämna anbud på minst ett delområde.",
                    "Tender for at least one lot.",
                ));
            }
            let kinds: Vec<(String,)> = sqlx::query_as(
                "SELECT kind FROM bid_documents WHERE tenant_id = $1 AND bid_id = $2",
            )
            .bind(self.tid())
            .bind(bid)
            .fetch_all(&mut *tx)
            .await?;
            let present: Vec<BidDocumentKind> = kinds
                .iter()
                .filter_map(|(k,)| BidDocumentKind::parse(k).ok())
                .collect();
            check_required_documents(&present)?;
            sqlx::query(
                "UPDATE bids SET status = 'submitted', submitted_at = $1 WHERE tenant_id = $2 AND id = $3",
            )
            .bind(now)
            .bind(self.tid())
            .bind(bid)
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "submit",
                    "bids",
                    Some(bid.to_string()),
                    Some(
                        json!({"round_id": round, "organisation_id": organisation, "submitted_at": now})
                    )
                )
            );
            bid
        });
        Ok(BidId(id))
    }

    async fn tender_rows(
        &self,
        round: RoundId,
        organisation: Option<OrganisationId>,
        submitted_only: bool,
    ) -> Result<Vec<Tender>, StoreError> {
        let rows: Vec<TenderRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {TENDER_COLUMNS} FROM bids b JOIN organisations o ON o.tenant_id = b.tenant_id AND o.id = b.organisation_id \
                 WHERE b.tenant_id = $1 AND b.round_id = $2 AND ($3 IS NULL OR b.organisation_id = $3) \
                 AND ($4 = 0 OR b.status = 'submitted') ORDER BY b.id"
            ))
            .bind(self.tid())
            .bind(round.get())
            .bind(organisation.map(|o| o.get()))
            .bind(i64::from(submitted_only))
            .fetch_all(pool)
            .await?
        });
        let lots: Vec<(i64, i64, i64, i64, Option<String>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT bl.bid_id, bl.lot_id, bl.price_per_month_ore, bl.capacity, bl.quality_answer FROM bid_lots bl \
                 JOIN bids b ON b.tenant_id = bl.tenant_id AND b.id = bl.bid_id \
                 JOIN lots l ON l.tenant_id = bl.tenant_id AND l.id = bl.lot_id \
                 WHERE bl.tenant_id = $1 AND b.round_id = $2 ORDER BY l.number",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        type DocRow = (i64, i64, String, String, String, i64, DateTime<Utc>);
        let docs: Vec<DocRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT d.bid_id, d.id, d.kind, d.filename, d.mime, CAST(length(d.content) AS BIGINT), d.uploaded_at \
                 FROM bid_documents d JOIN bids b ON b.tenant_id = d.tenant_id AND b.id = d.bid_id \
                 WHERE d.tenant_id = $1 AND b.round_id = $2 ORDER BY d.kind",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        let quals: Vec<(i64, String, String, Option<String>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT q.bid_id, q.purpose_test, q.share_test, q.notes FROM qualifications q \
                 JOIN bids b ON b.tenant_id = q.tenant_id AND b.id = q.bid_id WHERE q.tenant_id = $1 AND b.round_id = $2",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        const E: &str = "bid";
        rows.iter()
            .map(|r| {
                let bid = bid_from(r)?;
                Ok(Tender {
                    organisation_name: r.8.clone(),
                    lots: lots
                        .iter()
                        .filter(|l| l.0 == r.0)
                        .map(|l| {
                            Ok(BidLot {
                                bid_id: BidId(l.0),
                                lot_id: LotId(l.1),
                                price_per_month: Money::from_ore(l.2),
                                capacity: count(E, l.0, l.3)?,
                                quality_answer: l
                                    .4
                                    .as_deref()
                                    .map(|s| conv(E, l.0, Text::parse(s)))
                                    .transpose()?,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                    documents: docs
                        .iter()
                        .filter(|d| d.0 == r.0)
                        .map(|d| {
                            Ok((
                                conv(E, d.1, BidDocumentKind::parse(&d.2))?,
                                DocumentMeta {
                                    id: d.1,
                                    title: d.2.clone(),
                                    filename: d.3.clone(),
                                    mime: d.4.clone(),
                                    size: d.5,
                                    uploaded_at: d.6,
                                },
                            ))
                        })
                        .collect::<Result<_, StoreError>>()?,
                    qualification: quals
                        .iter()
                        .find(|q| q.0 == r.0)
                        .map(|q| {
                            Ok::<_, StoreError>(QualificationRecord {
                                purpose_test: conv(E, q.0, TestOutcome::parse(&q.1))?,
                                share_test: conv(E, q.0, TestOutcome::parse(&q.2))?,
                                notes: q.3.clone(),
                            })
                        })
                        .transpose()?,
                    bid,
                })
            })
            .collect()
    }

    /// A supplier's own tender in a round, draft or submitted: readable by its own
    /// organisation at any time.
    pub async fn own_tender(
        &self,
        round: RoundId,
        organisation: OrganisationId,
    ) -> Result<Option<Tender>, StoreError> {
        Ok(self
            .tender_rows(round, Some(organisation), false)
            .await?
            .into_iter()
            .next())
    }

    /// Refuses reading sealed tenders before the deadline, logging the attempt.
    async fn unseal(
        &self,
        round: &ProcurementRound,
        now: DateTime<Utc>,
        purpose: &str,
    ) -> Result<(), StoreError> {
        if let Err(v) = check_unsealed(round.tender_deadline.as_ref(), now) {
            self.audit(Change::action(
                "sealed_read_refused",
                "procurement_rounds",
                Some(round.id.get().to_string()),
                Some(json!({"purpose": purpose, "at": now, "tender_deadline": round.tender_deadline})),
            ))
            .await?;
            return Err(v.into());
        }
        Ok(())
    }

    /// The submitted tenders of a round, with their content — only once the tender
    /// deadline has passed. An earlier attempt is refused and written to the audit log
    /// with its `purpose` (`evaluation`, `api`, `export`, …).
    pub async fn tenders_of_round(
        &self,
        round: RoundId,
        now: DateTime<Utc>,
        purpose: &str,
    ) -> Result<Vec<Tender>, StoreError> {
        let r = self.get_round(round).await?;
        self.unseal(&r, now, purpose).await?;
        self.tender_rows(round, None, true).await
    }

    /// How many tenders are submitted (the number only: not sealed).
    pub async fn count_submitted_tenders(&self, round: RoundId) -> Result<u64, StoreError> {
        let n: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM bids WHERE tenant_id = $1 AND round_id = $2 AND status = 'submitted'",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_one(pool)
            .await?
        });
        Ok(n as u64)
    }

    /// A tender's document with content: for its own organisation at any time
    /// (`organisation` set), for the municipality only after the deadline (sealed before,
    /// and the attempt logged).
    pub async fn bid_document(
        &self,
        round: RoundId,
        document: i64,
        organisation: Option<OrganisationId>,
        now: DateTime<Utc>,
        purpose: &str,
    ) -> Result<(String, String, Vec<u8>), StoreError> {
        let r = self.get_round(round).await?;
        if organisation.is_none() {
            self.unseal(&r, now, purpose).await?;
        }
        let row: Option<(String, String, Vec<u8>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT d.filename, d.mime, d.content FROM bid_documents d JOIN bids b ON b.tenant_id = d.tenant_id AND b.id = d.bid_id \
                 WHERE d.tenant_id = $1 AND b.round_id = $2 AND d.id = $3 AND ($4 IS NULL OR b.organisation_id = $4) \
                 AND ($4 IS NOT NULL OR b.status = 'submitted')",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(document)
            .bind(organisation.map(|o| o.get()))
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound {
            entity: "bid_document",
        })
    }

    // ---- Qualification and evaluation -------------------------------------------------

    /// Opens the round for evaluation once the deadline has passed (published →
    /// evaluation); a no-op when already past publishing.
    pub async fn open_tenders(&self, round: RoundId, now: DateTime<Utc>) -> Result<(), StoreError> {
        let r = self.get_round(round).await?;
        if r.status == RoundStatus::Published {
            self.unseal(&r, now, "opening").await?;
            self.set_status(round, RoundStatus::Published, RoundStatus::Evaluation)
                .await?;
        }
        Ok(())
    }

    async fn require_evaluation(
        &self,
        round: RoundId,
        now: DateTime<Utc>,
        purpose: &str,
    ) -> Result<ProcurementRound, StoreError> {
        self.open_tenders(round, now).await?;
        let r = self.get_round(round).await?;
        if r.status != RoundStatus::Evaluation {
            self.unseal(&r, now, purpose).await?;
            return Err(rule(
                "status",
                "Utvärderingen är avslutad: tilldelningsbeslutet är fattat.",
                "The evaluation is closed: the award decision has been made.",
            ));
        }
        Ok(r)
    }

    /// Records the two eligibility tests for a submitted tender.
    pub async fn qualify(
        &self,
        round: RoundId,
        bid: BidId,
        purpose_test: TestOutcome,
        share_test: TestOutcome,
        notes: Option<&Text>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.require_evaluation(round, now, "qualification").await?;
        with_tx!(self, |tx| {
            let found: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM bids WHERE tenant_id = $1 AND round_id = $2 AND id = $3 AND status = 'submitted'",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(bid.get())
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound { entity: "bid" });
            }
            sqlx::query("DELETE FROM qualifications WHERE tenant_id = $1 AND bid_id = $2")
                .bind(self.tid())
                .bind(bid.get())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO qualifications (tenant_id, bid_id, purpose_test, share_test, notes) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(self.tid())
            .bind(bid.get())
            .bind(purpose_test.as_str())
            .bind(share_test.as_str())
            .bind(notes.map(|t| t.as_str()))
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "qualify",
                    "bids",
                    Some(bid.get().to_string()),
                    Some(
                        json!({"purpose_test": purpose_test, "share_test": share_test, "notes": notes})
                    )
                )
            );
        });
        Ok(())
    }

    /// Records the evaluators' grade (0–5) of a tender's offer for a lot on a quality
    /// criterion, stored as points (0–100).
    pub async fn grade(
        &self,
        round: RoundId,
        bid: BidId,
        lot: LotId,
        criterion: CriterionId,
        grade: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let points = quality_points(grade)?;
        self.require_evaluation(round, now, "evaluation").await?;
        let criteria = self.criteria_of_round(round).await?;
        if !criteria
            .iter()
            .any(|c| c.id == criterion && c.kind == CriterionKind::Quality)
        {
            return Err(StoreError::NotFound {
                entity: "award_criterion",
            });
        }
        with_tx!(self, |tx| {
            let found: Option<(i64,)> = sqlx::query_as(
                "SELECT bl.bid_id FROM bid_lots bl JOIN bids b ON b.tenant_id = bl.tenant_id AND b.id = bl.bid_id \
                 WHERE bl.tenant_id = $1 AND b.round_id = $2 AND bl.bid_id = $3 AND bl.lot_id = $4 AND b.status = 'submitted'",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(bid.get())
            .bind(lot.get())
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound { entity: "bid_lot" });
            }
            sqlx::query(
                "DELETE FROM scores WHERE tenant_id = $1 AND bid_id = $2 AND lot_id = $3 AND criterion_id = $4",
            )
            .bind(self.tid())
            .bind(bid.get())
            .bind(lot.get())
            .bind(criterion.get())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO scores (tenant_id, bid_id, lot_id, criterion_id, score) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(self.tid())
            .bind(bid.get())
            .bind(lot.get())
            .bind(criterion.get())
            .bind(int(points))
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "grade",
                    "scores",
                    Some(format!("{}/{}/{}", bid.get(), lot.get(), criterion.get())),
                    Some(json!({"grade": grade, "points": points}))
                )
            );
        });
        Ok(())
    }

    /// The stored points per (bid, lot, criterion) of a round. Scores exist only once the
    /// tenders are opened (grading needs the deadline passed).
    pub async fn scores_of_round(
        &self,
        round: RoundId,
    ) -> Result<Vec<(i64, i64, i64, i64)>, StoreError> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT s.bid_id, s.lot_id, s.criterion_id, s.score FROM scores s JOIN bids b ON b.tenant_id = s.tenant_id AND b.id = s.bid_id \
                 WHERE s.tenant_id = $1 AND b.round_id = $2",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        }))
    }

    /// The evaluation as it stands: per lot, the qualified tenders ranked by the
    /// criteria. Sealed (and the attempt logged) before the deadline.
    pub async fn evaluation(
        &self,
        round: RoundId,
        now: DateTime<Utc>,
        purpose: &str,
    ) -> Result<(Vec<Tender>, Vec<AwardCriterion>, Vec<LotEvaluation>), StoreError> {
        let tenders = self.tenders_of_round(round, now, purpose).await?;
        let criteria = self.criteria_of_round(round).await?;
        let lots = self.lots_of_round(round).await?;
        let scores = self.scores_of_round(round).await?;
        let mut out = Vec::new();
        for lot in lots {
            let mut offers = Vec::new();
            let mut unqualified = 0;
            for t in &tenders {
                let Some(bl) = t.lots.iter().find(|l| l.lot_id == lot.id) else {
                    continue;
                };
                match &t.qualification {
                    Some(q) if q.qualified() => {}
                    Some(_) => continue,
                    None => {
                        unqualified += 1;
                        continue;
                    }
                }
                offers.push(Offer {
                    bid_id: t.bid.id,
                    price_per_month: bl.price_per_month,
                    quality: scores
                        .iter()
                        .filter(|s| s.0 == t.bid.id.get() && s.1 == lot.id.get())
                        .filter(|s| {
                            criteria
                                .iter()
                                .any(|c| c.id.get() == s.2 && c.kind == CriterionKind::Quality)
                        })
                        .map(|s| (CriterionId(s.2), s.3 as u32))
                        .collect(),
                });
            }
            let (ranking, incomplete) = if unqualified > 0 {
                (
                    Vec::new(),
                    Some(format!("{unqualified} anbud är inte kvalificerade ännu / {unqualified} tender(s) not yet qualified")),
                )
            } else {
                match rank_offers(&offers, &criteria) {
                    Ok(r) => (r, None),
                    Err(v) => (Vec::new(), Some(v.sv)),
                }
            };
            let ranking = ranking
                .into_iter()
                .map(|r| {
                    let t = tenders
                        .iter()
                        .find(|t| t.bid.id == r.bid_id)
                        .expect("ranked tender");
                    let bl = t
                        .lots
                        .iter()
                        .find(|l| l.lot_id == lot.id)
                        .expect("offered lot");
                    RankedTender {
                        bid_id: r.bid_id,
                        organisation_id: t.bid.organisation_id,
                        organisation_name: t.organisation_name.clone(),
                        price_per_month: bl.price_per_month,
                        capacity: bl.capacity,
                        rank: r.rank,
                        points: r.points,
                        total_centi: r.total_centi,
                    }
                })
                .collect();
            out.push(LotEvaluation {
                lot,
                ranking,
                incomplete,
            });
        }
        Ok((tenders, criteria, out))
    }

    // ---- Award and signing ------------------------------------------------------------

    /// Makes the award decision: every submitted tender qualified and every qualified
    /// offer graded. Each qualified tenderer gets a ranked place in the framework of each
    /// lot it tendered for (call-offs by ranking); the price points are stored beside the
    /// grades. The round moves to `awarded`; the standstill runs from `sent_on`.
    pub async fn decide_award(
        &self,
        round: RoundId,
        decided_on: NaiveDate,
        sent_on: NaiveDate,
        delivery: DecisionDelivery,
        now: DateTime<Utc>,
    ) -> Result<AwardDecisionId, StoreError> {
        let r = self.require_evaluation(round, now, "award").await?;
        if sent_on < decided_on {
            return Err(rule(
                "sent_on",
                "Beslutet kan inte skickas före beslutsdagen.",
                "The decision cannot be sent before the day it was made.",
            ));
        }
        let deadline_day = r
            .tender_deadline
            .as_ref()
            .map(|d| d.local().date())
            .expect("an opened round has a deadline");
        if decided_on < deadline_day {
            return Err(rule(
                "decided_on",
                format!("Beslutet kan inte fattas före anbudstidens slut ({deadline_day})."),
                format!("The decision cannot be made before the tender deadline ({deadline_day})."),
            ));
        }
        if sent_on > stockholm_today(now) {
            return Err(rule(
                "sent_on",
                "Ange den dag beslutet faktiskt skickades; den kan inte ligga i framtiden.",
                "Enter the day the decision was actually sent; it cannot be in the future.",
            ));
        }
        let (tenders, criteria, lots) = self.evaluation(round, now, "award").await?;
        if tenders.is_empty() {
            return Err(rule(
                "bids",
                "Inga anbud har kommit in. Avbryt upphandlingen i stället.",
                "No tenders were received. Cancel the round instead.",
            ));
        }
        for l in &lots {
            if let Some(why) = &l.incomplete {
                return Err(rule(
                    "grade",
                    format!("Delområde {}: {why}", l.lot.number),
                    format!(
                        "Lot {}: the evaluation is not complete ({why}).",
                        l.lot.number
                    ),
                ));
            }
        }
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO award_decisions (tenant_id, round_id, decided_on, sent_on, delivery) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(decided_on)
            .bind(sent_on)
            .bind(match delivery {
                DecisionDelivery::Electronic => "electronic",
                DecisionDelivery::Other => "other",
            })
            .fetch_one(&mut *tx)
            .await?;
            let price = criteria
                .iter()
                .find(|c| c.kind == CriterionKind::Price)
                .expect("checked criteria");
            for l in &lots {
                for rt in &l.ranking {
                    let p = rt
                        .points
                        .iter()
                        .find(|(c, _)| *c == price.id)
                        .map(|(_, p)| *p)
                        .unwrap_or(0);
                    sqlx::query(
                        "DELETE FROM scores WHERE tenant_id = $1 AND bid_id = $2 AND lot_id = $3 AND criterion_id = $4",
                    )
                    .bind(self.tid())
                    .bind(rt.bid_id.get())
                    .bind(l.lot.id.get())
                    .bind(price.id.get())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO scores (tenant_id, bid_id, lot_id, criterion_id, score) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(self.tid())
                    .bind(rt.bid_id.get())
                    .bind(l.lot.id.get())
                    .bind(price.id.get())
                    .bind(int(p))
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO award_results (tenant_id, decision_id, lot_id, bid_id, rank, total_centi, awarded, reason) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'ranked')",
                    )
                    .bind(self.tid())
                    .bind(id)
                    .bind(l.lot.id.get())
                    .bind(rt.bid_id.get())
                    .bind(int(rt.rank))
                    .bind(int(rt.total_centi))
                    .bind(true)
                    .execute(&mut *tx)
                    .await?;
                }
                for t in &tenders {
                    let offered = t.lots.iter().any(|bl| bl.lot_id == l.lot.id);
                    let qualified = t.qualification.as_ref().is_some_and(|q| q.qualified());
                    if offered && !qualified {
                        sqlx::query(
                            "INSERT INTO award_results (tenant_id, decision_id, lot_id, bid_id, rank, total_centi, awarded, reason) \
                             VALUES ($1, $2, $3, $4, NULL, NULL, $5, 'not_qualified')",
                        )
                        .bind(self.tid())
                        .bind(id)
                        .bind(l.lot.id.get())
                        .bind(t.bid.id.get())
                        .bind(false)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            let n = sqlx::query(
                "UPDATE procurement_rounds SET status = 'awarded' WHERE tenant_id = $1 AND id = $2 AND status = 'evaluation'",
            )
            .bind(self.tid())
            .bind(round.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(rule(
                    "status",
                    "Upphandlingens status har ändrats under tiden. Ladda om sidan.",
                    "The round's status changed meanwhile. Reload the page.",
                ));
            }
            let decision = AwardDecision {
                id: AwardDecisionId(id),
                round_id: round,
                decided_on,
                sent_on,
                delivery,
            };
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "award_decisions",
                    id,
                    &json!({"decision": decision, "standstill_end": decision.standstill_end(),
                        "ranking": lots.iter().map(|l| json!({"lot_id": l.lot.id,
                            "ranking": l.ranking.iter().map(|r| json!({"bid_id": r.bid_id, "rank": r.rank, "total_centi": r.total_centi})).collect::<Vec<_>>()})).collect::<Vec<_>>()})
                )
            );
            id
        });
        Ok(AwardDecisionId(id))
    }

    /// The round's award decision and its results, if decided.
    pub async fn award_of_round(
        &self,
        round: RoundId,
    ) -> Result<Option<(AwardDecision, Vec<AwardResult>)>, StoreError> {
        let row: Option<(i64, NaiveDate, NaiveDate, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, decided_on, sent_on, delivery FROM award_decisions WHERE tenant_id = $1 AND round_id = $2",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_optional(pool)
            .await?
        });
        let Some((id, decided_on, sent_on, delivery)) = row else {
            return Ok(None);
        };
        let delivery = match delivery.as_str() {
            "electronic" => DecisionDelivery::Electronic,
            "other" => DecisionDelivery::Other,
            other => {
                return Err(StoreError::Corrupt {
                    entity: "award_decision",
                    id,
                    reason: format!("unknown delivery {other}"),
                })
            }
        };
        type Row = (
            i64,
            i64,
            i64,
            String,
            Option<i64>,
            Option<i64>,
            bool,
            String,
            i64,
            i64,
        );
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT a.lot_id, a.bid_id, b.organisation_id, o.name, a.rank, a.total_centi, a.awarded, a.reason, \
                 bl.price_per_month_ore, bl.capacity FROM award_results a \
                 JOIN bids b ON b.tenant_id = a.tenant_id AND b.id = a.bid_id \
                 JOIN organisations o ON o.tenant_id = b.tenant_id AND o.id = b.organisation_id \
                 JOIN bid_lots bl ON bl.tenant_id = a.tenant_id AND bl.bid_id = a.bid_id AND bl.lot_id = a.lot_id \
                 JOIN lots l ON l.tenant_id = a.tenant_id AND l.id = a.lot_id \
                 WHERE a.tenant_id = $1 AND a.decision_id = $2 ORDER BY l.number, a.awarded DESC, a.rank, a.bid_id",
            )
            .bind(self.tid())
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        const E: &str = "award_result";
        let results = rows
            .into_iter()
            .map(|r| {
                Ok(AwardResult {
                    lot_id: LotId(r.0),
                    bid_id: BidId(r.1),
                    organisation_id: OrganisationId(r.2),
                    organisation_name: r.3,
                    rank: r.4.map(|v| count(E, id, v)).transpose()?,
                    total_centi: r.5.map(|v| count(E, id, v)).transpose()?,
                    awarded: r.6,
                    reason: r.7,
                    price_per_month: Money::from_ore(r.8),
                    capacity: count(E, id, r.9)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Some((
            AwardDecision {
                id: AwardDecisionId(id),
                round_id: round,
                decided_on,
                sent_on,
                delivery,
            },
            results,
        )))
    }

    /// Signs the framework agreements of an awarded round once the standstill has ended:
    /// one agreement per awarded supplier and lot, with its capacity, price and rank,
    /// running the initial term. Refused before the standstill ends.
    pub async fn sign_agreements(
        &self,
        round: RoundId,
        signed_on: NaiveDate,
        absence_rule: AbsenceRule,
        now: DateTime<Utc>,
    ) -> Result<Vec<AgreementId>, StoreError> {
        let r = self.get_round(round).await?;
        let Some((decision, results)) = self.award_of_round(round).await? else {
            return Err(rule(
                "status",
                "Inget tilldelningsbeslut är fattat. Avtal tecknas efter beslutet och avtalsspärren.",
                "No award decision has been made. Agreements are signed after the decision and the standstill.",
            ));
        };
        if r.status != RoundStatus::Awarded {
            return Err(rule(
                "status",
                "Avtalen är redan tecknade.",
                "The agreements are already signed.",
            ));
        }
        if signed_on > stockholm_today(now) {
            return Err(rule(
                "signed_on",
                "Undertecknandedagen kan inte ligga i framtiden.",
                "The signing date cannot be in the future.",
            ));
        }
        check_signing(&decision, signed_on)?;
        check_signing(&decision, stockholm_today(now))?;
        let lots = self.lots_of_round(round).await?;
        let start = r.contract_period.start().max(signed_on);
        let end = r.contract_period.initial_end();
        if end < start {
            return Err(rule(
                "signed_on",
                "Avtalsperioden har redan löpt ut; ändra avtalsstarten.",
                "The contract period has already ended; change the contract start.",
            ));
        }
        let ids: Vec<i64> = with_tx!(self, |tx| {
            let mut ids = Vec::new();
            for a in results.iter().filter(|a| a.awarded) {
                let lot = lots
                    .iter()
                    .find(|l| l.id == a.lot_id)
                    .expect("lot of the round");
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO framework_agreements (tenant_id, round_id, lot_id, organisation_id, placement_type_id, \
                     capacity, price_per_month_ore, start_date, end_date, rank, absence_rule, signed_on) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(self.tid())
                .bind(round.get())
                .bind(a.lot_id.get())
                .bind(a.organisation_id.get())
                .bind(lot.placement_type_id.get())
                .bind(int(a.capacity))
                .bind(a.price_per_month.ore())
                .bind(start)
                .bind(end)
                .bind(a.rank.map(int))
                .bind(absence_rule.as_str())
                .bind(signed_on)
                .fetch_one(&mut *tx)
                .await?;
                crate::audit_append!(
                    tx,
                    self,
                    Change::create(
                        "framework_agreements",
                        id,
                        &json!({"round_id": round, "lot_id": a.lot_id, "organisation_id": a.organisation_id,
                            "capacity": a.capacity, "price_per_month": a.price_per_month, "rank": a.rank,
                            "start": start, "end": end, "signed_on": signed_on, "absence_rule": absence_rule})
                    )
                );
                ids.push(id);
            }
            let n = sqlx::query(
                "UPDATE procurement_rounds SET status = 'contracted' WHERE tenant_id = $1 AND id = $2 AND status = 'awarded'",
            )
            .bind(self.tid())
            .bind(round.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(rule(
                    "status",
                    "Avtalen är redan tecknade.",
                    "The agreements are already signed.",
                ));
            }
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "procurement_rounds",
                    round.get(),
                    &json!({"status": "awarded"}),
                    &json!({"status": "contracted", "agreements": ids.len()})
                )
            );
            ids
        });
        Ok(ids.into_iter().map(AgreementId).collect())
    }

    /// The agreements signed in a round.
    pub async fn agreements_of_round(
        &self,
        round: RoundId,
    ) -> Result<Vec<vidare_domain::model::procurement::FrameworkAgreement>, StoreError> {
        Ok(self
            .list_agreements()
            .await?
            .into_iter()
            .filter(|a| a.round_id == Some(round))
            .collect())
    }

    // ---- Follow-up during the contract ------------------------------------------------

    /// Records a supplier's periodic eligibility declaration.
    pub async fn insert_declaration(
        &self,
        organisation: OrganisationId,
        declared_on: NaiveDate,
        d: &EligibilityDeclaration,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        if declared_on > stockholm_today(now) {
            return Err(rule(
                "declared_on",
                "Datumet kan inte ligga i framtiden.",
                "The date cannot be in the future.",
            ));
        }
        self.get_organisation(organisation).await?;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO eligibility_declarations (tenant_id, organisation_id, declared_on, purpose_statement, \
                 headcount_total, headcount_target_groups, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(self.tid())
            .bind(organisation.get())
            .bind(declared_on)
            .bind(d.purpose_statement.as_str())
            .bind(int(d.headcount.total()))
            .bind(int(d.headcount.from_target_groups()))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "eligibility_declarations",
                    id,
                    &json!({"organisation_id": organisation, "declared_on": declared_on, "declaration": d})
                )
            );
            id
        });
        Ok(id)
    }

    /// The newest periodic declaration of each organisation that has one.
    pub async fn latest_declarations(&self) -> Result<Vec<DeclarationRecord>, StoreError> {
        let rows: Vec<(i64, i64, NaiveDate, String, i64, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT d.id, d.organisation_id, d.declared_on, d.purpose_statement, d.headcount_total, d.headcount_target_groups \
                 FROM eligibility_declarations d WHERE d.tenant_id = $1 AND d.id = (SELECT d2.id FROM eligibility_declarations d2 \
                 WHERE d2.tenant_id = d.tenant_id AND d2.organisation_id = d.organisation_id ORDER BY d2.declared_on DESC, d2.id DESC LIMIT 1) \
                 ORDER BY d.organisation_id",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        const E: &str = "eligibility_declaration";
        rows.into_iter()
            .map(|r| {
                Ok(DeclarationRecord {
                    id: r.0,
                    organisation_id: OrganisationId(r.1),
                    declared_on: r.2,
                    purpose_statement: r.3,
                    headcount: conv(
                        E,
                        r.0,
                        Headcount::new(count(E, r.0, r.4)?, count(E, r.0, r.5)?),
                    )?,
                })
            })
            .collect()
    }

    // ---- Planning view ------------------------------------------------------------------

    /// Demand and supply per placement type: referrals in the twelve months up to
    /// `today` (and how many the supplier declined or were withdrawn), against the places
    /// under agreements in force today.
    pub async fn placement_needs(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<PlacementNeed>, StoreError> {
        let from = today - chrono::Months::new(12);
        let refs: Vec<(i64, i64, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT placement_type_id, COUNT(*), CAST(SUM(CASE WHEN status IN ('declined', 'withdrawn') THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM referrals WHERE tenant_id = $1 AND referred_on > $2 AND referred_on <= $3 GROUP BY placement_type_id",
            )
            .bind(self.tid())
            .bind(from)
            .bind(today)
            .fetch_all(pool)
            .await?
        });
        let supply: Vec<(i64, i64, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT placement_type_id, COUNT(*), CAST(SUM(capacity) AS BIGINT) FROM framework_agreements \
                 WHERE tenant_id = $1 AND start_date <= $2 AND (end_date IS NULL OR end_date >= $2) GROUP BY placement_type_id",
            )
            .bind(self.tid())
            .bind(today)
            .fetch_all(pool)
            .await?
        });
        let types = self.list_placement_types().await?;
        Ok(types
            .iter()
            .map(|t| {
                let r = refs.iter().find(|r| r.0 == t.id.get());
                let s = supply.iter().find(|s| s.0 == t.id.get());
                PlacementNeed {
                    placement_type_id: t.id,
                    referrals: r.map(|r| r.1 as u64).unwrap_or(0),
                    unmet: r.map(|r| r.2 as u64).unwrap_or(0),
                    capacity_in_force: s.map(|s| s.2 as u64).unwrap_or(0),
                    agreements_in_force: s.map(|s| s.1 as u64).unwrap_or(0),
                }
            })
            .collect())
    }
}
