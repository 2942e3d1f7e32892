//! Cross-site request forgery protection for every state change.
//!
//! A signed-in browser must send its session's token with every POST, PUT, PATCH or
//! DELETE: as the form field `_csrf`, or the `X-CSRF-Token` header (htmx sends it from
//! the page's `hx-headers`). Before sign-in, the sign-in form uses a double-submit
//! cookie (`vidare_csrf`). Requests with an API token carry no cookies a forger could
//! borrow and need no CSRF token. A missing or wrong token changes nothing: 403.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error;
use crate::session::{self, Principal, Via};

/// The pre-session cookie for the sign-in form.
pub const CSRF_COOKIE: &str = "vidare_csrf";
/// The form field carrying the token.
pub const FIELD: &str = "_csrf";
/// The header carrying the token.
pub const HEADER: &str = "x-csrf-token";

/// Largest form body read to find the token (forms with files use the header instead).
const MAX_FORM: usize = 2 * 1024 * 1024;

/// The middleware.
pub async fn protect(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let expected = match req.extensions().get::<Principal>().map(|p| &p.via) {
        Some(Via::Token { .. }) => return next.run(req).await,
        Some(Via::Session { csrf, .. }) => Some(csrf.clone()),
        None => session::cookie(&req, CSRF_COOKIE).map(str::to_string),
    };
    let lang = session::lang_of(&req);
    let api = req.uri().path().starts_with("/api/");
    let refuse = |req: &Request| -> Response {
        tracing::warn!(path = %req.uri().path(), "refused a state change without a valid CSRF token");
        if api {
            error::ApiError::csrf(lang).into_response()
        } else {
            error::page_status(StatusCode::FORBIDDEN, lang, req)
        }
    };
    let Some(expected) = expected else {
        return refuse(&req);
    };
    if let Some(given) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if same(given, &expected) {
            next.run(req).await
        } else {
            refuse(&req)
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refuse(&req);
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "Formuläret är för stort.").into_response()
        }
    };
    let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
    let req = Request::from_parts(parts, Body::from(bytes));
    match given {
        Some(given) if same(&given, &expected) => next.run(req).await,
        _ => refuse(&req),
    }
}

/// Compares in constant time, so the comparison leaks nothing about the token.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn comparison() {
        assert!(super::same("abc", "abc"));
        assert!(!super::same("abc", "abd"));
        assert!(!super::same("abc", "abcd"));
        assert!(!super::same("", "a"));
    }
}
