//! Placement types, procurement rounds, lots and framework agreements. (Tenders,
//! evaluation and award decisions get their methods with the procurement workflow.)

use chrono::{NaiveDate, NaiveDateTime, Utc};
use vidare_domain::deadline::Deadline;
use vidare_domain::ids::{AgreementId, LotId, OrganisationId, PlacementTypeId, RoundId, TenantId};
use vidare_domain::model::procurement::{
    AbsenceRule, ContractKind, ContractPeriod, CpvCode, FrameworkAgreement, LegalBasis, Lot,
    PlacementType, ProcurementRound, RoundStatus,
};
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::period::DateRange;

use crate::rows::{conv, count, int};
use crate::{with_pool, with_tx, Change, Scoped, StoreError};

/// A placement type to create.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewPlacementType {
    pub code: Slug,
    pub name_sv: Text,
    pub name_en: Text,
}

#[derive(sqlx::FromRow)]
struct PlacementTypeRow {
    id: i64,
    tenant_id: i64,
    code: String,
    name_sv: String,
    name_en: String,
}

impl TryFrom<PlacementTypeRow> for PlacementType {
    type Error = StoreError;
    fn try_from(r: PlacementTypeRow) -> Result<Self, StoreError> {
        const E: &str = "placement_type";
        Ok(PlacementType {
            id: PlacementTypeId(r.id),
            tenant_id: TenantId(r.tenant_id),
            code: conv(E, r.id, Slug::parse(&r.code))?,
            name_sv: conv(E, r.id, Text::parse(&r.name_sv))?,
            name_en: conv(E, r.id, Text::parse(&r.name_en))?,
        })
    }
}

/// A round to plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewRound {
    pub title: Text,
    pub reference: Option<Text>,
    pub legal_basis: LegalBasis,
    pub contract_kind: ContractKind,
    pub cpv_codes: Vec<CpvCode>,
    pub estimated_value: Money,
    pub contract_period: ContractPeriod,
    pub tender_deadline: Option<Deadline>,
    pub status: RoundStatus,
    pub synthetic: bool,
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: i64,
    tenant_id: i64,
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
    synthetic: bool,
}

/// How a deadline's local time is stored: ISO 8601 without offset, Europe/Stockholm.
const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

impl TryFrom<RoundRow> for ProcurementRound {
    type Error = StoreError;
    fn try_from(r: RoundRow) -> Result<Self, StoreError> {
        const E: &str = "procurement_round";
        let id = r.id;
        let cpv_codes = r
            .cpv_codes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|c| conv(E, id, CpvCode::parse(c)))
            .collect::<Result<_, _>>()?;
        let tender_deadline = r
            .tender_deadline_local
            .map(|s| {
                let local = conv(E, id, NaiveDateTime::parse_from_str(&s, LOCAL_FORMAT))?;
                conv(E, id, Deadline::new(local))
            })
            .transpose()?;
        Ok(ProcurementRound {
            id: RoundId(id),
            tenant_id: TenantId(r.tenant_id),
            title: conv(E, id, Text::parse(&r.title))?,
            reference: r
                .reference
                .map(|s| conv(E, id, Text::parse(&s)))
                .transpose()?,
            legal_basis: conv(E, id, LegalBasis::parse(&r.legal_basis))?,
            contract_kind: conv(E, id, ContractKind::parse(&r.contract_kind))?,
            cpv_codes,
            estimated_value: Money::from_ore(r.estimated_value_ore),
            contract_period: conv(
                E,
                id,
                ContractPeriod::new(
                    r.contract_start,
                    count(E, id, r.initial_months)?,
                    count(E, id, r.option_months)?,
                ),
            )?,
            tender_deadline,
            status: conv(E, id, RoundStatus::parse(&r.status))?,
            synthetic: r.synthetic,
        })
    }
}

const ROUND_COLUMNS: &str = "id, tenant_id, title, reference, legal_basis, contract_kind, cpv_codes, \
    estimated_value_ore, contract_start, initial_months, option_months, tender_deadline_local, status, synthetic";

/// A lot to add to a round.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewLot {
    pub number: u32,
    pub placement_type_id: PlacementTypeId,
    pub title: Text,
    pub description: Option<Text>,
    pub places: u32,
    pub max_price_per_month: Money,
    pub reserved: bool,
}

#[derive(sqlx::FromRow)]
struct LotRow {
    id: i64,
    round_id: i64,
    number: i64,
    placement_type_id: i64,
    title: String,
    description: Option<String>,
    places: i64,
    max_price_per_month_ore: i64,
    reserved: bool,
}

impl TryFrom<LotRow> for Lot {
    type Error = StoreError;
    fn try_from(r: LotRow) -> Result<Self, StoreError> {
        const E: &str = "lot";
        Ok(Lot {
            id: LotId(r.id),
            round_id: RoundId(r.round_id),
            number: count(E, r.id, r.number)?,
            placement_type_id: PlacementTypeId(r.placement_type_id),
            title: conv(E, r.id, Text::parse(&r.title))?,
            description: r
                .description
                .map(|s| conv(E, r.id, Text::parse(&s)))
                .transpose()?,
            places: count(E, r.id, r.places)?,
            max_price_per_month: Money::from_ore(r.max_price_per_month_ore),
            reserved: r.reserved,
        })
    }
}

/// A framework agreement to record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewAgreement {
    pub round_id: Option<RoundId>,
    pub lot_id: Option<LotId>,
    pub organisation_id: OrganisationId,
    pub placement_type_id: PlacementTypeId,
    pub capacity: u32,
    pub price_per_month: Money,
    pub period: DateRange,
    pub rank: Option<u32>,
    pub absence_rule: AbsenceRule,
    pub signed_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct AgreementRow {
    id: i64,
    tenant_id: i64,
    round_id: Option<i64>,
    lot_id: Option<i64>,
    organisation_id: i64,
    placement_type_id: i64,
    capacity: i64,
    price_per_month_ore: i64,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    rank: Option<i64>,
    absence_rule: String,
    signed_on: Option<NaiveDate>,
}

impl TryFrom<AgreementRow> for FrameworkAgreement {
    type Error = StoreError;
    fn try_from(r: AgreementRow) -> Result<Self, StoreError> {
        const E: &str = "framework_agreement";
        Ok(FrameworkAgreement {
            id: AgreementId(r.id),
            tenant_id: TenantId(r.tenant_id),
            round_id: r.round_id.map(RoundId),
            lot_id: r.lot_id.map(LotId),
            organisation_id: OrganisationId(r.organisation_id),
            placement_type_id: PlacementTypeId(r.placement_type_id),
            capacity: count(E, r.id, r.capacity)?,
            price_per_month: Money::from_ore(r.price_per_month_ore),
            period: conv(E, r.id, DateRange::new(r.start_date, r.end_date))?,
            rank: r.rank.map(|v| count(E, r.id, v)).transpose()?,
            absence_rule: conv(E, r.id, AbsenceRule::parse(&r.absence_rule))?,
            signed_on: r.signed_on,
        })
    }
}

const AGREEMENT_COLUMNS: &str =
    "id, tenant_id, round_id, lot_id, organisation_id, placement_type_id, \
    capacity, price_per_month_ore, start_date, end_date, rank, absence_rule, signed_on";

impl Scoped<'_> {
    /// Creates a placement type; the same code twice is a conflict on `code`.
    pub async fn insert_placement_type(
        &self,
        t: &NewPlacementType,
    ) -> Result<PlacementTypeId, StoreError> {
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO placement_types (tenant_id, code, name_sv, name_en) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(self.tid())
            .bind(t.code.as_str())
            .bind(t.name_sv.as_str())
            .bind(t.name_en.as_str())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("placement_types", id, t));
            id
        });
        Ok(PlacementTypeId(id))
    }

    /// Every placement type of the tenant, by Swedish name.
    pub async fn list_placement_types(&self) -> Result<Vec<PlacementType>, StoreError> {
        let rows: Vec<PlacementTypeRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, code, name_sv, name_en FROM placement_types WHERE tenant_id = $1 ORDER BY name_sv, id",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(PlacementType::try_from).collect()
    }

    /// Plans a round.
    pub async fn insert_round(&self, r: &NewRound) -> Result<RoundId, StoreError> {
        let cpv = r
            .cpv_codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let deadline = r
            .tender_deadline
            .as_ref()
            .map(|d| d.local().format(LOCAL_FORMAT).to_string());
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO procurement_rounds (tenant_id, title, reference, legal_basis, contract_kind, \
                 cpv_codes, estimated_value_ore, contract_start, initial_months, option_months, \
                 tender_deadline_local, status, synthetic, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(self.tid())
            .bind(r.title.as_str())
            .bind(r.reference.as_ref().map(|t| t.as_str()))
            .bind(r.legal_basis.as_str())
            .bind(r.contract_kind.as_str())
            .bind(&cpv)
            .bind(r.estimated_value.ore())
            .bind(r.contract_period.start())
            .bind(int(r.contract_period.initial_months()))
            .bind(int(r.contract_period.option_months()))
            .bind(deadline.as_deref())
            .bind(r.status.as_str())
            .bind(r.synthetic)
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("procurement_rounds", id, r));
            id
        });
        Ok(RoundId(id))
    }

    /// The round with this id in the tenant.
    pub async fn get_round(&self, id: RoundId) -> Result<ProcurementRound, StoreError> {
        let row: Option<RoundRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {ROUND_COLUMNS} FROM procurement_rounds WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound {
            entity: "procurement_round",
        })?
        .try_into()
    }

    /// Every round of the tenant, newest contract period first.
    pub async fn list_rounds(&self) -> Result<Vec<ProcurementRound>, StoreError> {
        let rows: Vec<RoundRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {ROUND_COLUMNS} FROM procurement_rounds WHERE tenant_id = $1 ORDER BY contract_start DESC, id DESC"
            ))
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ProcurementRound::try_from).collect()
    }

    /// Adds a lot to a round of this tenant. A round of another tenant is not found.
    pub async fn insert_lot(&self, round: RoundId, l: &NewLot) -> Result<LotId, StoreError> {
        Lot::check(l.places, l.max_price_per_month)?;
        // Reading the round first turns another tenant's id into NotFound rather than a
        // foreign-key error.
        self.get_round(round).await?;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO lots (tenant_id, round_id, number, placement_type_id, title, description, \
                 places, max_price_per_month_ore, reserved) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(self.tid())
            .bind(round.get())
            .bind(int(l.number))
            .bind(l.placement_type_id.get())
            .bind(l.title.as_str())
            .bind(l.description.as_ref().map(|t| t.as_str()))
            .bind(int(l.places))
            .bind(l.max_price_per_month.ore())
            .bind(l.reserved)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("lots", id, l));
            id
        });
        Ok(LotId(id))
    }

    /// The lots of a round, by number.
    pub async fn lots_of_round(&self, round: RoundId) -> Result<Vec<Lot>, StoreError> {
        let rows: Vec<LotRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, round_id, number, placement_type_id, title, description, places, \
                 max_price_per_month_ore, reserved FROM lots WHERE tenant_id = $1 AND round_id = $2 ORDER BY number",
            )
            .bind(self.tid())
            .bind(round.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Lot::try_from).collect()
    }

    /// Records a framework agreement.
    pub async fn insert_agreement(&self, a: &NewAgreement) -> Result<AgreementId, StoreError> {
        if a.capacity == 0 {
            return Err(vidare_domain::model::RuleViolation::new(
                "capacity",
                "Kapaciteten måste vara minst en plats.",
                "The capacity must be at least one place.",
            )
            .into());
        }
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO framework_agreements (tenant_id, round_id, lot_id, organisation_id, \
                 placement_type_id, capacity, price_per_month_ore, start_date, end_date, rank, absence_rule, signed_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(self.tid())
            .bind(a.round_id.map(|r| r.get()))
            .bind(a.lot_id.map(|l| l.get()))
            .bind(a.organisation_id.get())
            .bind(a.placement_type_id.get())
            .bind(int(a.capacity))
            .bind(a.price_per_month.ore())
            .bind(a.period.start())
            .bind(a.period.end())
            .bind(a.rank.map(int))
            .bind(a.absence_rule.as_str())
            .bind(a.signed_on)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("framework_agreements", id, a));
            id
        });
        Ok(AgreementId(id))
    }

    /// The agreement with this id in the tenant.
    pub async fn get_agreement(&self, id: AgreementId) -> Result<FrameworkAgreement, StoreError> {
        let row: Option<AgreementRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {AGREEMENT_COLUMNS} FROM framework_agreements WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound {
            entity: "framework_agreement",
        })?
        .try_into()
    }

    /// The agreements in force on `date`, optionally for one organisation.
    pub async fn agreements_in_force(
        &self,
        date: NaiveDate,
        organisation: Option<OrganisationId>,
    ) -> Result<Vec<FrameworkAgreement>, StoreError> {
        let rows: Vec<AgreementRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {AGREEMENT_COLUMNS} FROM framework_agreements WHERE tenant_id = $1 \
                 AND start_date <= $2 AND (end_date IS NULL OR end_date >= $2) \
                 AND ($3 IS NULL OR organisation_id = $3) ORDER BY placement_type_id, rank, id"
            ))
            .bind(self.tid())
            .bind(date)
            .bind(organisation.map(|o| o.get()))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(FrameworkAgreement::try_from).collect()
    }

    /// Every agreement of the tenant.
    pub async fn list_agreements(&self) -> Result<Vec<FrameworkAgreement>, StoreError> {
        let rows: Vec<AgreementRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {AGREEMENT_COLUMNS} FROM framework_agreements WHERE tenant_id = $1 ORDER BY start_date, id"
            ))
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(FrameworkAgreement::try_from).collect()
    }
}
