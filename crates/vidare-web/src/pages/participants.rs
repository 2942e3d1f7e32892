//! Participants' personal data, for case workers (and the tenant's administrators).
//! Every view is written to the access log with its purpose before the page is sent.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::ids::ParticipantId;
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel, MAX_MONTHS_ON_INCOME_SUPPORT,
};
use vidare_domain::model::placement::ReferralStatus;
use vidare_domain::model::Text;
use vidare_domain::personnummer::PersonalIdentityNumber;
use vidare_domain::{Lang, Localized};
use vidare_store::repo::Page as StorePage;
use vidare_store::StoreError;

use super::placements::{FieldErrors, Values};
use super::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

/// Rows per page of the list.
const PAGE_SIZE: u32 = 50;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/deltagare", access::CASE_WORK, list),
        RouteDef::get("/deltagare/ny", access::CASE_WORK, new_form),
        RouteDef::post("/deltagare/ny", access::CASE_WORK, create),
        RouteDef::get("/deltagare/{id}", access::CASE_WORK, show),
    ]
}

struct Row {
    id: i64,
    name: String,
    personal_number: String,
    born_abroad: &'static str,
    months: u32,
}

#[derive(Template)]
#[template(path = "participants.html")]
struct List {
    page: Page,
    total: u64,
    rows: Vec<Row>,
    prev_page: Option<u32>,
    next_page: Option<u32>,
    q: String,
    q_encoded: String,
    due_follow_ups: u64,
}

#[derive(Deserialize)]
struct ListQuery {
    sida: Option<u32>,
    q: Option<String>,
}

fn yes_no(ctx: &Ctx, b: bool) -> &'static str {
    ctx.t(if b { "common.yes" } else { "common.no" })
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let s = ctx.who().scoped(state.store());
    let page_no = q.sida.unwrap_or(1).clamp(1, 1_000_000);
    let query =
        q.q.unwrap_or_default()
            .chars()
            .take(100)
            .collect::<String>();
    let result = async {
        let (total, people) = s
            .search_participants(
                &query,
                StorePage {
                    limit: PAGE_SIZE,
                    offset: (page_no - 1) * PAGE_SIZE,
                },
            )
            .await?;
        let ids: Vec<ParticipantId> = people.iter().map(|p| p.id).collect();
        s.log_access(&ids, "participant_list", Some(&ctx.path))
            .await?;
        let today = state.today();
        let due = s.count_due_follow_ups(today).await?;
        Ok::<_, vidare_store::StoreError>((total, people, due))
    }
    .await;
    let (total, people, due_follow_ups) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let rows = people
        .iter()
        .map(|p| Row {
            id: p.id.get(),
            name: format!("{} {}", p.first_name, p.last_name),
            personal_number: p.personal_number.to_string(),
            born_abroad: yes_no(&ctx, p.covariates.born_abroad),
            months: p.covariates.months_on_income_support,
        })
        .collect();
    let shown = u64::from(page_no) * u64::from(PAGE_SIZE);
    render(
        &List {
            page: ctx.page("participants.title"),
            total,
            rows,
            prev_page: (page_no > 1).then(|| page_no - 1),
            next_page: (shown < total).then(|| page_no + 1),
            q_encoded: super::url_encode(&query),
            q: query,
            due_follow_ups,
        },
        ctx.lang,
    )
}

#[derive(Template)]
#[template(path = "participant.html")]
struct Show {
    page: Page,
    id: i64,
    name: String,
    personal_number: String,
    anonymised: bool,
    gender: &'static str,
    born_abroad: &'static str,
    education: &'static str,
    months: u32,
    health_limitation: &'static str,
    swedish_level: &'static str,
    prior_work_experience: &'static str,
    placements: Vec<PlacementRow>,
    referrals: Vec<ReferralRow>,
    notice: Option<&'static str>,
}

struct PlacementRow {
    id: i64,
    period: String,
    planned_end: String,
    ended: bool,
}

struct ReferralRow {
    referred_on: String,
    organisation: String,
    status: &'static str,
    reason: String,
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

fn education(lang: Lang, e: EducationLevel) -> &'static str {
    match (lang, e) {
        (Lang::Sv, EducationLevel::Primary) => "Förgymnasial",
        (Lang::Sv, EducationLevel::UpperSecondary) => "Gymnasial",
        (Lang::Sv, EducationLevel::PostSecondary) => "Eftergymnasial",
        (Lang::Sv, EducationLevel::Unknown) => "Okänd",
        (Lang::En, EducationLevel::Primary) => "Primary",
        (Lang::En, EducationLevel::UpperSecondary) => "Upper secondary",
        (Lang::En, EducationLevel::PostSecondary) => "Post-secondary",
        (Lang::En, EducationLevel::Unknown) => "Unknown",
    }
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let id = ParticipantId(id);
    let result = async {
        let p = s.get_participant(id).await?;
        s.log_access(&[id], "case_file", Some(&ctx.path)).await?;
        let placements = s.placements_of_participant(id).await?;
        let referrals = s.referrals_of_participant(id).await?;
        let orgs = s.list_organisations(StorePage::first(10_000)).await?;
        Ok::<_, vidare_store::StoreError>((p, placements, referrals, orgs))
    }
    .await;
    let (p, placements, referrals, orgs) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let c = &p.covariates;
    render(
        &Show {
            page: ctx.page("participants.title"),
            id: p.id.get(),
            name: format!("{} {}", p.first_name, p.last_name),
            personal_number: if p.is_anonymised() {
                ctx.t("placements.anonymised").to_string()
            } else {
                p.personal_number.to_string()
            },
            anonymised: p.is_anonymised(),
            gender: ctx.t(gender_key(c.gender)),
            born_abroad: yes_no(&ctx, c.born_abroad),
            education: education(ctx.lang, c.education),
            months: c.months_on_income_support,
            health_limitation: yes_no(&ctx, c.health_limitation),
            swedish_level: ctx.t(swedish_key(c.swedish_level)),
            prior_work_experience: yes_no(&ctx, c.prior_work_experience),
            placements: placements
                .iter()
                .map(|pl| PlacementRow {
                    id: pl.id.get(),
                    period: format!(
                        "{} – {}",
                        pl.period.start(),
                        pl.period
                            .end()
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "…".into())
                    ),
                    planned_end: pl.planned_end.to_string(),
                    ended: pl.period.end().is_some(),
                })
                .collect(),
            referrals: referrals
                .iter()
                .map(|r| ReferralRow {
                    referred_on: r.referred_on.to_string(),
                    organisation: orgs
                        .iter()
                        .find(|o| o.id == r.organisation_id)
                        .map(|o| o.name.to_string())
                        .unwrap_or_default(),
                    status: ctx.t(match r.status {
                        ReferralStatus::Pending => "placements.ref_pending",
                        ReferralStatus::Accepted => "placements.ref_accepted",
                        ReferralStatus::Declined => "placements.ref_declined",
                        ReferralStatus::Withdrawn => "placements.ref_withdrawn",
                    }),
                    reason: r.reason.to_string(),
                })
                .collect(),
            notice: match done.klart.as_deref() {
                Some("anvisad") => Some("placements.referred_notice"),
                Some("registrerad") => Some("placements.registered_notice"),
                _ => None,
            },
        },
        ctx.lang,
    )
}

fn gender_key(g: Gender) -> &'static str {
    match g {
        Gender::Female => "placements.gender_female",
        Gender::Male => "placements.gender_male",
        Gender::Other => "placements.gender_other",
        Gender::Unknown => "placements.gender_unknown",
    }
}

fn swedish_key(l: SwedishLevel) -> &'static str {
    match l {
        SwedishLevel::Fluent => "placements.swedish_fluent",
        SwedishLevel::Intermediate => "placements.swedish_intermediate",
        SwedishLevel::Basic => "placements.swedish_basic",
        SwedishLevel::None => "placements.swedish_none",
    }
}

// ---------------------------------------------------------------- registration

#[derive(Template)]
#[template(path = "placements/register.html")]
struct Register {
    page: Page,
    genders: Vec<(&'static str, &'static str)>,
    educations: Vec<(&'static str, &'static str)>,
    swedish: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    v: Values,
}

fn register_page(ctx: &Ctx, errors: FieldErrors, v: Values) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Register {
        page: ctx.page("placements.register_title"),
        genders: Gender::ALL
            .iter()
            .map(|g| (g.as_str(), ctx.t(gender_key(*g))))
            .collect(),
        educations: EducationLevel::ALL
            .iter()
            .map(|e| (e.as_str(), education(ctx.lang, *e)))
            .collect(),
        swedish: SwedishLevel::ALL
            .iter()
            .map(|l| (l.as_str(), ctx.t(swedish_key(*l))))
            .collect(),
        errors,
        v,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn new_form(ctx: Ctx) -> Response {
    register_page(&ctx, FieldErrors::default(), Values::default())
}

/// A yes/no radio group's value.
fn yes_no_field(errors: &mut FieldErrors, ctx: &Ctx, v: &Values, field: &str) -> Option<bool> {
    match v.get(field) {
        "ja" => Some(true),
        "nej" => Some(false),
        _ => {
            errors.add(field, ctx.t("placements.choose_yes_no"));
            None
        }
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let today = state.today();
    let pnr = match PersonalIdentityNumber::parse(v.get("personal_number"), today) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.add("personal_number", e.message(ctx.lang));
            None
        }
    };
    let mut name = |field: &str| match Text::parse_max(v.get(field), 100) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.add(field, e.message(ctx.lang));
            None
        }
    };
    let first = name("first_name");
    let last = name("last_name");
    let gender = Gender::parse(v.get("gender"))
        .map_err(|_| errors.add("gender", ctx.t("placements.choose_valid")))
        .ok();
    let education = EducationLevel::parse(v.get("education"))
        .map_err(|_| errors.add("education", ctx.t("placements.choose_valid")))
        .ok();
    let swedish = SwedishLevel::parse(v.get("swedish_level"))
        .map_err(|_| errors.add("swedish_level", ctx.t("placements.choose_valid")))
        .ok();
    let months = match v.get("months_on_income_support").trim().parse::<u32>() {
        Ok(m) if m <= MAX_MONTHS_ON_INCOME_SUPPORT => Some(m),
        _ => {
            errors.add(
                "months_on_income_support",
                format!(
                    "{} 0–{MAX_MONTHS_ON_INCOME_SUPPORT}.",
                    ctx.t("placements.whole_number")
                ),
            );
            None
        }
    };
    let born_abroad = yes_no_field(&mut errors, &ctx, &v, "born_abroad");
    let health = yes_no_field(&mut errors, &ctx, &v, "health_limitation");
    let prior = yes_no_field(&mut errors, &ctx, &v, "prior_work_experience");
    let new = match (
        pnr,
        first,
        last,
        gender,
        education,
        swedish,
        months,
        born_abroad,
        health,
        prior,
    ) {
        (
            Some(pnr),
            Some(first),
            Some(last),
            Some(gender),
            Some(education),
            Some(swedish_level),
            Some(months),
            Some(born_abroad),
            Some(health_limitation),
            Some(prior_work_experience),
        ) if errors.is_empty() => NewParticipant {
            personal_number: pnr,
            first_name: first,
            last_name: last,
            covariates: Covariates {
                gender,
                born_abroad,
                education,
                months_on_income_support: months,
                health_limitation,
                swedish_level,
                prior_work_experience,
            },
            synthetic: false,
        },
        _ => return register_page(&ctx, errors, v),
    };
    let s = ctx.who().scoped(state.store());
    match s.register_participant(&new, today).await {
        Ok(id) => {
            if let Err(e) = s.log_access(&[id], "registration", Some(&ctx.path)).await {
                return ctx.store_error(e).into_response();
            }
            Redirect::to(&format!("/deltagare/{id}?klart=registrerad")).into_response()
        }
        Err(StoreError::Conflict { .. }) => {
            errors.add("personal_number", ctx.t("placements.pnr_taken"));
            register_page(&ctx, errors, v)
        }
        Err(StoreError::Rule(r)) => {
            errors.add(r.field, r.message(ctx.lang));
            register_page(&ctx, errors, v)
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}
