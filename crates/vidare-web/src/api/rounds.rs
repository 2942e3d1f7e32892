//! Procurement rounds and their lots, for procurement staff.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use vidare_domain::ids::RoundId;
use vidare_domain::model::procurement::{Lot, ProcurementRound};

use super::{
    envelopes, Amount, ApiPath, ApiQuery, Caller, ContractKindCode, LegalBasisCode, Paging,
    ProblemDoc, RoundStatusCode,
};
use crate::error::ApiError;
use crate::AppState;

/// A procurement round.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundOut {
    pub id: i64,
    pub title: String,
    /// The buyer's reference (diarienummer) or the notice's id.
    pub reference: Option<String>,
    #[schema(value_type = LegalBasisCode)]
    pub legal_basis: &'static str,
    #[schema(value_type = ContractKindCode)]
    pub contract_kind: &'static str,
    /// CPV codes (`85312000-9`).
    pub cpv_codes: Vec<String>,
    /// The whole term including options, excluding VAT.
    pub estimated_value: Amount,
    /// First day of the contract.
    pub contract_start: NaiveDate,
    pub initial_months: u32,
    pub option_months: u32,
    /// Last day of the initial term.
    pub initial_end: NaiveDate,
    /// Last day if every option is used.
    pub max_end: NaiveDate,
    /// The tender deadline as an instant (set in Europe/Stockholm local time).
    pub tender_deadline: Option<DateTime<Utc>>,
    #[schema(value_type = RoundStatusCode)]
    pub status: &'static str,
    /// Synthetic demo data.
    pub synthetic: bool,
}

impl From<ProcurementRound> for RoundOut {
    fn from(r: ProcurementRound) -> Self {
        RoundOut {
            id: r.id.get(),
            title: r.title.to_string(),
            reference: r.reference.map(|t| t.to_string()),
            legal_basis: r.legal_basis.as_str(),
            contract_kind: r.contract_kind.as_str(),
            cpv_codes: r.cpv_codes.iter().map(|c| c.as_str().to_string()).collect(),
            estimated_value: r.estimated_value.into(),
            contract_start: r.contract_period.start(),
            initial_months: r.contract_period.initial_months(),
            option_months: r.contract_period.option_months(),
            initial_end: r.contract_period.initial_end(),
            max_end: r.contract_period.max_end(),
            tender_deadline: r.tender_deadline.map(|d| d.instant()),
            status: r.status.as_str(),
            synthetic: r.synthetic,
        }
    }
}

/// A lot of a round: one placement type with its places and maximum price.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotOut {
    pub id: i64,
    /// The lot's number within the round, from 1.
    pub number: u32,
    pub placement_type_id: i64,
    pub title: String,
    pub description: Option<String>,
    /// Places the municipality intends to buy.
    pub places: u32,
    /// The highest price per placement-month a tender may ask, excluding VAT.
    pub max_price_per_month: Amount,
    /// Whether the lot is reserved (LOU 4 kap. 18 §).
    pub reserved: bool,
}

impl From<Lot> for LotOut {
    fn from(l: Lot) -> Self {
        LotOut {
            id: l.id.get(),
            number: l.number,
            placement_type_id: l.placement_type_id.get(),
            title: l.title.to_string(),
            description: l.description.map(|d| d.to_string()),
            places: l.places,
            max_price_per_month: l.max_price_per_month.into(),
            reserved: l.reserved,
        }
    }
}

/// A procurement round with its lots.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub round: RoundOut,
    pub lots: Vec<LotOut>,
}

envelopes!(list RoundOut => RoundList);
envelopes!(item RoundDetail => RoundDetailItem);

/// List procurement rounds
///
/// The tenant's rounds, newest contract period first (without their lots).
#[utoipa::path(
    get,
    path = "/api/v1/rounds",
    tag = "procurement",
    operation_id = "list_rounds",
    params(Paging),
    responses(
        (status = 200, description = "A page of rounds.", body = RoundList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<RoundList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let all = caller
        .scoped(state.store())
        .list_rounds()
        .await
        .map_err(|e| caller.store_error(e))?;
    let (rows, meta) = Paging::slice(page, all);
    Ok(Json(RoundList {
        data: rows.into_iter().map(RoundOut::from).collect(),
        meta,
    }))
}

/// Read one round with its lots
#[utoipa::path(
    get,
    path = "/api/v1/rounds/{id}",
    tag = "procurement",
    operation_id = "get_round",
    params(("id" = i64, Path, description = "The round's id.")),
    responses(
        (status = 200, description = "The round and its lots, by number.", body = RoundDetailItem),
        (status = 400, description = "The id is not a number.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round in the tenant.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RoundDetailItem>, ApiError> {
    let id = RoundId(id);
    let s = caller.scoped(state.store());
    let round = s.get_round(id).await.map_err(|e| caller.store_error(e))?;
    let lots = s
        .lots_of_round(id)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(RoundDetailItem {
        data: RoundDetail {
            round: round.into(),
            lots: lots.into_iter().map(LotOut::from).collect(),
        },
    }))
}
