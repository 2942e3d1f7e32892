//! `/narvaro`: the municipality's view of each supplier's monthly attendance — submitted,
//! missing, late after the deadline, approved — with the approval that locks a month, a
//! supplier's lines for checking before approval, and the deadline setting.
//!
//! `/narvaro/{month}/rattelse/{placement}`: the municipality's correction of one
//! placement-month — of a month it approved, or in place of a report the supplier did
//! not submit in time — with a mandatory reason, refused while an invoice that has not
//! been credited bills the month, and the placement's history of corrections (the
//! values each one replaced, by whom, when, why).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::ids::{OrganisationId, ParticipantId, PlacementId};
use vidare_domain::model::invoice::InvoiceStatus;
use vidare_domain::model::placement::{
    attendance_deadline, working_days_unpaused, AttendanceMonth, AttendanceStatus,
    MAX_MINUTES_PER_WORKING_DAY,
};
use vidare_domain::model::Text;
use vidare_domain::period::YearMonth;
use vidare_domain::Localized;
use vidare_store::StoreError;

use vidare_store::repo::placements::AttendanceCorrection;

use super::{hours_sv, parse_days, parse_hours, FieldErrors, Values};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/narvaro", access::CASE_WORK, start),
        RouteDef::get("/narvaro/{month}", access::CASE_WORK, overview),
        RouteDef::post("/narvaro/{month}", access::CASE_WORK, approve),
        RouteDef::post("/narvaro-sista-dag", access::CASE_WORK, set_deadline),
        // Who approves months corrects them.
        RouteDef::get(CORRECTION, access::CASE_WORK, correction),
        RouteDef::post(CORRECTION, access::CASE_WORK, correct),
    ]
}

const PURPOSE_APPROVAL: &str = "attendance_approval";
const PURPOSE_CORRECTION: &str = "attendance_correction";
/// One placement-month's correction page.
const CORRECTION: &str = "/narvaro/{month}/rattelse/{id}";

/// The translation key of an attendance status.
pub fn status_key(s: AttendanceStatus) -> &'static str {
    match s {
        AttendanceStatus::Draft => "placements.att_draft",
        AttendanceStatus::Submitted => "placements.att_submitted",
        AttendanceStatus::Approved => "placements.att_approved",
    }
}

/// The month a municipality most likely works on: the one whose deadline is nearest
/// (last month until its deadline has passed a few days, then still last month).
fn default_month(state: &AppState) -> YearMonth {
    YearMonth::of(state.today()).prev()
}

async fn start(State(state): State<AppState>) -> Redirect {
    Redirect::to(&format!("/narvaro/{}", default_month(&state)))
}

struct OrgRow {
    id: i64,
    name: String,
    placements: u32,
    submitted: u32,
    approved: u32,
    missing: u32,
    state: &'static str,
    late: bool,
    can_approve: bool,
}

struct Line {
    placement: i64,
    name: String,
    pseudonym: String,
    working_days: u32,
    hours: String,
    sick: String,
    leave: String,
    unexcused: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "placements/attendance.html")]
struct Overview {
    page: Page,
    month: String,
    prev: String,
    next: String,
    deadline: String,
    deadline_day: u32,
    past_deadline: bool,
    rows: Vec<OrgRow>,
    detail: Option<(i64, String, Vec<Line>)>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct OverviewQuery {
    leverantor: Option<String>,
    klart: Option<String>,
}

fn parse_month(ctx: &Ctx, s: &str) -> Result<YearMonth, Response> {
    YearMonth::parse(s).map_err(|_| ctx.not_found().into_response())
}

async fn overview_page(
    state: &AppState,
    ctx: &Ctx,
    month: YearMonth,
    detail_org: Option<i64>,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let today = state.today();
    let result = async {
        let settings = s.casework_settings().await?;
        let status = s.attendance_month_status(month).await?;
        let detail = match detail_org {
            Some(org) => {
                let o = s.get_organisation(OrganisationId(org)).await?;
                let lines = s.attendance_lines(o.id, month).await?;
                let ids: Vec<ParticipantId> =
                    lines.iter().map(|l| l.placement.participant_id).collect();
                s.log_access(&ids, PURPOSE_APPROVAL, Some(&ctx.path))
                    .await?;
                Some((org, o.name.to_string(), lines))
            }
            None => None,
        };
        Ok::<_, StoreError>((settings, status, detail))
    }
    .await;
    let (settings, status, detail) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let deadline = attendance_deadline(month, settings.attendance_deadline_day);
    let past_deadline = today > deadline;
    let rows = status
        .iter()
        .map(|r| {
            let missing = r.missing();
            let late = past_deadline && missing > 0;
            OrgRow {
                id: r.organisation_id.get(),
                name: r.organisation_name.clone(),
                placements: r.placements,
                submitted: r.submitted,
                approved: r.approved,
                missing,
                state: ctx.t(if r.approved == r.placements {
                    "placements.att_state_approved"
                } else if late {
                    "placements.att_state_late"
                } else if r.submitted > 0 {
                    "placements.att_state_to_approve"
                } else {
                    "placements.att_state_open"
                }),
                late,
                can_approve: r.submitted > 0,
            }
        })
        .collect();
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Overview {
        page: ctx.page("placements.attendance_title"),
        month: month.to_string(),
        prev: month.prev().to_string(),
        next: month.next().to_string(),
        deadline: deadline.to_string(),
        deadline_day: settings.attendance_deadline_day,
        past_deadline,
        rows,
        detail: detail.map(|(id, name, lines)| {
            (
                id,
                name,
                lines
                    .into_iter()
                    .map(|l| Line {
                        placement: l.placement.id.get(),
                        name: format!("{} {}", l.first_name, l.last_name),
                        pseudonym: l.pseudonym,
                        working_days: working_days_unpaused(month, &l.placement.period, &l.paused),
                        hours: l
                            .attendance
                            .as_ref()
                            .map(|a| hours_sv(a.attended_minutes))
                            .unwrap_or_else(|| "–".into()),
                        sick: l
                            .attendance
                            .as_ref()
                            .map(|a| a.sick_days.to_string())
                            .unwrap_or_else(|| "–".into()),
                        leave: l
                            .attendance
                            .as_ref()
                            .map(|a| a.leave_days.to_string())
                            .unwrap_or_else(|| "–".into()),
                        unexcused: l
                            .attendance
                            .as_ref()
                            .map(|a| a.unexcused_days.to_string())
                            .unwrap_or_else(|| "–".into()),
                        status: l
                            .attendance
                            .as_ref()
                            .map(|a| ctx.t(status_key(a.status)))
                            .unwrap_or_else(|| ctx.t("placements.att_missing")),
                    })
                    .collect(),
            )
        }),
        errors,
        notice,
    };
    (status_code, render(&page, ctx.lang)).into_response()
}

async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(month): Path<String>,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let month = match parse_month(&ctx, &month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let detail = q
        .leverantor
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let notice = match q.klart.as_deref() {
        Some("godkand") => Some("placements.approved_notice"),
        Some("sista-dag") => Some("placements.deadline_saved"),
        _ => None,
    };
    overview_page(&state, &ctx, month, detail, FieldErrors::default(), notice).await
}

async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(month): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let month = match parse_month(&ctx, &month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut errors = FieldErrors::default();
    let org = f
        .get("organisation_id")
        .and_then(|s| s.trim().parse::<i64>().ok());
    let Some(org) = org else {
        errors.add("organisation_id", ctx.t("placements.choose_supplier"));
        return overview_page(&state, &ctx, month, None, errors, None).await;
    };
    let s = ctx.who().scoped(state.store());
    match s
        .approve_attendance(OrganisationId(org), month, state.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/narvaro/{month}?klart=godkand")).into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add(v.field, v.message(ctx.lang));
            overview_page(&state, &ctx, month, None, errors, None).await
        }
        Err(StoreError::NotFound { .. }) => {
            errors.add("organisation_id", ctx.t("placements.choose_supplier"));
            overview_page(&state, &ctx, month, None, errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn set_deadline(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let month = f
        .get("month")
        .and_then(|m| YearMonth::parse(m).ok())
        .unwrap_or_else(|| default_month(&state));
    let mut errors = FieldErrors::default();
    let day = f
        .get("attendance_deadline_day")
        .and_then(|d| d.trim().parse::<u32>().ok());
    let s = ctx.who().scoped(state.store());
    let result = match day {
        Some(d) => s.set_attendance_deadline_day(d).await,
        None => Err(StoreError::Rule(vidare_domain::model::RuleViolation::new(
            "attendance_deadline_day",
            "Sista rapportdag måste vara mellan 1 och 28.",
            "The reporting deadline must be a day between 1 and 28.",
        ))),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/narvaro/{month}?klart=sista-dag")).into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add(v.field, v.message(ctx.lang));
            overview_page(&state, &ctx, month, None, errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

/// A month's values as one short text: `62,5 h; 1 / 0 / 2` (hours; sick / leave /
/// unexcused days).
fn values_text(a: &AttendanceMonth) -> String {
    format!(
        "{} h; {} / {} / {}",
        hours_sv(a.attended_minutes),
        a.sick_days,
        a.leave_days,
        a.unexcused_days
    )
}

struct HistoryRow {
    month: String,
    at: String,
    by: String,
    before: String,
    after: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "placements/correction.html")]
struct CorrectionPage {
    page: Page,
    month: String,
    placement: i64,
    organisation_id: i64,
    organisation: String,
    name: String,
    pseudonym: String,
    period: String,
    working_days: u32,
    max_hours: u32,
    /// The month as recorded now, and its status.
    current: Option<(String, &'static str)>,
    /// The uncredited invoice that bills the month: number, whether it is a draft.
    invoice: Option<(String, bool)>,
    history: Vec<HistoryRow>,
    v: Values,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

/// The month and placement of a correction's path; `None` is not found.
fn parse_path(month: &str, id: &str) -> Option<(YearMonth, PlacementId)> {
    let month = YearMonth::parse(month).ok()?;
    let id = id.trim().parse::<i64>().ok()?;
    Some((month, PlacementId(id)))
}

async fn correction_page(
    state: &AppState,
    ctx: &Ctx,
    month: YearMonth,
    id: PlacementId,
    form: Option<Values>,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        let p = s.get_placement(id).await?;
        let person = s.get_participant(p.participant_id).await?;
        s.log_access(&[p.participant_id], PURPOSE_CORRECTION, Some(&ctx.path))
            .await?;
        let org = s
            .get_organisation(s.organisation_of_placement(id).await?)
            .await?;
        let settings = s.casework_settings().await?;
        let paused = s.paused_days_of_placement(id).await?;
        let current = s
            .attendance_of_placement(id)
            .await?
            .into_iter()
            .find(|a| a.month == month);
        let invoice = s.uncredited_invoice_of(id, month).await?;
        let history = s.attendance_corrections(id).await?;
        Ok::<_, StoreError>((p, person, org, settings, paused, current, invoice, history))
    }
    .await;
    let (p, person, org, settings, paused, current, invoice, history) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let working_days = working_days_unpaused(month, &p.period, &paused);
    let v = form.unwrap_or_else(|| {
        let mut v = std::collections::HashMap::new();
        if let Some(a) = &current {
            v.insert("attended_hours".into(), hours_sv(a.attended_minutes));
            v.insert("sick_days".into(), a.sick_days.to_string());
            v.insert("leave_days".into(), a.leave_days.to_string());
            v.insert("unexcused_days".into(), a.unexcused_days.to_string());
        }
        Values(v)
    });
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CorrectionPage {
        page: ctx.page("placements.corr_title"),
        month: month.to_string(),
        placement: id.get(),
        organisation_id: org.id.get(),
        organisation: org.name.to_string(),
        name: format!("{} {}", person.first_name, person.last_name),
        pseudonym: settings.pseudonym(person.id),
        period: format!(
            "{} – {}",
            p.period.start(),
            p.period.end().map(|d| d.to_string()).unwrap_or_default()
        ),
        working_days,
        max_hours: working_days * MAX_MINUTES_PER_WORKING_DAY / 60,
        current: current
            .as_ref()
            .map(|a| (values_text(a), ctx.t(status_key(a.status)))),
        invoice: invoice.map(|i| (i.number, i.status == InvoiceStatus::Draft)),
        history: history
            .iter()
            .rev()
            .map(|h| HistoryRow {
                month: h.month.to_string(),
                at: h
                    .corrected_at
                    .with_timezone(&chrono_tz::Europe::Stockholm)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                by: h.corrected_by.clone(),
                before: match &h.before {
                    Some(b) => format!("{} ({})", values_text(b), ctx.t(status_key(b.status))),
                    None => ctx.t("placements.corr_not_reported").to_string(),
                },
                after: values_text(&h.after),
                reason: h.reason.clone(),
            })
            .collect(),
        v,
        errors,
        notice,
    };
    (status_code, render(&page, ctx.lang)).into_response()
}

async fn correction(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((month, id)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Response {
    let Some((month, id)) = parse_path(&month, &id) else {
        return ctx.not_found().into_response();
    };
    let notice = (q.klart.as_deref() == Some("rattad")).then_some("placements.corr_saved");
    correction_page(
        &state,
        &ctx,
        month,
        id,
        None,
        FieldErrors::default(),
        notice,
    )
    .await
}

async fn correct(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((month, id)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some((month, id)) = parse_path(&month, &id) else {
        return ctx.not_found().into_response();
    };
    let v = Values(f);
    let mut errors = FieldErrors::default();
    let minutes = match parse_hours(v.get("attended_hours")) {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            errors.add("attended_hours", ctx.t("placements.hours_needed"));
            None
        }
        Err(()) => {
            errors.add("attended_hours", ctx.t("placements.bad_hours"));
            None
        }
    };
    let mut days = [0u32; 3];
    for (i, field) in ["sick_days", "leave_days", "unexcused_days"]
        .iter()
        .enumerate()
    {
        match parse_days(v.get(field)) {
            Ok(n) => days[i] = n,
            Err(()) => errors.add(field, ctx.t("placements.bad_days")),
        }
    }
    let reason = match v.get("reason").trim() {
        "" => {
            errors.add("reason", ctx.t("placements.corr_reason_required"));
            None
        }
        r => Text::parse_max(r, 1000)
            .map_err(|e| errors.add("reason", e.to_string()))
            .ok(),
    };
    let (Some(attended_minutes), Some(reason), true) = (minutes, reason, errors.is_empty()) else {
        return correction_page(&state, &ctx, month, id, Some(v), errors, None).await;
    };
    let s = ctx.who().scoped(state.store());
    let c = AttendanceCorrection {
        placement_id: id,
        month,
        attended_minutes,
        sick_days: days[0],
        leave_days: days[1],
        unexcused_days: days[2],
        reason,
    };
    match s.correct_attendance(&c, state.now()).await {
        Ok(_) => {
            Redirect::to(&format!("/narvaro/{month}/rattelse/{id}?klart=rattad")).into_response()
        }
        Err(StoreError::Rule(r)) => {
            errors.add(r.field, r.message(ctx.lang));
            correction_page(&state, &ctx, month, id, Some(v), errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}
