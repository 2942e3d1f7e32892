//! `/admin/gallring`: the tenant's retention period — how many years a participant's
//! personal data is kept after their last activity before `vidare participants
//! anonymise` anonymises them (and redacts the audit log's entries about them). Shows
//! today's cut-off and how many participants are past it; changing the period is
//! audited. Five years unless the administrator sets another (see
//! [`DEFAULT_RETENTION_YEARS`]).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::Localized;
use vidare_store::repo::tenants::{retention_cutoff, DEFAULT_RETENTION_YEARS, RETENTION_YEARS};
use vidare_store::StoreError;

use super::{section_nav, FieldErrors};
use crate::pages::{render, Ctx, NavItem, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

/// The page's address.
pub const PATH: &str = "/admin/gallring";

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get(PATH, access::ADMIN, show),
        RouteDef::post(PATH, access::ADMIN, save),
    ]
}

#[derive(Template)]
#[template(path = "admin/retention.html")]
struct Show {
    page: Page,
    admin_nav: Vec<NavItem>,
    /// The period in force.
    years: u32,
    /// The field's value: the period in force, or what was submitted.
    value: String,
    default_years: u32,
    min: u32,
    max: u32,
    /// Today's cut-off, `YYYY-MM-DD`.
    cutoff: String,
    /// Participants past the cut-off, not yet anonymised.
    due: usize,
    errors: FieldErrors,
    saved: bool,
}

#[derive(Deserialize)]
struct Done {
    sparad: Option<String>,
}

#[derive(Deserialize)]
struct RetentionForm {
    #[serde(default)]
    retention_years: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    value: Option<String>,
    errors: FieldErrors,
    saved: bool,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let today = stockholm_today(state.now());
    let years = match s.retention_years().await {
        Ok(y) => y,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let cutoff = retention_cutoff(today, years);
    let due = match s.anonymisation_candidates(cutoff).await {
        Ok(ids) => ids.len(),
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = Show {
        page: ctx.page("admin.retention_title"),
        admin_nav: section_nav(ctx),
        years,
        value: value.unwrap_or_else(|| years.to_string()),
        default_years: DEFAULT_RETENTION_YEARS,
        min: *RETENTION_YEARS.start(),
        max: *RETENTION_YEARS.end(),
        cutoff: cutoff.to_string(),
        due,
        errors,
        saved,
    };
    (status, render(&body, ctx.lang)).into_response()
}

async fn show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    page(
        &state,
        &ctx,
        None,
        FieldErrors::default(),
        q.sparad.is_some(),
    )
    .await
}

async fn save(State(state): State<AppState>, ctx: Ctx, Form(f): Form<RetentionForm>) -> Response {
    let value = f.retention_years.trim().to_string();
    let mut errors = FieldErrors::default();
    let Ok(years) = value.parse::<i64>() else {
        errors.add("retention_years", ctx.t("admin.retention_not_a_number"));
        return page(&state, &ctx, Some(value), errors, false).await;
    };
    let s = ctx.who().scoped(state.store());
    match s.set_retention_years(years).await {
        Ok(()) => Redirect::to(&format!("{PATH}?sparad=1")).into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add("retention_years", v.message(ctx.lang));
            page(&state, &ctx, Some(value), errors, false).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}
