//! The route table. Every route states who may use it; [`build`] wraps each handler in
//! that check, and the role × route test walks this table, so a route cannot be added
//! without a permission rule.

use std::collections::BTreeMap;

use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{self, MethodRouter};
use axum::Router;
use tower_http::trace::TraceLayer;
use vidare_domain::model::tenant::RoleKind;

use crate::session::Principal;
use crate::{assets, csrf, error, health, pages, session, AppState};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in, whatever the role.
    SignedIn,
    /// Signed in with one of these roles.
    Roles(&'static [RoleKind]),
}

impl Access {
    /// Whether a principal (or the public, `None`) may use the route.
    pub fn allows(self, who: Option<&Principal>) -> bool {
        match (self, who) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Roles(roles), Some(p)) => roles.contains(&p.role.kind()),
        }
    }
}

/// The access rules the routes share, so pages and their menu entries agree.
pub mod access {
    use super::Access;
    use vidare_domain::model::tenant::RoleKind::*;

    /// Anyone signed in.
    pub const SIGNED_IN: Access = Access::SignedIn;
    /// Personal data of participants: case workers and the tenant's administrators.
    pub const CASE_WORK: Access = Access::Roles(&[TenantAdmin, CaseWorker]);
    /// The supplier register.
    pub const SUPPLIER_REGISTER: Access =
        Access::Roles(&[TenantAdmin, ProcurementOfficer, CaseWorker, Management]);
    /// Procurement and contracts.
    pub const PROCUREMENT: Access = Access::Roles(&[TenantAdmin, ProcurementOfficer]);
    /// A supplier's own portal.
    pub const SUPPLIER: Access = Access::Roles(&[SupplierUser]);
    /// The municipality's invoicing: creating, approving and paying suppliers' invoices.
    pub const INVOICING: Access = Access::Roles(&[TenantAdmin, ProcurementOfficer]);
    /// An invoice's e-invoice document: the municipality's invoicing, and a supplier for
    /// its own approved documents (another's is not found).
    pub const INVOICE_DOCUMENT: Access =
        Access::Roles(&[TenantAdmin, ProcurementOfficer, SupplierUser]);
    /// Administration of the tenant: accounts, logs, tokens.
    pub const ADMIN: Access = Access::Roles(&[TenantAdmin]);
    /// Effect measurement (aggregates only): dashboards, the report, parameter sets.
    pub const EFFECTS: Access =
        Access::Roles(&[TenantAdmin, ProcurementOfficer, Management, Researcher]);
    /// New versions of the socio-economic parameter sets.
    pub const EFFECTS_PARAMETERS: Access = Access::Roles(&[TenantAdmin, Management, Researcher]);
}

/// One route: method, path, who may use it, and the handler.
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

impl RouteDef {
    /// A GET route.
    pub fn get<H, T>(path: &'static str, access: Access, handler: H) -> RouteDef
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        RouteDef {
            method: Method::GET,
            path,
            access,
            handler: routing::get(handler),
        }
    }

    /// A POST route.
    pub fn post<H, T>(path: &'static str, access: Access, handler: H) -> RouteDef
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        RouteDef {
            method: Method::POST,
            path,
            access,
            handler: routing::post(handler),
        }
    }

    /// A route with another method (PUT, PATCH, DELETE).
    pub fn on<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> RouteDef
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = routing::MethodFilter::try_from(method.clone()).expect("a routable method");
        RouteDef {
            method,
            path,
            access,
            handler: routing::on(filter, handler),
        }
    }
}

/// Every route of the application.
pub fn all() -> Vec<RouteDef> {
    [
        health::routes(),
        assets::routes(),
        pages::routes(),
        crate::metrics::routes(),
        crate::api::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Builds the router: each route behind its access check, all of them behind the CSRF
/// and session layers.
pub fn build(state: AppState, defs: Vec<RouteDef>) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for def in defs {
        let access = def.access;
        let guarded =
            def.handler
                .route_layer(middleware::from_fn(move |req: Request, next: Next| {
                    check(access, req, next)
                }));
        let merged = match by_path.remove(def.path) {
            Some(existing) => existing.merge(guarded),
            None => guarded,
        };
        by_path.insert(def.path, merged);
    }
    let mut router = Router::new();
    for (path, method_router) in by_path {
        router = router.route(path, method_router);
    }
    router
        .fallback(error::not_found)
        .layer(middleware::from_fn(csrf::protect))
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(
            crate::metrics::Registry::shared(),
            crate::metrics::record,
        ))
        .with_state(state)
}

async fn check(access: Access, req: Request, next: Next) -> Response {
    let who = req.extensions().get::<Principal>();
    if access.allows(who) {
        return next.run(req).await;
    }
    let lang = session::lang_of(&req);
    let api = req.uri().path().starts_with("/api/");
    match (who, api) {
        (None, true) => error::ApiError::unauthorized(lang).into_response(),
        (None, false) => {
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            let target = format!("/logga-in?next={}", pages::url_encode(&next));
            Redirect::to(&target).into_response()
        }
        (Some(_), true) => error::ApiError::forbidden(lang).into_response(),
        (Some(_), false) => error::page_status(StatusCode::FORBIDDEN, lang, &req),
    }
}
