//! Case work: referring a participant to a supplier with free places, following the
//! placement (notes, three-party meetings, pauses, planned end, hours per week and
//! goals), ending it with an outcome code, recording follow-ups, the reminders of
//! follow-ups that fall due (overdue, due now, coming), and the export of one
//! participant's data (right of access). Every page that shows personal data writes the
//! access log first.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::ids::{AgreementId, ExitId, ParticipantId, PlacementId, PlacementTypeId};
use vidare_domain::model::placement::{
    ExitOutcome, FollowUpPoint, FollowUpStatus, NoteKind, GOALS_MAX_CHARS,
};
use vidare_domain::model::Text;
use vidare_domain::Localized;
use vidare_store::repo::casework::{DueState, HoursAndGoals, FOLLOW_UP_WINDOW_DAYS};
use vidare_store::repo::placements::NewReferral;
use vidare_store::{Change, StoreError};

use super::{
    due_anchor, follow_up_status_key, hours_sv, note_kind_key, outcome_name, point_key, req_date,
    req_weekly_hours, type_name, FieldErrors, Values,
};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/deltagare/{id}/anvisa", access::CASE_WORK, refer_form),
        RouteDef::post("/deltagare/{id}/anvisa", access::CASE_WORK, refer),
        RouteDef::get(
            "/deltagare/{id}/export",
            access::CASE_WORK,
            export_participant,
        ),
        RouteDef::get("/placeringar/{id}", access::CASE_WORK, show),
        RouteDef::post(
            "/placeringar/{id}/anteckningar",
            access::CASE_WORK,
            add_note,
        ),
        RouteDef::post("/placeringar/{id}/paus", access::CASE_WORK, pause),
        RouteDef::post("/placeringar/{id}/ateruppta", access::CASE_WORK, resume),
        RouteDef::post(
            "/placeringar/{id}/planerat-slut",
            access::CASE_WORK,
            planned_end,
        ),
        RouteDef::post(
            "/placeringar/{id}/timmar-och-mal",
            access::CASE_WORK,
            hours_and_goals,
        ),
        RouteDef::post("/placeringar/{id}/avslut", access::CASE_WORK, end),
        RouteDef::post(
            "/placeringar/{id}/uppfoljning",
            access::CASE_WORK,
            follow_up,
        ),
        RouteDef::get("/uppfoljningar", access::CASE_WORK, due),
    ]
}

/// Access-log purposes of this module's pages.
const PURPOSE_REFERRAL: &str = "referral";
const PURPOSE_PLACEMENT: &str = "placement_follow_up";
const PURPOSE_REMINDERS: &str = "follow_up_reminders";
const PURPOSE_EXPORT: &str = "right_of_access_export";

/// Longest free text accepted in a note.
const MAX_NOTE: usize = 4000;

/// Days ahead the reminders look.
pub const REMINDER_HORIZON_DAYS: u32 = 30;

/// A required free-text field.
fn req_text(errors: &mut FieldErrors, ctx: &Ctx, field: &str, v: &str, max: usize) -> Option<Text> {
    if v.trim().is_empty() {
        errors.add(field, ctx.t("placements.required"));
        return None;
    }
    match Text::parse_max(v, max) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.add(field, e.message(ctx.lang));
            None
        }
    }
}

/// An optional free-text field.
fn opt_text(errors: &mut FieldErrors, ctx: &Ctx, field: &str, v: &str, max: usize) -> Option<Text> {
    if v.trim().is_empty() {
        return None;
    }
    req_text(errors, ctx, field, v, max)
}

/// A store refusal shown on the form: rules and conflicts name their field.
fn store_problem(
    ctx: &Ctx,
    errors: &mut FieldErrors,
    e: StoreError,
    default_field: &str,
) -> Option<Response> {
    match e {
        StoreError::Rule(v) => {
            errors.add(v.field, v.message(ctx.lang));
            None
        }
        StoreError::Conflict { field } => {
            errors.add(field, StoreError::Conflict { field }.message(ctx.lang));
            None
        }
        StoreError::NotFound { entity } if entity != "placement" && entity != "participant" => {
            errors.add(default_field, ctx.t("placements.choose_valid"));
            None
        }
        other => Some(ctx.store_error(other).into_response()),
    }
}

// ---------------------------------------------------------------- referral

struct Offer {
    id: i64,
    organisation: String,
    capacity: u32,
    free: u32,
    price: String,
    rank: String,
    until: String,
}

#[derive(Template)]
#[template(path = "placements/refer.html")]
struct ReferPage {
    page: Page,
    participant_id: i64,
    name: String,
    types: Vec<(i64, String, bool)>,
    chosen_type: Option<i64>,
    offers: Vec<Offer>,
    errors: FieldErrors,
    v: Values,
}

#[derive(Deserialize)]
struct TypeQuery {
    typ: Option<String>,
}

async fn refer_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    chosen: Option<i64>,
    errors: FieldErrors,
    v: Values,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let pid = ParticipantId(id);
    let result = async {
        let p = s.get_participant(pid).await?;
        s.log_access(&[pid], PURPOSE_REFERRAL, Some(&ctx.path))
            .await?;
        let types = s.list_placement_types().await?;
        let offers = match chosen {
            Some(t) => {
                s.free_places(state.today(), Some(PlacementTypeId(t)), None)
                    .await?
            }
            None => Vec::new(),
        };
        Ok::<_, StoreError>((p, types, offers))
    }
    .await;
    let (p, types, offers) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut offers: Vec<Offer> = offers
        .iter()
        .map(|o| Offer {
            id: o.agreement.id.get(),
            organisation: o.organisation_name.clone(),
            capacity: o.agreement.capacity,
            free: o.free(),
            price: o.agreement.price_per_month.format_sv(),
            rank: o
                .agreement
                .rank
                .map(|r| r.to_string())
                .unwrap_or_else(|| "–".into()),
            until: o
                .agreement
                .period
                .end()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "–".into()),
        })
        .collect();
    offers.sort_by(|a, b| (b.free > 0).cmp(&(a.free > 0)).then(a.rank.cmp(&b.rank)));
    let page = ReferPage {
        page: ctx.page("placements.refer_title"),
        participant_id: id,
        name: format!("{} {}", p.first_name, p.last_name),
        types: types
            .iter()
            .map(|t| {
                (
                    t.id.get(),
                    type_name(ctx.lang, &types, t.id),
                    chosen == Some(t.id.get()),
                )
            })
            .collect(),
        chosen_type: chosen.filter(|c| types.iter().any(|t| t.id.get() == *c)),
        offers,
        errors,
        v,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn refer_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<TypeQuery>,
) -> Response {
    let mut errors = FieldErrors::default();
    let chosen = match q.typ.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => match t.parse::<i64>() {
            Ok(t) => Some(t),
            Err(_) => {
                errors.add("typ", ctx.t("placements.choose_valid"));
                None
            }
        },
    };
    refer_page(&state, &ctx, id, chosen, errors, Values::default()).await
}

async fn refer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let chosen = v.get("typ").trim().parse::<i64>().ok();
    if chosen.is_none() {
        errors.add("typ", ctx.t("placements.choose_type"));
    }
    let agreement = match v.get("agreement_id").trim().parse::<i64>() {
        Ok(a) => Some(AgreementId(a)),
        Err(_) => {
            errors.add("agreement_id", ctx.t("placements.choose_supplier"));
            None
        }
    };
    let reason = req_text(&mut errors, &ctx, "reason", v.get("reason"), MAX_NOTE);
    let (Some(agreement), Some(reason), true) = (agreement, reason, errors.is_empty()) else {
        return refer_page(&state, &ctx, id, chosen, errors, v).await;
    };
    let s = ctx.who().scoped(state.store());
    // The participant must exist in the tenant before anything else is said.
    if let Err(e) = s.get_participant(ParticipantId(id)).await {
        return ctx.store_error(e).into_response();
    }
    // The chosen agreement must be of the chosen placement type.
    match s.get_agreement(agreement).await {
        Ok(a) if Some(a.placement_type_id.get()) == chosen => {}
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            errors.add("agreement_id", ctx.t("placements.choose_supplier"));
            return refer_page(&state, &ctx, id, chosen, errors, v).await;
        }
        Err(e) => return ctx.store_error(e).into_response(),
    }
    let new = NewReferral {
        participant_id: ParticipantId(id),
        agreement_id: agreement,
        reason,
        referred_on: state.today(),
    };
    match s.insert_referral(&new).await {
        Ok(_) => Redirect::to(&format!("/deltagare/{id}?klart=anvisad")).into_response(),
        Err(e) => match store_problem(&ctx, &mut errors, e, "agreement_id") {
            Some(r) => r,
            None => refer_page(&state, &ctx, id, chosen, errors, v).await,
        },
    }
}

// ---------------------------------------------------------------- export

/// `GET /deltagare/{id}/export`: everything stored about the participant as a JSON
/// download (right of access), written to the access log and the audit log.
pub async fn export_participant(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let pid = ParticipantId(id);
    let result = async {
        let record = s.participant_record(pid).await?;
        s.log_access(&[pid], PURPOSE_EXPORT, Some(&ctx.path))
            .await?;
        s.audit(Change::action(
            "export",
            "participants",
            Some(id.to_string()),
            Some(serde_json::json!({ "purpose": PURPOSE_EXPORT })),
        ))
        .await?;
        Ok::<_, StoreError>(record)
    }
    .await;
    match result {
        Ok(record) => {
            let body = serde_json::to_string_pretty(&serde_json::json!({
                "exported_at": state.now().to_rfc3339(),
                "data": record,
            }))
            .unwrap_or_default();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/json; charset=utf-8".to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"deltagare-{id}.json\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

// ---------------------------------------------------------------- the placement

struct NoteRow {
    kind: &'static str,
    noted_on: String,
    attendees: String,
    body: String,
    author: String,
}

struct PauseRow {
    start: String,
    end: String,
    reason: String,
}

struct AttendanceRow {
    month: String,
    hours: String,
    sick: u32,
    leave: u32,
    unexcused: u32,
    status: &'static str,
}

struct FollowUpRow {
    point: &'static str,
    due_on: String,
    recorded_on: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "placements/placement.html")]
struct Show {
    page: Page,
    id: i64,
    participant_id: i64,
    name: String,
    organisation: String,
    placement_type: String,
    start: String,
    planned_end: String,
    end: Option<String>,
    hours: String,
    goals: String,
    paused: bool,
    notes: Vec<NoteRow>,
    pauses: Vec<PauseRow>,
    attendance: Vec<AttendanceRow>,
    exit: Option<(String, &'static str, String)>,
    follow_ups: Vec<FollowUpRow>,
    open_points: Vec<(&'static str, &'static str, String)>,
    outcomes: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    v: Values,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("anteckning") => Some("placements.note_saved"),
        Some("paus") => Some("placements.paused_notice"),
        Some("aterupptagen") => Some("placements.resumed_notice"),
        Some("slut") => Some("placements.planned_end_saved"),
        Some("timmar-och-mal") => Some("placements.hours_goals_saved"),
        Some("avslutad") => Some("placements.exit_saved"),
        Some("uppfoljning") => Some("placements.follow_up_saved"),
        _ => None,
    }
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: FieldErrors,
    v: Values,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let pid = PlacementId(id);
    let result = async {
        let p = s.get_placement(pid).await?;
        let person = s.get_participant(p.participant_id).await?;
        s.log_access(&[p.participant_id], PURPOSE_PLACEMENT, Some(&ctx.path))
            .await?;
        let agreement = s.get_agreement(p.agreement_id).await?;
        let org = s.get_organisation(agreement.organisation_id).await?;
        let types = s.list_placement_types().await?;
        let notes = s.notes_of_placement(pid).await?;
        let pauses = s.pauses_of_placement(pid).await?;
        let attendance = s.attendance_of_placement(pid).await?;
        let exit = s.exit_of_placement(pid).await?;
        let follow_ups = match &exit {
            Some(e) => s.follow_ups_of_exit(e.id).await?,
            None => Vec::new(),
        };
        Ok::<_, StoreError>((
            p, person, agreement, org, types, notes, pauses, attendance, exit, follow_ups,
        ))
    }
    .await;
    let (p, person, agreement, org, types, notes, pauses, attendance, exit, follow_ups) =
        match result {
            Ok(r) => r,
            Err(e) => return ctx.store_error(e).into_response(),
        };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let lang = ctx.lang;
    // The hours-and-goals form starts from what is stored.
    let mut v = v;
    v.0.entry("hours_per_week".into())
        .or_insert_with(|| hours_sv(p.hours_per_week.minutes()));
    v.0.entry("goals".into())
        .or_insert_with(|| p.goals.as_ref().map(|g| g.to_string()).unwrap_or_default());
    let open_points = match &exit {
        Some(e) => FollowUpPoint::ALL
            .iter()
            .filter(|pt| !follow_ups.iter().any(|f| f.point == **pt))
            .map(|pt| {
                (
                    pt.as_str(),
                    ctx.t(point_key(*pt)),
                    pt.due_on(e.exit_date).to_string(),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let page = Show {
        page: ctx.page("placements.placement_title"),
        id,
        participant_id: person.id.get(),
        name: format!("{} {}", person.first_name, person.last_name),
        organisation: org.name.to_string(),
        placement_type: type_name(lang, &types, agreement.placement_type_id),
        start: p.period.start().to_string(),
        planned_end: p.planned_end.to_string(),
        end: p.period.end().map(|d| d.to_string()),
        hours: hours_sv(p.hours_per_week.minutes()),
        goals: p.goals.map(|g| g.to_string()).unwrap_or_default(),
        paused: pauses.iter().any(|x| x.end.is_none()),
        notes: notes
            .iter()
            .map(|n| NoteRow {
                kind: ctx.t(note_kind_key(n.kind)),
                noted_on: n.noted_on.to_string(),
                attendees: n.attendees.clone().unwrap_or_default(),
                body: n.body.clone(),
                author: n.author.clone(),
            })
            .collect(),
        pauses: pauses
            .iter()
            .map(|x| PauseRow {
                start: x.start.to_string(),
                end: x.end.map(|d| d.to_string()).unwrap_or_default(),
                reason: x.reason.clone().unwrap_or_default(),
            })
            .collect(),
        attendance: attendance
            .iter()
            .map(|a| AttendanceRow {
                month: a.month.to_string(),
                hours: hours_sv(a.attended_minutes),
                sick: a.sick_days,
                leave: a.leave_days,
                unexcused: a.unexcused_days,
                status: ctx.t(super::attendance::status_key(a.status)),
            })
            .collect(),
        exit: exit.as_ref().map(|e| {
            (
                e.exit_date.to_string(),
                outcome_name(lang, e.outcome),
                e.evidence
                    .as_ref()
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
            )
        }),
        follow_ups: follow_ups
            .iter()
            .map(|f| FollowUpRow {
                point: ctx.t(point_key(f.point)),
                due_on: exit
                    .as_ref()
                    .map(|e| f.point.due_on(e.exit_date).to_string())
                    .unwrap_or_default(),
                recorded_on: f.recorded_on.to_string(),
                status: ctx.t(follow_up_status_key(f.status)),
            })
            .collect(),
        open_points,
        outcomes: ExitOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), outcome_name(lang, *o)))
            .collect(),
        statuses: FollowUpStatus::ALL
            .iter()
            .map(|st| (st.as_str(), ctx.t(follow_up_status_key(*st))))
            .collect(),
        errors,
        v,
        notice,
    };
    (status, render(&page, lang)).into_response()
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
        id,
        FieldErrors::default(),
        Values::default(),
        notice_of(q.klart.as_deref()),
    )
    .await
}

/// Finishes a POST on the placement page: back to the page with a notice, or the page
/// again with the problems.
async fn finish(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    v: Values,
    mut errors: FieldErrors,
    result: Option<Result<(), StoreError>>,
    done: &str,
    default_field: &str,
) -> Response {
    match result {
        Some(Ok(())) if errors.is_empty() => {
            Redirect::to(&format!("/placeringar/{id}?klart={done}")).into_response()
        }
        Some(Err(e)) => match store_problem(ctx, &mut errors, e, default_field) {
            Some(r) => r,
            None => show_page(state, ctx, id, errors, v, None).await,
        },
        _ => {
            if errors.is_empty() {
                errors.add(default_field, ctx.t("placements.required"));
            }
            show_page(state, ctx, id, errors, v, None).await
        }
    }
}

async fn add_note(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let meeting = v.is("kind", "meeting");
    let (date_f, body_f) = if meeting {
        ("meeting_on", "meeting_body")
    } else {
        ("note_on", "note_body")
    };
    let on = req_date(&mut errors, &ctx, date_f, v.get(date_f));
    let body = req_text(&mut errors, &ctx, body_f, v.get(body_f), MAX_NOTE);
    let attendees = if meeting {
        req_text(
            &mut errors,
            &ctx,
            "meeting_attendees",
            v.get("meeting_attendees"),
            500,
        )
    } else {
        None
    };
    let result = match (on, body, errors.is_empty()) {
        (Some(on), Some(body), true) => {
            let s = ctx.who().scoped(state.store());
            let kind = if meeting {
                NoteKind::Meeting
            } else {
                NoteKind::Progress
            };
            Some(
                s.add_placement_note(PlacementId(id), kind, on, attendees.as_ref(), &body)
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        rename(
                            rename(e, "noted_on", date_f),
                            "attendees",
                            "meeting_attendees",
                        )
                    }),
            )
        }
        _ => None,
    };
    finish(&state, &ctx, id, v, errors, result, "anteckning", date_f).await
}

/// Renames the field of a rule violation, for forms whose field names differ from the
/// store's.
fn rename(e: StoreError, from: &str, to: &'static str) -> StoreError {
    match e {
        StoreError::Rule(mut v) if v.field == from => {
            v.field = to;
            StoreError::Rule(v)
        }
        other => other,
    }
}

async fn pause(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let start = req_date(&mut errors, &ctx, "pause_start", v.get("pause_start"));
    let reason = opt_text(
        &mut errors,
        &ctx,
        "pause_reason",
        v.get("pause_reason"),
        500,
    );
    let result = match (start, errors.is_empty()) {
        (Some(start), true) => {
            let s = ctx.who().scoped(state.store());
            Some(
                s.pause_placement(PlacementId(id), start, reason.as_ref())
                    .await
                    .map(|_| ()),
            )
        }
        _ => None,
    };
    finish(&state, &ctx, id, v, errors, result, "paus", "pause_start").await
}

async fn resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let on = req_date(&mut errors, &ctx, "resume_on", v.get("resume_on"));
    let result = match on {
        Some(on) => {
            let s = ctx.who().scoped(state.store());
            Some(s.resume_placement(PlacementId(id), on).await)
        }
        None => None,
    };
    finish(
        &state,
        &ctx,
        id,
        v,
        errors,
        result,
        "aterupptagen",
        "resume_on",
    )
    .await
}

async fn planned_end(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let on = req_date(&mut errors, &ctx, "planned_end", v.get("planned_end"));
    let result = match on {
        Some(on) => {
            let s = ctx.who().scoped(state.store());
            Some(s.change_planned_end(PlacementId(id), on).await)
        }
        None => None,
    };
    finish(&state, &ctx, id, v, errors, result, "slut", "planned_end").await
}

async fn hours_and_goals(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let hours = req_weekly_hours(&mut errors, &ctx, "hours_per_week", v.get("hours_per_week"));
    // The form shows the goals as they are: emptied, they are removed.
    let goals = opt_text(&mut errors, &ctx, "goals", v.get("goals"), GOALS_MAX_CHARS);
    let result = match (hours, errors.is_empty()) {
        (Some(hours), true) => {
            let s = ctx.who().scoped(state.store());
            Some(
                s.change_hours_and_goals(
                    PlacementId(id),
                    &HoursAndGoals {
                        hours_per_week: Some(hours),
                        goals: Some(goals),
                    },
                )
                .await,
            )
        }
        _ => None,
    };
    finish(
        &state,
        &ctx,
        id,
        v,
        errors,
        result,
        "timmar-och-mal",
        "hours_per_week",
    )
    .await
}

async fn end(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let on = req_date(&mut errors, &ctx, "exit_date", v.get("exit_date"));
    let outcome = match ExitOutcome::parse(v.get("outcome").trim()) {
        Ok(o) => Some(o),
        Err(_) => {
            errors.add("outcome", ctx.t("placements.choose_outcome"));
            None
        }
    };
    let evidence = opt_text(&mut errors, &ctx, "evidence", v.get("evidence"), 1000);
    if let (Some(o), None) = (outcome, &evidence) {
        // Work and studies count in the national indicator only with evidence.
        if o.counts_as_work_or_studies() {
            errors.add("evidence", ctx.t("placements.evidence_needed"));
        }
    }
    if on.is_some_and(|d| d > state.today()) {
        errors.add("exit_date", ctx.t("placements.not_future"));
    }
    let result = match (on, outcome, errors.is_empty()) {
        (Some(on), Some(o), true) => {
            let s = ctx.who().scoped(state.store());
            Some(
                s.record_exit(PlacementId(id), on, o, evidence.as_ref())
                    .await
                    .map(|_| ()),
            )
        }
        _ => None,
    };
    finish(&state, &ctx, id, v, errors, result, "avslutad", "exit_date").await
}

async fn follow_up(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let point = match FollowUpPoint::parse(v.get("point").trim()) {
        Ok(p) => Some(p),
        Err(_) => {
            errors.add("point", ctx.t("placements.choose_point"));
            None
        }
    };
    let on = req_date(&mut errors, &ctx, "recorded_on", v.get("recorded_on"));
    if on.is_some_and(|d| d > state.today()) {
        errors.add("recorded_on", ctx.t("placements.not_future"));
    }
    let status = match FollowUpStatus::parse(v.get("fu_status").trim()) {
        Ok(s) => Some(s),
        Err(_) => {
            errors.add("fu_status", ctx.t("placements.choose_status"));
            None
        }
    };
    let s = ctx.who().scoped(state.store());
    let exit: Option<ExitId> = match s.exit_of_placement(PlacementId(id)).await {
        Ok(Some(e)) => Some(e.id),
        Ok(None) => {
            errors.add("point", ctx.t("placements.not_ended"));
            None
        }
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let result = match (exit, point, on, status, errors.is_empty()) {
        (Some(exit), Some(p), Some(on), Some(st), true) => Some(
            s.record_follow_up(exit, p, on, st)
                .await
                .map(|_| ())
                .map_err(|e| match e {
                    StoreError::Conflict { .. } => {
                        StoreError::Rule(vidare_domain::model::RuleViolation::new(
                            "point",
                            "Den uppföljningen är redan gjord.",
                            "That follow-up is already recorded.",
                        ))
                    }
                    other => other,
                }),
        ),
        _ => None,
    };
    finish(&state, &ctx, id, v, errors, result, "uppfoljning", "point").await
}

// ---------------------------------------------------------------- reminders

struct DueRow {
    placement_id: i64,
    participant_id: i64,
    name: String,
    exit_date: String,
    point: &'static str,
    due_on: String,
}

/// One state's follow-ups on the reminders page.
struct DueSection {
    /// The heading's anchor, which the overview links to.
    anchor: &'static str,
    title: &'static str,
    /// All of this state, shown or not.
    count: usize,
    rows: Vec<DueRow>,
}

#[derive(Template)]
#[template(path = "placements/follow_ups.html")]
struct Due {
    page: Page,
    intro: String,
    sections: Vec<DueSection>,
    total: usize,
    shown: usize,
}

/// Rows shown at most; the counts cover all.
const MAX_DUE_ROWS: usize = 200;

/// `GET /uppfoljningar`: the follow-ups not yet recorded, overdue, due now and coming
/// within [`REMINDER_HORIZON_DAYS`], each by due date.
async fn due(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = ctx.who().scoped(state.store());
    let today = state.today();
    let result = async {
        let due = s.due_follow_ups(today, REMINDER_HORIZON_DAYS).await?;
        let mut ids: Vec<ParticipantId> = due
            .iter()
            .take(MAX_DUE_ROWS)
            .map(|d| d.participant_id)
            .collect();
        ids.sort();
        ids.dedup();
        s.log_access(&ids, PURPOSE_REMINDERS, Some(&ctx.path))
            .await?;
        Ok::<_, StoreError>(due)
    }
    .await;
    let due = match result {
        Ok(d) => d,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut sections: Vec<DueSection> = [
        (DueState::Overdue, "placements.due_overdue_title"),
        (DueState::DueNow, "placements.due_now_title"),
        (DueState::Coming, "placements.due_coming_title"),
    ]
    .into_iter()
    .map(|(st, key)| DueSection {
        anchor: due_anchor(st),
        title: ctx.t(key),
        count: due.iter().filter(|d| d.state(today) == st).count(),
        rows: Vec::new(),
    })
    .collect();
    // Already in due-date order, so the most overdue are the ones shown.
    for d in due.iter().take(MAX_DUE_ROWS) {
        let i = match d.state(today) {
            DueState::Overdue => 0,
            DueState::DueNow => 1,
            DueState::Coming => 2,
        };
        sections[i].rows.push(DueRow {
            placement_id: d.placement_id.get(),
            participant_id: d.participant_id.get(),
            name: d.participant_name.clone(),
            exit_date: d.exit_date.to_string(),
            point: ctx.t(point_key(d.point)),
            due_on: d.due_on.to_string(),
        });
    }
    let shown = sections.iter().map(|x| x.rows.len()).sum();
    render(
        &Due {
            page: ctx.page("placements.due_title"),
            intro: ctx
                .t("placements.due_intro")
                .replace("{window}", &FOLLOW_UP_WINDOW_DAYS.to_string())
                .replace("{horizon}", &REMINDER_HORIZON_DAYS.to_string()),
            sections,
            total: due.len(),
            shown,
        },
        ctx.lang,
    )
}
