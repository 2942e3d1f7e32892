//! Framework agreements: procurement staff see all of the tenant's, a supplier user only
//! its own organisation's.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use vidare_domain::model::procurement::FrameworkAgreement;

use super::{envelopes, AbsenceRuleCode, Amount, ApiQuery, Caller, Paging, ProblemDoc};
use crate::error::ApiError;
use crate::AppState;

/// A framework agreement with one supplier for one placement type.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementOut {
    pub id: i64,
    /// The round it came from; agreements from before reserved procurement have none.
    pub round_id: Option<i64>,
    pub lot_id: Option<i64>,
    pub organisation_id: i64,
    pub placement_type_id: i64,
    /// Places the supplier has committed to.
    pub capacity: u32,
    pub price_per_month: Amount,
    /// First day in force.
    pub start: NaiveDate,
    /// Last day in force; open-ended when absent.
    pub end: Option<NaiveDate>,
    /// Rank within the lot, for call-offs by ranking.
    pub rank: Option<u32>,
    #[schema(value_type = AbsenceRuleCode)]
    pub absence_rule: &'static str,
    pub signed_on: Option<NaiveDate>,
    /// Whether the agreement is in force today (Europe/Stockholm).
    pub in_force: bool,
}

impl AgreementOut {
    fn new(a: FrameworkAgreement, today: NaiveDate) -> Self {
        AgreementOut {
            id: a.id.get(),
            round_id: a.round_id.map(|r| r.get()),
            lot_id: a.lot_id.map(|l| l.get()),
            organisation_id: a.organisation_id.get(),
            placement_type_id: a.placement_type_id.get(),
            capacity: a.capacity,
            price_per_month: a.price_per_month.into(),
            start: a.period.start(),
            end: a.period.end(),
            rank: a.rank,
            absence_rule: a.absence_rule.as_str(),
            signed_on: a.signed_on,
            in_force: a.in_force_on(today),
        }
    }
}

envelopes!(list AgreementOut => AgreementList);

/// List framework agreements
///
/// Every agreement of the tenant, by start date; a supplier user gets only its own
/// organisation's.
#[utoipa::path(
    get,
    path = "/api/v1/agreements",
    tag = "procurement",
    operation_id = "list_agreements",
    params(Paging),
    responses(
        (status = 200, description = "A page of agreements.", body = AgreementList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<AgreementList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let mut all = caller
        .scoped(state.store())
        .list_agreements()
        .await
        .map_err(|e| caller.store_error(e))?;
    if let Some(own) = caller.who().role.organisation_id() {
        all.retain(|a| a.organisation_id == own);
    }
    let today = state.today();
    let (rows, meta) = Paging::slice(page, all);
    Ok(Json(AgreementList {
        data: rows
            .into_iter()
            .map(|a| AgreementOut::new(a, today))
            .collect(),
        meta,
    }))
}
