//! The invoicing area's pages. Routes are added to [`routes`]; the permission table in
//! `tests/permissions/invoicing.rs` must list each of them.

use crate::routes::RouteDef;

/// Every page route of this area.
pub fn routes() -> Vec<RouteDef> {
    Vec::new()
}
