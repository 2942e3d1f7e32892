//! The supplier register. (A supplier's own portal lives in `placements::portal`.)

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use vidare_domain::Lang;
use vidare_store::repo::Page as StorePage;

use super::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get(
        "/leverantorer",
        access::SUPPLIER_REGISTER,
        list,
    )]
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
