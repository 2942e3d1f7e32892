//! The procurement workflow's JSON API under `/api/v1`: planning a round with its lots
//! and award criteria, publishing, outreach, questions and answers, the (sealed) tenders,
//! qualification and grading, the evaluation, the award decision and signing, the
//! agreements' eligibility follow-up, the public notices, and a supplier's own tender.
//!
//! Each page of the workflow has its endpoint here; the same store methods enforce the
//! same rules (the seal, the price cap, the standstill), so the API cannot do what the
//! pages refuse. A read of sealed tenders before the deadline answers 423 and is written
//! to the audit log.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vidare_domain::calendar::DecisionDelivery;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::{BidId, CriterionId, LotId, RoundId};
use vidare_domain::model::procurement::{
    AbsenceRule, BidStatus, EligibilityDeclaration, TestOutcome, QUALITY_GRADE_MAX,
};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_domain::{Lang, Localized};
use vidare_store::repo::tendering::{NewInvitation, Tender, TenderDraft, TenderLot};
use vidare_store::StoreError;

use super::rounds::{LotOut, RoundOut};
use super::{
    envelopes, AbsenceRuleCode, Amount, ApiJson, ApiPath, ApiQuery, Caller, Paging, ProblemDoc,
    Problems,
};
use crate::error::{ApiError, FieldProblem};
use crate::pages::procurement::{
    parse_criteria_api, parse_lot_api, parse_meeting, parse_registration, parse_round_api,
    parse_supplier_registration, read_upload, Errors,
};
use crate::routes::{access, Access, RouteDef};
use crate::upload::with_upload_limit;
use crate::AppState;

/// Every API route of this area; each is also in [`openapi`]'s paths.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/api/v1/procurement/needs", access::PROCUREMENT, needs),
        RouteDef::post("/api/v1/rounds", access::PROCUREMENT, create_round),
        RouteDef::post("/api/v1/rounds/{id}/lots", access::PROCUREMENT, add_lot),
        RouteDef::post(
            "/api/v1/rounds/{id}/criteria",
            access::PROCUREMENT,
            set_criteria,
        ),
        RouteDef::post("/api/v1/rounds/{id}/publish", access::PROCUREMENT, publish),
        RouteDef::get(
            "/api/v1/rounds/{id}/outreach",
            access::PROCUREMENT,
            outreach,
        ),
        RouteDef::post(
            "/api/v1/rounds/{id}/invitations",
            access::PROCUREMENT,
            invite,
        ),
        RouteDef::get(
            "/api/v1/rounds/{id}/meetings",
            access::PROCUREMENT,
            list_meetings,
        ),
        RouteDef::post(
            "/api/v1/rounds/{id}/meetings",
            access::PROCUREMENT,
            create_meeting,
        ),
        RouteDef::get(
            "/api/v1/rounds/{id}/meetings/{meeting}/registrations",
            access::PROCUREMENT,
            list_registrations,
        ),
        RouteDef::post(
            "/api/v1/rounds/{id}/meetings/{meeting}/registrations",
            access::PROCUREMENT,
            record_registration,
        ),
        RouteDef::get(
            "/api/v1/rounds/{id}/documents",
            access::PROCUREMENT,
            list_documents,
        ),
        with_upload_limit(RouteDef::post(
            "/api/v1/rounds/{id}/documents",
            access::PROCUREMENT,
            upload_document,
        )),
        RouteDef::get(
            "/api/v1/rounds/{id}/questions",
            access::PROCUREMENT,
            questions,
        ),
        RouteDef::post(
            "/api/v1/rounds/{id}/questions/{question}/answer",
            access::PROCUREMENT,
            answer,
        ),
        RouteDef::get("/api/v1/rounds/{id}/tenders", access::PROCUREMENT, tenders),
        RouteDef::get(
            "/api/v1/rounds/{id}/evaluation",
            access::PROCUREMENT,
            evaluation,
        ),
        RouteDef::post(
            "/api/v1/rounds/{id}/qualifications",
            access::PROCUREMENT,
            qualify,
        ),
        RouteDef::post("/api/v1/rounds/{id}/grades", access::PROCUREMENT, grade),
        RouteDef::get("/api/v1/rounds/{id}/award", access::PROCUREMENT, award),
        RouteDef::post("/api/v1/rounds/{id}/award", access::PROCUREMENT, decide),
        RouteDef::post("/api/v1/rounds/{id}/signing", access::PROCUREMENT, sign),
        RouteDef::get(
            "/api/v1/rounds/{id}/agreements",
            access::PROCUREMENT,
            round_agreements,
        ),
        RouteDef::get("/api/v1/notices", Access::Public, notices),
        RouteDef::get("/api/v1/notices/{id}", Access::Public, notice),
        RouteDef::get("/api/v1/tenders/{id}", access::SUPPLIER, own_tender),
        RouteDef::post("/api/v1/tenders/{id}", access::SUPPLIER, save_tender),
        RouteDef::post(
            "/api/v1/tenders/{id}/submit",
            access::SUPPLIER,
            submit_tender,
        ),
        RouteDef::post("/api/v1/tenders/{id}/questions", access::SUPPLIER, ask),
        RouteDef::post("/api/v1/declarations", access::SUPPLIER, declare),
        RouteDef::get("/api/v1/meetings", access::SUPPLIER, open_meetings),
        RouteDef::post(
            "/api/v1/meetings/{id}/registrations",
            access::SUPPLIER,
            register_own,
        ),
        RouteDef::post(
            "/api/v1/meetings/{id}/registrations/cancel",
            access::SUPPLIER,
            cancel_own,
        ),
    ]
}

/// This area's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        needs,
        create_round,
        add_lot,
        set_criteria,
        publish,
        outreach,
        invite,
        list_meetings,
        create_meeting,
        list_registrations,
        record_registration,
        list_documents,
        upload_document,
        open_meetings,
        register_own,
        cancel_own,
        questions,
        answer,
        tenders,
        evaluation,
        qualify,
        grade,
        award,
        decide,
        sign,
        round_agreements,
        notices,
        notice,
        own_tender,
        save_tender,
        submit_tender,
        ask,
        declare,
    ))]
    struct Doc;
    Doc::openapi()
}

/// Purpose recorded with API reads of sealed tenders.
const PURPOSE_API: &str = "api";

fn invalid(lang: Lang, errors: Errors) -> ApiError {
    ApiError::invalid(
        lang,
        errors
            .all()
            .iter()
            .map(|(f, m)| FieldProblem {
                field: f.to_string(),
                message: m.clone(),
            })
            .collect(),
    )
}

/// 423 Locked: the tenders are sealed until the deadline (the attempt is logged).
fn sealed(message: String) -> ApiError {
    ApiError {
        kind: "https://vidare.invalid/problems/sealed".into(),
        title: message.clone(),
        status: StatusCode::LOCKED.as_u16(),
        detail: None,
        errors: vec![FieldProblem {
            field: "tender_deadline".into(),
            message,
        }],
    }
}

/// Maps a store failure; a refused read of sealed tenders is 423.
fn store_err(caller: &Caller, e: StoreError) -> ApiError {
    match e {
        StoreError::Rule(v)
            if v.field == "tender_deadline" && v.sv.starts_with("Anbuden är förseglade") =>
        {
            sealed(v.message(caller.lang))
        }
        e => caller.store_error(e),
    }
}

fn created<T: Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

// ---- Planning --------------------------------------------------------------------------

/// Demand and supply for one placement type.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedOut {
    pub placement_type_id: i64,
    pub placement_type: String,
    /// Referrals to the type in the twelve months up to today.
    pub referrals: u64,
    /// Of them, declined or withdrawn.
    pub unmet: u64,
    /// Places under agreements in force today.
    pub capacity_in_force: u64,
    pub agreements_in_force: u64,
    /// `missing` (no agreement), `short` (unmet referrals) or `covered`.
    pub assessment: String,
}
envelopes!(list NeedOut => NeedList);

/// Placement types participants needed but agreements lack
///
/// The planning view: per placement type, the case workers' referrals in the last twelve
/// months (a referral is a participant's need; declined or withdrawn ones count as
/// unmet) against the places under agreements in force today.
#[utoipa::path(get, path = "/api/v1/procurement/needs", tag = "procurement", operation_id = "procurement_needs",
    responses((status = 200, description = "Every placement type.", body = NeedList)))]
pub(super) async fn needs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<NeedList>, ApiError> {
    let s = caller.scoped(state.store());
    let today = stockholm_today(state.now());
    let (needs, types) = async {
        Ok::<_, StoreError>((
            s.placement_needs(today).await?,
            s.list_placement_types().await?,
        ))
    }
    .await
    .map_err(|e| caller.store_error(e))?;
    let data: Vec<NeedOut> = needs
        .into_iter()
        .map(|n| NeedOut {
            placement_type_id: n.placement_type_id.get(),
            placement_type: crate::pages::procurement::type_name(
                caller.lang,
                &types,
                n.placement_type_id,
            ),
            referrals: n.referrals,
            unmet: n.unmet,
            capacity_in_force: n.capacity_in_force,
            agreements_in_force: n.agreements_in_force,
            assessment: if n.agreements_in_force == 0 {
                "missing"
            } else if n.unmet > 0 {
                "short"
            } else {
                "covered"
            }
            .into(),
        })
        .collect();
    let total = data.len() as u64;
    Ok(Json(NeedList {
        data,
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

/// A round to plan. Money in kronor as text (`3 500 000`), dates `YYYY-MM-DD`, the
/// deadline in Stockholm time (`2026-03-02T12:00`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundIn {
    pub title: String,
    #[serde(default)]
    pub reference: Option<String>,
    /// `reserved_integration`, `reserved_idea_driven` or `not_reserved`.
    pub legal_basis: String,
    /// `services` or `social_services`.
    pub contract_kind: String,
    pub cpv_codes: Vec<String>,
    /// Whole term including options, excluding VAT, in kronor (`3 500 000`).
    pub estimated_value: String,
    pub contract_start: NaiveDate,
    pub initial_months: u32,
    #[serde(default)]
    pub option_months: u32,
    /// Europe/Stockholm local time.
    #[serde(default)]
    pub tender_deadline: Option<String>,
}
envelopes!(item RoundOut => RoundItem);

/// Plan a round
///
/// Every field's problem is reported together in one 422 (Swedish or English).
#[utoipa::path(post, path = "/api/v1/rounds", tag = "procurement", operation_id = "create_round", request_body = RoundIn,
    responses(
        (status = 201, description = "Planned.", body = RoundItem),
        (status = 400, description = "Not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn create_round(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<RoundIn>,
) -> Result<Response, ApiError> {
    let new = parse_round_api(
        caller.lang,
        &b.title,
        b.reference.as_deref().unwrap_or(""),
        &b.legal_basis,
        &b.contract_kind,
        &b.cpv_codes.join(","),
        &b.estimated_value,
        b.contract_start,
        b.initial_months,
        b.option_months,
        b.tender_deadline.as_deref().unwrap_or(""),
        state.now(),
    )
    .map_err(|e| invalid(caller.lang, e))?;
    let s = caller.scoped(state.store());
    let id = s
        .insert_round(&new)
        .await
        .map_err(|e| caller.store_error(e))?;
    let r = s.get_round(id).await.map_err(|e| caller.store_error(e))?;
    Ok(created(
        format!("/api/v1/rounds/{id}"),
        RoundItem { data: r.into() },
    ))
}

/// A lot to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotIn {
    pub placement_type_id: i64,
    #[serde(default)]
    pub title: Option<String>,
    pub places: u32,
    /// Kronor, excluding VAT (`18 500`).
    pub max_price_per_month: String,
}
envelopes!(item LotOut => LotItem);

/// Add a lot to a planned round
#[utoipa::path(post, path = "/api/v1/rounds/{id}/lots", tag = "procurement", operation_id = "add_lot", request_body = LotIn,
    params(("id" = i64, Path, description = "The round.")),
    responses(
        (status = 201, description = "Added.", body = LotItem),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the round is no longer being planned.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn add_lot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<LotIn>,
) -> Result<Response, ApiError> {
    let round = RoundId(id);
    let s = caller.scoped(state.store());
    let (r, lots, types) = async {
        Ok::<_, StoreError>((
            s.get_round(round).await?,
            s.lots_of_round(round).await?,
            s.list_placement_types().await?,
        ))
    }
    .await
    .map_err(|e| caller.store_error(e))?;
    if r.status != vidare_domain::model::procurement::RoundStatus::Planning {
        let mut e = Errors::default();
        e.add("status", crate::i18n::t(caller.lang, "proc.lots_fixed"));
        return Err(invalid(caller.lang, e));
    }
    let number = lots.iter().map(|l| l.number).max().unwrap_or(0) + 1;
    let new = parse_lot_api(
        caller.lang,
        b.placement_type_id,
        b.title.as_deref().unwrap_or(""),
        b.places,
        &b.max_price_per_month,
        &types,
        number,
        r.legal_basis.is_reserved(),
    )
    .map_err(|e| invalid(caller.lang, e))?;
    let lot = s
        .insert_lot(round, &new)
        .await
        .map_err(|e| caller.store_error(e))?;
    let l = s
        .lots_of_round(round)
        .await
        .map_err(|e| caller.store_error(e))?
        .into_iter()
        .find(|l| l.id == lot)
        .ok_or_else(|| caller.not_found())?;
    Ok(created(
        format!("/api/v1/rounds/{id}"),
        LotItem { data: l.into() },
    ))
}

/// An award criterion.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CriterionIo {
    /// `price` or `quality`.
    pub kind: String,
    pub name: String,
    /// Percent; the round's weights sum to 100.
    pub weight_percent: u32,
}

/// The criteria to set: exactly one `price`, weights summing to 100.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaIn {
    pub criteria: Vec<CriterionIo>,
}
envelopes!(list CriterionIo => CriterionList);

/// Set a planned round's award criteria
///
/// The scoring method: each criterion gives 0–100 points; price `100 × lowest ÷ this`,
/// quality the grade 0–5 × 20; the total is `Σ weight × points ÷ 100`.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/criteria", tag = "procurement", operation_id = "set_criteria", request_body = CriteriaIn,
    params(("id" = i64, Path, description = "The round.")),
    responses(
        (status = 200, description = "Set.", body = CriterionList),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Weights not summing to 100, not one price criterion, or the round is published.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn set_criteria(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CriteriaIn>,
) -> Result<Json<CriterionList>, ApiError> {
    let parts: Vec<(String, String, u32)> = b
        .criteria
        .into_iter()
        .map(|c| (c.kind, c.name, c.weight_percent))
        .collect();
    let criteria = parse_criteria_api(caller.lang, &parts).map_err(|e| invalid(caller.lang, e))?;
    let s = caller.scoped(state.store());
    s.set_criteria(RoundId(id), &criteria)
        .await
        .map_err(|e| caller.store_error(e))?;
    let all = s
        .criteria_of_round(RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    let data: Vec<CriterionIo> = all
        .into_iter()
        .map(|c| CriterionIo {
            kind: c.kind.as_str().into(),
            name: c.name.to_string(),
            weight_percent: c.weight_percent,
        })
        .collect();
    let total = data.len() as u64;
    Ok(Json(CriterionList {
        data,
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

/// Publish a planned round
///
/// Needs at least one lot, valid award criteria and a tender deadline in the future.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/publish", tag = "procurement", operation_id = "publish_round",
    params(("id" = i64, Path, description = "The round.")),
    responses(
        (status = 200, description = "Published.", body = RoundItem),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Not ready to publish; `errors` says why.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RoundItem>, ApiError> {
    let s = caller.scoped(state.store());
    s.publish_round(RoundId(id), state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    let r = s
        .get_round(RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(Json(RoundItem { data: r.into() }))
}

// ---- Outreach and questions --------------------------------------------------------------

/// An invitation letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: i64,
    pub organisation_id: Option<i64>,
    pub recipient_name: String,
    pub email: Option<String>,
    pub sent_on: NaiveDate,
    /// When it was delivered to the mail server; absent when printed.
    pub emailed_at: Option<DateTime<Utc>>,
}

/// An information meeting.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingOut {
    pub id: i64,
    /// Europe/Stockholm local time.
    pub starts_at: String,
    pub place: String,
    pub capacity: Option<u32>,
    /// Registered attendees in total.
    pub registered: u32,
}

/// A round's outreach.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutreachOut {
    pub invitations: Vec<InvitationOut>,
    pub meetings: Vec<MeetingOut>,
}
envelopes!(item OutreachOut => OutreachItem);

/// Invitations and information meetings of a round
#[utoipa::path(get, path = "/api/v1/rounds/{id}/outreach", tag = "procurement", operation_id = "round_outreach",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "The outreach.", body = OutreachItem),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn outreach(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OutreachItem>, ApiError> {
    let s = caller.scoped(state.store());
    let round = RoundId(id);
    s.get_round(round)
        .await
        .map_err(|e| caller.store_error(e))?;
    let (invs, meetings) = async {
        Ok::<_, StoreError>((
            s.invitations_of_round(round).await?,
            s.meetings_of_round(round).await?,
        ))
    }
    .await
    .map_err(|e| caller.store_error(e))?;
    Ok(Json(OutreachItem {
        data: OutreachOut {
            invitations: invs
                .into_iter()
                .map(|i| InvitationOut {
                    id: i.id,
                    organisation_id: i.organisation_id.map(|o| o.get()),
                    recipient_name: i.recipient_name,
                    email: i.email,
                    sent_on: i.sent_on,
                    emailed_at: i.emailed_at,
                })
                .collect(),
            meetings: meetings
                .into_iter()
                .map(|m| MeetingOut {
                    id: m.id,
                    starts_at: m.starts_at.local().format("%Y-%m-%dT%H:%M").to_string(),
                    place: m.place,
                    capacity: m.capacity,
                    registered: m.registrations.iter().map(|r| r.attendees).sum(),
                })
                .collect(),
        },
    }))
}

/// An invitation to send: a registered organisation, or a name (and e-mail address).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationIn {
    #[serde(default)]
    pub organisation_id: Option<i64>,
    #[serde(default)]
    pub recipient_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}
envelopes!(item InvitationOut => InvitationItem);

/// Invite a potential supplier
///
/// Records the letter; when SMTP is configured and the recipient has an address, it is
/// e-mailed too (`emailed_at` set).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/invitations", tag = "procurement", operation_id = "invite_supplier", request_body = InvitationIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 201, description = "Recorded (and e-mailed when configured).", body = InvitationItem),
        (status = 404, description = "No such round or organisation.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<InvitationIn>,
) -> Result<Response, ApiError> {
    let round = RoundId(id);
    let s = caller.scoped(state.store());
    let mut p = Problems::new(caller.lang);
    let today = stockholm_today(state.now());
    let inv = match b.organisation_id {
        Some(o) => {
            let org = s
                .get_organisation(vidare_domain::ids::OrganisationId(o))
                .await
                .map_err(|e| caller.store_error(e))?;
            Some(NewInvitation {
                organisation_id: Some(org.id),
                recipient_name: org.name.clone(),
                email: org.email.as_ref().map(|e| e.to_string()),
                sent_on: today,
            })
        }
        None => {
            let name = p
                .required("recipient_name", b.recipient_name)
                .and_then(|n| p.parse("recipient_name", Text::parse_max(&n, 200)));
            let email = b.email.filter(|e| !e.trim().is_empty()).and_then(|e| {
                p.parse("email", vidare_domain::model::Email::parse(&e))
                    .map(|e| e.to_string())
            });
            name.map(|n| NewInvitation {
                organisation_id: None,
                recipient_name: n,
                email,
                sent_on: today,
            })
        }
    };
    p.finish()?;
    let inv = inv.ok_or_else(|| ApiError::invalid(caller.lang, Vec::new()))?;
    let inv_id = s
        .insert_invitation(round, &inv)
        .await
        .map_err(|e| caller.store_error(e))?;
    if let (Some(mailer), Some(to)) = (state.mailer(), inv.email.as_deref()) {
        let r = s
            .get_round(round)
            .await
            .map_err(|e| caller.store_error(e))?;
        let t = |k| crate::i18n::t(caller.lang, k);
        let body = format!(
            "{} {},\n\n{} {}.\n\n{} /annonser/{id}\n\n{}",
            t("proc.letter_greeting"),
            inv.recipient_name,
            t("proc.letter_intro"),
            r.title,
            t("proc.letter_notice"),
            t("proc.letter_closing")
        );
        match mailer
            .send(
                to,
                &format!("{}: {}", t("proc.letter_subject"), r.title),
                body,
            )
            .await
        {
            Ok(()) => s
                .mark_invitation_emailed(inv_id, state.now())
                .await
                .map_err(|e| caller.store_error(e))?,
            Err(e) => tracing::warn!(error = %e, invitation = inv_id, "invitation e-mail failed"),
        }
    }
    let i = s
        .invitations_of_round(round)
        .await
        .map_err(|e| caller.store_error(e))?
        .into_iter()
        .find(|i| i.id == inv_id)
        .ok_or_else(|| caller.not_found())?;
    Ok(created(
        format!("/api/v1/rounds/{id}/outreach"),
        InvitationItem {
            data: InvitationOut {
                id: i.id,
                organisation_id: i.organisation_id.map(|o| o.get()),
                recipient_name: i.recipient_name,
                email: i.email,
                sent_on: i.sent_on,
                emailed_at: i.emailed_at,
            },
        },
    ))
}

// ---- Information meetings and round documents ------------------------------------------

envelopes!(item MeetingOut => MeetingItem);
envelopes!(list MeetingOut => MeetingList);

fn meeting_out(m: &vidare_store::repo::tendering::Meeting) -> MeetingOut {
    MeetingOut {
        id: m.id,
        starts_at: m.starts_at.local().format("%Y-%m-%dT%H:%M").to_string(),
        place: m.place.clone(),
        capacity: m.capacity,
        registered: m.registrations.iter().map(|r| r.attendees).sum(),
    }
}

/// Information meetings of a round
#[utoipa::path(get, path = "/api/v1/rounds/{id}/meetings", tag = "procurement", operation_id = "list_meetings",
    params(("id" = i64, Path, description = "The round."), Paging),
    responses((status = 200, description = "A page of the round's meetings, earliest first.", body = MeetingList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn list_meetings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<MeetingList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let s = caller.scoped(state.store());
    let round = RoundId(id);
    s.get_round(round)
        .await
        .map_err(|e| caller.store_error(e))?;
    let all = s
        .meetings_of_round(round)
        .await
        .map_err(|e| caller.store_error(e))?;
    let (rows, meta) = Paging::slice(page, all);
    Ok(Json(MeetingList {
        data: rows.iter().map(meeting_out).collect(),
        meta,
    }))
}

/// An information meeting to hold, as the outreach page's form takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingIn {
    /// Europe/Stockholm local time (`2031-02-10T13:00`), in the future.
    pub starts_at: String,
    /// Where, or a link to the online meeting; at most 300 characters.
    pub place: String,
    /// Seats, 1–10 000; absent for no limit.
    #[serde(default)]
    pub capacity: Option<u32>,
}

/// Schedule an information meeting
///
/// The same rules as the outreach page: the start in the future (Stockholm time), a
/// place or link, and an optional capacity of 1–10 000 seats.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/meetings", tag = "procurement", operation_id = "create_meeting", request_body = MeetingIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 201, description = "Scheduled.", body = MeetingItem),
        (status = 400, description = "Not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; `errors` names each.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn create_meeting(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MeetingIn>,
) -> Result<Response, ApiError> {
    let round = RoundId(id);
    let s = caller.scoped(state.store());
    s.get_round(round)
        .await
        .map_err(|e| caller.store_error(e))?;
    let capacity = b.capacity.map(|c| c.to_string()).unwrap_or_default();
    let new = parse_meeting(caller.lang, &b.starts_at, &b.place, &capacity, state.now())
        .map_err(|e| invalid(caller.lang, e))?;
    let meeting = s
        .insert_meeting(round, &new)
        .await
        .map_err(|e| caller.store_error(e))?;
    let m = s
        .meetings_of_round(round)
        .await
        .map_err(|e| caller.store_error(e))?
        .into_iter()
        .find(|m| m.id == meeting)
        .ok_or_else(|| caller.not_found())?;
    Ok(created(
        format!("/api/v1/rounds/{id}/meetings"),
        MeetingItem {
            data: meeting_out(&m),
        },
    ))
}

/// A registration for an information meeting.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationOut {
    pub id: i64,
    pub organisation_name: String,
    /// The supplier organisation that registered itself; absent when the procurement
    /// officer recorded the registration by name.
    pub organisation_id: Option<i64>,
    pub attendees: u32,
    /// The attendees' names, when the supplier gave them.
    pub attendee_names: Vec<String>,
    /// The contact address the supplier gave.
    pub email: Option<String>,
    pub registered_on: NaiveDate,
}
envelopes!(item RegistrationOut => RegistrationItem);
envelopes!(list RegistrationOut => RegistrationList);

impl From<vidare_store::repo::tendering::Registration> for RegistrationOut {
    fn from(r: vidare_store::repo::tendering::Registration) -> Self {
        RegistrationOut {
            id: r.id,
            organisation_name: r.organisation_name,
            organisation_id: r.organisation_id.map(|o| o.get()),
            attendees: r.attendees,
            attendee_names: r.attendee_names,
            email: r.email,
            registered_on: r.registered_on,
        }
    }
}

async fn meeting_of(
    s: &vidare_store::Scoped<'_>,
    round: RoundId,
    meeting: i64,
) -> Result<vidare_store::repo::tendering::Meeting, StoreError> {
    s.meetings_of_round(round)
        .await?
        .into_iter()
        .find(|m| m.id == meeting)
        .ok_or(StoreError::NotFound {
            entity: "information_meeting",
        })
}

/// Registrations for an information meeting
#[utoipa::path(get, path = "/api/v1/rounds/{id}/meetings/{meeting}/registrations", tag = "procurement", operation_id = "list_meeting_registrations",
    params(("id" = i64, Path, description = "The round."), ("meeting" = i64, Path, description = "The meeting."), Paging),
    responses((status = 200, description = "A page of registrations, oldest first.", body = RegistrationList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round or meeting.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn list_registrations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, meeting)): ApiPath<(i64, i64)>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<RegistrationList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let s = caller.scoped(state.store());
    let m = meeting_of(&s, RoundId(id), meeting)
        .await
        .map_err(|e| caller.store_error(e))?;
    let (rows, meta) = Paging::slice(page, m.registrations);
    Ok(Json(RegistrationList {
        data: rows.into_iter().map(RegistrationOut::from).collect(),
        meta,
    }))
}

/// A registration the procurement officer records, as the outreach page's form takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationIn {
    /// The registering organisation's name, at most 200 characters.
    pub organisation_name: String,
    /// 1–50, within the seats left.
    pub attendees: u32,
}

/// Record a registration for an information meeting
#[utoipa::path(post, path = "/api/v1/rounds/{id}/meetings/{meeting}/registrations", tag = "procurement", operation_id = "record_meeting_registration", request_body = RegistrationIn,
    params(("id" = i64, Path, description = "The round."), ("meeting" = i64, Path, description = "The meeting.")),
    responses((status = 201, description = "Recorded.", body = RegistrationItem),
        (status = 400, description = "Not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round or meeting.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or more attendees than seats left.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn record_registration(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, meeting)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<RegistrationIn>,
) -> Result<Response, ApiError> {
    let round = RoundId(id);
    let s = caller.scoped(state.store());
    meeting_of(&s, round, meeting)
        .await
        .map_err(|e| caller.store_error(e))?;
    let (name, attendees) =
        parse_registration(caller.lang, &b.organisation_name, &b.attendees.to_string())
            .map_err(|e| invalid(caller.lang, e))?;
    let reg = s
        .register_for_meeting(
            round,
            meeting,
            &name,
            attendees,
            stockholm_today(state.now()),
        )
        .await
        .map_err(|e| caller.store_error(e))?;
    let r = meeting_of(&s, round, meeting)
        .await
        .map_err(|e| caller.store_error(e))?
        .registrations
        .into_iter()
        .find(|r| r.id == reg)
        .ok_or_else(|| caller.not_found())?;
    Ok(created(
        format!("/api/v1/rounds/{id}/meetings/{meeting}/registrations"),
        RegistrationItem { data: r.into() },
    ))
}

/// A procurement document of a round, without its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundDocumentOut {
    pub id: i64,
    pub title: String,
    pub filename: String,
    pub mime: String,
    /// Bytes.
    pub size: i64,
    pub uploaded_at: DateTime<Utc>,
    /// Where the public downloads it (once the round is advertised).
    pub download: String,
}
envelopes!(item RoundDocumentOut => RoundDocumentItem);
envelopes!(list RoundDocumentOut => RoundDocumentList);

fn document_out(
    round: RoundId,
    d: vidare_store::repo::tendering::DocumentMeta,
) -> RoundDocumentOut {
    RoundDocumentOut {
        download: format!("/annonser/{round}/dokument/{}", d.id),
        id: d.id,
        title: d.title,
        filename: d.filename,
        mime: d.mime,
        size: d.size,
        uploaded_at: d.uploaded_at,
    }
}

/// Procurement documents of a round
#[utoipa::path(get, path = "/api/v1/rounds/{id}/documents", tag = "procurement", operation_id = "list_round_documents",
    params(("id" = i64, Path, description = "The round."), Paging),
    responses((status = 200, description = "A page of the round's documents, oldest first.", body = RoundDocumentList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn list_documents(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<RoundDocumentList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let round = RoundId(id);
    let s = caller.scoped(state.store());
    s.get_round(round)
        .await
        .map_err(|e| caller.store_error(e))?;
    let all = s
        .round_documents(round)
        .await
        .map_err(|e| caller.store_error(e))?;
    let (rows, meta) = Paging::slice(page, all);
    Ok(Json(RoundDocumentList {
        data: rows.into_iter().map(|d| document_out(round, d)).collect(),
        meta,
    }))
}

/// A document upload, as the round page's form sends it (`multipart/form-data`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DocumentUpload {
    /// The document's title on the notice, at most 200 characters.
    pub title: String,
    /// The file: PDF, Word, OpenDocument text, Excel or plain text, at most 10 MiB.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Upload a procurement document
///
/// A `multipart/form-data` body with the text field `title` and the file in the field
/// `file` (its part's `Content-Type` is the document's type; a PDF is recognised by its
/// content). At most 10 MiB; a larger body is refused with 413 naming `file`. Shown on
/// the public notice once the round is advertised.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/documents", tag = "procurement", operation_id = "upload_round_document",
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 201, description = "Stored.", body = RoundDocumentItem),
        (status = 400, description = "Not a readable multipart form.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the 10 MiB the store accepts; `errors` names `file`.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A missing title or file, a file over 10 MiB or of a type not accepted; `errors` names the field.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn upload_document(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let round = RoundId(id);
    let lang = caller.lang;
    let upload = read_upload(form).await.map_err(|()| {
        super::extract::bad_field(
            lang,
            "file",
            crate::i18n::t(lang, "proc.upload_unreadable").to_string(),
        )
    })?;
    // A file over the limit (or a body cut off at the route's limit, which may have
    // lost the other fields) is refused first.
    if upload
        .file
        .as_ref()
        .is_some_and(|f| f.content.len() > vidare_store::repo::tendering::MAX_DOCUMENT_BYTES)
    {
        return Err(ApiError::file_too_large(lang));
    }
    let mut p = Problems::new(lang);
    let title = p.parse("title", Text::parse_max(upload.field("title"), 200));
    let file = upload.file.filter(|f| !f.content.is_empty());
    if file.is_none() {
        p.add("file", crate::i18n::t(lang, "proc.upload_missing"));
    }
    p.finish()?;
    let (Some(title), Some(file)) = (title, file) else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    let doc = s
        .insert_round_document(round, &title, &file, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    let d = s
        .round_documents(round)
        .await
        .map_err(|e| caller.store_error(e))?
        .into_iter()
        .find(|d| d.id == doc)
        .ok_or_else(|| caller.not_found())?;
    Ok(created(
        format!("/api/v1/rounds/{id}/documents"),
        RoundDocumentItem {
            data: document_out(round, d),
        },
    ))
}

/// A question with who asked (for the procurement officer only).
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionOut {
    pub id: i64,
    pub organisation_id: i64,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}
envelopes!(list QuestionOut => QuestionList);

/// The questions of a round, with who asked
#[utoipa::path(get, path = "/api/v1/rounds/{id}/questions", tag = "procurement", operation_id = "round_questions",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "Oldest first.", body = QuestionList),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn questions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<QuestionList>, ApiError> {
    let s = caller.scoped(state.store());
    s.get_round(RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    let qs = s
        .questions_of_round(RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    let data: Vec<QuestionOut> = qs
        .into_iter()
        .map(|q| QuestionOut {
            id: q.id,
            organisation_id: q.organisation_id.get(),
            question: q.question,
            asked_at: q.asked_at,
            answer: q.answer,
            answered_at: q.answered_at,
        })
        .collect();
    let total = data.len() as u64;
    Ok(Json(QuestionList {
        data,
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

/// An answer to publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    pub answer: String,
}

/// Answer a question (published to everyone without who asked)
#[utoipa::path(post, path = "/api/v1/rounds/{id}/questions/{question}/answer", tag = "procurement", operation_id = "answer_question", request_body = AnswerIn,
    params(("id" = i64, Path, description = "The round."), ("question" = i64, Path, description = "The question.")),
    responses((status = 204, description = "Published."),
        (status = 404, description = "No such question in the round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Empty answer.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, q)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<AnswerIn>,
) -> Result<StatusCode, ApiError> {
    let mut p = Problems::new(caller.lang);
    let a = p.parse("answer", Text::parse_max(&b.answer, 5000));
    p.finish()?;
    let a = a.ok_or_else(|| ApiError::invalid(caller.lang, Vec::new()))?;
    caller
        .scoped(state.store())
        .answer_question(RoundId(id), q, &a, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Tenders, qualification and evaluation -------------------------------------------

/// A tender's offer for one lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferOut {
    pub lot_id: i64,
    pub price_per_month: Amount,
    pub capacity: u32,
    pub quality_answer: Option<String>,
}

/// A tender with its declaration, offers, documents and qualification.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenderOut {
    pub bid_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    /// `draft` or `submitted`.
    pub status: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub purpose_statement: Option<String>,
    pub headcount_total: Option<u32>,
    pub headcount_target_groups: Option<u32>,
    /// Share from the target groups, in per mille (rounded down).
    pub share_permille: Option<u32>,
    pub offers: Vec<OfferOut>,
    /// Document kinds with file names.
    pub documents: Vec<DocumentOut>,
    /// `pass`/`fail` per test once qualified.
    pub purpose_test: Option<String>,
    pub share_test: Option<String>,
    pub qualification_notes: Option<String>,
}

/// A tender document (content is downloaded from the page).
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: i64,
    /// `purpose_evidence` or `share_evidence`.
    pub kind: String,
    pub filename: String,
    pub size: i64,
}

impl From<Tender> for TenderOut {
    fn from(t: Tender) -> Self {
        let d = t.bid.declaration.as_ref();
        TenderOut {
            bid_id: t.bid.id.get(),
            organisation_id: t.bid.organisation_id.get(),
            organisation_name: t.organisation_name.clone(),
            status: t.bid.status.as_str().into(),
            submitted_at: t.bid.submitted_at,
            purpose_statement: d.map(|d| d.purpose_statement.to_string()),
            headcount_total: d.map(|d| d.headcount.total()),
            headcount_target_groups: d.map(|d| d.headcount.from_target_groups()),
            share_permille: d.map(|d| d.headcount.share_permille()),
            offers: t
                .lots
                .iter()
                .map(|l| OfferOut {
                    lot_id: l.lot_id.get(),
                    price_per_month: l.price_per_month.into(),
                    capacity: l.capacity,
                    quality_answer: l.quality_answer.as_ref().map(|a| a.to_string()),
                })
                .collect(),
            documents: t
                .documents
                .iter()
                .map(|(k, m)| DocumentOut {
                    id: m.id,
                    kind: k.as_str().into(),
                    filename: m.filename.clone(),
                    size: m.size,
                })
                .collect(),
            purpose_test: t
                .qualification
                .as_ref()
                .map(|q| q.purpose_test.as_str().into()),
            share_test: t
                .qualification
                .as_ref()
                .map(|q| q.share_test.as_str().into()),
            qualification_notes: t.qualification.as_ref().and_then(|q| q.notes.clone()),
        }
    }
}
envelopes!(list TenderOut => TenderList);

/// The submitted tenders of a round (sealed until the deadline)
///
/// Before the tender deadline the answer is 423 and the attempt is written to the audit
/// log (purpose `api`).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/tenders", tag = "procurement", operation_id = "round_tenders",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "The submitted tenders.", body = TenderList),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 423, description = "Sealed until the tender deadline; the attempt is logged.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn tenders(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TenderList>, ApiError> {
    let all = caller
        .scoped(state.store())
        .tenders_of_round(RoundId(id), state.now(), PURPOSE_API)
        .await
        .map_err(|e| store_err(&caller, e))?;
    let data: Vec<TenderOut> = all.into_iter().map(TenderOut::from).collect();
    let total = data.len() as u64;
    Ok(Json(TenderList {
        data,
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

/// One tender's place in a lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedOut {
    pub rank: u32,
    pub bid_id: i64,
    pub organisation_id: i64,
    pub price_per_month: Amount,
    pub capacity: u32,
    /// Points 0–100 per criterion, in the criteria's order.
    pub points: Vec<u32>,
    /// Weighted total, 0–100 with two decimals.
    pub total: f64,
}

/// A lot's ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotRankingOut {
    pub lot_id: i64,
    pub number: u32,
    pub ranking: Vec<RankedOut>,
    /// Why the ranking is not complete (tenders not qualified, grades missing).
    pub incomplete: Option<String>,
}

/// The evaluation: criteria, method and ranking per lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationOut {
    pub criteria: Vec<CriterionIo>,
    /// The documented scoring method.
    pub method: String,
    pub lots: Vec<LotRankingOut>,
}
envelopes!(item EvaluationOut => EvaluationItem);

/// The evaluation of a round (sealed until the deadline)
#[utoipa::path(get, path = "/api/v1/rounds/{id}/evaluation", tag = "procurement", operation_id = "round_evaluation",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "The evaluation as it stands.", body = EvaluationItem),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 423, description = "Sealed until the tender deadline; the attempt is logged.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn evaluation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<EvaluationItem>, ApiError> {
    let (_, criteria, lots) = caller
        .scoped(state.store())
        .evaluation(RoundId(id), state.now(), PURPOSE_API)
        .await
        .map_err(|e| store_err(&caller, e))?;
    Ok(Json(EvaluationItem {
        data: EvaluationOut {
            criteria: criteria
                .iter()
                .map(|c| CriterionIo {
                    kind: c.kind.as_str().into(),
                    name: c.name.to_string(),
                    weight_percent: c.weight_percent,
                })
                .collect(),
            method: crate::i18n::t(caller.lang, "proc.scoring_method").to_string(),
            lots: lots
                .into_iter()
                .map(|l| LotRankingOut {
                    lot_id: l.lot.id.get(),
                    number: l.lot.number,
                    incomplete: l.incomplete,
                    ranking: l
                        .ranking
                        .into_iter()
                        .map(|r| RankedOut {
                            rank: r.rank,
                            bid_id: r.bid_id.get(),
                            organisation_id: r.organisation_id.get(),
                            price_per_month: r.price_per_month.into(),
                            capacity: r.capacity,
                            points: r.points.iter().map(|(_, p)| *p).collect(),
                            total: f64::from(r.total_centi) / 100.0,
                        })
                        .collect(),
                })
                .collect(),
        },
    }))
}

/// The two eligibility tests for one tender.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationIn {
    pub bid_id: i64,
    /// `pass` or `fail`.
    pub purpose_test: String,
    /// `pass` or `fail` (at least 30 % from the target groups).
    pub share_test: String,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Qualify a tender (after the deadline)
#[utoipa::path(post, path = "/api/v1/rounds/{id}/qualifications", tag = "procurement", operation_id = "qualify_tender", request_body = QualificationIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 204, description = "Recorded."),
        (status = 404, description = "No such submitted tender in the round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or the evaluation is closed.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 423, description = "Sealed until the tender deadline.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn qualify(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<QualificationIn>,
) -> Result<StatusCode, ApiError> {
    let mut p = Problems::new(caller.lang);
    let purpose = p.parse("purpose_test", TestOutcome::parse(&b.purpose_test));
    let share = p.parse("share_test", TestOutcome::parse(&b.share_test));
    let notes = b
        .notes
        .filter(|n| !n.trim().is_empty())
        .and_then(|n| p.parse("notes", Text::parse_max(&n, 2000)));
    p.finish()?;
    let (Some(purpose), Some(share)) = (purpose, share) else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    caller
        .scoped(state.store())
        .qualify(
            RoundId(id),
            BidId(b.bid_id),
            purpose,
            share,
            notes.as_ref(),
            state.now(),
        )
        .await
        .map_err(|e| store_err(&caller, e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A quality grade.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeIn {
    pub bid_id: i64,
    pub lot_id: i64,
    pub criterion_id: i64,
    /// 0–5.
    pub grade: u32,
}

/// Grade a tender's offer on a quality criterion (0–5)
#[utoipa::path(post, path = "/api/v1/rounds/{id}/grades", tag = "procurement", operation_id = "grade_offer", request_body = GradeIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 204, description = "Recorded."),
        (status = 404, description = "No such offer or quality criterion.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A grade outside 0–5, or the evaluation is closed.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 423, description = "Sealed until the tender deadline.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn grade(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<GradeIn>,
) -> Result<StatusCode, ApiError> {
    if b.grade > QUALITY_GRADE_MAX {
        let mut p = Problems::new(caller.lang);
        p.add("grade", crate::i18n::t(caller.lang, "proc.grade_range"));
        p.finish()?;
    }
    caller
        .scoped(state.store())
        .grade(
            RoundId(id),
            BidId(b.bid_id),
            LotId(b.lot_id),
            CriterionId(b.criterion_id),
            b.grade,
            state.now(),
        )
        .await
        .map_err(|e| store_err(&caller, e))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Award and signing -----------------------------------------------------------------

/// One tenderer's result in one lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultOut {
    pub lot_id: i64,
    pub bid_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub rank: Option<u32>,
    pub total: Option<f64>,
    pub awarded: bool,
    /// `ranked` or `not_qualified`.
    pub reason: String,
    pub price_per_month: Amount,
    pub capacity: u32,
}

/// The award decision with its standstill.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwardOut {
    pub decided_on: NaiveDate,
    pub sent_on: NaiveDate,
    /// `electronic` (10 days) or `other` (15 days).
    pub delivery: String,
    /// The last day of the standstill (moved past weekends and holidays).
    pub standstill_end: NaiveDate,
    pub earliest_signing: NaiveDate,
    pub results: Vec<ResultOut>,
}
envelopes!(item AwardOut => AwardItem);

fn award_out(
    d: vidare_domain::model::procurement::AwardDecision,
    results: Vec<vidare_store::repo::tendering::AwardResult>,
) -> AwardOut {
    AwardOut {
        decided_on: d.decided_on,
        sent_on: d.sent_on,
        delivery: match d.delivery {
            DecisionDelivery::Electronic => "electronic",
            DecisionDelivery::Other => "other",
        }
        .into(),
        standstill_end: d.standstill_end(),
        earliest_signing: d.earliest_signing(),
        results: results
            .into_iter()
            .map(|a| ResultOut {
                lot_id: a.lot_id.get(),
                bid_id: a.bid_id.get(),
                organisation_id: a.organisation_id.get(),
                organisation_name: a.organisation_name,
                rank: a.rank,
                total: a.total_centi.map(|c| f64::from(c) / 100.0),
                awarded: a.awarded,
                reason: a.reason,
                price_per_month: a.price_per_month.into(),
                capacity: a.capacity,
            })
            .collect(),
    }
}

/// The award decision of a round
#[utoipa::path(get, path = "/api/v1/rounds/{id}/award", tag = "procurement", operation_id = "round_award",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "The decision.", body = AwardItem),
        (status = 404, description = "No such round, or no decision yet.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn award(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AwardItem>, ApiError> {
    let (d, results) = caller
        .scoped(state.store())
        .award_of_round(RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?
        .ok_or_else(|| caller.not_found())?;
    Ok(Json(AwardItem {
        data: award_out(d, results),
    }))
}

/// The award decision to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    pub decided_on: NaiveDate,
    /// The day it was sent to the tenderers (not in the future).
    pub sent_on: NaiveDate,
    /// `electronic` or `other`.
    pub delivery: String,
}

/// Make the award decision
///
/// Every submitted tender must be qualified and every qualified offer graded. The
/// standstill end follows the statute.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/award", tag = "procurement", operation_id = "decide_award", request_body = DecisionIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 201, description = "Decided.", body = AwardItem),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid dates, or the evaluation is not complete.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 423, description = "Sealed until the tender deadline.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionIn>,
) -> Result<Response, ApiError> {
    let delivery = match b.delivery.as_str() {
        "electronic" => DecisionDelivery::Electronic,
        "other" => DecisionDelivery::Other,
        _ => {
            let mut p = Problems::new(caller.lang);
            p.add(
                "delivery",
                crate::i18n::t(caller.lang, "proc.pick_delivery"),
            );
            p.finish()?;
            unreachable!("finish refuses a problem")
        }
    };
    let s = caller.scoped(state.store());
    s.decide_award(RoundId(id), b.decided_on, b.sent_on, delivery, state.now())
        .await
        .map_err(|e| store_err(&caller, e))?;
    let (d, results) = s
        .award_of_round(RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?
        .ok_or_else(|| caller.not_found())?;
    Ok(created(
        format!("/api/v1/rounds/{id}/award"),
        AwardItem {
            data: award_out(d, results),
        },
    ))
}

/// Signing the framework agreements.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningIn {
    pub signed_on: NaiveDate,
    #[schema(value_type = AbsenceRuleCode)]
    pub absence_rule: String,
}

/// The agreements signed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedOut {
    pub agreement_ids: Vec<i64>,
}
envelopes!(item SignedOut => SignedItem);

/// Sign the framework agreements after the standstill
///
/// Refused (422 on `signed_on`, naming the dates) until the standstill has ended.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/signing", tag = "procurement", operation_id = "sign_agreements", request_body = SigningIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 201, description = "Signed.", body = SignedItem),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The standstill has not ended, or no decision.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn sign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SigningIn>,
) -> Result<Response, ApiError> {
    let mut p = Problems::new(caller.lang);
    let rule = p.parse("absence_rule", AbsenceRule::parse(&b.absence_rule));
    p.finish()?;
    let rule = rule.ok_or_else(|| ApiError::invalid(caller.lang, Vec::new()))?;
    let ids = caller
        .scoped(state.store())
        .sign_agreements(RoundId(id), b.signed_on, rule, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created(
        "/api/v1/agreements".into(),
        SignedItem {
            data: SignedOut {
                agreement_ids: ids.into_iter().map(|a| a.get()).collect(),
            },
        },
    ))
}

/// An agreement with the supplier's eligibility follow-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpOut {
    pub agreement_id: i64,
    pub organisation_id: i64,
    pub lot_id: Option<i64>,
    pub rank: Option<u32>,
    pub capacity: u32,
    pub price_per_month: Amount,
    /// The newest periodic declaration, if any.
    pub declared_on: Option<NaiveDate>,
    /// The share counted (the newest declaration, else the registered headcount), per mille.
    pub share_permille: Option<u32>,
    /// Below 30 % or not declared: follow up.
    pub flagged: bool,
}
envelopes!(list FollowUpOut => FollowUpList);

/// The agreements of a round with the eligibility follow-up
#[utoipa::path(get, path = "/api/v1/rounds/{id}/agreements", tag = "procurement", operation_id = "round_agreements",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "The agreements.", body = FollowUpList),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn round_agreements(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<FollowUpList>, ApiError> {
    let s = caller.scoped(state.store());
    s.get_round(RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    let (agreements, decls, orgs) = async {
        Ok::<_, StoreError>((
            s.agreements_of_round(RoundId(id)).await?,
            s.latest_declarations().await?,
            s.list_organisations(vidare_store::repo::Page::first(10_000))
                .await?,
        ))
    }
    .await
    .map_err(|e| caller.store_error(e))?;
    let data: Vec<FollowUpOut> = agreements
        .into_iter()
        .map(|a| {
            let d = decls
                .iter()
                .find(|d| d.organisation_id == a.organisation_id);
            let h = d.map(|d| d.headcount).or_else(|| {
                orgs.iter()
                    .find(|o| o.id == a.organisation_id)
                    .and_then(|o| o.headcount)
            });
            FollowUpOut {
                agreement_id: a.id.get(),
                organisation_id: a.organisation_id.get(),
                lot_id: a.lot_id.map(|l| l.get()),
                rank: a.rank,
                capacity: a.capacity,
                price_per_month: a.price_per_month.into(),
                declared_on: d.map(|d| d.declared_on),
                share_permille: h.map(|h| h.share_permille()),
                flagged: h.is_none_or(|h| !h.meets_share_test()),
            }
        })
        .collect();
    let total = data.len() as u64;
    Ok(Json(FollowUpList {
        data,
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

// ---- Public notices ----------------------------------------------------------------------

/// A published question and answer (never who asked).
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOut {
    pub question: String,
    pub answer: String,
}

/// A public notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeOut {
    #[serde(flatten)]
    pub round: RoundOut,
    pub buyer: String,
    pub lots: Vec<LotOut>,
    pub criteria: Vec<CriterionIo>,
    /// Document ids and titles; download at `/annonser/{id}/dokument/{document}`.
    pub documents: Vec<NoticeDocumentOut>,
    pub answers: Vec<AnswerOut>,
}

/// A procurement document of a notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDocumentOut {
    pub id: i64,
    pub title: String,
    pub filename: String,
}
envelopes!(item NoticeOut => NoticeItem);
envelopes!(list RoundOut => NoticeList);

/// Public notices of every municipality
#[utoipa::path(get, path = "/api/v1/notices", tag = "procurement", operation_id = "list_notices",
    responses((status = 200, description = "Advertised rounds, newest first.", body = NoticeList)))]
pub(super) async fn notices(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<NoticeList>, ApiError> {
    let ids = state
        .store()
        .public_round_ids()
        .await
        .map_err(|e| caller.store_error(e))?;
    let mut data = Vec::new();
    for (t, id) in ids {
        data.push(RoundOut::from(
            state
                .store()
                .tenant(t)
                .get_round(id)
                .await
                .map_err(|e| caller.store_error(e))?,
        ));
    }
    let total = data.len() as u64;
    Ok(Json(NoticeList {
        data,
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

/// One public notice with lots, criteria, documents and answers
#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "procurement", operation_id = "get_notice",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "The notice.", body = NoticeItem),
        (status = 404, description = "No such advertised round.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn notice(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NoticeItem>, ApiError> {
    let round = RoundId(id);
    let tenant = state
        .store()
        .public_round_tenant(round)
        .await
        .map_err(|e| caller.store_error(e))?;
    let s = state.store().tenant(tenant);
    let (r, lots, criteria, docs, qs, t) = async {
        Ok::<_, StoreError>((
            s.get_round(round).await?,
            s.lots_of_round(round).await?,
            s.criteria_of_round(round).await?,
            s.round_documents(round).await?,
            s.questions_of_round(round).await?,
            state.tenant(tenant).await?,
        ))
    }
    .await
    .map_err(|e| caller.store_error(e))?;
    Ok(Json(NoticeItem {
        data: NoticeOut {
            round: r.into(),
            buyer: t.name.to_string(),
            lots: lots.into_iter().map(LotOut::from).collect(),
            criteria: criteria
                .iter()
                .map(|c| CriterionIo {
                    kind: c.kind.as_str().into(),
                    name: c.name.to_string(),
                    weight_percent: c.weight_percent,
                })
                .collect(),
            documents: docs
                .into_iter()
                .map(|d| NoticeDocumentOut {
                    id: d.id,
                    title: d.title,
                    filename: d.filename,
                })
                .collect(),
            answers: qs
                .into_iter()
                .filter_map(|q| {
                    q.answer.map(|a| AnswerOut {
                        question: q.question,
                        answer: a,
                    })
                })
                .collect(),
        },
    }))
}

// ---- A supplier's own tender ---------------------------------------------------------

fn own_org(caller: &Caller) -> Result<vidare_domain::ids::OrganisationId, ApiError> {
    caller
        .who()
        .role
        .organisation_id()
        .ok_or_else(|| caller.not_found())
}

envelopes!(item TenderOut => TenderItem);

/// The caller's own tender in a round (draft or submitted)
#[utoipa::path(get, path = "/api/v1/tenders/{id}", tag = "procurement", operation_id = "own_tender",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "The tender.", body = TenderItem),
        (status = 404, description = "No tender from the caller's organisation in that round.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn own_tender(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TenderItem>, ApiError> {
    let org = own_org(&caller)?;
    let t = caller
        .scoped(state.store())
        .own_tender(RoundId(id), org)
        .await
        .map_err(|e| caller.store_error(e))?
        .ok_or_else(|| caller.not_found())?;
    Ok(Json(TenderItem { data: t.into() }))
}

/// One lot offered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferIn {
    pub lot_id: i64,
    /// Price per placement-month in öre, excluding VAT; at most the lot's maximum.
    pub price_per_month_ore: i64,
    /// Places offered, at least 1.
    pub capacity: u32,
    #[serde(default)]
    pub quality_answer: Option<String>,
}

/// A tender to save as a draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderIn {
    pub purpose_statement: String,
    pub headcount_total: i64,
    /// 0 … headcount_total: the share from the target groups lies within 0–100 %.
    pub headcount_target_groups: i64,
    pub offers: Vec<OfferIn>,
}

/// Save the caller's tender as a draft (until the deadline)
///
/// Refused whole (nothing saved) if any offer breaks a rule: a price above the lot's
/// maximum, a capacity of zero, a share outside 0–100 %, or after the deadline. Upload
/// the required documents on the tender page, then submit.
#[utoipa::path(post, path = "/api/v1/tenders/{id}", tag = "procurement", operation_id = "save_tender", request_body = TenderIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "Saved as a draft.", body = TenderItem),
        (status = 404, description = "No such round or lot.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A rule refused the tender; `errors` names the field.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn save_tender(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TenderIn>,
) -> Result<Json<TenderItem>, ApiError> {
    let org = own_org(&caller)?;
    let draft = TenderDraft {
        purpose_statement: b.purpose_statement,
        headcount_total: b.headcount_total,
        headcount_target_groups: b.headcount_target_groups,
        lots: b
            .offers
            .into_iter()
            .map(|o| TenderLot {
                lot_id: LotId(o.lot_id),
                price_per_month: Money::from_ore(o.price_per_month_ore),
                capacity: o.capacity,
                quality_answer: o
                    .quality_answer
                    .and_then(|a| Text::parse_max(&a, 5000).ok()),
            })
            .collect(),
    };
    let s = caller.scoped(state.store());
    let round = RoundId(id);
    public_to_supplier(&s, round)
        .await
        .map_err(|e| caller.store_error(e))?;
    s.save_tender(round, org, &draft, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    let t = s
        .own_tender(round, org)
        .await
        .map_err(|e| caller.store_error(e))?
        .ok_or_else(|| caller.not_found())?;
    Ok(Json(TenderItem { data: t.into() }))
}

/// A planned (unpublished) round does not exist for suppliers.
async fn public_to_supplier(
    s: &vidare_store::Scoped<'_>,
    round: RoundId,
) -> Result<(), StoreError> {
    let r = s.get_round(round).await?;
    if matches!(
        r.status,
        vidare_domain::model::procurement::RoundStatus::Planning
            | vidare_domain::model::procurement::RoundStatus::Cancelled
    ) {
        return Err(StoreError::NotFound {
            entity: "procurement_round",
        });
    }
    Ok(())
}

/// Submit the caller's tender
///
/// Needs the declaration, at least one offer and both required documents, before the
/// deadline.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/submit", tag = "procurement", operation_id = "submit_tender",
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 200, description = "Submitted; sealed until the deadline.", body = TenderItem),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Something is missing, or the deadline has passed.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn submit_tender(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TenderItem>, ApiError> {
    let org = own_org(&caller)?;
    let s = caller.scoped(state.store());
    let round = RoundId(id);
    public_to_supplier(&s, round)
        .await
        .map_err(|e| caller.store_error(e))?;
    s.submit_tender(round, org, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    let t = s
        .own_tender(round, org)
        .await
        .map_err(|e| caller.store_error(e))?
        .ok_or_else(|| caller.not_found())?;
    debug_assert_eq!(t.bid.status, BidStatus::Submitted);
    Ok(Json(TenderItem { data: t.into() }))
}

/// A question to the buyer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionIn {
    pub question: String,
}

/// Ask the buyer a question during the tender period
#[utoipa::path(post, path = "/api/v1/tenders/{id}/questions", tag = "procurement", operation_id = "ask_question", request_body = QuestionIn,
    params(("id" = i64, Path, description = "The round.")),
    responses((status = 204, description = "Asked; the answer is published without who asked."),
        (status = 404, description = "No such round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Empty, or the tender period is over.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<QuestionIn>,
) -> Result<StatusCode, ApiError> {
    let org = own_org(&caller)?;
    let mut p = Problems::new(caller.lang);
    let q = p.parse("question", Text::parse_max(&b.question, 5000));
    p.finish()?;
    let q = q.ok_or_else(|| ApiError::invalid(caller.lang, Vec::new()))?;
    let s = caller.scoped(state.store());
    public_to_supplier(&s, RoundId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    s.ask_question(RoundId(id), org, &q, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A periodic eligibility declaration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationIn {
    pub purpose_statement: String,
    pub headcount_total: i64,
    pub headcount_target_groups: i64,
}

/// The declaration as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationOut {
    pub id: i64,
    pub declared_on: NaiveDate,
    pub share_permille: u32,
    /// At least 30 % from the target groups.
    pub meets_share_test: bool,
}
envelopes!(item DeclarationOut => DeclarationItem);

/// Send a periodic eligibility declaration (dated today)
#[utoipa::path(post, path = "/api/v1/declarations", tag = "procurement", operation_id = "send_declaration", request_body = DeclarationIn,
    responses((status = 201, description = "Recorded.", body = DeclarationItem),
        (status = 422, description = "A share outside 0–100 %, or an empty purpose.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn declare(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DeclarationIn>,
) -> Result<Response, ApiError> {
    let org = own_org(&caller)?;
    let d = EligibilityDeclaration::new(
        &b.purpose_statement,
        b.headcount_total,
        b.headcount_target_groups,
    )
    .map_err(|v| caller.store_error(v.into()))?;
    let now = state.now();
    let today = stockholm_today(now);
    let id = caller
        .scoped(state.store())
        .insert_declaration(org, today, &d, now)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created(
        "/api/v1/declarations".into(),
        DeclarationItem {
            data: DeclarationOut {
                id,
                declared_on: today,
                share_permille: d.headcount.share_permille(),
                meets_share_test: d.headcount.meets_share_test(),
            },
        },
    ))
}

// ---- A supplier's registrations for information meetings ----------------------------

/// An information meeting of an advertised round, as a supplier sees it: the seats left
/// and only its own organisation's registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenMeetingOut {
    pub id: i64,
    pub round_id: i64,
    pub round_title: String,
    /// Europe/Stockholm local time.
    pub starts_at: String,
    pub place: String,
    pub capacity: Option<u32>,
    /// Seats left; absent when the meeting has no limit.
    pub seats_left: Option<u32>,
    /// Whether registering or cancelling is still possible (the meeting has not begun).
    pub open: bool,
    /// The caller's organisation's registration, if any.
    pub registration: Option<RegistrationOut>,
}
envelopes!(list OpenMeetingOut => OpenMeetingList);

/// Information meetings of advertised rounds, with the caller's own registration
#[utoipa::path(get, path = "/api/v1/meetings", tag = "procurement", operation_id = "list_open_meetings",
    params(Paging),
    responses((status = 200, description = "A page of meetings of published rounds.", body = OpenMeetingList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn open_meetings(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<OpenMeetingList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let org = own_org(&caller)?;
    let s = caller.scoped(state.store());
    let now = state.now();
    let mut all = Vec::new();
    let rounds = s.list_rounds().await.map_err(|e| caller.store_error(e))?;
    for r in rounds {
        if r.status != vidare_domain::model::procurement::RoundStatus::Published {
            continue;
        }
        let meetings = s
            .meetings_of_round(r.id)
            .await
            .map_err(|e| caller.store_error(e))?;
        for m in meetings {
            let taken: u32 = m.registrations.iter().map(|x| x.attendees).sum();
            all.push(OpenMeetingOut {
                id: m.id,
                round_id: r.id.get(),
                round_title: r.title.to_string(),
                starts_at: m.starts_at.local().format("%Y-%m-%dT%H:%M").to_string(),
                place: m.place.clone(),
                capacity: m.capacity,
                seats_left: m.capacity.map(|c| c.saturating_sub(taken)),
                open: !m.starts_at.has_passed(now),
                registration: m
                    .registrations
                    .into_iter()
                    .find(|x| x.organisation_id == Some(org))
                    .map(RegistrationOut::from),
            });
        }
    }
    let (rows, meta) = Paging::slice(page, all);
    Ok(Json(OpenMeetingList { data: rows, meta }))
}

/// The caller's organisation's registration for an information meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnRegistrationIn {
    /// The attendees' names, 1–50, each at most 200 characters.
    pub attendee_names: Vec<String>,
    /// Where to reach the attendees.
    pub email: String,
}

/// Register the caller's organisation for an information meeting
///
/// Refused (422 naming the field) after the meeting has begun (`meeting`), when the
/// organisation is already registered (`meeting`), or when there are fewer seats left
/// than names (`attendee_names`). A meeting of a round that is not advertised, or of
/// another municipality, is 404.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/registrations", tag = "procurement", operation_id = "register_for_meeting", request_body = OwnRegistrationIn,
    params(("id" = i64, Path, description = "The meeting.")),
    responses((status = 201, description = "Registered.", body = RegistrationItem),
        (status = 400, description = "Not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such meeting of an advertised round.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, full, begun or already registered; `errors` names the field.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn register_own(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<OwnRegistrationIn>,
) -> Result<Response, ApiError> {
    let org = own_org(&caller)?;
    let reg = parse_supplier_registration(caller.lang, &b.attendee_names, &b.email)
        .map_err(|e| invalid(caller.lang, e))?;
    let s = caller.scoped(state.store());
    let reg_id = s
        .register_organisation_for_meeting(id, org, &reg, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    let r = own_registration(&s, id, reg_id)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created(
        "/api/v1/meetings".into(),
        RegistrationItem { data: r.into() },
    ))
}

/// One registration of a meeting, found through the meeting's round.
async fn own_registration(
    s: &vidare_store::Scoped<'_>,
    meeting: i64,
    reg: i64,
) -> Result<vidare_store::repo::tendering::Registration, StoreError> {
    for r in s.list_rounds().await? {
        for m in s.meetings_of_round(r.id).await? {
            if m.id == meeting {
                if let Some(x) = m.registrations.into_iter().find(|x| x.id == reg) {
                    return Ok(x);
                }
            }
        }
    }
    Err(StoreError::NotFound {
        entity: "meeting_registration",
    })
}

/// Cancel the caller's organisation's registration for an information meeting
///
/// Before the meeting begins (else 422 naming `meeting`); 404 when the organisation has
/// no registration for it.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/registrations/cancel", tag = "procurement", operation_id = "cancel_meeting_registration",
    params(("id" = i64, Path, description = "The meeting.")),
    responses((status = 204, description = "Cancelled."),
        (status = 404, description = "No registration of the caller's organisation for that meeting.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The meeting has begun.", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn cancel_own(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let org = own_org(&caller)?;
    caller
        .scoped(state.store())
        .cancel_meeting_registration(id, org, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
