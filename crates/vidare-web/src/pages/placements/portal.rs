//! The suppliers' portal: a supplier's own agreements (in force and coming) with capacity
//! and free places, the referrals to accept or decline, and the month's attendance for
//! all its participants on one screen. Participants appear by name and pseudonym only — never by identity
//! number or any other data the work does not need — and another organisation's ids
//! answer 404. Showing a participant's name is a read of personal data: it is logged.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::ids::{OrganisationId, ParticipantId, PlacementId, ReferralId};
use vidare_domain::model::placement::{
    attendance_deadline, working_days_unpaused, AttendanceMonth, AttendanceStatus, ReferralStatus,
    GOALS_MAX_CHARS,
};
use vidare_domain::model::Text;
use vidare_domain::period::YearMonth;
use vidare_domain::Localized;
use vidare_store::repo::casework::{AttendanceReport, PlacementTerms};
use vidare_store::StoreError;

use super::attendance::status_key;
use super::{
    hours_sv, parse_days, parse_hours, req_date, req_weekly_hours, type_name, FieldErrors, Values,
};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/portal", access::SUPPLIER, start),
        RouteDef::get("/portal/anvisningar", access::SUPPLIER, referrals),
        RouteDef::get("/portal/anvisningar/{id}", access::SUPPLIER, answer_form),
        RouteDef::post("/portal/anvisningar/{id}", access::SUPPLIER, answer),
        RouteDef::get("/portal/narvaro", access::SUPPLIER, attendance_start),
        RouteDef::get("/portal/narvaro/{month}", access::SUPPLIER, attendance_form),
        RouteDef::post(
            "/portal/narvaro/{month}",
            access::SUPPLIER,
            submit_attendance,
        ),
    ]
}

const PURPOSE_REFERRAL: &str = "supplier_referral";
const PURPOSE_ATTENDANCE: &str = "supplier_attendance";

/// The signed-in supplier's organisation.
fn own(ctx: &Ctx) -> Result<OrganisationId, Response> {
    ctx.who()
        .role
        .organisation_id()
        .ok_or_else(|| ctx.not_found().into_response())
}

/// The portal's own menu.
fn portal_nav(ctx: &Ctx) -> Vec<crate::pages::NavItem> {
    [
        ("/portal", "placements.portal_overview"),
        ("/portal/anvisningar", "placements.portal_referrals"),
        ("/portal/narvaro", "placements.portal_attendance"),
    ]
    .iter()
    .map(|(href, key)| crate::pages::NavItem {
        href,
        label: ctx.t(key),
        current: if *href == "/portal" {
            ctx.path == "/portal"
        } else {
            ctx.path == *href || ctx.path.starts_with(&format!("{href}/"))
        },
    })
    .collect()
}

// ---------------------------------------------------------------- overview

struct AgreementRow {
    placement_type: String,
    /// Starts after today: not yet in force, its places come with it.
    coming: bool,
    capacity: u32,
    used: u32,
    pending: u32,
    free: u32,
    price: String,
    period: String,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Overview {
    page: Page,
    portal_nav: Vec<crate::pages::NavItem>,
    name: String,
    org_number: String,
    agreements: Vec<AgreementRow>,
    any_coming: bool,
    pending: usize,
    open_month: String,
    deadline: String,
}

/// The month a supplier reports now: last month until its deadline, then this month.
async fn open_month(state: &AppState, ctx: &Ctx) -> Result<(YearMonth, u32), StoreError> {
    let s = ctx.who().scoped(state.store());
    let day = s.casework_settings().await?.attendance_deadline_day;
    let today = state.today();
    let last = YearMonth::of(today).prev();
    Ok(if today <= attendance_deadline(last, day) {
        (last, day)
    } else {
        (YearMonth::of(today), day)
    })
}

async fn start(State(state): State<AppState>, ctx: Ctx) -> Response {
    let org = match own(&ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let s = ctx.who().scoped(state.store());
    let result = async {
        let o = s.get_organisation(org).await?;
        let types = s.list_placement_types().await?;
        let places = s.current_and_coming_agreements(state.today(), org).await?;
        let referrals = s.referrals_to_organisation(org, 500).await?;
        let (month, day) = open_month(&state, &ctx).await?;
        Ok::<_, StoreError>((o, types, places, referrals, month, day))
    }
    .await;
    let (o, types, places, referrals, month, day) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let agreements: Vec<AgreementRow> = places
        .iter()
        .map(|a| AgreementRow {
            placement_type: type_name(ctx.lang, &types, a.agreement.placement_type_id),
            coming: a.agreement.period.start() > state.today(),
            capacity: a.agreement.capacity,
            used: a.used,
            pending: a.pending,
            free: a.free(),
            price: a.agreement.price_per_month.format_sv(),
            period: format!(
                "{} – {}",
                a.agreement.period.start(),
                a.agreement
                    .period
                    .end()
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ),
        })
        .collect();
    render(
        &Overview {
            page: ctx.page("portal.title"),
            portal_nav: portal_nav(&ctx),
            name: o.name.to_string(),
            org_number: o.org_number.to_string(),
            any_coming: agreements.iter().any(|a| a.coming),
            agreements,
            pending: referrals
                .iter()
                .filter(|r| r.referral.status == ReferralStatus::Pending)
                .count(),
            open_month: month.to_string(),
            deadline: attendance_deadline(month, day).to_string(),
        },
        ctx.lang,
    )
}

// ---------------------------------------------------------------- referrals

struct ReferralRow {
    id: i64,
    name: String,
    pseudonym: String,
    placement_type: String,
    referred_on: String,
    status: &'static str,
    pending: bool,
}

#[derive(Template)]
#[template(path = "placements/portal_referrals.html")]
struct Referrals {
    page: Page,
    portal_nav: Vec<crate::pages::NavItem>,
    rows: Vec<ReferralRow>,
    notice: Option<&'static str>,
}

fn referral_status_key(s: ReferralStatus) -> &'static str {
    match s {
        ReferralStatus::Pending => "placements.ref_pending",
        ReferralStatus::Accepted => "placements.ref_accepted",
        ReferralStatus::Declined => "placements.ref_declined",
        ReferralStatus::Withdrawn => "placements.ref_withdrawn",
    }
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

async fn referrals(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let org = match own(&ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let s = ctx.who().scoped(state.store());
    let result = async {
        let list = s.referrals_to_organisation(org, 200).await?;
        let types = s.list_placement_types().await?;
        let ids: Vec<ParticipantId> = list.iter().map(|r| r.referral.participant_id).collect();
        s.log_access(&ids, PURPOSE_REFERRAL, Some(&ctx.path))
            .await?;
        Ok::<_, StoreError>((list, types))
    }
    .await;
    let (list, types) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let rows = list
        .iter()
        .map(|r| ReferralRow {
            id: r.referral.id.get(),
            name: format!("{} {}", r.first_name, r.last_name),
            pseudonym: r.pseudonym.clone(),
            placement_type: type_name(ctx.lang, &types, r.referral.placement_type_id),
            referred_on: r.referral.referred_on.to_string(),
            status: ctx.t(referral_status_key(r.referral.status)),
            pending: r.referral.status == ReferralStatus::Pending,
        })
        .collect();
    render(
        &Referrals {
            page: ctx.page("placements.portal_referrals"),
            portal_nav: portal_nav(&ctx),
            rows,
            notice: match q.klart.as_deref() {
                Some("accepterad") => Some("placements.accepted_notice"),
                Some("avbojd") => Some("placements.declined_notice"),
                _ => None,
            },
        },
        ctx.lang,
    )
}

#[derive(Template)]
#[template(path = "placements/portal_answer.html")]
struct Answer {
    page: Page,
    portal_nav: Vec<crate::pages::NavItem>,
    id: i64,
    name: String,
    pseudonym: String,
    placement_type: String,
    referred_on: String,
    pending: bool,
    status: &'static str,
    errors: FieldErrors,
    v: Values,
}

async fn answer_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: FieldErrors,
    v: Values,
) -> Response {
    let org = match own(ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let s = ctx.who().scoped(state.store());
    let result = async {
        let r = s.get_referral(ReferralId(id), Some(org)).await?;
        s.log_access(
            &[r.referral.participant_id],
            PURPOSE_REFERRAL,
            Some(&ctx.path),
        )
        .await?;
        let types = s.list_placement_types().await?;
        Ok::<_, StoreError>((r, types))
    }
    .await;
    let (r, types) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Answer {
        page: ctx.page("placements.answer_title"),
        portal_nav: portal_nav(ctx),
        id,
        name: format!("{} {}", r.first_name, r.last_name),
        pseudonym: r.pseudonym.clone(),
        placement_type: type_name(ctx.lang, &types, r.referral.placement_type_id),
        referred_on: r.referral.referred_on.to_string(),
        pending: r.referral.status == ReferralStatus::Pending,
        status: ctx.t(referral_status_key(r.referral.status)),
        errors,
        v,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn answer_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    answer_page(&state, &ctx, id, FieldErrors::default(), Values::default()).await
}

async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let org = match own(&ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let v = Values(f);
    let s = ctx.who().scoped(state.store());
    // Another organisation's referral is not found, whatever the form says.
    if let Err(e) = s.get_referral(ReferralId(id), Some(org)).await {
        return ctx.store_error(e).into_response();
    }
    let mut errors = FieldErrors::default();
    let result = match v.get("svar") {
        "acceptera" => {
            let start = req_date(&mut errors, &ctx, "start", v.get("start"));
            let planned_end = req_date(&mut errors, &ctx, "planned_end", v.get("planned_end"));
            let hours =
                req_weekly_hours(&mut errors, &ctx, "hours_per_week", v.get("hours_per_week"));
            let goals = if v.get("goals").trim().is_empty() {
                None
            } else {
                match Text::parse_max(v.get("goals"), GOALS_MAX_CHARS) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        errors.add("goals", e.message(ctx.lang));
                        None
                    }
                }
            };
            match (start, planned_end, hours, errors.is_empty()) {
                (Some(start), Some(planned_end), Some(hours_per_week), true) => Some(
                    s.accept_referral(
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
                    .map(|_| "accepterad"),
                ),
                _ => None,
            }
        }
        "avboj" => {
            let note = if v.get("decline_note").trim().is_empty() {
                errors.add("decline_note", ctx.t("placements.decline_reason_needed"));
                None
            } else {
                match Text::parse_max(v.get("decline_note"), 2000) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        errors.add("decline_note", e.message(ctx.lang));
                        None
                    }
                }
            };
            match note {
                Some(n) => Some(
                    s.decline_referral(ReferralId(id), Some(org), Some(&n), state.today())
                        .await
                        .map(|_| "avbojd"),
                ),
                None => None,
            }
        }
        _ => {
            errors.add("svar", ctx.t("placements.choose_answer"));
            None
        }
    };
    match result {
        Some(Ok(done)) => {
            Redirect::to(&format!("/portal/anvisningar?klart={done}")).into_response()
        }
        Some(Err(StoreError::Rule(r))) => {
            errors.add(r.field, r.message(ctx.lang));
            answer_page(&state, &ctx, id, errors, v).await
        }
        Some(Err(e)) => ctx.store_error(e).into_response(),
        None => answer_page(&state, &ctx, id, errors, v).await,
    }
}

// ---------------------------------------------------------------- attendance

struct Line {
    id: i64,
    name: String,
    pseudonym: String,
    period: String,
    working_days: u32,
    max_hours: u32,
    hours: String,
    sick: String,
    leave: String,
    unexcused: String,
    status: &'static str,
    locked: bool,
}

#[derive(Template)]
#[template(path = "placements/portal_attendance.html")]
struct AttendanceForm {
    page: Page,
    portal_nav: Vec<crate::pages::NavItem>,
    month: String,
    prev: String,
    next: String,
    deadline: String,
    open: bool,
    closed_reason: &'static str,
    all_locked: bool,
    lines: Vec<Line>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

fn parse_month(ctx: &Ctx, s: &str) -> Result<YearMonth, Response> {
    YearMonth::parse(s).map_err(|_| ctx.not_found().into_response())
}

async fn attendance_start(State(state): State<AppState>, ctx: Ctx) -> Response {
    match open_month(&state, &ctx).await {
        Ok((m, _)) => Redirect::to(&format!("/portal/narvaro/{m}")).into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn attendance_page(
    state: &AppState,
    ctx: &Ctx,
    month: YearMonth,
    errors: FieldErrors,
    submitted: Option<&HashMap<String, String>>,
    notice: Option<&'static str>,
) -> Response {
    let org = match own(ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let s = ctx.who().scoped(state.store());
    let result = async {
        let settings = s.casework_settings().await?;
        let lines = s.attendance_lines(org, month).await?;
        let ids: Vec<ParticipantId> = lines.iter().map(|l| l.placement.participant_id).collect();
        s.log_access(&ids, PURPOSE_ATTENDANCE, Some(&ctx.path))
            .await?;
        Ok::<_, StoreError>((settings, lines))
    }
    .await;
    let (settings, lines) = match result {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let today = state.today();
    let deadline = attendance_deadline(month, settings.attendance_deadline_day);
    let (open, closed_reason) = if today < month.first_day() {
        (false, "placements.month_not_begun")
    } else if today > deadline {
        (false, "placements.deadline_passed_supplier")
    } else {
        (true, "")
    };
    let value = |key: String, stored: Option<String>| -> String {
        match submitted {
            Some(f) => f.get(&key).cloned().unwrap_or_default(),
            None => stored.unwrap_or_default(),
        }
    };
    let lines: Vec<Line> = lines
        .iter()
        .map(|l| {
            let id = l.placement.id.get();
            let a = l.attendance.as_ref();
            let days = working_days_unpaused(month, &l.placement.period, &l.paused);
            Line {
                id,
                name: format!("{} {}", l.first_name, l.last_name),
                pseudonym: l.pseudonym.clone(),
                period: format!(
                    "{} – {}",
                    l.placement.period.start(),
                    l.placement
                        .period
                        .end()
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
                working_days: days,
                max_hours: days * 10,
                hours: value(format!("h_{id}"), a.map(|a| hours_sv(a.attended_minutes))),
                sick: value(format!("s_{id}"), a.map(|a| a.sick_days.to_string())),
                leave: value(format!("l_{id}"), a.map(|a| a.leave_days.to_string())),
                unexcused: value(format!("u_{id}"), a.map(|a| a.unexcused_days.to_string())),
                status: a
                    .map(|a| ctx.t(status_key(a.status)))
                    .unwrap_or_else(|| ctx.t("placements.att_missing")),
                locked: a.is_some_and(|a| a.status == AttendanceStatus::Approved),
            }
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AttendanceForm {
        page: ctx.page("placements.portal_attendance"),
        portal_nav: portal_nav(ctx),
        month: month.to_string(),
        prev: month.prev().to_string(),
        next: month.next().to_string(),
        deadline: deadline.to_string(),
        open,
        closed_reason,
        all_locked: !lines.is_empty() && lines.iter().all(|l| l.locked),
        lines,
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn attendance_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(month): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let month = match parse_month(&ctx, &month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let notice = (q.klart.as_deref() == Some("inskickad")).then_some("placements.submitted_notice");
    attendance_page(&state, &ctx, month, FieldErrors::default(), None, notice).await
}

async fn submit_attendance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(month): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let org = match own(&ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let month = match parse_month(&ctx, &month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let s = ctx.who().scoped(state.store());
    let lines = match s.attendance_lines(org, month).await {
        Ok(l) => l,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut errors = FieldErrors::default();
    // Any placement id in the form that is not this supplier's is not found.
    for key in f.keys() {
        if let Some(id) = key
            .strip_prefix("h_")
            .or_else(|| key.strip_prefix("s_"))
            .or_else(|| key.strip_prefix("l_"))
            .or_else(|| key.strip_prefix("u_"))
        {
            let known = id
                .parse::<i64>()
                .ok()
                .is_some_and(|id| lines.iter().any(|l| l.placement.id.get() == id));
            if !known {
                return ctx.not_found().into_response();
            }
        }
    }
    let mut reports = Vec::new();
    for l in lines.iter().filter(|l| {
        l.attendance
            .as_ref()
            .is_none_or(|a| a.status != AttendanceStatus::Approved)
    }) {
        let id = l.placement.id.get();
        let get = |p: &str| {
            f.get(&format!("{p}_{id}"))
                .map(String::as_str)
                .unwrap_or("")
        };
        let hf = format!("h_{id}");
        let minutes = match parse_hours(get("h")) {
            Ok(Some(m)) => Some(m),
            Ok(None) => {
                errors.add(
                    &hf,
                    format!("{}: {}", l.pseudonym, ctx.t("placements.hours_needed")),
                );
                None
            }
            Err(()) => {
                errors.add(
                    &hf,
                    format!("{}: {}", l.pseudonym, ctx.t("placements.bad_hours")),
                );
                None
            }
        };
        let mut days = [0u32; 3];
        for (i, p) in ["s", "l", "u"].iter().enumerate() {
            match parse_days(get(p)) {
                Ok(n) => days[i] = n,
                Err(()) => errors.add(
                    &format!("{p}_{id}"),
                    format!("{}: {}", l.pseudonym, ctx.t("placements.bad_days")),
                ),
            }
        }
        if let Some(m) = minutes {
            if let Err(v) =
                AttendanceMonth::check(month, &l.placement.period, &l.paused, m, days.iter().sum())
            {
                let field = if v.field == "attended_hours" {
                    hf.clone()
                } else {
                    format!("s_{id}")
                };
                errors.add(&field, format!("{}: {}", l.pseudonym, v.message(ctx.lang)));
            }
            reports.push(AttendanceReport {
                placement_id: PlacementId(id),
                attended_minutes: m,
                sick_days: days[0],
                leave_days: days[1],
                unexcused_days: days[2],
            });
        }
    }
    if reports.is_empty() && errors.is_empty() {
        errors.add("month", ctx.t("placements.nothing_to_submit"));
    }
    if !errors.is_empty() {
        return attendance_page(&state, &ctx, month, errors, Some(&f), None).await;
    }
    match s.submit_attendance(org, month, &reports, state.now()).await {
        Ok(()) => Redirect::to(&format!("/portal/narvaro/{month}?klart=inskickad")).into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add(v.field, v.message(ctx.lang));
            attendance_page(&state, &ctx, month, errors, Some(&f), None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}
