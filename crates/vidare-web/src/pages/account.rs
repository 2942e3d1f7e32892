//! The signed-in user's own account: password and language.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::model::Email;
use vidare_domain::Lang;

use super::{render, safe_next, Ctx, Page};
use crate::auth::{hash_password, password_problem, verify_password};
use crate::routes::{access, RouteDef};
use crate::session::{set_cookie, Via, LANG_COOKIE};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/konto", access::SIGNED_IN, account),
        RouteDef::post("/konto/losenord", access::SIGNED_IN, change_password),
        RouteDef::post("/konto/sprak", access::SIGNED_IN, change_language),
    ]
}

#[derive(Template)]
#[template(path = "account.html")]
struct Account {
    page: Page,
    saved: bool,
    errors: Vec<(&'static str, &'static str)>,
}

async fn account(ctx: Ctx) -> Response {
    render(
        &Account {
            page: ctx.page("account.title"),
            saved: false,
            errors: Vec::new(),
        },
        ctx.lang,
    )
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Response {
    let who = ctx.who().clone();
    let Some(user_id) = who.user_id else {
        return ctx.not_found().into_response();
    };
    let s = who.scoped(state.store());
    let email = match Email::parse(&who.label) {
        Ok(e) => e,
        Err(_) => return ctx.not_found().into_response(),
    };
    let stored = match s.credentials(&email).await {
        Ok(Some(c)) => c.password_hash,
        Ok(None) => return ctx.not_found().into_response(),
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let current = f.current.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&current, stored.as_deref()))
        .await
        .unwrap_or(false);
    let mut errors = Vec::new();
    if !ok {
        errors.push(("current", ctx.t("account.wrong_current")));
    }
    if let Some(key) = password_problem(&f.new, email.as_str()) {
        errors.push(("new", ctx.t(key)));
    } else if f.new != f.confirm {
        errors.push(("confirm", ctx.t("account.mismatch")));
    }
    if !errors.is_empty() {
        let page = Account {
            page: ctx.page("account.title"),
            saved: false,
            errors,
        };
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page, ctx.lang)).into_response();
    }
    let new = f.new.clone();
    let hash = match tokio::task::spawn_blocking(move || hash_password(&new)).await {
        Ok(h) => h,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response(),
    };
    let keep = match &who.via {
        Via::Session { token_hash, .. } => Some(token_hash.as_str()),
        Via::Token { .. } => None,
    };
    if let Err(e) = s.set_password_hash(user_id, &hash, keep).await {
        return ctx.store_error(e).into_response();
    }
    render(
        &Account {
            page: ctx.page("account.title"),
            saved: true,
            errors: Vec::new(),
        },
        ctx.lang,
    )
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    next: Option<String>,
}

async fn change_language(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LangForm>,
) -> Response {
    let Some(lang) = Lang::from_tag(&f.lang) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "lang: sv | en").into_response();
    };
    let who = ctx.who();
    if let Some(user) = who.user_id {
        if let Err(e) = who.scoped(state.store()).set_user_lang(user, lang).await {
            return ctx.store_error(e).into_response();
        }
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        set_cookie(
            &state,
            LANG_COOKIE,
            lang.tag(),
            Some(chrono::Duration::days(365)),
        ),
    );
    (headers, Redirect::to(safe_next(f.next.as_deref()))).into_response()
}
