//! Read-only queries behind the open data (OCDS): the public rounds of a tenant and,
//! for one round, everything published about it. Nothing here reads a participant, an
//! invoice line on its own or a tender's content: tenders are counted and their
//! organisations named only once the tender deadline has passed, and payments are summed
//! per agreement and month in the database.
//!
//! Reads columns of migrations 0001–0003, and the municipality's organisation number
//! from its invoicing buyer details (0006).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use vidare_domain::calendar::{self, DecisionDelivery};
use vidare_domain::deadline::Deadline;
use vidare_domain::ids::{RoundId, TenantId};
use vidare_domain::model::procurement::{ContractKind, CriterionKind, LegalBasis, RoundStatus};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::YearMonth;

use crate::rows::{conv, count};
use crate::{with_pool, Scoped, Store, StoreError};

/// A round as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRound {
    pub id: RoundId,
    pub title: String,
    pub reference: Option<String>,
    pub legal_basis: LegalBasis,
    pub contract_kind: ContractKind,
    pub cpv_codes: Vec<String>,
    pub estimated_value: Money,
    pub contract_start: NaiveDate,
    pub initial_months: u32,
    pub option_months: u32,
    pub tender_deadline: Option<Deadline>,
    pub status: RoundStatus,
    pub created_at: DateTime<Utc>,
}

impl OpenRound {
    /// Whether the round is published at all: one being planned is not; a cancelled one
    /// only if it was advertised (it has a tender deadline).
    pub fn is_public(&self) -> bool {
        match self.status {
            RoundStatus::Planning => false,
            RoundStatus::Cancelled => self.tender_deadline.is_some(),
            _ => true,
        }
    }

    /// Whether the tender deadline has passed at `now` (tenders are sealed until then).
    pub fn deadline_passed(&self, now: DateTime<Utc>) -> bool {
        self.tender_deadline.is_some_and(|d| d.has_passed(now))
    }
}

/// A lot with its placement type, and how many submitted tenders it got (0 until the
/// deadline has passed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLot {
    pub number: u32,
    pub title: String,
    pub description: Option<String>,
    pub placement_type_code: String,
    pub placement_type_name_sv: String,
    pub places: u32,
    pub max_price_per_month: Money,
    pub reserved: bool,
    pub tenders: u32,
}

/// An award criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCriterion {
    pub kind: CriterionKind,
    pub name: String,
    pub weight_percent: u32,
}

/// An organisation named in the open data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrganisation {
    pub name: String,
    pub org_number: OrganisationNumber,
}

/// The award decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDecision {
    pub decided_on: NaiveDate,
    pub sent_on: NaiveDate,
    pub standstill_end: NaiveDate,
}

/// The sum of paid invoices less credit notes for one agreement and month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPayment {
    pub month: YearMonth,
    pub amount: Money,
    /// The latest due date among the month's paid invoices.
    pub date: NaiveDate,
}

/// A framework agreement of the round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAgreement {
    pub id: i64,
    pub lot_number: Option<u32>,
    pub supplier: OpenOrganisation,
    pub capacity: u32,
    pub price_per_month: Money,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    pub payments: Vec<OpenPayment>,
}

/// Everything published about one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRoundData {
    pub round: OpenRound,
    pub lots: Vec<OpenLot>,
    pub criteria: Vec<OpenCriterion>,
    /// Organisations with a submitted tender; empty until the deadline has passed.
    pub tenderers: Vec<OpenOrganisation>,
    pub decision: Option<OpenDecision>,
    pub agreements: Vec<OpenAgreement>,
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: i64,
    title: String,
    reference: Option<String>,
    legal_basis: String,
    contract_kind: String,
    cpv_codes: String,
    estimated_value_ore: i64,
    contract_start: NaiveDate,
    initial_months: i64,
    option_months: i64,
    tender_deadline_local: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<RoundRow> for OpenRound {
    type Error = StoreError;
    fn try_from(r: RoundRow) -> Result<Self, StoreError> {
        const E: &str = "procurement_round";
        let id = r.id;
        let tender_deadline = r
            .tender_deadline_local
            .map(|s| {
                let local = conv(
                    E,
                    id,
                    NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S"),
                )?;
                conv(E, id, Deadline::new(local))
            })
            .transpose()?;
        Ok(OpenRound {
            id: RoundId(id),
            title: r.title,
            reference: r.reference,
            legal_basis: conv(E, id, LegalBasis::parse(&r.legal_basis))?,
            contract_kind: conv(E, id, ContractKind::parse(&r.contract_kind))?,
            cpv_codes: r
                .cpv_codes
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            estimated_value: Money::from_ore(r.estimated_value_ore),
            contract_start: r.contract_start,
            initial_months: count(E, id, r.initial_months)?,
            option_months: count(E, id, r.option_months)?,
            tender_deadline,
            status: conv(E, id, RoundStatus::parse(&r.status))?,
            created_at: r.created_at,
        })
    }
}

const ROUND_COLUMNS: &str = "id, title, reference, legal_basis, contract_kind, cpv_codes, \
    estimated_value_ore, contract_start, initial_months, option_months, tender_deadline_local, \
    status, created_at";

#[derive(sqlx::FromRow)]
struct LotRow {
    id: i64,
    number: i64,
    title: String,
    description: Option<String>,
    code: String,
    name_sv: String,
    places: i64,
    max_price_per_month_ore: i64,
    reserved: bool,
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: i64,
    name: String,
    org_number: String,
}

fn organisation(r: OrgRow) -> Result<OpenOrganisation, StoreError> {
    Ok(OpenOrganisation {
        org_number: conv(
            "organisation",
            r.id,
            OrganisationNumber::parse(&r.org_number),
        )?,
        name: r.name,
    })
}

#[derive(sqlx::FromRow)]
struct AgreementRow {
    id: i64,
    lot_number: Option<i64>,
    organisation_id: i64,
    name: String,
    org_number: String,
    capacity: i64,
    price_per_month_ore: i64,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    signed_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    agreement_id: i64,
    month: String,
    amount_ore: i64,
    paid_until: NaiveDate,
}

impl Store {
    /// The tenant a round belongs to, if the round exists (public URLs name a round by
    /// its id alone).
    pub async fn round_tenant(&self, round: RoundId) -> Result<Option<TenantId>, StoreError> {
        let t: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT tenant_id FROM procurement_rounds WHERE id = $1")
                .bind(round.get())
                .fetch_optional(pool)
                .await?
        });
        Ok(t.map(TenantId))
    }
}

impl Scoped<'_> {
    /// The municipality's organisation number as the buyer, from its invoicing buyer
    /// details, if they are set (the open data's buyer identifier).
    pub async fn open_buyer_org_number(&self) -> Result<Option<OrganisationNumber>, StoreError> {
        let row: Option<String> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT org_number FROM invoicing_settings WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_optional(pool)
                .await?
        });
        row.map(|n| {
            conv(
                "invoicing_settings",
                self.tid(),
                OrganisationNumber::parse(&n),
            )
        })
        .transpose()
    }

    /// The tenant's public rounds, newest first.
    pub async fn open_rounds(&self) -> Result<Vec<OpenRound>, StoreError> {
        let rows: Vec<RoundRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {ROUND_COLUMNS} FROM procurement_rounds WHERE tenant_id = $1 \
                 ORDER BY created_at DESC, id DESC"
            ))
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let r = OpenRound::try_from(r)?;
            if r.is_public() {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Everything published about one round at `now`; not found if the round is not this
    /// tenant's or not public.
    pub async fn open_round_data(
        &self,
        round: RoundId,
        now: DateTime<Utc>,
    ) -> Result<OpenRoundData, StoreError> {
        const NOT_FOUND: StoreError = StoreError::NotFound {
            entity: "procurement_round",
        };
        let row: Option<RoundRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {ROUND_COLUMNS} FROM procurement_rounds WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(round.get())
            .fetch_optional(pool)
            .await?
        });
        let r = OpenRound::try_from(row.ok_or(NOT_FOUND)?)?;
        if !r.is_public() {
            return Err(NOT_FOUND);
        }
        let opened = r.deadline_passed(now);

        let lot_rows: Vec<LotRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT l.id, l.number, l.title, l.description, t.code, t.name_sv, l.places, \
                 l.max_price_per_month_ore, l.reserved FROM lots l \
                 JOIN placement_types t ON t.tenant_id = l.tenant_id AND t.id = l.placement_type_id \
                 WHERE l.tenant_id = $1 AND l.round_id = $2 ORDER BY l.number",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        // Submitted tenders per lot, counted only once they may be opened.
        let tender_counts: Vec<(i64, i64)> = if opened {
            with_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT bl.lot_id, COUNT(*) FROM bid_lots bl \
                     JOIN bids b ON b.tenant_id = bl.tenant_id AND b.id = bl.bid_id \
                     WHERE b.tenant_id = $1 AND b.round_id = $2 AND b.status = 'submitted' \
                     GROUP BY bl.lot_id",
                )
                .bind(self.tid())
                .bind(round.get())
                .fetch_all(pool)
                .await?
            })
        } else {
            Vec::new()
        };
        let mut lots = Vec::with_capacity(lot_rows.len());
        for l in lot_rows {
            let tenders = tender_counts
                .iter()
                .find(|(id, _)| *id == l.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            lots.push(OpenLot {
                number: count("lot", l.id, l.number)?,
                title: l.title,
                description: l.description,
                placement_type_code: l.code,
                placement_type_name_sv: l.name_sv,
                places: count("lot", l.id, l.places)?,
                max_price_per_month: Money::from_ore(l.max_price_per_month_ore),
                reserved: l.reserved,
                tenders: count("lot", l.id, tenders)?,
            });
        }

        let criteria_rows: Vec<(i64, String, String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, kind, name, weight_percent FROM award_criteria \
                 WHERE tenant_id = $1 AND round_id = $2 ORDER BY id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        let criteria = criteria_rows
            .into_iter()
            .map(|(id, kind, name, weight)| {
                Ok(OpenCriterion {
                    kind: conv("award_criterion", id, CriterionKind::parse(&kind))?,
                    name,
                    weight_percent: count("award_criterion", id, weight)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let tenderers = if opened {
            let rows: Vec<OrgRow> = with_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT o.id, o.name, o.org_number FROM bids b \
                     JOIN organisations o ON o.tenant_id = b.tenant_id AND o.id = b.organisation_id \
                     WHERE b.tenant_id = $1 AND b.round_id = $2 AND b.status = 'submitted' \
                     ORDER BY o.name, o.id",
                )
                .bind(self.tid())
                .bind(round.get())
                .fetch_all(pool)
                .await?
            });
            rows.into_iter()
                .map(organisation)
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };

        let decision_row: Option<(i64, NaiveDate, NaiveDate, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, decided_on, sent_on, delivery FROM award_decisions \
                 WHERE tenant_id = $1 AND round_id = $2",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_optional(pool)
            .await?
        });
        let decision = decision_row
            .map(|(id, decided_on, sent_on, delivery)| {
                let delivery = match delivery.as_str() {
                    "electronic" => DecisionDelivery::Electronic,
                    "other" => DecisionDelivery::Other,
                    other => {
                        return Err(StoreError::Corrupt {
                            entity: "award_decision",
                            id,
                            reason: format!("unknown delivery {other:?}"),
                        })
                    }
                };
                Ok::<_, StoreError>(OpenDecision {
                    decided_on,
                    sent_on,
                    standstill_end: calendar::standstill_end(sent_on, delivery),
                })
            })
            .transpose()?;

        let agreement_rows: Vec<AgreementRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT a.id, l.number AS lot_number, a.organisation_id, o.name, o.org_number, \
                 a.capacity, a.price_per_month_ore, a.start_date, a.end_date, a.signed_on \
                 FROM framework_agreements a \
                 JOIN organisations o ON o.tenant_id = a.tenant_id AND o.id = a.organisation_id \
                 LEFT JOIN lots l ON l.tenant_id = a.tenant_id AND l.id = a.lot_id \
                 WHERE a.tenant_id = $1 AND a.round_id = $2 ORDER BY l.number, a.rank, a.id",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        // Paid invoices less credit notes, summed per agreement and month: the only
        // payment figures that leave the database.
        let payment_rows: Vec<PaymentRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT il.agreement_id, i.month, \
                 CAST(SUM(CASE WHEN i.kind = 'credit_note' THEN -ABS(il.amount_ore) ELSE il.amount_ore END) AS BIGINT) AS amount_ore, \
                 MAX(i.due_date) AS paid_until \
                 FROM invoice_lines il \
                 JOIN invoices i ON i.tenant_id = il.tenant_id AND i.id = il.invoice_id \
                 JOIN framework_agreements a ON a.tenant_id = il.tenant_id AND a.id = il.agreement_id \
                 WHERE il.tenant_id = $1 AND a.round_id = $2 AND i.status = 'paid' \
                 GROUP BY il.agreement_id, i.month ORDER BY il.agreement_id, i.month",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        let mut agreements = Vec::with_capacity(agreement_rows.len());
        for a in agreement_rows {
            let mut payments = Vec::new();
            for p in payment_rows.iter().filter(|p| p.agreement_id == a.id) {
                if p.amount_ore == 0 {
                    continue;
                }
                payments.push(OpenPayment {
                    month: conv("invoice", a.id, YearMonth::parse(&p.month))?,
                    amount: Money::from_ore(p.amount_ore),
                    date: p.paid_until,
                });
            }
            agreements.push(OpenAgreement {
                id: a.id,
                lot_number: a.lot_number.map(|n| count("lot", a.id, n)).transpose()?,
                supplier: organisation(OrgRow {
                    id: a.organisation_id,
                    name: a.name,
                    org_number: a.org_number,
                })?,
                capacity: count("framework_agreement", a.id, a.capacity)?,
                price_per_month: Money::from_ore(a.price_per_month_ore),
                start: a.start_date,
                end: a.end_date,
                signed_on: a.signed_on,
                payments,
            });
        }

        Ok(OpenRoundData {
            round: r,
            lots,
            criteria,
            tenderers,
            decision,
            agreements,
        })
    }
}
