//! The effects area: dashboards per role (management: the headline figures;
//! coordinators and evaluators: also by supplier and placement type; the public:
//! aggregates only, small cells suppressed), the final report (view and download) and
//! the versioned parameter sets of the socio-economic calculation. Routes are added to
//! [`routes`]; the permission table in `tests/permissions/effects.rs` lists each of them.

pub mod analysis;
pub mod charts;
pub mod figures;
pub mod report;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Stockholm;
use serde::Deserialize;
use vidare_domain::model::tenant::RoleKind;
use vidare_domain::{Lang, Localized};
use vidare_effects::socioeconomic::{ParameterSet, SPECS};
use vidare_store::repo::effects::{NewParameterSet, StoredParameterSet};
use vidare_store::StoreError;

use self::analysis::{analyse, AnalysisError};
use self::figures::{figures, DashboardFigures, Share, SMALL_CELL};
use self::report::{kr, num, pct};
use super::{render, Ctx, Page};
use crate::routes::{access, Access, RouteDef};
use crate::AppState;

/// Every page route of this area.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/effekter", access::EFFECTS, dashboard),
        RouteDef::get("/effekter/rapport", access::EFFECTS, report_page),
        RouteDef::get(
            "/effekter/rapport/ladda-ner",
            access::EFFECTS,
            report_download,
        ),
        RouteDef::get("/effekter/rapport/pdf", access::EFFECTS, report_pdf),
        RouteDef::get("/effekter/parametrar", access::EFFECTS, parameter_sets),
        RouteDef::get(
            "/effekter/parametrar/ny",
            access::EFFECTS_PARAMETERS,
            new_parameter_set,
        ),
        RouteDef::post(
            "/effekter/parametrar",
            access::EFFECTS_PARAMETERS,
            create_parameter_set,
        ),
        RouteDef::get("/effekter/parametrar/{id}", access::EFFECTS, parameter_set),
        RouteDef::get("/effekter/offentlig", Access::Public, public),
    ]
}

/// `?omgang=ID`: the round; absent or empty means every round.
#[derive(Debug, Deserialize)]
pub struct RoundQuery {
    omgang: Option<String>,
}

impl RoundQuery {
    fn round(&self) -> Result<Option<i64>, ()> {
        match self.omgang.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| ()),
        }
    }
}

/// One headline figure.
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub detail: String,
}

/// One row of the by-supplier or by-type table.
pub struct RowView {
    pub name: String,
    pub placements: String,
    pub share: String,
    pub interval: String,
    pub cost: String,
}

fn share_text(lang: Lang, s: &Share) -> (String, String) {
    match &s.reason {
        None => (
            pct(lang, s.share),
            format!(
                "{}–{} ({}/{})",
                pct(lang, s.lower),
                pct(lang, s.upper),
                s.k,
                s.n
            ),
        ),
        Some((sv, en)) => (
            "–".into(),
            match lang {
                Lang::Sv => sv.clone(),
                Lang::En => en.clone(),
            },
        ),
    }
}

fn rows(lang: Lang, rows: &[figures::Row]) -> Vec<RowView> {
    rows.iter()
        .map(|r| {
            let (share, interval) = share_text(lang, &r.work_or_studies);
            RowView {
                name: r.name.clone(),
                placements: r.placements.to_string(),
                share,
                interval,
                cost: r.cost_per_exit_kr.map(kr).unwrap_or_else(|| "–".into()),
            }
        })
        .collect()
}

fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn cards(ctx: &Ctx, f: &DashboardFigures) -> Vec<Card> {
    let lang = ctx.lang;
    let (after, after_ci) = share_text(lang, &f.work_or_studies_after);
    let (before, before_ci) = share_text(lang, &f.work_or_studies_before);
    let (emp, emp_ci) = share_text(lang, &f.employed_12_after);
    let interval = |i: &Option<figures::Interval>, pp: bool| match i {
        Some(i) if pp => (
            format!("{} {}", num(lang, i.value * 100.0, 1), ctx.t("effects.pp")),
            format!(
                "{} {}–{}",
                ctx.t("effects.ci95"),
                num(lang, i.lower * 100.0, 1),
                num(lang, i.upper * 100.0, 1)
            ),
        ),
        Some(i) => (
            pct(lang, i.value),
            format!(
                "{} {}–{}",
                ctx.t("effects.ci95"),
                pct(lang, i.lower),
                pct(lang, i.upper)
            ),
        ),
        None => ("–".into(), ctx.t("effects.too_little_data").to_string()),
    };
    let (att, mut att_detail) = interval(&f.att, true);
    if let Some((sv, en)) = &f.att_reason {
        att_detail = match lang {
            Lang::Sv => sv.clone(),
            Lang::En => en.clone(),
        };
    }
    let (began, began_ci) = interval(&f.began_365_after, false);
    let opt = |v: Option<f64>, render: &dyn Fn(f64) -> String| {
        v.map(render).unwrap_or_else(|| "–".into())
    };
    vec![
        Card {
            label: ctx.t("effects.card_share_after"),
            value: after,
            detail: after_ci,
        },
        Card {
            label: ctx.t("effects.card_share_before"),
            value: before,
            detail: before_ci,
        },
        Card {
            label: ctx.t("effects.card_att"),
            value: att,
            detail: att_detail,
        },
        Card {
            label: ctx.t("effects.card_began_365"),
            value: began,
            detail: began_ci,
        },
        Card {
            label: ctx.t("effects.card_employed_12"),
            value: emp,
            detail: emp_ci,
        },
        Card {
            label: ctx.t("effects.card_cost_per_exit"),
            value: opt(f.cost_per_exit_after_kr, &kr),
            detail: format!("{} {}", ctx.t("effects.total"), kr(f.cost_total_after_kr)),
        },
        Card {
            label: ctx.t("effects.card_effective_types"),
            value: format!(
                "{} → {}",
                opt(f.effective_types_before, &|v| num(lang, v, 1)),
                opt(f.effective_types_after, &|v| num(lang, v, 1))
            ),
            detail: format!(
                "{} {} → {}",
                ctx.t("effects.types_used"),
                f.types_used_before,
                f.types_used_after
            ),
        },
        Card {
            label: ctx.t("effects.card_cv"),
            value: format!(
                "{} → {}",
                opt(f.median_cv_before, &|v| num(lang, v, 2)),
                opt(f.median_cv_after, &|v| num(lang, v, 2))
            ),
            detail: ctx.t("effects.cv_detail").to_string(),
        },
        Card {
            label: ctx.t("effects.card_net_5y"),
            value: opt(f.net_5y_kr, &kr),
            detail: format!(
                "{} {}",
                ctx.t("effects.payback"),
                match f.payback_months {
                    Some(m) => format!("{m} {}", ctx.t("effects.months")),
                    None => ctx.t("effects.not_within_5y").to_string(),
                }
            ),
        },
        Card {
            label: ctx.t("effects.card_sroi"),
            value: opt(f.sroi, &|v| num(lang, v, 2)),
            detail: f.parameter_set.clone(),
        },
    ]
}

#[derive(Template)]
#[template(path = "effects/dashboard.html")]
struct Dashboard {
    page: Page,
    cards: Vec<Card>,
    detailed: bool,
    by_supplier: Vec<RowView>,
    by_type: Vec<RowView>,
    rounds: Vec<(String, String, bool)>,
    round: String,
    computed_at: String,
    /// Newer figures are being computed in the background.
    updating: bool,
    as_of: String,
    municipality: String,
    round_title: String,
}

fn analysis_error(ctx: &Ctx, e: AnalysisError) -> Response {
    match e {
        AnalysisError::Store(e) => ctx.store_error(e).into_response(),
        AnalysisError::UnknownRound(_) => ctx.not_found().into_response(),
    }
}

async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RoundQuery>,
) -> Response {
    let Ok(round) = q.round() else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let fresh = match figures(&s, round).await {
        Ok(f) => f,
        Err(e) => return analysis_error(&ctx, e),
    };
    let f = &fresh.figures;
    // Management sees the headline figures; coordinators, administrators and
    // evaluators also the tables by supplier and type.
    let detailed = ctx.who().role.kind() != RoleKind::Management;
    let body = Dashboard {
        page: ctx.page("effects.title"),
        cards: cards(&ctx, f),
        detailed,
        by_supplier: rows(ctx.lang, &f.by_supplier),
        by_type: rows(ctx.lang, &f.by_type),
        rounds: f
            .rounds
            .iter()
            .map(|(id, title)| (id.to_string(), title.clone(), Some(*id) == round))
            .collect(),
        round: round.map(|r| r.to_string()).unwrap_or_default(),
        computed_at: local_time(fresh.computed_at),
        updating: fresh.updating,
        as_of: f.as_of.clone(),
        municipality: f.municipality.clone(),
        round_title: f
            .round_title
            .clone()
            .unwrap_or_else(|| ctx.t("effects.all_rounds").to_string()),
    };
    render(&body, ctx.lang)
}

async fn report_html(
    state: &AppState,
    ctx: &Ctx,
    q: &RoundQuery,
) -> Result<(String, Option<i64>), Response> {
    let Ok(round) = q.round() else {
        return Err(ctx.not_found().into_response());
    };
    let tenant = ctx.who().tenant.id;
    let a = analyse(state.store(), Some(tenant), round)
        .await
        .map_err(|e| analysis_error(ctx, e))?;
    Ok((a.report_html(ctx.lang), round))
}

/// The report as a page of its own (a complete document: it is also what is printed).
async fn report_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RoundQuery>,
) -> Response {
    match report_html(&state, &ctx, &q).await {
        Ok((html, _)) => Html(html).into_response(),
        Err(r) => r,
    }
}

/// The report as a file.
#[derive(Template)]
#[template(path = "effects/pdf_unavailable.html")]
struct PdfUnavailable {
    page: Page,
    round: String,
}

/// The final report as PDF, printed by headless Chromium on the server from the same
/// HTML as the page; 503 with a way on (the HTML download) when it cannot be printed.
async fn report_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RoundQuery>,
) -> Response {
    let (html, round) = match report_html(&state, &ctx, &q).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let printed = match crate::pdf::find_chromium(None) {
        Ok(chromium) => {
            tokio::task::spawn_blocking(move || crate::pdf::print_pdf(&chromium, &html))
                .await
                .unwrap_or_else(|e| Err(crate::pdf::PdfError::Io(std::io::Error::other(e))))
        }
        Err(e) => Err(e),
    };
    match printed {
        Ok(pdf) => report_attachment(round, "pdf", "application/pdf", pdf),
        Err(e) => {
            tracing::error!(error = %e, "printing the effect report");
            let mut r = render(
                &PdfUnavailable {
                    page: ctx.page("effects.pdf_unavailable_title"),
                    round: round.map(|r| r.to_string()).unwrap_or_default(),
                },
                ctx.lang,
            );
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        }
    }
}

async fn report_download(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RoundQuery>,
) -> Response {
    match report_html(&state, &ctx, &q).await {
        Ok((html, round)) => report_attachment(round, "html", "text/html; charset=utf-8", html),
        Err(r) => r,
    }
}

/// The report as a file to save: `effektrapport[-omgang-ID].EXT`.
fn report_attachment(
    round: Option<i64>,
    ext: &str,
    content_type: &str,
    body: impl Into<axum::body::Body>,
) -> Response {
    let name = match round {
        Some(r) => format!("effektrapport-omgang-{r}.{ext}"),
        None => format!("effektrapport.{ext}"),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// One parameter as shown.
pub struct ParamView {
    pub key: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub value: String,
    pub source: String,
    pub error: Option<String>,
}

/// One stored version as listed.
pub struct VersionView {
    pub href: Option<String>,
    pub name: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: String,
    pub current: bool,
}

fn param_views(lang: Lang, set: &StoredParameterSet) -> Vec<ParamView> {
    SPECS
        .iter()
        .map(|s| ParamView {
            key: s.key,
            name: match lang {
                Lang::Sv => s.name_sv,
                Lang::En => s.name_en,
            },
            unit: s.unit,
            value: format_value(lang, set.parameters.get(s.key).unwrap_or_default()),
            source: set.sources.get(s.key).cloned().unwrap_or_default(),
            error: None,
        })
        .collect()
}

fn format_value(lang: Lang, v: f64) -> String {
    let s = format!("{v}");
    match lang {
        Lang::Sv => s.replace('.', ","),
        Lang::En => s,
    }
}

#[derive(Template)]
#[template(path = "effects/parameters.html")]
struct ParameterSets {
    page: Page,
    current: String,
    params: Vec<ParamView>,
    versions: Vec<VersionView>,
    can_edit: bool,
}

async fn parameter_sets(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = ctx.who().scoped(state.store());
    let sets = match s.parameter_sets().await {
        Ok(v) => v,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let current = sets
        .first()
        .cloned()
        .unwrap_or_else(StoredParameterSet::builtin);
    let versions = sets
        .iter()
        .enumerate()
        .map(|(i, v)| VersionView {
            href: v.id.map(|id| format!("/effekter/parametrar/{id}")),
            name: v.name.clone(),
            version: v.version,
            created_by: v.created_by.clone(),
            created_at: v.created_at.map(local_time).unwrap_or_default(),
            current: i == 0,
        })
        .collect();
    render(
        &ParameterSets {
            page: ctx.page("effects.parameters_title"),
            current: format!("{} v{}", current.name, current.version),
            params: param_views(ctx.lang, &current),
            versions,
            can_edit: access::EFFECTS_PARAMETERS.allows(ctx.principal.as_ref()),
        },
        ctx.lang,
    )
}

#[derive(Template)]
#[template(path = "effects/parameter_set.html")]
struct ParameterSetPage {
    page: Page,
    title: String,
    note: String,
    created: String,
    params: Vec<ParamView>,
}

async fn parameter_set(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return ctx.not_found().into_response();
    };
    let s = ctx.who().scoped(state.store());
    let set = match s.parameter_set(id).await {
        Ok(v) => v,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    render(
        &ParameterSetPage {
            page: ctx.page("effects.parameter_set_title"),
            title: format!("{} v{}", set.name, set.version),
            note: set.note.clone().unwrap_or_default(),
            created: format!(
                "{} {}",
                set.created_by,
                set.created_at.map(local_time).unwrap_or_default()
            ),
            params: param_views(ctx.lang, &set),
        },
        ctx.lang,
    )
}

#[derive(Template)]
#[template(path = "effects/parameter_form.html")]
struct ParameterForm {
    page: Page,
    name: String,
    note: String,
    params: Vec<ParamView>,
    errors: Vec<(String, String)>,
}

async fn new_parameter_set(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = ctx.who().scoped(state.store());
    let current = match s.current_parameter_set().await {
        Ok(v) => v,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    render(
        &ParameterForm {
            page: ctx.page("effects.new_parameter_set_title"),
            name: current.name.clone(),
            note: String::new(),
            params: param_views(ctx.lang, &current),
            errors: Vec::new(),
        },
        ctx.lang,
    )
}

/// A decimal number as typed: comma or point, spaces as thousands separators.
pub fn parse_number(s: &str) -> Option<f64> {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| {
            if c == ',' {
                '.'
            } else if c == '−' {
                '-'
            } else {
                c
            }
        })
        .collect();
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

async fn create_parameter_set(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut parameters = ParameterSet::default();
    let mut sources = HashMap::new();
    let mut views = Vec::new();
    for spec in SPECS {
        let raw = form
            .get(&format!("v_{}", spec.key))
            .cloned()
            .unwrap_or_default();
        let source = form
            .get(&format!("s_{}", spec.key))
            .cloned()
            .unwrap_or_default();
        let mut error = None;
        match parse_number(&raw) {
            Some(v) => {
                parameters.set(spec.key, v);
            }
            None => {
                let msg = ctx.t("effects.error_not_a_number").to_string();
                errors.push((
                    format!("v_{}", spec.key),
                    format!(
                        "{}: {msg}",
                        match ctx.lang {
                            Lang::Sv => spec.name_sv,
                            Lang::En => spec.name_en,
                        }
                    ),
                ));
                error = Some(msg);
            }
        }
        sources.insert(spec.key.to_string(), source.clone());
        views.push(ParamView {
            key: spec.key,
            name: match ctx.lang {
                Lang::Sv => spec.name_sv,
                Lang::En => spec.name_en,
            },
            unit: spec.unit,
            value: raw,
            source,
            error,
        });
    }
    let name = form.get("name").cloned().unwrap_or_default();
    let note = form.get("note").cloned().unwrap_or_default();
    let refuse = |errors: Vec<(String, String)>, views: Vec<ParamView>| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(
                &ParameterForm {
                    page: ctx.page("effects.new_parameter_set_title"),
                    name: name.clone(),
                    note: note.clone(),
                    params: views,
                    errors,
                },
                ctx.lang,
            ),
        )
            .into_response()
    };
    if !errors.is_empty() {
        return refuse(errors, views);
    }
    let s = ctx.who().scoped(state.store());
    let new = NewParameterSet {
        name: name.clone(),
        parameters,
        sources,
        note: Some(note.clone()),
    };
    match s.save_parameter_set(&new).await {
        Ok(id) => Redirect::to(&format!("/effekter/parametrar/{id}")).into_response(),
        Err(StoreError::Rule(v)) => {
            let field = if v.field == "name" {
                "name".to_string()
            } else {
                format!("v_{}", v.field)
            };
            let msg = v.message(ctx.lang);
            for view in views.iter_mut() {
                if format!("v_{}", view.key) == field {
                    view.error = Some(msg.clone());
                }
            }
            refuse(vec![(field, msg)], views)
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

/// A publishable figure, or the suppression notice.
pub struct PublicRow {
    pub name: String,
    pub placements: String,
    pub share: String,
}

#[derive(Template)]
#[template(path = "effects/public.html")]
struct Public {
    page: Page,
    tenants: Vec<(String, String, bool)>,
    chosen: Option<PublicFigures>,
}

struct PublicFigures {
    municipality: String,
    as_of: String,
    computed_at: String,
    /// Newer figures are being computed in the background.
    updating: bool,
    rows: Vec<PublicRow>,
    by_type: Vec<PublicRow>,
}

#[derive(Debug, Deserialize)]
struct PublicQuery {
    kommun: Option<String>,
}

fn suppressed_count(ctx: &Ctx, n: u64) -> String {
    if n < SMALL_CELL {
        ctx.t("effects.suppressed").to_string()
    } else {
        n.to_string()
    }
}

fn public_share(ctx: &Ctx, s: &Share) -> String {
    if s.publishable() {
        format!(
            "{} ({}–{})",
            pct(ctx.lang, s.share),
            pct(ctx.lang, s.lower),
            pct(ctx.lang, s.upper)
        )
    } else {
        ctx.t("effects.suppressed").to_string()
    }
}

/// The public page: aggregates only; any count under five people is not shown.
async fn public(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PublicQuery>) -> Response {
    let tenants = match state.store().list_tenants().await {
        Ok(t) => t,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let slug = q.kommun.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut chosen = None;
    if let Some(slug) = slug {
        let Some(t) = tenants.iter().find(|t| t.slug.as_str() == slug) else {
            return ctx.not_found().into_response();
        };
        let s = state.store().tenant(t.id);
        let fresh = match figures(&s, None).await {
            Ok(f) => f,
            Err(e) => return analysis_error(&ctx, e),
        };
        let f = &fresh.figures;
        chosen = Some(PublicFigures {
            municipality: t.name.to_string(),
            as_of: f.as_of.clone(),
            computed_at: local_time(fresh.computed_at),
            updating: fresh.updating,
            rows: vec![
                PublicRow {
                    name: ctx.t("effects.period_before").to_string(),
                    placements: suppressed_count(&ctx, f.placements_before),
                    share: public_share(&ctx, &f.work_or_studies_before),
                },
                PublicRow {
                    name: ctx.t("effects.period_after").to_string(),
                    placements: suppressed_count(&ctx, f.placements_after),
                    share: public_share(&ctx, &f.work_or_studies_after),
                },
            ],
            by_type: f
                .by_type
                .iter()
                .map(|r| PublicRow {
                    name: r.name.clone(),
                    placements: suppressed_count(&ctx, r.placements),
                    share: public_share(&ctx, &r.work_or_studies),
                })
                .collect(),
        });
    }
    render(
        &Public {
            page: ctx.page("effects.public_title"),
            tenants: tenants
                .iter()
                .map(|t| {
                    (
                        t.slug.to_string(),
                        t.name.to_string(),
                        Some(t.slug.as_str()) == slug,
                    )
                })
                .collect(),
            chosen,
        },
        ctx.lang,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_typed() {
        assert_eq!(parse_number("13 500"), Some(13500.0));
        assert_eq!(parse_number("0,035"), Some(0.035));
        assert_eq!(parse_number(" 1\u{a0}234,5 "), Some(1234.5));
        assert_eq!(parse_number("−0,1"), Some(-0.1));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("NaN"), None);
    }

    #[test]
    fn small_cells_are_not_publishable() {
        let s = |k, n| Share {
            k,
            n,
            share: 0.0,
            lower: 0.0,
            upper: 0.0,
            reason: None,
        };
        assert!(!s(4, 100).publishable());
        assert!(!s(96, 100).publishable());
        assert!(s(5, 10).publishable());
    }
}
