//! Invoices and credit notes: derived from placements × approved attendance × the
//! agreement's price rules, and never edited once approved (corrections are new
//! documents).

use serde::{Deserialize, Serialize};

use super::procurement::AbsenceRule;
use super::{RuleViolation, Text};
use crate::ids::{AgreementId, InvoiceId, OrganisationId, PlacementId, TenantId};
use crate::money::Money;
use crate::period::YearMonth;

crate::code_enum! {
    /// An invoice or a credit note that corrects one.
    pub enum InvoiceKind {
        /// UBL Invoice, type code 380.
        Invoice = "invoice",
        /// UBL CreditNote, type code 381.
        CreditNote = "credit_note",
    }
}

crate::code_enum! {
    /// The approval flow: draft → approved → sent → paid.
    pub enum InvoiceStatus {
        Draft = "draft",
        Approved = "approved",
        Sent = "sent",
        Paid = "paid",
    }
}

impl InvoiceStatus {
    /// The status that may follow this one, if any.
    pub fn next(self) -> Option<InvoiceStatus> {
        match self {
            InvoiceStatus::Draft => Some(InvoiceStatus::Approved),
            InvoiceStatus::Approved => Some(InvoiceStatus::Sent),
            InvoiceStatus::Sent => Some(InvoiceStatus::Paid),
            InvoiceStatus::Paid => None,
        }
    }

    /// Checks a transition; only the next step in the flow is allowed.
    pub fn transition(self, to: InvoiceStatus) -> Result<InvoiceStatus, RuleViolation> {
        if self.next() == Some(to) {
            Ok(to)
        } else {
            Err(RuleViolation::new(
                "status",
                format!("En faktura med status {self} kan inte få status {to}."),
                format!("An invoice with status {self} cannot move to {to}."),
            ))
        }
    }

    /// Whether the document may still be changed (only drafts).
    pub fn is_editable(self) -> bool {
        self == InvoiceStatus::Draft
    }
}

/// An invoice (or credit note) from one supplier for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: InvoiceId,
    pub tenant_id: TenantId,
    pub organisation_id: OrganisationId,
    pub month: YearMonth,
    /// The supplier's invoice number, unique per supplier.
    pub number: Text,
    pub kind: InvoiceKind,
    /// For a credit note: the invoice it corrects.
    pub corrects: Option<InvoiceId>,
    pub status: InvoiceStatus,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    /// Sum of the lines, excluding VAT. Placements bought from social enterprises are
    /// usually VAT-exempt; VAT handling is per line in the UBL export.
    pub total: Money,
}

/// One line of an invoice: one placement's paid days in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub invoice_id: InvoiceId,
    pub placement_id: PlacementId,
    pub agreement_id: AgreementId,
    pub description: Text,
    /// Paid days in the month.
    pub paid_days: u32,
    /// Days of the month (the pro-rata denominator).
    pub month_days: u32,
    pub price_per_month: Money,
    pub amount: Money,
}

crate::code_enum! {
    /// The VAT category of an invoice line (EN 16931 BT-151, UNCL5305 codes).
    /// Placements bought from social enterprises are usually exempt as welfare
    /// and social-security work; some services (a café, retail) carry 25 % VAT.
    pub enum VatCategory {
        /// Exempt from VAT, with an exemption reason on the invoice.
        Exempt = "E",
        /// Standard rate, 25 % in Sweden.
        Standard = "S",
        /// Outside the scope of VAT: the supplier is not registered for VAT.
        NotSubject = "O",
    }
}

/// Sweden's standard VAT rate, in percent.
pub const SWEDISH_STANDARD_VAT_PERCENT: u32 = 25;

/// The exemption reason code used for exempt placements: Council Directive
/// 2006/112/EC art. 132(1)(g), services closely linked to welfare and social
/// security work (VATEX code list).
pub const DEFAULT_EXEMPTION_REASON_CODE: &str = "VATEX-EU-132-1G";

/// The exemption reason text printed with [`DEFAULT_EXEMPTION_REASON_CODE`].
pub const DEFAULT_EXEMPTION_REASON: &str =
    "Undantagen från skatteplikt: tjänster med nära anknytning till social omsorg (mervärdesskattedirektivet art. 132.1 g)";

impl VatCategory {
    /// The rate in percent: 0 for exempt, 25 for standard.
    pub fn percent(self) -> u32 {
        match self {
            VatCategory::Exempt | VatCategory::NotSubject => 0,
            VatCategory::Standard => SWEDISH_STANDARD_VAT_PERCENT,
        }
    }

    /// The category a line is invoiced with: the agreement's, unless the supplier is
    /// not registered for VAT, when every line is outside the scope of VAT.
    pub fn effective(agreement: VatCategory, supplier_vat_registered: bool) -> VatCategory {
        if supplier_vat_registered {
            agreement
        } else {
            VatCategory::NotSubject
        }
    }

    /// The exemption reason (code of the VATEX list, text) EN 16931 requires for
    /// categories without VAT (BR-E-10, BR-O-10); `None` for the standard rate.
    pub fn exemption(self) -> Option<(&'static str, &'static str)> {
        match self {
            VatCategory::Exempt => Some((DEFAULT_EXEMPTION_REASON_CODE, DEFAULT_EXEMPTION_REASON)),
            VatCategory::NotSubject => Some((
                "VATEX-EU-O",
                "Ej momsregistrerad: utanför mervärdesskattens tillämpningsområde",
            )),
            VatCategory::Standard => None,
        }
    }

    /// The VAT on `net` for this category, rounded to the öre (EN 16931 BR-CO-17:
    /// VAT category tax amount = taxable amount × rate / 100, two decimals).
    pub fn vat_on(self, net: Money) -> Money {
        net.pro_rata(i64::from(self.percent()), 100)
    }
}

/// What one placement-month is billed from: the placement's days, its approved
/// attendance and the agreement's price rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableMonth {
    pub placement_id: PlacementId,
    pub agreement_id: AgreementId,
    /// The line's text, e.g. the placement type; never personal data.
    pub description: Text,
    /// The placement's days (start through end, or open-ended).
    pub placement: crate::period::DateRange,
    /// The placement's paused days (see [`super::placement::paused_days`]): not billed.
    pub paused: crate::period::DateRangeSet,
    pub price_per_month: Money,
    pub absence_rule: AbsenceRule,
    pub vat: VatCategory,
    /// Approved absence in the month, in working days.
    pub sick_days: u32,
    pub leave_days: u32,
    pub unexcused_days: u32,
}

/// An invoice line as derived, before it belongs to a stored invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedLine {
    pub placement_id: PlacementId,
    pub agreement_id: AgreementId,
    pub description: Text,
    /// Calendar days of the placement in the month, before pauses and absence.
    pub placement_days: u32,
    /// Calendar days of the placement in the month that fall in a pause: never billed,
    /// whatever the absence rule.
    pub paused_days: u32,
    /// Absence days deducted under the agreement's absence rule.
    pub deducted_days: u32,
    /// Paid days: `placement_days - paused_days - deducted_days`, never below zero.
    pub paid_days: u32,
    /// Days of the month (the pro-rata denominator).
    pub month_days: u32,
    pub price_per_month: Money,
    /// `price_per_month × paid_days / month_days`, rounded to the öre.
    pub amount: Money,
    pub vat: VatCategory,
}

/// Days deducted for absence under `rule` (absence is counted in working days;
/// the deduction is made from the placement's calendar days, as agreed).
pub fn deducted_days(rule: AbsenceRule, sick: u32, leave: u32, unexcused: u32) -> u32 {
    match rule {
        AbsenceRule::PayFullMonth => 0,
        AbsenceRule::DeductUnexcused => unexcused,
        AbsenceRule::DeductAllAbsence => sick.saturating_add(leave).saturating_add(unexcused),
    }
}

/// Derives one invoice line: part months pro rata by the calendar days of the
/// placement within the month, less its paused days, less the absence days the
/// agreement deducts (at most the days that are left).
pub fn derive_line(
    month: YearMonth,
    billable: &BillableMonth,
) -> Result<DerivedLine, RuleViolation> {
    if billable.price_per_month < Money::ZERO {
        return Err(RuleViolation::new(
            "price_per_month",
            "Avtalets månadspris kan inte vara negativt.",
            "The agreement's monthly price cannot be negative.",
        ));
    }
    let placement_days = billable.placement.days_in(month);
    if placement_days == 0 {
        return Err(RuleViolation::new(
            "month",
            format!(
                "Placeringen {} pågick inte under {month}.",
                billable.placement_id
            ),
            format!(
                "Placement {} did not run in {month}.",
                billable.placement_id
            ),
        ));
    }
    let paused_days =
        super::placement::paused_days_in(month, &billable.placement, &billable.paused);
    let deducted = deducted_days(
        billable.absence_rule,
        billable.sick_days,
        billable.leave_days,
        billable.unexcused_days,
    )
    .min(placement_days - paused_days);
    let paid_days = placement_days - paused_days - deducted;
    let month_days = month.days();
    Ok(DerivedLine {
        placement_id: billable.placement_id,
        agreement_id: billable.agreement_id,
        description: billable.description.clone(),
        placement_days,
        paused_days,
        deducted_days: deducted,
        paid_days,
        month_days,
        price_per_month: billable.price_per_month,
        amount: billable
            .price_per_month
            .pro_rata(i64::from(paid_days), i64::from(month_days)),
        vat: billable.vat,
    })
}

/// The lines of one supplier's invoice for `month`, in placement order, and their
/// total (excluding VAT). Each placement may appear once.
pub fn derive_invoice(
    month: YearMonth,
    billable: &[BillableMonth],
) -> Result<(Vec<DerivedLine>, Money), RuleViolation> {
    let mut lines = billable
        .iter()
        .map(|b| derive_line(month, b))
        .collect::<Result<Vec<_>, _>>()?;
    lines.sort_by_key(|l| l.placement_id);
    if lines
        .windows(2)
        .any(|w| w[0].placement_id == w[1].placement_id)
    {
        return Err(RuleViolation::new(
            "placement_id",
            "En placering kan bara faktureras en gång per månad.",
            "A placement can be invoiced only once per month.",
        ));
    }
    let total = lines
        .iter()
        .try_fold(Money::ZERO, |sum, l| sum.checked_add(l.amount))
        .ok_or_else(|| {
            RuleViolation::new(
                "amount",
                "Fakturans summa är för stor.",
                "The invoice total is too large.",
            )
        })?;
    Ok((lines, total))
}

/// VAT per category of a document: (category, taxable amount, VAT amount), in
/// category order, for the categories that occur.
pub fn vat_breakdown(lines: &[(VatCategory, Money)]) -> Vec<(VatCategory, Money, Money)> {
    VatCategory::ALL
        .iter()
        .filter_map(|&cat| {
            let mut any = false;
            let taxable: Money = lines
                .iter()
                .filter(|(c, _)| *c == cat)
                .inspect(|_| any = true)
                .map(|(_, m)| *m)
                .sum();
            any.then(|| (cat, taxable, cat.vat_on(taxable)))
        })
        .collect()
}

/// The number of the next document of `kind` for `month` from one supplier,
/// given the numbers it has used: `F202403`, then `F202403-2`, …; credit notes
/// `K202403-1`, `K202403-2`, …. Numbers are unique per supplier.
pub fn next_number(kind: InvoiceKind, month: YearMonth, used: &[String]) -> String {
    let stem = match kind {
        InvoiceKind::Invoice => format!("F{:04}{:02}", month.year(), month.month()),
        InvoiceKind::CreditNote => format!("K{:04}{:02}", month.year(), month.month()),
    };
    let first = match kind {
        InvoiceKind::Invoice => stem.clone(),
        InvoiceKind::CreditNote => format!("{stem}-1"),
    };
    if !used.contains(&first) {
        return first;
    }
    (2..)
        .map(|n| format!("{stem}-{n}"))
        .find(|candidate| !used.iter().any(|u| u == candidate))
        .expect("an unused number exists")
}

/// Checks that a credit note may correct an invoice: an approved, sent or paid one
/// (a draft is deleted and created again instead), never another credit note.
pub fn check_creditable(kind: InvoiceKind, status: InvoiceStatus) -> Result<(), RuleViolation> {
    if kind == InvoiceKind::CreditNote {
        return Err(RuleViolation::new(
            "corrects",
            "En kreditnota kan inte krediteras; skapa en ny faktura i stället.",
            "A credit note cannot be credited; create a new invoice instead.",
        ));
    }
    if status == InvoiceStatus::Draft {
        return Err(RuleViolation::new(
            "corrects",
            "Ett utkast krediteras inte; ta bort det och skapa fakturan på nytt.",
            "A draft is not credited; delete it and create the invoice again.",
        ));
    }
    Ok(())
}

/// A party of an e-invoice document (seller = the supplier, buyer = the municipality).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentParty {
    pub name: String,
    /// Swedish organisation number: Peppol endpoint and legal registration, scheme 0007.
    pub org_number: crate::orgnr::OrganisationNumber,
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub email: Option<String>,
}

/// One line of an e-invoice document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    pub placement_id: PlacementId,
    pub description: String,
    pub paid_days: u32,
    pub month_days: u32,
    pub price_per_month: Money,
    pub amount: Money,
    pub vat: VatCategory,
}

/// Everything an e-invoice (Peppol BIS Billing 3.0) or its CSV row needs, gathered
/// from storage; the writers are pure functions of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDocument {
    pub kind: InvoiceKind,
    pub number: String,
    pub month: YearMonth,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub status: InvoiceStatus,
    /// The buyer reference (BT-10), mandatory in Peppol.
    pub buyer_reference: String,
    /// For a credit note: why it was issued.
    pub note: Option<String>,
    /// For a credit note: the corrected invoice's number and issue date.
    pub corrects: Option<(String, chrono::NaiveDate)>,
    pub seller: DocumentParty,
    /// Whether the seller is registered for VAT (VAT number SE + org number + 01).
    pub seller_vat_registered: bool,
    /// The seller's bankgiro number, where the buyer pays.
    pub seller_bankgiro: Option<String>,
    pub buyer: DocumentParty,
    pub lines: Vec<DocumentLine>,
}

impl InvoiceDocument {
    /// Sum of the lines, excluding VAT.
    pub fn net_total(&self) -> Money {
        self.lines.iter().map(|l| l.amount).sum()
    }

    /// (category, taxable amount, VAT) per VAT category, per EN 16931.
    pub fn vat_breakdown(&self) -> Vec<(VatCategory, Money, Money)> {
        let pairs: Vec<_> = self.lines.iter().map(|l| (l.vat, l.amount)).collect();
        vat_breakdown(&pairs)
    }

    /// Total VAT of the document.
    pub fn vat_total(&self) -> Money {
        self.vat_breakdown().iter().map(|(_, _, v)| *v).sum()
    }

    /// The seller's Swedish VAT number, when registered: `SE` + 10 digits + `01`.
    pub fn seller_vat_number(&self) -> Option<String> {
        self.seller_vat_registered
            .then(|| format!("SE{}01", self.seller.org_number.canonical()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::placement::paused_days;
    use crate::period::{DateRange, DateRangeSet};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn billable(start: NaiveDate, end: Option<NaiveDate>, rule: AbsenceRule) -> BillableMonth {
        BillableMonth {
            placement_id: PlacementId(7),
            agreement_id: AgreementId(3),
            description: Text::parse("Arbetsträning").unwrap(),
            placement: DateRange::new(start, end).unwrap(),
            paused: DateRangeSet::new(),
            price_per_month: Money::from_kronor(10_000),
            absence_rule: rule,
            vat: VatCategory::Exempt,
            sick_days: 2,
            leave_days: 1,
            unexcused_days: 3,
        }
    }

    #[test]
    fn full_month_is_the_price_and_part_months_are_pro_rata() {
        let march = YearMonth::new(2024, 3).unwrap();
        let mut b = billable(d(2024, 1, 1), None, AbsenceRule::PayFullMonth);
        let line = derive_line(march, &b).unwrap();
        assert_eq!((line.paid_days, line.month_days), (31, 31));
        assert_eq!(line.amount, Money::from_kronor(10_000));
        // Starts on the 22nd: 10 of 31 days → 3 225,81 kr.
        b.placement = DateRange::new(d(2024, 3, 22), None).unwrap();
        let line = derive_line(march, &b).unwrap();
        assert_eq!((line.placement_days, line.paid_days), (10, 10));
        assert_eq!(line.amount, Money::from_ore(322_581));
        // Ends on 10 March.
        b.placement = DateRange::new(d(2024, 1, 1), Some(d(2024, 3, 10))).unwrap();
        assert_eq!(derive_line(march, &b).unwrap().paid_days, 10);
        // Not running in the month at all.
        b.placement = DateRange::new(d(2024, 4, 1), None).unwrap();
        assert_eq!(derive_line(march, &b).unwrap_err().field, "month");
    }

    #[test]
    fn absence_rules_deduct_what_the_agreement_says() {
        let feb = YearMonth::new(2024, 2).unwrap(); // 29 days
        let start = d(2024, 1, 1);
        let full = derive_line(feb, &billable(start, None, AbsenceRule::PayFullMonth)).unwrap();
        let unexcused =
            derive_line(feb, &billable(start, None, AbsenceRule::DeductUnexcused)).unwrap();
        let all = derive_line(feb, &billable(start, None, AbsenceRule::DeductAllAbsence)).unwrap();
        assert_eq!(
            (full.paid_days, unexcused.paid_days, all.paid_days),
            (29, 26, 23)
        );
        assert_eq!(unexcused.deducted_days, 3);
        assert_eq!(
            unexcused.amount,
            Money::from_kronor(10_000).pro_rata(26, 29)
        );
        // Deductions never go below zero paid days.
        let mut b = billable(d(2024, 2, 27), None, AbsenceRule::DeductAllAbsence);
        b.unexcused_days = 40;
        let line = derive_line(feb, &b).unwrap();
        assert_eq!((line.paid_days, line.amount), (0, Money::ZERO));
    }

    #[test]
    fn paused_days_are_not_billed_and_absence_is_deducted_from_the_rest() {
        let march = YearMonth::new(2024, 3).unwrap(); // 31 days
        let mut b = billable(d(2024, 1, 1), None, AbsenceRule::PayFullMonth);
        // Paused 11 March, resumed 21 March: 10 paused days, 21 of 31 billed.
        b.paused = paused_days(d(2024, 3, 11), Some(d(2024, 3, 21)))
            .into_iter()
            .collect();
        let line = derive_line(march, &b).unwrap();
        assert_eq!(
            (
                line.placement_days,
                line.paused_days,
                line.deducted_days,
                line.paid_days
            ),
            (31, 10, 0, 21)
        );
        assert_eq!(line.amount, Money::from_kronor(10_000).pro_rata(21, 31));
        // With absence deducted as well: 3 unexcused days of the 21 → 18.
        b.absence_rule = AbsenceRule::DeductUnexcused;
        let line = derive_line(march, &b).unwrap();
        assert_eq!(
            (line.paused_days, line.deducted_days, line.paid_days),
            (10, 3, 18)
        );
        // A pause still open from 25 March and a placement from 22 March: 3 days billed.
        b.placement = DateRange::new(d(2024, 3, 22), None).unwrap();
        b.paused = paused_days(d(2024, 3, 25), None).into_iter().collect();
        let line = derive_line(march, &b).unwrap();
        assert_eq!((line.placement_days, line.paused_days), (10, 7));
        assert_eq!(
            (line.deducted_days, line.paid_days),
            (3, 0),
            "absence never below zero"
        );
        // Paused the whole month: nothing billed, whatever the rule.
        b.paused = paused_days(d(2024, 2, 1), Some(d(2024, 4, 2)))
            .into_iter()
            .collect();
        b.absence_rule = AbsenceRule::PayFullMonth;
        let line = derive_line(march, &b).unwrap();
        assert_eq!((line.paid_days, line.amount), (0, Money::ZERO));
        // A pause in another month changes nothing.
        b.placement = DateRange::new(d(2024, 1, 1), None).unwrap();
        b.paused = paused_days(d(2024, 4, 1), None).into_iter().collect();
        assert_eq!(
            derive_line(march, &b).unwrap().amount,
            Money::from_kronor(10_000)
        );
    }

    #[test]
    fn an_invoice_sums_its_lines_and_refuses_duplicates() {
        let m = YearMonth::new(2024, 5).unwrap();
        let a = billable(d(2024, 5, 10), None, AbsenceRule::DeductUnexcused);
        let mut b = a.clone();
        b.placement_id = PlacementId(2);
        let (lines, total) = derive_invoice(m, &[a.clone(), b]).unwrap();
        assert_eq!(lines[0].placement_id, PlacementId(2));
        assert_eq!(total, lines[0].amount + lines[1].amount);
        assert_eq!(
            derive_invoice(m, &[a.clone(), a]).unwrap_err().field,
            "placement_id"
        );
    }

    #[test]
    fn vat_is_per_category_and_rounded_to_the_ore() {
        let kr = Money::from_ore;
        let lines = [
            (VatCategory::Standard, kr(100_001)),
            (VatCategory::Exempt, kr(500_000)),
            (VatCategory::Standard, kr(3)),
        ];
        let b = vat_breakdown(&lines);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0], (VatCategory::Exempt, kr(500_000), Money::ZERO));
        // 1 000,04 kr × 25 % = 250,01 kr.
        assert_eq!(b[1], (VatCategory::Standard, kr(100_004), kr(25_001)));
        assert!(vat_breakdown(&[]).is_empty());
        assert_eq!(
            VatCategory::effective(VatCategory::Standard, false),
            VatCategory::NotSubject
        );
        assert_eq!(
            VatCategory::effective(VatCategory::Standard, true),
            VatCategory::Standard
        );
        assert!(VatCategory::Standard.exemption().is_none());
        assert_eq!(VatCategory::NotSubject.vat_on(kr(100_000)), Money::ZERO);
    }

    #[test]
    fn numbers_are_unique_per_supplier_and_month() {
        let m = YearMonth::new(2024, 3).unwrap();
        let used = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(next_number(InvoiceKind::Invoice, m, &[]), "F202403");
        assert_eq!(
            next_number(InvoiceKind::Invoice, m, &used(&["F202403"])),
            "F202403-2"
        );
        assert_eq!(
            next_number(InvoiceKind::Invoice, m, &used(&["F202403", "F202403-2"])),
            "F202403-3"
        );
        assert_eq!(
            next_number(InvoiceKind::CreditNote, m, &used(&["F202403"])),
            "K202403-1"
        );
        assert_eq!(
            next_number(InvoiceKind::CreditNote, m, &used(&["K202403-1"])),
            "K202403-2"
        );
    }

    #[test]
    fn only_sent_invoices_are_credited() {
        use InvoiceStatus::*;
        assert!(check_creditable(InvoiceKind::Invoice, Sent).is_ok());
        assert!(check_creditable(InvoiceKind::Invoice, Paid).is_ok());
        assert!(check_creditable(InvoiceKind::Invoice, Approved).is_ok());
        assert_eq!(
            check_creditable(InvoiceKind::Invoice, Draft)
                .unwrap_err()
                .field,
            "corrects"
        );
        assert!(check_creditable(InvoiceKind::CreditNote, Sent).is_err());
    }

    fn rule() -> impl Strategy<Value = AbsenceRule> {
        prop::sample::select(AbsenceRule::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn amounts_are_never_negative_nor_above_the_price(
            price in 0i64..1_000_000_000,
            year in 2000i32..2100, month in 1u32..=12,
            start_offset in -40i64..31, len in 0i64..80, open in any::<bool>(),
            sick in 0u32..40, leave in 0u32..40, unexcused in 0u32..40, r in rule(),
            pauses in prop::collection::vec((-40i64..40, 0i64..20, any::<bool>()), 0..3),
        ) {
            let m = YearMonth::new(year, month).unwrap();
            let start = m.first_day() + chrono::Duration::days(start_offset);
            let end = if open { None } else { Some(start + chrono::Duration::days(len)) };
            let mut b = billable(start, end, r);
            b.price_per_month = Money::from_ore(price);
            (b.sick_days, b.leave_days, b.unexcused_days) = (sick, leave, unexcused);
            b.paused = pauses
                .iter()
                .filter_map(|(offset, len, open)| {
                    let from = m.first_day() + chrono::Duration::days(*offset);
                    paused_days(from, (!open).then(|| from + chrono::Duration::days(*len)))
                })
                .collect();
            let unpaused = derive_line(m, &BillableMonth { paused: DateRangeSet::new(), ..b.clone() });
            match derive_line(m, &b) {
                Ok(line) => {
                    prop_assert!(line.amount >= Money::ZERO);
                    prop_assert!(line.amount <= b.price_per_month);
                    prop_assert!(line.paid_days <= line.placement_days);
                    prop_assert!(line.placement_days <= line.month_days);
                    prop_assert_eq!(
                        line.paid_days + line.paused_days + line.deducted_days,
                        line.placement_days
                    );
                    // A pause never makes a line dearer.
                    prop_assert!(line.amount <= unpaused.unwrap().amount);
                }
                Err(e) => prop_assert_eq!(e.field, "month"),
            }
        }

        #[test]
        fn a_full_month_without_deductions_is_the_price(
            price in 0i64..1_000_000_000, year in 2000i32..2100, month in 1u32..=12, r in rule(),
        ) {
            let m = YearMonth::new(year, month).unwrap();
            let mut b = billable(m.first_day(), Some(m.last_day()), r);
            b.price_per_month = Money::from_ore(price);
            (b.sick_days, b.leave_days, b.unexcused_days) = (0, 0, 0);
            prop_assert_eq!(derive_line(m, &b).unwrap().amount, b.price_per_month);
        }

        #[test]
        fn the_total_is_the_sum_of_the_lines(
            prices in prop::collection::vec(0i64..5_000_000, 0..20),
            starts in prop::collection::vec(1u32..=28, 20),
            r in rule(),
        ) {
            let m = YearMonth::new(2025, 2).unwrap();
            let billables: Vec<_> = prices.iter().zip(&starts).enumerate().map(|(i, (p, s))| {
                let mut b = billable(d(2025, 2, *s), None, r);
                b.placement_id = PlacementId(i as i64 + 1);
                b.price_per_month = Money::from_ore(*p);
                b
            }).collect();
            let (lines, total) = derive_invoice(m, &billables).unwrap();
            prop_assert_eq!(lines.len(), billables.len());
            prop_assert_eq!(total, lines.iter().map(|l| l.amount).sum::<Money>());
            prop_assert!(total >= Money::ZERO);
        }
    }

    #[test]
    fn invoices_move_one_step_at_a_time() {
        use InvoiceStatus::*;
        assert_eq!(Draft.transition(Approved).unwrap(), Approved);
        assert_eq!(Approved.transition(Sent).unwrap(), Sent);
        assert_eq!(Sent.transition(Paid).unwrap(), Paid);
        assert!(Draft.transition(Paid).is_err());
        assert!(Paid.transition(Draft).is_err());
        assert!(Approved.transition(Draft).is_err());
        assert!(Draft.is_editable() && !Approved.is_editable());
    }
}
