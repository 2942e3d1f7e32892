//! The open_data area's JSON API under `/api/v1`.

use crate::routes::RouteDef;

/// Every API route of this area; each must also appear in [`openapi`]'s paths.
pub fn routes() -> Vec<RouteDef> {
    Vec::new()
}

/// This area's part of the OpenAPI document (merged into the whole in
/// [`super::openapi`]). Replace with a `#[derive(utoipa::OpenApi)]` listing the paths.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApiBuilder::new().build()
}
