//! Cross-site request forgery protection for every state change.
//!
//! A signed-in browser must send its session's token with every POST, PUT, PATCH or
//! DELETE: as the form field `_csrf` (in an urlencoded form, or as a field of a
//! `multipart/form-data` form such as a file upload), or the `X-CSRF-Token` header
//! (htmx sends it from the page's `hx-headers`). The token never travels in the URL,
//! where it would reach access logs and `Referer` headers. Before sign-in, the sign-in form uses a double-submit
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

/// Largest url-encoded form body read to find the token.
const MAX_FORM: usize = 2 * 1024 * 1024;
/// Largest `multipart/form-data` body read to find the token: as large as the largest
/// upload a route accepts, so an upload form that carries its token in the `_csrf`
/// field (as every form without JavaScript does) reaches the route and its own checks.
const MAX_MULTIPART: usize = crate::upload::UPLOAD_BODY_LIMIT;

/// The middleware.
pub async fn protect(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let expected = match req.extensions().get::<Principal>().map(|p| &p.via) {
        Some(Via::Token { .. }) => return next.run(req).await,
        Some(Via::Session { csrf, .. }) => Some(csrf.clone()),
        // An API request without a valid session or token (none sent, or a token that is
        // unknown, revoked or expired) has no session a forger could ride on: the access
        // check answers 401, which tells the integration what is wrong, rather than a
        // misleading CSRF 403. (The API has no public state changes.)
        None if req.uri().path().starts_with("/api/") => return next.run(req).await,
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
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    let is_multipart = content_type.starts_with("multipart/form-data");
    if !is_form && !is_multipart {
        return refuse(&req);
    }
    let (parts, body) = req.into_parts();
    let limit = if is_multipart {
        MAX_MULTIPART
    } else {
        MAX_FORM
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            // Too large to be any form this application takes (or cut off mid-way):
            // nothing has been read by a handler, so nothing was changed.
            // An upload gets the upload routes' own answer, naming the file field.
            let req = Request::from_parts(parts, Body::empty());
            return if is_multipart {
                crate::upload::too_large(&req)
            } else if api {
                error::ApiError::too_large(lang).into_response()
            } else {
                error::page_status(StatusCode::PAYLOAD_TOO_LARGE, lang, &req)
            };
        }
    };
    let given = if is_multipart {
        multipart_field(&content_type, bytes.clone()).await
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| fields.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v))
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    match given {
        Some(given) if same(&given, &expected) => next.run(req).await,
        _ => refuse(&req),
    }
}

/// The `_csrf` field of a buffered `multipart/form-data` body, if it has one. The body
/// is parsed from a copy, so the handler still reads the whole form.
async fn multipart_field(content_type: &str, bytes: axum::body::Bytes) -> Option<String> {
    use axum::extract::{DefaultBodyLimit, FromRequest, Multipart};
    use tower::{Layer, ServiceExt};
    let req = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
        .ok()?;
    // The body is already buffered within MAX_MULTIPART; the extractor's own default
    // limit (2 MB) would refuse a larger upload before its first field is read.
    let read = tower::service_fn(|req: Request| async move {
        let mut form = match Multipart::from_request(req, &()).await {
            Ok(f) => f,
            Err(_) => return Ok::<_, std::convert::Infallible>(None),
        };
        while let Ok(Some(field)) = form.next_field().await {
            if field.name() == Some(FIELD) {
                return Ok(field.text().await.ok());
            }
        }
        Ok(None)
    });
    DefaultBodyLimit::max(MAX_MULTIPART)
        .layer(read)
        .oneshot(req)
        .await
        .ok()
        .flatten()
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
