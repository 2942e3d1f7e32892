//! Case work and the suppliers' portal: registering participants, the free places under
//! the agreements, the supplier's answer to a referral (acceptance starts the placement),
//! progress notes and three-party meetings, pauses, the monthly attendance a supplier
//! submits and the municipality approves (which locks it), follow-ups that fall due,
//! a participant's whole record (right of access) and anonymisation after the retention
//! period.
//!
//! Every change writes the audit log in its own transaction; every rule is checked
//! before or inside that transaction, so a refused request leaves nothing behind.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::{
    ExitId, OrganisationId, ParticipantId, PlacementId, PlacementTypeId, ReferralId,
};
use vidare_domain::model::participant::{
    anonymised_placeholder, NewParticipant, ANONYMISED_FIRST_NAME,
};
use vidare_domain::model::placement::{
    check_attendance_open, check_pause, check_planned_end, AttendanceMonth, AttendanceStatus, Exit,
    FollowUp, FollowUpPoint, FollowUpStatus, NoteKind, Placement, Referral, ReferralStatus,
    WeeklyMinutes,
};
use vidare_domain::model::procurement::FrameworkAgreement;
use vidare_domain::model::{RuleViolation, Text};
use vidare_domain::period::{DateRangeSet, YearMonth};
use vidare_domain::personnummer::PersonalIdentityNumber;

use crate::repo::placements::{
    paused_by_placement, AttendanceRow, PauseRow, PlacementRow, ReferralRow, PAUSES_IN_MONTH_SQL,
};
use crate::rows::{conv, count, int};
use crate::{with_pool, with_tx, Change, Scoped, StoreError};

/// The attendance deadline unless the tenant sets another: the 5th of the next month.
pub const DEFAULT_ATTENDANCE_DEADLINE_DAY: u32 = 5;

/// The tenant's settings for case work.
#[derive(Clone)]
pub struct CaseworkSettings {
    /// Attendance for a month is due on this day of the following month.
    pub attendance_deadline_day: u32,
    key: Vec<u8>,
}

impl std::fmt::Debug for CaseworkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseworkSettings")
            .field("attendance_deadline_day", &self.attendance_deadline_day)
            .field("key", &"…")
            .finish()
    }
}

/// Crockford's base-32 alphabet: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl CaseworkSettings {
    /// The stable pseudonym suppliers see instead of the identity number, `D-7F3K2Q`:
    /// HMAC-SHA256 of the participant's id under the tenant's secret key, so it cannot be
    /// computed, or traced back, without the key.
    pub fn pseudonym(&self, id: ParticipantId) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("participant:{}", id.get()).as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bits = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        let mut out = String::from("D-");
        for _ in 0..6 {
            out.push(ALPHABET[(bits >> 59) as usize] as char);
            bits <<= 5;
        }
        out
    }
}

/// An agreement in force with its places: capacity, running placements and pending
/// referrals.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementPlaces {
    pub agreement: FrameworkAgreement,
    pub organisation_name: String,
    /// Placements running on the day or starting later (they hold their place).
    pub used: u32,
    /// Referrals waiting for the supplier's answer (they hold a place).
    pub pending: u32,
}

impl AgreementPlaces {
    /// Places still free.
    pub fn free(&self) -> u32 {
        self.agreement
            .capacity
            .saturating_sub(self.used + self.pending)
    }
}

/// A referral with what the supplier needs to see of the participant.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralView {
    pub referral: Referral,
    pub first_name: String,
    pub last_name: String,
    pub pseudonym: String,
    pub decision_note: Option<String>,
    /// The placement the acceptance started, if any.
    pub placement_id: Option<PlacementId>,
}

/// What the supplier fills in when accepting a referral.
#[derive(Debug, Clone, Serialize)]
pub struct PlacementTerms {
    pub start: NaiveDate,
    pub planned_end: NaiveDate,
    pub hours_per_week: WeeklyMinutes,
    pub goals: Option<Text>,
}

/// A change of a running placement's hours per week and goals; what is `None` stays.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HoursAndGoals {
    pub hours_per_week: Option<WeeklyMinutes>,
    /// `Some(None)` removes the goals.
    pub goals: Option<Option<Text>>,
}

/// A progress note or a three-party meeting.
#[derive(Debug, Clone, Serialize)]
pub struct PlacementNote {
    pub id: i64,
    pub placement_id: PlacementId,
    pub kind: NoteKind,
    pub noted_on: NaiveDate,
    /// Who attended a meeting.
    pub attendees: Option<String>,
    pub body: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// A pause of a placement; open while `end` is `None`.
#[derive(Debug, Clone, Serialize)]
pub struct Pause {
    pub id: i64,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// One placement's line on the supplier's monthly attendance screen.
#[derive(Debug, Clone, Serialize)]
pub struct AttendanceLine {
    pub placement: Placement,
    pub first_name: String,
    pub last_name: String,
    pub pseudonym: String,
    pub attendance: Option<AttendanceMonth>,
    /// The placement's paused days (neither worked nor billed).
    pub paused: DateRangeSet,
}

/// One placement's reported month, as the supplier submits it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AttendanceReport {
    pub placement_id: PlacementId,
    pub attended_minutes: u32,
    pub sick_days: u32,
    pub leave_days: u32,
    pub unexcused_days: u32,
}

/// One supplier's state for a month, for the municipality's approval.
#[derive(Debug, Clone, Serialize)]
pub struct MonthStatus {
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    /// Placements running at some point in the month.
    pub placements: u32,
    pub submitted: u32,
    pub approved: u32,
}

impl MonthStatus {
    /// Placements without a submitted or approved report.
    pub fn missing(&self) -> u32 {
        self.placements
            .saturating_sub(self.submitted + self.approved)
    }
}

/// A follow-up that has fallen due (or falls due soon) and is not recorded.
#[derive(Debug, Clone, Serialize)]
pub struct DueFollowUp {
    pub exit_id: ExitId,
    pub placement_id: PlacementId,
    pub participant_id: ParticipantId,
    pub participant_name: String,
    pub exit_date: NaiveDate,
    pub point: FollowUpPoint,
    pub due_on: NaiveDate,
}

/// Days a follow-up stays *due now* after its due date, the window in which it should be
/// made; from then on it is *overdue*.
pub const FOLLOW_UP_WINDOW_DAYS: u32 = 30;

/// Where a follow-up not yet recorded stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// Its due date passed [`FOLLOW_UP_WINDOW_DAYS`] or more days ago.
    Overdue,
    /// Its due date has come, less than [`FOLLOW_UP_WINDOW_DAYS`] days ago.
    DueNow,
    /// Its due date is still ahead.
    Coming,
}

impl DueState {
    /// The state of a follow-up due on `due_on`, seen on `today`.
    pub fn of(due_on: NaiveDate, today: NaiveDate) -> DueState {
        if due_on > today {
            DueState::Coming
        } else if due_on <= overdue_cutoff(today) {
            DueState::Overdue
        } else {
            DueState::DueNow
        }
    }

    /// `overdue`, `due_now` or `coming`.
    pub fn as_str(self) -> &'static str {
        match self {
            DueState::Overdue => "overdue",
            DueState::DueNow => "due_now",
            DueState::Coming => "coming",
        }
    }
}

/// The latest due date that is overdue on `today`.
fn overdue_cutoff(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_days(chrono::Days::new(u64::from(FOLLOW_UP_WINDOW_DAYS)))
        .unwrap_or(NaiveDate::MIN)
}

impl DueFollowUp {
    /// Where it stands on `today`.
    pub fn state(&self, today: NaiveDate) -> DueState {
        DueState::of(self.due_on, today)
    }
}

/// How many follow-ups not yet recorded are due now and overdue on a day (see
/// [`DueState`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FollowUpReminders {
    pub due_now: u64,
    pub overdue: u64,
}

/// Everything stored about one participant: what a right-of-access request is answered
/// with.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantRecord {
    pub participant: vidare_domain::model::participant::Participant,
    pub registered_on: Option<NaiveDate>,
    pub referrals: Vec<Referral>,
    pub placements: Vec<PlacementRecord>,
    /// Reads of the personal data: when, by whom, why.
    pub access_log: Vec<crate::audit::AccessEntry>,
}

/// One placement in a [`ParticipantRecord`].
#[derive(Debug, Clone, Serialize)]
pub struct PlacementRecord {
    pub placement: Placement,
    pub organisation_name: String,
    pub pauses: Vec<Pause>,
    pub notes: Vec<PlacementNote>,
    pub attendance: Vec<AttendanceMonth>,
    /// The municipality's corrections of approved months, with what they replaced.
    pub attendance_corrections: Vec<crate::repo::placements::CorrectionRecord>,
    pub exit: Option<Exit>,
    pub follow_ups: Vec<FollowUp>,
}

const P_COLS: &str = "p.id, p.referral_id, p.participant_id, p.agreement_id, p.start_date, \
    p.end_date, p.planned_end, p.weekly_minutes, p.goals";

#[derive(sqlx::FromRow)]
struct LineRow {
    #[sqlx(flatten)]
    p: PlacementRow,
    first_name: String,
    last_name: String,
    a_minutes: Option<i64>,
    a_sick: Option<i64>,
    a_leave: Option<i64>,
    a_unexcused: Option<i64>,
    a_status: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ReferralViewRow {
    #[sqlx(flatten)]
    r: ReferralRow,
    first_name: String,
    last_name: String,
    decision_note: Option<String>,
    placement_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: i64,
    placement_id: i64,
    kind: String,
    noted_on: NaiveDate,
    attendees: Option<String>,
    body: String,
    author: String,
    created_at: DateTime<Utc>,
}

/// `(id, count)` rows of a grouped count.
type Counts = Vec<(i64, i64)>;

/// An exit with its participant: exit, placement, participant, first and last name, date.
type ExitRow = (i64, i64, i64, String, String, NaiveDate);

fn not_pending() -> StoreError {
    RuleViolation::new(
        "status",
        "Anvisningen är redan besvarad.",
        "The referral has already been answered.",
    )
    .into()
}

impl Scoped<'_> {
    /// The tenant's case-work settings, created with a fresh random key on first use.
    pub async fn casework_settings(&self) -> Result<CaseworkSettings, StoreError> {
        let row: Option<(String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT pseudonym_key, attendance_deadline_day FROM casework_settings WHERE tenant_id = $1",
            )
            .bind(self.tid())
            .fetch_optional(pool)
            .await?
        });
        let (key, day) = match row {
            Some(r) => r,
            None => {
                let key: [u8; 32] = rand::random();
                let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
                with_tx!(self, |tx| {
                    let n = sqlx::query(
                        "INSERT INTO casework_settings (tenant_id, pseudonym_key, attendance_deadline_day) \
                         VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING",
                    )
                    .bind(self.tid())
                    .bind(&hex)
                    .bind(int(DEFAULT_ATTENDANCE_DEADLINE_DAY))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n > 0 {
                        crate::audit_append!(
                            tx,
                            self,
                            Change::create(
                                "casework_settings",
                                self.tid(),
                                &serde_json::json!({
                                    "attendance_deadline_day": DEFAULT_ATTENDANCE_DEADLINE_DAY,
                                    "pseudonym_key": "(new random key)",
                                })
                            )
                        );
                    }
                });
                with_pool!(self, |pool| {
                    sqlx::query_as(
                        "SELECT pseudonym_key, attendance_deadline_day FROM casework_settings WHERE tenant_id = $1",
                    )
                    .bind(self.tid())
                    .fetch_one(pool)
                    .await?
                })
            }
        };
        let key = (0..key.len() / 2)
            .map(|i| u8::from_str_radix(&key[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|e| StoreError::Corrupt {
                entity: "casework_settings",
                id: self.tid(),
                reason: e.to_string(),
            })?;
        Ok(CaseworkSettings {
            attendance_deadline_day: count("casework_settings", self.tid(), day)?,
            key,
        })
    }

    /// Sets the day of the following month by which attendance must be submitted (1–28).
    pub async fn set_attendance_deadline_day(&self, day: u32) -> Result<(), StoreError> {
        if !(1..=28).contains(&day) {
            return Err(RuleViolation::new(
                "attendance_deadline_day",
                "Sista rapportdag måste vara mellan 1 och 28.",
                "The reporting deadline must be a day between 1 and 28.",
            )
            .into());
        }
        let before = self.casework_settings().await?;
        with_tx!(self, |tx| {
            sqlx::query(
                "UPDATE casework_settings SET attendance_deadline_day = $1 WHERE tenant_id = $2",
            )
            .bind(int(day))
            .bind(self.tid())
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "casework_settings",
                    self.tid(),
                    &serde_json::json!({ "attendance_deadline_day": before.attendance_deadline_day }),
                    &serde_json::json!({ "attendance_deadline_day": day }),
                )
            );
        });
        Ok(())
    }

    /// Registers a participant on `registered_on` (the same identity number twice in a
    /// tenant is a conflict on `personal_number`).
    pub async fn register_participant(
        &self,
        p: &NewParticipant,
        registered_on: NaiveDate,
    ) -> Result<ParticipantId, StoreError> {
        p.covariates.check()?;
        let c = &p.covariates;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO participants (tenant_id, personal_number, first_name, last_name, gender, \
                 born_abroad, education, months_on_income_support, health_limitation, swedish_level, \
                 prior_work_experience, synthetic, registered_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(self.tid())
            .bind(p.personal_number.canonical())
            .bind(p.first_name.as_str())
            .bind(p.last_name.as_str())
            .bind(c.gender.as_str())
            .bind(c.born_abroad)
            .bind(c.education.as_str())
            .bind(int(c.months_on_income_support))
            .bind(c.health_limitation)
            .bind(c.swedish_level.as_str())
            .bind(c.prior_work_experience)
            .bind(p.synthetic)
            .bind(registered_on)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "participants",
                    id,
                    &serde_json::json!({ "participant": p, "registered_on": registered_on })
                )
            );
            id
        });
        Ok(ParticipantId(id))
    }

    /// The agreements in force on `date` with their free places, optionally of one
    /// placement type or one supplier.
    pub async fn free_places(
        &self,
        date: NaiveDate,
        placement_type: Option<PlacementTypeId>,
        organisation: Option<OrganisationId>,
    ) -> Result<Vec<AgreementPlaces>, StoreError> {
        let agreements = self
            .agreements_in_force(date, organisation)
            .await?
            .into_iter()
            .filter(|a| placement_type.is_none_or(|t| a.placement_type_id == t))
            .collect();
        self.places_of(agreements, date).await
    }

    /// One supplier's agreements in force on `date` or starting later (the ended ones
    /// are left out), with their places on `date`: those in force first, as
    /// [`Scoped::free_places`] orders them, then the coming ones by start.
    pub async fn current_and_coming_agreements(
        &self,
        date: NaiveDate,
        organisation: OrganisationId,
    ) -> Result<Vec<AgreementPlaces>, StoreError> {
        let mut agreements = self.agreements_in_force(date, Some(organisation)).await?;
        let mut coming: Vec<FrameworkAgreement> = self
            .list_agreements()
            .await?
            .into_iter()
            .filter(|a| a.organisation_id == organisation && a.period.start() > date)
            .collect();
        coming.sort_by_key(|a| (a.period.start(), a.placement_type_id, a.id));
        agreements.extend(coming);
        self.places_of(agreements, date).await
    }

    /// The places of `agreements` on `date`, in their order.
    async fn places_of(
        &self,
        agreements: Vec<FrameworkAgreement>,
        date: NaiveDate,
    ) -> Result<Vec<AgreementPlaces>, StoreError> {
        let (used, pending, names): (Counts, Counts, Vec<(i64, String)>) =
            with_pool!(self, |pool| {
                let used = sqlx::query_as(
                    "SELECT agreement_id, COUNT(*) FROM placements WHERE tenant_id = $1 \
                     AND (end_date IS NULL OR end_date >= $2) GROUP BY agreement_id",
                )
                .bind(self.tid())
                .bind(date)
                .fetch_all(pool)
                .await?;
                let pending = sqlx::query_as(
                    "SELECT agreement_id, COUNT(*) FROM referrals WHERE tenant_id = $1 \
                     AND status = 'pending' GROUP BY agreement_id",
                )
                .bind(self.tid())
                .fetch_all(pool)
                .await?;
                let names =
                    sqlx::query_as("SELECT id, name FROM organisations WHERE tenant_id = $1")
                        .bind(self.tid())
                        .fetch_all(pool)
                        .await?;
                (used, pending, names)
            });
        let used: HashMap<i64, i64> = used.into_iter().collect();
        let pending: HashMap<i64, i64> = pending.into_iter().collect();
        let names: HashMap<i64, String> = names.into_iter().collect();
        Ok(agreements
            .into_iter()
            .map(|a| AgreementPlaces {
                organisation_name: names
                    .get(&a.organisation_id.get())
                    .cloned()
                    .unwrap_or_default(),
                used: used.get(&a.id.get()).copied().unwrap_or(0) as u32,
                pending: pending.get(&a.id.get()).copied().unwrap_or(0) as u32,
                agreement: a,
            })
            .collect())
    }

    /// The referral with this id; with `organisation`, only if it was made to that
    /// supplier (another supplier's referral is not found).
    pub async fn get_referral(
        &self,
        id: ReferralId,
        organisation: Option<OrganisationId>,
    ) -> Result<ReferralView, StoreError> {
        let settings = self.casework_settings().await?;
        let row: Option<ReferralViewRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT r.id, r.participant_id, r.agreement_id, r.organisation_id, r.placement_type_id, \
                 r.reason, r.status, r.referred_on, r.decided_on, r.decision_note, \
                 d.first_name, d.last_name, \
                 (SELECT MIN(p.id) FROM placements p WHERE p.tenant_id = r.tenant_id AND p.referral_id = r.id) AS placement_id \
                 FROM referrals r JOIN participants d ON d.tenant_id = r.tenant_id AND d.id = r.participant_id \
                 WHERE r.tenant_id = $1 AND r.id = $2 AND ($3 IS NULL OR r.organisation_id = $3)",
            )
            .bind(self.tid())
            .bind(id.get())
            .bind(organisation.map(|o| o.get()))
            .fetch_optional(pool)
            .await?
        });
        let row = row.ok_or(StoreError::NotFound { entity: "referral" })?;
        referral_view(row, &settings)
    }

    /// A supplier's referrals: pending first, then the most recently answered.
    pub async fn referrals_to_organisation(
        &self,
        organisation: OrganisationId,
        limit: u32,
    ) -> Result<Vec<ReferralView>, StoreError> {
        let settings = self.casework_settings().await?;
        let rows: Vec<ReferralViewRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT r.id, r.participant_id, r.agreement_id, r.organisation_id, r.placement_type_id, \
                 r.reason, r.status, r.referred_on, r.decided_on, r.decision_note, \
                 d.first_name, d.last_name, \
                 (SELECT MIN(p.id) FROM placements p WHERE p.tenant_id = r.tenant_id AND p.referral_id = r.id) AS placement_id \
                 FROM referrals r JOIN participants d ON d.tenant_id = r.tenant_id AND d.id = r.participant_id \
                 WHERE r.tenant_id = $1 AND r.organisation_id = $2 \
                 ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, r.referred_on DESC, r.id DESC LIMIT $3",
            )
            .bind(self.tid())
            .bind(organisation.get())
            .bind(int(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| referral_view(r, &settings))
            .collect()
    }

    /// The supplier accepts a pending referral: the referral is answered and the
    /// placement starts on the agreed terms, in one transaction. With `organisation`,
    /// only that supplier's referral can be accepted.
    pub async fn accept_referral(
        &self,
        id: ReferralId,
        organisation: Option<OrganisationId>,
        terms: &PlacementTerms,
        on: NaiveDate,
    ) -> Result<PlacementId, StoreError> {
        let r = self.get_referral(id, organisation).await?;
        if r.referral.status != ReferralStatus::Pending {
            return Err(not_pending());
        }
        check_planned_end(terms.start, terms.planned_end)?;
        let agreement = self.get_agreement(r.referral.agreement_id).await?;
        if !agreement.in_force_on(terms.start) {
            return Err(RuleViolation::new(
                "start",
                format!(
                    "Avtalet gäller {} – {}: starten måste ligga inom den tiden.",
                    agreement.period.start(),
                    agreement
                        .period
                        .end()
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
                format!(
                    "The agreement runs {} – {}: the start must fall within it.",
                    agreement.period.start(),
                    agreement
                        .period
                        .end()
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
            )
            .into());
        }
        if terms.start < r.referral.referred_on {
            return Err(RuleViolation::new(
                "start",
                format!(
                    "Starten kan inte vara före anvisningen {}.",
                    r.referral.referred_on
                ),
                format!(
                    "The start cannot be before the referral on {}.",
                    r.referral.referred_on
                ),
            )
            .into());
        }
        let placement: i64 = with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE referrals SET status = 'accepted', decided_on = $1 \
                 WHERE tenant_id = $2 AND id = $3 AND status = 'pending'",
            )
            .bind(on)
            .bind(self.tid())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                // Answered by someone else meanwhile.
                return Err(not_pending());
            }
            let pid: i64 = sqlx::query_scalar(
                "INSERT INTO placements (tenant_id, referral_id, participant_id, agreement_id, organisation_id, \
                 start_date, planned_end, weekly_minutes, goals) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(self.tid())
            .bind(id.get())
            .bind(r.referral.participant_id.get())
            .bind(agreement.id.get())
            .bind(agreement.organisation_id.get())
            .bind(terms.start)
            .bind(terms.planned_end)
            .bind(int(terms.hours_per_week.minutes()))
            .bind(terms.goals.as_ref().map(|g| g.as_str()))
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "referrals",
                    id.get(),
                    &serde_json::json!({ "status": "pending" }),
                    &serde_json::json!({ "status": "accepted", "decided_on": on }),
                )
            );
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "placements",
                    pid,
                    &serde_json::json!({
                        "referral_id": id,
                        "participant_id": r.referral.participant_id,
                        "agreement_id": agreement.id,
                        "terms": terms,
                    })
                )
            );
            pid
        });
        Ok(PlacementId(placement))
    }

    /// The supplier declines a pending referral, with a note on why; the place it held
    /// is free again.
    pub async fn decline_referral(
        &self,
        id: ReferralId,
        organisation: Option<OrganisationId>,
        note: Option<&Text>,
        on: NaiveDate,
    ) -> Result<(), StoreError> {
        let r = self.get_referral(id, organisation).await?;
        if r.referral.status != ReferralStatus::Pending {
            return Err(not_pending());
        }
        with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE referrals SET status = 'declined', decided_on = $1, decision_note = $2 \
                 WHERE tenant_id = $3 AND id = $4 AND status = 'pending'",
            )
            .bind(on)
            .bind(note.map(|n| n.as_str()))
            .bind(self.tid())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(not_pending());
            }
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "referrals",
                    id.get(),
                    &serde_json::json!({ "status": "pending" }),
                    &serde_json::json!({ "status": "declined", "decided_on": on, "decision_note": note }),
                )
            );
        });
        Ok(())
    }

    /// The supplier (organisation) of a placement.
    pub async fn organisation_of_placement(
        &self,
        placement: PlacementId,
    ) -> Result<OrganisationId, StoreError> {
        let org: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT organisation_id FROM placements WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(placement.get())
            .fetch_optional(pool)
            .await?
        });
        org.map(OrganisationId).ok_or(StoreError::NotFound {
            entity: "placement",
        })
    }

    /// Records a progress note, or a three-party meeting with who attended.
    pub async fn add_placement_note(
        &self,
        placement: PlacementId,
        kind: NoteKind,
        noted_on: NaiveDate,
        attendees: Option<&Text>,
        body: &Text,
    ) -> Result<i64, StoreError> {
        let p = self.get_placement(placement).await?;
        if noted_on < p.period.start() {
            return Err(RuleViolation::new(
                "noted_on",
                format!(
                    "Datumet kan inte vara före placeringens start {}.",
                    p.period.start()
                ),
                format!(
                    "The date cannot be before the placement started on {}.",
                    p.period.start()
                ),
            )
            .into());
        }
        let attendees = match (kind, attendees) {
            (NoteKind::Meeting, None) => {
                return Err(RuleViolation::new(
                    "attendees",
                    "Ange vilka som deltog i trepartsmötet.",
                    "Say who attended the three-party meeting.",
                )
                .into())
            }
            (NoteKind::Meeting, Some(a)) => Some(a.as_str()),
            (NoteKind::Progress, _) => None,
        };
        let now = Utc::now().trunc_subsecs(6);
        let author = self.actor().label.clone();
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO placement_notes (tenant_id, placement_id, kind, noted_on, attendees, body, author, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(self.tid())
            .bind(placement.get())
            .bind(kind.as_str())
            .bind(noted_on)
            .bind(attendees)
            .bind(body.as_str())
            .bind(&author)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "placement_notes",
                    id,
                    &serde_json::json!({
                        "placement_id": placement, "kind": kind, "noted_on": noted_on,
                        "attendees": attendees, "body": body,
                    })
                )
            );
            id
        });
        Ok(id)
    }

    /// A placement's notes and meetings, newest first.
    pub async fn notes_of_placement(
        &self,
        placement: PlacementId,
    ) -> Result<Vec<PlacementNote>, StoreError> {
        let rows: Vec<NoteRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, placement_id, kind, noted_on, attendees, body, author, created_at FROM placement_notes \
                 WHERE tenant_id = $1 AND placement_id = $2 ORDER BY noted_on DESC, id DESC",
            )
            .bind(self.tid())
            .bind(placement.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(PlacementNote {
                    id: r.id,
                    placement_id: PlacementId(r.placement_id),
                    kind: conv("placement_note", r.id, NoteKind::parse(&r.kind))?,
                    noted_on: r.noted_on,
                    attendees: r.attendees,
                    body: r.body,
                    author: r.author,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    /// A placement's pauses, oldest first.
    pub async fn pauses_of_placement(
        &self,
        placement: PlacementId,
    ) -> Result<Vec<Pause>, StoreError> {
        let rows: Vec<(i64, NaiveDate, Option<NaiveDate>, Option<String>)> =
            with_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT id, start_date, end_date, reason FROM placement_pauses \
                     WHERE tenant_id = $1 AND placement_id = $2 ORDER BY start_date, id",
                )
                .bind(self.tid())
                .bind(placement.get())
                .fetch_all(pool)
                .await?
            });
        Ok(rows
            .into_iter()
            .map(|(id, start, end, reason)| Pause {
                id,
                start,
                end,
                reason,
            })
            .collect())
    }

    /// Pauses a running placement from `start`.
    pub async fn pause_placement(
        &self,
        placement: PlacementId,
        start: NaiveDate,
        reason: Option<&Text>,
    ) -> Result<i64, StoreError> {
        let p = self.get_placement(placement).await?;
        if p.period.end().is_some() {
            return Err(ended("pause_start"));
        }
        check_pause(&p.period, start)?;
        let pauses = self.pauses_of_placement(placement).await?;
        if pauses.iter().any(|x| x.end.is_none()) {
            return Err(RuleViolation::new(
                "pause_start",
                "Placeringen är redan pausad. Återuppta den först.",
                "The placement is already paused. Resume it first.",
            )
            .into());
        }
        if let Some(last) = pauses.iter().filter_map(|x| x.end).max() {
            if start <= last {
                return Err(RuleViolation::new(
                    "pause_start",
                    format!("Pausen måste börja efter förra pausens slut {last}."),
                    format!("The pause must start after the previous pause ended on {last}."),
                )
                .into());
            }
        }
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO placement_pauses (tenant_id, placement_id, start_date, reason) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(self.tid())
            .bind(placement.get())
            .bind(start)
            .bind(reason.map(|r| r.as_str()))
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "placement_pauses",
                    id,
                    &serde_json::json!({ "placement_id": placement, "start": start, "reason": reason })
                )
            );
            id
        });
        Ok(id)
    }

    /// Resumes a paused placement: the open pause ends on `end`.
    pub async fn resume_placement(
        &self,
        placement: PlacementId,
        end: NaiveDate,
    ) -> Result<(), StoreError> {
        self.get_placement(placement).await?;
        let open = self
            .pauses_of_placement(placement)
            .await?
            .into_iter()
            .find(|x| x.end.is_none())
            .ok_or_else(|| {
                StoreError::from(RuleViolation::new(
                    "resume_on",
                    "Placeringen är inte pausad.",
                    "The placement is not paused.",
                ))
            })?;
        if end < open.start {
            return Err(RuleViolation::new(
                "resume_on",
                format!("Pausen kan inte sluta före sin start {}.", open.start),
                format!("The pause cannot end before it started on {}.", open.start),
            )
            .into());
        }
        with_tx!(self, |tx| {
            sqlx::query(
                "UPDATE placement_pauses SET end_date = $1 WHERE tenant_id = $2 AND id = $3 AND end_date IS NULL",
            )
            .bind(end)
            .bind(self.tid())
            .bind(open.id)
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "placement_pauses",
                    open.id,
                    &serde_json::json!({ "end": null }),
                    &serde_json::json!({ "end": end }),
                )
            );
        });
        Ok(())
    }

    /// Moves a running placement's planned end.
    pub async fn change_planned_end(
        &self,
        placement: PlacementId,
        planned_end: NaiveDate,
    ) -> Result<(), StoreError> {
        let p = self.get_placement(placement).await?;
        if p.period.end().is_some() {
            return Err(ended("planned_end"));
        }
        check_planned_end(p.period.start(), planned_end)?;
        with_tx!(self, |tx| {
            sqlx::query("UPDATE placements SET planned_end = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(planned_end)
                .bind(self.tid())
                .bind(placement.get())
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "placements",
                    placement.get(),
                    &serde_json::json!({ "planned_end": p.planned_end }),
                    &serde_json::json!({ "planned_end": planned_end }),
                )
            );
        });
        Ok(())
    }

    /// Changes a running placement's hours per week and goals, in one transaction with
    /// its audit entry (the changed values before and after). A change to what is
    /// already stored writes nothing. An ended placement is refused on
    /// `hours_per_week`, also when it ended after it was read.
    pub async fn change_hours_and_goals(
        &self,
        placement: PlacementId,
        change: &HoursAndGoals,
    ) -> Result<(), StoreError> {
        let p = self.get_placement(placement).await?;
        if p.period.end().is_some() {
            return Err(ended("hours_per_week"));
        }
        if change.hours_per_week.is_none() && change.goals.is_none() {
            return Err(RuleViolation::new(
                "hours_per_week",
                "Ange nya timmar per vecka eller nya mål.",
                "Give new hours per week or new goals.",
            )
            .into());
        }
        let hours = change.hours_per_week.unwrap_or(p.hours_per_week);
        let goals = match &change.goals {
            Some(g) => g.clone(),
            None => p.goals.clone(),
        };
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        if hours != p.hours_per_week {
            before.insert("weekly_minutes".into(), p.hours_per_week.minutes().into());
            after.insert("weekly_minutes".into(), hours.minutes().into());
        }
        if goals != p.goals {
            before.insert("goals".into(), serde_json::json!(p.goals));
            after.insert("goals".into(), serde_json::json!(goals));
        }
        if after.is_empty() {
            return Ok(());
        }
        with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE placements SET weekly_minutes = $1, goals = $2 \
                 WHERE tenant_id = $3 AND id = $4 AND end_date IS NULL",
            )
            .bind(int(hours.minutes()))
            .bind(goals.as_ref().map(|g| g.as_str()))
            .bind(self.tid())
            .bind(placement.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                // Ended by someone else meanwhile.
                return Err(ended("hours_per_week"));
            }
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "placements",
                    placement.get(),
                    &serde_json::Value::Object(before),
                    &serde_json::Value::Object(after),
                )
            );
        });
        Ok(())
    }

    /// A supplier's placements running at some point in `month`, with the participants'
    /// names and pseudonyms and the month's attendance if reported.
    pub async fn attendance_lines(
        &self,
        organisation: OrganisationId,
        month: YearMonth,
    ) -> Result<Vec<AttendanceLine>, StoreError> {
        let settings = self.casework_settings().await?;
        let rows: Vec<LineRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {P_COLS}, d.first_name, d.last_name, a.attended_minutes AS a_minutes, \
                 a.sick_days AS a_sick, a.leave_days AS a_leave, a.unexcused_days AS a_unexcused, a.status AS a_status \
                 FROM placements p JOIN participants d ON d.tenant_id = p.tenant_id AND d.id = p.participant_id \
                 LEFT JOIN attendance_months a ON a.tenant_id = p.tenant_id AND a.placement_id = p.id AND a.month = $3 \
                 WHERE p.tenant_id = $1 AND p.organisation_id = $2 AND p.start_date <= $4 \
                 AND (p.end_date IS NULL OR p.end_date >= $5) ORDER BY d.last_name, d.first_name, p.id"
            ))
            .bind(self.tid())
            .bind(organisation.get())
            .bind(month.to_string())
            .bind(month.last_day())
            .bind(month.first_day())
            .fetch_all(pool)
            .await?
        });
        let pauses: Vec<PauseRow> = with_pool!(self, |pool| {
            sqlx::query_as(PAUSES_IN_MONTH_SQL)
                .bind(self.tid())
                .bind(month.last_day())
                .bind(month.first_day())
                .fetch_all(pool)
                .await?
        });
        let mut paused = paused_by_placement(pauses);
        rows.into_iter()
            .map(|r| {
                let placement = Placement::try_from(r.p)?;
                let id = placement.id.get();
                const E: &str = "attendance_month";
                let attendance = match r.a_status {
                    None => None,
                    Some(status) => Some(AttendanceMonth {
                        placement_id: placement.id,
                        month,
                        attended_minutes: count(E, id, r.a_minutes.unwrap_or(0))?,
                        sick_days: count(E, id, r.a_sick.unwrap_or(0))?,
                        leave_days: count(E, id, r.a_leave.unwrap_or(0))?,
                        unexcused_days: count(E, id, r.a_unexcused.unwrap_or(0))?,
                        status: conv(E, id, AttendanceStatus::parse(&status))?,
                    }),
                };
                Ok(AttendanceLine {
                    pseudonym: settings.pseudonym(placement.participant_id),
                    paused: paused.remove(&placement.id).unwrap_or_default(),
                    placement,
                    first_name: r.first_name,
                    last_name: r.last_name,
                    attendance,
                })
            })
            .collect()
    }

    /// The supplier submits a month's attendance for its placements, all in one
    /// transaction: before the deadline, never for another supplier's placement (not
    /// found), never above what the month allows, never for an approved (locked) month.
    pub async fn submit_attendance(
        &self,
        organisation: OrganisationId,
        month: YearMonth,
        reports: &[AttendanceReport],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let settings = self.casework_settings().await?;
        check_attendance_open(
            month,
            stockholm_today(now),
            settings.attendance_deadline_day,
        )?;
        let lines = self.attendance_lines(organisation, month).await?;
        let by_id: HashMap<PlacementId, &AttendanceLine> =
            lines.iter().map(|l| (l.placement.id, l)).collect();
        let mut seen = HashSet::new();
        for r in reports {
            let line = by_id.get(&r.placement_id).ok_or(StoreError::NotFound {
                entity: "placement",
            })?;
            if !seen.insert(r.placement_id) {
                return Err(RuleViolation::new(
                    "placement_id",
                    format!("{} rapporteras två gånger.", line.pseudonym),
                    format!("{} is reported twice.", line.pseudonym),
                )
                .into());
            }
            AttendanceMonth::check(
                month,
                &line.placement.period,
                &line.paused,
                r.attended_minutes,
                r.sick_days + r.leave_days + r.unexcused_days,
            )
            .map_err(|v| RuleViolation {
                field: v.field,
                sv: format!("{}: {}", line.pseudonym, v.sv),
                en: format!("{}: {}", line.pseudonym, v.en),
            })?;
        }
        let at = now.trunc_subsecs(6);
        with_tx!(self, |tx| {
            for r in reports {
                // Read inside the write transaction: an approval cannot slip in between.
                let before: Option<AttendanceRow> = sqlx::query_as(
                    "SELECT placement_id, month, attended_minutes, sick_days, leave_days, unexcused_days, status \
                     FROM attendance_months WHERE tenant_id = $1 AND placement_id = $2 AND month = $3",
                )
                .bind(self.tid())
                .bind(r.placement_id.get())
                .bind(month.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                let before = before.map(AttendanceMonth::try_from).transpose()?;
                if before.as_ref().map(|b| b.status) == Some(AttendanceStatus::Approved) {
                    return Err(locked(month));
                }
                let after = AttendanceMonth {
                    placement_id: r.placement_id,
                    month,
                    attended_minutes: r.attended_minutes,
                    sick_days: r.sick_days,
                    leave_days: r.leave_days,
                    unexcused_days: r.unexcused_days,
                    status: AttendanceStatus::Submitted,
                };
                sqlx::query(
                    "INSERT INTO attendance_months (tenant_id, placement_id, month, attended_minutes, sick_days, \
                     leave_days, unexcused_days, status, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8) \
                     ON CONFLICT (placement_id, month) DO UPDATE SET attended_minutes = excluded.attended_minutes, \
                     sick_days = excluded.sick_days, leave_days = excluded.leave_days, \
                     unexcused_days = excluded.unexcused_days, status = excluded.status, submitted_at = excluded.submitted_at",
                )
                .bind(self.tid())
                .bind(r.placement_id.get())
                .bind(month.to_string())
                .bind(int(r.attended_minutes))
                .bind(int(r.sick_days))
                .bind(int(r.leave_days))
                .bind(int(r.unexcused_days))
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let change = match &before {
                    Some(b) => Change::update("attendance_months", 0, b, &after),
                    None => Change::create("attendance_months", 0, &after),
                };
                crate::audit_append!(
                    tx,
                    self,
                    Change {
                        entity_id: Some(format!("{}/{}", r.placement_id, month)),
                        ..change
                    }
                );
            }
        });
        Ok(())
    }

    /// Each supplier's state for `month`: placements running, reports submitted and
    /// approved.
    pub async fn attendance_month_status(
        &self,
        month: YearMonth,
    ) -> Result<Vec<MonthStatus>, StoreError> {
        let rows: Vec<(i64, String, i64, i64, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT o.id, o.name, COUNT(p.id), \
                 SUM(CASE WHEN a.status = 'submitted' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN a.status = 'approved' THEN 1 ELSE 0 END) \
                 FROM placements p JOIN organisations o ON o.tenant_id = p.tenant_id AND o.id = p.organisation_id \
                 LEFT JOIN attendance_months a ON a.tenant_id = p.tenant_id AND a.placement_id = p.id AND a.month = $2 \
                 WHERE p.tenant_id = $1 AND p.start_date <= $3 AND (p.end_date IS NULL OR p.end_date >= $4) \
                 GROUP BY o.id, o.name ORDER BY o.name, o.id",
            )
            .bind(self.tid())
            .bind(month.to_string())
            .bind(month.last_day())
            .bind(month.first_day())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, name, n, submitted, approved)| {
                const E: &str = "attendance_month";
                Ok(MonthStatus {
                    organisation_id: OrganisationId(id),
                    organisation_name: name,
                    placements: count(E, id, n)?,
                    submitted: count(E, id, submitted)?,
                    approved: count(E, id, approved)?,
                })
            })
            .collect()
    }

    /// The municipality approves a supplier's submitted attendance for `month`, which
    /// locks it: the supplier's later changes are refused, and the municipality corrects
    /// a placement-month with [`Scoped::correct_attendance`] (after crediting the invoice
    /// that bills it, if any).
    /// Returns how many placements' months were approved.
    pub async fn approve_attendance(
        &self,
        organisation: OrganisationId,
        month: YearMonth,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let org = self.get_organisation(organisation).await?;
        let at = now.trunc_subsecs(6);
        let n = with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE attendance_months SET status = 'approved', approved_at = $1, approved_by = $2 \
                 WHERE tenant_id = $3 AND month = $4 AND status = 'submitted' AND placement_id IN \
                 (SELECT id FROM placements WHERE tenant_id = $3 AND organisation_id = $5)",
            )
            .bind(at)
            .bind(&self.actor().label)
            .bind(self.tid())
            .bind(month.to_string())
            .bind(organisation.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(RuleViolation::new(
                    "organisation_id",
                    format!(
                        "{} har ingen inskickad närvaro för {month} att godkänna.",
                        org.name
                    ),
                    format!(
                        "{} has no submitted attendance for {month} to approve.",
                        org.name
                    ),
                )
                .into());
            }
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "approve",
                    "attendance_months",
                    Some(format!("{}/{}", organisation, month)),
                    Some(
                        serde_json::json!({ "organisation_id": organisation, "month": month.to_string(), "placements": n })
                    )
                )
            );
            n
        });
        Ok(n)
    }

    /// The follow-ups of an exit.
    pub async fn follow_ups_of_exit(&self, exit: ExitId) -> Result<Vec<FollowUp>, StoreError> {
        let rows: Vec<(i64, i64, String, NaiveDate, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, exit_id, point, recorded_on, status FROM follow_ups \
                 WHERE tenant_id = $1 AND exit_id = $2 ORDER BY recorded_on, id",
            )
            .bind(self.tid())
            .bind(exit.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, exit_id, point, recorded_on, status)| {
                const E: &str = "follow_up";
                Ok(FollowUp {
                    id: vidare_domain::ids::FollowUpId(id),
                    exit_id: ExitId(exit_id),
                    point: conv(E, id, FollowUpPoint::parse(&point))?,
                    recorded_on,
                    status: conv(E, id, FollowUpStatus::parse(&status))?,
                })
            })
            .collect()
    }

    /// How many follow-ups not yet recorded fell due by `today`: the same rule as
    /// [`Scoped::due_follow_ups`], counted in the database (one statement) for pages
    /// that show only the number, and kept until the tenant's next recorded change of
    /// data (`cache::StampedCache`): counting reads every exit of the tenant.
    pub async fn count_due_follow_ups(&self, today: NaiveDate) -> Result<u64, StoreError> {
        let stamp = self.data_position().await?;
        let key = (self.tid(), today);
        if let Some(n) = self.store().due_counts().get(&key, stamp) {
            return Ok(n);
        }
        let n = self.count_due_follow_ups_uncached(today).await?;
        self.store().due_counts().put(key, stamp, n);
        Ok(n)
    }

    /// How many follow-ups not yet recorded are due now and how many are overdue on
    /// `today` (the overview's reminder): two counts of [`Scoped::count_due_follow_ups`],
    /// by today and by the last overdue due date, so both are kept like it.
    pub async fn follow_up_reminders(
        &self,
        today: NaiveDate,
    ) -> Result<FollowUpReminders, StoreError> {
        let due = self.count_due_follow_ups(today).await?;
        let overdue = self.count_due_follow_ups(overdue_cutoff(today)).await?;
        Ok(FollowUpReminders {
            due_now: due.saturating_sub(overdue),
            overdue,
        })
    }

    /// [`Scoped::count_due_follow_ups`] from the database.
    async fn count_due_follow_ups_uncached(&self, today: NaiveDate) -> Result<u64, StoreError> {
        // For each point, the latest exit date whose follow-up is due by today. Adding
        // months clamps to the month's end (30 Nov + 3 months = 28 Feb), so step forward
        // from `today - months` while the next day is still due.
        let cutoff = |point: FollowUpPoint| {
            let months = chrono::Months::new(point.months());
            let mut c = today.checked_sub_months(months).unwrap_or(today);
            while let Some(next) = c.succ_opt() {
                if point.due_on(next) <= today {
                    c = next;
                } else {
                    break;
                }
            }
            c
        };
        let [p3, p6, p12] = FollowUpPoint::ALL else {
            unreachable!("three follow-up points")
        };
        const PER_POINT: &str = "(SELECT COUNT(*) FROM exits e \
             JOIN placements p ON p.tenant_id = e.tenant_id AND p.id = e.placement_id \
             JOIN participants d ON d.tenant_id = p.tenant_id AND d.id = p.participant_id \
             WHERE e.tenant_id = $1 AND e.exit_date <= {cutoff} AND d.anonymised_on IS NULL \
             AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.tenant_id = e.tenant_id \
             AND f.exit_id = e.id AND f.point = {point}))";
        let sql = format!(
            "SELECT {} + {} + {}",
            PER_POINT.replace("{cutoff}", "$2").replace("{point}", "$3"),
            PER_POINT.replace("{cutoff}", "$4").replace("{point}", "$5"),
            PER_POINT.replace("{cutoff}", "$6").replace("{point}", "$7"),
        );
        let n: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(&sql)
                .bind(self.tid())
                .bind(cutoff(*p3))
                .bind(p3.as_str())
                .bind(cutoff(*p6))
                .bind(p6.as_str())
                .bind(cutoff(*p12))
                .bind(p12.as_str())
                .fetch_one(pool)
                .await?
        });
        Ok(n as u64)
    }

    /// Follow-ups not yet recorded that fell due by `today + horizon_days`, most overdue
    /// first (anonymised participants are left out: they are past follow-up).
    pub async fn due_follow_ups(
        &self,
        today: NaiveDate,
        horizon_days: u32,
    ) -> Result<Vec<DueFollowUp>, StoreError> {
        let until = today + chrono::Days::new(u64::from(horizon_days));
        // No point can fall due before 3 months after the exit.
        let latest_exit = until
            .checked_sub_months(chrono::Months::new(3))
            .unwrap_or(until);
        let (exits, done): (Vec<ExitRow>, Vec<(i64, String)>) = with_pool!(self, |pool| {
            let exits = sqlx::query_as(
                "SELECT e.id, e.placement_id, p.participant_id, d.first_name, d.last_name, e.exit_date \
                 FROM exits e JOIN placements p ON p.tenant_id = e.tenant_id AND p.id = e.placement_id \
                 JOIN participants d ON d.tenant_id = p.tenant_id AND d.id = p.participant_id \
                 WHERE e.tenant_id = $1 AND e.exit_date <= $2 AND d.anonymised_on IS NULL",
            )
            .bind(self.tid())
            .bind(latest_exit)
            .fetch_all(pool)
            .await?;
            let done = sqlx::query_as("SELECT exit_id, point FROM follow_ups WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_all(pool)
                .await?;
            (exits, done)
        });
        let done: HashSet<(i64, String)> = done.into_iter().collect();
        let mut due = Vec::new();
        for (exit, placement, participant, first, last, exit_date) in exits {
            for point in FollowUpPoint::ALL {
                let due_on = point.due_on(exit_date);
                if due_on <= until && !done.contains(&(exit, point.as_str().to_string())) {
                    due.push(DueFollowUp {
                        exit_id: ExitId(exit),
                        placement_id: PlacementId(placement),
                        participant_id: ParticipantId(participant),
                        participant_name: format!("{first} {last}"),
                        exit_date,
                        point: *point,
                        due_on,
                    });
                }
            }
        }
        due.sort_by(|a, b| {
            (a.due_on, a.exit_id, a.point.months()).cmp(&(b.due_on, b.exit_id, b.point.months()))
        });
        Ok(due)
    }

    /// Everything stored about one participant (right of access, GDPR art. 15).
    pub async fn participant_record(
        &self,
        id: ParticipantId,
    ) -> Result<ParticipantRecord, StoreError> {
        let participant = self.get_participant(id).await?;
        let registered_on: Option<NaiveDate> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT registered_on FROM participants WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(id.get())
            .fetch_one(pool)
            .await?
        });
        let referrals = self.referrals_of_participant(id).await?;
        let names: BTreeMap<i64, String> = with_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT id, name FROM organisations WHERE tenant_id = $1",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        })
        .into_iter()
        .collect();
        let mut placements = Vec::new();
        for p in self.placements_of_participant(id).await? {
            let org = self.organisation_of_placement(p.id).await?;
            let exit = self.exit_of_placement(p.id).await?;
            let follow_ups = match &exit {
                Some(e) => self.follow_ups_of_exit(e.id).await?,
                None => Vec::new(),
            };
            placements.push(PlacementRecord {
                organisation_name: names.get(&org.get()).cloned().unwrap_or_default(),
                pauses: self.pauses_of_placement(p.id).await?,
                notes: self.notes_of_placement(p.id).await?,
                attendance: self.attendance_of_placement(p.id).await?,
                attendance_corrections: self.attendance_corrections(p.id).await?,
                exit,
                follow_ups,
                placement: p,
            });
        }
        let access_log = self.access_entries(Some(id), None, 10_000, 0).await?;
        Ok(ParticipantRecord {
            participant,
            registered_on,
            referrals,
            placements,
            access_log,
        })
    }

    /// The participants [`Scoped::anonymise_participants`] would anonymise with this
    /// cut-off, by id, changing nothing (a dry run).
    pub async fn anonymisation_candidates(
        &self,
        before: NaiveDate,
    ) -> Result<Vec<ParticipantId>, StoreError> {
        let ids: Vec<i64> = crate::with_pool!(self, |pool| {
            sqlx::query_scalar(&format!("SELECT d.id FROM {ANONYMISATION_CANDIDATES}"))
                .bind(self.tid())
                .bind(before)
                .fetch_all(pool)
                .await?
        });
        Ok(ids.into_iter().map(ParticipantId).collect())
    }

    /// Anonymises every participant whose last activity (the latest end of a placement,
    /// or the registration if never placed) came before `before`, who has no running
    /// placement and no pending referral: name and identity number become irreversible
    /// placeholders, free-text notes are blanked, and the birth year, covariates,
    /// placements, attendance, exits and follow-ups stay for the statistics. The audit
    /// log's entries about them lose their payload (names, reasons, goals, notes,
    /// evidence), keeping the digest that proves them, and the redaction is recorded in
    /// the log. One transaction; each participant's anonymisation is audited. Returns
    /// the ids.
    pub async fn anonymise_participants(
        &self,
        before: NaiveDate,
        today: NaiveDate,
    ) -> Result<Vec<ParticipantId>, StoreError> {
        if before > today {
            return Err(RuleViolation::new(
                "before",
                "Datumet kan inte ligga i framtiden.",
                "The date cannot be in the future.",
            )
            .into());
        }
        const REDACTED: &str = "[anonymiserad]";
        let ids = with_tx!(self, |tx| {
            let candidates: Vec<(i64, String)> = sqlx::query_as(&format!(
                "SELECT d.id, d.personal_number FROM {ANONYMISATION_CANDIDATES}"
            ))
            .bind(self.tid())
            .bind(before)
            .fetch_all(&mut *tx)
            .await?;
            let mut ids = Vec::with_capacity(candidates.len());
            for (id, pnr) in candidates {
                let pnr = conv(
                    "participant",
                    id,
                    PersonalIdentityNumber::parse_canonical(&pnr),
                )?;
                let placeholder = anonymised_placeholder(ParticipantId(id));
                sqlx::query(
                    "UPDATE participants SET personal_number = $1, first_name = $2, last_name = $3, \
                     birth_year = $4, anonymised_on = $5 WHERE tenant_id = $6 AND id = $7",
                )
                .bind(placeholder.canonical())
                .bind(ANONYMISED_FIRST_NAME)
                .bind(id.to_string())
                .bind(i64::from(pnr.birth_date().year()))
                .bind(today)
                .bind(self.tid())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                for sql in [
                    "UPDATE referrals SET reason = $1, decision_note = NULL WHERE tenant_id = $2 AND participant_id = $3",
                    "UPDATE placements SET goals = NULL WHERE tenant_id = $2 AND participant_id = $3 AND $1 = $1",
                    "UPDATE placement_notes SET body = $1, attendees = CASE WHEN attendees IS NULL THEN NULL ELSE $1 END \
                     WHERE tenant_id = $2 AND placement_id IN (SELECT id FROM placements WHERE tenant_id = $2 AND participant_id = $3)",
                    "UPDATE placement_pauses SET reason = NULL WHERE tenant_id = $2 AND $1 = $1 \
                     AND placement_id IN (SELECT id FROM placements WHERE tenant_id = $2 AND participant_id = $3)",
                    "UPDATE exits SET evidence = NULL WHERE tenant_id = $2 AND $1 = $1 \
                     AND placement_id IN (SELECT id FROM placements WHERE tenant_id = $2 AND participant_id = $3)",
                    "UPDATE attendance_corrections SET reason = $1 WHERE tenant_id = $2 \
                     AND placement_id IN (SELECT id FROM placements WHERE tenant_id = $2 AND participant_id = $3)",
                ] {
                    sqlx::query(sql)
                        .bind(REDACTED)
                        .bind(self.tid())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                crate::audit_append!(
                    tx,
                    self,
                    Change::action(
                        "anonymise",
                        "participants",
                        Some(id.to_string()),
                        Some(serde_json::json!({ "before": before, "anonymised_on": today }))
                    )
                );
                // The log's entries about them keep their digests, not their content.
                crate::audit_redact!(tx, self, id, "anonymise");
                ids.push(ParticipantId(id));
            }
            ids
        });
        Ok(ids)
    }
}

/// Who may be anonymised with a cut-off `$2` in tenant `$1` (as `FROM …`, participants
/// as `d`, by id): not anonymised yet, no running placement, no pending referral, and
/// the last activity (the latest end of a placement, or the registration if never
/// placed) before the cut-off.
const ANONYMISATION_CANDIDATES: &str = "participants d WHERE d.tenant_id = $1 AND d.anonymised_on IS NULL \
     AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.tenant_id = d.tenant_id AND p.participant_id = d.id AND p.end_date IS NULL) \
     AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.tenant_id = d.tenant_id AND r.participant_id = d.id AND r.status = 'pending') \
     AND COALESCE((SELECT MAX(p.end_date) FROM placements p WHERE p.tenant_id = d.tenant_id AND p.participant_id = d.id), d.registered_on) < $2 \
     ORDER BY d.id";

fn referral_view(
    r: ReferralViewRow,
    settings: &CaseworkSettings,
) -> Result<ReferralView, StoreError> {
    let referral = Referral::try_from(r.r)?;
    Ok(ReferralView {
        pseudonym: settings.pseudonym(referral.participant_id),
        referral,
        first_name: r.first_name,
        last_name: r.last_name,
        decision_note: r.decision_note,
        placement_id: r.placement_id.map(PlacementId),
    })
}

fn ended(field: &'static str) -> StoreError {
    RuleViolation::new(
        field,
        "Placeringen är avslutad och kan inte ändras.",
        "The placement has ended and cannot be changed.",
    )
    .into()
}

fn locked(month: YearMonth) -> StoreError {
    RuleViolation::new(
        "month",
        format!(
            "Närvaron för {month} är godkänd och låst. Kontakta kommunens samordnare om den behöver rättas."
        ),
        format!(
            "Attendance for {month} is approved and locked. Contact the municipality's coordinator if it needs correcting."
        ),
    )
    .into()
}
