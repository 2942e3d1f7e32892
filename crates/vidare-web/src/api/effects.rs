//! The effects area's JSON API under `/api/v1`: the dashboard's figures (aggregates
//! only, each share with its 95 % interval) and the parameter sets of the socio-economic
//! calculation. `vidare effects --json` prints the complete set of figures.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ApiJson, ApiQuery, Caller, ProblemDoc};
use crate::error::{ApiError, FieldProblem};
use crate::pages::effects::analysis::AnalysisError;
use crate::pages::effects::figures::{figures, DashboardFigures, Interval, Row, Share};
use crate::routes::{access, RouteDef};
use crate::AppState;
use vidare_domain::Localized;

/// Every API route of this area; each must also appear in [`openapi`]'s paths.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/api/v1/effects", access::EFFECTS, summary),
        RouteDef::get(
            "/api/v1/effects/parameter-sets",
            access::EFFECTS,
            parameter_sets,
        ),
        RouteDef::post(
            "/api/v1/effects/parameter-sets",
            access::EFFECTS_PARAMETERS,
            create_parameter_set,
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(summary, parameter_sets, create_parameter_set),
    tags((name = "effects", description = "Effect measurement: outcomes with 95 % confidence intervals, time to work, costs, variety, supplier stability, socio-economic return and the matched estimate — aggregates only."))
)]
struct EffectsApi;

/// This area's part of the OpenAPI document (merged into the whole in
/// [`super::openapi`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    EffectsApi::openapi()
}

/// A share with its 95 % Wilson interval; `reason` instead when there is too little data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareOut {
    pub successes: u64,
    pub total: u64,
    pub share: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Why there is no figure (in the caller's language).
    pub reason: Option<String>,
}

/// A value with its 95 % interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntervalOut {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// One supplier or placement type.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub key: String,
    pub name: String,
    pub placements: u64,
    pub exits: u64,
    pub work_or_studies: ShareOut,
    pub cost_per_exit_kr: Option<f64>,
}

/// The effect figures of the caller's municipality.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectsOut {
    pub municipality: String,
    /// The data's last day.
    pub as_of: String,
    /// When the figures were computed (RFC 3339).
    pub computed_at: String,
    /// The data have changed (or the figures are over 10 minutes old) since
    /// `computed_at`: these are the last figures computed, and newer ones are being
    /// computed; ask again shortly.
    pub updating: bool,
    pub round_title: Option<String>,
    pub placements_before: u64,
    pub placements_after: u64,
    /// The national indicator, placements arranged the old way.
    pub work_or_studies_before: ShareOut,
    /// The national indicator, placements under the procurement round(s).
    pub work_or_studies_after: ShareOut,
    pub employed_12_months_after: ShareOut,
    /// Share begun work or studies within 365 days of the start (Kaplan–Meier).
    pub began_within_365_before: Option<IntervalOut>,
    pub began_within_365_after: Option<IntervalOut>,
    pub log_rank_p_value: Option<f64>,
    /// Average effect on the treated (difference in shares), matched comparison.
    pub att: Option<IntervalOut>,
    pub att_reason: Option<String>,
    pub cost_total_after_kr: f64,
    pub cost_per_exit_after_kr: Option<f64>,
    pub effective_types_before: Option<f64>,
    pub effective_types_after: Option<f64>,
    pub median_income_cv_before: Option<f64>,
    pub median_income_cv_after: Option<f64>,
    pub net_5_years_kr: Option<f64>,
    pub payback_months: Option<u32>,
    pub sroi_ratio: Option<f64>,
    pub parameter_set: String,
    pub by_supplier: Vec<GroupOut>,
    pub by_type: Vec<GroupOut>,
}

fn share(lang: vidare_domain::Lang, s: &Share) -> ShareOut {
    let known = s.reason.is_none();
    ShareOut {
        successes: s.k,
        total: s.n,
        share: known.then_some(s.share),
        lower: known.then_some(s.lower),
        upper: known.then_some(s.upper),
        reason: s.reason.as_ref().map(|(sv, en)| match lang {
            vidare_domain::Lang::Sv => sv.clone(),
            vidare_domain::Lang::En => en.clone(),
        }),
    }
}

fn interval(i: &Option<Interval>) -> Option<IntervalOut> {
    i.map(|i| IntervalOut {
        value: i.value,
        lower: i.lower,
        upper: i.upper,
    })
}

fn group(lang: vidare_domain::Lang, r: &Row) -> GroupOut {
    GroupOut {
        key: r.key.clone(),
        name: r.name.clone(),
        placements: r.placements,
        exits: r.exits,
        work_or_studies: share(lang, &r.work_or_studies),
        cost_per_exit_kr: r.cost_per_exit_kr,
    }
}

/// `?round=ID`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RoundParam {
    /// The round to evaluate; every round when left out.
    pub round: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/effects",
    tag = "effects",
    operation_id = "effects_summary",
    params(RoundParam),
    responses(
        (status = 200, description = "The figures, each share with its 95 % interval.", body = EffectsOut),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round in the tenant.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
/// The effect figures of the caller's municipality.
///
/// Outcomes with 95 % Wilson intervals, time to work, the matched estimate, costs,
/// variety, supplier stability and the socio-economic return, computed with the
/// tenant's current parameter set (cached; `computed_at` says how fresh, and
/// `updating` that newer figures are being computed).
pub(super) async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RoundParam>,
) -> Result<Json<EffectsOut>, ApiError> {
    let fresh = figures(&caller.scoped(state.store()), q.round)
        .await
        .map_err(|e| match e {
            AnalysisError::Store(e) => caller.store_error(e),
            AnalysisError::UnknownRound(_) => caller.not_found(),
        })?;
    let f: &DashboardFigures = &fresh.figures;
    let lang = caller.lang;
    Ok(Json(EffectsOut {
        municipality: f.municipality.clone(),
        as_of: f.as_of.clone(),
        computed_at: fresh.computed_at.to_rfc3339(),
        updating: fresh.updating,
        round_title: f.round_title.clone(),
        placements_before: f.placements_before,
        placements_after: f.placements_after,
        work_or_studies_before: share(lang, &f.work_or_studies_before),
        work_or_studies_after: share(lang, &f.work_or_studies_after),
        employed_12_months_after: share(lang, &f.employed_12_after),
        began_within_365_before: interval(&f.began_365_before),
        began_within_365_after: interval(&f.began_365_after),
        log_rank_p_value: f.log_rank_p,
        att: interval(&f.att),
        att_reason: f.att_reason.as_ref().map(|(sv, en)| match lang {
            vidare_domain::Lang::Sv => sv.clone(),
            vidare_domain::Lang::En => en.clone(),
        }),
        cost_total_after_kr: f.cost_total_after_kr,
        cost_per_exit_after_kr: f.cost_per_exit_after_kr,
        effective_types_before: f.effective_types_before,
        effective_types_after: f.effective_types_after,
        median_income_cv_before: f.median_cv_before,
        median_income_cv_after: f.median_cv_after,
        net_5_years_kr: f.net_5y_kr,
        payback_months: f.payback_months,
        sroi_ratio: f.sroi,
        parameter_set: f.parameter_set.clone(),
        by_supplier: f.by_supplier.iter().map(|r| group(lang, r)).collect(),
        by_type: f.by_type.iter().map(|r| group(lang, r)).collect(),
    }))
}

/// One parameter of a set.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterOut {
    pub key: String,
    pub value: f64,
    pub unit: String,
    pub source: String,
}

/// A version of a parameter set (the built-in default has no id and version 0).
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterSetOut {
    pub id: Option<i64>,
    pub name: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: Option<String>,
    pub note: Option<String>,
    pub parameters: Vec<ParameterOut>,
}

/// The versions, newest (in use) first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterSetList {
    pub data: Vec<ParameterSetOut>,
}

#[utoipa::path(
    get,
    path = "/api/v1/effects/parameter-sets",
    tag = "effects",
    operation_id = "effects_parameter_sets",
    responses(
        (status = 200, description = "Every version, the one in use first, then the built-in default.", body = ParameterSetList),
    )
)]
/// The socio-economic parameter sets, with their sources.
pub(super) async fn parameter_sets(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ParameterSetList>, ApiError> {
    let sets = caller
        .scoped(state.store())
        .parameter_sets()
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(ParameterSetList {
        data: sets.iter().map(set_out).collect(),
    }))
}

fn set_out(s: &vidare_store::repo::effects::StoredParameterSet) -> ParameterSetOut {
    ParameterSetOut {
        id: s.id,
        name: s.name.clone(),
        version: s.version,
        created_by: s.created_by.clone(),
        created_at: s.created_at.map(|t| t.to_rfc3339()),
        note: s.note.clone(),
        parameters: vidare_effects::socioeconomic::SPECS
            .iter()
            .map(|p| ParameterOut {
                key: p.key.to_string(),
                value: s.parameters.get(p.key).unwrap_or_default(),
                unit: p.unit.to_string(),
                source: s.sources.get(p.key).cloned().unwrap_or_default(),
            })
            .collect(),
    }
}

/// A new version of a parameter set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParameterSetIn {
    /// The set's name (at most 100 characters).
    pub name: String,
    /// Values by key (`GET /api/v1/effects/parameter-sets` lists the keys with their units);
    /// keys left out keep their value in the set in use now.
    pub parameters: HashMap<String, f64>,
    /// Where each value comes from, by key; keys left out keep their citation.
    #[serde(default)]
    pub sources: HashMap<String, String>,
    /// Why this version was made.
    pub note: Option<String>,
}

/// The version saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterSetItem {
    pub data: ParameterSetOut,
}

#[utoipa::path(
    post,
    path = "/api/v1/effects/parameter-sets",
    tag = "effects",
    operation_id = "create_effects_parameter_set",
    request_body = NewParameterSetIn,
    responses(
        (status = 201, description = "Saved as the newest version, now in use.", body = ParameterSetItem),
        (status = 400, description = "The body is not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "An unknown key or an impossible value; `errors` names each field (`parameters.KEY`).", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
/// Saves a new version of the socio-economic parameters, which the figures use from now
/// on (the earlier versions are kept).
pub(super) async fn create_parameter_set(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewParameterSetIn>,
) -> Result<Response, ApiError> {
    let known = |k: &str| {
        vidare_effects::socioeconomic::SPECS
            .iter()
            .any(|p| p.key == k)
    };
    let mut unknown: Vec<FieldProblem> = body
        .parameters
        .keys()
        .chain(body.sources.keys())
        .filter(|k| !known(k))
        .map(|k| FieldProblem {
            field: format!("parameters.{k}"),
            message: match caller.lang {
                vidare_domain::Lang::Sv => format!(
                    "{k} är ingen parameter; se GET /api/v1/effects/parameter-sets för nycklarna."
                ),
                vidare_domain::Lang::En => format!(
                    "{k} is not a parameter; GET /api/v1/effects/parameter-sets lists the keys."
                ),
            },
        })
        .collect();
    if !unknown.is_empty() {
        unknown.sort_by(|a, b| a.field.cmp(&b.field));
        unknown.dedup_by(|a, b| a.field == b.field);
        return Err(ApiError::invalid(caller.lang, unknown));
    }
    let s = caller.scoped(state.store());
    let mut parameters = s
        .current_parameter_set()
        .await
        .map_err(|e| caller.store_error(e))?
        .parameters;
    for (k, v) in &body.parameters {
        parameters.set(k, *v);
    }
    let id = s
        .save_parameter_set(&vidare_store::repo::effects::NewParameterSet {
            name: body.name,
            parameters,
            sources: body.sources,
            note: body.note,
        })
        .await
        .map_err(|e| match e {
            vidare_store::StoreError::Rule(v) if v.field != "name" => ApiError::invalid(
                caller.lang,
                vec![FieldProblem {
                    field: format!("parameters.{}", v.field),
                    message: v.message(caller.lang),
                }],
            ),
            e => caller.store_error(e),
        })?;
    let saved = s
        .parameter_sets()
        .await
        .map_err(|e| caller.store_error(e))?
        .into_iter()
        .find(|p| p.id == Some(id))
        .ok_or_else(|| ApiError::not_found(caller.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(ParameterSetItem {
            data: set_out(&saved),
        }),
    )
        .into_response())
}
