//! Invoices and credit notes: derived from placements × approved attendance × the
//! agreement's price rules, and never edited once approved (corrections are new
//! documents).

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
