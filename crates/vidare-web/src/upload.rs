//! File uploads: how large a request body an upload route reads, and the answer to one
//! that is larger. Shared by the routes that take a document (pages and API) and by the
//! CSRF layer, which reads a form's body before any route does.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::pages::{render, Page};
use crate::routes::RouteDef;
use crate::session::Principal;

/// The largest request body of an upload route: the store's largest document plus room
/// for the form's other fields and the multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = vidare_store::repo::tendering::MAX_DOCUMENT_BYTES + 256 * 1024;

/// Lets an upload route read bodies up to [`UPLOAD_BODY_LIMIT`] (axum's default is
/// 2 MB) and answers a larger one, announced by its `Content-Length`, with
/// [`too_large`]. A larger body sent without a length is cut off while read, and the
/// handler reports the file as too large.
pub fn with_upload_limit(mut def: RouteDef) -> RouteDef {
    def.handler = def
        .handler
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_oversized));
    def
}

async fn refuse_oversized(req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > UPLOAD_BODY_LIMIT as u64 => too_large(&req),
        _ => next.run(req).await,
    }
}

#[derive(Template)]
#[template(path = "too_large.html")]
struct TooLarge {
    page: Page,
    message: &'static str,
    back: String,
}

/// 413 for an upload over the limit, naming the field `file`: a page in the user's
/// language with a link back to the form, or a problem document from the API.
pub fn too_large(req: &Request) -> Response {
    let lang = crate::session::lang_of(req);
    let path = req.uri().path().to_string();
    if path.starts_with("/api/") {
        return ApiError::file_too_large(lang).into_response();
    }
    let principal = req.extensions().get::<Principal>().cloned();
    let page = TooLarge {
        page: Page::bare(
            lang,
            principal,
            crate::i18n::t(lang, "error.file_too_large_title"),
            &path,
        ),
        message: crate::i18n::t(lang, "error.file_too_large"),
        // The form's page: the upload path without its last segment.
        back: path
            .rsplit_once('/')
            .map(|(p, _)| p.to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".into()),
    };
    (StatusCode::PAYLOAD_TOO_LARGE, render(&page, lang)).into_response()
}
