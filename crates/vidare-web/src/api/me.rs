//! `GET /api/v1/me`: who the caller is.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use vidare_domain::Lang;

use super::{envelopes, Caller, RoleCode};
use crate::session::Via;

/// The caller's tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantOut {
    pub id: i64,
    /// Short name used in URLs (`ostersund`).
    pub slug: String,
    pub name: String,
    /// Whether every record of the tenant is synthetic demo data.
    pub synthetic: bool,
}

/// The signed-in user or API token behind the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub tenant: TenantOut,
    #[schema(value_type = RoleCode)]
    pub role: &'static str,
    /// The role's name in the request's language.
    pub role_name: &'static str,
    /// The user's display name, or the token's name.
    pub name: String,
    /// The supplier organisation, for a supplier user.
    pub organisation_id: Option<i64>,
    /// `session` (browser) or `token` (API token).
    #[schema(example = "token")]
    pub authenticated_by: &'static str,
}

envelopes!(item Me => MeItem);

/// Who is calling
///
/// The tenant, role and name of the signed-in user or API token.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "me",
    operation_id = "me",
    responses((status = 200, description = "The caller.", body = MeItem))
)]
pub(super) async fn me(caller: Caller) -> Json<MeItem> {
    let who = caller.who();
    let kind = who.role.kind();
    Json(MeItem {
        data: Me {
            tenant: TenantOut {
                id: who.tenant.id.get(),
                slug: who.tenant.slug.to_string(),
                name: who.tenant.name.to_string(),
                synthetic: who.tenant.synthetic,
            },
            role: kind.as_str(),
            role_name: match caller.lang {
                Lang::Sv => kind.name_sv(),
                Lang::En => kind.name_en(),
            },
            name: who.display_name.clone(),
            organisation_id: who.role.organisation_id().map(|o| o.get()),
            authenticated_by: match who.via {
                Via::Session { .. } => "session",
                Via::Token { .. } => "token",
            },
        },
    })
}
