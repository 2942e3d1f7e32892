//! Reaching suppliers: the register of potential suppliers with invitation letters
//! (printable, and e-mailed when SMTP is configured), the information meeting with its
//! registrations, and the questions suppliers ask during the tender period.

use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::RoundId;
use vidare_domain::model::procurement::RoundStatus;
use vidare_domain::model::{Email, Text};
use vidare_domain::Localized;
use vidare_store::repo::tendering::{NewInvitation, NewMeeting, NewSupplierRegistration};
use vidare_store::repo::Page as StorePage;

use super::rounds::{parse_count, parse_deadline};
use super::{deadline_text, round_nav, type_name, Errors, Link};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get(
            "/upphandlingar/{id}/inbjudningar",
            access::PROCUREMENT,
            invitations,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/inbjudningar",
            access::PROCUREMENT,
            invite,
        ),
        RouteDef::get(
            "/upphandlingar/{id}/inbjudningar/{invitation}",
            access::PROCUREMENT,
            letter,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/moten",
            access::PROCUREMENT,
            add_meeting,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/moten/{meeting}/anmalningar",
            access::PROCUREMENT,
            register,
        ),
        RouteDef::get("/upphandlingar/{id}/fragor", access::PROCUREMENT, questions),
        RouteDef::post(
            "/upphandlingar/{id}/fragor/{question}",
            access::PROCUREMENT,
            answer,
        ),
    ]
}

// ---- Invitations and meetings ----------------------------------------------------------

struct SupplierRow {
    id: i64,
    name: String,
    email: String,
    share: String,
    invited: bool,
}

struct InvitationRow {
    id: i64,
    recipient: String,
    email: String,
    sent_on: String,
    emailed: String,
}

struct MeetingRow {
    id: i64,
    starts_at: String,
    place: String,
    capacity: String,
    registrations: Vec<(String, u32, String)>,
    taken: u32,
}

#[derive(Template)]
#[template(path = "procurement/invitations.html")]
struct Invitations {
    page: Page,
    id: i64,
    nav: Vec<Link>,
    title: String,
    suppliers: Vec<SupplierRow>,
    invitations: Vec<InvitationRow>,
    meetings: Vec<MeetingRow>,
    mail_configured: bool,
    errors: Errors,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
    epost: Option<u32>,
    fel: Option<u32>,
}

async fn invitations_page(
    state: &AppState,
    ctx: &Ctx,
    id: RoundId,
    errors: Errors,
    notice: Option<String>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        Ok::<_, vidare_store::StoreError>((
            s.get_round(id).await?,
            s.list_organisations(StorePage::first(10_000)).await?,
            s.invitations_of_round(id).await?,
            s.meetings_of_round(id).await?,
        ))
    }
    .await;
    let (r, orgs, invs, meetings) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Invitations {
        page: ctx.page("proc.outreach_title"),
        id: id.get(),
        nav: round_nav(ctx, id.get()),
        title: r.title.to_string(),
        suppliers: orgs
            .iter()
            .map(|o| SupplierRow {
                id: o.id.get(),
                name: o.name.to_string(),
                email: o.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
                share: o
                    .headcount
                    .map(|h| super::permille_text(h.share_permille()))
                    .unwrap_or_else(|| "–".into()),
                invited: invs.iter().any(|i| i.organisation_id == Some(o.id)),
            })
            .collect(),
        invitations: invs
            .iter()
            .map(|i| InvitationRow {
                id: i.id,
                recipient: i.recipient_name.clone(),
                email: i.email.clone().unwrap_or_else(|| "–".into()),
                sent_on: i.sent_on.to_string(),
                emailed: i
                    .emailed_at
                    .map(|t| {
                        t.with_timezone(&chrono_tz::Europe::Stockholm)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_else(|| ctx.t("proc.not_emailed").to_string()),
            })
            .collect(),
        meetings: meetings
            .iter()
            .map(|m| MeetingRow {
                id: m.id,
                starts_at: m.starts_at.to_string(),
                place: m.place.clone(),
                capacity: m
                    .capacity
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "–".into()),
                taken: m.registrations.iter().map(|r| r.attendees).sum(),
                registrations: m
                    .registrations
                    .iter()
                    .map(|r| {
                        // A supplier's own registration names its attendees and contact.
                        let mut who = r.organisation_name.clone();
                        if !r.attendee_names.is_empty() || r.email.is_some() {
                            let mut extra = r.attendee_names.join(", ");
                            if let Some(e) = &r.email {
                                if !extra.is_empty() {
                                    extra.push_str("; ");
                                }
                                extra.push_str(e);
                            }
                            who = format!("{who} ({extra})");
                        }
                        (who, r.attendees, r.registered_on.to_string())
                    })
                    .collect(),
            })
            .collect(),
        mail_configured: state.mailer().is_some(),
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn invitations(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Response {
    let notice = match q.klart.as_deref() {
        Some("inbjudna") => Some(format!(
            "{} {} {} {}",
            ctx.t("proc.done_invited"),
            q.epost.unwrap_or(0),
            ctx.t("proc.done_emailed"),
            match q.fel.unwrap_or(0) {
                0 => String::new(),
                n => format!("{} {n}.", ctx.t("proc.done_email_failed")),
            }
        )),
        Some("mote") => Some(ctx.t("proc.done_meeting").to_string()),
        Some("anmald") => Some(ctx.t("proc.done_registered").to_string()),
        _ => None,
    };
    invitations_page(&state, &ctx, RoundId(id), Errors::default(), notice).await
}

/// The letter's text, used for the printed page and the e-mail alike.
struct LetterText {
    subject: String,
    paragraphs: Vec<String>,
}

async fn letter_text(
    state: &AppState,
    ctx: &Ctx,
    round: RoundId,
    recipient: &str,
) -> Result<LetterText, vidare_store::StoreError> {
    let s = ctx.who().scoped(state.store());
    let r = s.get_round(round).await?;
    let lots = s.lots_of_round(round).await?;
    let types = s.list_placement_types().await?;
    let meetings = s.meetings_of_round(round).await?;
    let lang = ctx.lang;
    let kinds: Vec<String> = lots
        .iter()
        .map(|l| {
            format!(
                "{} ({} {})",
                type_name(lang, &types, l.placement_type_id),
                l.places,
                ctx.t("proc.places_short")
            )
        })
        .collect();
    let mut p = vec![
        format!("{} {recipient},", ctx.t("proc.letter_greeting")),
        format!(
            "{} {} ({}).",
            ctx.t("proc.letter_intro"),
            r.title,
            ctx.who().tenant.name
        ),
        ctx.t(if r.legal_basis.is_reserved() {
            "proc.letter_reserved"
        } else {
            "proc.letter_not_reserved"
        })
        .to_string(),
    ];
    if !kinds.is_empty() {
        p.push(format!(
            "{} {}.",
            ctx.t("proc.letter_lots"),
            kinds.join(", ")
        ));
    }
    for m in &meetings {
        p.push(format!(
            "{} {} — {}.",
            ctx.t("proc.letter_meeting"),
            m.starts_at,
            m.place
        ));
    }
    if let Some(d) = &r.tender_deadline {
        p.push(format!("{} {d}.", ctx.t("proc.letter_deadline")));
    }
    p.push(format!(
        "{} /annonser/{}",
        ctx.t("proc.letter_notice"),
        round.get()
    ));
    p.push(ctx.t("proc.letter_closing").to_string());
    Ok(LetterText {
        subject: format!("{}: {}", ctx.t("proc.letter_subject"), r.title),
        paragraphs: p,
    })
}

async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> Response {
    let round = RoundId(id);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let s = ctx.who().scoped(state.store());
    let orgs = match s.list_organisations(StorePage::first(10_000)).await {
        Ok(o) => o,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut errors = Errors::default();
    let mut recipients: Vec<NewInvitation> = Vec::new();
    let today = stockholm_today(state.now());
    for (k, v) in &pairs {
        if k != "organisation" {
            continue;
        }
        match v
            .parse::<i64>()
            .ok()
            .and_then(|id| orgs.iter().find(|o| o.id.get() == id))
        {
            Some(o) => recipients.push(NewInvitation {
                organisation_id: Some(o.id),
                recipient_name: o.name.clone(),
                email: o.email.as_ref().map(|e| e.to_string()),
                sent_on: today,
            }),
            None => errors.add("organisation", ctx.t("proc.pick_supplier")),
        }
    }
    let name = get("recipient_name");
    let email = get("recipient_email");
    if !name.is_empty() || !email.is_empty() {
        let n = match Text::parse_max(&name, 200) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.add("recipient_name", e.message(ctx.lang));
                None
            }
        };
        let e = if email.is_empty() {
            None
        } else {
            match Email::parse(&email) {
                Ok(e) => Some(e.to_string()),
                Err(x) => {
                    errors.add("recipient_email", x.message(ctx.lang));
                    None
                }
            }
        };
        if let Some(n) = n {
            recipients.push(NewInvitation {
                organisation_id: None,
                recipient_name: n,
                email: e,
                sent_on: today,
            });
        }
    }
    if recipients.is_empty() && errors.is_empty() {
        errors.add("organisation", ctx.t("proc.pick_supplier"));
    }
    if !errors.is_empty() {
        return invitations_page(&state, &ctx, round, errors, None).await;
    }
    let (mut emailed, mut failed) = (0u32, 0u32);
    for inv in &recipients {
        let id = match s.insert_invitation(round, inv).await {
            Ok(id) => id,
            Err(e) => return ctx.store_error(e).into_response(),
        };
        let (Some(mailer), Some(to)) = (state.mailer(), inv.email.as_deref()) else {
            continue;
        };
        let text = match letter_text(&state, &ctx, round, inv.recipient_name.as_str()).await {
            Ok(t) => t,
            Err(e) => return ctx.store_error(e).into_response(),
        };
        match mailer
            .send(to, &text.subject, text.paragraphs.join("\n\n"))
            .await
        {
            Ok(()) => {
                emailed += 1;
                if let Err(e) = s.mark_invitation_emailed(id, state.now()).await {
                    return ctx.store_error(e).into_response();
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, invitation = id, "invitation e-mail failed");
                failed += 1;
            }
        }
    }
    Redirect::to(&format!(
        "/upphandlingar/{round}/inbjudningar?klart=inbjudna&epost={emailed}&fel={failed}"
    ))
    .into_response()
}

#[derive(Template)]
#[template(path = "procurement/letter.html")]
struct Letter {
    page: Page,
    id: i64,
    tenant: String,
    recipient: String,
    email: String,
    sent_on: String,
    subject: String,
    paragraphs: Vec<String>,
}

async fn letter(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, inv)): Path<(i64, i64)>,
) -> Response {
    let round = RoundId(id);
    let s = ctx.who().scoped(state.store());
    let invs = match s.invitations_of_round(round).await {
        Ok(i) => i,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let Some(i) = invs.into_iter().find(|i| i.id == inv) else {
        return ctx.not_found().into_response();
    };
    let text = match letter_text(&state, &ctx, round, &i.recipient_name).await {
        Ok(t) => t,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    render(
        &Letter {
            page: ctx.page("proc.letter_title"),
            id,
            tenant: ctx.who().tenant.name.to_string(),
            recipient: i.recipient_name,
            email: i.email.unwrap_or_default(),
            sent_on: i.sent_on.to_string(),
            subject: text.subject,
            paragraphs: text.paragraphs,
        },
        ctx.lang,
    )
}

#[derive(Deserialize)]
struct MeetingForm {
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    capacity: String,
}

/// Checks an information meeting as the page's form and the API give it: the start in
/// Stockholm time (in the future), the place or link (at most 300 characters) and, if
/// given, the capacity (1–10 000). Every field's problem is reported together.
pub(crate) fn parse_meeting(
    lang: vidare_domain::Lang,
    starts_at: &str,
    place: &str,
    capacity: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewMeeting, Errors> {
    let mut errors = Errors::default();
    let starts_at = parse_deadline(lang, &mut errors, "starts_at", starts_at);
    if let Some(d) = &starts_at {
        if d.has_passed(now) {
            errors.add("starts_at", crate::i18n::t(lang, "proc.meeting_in_future"));
        }
    }
    let place = match Text::parse_max(place, 300) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.add("place", e.message(lang));
            None
        }
    };
    let capacity = if capacity.trim().is_empty() {
        None
    } else {
        parse_count(lang, &mut errors, "capacity", capacity, 1, 10_000).map(|c| c as u32)
    };
    match (starts_at, place, errors.is_empty()) {
        (Some(starts_at), Some(place), true) => Ok(NewMeeting {
            starts_at,
            place,
            capacity,
        }),
        _ => Err(errors),
    }
}

/// Checks a registration the procurement officer records: the organisation's name (at
/// most 200 characters) and the number of attendees (1–50).
pub(crate) fn parse_registration(
    lang: vidare_domain::Lang,
    organisation_name: &str,
    attendees: &str,
) -> Result<(Text, u32), Errors> {
    let mut errors = Errors::default();
    let name = match Text::parse_max(organisation_name, 200) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add("organisation_name", e.message(lang));
            None
        }
    };
    let attendees = parse_count(lang, &mut errors, "attendees", attendees, 1, 50);
    match (name, attendees) {
        (Some(n), Some(a)) => Ok((n, a as u32)),
        _ => Err(errors),
    }
}

/// Checks a supplier's own registration: the attendees' names (one per line in the
/// portal's form, each at most 200 characters, 1–50 of them) and a contact address.
pub(crate) fn parse_supplier_registration(
    lang: vidare_domain::Lang,
    names: &[String],
    email: &str,
) -> Result<NewSupplierRegistration, Errors> {
    let mut errors = Errors::default();
    let mut parsed = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match Text::parse_max(n, 200) {
            Ok(t) => parsed.push(t),
            Err(e) => {
                errors.add("attendee_names", e.message(lang));
                break;
            }
        }
    }
    if errors.is_empty()
        && (parsed.is_empty() || parsed.len() > vidare_store::repo::tendering::MAX_ATTENDEES)
    {
        errors.add(
            "attendee_names",
            crate::i18n::t(lang, "proc.attendee_names_count"),
        );
    }
    let email = match Email::parse(email) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.add("email", e.message(lang));
            None
        }
    };
    match (email, errors.is_empty()) {
        (Some(email), true) => Ok(NewSupplierRegistration {
            attendee_names: parsed,
            email,
        }),
        _ => Err(errors),
    }
}

async fn add_meeting(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<MeetingForm>,
) -> Response {
    let round = RoundId(id);
    let new = match parse_meeting(ctx.lang, &f.starts_at, &f.place, &f.capacity, state.now()) {
        Ok(m) => m,
        Err(errors) => return invitations_page(&state, &ctx, round, errors, None).await,
    };
    let mut errors = Errors::default();
    let s = ctx.who().scoped(state.store());
    match s.insert_meeting(round, &new).await {
        Ok(_) => {
            Redirect::to(&format!("/upphandlingar/{round}/inbjudningar?klart=mote")).into_response()
        }
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => invitations_page(&state, &ctx, round, errors, None).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

#[derive(Deserialize)]
struct RegistrationForm {
    #[serde(default)]
    organisation_name: String,
    #[serde(default)]
    attendees: String,
}

async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, meeting)): Path<(i64, i64)>,
    Form(f): Form<RegistrationForm>,
) -> Response {
    let round = RoundId(id);
    let (name, attendees) = match parse_registration(ctx.lang, &f.organisation_name, &f.attendees) {
        Ok(x) => x,
        Err(errors) => return invitations_page(&state, &ctx, round, errors, None).await,
    };
    let mut errors = Errors::default();
    let s = ctx.who().scoped(state.store());
    match s
        .register_for_meeting(
            round,
            meeting,
            &name,
            attendees,
            stockholm_today(state.now()),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/upphandlingar/{round}/inbjudningar?klart=anmald"))
            .into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => invitations_page(&state, &ctx, round, errors, None).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

// ---- Questions -------------------------------------------------------------------------

struct QuestionRow {
    id: i64,
    asked_by: String,
    asked_at: String,
    question: String,
    answer: String,
    answered: bool,
}

#[derive(Template)]
#[template(path = "procurement/questions.html")]
struct Questions {
    page: Page,
    id: i64,
    nav: Vec<Link>,
    title: String,
    deadline: String,
    open: bool,
    rows: Vec<QuestionRow>,
    errors: Errors,
}

async fn questions_page(state: &AppState, ctx: &Ctx, round: RoundId, errors: Errors) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        Ok::<_, vidare_store::StoreError>((
            s.get_round(round).await?,
            s.questions_of_round(round).await?,
            s.list_organisations(StorePage::first(10_000)).await?,
        ))
    }
    .await;
    let (r, qs, orgs) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Questions {
        page: ctx.page("proc.questions_title"),
        id: round.get(),
        nav: round_nav(ctx, round.get()),
        title: r.title.to_string(),
        deadline: deadline_text(&r),
        open: r.status == RoundStatus::Published,
        rows: qs
            .into_iter()
            .map(|q| QuestionRow {
                id: q.id,
                asked_by: orgs
                    .iter()
                    .find(|o| o.id == q.organisation_id)
                    .map(|o| o.name.to_string())
                    .unwrap_or_default(),
                asked_at: q
                    .asked_at
                    .with_timezone(&chrono_tz::Europe::Stockholm)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                question: q.question,
                answered: q.answer.is_some(),
                answer: q.answer.unwrap_or_default(),
            })
            .collect(),
        errors,
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn questions(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    questions_page(&state, &ctx, RoundId(id), Errors::default()).await
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
}

async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, question)): Path<(i64, i64)>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let round = RoundId(id);
    let mut errors = Errors::default();
    let text = match Text::parse_max(&f.answer, 5000) {
        Ok(t) => t,
        Err(e) => {
            errors.add("answer", e.message(ctx.lang));
            return questions_page(&state, &ctx, round, errors).await;
        }
    };
    let s = ctx.who().scoped(state.store());
    match s.answer_question(round, question, &text, state.now()).await {
        Ok(()) => Redirect::to(&format!("/upphandlingar/{round}/fragor")).into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}
