//! After the tender deadline: qualification and evaluation of the tenders, the printable
//! evaluation report, the award decision with a letter to every tenderer, signing after
//! the standstill, and the framework agreements with the suppliers' eligibility follow-up.
//!
//! Before the deadline the store refuses to hand out the tenders (and logs the attempt);
//! these pages then say the tenders are sealed.

use askama::Template;
use axum::extract::{Path, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::calendar::DecisionDelivery;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::{BidId, CriterionId, LotId, RoundId};
use vidare_domain::model::procurement::{
    AbsenceRule, AwardCriterion, CriterionKind, RoundStatus, TestOutcome, QUALITY_GRADE_MAX,
};
use vidare_domain::model::Text;
use vidare_domain::{Lang, Localized};
use vidare_store::repo::tendering::{LotEvaluation, Tender};
use vidare_store::repo::Page as StorePage;
use vidare_store::StoreError;

use super::rounds::parse_date;
use super::{centi_text, deadline_text, download, permille_text, round_nav, Errors, Link};
use crate::pages::{render, Ctx, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get(
            "/upphandlingar/{id}/utvardering",
            access::PROCUREMENT,
            evaluation,
        ),
        RouteDef::get(
            "/upphandlingar/{id}/utvardering/rapport",
            access::PROCUREMENT,
            report,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/kvalificering/{bid}",
            access::PROCUREMENT,
            qualify,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/betyg/{bid}",
            access::PROCUREMENT,
            grade,
        ),
        RouteDef::get(
            "/upphandlingar/{id}/anbudsdokument/{document}",
            access::PROCUREMENT,
            bid_document,
        ),
        RouteDef::get(
            "/upphandlingar/{id}/tilldelning",
            access::PROCUREMENT,
            award,
        ),
        RouteDef::post(
            "/upphandlingar/{id}/tilldelning",
            access::PROCUREMENT,
            decide,
        ),
        RouteDef::get(
            "/upphandlingar/{id}/tilldelning/{bid}",
            access::PROCUREMENT,
            decision_letter,
        ),
        RouteDef::get("/upphandlingar/{id}/avtal", access::PROCUREMENT, agreements),
        RouteDef::post("/upphandlingar/{id}/avtal", access::PROCUREMENT, sign),
    ]
}

/// Purposes recorded with each read of sealed tenders.
const PURPOSE_EVALUATION: &str = "evaluation";
const PURPOSE_REPORT: &str = "evaluation_report";
const PURPOSE_DOCUMENT: &str = "tender_document";

// ---- Evaluation ------------------------------------------------------------------------

struct LotOffer {
    lot: String,
    price: String,
    capacity: u32,
    answer: String,
    lot_id: i64,
    grades: Vec<(i64, String, String)>,
}

struct TenderView {
    bid: i64,
    organisation: String,
    submitted_at: String,
    purpose: String,
    headcount: String,
    share: String,
    share_ok: bool,
    documents: Vec<(i64, String, String)>,
    offers: Vec<LotOffer>,
    qualification: String,
    purpose_test: String,
    share_test: String,
    /// The tests' outcomes in words, once qualified.
    outcomes: String,
    notes: String,
}

struct RankRow {
    rank: u32,
    organisation: String,
    price: String,
    capacity: u32,
    points: Vec<u32>,
    total: String,
}

struct LotRanking {
    title: String,
    incomplete: Option<String>,
    rows: Vec<RankRow>,
}

#[derive(Template)]
#[template(path = "procurement/evaluation.html")]
struct Evaluation {
    page: Page,
    id: i64,
    nav: Vec<Link>,
    title: String,
    sealed: Option<String>,
    closed: bool,
    criteria: Vec<(String, String, u32)>,
    tenders: Vec<TenderView>,
    rankings: Vec<LotRanking>,
    grade_scale: Vec<u32>,
    errors: Errors,
}

fn outcome_text(ctx: &Ctx, t: TestOutcome) -> &'static str {
    ctx.t(match t {
        TestOutcome::Pass => "proc.pass",
        TestOutcome::Fail => "proc.fail",
    })
}

fn criterion_rows(ctx: &Ctx, criteria: &[AwardCriterion]) -> Vec<(String, String, u32)> {
    criteria
        .iter()
        .map(|c| {
            (
                c.name.to_string(),
                ctx.t(match c.kind {
                    CriterionKind::Price => "proc.criterion_price",
                    CriterionKind::Quality => "proc.criterion_quality",
                })
                .to_string(),
                c.weight_percent,
            )
        })
        .collect()
}

fn tender_views(
    ctx: &Ctx,
    tenders: &[Tender],
    criteria: &[AwardCriterion],
    lots: &[LotEvaluation],
    scores: &[(BidId, LotId, CriterionId, u32)],
) -> Vec<TenderView> {
    tenders
        .iter()
        .map(|t| {
            let d = t.bid.declaration.as_ref();
            let q = t.qualification.as_ref();
            TenderView {
                bid: t.bid.id.get(),
                organisation: t.organisation_name.clone(),
                submitted_at: t
                    .bid
                    .submitted_at
                    .map(|s| {
                        s.with_timezone(&chrono_tz::Europe::Stockholm)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default(),
                purpose: d
                    .map(|d| d.purpose_statement.to_string())
                    .unwrap_or_default(),
                headcount: d
                    .map(|d| {
                        format!(
                            "{} / {}",
                            d.headcount.from_target_groups(),
                            d.headcount.total()
                        )
                    })
                    .unwrap_or_default(),
                share: d
                    .map(|d| permille_text(d.headcount.share_permille()))
                    .unwrap_or_default(),
                share_ok: d.is_some_and(|d| d.headcount.meets_share_test()),
                documents: t
                    .documents
                    .iter()
                    .map(|(k, m)| {
                        (
                            m.id,
                            match ctx.lang {
                                Lang::Sv => k.name_sv(),
                                Lang::En => k.name_en(),
                            }
                            .to_string(),
                            m.filename.clone(),
                        )
                    })
                    .collect(),
                offers: t
                    .lots
                    .iter()
                    .map(|bl| LotOffer {
                        lot: lots
                            .iter()
                            .find(|l| l.lot.id == bl.lot_id)
                            .map(|l| format!("{}. {}", l.lot.number, l.lot.title))
                            .unwrap_or_default(),
                        lot_id: bl.lot_id.get(),
                        price: bl.price_per_month.format_sv(),
                        capacity: bl.capacity,
                        answer: bl
                            .quality_answer
                            .as_ref()
                            .map(|a| a.to_string())
                            .unwrap_or_default(),
                        grades: criteria
                            .iter()
                            .filter(|c| c.kind == CriterionKind::Quality)
                            .map(|c| {
                                let current = scores
                                    .iter()
                                    .find(|s| s.0 == t.bid.id && s.1 == bl.lot_id && s.2 == c.id)
                                    .map(|s| (s.3 * QUALITY_GRADE_MAX / 100).to_string())
                                    .unwrap_or_default();
                                (c.id.get(), c.name.to_string(), current)
                            })
                            .collect(),
                    })
                    .collect(),
                qualification: match q {
                    None => ctx.t("proc.not_qualified_yet").to_string(),
                    Some(q) if q.qualified() => ctx.t("proc.qualified").to_string(),
                    Some(_) => ctx.t("proc.disqualified").to_string(),
                },
                purpose_test: q
                    .map(|q| q.purpose_test.as_str().to_string())
                    .unwrap_or_default(),
                share_test: q
                    .map(|q| q.share_test.as_str().to_string())
                    .unwrap_or_else(|| {
                        if d.is_some_and(|d| d.headcount.meets_share_test()) {
                            "pass"
                        } else {
                            "fail"
                        }
                        .to_string()
                    }),
                outcomes: q
                    .map(|q| {
                        format!(
                            "{} / {}",
                            outcome_text(ctx, q.purpose_test),
                            outcome_text(ctx, q.share_test)
                        )
                    })
                    .unwrap_or_else(|| "–".into()),
                notes: q.and_then(|q| q.notes.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

fn rankings(ctx: &Ctx, lots: &[LotEvaluation]) -> Vec<LotRanking> {
    lots.iter()
        .map(|l| LotRanking {
            title: format!("{} {}. {}", ctx.t("proc.lot"), l.lot.number, l.lot.title),
            incomplete: l.incomplete.clone(),
            rows: l
                .ranking
                .iter()
                .map(|r| RankRow {
                    rank: r.rank,
                    organisation: r.organisation_name.clone(),
                    price: r.price_per_month.format_sv(),
                    capacity: r.capacity,
                    points: r.points.iter().map(|(_, p)| *p).collect(),
                    total: centi_text(r.total_centi),
                })
                .collect(),
        })
        .collect()
}

/// The stored grades of a round's offers, as `(bid, lot, criterion, points)`.
async fn quality_scores(
    state: &AppState,
    ctx: &Ctx,
    round: RoundId,
    criteria: &[AwardCriterion],
) -> Result<Vec<(BidId, LotId, CriterionId, u32)>, StoreError> {
    let s = ctx.who().scoped(state.store());
    Ok(s.scores_of_round(round)
        .await?
        .into_iter()
        .filter(|x| {
            criteria
                .iter()
                .any(|c| c.id.get() == x.2 && c.kind == CriterionKind::Quality)
        })
        .map(|x| (BidId(x.0), LotId(x.1), CriterionId(x.2), x.3 as u32))
        .collect())
}

async fn evaluation_page(state: &AppState, ctx: &Ctx, id: RoundId, errors: Errors) -> Response {
    let s = ctx.who().scoped(state.store());
    let r = match s.get_round(id).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let now = state.now();
    let base = |sealed: Option<String>| Evaluation {
        page: ctx.page("proc.evaluation_title"),
        id: id.get(),
        nav: round_nav(ctx, id.get()),
        title: r.title.to_string(),
        sealed,
        closed: r.status != RoundStatus::Evaluation && r.status != RoundStatus::Published,
        criteria: Vec::new(),
        tenders: Vec::new(),
        rankings: Vec::new(),
        grade_scale: (0..=QUALITY_GRADE_MAX).collect(),
        errors: errors.clone(),
    };
    if r.status == RoundStatus::Published {
        if let Err(e) = s.open_tenders(id, now).await {
            return match e {
                StoreError::Rule(v) => {
                    let count = s.count_submitted_tenders(id).await.unwrap_or(0);
                    let msg = format!(
                        "{} {}: {count}.",
                        v.message(ctx.lang),
                        ctx.t("proc.submitted_count")
                    );
                    render(&base(Some(msg)), ctx.lang)
                }
                e => ctx.store_error(e).into_response(),
            };
        }
    }
    match s.evaluation(id, now, PURPOSE_EVALUATION).await {
        Ok((tenders, criteria, lots)) => {
            let scores = match quality_scores(state, ctx, id, &criteria).await {
                Ok(s) => s,
                Err(e) => return ctx.store_error(e).into_response(),
            };
            let mut page = base(None);
            page.closed = r.status != RoundStatus::Evaluation && r.status != RoundStatus::Published;
            page.criteria = criterion_rows(ctx, &criteria);
            page.tenders = tender_views(ctx, &tenders, &criteria, &lots, &scores);
            page.rankings = rankings(ctx, &lots);
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, render(&page, ctx.lang)).into_response()
        }
        Err(StoreError::Rule(v)) => render(&base(Some(v.message(ctx.lang))), ctx.lang),
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn evaluation(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    evaluation_page(&state, &ctx, RoundId(id), Errors::default()).await
}

#[derive(Deserialize)]
struct QualifyForm {
    #[serde(default)]
    purpose_test: String,
    #[serde(default)]
    share_test: String,
    #[serde(default)]
    notes: String,
}

async fn qualify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, bid)): Path<(i64, i64)>,
    Form(f): Form<QualifyForm>,
) -> Response {
    let round = RoundId(id);
    let mut errors = Errors::default();
    let purpose = TestOutcome::parse(f.purpose_test.trim()).ok();
    if purpose.is_none() {
        errors.add("purpose_test", ctx.t("proc.pick_outcome"));
    }
    let share = TestOutcome::parse(f.share_test.trim()).ok();
    if share.is_none() {
        errors.add("share_test", ctx.t("proc.pick_outcome"));
    }
    let notes = if f.notes.trim().is_empty() {
        None
    } else {
        Text::parse_max(&f.notes, 2000).ok()
    };
    let (Some(purpose), Some(share)) = (purpose, share) else {
        return evaluation_page(&state, &ctx, round, errors).await;
    };
    let s = ctx.who().scoped(state.store());
    match s
        .qualify(
            round,
            BidId(bid),
            purpose,
            share,
            notes.as_ref(),
            state.now(),
        )
        .await
    {
        Ok(()) => {
            Redirect::to(&format!("/upphandlingar/{round}/utvardering#anbud-{bid}")).into_response()
        }
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => evaluation_page(&state, &ctx, round, errors).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

async fn grade(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, bid)): Path<(i64, i64)>,
    RawForm(body): RawForm,
) -> Response {
    let round = RoundId(id);
    let mut errors = Errors::default();
    // Fields `grade-LOT-CRITERION` = 0–5; every value is checked before anything is saved.
    let mut grades = Vec::new();
    for (k, v) in form_urlencoded::parse(&body) {
        let Some(rest) = k.strip_prefix("grade-") else {
            continue;
        };
        let Some((lot, criterion)) = rest.split_once('-') else {
            continue;
        };
        let (Ok(lot), Ok(criterion)) = (lot.parse::<i64>(), criterion.parse::<i64>()) else {
            continue;
        };
        if v.trim().is_empty() {
            continue;
        }
        match v.trim().parse::<u32>() {
            Ok(g) if g <= QUALITY_GRADE_MAX => grades.push((LotId(lot), CriterionId(criterion), g)),
            _ => errors.add("grade", ctx.t("proc.grade_range")),
        }
    }
    if grades.is_empty() && errors.is_empty() {
        errors.add("grade", ctx.t("proc.grade_range"));
    }
    if !errors.is_empty() {
        return evaluation_page(&state, &ctx, round, errors).await;
    }
    let s = ctx.who().scoped(state.store());
    for (lot, criterion, g) in grades {
        if let Err(e) = s
            .grade(round, BidId(bid), lot, criterion, g, state.now())
            .await
        {
            return match errors.store(&ctx, e) {
                Ok(()) => evaluation_page(&state, &ctx, round, errors).await,
                Err(e) => ctx.store_error(e).into_response(),
            };
        }
    }
    Redirect::to(&format!("/upphandlingar/{round}/utvardering#anbud-{bid}")).into_response()
}

async fn bid_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(i64, i64)>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    match s
        .bid_document(RoundId(id), doc, None, state.now(), PURPOSE_DOCUMENT)
        .await
    {
        Ok((name, mime, content)) => download(&name, &mime, content),
        Err(StoreError::Rule(_)) => {
            (StatusCode::LOCKED, ctx.t("proc.sealed_short")).into_response()
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "procurement/report.html")]
struct Report {
    page: Page,
    id: i64,
    title: String,
    tenant: String,
    deadline: String,
    criteria: Vec<(String, String, u32)>,
    tenders: Vec<TenderView>,
    rankings: Vec<LotRanking>,
    sealed: Option<String>,
}

async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let round = RoundId(id);
    let s = ctx.who().scoped(state.store());
    let r = match s.get_round(round).await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut page = Report {
        page: ctx.page("proc.report_title"),
        id,
        title: r.title.to_string(),
        tenant: ctx.who().tenant.name.to_string(),
        deadline: deadline_text(&r),
        criteria: Vec::new(),
        tenders: Vec::new(),
        rankings: Vec::new(),
        sealed: None,
    };
    match s.evaluation(round, state.now(), PURPOSE_REPORT).await {
        Ok((tenders, criteria, lots)) => {
            let scores = match quality_scores(&state, &ctx, round, &criteria).await {
                Ok(s) => s,
                Err(e) => return ctx.store_error(e).into_response(),
            };
            page.criteria = criterion_rows(&ctx, &criteria);
            page.tenders = tender_views(&ctx, &tenders, &criteria, &lots, &scores);
            page.rankings = rankings(&ctx, &lots);
        }
        Err(StoreError::Rule(v)) => page.sealed = Some(v.message(ctx.lang)),
        Err(e) => return ctx.store_error(e).into_response(),
    }
    render(&page, ctx.lang)
}

// ---- Award -----------------------------------------------------------------------------

struct ResultRow {
    lot: String,
    organisation: String,
    rank: String,
    total: String,
    outcome: &'static str,
    price: String,
    capacity: u32,
}

#[derive(Template)]
#[template(path = "procurement/award.html")]
struct Award {
    page: Page,
    id: i64,
    nav: Vec<Link>,
    title: String,
    decided: bool,
    decided_on: String,
    sent_on: String,
    delivery: String,
    standstill_end: String,
    earliest_signing: String,
    can_sign: bool,
    signed: bool,
    results: Vec<ResultRow>,
    tenderers: Vec<(i64, String)>,
    form: DecideForm,
    sign_form: SignForm,
    absence_rules: Vec<(&'static str, &'static str)>,
    errors: Errors,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct DecideForm {
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    sent_on: String,
    #[serde(default)]
    delivery: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct SignForm {
    #[serde(default)]
    signed_on: String,
    #[serde(default)]
    absence_rule: String,
}

fn absence_name(ctx: &Ctx, a: AbsenceRule) -> &'static str {
    ctx.t(match a {
        AbsenceRule::PayFullMonth => "proc.absence_pay_full_month",
        AbsenceRule::DeductUnexcused => "proc.absence_deduct_unexcused",
        AbsenceRule::DeductAllAbsence => "proc.absence_deduct_all",
    })
}

async fn award_page(
    state: &AppState,
    ctx: &Ctx,
    id: RoundId,
    form: Option<DecideForm>,
    sign_form: Option<SignForm>,
    errors: Errors,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let result = async {
        Ok::<_, StoreError>((
            s.get_round(id).await?,
            s.award_of_round(id).await?,
            s.lots_of_round(id).await?,
        ))
    }
    .await;
    let (r, award, lots) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let today = stockholm_today(state.now());
    let form = form.unwrap_or_else(|| DecideForm {
        decided_on: today.to_string(),
        sent_on: today.to_string(),
        delivery: "electronic".into(),
    });
    let sign_form = sign_form.unwrap_or_else(|| SignForm {
        signed_on: today.to_string(),
        absence_rule: AbsenceRule::DeductUnexcused.as_str().into(),
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = Award {
        page: ctx.page("proc.award_title"),
        id: id.get(),
        nav: round_nav(ctx, id.get()),
        title: r.title.to_string(),
        decided: award.is_some(),
        decided_on: String::new(),
        sent_on: String::new(),
        delivery: String::new(),
        standstill_end: String::new(),
        earliest_signing: String::new(),
        can_sign: false,
        signed: r.status == RoundStatus::Contracted,
        results: Vec::new(),
        tenderers: Vec::new(),
        form,
        sign_form,
        absence_rules: AbsenceRule::ALL
            .iter()
            .map(|a| (a.as_str(), absence_name(ctx, *a)))
            .collect(),
        errors,
    };
    if let Some((d, results)) = award {
        page.decided_on = d.decided_on.to_string();
        page.sent_on = d.sent_on.to_string();
        page.delivery = ctx
            .t(match d.delivery {
                DecisionDelivery::Electronic => "proc.delivery_electronic",
                DecisionDelivery::Other => "proc.delivery_other",
            })
            .to_string();
        page.standstill_end = d.standstill_end().to_string();
        page.earliest_signing = d.earliest_signing().to_string();
        page.can_sign = today >= d.earliest_signing() && r.status == RoundStatus::Awarded;
        for a in &results {
            if !page.tenderers.iter().any(|(b, _)| *b == a.bid_id.get()) {
                page.tenderers
                    .push((a.bid_id.get(), a.organisation_name.clone()));
            }
        }
        page.results = results
            .iter()
            .map(|a| ResultRow {
                lot: lots
                    .iter()
                    .find(|l| l.id == a.lot_id)
                    .map(|l| format!("{}. {}", l.number, l.title))
                    .unwrap_or_default(),
                organisation: a.organisation_name.clone(),
                rank: a.rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
                total: a.total_centi.map(centi_text).unwrap_or_else(|| "–".into()),
                outcome: ctx.t(if a.awarded {
                    "proc.awarded"
                } else {
                    "proc.not_awarded_unqualified"
                }),
                price: a.price_per_month.format_sv(),
                capacity: a.capacity,
            })
            .collect();
    }
    (status, render(&page, ctx.lang)).into_response()
}

async fn award(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    award_page(&state, &ctx, RoundId(id), None, None, Errors::default()).await
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Response {
    let round = RoundId(id);
    let mut errors = Errors::default();
    let decided_on = parse_date(ctx.lang, &mut errors, "decided_on", &f.decided_on);
    let sent_on = parse_date(ctx.lang, &mut errors, "sent_on", &f.sent_on);
    let delivery = match f.delivery.as_str() {
        "electronic" => Some(DecisionDelivery::Electronic),
        "other" => Some(DecisionDelivery::Other),
        _ => {
            errors.add("delivery", ctx.t("proc.pick_delivery"));
            None
        }
    };
    let (Some(decided_on), Some(sent_on), Some(delivery)) = (decided_on, sent_on, delivery) else {
        return award_page(&state, &ctx, round, Some(f), None, errors).await;
    };
    let s = ctx.who().scoped(state.store());
    match s
        .decide_award(round, decided_on, sent_on, delivery, state.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/upphandlingar/{round}/tilldelning")).into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => award_page(&state, &ctx, round, Some(f), None, errors).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

#[derive(Template)]
#[template(path = "procurement/decision_letter.html")]
pub(super) struct DecisionLetter {
    pub page: Page,
    pub back: String,
    pub tenant: String,
    pub round_title: String,
    pub organisation: String,
    pub decided_on: String,
    pub sent_on: String,
    pub standstill_end: String,
    pub earliest_signing: String,
    pub own: Vec<ResultLine>,
    pub winners: Vec<ResultLine>,
}

/// One line of a decision letter.
pub(super) struct ResultLine {
    pub lot: String,
    pub organisation: String,
    pub outcome: &'static str,
    pub rank: String,
    pub total: String,
    pub price: String,
}

/// The decision letter to the tenderer `bid`, or `None` if it did not tender.
pub(super) async fn letter_for(
    state: &AppState,
    ctx: &Ctx,
    round: RoundId,
    bid: BidId,
    back: String,
) -> Result<Option<DecisionLetter>, StoreError> {
    let s = ctx.who().scoped(state.store());
    let r = s.get_round(round).await?;
    let Some((d, results)) = s.award_of_round(round).await? else {
        return Ok(None);
    };
    let lots = s.lots_of_round(round).await?;
    let Some(org) = results
        .iter()
        .find(|a| a.bid_id == bid)
        .map(|a| a.organisation_name.clone())
    else {
        return Ok(None);
    };
    let lot_name = |id| {
        lots.iter()
            .find(|l| l.id == id)
            .map(|l| format!("{}. {}", l.number, l.title))
            .unwrap_or_default()
    };
    let line = |a: &vidare_store::repo::tendering::AwardResult| ResultLine {
        lot: lot_name(a.lot_id),
        organisation: a.organisation_name.clone(),
        outcome: ctx.t(if a.awarded {
            "proc.awarded"
        } else {
            "proc.not_awarded_unqualified"
        }),
        rank: a.rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
        total: a.total_centi.map(centi_text).unwrap_or_else(|| "–".into()),
        price: a.price_per_month.format_sv(),
    };
    let own_lots: Vec<LotId> = results
        .iter()
        .filter(|a| a.bid_id == bid)
        .map(|a| a.lot_id)
        .collect();
    Ok(Some(DecisionLetter {
        page: ctx.page("proc.decision_letter_title"),
        back,
        tenant: ctx.who().tenant.name.to_string(),
        round_title: r.title.to_string(),
        organisation: org,
        decided_on: d.decided_on.to_string(),
        sent_on: d.sent_on.to_string(),
        standstill_end: d.standstill_end().to_string(),
        earliest_signing: d.earliest_signing().to_string(),
        own: results
            .iter()
            .filter(|a| a.bid_id == bid)
            .map(line)
            .collect(),
        winners: results
            .iter()
            .filter(|a| a.awarded && own_lots.contains(&a.lot_id))
            .map(line)
            .collect(),
    }))
}

async fn decision_letter(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, bid)): Path<(i64, i64)>,
) -> Response {
    match letter_for(
        &state,
        &ctx,
        RoundId(id),
        BidId(bid),
        format!("/upphandlingar/{id}/tilldelning"),
    )
    .await
    {
        Ok(Some(l)) => render(&l, ctx.lang),
        Ok(None) => ctx.not_found().into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn sign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<SignForm>,
) -> Response {
    let round = RoundId(id);
    let mut errors = Errors::default();
    let signed_on = parse_date(ctx.lang, &mut errors, "signed_on", &f.signed_on);
    let rule = AbsenceRule::parse(f.absence_rule.trim()).ok();
    if rule.is_none() {
        errors.add("absence_rule", ctx.t("proc.pick_absence_rule"));
    }
    let (Some(signed_on), Some(rule)) = (signed_on, rule) else {
        return award_page(&state, &ctx, round, None, Some(f), errors).await;
    };
    let s = ctx.who().scoped(state.store());
    match s.sign_agreements(round, signed_on, rule, state.now()).await {
        Ok(_) => Redirect::to(&format!("/upphandlingar/{round}/avtal")).into_response(),
        Err(e) => match errors.store(&ctx, e) {
            Ok(()) => award_page(&state, &ctx, round, None, Some(f), errors).await,
            Err(e) => ctx.store_error(e).into_response(),
        },
    }
}

// ---- Agreements and follow-up ----------------------------------------------------------

struct AgreementRow {
    organisation: String,
    lot: String,
    rank: String,
    capacity: u32,
    price: String,
    period: String,
    signed_on: String,
    declared_on: String,
    share: String,
    flagged: bool,
}

#[derive(Template)]
#[template(path = "procurement/agreements.html")]
struct Agreements {
    page: Page,
    nav: Vec<Link>,
    title: String,
    rows: Vec<AgreementRow>,
    flagged: usize,
}

async fn agreements(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let round = RoundId(id);
    let s = ctx.who().scoped(state.store());
    let result = async {
        Ok::<_, StoreError>((
            s.get_round(round).await?,
            s.agreements_of_round(round).await?,
            s.lots_of_round(round).await?,
            s.latest_declarations().await?,
            s.list_organisations(StorePage::first(10_000)).await?,
        ))
    }
    .await;
    let (r, agreements, lots, declarations, orgs) = match result {
        Ok(x) => x,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let rows: Vec<AgreementRow> = agreements
        .iter()
        .map(|a| {
            let decl = declarations
                .iter()
                .find(|d| d.organisation_id == a.organisation_id);
            // The newest declaration counts; without one, the organisation's registered
            // headcount (the tender's declaration) stands.
            let org = orgs.iter().find(|o| o.id == a.organisation_id);
            let headcount = decl
                .map(|d| d.headcount)
                .or_else(|| org.and_then(|o| o.headcount));
            AgreementRow {
                organisation: org.map(|o| o.name.to_string()).unwrap_or_default(),
                lot: a
                    .lot_id
                    .and_then(|l| lots.iter().find(|x| x.id == l))
                    .map(|l| format!("{}. {}", l.number, l.title))
                    .unwrap_or_default(),
                rank: a.rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
                capacity: a.capacity,
                price: a.price_per_month.format_sv(),
                period: format!(
                    "{} – {}",
                    a.period.start(),
                    a.period.end().map(|d| d.to_string()).unwrap_or_default()
                ),
                signed_on: a.signed_on.map(|d| d.to_string()).unwrap_or_default(),
                declared_on: decl
                    .map(|d| d.declared_on.to_string())
                    .unwrap_or_else(|| ctx.t("proc.no_declaration").to_string()),
                share: headcount
                    .map(|h| permille_text(h.share_permille()))
                    .unwrap_or_else(|| "–".into()),
                flagged: headcount.is_none_or(|h| !h.meets_share_test()),
            }
        })
        .collect();
    let flagged = rows.iter().filter(|r| r.flagged).count();
    render(
        &Agreements {
            page: ctx.page("proc.agreements_title"),
            nav: round_nav(&ctx, id),
            title: r.title.to_string(),
            rows,
            flagged,
        },
        ctx.lang,
    )
}
