//! The overview each role lands on after sign-in: aggregates only (counts), so every
//! signed-in role may see it; a supplier sees its own organisation's figures, and those
//! who do case work see how many follow-ups are due now and overdue, with links to them.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use vidare_domain::model::tenant::Role;
use vidare_store::repo::casework::{DueState, FollowUpReminders};

use super::placements::due_anchor;
use super::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/oversikt", access::SIGNED_IN, dashboard)]
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    page: Page,
    figures: Vec<(&'static str, String)>,
    /// Follow-ups to make, for those who do case work.
    follow_ups: Option<FollowUpReminders>,
    due_now_anchor: &'static str,
    overdue_anchor: &'static str,
}

async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> Response {
    let who = ctx.who();
    let s = who.scoped(state.store());
    let today = state.today();
    let figures = async {
        let mut figures = Vec::new();
        match who.role {
            Role::SupplierUser { organisation_id } => {
                let agreements = s.agreements_in_force(today, Some(organisation_id)).await?;
                let places: u32 = agreements.iter().map(|a| a.capacity).sum();
                figures.push((
                    ctx.t("dashboard.supplier_agreements"),
                    agreements.len().to_string(),
                ));
                figures.push((ctx.t("portal.capacity"), places.to_string()));
            }
            _ => {
                let o = s.overview(today).await?;
                figures.extend([
                    (ctx.t("dashboard.participants"), o.participants.to_string()),
                    (
                        ctx.t("dashboard.organisations"),
                        o.organisations.to_string(),
                    ),
                    (
                        ctx.t("dashboard.agreements"),
                        o.agreements_in_force.to_string(),
                    ),
                    (ctx.t("dashboard.rounds"), o.rounds.to_string()),
                    (
                        ctx.t("dashboard.placement_types"),
                        o.placement_types.to_string(),
                    ),
                ]);
            }
        }
        let follow_ups = if access::CASE_WORK.allows(Some(who)) {
            Some(s.follow_up_reminders(today).await?)
        } else {
            None
        };
        Ok::<_, vidare_store::StoreError>((figures, follow_ups))
    }
    .await;
    match figures {
        Ok((figures, follow_ups)) => render(
            &Dashboard {
                page: ctx.page("dashboard.title"),
                figures,
                follow_ups,
                due_now_anchor: due_anchor(DueState::DueNow),
                overdue_anchor: due_anchor(DueState::Overdue),
            },
            ctx.lang,
        ),
        Err(e) => ctx.store_error(e).into_response(),
    }
}
