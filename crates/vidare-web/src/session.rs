//! Who is asking: a signed-in user (session cookie) or a system integration (API
//! token), and in which language to answer.
//!
//! The session cookie holds a random 256-bit value; the database knows only its SHA-256.
//! Sessions end after an idle period and at an absolute limit. Language comes from the
//! user's setting, then the `vidare_lang` cookie, then `Accept-Language`, then Swedish.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use vidare_domain::ids::UserId;
use vidare_domain::model::tenant::{Role, Tenant};
use vidare_domain::Lang;
use vidare_store::repo::auth::secret_hash;
use vidare_store::{Actor, Scoped, Store};

use crate::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "vidare_session";
/// The language cookie.
pub const LANG_COOKIE: &str = "vidare_lang";

/// How a principal proved who it is.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session; `csrf` must accompany every state change.
    Session { token_hash: String, csrf: String },
    /// An API token (`Authorization: Bearer …`).
    Token { id: i64 },
}

/// The signed-in user or integration behind a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: Tenant,
    pub role: Role,
    pub user_id: Option<UserId>,
    /// E-mail address, or `token:NAME`.
    pub label: String,
    pub display_name: String,
    pub via: Via,
}

impl Principal {
    /// The audit log's name for this principal.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id,
            label: self.label.clone(),
        }
    }

    /// Queries limited to the principal's tenant, recorded as the principal's.
    pub fn scoped<'a>(&self, store: &'a Store) -> Scoped<'a> {
        store.tenant_as(self.tenant.id, self.actor())
    }

    /// The session's CSRF token, for forms.
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token { .. } => None,
        }
    }
}

/// A cookie's value from the request.
pub fn cookie<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language chosen for this request by [`load`].
pub fn lang_of(req: &Request) -> Lang {
    req.extensions().get::<Lang>().copied().unwrap_or_default()
}

fn negotiate(req: &Request, user_setting: Option<Lang>) -> Lang {
    if let Some(lang) = user_setting {
        return lang;
    }
    if let Some(lang) = cookie(req, LANG_COOKIE).and_then(Lang::from_tag) {
        return lang;
    }
    // Accept-Language: the first tag we speak, by quality.
    let mut best: Option<(f32, Lang)> = None;
    if let Some(al) = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        for part in al.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or_default();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
    }
    best.map(|(_, l)| l).unwrap_or_default()
}

/// Finds the principal and the language, and puts them in the request's extensions.
pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let mut principal = None;
    let mut user_lang = None;
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    if let Some(token) = bearer {
        match state.store().api_token(&secret_hash(token.trim())).await {
            Ok(Some(t)) => {
                if let Ok(tenant) = state
                    .tenant(vidare_domain::ids::TenantId(t.tenant_id))
                    .await
                {
                    principal = Some(Principal {
                        tenant,
                        role: t.role,
                        user_id: None,
                        label: format!("token:{}", t.name),
                        display_name: t.name.clone(),
                        via: Via::Token { id: t.id },
                    });
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "looking up an API token"),
        }
    } else if let Some(value) = cookie(&req, SESSION_COOKIE) {
        let token_hash = secret_hash(value);
        match state.store().session(&token_hash).await {
            Ok(Some(s)) => {
                let now = Utc::now();
                // Extend the idle expiry at most once a minute: a read per request, a
                // write per minute.
                if now - s.last_seen_at > chrono::Duration::minutes(1) {
                    let expires = (now + state.settings().session_idle)
                        .min(s.created_at + state.settings().session_absolute);
                    if let Err(e) = state.store().touch_session(&token_hash, expires).await {
                        tracing::warn!(error = %e, "extending a session");
                    }
                }
                if let Ok(tenant) = state.tenant(s.user.tenant_id).await {
                    user_lang = s.lang;
                    principal = Some(Principal {
                        tenant,
                        role: s.user.role,
                        user_id: Some(s.user.id),
                        label: s.user.email.to_string(),
                        display_name: s.user.display_name.to_string(),
                        via: Via::Session {
                            token_hash,
                            csrf: s.csrf_token,
                        },
                    });
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "looking up a session"),
        }
    }
    let lang = negotiate(&req, user_lang);
    req.extensions_mut().insert(lang);
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

/// A `Set-Cookie` value with Vidare's attributes: HttpOnly, SameSite=Lax, Path=/, and
/// Secure when the settings say so. `max_age` of zero deletes the cookie; `None` makes
/// it last for the browser session.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<chrono::Duration>,
) -> header::HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={}", age.num_seconds().max(0)));
    }
    if state.settings().secure_cookies {
        c.push_str("; Secure");
    }
    header::HeaderValue::from_str(&c).expect("cookie values are ASCII")
}

/// A random 256-bit secret, hex encoded.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
