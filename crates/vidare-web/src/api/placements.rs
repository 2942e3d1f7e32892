//! The placements area's JSON API under `/api/v1`: the same case work and suppliers'
//! portal as the pages, with the same rules. Case workers refer participants, follow and
//! end placements and approve months; a supplier answers its own referrals and reports
//! its own attendance (another organisation's ids give 404). Suppliers see participants
//! by name and pseudonym only. Every response carrying personal data is written to the
//! access log first.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use vidare_domain::ids::{
    AgreementId, OrganisationId, ParticipantId, PlacementId, PlacementTypeId, ReferralId,
};
use vidare_domain::model::placement::{
    attendance_deadline, working_days_unpaused, ExitOutcome, FollowUpPoint, FollowUpStatus,
    NoteKind, Referral, WeeklyMinutes, GOALS_MAX_CHARS, MAX_MINUTES_PER_WORKING_DAY,
};
use vidare_domain::model::Text;
use vidare_domain::period::YearMonth;
use vidare_domain::Lang;
use vidare_store::repo::casework::{AttendanceReport, HoursAndGoals, PlacementTerms};
use vidare_store::repo::placements::{AttendanceCorrection, NewReferral};
use vidare_store::{Change, StoreError};

use super::{envelopes, Amount, ApiJson, ApiPath, ApiQuery, Caller, ProblemDoc, Problems};
use crate::error::ApiError;
use crate::i18n::t;
use crate::routes::{access, RouteDef};
use crate::AppState;

/// Every API route of this area; each must also appear in [`openapi`]'s paths.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/api/v1/free-places", access::CASE_WORK, free_places),
        RouteDef::post(
            "/api/v1/participants/{id}/referrals",
            access::CASE_WORK,
            refer,
        ),
        RouteDef::get(
            "/api/v1/participants/{id}/record",
            access::CASE_WORK,
            record,
        ),
        RouteDef::get("/api/v1/placements/{id}", access::CASE_WORK, placement),
        RouteDef::post("/api/v1/placements/{id}/notes", access::CASE_WORK, add_note),
        RouteDef::post("/api/v1/placements/{id}/pauses", access::CASE_WORK, pause),
        RouteDef::post("/api/v1/placements/{id}/resume", access::CASE_WORK, resume),
        RouteDef::post(
            "/api/v1/placements/{id}/planned-end",
            access::CASE_WORK,
            planned_end,
        ),
        RouteDef::post(
            "/api/v1/placements/{id}/hours-and-goals",
            access::CASE_WORK,
            hours_and_goals,
        ),
        RouteDef::post("/api/v1/placements/{id}/exit", access::CASE_WORK, exit),
        RouteDef::post(
            "/api/v1/placements/{id}/follow-ups",
            access::CASE_WORK,
            follow_up,
        ),
        RouteDef::get("/api/v1/follow-ups/due", access::CASE_WORK, due),
        RouteDef::get(
            "/api/v1/attendance/{month}",
            access::CASE_WORK,
            month_status,
        ),
        RouteDef::post(
            "/api/v1/attendance/{month}/approve",
            access::CASE_WORK,
            approve,
        ),
        // Who approves months corrects them.
        RouteDef::post(
            "/api/v1/attendance/{month}/corrections",
            access::CASE_WORK,
            correct,
        ),
        RouteDef::get(
            "/api/v1/portal/referrals",
            access::SUPPLIER,
            portal_referrals,
        ),
        RouteDef::post(
            "/api/v1/portal/referrals/{id}/accept",
            access::SUPPLIER,
            accept,
        ),
        RouteDef::post(
            "/api/v1/portal/referrals/{id}/decline",
            access::SUPPLIER,
            decline,
        ),
        RouteDef::get(
            "/api/v1/portal/attendance/{month}",
            access::SUPPLIER,
            portal_attendance,
        ),
        RouteDef::post(
            "/api/v1/portal/attendance/{month}",
            access::SUPPLIER,
            submit,
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(
        free_places, refer, record, placement, add_note, pause, resume, planned_end,
        hours_and_goals, exit, follow_up, due, month_status, approve, correct, portal_referrals,
        accept, decline,
        portal_attendance, submit
    ),
    tags(
        (name = "placements", description = "Case work: referrals to suppliers with free places, following and ending placements, follow-ups, and the approval of monthly attendance. Reads of personal data are recorded in the access log."),
        (name = "portal", description = "The suppliers' portal: a supplier's own referrals and monthly attendance. Participants appear by name and pseudonym only, never by identity number."),
    )
)]
struct PlacementsApi;

/// This area's part of the OpenAPI document (merged into the whole in
/// [`super::openapi`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    PlacementsApi::openapi()
}

/// A required `YYYY-MM-DD` field.
fn date(p: &mut Problems, lang: Lang, field: &str, v: Option<String>) -> Option<NaiveDate> {
    let v = p.required(field, v)?;
    match NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            p.add(field, t(lang, "placements.bad_date"));
            None
        }
    }
}

/// A required text field.
fn text(p: &mut Problems, field: &str, v: Option<String>, max: usize) -> Option<Text> {
    let v = p.required(field, v)?;
    p.parse(field, Text::parse_max(&v, max))
}

/// An optional text field.
fn opt_text(p: &mut Problems, field: &str, v: Option<String>, max: usize) -> Option<Text> {
    match v {
        Some(v) if !v.trim().is_empty() => p.parse(field, Text::parse_max(&v, max)),
        _ => None,
    }
}

fn month(lang: Lang, s: &str) -> Result<YearMonth, ApiError> {
    YearMonth::parse(s).map_err(|_| {
        super::extract::bad_field(lang, "month", t(lang, "placements.bad_month").to_string())
    })
}

fn own(caller: &Caller) -> Result<OrganisationId, ApiError> {
    caller
        .who()
        .role
        .organisation_id()
        .ok_or_else(|| caller.not_found())
}

/// A store refusal named by the body's field: the store names the field as the pages
/// do (`pause_start`, `resume_on`, …).
fn renamed(e: StoreError, from: &str, to: &'static str) -> StoreError {
    match e {
        StoreError::Rule(mut v) if v.field == from => {
            v.field = to;
            StoreError::Rule(v)
        }
        other => other,
    }
}

/// What a successful change answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    /// The id of what was created or changed.
    pub id: i64,
}

envelopes!(item Done => DoneItem);

fn created(location: String, id: i64) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(DoneItem { data: Done { id } }),
    )
        .into_response()
}

fn ok(id: i64) -> Response {
    Json(DoneItem { data: Done { id } }).into_response()
}

// ---------------------------------------------------------------- free places

/// An agreement in force with its places.
#[derive(Debug, Serialize, ToSchema)]
pub struct FreePlacesOut {
    pub agreement_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub placement_type_id: i64,
    pub rank: Option<u32>,
    pub capacity: u32,
    /// Placements running on the day or starting later.
    pub in_use: u32,
    /// Referrals awaiting the supplier's answer.
    pub pending: u32,
    pub free: u32,
    pub price_per_month: Amount,
    /// The agreement's last day, if any.
    pub valid_until: Option<NaiveDate>,
}

envelopes!(list FreePlacesOut => FreePlacesList);

/// Which agreements to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FreePlacesQuery {
    /// Only agreements for this placement type.
    pub placement_type_id: Option<i64>,
    /// The day (default today, Europe/Stockholm).
    pub date: Option<NaiveDate>,
}

/// Free places
///
/// The framework agreements in force on a day with their capacity, running placements,
/// pending referrals and free places — what a referral can be made to.
#[utoipa::path(get, path = "/api/v1/free-places", tag = "placements", operation_id = "list_free_places",
    params(FreePlacesQuery),
    responses(
        (status = 200, description = "The agreements in force.", body = FreePlacesList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn free_places(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<FreePlacesQuery>,
) -> Result<Json<FreePlacesList>, ApiError> {
    let s = caller.scoped(state.store());
    let places = s
        .free_places(
            q.date.unwrap_or_else(|| state.today()),
            q.placement_type_id.map(PlacementTypeId),
            None,
        )
        .await
        .map_err(|e| caller.store_error(e))?;
    let total = places.len() as u64;
    let data: Vec<FreePlacesOut> = places
        .into_iter()
        .map(|p| FreePlacesOut {
            agreement_id: p.agreement.id.get(),
            organisation_id: p.agreement.organisation_id.get(),
            organisation_name: p.organisation_name.clone(),
            placement_type_id: p.agreement.placement_type_id.get(),
            rank: p.agreement.rank,
            capacity: p.agreement.capacity,
            in_use: p.used,
            pending: p.pending,
            free: p.free(),
            price_per_month: p.agreement.price_per_month.into(),
            valid_until: p.agreement.period.end(),
        })
        .collect();
    Ok(Json(FreePlacesList {
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
        data,
    }))
}

// ---------------------------------------------------------------- referral

/// A referral to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferralIn {
    /// An agreement in force today with a free place (see `/api/v1/free-places`).
    #[schema(value_type = i64, required = true)]
    pub agreement_id: Option<i64>,
    /// Why this placement and supplier (by ranking or by the participant's needs).
    #[schema(value_type = String, required = true)]
    pub reason: Option<String>,
}

/// Refer a participant
///
/// Refers the participant to a supplier under an agreement in force today, within its
/// free capacity (checked in the same transaction as the insert). The referral waits for
/// the supplier's answer.
#[utoipa::path(post, path = "/api/v1/participants/{id}/referrals", tag = "placements", operation_id = "create_referral",
    params(("id" = i64, Path, description = "The participant's id.")),
    request_body = NewReferralIn,
    responses(
        (status = 201, description = "Referred.", body = DoneItem),
        (status = 404, description = "No such participant.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid: no free place, an agreement not in force, a missing reason.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn refer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewReferralIn>,
) -> Result<Response, ApiError> {
    let s = caller.scoped(state.store());
    s.get_participant(ParticipantId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    let mut p = Problems::new(caller.lang);
    let agreement = p.required("agreement_id", b.agreement_id);
    let reason = text(&mut p, "reason", b.reason, 4000);
    p.finish()?;
    let (Some(agreement), Some(reason)) = (agreement, reason) else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    let result = s
        .insert_referral(&NewReferral {
            participant_id: ParticipantId(id),
            agreement_id: AgreementId(agreement),
            reason,
            referred_on: state.today(),
        })
        .await;
    match result {
        Ok(r) => Ok(created(
            format!("/api/v1/participants/{id}/record"),
            r.get(),
        )),
        Err(StoreError::NotFound { .. }) => {
            let mut p = Problems::new(caller.lang);
            p.add("agreement_id", t(caller.lang, "placements.choose_supplier"));
            Err(p.finish().unwrap_err())
        }
        Err(e) => Err(caller.store_error(e)),
    }
}

/// Export a participant's data (right of access)
///
/// Everything stored about the participant: personal data, referrals, placements with
/// notes, pauses, attendance, exits and follow-ups, and the access log. The export is
/// written to the access log (purpose `right_of_access_export`) and the audit log.
#[utoipa::path(get, path = "/api/v1/participants/{id}/record", tag = "placements", operation_id = "export_participant",
    params(("id" = i64, Path, description = "The participant's id.")),
    responses(
        (status = 200, description = "The participant's whole record.", body = Object),
        (status = 404, description = "No such participant.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn record(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let s = caller.scoped(state.store());
    let pid = ParticipantId(id);
    let result = async {
        let r = s.participant_record(pid).await?;
        s.log_access(&[pid], "right_of_access_export", Some(&caller.path))
            .await?;
        s.audit(Change::action(
            "export",
            "participants",
            Some(id.to_string()),
            Some(serde_json::json!({ "purpose": "right_of_access_export" })),
        ))
        .await?;
        Ok::<_, StoreError>(r)
    }
    .await;
    let r = result.map_err(|e| caller.store_error(e))?;
    Ok(Json(serde_json::json!({ "data": r })).into_response())
}

// ---------------------------------------------------------------- the placement

/// A placement as case work sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementOut {
    pub id: i64,
    pub participant_id: i64,
    pub agreement_id: i64,
    pub referral_id: Option<i64>,
    pub start: NaiveDate,
    /// The actual end, once ended.
    pub end: Option<NaiveDate>,
    pub planned_end: NaiveDate,
    pub minutes_per_week: u32,
    pub goals: Option<String>,
    pub paused: bool,
    /// The exit (date, outcome code, whether it counts in the national indicator).
    #[schema(value_type = Option<Object>)]
    pub exit: Option<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub notes: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub pauses: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub attendance: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub follow_ups: Vec<serde_json::Value>,
}

envelopes!(item PlacementOut => PlacementItem);

/// Read a placement
///
/// The placement with its notes, three-party meetings, pauses, attendance, exit and
/// follow-ups. Recorded in the access log (purpose `placement_follow_up`).
#[utoipa::path(get, path = "/api/v1/placements/{id}", tag = "placements", operation_id = "get_placement",
    params(("id" = i64, Path, description = "The placement's id.")),
    responses(
        (status = 200, description = "The placement.", body = PlacementItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn placement(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PlacementItem>, ApiError> {
    let s = caller.scoped(state.store());
    let pid = PlacementId(id);
    let result = async {
        let p = s.get_placement(pid).await?;
        s.log_access(
            &[p.participant_id],
            "placement_follow_up",
            Some(&caller.path),
        )
        .await?;
        let notes = s.notes_of_placement(pid).await?;
        let pauses = s.pauses_of_placement(pid).await?;
        let attendance = s.attendance_of_placement(pid).await?;
        let exit = s.exit_of_placement(pid).await?;
        let follow_ups = match &exit {
            Some(e) => s.follow_ups_of_exit(e.id).await?,
            None => Vec::new(),
        };
        Ok::<_, StoreError>((p, notes, pauses, attendance, exit, follow_ups))
    }
    .await;
    let (p, notes, pauses, attendance, exit, follow_ups) =
        result.map_err(|e| caller.store_error(e))?;
    Ok(Json(PlacementItem {
        data: PlacementOut {
            id,
            participant_id: p.participant_id.get(),
            agreement_id: p.agreement_id.get(),
            referral_id: p.referral_id.map(|r| r.get()),
            start: p.period.start(),
            end: p.period.end(),
            planned_end: p.planned_end,
            minutes_per_week: p.hours_per_week.minutes(),
            goals: p.goals.map(|g| g.to_string()),
            paused: pauses.iter().any(|x| x.end.is_none()),
            exit: exit.as_ref().map(|e| {
                serde_json::json!({
                    "id": e.id, "exit_date": e.exit_date, "outcome": e.outcome,
                    "counts_in_indicator": e.outcome.counts_as_work_or_studies(),
                    "indicator": e.outcome.indicator(), "evidence": e.evidence,
                })
            }),
            notes: notes.iter().map(to_json).collect(),
            pauses: pauses.iter().map(to_json).collect(),
            attendance: attendance.iter().map(to_json).collect(),
            follow_ups: follow_ups.iter().map(to_json).collect(),
        },
    }))
}

/// A stored row as JSON.
fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// A progress note or a three-party meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// `progress` or `meeting`.
    #[schema(value_type = String, required = true, example = "meeting")]
    pub kind: Option<String>,
    #[schema(value_type = String, format = Date, required = true)]
    pub noted_on: Option<String>,
    /// Who attended (required for a meeting).
    pub attendees: Option<String>,
    #[schema(value_type = String, required = true)]
    pub body: Option<String>,
}

/// Add a note or a three-party meeting
#[utoipa::path(post, path = "/api/v1/placements/{id}/notes", tag = "placements", operation_id = "add_placement_note",
    params(("id" = i64, Path, description = "The placement's id.")),
    request_body = NoteIn,
    responses(
        (status = 201, description = "Recorded.", body = DoneItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NoteIn>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let kind = p
        .required("kind", b.kind)
        .and_then(|k| p.parse("kind", NoteKind::parse(&k)));
    let on = date(&mut p, lang, "noted_on", b.noted_on);
    let body = text(&mut p, "body", b.body, 4000);
    let attendees = opt_text(&mut p, "attendees", b.attendees, 500);
    p.finish()?;
    let (Some(kind), Some(on), Some(body)) = (kind, on, body) else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    let note = s
        .add_placement_note(PlacementId(id), kind, on, attendees.as_ref(), &body)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created(format!("/api/v1/placements/{id}"), note))
}

/// A pause to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseIn {
    #[schema(value_type = String, format = Date, required = true)]
    pub start: Option<String>,
    pub reason: Option<String>,
}

/// Pause a placement
#[utoipa::path(post, path = "/api/v1/placements/{id}/pauses", tag = "placements", operation_id = "pause_placement",
    params(("id" = i64, Path, description = "The placement's id.")),
    request_body = PauseIn,
    responses(
        (status = 201, description = "Paused.", body = DoneItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Already paused, ended, or the start is outside the placement.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PauseIn>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let start = date(&mut p, lang, "start", b.start);
    let reason = opt_text(&mut p, "reason", b.reason, 500);
    p.finish()?;
    let Some(start) = start else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    let pause = s
        .pause_placement(PlacementId(id), start, reason.as_ref())
        .await
        .map_err(|e| caller.store_error(renamed(e, "pause_start", "start")))?;
    Ok(created(format!("/api/v1/placements/{id}"), pause))
}

/// A date for a change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateIn {
    #[schema(value_type = String, format = Date, required = true)]
    pub date: Option<String>,
}

/// Resume a paused placement
#[utoipa::path(post, path = "/api/v1/placements/{id}/resume", tag = "placements", operation_id = "resume_placement",
    params(("id" = i64, Path, description = "The placement's id.")),
    request_body = DateIn,
    responses(
        (status = 200, description = "Resumed.", body = DoneItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Not paused, or the date is before the pause.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DateIn>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let on = date(&mut p, lang, "date", b.date);
    p.finish()?;
    let Some(on) = on else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    s.resume_placement(PlacementId(id), on)
        .await
        .map_err(|e| caller.store_error(renamed(e, "resume_on", "date")))?;
    Ok(ok(id))
}

/// Change the planned end
#[utoipa::path(post, path = "/api/v1/placements/{id}/planned-end", tag = "placements", operation_id = "change_planned_end",
    params(("id" = i64, Path, description = "The placement's id.")),
    request_body = DateIn,
    responses(
        (status = 200, description = "Changed.", body = DoneItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Before the start, or the placement has ended.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn planned_end(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DateIn>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let on = date(&mut p, lang, "date", b.date);
    p.finish()?;
    let Some(on) = on else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    s.change_planned_end(PlacementId(id), on)
        .await
        .map_err(|e| caller.store_error(renamed(e, "planned_end", "date")))?;
    Ok(ok(id))
}

/// New hours per week and goals of a running placement; a field left out (or `null`)
/// keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursAndGoalsIn {
    /// Minutes per week, 60–3600 (1–60 hours).
    #[schema(minimum = 60, maximum = 3600)]
    pub minutes_per_week: Option<u32>,
    /// The placement's goals; an empty string removes them.
    pub goals: Option<String>,
}

/// Change hours per week and goals
///
/// Changes what a running placement's hours per week and goals are, in one transaction
/// with the audit entry (before and after). At least one field is required; an ended
/// placement is refused.
#[utoipa::path(post, path = "/api/v1/placements/{id}/hours-and-goals", tag = "placements", operation_id = "change_hours_and_goals",
    params(("id" = i64, Path, description = "The placement's id.")),
    request_body = HoursAndGoalsIn,
    responses(
        (status = 200, description = "Changed.", body = DoneItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`minutes_per_week` outside 60–3600, goals too long), neither field is given, or the placement has ended.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn hours_and_goals(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<HoursAndGoalsIn>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let hours = b
        .minutes_per_week
        .and_then(|m| p.parse("minutes_per_week", WeeklyMinutes::new(m)));
    let goals = match b.goals {
        None => None,
        Some(g) if g.trim().is_empty() => Some(None),
        Some(g) => p
            .parse("goals", Text::parse_max(&g, GOALS_MAX_CHARS))
            .map(Some),
    };
    p.finish()?;
    let s = caller.scoped(state.store());
    s.change_hours_and_goals(
        PlacementId(id),
        &HoursAndGoals {
            hours_per_week: hours,
            goals,
        },
    )
    .await
    .map_err(|e| caller.store_error(renamed(e, "hours_per_week", "minutes_per_week")))?;
    Ok(ok(id))
}

/// The end of a placement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExitIn {
    #[schema(value_type = String, format = Date, required = true)]
    pub exit_date: Option<String>,
    /// An outcome code compatible with the national indicator (`work_unsubsidised`,
    /// `studies_with_allowance`, `other_programme`, `illness`, `moved`, `other`, …).
    #[schema(value_type = String, required = true, example = "work_unsubsidised")]
    pub outcome: Option<String>,
    /// What the outcome rests on; required for work and studies.
    pub evidence: Option<String>,
}

/// End a placement
///
/// Records the exit with its outcome and closes the placement on the exit date. An exit
/// before the start is refused; work and studies need evidence.
#[utoipa::path(post, path = "/api/v1/placements/{id}/exit", tag = "placements", operation_id = "end_placement",
    params(("id" = i64, Path, description = "The placement's id.")),
    request_body = ExitIn,
    responses(
        (status = 201, description = "Ended; the exit's id.", body = DoneItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`exit_date` before the start, …).", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn exit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ExitIn>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let on = date(&mut p, lang, "exit_date", b.exit_date);
    if on.is_some_and(|d| d > state.today()) {
        p.add("exit_date", t(lang, "placements.not_future"));
    }
    let outcome = p
        .required("outcome", b.outcome)
        .and_then(|o| p.parse("outcome", ExitOutcome::parse(&o)));
    let evidence = opt_text(&mut p, "evidence", b.evidence, 1000);
    if outcome.is_some_and(|o| o.counts_as_work_or_studies()) && evidence.is_none() {
        p.add("evidence", t(lang, "placements.evidence_needed"));
    }
    p.finish()?;
    let (Some(on), Some(outcome)) = (on, outcome) else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    let e = s
        .record_exit(PlacementId(id), on, outcome, evidence.as_ref())
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created(format!("/api/v1/placements/{id}"), e.get()))
}

/// A follow-up after the exit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpIn {
    /// Months after the exit: `3`, `6` or `12`.
    #[schema(value_type = String, required = true, example = "6")]
    pub point: Option<String>,
    #[schema(value_type = String, format = Date, required = true)]
    pub recorded_on: Option<String>,
    /// `employed`, `subsidised_employment`, `studying`, `in_programme`, `unemployed`,
    /// `on_income_support` or `unknown`.
    #[schema(value_type = String, required = true, example = "employed")]
    pub status: Option<String>,
}

/// Record a follow-up
///
/// A follow-up 3, 6 or 12 months after the exit; not before the exit, each point once.
#[utoipa::path(post, path = "/api/v1/placements/{id}/follow-ups", tag = "placements", operation_id = "record_follow_up",
    params(("id" = i64, Path, description = "The placement's id.")),
    request_body = FollowUpIn,
    responses(
        (status = 201, description = "Recorded.", body = DoneItem),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "That point is already recorded.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`recorded_on` before the exit, …).", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn follow_up(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FollowUpIn>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let s = caller.scoped(state.store());
    let exit = s
        .exit_of_placement(PlacementId(id))
        .await
        .map_err(|e| caller.store_error(e))?;
    let mut p = Problems::new(lang);
    let point = p
        .required("point", b.point)
        .and_then(|v| p.parse("point", FollowUpPoint::parse(&v)));
    let on = date(&mut p, lang, "recorded_on", b.recorded_on);
    let status = p
        .required("status", b.status)
        .and_then(|v| p.parse("status", FollowUpStatus::parse(&v)));
    if exit.is_none() {
        p.add("point", t(lang, "placements.not_ended"));
    }
    p.finish()?;
    let (Some(exit), Some(point), Some(on), Some(status)) = (exit, point, on, status) else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let f = s
        .record_follow_up(exit.id, point, on, status)
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created(format!("/api/v1/placements/{id}"), f.get()))
}

/// A follow-up that is due.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueOut {
    pub participant_id: i64,
    pub participant_name: String,
    pub placement_id: i64,
    pub exit_id: i64,
    pub exit_date: NaiveDate,
    /// `3`, `6` or `12`.
    pub point: String,
    pub due_on: NaiveDate,
    /// Whether the due date has come (`state` is `due_now` or `overdue`).
    pub overdue: bool,
    /// `overdue` (due 30 days ago or more), `due_now` (due, less than 30 days ago) or
    /// `coming`.
    #[schema(example = "due_now")]
    pub state: String,
}

envelopes!(list DueOut => DueList);

/// How far ahead to look.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// Days ahead of today, 0–365 (default 30).
    pub horizon_days: Option<u32>,
}

/// Follow-ups due
///
/// Follow-ups not yet recorded that have fallen due, or fall due within the horizon,
/// computed from the exit dates and today. Recorded in the access log.
#[utoipa::path(get, path = "/api/v1/follow-ups/due", tag = "placements", operation_id = "list_due_follow_ups",
    params(DueQuery),
    responses(
        (status = 200, description = "The follow-ups to do, most overdue first.", body = DueList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn due(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<Json<DueList>, ApiError> {
    let horizon = q.horizon_days.unwrap_or(30);
    if horizon > 365 {
        return Err(super::extract::bad_field(
            caller.lang,
            "horizon_days",
            format!("{} 0–365.", t(caller.lang, "api.number_range")),
        ));
    }
    let s = caller.scoped(state.store());
    let today = state.today();
    let result = async {
        let due = s.due_follow_ups(today, horizon).await?;
        let mut ids: Vec<ParticipantId> = due.iter().map(|d| d.participant_id).collect();
        ids.sort();
        ids.dedup();
        s.log_access(&ids, "follow_up_reminders", Some(&caller.path))
            .await?;
        Ok::<_, StoreError>(due)
    }
    .await;
    let due = result.map_err(|e| caller.store_error(e))?;
    let total = due.len() as u64;
    Ok(Json(DueList {
        data: due
            .into_iter()
            .map(|d| DueOut {
                state: d.state(today).as_str().to_string(),
                participant_id: d.participant_id.get(),
                participant_name: d.participant_name,
                placement_id: d.placement_id.get(),
                exit_id: d.exit_id.get(),
                exit_date: d.exit_date,
                point: d.point.as_str().to_string(),
                due_on: d.due_on,
                overdue: d.due_on <= today,
            })
            .collect(),
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

// ---------------------------------------------------------------- approval

/// One supplier's state for a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthStatusOut {
    pub organisation_id: i64,
    pub organisation_name: String,
    pub placements: u32,
    pub submitted: u32,
    pub approved: u32,
    pub missing: u32,
    /// The deadline has passed with reports missing.
    pub late: bool,
}

/// The month's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthOut {
    pub month: String,
    /// The last day suppliers can submit.
    pub deadline: NaiveDate,
    pub suppliers: Vec<MonthStatusOut>,
}

envelopes!(item MonthOut => MonthItem);

/// A month's attendance by supplier
#[utoipa::path(get, path = "/api/v1/attendance/{month}", tag = "placements", operation_id = "get_attendance_month",
    params(("month" = String, Path, description = "The month, `YYYY-MM`.")),
    responses(
        (status = 200, description = "Each supplier's reports for the month.", body = MonthItem),
        (status = 400, description = "The month is not `YYYY-MM`.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn month_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(m): ApiPath<String>,
) -> Result<Json<MonthItem>, ApiError> {
    let m = month(caller.lang, &m)?;
    let s = caller.scoped(state.store());
    let (settings, status) = async {
        Ok::<_, StoreError>((
            s.casework_settings().await?,
            s.attendance_month_status(m).await?,
        ))
    }
    .await
    .map_err(|e| caller.store_error(e))?;
    let deadline = attendance_deadline(m, settings.attendance_deadline_day);
    let past = state.today() > deadline;
    Ok(Json(MonthItem {
        data: MonthOut {
            month: m.to_string(),
            deadline,
            suppliers: status
                .iter()
                .map(|r| MonthStatusOut {
                    organisation_id: r.organisation_id.get(),
                    organisation_name: r.organisation_name.clone(),
                    placements: r.placements,
                    submitted: r.submitted,
                    approved: r.approved,
                    missing: r.missing(),
                    late: past && r.missing() > 0,
                })
                .collect(),
        },
    }))
}

/// Which supplier's month to approve.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveIn {
    #[schema(value_type = i64, required = true)]
    pub organisation_id: Option<i64>,
}

/// Approve a supplier's month
///
/// Approves the supplier's submitted attendance for the month, which locks it: the
/// supplier's later changes are refused, and the municipality corrects a placement-month
/// with `POST /api/v1/attendance/{month}/corrections`. Answers with how many placements'
/// months were approved.
#[utoipa::path(post, path = "/api/v1/attendance/{month}/approve", tag = "placements", operation_id = "approve_attendance_month",
    params(("month" = String, Path, description = "The month, `YYYY-MM`.")),
    request_body = ApproveIn,
    responses(
        (status = 200, description = "Approved; `id` is the number of placements approved.", body = DoneItem),
        (status = 400, description = "The month is not `YYYY-MM`.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Nothing submitted to approve, or no such supplier.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(m): ApiPath<String>,
    ApiJson(b): ApiJson<ApproveIn>,
) -> Result<Response, ApiError> {
    let m = month(caller.lang, &m)?;
    let mut p = Problems::new(caller.lang);
    let org = p.required("organisation_id", b.organisation_id);
    p.finish()?;
    let Some(org) = org else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    match s
        .approve_attendance(OrganisationId(org), m, state.now())
        .await
    {
        Ok(n) => Ok(ok(n as i64)),
        Err(StoreError::NotFound { .. }) => {
            let mut p = Problems::new(caller.lang);
            p.add(
                "organisation_id",
                t(caller.lang, "placements.choose_supplier"),
            );
            Err(p.finish().unwrap_err())
        }
        Err(e) => Err(caller.store_error(e)),
    }
}

/// A correction of one placement-month.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionIn {
    #[schema(value_type = i64, required = true)]
    pub placement_id: Option<i64>,
    /// The corrected attended time, in minutes.
    #[schema(value_type = u32, required = true)]
    pub attended_minutes: Option<u32>,
    #[serde(default)]
    pub sick_days: u32,
    #[serde(default)]
    pub leave_days: u32,
    #[serde(default)]
    pub unexcused_days: u32,
    /// Why the month is corrected (kept in its history and the audit log).
    #[schema(value_type = String, required = true)]
    pub reason: Option<String>,
}

/// Correct a placement-month's attendance
///
/// The municipality records corrected hours and absence days for one placement-month:
/// a month it approved (locked), or one the supplier did not report before the deadline.
/// The correction is approved at once; the values it replaces stay in the month's
/// history and the audit log. Refused with a field message while an invoice that has not
/// been credited bills the month (`month`: credit the invoice, or delete the draft,
/// first; the month's next invoicing run then bills the corrected values on a new
/// invoice), above what the month allows outside the placement's pauses
/// (`attended_hours`, `absence_days`), or without a change. `id` is the correction's.
#[utoipa::path(post, path = "/api/v1/attendance/{month}/corrections", tag = "placements", operation_id = "correct_attendance_month",
    params(("month" = String, Path, description = "The month, `YYYY-MM`.")),
    request_body = CorrectionIn,
    responses(
        (status = 201, description = "Corrected and approved; `id` is the correction's.", body = DoneItem),
        (status = 400, description = "The month is not `YYYY-MM`, or the body is malformed.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such placement.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or refused (`reason`, `attended_hours`, `absence_days`, `month`: invoiced and not credited, not begun, or not a month of the placement).", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(m): ApiPath<String>,
    ApiJson(b): ApiJson<CorrectionIn>,
) -> Result<Response, ApiError> {
    let m = month(caller.lang, &m)?;
    let mut p = Problems::new(caller.lang);
    let placement = p.required("placement_id", b.placement_id);
    let minutes = p.required("attended_minutes", b.attended_minutes);
    let reason = text(&mut p, "reason", b.reason, 1000);
    p.finish()?;
    let (Some(placement), Some(attended_minutes), Some(reason)) = (placement, minutes, reason)
    else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    let s = caller.scoped(state.store());
    let id = s
        .correct_attendance(
            &AttendanceCorrection {
                placement_id: PlacementId(placement),
                month: m,
                attended_minutes,
                sick_days: b.sick_days,
                leave_days: b.leave_days,
                unexcused_days: b.unexcused_days,
                reason,
            },
            state.now(),
        )
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created(format!("/api/v1/placements/{placement}"), id))
}

// ---------------------------------------------------------------- portal

/// A referral as the supplier sees it: name and pseudonym, never the identity number.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierReferralOut {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    /// Stable pseudonym, `D-7F3K2Q`.
    pub pseudonym: String,
    pub placement_type_id: i64,
    pub agreement_id: i64,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    pub status: String,
    pub referred_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
    pub placement_id: Option<i64>,
}

envelopes!(list SupplierReferralOut => SupplierReferralList);

fn referral_out(
    r: &Referral,
    first: &str,
    last: &str,
    pseudonym: &str,
    placement: Option<PlacementId>,
) -> SupplierReferralOut {
    SupplierReferralOut {
        id: r.id.get(),
        first_name: first.to_string(),
        last_name: last.to_string(),
        pseudonym: pseudonym.to_string(),
        placement_type_id: r.placement_type_id.get(),
        agreement_id: r.agreement_id.get(),
        status: r.status.as_str().to_string(),
        referred_on: r.referred_on,
        decided_on: r.decided_on,
        placement_id: placement.map(|p| p.get()),
    }
}

/// The supplier's referrals
///
/// The calling supplier's referrals, pending first. Recorded in the access log.
#[utoipa::path(get, path = "/api/v1/portal/referrals", tag = "portal", operation_id = "list_own_referrals",
    responses((status = 200, description = "The referrals.", body = SupplierReferralList)))]
pub(super) async fn portal_referrals(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SupplierReferralList>, ApiError> {
    let org = own(&caller)?;
    let s = caller.scoped(state.store());
    let result = async {
        let list = s.referrals_to_organisation(org, 500).await?;
        let ids: Vec<ParticipantId> = list.iter().map(|r| r.referral.participant_id).collect();
        s.log_access(&ids, "supplier_referral", Some(&caller.path))
            .await?;
        Ok::<_, StoreError>(list)
    }
    .await;
    let list = result.map_err(|e| caller.store_error(e))?;
    let total = list.len() as u64;
    Ok(Json(SupplierReferralList {
        data: list
            .iter()
            .map(|r| {
                referral_out(
                    &r.referral,
                    &r.first_name,
                    &r.last_name,
                    &r.pseudonym,
                    r.placement_id,
                )
            })
            .collect(),
        meta: super::ListMeta {
            total,
            limit: total as u32,
            offset: 0,
        },
    }))
}

/// The supplier's terms when accepting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptIn {
    #[schema(value_type = String, format = Date, required = true)]
    pub start: Option<String>,
    #[schema(value_type = String, format = Date, required = true)]
    pub planned_end: Option<String>,
    /// Minutes per week, 60–3600 (1–60 hours).
    #[schema(value_type = u32, required = true, minimum = 60, maximum = 3600)]
    pub minutes_per_week: Option<u32>,
    pub goals: Option<String>,
}

/// Accept a referral
///
/// Accepts the calling supplier's pending referral and starts the placement on these
/// terms, in one transaction. Another organisation's referral answers 404.
#[utoipa::path(post, path = "/api/v1/portal/referrals/{id}/accept", tag = "portal", operation_id = "accept_referral",
    params(("id" = i64, Path, description = "The referral's id.")),
    request_body = AcceptIn,
    responses(
        (status = 201, description = "Accepted; `id` is the new placement's.", body = DoneItem),
        (status = 404, description = "No such referral to this supplier.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, or the referral is already answered.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AcceptIn>,
) -> Result<Response, ApiError> {
    let org = own(&caller)?;
    let s = caller.scoped(state.store());
    s.get_referral(ReferralId(id), Some(org))
        .await
        .map_err(|e| caller.store_error(e))?;
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let start = date(&mut p, lang, "start", b.start);
    let planned_end = date(&mut p, lang, "planned_end", b.planned_end);
    let minutes = p
        .required("minutes_per_week", b.minutes_per_week)
        .and_then(|m| p.parse("minutes_per_week", WeeklyMinutes::new(m)));
    let goals = opt_text(&mut p, "goals", b.goals, GOALS_MAX_CHARS);
    p.finish()?;
    let (Some(start), Some(planned_end), Some(hours_per_week)) = (start, planned_end, minutes)
    else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    let placement = s
        .accept_referral(
            ReferralId(id),
            Some(org),
            &PlacementTerms {
                start,
                planned_end,
                hours_per_week,
                goals,
            },
            state.today(),
        )
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(created("/api/v1/portal/referrals".into(), placement.get()))
}

/// Why the referral is declined.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineIn {
    #[schema(value_type = String, required = true)]
    pub note: Option<String>,
}

/// Decline a referral
#[utoipa::path(post, path = "/api/v1/portal/referrals/{id}/decline", tag = "portal", operation_id = "decline_referral",
    params(("id" = i64, Path, description = "The referral's id.")),
    request_body = DeclineIn,
    responses(
        (status = 200, description = "Declined.", body = DoneItem),
        (status = 404, description = "No such referral to this supplier.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "No reason given, or the referral is already answered.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn decline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeclineIn>,
) -> Result<Response, ApiError> {
    let org = own(&caller)?;
    let s = caller.scoped(state.store());
    s.get_referral(ReferralId(id), Some(org))
        .await
        .map_err(|e| caller.store_error(e))?;
    let mut p = Problems::new(caller.lang);
    let note = text(&mut p, "note", b.note, 2000);
    p.finish()?;
    let Some(note) = note else {
        return Err(ApiError::invalid(caller.lang, Vec::new()));
    };
    s.decline_referral(ReferralId(id), Some(org), Some(&note), state.today())
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(ok(id))
}

/// One placement's line on the attendance report.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceLineOut {
    pub placement_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub pseudonym: String,
    /// Working days of the month within the placement, outside its pauses.
    pub working_days: u32,
    /// The most minutes the month allows (10 hours per working day).
    pub max_minutes: u32,
    /// `draft`, `submitted`, `approved` (locked), or absent when not reported.
    pub status: Option<String>,
    pub attended_minutes: Option<u32>,
    pub sick_days: Option<u32>,
    pub leave_days: Option<u32>,
    pub unexcused_days: Option<u32>,
}

/// The supplier's month.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierMonthOut {
    pub month: String,
    pub deadline: NaiveDate,
    pub lines: Vec<AttendanceLineOut>,
}

envelopes!(item SupplierMonthOut => SupplierMonthItem);

/// The supplier's attendance for a month
#[utoipa::path(get, path = "/api/v1/portal/attendance/{month}", tag = "portal", operation_id = "get_own_attendance",
    params(("month" = String, Path, description = "The month, `YYYY-MM`.")),
    responses(
        (status = 200, description = "Every placement of the supplier running in the month.", body = SupplierMonthItem),
        (status = 400, description = "The month is not `YYYY-MM`.", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn portal_attendance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(m): ApiPath<String>,
) -> Result<Json<SupplierMonthItem>, ApiError> {
    let org = own(&caller)?;
    let m = month(caller.lang, &m)?;
    let s = caller.scoped(state.store());
    let result = async {
        let settings = s.casework_settings().await?;
        let lines = s.attendance_lines(org, m).await?;
        let ids: Vec<ParticipantId> = lines.iter().map(|l| l.placement.participant_id).collect();
        s.log_access(&ids, "supplier_attendance", Some(&caller.path))
            .await?;
        Ok::<_, StoreError>((settings, lines))
    }
    .await;
    let (settings, lines) = result.map_err(|e| caller.store_error(e))?;
    Ok(Json(SupplierMonthItem {
        data: SupplierMonthOut {
            month: m.to_string(),
            deadline: attendance_deadline(m, settings.attendance_deadline_day),
            lines: lines
                .iter()
                .map(|l| {
                    let days = working_days_unpaused(m, &l.placement.period, &l.paused);
                    let a = l.attendance.as_ref();
                    AttendanceLineOut {
                        placement_id: l.placement.id.get(),
                        first_name: l.first_name.clone(),
                        last_name: l.last_name.clone(),
                        pseudonym: l.pseudonym.clone(),
                        working_days: days,
                        max_minutes: days * MAX_MINUTES_PER_WORKING_DAY,
                        status: a.map(|a| a.status.as_str().to_string()),
                        attended_minutes: a.map(|a| a.attended_minutes),
                        sick_days: a.map(|a| a.sick_days),
                        leave_days: a.map(|a| a.leave_days),
                        unexcused_days: a.map(|a| a.unexcused_days),
                    }
                })
                .collect(),
        },
    }))
}

/// One placement's month.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    pub placement_id: i64,
    pub attended_minutes: u32,
    #[serde(default)]
    pub sick_days: u32,
    #[serde(default)]
    pub leave_days: u32,
    #[serde(default)]
    pub unexcused_days: u32,
}

/// The month's reports, submitted together.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitIn {
    #[schema(value_type = Vec<ReportIn>, required = true)]
    pub lines: Option<Vec<ReportIn>>,
}

/// Submit the month's attendance
///
/// All lines in one transaction: before the month's deadline, never above what the month
/// allows (10 hours per working day within the placement), never for a locked month,
/// never for another supplier's placement (404). Nothing is saved if any line is refused.
#[utoipa::path(post, path = "/api/v1/portal/attendance/{month}", tag = "portal", operation_id = "submit_own_attendance",
    params(("month" = String, Path, description = "The month, `YYYY-MM`.")),
    request_body = SubmitIn,
    responses(
        (status = 200, description = "Submitted; `id` is the number of lines.", body = DoneItem),
        (status = 400, description = "The month is not `YYYY-MM`, or the body is malformed.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "A placement is not this supplier's.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A line is refused (`attended_hours`, `absence_days`, `month`: deadline passed or locked).", body = ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(super) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(m): ApiPath<String>,
    ApiJson(b): ApiJson<SubmitIn>,
) -> Result<Response, ApiError> {
    let org = own(&caller)?;
    let m = month(caller.lang, &m)?;
    let mut p = Problems::new(caller.lang);
    let lines = p.required("lines", b.lines);
    if lines.as_ref().is_some_and(|l| l.is_empty()) {
        p.add("lines", t(caller.lang, "placements.nothing_to_submit"));
    }
    p.finish()?;
    let lines = lines.unwrap_or_default();
    let reports: Vec<AttendanceReport> = lines
        .iter()
        .map(|l| AttendanceReport {
            placement_id: PlacementId(l.placement_id),
            attended_minutes: l.attended_minutes,
            sick_days: l.sick_days,
            leave_days: l.leave_days,
            unexcused_days: l.unexcused_days,
        })
        .collect();
    let s = caller.scoped(state.store());
    s.submit_attendance(org, m, &reports, state.now())
        .await
        .map_err(|e| caller.store_error(e))?;
    Ok(ok(reports.len() as i64))
}
