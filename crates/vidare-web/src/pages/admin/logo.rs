//! `/admin/logotyp`: the tenant's logo in the page header. Uploaded as a
//! `multipart/form-data` form whose `_csrf` field the CSRF layer checks. The file's
//! type is decided from its content, not from what the browser claims: PNG by its
//! signature, SVG by being UTF-8 text with an `<svg` element. (An SVG is served with a
//! policy that keeps it from running scripts; see `pages::home`.)

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use vidare_domain::Localized;
use vidare_store::StoreError;

use super::{section_nav, FieldErrors};
use crate::pages::{render, Ctx, NavItem, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/admin/logotyp", access::ADMIN, show),
        RouteDef::post("/admin/logotyp", access::ADMIN, upload),
        RouteDef::post("/admin/logotyp/ta-bort", access::ADMIN, remove),
    ]
}

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

#[derive(Template)]
#[template(path = "admin/logo.html")]
struct Show {
    page: Page,
    admin_nav: Vec<NavItem>,
    tenant_id: i64,
    has_logo: bool,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let tenant = ctx.who().tenant.id;
    let has_logo = match state.store().tenant_logo(tenant).await {
        Ok(l) => l.is_some(),
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = Show {
        page: ctx.page("admin.logo_title"),
        admin_nav: section_nav(ctx),
        tenant_id: tenant.get(),
        has_logo,
        errors,
        notice,
    };
    (status, render(&body, ctx.lang)).into_response()
}

async fn show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let notice = match q.klart.as_deref() {
        Some("sparad") => Some("admin.logo_saved"),
        Some("borttagen") => Some("admin.logo_removed"),
        _ => None,
    };
    page(&state, &ctx, FieldErrors::default(), notice).await
}

/// The media type of a logo, judged from its bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        return Some("image/png");
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') && text.contains("<svg") && text.trim_end().ends_with('>') {
        return Some("image/svg+xml");
    }
    None
}

/// Reads the `logo` field of the form, at most a little more than the limit (so a
/// too-large file is told apart from one just at the limit).
async fn read_logo(mut form: Multipart) -> Result<Option<Vec<u8>>, ()> {
    while let Some(mut field) = form.next_field().await.map_err(|_| ())? {
        if field.name() != Some("logo") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| ())? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_LOGO_BYTES {
                return Ok(Some(bytes));
            }
        }
        return Ok(Some(bytes));
    }
    Ok(None)
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let mut errors = FieldErrors::default();
    let bytes = match form {
        Ok(form) => read_logo(form).await,
        Err(_) => Err(()),
    };
    let bytes = match bytes {
        Ok(Some(b)) if !b.is_empty() => b,
        Ok(_) => {
            errors.add("logo", ctx.t("admin.logo_missing"));
            return page(&state, &ctx, errors, None).await;
        }
        Err(()) => {
            errors.add("logo", ctx.t("admin.logo_unreadable"));
            return page(&state, &ctx, errors, None).await;
        }
    };
    if bytes.len() > MAX_LOGO_BYTES {
        errors.add("logo", ctx.t("admin.logo_too_large"));
        return page(&state, &ctx, errors, None).await;
    }
    let Some(mime) = sniff(&bytes) else {
        errors.add("logo", ctx.t("admin.logo_wrong_type"));
        return page(&state, &ctx, errors, None).await;
    };
    let s = ctx.who().scoped(state.store());
    match s.set_tenant_logo(Some((mime, &bytes))).await {
        Ok(()) => Redirect::to("/admin/logotyp?klart=sparad").into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add("logo", v.message(ctx.lang));
            page(&state, &ctx, errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

async fn remove(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = ctx.who().scoped(state.store());
    match s.set_tenant_logo(None).await {
        Ok(()) => Redirect::to("/admin/logotyp?klart=borttagen").into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn logos_are_judged_by_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n"),
            Some("image/svg+xml")
        );
        assert_eq!(
            sniff("\u{feff}<svg></svg>".as_bytes()),
            Some("image/svg+xml")
        );
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<html><body>no</body></html>"), None);
        assert_eq!(sniff(b"\xff\xd8\xff"), None);
    }
}
