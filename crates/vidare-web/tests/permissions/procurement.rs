//! Who may use the procurement area's routes, and the sample records their paths need.

use super::support::TestApp;
use super::Who;
#[allow(unused_imports)]
use super::Who::*;

const OFFICER: &[Who] = &[Admin, Procurement];
const SUPPLIER: &[Who] = &[Supplier];
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
    // The procurement officer's pages.
    ("GET", "/upphandlingar", OFFICER),
    ("POST", "/upphandlingar", OFFICER),
    ("GET", "/upphandlingar/ny", OFFICER),
    ("GET", "/upphandlingar/behov", OFFICER),
    ("GET", "/upphandlingar/{id}", OFFICER),
    ("POST", "/upphandlingar/{id}/anbudstid", OFFICER),
    ("POST", "/upphandlingar/{id}/kriterier", OFFICER),
    ("POST", "/upphandlingar/{id}/publicera", OFFICER),
    ("POST", "/upphandlingar/{id}/dokument", OFFICER),
    ("GET", "/upphandlingar/{id}/delomraden", OFFICER),
    ("POST", "/upphandlingar/{id}/delomraden", OFFICER),
    ("GET", "/upphandlingar/{id}/inbjudningar", OFFICER),
    ("POST", "/upphandlingar/{id}/inbjudningar", OFFICER),
    (
        "GET",
        "/upphandlingar/{id}/inbjudningar/{invitation}",
        OFFICER,
    ),
    ("POST", "/upphandlingar/{id}/moten", OFFICER),
    (
        "POST",
        "/upphandlingar/{id}/moten/{meeting}/anmalningar",
        OFFICER,
    ),
    ("GET", "/upphandlingar/{id}/fragor", OFFICER),
    ("POST", "/upphandlingar/{id}/fragor/{question}", OFFICER),
    ("GET", "/upphandlingar/{id}/utvardering", OFFICER),
    ("GET", "/upphandlingar/{id}/utvardering/rapport", OFFICER),
    ("POST", "/upphandlingar/{id}/kvalificering/{bid}", OFFICER),
    ("POST", "/upphandlingar/{id}/betyg/{bid}", OFFICER),
    (
        "GET",
        "/upphandlingar/{id}/anbudsdokument/{document}",
        OFFICER,
    ),
    ("GET", "/upphandlingar/{id}/tilldelning", OFFICER),
    ("POST", "/upphandlingar/{id}/tilldelning", OFFICER),
    ("GET", "/upphandlingar/{id}/tilldelning/{bid}", OFFICER),
    ("GET", "/upphandlingar/{id}/avtal", OFFICER),
    ("POST", "/upphandlingar/{id}/avtal", OFFICER),
    // A supplier's tenders and declarations.
    ("GET", "/portal/anbud", SUPPLIER),
    ("POST", "/portal/anbud/egenforsakran", SUPPLIER),
    ("GET", "/portal/anbud/{id}", SUPPLIER),
    ("POST", "/portal/anbud/{id}", SUPPLIER),
    ("POST", "/portal/anbud/{id}/dokument", SUPPLIER),
    ("POST", "/portal/anbud/{id}/lamna", SUPPLIER),
    ("POST", "/portal/anbud/{id}/fragor", SUPPLIER),
    ("GET", "/portal/anbud/{id}/beslut", SUPPLIER),
    ("GET", "/portal/moten", SUPPLIER),
    ("POST", "/portal/moten/{meeting}/anmalan", SUPPLIER),
    ("POST", "/portal/moten/{meeting}/avanmalan", SUPPLIER),
    // The public notices.
    ("GET", "/annonser", EVERYONE),
    ("GET", "/annonser/{id}", EVERYONE),
    ("GET", "/annonser/{id}/dokument/{document}", EVERYONE),
    // The API.
    ("GET", "/api/v1/procurement/needs", OFFICER),
    ("POST", "/api/v1/rounds", OFFICER),
    ("POST", "/api/v1/rounds/{id}/lots", OFFICER),
    ("POST", "/api/v1/rounds/{id}/criteria", OFFICER),
    ("POST", "/api/v1/rounds/{id}/publish", OFFICER),
    ("GET", "/api/v1/rounds/{id}/outreach", OFFICER),
    ("POST", "/api/v1/rounds/{id}/invitations", OFFICER),
    ("GET", "/api/v1/rounds/{id}/meetings", OFFICER),
    ("POST", "/api/v1/rounds/{id}/meetings", OFFICER),
    (
        "GET",
        "/api/v1/rounds/{id}/meetings/{meeting}/registrations",
        OFFICER,
    ),
    (
        "POST",
        "/api/v1/rounds/{id}/meetings/{meeting}/registrations",
        OFFICER,
    ),
    ("GET", "/api/v1/rounds/{id}/documents", OFFICER),
    ("POST", "/api/v1/rounds/{id}/documents", OFFICER),
    ("GET", "/api/v1/rounds/{id}/questions", OFFICER),
    (
        "POST",
        "/api/v1/rounds/{id}/questions/{question}/answer",
        OFFICER,
    ),
    ("GET", "/api/v1/rounds/{id}/tenders", OFFICER),
    ("GET", "/api/v1/rounds/{id}/evaluation", OFFICER),
    ("POST", "/api/v1/rounds/{id}/qualifications", OFFICER),
    ("POST", "/api/v1/rounds/{id}/grades", OFFICER),
    ("GET", "/api/v1/rounds/{id}/award", OFFICER),
    ("POST", "/api/v1/rounds/{id}/award", OFFICER),
    ("POST", "/api/v1/rounds/{id}/signing", OFFICER),
    ("GET", "/api/v1/rounds/{id}/agreements", OFFICER),
    ("GET", "/api/v1/notices", EVERYONE),
    ("GET", "/api/v1/notices/{id}", EVERYONE),
    ("GET", "/api/v1/tenders/{id}", SUPPLIER),
    ("POST", "/api/v1/tenders/{id}", SUPPLIER),
    ("POST", "/api/v1/tenders/{id}/submit", SUPPLIER),
    ("POST", "/api/v1/tenders/{id}/questions", SUPPLIER),
    ("POST", "/api/v1/declarations", SUPPLIER),
    ("GET", "/api/v1/meetings", SUPPLIER),
    ("POST", "/api/v1/meetings/{id}/registrations", SUPPLIER),
    (
        "POST",
        "/api/v1/meetings/{id}/registrations/cancel",
        SUPPLIER,
    ),
];

/// Sample ids for path parameters, keyed by the path segment before the parameter
/// (`/upphandlingar/{id}` → `"upphandlingar"`), created in the test tenant. The round's
/// ids (`upphandlingar`, `rounds`) come from the core samples; the child records of a
/// round need not exist for a permission check (an allowed role gets 404, never 403).
pub async fn samples(_app: &TestApp) -> Vec<(&'static str, String)> {
    [
        ("inbjudningar", "1"),
        ("moten", "1"),
        ("meetings", "1"),
        ("fragor", "1"),
        ("questions", "1"),
        ("kvalificering", "1"),
        ("betyg", "1"),
        ("anbudsdokument", "1"),
        ("tilldelning", "1"),
        ("annonser", "1"),
        ("dokument", "1"),
        ("notices", "1"),
        ("anbud", "1"),
        ("tenders", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}
