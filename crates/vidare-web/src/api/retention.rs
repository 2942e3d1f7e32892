//! `/api/v1/retention`: the tenant's retention period — how many years a participant's
//! personal data is kept after their last activity before `vidare participants
//! anonymise` anonymises them — with today's cut-off and how many participants are past
//! it. Administrators only; changing it is audited.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vidare_domain::deadline::stockholm_today;

use super::{envelopes, ApiJson, Caller, ProblemDoc, Problems};
use crate::error::ApiError;
use crate::AppState;

/// The retention period in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionOut {
    /// Whole years a participant's personal data is kept after their last activity
    /// (the end of their latest placement, or their registration if never placed).
    #[schema(example = 5)]
    pub retention_years: u32,
    /// Today's cut-off: whoever was last active before it is due for anonymisation.
    #[schema(value_type = String, format = Date)]
    pub cutoff: NaiveDate,
    /// Participants past the cut-off and not yet anonymised (nobody with a running
    /// placement or a pending referral counts).
    pub due: u64,
}

envelopes!(item RetentionOut => RetentionItem);

/// A new retention period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionIn {
    /// Whole years, 1–50.
    #[schema(value_type = i64, minimum = 1, maximum = 50, required = true, example = 5)]
    pub retention_years: Option<i64>,
}

async fn current(state: &AppState, caller: &Caller) -> Result<RetentionOut, ApiError> {
    let s = caller.scoped(state.store());
    let years = s
        .retention_years()
        .await
        .map_err(|e| caller.store_error(e))?;
    let cutoff = vidare_store::repo::tenants::retention_cutoff(stockholm_today(state.now()), years);
    let due = s
        .anonymisation_candidates(cutoff)
        .await
        .map_err(|e| caller.store_error(e))?
        .len() as u64;
    Ok(RetentionOut {
        retention_years: years,
        cutoff,
        due,
    })
}

/// The retention period
///
/// How long participants' personal data is kept, today's cut-off and how many
/// participants are past it.
#[utoipa::path(
    get,
    path = "/api/v1/retention",
    tag = "retention",
    operation_id = "get_retention",
    responses((status = 200, description = "The retention period in force.", body = RetentionItem))
)]
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RetentionItem>, ApiError> {
    Ok(Json(RetentionItem {
        data: current(&state, &caller).await?,
    }))
}

/// Change the retention period
///
/// Sets how many whole years participants' personal data is kept after their last
/// activity (1–50; five by default, after socialtjänstlagen 12 kap. 1 §). Audited with
/// the value before and after.
#[utoipa::path(
    post,
    path = "/api/v1/retention",
    tag = "retention",
    operation_id = "set_retention",
    request_body = RetentionIn,
    responses(
        (status = 200, description = "Saved; the period now in force.", body = RetentionItem),
        (status = 400, description = "The body is not a retention period.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Missing, or outside 1–50 years.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn set(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RetentionIn>,
) -> Result<Json<RetentionItem>, ApiError> {
    let mut p = Problems::new(caller.lang);
    let years = p.required("retention_years", body.retention_years);
    p.finish()?;
    let Some(years) = years else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    caller
        .scoped(state.store())
        .set_retention_years(years)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(RetentionItem {
        data: current(&state, &caller).await?,
    }))
}
