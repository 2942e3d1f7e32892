//! Who may use the open_data area's routes, and the sample records their paths need.

use super::support::TestApp;
use super::Who;
#[allow(unused_imports)]
use super::Who::*;

/// The rule for each route of the area: method, path template, who may use it.
pub const TABLE: &[(&str, &str, &[Who])] = &[];

/// Sample ids for path parameters, keyed by the path segment before the parameter
/// (`/upphandlingar/{id}` → `"upphandlingar"`), created in the test tenant.
pub async fn samples(_app: &TestApp) -> Vec<(&'static str, String)> {
    Vec::new()
}
