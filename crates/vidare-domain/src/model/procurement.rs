//! Reserved procurement: placement types, rounds with lots, tenders, qualification and
//! evaluation, the award decision with its standstill, and framework agreements.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::organisation::Headcount;
use super::{RuleViolation, Slug, Text};
use crate::calendar::{self, DecisionDelivery};
use crate::deadline::Deadline;
use crate::ids::{
    AgreementId, AwardDecisionId, BidId, CriterionId, LotId, OrganisationId, PlacementTypeId,
    RoundId, TenantId,
};
use crate::money::Money;
use crate::period::DateRange;

/// A kind of placement (sysselsättningsplats) — carpentry, café and kitchen, gardening —
/// offered by suppliers and needed by participants. Lots are per placement type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementType {
    pub id: PlacementTypeId,
    pub tenant_id: TenantId,
    /// Stable short code (`carpentry`).
    pub code: Slug,
    pub name_sv: Text,
    pub name_en: Text,
}

crate::code_enum! {
    /// The legal ground a round rests on.
    pub enum LegalBasis {
        /// Reserved for suppliers whose main purpose is social and professional integration
        /// (LOU 4 kap. 18 §, directive 2014/24/EU art. 20).
        ReservedIntegration = "reserved_integration",
        /// Reserved for registered idea-driven organisations for certain social services
        /// (LOU 19 kap. 25 a §).
        ReservedIdeaDriven = "reserved_idea_driven",
        /// Not reserved: an ordinary procurement, kept for comparison with earlier rounds.
        NotReserved = "not_reserved",
    }
}

impl LegalBasis {
    /// Whether participation is reserved (OCDS `reservedParticipation`).
    pub fn is_reserved(self) -> bool {
        !matches!(self, LegalBasis::NotReserved)
    }
}

crate::code_enum! {
    /// Which threshold applies to a round's estimated value.
    pub enum ContractKind {
        /// Ordinary services.
        Services = "services",
        /// Social and other specific services (LOU bilaga 2).
        SocialServices = "social_services",
    }
}

/// The EU thresholds for municipalities, 2024–2025 (Konkurrensverket), excluding VAT.
pub mod thresholds {
    use crate::money::Money;

    /// Services: 2 389 585 kr.
    pub const SERVICES: Money = Money::from_ore(238_958_500);
    /// Social and other specific services (bilaga 2): 8 109 450 kr.
    pub const SOCIAL_SERVICES: Money = Money::from_ore(810_945_000);
    /// Direct award limit: 700 000 kr.
    pub const DIRECT_AWARD: Money = Money::from_ore(70_000_000);
}

/// Where an estimated contract value falls against the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdPosition {
    /// At most the direct award limit.
    DirectAwardPossible,
    /// Below the EU threshold: national rules (LOU 19 kap.).
    BelowThreshold,
    /// At or above the EU threshold: advertised in TED as well.
    AboveThreshold,
}

/// Places an estimated value (whole term including options, excluding VAT) against the
/// thresholds for the kind of contract.
pub fn threshold_position(value: Money, kind: ContractKind) -> ThresholdPosition {
    let threshold = match kind {
        ContractKind::Services => thresholds::SERVICES,
        ContractKind::SocialServices => thresholds::SOCIAL_SERVICES,
    };
    if value <= thresholds::DIRECT_AWARD {
        ThresholdPosition::DirectAwardPossible
    } else if value < threshold {
        ThresholdPosition::BelowThreshold
    } else {
        ThresholdPosition::AboveThreshold
    }
}

/// A CPV code (Common Procurement Vocabulary): eight digits, a hyphen, a check digit
/// (`85312320-8`). Only the form is checked; the vocabulary itself is not vendored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CpvCode(String);

impl CpvCode {
    /// Parses `NNNNNNNN-N` (or `NNNNNNNN`, the check digit then unknown and omitted).
    pub fn parse(input: &str) -> Result<CpvCode, RuleViolation> {
        let s = input.trim();
        let b = s.as_bytes();
        let ok = match b.len() {
            8 => b.iter().all(u8::is_ascii_digit),
            10 => b[..8].iter().all(u8::is_ascii_digit) && b[8] == b'-' && b[9].is_ascii_digit(),
            _ => false,
        };
        if !ok || &s[..2] == "00" {
            return Err(RuleViolation::new(
                "cpv_codes",
                "En CPV-kod består av åtta siffror och en kontrollsiffra, till exempel 85312320-8.",
                "A CPV code has eight digits and a check digit, for example 85312320-8.",
            ));
        }
        Ok(CpvCode(s.to_string()))
    }

    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CpvCode {
    type Error = RuleViolation;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CpvCode::parse(&s)
    }
}

impl From<CpvCode> for String {
    fn from(c: CpvCode) -> String {
        c.0
    }
}

crate::code_enum! {
    /// Where a round is in its life.
    pub enum RoundStatus {
        /// Being prepared: lots, criteria, documents. Not public.
        Planning = "planning",
        /// Advertised: suppliers can read the notice, ask questions and tender.
        Published = "published",
        /// The tender deadline has passed: qualification and evaluation.
        Evaluation = "evaluation",
        /// The award decision is sent; the standstill runs.
        Awarded = "awarded",
        /// Framework agreements are signed.
        Contracted = "contracted",
        /// Cancelled (avbruten).
        Cancelled = "cancelled",
    }
}

/// The longest term of a framework agreement, options included (LOU 7 kap. 2 §): 4 years.
pub const FRAMEWORK_MAX_MONTHS: u32 = 48;

/// A procurement round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcurementRound {
    pub id: RoundId,
    pub tenant_id: TenantId,
    pub title: Text,
    /// The buyer's reference (diarienummer) or the advertising database's upphandlings-ID.
    pub reference: Option<Text>,
    pub legal_basis: LegalBasis,
    pub contract_kind: ContractKind,
    pub cpv_codes: Vec<CpvCode>,
    /// Whole term including options, excluding VAT.
    pub estimated_value: Money,
    pub contract_period: ContractPeriod,
    pub tender_deadline: Option<Deadline>,
    pub status: RoundStatus,
    pub synthetic: bool,
}

/// A contract's initial term and its options to extend, together at most four years for
/// a framework agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ContractPeriodParts", into = "ContractPeriodParts")]
pub struct ContractPeriod {
    start: NaiveDate,
    initial_months: u32,
    option_months: u32,
}

#[derive(Serialize, Deserialize)]
struct ContractPeriodParts {
    start: NaiveDate,
    initial_months: u32,
    option_months: u32,
}

impl TryFrom<ContractPeriodParts> for ContractPeriod {
    type Error = RuleViolation;
    fn try_from(p: ContractPeriodParts) -> Result<Self, Self::Error> {
        ContractPeriod::new(p.start, p.initial_months, p.option_months)
    }
}

impl From<ContractPeriod> for ContractPeriodParts {
    fn from(p: ContractPeriod) -> Self {
        ContractPeriodParts {
            start: p.start,
            initial_months: p.initial_months,
            option_months: p.option_months,
        }
    }
}

impl ContractPeriod {
    /// At least one month; initial term plus options at most 48 months.
    pub fn new(
        start: NaiveDate,
        initial_months: u32,
        option_months: u32,
    ) -> Result<ContractPeriod, RuleViolation> {
        if initial_months == 0 {
            return Err(RuleViolation::new(
                "initial_months",
                "Avtalstiden måste vara minst en månad.",
                "The contract term must be at least one month.",
            ));
        }
        if initial_months + option_months > FRAMEWORK_MAX_MONTHS {
            return Err(RuleViolation::new(
                "option_months",
                "Ett ramavtal får löpa högst fyra år (48 månader) inklusive förlängningar. Korta avtalstiden eller optionerna.",
                "A framework agreement may run at most four years (48 months) including options. Shorten the term or the options.",
            ));
        }
        Ok(ContractPeriod {
            start,
            initial_months,
            option_months,
        })
    }

    /// First day of the contract.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// Months of the initial term.
    pub fn initial_months(&self) -> u32 {
        self.initial_months
    }

    /// Months of options to extend.
    pub fn option_months(&self) -> u32 {
        self.option_months
    }

    /// Last day of the initial term.
    pub fn initial_end(&self) -> NaiveDate {
        add_months(self.start, self.initial_months)
            .pred_opt()
            .expect("date in range")
    }

    /// Last day if every option is used.
    pub fn max_end(&self) -> NaiveDate {
        add_months(self.start, self.initial_months + self.option_months)
            .pred_opt()
            .expect("date in range")
    }
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .expect("date in range")
}

/// A lot: one placement type with its number of places and maximum price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub id: LotId,
    pub round_id: RoundId,
    /// The lot's number within the round, from 1.
    pub number: u32,
    pub placement_type_id: PlacementTypeId,
    pub title: Text,
    pub description: Option<Text>,
    /// Number of places the municipality intends to buy.
    pub places: u32,
    /// The highest price per placement-month a tender may ask, excluding VAT.
    pub max_price_per_month: Money,
    /// Whether this lot is reserved (a round may reserve some lots only).
    pub reserved: bool,
}

impl Lot {
    /// Checks the lot's own rules: at least one place and a positive maximum price.
    pub fn check(places: u32, max_price_per_month: Money) -> Result<(), RuleViolation> {
        if places == 0 {
            return Err(RuleViolation::new(
                "places",
                "Antalet platser måste vara minst 1.",
                "The number of places must be at least 1.",
            ));
        }
        if max_price_per_month <= Money::ZERO {
            return Err(RuleViolation::new(
                "max_price_per_month",
                "Takpriset per platsmånad måste vara större än 0 kr.",
                "The maximum price per placement-month must be more than 0 kr.",
            ));
        }
        Ok(())
    }
}

crate::code_enum! {
    /// A tender's state. Submitted tenders are sealed until the deadline passes.
    pub enum BidStatus {
        Draft = "draft",
        Submitted = "submitted",
        Withdrawn = "withdrawn",
    }
}

/// A supplier's eligibility declaration in a tender or a periodic follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityDeclaration {
    /// How the organisation's main purpose is social and professional integration.
    pub purpose_statement: Text,
    pub headcount: Headcount,
}

/// A supplier's tender in a round. Its content is sealed until the tender deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    pub id: BidId,
    pub round_id: RoundId,
    pub organisation_id: OrganisationId,
    pub status: BidStatus,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub declaration: Option<EligibilityDeclaration>,
}

/// A tender's offer for one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidLot {
    pub bid_id: BidId,
    pub lot_id: LotId,
    pub price_per_month: Money,
    pub capacity: u32,
    /// Answers to the lot's quality criteria.
    pub quality_answer: Option<Text>,
}

impl BidLot {
    /// A price above zero and at most the lot's maximum, and a capacity of at least one.
    pub fn check(lot: &Lot, price_per_month: Money, capacity: u32) -> Result<(), RuleViolation> {
        if price_per_month <= Money::ZERO {
            return Err(RuleViolation::new(
                "price_per_month",
                "Priset per platsmånad måste vara större än 0 kr.",
                "The price per placement-month must be more than 0 kr.",
            ));
        }
        if price_per_month > lot.max_price_per_month {
            return Err(RuleViolation::new(
                "price_per_month",
                format!(
                    "Priset överstiger delområdets takpris {}. Sänk priset.",
                    lot.max_price_per_month.format_sv()
                ),
                format!(
                    "The price exceeds the lot's maximum of {}. Lower the price.",
                    lot.max_price_per_month.format_sv()
                ),
            ));
        }
        if capacity == 0 {
            return Err(RuleViolation::new(
                "capacity",
                "Kapaciteten måste vara minst en plats.",
                "The capacity must be at least one place.",
            ));
        }
        Ok(())
    }
}

crate::code_enum! {
    /// What an award criterion measures.
    pub enum CriterionKind {
        /// Price: scored relative to the lowest price.
        Price = "price",
        /// Quality: scored by the evaluators on a documented scale.
        Quality = "quality",
    }
}

/// An award criterion with its weight in percent; a round's weights sum to 100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardCriterion {
    pub id: CriterionId,
    pub round_id: RoundId,
    pub kind: CriterionKind,
    pub name: Text,
    pub weight_percent: u32,
}

crate::code_enum! {
    /// The result of one eligibility test at qualification.
    pub enum TestOutcome {
        Pass = "pass",
        Fail = "fail",
    }
}

/// Qualification of a tender: the purpose test and the share test, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    pub bid_id: BidId,
    pub purpose_test: TestOutcome,
    pub share_test: TestOutcome,
    pub notes: Option<Text>,
}

/// The award decision (tilldelningsbeslut) of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardDecision {
    pub id: AwardDecisionId,
    pub round_id: RoundId,
    pub decided_on: NaiveDate,
    pub sent_on: NaiveDate,
    pub delivery: DecisionDelivery,
}

impl AwardDecision {
    /// The last day of the standstill (avtalsspärr) by the statutory rule.
    pub fn standstill_end(&self) -> NaiveDate {
        calendar::standstill_end(self.sent_on, self.delivery)
    }

    /// The first day a contract may be signed.
    pub fn earliest_signing(&self) -> NaiveDate {
        calendar::earliest_signing_date(self.sent_on, self.delivery)
    }
}

crate::code_enum! {
    /// How absence is paid for under an agreement.
    pub enum AbsenceRule {
        /// The supplier is paid for the whole placement-month whatever the attendance.
        PayFullMonth = "pay_full_month",
        /// Paid days exclude unexcused absence.
        DeductUnexcused = "deduct_unexcused",
        /// Paid days exclude all absence.
        DeductAllAbsence = "deduct_all_absence",
    }
}

/// A framework agreement with one supplier for one placement type, drawn on by referrals.
/// Agreements from before the reserved procurement have no round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkAgreement {
    pub id: AgreementId,
    pub tenant_id: TenantId,
    pub round_id: Option<RoundId>,
    pub lot_id: Option<LotId>,
    pub organisation_id: OrganisationId,
    pub placement_type_id: PlacementTypeId,
    /// Places the supplier has committed to.
    pub capacity: u32,
    pub price_per_month: Money,
    pub period: DateRange,
    /// Rank within the lot, for call-offs by ranking.
    pub rank: Option<u32>,
    pub absence_rule: AbsenceRule,
    pub signed_on: Option<NaiveDate>,
}

impl FrameworkAgreement {
    /// Whether the agreement is in force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.period.contains(date)
    }
}

/// The tender deadline has passed: tenders may be opened. Until then they are sealed —
/// and a round without a deadline has nothing to open.
pub fn tenders_opened(deadline: Option<&Deadline>, now: chrono::DateTime<chrono::Utc>) -> bool {
    deadline.is_some_and(|d| d.has_passed(now))
}

/// Refuses reading tender content before the deadline (the seal).
pub fn check_unsealed(
    deadline: Option<&Deadline>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), RuleViolation> {
    if tenders_opened(deadline, now) {
        return Ok(());
    }
    let (sv, en) = match deadline {
        Some(d) => (
            format!("Anbuden är förseglade till anbudstidens slut {d}. Ingen kan läsa dem förrän dess."),
            format!("Tenders are sealed until the tender deadline {d}. Nobody can read them before then."),
        ),
        None => (
            "Anbuden är förseglade: upphandlingen har ingen anbudstid ännu.".to_string(),
            "Tenders are sealed: the round has no tender deadline yet.".to_string(),
        ),
    };
    Err(RuleViolation::new("tender_deadline", sv, en))
}

/// Refuses a tender change at or after the deadline, or before the round is advertised.
pub fn check_tender_open(
    status: RoundStatus,
    deadline: Option<&Deadline>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), RuleViolation> {
    match deadline {
        Some(d) if status == RoundStatus::Published && !d.has_passed(now) => Ok(()),
        Some(d) if d.has_passed(now) => Err(RuleViolation::new(
            "tender_deadline",
            format!("Anbudstiden gick ut {d}. Anbud kan inte längre lämnas eller ändras."),
            format!(
                "The tender deadline passed at {d}. Tenders can no longer be submitted or changed."
            ),
        )),
        _ => Err(RuleViolation::new(
            "round",
            "Upphandlingen är inte annonserad. Anbud kan lämnas först när den är publicerad.",
            "The round is not advertised. Tenders can be submitted once it is published.",
        )),
    }
}

impl EligibilityDeclaration {
    /// A declaration: a purpose statement and how many of the people occupied belong to
    /// the target groups. The share must lie within 0–100 %.
    pub fn new(
        purpose_statement: &str,
        headcount_total: i64,
        headcount_target_groups: i64,
    ) -> Result<EligibilityDeclaration, RuleViolation> {
        let purpose_statement = Text::parse(purpose_statement).map_err(|_| {
            RuleViolation::new(
                "purpose_statement",
                "Beskriv hur verksamhetens huvudsakliga syfte är social och yrkesmässig integration.",
                "Describe how the organisation's main purpose is social and professional integration.",
            )
        })?;
        if headcount_total <= 0 || headcount_total > 1_000_000 {
            return Err(RuleViolation::new(
                "headcount_total",
                "Antalet sysselsatta måste vara ett heltal, minst 1.",
                "The number of people occupied must be a whole number, at least 1.",
            ));
        }
        if headcount_target_groups < 0 || headcount_target_groups > headcount_total {
            return Err(RuleViolation::new(
                "headcount_target_groups",
                "Andelen från målgrupperna måste ligga mellan 0 och 100 %: antalet från målgrupperna kan inte vara negativt eller större än antalet sysselsatta.",
                "The share from the target groups must lie between 0 and 100 %: the number from the target groups cannot be negative or more than the number occupied.",
            ));
        }
        Ok(EligibilityDeclaration {
            purpose_statement,
            headcount: Headcount::new(headcount_total as u32, headcount_target_groups as u32)?,
        })
    }
}

crate::code_enum! {
    /// The documents a tender's eligibility declaration must carry.
    pub enum BidDocumentKind {
        /// Evidence of the purpose test: articles of association, annual report.
        PurposeEvidence = "purpose_evidence",
        /// Evidence of the share test: a staff and placement list without names.
        ShareEvidence = "share_evidence",
    }
}

impl BidDocumentKind {
    /// The field a missing document is reported on.
    pub fn field(self) -> &'static str {
        match self {
            BidDocumentKind::PurposeEvidence => "purpose_document",
            BidDocumentKind::ShareEvidence => "share_document",
        }
    }

    /// Swedish name.
    pub fn name_sv(self) -> &'static str {
        match self {
            BidDocumentKind::PurposeEvidence => "Underlag för verksamhetskravet (t.ex. stadgar)",
            BidDocumentKind::ShareEvidence => {
                "Underlag för andelskravet (avidentifierad personalförteckning)"
            }
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            BidDocumentKind::PurposeEvidence => {
                "Evidence for the purpose test (e.g. articles of association)"
            }
            BidDocumentKind::ShareEvidence => "Evidence for the share test (anonymised staff list)",
        }
    }
}

/// Refuses submitting a tender that lacks one of the required documents.
pub fn check_required_documents(present: &[BidDocumentKind]) -> Result<(), RuleViolation> {
    for kind in BidDocumentKind::ALL {
        if !present.contains(kind) {
            return Err(RuleViolation::new(
                kind.field(),
                format!(
                    "Dokument saknas: {}. Ladda upp det innan anbudet lämnas.",
                    kind.name_sv()
                ),
                format!(
                    "A document is missing: {}. Upload it before submitting the tender.",
                    kind.name_en()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a round's award criteria: exactly one price criterion, weights summing to 100.
pub fn check_criteria(criteria: &[(CriterionKind, u32)]) -> Result<(), RuleViolation> {
    let prices = criteria
        .iter()
        .filter(|(k, _)| *k == CriterionKind::Price)
        .count();
    if prices != 1 {
        return Err(RuleViolation::new(
            "criteria",
            "Tilldelningsgrunderna ska ha exakt ett priskriterium.",
            "The award criteria must have exactly one price criterion.",
        ));
    }
    let sum: u32 = criteria.iter().map(|(_, w)| *w).sum();
    if sum != 100 || criteria.iter().any(|(_, w)| *w == 0) {
        return Err(RuleViolation::new(
            "weight_percent",
            format!("Vikterna ska vara större än 0 och summera till 100 %. Nu är summan {sum} %."),
            format!("The weights must be above 0 and sum to 100 %. The sum is now {sum} %."),
        ));
    }
    Ok(())
}

/// The scoring method, as published in the notice and the evaluation report. Every
/// criterion gives 0–100 points:
/// - price: `100 × lowest price ÷ this price`, rounded to whole points;
/// - quality: the evaluators' grade on a 0–5 scale × 20.
///
/// A tender's total is `Σ weight × points ÷ 100` (0–100), kept in hundredths of a point.
pub const QUALITY_GRADE_MAX: u32 = 5;

/// Price points (0–100) of `price` against the lowest qualified price of the lot.
pub fn price_points(lowest: Money, price: Money) -> u32 {
    if price.ore() <= 0 {
        return 0;
    }
    let p = (100 * lowest.ore() as i128 * 2 + price.ore() as i128) / (2 * price.ore() as i128);
    p.clamp(0, 100) as u32
}

/// Quality points (0–100) from a grade on the 0–5 scale.
pub fn quality_points(grade: u32) -> Result<u32, RuleViolation> {
    if grade > QUALITY_GRADE_MAX {
        return Err(RuleViolation::new(
            "grade",
            "Kvalitetsbetyget ska vara ett heltal 0–5.",
            "The quality grade must be a whole number 0–5.",
        ));
    }
    Ok(grade * 100 / QUALITY_GRADE_MAX)
}

/// One qualified tender's offer for a lot, to rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub bid_id: BidId,
    pub price_per_month: Money,
    /// Quality points (0–100) per quality criterion.
    pub quality: Vec<(CriterionId, u32)>,
}

/// An offer's place in its lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub bid_id: BidId,
    /// 1 for the best.
    pub rank: u32,
    /// Points per criterion (0–100), in the criteria's order.
    pub points: Vec<(CriterionId, u32)>,
    /// The weighted total in hundredths of a point (0–10 000).
    pub total_centi: u32,
}

/// Ranks a lot's qualified offers by the criteria. A quality criterion an offer has no
/// grade for is an error naming the criterion. Ties go to the lower price, then the
/// earlier tender (lower id).
pub fn rank_offers(
    offers: &[Offer],
    criteria: &[AwardCriterion],
) -> Result<Vec<Ranked>, RuleViolation> {
    let Some(lowest) = offers.iter().map(|o| o.price_per_month).min() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(offers.len());
    for o in offers {
        let mut points = Vec::with_capacity(criteria.len());
        let mut total = 0u32;
        for c in criteria {
            let p = match c.kind {
                CriterionKind::Price => price_points(lowest, o.price_per_month),
                CriterionKind::Quality => o
                    .quality
                    .iter()
                    .find(|(id, _)| *id == c.id)
                    .map(|(_, p)| *p)
                    .ok_or_else(|| {
                        RuleViolation::new(
                            "grade",
                            format!("Betyg saknas för kriteriet {} på ett anbud. Betygsätt alla anbud först.", c.name),
                            format!("A grade is missing for the criterion {} on a tender. Grade every tender first.", c.name),
                        )
                    })?,
            };
            total += c.weight_percent * p;
            points.push((c.id, p));
        }
        out.push((
            o.price_per_month,
            Ranked {
                bid_id: o.bid_id,
                rank: 0,
                points,
                total_centi: total,
            },
        ));
    }
    out.sort_by(|a, b| {
        b.1.total_centi
            .cmp(&a.1.total_centi)
            .then(a.0.cmp(&b.0))
            .then(a.1.bid_id.cmp(&b.1.bid_id))
    });
    Ok(out
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut r))| {
            r.rank = i as u32 + 1;
            r
        })
        .collect())
}

/// Refuses signing before the standstill has ended.
pub fn check_signing(decision: &AwardDecision, today: NaiveDate) -> Result<(), RuleViolation> {
    if today < decision.earliest_signing() {
        return Err(RuleViolation::new(
            "signed_on",
            format!(
                "Avtalsspärren löper till och med {}. Avtal kan tecknas tidigast {}.",
                decision.standstill_end(),
                decision.earliest_signing()
            ),
            format!(
                "The standstill runs until {} inclusive. Agreements can be signed from {}.",
                decision.standstill_end(),
                decision.earliest_signing()
            ),
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
    fn framework_at_most_four_years() {
        let p = ContractPeriod::new(d(2023, 1, 1), 24, 24).unwrap();
        assert_eq!(p.initial_end(), d(2024, 12, 31));
        assert_eq!(p.max_end(), d(2026, 12, 31));
        assert_eq!(
            ContractPeriod::new(d(2023, 1, 1), 36, 13)
                .unwrap_err()
                .field,
            "option_months"
        );
        assert!(ContractPeriod::new(d(2023, 1, 1), 0, 0).is_err());
    }

    #[test]
    fn thresholds() {
        use ThresholdPosition::*;
        let kr = Money::from_kronor;
        assert_eq!(
            threshold_position(kr(700_000), ContractKind::Services),
            DirectAwardPossible
        );
        assert_eq!(
            threshold_position(kr(700_001), ContractKind::Services),
            BelowThreshold
        );
        assert_eq!(
            threshold_position(kr(2_389_585), ContractKind::Services),
            AboveThreshold
        );
        assert_eq!(
            threshold_position(kr(2_389_585), ContractKind::SocialServices),
            BelowThreshold
        );
        assert_eq!(
            threshold_position(kr(8_109_450), ContractKind::SocialServices),
            AboveThreshold
        );
    }

    #[test]
    fn cpv_form() {
        assert!(CpvCode::parse("85312320-8").is_ok());
        assert!(CpvCode::parse("79611000").is_ok());
        for bad in ["8531232-8", "85312320-", "85312320x8", "", "00000000-0"] {
            assert!(CpvCode::parse(bad).is_err(), "{bad}");
        }
    }

    fn lot(max: i64) -> Lot {
        Lot {
            id: LotId(1),
            round_id: RoundId(1),
            number: 1,
            placement_type_id: PlacementTypeId(1),
            title: Text::parse("Snickeri").unwrap(),
            description: None,
            places: 5,
            max_price_per_month: Money::from_kronor(max),
            reserved: true,
        }
    }

    #[test]
    fn tender_price_and_capacity_rules() {
        let l = lot(4_000);
        assert!(BidLot::check(&l, Money::from_kronor(4_000), 2).is_ok());
        assert_eq!(
            BidLot::check(&l, Money::from_kronor(4_001), 2)
                .unwrap_err()
                .field,
            "price_per_month"
        );
        assert_eq!(
            BidLot::check(&l, Money::from_kronor(3_000), 0)
                .unwrap_err()
                .field,
            "capacity"
        );
        assert_eq!(
            BidLot::check(&l, Money::ZERO, 1).unwrap_err().field,
            "price_per_month"
        );
        assert!(Lot::check(0, Money::from_kronor(1)).is_err());
        assert!(Lot::check(1, Money::ZERO).is_err());
    }

    #[test]
    fn award_decision_standstill_follows_the_statute() {
        // Upphandlingsmyndigheten's example: sent Monday 1 April 2024 electronically.
        let decision = AwardDecision {
            id: AwardDecisionId(1),
            round_id: RoundId(1),
            decided_on: d(2024, 3, 28),
            sent_on: d(2024, 4, 1),
            delivery: DecisionDelivery::Electronic,
        };
        assert_eq!(decision.standstill_end(), d(2024, 4, 11));
        assert_eq!(decision.earliest_signing(), d(2024, 4, 12));
    }

    fn dl(s: &str) -> Deadline {
        Deadline::parse(s).unwrap()
    }

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn tenders_are_sealed_until_the_deadline_in_stockholm_time() {
        // 2026-03-02 12:00 in Stockholm is 11:00 UTC (winter time).
        let d = dl("2026-03-02T12:00");
        assert!(check_unsealed(Some(&d), at("2026-03-02T10:59:59Z")).is_err());
        assert!(check_unsealed(Some(&d), at("2026-03-02T11:00:01Z")).is_ok());
        assert_eq!(
            check_unsealed(None, at("2030-01-01T00:00:00Z"))
                .unwrap_err()
                .field,
            "tender_deadline"
        );
        assert!(
            check_tender_open(RoundStatus::Published, Some(&d), at("2026-03-02T10:59:00Z")).is_ok()
        );
        assert_eq!(
            check_tender_open(RoundStatus::Published, Some(&d), at("2026-03-02T11:00:01Z"))
                .unwrap_err()
                .field,
            "tender_deadline"
        );
        assert_eq!(
            check_tender_open(RoundStatus::Planning, Some(&d), at("2026-03-01T00:00:00Z"))
                .unwrap_err()
                .field,
            "round"
        );
    }

    #[test]
    fn declarations_keep_the_share_within_0_to_100() {
        assert!(EligibilityDeclaration::new("Integration", 10, 3).is_ok());
        assert!(EligibilityDeclaration::new("Integration", 10, 0).is_ok());
        assert_eq!(
            EligibilityDeclaration::new("Integration", 10, 11)
                .unwrap_err()
                .field,
            "headcount_target_groups"
        );
        assert_eq!(
            EligibilityDeclaration::new("Integration", 10, -1)
                .unwrap_err()
                .field,
            "headcount_target_groups"
        );
        assert_eq!(
            EligibilityDeclaration::new("Integration", 0, 0)
                .unwrap_err()
                .field,
            "headcount_total"
        );
        assert_eq!(
            EligibilityDeclaration::new("  ", 5, 2).unwrap_err().field,
            "purpose_statement"
        );
    }

    #[test]
    fn required_documents() {
        use BidDocumentKind::*;
        assert!(check_required_documents(&[ShareEvidence, PurposeEvidence]).is_ok());
        assert_eq!(
            check_required_documents(&[PurposeEvidence])
                .unwrap_err()
                .field,
            "share_document"
        );
        assert_eq!(
            check_required_documents(&[]).unwrap_err().field,
            "purpose_document"
        );
    }

    #[test]
    fn criteria_weights_sum_to_100_with_one_price() {
        use CriterionKind::*;
        assert!(check_criteria(&[(Price, 60), (Quality, 40)]).is_ok());
        assert_eq!(
            check_criteria(&[(Price, 60), (Quality, 30)])
                .unwrap_err()
                .field,
            "weight_percent"
        );
        assert_eq!(
            check_criteria(&[(Quality, 100)]).unwrap_err().field,
            "criteria"
        );
        assert_eq!(
            check_criteria(&[(Price, 50), (Price, 50)])
                .unwrap_err()
                .field,
            "criteria"
        );
        assert!(check_criteria(&[(Price, 100), (Quality, 0)]).is_err());
    }

    #[test]
    fn scoring_and_ranking() {
        let kr = Money::from_kronor;
        assert_eq!(price_points(kr(10_000), kr(10_000)), 100);
        assert_eq!(price_points(kr(10_000), kr(12_500)), 80);
        assert_eq!(price_points(kr(10_000), kr(30_000)), 33);
        assert_eq!(quality_points(5).unwrap(), 100);
        assert_eq!(quality_points(3).unwrap(), 60);
        assert!(quality_points(6).is_err());
        let crit = |id, kind, w| AwardCriterion {
            id: CriterionId(id),
            round_id: RoundId(1),
            kind,
            name: Text::parse("k").unwrap(),
            weight_percent: w,
        };
        let criteria = [
            crit(1, CriterionKind::Price, 60),
            crit(2, CriterionKind::Quality, 40),
        ];
        // A: cheapest, grade 2 (40 p): 60 + 16 = 76. B: 12 500 kr (80 p), grade 5: 48 + 40 = 88.
        let offers = [
            Offer {
                bid_id: BidId(1),
                price_per_month: kr(10_000),
                quality: vec![(CriterionId(2), 40)],
            },
            Offer {
                bid_id: BidId(2),
                price_per_month: kr(12_500),
                quality: vec![(CriterionId(2), 100)],
            },
            Offer {
                bid_id: BidId(3),
                price_per_month: kr(12_500),
                quality: vec![(CriterionId(2), 100)],
            },
        ];
        let r = rank_offers(&offers, &criteria).unwrap();
        assert_eq!(
            r.iter()
                .map(|x| (x.bid_id.0, x.rank, x.total_centi))
                .collect::<Vec<_>>(),
            vec![(2, 1, 8800), (3, 2, 8800), (1, 3, 7600)]
        );
        let missing = [Offer {
            bid_id: BidId(1),
            price_per_month: kr(1),
            quality: vec![],
        }];
        assert_eq!(rank_offers(&missing, &criteria).unwrap_err().field, "grade");
        assert!(rank_offers(&[], &criteria).unwrap().is_empty());
    }

    #[test]
    fn signing_waits_for_the_standstill() {
        let decision = AwardDecision {
            id: AwardDecisionId(1),
            round_id: RoundId(1),
            decided_on: d(2024, 4, 1),
            sent_on: d(2024, 4, 1),
            delivery: DecisionDelivery::Electronic,
        };
        assert_eq!(
            check_signing(&decision, d(2024, 4, 11)).unwrap_err().field,
            "signed_on"
        );
        assert!(check_signing(&decision, d(2024, 4, 12)).is_ok());
    }
}
