//! `/admin/api-nycklar`: API tokens for system integrations. A new token's secret is
//! shown once, on the page that answers its creation, and never again: the database
//! holds only its SHA-256. Tokens are revoked, never deleted, so the audit trail keeps
//! their names.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;
use vidare_domain::ids::OrganisationId;
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::Text;
use vidare_domain::Localized;
use vidare_store::repo::auth::secret_hash;
use vidare_store::repo::Page as StorePage;
use vidare_store::StoreError;

use super::{day_start, local_time, parse_day, role_name, role_options, section_nav, FieldErrors};
use crate::pages::{render, Ctx, NavItem, Page};
use crate::routes::{access, RouteDef};
use crate::session::new_secret;
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/admin/api-nycklar", access::ADMIN, list),
        RouteDef::post("/admin/api-nycklar", access::ADMIN, create),
        RouteDef::post("/admin/api-nycklar/{id}/aterkalla", access::ADMIN, revoke),
    ]
}

/// The prefix of every token, so a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "vdr_";

/// The longest token name accepted.
const MAX_NAME: usize = 100;

struct Row {
    id: i64,
    name: String,
    role: &'static str,
    organisation: String,
    created: String,
    expires: String,
    last_used: String,
    /// `admin.token_active`, `admin.token_revoked` or `admin.token_expired`.
    status: &'static str,
    live: bool,
}

#[derive(Default, Deserialize, Clone)]
struct NewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct List {
    page: Page,
    admin_nav: Vec<NavItem>,
    rows: Vec<Row>,
    roles: Vec<(&'static str, &'static str)>,
    organisations: Vec<(i64, String)>,
    form: NewForm,
    errors: FieldErrors,
    /// The new token's name and secret, shown this once.
    created: Option<(String, String)>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: NewForm,
    errors: FieldErrors,
    created: Option<(String, String)>,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let (tokens, orgs) = match (
        s.list_api_tokens().await,
        s.list_organisations(StorePage::first(10_000)).await,
    ) {
        (Ok(t), Ok(o)) => (t, o),
        (Err(e), _) | (_, Err(e)) => return ctx.store_error(e).into_response(),
    };
    let orgs: Vec<(i64, String)> = orgs
        .into_iter()
        .map(|o| (o.id.get(), format!("{} ({})", o.name, o.org_number)))
        .collect();
    let now = Utc::now();
    let rows = tokens
        .iter()
        .map(|t| {
            let expired = t.expires_at.is_some_and(|e| e <= now);
            let status = if t.revoked_at.is_some() {
                "admin.token_revoked"
            } else if expired {
                "admin.token_expired"
            } else {
                "admin.token_active"
            };
            Row {
                id: t.id,
                name: t.name.clone(),
                role: role_name(ctx.lang, t.role.kind()),
                organisation: t
                    .role
                    .organisation_id()
                    .and_then(|id| orgs.iter().find(|(o, _)| *o == id.get()))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
                created: local_time(t.created_at),
                expires: t.expires_at.map(local_time).unwrap_or_default(),
                last_used: t.last_used_at.map(local_time).unwrap_or_default(),
                status,
                live: t.revoked_at.is_none() && !expired,
            }
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let secret_shown = created.is_some();
    let page = List {
        page: ctx.page("admin.tokens_title"),
        admin_nav: section_nav(ctx),
        rows,
        roles: role_options(ctx.lang),
        organisations: orgs,
        form,
        errors,
        created,
        notice,
    };
    let mut response = (status, render(&page, ctx.lang)).into_response();
    if secret_shown {
        // The page holds a secret: no cache may keep it.
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    response
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let notice = match q.klart.as_deref() {
        Some("aterkallad") => Some("admin.token_revoked_done"),
        _ => None,
    };
    list_page(
        &state,
        &ctx,
        NewForm::default(),
        FieldErrors::default(),
        None,
        notice,
    )
    .await
}

async fn create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NewForm>) -> Response {
    let s = ctx.who().scoped(state.store());
    let mut errors = FieldErrors::default();
    let name = match Text::parse_max(&f.name, MAX_NAME) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add("name", e.message(ctx.lang));
            None
        }
    };
    let role = match RoleKind::parse(f.role.trim()) {
        Err(_) => {
            errors.add("role", ctx.t("admin.choose_role"));
            None
        }
        Ok(RoleKind::SupplierUser) => {
            let org = match f.organisation.trim().parse::<i64>() {
                Ok(id) => s.get_organisation(OrganisationId(id)).await.ok(),
                Err(_) => None,
            };
            match org {
                Some(o) => Some(Role::SupplierUser {
                    organisation_id: o.id,
                }),
                None => {
                    errors.add("organisation", ctx.t("admin.choose_organisation"));
                    None
                }
            }
        }
        Ok(kind) => match Role::from_parts(kind, None) {
            Ok(r) => Some(r),
            Err(v) => {
                errors.add("role", v.message(ctx.lang));
                None
            }
        },
    };
    // A token given an end date works through that whole Swedish day.
    let expires = match parse_day(&mut errors, &ctx, "expires", Some(&f.expires)) {
        Some(day) => {
            let end = day.succ_opt().and_then(day_start);
            if end.is_none_or(|e| e <= Utc::now()) {
                errors.add("expires", ctx.t("admin.expiry_past"));
            }
            end
        }
        None => None,
    };
    let (Some(name), Some(role), true) = (name, role, errors.is_empty()) else {
        return list_page(&state, &ctx, f, errors, None, None).await;
    };
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    match s
        .create_api_token(&name, &secret_hash(&secret), role, expires)
        .await
    {
        Ok(_) => {
            list_page(
                &state,
                &ctx,
                NewForm::default(),
                FieldErrors::default(),
                Some((name.to_string(), secret)),
                None,
            )
            .await
        }
        Err(StoreError::Rule(v)) => {
            errors.add("organisation", v.message(ctx.lang));
            list_page(&state, &ctx, f, errors, None, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn revoke(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let s = ctx.who().scoped(state.store());
    match s.revoke_api_token(id).await {
        Ok(()) => Redirect::to("/admin/api-nycklar?klart=aterkallad").into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}
