//! Who may use the open_data area's routes, and the sample records their paths need.

use vidare_domain::deadline::Deadline;
use vidare_domain::model::procurement::{
    ContractKind, ContractPeriod, CpvCode, LegalBasis, RoundStatus,
};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_store::repo::procurement::NewRound;

use super::support::TestApp;
use super::Who;
#[allow(unused_imports)]
use super::Who::*;

/// Open data is public: everyone, signed in or not (its settings are the administrator's).
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
    ("GET", "/oppen-data", EVERYONE),
    ("GET", "/oppen-data/ocds.json", EVERYONE),
    ("GET", "/oppen-data/ocds/{file}", EVERYONE),
    // The municipality's OCID prefix: its administrator only.
    ("POST", "/oppen-data/installningar", &[Admin]),
];

/// Sample ids for path parameters, keyed by the path segment before the parameter
/// (`/upphandlingar/{id}` → `"upphandlingar"`), created in the test tenant.
pub async fn samples(app: &TestApp) -> Vec<(&'static str, String)> {
    // A published round whose deadline has passed, so its package exists.
    let round = app
        .db
        .store
        .tenant(app.tenant)
        .insert_round(&NewRound {
            title: Text::parse("Öppna data-prov").unwrap(),
            reference: None,
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![CpvCode::parse("85312320-8").unwrap()],
            estimated_value: Money::from_kronor(900_000),
            contract_period: ContractPeriod::new(
                chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                24,
                0,
            )
            .unwrap(),
            tender_deadline: Some(Deadline::parse("2024-10-01T12:00").unwrap()),
            status: RoundStatus::Evaluation,
            synthetic: true,
        })
        .await
        .unwrap();
    vec![("ocds", format!("{}.json", round.get()))]
}
