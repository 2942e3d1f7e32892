//! Errors as users see them: an HTML page in their language for the pages, and
//! `application/problem+json` (RFC 9457) with field-level details for the API. No
//! request input can produce a stack trace; unexpected failures are logged and shown as
//! a plain "something went wrong".

use askama::Template;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use vidare_domain::{Lang, Localized};
use vidare_store::StoreError;

use crate::i18n::t;
use crate::pages::Page;
use crate::session::{self, Principal};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    heading: &'static str,
    message: &'static str,
}

/// An error page for `status`, in `lang`, with the navigation of whoever asked.
pub fn page_status(status: StatusCode, lang: Lang, req: &Request) -> Response {
    let principal = req.extensions().get::<Principal>().cloned();
    render_status(status, lang, principal, req.uri().path())
}

fn render_status(
    status: StatusCode,
    lang: Lang,
    principal: Option<Principal>,
    path: &str,
) -> Response {
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => ("error.not_found_title", "error.not_found"),
        StatusCode::FORBIDDEN => ("error.forbidden_title", "error.forbidden"),
        StatusCode::PAYLOAD_TOO_LARGE => ("error.too_large_title", "error.too_large"),
        _ => ("error.server_title", "error.server"),
    };
    let page = Page::bare(lang, principal, t(lang, heading), path);
    let body = ErrorPage {
        page,
        heading: t(lang, heading),
        message: t(lang, message),
    }
    .render()
    .unwrap_or_else(|_| t(lang, message).to_string());
    (status, Html(body)).into_response()
}

/// The fallback for paths no route matches.
pub async fn not_found(req: Request) -> Response {
    let lang = session::lang_of(&req);
    if req.uri().path().starts_with("/api/") {
        return ApiError::not_found(lang).into_response();
    }
    page_status(StatusCode::NOT_FOUND, lang, &req)
}

/// A failure in a page handler.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    lang: Lang,
    principal: Option<Principal>,
}

impl PageError {
    /// Not found — also what another tenant's or organisation's ids give.
    pub fn not_found(lang: Lang, principal: Option<&Principal>) -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            lang,
            principal: principal.cloned(),
        }
    }

    /// A storage failure: not-found stays not-found, anything else is logged and shown
    /// as a server error.
    pub fn store(e: StoreError, lang: Lang, principal: Option<&Principal>) -> PageError {
        let status = match &e {
            StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
            _ => {
                tracing::error!(error = %e, "page failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        PageError {
            status,
            lang,
            principal: principal.cloned(),
        }
    }

    /// A template that failed to render.
    pub fn render(e: askama::Error, lang: Lang) -> PageError {
        tracing::error!(error = %e, "template failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            lang,
            principal: None,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        render_status(self.status, self.lang, self.principal, "")
    }
}

/// One field's problem, in the API's error body.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &str, title: &str) -> ApiError {
        ApiError {
            kind: format!("https://vidare.invalid/problems/{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
        }
    }

    /// 401: no valid session or token.
    pub fn unauthorized(lang: Lang) -> ApiError {
        let title = match lang {
            Lang::Sv => "Inloggning krävs. Skicka en API-nyckel i Authorization: Bearer.",
            Lang::En => "Authentication required. Send an API token as Authorization: Bearer.",
        };
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", title)
    }

    /// 403: signed in, but the role may not do this.
    pub fn forbidden(lang: Lang) -> ApiError {
        let title = match lang {
            Lang::Sv => "Din roll har inte behörighet till detta.",
            Lang::En => "Your role may not do this.",
        };
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", title)
    }

    /// 403: a state change without the session's CSRF token.
    pub fn csrf(lang: Lang) -> ApiError {
        let title = match lang {
            Lang::Sv => "CSRF-token saknas eller är fel. Skicka sessionens token i X-CSRF-Token.",
            Lang::En => {
                "The CSRF token is missing or wrong. Send the session's token in X-CSRF-Token."
            }
        };
        ApiError::new(StatusCode::FORBIDDEN, "csrf", title)
    }

    /// 413: a form larger than any form without a file (uploads have their own,
    /// [`ApiError::file_too_large`]).
    pub fn too_large(lang: Lang) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            crate::i18n::t(lang, "error.too_large"),
        )
    }

    /// 413: an uploaded file over the store's limit, naming the field `file`.
    pub fn file_too_large(lang: Lang) -> ApiError {
        let message = crate::i18n::t(lang, "error.file_too_large");
        let mut e = ApiError::invalid(
            lang,
            vec![FieldProblem {
                field: "file".into(),
                message: message.to_string(),
            }],
        );
        e.status = StatusCode::PAYLOAD_TOO_LARGE.as_u16();
        e.title = message.to_string();
        e
    }

    /// 404.
    pub fn not_found(lang: Lang) -> ApiError {
        let title = match lang {
            Lang::Sv => "Resursen finns inte.",
            Lang::En => "The resource does not exist.",
        };
        ApiError::new(StatusCode::NOT_FOUND, "not-found", title)
    }

    /// 422 with one problem per field.
    pub fn invalid(lang: Lang, errors: Vec<FieldProblem>) -> ApiError {
        let title = match lang {
            Lang::Sv => "Uppgifterna är felaktiga. Rätta fälten och försök igen.",
            Lang::En => "The data are invalid. Correct the fields and try again.",
        };
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", title);
        e.errors = errors;
        e
    }

    /// 400: a body that is not valid JSON or not the expected shape.
    pub fn malformed(lang: Lang, detail: String) -> ApiError {
        let title = match lang {
            Lang::Sv => "Begäran kunde inte läsas. Skicka giltig JSON enligt API-beskrivningen.",
            Lang::En => {
                "The request could not be read. Send valid JSON as the API description says."
            }
        };
        let mut e = ApiError::new(StatusCode::BAD_REQUEST, "malformed", title);
        e.detail = Some(detail);
        e
    }

    /// Maps a storage failure: conflicts and rule violations name their field.
    pub fn store(e: StoreError, lang: Lang) -> ApiError {
        match &e {
            StoreError::NotFound { .. } => ApiError::not_found(lang),
            StoreError::Conflict { field } => {
                let mut err = ApiError::new(StatusCode::CONFLICT, "conflict", &e.message(lang));
                err.errors.push(FieldProblem {
                    field: field.to_string(),
                    message: e.message(lang),
                });
                err
            }
            StoreError::Rule(v) => ApiError::invalid(
                lang,
                vec![FieldProblem {
                    field: v.field.to_string(),
                    message: v.message(lang),
                }],
            ),
            _ => {
                tracing::error!(error = %e, "API request failed");
                let title = match lang {
                    Lang::Sv => "Ett tekniskt fel inträffade. Försök igen om en stund.",
                    Lang::En => "A technical error occurred. Try again in a moment.",
                };
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server-error", title)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            serde_json::to_string(&self).unwrap_or_default(),
        )
            .into_response()
    }
}
