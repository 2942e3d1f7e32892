//! Open data: the public page listing every municipality's published procurement rounds
//! with download links, and the OCDS release packages themselves — one round
//! (`/oppen-data/ocds/{id}.json`) or every round (`/oppen-data/ocds.json`, optionally
//! `?kommun=SLUG`). Everything here is public: no tender content before the deadline,
//! no personal data, payments only as monthly sums per contract.
//!
//! A tenant's administrator also finds on the page the form for the municipality's
//! registered OCID prefix (`POST /oppen-data/installningar`), stored for the tenant and
//! audit-logged.

pub mod ocds;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::ids::RoundId;
use vidare_domain::model::procurement::RoundStatus;
use vidare_domain::{Lang, Localized};
use vidare_exchange::ocds::{OcidPrefix, PrefixSource};
use vidare_store::StoreError;

use self::ocds::{configured_prefixes, resolve_prefix, OcdsError};
use super::{render, Ctx, Page};
use crate::error::ApiError;
use crate::routes::{access, Access, RouteDef};
use crate::AppState;

/// Where the administrator's settings form posts.
const SETTINGS_PATH: &str = "/oppen-data/installningar";

/// Every published round in one package (`?kommun=SLUG` for one municipality's).
const ALL_ROUNDS_PATH: &str = "/oppen-data/ocds.json";

/// Every page route of this area.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/oppen-data", Access::Public, index),
        RouteDef::get(ALL_ROUNDS_PATH, Access::Public, all_rounds),
        RouteDef::get("/oppen-data/ocds/{file}", Access::Public, one_round),
        RouteDef::post(SETTINGS_PATH, access::ADMIN, save_settings),
    ]
}

struct RoundRow {
    id: i64,
    title: String,
    status: &'static str,
    deadline: String,
    reserved: bool,
}

struct TenantSection {
    name: String,
    slug: String,
    synthetic: bool,
    /// The OCID prefix, or `None` when the municipality has not registered one.
    prefix: Option<String>,
    test_prefix: bool,
    rounds: Vec<RoundRow>,
}

/// The administrator's settings form: the tenant's own OCID prefix.
struct Settings {
    tenant_name: String,
    /// The field's value: the stored prefix, or what was submitted.
    value: String,
    /// The prefix in use, or `None` if the tenant does not publish.
    effective: Option<String>,
    /// Where the prefix in use comes from.
    source: &'static str,
    error: Option<String>,
    saved: bool,
}

#[derive(Template)]
#[template(path = "open_data/index.html")]
struct Index {
    page: Page,
    tenants: Vec<TenantSection>,
    test_prefix: &'static str,
    settings: Option<Settings>,
}

#[derive(Deserialize)]
struct IndexQuery {
    sparat: Option<String>,
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    ocid_prefix: String,
}

fn source_key(s: PrefixSource) -> &'static str {
    match s {
        PrefixSource::Override | PrefixSource::Tenant => "open_data.source_tenant",
        PrefixSource::Configured => "open_data.source_configured",
        PrefixSource::Test => "open_data.source_test",
    }
}

fn status_key(s: RoundStatus) -> &'static str {
    match s {
        RoundStatus::Planning => "open_data.status_planning",
        RoundStatus::Published => "open_data.status_published",
        RoundStatus::Evaluation => "open_data.status_evaluation",
        RoundStatus::Awarded => "open_data.status_awarded",
        RoundStatus::Contracted => "open_data.status_contracted",
        RoundStatus::Cancelled => "open_data.status_cancelled",
    }
}

async fn index(State(state): State<AppState>, ctx: Ctx, Query(q): Query<IndexQuery>) -> Response {
    let saved = q.sparat.is_some();
    page(&state, &ctx, None, None, saved).await
}

/// The page; for a tenant's administrator with the settings form, holding `submitted`
/// and `error` after a refused form.
async fn page(
    state: &AppState,
    ctx: &Ctx,
    submitted: Option<String>,
    error: Option<String>,
    saved: bool,
) -> Response {
    let tenants = match state.store().list_tenants().await {
        Ok(t) => t,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let prefixes = configured_prefixes();
    let mut sections = Vec::with_capacity(tenants.len());
    for t in tenants {
        let rounds = match state.store().tenant(t.id).open_rounds().await {
            Ok(r) => r,
            Err(e) => return ctx.store_error(e).into_response(),
        };
        let prefix = match resolve_prefix(state.store(), prefixes, &t).await {
            Ok((p, _)) => Some(p),
            Err(OcdsError::NoPrefix { .. } | OcdsError::NotFound) => None,
            Err(OcdsError::Store(e)) => return ctx.store_error(e).into_response(),
        };
        sections.push(TenantSection {
            name: t.name.to_string(),
            slug: t.slug.to_string(),
            synthetic: t.synthetic,
            test_prefix: prefix.as_ref().is_some_and(|p| p.is_test()),
            prefix: prefix.map(|p| p.as_str().to_string()),
            rounds: rounds
                .into_iter()
                .map(|r| RoundRow {
                    id: r.id.get(),
                    title: r.title,
                    status: ctx.t(status_key(r.status)),
                    deadline: r
                        .tender_deadline
                        .map(|d| d.local().format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default(),
                    reserved: r.legal_basis.is_reserved(),
                })
                .collect(),
        });
    }
    let settings = if access::ADMIN.allows(ctx.principal.as_ref()) {
        let tenant = &ctx.who().tenant;
        let stored = match state.store().tenant_ocid_prefix(tenant.id).await {
            Ok(p) => p,
            Err(e) => return ctx.store_error(e).into_response(),
        };
        let (effective, source) = match resolve_prefix(state.store(), prefixes, tenant).await {
            Ok((p, source)) => (Some(p.as_str().to_string()), ctx.t(source_key(source))),
            Err(OcdsError::NoPrefix { .. } | OcdsError::NotFound) => (None, ""),
            Err(OcdsError::Store(e)) => return ctx.store_error(e).into_response(),
        };
        Some(Settings {
            tenant_name: tenant.name.to_string(),
            value: submitted.unwrap_or_else(|| stored.unwrap_or_default()),
            effective,
            source,
            error,
            saved,
        })
    } else {
        None
    };
    let status = if settings.as_ref().is_some_and(|s| s.error.is_some()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = render(
        &Index {
            page: ctx.page("open_data.title"),
            tenants: sections,
            test_prefix: vidare_exchange::ocds::TEST_PREFIX,
            settings,
        },
        ctx.lang,
    );
    (status, body).into_response()
}

/// `POST /oppen-data/installningar`: the administrator stores the tenant's registered
/// OCID prefix, or removes it with an empty field (audit-logged).
async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SettingsForm>,
) -> Response {
    let value = f.ocid_prefix.trim().to_string();
    let prefix = if value.is_empty() {
        None
    } else {
        match OcidPrefix::parse(&value) {
            Ok(p) => Some(p),
            Err(_) => {
                let message = ctx.t("open_data.prefix_invalid").to_string();
                return page(&state, &ctx, Some(value), Some(message), false).await;
            }
        }
    };
    let s = ctx.who().scoped(state.store());
    match s.set_ocid_prefix(prefix.as_ref().map(|p| p.as_str())).await {
        Ok(()) => Redirect::to("/oppen-data?sparat=1#installningar").into_response(),
        Err(StoreError::Rule(v)) => {
            let message = v.message(ctx.lang).to_string();
            page(&state, &ctx, Some(value), Some(message), false).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

/// `http(s)://host` of this request, for the packages' own URIs.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.settings().secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn problem(status: StatusCode, kind: &str, sv: String, en: String, lang: Lang) -> Response {
    ApiError {
        kind: format!("https://vidare.invalid/problems/{kind}"),
        title: match lang {
            Lang::Sv => sv,
            Lang::En => en,
        },
        status: status.as_u16(),
        detail: None,
        errors: Vec::new(),
    }
    .into_response()
}

fn error_response(e: OcdsError, lang: Lang) -> Response {
    match e {
        OcdsError::NotFound => ApiError::not_found(lang).into_response(),
        OcdsError::NoPrefix { tenant } => problem(
            StatusCode::NOT_FOUND,
            "not-published",
            format!("Kommunen {tenant} publicerar inte öppna data ännu: den har inget registrerat OCID-prefix."),
            format!("The municipality {tenant} does not publish open data yet: it has no registered OCID prefix."),
            lang,
        ),
        OcdsError::Store(e) => ApiError::store(e, lang).into_response(),
    }
}

fn json_file(package: serde_json::Value, name: &str) -> Response {
    let body = serde_json::to_string_pretty(&package).unwrap_or_default();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "public, max-age=300".to_string()),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
        ],
        body,
    )
        .into_response()
}

/// `/oppen-data/ocds/{id}.json`: one round's package.
async fn one_round(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    ctx: Ctx,
) -> Response {
    let Some(id) = file
        .strip_suffix(".json")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|id| *id > 0)
    else {
        return problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Filen finns inte: ange upphandlingens id följt av .json, till exempel /oppen-data/ocds/1.json.".into(),
            "No such file: give the round's id followed by .json, for example /oppen-data/ocds/1.json.".into(),
            ctx.lang,
        );
    };
    let base = base_url(&state, &headers);
    match ocds::round_package(
        state.store(),
        configured_prefixes(),
        RoundId(id),
        &base,
        state.now(),
    )
    .await
    {
        Ok(p) => json_file(p, &format!("ocds-{id}.json")),
        Err(e) => error_response(e, ctx.lang),
    }
}

#[derive(Deserialize)]
struct AllQuery {
    kommun: Option<String>,
}

/// `/oppen-data/ocds.json[?kommun=SLUG]`: every published round in one package.
async fn all_rounds(
    State(state): State<AppState>,
    Query(q): Query<AllQuery>,
    headers: HeaderMap,
    ctx: Ctx,
) -> Response {
    let tenants = match state.store().list_tenants().await {
        Ok(t) => t,
        Err(e) => return ApiError::store(e, ctx.lang).into_response(),
    };
    let base = base_url(&state, &headers);
    let (tenants, uri) = match q.kommun.as_deref().filter(|k| !k.is_empty()) {
        Some(slug) => {
            let chosen: Vec<_> = tenants
                .into_iter()
                .filter(|t| t.slug.as_str() == slug)
                .collect();
            if chosen.is_empty() {
                return problem(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    format!("kommun: det finns ingen kommun med kortnamnet {slug:?}."),
                    format!("kommun: there is no municipality called {slug:?}."),
                    ctx.lang,
                );
            }
            (
                chosen,
                format!(
                    "{base}/oppen-data/ocds.json?kommun={}",
                    super::url_encode(slug)
                ),
            )
        }
        None => (tenants, format!("{base}/oppen-data/ocds.json")),
    };
    match ocds::tenants_package(
        state.store(),
        configured_prefixes(),
        &tenants,
        uri,
        &base,
        state.now(),
    )
    .await
    {
        Ok(Some(p)) => json_file(p, "ocds.json"),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            "nothing-published",
            "Inga upphandlingar är publicerade ännu.".into(),
            "No procurement rounds are published yet.".into(),
            ctx.lang,
        ),
        Err(e) => error_response(e, ctx.lang),
    }
}
