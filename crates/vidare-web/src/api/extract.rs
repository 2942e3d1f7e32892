//! Extractors for the API that answer bad input with a problem document (400, naming the
//! field or parameter) instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use vidare_domain::Lang;
use vidare_store::{Scoped, Store};

use crate::error::{ApiError, FieldProblem};
use crate::i18n::t;
use crate::session::Principal;

/// Who is calling and in which language to answer: the API's request context.
#[derive(Debug, Clone)]
pub struct Caller {
    pub lang: Lang,
    pub principal: Option<Principal>,
    /// The request path, recorded with every read of personal data.
    pub path: String,
}

impl Caller {
    /// The principal; routes behind an access rule always have one.
    pub fn who(&self) -> &Principal {
        self.principal
            .as_ref()
            .expect("the access rule admits only signed-in principals here")
    }

    /// Queries limited to the caller's tenant, recorded as the caller's.
    pub fn scoped<'a>(&self, store: &'a Store) -> Scoped<'a> {
        self.who().scoped(store)
    }

    /// A 404 in the caller's language.
    pub fn not_found(&self) -> ApiError {
        ApiError::not_found(self.lang)
    }

    /// Maps a storage failure to a problem document in the caller's language.
    pub fn store_error(&self, e: vidare_store::StoreError) -> ApiError {
        ApiError::store(e, self.lang)
    }
}

fn lang(parts: &Parts) -> Lang {
    parts.extensions.get::<Lang>().copied().unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller {
            lang: lang(parts),
            principal: parts.extensions.get::<Principal>().cloned(),
            path: parts.uri.path().to_string(),
        })
    }
}

/// A 400 naming one field (a body field, query or path parameter).
pub fn bad_field(lang: Lang, field: &str, message: String) -> ApiError {
    let mut e = ApiError::malformed(lang, message.clone());
    e.errors.push(FieldProblem {
        field: field.to_string(),
        message,
    });
    e
}

/// A JSON body. Syntax errors and values of the wrong type give 400 with the path of the
/// offending field (`headcount_total`, `items[2].name`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        if !json {
            return Err(ApiError::malformed(
                lang,
                t(lang, "api.content_type").to_string(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::malformed(lang, e.body_text()))?;
        parse_json(&bytes, lang).map(ApiJson)
    }
}

/// Parses a JSON document, reporting where it went wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], lang: Lang) -> Result<T, ApiError> {
    let syntax = |e: &serde_json::Error| {
        ApiError::malformed(lang, format!("{} ({e})", t(lang, "api.syntax")))
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => bad_field(
                lang,
                &path,
                format!("{} ({inner})", t(lang, "api.wrong_type")),
            ),
            serde_json::error::Category::Data => {
                ApiError::malformed(lang, format!("{} ({inner})", t(lang, "api.wrong_shape")))
            }
            _ => syntax(&inner),
        }
    })?;
    // Trailing characters after the document are a syntax error too.
    de.end().map_err(|e| syntax(&e))?;
    Ok(value)
}

/// Query parameters; a value that does not parse gives 400 naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = lang(parts);
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = format!("{} ({})", t(lang, "api.bad_parameter"), e.inner());
                if path == "." {
                    ApiError::malformed(lang, message)
                } else {
                    bad_field(lang, &path, message)
                }
            })
    }
}

/// Path parameters; `/api/v1/participants/abc` gives 400 naming `id`.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang(parts);
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let message = format!("{} ({})", t(lang, "api.bad_parameter"), e.body_text());
                let key = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => Some(key.clone()),
                    // A single value (`Path<i64>`) does not know its name: the route's only
                    // parameter is the one at fault.
                    _ => RawPathParams::from_request_parts(parts, state)
                        .await
                        .ok()
                        .and_then(|raw| {
                            let mut it = raw.iter();
                            match (it.next(), it.next()) {
                                (Some((k, _)), None) => Some(k.to_string()),
                                _ => None,
                            }
                        }),
                };
                Err(match key {
                    Some(key) => bad_field(lang, &key, message),
                    None => ApiError::malformed(lang, message),
                })
            }
            Err(other) => Err(ApiError::malformed(lang, other.body_text())),
        }
    }
}
