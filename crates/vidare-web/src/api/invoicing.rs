//! The invoicing area's JSON API under `/api/v1`: the same invoices and rules as the
//! pages. The municipality lists invoices, reads one with its lines, creates a month's
//! drafts from approved attendance, moves an invoice through the approval flow and
//! credits one; a supplier reads its own approved invoices and income by month. Both
//! download an invoice's Peppol BIS Billing 3.0 UBL document (a supplier only its own
//! approved ones). Invoices hold no personal data.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use vidare_domain::ids::{InvoiceId, OrganisationId};
use vidare_domain::model::invoice::InvoiceStatus;
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_domain::period::YearMonth;
use vidare_domain::Lang;
use vidare_exchange::peppol::{file_name, ubl_xml};
use vidare_store::repo::invoices::{InvoiceFilter, InvoiceLineRecord, InvoiceRecord, MonthIncome};

use super::{envelopes, Amount, ApiJson, ApiPath, ApiQuery, Caller, ProblemDoc, Problems};
use crate::error::ApiError;
use crate::routes::{access, RouteDef};
use crate::AppState;

/// Every API route of this area; each must also appear in [`openapi`]'s paths.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/api/v1/invoices", access::INVOICING, list),
        RouteDef::post("/api/v1/invoices", access::INVOICING, create),
        RouteDef::get("/api/v1/invoices/{id}", access::INVOICING, show),
        RouteDef::post(
            "/api/v1/invoices/{id}/status",
            access::INVOICING,
            set_status,
        ),
        RouteDef::post("/api/v1/invoices/{id}/credit", access::INVOICING, credit),
        RouteDef::get("/api/v1/invoices/{id}/ubl", access::INVOICE_DOCUMENT, ubl),
        RouteDef::get("/api/v1/portal/invoices", access::SUPPLIER, portal),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, set_status, credit, ubl, portal),
    tags(
        (name = "invoicing", description = "Suppliers' invoices and credit notes derived from approved attendance, with the approval flow draft → approved → sent → paid. Corrections are credit notes, never edits. Each document downloads as Peppol BIS Billing 3.0 UBL."),
    )
)]
struct InvoicingApi;

/// This area's part of the OpenAPI document (merged into the whole in
/// [`super::openapi`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    InvoicingApi::openapi()
}

/// An invoice or credit note.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceOut {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Unique per supplier: `F202403`, `F202403-2`, credit notes `K202403-1`.
    pub number: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// For a credit note: the invoice it corrects.
    pub corrects: Option<i64>,
    /// `draft`, `approved`, `sent` or `paid`.
    pub status: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Sum of the lines excluding VAT (positive also for a credit note).
    pub total: Amount,
    pub vat: Amount,
    pub paid_on: Option<NaiveDate>,
    pub paid: Option<Amount>,
}

impl From<&InvoiceRecord> for InvoiceOut {
    fn from(i: &InvoiceRecord) -> InvoiceOut {
        InvoiceOut {
            id: i.id.get(),
            organisation_id: i.organisation_id.get(),
            organisation_name: i.organisation_name.clone(),
            month: i.month.to_string(),
            number: i.number.clone(),
            kind: i.kind.as_str().to_string(),
            corrects: i.corrects.map(InvoiceId::get),
            status: i.status.as_str().to_string(),
            issue_date: i.issue_date,
            due_date: i.due_date,
            total: i.total.into(),
            vat: i.vat.into(),
            paid_on: i.paid_on,
            paid: i.paid.map(Amount::from),
        }
    }
}

/// One line: a placement's paid days in the month.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineOut {
    pub placement_id: i64,
    pub agreement_id: i64,
    pub description: String,
    pub paid_days: u32,
    pub month_days: u32,
    pub price_per_month: Amount,
    pub amount: Amount,
    /// VAT category: `E` exempt, `S` 25 %, `O` outside the scope of VAT.
    pub vat_category: String,
}

impl From<&InvoiceLineRecord> for InvoiceLineOut {
    fn from(l: &InvoiceLineRecord) -> InvoiceLineOut {
        InvoiceLineOut {
            placement_id: l.placement_id.get(),
            agreement_id: l.agreement_id.get(),
            description: l.description.clone(),
            paid_days: l.paid_days,
            month_days: l.month_days,
            price_per_month: l.price_per_month.into(),
            amount: l.amount.into(),
            vat_category: l.vat.as_str().to_string(),
        }
    }
}

/// An invoice with its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDetailOut {
    pub invoice: InvoiceOut,
    pub lines: Vec<InvoiceLineOut>,
}

/// A supplier's invoicing in one month, net of credit notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthIncomeOut {
    /// `YYYY-MM`.
    pub month: String,
    pub documents: u32,
    pub net: Amount,
    pub vat: Amount,
    pub paid: Amount,
    pub outstanding: Amount,
}

impl From<&MonthIncome> for MonthIncomeOut {
    fn from(m: &MonthIncome) -> MonthIncomeOut {
        MonthIncomeOut {
            month: m.month.to_string(),
            documents: m.invoices,
            net: m.net.into(),
            vat: m.vat.into(),
            paid: m.paid.into(),
            outstanding: m.outstanding.into(),
        }
    }
}

/// The supplier's view: income by month and its approved invoices.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalInvoicesOut {
    pub income: Vec<MonthIncomeOut>,
    pub invoices: Vec<InvoiceOut>,
}

/// What a run for a month created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOut {
    pub month: String,
    /// The new draft invoices' ids (one per supplier with billable placement-months).
    pub invoices: Vec<i64>,
    pub lines: u32,
    pub total: Amount,
}

envelopes!(list InvoiceOut => InvoiceList);
envelopes!(item InvoiceDetailOut => InvoiceItem);
envelopes!(item PortalInvoicesOut => PortalInvoicesItem);
envelopes!(item CreatedOut => CreatedItem);

/// Which invoices to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// Only this month, `YYYY-MM`.
    pub month: Option<String>,
    /// Only this supplier.
    pub organisation_id: Option<i64>,
    /// Only this status: `draft`, `approved`, `sent` or `paid`.
    pub status: Option<String>,
}

/// Create a month's invoices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIn {
    /// The month to invoice, `YYYY-MM`.
    #[schema(value_type = String, required = true)]
    pub month: Option<String>,
    /// The invoice date, `YYYY-MM-DD`.
    #[schema(value_type = NaiveDate, required = true)]
    pub issue_date: Option<NaiveDate>,
}

/// The next step of the approval flow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// `approved`, `sent` or `paid` (one step at a time).
    #[schema(value_type = String, required = true)]
    pub status: Option<String>,
    /// For `paid`: the payment date.
    pub paid_on: Option<NaiveDate>,
    /// For `paid`: the amount paid, in öre.
    pub paid_ore: Option<i64>,
}

/// Credit an invoice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditIn {
    /// Why the invoice is credited (printed on the credit note).
    #[schema(value_type = String, required = true)]
    pub reason: Option<String>,
    /// The credit note's date, `YYYY-MM-DD`, not before the invoice's.
    #[schema(value_type = NaiveDate, required = true)]
    pub issue_date: Option<NaiveDate>,
}

fn field(lang: Lang, name: &str, sv: &str, en: &str) -> ApiError {
    super::extract::bad_field(
        lang,
        name,
        match lang {
            Lang::Sv => sv.to_string(),
            Lang::En => en.to_string(),
        },
    )
}

/// List invoices
///
/// The tenant's invoices and credit notes, newest month first; filter by month,
/// supplier and status.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoicing", operation_id = "list_invoices",
    params(InvoiceQuery),
    responses(
        (status = 200, description = "The invoices.", body = InvoiceList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> Result<Json<InvoiceList>, ApiError> {
    let month = match q.month.as_deref() {
        None => None,
        Some(m) => Some(YearMonth::parse(m).map_err(|_| {
            field(
                caller.lang,
                "month",
                "Skriv månaden som ÅÅÅÅ-MM.",
                "Write the month as YYYY-MM.",
            )
        })?),
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(InvoiceStatus::parse(s).map_err(|_| {
            field(
                caller.lang,
                "status",
                "Status ska vara draft, approved, sent eller paid.",
                "The status must be draft, approved, sent or paid.",
            )
        })?),
    };
    let s = caller.scoped(state.store());
    let rows = s
        .list_invoices(&InvoiceFilter {
            month,
            organisation: q.organisation_id.map(OrganisationId),
            status,
        })
        .await
        .map_err(|e| caller.store_error(e))?;
    let total = rows.len() as u64;
    Ok(Json(InvoiceList {
        data: rows.iter().map(InvoiceOut::from).collect(),
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

/// Create a month's invoices
///
/// One draft invoice per supplier from the approved attendance of the month that no
/// invoice covers yet, numbered per supplier. Running it again bills nothing twice.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "invoicing", operation_id = "create_invoices",
    request_body = CreateIn,
    responses(
        (status = 201, description = "The drafts created (possibly none).", body = CreatedItem),
        (status = 400, description = "The body is not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateIn>,
) -> Result<Response, ApiError> {
    let mut p = Problems::new(caller.lang);
    let month = p.required("month", b.month);
    let issue = p.required("issue_date", b.issue_date);
    let month = month.and_then(|m| match YearMonth::parse(&m) {
        Ok(m) => Some(m),
        Err(e) => {
            p.add("month", vidare_domain::Localized::message(&e, caller.lang));
            None
        }
    });
    p.finish()?;
    let (Some(month), Some(issue)) = (month, issue) else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    let created = s
        .create_invoices_for_month(month, issue)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedItem {
            data: CreatedOut {
                month: month.to_string(),
                invoices: created.invoices.iter().map(|i| i.get()).collect(),
                lines: created.lines,
                total: created.total.into(),
            },
        }),
    )
        .into_response())
}

/// Get an invoice
///
/// An invoice or credit note with its lines.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoicing", operation_id = "get_invoice",
    params(("id" = i64, Path, description = "The invoice's id.")),
    responses(
        (status = 200, description = "The invoice.", body = InvoiceItem),
        (status = 404, description = "No such invoice in the tenant.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InvoiceItem>, ApiError> {
    let s = caller.scoped(state.store());
    let (inv, lines) = s
        .get_invoice(InvoiceId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(InvoiceItem {
        data: InvoiceDetailOut {
            invoice: (&inv).into(),
            lines: lines.iter().map(InvoiceLineOut::from).collect(),
        },
    }))
}

/// Move an invoice one step
///
/// Draft → approved → sent → paid, one step at a time; `paid` needs the payment date
/// and amount. Every step is written to the audit log; other transitions are refused.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/status", tag = "invoicing", operation_id = "set_invoice_status",
    params(("id" = i64, Path, description = "The invoice's id.")),
    request_body = StatusIn,
    responses(
        (status = 200, description = "The invoice after the step.", body = InvoiceItem),
        (status = 404, description = "No such invoice in the tenant.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Not the next step, or the payment is missing or invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StatusIn>,
) -> Result<Json<InvoiceItem>, ApiError> {
    let mut p = Problems::new(caller.lang);
    let status = p
        .required("status", b.status)
        .and_then(|s| match InvoiceStatus::parse(&s) {
            Ok(s) => Some(s),
            Err(_) => {
                p.add(
                    "status",
                    match caller.lang {
                        Lang::Sv => "Status ska vara approved, sent eller paid.",
                        Lang::En => "The status must be approved, sent or paid.",
                    },
                );
                None
            }
        });
    p.finish()?;
    let Some(status) = status else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    let payment = b.paid_on.zip(b.paid_ore.map(Money::from_ore));
    let s = caller.scoped(state.store());
    s.set_invoice_status(InvoiceId(id), status, payment)
        .await
        .map_err(|e| caller.store_error(e))?;
    let (inv, lines) = s
        .get_invoice(InvoiceId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(InvoiceItem {
        data: InvoiceDetailOut {
            invoice: (&inv).into(),
            lines: lines.iter().map(InvoiceLineOut::from).collect(),
        },
    }))
}

/// Credit an invoice
///
/// Credits an approved, sent or paid invoice in full: a new credit note (a draft, with
/// the invoice's lines) that corrects it; the invoice itself is never edited. Its
/// placement-months become billable again (and their attendance correctable), so the
/// month's next run bills them on a new invoice. Refused for a draft (delete it
/// instead), a credit note, an invoice already credited (`corrects`), and a date before
/// the invoice's (`issue_date`).
#[utoipa::path(post, path = "/api/v1/invoices/{id}/credit", tag = "invoicing", operation_id = "credit_invoice",
    params(("id" = i64, Path, description = "The invoice's id.")),
    request_body = CreditIn,
    responses(
        (status = 201, description = "The credit note created (a draft), with its lines.", body = InvoiceItem),
        (status = 400, description = "The body is not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice in the tenant.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or refused (`reason`, `issue_date`, `corrects`).", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn credit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CreditIn>,
) -> Result<Response, ApiError> {
    let s = caller.scoped(state.store());
    // An unknown invoice is not found, whatever the body says.
    s.get_invoice(InvoiceId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    let mut p = Problems::new(caller.lang);
    let reason = p
        .required("reason", b.reason)
        .and_then(|r| p.parse("reason", Text::parse_max(&r, 500)));
    let issue = p.required("issue_date", b.issue_date);
    p.finish()?;
    let (Some(reason), Some(issue)) = (reason, issue) else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    let new_id = s
        .credit_invoice(InvoiceId(id), &reason, issue)
        .await
        .map_err(|e| caller.store_error(e))?;
    let (inv, lines) = s
        .get_invoice(new_id)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/invoices/{new_id}"))],
        Json(InvoiceItem {
            data: InvoiceDetailOut {
                invoice: (&inv).into(),
                lines: lines.iter().map(InvoiceLineOut::from).collect(),
            },
        }),
    )
        .into_response())
}

/// Download an invoice as UBL
///
/// The invoice or credit note as a Peppol BIS Billing 3.0 UBL document (EN 16931), as
/// the pages download it. The municipality's invoicing gets any of the tenant's
/// documents; a supplier only its own, once approved (another's, or a draft, is not
/// found). Refused until the municipality's buyer details are filled in (`org_number`).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/ubl", tag = "invoicing", operation_id = "get_invoice_ubl",
    params(("id" = i64, Path, description = "The invoice's id.")),
    responses(
        (status = 200, description = "The UBL Invoice or CreditNote document, as an attachment.", body = String, content_type = "application/xml"),
        (status = 404, description = "No such invoice in the tenant, or not the calling supplier's approved document.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The municipality's buyer details are missing (`org_number`).", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn ubl(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let s = caller.scoped(state.store());
    let (inv, _) = s
        .get_invoice(InvoiceId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    // A supplier sees its own documents once the municipality has approved them.
    if let Some(org) = caller.who().role.organisation_id() {
        if inv.organisation_id != org || inv.status == InvoiceStatus::Draft {
            return Err(caller.not_found());
        }
    }
    let doc = s
        .invoice_document(inv.id)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/xml; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file_name(&doc)),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        ubl_xml(&doc),
    )
        .into_response())
}

/// The supplier's invoices and income
///
/// The calling supplier's own invoices and credit notes that the municipality has
/// approved, and its income month by month (net of credit notes, with VAT, payments and
/// what is outstanding).
#[utoipa::path(get, path = "/api/v1/portal/invoices", tag = "invoicing", operation_id = "portal_invoices",
    responses(
        (status = 200, description = "Income by month and the invoices.", body = PortalInvoicesItem),
    ))]
pub(super) async fn portal(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PortalInvoicesItem>, ApiError> {
    let org = caller
        .who()
        .role
        .organisation_id()
        .ok_or_else(|| caller.not_found())?;
    let s = caller.scoped(state.store());
    let income = s
        .income_by_month(org)
        .await
        .map_err(|e| caller.store_error(e))?;
    let invoices = s
        .list_invoices(&InvoiceFilter {
            organisation: Some(org),
            ..InvoiceFilter::default()
        })
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(PortalInvoicesItem {
        data: PortalInvoicesOut {
            income: income.iter().map(MonthIncomeOut::from).collect(),
            invoices: invoices
                .iter()
                .filter(|i| i.status != InvoiceStatus::Draft)
                .map(InvoiceOut::from)
                .collect(),
        },
    }))
}
