//! The OpenAPI 3.1 description of the API, generated from the handlers'
//! `#[utoipa::path]` attributes and the wire types' `ToSchema`, then completed from the
//! route table: each operation's required roles (`x-required-roles`), security
//! requirements and 401/403 answers come from the same [`Access`] rule that guards the
//! route, so the document cannot promise what the server refuses or the reverse.

use std::sync::LazyLock;

use axum::http::{header, Method};
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use vidare_domain::model::tenant::RoleKind;

use super::{
    agreements, audit, me, organisations, participants, placement_types, retention, rounds, Amount,
    FieldErrorDoc, ListMeta, ProblemDoc,
};
use crate::routes::{Access, RouteDef};

/// Where the document is served.
pub const PATH: &str = "/api/openapi.json";

/// The name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";
/// The name of the session-cookie security scheme.
pub const SESSION: &str = "session";
/// The name of the CSRF-header security scheme.
pub const CSRF: &str = "csrf";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vidare API",
        description = "The JSON API of Vidare: supplier organisations, participants, procurement \
rounds, framework agreements and the audit log of one municipality (tenant).\n\n\
Authenticate with an API token (`Authorization: Bearer <token>`, created by the tenant's \
administrator with a role) or, from a signed-in browser, with the session cookie plus the \
session's `X-CSRF-Token` header on every state change. A token or user sees only its own \
tenant's data and only what its role allows — the same rules as the pages; a supplier user \
sees only its own organisation (any other id answers 404).\n\n\
Bodies are JSON with snake_case keys. Timestamps are RFC 3339, dates `YYYY-MM-DD`, money an \
object with integer `ore` and a Swedish `formatted` string. One item is `{\"data\": {...}}`; \
a list is `{\"data\": [...], \"meta\": {\"total\", \"limit\", \"offset\"}}`. Every error is an \
RFC 9457 problem document (`application/problem+json`) whose `errors` name each field to \
correct, in Swedish or English after `Accept-Language`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2")
    ),
    paths(
        me::me,
        organisations::list,
        organisations::show,
        organisations::create,
        participants::list,
        participants::show,
        participants::create,
        placement_types::list,
        rounds::list,
        rounds::show,
        agreements::list,
        audit::list,
        retention::show,
        retention::set,
    ),
    components(schemas(ProblemDoc, FieldErrorDoc, ListMeta, Amount)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "me", description = "The caller."),
        (name = "organisations", description = "The supplier register: social enterprises and other suppliers."),
        (name = "participants", description = "Participants' personal data, for case work. Every read is recorded in the access log."),
        (name = "procurement", description = "Placement types, procurement rounds with their lots, and framework agreements."),
        (name = "audit", description = "The tenant's hash-chained audit log, for administrators. Reading entries that still hold a participant's record is recorded in the access log."),
        (name = "retention", description = "How long participants' personal data is kept before it is anonymised, for administrators."),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token, created by the tenant's administrator for one \
                         integration with one role. Requests with a token need no CSRF token.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::session::SESSION_COOKIE,
                "The session cookie of a signed-in browser.",
            ))),
        );
        components.add_security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF token, required with the session cookie on every \
                 POST, PUT, PATCH or DELETE; a state change without it is refused with 403 \
                 and changes nothing.",
            ))),
        );
    }
}

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let mut whole = ApiDoc::openapi();
    whole.merge(super::procurement::openapi());
    whole.merge(super::placements::openapi());
    whole.merge(super::effects::openapi());
    whole.merge(super::invoicing::openapi());
    whole.merge(super::open_data::openapi());
    let mut doc = serde_json::to_value(whole).expect("the document serialises");
    if let Err(e) = describe_access(&mut doc, &super::v1_routes()) {
        panic!("the OpenAPI document disagrees with the route table: {e}");
    }
    doc
});

static SERVED: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(&*DOCUMENT).expect("the document serialises"));

/// The whole OpenAPI document.
pub fn document() -> &'static Value {
    &DOCUMENT
}

/// `GET /api/openapi.json`.
pub(super) async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        SERVED.as_str(),
    )
}

/// The role codes an access rule admits (every role for "signed in", none for public).
pub fn role_codes(access: Access) -> Vec<&'static str> {
    match access {
        Access::Public => Vec::new(),
        Access::SignedIn => RoleKind::ALL.iter().map(|r| r.as_str()).collect(),
        Access::Roles(roles) => roles.iter().map(|r| r.as_str()).collect(),
    }
}

/// JSON Pointer escaping of one reference token (RFC 6901).
fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Completes every operation from its route: required roles, security requirements and
/// the 401/403 answers. Fails when a route has no operation or an operation no route.
pub fn describe_access(doc: &mut Value, routes: &[RouteDef]) -> Result<(), String> {
    let problem = json!({
        "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } }
    });
    doc["components"]["responses"] = json!({
        "Unauthorized": {
            "description": "No valid API token or session: sign in or send `Authorization: Bearer <token>`. A revoked, expired or unknown token answers this too.",
            "content": problem,
        },
        "Forbidden": {
            "description": "The role may not do this, or (with a session cookie) the `X-CSRF-Token` header is missing or wrong.",
            "content": problem,
        },
    });
    let mut seen = Vec::new();
    for def in routes {
        let method = def.method.as_str().to_ascii_lowercase();
        let pointer = format!("/paths/{}/{method}", pointer_token(def.path));
        let op = doc
            .pointer_mut(&pointer)
            .ok_or_else(|| format!("{} {} has no #[utoipa::path]", def.method, def.path))?;
        seen.push((method.clone(), def.path.to_string()));
        op["x-required-roles"] = json!(role_codes(def.access));
        let changes_state = def.method != Method::GET && def.method != Method::HEAD;
        op["security"] = match (def.access, changes_state) {
            (Access::Public, _) => json!([]),
            (_, false) => json!([{ BEARER: [] }, { SESSION: [] }]),
            (_, true) => json!([{ BEARER: [] }, { SESSION: [], CSRF: [] }]),
        };
        if def.access != Access::Public {
            op["responses"]["401"] = json!({ "$ref": "#/components/responses/Unauthorized" });
        }
        if matches!(def.access, Access::Roles(_)) || (changes_state && def.access != Access::Public)
        {
            op["responses"]["403"] = json!({ "$ref": "#/components/responses/Forbidden" });
        }
    }
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            if !seen.iter().any(|(m, p)| m == method && p == path) {
                return Err(format!("{method} {path} is documented but not routed"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_and_every_operation_routed() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let ops: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|i| i.as_object().unwrap().len())
            .sum();
        assert_eq!(ops, super::super::v1_routes().len());
        // A route without an operation is found.
        let mut bare = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let extra = vec![RouteDef::get(
            "/api/v1/undocumented",
            Access::SignedIn,
            || async { "" },
        )];
        assert!(describe_access(&mut bare, &extra).is_err());
    }

    #[test]
    fn roles_come_from_the_route_table() {
        let doc = document();
        let op = &doc["paths"]["/api/v1/audit"]["get"];
        assert_eq!(op["x-required-roles"], json!(["tenant_admin"]));
        let op = &doc["paths"]["/api/v1/organisations"]["post"];
        assert_eq!(
            op["x-required-roles"],
            json!(["tenant_admin", "procurement_officer"])
        );
        assert_eq!(op["security"][1], json!({ "session": [], "csrf": [] }));
        assert!(op["responses"]["403"].is_object());
    }
}
