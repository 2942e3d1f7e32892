//! Who may use the placements area's routes, and the sample records their paths need.

use chrono::NaiveDate;
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::WeeklyMinutes;
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::period::DateRange;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::repo::placements::{NewPlacement, NewReferral};
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};

use super::support::TestApp;
use super::Who;
#[allow(unused_imports)]
use super::Who::*;

const CASE_WORK: &[Who] = &[Admin, CaseWorker];
const SUPPLIER: &[Who] = &[Supplier];

/// The rule for each route of the area: method, path template, who may use it.
pub const TABLE: &[(&str, &str, &[Who])] = &[
    // Case work: participants' personal data, case workers and administrators only.
    ("GET", "/deltagare/ny", CASE_WORK),
    ("POST", "/deltagare/ny", CASE_WORK),
    ("GET", "/deltagare/{id}/anvisa", CASE_WORK),
    ("POST", "/deltagare/{id}/anvisa", CASE_WORK),
    ("GET", "/deltagare/{id}/export", CASE_WORK),
    ("GET", "/placeringar/{id}", CASE_WORK),
    ("POST", "/placeringar/{id}/anteckningar", CASE_WORK),
    ("POST", "/placeringar/{id}/paus", CASE_WORK),
    ("POST", "/placeringar/{id}/ateruppta", CASE_WORK),
    ("POST", "/placeringar/{id}/planerat-slut", CASE_WORK),
    ("POST", "/placeringar/{id}/timmar-och-mal", CASE_WORK),
    ("POST", "/placeringar/{id}/avslut", CASE_WORK),
    ("POST", "/placeringar/{id}/uppfoljning", CASE_WORK),
    ("GET", "/uppfoljningar", CASE_WORK),
    // The municipality's approval of monthly attendance.
    ("GET", "/narvaro", CASE_WORK),
    ("GET", "/narvaro/{month}", CASE_WORK),
    ("POST", "/narvaro/{month}", CASE_WORK),
    ("POST", "/narvaro-sista-dag", CASE_WORK),
    ("GET", "/narvaro/{month}/rattelse/{id}", CASE_WORK),
    ("POST", "/narvaro/{month}/rattelse/{id}", CASE_WORK),
    // The suppliers' portal: supplier users only, their own organisation.
    ("GET", "/portal", SUPPLIER),
    ("GET", "/portal/anvisningar", SUPPLIER),
    ("GET", "/portal/anvisningar/{id}", SUPPLIER),
    ("POST", "/portal/anvisningar/{id}", SUPPLIER),
    ("GET", "/portal/narvaro", SUPPLIER),
    ("GET", "/portal/narvaro/{month}", SUPPLIER),
    ("POST", "/portal/narvaro/{month}", SUPPLIER),
    // The API.
    ("GET", "/api/v1/free-places", CASE_WORK),
    ("POST", "/api/v1/participants/{id}/referrals", CASE_WORK),
    ("GET", "/api/v1/participants/{id}/record", CASE_WORK),
    ("GET", "/api/v1/placements/{id}", CASE_WORK),
    ("POST", "/api/v1/placements/{id}/notes", CASE_WORK),
    ("POST", "/api/v1/placements/{id}/pauses", CASE_WORK),
    ("POST", "/api/v1/placements/{id}/resume", CASE_WORK),
    ("POST", "/api/v1/placements/{id}/planned-end", CASE_WORK),
    ("POST", "/api/v1/placements/{id}/hours-and-goals", CASE_WORK),
    ("POST", "/api/v1/placements/{id}/exit", CASE_WORK),
    ("POST", "/api/v1/placements/{id}/follow-ups", CASE_WORK),
    ("GET", "/api/v1/follow-ups/due", CASE_WORK),
    ("GET", "/api/v1/attendance/{month}", CASE_WORK),
    ("POST", "/api/v1/attendance/{month}/approve", CASE_WORK),
    ("POST", "/api/v1/attendance/{month}/corrections", CASE_WORK),
    ("GET", "/api/v1/portal/referrals", SUPPLIER),
    ("POST", "/api/v1/portal/referrals/{id}/accept", SUPPLIER),
    ("POST", "/api/v1/portal/referrals/{id}/decline", SUPPLIER),
    ("GET", "/api/v1/portal/attendance/{month}", SUPPLIER),
    ("POST", "/api/v1/portal/attendance/{month}", SUPPLIER),
];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Sample ids for path parameters, keyed by the path segment before the parameter
/// (`/upphandlingar/{id}` → `"upphandlingar"`), created in the test tenant: a running
/// placement and a pending referral at the test supplier, and a month.
pub async fn samples(app: &TestApp) -> Vec<(&'static str, String)> {
    let s = app.db.store.tenant(app.tenant);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("prov-snickeri").unwrap(),
            name_sv: Text::parse("Snickeri").unwrap(),
            name_en: Text::parse("Carpentry").unwrap(),
        })
        .await
        .unwrap();
    let agreement = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: app.org,
            placement_type_id: pt,
            capacity: 10,
            price_per_month: Money::from_kronor(4_000),
            period: DateRange::new(d(2025, 1, 1), Some(d(2030, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    let person = |serial: u16| NewParticipant {
        personal_number: PersonalIdentityNumber::from_parts(
            d(1979, 11, 2),
            serial,
            IdentityKind::Personnummer,
        )
        .unwrap(),
        first_name: Text::parse("Prov").unwrap(),
        last_name: Text::parse(&format!("Placering {serial}")).unwrap(),
        covariates: Covariates {
            gender: Gender::Male,
            born_abroad: false,
            education: EducationLevel::Primary,
            months_on_income_support: 6,
            health_limitation: false,
            swedish_level: SwedishLevel::Fluent,
            prior_work_experience: true,
        },
        synthetic: true,
    };
    let placed = s.insert_participant(&person(501)).await.unwrap();
    let referred = s.insert_participant(&person(502)).await.unwrap();
    let placement = s
        .insert_placement(&NewPlacement {
            referral_id: None,
            participant_id: placed,
            agreement_id: agreement,
            start: d(2025, 3, 1),
            planned_end: d(2026, 12, 31),
            hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
            goals: None,
        })
        .await
        .unwrap();
    let referral = s
        .insert_referral(&NewReferral {
            participant_id: referred,
            agreement_id: agreement,
            reason: Text::parse("Prov").unwrap(),
            referred_on: d(2025, 6, 1),
        })
        .await
        .unwrap();
    vec![
        ("placeringar", placement.get().to_string()),
        ("rattelse", placement.get().to_string()),
        ("placements", placement.get().to_string()),
        ("anvisningar", referral.get().to_string()),
        ("referrals", referral.get().to_string()),
        ("narvaro", "2025-06".to_string()),
        ("attendance", "2025-06".to_string()),
    ]
}
