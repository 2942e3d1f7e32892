//! Who may use the effects area's routes, and the sample records their paths need.

use std::collections::HashMap;

use vidare_effects::socioeconomic::ParameterSet;
use vidare_store::repo::effects::NewParameterSet;

use super::support::TestApp;
use super::Who;
#[allow(unused_imports)]
use super::Who::*;

/// Aggregated effect figures: administrators, coordinators (procurement), management
/// and evaluators (researchers) — never suppliers or case workers' personal-data role.
const EFFECTS: &[Who] = &[Admin, Procurement, Researcher, Management];
/// New versions of the parameter sets.
const PARAMETERS: &[Who] = &[Admin, Researcher, Management];
const EVERYONE: &[Who] = &[
    Public,
    Admin,
    Procurement,
    CaseWorker,
    Supplier,
    Researcher,
    Management,
];

/// The rule for each route of the area: method, path template, who may use it.
pub const TABLE: &[(&str, &str, &[Who])] = &[
    ("GET", "/effekter", EFFECTS),
    ("GET", "/effekter/rapport", EFFECTS),
    ("GET", "/effekter/rapport/ladda-ner", EFFECTS),
    ("GET", "/effekter/rapport/pdf", EFFECTS),
    ("GET", "/effekter/parametrar", EFFECTS),
    ("GET", "/effekter/parametrar/ny", PARAMETERS),
    ("POST", "/effekter/parametrar", PARAMETERS),
    ("GET", "/effekter/parametrar/{id}", EFFECTS),
    // The public page: aggregates only, small cells suppressed.
    ("GET", "/effekter/offentlig", EVERYONE),
    ("GET", "/api/v1/effects", EFFECTS),
    ("GET", "/api/v1/effects/parameter-sets", EFFECTS),
    ("POST", "/api/v1/effects/parameter-sets", PARAMETERS),
];

/// Sample ids for path parameters, keyed by the path segment before the parameter
/// (`/upphandlingar/{id}` → `"upphandlingar"`), created in the test tenant.
pub async fn samples(app: &TestApp) -> Vec<(&'static str, String)> {
    let id = app
        .db
        .store
        .tenant(app.tenant)
        .save_parameter_set(&NewParameterSet {
            name: "Prov".into(),
            parameters: ParameterSet::default(),
            sources: HashMap::new(),
            note: None,
        })
        .await
        .unwrap();
    vec![("parametrar", id.to_string())]
}
