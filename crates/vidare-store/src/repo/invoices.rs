//! Invoices and credit notes: created from approved attendance, moved through the
//! approval flow (draft → approved → sent → paid), corrected only by credit notes, and
//! gathered into everything a Peppol BIS Billing 3.0 document needs.
//!
//! A placement-month is *invoiced* while it has more invoice lines than credit-note
//! lines for that month (drafts count, so producing a month twice never bills twice). A
//! credit note makes it billable again, and the next run for the month bills it on a new
//! invoice from the approved attendance.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use vidare_domain::ids::{AgreementId, InvoiceId, OrganisationId, PlacementId};
use vidare_domain::model::invoice::{
    check_creditable, derive_invoice, next_number, vat_breakdown, BillableMonth, DocumentLine,
    DocumentParty, InvoiceDocument, InvoiceKind, InvoiceStatus, VatCategory,
};
use vidare_domain::model::placement::AttendanceStatus;
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::{RuleViolation, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::{DateRange, DateRangeSet, YearMonth};

use crate::locks::TxLocks;
use crate::repo::placements::{paused_by_placement, PauseRow, PAUSES_IN_MONTH_SQL};
use crate::rows::{conv, count};
use crate::{with_pool, with_tx, Change, Scoped, StoreError};

/// The municipality as the buyer on its suppliers' invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoicingSettings {
    pub org_number: OrganisationNumber,
    pub buyer_reference: Text,
    pub street: Option<Text>,
    pub postcode: Option<Text>,
    pub city: Option<Text>,
    /// Due date = issue date + this many days (0–120).
    pub payment_days: u32,
}

impl InvoicingSettings {
    /// Checks the payment terms.
    pub fn check(&self) -> Result<(), RuleViolation> {
        if self.payment_days > 120 {
            return Err(RuleViolation::new(
                "payment_days",
                "Betalningsvillkoret kan vara högst 120 dagar.",
                "Payment terms can be at most 120 days.",
            ));
        }
        Ok(())
    }
}

/// An invoice or credit note as listed and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceRecord {
    pub id: InvoiceId,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub month: YearMonth,
    pub number: String,
    pub kind: InvoiceKind,
    pub corrects: Option<InvoiceId>,
    pub status: InvoiceStatus,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Sum of the lines, excluding VAT (positive also for a credit note).
    pub total: Money,
    /// VAT on the document, per EN 16931 (sum of the per-category amounts).
    pub vat: Money,
    pub buyer_reference: Option<String>,
    pub note: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub paid: Option<Money>,
}

impl InvoiceRecord {
    /// Total including VAT.
    pub fn total_with_vat(&self) -> Money {
        self.total + self.vat
    }

    /// The amount with its sign for the municipality's books: credit notes negative.
    pub fn signed(&self, amount: Money) -> Money {
        match self.kind {
            InvoiceKind::Invoice => amount,
            InvoiceKind::CreditNote => -amount,
        }
    }
}

/// One line of a stored invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceLineRecord {
    pub id: i64,
    pub placement_id: PlacementId,
    pub agreement_id: AgreementId,
    pub description: String,
    pub paid_days: u32,
    pub month_days: u32,
    pub price_per_month: Money,
    pub amount: Money,
    pub vat: VatCategory,
}

/// Which invoices to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    pub month: Option<YearMonth>,
    pub organisation: Option<OrganisationId>,
    pub status: Option<InvoiceStatus>,
}

/// A supplier's invoicing in one month: net of credit notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthIncome {
    pub month: YearMonth,
    pub invoices: u32,
    /// Invoiced minus credited, excluding VAT.
    pub net: Money,
    pub vat: Money,
    /// Paid to the supplier (credit notes settled count negative).
    pub paid: Money,
    /// Net including VAT, less what is paid, for documents that are sent or paid.
    pub outstanding: Money,
}

/// What a run for a month did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedInvoices {
    pub month: YearMonth,
    pub invoices: Vec<InvoiceId>,
    pub lines: u32,
    pub total: Money,
}

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    id: i64,
    organisation_id: i64,
    organisation_name: String,
    month: String,
    number: String,
    kind: String,
    corrects: Option<i64>,
    status: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    total_ore: i64,
    buyer_reference: Option<String>,
    note: Option<String>,
    paid_on: Option<NaiveDate>,
    paid_ore: Option<i64>,
}

const INVOICE_COLUMNS: &str = "i.id, i.organisation_id, o.name AS organisation_name, i.month, i.number, \
    i.kind, i.corrects, i.status, i.issue_date, i.due_date, i.total_ore, i.buyer_reference, i.note, \
    i.paid_on, i.paid_ore";

#[derive(sqlx::FromRow)]
struct LineRow {
    id: i64,
    invoice_id: i64,
    placement_id: i64,
    agreement_id: i64,
    description: String,
    paid_days: i64,
    month_days: i64,
    price_per_month_ore: i64,
    amount_ore: i64,
    vat_category: String,
}

impl TryFrom<LineRow> for InvoiceLineRecord {
    type Error = StoreError;
    fn try_from(r: LineRow) -> Result<Self, StoreError> {
        const E: &str = "invoice_line";
        Ok(InvoiceLineRecord {
            id: r.id,
            placement_id: PlacementId(r.placement_id),
            agreement_id: AgreementId(r.agreement_id),
            description: r.description,
            paid_days: count(E, r.id, r.paid_days)?,
            month_days: count(E, r.id, r.month_days)?,
            price_per_month: Money::from_ore(r.price_per_month_ore),
            amount: Money::from_ore(r.amount_ore),
            vat: conv(E, r.id, VatCategory::parse(&r.vat_category))?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct BillableRow {
    placement_id: i64,
    organisation_id: i64,
    agreement_id: i64,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    price_per_month_ore: i64,
    absence_rule: String,
    vat_category: String,
    type_name: String,
    vat_registered: bool,
    sick_days: i64,
    leave_days: i64,
    unexcused_days: i64,
}

/// name, org_number, vat_registered, bankgiro, email.
type SellerRow = (String, String, bool, Option<String>, Option<String>);

#[derive(sqlx::FromRow)]
struct SettingsRow {
    org_number: String,
    buyer_reference: String,
    street: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    payment_days: i64,
}

/// The placement-months of `month` with approved attendance that are not on an invoice
/// (net of credit notes). `$1` tenant, `$2` month, `$3` the approved status.
const BILLABLE_SQL: &str = "SELECT p.id AS placement_id, p.organisation_id, p.agreement_id, p.start_date, \
    p.end_date, fa.price_per_month_ore, fa.absence_rule, fa.vat_category, pt.name_sv AS type_name, \
    o.vat_registered, a.sick_days, a.leave_days, a.unexcused_days \
    FROM attendance_months a \
    JOIN placements p ON p.tenant_id = a.tenant_id AND p.id = a.placement_id \
    JOIN framework_agreements fa ON fa.tenant_id = p.tenant_id AND fa.id = p.agreement_id \
    JOIN placement_types pt ON pt.tenant_id = fa.tenant_id AND pt.id = fa.placement_type_id \
    JOIN organisations o ON o.tenant_id = p.tenant_id AND o.id = p.organisation_id \
    WHERE a.tenant_id = $1 AND a.month = $2 AND a.status = $3 \
    AND (SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id \
         WHERE l.tenant_id = a.tenant_id AND l.placement_id = a.placement_id AND i.month = a.month AND i.kind = 'invoice') \
      <= (SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id \
         WHERE l.tenant_id = a.tenant_id AND l.placement_id = a.placement_id AND i.month = a.month AND i.kind = 'credit_note') \
    ORDER BY p.organisation_id, p.id";

/// The invoice that bills a placement-month and has not been credited (a credit note
/// always credits a whole invoice, so this is the rule of [`BILLABLE_SQL`] seen from the
/// invoice): id, number, status. `$1` tenant, `$2` placement, `$3` month.
pub(crate) const UNCREDITED_INVOICE_SQL: &str = "SELECT i.id, i.number, i.status FROM invoices i \
    WHERE i.tenant_id = $1 AND i.month = $3 AND i.kind = 'invoice' \
    AND EXISTS (SELECT 1 FROM invoice_lines l WHERE l.tenant_id = i.tenant_id AND l.invoice_id = i.id \
                AND l.placement_id = $2) \
    AND NOT EXISTS (SELECT 1 FROM invoices c WHERE c.tenant_id = i.tenant_id AND c.corrects = i.id) \
    ORDER BY i.id DESC";

/// An invoice that bills a placement-month, as [`Scoped::uncredited_invoice_of`] finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillingInvoice {
    pub id: InvoiceId,
    pub number: String,
    pub status: InvoiceStatus,
}

impl BillingInvoice {
    pub(crate) fn from_row(
        (id, number, status): (i64, String, String),
    ) -> Result<Self, StoreError> {
        Ok(BillingInvoice {
            id: InvoiceId(id),
            number,
            status: conv("invoice", id, InvoiceStatus::parse(&status))?,
        })
    }
}

fn billable(
    row: BillableRow,
    paused: &mut HashMap<PlacementId, DateRangeSet>,
) -> Result<(OrganisationId, BillableMonth), StoreError> {
    const E: &str = "placement";
    let id = row.placement_id;
    let agreement_vat = conv(E, id, VatCategory::parse(&row.vat_category))?;
    Ok((
        OrganisationId(row.organisation_id),
        BillableMonth {
            placement_id: PlacementId(id),
            agreement_id: AgreementId(row.agreement_id),
            description: conv(
                E,
                id,
                Text::parse(&format!("{}, placering {id}", row.type_name)),
            )?,
            placement: conv(E, id, DateRange::new(row.start_date, row.end_date))?,
            paused: paused.remove(&PlacementId(id)).unwrap_or_default(),
            price_per_month: Money::from_ore(row.price_per_month_ore),
            absence_rule: conv(E, id, AbsenceRule::parse(&row.absence_rule))?,
            vat: VatCategory::effective(agreement_vat, row.vat_registered),
            sick_days: count(E, id, row.sick_days)?,
            leave_days: count(E, id, row.leave_days)?,
            unexcused_days: count(E, id, row.unexcused_days)?,
        },
    ))
}

fn vat_of(lines: &[InvoiceLineRecord]) -> Money {
    let pairs: Vec<_> = lines.iter().map(|l| (l.vat, l.amount)).collect();
    vat_breakdown(&pairs).iter().map(|(_, _, vat)| *vat).sum()
}

fn not_found() -> StoreError {
    StoreError::NotFound { entity: "invoice" }
}

impl Scoped<'_> {
    /// The municipality's buyer details, if set.
    pub async fn invoicing_settings(&self) -> Result<Option<InvoicingSettings>, StoreError> {
        let row: Option<SettingsRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT org_number, buyer_reference, street, postcode, city, payment_days \
                 FROM invoicing_settings WHERE tenant_id = $1",
            )
            .bind(self.tid())
            .fetch_optional(pool)
            .await?
        });
        let Some(r) = row else { return Ok(None) };
        const E: &str = "invoicing_settings";
        let id = self.tid();
        let opt = |v: Option<String>| v.map(|v| conv(E, id, Text::parse(&v))).transpose();
        Ok(Some(InvoicingSettings {
            org_number: conv(E, id, OrganisationNumber::parse(&r.org_number))?,
            buyer_reference: conv(E, id, Text::parse(&r.buyer_reference))?,
            street: opt(r.street)?,
            postcode: opt(r.postcode)?,
            city: opt(r.city)?,
            payment_days: count(E, id, r.payment_days)?,
        }))
    }

    /// The invoice (or draft) that bills a placement-month and has not been credited, if
    /// any: while there is one, the month's attendance cannot be corrected.
    pub async fn uncredited_invoice_of(
        &self,
        placement: PlacementId,
        month: YearMonth,
    ) -> Result<Option<BillingInvoice>, StoreError> {
        let row: Option<(i64, String, String)> = with_pool!(self, |pool| {
            sqlx::query_as(UNCREDITED_INVOICE_SQL)
                .bind(self.tid())
                .bind(placement.get())
                .bind(month.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(BillingInvoice::from_row).transpose()
    }

    /// Saves the municipality's buyer details (audit-logged).
    pub async fn save_invoicing_settings(&self, s: &InvoicingSettings) -> Result<(), StoreError> {
        s.check()?;
        let before = self.invoicing_settings().await?;
        with_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO invoicing_settings (tenant_id, org_number, buyer_reference, street, postcode, city, \
                 payment_days, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (tenant_id) DO UPDATE SET org_number = excluded.org_number, \
                 buyer_reference = excluded.buyer_reference, street = excluded.street, \
                 postcode = excluded.postcode, city = excluded.city, payment_days = excluded.payment_days, \
                 updated_at = excluded.updated_at",
            )
            .bind(self.tid())
            .bind(s.org_number.canonical())
            .bind(s.buyer_reference.as_str())
            .bind(s.street.as_ref().map(Text::as_str))
            .bind(s.postcode.as_ref().map(Text::as_str))
            .bind(s.city.as_ref().map(Text::as_str))
            .bind(i64::from(s.payment_days))
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update("invoicing_settings", self.tid(), &before, s)
            );
        });
        Ok(())
    }

    /// Sets the VAT category of the placements bought under an agreement (E or S; O is
    /// never chosen, it follows from the supplier not being registered). Audit-logged;
    /// lines already invoiced keep theirs.
    pub async fn set_agreement_vat(
        &self,
        agreement: AgreementId,
        vat: VatCategory,
    ) -> Result<(), StoreError> {
        if vat == VatCategory::NotSubject {
            return Err(RuleViolation::new(
                "vat_category",
                "Välj momsfri (E) eller 25 % moms (S).",
                "Choose exempt (E) or 25 % VAT (S).",
            )
            .into());
        }
        let n = with_tx!(self, |tx| {
            let before: Option<String> = sqlx::query_scalar(
                "SELECT vat_category FROM framework_agreements WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(agreement.get())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(before) = before else {
                return Err(StoreError::NotFound {
                    entity: "agreement",
                });
            };
            sqlx::query("UPDATE framework_agreements SET vat_category = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(vat.as_str())
                .bind(self.tid())
                .bind(agreement.get())
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "framework_agreements",
                    agreement.get(),
                    &serde_json::json!({ "vat_category": before }),
                    &serde_json::json!({ "vat_category": vat }),
                )
            );
            1
        });
        debug_assert_eq!(n, 1);
        Ok(())
    }

    /// Sets a supplier's VAT registration and bankgiro number (7–8 digits, a hyphen
    /// allowed). Audit-logged.
    pub async fn set_supplier_invoicing(
        &self,
        org: OrganisationId,
        vat_registered: bool,
        bankgiro: Option<&str>,
    ) -> Result<(), StoreError> {
        let bankgiro = match bankgiro.map(str::trim).filter(|b| !b.is_empty()) {
            None => None,
            Some(b) => {
                let digits: String = b.chars().filter(|c| *c != '-').collect();
                if !(7..=8).contains(&digits.len()) || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(RuleViolation::new(
                        "bankgiro",
                        "Bankgironumret ska ha 7 eller 8 siffror, till exempel 5050-1055.",
                        "The bankgiro number must have 7 or 8 digits, for example 5050-1055.",
                    )
                    .into());
                }
                Some(b.to_owned())
            }
        };
        with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE organisations SET vat_registered = $1, bankgiro = $2 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(vat_registered)
            .bind(&bankgiro)
            .bind(self.tid())
            .bind(org.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound {
                    entity: "organisation",
                });
            }
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "update",
                    "organisations",
                    Some(org.to_string()),
                    Some(
                        serde_json::json!({ "vat_registered": vat_registered, "bankgiro": bankgiro })
                    )
                )
            );
        });
        Ok(())
    }

    /// The agreements with their VAT category, for the invoicing settings: (agreement,
    /// supplier name, placement type (sv), price per month, VAT category), by supplier.
    pub async fn agreements_vat(
        &self,
    ) -> Result<Vec<(AgreementId, String, String, Money, VatCategory)>, StoreError> {
        let rows: Vec<(i64, String, String, i64, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT fa.id, o.name, pt.name_sv, fa.price_per_month_ore, fa.vat_category \
                 FROM framework_agreements fa \
                 JOIN organisations o ON o.tenant_id = fa.tenant_id AND o.id = fa.organisation_id \
                 JOIN placement_types pt ON pt.tenant_id = fa.tenant_id AND pt.id = fa.placement_type_id \
                 WHERE fa.tenant_id = $1 ORDER BY o.name, pt.name_sv, fa.id",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, org, ty, price, vat)| {
                Ok((
                    AgreementId(id),
                    org,
                    ty,
                    Money::from_ore(price),
                    conv("framework_agreement", id, VatCategory::parse(&vat))?,
                ))
            })
            .collect()
    }

    /// Suppliers with agreements and their invoicing details: (organisation, name, VAT
    /// registered, bankgiro), by name.
    pub async fn suppliers_invoicing(
        &self,
    ) -> Result<Vec<(OrganisationId, String, bool, Option<String>)>, StoreError> {
        let rows: Vec<(i64, String, bool, Option<String>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT o.id, o.name, o.vat_registered, o.bankgiro FROM organisations o \
                 WHERE o.tenant_id = $1 AND EXISTS (SELECT 1 FROM framework_agreements fa \
                 WHERE fa.tenant_id = o.tenant_id AND fa.organisation_id = o.id) ORDER BY o.name, o.id",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, vat, bg)| (OrganisationId(id), name, vat, bg))
            .collect())
    }

    /// The placement-months of `month` that approved attendance makes billable and no
    /// invoice covers yet, per supplier.
    pub async fn billable_months(
        &self,
        month: YearMonth,
    ) -> Result<Vec<(OrganisationId, BillableMonth)>, StoreError> {
        let (rows, pauses): (Vec<BillableRow>, Vec<PauseRow>) = with_pool!(self, |pool| {
            let rows = sqlx::query_as(BILLABLE_SQL)
                .bind(self.tid())
                .bind(month.to_string())
                .bind(AttendanceStatus::Approved.as_str())
                .fetch_all(pool)
                .await?;
            let pauses = sqlx::query_as(PAUSES_IN_MONTH_SQL)
                .bind(self.tid())
                .bind(month.last_day())
                .bind(month.first_day())
                .fetch_all(pool)
                .await?;
            (rows, pauses)
        });
        let mut paused = paused_by_placement(pauses);
        rows.into_iter().map(|r| billable(r, &mut paused)).collect()
    }

    /// Creates draft invoices for `month`: one per supplier with billable placement-months,
    /// numbered per supplier, all in one transaction.
    pub async fn create_invoices_for_month(
        &self,
        month: YearMonth,
        issue_date: NaiveDate,
    ) -> Result<CreatedInvoices, StoreError> {
        if issue_date < month.first_day() {
            return Err(RuleViolation::new(
                "issue_date",
                format!("Fakturadatumet kan inte vara före {month}."),
                format!("The issue date cannot be before {month}."),
            )
            .into());
        }
        let settings = self.invoicing_settings().await?;
        let payment_days = settings.as_ref().map_or(30, |s| s.payment_days);
        let buyer_reference = settings.map(|s| s.buyer_reference.as_str().to_owned());
        let due_date = issue_date + chrono::Duration::days(i64::from(payment_days));
        let now: DateTime<Utc> = Utc::now();
        let created = with_tx!(self, |tx| {
            // Read under the month's invoicing lock, inside the write transaction: two
            // runs cannot both bill a month (the later one finds it billed).
            tx.lock_invoicing_month(self.tid(), month).await?;
            let rows: Vec<BillableRow> = sqlx::query_as(BILLABLE_SQL)
                .bind(self.tid())
                .bind(month.to_string())
                .bind(AttendanceStatus::Approved.as_str())
                .fetch_all(&mut *tx)
                .await?;
            let pauses: Vec<PauseRow> = sqlx::query_as(PAUSES_IN_MONTH_SQL)
                .bind(self.tid())
                .bind(month.last_day())
                .bind(month.first_day())
                .fetch_all(&mut *tx)
                .await?;
            let mut paused = paused_by_placement(pauses);
            let billables = rows
                .into_iter()
                .map(|r| billable(r, &mut paused))
                .collect::<Result<Vec<_>, _>>()?;
            let mut by_org: Vec<(OrganisationId, Vec<BillableMonth>)> = Vec::new();
            for (org, b) in billables {
                match by_org.last_mut() {
                    Some((o, list)) if *o == org => list.push(b),
                    _ => by_org.push((org, vec![b])),
                }
            }
            let mut out = CreatedInvoices {
                month,
                invoices: Vec::new(),
                lines: 0,
                total: Money::ZERO,
            };
            for (org, list) in by_org {
                let (lines, total) = derive_invoice(month, &list)?;
                let used: Vec<String> = sqlx::query_scalar(
                    "SELECT number FROM invoices WHERE tenant_id = $1 AND organisation_id = $2",
                )
                .bind(self.tid())
                .bind(org.get())
                .fetch_all(&mut *tx)
                .await?;
                let number = next_number(InvoiceKind::Invoice, month, &used);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO invoices (tenant_id, organisation_id, month, number, kind, corrects, status, \
                     issue_date, due_date, total_ore, buyer_reference, created_at) \
                     VALUES ($1, $2, $3, $4, 'invoice', NULL, 'draft', $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(self.tid())
                .bind(org.get())
                .bind(month.to_string())
                .bind(&number)
                .bind(issue_date)
                .bind(due_date)
                .bind(total.ore())
                .bind(&buyer_reference)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for l in &lines {
                    sqlx::query(
                        "INSERT INTO invoice_lines (tenant_id, invoice_id, placement_id, agreement_id, description, \
                         paid_days, month_days, price_per_month_ore, amount_ore, vat_category) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(self.tid())
                    .bind(id)
                    .bind(l.placement_id.get())
                    .bind(l.agreement_id.get())
                    .bind(l.description.as_str())
                    .bind(i64::from(l.paid_days))
                    .bind(i64::from(l.month_days))
                    .bind(l.price_per_month.ore())
                    .bind(l.amount.ore())
                    .bind(l.vat.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                crate::audit_append!(
                    tx,
                    self,
                    Change::create(
                        "invoices",
                        id,
                        &serde_json::json!({
                            "organisation_id": org, "month": month, "number": number, "kind": "invoice",
                            "status": "draft", "issue_date": issue_date, "due_date": due_date,
                            "total_ore": total, "lines": lines,
                        })
                    )
                );
                out.invoices.push(InvoiceId(id));
                out.lines += lines.len() as u32;
                out.total = out.total + total;
            }
            out
        });
        Ok(created)
    }

    /// Invoices and credit notes, newest month first, then supplier and number.
    pub async fn list_invoices(&self, f: &InvoiceFilter) -> Result<Vec<InvoiceRecord>, StoreError> {
        let rows: Vec<InvoiceRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {INVOICE_COLUMNS} FROM invoices i \
                 JOIN organisations o ON o.tenant_id = i.tenant_id AND o.id = i.organisation_id \
                 WHERE i.tenant_id = $1 AND ($2 IS NULL OR i.month = $2) \
                 AND ($3 IS NULL OR i.organisation_id = $3) AND ($4 IS NULL OR i.status = $4) \
                 ORDER BY i.month DESC, o.name, i.number"
            ))
            .bind(self.tid())
            .bind(f.month.map(|m| m.to_string()))
            .bind(f.organisation.map(|o| o.get()))
            .bind(f.status.map(|s| s.as_str()))
            .fetch_all(pool)
            .await?
        });
        let vats = self.vat_by_invoice(f).await?;
        rows.into_iter()
            .map(|r| {
                let vat = vats
                    .iter()
                    .find(|(id, _)| *id == r.id)
                    .map_or(Money::ZERO, |(_, v)| *v);
                record(r, vat)
            })
            .collect()
    }

    /// VAT per invoice for the listed invoices, computed per EN 16931 from the lines.
    async fn vat_by_invoice(&self, f: &InvoiceFilter) -> Result<Vec<(i64, Money)>, StoreError> {
        // Only lines with VAT matter; exempt lines (the usual case) are skipped.
        let rows: Vec<(i64, String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT l.invoice_id, l.vat_category, CAST(SUM(l.amount_ore) AS BIGINT) FROM invoice_lines l \
                 JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id \
                 WHERE l.tenant_id = $1 AND l.vat_category = 'S' AND ($2 IS NULL OR i.month = $2) \
                 AND ($3 IS NULL OR i.organisation_id = $3) AND ($4 IS NULL OR i.status = $4) \
                 GROUP BY l.invoice_id, l.vat_category",
            )
            .bind(self.tid())
            .bind(f.month.map(|m| m.to_string()))
            .bind(f.organisation.map(|o| o.get()))
            .bind(f.status.map(|s| s.as_str()))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, cat, sum)| {
                let cat = conv("invoice_line", id, VatCategory::parse(&cat))?;
                Ok((id, cat.vat_on(Money::from_ore(sum))))
            })
            .collect()
    }

    /// The months that have invoices, newest first.
    pub async fn invoice_months(&self) -> Result<Vec<YearMonth>, StoreError> {
        let rows: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT DISTINCT month FROM invoices WHERE tenant_id = $1 ORDER BY month DESC",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|m| conv("invoice", 0, YearMonth::parse(m)))
            .collect()
    }

    /// One invoice with its lines.
    pub async fn get_invoice(
        &self,
        id: InvoiceId,
    ) -> Result<(InvoiceRecord, Vec<InvoiceLineRecord>), StoreError> {
        let row: Option<InvoiceRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {INVOICE_COLUMNS} FROM invoices i \
                 JOIN organisations o ON o.tenant_id = i.tenant_id AND o.id = i.organisation_id \
                 WHERE i.tenant_id = $1 AND i.id = $2"
            ))
            .bind(self.tid())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        let row = row.ok_or_else(not_found)?;
        let lines: Vec<LineRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, invoice_id, placement_id, agreement_id, description, paid_days, month_days, \
                 price_per_month_ore, amount_ore, vat_category FROM invoice_lines \
                 WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY placement_id, id",
            )
            .bind(self.tid())
            .bind(id.get())
            .fetch_all(pool)
            .await?
        });
        let lines = lines
            .into_iter()
            .map(|l| {
                debug_assert_eq!(l.invoice_id, id.get());
                InvoiceLineRecord::try_from(l)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let vat = vat_of(&lines);
        Ok((record(row, vat)?, lines))
    }

    /// Moves an invoice one step in the approval flow. Marking paid needs the payment
    /// date and amount. Illegal transitions are refused; each step is audit-logged.
    pub async fn set_invoice_status(
        &self,
        id: InvoiceId,
        to: InvoiceStatus,
        payment: Option<(NaiveDate, Money)>,
    ) -> Result<InvoiceRecord, StoreError> {
        let (current, _) = self.get_invoice(id).await?;
        current.status.transition(to)?;
        let payment = match (to, payment) {
            (InvoiceStatus::Paid, Some((on, amount))) => {
                if amount <= Money::ZERO {
                    return Err(RuleViolation::new(
                        "paid_amount",
                        "Betalt belopp måste vara större än noll.",
                        "The paid amount must be greater than zero.",
                    )
                    .into());
                }
                if on < current.issue_date {
                    return Err(RuleViolation::new(
                        "paid_on",
                        format!(
                            "Betalningsdagen kan inte vara före fakturadatumet {}.",
                            current.issue_date
                        ),
                        format!(
                            "The payment date cannot be before the issue date {}.",
                            current.issue_date
                        ),
                    )
                    .into());
                }
                Some((on, amount))
            }
            (InvoiceStatus::Paid, None) => {
                return Err(RuleViolation::new(
                    "paid_on",
                    "Ange betalningsdag och belopp.",
                    "Enter the payment date and amount.",
                )
                .into())
            }
            (_, _) => None,
        };
        let n = with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE invoices SET status = $1, paid_on = COALESCE($2, paid_on), paid_ore = COALESCE($3, paid_ore) \
                 WHERE tenant_id = $4 AND id = $5 AND status = $6",
            )
            .bind(to.as_str())
            .bind(payment.map(|(on, _)| on))
            .bind(payment.map(|(_, m)| m.ore()))
            .bind(self.tid())
            .bind(id.get())
            .bind(current.status.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                crate::audit_append!(
                    tx,
                    self,
                    Change::update(
                        "invoices",
                        id.get(),
                        &serde_json::json!({ "status": current.status }),
                        &serde_json::json!({
                            "status": to,
                            "paid_on": payment.map(|(on, _)| on),
                            "paid_ore": payment.map(|(_, m)| m),
                        }),
                    )
                );
            }
            n
        });
        if n == 0 {
            // Someone else moved it between the read and the write.
            return Err(RuleViolation::new(
                "status",
                "Fakturan ändrades av någon annan. Ladda om sidan och försök igen.",
                "The invoice was changed by someone else. Reload the page and try again.",
            )
            .into());
        }
        Ok(self.get_invoice(id).await?.0)
    }

    /// Deletes a draft (it was never approved, so nothing refers to it). Audit-logged.
    pub async fn delete_draft_invoice(&self, id: InvoiceId) -> Result<(), StoreError> {
        let (current, lines) = self.get_invoice(id).await?;
        if !current.status.is_editable() {
            return Err(RuleViolation::new(
                "status",
                "Bara utkast kan tas bort. Rätta en godkänd faktura med en kreditnota.",
                "Only drafts can be deleted. Correct an approved invoice with a credit note.",
            )
            .into());
        }
        with_tx!(self, |tx| {
            sqlx::query("DELETE FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2")
                .bind(self.tid())
                .bind(id.get())
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query(
                "DELETE FROM invoices WHERE tenant_id = $1 AND id = $2 AND status = 'draft'",
            )
            .bind(self.tid())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(not_found());
            }
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "delete",
                    "invoices",
                    Some(id.to_string()),
                    Some(
                        serde_json::json!({ "number": current.number, "lines": lines.len(), "total_ore": current.total })
                    )
                )
            );
        });
        Ok(())
    }

    /// Credits an approved, sent or paid invoice in full: a new credit note (draft) with
    /// the same lines, which makes its placement-months billable again. The original is
    /// never edited.
    pub async fn credit_invoice(
        &self,
        id: InvoiceId,
        reason: &Text,
        issue_date: NaiveDate,
    ) -> Result<InvoiceId, StoreError> {
        let (original, lines) = self.get_invoice(id).await?;
        check_creditable(original.kind, original.status)?;
        if issue_date < original.issue_date {
            return Err(RuleViolation::new(
                "issue_date",
                format!(
                    "Kreditnotan kan inte dateras före fakturan ({}).",
                    original.issue_date
                ),
                format!(
                    "The credit note cannot be dated before the invoice ({}).",
                    original.issue_date
                ),
            )
            .into());
        }
        let settings = self.invoicing_settings().await?;
        let payment_days = settings.as_ref().map_or(30, |s| s.payment_days);
        let due_date = issue_date + chrono::Duration::days(i64::from(payment_days));
        let new_id: i64 = with_tx!(self, |tx| {
            // Under the month's invoicing lock: two credits of one invoice cannot both
            // pass the check below, nor take the same credit-note number.
            tx.lock_invoicing_month(self.tid(), original.month).await?;
            let already: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM invoices WHERE tenant_id = $1 AND corrects = $2",
            )
            .bind(self.tid())
            .bind(id.get())
            .fetch_one(&mut *tx)
            .await?;
            if already > 0 {
                return Err(RuleViolation::new(
                    "corrects",
                    format!("Faktura {} är redan krediterad.", original.number),
                    format!("Invoice {} has already been credited.", original.number),
                )
                .into());
            }
            let used: Vec<String> = sqlx::query_scalar(
                "SELECT number FROM invoices WHERE tenant_id = $1 AND organisation_id = $2",
            )
            .bind(self.tid())
            .bind(original.organisation_id.get())
            .fetch_all(&mut *tx)
            .await?;
            let number = next_number(InvoiceKind::CreditNote, original.month, &used);
            let new_id: i64 = sqlx::query_scalar(
                "INSERT INTO invoices (tenant_id, organisation_id, month, number, kind, corrects, status, \
                 issue_date, due_date, total_ore, buyer_reference, note, created_at) \
                 VALUES ($1, $2, $3, $4, 'credit_note', $5, 'draft', $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(self.tid())
            .bind(original.organisation_id.get())
            .bind(original.month.to_string())
            .bind(&number)
            .bind(id.get())
            .bind(issue_date)
            .bind(due_date)
            .bind(original.total.ore())
            .bind(&original.buyer_reference)
            .bind(reason.as_str())
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO invoice_lines (tenant_id, invoice_id, placement_id, agreement_id, description, \
                 paid_days, month_days, price_per_month_ore, amount_ore, vat_category) \
                 SELECT tenant_id, $1, placement_id, agreement_id, description, paid_days, month_days, \
                 price_per_month_ore, amount_ore, vat_category FROM invoice_lines \
                 WHERE tenant_id = $2 AND invoice_id = $3 ORDER BY id",
            )
            .bind(new_id)
            .bind(self.tid())
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "invoices",
                    new_id,
                    &serde_json::json!({
                        "kind": "credit_note", "corrects": id, "number": number, "reason": reason,
                        "month": original.month, "total_ore": original.total, "lines": lines.len(),
                    })
                )
            );
            new_id
        });
        Ok(InvoiceId(new_id))
    }

    /// Everything the UBL document of an invoice needs. Refused (naming what to fill in)
    /// while the municipality's buyer details are missing.
    pub async fn invoice_document(&self, id: InvoiceId) -> Result<InvoiceDocument, StoreError> {
        let (invoice, lines) = self.get_invoice(id).await?;
        let buyer = self.invoicing_settings().await?.ok_or_else(|| {
            RuleViolation::new(
                "org_number",
                "Fyll i kommunens organisationsnummer och referens under Fakturor → Inställningar innan fakturor exporteras.",
                "Fill in the municipality's organisation number and reference under Invoices → Settings before exporting invoices.",
            )
        })?;
        let tenant = self.store().get_tenant(self.tenant_id()).await?;
        let seller: Option<SellerRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT name, org_number, vat_registered, bankgiro, email FROM organisations \
                     WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(invoice.organisation_id.get())
            .fetch_optional(pool)
            .await?
        });
        let (name, org_number, vat_registered, bankgiro, email) =
            seller.ok_or(StoreError::NotFound {
                entity: "organisation",
            })?;
        let org_id = invoice.organisation_id.get();
        let corrects = match invoice.corrects {
            Some(c) => {
                let (orig, _) = self.get_invoice(c).await?;
                Some((orig.number, orig.issue_date))
            }
            None => None,
        };
        let text = |t: &Option<Text>| t.as_ref().map(|t| t.as_str().to_owned());
        Ok(InvoiceDocument {
            kind: invoice.kind,
            number: invoice.number.clone(),
            month: invoice.month,
            issue_date: invoice.issue_date,
            due_date: invoice.due_date,
            status: invoice.status,
            buyer_reference: invoice
                .buyer_reference
                .clone()
                .unwrap_or_else(|| buyer.buyer_reference.as_str().to_owned()),
            note: invoice.note.clone(),
            corrects,
            seller: DocumentParty {
                name,
                org_number: conv(
                    "organisation",
                    org_id,
                    OrganisationNumber::parse(&org_number),
                )?,
                street: None,
                postcode: None,
                city: None,
                email,
            },
            seller_vat_registered: vat_registered,
            seller_bankgiro: bankgiro,
            buyer: DocumentParty {
                name: tenant.name.as_str().to_owned(),
                org_number: buyer.org_number,
                street: text(&buyer.street),
                postcode: text(&buyer.postcode),
                city: text(&buyer.city),
                email: None,
            },
            lines: lines
                .into_iter()
                .map(|l| DocumentLine {
                    placement_id: l.placement_id,
                    description: l.description,
                    paid_days: l.paid_days,
                    month_days: l.month_days,
                    price_per_month: l.price_per_month,
                    amount: l.amount,
                    vat: l.vat,
                })
                .collect(),
        })
    }

    /// A supplier's invoicing month by month, newest first: net of credit notes, with
    /// VAT, payments and what is outstanding. Drafts and unapproved documents are left
    /// out (the supplier's income is what the municipality has approved).
    pub async fn income_by_month(
        &self,
        org: OrganisationId,
    ) -> Result<Vec<MonthIncome>, StoreError> {
        let f = InvoiceFilter {
            organisation: Some(org),
            ..InvoiceFilter::default()
        };
        let invoices = self.list_invoices(&f).await?;
        let mut out: Vec<MonthIncome> = Vec::new();
        for inv in invoices.iter().filter(|i| i.status != InvoiceStatus::Draft) {
            let idx = match out.iter().position(|m| m.month == inv.month) {
                Some(i) => i,
                None => {
                    out.push(MonthIncome {
                        month: inv.month,
                        invoices: 0,
                        net: Money::ZERO,
                        vat: Money::ZERO,
                        paid: Money::ZERO,
                        outstanding: Money::ZERO,
                    });
                    out.len() - 1
                }
            };
            let m = &mut out[idx];
            m.invoices += 1;
            m.net = m.net + inv.signed(inv.total);
            m.vat = m.vat + inv.signed(inv.vat);
            // Synthetic history marks invoices paid without an amount: paid in full.
            let paid = match inv.status {
                InvoiceStatus::Paid => inv.paid.unwrap_or(inv.total_with_vat()),
                _ => Money::ZERO,
            };
            m.paid = m.paid + inv.signed(paid);
            if matches!(inv.status, InvoiceStatus::Sent | InvoiceStatus::Paid) {
                m.outstanding = m.outstanding + inv.signed(inv.total_with_vat() - paid);
            }
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.month));
        Ok(out)
    }
}

fn record(r: InvoiceRow, vat: Money) -> Result<InvoiceRecord, StoreError> {
    const E: &str = "invoice";
    Ok(InvoiceRecord {
        id: InvoiceId(r.id),
        organisation_id: OrganisationId(r.organisation_id),
        organisation_name: r.organisation_name,
        month: conv(E, r.id, YearMonth::parse(&r.month))?,
        number: r.number,
        kind: conv(E, r.id, InvoiceKind::parse(&r.kind))?,
        corrects: r.corrects.map(InvoiceId),
        status: conv(E, r.id, InvoiceStatus::parse(&r.status))?,
        issue_date: r.issue_date,
        due_date: r.due_date,
        total: Money::from_ore(r.total_ore),
        vat,
        buyer_reference: r.buyer_reference,
        note: r.note,
        paid_on: r.paid_on,
        paid: r.paid_ore.map(Money::from_ore),
    })
}
