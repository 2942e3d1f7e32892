//! Referrals (call-offs under a framework agreement), placements, monthly attendance,
//! exits with outcome codes, and follow-ups after exit.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{RuleViolation, Text};
use crate::calendar;
use crate::ids::{
    AgreementId, ExitId, FollowUpId, OrganisationId, ParticipantId, PlacementId, PlacementTypeId,
    ReferralId,
};
use crate::period::{DateRange, DateRangeSet, YearMonth};

crate::code_enum! {
    /// Where a referral stands. The supplier accepts or declines.
    pub enum ReferralStatus {
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
        Withdrawn = "withdrawn",
    }
}

/// A case worker's referral of a participant to a supplier under an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub id: ReferralId,
    pub participant_id: ParticipantId,
    pub agreement_id: AgreementId,
    pub organisation_id: OrganisationId,
    pub placement_type_id: PlacementTypeId,
    /// Why this placement and supplier were chosen (by ranking or by the participant's needs).
    pub reason: Text,
    pub status: ReferralStatus,
    pub referred_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
}

/// Hours per week of a placement, in minutes to stay exact (1–60 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct WeeklyMinutes(u32);

impl WeeklyMinutes {
    /// 1 to 60 hours a week, in minutes.
    pub fn new(minutes: u32) -> Result<WeeklyMinutes, RuleViolation> {
        if !(60..=60 * 60).contains(&minutes) {
            return Err(RuleViolation::new(
                "hours_per_week",
                "Timmar per vecka måste vara mellan 1 och 60.",
                "Hours per week must be between 1 and 60.",
            ));
        }
        Ok(WeeklyMinutes(minutes))
    }

    /// The minutes.
    pub fn minutes(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for WeeklyMinutes {
    type Error = RuleViolation;
    fn try_from(m: u32) -> Result<Self, Self::Error> {
        WeeklyMinutes::new(m)
    }
}

impl From<WeeklyMinutes> for u32 {
    fn from(w: WeeklyMinutes) -> u32 {
        w.0
    }
}

/// The longest goals a placement may have, in characters (set when the supplier accepts
/// the referral, changed by the case worker).
pub const GOALS_MAX_CHARS: usize = 2000;

/// A participant at a supplier over a period. The period's end is the actual end once the
/// placement has ended; until then `planned_end` says when it is expected to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub id: PlacementId,
    pub referral_id: Option<ReferralId>,
    pub participant_id: ParticipantId,
    pub agreement_id: AgreementId,
    pub period: DateRange,
    pub planned_end: NaiveDate,
    pub hours_per_week: WeeklyMinutes,
    pub goals: Option<Text>,
}

/// The most attendance a day can hold for the purpose of reporting: 10 hours.
pub const MAX_MINUTES_PER_WORKING_DAY: u32 = 10 * 60;

/// Working days of `month` inside `period` (weekdays that are not public holidays or
/// equated days).
pub fn working_days_in(month: YearMonth, period: &DateRange) -> u32 {
    working_days_unpaused(month, period, &DateRangeSet::new())
}

/// Working days of `month` inside `period` that are not in a pause: the days a
/// participant can attend, and so the basis of the month's hour limit.
pub fn working_days_unpaused(month: YearMonth, period: &DateRange, paused: &DateRangeSet) -> u32 {
    month
        .first_day()
        .iter_days()
        .take_while(|d| *d <= month.last_day())
        .filter(|d| period.contains(*d) && !paused.contains(*d) && calendar::is_working_day(*d))
        .count() as u32
}

/// The days a pause covers: from its start through the day before the placement
/// resumes (the pause's stored end is the day entered as "resumes on"), or from its
/// start on while it is open. `None` when it resumed on the day it started.
pub fn paused_days(start: NaiveDate, resumed_on: Option<NaiveDate>) -> Option<DateRange> {
    match resumed_on {
        None => DateRange::new(start, None).ok(),
        Some(resumed) => resumed
            .pred_opt()
            .and_then(|last| DateRange::new(start, Some(last)).ok()),
    }
}

/// The calendar days of `month` within `period` that fall in a pause: they are not
/// billed (see [`crate::model::invoice::derive_line`]).
pub fn paused_days_in(month: YearMonth, period: &DateRange, paused: &DateRangeSet) -> u32 {
    let Some(in_month) = period.intersection(&month.range()) else {
        return 0;
    };
    // Bounded by the month, so every intersection has a length; the set's ranges are
    // disjoint, so the sum counts each day once.
    paused
        .ranges()
        .iter()
        .filter_map(|r| r.intersection(&in_month))
        .filter_map(|r| r.len_days())
        .sum()
}

crate::code_enum! {
    /// A month's attendance report moves from draft to submitted to approved; approval
    /// locks it. Later the municipality alone corrects it, once no uncredited invoice
    /// bills it (the correction is approved at once and kept in the month's history).
    pub enum AttendanceStatus {
        Draft = "draft",
        Submitted = "submitted",
        Approved = "approved",
    }
}

/// One placement's attendance in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceMonth {
    pub placement_id: PlacementId,
    pub month: YearMonth,
    pub attended_minutes: u32,
    pub sick_days: u32,
    /// Approved leave (ledighet).
    pub leave_days: u32,
    pub unexcused_days: u32,
    pub status: AttendanceStatus,
}

impl AttendanceMonth {
    /// Attendance may not exceed 10 hours per working day of the placement in the month
    /// outside its pauses, and absence days may not exceed those working days (a paused
    /// day is neither attended nor absent).
    pub fn check(
        month: YearMonth,
        period: &DateRange,
        paused: &DateRangeSet,
        attended_minutes: u32,
        absence_days: u32,
    ) -> Result<(), RuleViolation> {
        let days = working_days_unpaused(month, period, paused);
        let paused_note = |sv: bool| match (paused_days_in(month, period, paused) > 0, sv) {
            (false, _) => "",
            (true, true) => " utanför uppehåll",
            (true, false) => " outside pauses",
        };
        let max = days * MAX_MINUTES_PER_WORKING_DAY;
        if attended_minutes > max {
            return Err(RuleViolation::new(
                "attended_hours",
                format!(
                    "{month} har {days} arbetsdagar inom placeringen{}, så högst {} timmar kan rapporteras.",
                    paused_note(true),
                    max / 60
                ),
                format!(
                    "{month} has {days} working days within the placement{}, so at most {} hours can be reported.",
                    paused_note(false),
                    max / 60
                ),
            ));
        }
        if absence_days > days {
            return Err(RuleViolation::new(
                "absence_days",
                format!(
                    "Frånvarodagarna kan vara högst {days}, antalet arbetsdagar inom placeringen{} i {month}.",
                    paused_note(true)
                ),
                format!(
                    "Absence days can be at most {days}, the working days within the placement{} in {month}.",
                    paused_note(false)
                ),
            ));
        }
        Ok(())
    }
}

crate::code_enum! {
    /// Why a placement ended, in codes that map onto the national indicator
    /// (Kolada/SKR: "deltagare som börjat arbeta eller studera").
    pub enum ExitOutcome {
        /// Employment on the regular labour market without subsidy, at least one month.
        WorkUnsubsidised = "work_unsubsidised",
        /// Subsidised employment on the regular labour market, at least one month.
        WorkSubsidised = "work_subsidised",
        /// Employment shorter than one continuous month: not counted as work.
        WorkShort = "work_short",
        /// Municipal labour-market employment (e.g. extratjänst in the municipality's own
        /// programme): not counted as work by the indicator.
        MunicipalEmployment = "municipal_employment",
        /// Studies with eligibility for study allowance (studiemedel).
        StudiesWithAllowance = "studies_with_allowance",
        /// Studies without study-allowance eligibility: not counted as studies.
        StudiesWithoutAllowance = "studies_without_allowance",
        /// Moved on to another labour-market programme.
        OtherProgramme = "other_programme",
        /// Illness or sick leave.
        Illness = "illness",
        /// Moved from the municipality.
        Moved = "moved",
        /// Parental leave.
        ParentalLeave = "parental_leave",
        /// Ended without an activity (broke off, no longer reachable).
        Interrupted = "interrupted",
        /// Any other reason.
        Other = "other",
    }
}

/// How an exit counts for the national indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorCategory {
    Work,
    Studies,
    Neither,
}

impl ExitOutcome {
    /// The indicator category of this outcome.
    pub fn indicator(self) -> IndicatorCategory {
        match self {
            ExitOutcome::WorkUnsubsidised | ExitOutcome::WorkSubsidised => IndicatorCategory::Work,
            ExitOutcome::StudiesWithAllowance => IndicatorCategory::Studies,
            _ => IndicatorCategory::Neither,
        }
    }

    /// Whether the exit counts as "began to work or study" in the national indicator.
    pub fn counts_as_work_or_studies(self) -> bool {
        self.indicator() != IndicatorCategory::Neither
    }

    /// The outcome's Swedish name.
    pub fn name_sv(self) -> &'static str {
        match self {
            ExitOutcome::WorkUnsubsidised => "Arbete utan stöd (minst en månad)",
            ExitOutcome::WorkSubsidised => "Arbete med stöd (minst en månad)",
            ExitOutcome::WorkShort => "Arbete kortare än en månad",
            ExitOutcome::MunicipalEmployment => "Kommunal arbetsmarknadsanställning",
            ExitOutcome::StudiesWithAllowance => "Studier med rätt till studiemedel",
            ExitOutcome::StudiesWithoutAllowance => "Studier utan rätt till studiemedel",
            ExitOutcome::OtherProgramme => "Annan insats",
            ExitOutcome::Illness => "Sjukdom",
            ExitOutcome::Moved => "Flytt",
            ExitOutcome::ParentalLeave => "Föräldraledighet",
            ExitOutcome::Interrupted => "Avbrott",
            ExitOutcome::Other => "Annat",
        }
    }

    /// The outcome's English name.
    pub fn name_en(self) -> &'static str {
        match self {
            ExitOutcome::WorkUnsubsidised => "Work without subsidy (at least one month)",
            ExitOutcome::WorkSubsidised => "Subsidised work (at least one month)",
            ExitOutcome::WorkShort => "Work shorter than one month",
            ExitOutcome::MunicipalEmployment => "Municipal labour-market employment",
            ExitOutcome::StudiesWithAllowance => "Studies with study allowance",
            ExitOutcome::StudiesWithoutAllowance => "Studies without study allowance",
            ExitOutcome::OtherProgramme => "Other programme",
            ExitOutcome::Illness => "Illness",
            ExitOutcome::Moved => "Moved",
            ExitOutcome::ParentalLeave => "Parental leave",
            ExitOutcome::Interrupted => "Interrupted",
            ExitOutcome::Other => "Other",
        }
    }
}

/// The end of a placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub id: ExitId,
    pub placement_id: PlacementId,
    pub exit_date: NaiveDate,
    pub outcome: ExitOutcome,
    /// What the outcome rests on (employment contract, admission letter, …).
    pub evidence: Option<Text>,
}

impl Exit {
    /// An exit cannot come before the placement started.
    pub fn check(placement_start: NaiveDate, exit_date: NaiveDate) -> Result<(), RuleViolation> {
        if exit_date < placement_start {
            return Err(RuleViolation::new(
                "exit_date",
                format!("Avslutsdatumet kan inte vara före placeringens start {placement_start}."),
                format!(
                    "The exit date cannot be before the placement started on {placement_start}."
                ),
            ));
        }
        Ok(())
    }
}

crate::code_enum! {
    /// When a follow-up is due, counted from the exit.
    pub enum FollowUpPoint {
        Months3 = "3",
        Months6 = "6",
        Months12 = "12",
    }
}

impl FollowUpPoint {
    /// Months after the exit.
    pub fn months(self) -> u32 {
        match self {
            FollowUpPoint::Months3 => 3,
            FollowUpPoint::Months6 => 6,
            FollowUpPoint::Months12 => 12,
        }
    }

    /// The day the follow-up is due for an exit on `exit_date`.
    pub fn due_on(self, exit_date: NaiveDate) -> NaiveDate {
        exit_date
            .checked_add_months(Months::new(self.months()))
            .expect("date in range")
    }
}

crate::code_enum! {
    /// A participant's situation at a follow-up.
    pub enum FollowUpStatus {
        Employed = "employed",
        SubsidisedEmployment = "subsidised_employment",
        Studying = "studying",
        InProgramme = "in_programme",
        Unemployed = "unemployed",
        OnIncomeSupport = "on_income_support",
        Unknown = "unknown",
    }
}

impl FollowUpStatus {
    /// Whether the participant was employed (with or without subsidy).
    pub fn is_employed(self) -> bool {
        matches!(
            self,
            FollowUpStatus::Employed | FollowUpStatus::SubsidisedEmployment
        )
    }
}

/// A follow-up of a participant some months after an exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub exit_id: ExitId,
    pub point: FollowUpPoint,
    pub recorded_on: NaiveDate,
    pub status: FollowUpStatus,
}

impl FollowUp {
    /// A follow-up cannot be recorded before the exit it follows.
    pub fn check(exit_date: NaiveDate, recorded_on: NaiveDate) -> Result<(), RuleViolation> {
        if recorded_on < exit_date {
            return Err(RuleViolation::new(
                "recorded_on",
                format!("Uppföljningen kan inte göras före avslutet {exit_date}."),
                format!("The follow-up cannot be recorded before the exit on {exit_date}."),
            ));
        }
        Ok(())
    }
}

/// The last day on which a month's attendance can be submitted: `deadline_day` of the
/// following month (Europe/Stockholm).
pub fn attendance_deadline(month: YearMonth, deadline_day: u32) -> NaiveDate {
    let next = month.last_day().succ_opt().expect("date in range");
    next.with_day(deadline_day.clamp(1, 28))
        .expect("days 1–28 exist in every month")
}

/// Whether a supplier can submit `month`'s attendance on `today`: from the month's first
/// day until its deadline. After the deadline only the municipality can act.
pub fn check_attendance_open(
    month: YearMonth,
    today: NaiveDate,
    deadline_day: u32,
) -> Result<(), RuleViolation> {
    if today < month.first_day() {
        return Err(RuleViolation::new(
            "month",
            format!("Närvaron för {month} kan inte rapporteras innan månaden har börjat."),
            format!("Attendance for {month} cannot be reported before the month has begun."),
        ));
    }
    let deadline = attendance_deadline(month, deadline_day);
    if today > deadline {
        return Err(RuleViolation::new(
            "month",
            format!(
                "Sista dag att rapportera närvaron för {month} var {deadline}. Kontakta kommunens samordnare."
            ),
            format!(
                "The last day to report attendance for {month} was {deadline}. Contact the municipality's coordinator."
            ),
        ));
    }
    Ok(())
}

crate::code_enum! {
    /// A note in a placement: a progress note, or a three-party meeting (participant,
    /// supplier, case worker).
    pub enum NoteKind {
        Progress = "progress",
        Meeting = "meeting",
    }
}

/// A pause must lie within the placement: not before its start, not after its end.
pub fn check_pause(placement: &DateRange, start: NaiveDate) -> Result<(), RuleViolation> {
    if start < placement.start() || placement.end().is_some_and(|e| start > e) {
        return Err(RuleViolation::new(
            "pause_start",
            format!(
                "Pausen måste börja inom placeringen ({} – {}).",
                placement.start(),
                placement.end().map(|d| d.to_string()).unwrap_or_default()
            ),
            format!(
                "The pause must start within the placement ({} – {}).",
                placement.start(),
                placement.end().map(|d| d.to_string()).unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// A planned end cannot come before the start.
pub fn check_planned_end(start: NaiveDate, planned_end: NaiveDate) -> Result<(), RuleViolation> {
    if planned_end < start {
        return Err(RuleViolation::new(
            "planned_end",
            format!("Planerat slut kan inte vara före starten {start}."),
            format!("The planned end cannot be before the start on {start}."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn indicator_counts_only_regular_work_and_eligible_studies() {
        let counted: Vec<_> = ExitOutcome::ALL
            .iter()
            .filter(|o| o.counts_as_work_or_studies())
            .map(|o| o.as_str())
            .collect();
        assert_eq!(
            counted,
            [
                "work_unsubsidised",
                "work_subsidised",
                "studies_with_allowance"
            ]
        );
        assert_eq!(
            ExitOutcome::MunicipalEmployment.indicator(),
            IndicatorCategory::Neither
        );
    }

    #[test]
    fn attendance_limits_follow_working_days() {
        // May 2024: 23 weekdays, minus 1 May and Ascension Day (9 May) = 21 working days.
        let month = YearMonth::new(2024, 5).unwrap();
        let whole = DateRange::new(d(2024, 1, 1), None).unwrap();
        assert_eq!(working_days_in(month, &whole), 21);
        let none = DateRangeSet::new();
        assert!(AttendanceMonth::check(month, &whole, &none, 21 * 600, 0).is_ok());
        assert_eq!(
            AttendanceMonth::check(month, &whole, &none, 21 * 600 + 1, 0)
                .unwrap_err()
                .field,
            "attended_hours"
        );
        assert_eq!(
            AttendanceMonth::check(month, &whole, &none, 0, 22)
                .unwrap_err()
                .field,
            "absence_days"
        );
        // A placement starting Monday 27 May has 5 working days in May.
        let late = DateRange::new(d(2024, 5, 27), None).unwrap();
        assert_eq!(working_days_in(month, &late), 5);
    }

    #[test]
    fn paused_days_are_neither_worked_nor_billed() {
        // Paused 13 May, resumed Monday 27 May: 13–26 May are paused, 10 working days
        // (Ascension Day, 9 May, is before the pause).
        let month = YearMonth::new(2024, 5).unwrap();
        let whole = DateRange::new(d(2024, 1, 1), None).unwrap();
        let pause = paused_days(d(2024, 5, 13), Some(d(2024, 5, 27))).unwrap();
        assert_eq!(
            (pause.start(), pause.end()),
            (d(2024, 5, 13), Some(d(2024, 5, 26)))
        );
        let paused: DateRangeSet = [pause].into_iter().collect();
        assert_eq!(working_days_unpaused(month, &whole, &paused), 11);
        assert_eq!(paused_days_in(month, &whole, &paused), 14);
        // The hour limit is the working days outside the pause: 11 × 10 hours.
        assert!(AttendanceMonth::check(month, &whole, &paused, 110 * 60, 0).is_ok());
        let over = AttendanceMonth::check(month, &whole, &paused, 110 * 60 + 1, 0).unwrap_err();
        assert_eq!(over.field, "attended_hours");
        assert!(
            over.sv
                .contains("11 arbetsdagar inom placeringen utanför uppehåll"),
            "{}",
            over.sv
        );
        assert_eq!(
            AttendanceMonth::check(month, &whole, &paused, 0, 12)
                .unwrap_err()
                .field,
            "absence_days"
        );
        // Resumed the day it started: no paused day. Open: every day from the start.
        assert!(paused_days(d(2024, 5, 13), Some(d(2024, 5, 13))).is_none());
        let open: DateRangeSet = paused_days(d(2024, 5, 20), None).into_iter().collect();
        assert_eq!(paused_days_in(month, &whole, &open), 12);
        assert_eq!(working_days_unpaused(month, &whole, &open), 21 - 10);
        // Only the placement's own days count: a placement ending 22 May.
        let short = DateRange::new(d(2024, 5, 1), Some(d(2024, 5, 22))).unwrap();
        assert_eq!(paused_days_in(month, &short, &open), 3);
        // A pause in another month changes nothing.
        let june: DateRangeSet = paused_days(d(2024, 6, 3), Some(d(2024, 6, 10)))
            .into_iter()
            .collect();
        assert_eq!(paused_days_in(month, &whole, &june), 0);
        assert_eq!(working_days_unpaused(month, &whole, &june), 21);
    }

    #[test]
    fn exits_and_follow_ups_keep_order() {
        assert!(Exit::check(d(2024, 3, 1), d(2024, 3, 1)).is_ok());
        assert_eq!(
            Exit::check(d(2024, 3, 1), d(2024, 2, 29))
                .unwrap_err()
                .field,
            "exit_date"
        );
        assert!(FollowUp::check(d(2024, 3, 1), d(2024, 2, 1)).is_err());
        assert_eq!(
            FollowUpPoint::Months3.due_on(d(2024, 11, 30)),
            d(2025, 2, 28)
        );
        assert_eq!(
            FollowUpPoint::Months12.due_on(d(2024, 2, 29)),
            d(2025, 2, 28)
        );
    }

    #[test]
    fn weekly_minutes_bounds() {
        assert!(WeeklyMinutes::new(59).is_err());
        assert!(WeeklyMinutes::new(60).is_ok());
        assert!(WeeklyMinutes::new(3600).is_ok());
        assert!(WeeklyMinutes::new(3601).is_err());
    }

    #[test]
    fn attendance_deadline_is_in_the_following_month() {
        let may = YearMonth::new(2024, 5).unwrap();
        assert_eq!(attendance_deadline(may, 5), d(2024, 6, 5));
        let dec = YearMonth::new(2024, 12).unwrap();
        assert_eq!(attendance_deadline(dec, 5), d(2025, 1, 5));
        assert!(check_attendance_open(may, d(2024, 4, 30), 5).is_err());
        assert!(check_attendance_open(may, d(2024, 5, 1), 5).is_ok());
        assert!(check_attendance_open(may, d(2024, 6, 5), 5).is_ok());
        let late = check_attendance_open(may, d(2024, 6, 6), 5).unwrap_err();
        assert_eq!(late.field, "month");
        assert!(late.sv.contains("2024-06-05"), "{}", late.sv);
    }

    #[test]
    fn pauses_and_planned_ends_stay_inside_the_placement() {
        let p = DateRange::new(d(2024, 3, 1), Some(d(2024, 6, 30))).unwrap();
        assert!(check_pause(&p, d(2024, 3, 1)).is_ok());
        assert!(check_pause(&p, d(2024, 2, 29)).is_err());
        assert!(check_pause(&p, d(2024, 7, 1)).is_err());
        assert!(check_planned_end(d(2024, 3, 1), d(2024, 3, 1)).is_ok());
        assert_eq!(
            check_planned_end(d(2024, 3, 1), d(2024, 2, 1))
                .unwrap_err()
                .field,
            "planned_end"
        );
    }
}
