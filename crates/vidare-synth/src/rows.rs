//! The rows a municipality is made of, one struct per table, with ids local to the
//! municipality (from 1). [`Bases`] turns them into database ids when loading (local id
//! plus the table's base); the content hash uses the local ids, so it does not depend
//! on what the database already held.

use chrono::{DateTime, NaiveDate, Utc};
use vidare_domain::model::organisation::LegalForm;
use vidare_domain::model::participant::Covariates;
use vidare_domain::model::placement::{ExitOutcome, FollowUpPoint, FollowUpStatus};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_store::bulk::Value;

use crate::names::{TypeIndex, PLACEMENT_TYPES};

/// Every table the generator writes, in load order (parents before children).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Organisations,
    PlacementTypes,
    ProcurementRounds,
    Lots,
    AwardCriteria,
    Bids,
    BidLots,
    Qualifications,
    Scores,
    AwardDecisions,
    AwardResults,
    FrameworkAgreements,
    Participants,
    RegisterOutcomes,
    Referrals,
    Placements,
    AttendanceMonths,
    Exits,
    FollowUps,
    Invoices,
    InvoiceLines,
    RoundInvitations,
    InformationMeetings,
    MeetingRegistrations,
}

impl Table {
    /// Every table in load order.
    pub const ALL: [Table; 24] = [
        Table::Organisations,
        Table::PlacementTypes,
        Table::ProcurementRounds,
        Table::Lots,
        Table::AwardCriteria,
        Table::Bids,
        Table::BidLots,
        Table::Qualifications,
        Table::Scores,
        Table::AwardDecisions,
        Table::AwardResults,
        Table::FrameworkAgreements,
        Table::Participants,
        Table::RegisterOutcomes,
        Table::Referrals,
        Table::Placements,
        Table::AttendanceMonths,
        Table::Exits,
        Table::FollowUps,
        Table::Invoices,
        Table::InvoiceLines,
        Table::RoundInvitations,
        Table::InformationMeetings,
        Table::MeetingRegistrations,
    ];

    /// The table's name in the schema.
    pub fn name(self) -> &'static str {
        match self {
            Table::Organisations => "organisations",
            Table::PlacementTypes => "placement_types",
            Table::ProcurementRounds => "procurement_rounds",
            Table::Lots => "lots",
            Table::AwardCriteria => "award_criteria",
            Table::Bids => "bids",
            Table::BidLots => "bid_lots",
            Table::Qualifications => "qualifications",
            Table::Scores => "scores",
            Table::AwardDecisions => "award_decisions",
            Table::AwardResults => "award_results",
            Table::FrameworkAgreements => "framework_agreements",
            Table::Participants => "participants",
            Table::RegisterOutcomes => "register_outcomes",
            Table::Referrals => "referrals",
            Table::Placements => "placements",
            Table::AttendanceMonths => "attendance_months",
            Table::Exits => "exits",
            Table::FollowUps => "follow_ups",
            Table::Invoices => "invoices",
            Table::InvoiceLines => "invoice_lines",
            Table::RoundInvitations => "round_invitations",
            Table::InformationMeetings => "information_meetings",
            Table::MeetingRegistrations => "meeting_registrations",
        }
    }

    /// Whether the table has an `id` column of its own.
    pub fn has_id(self) -> bool {
        !matches!(
            self,
            Table::BidLots
                | Table::Qualifications
                | Table::Scores
                | Table::AwardResults
                | Table::RegisterOutcomes
                | Table::AttendanceMonths
        )
    }

    /// The tables with an `id` column.
    pub fn with_ids() -> Vec<Table> {
        Table::ALL.into_iter().filter(|t| t.has_id()).collect()
    }
}

/// What to add to local ids to get database ids, per table, and the tenant's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bases {
    pub tenant: i64,
    ids: [i64; 24],
}

impl Bases {
    /// Local ids as they are: what the content hash is computed over.
    pub const LOCAL: Bases = Bases {
        tenant: 0,
        ids: [0; 24],
    };

    /// Bases for a tenant.
    pub fn new(tenant: i64) -> Bases {
        Bases {
            tenant,
            ids: [0; 24],
        }
    }

    /// The base of a table.
    pub fn get(&self, t: Table) -> i64 {
        self.ids[t as usize]
    }

    /// Sets the base of a table.
    pub fn set(&mut self, t: Table, base: i64) {
        self.ids[t as usize] = base;
    }

    /// The database id of a local id.
    pub fn id(&self, t: Table, local: u32) -> i64 {
        self.ids[t as usize] + i64::from(local)
    }

    fn opt(&self, t: Table, local: Option<u32>) -> Option<i64> {
        local.map(|l| self.id(t, l))
    }
}

/// A row of one table.
pub trait Row: Send + Sync {
    /// Its table.
    const TABLE: Table;
    /// The columns, in the order [`Row::values`] writes them.
    const COLUMNS: &'static [&'static str];
    /// The row's values, ids translated by `b`.
    fn values<'a>(&'a self, b: &Bases, out: &mut Vec<Value<'a>>);
}

fn month_str(m: &[u8; 7]) -> &str {
    std::str::from_utf8(m).expect("ASCII month")
}

/// `YYYY-MM` as stored.
pub fn month_text(year: i32, month: u32) -> [u8; 7] {
    let y = year as u32;
    [
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (month / 10) as u8,
        b'0' + (month % 10) as u8,
    ]
}

macro_rules! row {
    ($ty:ident, $table:ident, [$($col:literal),* $(,)?], |$s:ident, $b:ident| [$($v:expr),* $(,)?]) => {
        impl Row for $ty {
            const TABLE: Table = Table::$table;
            const COLUMNS: &'static [&'static str] = &[$($col),*];
            fn values<'a>(&'a self, $b: &Bases, out: &mut Vec<Value<'a>>) {
                let $s = self;
                out.extend([$($v),*]);
            }
        }
    };
}

/// A supplier organisation.
#[derive(Debug, Clone)]
pub struct OrganisationRow {
    pub id: u32,
    pub org_number: String,
    pub name: String,
    pub legal_form: LegalForm,
    pub idea_driven: bool,
    pub in_register: bool,
    pub headcount_total: u32,
    pub headcount_target: u32,
    pub turnover_ore: i64,
    pub email: String,
}

row!(
    OrganisationRow,
    Organisations,
    [
        "id",
        "tenant_id",
        "org_number",
        "name",
        "legal_form",
        "idea_driven",
        "in_idea_driven_register",
        "headcount_total",
        "headcount_target_groups",
        "annual_turnover_ore",
        "email",
        "synthetic"
    ],
    |s, b| [
        Value::Int(b.id(Table::Organisations, s.id)),
        Value::Int(b.tenant),
        Value::Text(&s.org_number),
        Value::Text(&s.name),
        Value::Text(s.legal_form.as_str()),
        Value::Bool(s.idea_driven),
        Value::Bool(s.in_register),
        Value::NullableInt(Some(i64::from(s.headcount_total))),
        Value::NullableInt(Some(i64::from(s.headcount_target))),
        Value::NullableInt(Some(s.turnover_ore)),
        Value::NullableText(Some(&s.email)),
        Value::Bool(true),
    ]
);

/// A placement type (local id = index + 1).
#[derive(Debug, Clone)]
pub struct PlacementTypeRow {
    pub index: TypeIndex,
}

row!(
    PlacementTypeRow,
    PlacementTypes,
    ["id", "tenant_id", "code", "name_sv", "name_en"],
    |s, b| [
        Value::Int(b.id(Table::PlacementTypes, s.index as u32 + 1)),
        Value::Int(b.tenant),
        Value::Text(PLACEMENT_TYPES[s.index].0),
        Value::Text(PLACEMENT_TYPES[s.index].1),
        Value::Text(PLACEMENT_TYPES[s.index].2),
    ]
);

/// A procurement round.
#[derive(Debug, Clone)]
pub struct RoundRow {
    pub id: u32,
    pub title: String,
    pub reference: String,
    pub cpv_codes: &'static str,
    pub estimated_value_ore: i64,
    pub contract_start: NaiveDate,
    pub initial_months: u32,
    pub option_months: u32,
    pub tender_deadline_local: Option<String>,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
}

row!(
    RoundRow,
    ProcurementRounds,
    [
        "id",
        "tenant_id",
        "title",
        "reference",
        "legal_basis",
        "contract_kind",
        "cpv_codes",
        "estimated_value_ore",
        "contract_start",
        "initial_months",
        "option_months",
        "tender_deadline_local",
        "status",
        "synthetic",
        "created_at"
    ],
    |s, b| [
        Value::Int(b.id(Table::ProcurementRounds, s.id)),
        Value::Int(b.tenant),
        Value::Text(&s.title),
        Value::NullableText(Some(&s.reference)),
        Value::Text("reserved_integration"),
        Value::Text("social_services"),
        Value::Text(s.cpv_codes),
        Value::Int(s.estimated_value_ore),
        Value::Date(s.contract_start),
        Value::Int(i64::from(s.initial_months)),
        Value::Int(i64::from(s.option_months)),
        Value::NullableText(s.tender_deadline_local.as_deref()),
        Value::Text(s.status),
        Value::Bool(true),
        Value::Timestamp(s.created_at),
    ]
);

/// A lot of a round.
#[derive(Debug, Clone)]
pub struct LotRow {
    pub id: u32,
    pub round_id: u32,
    pub number: u32,
    pub type_index: TypeIndex,
    pub places: u32,
    pub max_price_ore: i64,
}

row!(
    LotRow,
    Lots,
    [
        "id",
        "tenant_id",
        "round_id",
        "number",
        "placement_type_id",
        "title",
        "description",
        "places",
        "max_price_per_month_ore",
        "reserved"
    ],
    |s, b| [
        Value::Int(b.id(Table::Lots, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::ProcurementRounds, s.round_id)),
        Value::Int(i64::from(s.number)),
        Value::Int(b.id(Table::PlacementTypes, s.type_index as u32 + 1)),
        Value::Text(PLACEMENT_TYPES[s.type_index].1),
        Value::NullableText(None),
        Value::Int(i64::from(s.places)),
        Value::Int(s.max_price_ore),
        Value::Bool(true),
    ]
);

/// An award criterion.
#[derive(Debug, Clone)]
pub struct CriterionRow {
    pub id: u32,
    pub round_id: u32,
    pub price: bool,
    pub weight: u32,
}

row!(
    CriterionRow,
    AwardCriteria,
    [
        "id",
        "tenant_id",
        "round_id",
        "kind",
        "name",
        "weight_percent"
    ],
    |s, b| [
        Value::Int(b.id(Table::AwardCriteria, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::ProcurementRounds, s.round_id)),
        Value::Text(if s.price { "price" } else { "quality" }),
        Value::Text(if s.price {
            "Pris per platsmånad"
        } else {
            "Kvalitet: handledning och individuell plan"
        }),
        Value::Int(i64::from(s.weight)),
    ]
);

/// A supplier's tender.
#[derive(Debug, Clone)]
pub struct BidRow {
    pub id: u32,
    pub round_id: u32,
    pub organisation_id: u32,
    pub submitted_at: DateTime<Utc>,
    pub purpose_statement: &'static str,
    pub headcount_total: u32,
    pub headcount_target: u32,
}

row!(
    BidRow,
    Bids,
    [
        "id",
        "tenant_id",
        "round_id",
        "organisation_id",
        "status",
        "submitted_at",
        "purpose_statement",
        "headcount_total",
        "headcount_target_groups"
    ],
    |s, b| [
        Value::Int(b.id(Table::Bids, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::ProcurementRounds, s.round_id)),
        Value::Int(b.id(Table::Organisations, s.organisation_id)),
        Value::Text("submitted"),
        Value::Timestamp(s.submitted_at),
        Value::NullableText(Some(s.purpose_statement)),
        Value::NullableInt(Some(i64::from(s.headcount_total))),
        Value::NullableInt(Some(i64::from(s.headcount_target))),
    ]
);

/// A tender's offer for one lot.
#[derive(Debug, Clone)]
pub struct BidLotRow {
    pub bid_id: u32,
    pub lot_id: u32,
    pub price_ore: i64,
    pub capacity: u32,
    pub quality_answer: &'static str,
}

row!(
    BidLotRow,
    BidLots,
    [
        "tenant_id",
        "bid_id",
        "lot_id",
        "price_per_month_ore",
        "capacity",
        "quality_answer"
    ],
    |s, b| [
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Bids, s.bid_id)),
        Value::Int(b.id(Table::Lots, s.lot_id)),
        Value::Int(s.price_ore),
        Value::Int(i64::from(s.capacity)),
        Value::NullableText(Some(s.quality_answer)),
    ]
);

/// Qualification of a tender.
#[derive(Debug, Clone)]
pub struct QualificationRow {
    pub bid_id: u32,
    pub purpose_pass: bool,
    pub share_pass: bool,
    pub notes: Option<String>,
}

fn pass(b: bool) -> &'static str {
    if b {
        "pass"
    } else {
        "fail"
    }
}

row!(
    QualificationRow,
    Qualifications,
    ["tenant_id", "bid_id", "purpose_test", "share_test", "notes"],
    |s, b| [
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Bids, s.bid_id)),
        Value::Text(pass(s.purpose_pass)),
        Value::Text(pass(s.share_pass)),
        Value::NullableText(s.notes.as_deref()),
    ]
);

/// A score of one tender's lot on one criterion.
#[derive(Debug, Clone)]
pub struct ScoreRow {
    pub bid_id: u32,
    pub lot_id: u32,
    pub criterion_id: u32,
    pub score: u32,
}

row!(
    ScoreRow,
    Scores,
    ["tenant_id", "bid_id", "lot_id", "criterion_id", "score"],
    |s, b| [
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Bids, s.bid_id)),
        Value::Int(b.id(Table::Lots, s.lot_id)),
        Value::Int(b.id(Table::AwardCriteria, s.criterion_id)),
        Value::Int(i64::from(s.score)),
    ]
);

/// The award decision.
#[derive(Debug, Clone)]
pub struct AwardDecisionRow {
    pub id: u32,
    pub round_id: u32,
    pub decided_on: NaiveDate,
    pub sent_on: NaiveDate,
}

row!(
    AwardDecisionRow,
    AwardDecisions,
    [
        "id",
        "tenant_id",
        "round_id",
        "decided_on",
        "sent_on",
        "delivery"
    ],
    |s, b| [
        Value::Int(b.id(Table::AwardDecisions, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::ProcurementRounds, s.round_id)),
        Value::Date(s.decided_on),
        Value::Date(s.sent_on),
        Value::Text("electronic"),
    ]
);

/// The award decision's result for one lot and tender: the rank and weighted total
/// (hundredths of a point) of a qualified tender, which got a place in the framework;
/// an unqualified tender is not ranked.
#[derive(Debug, Clone)]
pub struct AwardResultRow {
    pub decision_id: u32,
    pub lot_id: u32,
    pub bid_id: u32,
    pub rank: Option<u32>,
    pub total_centi: Option<u32>,
    pub awarded: bool,
    /// `ranked` or `not_qualified`, as the award workflow writes them.
    pub reason: &'static str,
}

row!(
    AwardResultRow,
    AwardResults,
    [
        "tenant_id",
        "decision_id",
        "lot_id",
        "bid_id",
        "rank",
        "total_centi",
        "awarded",
        "reason"
    ],
    |s, b| [
        Value::Int(b.tenant),
        Value::Int(b.id(Table::AwardDecisions, s.decision_id)),
        Value::Int(b.id(Table::Lots, s.lot_id)),
        Value::Int(b.id(Table::Bids, s.bid_id)),
        Value::NullableInt(s.rank.map(i64::from)),
        Value::NullableInt(s.total_centi.map(i64::from)),
        Value::Bool(s.awarded),
        Value::Text(s.reason),
    ]
);

/// A framework agreement (old way: no round or lot).
#[derive(Debug, Clone)]
pub struct AgreementRow {
    pub id: u32,
    pub round_id: Option<u32>,
    pub lot_id: Option<u32>,
    pub organisation_id: u32,
    pub type_index: TypeIndex,
    pub capacity: u32,
    pub price_ore: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub rank: Option<u32>,
    pub absence_rule: AbsenceRule,
    pub signed_on: NaiveDate,
}

row!(
    AgreementRow,
    FrameworkAgreements,
    [
        "id",
        "tenant_id",
        "round_id",
        "lot_id",
        "organisation_id",
        "placement_type_id",
        "capacity",
        "price_per_month_ore",
        "start_date",
        "end_date",
        "rank",
        "absence_rule",
        "signed_on"
    ],
    |s, b| [
        Value::Int(b.id(Table::FrameworkAgreements, s.id)),
        Value::Int(b.tenant),
        Value::NullableInt(b.opt(Table::ProcurementRounds, s.round_id)),
        Value::NullableInt(b.opt(Table::Lots, s.lot_id)),
        Value::Int(b.id(Table::Organisations, s.organisation_id)),
        Value::Int(b.id(Table::PlacementTypes, s.type_index as u32 + 1)),
        Value::Int(i64::from(s.capacity)),
        Value::Int(s.price_ore),
        Value::Date(s.start),
        Value::NullableDate(Some(s.end)),
        Value::NullableInt(s.rank.map(i64::from)),
        Value::Text(s.absence_rule.as_str()),
        Value::NullableDate(Some(s.signed_on)),
    ]
);

/// A registered participant (placed or in the comparison pool).
#[derive(Debug, Clone)]
pub struct ParticipantRow {
    pub id: u32,
    pub personal_number: String,
    pub first_name: &'static str,
    pub last_name: String,
    pub covariates: Covariates,
    pub registered_on: NaiveDate,
}

row!(
    ParticipantRow,
    Participants,
    [
        "id",
        "tenant_id",
        "personal_number",
        "first_name",
        "last_name",
        "gender",
        "born_abroad",
        "education",
        "months_on_income_support",
        "health_limitation",
        "swedish_level",
        "prior_work_experience",
        "synthetic",
        "registered_on"
    ],
    |s, b| [
        Value::Int(b.id(Table::Participants, s.id)),
        Value::Int(b.tenant),
        Value::Text(&s.personal_number),
        Value::Text(s.first_name),
        Value::Text(&s.last_name),
        Value::Text(s.covariates.gender.as_str()),
        Value::Bool(s.covariates.born_abroad),
        Value::Text(s.covariates.education.as_str()),
        Value::Int(i64::from(s.covariates.months_on_income_support)),
        Value::Bool(s.covariates.health_limitation),
        Value::Text(s.covariates.swedish_level.as_str()),
        Value::Bool(s.covariates.prior_work_experience),
        Value::Bool(true),
        Value::NullableDate(Some(s.registered_on)),
    ]
);

/// What the register shows about a participant's start of work or studies.
#[derive(Debug, Clone)]
pub struct RegisterOutcomeRow {
    pub participant_id: u32,
    pub began: Option<(NaiveDate, ExitOutcome)>,
    pub observed_until: NaiveDate,
}

row!(
    RegisterOutcomeRow,
    RegisterOutcomes,
    [
        "tenant_id",
        "participant_id",
        "began_on",
        "activity",
        "observed_until"
    ],
    |s, b| [
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Participants, s.participant_id)),
        Value::NullableDate(s.began.map(|(d, _)| d)),
        Value::NullableText(s.began.map(|(_, a)| a.as_str())),
        Value::Date(s.observed_until),
    ]
);

/// A referral (call-off).
#[derive(Debug, Clone)]
pub struct ReferralRow {
    pub id: u32,
    pub participant_id: u32,
    pub agreement_id: u32,
    pub organisation_id: u32,
    pub type_index: TypeIndex,
    pub reason: &'static str,
    pub accepted: bool,
    pub referred_on: NaiveDate,
    pub decided_on: NaiveDate,
}

row!(
    ReferralRow,
    Referrals,
    [
        "id",
        "tenant_id",
        "participant_id",
        "agreement_id",
        "organisation_id",
        "placement_type_id",
        "reason",
        "status",
        "referred_on",
        "decided_on"
    ],
    |s, b| [
        Value::Int(b.id(Table::Referrals, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Participants, s.participant_id)),
        Value::Int(b.id(Table::FrameworkAgreements, s.agreement_id)),
        Value::Int(b.id(Table::Organisations, s.organisation_id)),
        Value::Int(b.id(Table::PlacementTypes, s.type_index as u32 + 1)),
        Value::Text(s.reason),
        Value::Text(if s.accepted { "accepted" } else { "declined" }),
        Value::Date(s.referred_on),
        Value::NullableDate(Some(s.decided_on)),
    ]
);

/// A placement.
#[derive(Debug, Clone)]
pub struct PlacementRow {
    pub id: u32,
    pub referral_id: u32,
    pub participant_id: u32,
    pub agreement_id: u32,
    pub organisation_id: u32,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub planned_end: NaiveDate,
    pub weekly_minutes: u32,
    pub goals: &'static str,
}

row!(
    PlacementRow,
    Placements,
    [
        "id",
        "tenant_id",
        "referral_id",
        "participant_id",
        "agreement_id",
        "organisation_id",
        "start_date",
        "end_date",
        "planned_end",
        "weekly_minutes",
        "goals"
    ],
    |s, b| [
        Value::Int(b.id(Table::Placements, s.id)),
        Value::Int(b.tenant),
        Value::NullableInt(Some(b.id(Table::Referrals, s.referral_id))),
        Value::Int(b.id(Table::Participants, s.participant_id)),
        Value::Int(b.id(Table::FrameworkAgreements, s.agreement_id)),
        Value::Int(b.id(Table::Organisations, s.organisation_id)),
        Value::Date(s.start),
        Value::NullableDate(s.end),
        Value::Date(s.planned_end),
        Value::Int(i64::from(s.weekly_minutes)),
        Value::NullableText(Some(s.goals)),
    ]
);

/// One placement's attendance in one month.
#[derive(Debug, Clone)]
pub struct AttendanceRow {
    pub placement_id: u32,
    pub month: [u8; 7],
    pub attended_minutes: u32,
    pub sick_days: u8,
    pub leave_days: u8,
    pub unexcused_days: u8,
    pub approved: bool,
}

row!(
    AttendanceRow,
    AttendanceMonths,
    [
        "tenant_id",
        "placement_id",
        "month",
        "attended_minutes",
        "sick_days",
        "leave_days",
        "unexcused_days",
        "status"
    ],
    |s, b| [
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Placements, s.placement_id)),
        Value::Text(month_str(&s.month)),
        Value::Int(i64::from(s.attended_minutes)),
        Value::Int(i64::from(s.sick_days)),
        Value::Int(i64::from(s.leave_days)),
        Value::Int(i64::from(s.unexcused_days)),
        Value::Text(if s.approved { "approved" } else { "submitted" }),
    ]
);

/// An exit from a placement.
#[derive(Debug, Clone)]
pub struct ExitRow {
    pub id: u32,
    pub placement_id: u32,
    pub exit_date: NaiveDate,
    pub outcome: ExitOutcome,
}

fn evidence(o: ExitOutcome) -> Option<&'static str> {
    match o {
        ExitOutcome::WorkUnsubsidised | ExitOutcome::WorkSubsidised => Some("Anställningsavtal"),
        ExitOutcome::StudiesWithAllowance => Some("Antagningsbesked och beslut om studiemedel"),
        _ => None,
    }
}

row!(
    ExitRow,
    Exits,
    [
        "id",
        "tenant_id",
        "placement_id",
        "exit_date",
        "outcome",
        "evidence"
    ],
    |s, b| [
        Value::Int(b.id(Table::Exits, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Placements, s.placement_id)),
        Value::Date(s.exit_date),
        Value::Text(s.outcome.as_str()),
        Value::NullableText(evidence(s.outcome)),
    ]
);

/// A follow-up after an exit.
#[derive(Debug, Clone)]
pub struct FollowUpRow {
    pub id: u32,
    pub exit_id: u32,
    pub point: FollowUpPoint,
    pub recorded_on: NaiveDate,
    pub status: FollowUpStatus,
}

row!(
    FollowUpRow,
    FollowUps,
    [
        "id",
        "tenant_id",
        "exit_id",
        "point",
        "recorded_on",
        "status"
    ],
    |s, b| [
        Value::Int(b.id(Table::FollowUps, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Exits, s.exit_id)),
        Value::Text(s.point.as_str()),
        Value::Date(s.recorded_on),
        Value::Text(s.status.as_str()),
    ]
);

/// A supplier's monthly invoice.
#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub id: u32,
    pub organisation_id: u32,
    pub month: [u8; 7],
    pub number: String,
    pub paid: bool,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub total_ore: i64,
}

row!(
    InvoiceRow,
    Invoices,
    [
        "id",
        "tenant_id",
        "organisation_id",
        "month",
        "number",
        "kind",
        "corrects",
        "status",
        "issue_date",
        "due_date",
        "total_ore"
    ],
    |s, b| [
        Value::Int(b.id(Table::Invoices, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Organisations, s.organisation_id)),
        Value::Text(month_str(&s.month)),
        Value::Text(&s.number),
        Value::Text("invoice"),
        Value::NullableInt(None),
        Value::Text(if s.paid { "paid" } else { "sent" }),
        Value::Date(s.issue_date),
        Value::Date(s.due_date),
        Value::Int(s.total_ore),
    ]
);

/// One placement's line on a monthly invoice.
#[derive(Debug, Clone)]
pub struct InvoiceLineRow {
    pub id: u32,
    pub invoice_id: u32,
    pub placement_id: u32,
    pub agreement_id: u32,
    pub type_index: TypeIndex,
    pub paid_days: u8,
    pub month_days: u8,
    pub price_ore: i64,
    pub amount_ore: i64,
}

row!(
    InvoiceLineRow,
    InvoiceLines,
    [
        "id",
        "tenant_id",
        "invoice_id",
        "placement_id",
        "agreement_id",
        "description",
        "paid_days",
        "month_days",
        "price_per_month_ore",
        "amount_ore"
    ],
    |s, b| [
        Value::Int(b.id(Table::InvoiceLines, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::Invoices, s.invoice_id)),
        Value::Int(b.id(Table::Placements, s.placement_id)),
        Value::Int(b.id(Table::FrameworkAgreements, s.agreement_id)),
        Value::Text(PLACEMENT_TYPES[s.type_index].1),
        Value::Int(i64::from(s.paid_days)),
        Value::Int(i64::from(s.month_days)),
        Value::Int(s.price_ore),
        Value::Int(s.amount_ore),
    ]
);

/// A letter inviting a potential supplier to the next round's information meeting.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub id: u32,
    pub round_id: u32,
    pub organisation_id: Option<u32>,
    pub recipient_name: String,
    pub email: String,
    pub sent_on: NaiveDate,
}

row!(
    InvitationRow,
    RoundInvitations,
    [
        "id",
        "tenant_id",
        "round_id",
        "organisation_id",
        "recipient_name",
        "email",
        "sent_on"
    ],
    |s, b| [
        Value::Int(b.id(Table::RoundInvitations, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::ProcurementRounds, s.round_id)),
        Value::NullableInt(b.opt(Table::Organisations, s.organisation_id)),
        Value::Text(&s.recipient_name),
        Value::NullableText(Some(&s.email)),
        Value::Date(s.sent_on),
    ]
);

/// An information meeting for a round.
#[derive(Debug, Clone)]
pub struct MeetingRow {
    pub id: u32,
    pub round_id: u32,
    pub starts_at_local: String,
    pub place: String,
    pub capacity: u32,
}

row!(
    MeetingRow,
    InformationMeetings,
    [
        "id",
        "tenant_id",
        "round_id",
        "starts_at_local",
        "place",
        "capacity"
    ],
    |s, b| [
        Value::Int(b.id(Table::InformationMeetings, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::ProcurementRounds, s.round_id)),
        Value::Text(&s.starts_at_local),
        Value::Text(&s.place),
        Value::NullableInt(Some(i64::from(s.capacity))),
    ]
);

/// A registration for an information meeting.
#[derive(Debug, Clone)]
pub struct RegistrationRow {
    pub id: u32,
    pub meeting_id: u32,
    pub invitation_id: u32,
    pub organisation_name: String,
    pub attendees: u32,
    pub registered_on: NaiveDate,
}

row!(
    RegistrationRow,
    MeetingRegistrations,
    [
        "id",
        "tenant_id",
        "meeting_id",
        "invitation_id",
        "organisation_name",
        "attendees",
        "registered_on"
    ],
    |s, b| [
        Value::Int(b.id(Table::MeetingRegistrations, s.id)),
        Value::Int(b.tenant),
        Value::Int(b.id(Table::InformationMeetings, s.meeting_id)),
        Value::NullableInt(Some(b.id(Table::RoundInvitations, s.invitation_id))),
        Value::Text(&s.organisation_name),
        Value::Int(i64::from(s.attendees)),
        Value::Date(s.registered_on),
    ]
);

/// Every row of one municipality, by table.
#[derive(Debug, Default)]
pub struct Tables {
    pub organisations: Vec<OrganisationRow>,
    pub placement_types: Vec<PlacementTypeRow>,
    pub rounds: Vec<RoundRow>,
    pub lots: Vec<LotRow>,
    pub criteria: Vec<CriterionRow>,
    pub bids: Vec<BidRow>,
    pub bid_lots: Vec<BidLotRow>,
    pub qualifications: Vec<QualificationRow>,
    pub scores: Vec<ScoreRow>,
    pub award_decisions: Vec<AwardDecisionRow>,
    pub award_results: Vec<AwardResultRow>,
    pub agreements: Vec<AgreementRow>,
    pub participants: Vec<ParticipantRow>,
    pub register_outcomes: Vec<RegisterOutcomeRow>,
    pub referrals: Vec<ReferralRow>,
    pub placements: Vec<PlacementRow>,
    pub attendance: Vec<AttendanceRow>,
    pub exits: Vec<ExitRow>,
    pub follow_ups: Vec<FollowUpRow>,
    pub invoices: Vec<InvoiceRow>,
    pub invoice_lines: Vec<InvoiceLineRow>,
    pub invitations: Vec<InvitationRow>,
    pub meetings: Vec<MeetingRow>,
    pub registrations: Vec<RegistrationRow>,
}

/// Something that takes the tables one at a time, in load order.
pub trait TableVisitor {
    /// Called once per table.
    fn visit<R: Row>(&mut self, rows: &[R]);
}

impl Tables {
    /// Calls `v` for every table in load order.
    pub fn visit<V: TableVisitor>(&self, v: &mut V) {
        v.visit(&self.organisations);
        v.visit(&self.placement_types);
        v.visit(&self.rounds);
        v.visit(&self.lots);
        v.visit(&self.criteria);
        v.visit(&self.bids);
        v.visit(&self.bid_lots);
        v.visit(&self.qualifications);
        v.visit(&self.scores);
        v.visit(&self.award_decisions);
        v.visit(&self.award_results);
        v.visit(&self.agreements);
        v.visit(&self.participants);
        v.visit(&self.register_outcomes);
        v.visit(&self.referrals);
        v.visit(&self.placements);
        v.visit(&self.attendance);
        v.visit(&self.exits);
        v.visit(&self.follow_ups);
        v.visit(&self.invoices);
        v.visit(&self.invoice_lines);
        v.visit(&self.invitations);
        v.visit(&self.meetings);
        v.visit(&self.registrations);
    }

    /// Rows per table, in [`Table::ALL`] order.
    pub fn counts(&self) -> [u64; 24] {
        struct Count([u64; 24]);
        impl TableVisitor for Count {
            fn visit<R: Row>(&mut self, rows: &[R]) {
                self.0[R::TABLE as usize] = rows.len() as u64;
            }
        }
        let mut c = Count([0; 24]);
        self.visit(&mut c);
        c.0
    }
}
