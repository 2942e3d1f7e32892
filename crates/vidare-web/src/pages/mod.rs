//! The pages rendered on the server. Each module declares its routes with their access
//! rules; [`Page`] is what every template's layout needs.

mod account;
mod admin;
mod dashboard;
pub mod effects;
mod home;
pub mod invoicing;
mod login;
pub mod open_data;
mod organisations;
mod participants;
pub mod placements;
pub mod procurement;

pub use login::DEMO_PASSWORD;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use vidare_domain::Lang;

use crate::assets::ASSETS;
use crate::error::PageError;
use crate::i18n::t;
use crate::routes::{access, Access, RouteDef};
use crate::session::Principal;

/// Every page route.
pub fn routes() -> Vec<RouteDef> {
    [
        home::routes(),
        login::routes(),
        dashboard::routes(),
        account::routes(),
        participants::routes(),
        organisations::routes(),
        admin::routes(),
        procurement::routes(),
        placements::routes(),
        effects::routes(),
        invoicing::routes(),
        open_data::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The main menu: an entry shows only to those its page allows.
const NAV: &[(&str, &str, Access)] = &[
    ("/oversikt", "nav.dashboard", access::SIGNED_IN),
    ("/deltagare", "nav.participants", access::CASE_WORK),
    ("/narvaro", "placements.attendance_title", access::CASE_WORK),
    ("/uppfoljningar", "placements.due_title", access::CASE_WORK),
    (
        "/leverantorer",
        "nav.organisations",
        access::SUPPLIER_REGISTER,
    ),
    ("/upphandlingar", "proc.nav_main", access::PROCUREMENT),
    ("/fakturor", "invoicing.nav", access::INVOICING),
    ("/portal", "nav.portal", access::SUPPLIER),
    ("/effekter", "effects.nav", access::EFFECTS),
    ("/portal/anbud", "proc.nav_tenders", access::SUPPLIER),
    ("/portal/fakturor", "invoicing.nav_portal", access::SUPPLIER),
    ("/admin", "admin.nav", access::ADMIN),
];

/// What a handler knows about the request: language, who asks, and the path.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub principal: Option<Principal>,
    pub path: String,
}

impl Ctx {
    /// The signed-in principal; routes behind an access rule always have one.
    pub fn who(&self) -> &Principal {
        self.principal
            .as_ref()
            .expect("the access rule admits only signed-in principals here")
    }

    /// A translated text.
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    /// The layout context for a page titled by `title_key`.
    pub fn page(&self, title_key: &str) -> Page {
        Page::bare(
            self.lang,
            self.principal.clone(),
            self.t(title_key),
            &self.path,
        )
    }

    /// A not-found error in this request's language.
    pub fn not_found(&self) -> PageError {
        PageError::not_found(self.lang, self.principal.as_ref())
    }

    /// Maps a storage failure to a page error.
    pub fn store_error(&self, e: vidare_store::StoreError) -> PageError {
        PageError::store(e, self.lang, self.principal.as_ref())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx {
            lang: parts.extensions.get::<Lang>().copied().unwrap_or_default(),
            principal: parts.extensions.get::<Principal>().cloned(),
            path: parts.uri.path().to_string(),
        })
    }
}

/// One entry of the main menu.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the layout (`base.html`) needs.
pub struct Page {
    pub lang: Lang,
    pub title: String,
    pub tenant_name: Option<String>,
    pub tenant_id: Option<i64>,
    pub synthetic: bool,
    pub user_name: Option<String>,
    pub role_name: Option<&'static str>,
    pub csrf: String,
    pub css: &'static str,
    pub htmx: &'static str,
    pub nav: Vec<NavItem>,
    pub path: String,
}

impl Page {
    /// A page for `principal` (or the public) in `lang`.
    pub fn bare(lang: Lang, principal: Option<Principal>, title: &str, path: &str) -> Page {
        let nav = match &principal {
            None => Vec::new(),
            Some(p) => NAV
                .iter()
                .filter(|(_, _, access)| access.allows(Some(p)))
                .map(|(href, key, _)| NavItem {
                    href,
                    label: t(lang, key),
                    current: path == *href || path.starts_with(&format!("{href}/")),
                })
                .collect(),
        };
        Page {
            lang,
            title: title.to_string(),
            tenant_name: principal.as_ref().map(|p| p.tenant.name.to_string()),
            tenant_id: principal.as_ref().map(|p| p.tenant.id.get()),
            synthetic: principal.as_ref().is_some_and(|p| p.tenant.synthetic),
            user_name: principal.as_ref().map(|p| p.display_name.clone()),
            role_name: principal.as_ref().map(|p| match lang {
                Lang::Sv => p.role.kind().name_sv(),
                Lang::En => p.role.kind().name_en(),
            }),
            csrf: principal
                .as_ref()
                .and_then(|p| p.csrf())
                .unwrap_or_default()
                .to_string(),
            css: &ASSETS.css,
            htmx: &ASSETS.htmx,
            nav,
            path: path.to_string(),
        }
    }

    /// A translated text.
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    /// `sv` or `en`.
    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The language the switch offers.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Sv => "en",
            Lang::En => "sv",
        }
    }

    /// The `next` parameter for a link back to this page, URL-encoded.
    pub fn path_encoded(&self) -> String {
        url_encode(&self.path)
    }
}

/// Renders a template or reports why it could not.
pub fn render(template: &impl askama::Template, lang: Lang) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => PageError::render(e, lang).into_response(),
    }
}

/// Percent-encodes a URL component.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A redirect target from a `next` parameter: only local paths, so sign-in cannot be
/// used to send someone to another site.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/oversikt",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_redirects() {
        use super::safe_next;
        assert_eq!(safe_next(Some("/deltagare?page=2")), "/deltagare?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/oversikt");
        assert_eq!(safe_next(Some("https://evil.example")), "/oversikt");
        assert_eq!(safe_next(Some("/\\evil.example")), "/oversikt");
        assert_eq!(safe_next(None), "/oversikt");
    }
}
