//! `/portal/fakturor`: a supplier's own invoices and credit notes (once the municipality
//! has approved them), payments, and income month by month, with a download of each
//! document as Peppol BIS Billing 3.0 UBL. Another organisation's invoice answers 404,
//! as does a draft (it is not the supplier's document yet).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use vidare_domain::ids::{InvoiceId, OrganisationId};
use vidare_domain::model::invoice::InvoiceStatus;
use vidare_exchange::peppol::{file_name, ubl_xml};
use vidare_store::repo::invoices::InvoiceFilter;
use vidare_store::StoreError;

use super::{documents, download, Row};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/portal/fakturor", access::SUPPLIER, list),
        RouteDef::get(
            "/portal/fakturor/{id}/ubl.xml",
            access::SUPPLIER,
            download_ubl,
        ),
    ]
}

/// The signed-in supplier's organisation.
fn own(ctx: &Ctx) -> Option<OrganisationId> {
    ctx.who().role.organisation_id()
}

struct MonthView {
    month: String,
    invoices: u32,
    net: String,
    vat: String,
    paid: String,
    outstanding: String,
}

#[derive(Template)]
#[template(path = "invoicing/portal.html")]
struct PortalPage {
    page: Page,
    months: Vec<MonthView>,
    rows: Vec<Row>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let result = async {
        let income = s.income_by_month(org).await?;
        let invoices = s
            .list_invoices(&InvoiceFilter {
                organisation: Some(org),
                ..InvoiceFilter::default()
            })
            .await?;
        Ok::<_, StoreError>((income, invoices))
    }
    .await;
    let (income, invoices) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let page = PortalPage {
        page: ctx.page("invoicing.portal_title"),
        months: income
            .iter()
            .map(|m| MonthView {
                month: m.month.to_string(),
                invoices: m.invoices,
                net: m.net.format_sv(),
                vat: m.vat.format_sv(),
                paid: m.paid.format_sv(),
                outstanding: m.outstanding.format_sv(),
            })
            .collect(),
        rows: invoices
            .iter()
            .filter(|i| i.status != InvoiceStatus::Draft)
            .map(|i| Row::new(&ctx, i))
            .collect(),
    };
    render(&page, ctx.lang)
}

async fn download_ubl(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let Ok(id) = id.trim().parse::<i64>().map(InvoiceId) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let inv = match s.get_invoice(id).await {
        Ok((inv, _)) if inv.organisation_id == org && inv.status != InvoiceStatus::Draft => inv,
        Ok(_) | Err(StoreError::NotFound { .. }) => return ctx.not_found().into_response(),
        Err(e) => return ctx.store_error(e).into_response(),
    };
    match documents(&s, &ctx, std::slice::from_ref(&inv)).await {
        Ok(docs) => download(
            "application/xml; charset=utf-8",
            &file_name(&docs[0]),
            ubl_xml(&docs[0]).into_bytes(),
        ),
        Err(r) => r,
    }
}
