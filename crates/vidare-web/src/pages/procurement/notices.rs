//! The public notices: every advertised round of every municipality, with its lots,
//! award criteria, documents, information meetings and the answers to suppliers'
//! questions — never who asked.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use vidare_domain::ids::RoundId;
use vidare_domain::model::procurement::{CriterionKind, RoundStatus};

use super::{basis_name, deadline_text, download, status_name, type_name};
use crate::pages::{render, Ctx, Page};
use crate::routes::{Access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/annonser", Access::Public, list),
        RouteDef::get("/annonser/{id}", Access::Public, show),
        RouteDef::get(
            "/annonser/{id}/dokument/{document}",
            Access::Public,
            document,
        ),
    ]
}

struct NoticeRow {
    id: i64,
    title: String,
    buyer: String,
    status: &'static str,
    deadline: String,
    open: bool,
}

#[derive(Template)]
#[template(path = "procurement/notices.html")]
struct Notices {
    page: Page,
    rows: Vec<NoticeRow>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let ids = match state.store().public_round_ids().await {
        Ok(i) => i,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let now = state.now();
    let mut rows = Vec::new();
    for (tenant, id) in ids {
        let s = state.store().tenant(tenant);
        let (r, t) = match (s.get_round(id).await, state.tenant(tenant).await) {
            (Ok(r), Ok(t)) => (r, t),
            (Err(e), _) | (_, Err(e)) => return ctx.store_error(e).into_response(),
        };
        rows.push(NoticeRow {
            id: id.get(),
            title: r.title.to_string(),
            buyer: t.name.to_string(),
            status: status_name(&ctx, r.status),
            deadline: deadline_text(&r),
            open: r.status == RoundStatus::Published
                && r.tender_deadline
                    .as_ref()
                    .is_some_and(|d| !d.has_passed(now)),
        });
    }
    render(
        &Notices {
            page: ctx.page("proc.notices_title"),
            rows,
        },
        ctx.lang,
    )
}

#[derive(Template)]
#[template(path = "procurement/notice.html")]
struct Notice {
    page: Page,
    id: i64,
    title: String,
    buyer: String,
    reference: String,
    basis: &'static str,
    reserved: bool,
    cpv: String,
    period: String,
    deadline: String,
    status: &'static str,
    open: bool,
    lots: Vec<(u32, String, String, u32, String)>,
    criteria: Vec<(String, &'static str, u32)>,
    documents: Vec<(i64, String, String)>,
    meetings: Vec<(String, String)>,
    answers: Vec<(String, String)>,
}

async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let round = RoundId(id);
    let tenant = match state.store().public_round_tenant(round).await {
        Ok(t) => t,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let s = state.store().tenant(tenant);
    let result = async {
        Ok::<_, vidare_store::StoreError>((
            s.get_round(round).await?,
            s.lots_of_round(round).await?,
            s.list_placement_types().await?,
            s.criteria_of_round(round).await?,
            s.round_documents(round).await?,
            s.meetings_of_round(round).await?,
            s.questions_of_round(round).await?,
            state.tenant(tenant).await?,
        ))
    }
    .await;
    let (r, lots, types, criteria, docs, meetings, questions, t) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let now = state.now();
    let page = Notice {
        page: Page::bare(ctx.lang, ctx.principal.clone(), r.title.as_str(), &ctx.path),
        id,
        title: r.title.to_string(),
        buyer: t.name.to_string(),
        reference: r
            .reference
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_else(|| "–".into()),
        basis: basis_name(&ctx, r.legal_basis),
        reserved: r.legal_basis.is_reserved(),
        cpv: r
            .cpv_codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        period: format!(
            "{} – {} ({} {})",
            r.contract_period.start(),
            r.contract_period.initial_end(),
            ctx.t("proc.options_until"),
            r.contract_period.max_end()
        ),
        deadline: deadline_text(&r),
        status: status_name(&ctx, r.status),
        open: r.status == RoundStatus::Published
            && r.tender_deadline
                .as_ref()
                .is_some_and(|d| !d.has_passed(now)),
        lots: lots
            .iter()
            .map(|l| {
                (
                    l.number,
                    l.title.to_string(),
                    type_name(ctx.lang, &types, l.placement_type_id),
                    l.places,
                    l.max_price_per_month.format_sv(),
                )
            })
            .collect(),
        criteria: criteria
            .iter()
            .map(|c| {
                (
                    c.name.to_string(),
                    ctx.t(match c.kind {
                        CriterionKind::Price => "proc.criterion_price",
                        CriterionKind::Quality => "proc.criterion_quality",
                    }),
                    c.weight_percent,
                )
            })
            .collect(),
        documents: docs
            .into_iter()
            .map(|d| (d.id, d.title, d.filename))
            .collect(),
        meetings: meetings
            .into_iter()
            .map(|m| (m.starts_at.to_string(), m.place))
            .collect(),
        // Answered questions only, and never who asked.
        answers: questions
            .into_iter()
            .filter_map(|q| q.answer.map(|a| (q.question, a)))
            .collect(),
    };
    render(&page, ctx.lang)
}

async fn document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(i64, i64)>,
) -> Response {
    let round = RoundId(id);
    let tenant = match state.store().public_round_tenant(round).await {
        Ok(t) => t,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    match state
        .store()
        .tenant(tenant)
        .round_document(round, doc)
        .await
    {
        Ok((name, mime, content)) => download(&name, &mime, content),
        Err(e) => ctx.store_error(e).into_response(),
    }
}
