//! A supplier's tenders: the advertised rounds, its own tender per round (drafted,
//! documented and submitted until the deadline), questions to the buyer, its decision
//! letter, and its periodic eligibility declarations during the contract. A supplier
//! user acts only for its own organisation.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::{BidId, LotId, OrganisationId, RoundId};
use vidare_domain::model::procurement::{
    BidDocumentKind, BidStatus, EligibilityDeclaration, Lot, RoundStatus,
};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_domain::{Lang, Localized};
use vidare_store::repo::tendering::{TenderDraft, TenderLot};
use vidare_store::StoreError;

use super::{deadline_text, permille_text, read_upload, status_name, type_name, Errors};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/portal/anbud", access::SUPPLIER, list),
        RouteDef::post("/portal/anbud/egenforsakran", access::SUPPLIER, declare),
        RouteDef::get("/portal/anbud/{id}", access::SUPPLIER, show),
        RouteDef::post("/portal/anbud/{id}", access::SUPPLIER, save),
        RouteDef::post("/portal/anbud/{id}/dokument", access::SUPPLIER, upload),
        RouteDef::post("/portal/anbud/{id}/lamna", access::SUPPLIER, submit),
        RouteDef::post("/portal/anbud/{id}/fragor", access::SUPPLIER, ask),
        RouteDef::get("/portal/anbud/{id}/beslut", access::SUPPLIER, decision),
        RouteDef::get("/portal/moten", access::SUPPLIER, meetings),
        RouteDef::post(
            "/portal/moten/{meeting}/anmalan",
            access::SUPPLIER,
            register_meeting,
        ),
        RouteDef::post(
            "/portal/moten/{meeting}/avanmalan",
            access::SUPPLIER,
            cancel_meeting,
        ),
    ]
}

fn own(ctx: &Ctx) -> Option<OrganisationId> {
    ctx.who().role.organisation_id()
}

// ---- The list and the periodic declaration ---------------------------------------------

struct RoundRow {
    id: i64,
    title: String,
    status: &'static str,
    deadline: String,
    tender: &'static str,
}

#[derive(Template)]
#[template(path = "procurement/portal_list.html")]
struct List {
    page: Page,
    rows: Vec<RoundRow>,
    latest: Option<(String, String, String, bool)>,
    form: DeclarationForm,
    errors: Errors,
    notice: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct DeclarationForm {
    #[serde(default)]
    pub purpose_statement: String,
    #[serde(default)]
    pub headcount_total: String,
    #[serde(default)]
    pub headcount_target_groups: String,
}

/// A whole number or -1 for "not a number", so that the domain reports the field.
fn number(v: &str) -> i64 {
    v.trim().parse::<i64>().unwrap_or(-1)
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: DeclarationForm,
    errors: Errors,
    notice: bool,
) -> Response {
    let Some(org) = own(ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let result = async {
        let rounds = s.list_rounds().await?;
        let mut rows = Vec::new();
        for r in rounds {
            if matches!(r.status, RoundStatus::Planning | RoundStatus::Cancelled) {
                continue;
            }
            let tender = s.own_tender(r.id, org).await?;
            rows.push(RoundRow {
                id: r.id.get(),
                title: r.title.to_string(),
                status: status_name(ctx, r.status),
                deadline: deadline_text(&r),
                tender: ctx.t(match tender.map(|t| t.bid.status) {
                    None => "proc.no_tender",
                    Some(BidStatus::Draft) => "proc.tender_draft",
                    Some(BidStatus::Submitted) => "proc.tender_submitted",
                    Some(BidStatus::Withdrawn) => "proc.tender_withdrawn",
                }),
            });
        }
        let latest = s
            .latest_declarations()
            .await?
            .into_iter()
            .find(|d| d.organisation_id == org);
        Ok::<_, StoreError>((rows, latest))
    }
    .await;
    let (rows, latest) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = List {
        page: ctx.page("proc.portal_title"),
        rows,
        latest: latest.map(|d| {
            (
                d.declared_on.to_string(),
                format!(
                    "{} / {}",
                    d.headcount.from_target_groups(),
                    d.headcount.total()
                ),
                permille_text(d.headcount.share_permille()),
                d.headcount.meets_share_test(),
            )
        }),
        form,
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    list_page(
        &state,
        &ctx,
        DeclarationForm::default(),
        Errors::default(),
        q.klart.is_some(),
    )
    .await
}

async fn declare(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<DeclarationForm>,
) -> Response {
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let mut errors = Errors::default();
    let d = match EligibilityDeclaration::new(
        &f.purpose_statement,
        number(&f.headcount_total),
        number(&f.headcount_target_groups),
    ) {
        Ok(d) => d,
        Err(v) => {
            errors.add(v.field, v.message(ctx.lang));
            return list_page(&state, &ctx, f, errors, false).await;
        }
    };
    let s = ctx.who().scoped(state.store());
    let now = state.now();
    match s
        .insert_declaration(org, stockholm_today(now), &d, now)
        .await
    {
        Ok(_) => Redirect::to("/portal/anbud?klart=egenforsakran").into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => list_page(&state, &ctx, f, errors, false).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

// ---- One round: the tender form ---------------------------------------------------------

struct LotInput {
    id: i64,
    title: String,
    kind: String,
    places: u32,
    max: String,
    price: String,
    capacity: String,
    answer: String,
}

struct DocInput {
    kind: &'static str,
    name: &'static str,
    field: &'static str,
    uploaded: Option<String>,
}

#[derive(Template)]
#[template(path = "procurement/portal_tender.html")]
struct TenderPage {
    page: Page,
    id: i64,
    title: String,
    deadline: String,
    open: bool,
    status: &'static str,
    submitted_at: String,
    lots: Vec<LotInput>,
    form: DeclarationForm,
    documents: Vec<DocInput>,
    answers: Vec<(String, String)>,
    decided: bool,
    errors: Errors,
    notice: Option<&'static str>,
}

/// The tender form as posted: the declaration and, per lot, `price-ID`, `capacity-ID`
/// and `answer-ID`; a lot with neither price nor capacity is not offered.
pub(crate) struct TenderForm {
    pub declaration: DeclarationForm,
    pub lots: Vec<(i64, String, String, String)>,
}

impl TenderForm {
    fn from_pairs(pairs: &[(String, String)], lots: &[Lot]) -> TenderForm {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        TenderForm {
            declaration: DeclarationForm {
                purpose_statement: get("purpose_statement"),
                headcount_total: get("headcount_total"),
                headcount_target_groups: get("headcount_target_groups"),
            },
            lots: lots
                .iter()
                .map(|l| {
                    let id = l.id.get();
                    (
                        id,
                        get(&format!("price-{id}")),
                        get(&format!("capacity-{id}")),
                        get(&format!("answer-{id}")),
                    )
                })
                .collect(),
        }
    }
}

/// Checks the form's syntax; the store checks the rules (price cap, capacity, share).
pub(crate) fn parse_tender(lang: Lang, f: &TenderForm) -> Result<TenderDraft, Errors> {
    let mut e = Errors::default();
    let mut lots = Vec::new();
    for (id, price, capacity, answer) in &f.lots {
        if price.trim().is_empty() && capacity.trim().is_empty() {
            continue;
        }
        let price = match Money::parse_sv(price) {
            Ok(p) => Some(p),
            Err(x) => {
                e.add("price_per_month", x.message(lang));
                None
            }
        };
        let capacity = match capacity.trim().parse::<u32>() {
            Ok(c) => Some(c),
            Err(_) => {
                e.add(
                    "capacity",
                    match lang {
                        Lang::Sv => "Ange kapaciteten som ett heltal, minst 1.",
                        Lang::En => "Enter the capacity as a whole number, at least 1.",
                    },
                );
                None
            }
        };
        if let (Some(price_per_month), Some(capacity)) = (price, capacity) {
            lots.push(TenderLot {
                lot_id: LotId(*id),
                price_per_month,
                capacity,
                quality_answer: Text::parse_max(answer, 5000).ok(),
            });
        }
    }
    if e.is_empty() {
        Ok(TenderDraft {
            purpose_statement: f.declaration.purpose_statement.clone(),
            headcount_total: number(&f.declaration.headcount_total),
            headcount_target_groups: number(&f.declaration.headcount_target_groups),
            lots,
        })
    } else {
        Err(e)
    }
}

async fn tender_page(
    state: &AppState,
    ctx: &Ctx,
    round: RoundId,
    posted: Option<TenderForm>,
    errors: Errors,
    notice: Option<&'static str>,
) -> Response {
    let Some(org) = own(ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let result = async {
        let r = s.get_round(round).await?;
        if matches!(r.status, RoundStatus::Planning | RoundStatus::Cancelled) {
            return Err(StoreError::NotFound {
                entity: "procurement_round",
            });
        }
        Ok::<_, StoreError>((
            s.lots_of_round(round).await?,
            s.list_placement_types().await?,
            s.own_tender(round, org).await?,
            s.questions_of_round(round).await?,
            s.award_of_round(round).await?,
            r,
        ))
    }
    .await;
    let (lots, types, tender, questions, award, r) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let now = state.now();
    let stored = tender.as_ref();
    let form = match &posted {
        Some(p) => p.declaration.clone(),
        None => DeclarationForm {
            purpose_statement: stored
                .and_then(|t| t.bid.declaration.as_ref())
                .map(|d| d.purpose_statement.to_string())
                .unwrap_or_default(),
            headcount_total: stored
                .and_then(|t| t.bid.declaration.as_ref())
                .map(|d| d.headcount.total().to_string())
                .unwrap_or_default(),
            headcount_target_groups: stored
                .and_then(|t| t.bid.declaration.as_ref())
                .map(|d| d.headcount.from_target_groups().to_string())
                .unwrap_or_default(),
        },
    };
    let lot_inputs = lots
        .iter()
        .map(|l| {
            let (price, capacity, answer) = match &posted {
                Some(p) => p
                    .lots
                    .iter()
                    .find(|x| x.0 == l.id.get())
                    .map(|x| (x.1.clone(), x.2.clone(), x.3.clone()))
                    .unwrap_or_default(),
                None => stored
                    .and_then(|t| t.lots.iter().find(|bl| bl.lot_id == l.id))
                    .map(|bl| {
                        (
                            bl.price_per_month.format_plain_sv(),
                            bl.capacity.to_string(),
                            bl.quality_answer
                                .as_ref()
                                .map(|a| a.to_string())
                                .unwrap_or_default(),
                        )
                    })
                    .unwrap_or_default(),
            };
            LotInput {
                id: l.id.get(),
                title: format!("{}. {}", l.number, l.title),
                kind: type_name(ctx.lang, &types, l.placement_type_id),
                places: l.places,
                max: l.max_price_per_month.format_sv(),
                price,
                capacity,
                answer,
            }
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TenderPage {
        page: ctx.page("proc.tender_title"),
        id: round.get(),
        title: r.title.to_string(),
        deadline: deadline_text(&r),
        open: r.status == RoundStatus::Published
            && r.tender_deadline
                .as_ref()
                .is_some_and(|d| !d.has_passed(now)),
        status: ctx.t(match stored.map(|t| t.bid.status) {
            None => "proc.no_tender",
            Some(BidStatus::Draft) => "proc.tender_draft",
            Some(BidStatus::Submitted) => "proc.tender_submitted",
            Some(BidStatus::Withdrawn) => "proc.tender_withdrawn",
        }),
        submitted_at: stored
            .and_then(|t| t.bid.submitted_at)
            .map(|t| {
                t.with_timezone(&chrono_tz::Europe::Stockholm)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default(),
        lots: lot_inputs,
        form,
        documents: BidDocumentKind::ALL
            .iter()
            .map(|k| DocInput {
                kind: k.as_str(),
                name: match ctx.lang {
                    Lang::Sv => k.name_sv(),
                    Lang::En => k.name_en(),
                },
                field: k.field(),
                uploaded: stored
                    .and_then(|t| t.documents.iter().find(|(dk, _)| dk == k))
                    .map(|(_, m)| m.filename.clone()),
            })
            .collect(),
        answers: questions
            .into_iter()
            .filter_map(|q| q.answer.map(|a| (q.question, a)))
            .collect(),
        decided: award.is_some() && stored.is_some_and(|t| t.bid.status == BidStatus::Submitted),
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

#[derive(Deserialize)]
struct TenderDone {
    klart: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<TenderDone>,
) -> Response {
    let notice = match q.klart.as_deref() {
        Some("sparat") => Some("proc.done_tender_saved"),
        Some("dokument") => Some("proc.done_tender_document"),
        Some("lamnat") => Some("proc.done_tender_submitted"),
        Some("fraga") => Some("proc.done_question"),
        _ => None,
    };
    tender_page(&state, &ctx, RoundId(id), None, Errors::default(), notice).await
}

async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> Response {
    let round = RoundId(id);
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let lots = match s.lots_of_round(round).await {
        Ok(l) => l,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let form = TenderForm::from_pairs(&pairs, &lots);
    let draft = match parse_tender(ctx.lang, &form) {
        Ok(d) => d,
        Err(errors) => return tender_page(&state, &ctx, round, Some(form), errors, None).await,
    };
    match s.save_tender(round, org, &draft, state.now()).await {
        Ok(_) => Redirect::to(&format!("/portal/anbud/{round}?klart=sparat")).into_response(),
        Err(e) => {
            let mut errors = Errors::default();
            match errors.store(&ctx, e) {
                Ok(()) => tender_page(&state, &ctx, round, Some(form), errors, None).await,
                Err(e) => ctx.store_error(e).into_response(),
            }
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let round = RoundId(id);
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let mut errors = Errors::default();
    let upload = match read_upload(form).await {
        Ok(u) => u,
        Err(()) => {
            errors.add("purpose_document", ctx.t("proc.upload_unreadable"));
            return tender_page(&state, &ctx, round, None, errors, None).await;
        }
    };
    let Ok(kind) = BidDocumentKind::parse(upload.field("kind")) else {
        errors.add("purpose_document", ctx.t("proc.pick_document_kind"));
        return tender_page(&state, &ctx, round, None, errors, None).await;
    };
    let file = upload
        .file
        .unwrap_or(vidare_store::repo::tendering::NewFile {
            filename: String::new(),
            mime: String::new(),
            content: Vec::new(),
        });
    let s = ctx.who().scoped(state.store());
    match s
        .attach_bid_document(round, org, kind, &file, state.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/portal/anbud/{round}?klart=dokument")).into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => tender_page(&state, &ctx, round, None, errors, None).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

async fn submit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let round = RoundId(id);
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    match s.submit_tender(round, org, state.now()).await {
        Ok(_) => Redirect::to(&format!("/portal/anbud/{round}?klart=lamnat")).into_response(),
        Err(e) => {
            let mut errors = Errors::default();
            match errors.store(&ctx, e) {
                Ok(()) => tender_page(&state, &ctx, round, None, errors, None).await,
                Err(e) => ctx.store_error(e).into_response(),
            }
        }
    }
}

#[derive(Deserialize)]
struct AskForm {
    #[serde(default)]
    question: String,
}

async fn ask(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AskForm>,
) -> Response {
    let round = RoundId(id);
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let mut errors = Errors::default();
    let q = match Text::parse_max(&f.question, 5000) {
        Ok(q) => q,
        Err(e) => {
            errors.add("question", e.message(ctx.lang));
            return tender_page(&state, &ctx, round, None, errors, None).await;
        }
    };
    let s = ctx.who().scoped(state.store());
    if let Err(e) = s.get_round(round).await.and_then(|r| {
        if matches!(r.status, RoundStatus::Planning | RoundStatus::Cancelled) {
            Err(StoreError::NotFound {
                entity: "procurement_round",
            })
        } else {
            Ok(())
        }
    }) {
        return ctx.store_error(e).into_response();
    }
    match s.ask_question(round, org, &q, state.now()).await {
        Ok(_) => Redirect::to(&format!("/portal/anbud/{round}?klart=fraga")).into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => tender_page(&state, &ctx, round, None, errors, None).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

async fn decision(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let round = RoundId(id);
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let bid: Option<BidId> = match s.own_tender(round, org).await {
        Ok(t) => t
            .filter(|t| t.bid.status == BidStatus::Submitted)
            .map(|t| t.bid.id),
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let Some(bid) = bid else {
        return ctx.not_found().into_response();
    };
    match super::tendering::letter_for(&state, &ctx, round, bid, format!("/portal/anbud/{id}"))
        .await
    {
        Ok(Some(l)) => render(&l, ctx.lang),
        Ok(None) => ctx.not_found().into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}

// ---- Information meetings ---------------------------------------------------------------

/// A meeting of a published round as a supplier sees it: the seats left and only its own
/// organisation's registration.
struct MeetingRow {
    id: i64,
    round: String,
    starts_at: String,
    place: String,
    seats_left: String,
    open: bool,
    full: bool,
    own: Option<(String, String)>,
    /// The form's values when this meeting's registration was refused.
    names: String,
    email: String,
}

#[derive(Template)]
#[template(path = "procurement/portal_meetings.html")]
struct MeetingsPage {
    page: Page,
    rows: Vec<MeetingRow>,
    /// The meeting whose form the errors belong to.
    failed: i64,
    errors: Errors,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
struct MeetingForm {
    #[serde(default)]
    attendee_names: String,
    #[serde(default)]
    email: String,
}

async fn meetings_page(
    state: &AppState,
    ctx: &Ctx,
    failed: Option<(i64, &MeetingForm)>,
    errors: Errors,
    notice: Option<&'static str>,
) -> Response {
    let Some(org) = own(ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let now = state.now();
    let result = async {
        let mut rows = Vec::new();
        for r in s.list_rounds().await? {
            if r.status != RoundStatus::Published {
                continue;
            }
            for m in s.meetings_of_round(r.id).await? {
                let taken: u32 = m.registrations.iter().map(|x| x.attendees).sum();
                let left = m.capacity.map(|c| c.saturating_sub(taken));
                let own = m
                    .registrations
                    .iter()
                    .find(|x| x.organisation_id == Some(org))
                    .map(|x| {
                        (
                            if x.attendee_names.is_empty() {
                                x.attendees.to_string()
                            } else {
                                x.attendee_names.join(", ")
                            },
                            x.email.clone().unwrap_or_default(),
                        )
                    });
                let (names, email) = match failed {
                    Some((id, f)) if id == m.id => (f.attendee_names.clone(), f.email.clone()),
                    _ => Default::default(),
                };
                rows.push(MeetingRow {
                    id: m.id,
                    round: r.title.to_string(),
                    starts_at: m.starts_at.to_string(),
                    place: m.place.clone(),
                    seats_left: left
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| ctx.t("proc.seats_unlimited").to_string()),
                    open: !m.starts_at.has_passed(now),
                    full: left == Some(0),
                    own,
                    names,
                    email,
                });
            }
        }
        Ok::<_, StoreError>(rows)
    }
    .await;
    let rows = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MeetingsPage {
        page: ctx.page("proc.portal_meetings_title"),
        rows,
        failed: failed.map(|(id, _)| id).unwrap_or(0),
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn meetings(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let notice = match q.klart.as_deref() {
        Some("anmald") => Some("proc.done_meeting_registered"),
        Some("avanmald") => Some("proc.done_meeting_cancelled"),
        _ => None,
    };
    meetings_page(&state, &ctx, None, Errors::default(), notice).await
}

/// The names as the form gives them: one per line (commas also separate).
fn names_of(v: &str) -> Vec<String> {
    v.split(['\n', ','])
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

async fn register_meeting(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(meeting): Path<i64>,
    Form(f): Form<MeetingForm>,
) -> Response {
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let reg = match super::parse_supplier_registration(
        ctx.lang,
        &names_of(&f.attendee_names),
        &f.email,
    ) {
        Ok(r) => r,
        Err(errors) => return meetings_page(&state, &ctx, Some((meeting, &f)), errors, None).await,
    };
    let s = ctx.who().scoped(state.store());
    match s
        .register_organisation_for_meeting(meeting, org, &reg, state.now())
        .await
    {
        Ok(_) => Redirect::to("/portal/moten?klart=anmald").into_response(),
        // Another tenant's, a hidden round's or an unknown meeting: 404, as any guess.
        Err(e @ StoreError::NotFound { .. }) => ctx.store_error(e).into_response(),
        Err(e) => {
            let mut errors = Errors::default();
            match errors.store(&ctx, e) {
                Ok(()) => meetings_page(&state, &ctx, Some((meeting, &f)), errors, None).await,
                Err(e) => ctx.store_error(e).into_response(),
            }
        }
    }
}

async fn cancel_meeting(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(meeting): Path<i64>,
) -> Response {
    let Some(org) = own(&ctx) else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    match s
        .cancel_meeting_registration(meeting, org, state.now())
        .await
    {
        Ok(()) => Redirect::to("/portal/moten?klart=avanmald").into_response(),
        Err(e @ StoreError::NotFound { .. }) => ctx.store_error(e).into_response(),
        Err(e) => {
            let mut errors = Errors::default();
            match errors.store(&ctx, e) {
                Ok(()) => {
                    meetings_page(
                        &state,
                        &ctx,
                        Some((meeting, &MeetingForm::default())),
                        errors,
                        None,
                    )
                    .await
                }
                Err(e) => ctx.store_error(e).into_response(),
            }
        }
    }
}
