//! The supplier register, and a supplier's own portal page (which shows only its own
//! organisation: another organisation's data is not reachable from a supplier account).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use vidare_domain::deadline::stockholm_today;
use vidare_domain::Lang;
use vidare_store::repo::Page as StorePage;

use super::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/leverantorer", access::SUPPLIER_REGISTER, list),
        RouteDef::get("/portal", access::SUPPLIER, portal),
    ]
}

struct Row {
    name: String,
    org_number: String,
    legal_form: &'static str,
    idea_driven: &'static str,
    share: String,
    share_test: &'static str,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct List {
    page: Page,
    rows: Vec<Row>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = ctx.who().scoped(state.store());
    let orgs = match s.list_organisations(StorePage::first(1000)).await {
        Ok(o) => o,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let rows = orgs
        .iter()
        .map(|o| Row {
            name: o.name.to_string(),
            org_number: o.org_number.to_string(),
            legal_form: match ctx.lang {
                Lang::Sv => o.legal_form.name_sv(),
                Lang::En => o.legal_form.name_en(),
            },
            idea_driven: ctx.t(if o.idea_driven {
                "common.yes"
            } else {
                "common.no"
            }),
            share: o
                .headcount
                .map(|h| {
                    let pm = h.share_permille();
                    format!("{},{}\u{a0}%", pm / 10, pm % 10)
                })
                .unwrap_or_else(|| "–".into()),
            share_test: ctx.t(match o.headcount {
                Some(h) if h.meets_share_test() => "organisations.passes",
                Some(_) => "organisations.fails",
                None => "organisations.not_declared",
            }),
        })
        .collect();
    render(
        &List {
            page: ctx.page("organisations.title"),
            rows,
        },
        ctx.lang,
    )
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Portal {
    page: Page,
    name: String,
    org_number: String,
    agreements: Vec<(String, u32, String, String)>,
}

async fn portal(State(state): State<AppState>, ctx: Ctx) -> Response {
    let who = ctx.who();
    let Some(org) = who.role.organisation_id() else {
        return ctx.not_found().into_response();
    };
    let s = who.scoped(state.store());
    let result = async {
        let o = s.get_organisation(org).await?;
        let today = stockholm_today(chrono::Utc::now());
        let types = s.list_placement_types().await?;
        let agreements = s.agreements_in_force(today, Some(org)).await?;
        Ok::<_, vidare_store::StoreError>((o, types, agreements))
    }
    .await;
    let (o, types, agreements) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let agreements = agreements
        .iter()
        .map(|a| {
            let name = types
                .iter()
                .find(|t| t.id == a.placement_type_id)
                .map(|t| match ctx.lang {
                    Lang::Sv => t.name_sv.to_string(),
                    Lang::En => t.name_en.to_string(),
                })
                .unwrap_or_default();
            let period = format!(
                "{} – {}",
                a.period.start(),
                a.period.end().map(|d| d.to_string()).unwrap_or_default()
            );
            (name, a.capacity, a.price_per_month.format_sv(), period)
        })
        .collect();
    render(
        &Portal {
            page: ctx.page("portal.title"),
            name: o.name.to_string(),
            org_number: o.org_number.to_string(),
            agreements,
        },
        ctx.lang,
    )
}
