//! Placement types: reference data every signed-in role may read.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use vidare_domain::model::procurement::PlacementType;

use super::{envelopes, ApiQuery, Caller, Paging, ProblemDoc};
use crate::error::ApiError;
use crate::AppState;

/// A kind of placement (carpentry, café and kitchen, …).
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementTypeOut {
    pub id: i64,
    /// Stable short code (`carpentry`).
    pub code: String,
    pub name_sv: String,
    pub name_en: String,
}

impl From<PlacementType> for PlacementTypeOut {
    fn from(t: PlacementType) -> Self {
        PlacementTypeOut {
            id: t.id.get(),
            code: t.code.to_string(),
            name_sv: t.name_sv.to_string(),
            name_en: t.name_en.to_string(),
        }
    }
}

envelopes!(list PlacementTypeOut => PlacementTypeList);

/// List placement types
///
/// The tenant's kinds of placement; lots and agreements refer to them by id.
#[utoipa::path(
    get,
    path = "/api/v1/placement-types",
    tag = "procurement",
    operation_id = "list_placement_types",
    params(Paging),
    responses(
        (status = 200, description = "A page of placement types.", body = PlacementTypeList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<PlacementTypeList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let all = caller
        .scoped(state.store())
        .list_placement_types()
        .await
        .map_err(|e| caller.store_error(e))?;
    let (rows, meta) = Paging::slice(page, all);
    Ok(Json(PlacementTypeList {
        data: rows.into_iter().map(PlacementTypeOut::from).collect(),
        meta,
    }))
}
