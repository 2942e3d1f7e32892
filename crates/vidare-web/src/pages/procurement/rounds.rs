//! Planning a round: the list of rounds, the new-round form, a round's overview (tender
//! deadline, award criteria, documents, publishing), its lots, and the planning view of
//! placement types participants needed but current agreements lack.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use vidare_domain::deadline::{stockholm_today, Deadline};
use vidare_domain::ids::{PlacementTypeId, RoundId};
use vidare_domain::model::procurement::{
    threshold_position, ContractKind, ContractPeriod, CpvCode, CriterionKind, LegalBasis,
    RoundStatus, ThresholdPosition,
};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_domain::{Lang, Localized};
use vidare_store::repo::procurement::{NewLot, NewRound};
use vidare_store::repo::tendering::NewCriterion;

use super::{
    basis_name, deadline_text, read_upload, round_nav, status_name, type_name, Errors, Link,
};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/upphandlingar", access::PROCUREMENT, list),
        RouteDef::post("/upphandlingar", access::PROCUREMENT, create),
        RouteDef::get("/upphandlingar/ny", access::PROCUREMENT, new_form),
        RouteDef::get("/upphandlingar/behov", access::PROCUREMENT, needs),
        RouteDef::get("/upphandlingar/{id}", access::PROCUREMENT, show),
        RouteDef::post(
            "/upphandlingar/{id}/anbudstid",
            access::PROCUREMENT,
            set_deadline,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/kriterier",
            access::PROCUREMENT,
            set_criteria,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/publicera",
            access::PROCUREMENT,
            publish,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/dokument",
            access::PROCUREMENT,
            upload_document,
        ),
        RouteDef::get("/upphandlingar/{id}/delomraden", access::PROCUREMENT, lots),
        RouteDef::post(
            "/upphandlingar/{id}/delomraden",
            access::PROCUREMENT,
            add_lot,
        ),
    ]
}

// ---- List ------------------------------------------------------------------------------

struct RoundRow {
    id: i64,
    title: String,
    status: &'static str,
    basis: &'static str,
    deadline: String,
    period: String,
}

#[derive(Template)]
#[template(path = "procurement/list.html")]
struct List {
    page: Page,
    rows: Vec<RoundRow>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = ctx.who().scoped(state.store());
    let rounds = match s.list_rounds().await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let rows = rounds
        .iter()
        .map(|r| RoundRow {
            id: r.id.get(),
            title: r.title.to_string(),
            status: status_name(&ctx, r.status),
            basis: basis_name(&ctx, r.legal_basis),
            deadline: deadline_text(r),
            period: format!(
                "{} – {}",
                r.contract_period.start(),
                r.contract_period.max_end()
            ),
        })
        .collect();
    render(
        &List {
            page: ctx.page("proc.list_title"),
            rows,
        },
        ctx.lang,
    )
}

// ---- New round -------------------------------------------------------------------------

/// The new-round form as submitted (and shown again after a refusal).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RoundForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub contract_kind: String,
    #[serde(default)]
    pub cpv_codes: String,
    #[serde(default)]
    pub estimated_value: String,
    #[serde(default)]
    pub contract_start: String,
    #[serde(default)]
    pub initial_months: String,
    #[serde(default)]
    pub option_months: String,
    #[serde(default)]
    pub tender_deadline: String,
}

fn msg(lang: Lang, sv: &str, en: &str) -> String {
    match lang {
        Lang::Sv => sv.to_string(),
        Lang::En => en.to_string(),
    }
}

/// Parses a date `YYYY-MM-DD`.
pub(crate) fn parse_date(
    lang: Lang,
    errors: &mut Errors,
    field: &'static str,
    v: &str,
) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                field,
                msg(
                    lang,
                    "Ange ett datum som ÅÅÅÅ-MM-DD.",
                    "Enter a date as YYYY-MM-DD.",
                ),
            );
            None
        }
    }
}

/// Parses a whole number within `min..=max`.
pub(crate) fn parse_count(
    lang: Lang,
    errors: &mut Errors,
    field: &'static str,
    v: &str,
    min: i64,
    max: i64,
) -> Option<i64> {
    match v.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.add(
                field,
                match lang {
                    Lang::Sv => format!("Ange ett heltal {min}–{max}."),
                    Lang::En => format!("Enter a whole number {min}–{max}."),
                },
            );
            None
        }
    }
}

/// Parses an amount in kronor (`12 345,50`).
pub(crate) fn parse_money(
    lang: Lang,
    errors: &mut Errors,
    field: &'static str,
    v: &str,
) -> Option<Money> {
    match Money::parse_sv(v) {
        Ok(m) if m >= Money::ZERO => Some(m),
        Ok(_) => {
            errors.add(
                field,
                msg(
                    lang,
                    "Beloppet kan inte vara negativt.",
                    "The amount cannot be negative.",
                ),
            );
            None
        }
        Err(e) => {
            errors.add(field, e.message(lang));
            None
        }
    }
}

/// Parses a tender deadline in Stockholm time (`2026-03-02T12:00` from a date-time
/// field, or `2026-03-02 12:00`).
pub(crate) fn parse_deadline(
    lang: Lang,
    errors: &mut Errors,
    field: &'static str,
    v: &str,
) -> Option<Deadline> {
    match Deadline::parse(v) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.add(field, e.message(lang));
            None
        }
    }
}

/// Checks the new-round form; every field's problem is reported together.
pub(crate) fn parse_round(
    lang: Lang,
    f: &RoundForm,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewRound, Errors> {
    let mut e = Errors::default();
    let title = match Text::parse_max(&f.title, 300) {
        Ok(t) => Some(t),
        Err(x) => {
            e.add("title", x.message(lang));
            None
        }
    };
    let reference = if f.reference.trim().is_empty() {
        None
    } else {
        match Text::parse_max(&f.reference, 100) {
            Ok(t) => Some(t),
            Err(x) => {
                e.add("reference", x.message(lang));
                None
            }
        }
    };
    let legal_basis = match LegalBasis::parse(f.legal_basis.trim()) {
        Ok(b) => Some(b),
        Err(_) => {
            e.add(
                "legal_basis",
                msg(lang, "Välj rättslig grund.", "Choose the legal basis."),
            );
            None
        }
    };
    let contract_kind = match ContractKind::parse(f.contract_kind.trim()) {
        Ok(k) => Some(k),
        Err(_) => {
            e.add(
                "contract_kind",
                msg(lang, "Välj typ av tjänst.", "Choose the kind of service."),
            );
            None
        }
    };
    if legal_basis == Some(LegalBasis::ReservedIdeaDriven)
        && contract_kind == Some(ContractKind::Services)
    {
        e.add(
            "legal_basis",
            msg(
                lang,
                "Reservation för idéburna organisationer (19 kap. 25 a § LOU) gäller bara sociala tjänster enligt bilaga 2.",
                "Reservation for idea-driven organisations (LOU 19:25 a) applies only to social services (annex 2).",
            ),
        );
    }
    let mut cpv_codes = Vec::new();
    for c in f
        .cpv_codes
        .split([',', ' ', ';', '\n'])
        .filter(|c| !c.trim().is_empty())
    {
        match CpvCode::parse(c) {
            Ok(code) => cpv_codes.push(code),
            Err(v) => {
                e.add("cpv_codes", v.message(lang));
                break;
            }
        }
    }
    if cpv_codes.is_empty() && e.get("cpv_codes").is_none() {
        e.add(
            "cpv_codes",
            msg(
                lang,
                "Ange minst en CPV-kod, till exempel 85312320-8.",
                "Enter at least one CPV code, for example 85312320-8.",
            ),
        );
    }
    let value = parse_money(lang, &mut e, "estimated_value", &f.estimated_value);
    let start = parse_date(lang, &mut e, "contract_start", &f.contract_start);
    let initial = parse_count(lang, &mut e, "initial_months", &f.initial_months, 1, 48);
    let options = if f.option_months.trim().is_empty() {
        Some(0)
    } else {
        parse_count(lang, &mut e, "option_months", &f.option_months, 0, 47)
    };
    let period = match (start, initial, options) {
        (Some(s), Some(i), Some(o)) => match ContractPeriod::new(s, i as u32, o as u32) {
            Ok(p) => Some(p),
            Err(v) => {
                e.add(v.field, v.message(lang));
                None
            }
        },
        _ => None,
    };
    let deadline = if f.tender_deadline.trim().is_empty() {
        None
    } else {
        let d = parse_deadline(lang, &mut e, "tender_deadline", &f.tender_deadline);
        if let Some(d) = &d {
            if d.has_passed(now) {
                e.add(
                    "tender_deadline",
                    msg(
                        lang,
                        "Anbudstiden måste sluta i framtiden.",
                        "The tender deadline must be in the future.",
                    ),
                );
            } else if let Some(s) = start {
                if d.local().date() >= s {
                    e.add(
                        "tender_deadline",
                        msg(
                            lang,
                            "Anbudstiden måste sluta före avtalsstarten.",
                            "The tender deadline must end before the contract starts.",
                        ),
                    );
                }
            }
        }
        d
    };
    match (
        title,
        legal_basis,
        contract_kind,
        value,
        period,
        e.is_empty(),
    ) {
        (
            Some(title),
            Some(legal_basis),
            Some(contract_kind),
            Some(estimated_value),
            Some(contract_period),
            true,
        ) => Ok(NewRound {
            title,
            reference,
            legal_basis,
            contract_kind,
            cpv_codes,
            estimated_value,
            contract_period,
            tender_deadline: deadline,
            status: RoundStatus::Planning,
            synthetic: false,
        }),
        _ => Err(e),
    }
}

#[derive(Template)]
#[template(path = "procurement/new.html")]
struct New {
    page: Page,
    form: RoundForm,
    errors: Errors,
    bases: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    thresholds: Vec<(String, String)>,
}

fn new_page(ctx: &Ctx, form: RoundForm, errors: Errors) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let bases = LegalBasis::ALL
        .iter()
        .map(|b| (b.as_str(), basis_name(ctx, *b)))
        .collect();
    let kinds = ContractKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                ctx.t(match k {
                    ContractKind::Services => "proc.kind_services",
                    ContractKind::SocialServices => "proc.kind_social_services",
                }),
            )
        })
        .collect();
    use vidare_domain::model::procurement::thresholds as th;
    let thresholds = vec![
        (
            ctx.t("proc.threshold_direct").to_string(),
            th::DIRECT_AWARD.format_sv(),
        ),
        (
            ctx.t("proc.threshold_services").to_string(),
            th::SERVICES.format_sv(),
        ),
        (
            ctx.t("proc.threshold_social").to_string(),
            th::SOCIAL_SERVICES.format_sv(),
        ),
    ];
    let page = New {
        page: ctx.page("proc.new_title"),
        form,
        errors,
        bases,
        kinds,
        thresholds,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn new_form(ctx: Ctx) -> Response {
    let form = RoundForm {
        legal_basis: LegalBasis::ReservedIntegration.as_str().into(),
        contract_kind: ContractKind::SocialServices.as_str().into(),
        cpv_codes: "85312320-8".into(),
        initial_months: "24".into(),
        option_months: "24".into(),
        ..Default::default()
    };
    new_page(&ctx, form, Errors::default())
}

async fn create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<RoundForm>) -> Response {
    let new = match parse_round(ctx.lang, &f, state.now()) {
        Ok(n) => n,
        Err(e) => return new_page(&ctx, f, e),
    };
    let s = ctx.who().scoped(state.store());
    match s.insert_round(&new).await {
        Ok(id) => Redirect::to(&format!("/upphandlingar/{id}?klart=skapad")).into_response(),
        Err(e) => {
            let mut errors = Errors::default();
            match errors.store(&ctx, e) {
                Ok(()) => new_page(&ctx, f, errors),
                Err(e) => ctx.store_error(e).into_response(),
            }
        }
    }
}

// ---- Overview --------------------------------------------------------------------------

struct CriterionRow {
    kind: &'static str,
    name: String,
    weight: u32,
}

struct DocRow {
    id: i64,
    title: String,
    filename: String,
    size: String,
}

#[derive(Template)]
#[template(path = "procurement/show.html")]
struct Show {
    page: Page,
    id: i64,
    nav: Vec<Link>,
    title: String,
    reference: String,
    status: &'static str,
    planning: bool,
    published: bool,
    basis: &'static str,
    reserved: bool,
    kind: &'static str,
    cpv: String,
    value: String,
    threshold: &'static str,
    period: String,
    deadline: String,
    deadline_value: String,
    lots: usize,
    criteria: Vec<CriterionRow>,
    criteria_form: CriteriaForm,
    documents: Vec<DocRow>,
    submitted: u64,
    errors: Errors,
    notice: Option<&'static str>,
}

/// The award-criteria form: the price weight and up to two quality criteria.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct CriteriaForm {
    #[serde(default)]
    pub price_weight: String,
    #[serde(default)]
    pub quality1_name: String,
    #[serde(default)]
    pub quality1_weight: String,
    #[serde(default)]
    pub quality2_name: String,
    #[serde(default)]
    pub quality2_weight: String,
}

/// Checks the criteria form; the store checks the weights' sum.
pub(crate) fn parse_criteria(lang: Lang, f: &CriteriaForm) -> Result<Vec<NewCriterion>, Errors> {
    let mut e = Errors::default();
    let mut out = Vec::new();
    if let Some(w) = parse_count(lang, &mut e, "price_weight", &f.price_weight, 1, 100) {
        out.push(NewCriterion {
            kind: CriterionKind::Price,
            name: Text::parse(match lang {
                Lang::Sv => "Pris",
                Lang::En => "Price",
            })
            .expect("text"),
            weight_percent: w as u32,
        });
    }
    for (name, weight, fname, fweight) in [
        (
            &f.quality1_name,
            &f.quality1_weight,
            "quality1_name",
            "quality1_weight",
        ),
        (
            &f.quality2_name,
            &f.quality2_weight,
            "quality2_name",
            "quality2_weight",
        ),
    ] {
        if name.trim().is_empty() && weight.trim().is_empty() {
            continue;
        }
        let n = match Text::parse_max(name, 200) {
            Ok(n) => Some(n),
            Err(x) => {
                e.add(fname, x.message(lang));
                None
            }
        };
        let w = parse_count(lang, &mut e, fweight, weight, 1, 100);
        if let (Some(n), Some(w)) = (n, w) {
            out.push(NewCriterion {
                kind: CriterionKind::Quality,
                name: n,
                weight_percent: w as u32,
            });
        }
    }
    if e.is_empty() {
        Ok(out)
    } else {
        Err(e)
    }
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("skapad") => Some("proc.done_created"),
        Some("anbudstid") => Some("proc.done_deadline"),
        Some("kriterier") => Some("proc.done_criteria"),
        Some("publicerad") => Some("proc.done_published"),
        Some("dokument") => Some("proc.done_document"),
        _ => None,
    }
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: RoundId,
    criteria_form: Option<CriteriaForm>,
    errors: Errors,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        let r = s.get_round(id).await?;
        let lots = s.lots_of_round(id).await?;
        let criteria = s.criteria_of_round(id).await?;
        let docs = s.round_documents(id).await?;
        let submitted = s.count_submitted_tenders(id).await?;
        Ok::<_, vidare_store::StoreError>((r, lots, criteria, docs, submitted))
    }
    .await;
    let (r, lots, criteria, docs, submitted) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let criteria_form = criteria_form.unwrap_or_else(|| {
        let q: Vec<_> = criteria
            .iter()
            .filter(|c| c.kind == CriterionKind::Quality)
            .collect();
        CriteriaForm {
            price_weight: criteria
                .iter()
                .find(|c| c.kind == CriterionKind::Price)
                .map(|c| c.weight_percent.to_string())
                .unwrap_or_default(),
            quality1_name: q.first().map(|c| c.name.to_string()).unwrap_or_default(),
            quality1_weight: q
                .first()
                .map(|c| c.weight_percent.to_string())
                .unwrap_or_default(),
            quality2_name: q.get(1).map(|c| c.name.to_string()).unwrap_or_default(),
            quality2_weight: q
                .get(1)
                .map(|c| c.weight_percent.to_string())
                .unwrap_or_default(),
        }
    });
    let threshold = ctx.t(
        match threshold_position(r.estimated_value, r.contract_kind) {
            ThresholdPosition::DirectAwardPossible => "proc.position_direct",
            ThresholdPosition::BelowThreshold => "proc.position_below",
            ThresholdPosition::AboveThreshold => "proc.position_above",
        },
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Show {
        page: Page::bare(ctx.lang, ctx.principal.clone(), r.title.as_str(), &ctx.path),
        id: id.get(),
        nav: round_nav(ctx, id.get()),
        title: r.title.to_string(),
        reference: r
            .reference
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_else(|| "–".into()),
        status: status_name(ctx, r.status),
        planning: r.status == RoundStatus::Planning,
        published: r.status != RoundStatus::Planning && r.status != RoundStatus::Cancelled,
        basis: basis_name(ctx, r.legal_basis),
        reserved: r.legal_basis.is_reserved(),
        kind: ctx.t(match r.contract_kind {
            ContractKind::Services => "proc.kind_services",
            ContractKind::SocialServices => "proc.kind_social_services",
        }),
        cpv: r
            .cpv_codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        value: r.estimated_value.format_sv(),
        threshold,
        period: format!(
            "{} – {} ({} + {} {})",
            r.contract_period.start(),
            r.contract_period.initial_end(),
            r.contract_period.initial_months(),
            r.contract_period.option_months(),
            ctx.t("proc.months_options")
        ),
        deadline: deadline_text(&r),
        deadline_value: r
            .tender_deadline
            .as_ref()
            .map(|d| d.local().format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default(),
        lots: lots.len(),
        criteria: criteria
            .iter()
            .map(|c| CriterionRow {
                kind: ctx.t(match c.kind {
                    CriterionKind::Price => "proc.criterion_price",
                    CriterionKind::Quality => "proc.criterion_quality",
                }),
                name: c.name.to_string(),
                weight: c.weight_percent,
            })
            .collect(),
        criteria_form,
        documents: docs
            .into_iter()
            .map(|d| DocRow {
                id: d.id,
                title: d.title,
                filename: d.filename,
                size: format!("{} kB", (d.size + 1023) / 1024),
            })
            .collect(),
        submitted,
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Response {
    show_page(
        &state,
        &ctx,
        RoundId(id),
        None,
        Errors::default(),
        notice_of(q.klart.as_deref()),
    )
    .await
}

#[derive(Deserialize)]
struct DeadlineForm {
    #[serde(default)]
    tender_deadline: String,
}

async fn set_deadline(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DeadlineForm>,
) -> Response {
    let id = RoundId(id);
    let mut errors = Errors::default();
    if let Some(d) = parse_deadline(ctx.lang, &mut errors, "tender_deadline", &f.tender_deadline) {
        let s = ctx.who().scoped(state.store());
        match s.set_tender_deadline(id, &d, state.now()).await {
            Ok(()) => {
                return Redirect::to(&format!("/upphandlingar/{id}?klart=anbudstid"))
                    .into_response()
            }
            Err(e) => {
                if let Err(e) = errors.store(&ctx, e) {
                    return ctx.store_error(e).into_response();
                }
            }
        }
    }
    show_page(&state, &ctx, id, None, errors, None).await
}

async fn set_criteria(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CriteriaForm>,
) -> Response {
    let id = RoundId(id);
    let criteria = match parse_criteria(ctx.lang, &f) {
        Ok(c) => c,
        Err(errors) => return show_page(&state, &ctx, id, Some(f), errors, None).await,
    };
    let s = ctx.who().scoped(state.store());
    match s.set_criteria(id, &criteria).await {
        Ok(()) => Redirect::to(&format!("/upphandlingar/{id}?klart=kriterier")).into_response(),
        Err(e) => {
            let mut errors = Errors::default();
            match errors.store(&ctx, e) {
                Ok(()) => show_page(&state, &ctx, id, Some(f), errors, None).await,
                Err(e) => ctx.store_error(e).into_response(),
            }
        }
    }
}

async fn publish(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let id = RoundId(id);
    let s = ctx.who().scoped(state.store());
    match s.publish_round(id, state.now()).await {
        Ok(()) => Redirect::to(&format!("/upphandlingar/{id}?klart=publicerad")).into_response(),
        Err(e) => {
            let mut errors = Errors::default();
            match errors.store(&ctx, e) {
                Ok(()) => show_page(&state, &ctx, id, None, errors, None).await,
                Err(e) => ctx.store_error(e).into_response(),
            }
        }
    }
}

async fn upload_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let id = RoundId(id);
    let mut errors = Errors::default();
    let upload = match read_upload(form).await {
        Ok(u) => u,
        Err(()) => {
            errors.add("file", ctx.t("proc.upload_unreadable"));
            return show_page(&state, &ctx, id, None, errors, None).await;
        }
    };
    let title = match Text::parse_max(upload.field("title"), 200) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.add("doc_title", e.message(ctx.lang));
            None
        }
    };
    let Some(file) = upload.file.filter(|f| !f.content.is_empty()) else {
        errors.add("file", ctx.t("proc.upload_missing"));
        return show_page(&state, &ctx, id, None, errors, None).await;
    };
    let Some(title) = title else {
        return show_page(&state, &ctx, id, None, errors, None).await;
    };
    let s = ctx.who().scoped(state.store());
    match s
        .insert_round_document(id, &title, &file, state.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/upphandlingar/{id}?klart=dokument")).into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => show_page(&state, &ctx, id, None, errors, None).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

// ---- Lots ------------------------------------------------------------------------------

/// The add-lot form.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct LotForm {
    #[serde(default)]
    pub placement_type: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub places: String,
    #[serde(default)]
    pub max_price_per_month: String,
}

/// Checks the add-lot form; the lot's number is the next free one.
pub(crate) fn parse_lot(
    lang: Lang,
    f: &LotForm,
    types: &[vidare_domain::model::procurement::PlacementType],
    number: u32,
    reserved: bool,
) -> Result<NewLot, Errors> {
    let mut e = Errors::default();
    let ty = match f.placement_type.trim().parse::<i64>() {
        Ok(id) if types.iter().any(|t| t.id.get() == id) => Some(PlacementTypeId(id)),
        _ => {
            e.add(
                "placement_type",
                msg(
                    lang,
                    "Välj typ av sysselsättningsplats.",
                    "Choose the placement type.",
                ),
            );
            None
        }
    };
    let title = if f.title.trim().is_empty() {
        ty.map(|t| Text::parse(&type_name(lang, types, t)).expect("a type name"))
    } else {
        match Text::parse_max(&f.title, 200) {
            Ok(t) => Some(t),
            Err(x) => {
                e.add("lot_title", x.message(lang));
                None
            }
        }
    };
    let description = if f.description.trim().is_empty() {
        None
    } else {
        Text::parse_max(&f.description, 2000).ok()
    };
    let places = parse_count(lang, &mut e, "places", &f.places, 1, 10_000);
    let max = match Money::parse_sv(&f.max_price_per_month) {
        Ok(m) if m > Money::ZERO => Some(m),
        Ok(_) => {
            e.add(
                "max_price_per_month",
                msg(
                    lang,
                    "Takpriset per platsmånad måste vara större än 0 kr.",
                    "The maximum price per placement-month must be more than 0 kr.",
                ),
            );
            None
        }
        Err(x) => {
            e.add("max_price_per_month", x.message(lang));
            None
        }
    };
    match (ty, title, places, max, e.is_empty()) {
        (Some(placement_type_id), Some(title), Some(places), Some(max), true) => Ok(NewLot {
            number,
            placement_type_id,
            title,
            description,
            places: places as u32,
            max_price_per_month: max,
            reserved,
        }),
        _ => Err(e),
    }
}

struct LotRow {
    number: u32,
    title: String,
    kind: String,
    places: u32,
    max: String,
}

#[derive(Template)]
#[template(path = "procurement/lots.html")]
struct Lots {
    page: Page,
    id: i64,
    nav: Vec<Link>,
    title: String,
    planning: bool,
    rows: Vec<LotRow>,
    types: Vec<(i64, String)>,
    form: LotForm,
    errors: Errors,
}

async fn lots_page(
    state: &AppState,
    ctx: &Ctx,
    id: RoundId,
    form: LotForm,
    errors: Errors,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        Ok::<_, vidare_store::StoreError>((
            s.get_round(id).await?,
            s.lots_of_round(id).await?,
            s.list_placement_types().await?,
        ))
    }
    .await;
    let (r, lots, types) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Lots {
        page: ctx.page("proc.lots_title"),
        id: id.get(),
        nav: round_nav(ctx, id.get()),
        title: r.title.to_string(),
        planning: r.status == RoundStatus::Planning,
        rows: lots
            .iter()
            .map(|l| LotRow {
                number: l.number,
                title: l.title.to_string(),
                kind: type_name(ctx.lang, &types, l.placement_type_id),
                places: l.places,
                max: l.max_price_per_month.format_sv(),
            })
            .collect(),
        types: types
            .iter()
            .map(|t| (t.id.get(), type_name(ctx.lang, &types, t.id)))
            .collect(),
        form,
        errors,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn lots(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    lots_page(
        &state,
        &ctx,
        RoundId(id),
        LotForm::default(),
        Errors::default(),
    )
    .await
}

async fn add_lot(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<LotForm>,
) -> Response {
    let id = RoundId(id);
    let s = ctx.who().scoped(state.store());
    let result = async {
        Ok::<_, vidare_store::StoreError>((
            s.get_round(id).await?,
            s.lots_of_round(id).await?,
            s.list_placement_types().await?,
        ))
    }
    .await;
    let (r, existing, types) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut errors = Errors::default();
    if r.status != RoundStatus::Planning {
        errors.add("placement_type", ctx.t("proc.lots_fixed"));
        return lots_page(&state, &ctx, id, f, errors).await;
    }
    let number = existing.iter().map(|l| l.number).max().unwrap_or(0) + 1;
    let new = match parse_lot(ctx.lang, &f, &types, number, r.legal_basis.is_reserved()) {
        Ok(n) => n,
        Err(e) => return lots_page(&state, &ctx, id, f, e).await,
    };
    match s.insert_lot(id, &new).await {
        Ok(_) => Redirect::to(&format!("/upphandlingar/{id}/delomraden")).into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => lots_page(&state, &ctx, id, f, errors).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

// ---- Planning view ---------------------------------------------------------------------

struct NeedRow {
    kind: String,
    referrals: u64,
    unmet: u64,
    capacity: u64,
    agreements: u64,
    gap: bool,
}

#[derive(Template)]
#[template(path = "procurement/needs.html")]
struct Needs {
    page: Page,
    from: String,
    to: String,
    rows: Vec<NeedRow>,
}

async fn needs(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = ctx.who().scoped(state.store());
    let today = stockholm_today(state.now());
    let result = async {
        Ok::<_, vidare_store::StoreError>((
            s.placement_needs(today).await?,
            s.list_placement_types().await?,
        ))
    }
    .await;
    let (needs, types) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut rows: Vec<NeedRow> = needs
        .iter()
        .map(|n| NeedRow {
            kind: type_name(ctx.lang, &types, n.placement_type_id),
            referrals: n.referrals,
            unmet: n.unmet,
            capacity: n.capacity_in_force,
            agreements: n.agreements_in_force,
            gap: n.agreements_in_force == 0 || n.unmet > 0,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.gap
            .cmp(&a.gap)
            .then(b.unmet.cmp(&a.unmet))
            .then(a.kind.cmp(&b.kind))
    });
    render(
        &Needs {
            page: ctx.page("proc.needs_title"),
            from: (today - chrono::Months::new(12))
                .succ_opt()
                .unwrap_or(today)
                .to_string(),
            to: today.to_string(),
            rows,
        },
        ctx.lang,
    )
}

/// [`parse_round`] for the API's typed body.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_round_api(
    lang: Lang,
    title: &str,
    reference: &str,
    legal_basis: &str,
    contract_kind: &str,
    cpv_codes: &str,
    estimated_value: &str,
    contract_start: NaiveDate,
    initial_months: u32,
    option_months: u32,
    tender_deadline: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewRound, Errors> {
    parse_round(
        lang,
        &RoundForm {
            title: title.into(),
            reference: reference.into(),
            legal_basis: legal_basis.into(),
            contract_kind: contract_kind.into(),
            cpv_codes: cpv_codes.into(),
            estimated_value: estimated_value.into(),
            contract_start: contract_start.to_string(),
            initial_months: initial_months.to_string(),
            option_months: option_months.to_string(),
            tender_deadline: tender_deadline.into(),
        },
        now,
    )
}

/// [`parse_lot`] for the API's typed body.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_lot_api(
    lang: Lang,
    placement_type_id: i64,
    title: &str,
    places: u32,
    max_price_per_month: &str,
    types: &[vidare_domain::model::procurement::PlacementType],
    number: u32,
    reserved: bool,
) -> Result<NewLot, Errors> {
    parse_lot(
        lang,
        &LotForm {
            placement_type: placement_type_id.to_string(),
            title: title.into(),
            description: String::new(),
            places: places.to_string(),
            max_price_per_month: max_price_per_month.into(),
        },
        types,
        number,
        reserved,
    )
}

/// Award criteria from `(kind, name, weight)`; the store checks the weights.
pub(crate) fn parse_criteria_api(
    lang: Lang,
    parts: &[(String, String, u32)],
) -> Result<Vec<NewCriterion>, Errors> {
    let mut e = Errors::default();
    let mut out = Vec::new();
    for (kind, name, weight) in parts {
        let k = match CriterionKind::parse(kind) {
            Ok(k) => Some(k),
            Err(x) => {
                e.add("kind", x.message(lang));
                None
            }
        };
        let n = match Text::parse_max(name, 200) {
            Ok(n) => Some(n),
            Err(x) => {
                e.add("name", x.message(lang));
                None
            }
        };
        if let (Some(kind), Some(name)) = (k, n) {
            out.push(NewCriterion {
                kind,
                name,
                weight_percent: *weight,
            });
        }
    }
    if e.is_empty() {
        Ok(out)
    } else {
        Err(e)
    }
}
