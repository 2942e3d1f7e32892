//! Signing in and out.
//!
//! Failed attempts are counted in the database (so several server instances share the
//! count): five failures for one account or twenty from one address within 15 minutes
//! block further attempts for that window. Unknown accounts and wrong passwords get the
//! same answer and take the same time.

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;
use vidare_domain::ids::TenantId;
use vidare_domain::model::Email;
use vidare_store::repo::auth::secret_hash;

use super::{render, safe_next, Ctx, Page};
use crate::auth::verify_password;
use crate::csrf::CSRF_COOKIE;
use crate::routes::{Access, RouteDef};
use crate::session::{new_secret, set_cookie, Via, SESSION_COOKIE};
use crate::AppState;

/// The demo's shared password, shown on the sign-in page when the demo is served.
pub const DEMO_PASSWORD: &str = "demo-vidare-2026";

/// Failures per account within the window before sign-in is blocked.
const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failures per address within the window before sign-in is blocked.
const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The throttling window.
const WINDOW_MINUTES: i64 = 15;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/logga-in", Access::Public, form),
        RouteDef::post("/logga-in", Access::Public, submit),
        RouteDef::post("/logga-ut", Access::Public, sign_out),
    ]
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    page: Page,
    csrf: String,
    next: String,
    email: String,
    error: Option<&'static str>,
    tenants: Vec<(i64, String)>,
    selected_tenant: i64,
    demo_accounts: Vec<(String, &'static str)>,
    demo_password: &'static str,
}

#[derive(Deserialize)]
struct FormQuery {
    next: Option<String>,
}

async fn login_page(
    state: &AppState,
    ctx: &Ctx,
    csrf: String,
    next: &str,
    email: &str,
    tenant: Option<i64>,
    error: Option<&'static str>,
) -> Result<Login, Response> {
    let tenants = state
        .store()
        .list_tenants()
        .await
        .map_err(|e| ctx.store_error(e).into_response())?;
    let mut demo_accounts = Vec::new();
    if state.settings().show_demo_accounts {
        for t in tenants.iter().filter(|t| t.synthetic) {
            let users = state
                .store()
                .tenant(t.id)
                .list_users()
                .await
                .map_err(|e| ctx.store_error(e).into_response())?;
            for u in users {
                let role = match ctx.lang {
                    vidare_domain::Lang::Sv => u.role.kind().name_sv(),
                    vidare_domain::Lang::En => u.role.kind().name_en(),
                };
                demo_accounts.push((u.email.to_string(), role));
            }
        }
    }
    Ok(Login {
        page: ctx.page("auth.sign_in"),
        csrf,
        next: next.to_string(),
        email: email.to_string(),
        error,
        selected_tenant: tenant.or(tenants.first().map(|t| t.id.get())).unwrap_or(0),
        tenants: tenants
            .iter()
            .map(|t| (t.id.get(), t.name.to_string()))
            .collect(),
        demo_accounts,
        demo_password: DEMO_PASSWORD,
    })
}

/// The sign-in form. Sets the pre-session CSRF cookie the form is checked against.
async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<FormQuery>,
) -> Response {
    if ctx.principal.is_some() {
        return Redirect::to(safe_next(q.next.as_deref())).into_response();
    }
    let existing = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == CSRF_COOKIE && v.len() == 64)
        .map(|(_, v)| v.to_string());
    let csrf = existing.clone().unwrap_or_else(new_secret);
    let page = match login_page(
        &state,
        &ctx,
        csrf.clone(),
        safe_next(q.next.as_deref()),
        "",
        None,
        None,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut response = render(&page, ctx.lang);
    if existing.is_none() {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, CSRF_COOKIE, &csrf, None),
        );
    }
    response
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(rename = "_csrf")]
    csrf: String,
    tenant: Option<i64>,
    email: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    Form(f): Form<Credentials>,
) -> Response {
    let next = safe_next(f.next.as_deref()).to_string();
    let email_text = f.email.clone().unwrap_or_default();
    let again = |status: StatusCode, key: &'static str| {
        let state = state.clone();
        let ctx = ctx.clone();
        let csrf = f.csrf.clone();
        let next = next.clone();
        let email_text = email_text.clone();
        async move {
            match login_page(
                &state,
                &ctx,
                csrf,
                &next,
                &email_text,
                f.tenant,
                Some(ctx.t(key)),
            )
            .await
            {
                Ok(page) => (status, render(&page, ctx.lang)).into_response(),
                Err(r) => r,
            }
        }
    };
    let (Some(tenant_id), Some(email), Some(password)) =
        (f.tenant, f.email.as_deref(), f.password.as_deref())
    else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "auth.missing").await;
    };
    let Ok(email) = Email::parse(email) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "auth.wrong").await;
    };
    let tenant = match state.store().get_tenant(TenantId(tenant_id)).await {
        Ok(t) => t,
        Err(_) => return again(StatusCode::UNPROCESSABLE_ENTITY, "auth.wrong").await,
    };
    let scoped = state.store().tenant(tenant.id);
    let ip = addr.ip().to_string();
    let since = Utc::now() - chrono::Duration::minutes(WINDOW_MINUTES);
    match scoped
        .login_failures_since(email.as_str(), &ip, since)
        .await
    {
        Ok((by_email, by_ip))
            if by_email >= MAX_FAILURES_PER_ACCOUNT || by_ip >= MAX_FAILURES_PER_ADDRESS =>
        {
            return again(StatusCode::TOO_MANY_REQUESTS, "auth.throttled").await;
        }
        Ok(_) => {}
        Err(e) => return ctx.store_error(e).into_response(),
    }
    let creds = match scoped.credentials(&email).await {
        Ok(c) => c,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let stored = creds.as_ref().and_then(|c| c.password_hash.clone());
    let candidate = password.to_string();
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || verify_password(&candidate, stored.as_deref()))
        .await
        .unwrap_or(false);
    let user = match creds {
        Some(c) if ok && c.user.active => c.user,
        _ => {
            if let Err(e) = scoped.record_login_failure(email.as_str(), &ip).await {
                return ctx.store_error(e).into_response();
            }
            return again(StatusCode::UNAUTHORIZED, "auth.wrong").await;
        }
    };
    let token = new_secret();
    let csrf = new_secret();
    let expires = Utc::now() + state.settings().session_idle;
    let acting = state.store().tenant_as(
        tenant.id,
        vidare_store::Actor::user(user.id, user.email.as_str()),
    );
    if let Err(e) = acting
        .create_session(&secret_hash(&token), user.id, &csrf, expires)
        .await
    {
        return ctx.store_error(e).into_response();
    }
    let _ = scoped.clear_login_failures(email.as_str()).await;
    let mut headers = HeaderMap::new();
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &token, None),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, CSRF_COOKIE, "", Some(chrono::Duration::zero())),
    );
    (headers, Redirect::to(&next)).into_response()
}

async fn sign_out(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(Via::Session { token_hash, .. }) = ctx.principal.as_ref().map(|p| &p.via) {
        if let Err(e) = state.store().delete_session(token_hash).await {
            return ctx.store_error(e).into_response();
        }
    }
    let mut headers = HeaderMap::new();
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", Some(chrono::Duration::zero())),
    );
    (headers, Redirect::to("/")).into_response()
}
