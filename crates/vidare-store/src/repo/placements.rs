//! Referrals, placements, monthly attendance, exits and follow-ups.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::{
    AgreementId, ExitId, FollowUpId, OrganisationId, ParticipantId, PlacementId, PlacementTypeId,
    ReferralId,
};
use vidare_domain::model::placement::{
    paused_days, AttendanceMonth, AttendanceStatus, Exit, ExitOutcome, FollowUp, FollowUpPoint,
    FollowUpStatus, Placement, Referral, ReferralStatus, WeeklyMinutes,
};
use vidare_domain::model::{RuleViolation, Text};
use vidare_domain::period::{DateRange, DateRangeSet, YearMonth};

use crate::locks::TxLocks;
use crate::repo::invoices::{BillingInvoice, UNCREDITED_INVOICE_SQL};
use crate::rows::{conv, count, int};
use crate::{with_pool, with_tx, Change, Scoped, StoreError};

/// A referral to record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewReferral {
    pub participant_id: ParticipantId,
    pub agreement_id: AgreementId,
    pub reason: Text,
    pub referred_on: NaiveDate,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReferralRow {
    pub(crate) id: i64,
    pub(crate) participant_id: i64,
    pub(crate) agreement_id: i64,
    pub(crate) organisation_id: i64,
    pub(crate) placement_type_id: i64,
    pub(crate) reason: String,
    pub(crate) status: String,
    pub(crate) referred_on: NaiveDate,
    pub(crate) decided_on: Option<NaiveDate>,
}

impl TryFrom<ReferralRow> for Referral {
    type Error = StoreError;
    fn try_from(r: ReferralRow) -> Result<Self, StoreError> {
        const E: &str = "referral";
        Ok(Referral {
            id: ReferralId(r.id),
            participant_id: ParticipantId(r.participant_id),
            agreement_id: AgreementId(r.agreement_id),
            organisation_id: OrganisationId(r.organisation_id),
            placement_type_id: PlacementTypeId(r.placement_type_id),
            reason: conv(E, r.id, Text::parse(&r.reason))?,
            status: conv(E, r.id, ReferralStatus::parse(&r.status))?,
            referred_on: r.referred_on,
            decided_on: r.decided_on,
        })
    }
}

/// A placement to start.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewPlacement {
    pub referral_id: Option<ReferralId>,
    pub participant_id: ParticipantId,
    pub agreement_id: AgreementId,
    pub start: NaiveDate,
    pub planned_end: NaiveDate,
    pub hours_per_week: WeeklyMinutes,
    pub goals: Option<Text>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlacementRow {
    pub(crate) id: i64,
    pub(crate) referral_id: Option<i64>,
    pub(crate) participant_id: i64,
    pub(crate) agreement_id: i64,
    pub(crate) start_date: NaiveDate,
    pub(crate) end_date: Option<NaiveDate>,
    pub(crate) planned_end: NaiveDate,
    pub(crate) weekly_minutes: i64,
    pub(crate) goals: Option<String>,
}

impl TryFrom<PlacementRow> for Placement {
    type Error = StoreError;
    fn try_from(r: PlacementRow) -> Result<Self, StoreError> {
        const E: &str = "placement";
        Ok(Placement {
            id: PlacementId(r.id),
            referral_id: r.referral_id.map(ReferralId),
            participant_id: ParticipantId(r.participant_id),
            agreement_id: AgreementId(r.agreement_id),
            period: conv(E, r.id, DateRange::new(r.start_date, r.end_date))?,
            planned_end: r.planned_end,
            hours_per_week: conv(
                E,
                r.id,
                WeeklyMinutes::new(count(E, r.id, r.weekly_minutes)?),
            )?,
            goals: r
                .goals
                .map(|g| conv(E, r.id, Text::parse(&g)))
                .transpose()?,
        })
    }
}

pub(crate) const PLACEMENT_COLUMNS: &str =
    "id, referral_id, participant_id, agreement_id, start_date, end_date, \
    planned_end, weekly_minutes, goals";

#[derive(sqlx::FromRow)]
pub(crate) struct AttendanceRow {
    placement_id: i64,
    month: String,
    attended_minutes: i64,
    sick_days: i64,
    leave_days: i64,
    unexcused_days: i64,
    status: String,
}

impl TryFrom<AttendanceRow> for AttendanceMonth {
    type Error = StoreError;
    fn try_from(r: AttendanceRow) -> Result<Self, StoreError> {
        const E: &str = "attendance_month";
        let id = r.placement_id;
        Ok(AttendanceMonth {
            placement_id: PlacementId(id),
            month: conv(E, id, YearMonth::parse(&r.month))?,
            attended_minutes: count(E, id, r.attended_minutes)?,
            sick_days: count(E, id, r.sick_days)?,
            leave_days: count(E, id, r.leave_days)?,
            unexcused_days: count(E, id, r.unexcused_days)?,
            status: conv(E, id, AttendanceStatus::parse(&r.status))?,
        })
    }
}

/// The pauses with paused days in a month, of every placement of the tenant: placement,
/// start and the day it resumed (a pause's days run through the day before; see
/// [`paused_days`]). `$1` tenant, `$2` the month's last day, `$3` its first day.
pub(crate) const PAUSES_IN_MONTH_SQL: &str =
    "SELECT placement_id, start_date, end_date FROM placement_pauses \
     WHERE tenant_id = $1 AND start_date <= $2 AND (end_date IS NULL OR end_date > $3)";

/// A pause row: placement, start, the day it resumed.
pub(crate) type PauseRow = (i64, NaiveDate, Option<NaiveDate>);

/// The paused days of each placement among `rows`.
pub(crate) fn paused_by_placement(rows: Vec<PauseRow>) -> HashMap<PlacementId, DateRangeSet> {
    let mut out: HashMap<PlacementId, DateRangeSet> = HashMap::new();
    for (placement, start, resumed) in rows {
        if let Some(days) = paused_days(start, resumed) {
            out.entry(PlacementId(placement)).or_default().insert(days);
        }
    }
    out
}

/// The municipality's correction of one placement-month's attendance: corrected hours
/// and absence days, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttendanceCorrection {
    pub placement_id: PlacementId,
    pub month: YearMonth,
    pub attended_minutes: u32,
    pub sick_days: u32,
    pub leave_days: u32,
    pub unexcused_days: u32,
    pub reason: Text,
}

/// A recorded correction: the month before (none when nothing had been reported) and
/// after, why, by whom and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CorrectionRecord {
    pub id: i64,
    pub placement_id: PlacementId,
    pub month: YearMonth,
    pub before: Option<AttendanceMonth>,
    /// The corrected month, approved.
    pub after: AttendanceMonth,
    pub reason: String,
    pub corrected_by: String,
    pub corrected_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CorrectionRow {
    id: i64,
    placement_id: i64,
    month: String,
    before_status: Option<String>,
    before_minutes: Option<i64>,
    before_sick_days: Option<i64>,
    before_leave_days: Option<i64>,
    before_unexcused_days: Option<i64>,
    attended_minutes: i64,
    sick_days: i64,
    leave_days: i64,
    unexcused_days: i64,
    reason: String,
    corrected_by: String,
    corrected_at: DateTime<Utc>,
}

impl TryFrom<CorrectionRow> for CorrectionRecord {
    type Error = StoreError;
    fn try_from(r: CorrectionRow) -> Result<Self, StoreError> {
        const E: &str = "attendance_correction";
        let month = conv(E, r.id, YearMonth::parse(&r.month))?;
        let placement_id = PlacementId(r.placement_id);
        let before = match r.before_status {
            None => None,
            Some(status) => Some(AttendanceMonth {
                placement_id,
                month,
                attended_minutes: count(E, r.id, r.before_minutes.unwrap_or(-1))?,
                sick_days: count(E, r.id, r.before_sick_days.unwrap_or(-1))?,
                leave_days: count(E, r.id, r.before_leave_days.unwrap_or(-1))?,
                unexcused_days: count(E, r.id, r.before_unexcused_days.unwrap_or(-1))?,
                status: conv(E, r.id, AttendanceStatus::parse(&status))?,
            }),
        };
        Ok(CorrectionRecord {
            id: r.id,
            placement_id,
            month,
            before,
            after: AttendanceMonth {
                placement_id,
                month,
                attended_minutes: count(E, r.id, r.attended_minutes)?,
                sick_days: count(E, r.id, r.sick_days)?,
                leave_days: count(E, r.id, r.leave_days)?,
                unexcused_days: count(E, r.id, r.unexcused_days)?,
                status: AttendanceStatus::Approved,
            },
            reason: r.reason,
            corrected_by: r.corrected_by,
            corrected_at: r.corrected_at,
        })
    }
}

/// The refusal while an invoice that has not been credited bills the month.
fn invoiced(month: YearMonth, invoice: &BillingInvoice) -> StoreError {
    let n = &invoice.number;
    if invoice.status == vidare_domain::model::invoice::InvoiceStatus::Draft {
        RuleViolation::new(
            "month",
            format!(
                "Närvaron för {month} finns på fakturautkastet {n}. Ta bort utkastet under Fakturor först och rätta sedan närvaron; nästa fakturering tar med rättelsen."
            ),
            format!(
                "Attendance for {month} is on the draft invoice {n}. Delete the draft under Invoices first, then correct the attendance; the next invoicing run bills the correction."
            ),
        )
        .into()
    } else {
        RuleViolation::new(
            "month",
            format!(
                "Närvaron för {month} är fakturerad på faktura {n}. Kreditera fakturan under Fakturor först och rätta sedan närvaron; nästa fakturering ger en ny faktura med de rättade värdena."
            ),
            format!(
                "Attendance for {month} is billed on invoice {n}. Credit the invoice under Invoices first, then correct the attendance; the next invoicing run gives a new invoice with the corrected values."
            ),
        )
        .into()
    }
}

impl Scoped<'_> {
    /// The days a placement has been or is paused: not billed, and not counted in a
    /// month's working days.
    pub async fn paused_days_of_placement(
        &self,
        placement: PlacementId,
    ) -> Result<DateRangeSet, StoreError> {
        let rows: Vec<PauseRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT placement_id, start_date, end_date FROM placement_pauses \
                 WHERE tenant_id = $1 AND placement_id = $2",
            )
            .bind(self.tid())
            .bind(placement.get())
            .fetch_all(pool)
            .await?
        });
        Ok(paused_by_placement(rows)
            .remove(&placement)
            .unwrap_or_default())
    }

    /// Records a referral under an agreement in force on the referral date, within the
    /// agreement's free capacity. The referral is pending until the supplier answers.
    pub async fn insert_referral(&self, r: &NewReferral) -> Result<ReferralId, StoreError> {
        let agreement = self.get_agreement(r.agreement_id).await?;
        if !agreement.in_force_on(r.referred_on) {
            return Err(RuleViolation::new(
                "agreement_id",
                "Avtalet gäller inte på remissdatumet. Välj ett avtal som gäller.",
                "The agreement is not in force on the referral date. Choose one that is.",
            )
            .into());
        }
        self.get_participant(r.participant_id).await?;
        let id: i64 = with_tx!(self, |tx| {
            // Counted under the agreement's lock, inside the write transaction, so two
            // case workers cannot both take the last place. A placement that starts later
            // holds its place already.
            tx.lock_agreement(self.tid(), agreement.id.get()).await?;
            let used: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM placements WHERE tenant_id = $1 AND agreement_id = $2 \
                 AND (end_date IS NULL OR end_date >= $3)",
            )
            .bind(self.tid())
            .bind(agreement.id.get())
            .bind(r.referred_on)
            .fetch_one(&mut *tx)
            .await?;
            let pending: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM referrals WHERE tenant_id = $1 AND agreement_id = $2 AND status = 'pending'",
            )
            .bind(self.tid())
            .bind(agreement.id.get())
            .fetch_one(&mut *tx)
            .await?;
            if used + pending >= i64::from(agreement.capacity) {
                return Err(RuleViolation::new(
                    "agreement_id",
                    format!(
                        "Avtalet har inga lediga platser ({} av {} används). Välj ett annat avtal.",
                        used + pending,
                        agreement.capacity
                    ),
                    format!(
                        "The agreement has no free places ({} of {} in use). Choose another agreement.",
                        used + pending,
                        agreement.capacity
                    ),
                )
                .into());
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO referrals (tenant_id, participant_id, agreement_id, organisation_id, \
                 placement_type_id, reason, status, referred_on) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING id",
            )
            .bind(self.tid())
            .bind(r.participant_id.get())
            .bind(agreement.id.get())
            .bind(agreement.organisation_id.get())
            .bind(agreement.placement_type_id.get())
            .bind(r.reason.as_str())
            .bind(r.referred_on)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("referrals", id, r));
            id
        });
        Ok(ReferralId(id))
    }

    /// Records the supplier's answer to a pending referral.
    pub async fn decide_referral(
        &self,
        id: ReferralId,
        status: ReferralStatus,
        on: NaiveDate,
    ) -> Result<(), StoreError> {
        let n = with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE referrals SET status = $1, decided_on = $2 \
                 WHERE tenant_id = $3 AND id = $4 AND status = 'pending'",
            )
            .bind(status.as_str())
            .bind(on)
            .bind(self.tid())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                crate::audit_append!(
                    tx,
                    self,
                    Change::update(
                        "referrals",
                        id.get(),
                        &serde_json::json!({ "status": "pending" }),
                        &serde_json::json!({ "status": status, "decided_on": on }),
                    )
                );
            }
            n
        });
        if n == 0 {
            return Err(StoreError::NotFound {
                entity: "pending referral",
            });
        }
        Ok(())
    }

    /// The referrals of a participant, newest first.
    pub async fn referrals_of_participant(
        &self,
        participant: ParticipantId,
    ) -> Result<Vec<Referral>, StoreError> {
        let rows: Vec<ReferralRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, participant_id, agreement_id, organisation_id, placement_type_id, reason, status, \
                 referred_on, decided_on FROM referrals WHERE tenant_id = $1 AND participant_id = $2 \
                 ORDER BY referred_on DESC, id DESC",
            )
            .bind(self.tid())
            .bind(participant.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Referral::try_from).collect()
    }

    /// Starts a placement under an agreement.
    pub async fn insert_placement(&self, p: &NewPlacement) -> Result<PlacementId, StoreError> {
        if p.planned_end < p.start {
            return Err(RuleViolation::new(
                "planned_end",
                "Planerat slut kan inte vara före start.",
                "The planned end cannot be before the start.",
            )
            .into());
        }
        let agreement = self.get_agreement(p.agreement_id).await?;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO placements (tenant_id, referral_id, participant_id, agreement_id, organisation_id, \
                 start_date, planned_end, weekly_minutes, goals) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(self.tid())
            .bind(p.referral_id.map(|r| r.get()))
            .bind(p.participant_id.get())
            .bind(agreement.id.get())
            .bind(agreement.organisation_id.get())
            .bind(p.start)
            .bind(p.planned_end)
            .bind(int(p.hours_per_week.minutes()))
            .bind(p.goals.as_ref().map(|g| g.as_str()))
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("placements", id, p));
            id
        });
        Ok(PlacementId(id))
    }

    /// The placement with this id in the tenant.
    pub async fn get_placement(&self, id: PlacementId) -> Result<Placement, StoreError> {
        let row: Option<PlacementRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {PLACEMENT_COLUMNS} FROM placements WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound {
            entity: "placement",
        })?
        .try_into()
    }

    /// The placements of a participant, newest first.
    pub async fn placements_of_participant(
        &self,
        participant: ParticipantId,
    ) -> Result<Vec<Placement>, StoreError> {
        let rows: Vec<PlacementRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {PLACEMENT_COLUMNS} FROM placements WHERE tenant_id = $1 AND participant_id = $2 \
                 ORDER BY start_date DESC, id DESC"
            ))
            .bind(self.tid())
            .bind(participant.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Placement::try_from).collect()
    }

    /// Records or replaces a month's attendance while it is not approved. An approved
    /// month is locked: the municipality corrects it with [`Scoped::correct_attendance`].
    pub async fn upsert_attendance(&self, a: &AttendanceMonth) -> Result<(), StoreError> {
        let placement = self.get_placement(a.placement_id).await?;
        let paused = self.paused_days_of_placement(a.placement_id).await?;
        AttendanceMonth::check(
            a.month,
            &placement.period,
            &paused,
            a.attended_minutes,
            a.sick_days + a.leave_days + a.unexcused_days,
        )?;
        with_tx!(self, |tx| {
            let before: Option<AttendanceRow> = sqlx::query_as(
                "SELECT placement_id, month, attended_minutes, sick_days, leave_days, unexcused_days, status \
                 FROM attendance_months WHERE tenant_id = $1 AND placement_id = $2 AND month = $3",
            )
            .bind(self.tid())
            .bind(a.placement_id.get())
            .bind(a.month.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let before = before.map(AttendanceMonth::try_from).transpose()?;
            if before.as_ref().map(|b| b.status) == Some(AttendanceStatus::Approved) {
                return Err(RuleViolation::new(
                    "month",
                    format!(
                        "Närvaron för {} är godkänd och låst. Kommunen rättar den under Närvaro (Rätta).",
                        a.month
                    ),
                    format!(
                        "Attendance for {} is approved and locked. The municipality corrects it under Attendance (Correct).",
                        a.month
                    ),
                )
                .into());
            }
            sqlx::query(
                "INSERT INTO attendance_months (tenant_id, placement_id, month, attended_minutes, sick_days, \
                 leave_days, unexcused_days, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (placement_id, month) DO UPDATE SET attended_minutes = excluded.attended_minutes, \
                 sick_days = excluded.sick_days, leave_days = excluded.leave_days, \
                 unexcused_days = excluded.unexcused_days, status = excluded.status",
            )
            .bind(self.tid())
            .bind(a.placement_id.get())
            .bind(a.month.to_string())
            .bind(int(a.attended_minutes))
            .bind(int(a.sick_days))
            .bind(int(a.leave_days))
            .bind(int(a.unexcused_days))
            .bind(a.status.as_str())
            .execute(&mut *tx)
            .await?;
            let entity_id = format!("{}/{}", a.placement_id, a.month);
            let change = match &before {
                Some(b) => Change::update("attendance_months", 0, b, a),
                None => Change::create("attendance_months", 0, a),
            };
            crate::audit_append!(
                tx,
                self,
                Change {
                    entity_id: Some(entity_id),
                    ..change
                }
            );
        });
        Ok(())
    }

    /// The attendance reports of a placement, by month.
    pub async fn attendance_of_placement(
        &self,
        placement: PlacementId,
    ) -> Result<Vec<AttendanceMonth>, StoreError> {
        let rows: Vec<AttendanceRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT placement_id, month, attended_minutes, sick_days, leave_days, unexcused_days, status \
                 FROM attendance_months WHERE tenant_id = $1 AND placement_id = $2 ORDER BY month",
            )
            .bind(self.tid())
            .bind(placement.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(AttendanceMonth::try_from).collect()
    }

    /// The municipality corrects one placement-month's attendance: a month it approved
    /// (locked), or one the supplier did not report in time (added here instead). The
    /// corrected values are approved at once; the values they replace are kept in the
    /// correction's history and the audit log. Refused, naming the field: before the month
    /// has begun, for a month the placement did not run in, above what the month allows
    /// outside the placement's pauses, without a change, and while an invoice that has
    /// not been credited bills the month (credit it first; the next run for the month
    /// then bills the corrected values on a new invoice). One transaction, under the
    /// month's invoicing lock so that no run bills the old values meanwhile.
    pub async fn correct_attendance(
        &self,
        c: &AttendanceCorrection,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let placement = self.get_placement(c.placement_id).await?;
        let month = c.month;
        if stockholm_today(now) < month.first_day() {
            return Err(RuleViolation::new(
                "month",
                format!("Närvaron för {month} kan inte rättas innan månaden har börjat."),
                format!("Attendance for {month} cannot be corrected before the month has begun."),
            )
            .into());
        }
        if placement.period.days_in(month) == 0 {
            return Err(RuleViolation::new(
                "month",
                format!("Placeringen pågick inte under {month}."),
                format!("The placement did not run in {month}."),
            )
            .into());
        }
        let paused = self.paused_days_of_placement(c.placement_id).await?;
        AttendanceMonth::check(
            month,
            &placement.period,
            &paused,
            c.attended_minutes,
            c.sick_days + c.leave_days + c.unexcused_days,
        )?;
        let after = AttendanceMonth {
            placement_id: c.placement_id,
            month,
            attended_minutes: c.attended_minutes,
            sick_days: c.sick_days,
            leave_days: c.leave_days,
            unexcused_days: c.unexcused_days,
            status: AttendanceStatus::Approved,
        };
        let at = now.trunc_subsecs(6);
        let by = self.actor().label.clone();
        let id: i64 = with_tx!(self, |tx| {
            tx.lock_invoicing_month(self.tid(), month).await?;
            let invoice: Option<(i64, String, String)> = sqlx::query_as(UNCREDITED_INVOICE_SQL)
                .bind(self.tid())
                .bind(c.placement_id.get())
                .bind(month.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = invoice {
                return Err(invoiced(month, &BillingInvoice::from_row(row)?));
            }
            let before: Option<AttendanceRow> = sqlx::query_as(
                "SELECT placement_id, month, attended_minutes, sick_days, leave_days, unexcused_days, status \
                 FROM attendance_months WHERE tenant_id = $1 AND placement_id = $2 AND month = $3",
            )
            .bind(self.tid())
            .bind(c.placement_id.get())
            .bind(month.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let before = before.map(AttendanceMonth::try_from).transpose()?;
            if before.as_ref() == Some(&after) {
                return Err(RuleViolation::new(
                    "attended_hours",
                    "Värdena är desamma som de godkända. Ändra timmar eller frånvarodagar för att rätta månaden.",
                    "The values are the same as those approved. Change the hours or absence days to correct the month.",
                )
                .into());
            }
            sqlx::query(
                "INSERT INTO attendance_months (tenant_id, placement_id, month, attended_minutes, sick_days, \
                 leave_days, unexcused_days, status, approved_at, approved_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'approved', $8, $9) \
                 ON CONFLICT (placement_id, month) DO UPDATE SET attended_minutes = excluded.attended_minutes, \
                 sick_days = excluded.sick_days, leave_days = excluded.leave_days, \
                 unexcused_days = excluded.unexcused_days, status = excluded.status, \
                 approved_at = excluded.approved_at, approved_by = excluded.approved_by",
            )
            .bind(self.tid())
            .bind(c.placement_id.get())
            .bind(month.to_string())
            .bind(int(c.attended_minutes))
            .bind(int(c.sick_days))
            .bind(int(c.leave_days))
            .bind(int(c.unexcused_days))
            .bind(at)
            .bind(&by)
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO attendance_corrections (tenant_id, placement_id, month, before_status, before_minutes, \
                 before_sick_days, before_leave_days, before_unexcused_days, attended_minutes, sick_days, \
                 leave_days, unexcused_days, reason, corrected_by, corrected_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            )
            .bind(self.tid())
            .bind(c.placement_id.get())
            .bind(month.to_string())
            .bind(before.as_ref().map(|b| b.status.as_str()))
            .bind(before.as_ref().map(|b| int(b.attended_minutes)))
            .bind(before.as_ref().map(|b| int(b.sick_days)))
            .bind(before.as_ref().map(|b| int(b.leave_days)))
            .bind(before.as_ref().map(|b| int(b.unexcused_days)))
            .bind(int(c.attended_minutes))
            .bind(int(c.sick_days))
            .bind(int(c.leave_days))
            .bind(int(c.unexcused_days))
            .bind(c.reason.as_str())
            .bind(&by)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change {
                    action: "correct",
                    entity: "attendance_months",
                    entity_id: Some(format!("{}/{}", c.placement_id, month)),
                    before: before
                        .as_ref()
                        .map(|b| crate::audit::redact(serde_json::to_value(b).unwrap_or_default())),
                    after: Some(crate::audit::redact(serde_json::json!({
                        "placement_id": c.placement_id,
                        "month": month,
                        "attended_minutes": c.attended_minutes,
                        "sick_days": c.sick_days,
                        "leave_days": c.leave_days,
                        "unexcused_days": c.unexcused_days,
                        "status": AttendanceStatus::Approved,
                        "reason": c.reason,
                        "correction_id": id,
                    }))),
                }
            );
            id
        });
        Ok(id)
    }

    /// The corrections of a placement's attendance, by month, oldest first.
    pub async fn attendance_corrections(
        &self,
        placement: PlacementId,
    ) -> Result<Vec<CorrectionRecord>, StoreError> {
        let rows: Vec<CorrectionRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, placement_id, month, before_status, before_minutes, before_sick_days, \
                 before_leave_days, before_unexcused_days, attended_minutes, sick_days, leave_days, \
                 unexcused_days, reason, corrected_by, corrected_at FROM attendance_corrections \
                 WHERE tenant_id = $1 AND placement_id = $2 ORDER BY month, corrected_at, id",
            )
            .bind(self.tid())
            .bind(placement.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(CorrectionRecord::try_from).collect()
    }

    /// Ends a placement: records the exit and closes the placement's period on the exit
    /// date, in one transaction.
    pub async fn record_exit(
        &self,
        placement: PlacementId,
        exit_date: NaiveDate,
        outcome: ExitOutcome,
        evidence: Option<&Text>,
    ) -> Result<ExitId, StoreError> {
        let p = self.get_placement(placement).await?;
        Exit::check(p.period.start(), exit_date)?;
        if let Some(e) = self.exit_of_placement(placement).await? {
            return Err(RuleViolation::new(
                "exit_date",
                format!("Placeringen är redan avslutad {}.", e.exit_date),
                format!("The placement already ended on {}.", e.exit_date),
            )
            .into());
        }
        let id: i64 = with_tx!(self, |tx| {
            // A pause still open at the exit ends with it.
            sqlx::query(
                "UPDATE placement_pauses SET end_date = CASE WHEN start_date > $1 THEN start_date ELSE $1 END \
                 WHERE tenant_id = $2 AND placement_id = $3 AND end_date IS NULL",
            )
            .bind(exit_date)
            .bind(self.tid())
            .bind(placement.get())
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO exits (tenant_id, placement_id, exit_date, outcome, evidence) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(self.tid())
            .bind(placement.get())
            .bind(exit_date)
            .bind(outcome.as_str())
            .bind(evidence.map(|e| e.as_str()))
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE placements SET end_date = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(exit_date)
                .bind(self.tid())
                .bind(placement.get())
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "exits",
                    id,
                    &serde_json::json!({
                        "placement_id": placement,
                        "exit_date": exit_date,
                        "outcome": outcome,
                        "evidence": evidence,
                    })
                )
            );
            id
        });
        Ok(ExitId(id))
    }

    /// The exit of a placement, if it has ended.
    pub async fn exit_of_placement(
        &self,
        placement: PlacementId,
    ) -> Result<Option<Exit>, StoreError> {
        let row: Option<(i64, i64, NaiveDate, String, Option<String>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, placement_id, exit_date, outcome, evidence FROM exits WHERE tenant_id = $1 AND placement_id = $2",
            )
            .bind(self.tid())
            .bind(placement.get())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(id, placement_id, exit_date, outcome, evidence)| {
            const E: &str = "exit";
            Ok(Exit {
                id: ExitId(id),
                placement_id: PlacementId(placement_id),
                exit_date,
                outcome: conv(E, id, ExitOutcome::parse(&outcome))?,
                evidence: evidence.map(|e| conv(E, id, Text::parse(&e))).transpose()?,
            })
        })
        .transpose()
    }

    /// Records a follow-up of an exit; it cannot come before the exit, and each point
    /// (3, 6, 12 months) is recorded once.
    pub async fn record_follow_up(
        &self,
        exit: ExitId,
        point: FollowUpPoint,
        recorded_on: NaiveDate,
        status: FollowUpStatus,
    ) -> Result<FollowUpId, StoreError> {
        let exit_date: Option<NaiveDate> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT exit_date FROM exits WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(exit.get())
                .fetch_optional(pool)
                .await?
        });
        let exit_date = exit_date.ok_or(StoreError::NotFound { entity: "exit" })?;
        FollowUp::check(exit_date, recorded_on)?;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO follow_ups (tenant_id, exit_id, point, recorded_on, status) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(self.tid())
            .bind(exit.get())
            .bind(point.as_str())
            .bind(recorded_on)
            .bind(status.as_str())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "follow_ups",
                    id,
                    &serde_json::json!({
                        "exit_id": exit,
                        "point": point,
                        "recorded_on": recorded_on,
                        "status": status,
                    })
                )
            );
            id
        });
        Ok(FollowUpId(id))
    }
}
