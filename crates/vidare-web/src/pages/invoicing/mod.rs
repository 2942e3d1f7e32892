//! The invoicing area's pages.
//!
//! The municipality (`/fakturor`, [`access::INVOICING`]): invoices by month, supplier and
//! status; creating a month's invoices from approved attendance; the approval flow
//! (approve, send, mark paid); credit notes; an invoice's lines; downloads of the
//! Peppol BIS Billing 3.0 UBL file and the CSV; and the settings (the municipality as
//! buyer, the VAT category per agreement, the suppliers' VAT registration and bankgiro).
//!
//! The suppliers' portal (`/portal/fakturor`, [`access::SUPPLIER`]): see [`portal`].
//!
//! Invoices hold no personal data (a line names the placement type and the placement's
//! number), so reading them writes no access log. Routes are added to [`routes`]; the
//! permission table in `tests/permissions/invoicing.rs` must list each of them.

mod portal;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use vidare_domain::ids::{AgreementId, InvoiceId, OrganisationId};
use vidare_domain::model::invoice::{InvoiceDocument, InvoiceKind, InvoiceStatus, VatCategory};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::YearMonth;
use vidare_domain::Localized;
use vidare_exchange::peppol::{file_name, invoices_csv, ubl_xml};
use vidare_store::repo::invoices::{InvoiceFilter, InvoiceRecord, InvoicingSettings};
use vidare_store::{Scoped, StoreError};

use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

/// The month's CSV for Excel.
const EXPORT_CSV: &str = "/fakturor/export.csv";
/// An invoice's Peppol UBL document.
const UBL_XML: &str = "/fakturor/{id}/ubl.xml";

/// Every page route of this area.
pub fn routes() -> Vec<RouteDef> {
    let mut r = vec![
        RouteDef::get("/fakturor", access::INVOICING, list),
        RouteDef::post("/fakturor/skapa", access::INVOICING, create),
        RouteDef::get(EXPORT_CSV, access::INVOICING, export_csv),
        RouteDef::get("/fakturor/installningar", access::INVOICING, settings),
        RouteDef::post("/fakturor/installningar", access::INVOICING, save_settings),
        RouteDef::post(
            "/fakturor/installningar/avtal",
            access::INVOICING,
            save_agreement_vat,
        ),
        RouteDef::post(
            "/fakturor/installningar/leverantor",
            access::INVOICING,
            save_supplier,
        ),
        RouteDef::get("/fakturor/{id}", access::INVOICING, detail),
        RouteDef::get(UBL_XML, access::INVOICING, download_ubl),
        RouteDef::post("/fakturor/{id}/status", access::INVOICING, set_status),
        RouteDef::post("/fakturor/{id}/kreditera", access::INVOICING, credit),
        RouteDef::post("/fakturor/{id}/ta-bort", access::INVOICING, delete_draft),
    ];
    r.extend(portal::routes());
    r
}

/// Problems with a submitted form, one per field, shown next to the field and in a
/// summary at the top of the page.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// Records a problem with `field` (the first problem of a field is kept).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field.to_string(), message.into()));
        }
    }

    /// The problem with `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether `field` has a problem.
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// Whether the form is acceptable.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, in the order found.
    pub fn all(&self) -> &[(String, String)] {
        &self.0
    }
}

/// The translation key of an invoice status.
pub fn status_key(s: InvoiceStatus) -> &'static str {
    match s {
        InvoiceStatus::Draft => "invoicing.status_draft",
        InvoiceStatus::Approved => "invoicing.status_approved",
        InvoiceStatus::Sent => "invoicing.status_sent",
        InvoiceStatus::Paid => "invoicing.status_paid",
    }
}

/// The translation key of a document kind.
pub fn kind_key(k: InvoiceKind) -> &'static str {
    match k {
        InvoiceKind::Invoice => "invoicing.kind_invoice",
        InvoiceKind::CreditNote => "invoicing.kind_credit_note",
    }
}

/// The translation key of a VAT category.
pub fn vat_key(v: VatCategory) -> &'static str {
    match v {
        VatCategory::Exempt => "invoicing.vat_e",
        VatCategory::Standard => "invoicing.vat_s",
        VatCategory::NotSubject => "invoicing.vat_o",
    }
}

/// A listed invoice, formatted.
pub struct Row {
    pub id: i64,
    pub number: String,
    pub kind: &'static str,
    pub credit: bool,
    pub supplier: String,
    pub month: String,
    pub status: &'static str,
    pub issue_date: String,
    pub due_date: String,
    pub total: String,
    pub vat: String,
    pub paid: String,
}

impl Row {
    fn new(ctx: &Ctx, i: &InvoiceRecord) -> Row {
        Row {
            id: i.id.get(),
            number: i.number.clone(),
            kind: ctx.t(kind_key(i.kind)),
            credit: i.kind == InvoiceKind::CreditNote,
            supplier: i.organisation_name.clone(),
            month: i.month.to_string(),
            status: ctx.t(status_key(i.status)),
            issue_date: i.issue_date.to_string(),
            due_date: i.due_date.to_string(),
            total: i.total.format_sv(),
            vat: i.vat.format_sv(),
            paid: match (i.status, i.paid, i.paid_on) {
                (InvoiceStatus::Paid, Some(m), Some(on)) => format!("{} ({on})", m.format_sv()),
                (InvoiceStatus::Paid, _, _) => ctx.t("invoicing.paid_in_full").to_string(),
                _ => "–".to_string(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "invoicing/list.html")]
struct ListPage {
    page: Page,
    months: Vec<String>,
    month: String,
    suppliers: Vec<(i64, String, bool)>,
    supplier: Option<i64>,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    rows: Vec<Row>,
    sum_total: String,
    billable: usize,
    create_month: String,
    issue_date: String,
    has_settings: bool,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    manad: Option<String>,
    leverantor: Option<String>,
    status: Option<String>,
    klart: Option<String>,
    antal: Option<u32>,
}

/// The list's filter from the query; an unknown value is ignored (the full list).
fn filter(q: &ListQuery, default_month: Option<YearMonth>) -> InvoiceFilter {
    InvoiceFilter {
        month: match q.manad.as_deref().map(str::trim) {
            Some("") | Some("alla") => None,
            Some(m) => YearMonth::parse(m).ok(),
            None => default_month,
        },
        organisation: q
            .leverantor
            .as_deref()
            .and_then(|s| s.trim().parse().ok())
            .map(OrganisationId),
        status: q
            .status
            .as_deref()
            .and_then(|s| InvoiceStatus::parse(s.trim()).ok()),
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: ListQuery,
    errors: FieldErrors,
    create_month: Option<String>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        let months = s.invoice_months().await?;
        let f = filter(&q, months.first().copied());
        let invoices = s.list_invoices(&f).await?;
        let suppliers = s.suppliers_invoicing().await?;
        let create_for = create_month
            .as_deref()
            .and_then(|m| YearMonth::parse(m).ok())
            .or(f.month)
            .unwrap_or_else(|| YearMonth::of(state.today()).prev());
        let billable = s.billable_months(create_for).await?.len();
        let has_settings = s.invoicing_settings().await?.is_some();
        Ok::<_, StoreError>((
            months,
            f,
            invoices,
            suppliers,
            create_for,
            billable,
            has_settings,
        ))
    }
    .await;
    let (months, f, invoices, suppliers, create_for, billable, has_settings) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let sum: Money = invoices.iter().map(|i| i.signed(i.total)).sum();
    let notice = match q.klart.as_deref() {
        Some("skapade") => Some(format!(
            "{} {}",
            q.antal.unwrap_or(0),
            ctx.t("invoicing.created_notice")
        )),
        Some("installningar") => Some(ctx.t("invoicing.settings_saved").to_string()),
        Some("borttagen") => Some(ctx.t("invoicing.deleted_notice").to_string()),
        _ => None,
    };
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        page: ctx.page("invoicing.title"),
        months: months.iter().map(ToString::to_string).collect(),
        month: f.month.map(|m| m.to_string()).unwrap_or_default(),
        suppliers: suppliers
            .into_iter()
            .map(|(id, name, _, _)| (id.get(), name, f.organisation == Some(id)))
            .collect(),
        supplier: f.organisation.map(|o| o.get()),
        statuses: InvoiceStatus::ALL
            .iter()
            .map(|s| (s.as_str(), ctx.t(status_key(*s))))
            .collect(),
        status: f.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        rows: invoices.iter().map(|i| Row::new(ctx, i)).collect(),
        sum_total: sum.format_sv(),
        billable,
        create_month: create_for.to_string(),
        issue_date: state.today().to_string(),
        has_settings,
        errors,
        notice,
    };
    (status_code, render(&page, ctx.lang)).into_response()
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    list_page(&state, &ctx, q, FieldErrors::default(), None).await
}

fn parse_date(
    errors: &mut FieldErrors,
    ctx: &Ctx,
    field: &str,
    v: Option<&String>,
) -> Option<NaiveDate> {
    let v = v.map(|s| s.trim()).unwrap_or("");
    if v.is_empty() {
        errors.add(field, ctx.t("invoicing.required"));
        return None;
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| errors.add(field, ctx.t("invoicing.bad_date")))
        .ok()
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut errors = FieldErrors::default();
    let month_s = f
        .get("month")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let month = YearMonth::parse(&month_s)
        .map_err(|_| errors.add("month", ctx.t("invoicing.bad_month")))
        .ok();
    let issue = parse_date(&mut errors, &ctx, "issue_date", f.get("issue_date"));
    let (Some(month), Some(issue)) = (month, issue) else {
        return list_page(&state, &ctx, ListQuery::default(), errors, Some(month_s)).await;
    };
    let s = ctx.who().scoped(state.store());
    match s.create_invoices_for_month(month, issue).await {
        Ok(created) => Redirect::to(&format!(
            "/fakturor?manad={month}&klart=skapade&antal={}",
            created.invoices.len()
        ))
        .into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add(v.field, v.message(ctx.lang));
            list_page(&state, &ctx, ListQuery::default(), errors, Some(month_s)).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

/// All documents of `invoices` with what the UBL and CSV need, or the page to show.
async fn documents(
    s: &Scoped<'_>,
    ctx: &Ctx,
    invoices: &[InvoiceRecord],
) -> Result<Vec<InvoiceDocument>, Response> {
    let mut docs = Vec::with_capacity(invoices.len());
    for i in invoices {
        match s.invoice_document(i.id).await {
            Ok(d) => docs.push(d),
            Err(StoreError::Rule(v)) => {
                return Err((
                    StatusCode::CONFLICT,
                    render(&Missing::new(ctx, v.message(ctx.lang)), ctx.lang),
                )
                    .into_response())
            }
            Err(e) => return Err(ctx.store_error(e).into_response()),
        }
    }
    Ok(docs)
}

/// Shown when a download needs the municipality's buyer details first.
#[derive(Template)]
#[template(path = "invoicing/missing.html")]
struct Missing {
    page: Page,
    message: String,
}

impl Missing {
    fn new(ctx: &Ctx, message: String) -> Missing {
        Missing {
            page: ctx.page("invoicing.missing_title"),
            message,
        }
    }
}

/// A file download that is never cached.
pub fn download(content_type: &str, filename: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let months = match s.invoice_months().await {
        Ok(m) => m,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let f = filter(&q, months.first().copied());
    let invoices = match s.list_invoices(&f).await {
        Ok(i) => i,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let docs = match documents(&s, &ctx, &invoices).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let name = match f.month {
        Some(m) => format!("fakturor-{m}.csv"),
        None => "fakturor.csv".to_string(),
    };
    download("text/csv; charset=utf-8", &name, invoices_csv(&docs))
}

struct LineView {
    placement: i64,
    description: String,
    paid_days: u32,
    month_days: u32,
    price: String,
    amount: String,
    vat: &'static str,
}

#[derive(Template)]
#[template(path = "invoicing/detail.html")]
struct DetailPage {
    page: Page,
    inv: Row,
    status_code: &'static str,
    corrects: Option<(i64, String)>,
    credited_by: Vec<(i64, String)>,
    note: Option<String>,
    buyer_reference: String,
    lines: Vec<LineView>,
    total: String,
    vat: String,
    total_with_vat: String,
    next: Option<(&'static str, &'static str)>,
    can_credit: bool,
    can_delete: bool,
    today: String,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
struct DetailQuery {
    klart: Option<String>,
}

fn parse_id(id: &str) -> Option<InvoiceId> {
    id.trim().parse::<i64>().ok().map(InvoiceId)
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: InvoiceId,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let (inv, lines) = match s.get_invoice(id).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let related = match s
        .list_invoices(&InvoiceFilter {
            month: Some(inv.month),
            organisation: Some(inv.organisation_id),
            status: None,
        })
        .await
    {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let corrects = inv.corrects.and_then(|c| {
        related
            .iter()
            .find(|r| r.id == c)
            .map(|r| (c.get(), r.number.clone()))
    });
    let credited_by: Vec<(i64, String)> = related
        .iter()
        .filter(|r| r.corrects == Some(inv.id))
        .map(|r| (r.id.get(), r.number.clone()))
        .collect();
    let next = inv.status.next().map(|n| {
        (
            n.as_str(),
            match n {
                InvoiceStatus::Approved => "invoicing.do_approve",
                InvoiceStatus::Sent => "invoicing.do_send",
                InvoiceStatus::Paid => "invoicing.do_pay",
                InvoiceStatus::Draft => "invoicing.do_approve",
            },
        )
    });
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DetailPage {
        page: ctx.page("invoicing.detail_title"),
        status_code: inv.status.as_str(),
        corrects,
        can_credit: inv.kind == InvoiceKind::Invoice
            && inv.status != InvoiceStatus::Draft
            && credited_by.is_empty(),
        credited_by,
        note: inv.note.clone(),
        buyer_reference: inv.buyer_reference.clone().unwrap_or_else(|| "–".into()),
        lines: lines
            .iter()
            .map(|l| LineView {
                placement: l.placement_id.get(),
                description: l.description.clone(),
                paid_days: l.paid_days,
                month_days: l.month_days,
                price: l.price_per_month.format_sv(),
                amount: l.amount.format_sv(),
                vat: ctx.t(vat_key(l.vat)),
            })
            .collect(),
        total: inv.total.format_sv(),
        vat: inv.vat.format_sv(),
        total_with_vat: inv.total_with_vat().format_sv(),
        next,
        can_delete: inv.status == InvoiceStatus::Draft,
        today: state.today().to_string(),
        inv: Row::new(ctx, &inv),
        errors,
        notice,
    };
    (status_code, render(&page, ctx.lang)).into_response()
}

async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return ctx.not_found().into_response();
    };
    let notice = match q.klart.as_deref() {
        Some("status") => Some("invoicing.status_notice"),
        Some("kreditnota") => Some("invoicing.credit_notice"),
        _ => None,
    };
    detail_page(&state, &ctx, id, FieldErrors::default(), notice).await
}

async fn download_ubl(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let inv = match s.get_invoice(id).await {
        Ok((inv, _)) => inv,
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

async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return ctx.not_found().into_response();
    };
    let mut errors = FieldErrors::default();
    let to = match f
        .get("to")
        .and_then(|s| InvoiceStatus::parse(s.trim()).ok())
    {
        Some(to) => to,
        None => {
            errors.add("status", ctx.t("invoicing.bad_status"));
            return detail_page(&state, &ctx, id, errors, None).await;
        }
    };
    let payment = if to == InvoiceStatus::Paid {
        let on = parse_date(&mut errors, &ctx, "paid_on", f.get("paid_on"));
        let amount = match f.get("paid_amount").map(|s| s.trim()).unwrap_or("") {
            "" => {
                errors.add("paid_amount", ctx.t("invoicing.required"));
                None
            }
            v => Money::parse_sv(v)
                .map_err(|e| errors.add("paid_amount", e.message(ctx.lang)))
                .ok(),
        };
        if !errors.is_empty() {
            return detail_page(&state, &ctx, id, errors, None).await;
        }
        on.zip(amount)
    } else {
        None
    };
    let s = ctx.who().scoped(state.store());
    match s.set_invoice_status(id, to, payment).await {
        Ok(_) => Redirect::to(&format!("/fakturor/{id}?klart=status")).into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add(v.field, v.message(ctx.lang));
            detail_page(&state, &ctx, id, errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn credit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return ctx.not_found().into_response();
    };
    let mut errors = FieldErrors::default();
    let reason = match f.get("reason").map(|s| s.trim()).unwrap_or("") {
        "" => {
            errors.add("reason", ctx.t("invoicing.reason_required"));
            None
        }
        v => Text::parse(v)
            .map_err(|e| errors.add("reason", e.to_string()))
            .ok(),
    };
    let issue = parse_date(
        &mut errors,
        &ctx,
        "credit_issue_date",
        f.get("credit_issue_date"),
    );
    let (Some(reason), Some(issue)) = (reason, issue) else {
        return detail_page(&state, &ctx, id, errors, None).await;
    };
    let s = ctx.who().scoped(state.store());
    match s.credit_invoice(id, &reason, issue).await {
        Ok(new_id) => Redirect::to(&format!("/fakturor/{new_id}?klart=kreditnota")).into_response(),
        Err(StoreError::Rule(v)) => {
            let field = if v.field == "issue_date" {
                "credit_issue_date"
            } else {
                v.field
            };
            errors.add(field, v.message(ctx.lang));
            detail_page(&state, &ctx, id, errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn delete_draft(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let month = match s.get_invoice(id).await {
        Ok((inv, _)) => inv.month,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    match s.delete_draft_invoice(id).await {
        Ok(()) => Redirect::to(&format!("/fakturor?manad={month}&klart=borttagen")).into_response(),
        Err(StoreError::Rule(v)) => {
            let mut errors = FieldErrors::default();
            errors.add(v.field, v.message(ctx.lang));
            detail_page(&state, &ctx, id, errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

fn opt_text(t: &Option<Text>) -> String {
    t.as_ref()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default()
}

/// A text field of the settings form.
struct FieldView {
    name: &'static str,
    label: &'static str,
    value: String,
}

struct AgreementView {
    id: i64,
    supplier: String,
    placement_type: String,
    price: String,
    vat: &'static str,
}

struct SupplierView {
    id: i64,
    name: String,
    vat_registered: bool,
    bankgiro: String,
}

#[derive(Template)]
#[template(path = "invoicing/settings.html")]
struct SettingsPage {
    page: Page,
    fields: Vec<FieldView>,
    agreements: Vec<AgreementView>,
    suppliers: Vec<SupplierView>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
struct SettingsQuery {
    klart: Option<String>,
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    form: Option<&HashMap<String, String>>,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        Ok::<_, StoreError>((
            s.invoicing_settings().await?,
            s.agreements_vat().await?,
            s.suppliers_invoicing().await?,
        ))
    }
    .await;
    let (current, agreements, suppliers) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let stored = |f: fn(&InvoicingSettings) -> String| current.as_ref().map(f).unwrap_or_default();
    let value = |key: &str, f: fn(&InvoicingSettings) -> String| match form {
        Some(form) => form.get(key).cloned().unwrap_or_default(),
        None => stored(f),
    };
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SettingsPage {
        page: ctx.page("invoicing.settings_title"),
        fields: vec![
            FieldView {
                name: "org_number",
                label: "invoicing.org_number",
                value: value("org_number", |s| s.org_number.to_string()),
            },
            FieldView {
                name: "buyer_reference",
                label: "invoicing.buyer_reference",
                value: value("buyer_reference", |s| {
                    s.buyer_reference.as_str().to_string()
                }),
            },
            FieldView {
                name: "street",
                label: "invoicing.street",
                value: value("street", |s| opt_text(&s.street)),
            },
            FieldView {
                name: "postcode",
                label: "invoicing.postcode",
                value: value("postcode", |s| opt_text(&s.postcode)),
            },
            FieldView {
                name: "city",
                label: "invoicing.city",
                value: value("city", |s| opt_text(&s.city)),
            },
            FieldView {
                name: "payment_days",
                label: "invoicing.payment_days",
                value: match form {
                    Some(f) => f.get("payment_days").cloned().unwrap_or_default(),
                    None => current.as_ref().map_or(30, |s| s.payment_days).to_string(),
                },
            },
        ],
        agreements: agreements
            .into_iter()
            .map(|(id, supplier, placement_type, price, vat)| AgreementView {
                id: id.get(),
                supplier,
                placement_type,
                price: price.format_sv(),
                vat: vat.as_str(),
            })
            .collect(),
        suppliers: suppliers
            .into_iter()
            .map(|(id, name, vat_registered, bankgiro)| SupplierView {
                id: id.get(),
                name,
                vat_registered,
                bankgiro: bankgiro.unwrap_or_default(),
            })
            .collect(),
        errors,
        notice,
    };
    (status_code, render(&page, ctx.lang)).into_response()
}

async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SettingsQuery>,
) -> Response {
    let notice = match q.klart.as_deref() {
        Some("sparat") => Some("invoicing.settings_saved"),
        Some("avtal") => Some("invoicing.agreement_saved"),
        Some("leverantor") => Some("invoicing.supplier_saved"),
        _ => None,
    };
    settings_page(&state, &ctx, None, FieldErrors::default(), notice).await
}

async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut errors = FieldErrors::default();
    let get = |k: &str| f.get(k).map(|s| s.trim()).unwrap_or("");
    let org_number = match get("org_number") {
        "" => {
            errors.add("org_number", ctx.t("invoicing.required"));
            None
        }
        v => OrganisationNumber::parse(v)
            .map_err(|e| errors.add("org_number", e.message(ctx.lang)))
            .ok(),
    };
    let buyer_reference = match get("buyer_reference") {
        "" => {
            errors.add("buyer_reference", ctx.t("invoicing.required"));
            None
        }
        v => Text::parse_max(v, 100)
            .map_err(|e| errors.add("buyer_reference", e.to_string()))
            .ok(),
    };
    let mut optional = |k: &str| match get(k) {
        "" => None,
        v => Text::parse_max(v, 200)
            .map_err(|e| errors.add(k, e.to_string()))
            .ok(),
    };
    let street = optional("street");
    let postcode = optional("postcode");
    let city = optional("city");
    let payment_days = match get("payment_days").parse::<u32>() {
        Ok(d) if d <= 120 => Some(d),
        _ => {
            errors.add("payment_days", ctx.t("invoicing.bad_payment_days"));
            None
        }
    };
    let (Some(org_number), Some(buyer_reference), Some(payment_days), true) =
        (org_number, buyer_reference, payment_days, errors.is_empty())
    else {
        return settings_page(&state, &ctx, Some(&f), errors, None).await;
    };
    let settings = InvoicingSettings {
        org_number,
        buyer_reference,
        street,
        postcode,
        city,
        payment_days,
    };
    let s = ctx.who().scoped(state.store());
    match s.save_invoicing_settings(&settings).await {
        Ok(()) => Redirect::to("/fakturor/installningar?klart=sparat").into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add(v.field, v.message(ctx.lang));
            settings_page(&state, &ctx, Some(&f), errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn save_agreement_vat(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut errors = FieldErrors::default();
    let agreement = f
        .get("agreement_id")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map(AgreementId);
    let vat = f
        .get("vat_category")
        .and_then(|s| VatCategory::parse(s.trim()).ok());
    let (Some(agreement), Some(vat)) = (agreement, vat) else {
        errors.add("vat_category", ctx.t("invoicing.bad_vat"));
        return settings_page(&state, &ctx, None, errors, None).await;
    };
    let s = ctx.who().scoped(state.store());
    match s.set_agreement_vat(agreement, vat).await {
        Ok(()) => Redirect::to("/fakturor/installningar?klart=avtal").into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add(v.field, v.message(ctx.lang));
            settings_page(&state, &ctx, None, errors, None).await
        }
        Err(StoreError::NotFound { .. }) => ctx.not_found().into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn save_supplier(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(org) = f
        .get("organisation_id")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map(OrganisationId)
    else {
        return ctx.not_found().into_response();
    };
    let vat_registered = f.get("vat_registered").map(|s| s.as_str()) == Some("ja");
    let s = ctx.who().scoped(state.store());
    match s
        .set_supplier_invoicing(org, vat_registered, f.get("bankgiro").map(|s| s.as_str()))
        .await
    {
        Ok(()) => Redirect::to("/fakturor/installningar?klart=leverantor").into_response(),
        Err(StoreError::Rule(v)) => {
            let mut errors = FieldErrors::default();
            errors.add(&format!("{}-{}", v.field, org.get()), v.message(ctx.lang));
            settings_page(&state, &ctx, None, errors, None).await
        }
        Err(StoreError::NotFound { .. }) => ctx.not_found().into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}
