//! The public start page: the municipalities this installation serves, with counts
//! only. Also the language switch for visitors who are not signed in, and the tenants'
//! logos.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use vidare_domain::ids::TenantId;
use vidare_domain::Lang;

use super::{render, safe_next, Ctx, Page};
use crate::routes::{Access, RouteDef};
use crate::session::{set_cookie, LANG_COOKIE};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/", Access::Public, home),
        RouteDef::get("/sprak", Access::Public, switch_language),
        RouteDef::get("/logo/{tenant}", Access::Public, logo),
    ]
}

struct TenantRow {
    name: String,
    synthetic: bool,
    organisations: u64,
    participants: u64,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    tenants: Vec<TenantRow>,
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> Response {
    let tenants = match state.store().list_tenants().await {
        Ok(t) => t,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut rows = Vec::with_capacity(tenants.len());
    for t in tenants {
        let s = state.store().tenant(t.id);
        let (organisations, participants) =
            match (s.count_organisations().await, s.count_participants().await) {
                (Ok(o), Ok(p)) => (o, p),
                (Err(e), _) | (_, Err(e)) => return ctx.store_error(e).into_response(),
            };
        rows.push(TenantRow {
            name: t.name.to_string(),
            synthetic: t.synthetic,
            organisations,
            participants,
        });
    }
    render(
        &Home {
            page: ctx.page("home.title"),
            tenants: rows,
        },
        ctx.lang,
    )
}

#[derive(Deserialize)]
struct SwitchQuery {
    lang: String,
    next: Option<String>,
}

/// Sets the language cookie (a preference, not data) and goes back.
async fn switch_language(State(state): State<AppState>, Query(q): Query<SwitchQuery>) -> Response {
    let Some(lang) = Lang::from_tag(&q.lang) else {
        return (StatusCode::BAD_REQUEST, "lang: sv | en").into_response();
    };
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
    (headers, Redirect::to(safe_next(q.next.as_deref()))).into_response()
}

/// A tenant's logo, or a plain mark with its initials when none was uploaded.
async fn logo(State(state): State<AppState>, Path(tenant): Path<i64>, ctx: Ctx) -> Response {
    let cache = (header::CACHE_CONTROL, "public, max-age=300");
    match state.store().tenant_logo(TenantId(tenant)).await {
        Ok(Some((mime, bytes))) => {
            // An uploaded SVG is served so that it cannot run scripts.
            let csp = (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            );
            ([(header::CONTENT_TYPE, mime.as_str()), cache, csp], bytes).into_response()
        }
        Ok(None) => match state.tenant(TenantId(tenant)).await {
            Ok(t) => {
                let initials: String = t
                    .name
                    .as_str()
                    .split_whitespace()
                    .filter_map(|w| w.chars().next())
                    .filter(|c| c.is_alphabetic())
                    .take(2)
                    .collect();
                let svg = format!(
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 40\" role=\"img\">\
                     <rect width=\"40\" height=\"40\" rx=\"4\" fill=\"#1f4e79\"/>\
                     <text x=\"20\" y=\"26\" font-family=\"sans-serif\" font-size=\"16\" font-weight=\"700\" \
                     fill=\"#fff\" text-anchor=\"middle\">{}</text></svg>",
                    askama::filters::escape(&initials, askama::filters::Html)
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                );
                ([(header::CONTENT_TYPE, "image/svg+xml"), cache], svg).into_response()
            }
            Err(e) => ctx.store_error(e).into_response(),
        },
        Err(e) => ctx.store_error(e).into_response(),
    }
}
