//! Participants' personal data, for case workers (and the tenant's administrators).
//! Every view is written to the access log with its purpose before the page is sent.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use vidare_domain::ids::ParticipantId;
use vidare_domain::model::participant::EducationLevel;
use vidare_domain::Lang;
use vidare_store::repo::Page as StorePage;

use super::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

/// Rows per page of the list.
const PAGE_SIZE: u32 = 50;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/deltagare", access::CASE_WORK, list),
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
}

#[derive(Deserialize)]
struct ListQuery {
    sida: Option<u32>,
}

fn yes_no(ctx: &Ctx, b: bool) -> &'static str {
    ctx.t(if b { "common.yes" } else { "common.no" })
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let s = ctx.who().scoped(state.store());
    let page_no = q.sida.unwrap_or(1).clamp(1, 1_000_000);
    let result = async {
        let total = s.count_participants().await?;
        let people = s
            .list_participants(StorePage {
                limit: PAGE_SIZE,
                offset: (page_no - 1) * PAGE_SIZE,
            })
            .await?;
        let ids: Vec<ParticipantId> = people.iter().map(|p| p.id).collect();
        s.log_access(&ids, "participant_list", Some(&ctx.path))
            .await?;
        Ok::<_, vidare_store::StoreError>((total, people))
    }
    .await;
    let (total, people) = match result {
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
        },
        ctx.lang,
    )
}

#[derive(Template)]
#[template(path = "participant.html")]
struct Show {
    page: Page,
    name: String,
    personal_number: String,
    born_abroad: &'static str,
    education: &'static str,
    months: u32,
    placements: Vec<String>,
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

async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let s = ctx.who().scoped(state.store());
    let id = ParticipantId(id);
    let result = async {
        let p = s.get_participant(id).await?;
        s.log_access(&[id], "case_file", Some(&ctx.path)).await?;
        let placements = s.placements_of_participant(id).await?;
        Ok::<_, vidare_store::StoreError>((p, placements))
    }
    .await;
    let (p, placements) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    render(
        &Show {
            page: ctx.page("participants.title"),
            name: format!("{} {}", p.first_name, p.last_name),
            personal_number: p.personal_number.to_string(),
            born_abroad: yes_no(&ctx, p.covariates.born_abroad),
            education: education(ctx.lang, p.covariates.education),
            months: p.covariates.months_on_income_support,
            placements: placements
                .iter()
                .map(|pl| {
                    format!(
                        "{} – {}",
                        pl.period.start(),
                        pl.period
                            .end()
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "…".into())
                    )
                })
                .collect(),
        },
        ctx.lang,
    )
}
