//! Who may use the invoicing area's routes, and the sample records their paths need.

use chrono::NaiveDate;
use vidare_domain::model::invoice::InvoiceStatus;
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{AttendanceMonth, AttendanceStatus, WeeklyMinutes};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::repo::placements::NewPlacement;
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};

use super::support::TestApp;
use super::Who;
#[allow(unused_imports)]
use super::Who::*;

/// The municipality's invoicing: administrators and procurement officers.
const INVOICING: &[Who] = &[Admin, Procurement];
const SUPPLIER: &[Who] = &[Supplier];
const INVOICE_DOCUMENT: &[Who] = &[Admin, Procurement, Supplier];

/// The rule for each route of the area: method, path template, who may use it.
pub const TABLE: &[(&str, &str, &[Who])] = &[
    ("GET", "/fakturor", INVOICING),
    ("POST", "/fakturor/skapa", INVOICING),
    ("GET", "/fakturor/export.csv", INVOICING),
    ("GET", "/fakturor/installningar", INVOICING),
    ("POST", "/fakturor/installningar", INVOICING),
    ("POST", "/fakturor/installningar/avtal", INVOICING),
    ("POST", "/fakturor/installningar/leverantor", INVOICING),
    ("GET", "/fakturor/{id}", INVOICING),
    ("GET", "/fakturor/{id}/ubl.xml", INVOICING),
    ("POST", "/fakturor/{id}/status", INVOICING),
    ("POST", "/fakturor/{id}/kreditera", INVOICING),
    ("POST", "/fakturor/{id}/ta-bort", INVOICING),
    // The suppliers' portal: their own invoices only.
    ("GET", "/portal/fakturor", SUPPLIER),
    ("GET", "/portal/fakturor/{id}/ubl.xml", SUPPLIER),
    // The API.
    ("GET", "/api/v1/invoices", INVOICING),
    ("POST", "/api/v1/invoices", INVOICING),
    ("GET", "/api/v1/invoices/{id}", INVOICING),
    ("POST", "/api/v1/invoices/{id}/status", INVOICING),
    ("POST", "/api/v1/invoices/{id}/credit", INVOICING),
    // The document: the municipality's, and a supplier's own (the sample is its own).
    ("GET", "/api/v1/invoices/{id}/ubl", INVOICE_DOCUMENT),
    ("GET", "/api/v1/portal/invoices", SUPPLIER),
];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Sample ids for path parameters, keyed by the path segment before the parameter:
/// a sent invoice of the test supplier for June 2025.
pub async fn samples(app: &TestApp) -> Vec<(&'static str, String)> {
    let s = app.db.store.tenant(app.tenant);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("prov-faktura").unwrap(),
            name_sv: Text::parse("Återbruk").unwrap(),
            name_en: Text::parse("Recycling").unwrap(),
        })
        .await
        .unwrap();
    let agreement = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: app.org,
            placement_type_id: pt,
            capacity: 4,
            price_per_month: Money::from_kronor(9_000),
            period: DateRange::new(d(2025, 1, 1), Some(d(2030, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    let participant = s
        .insert_participant(&NewParticipant {
            personal_number: PersonalIdentityNumber::from_parts(
                d(1984, 2, 9),
                611,
                IdentityKind::Personnummer,
            )
            .unwrap(),
            first_name: Text::parse("Prov").unwrap(),
            last_name: Text::parse("Faktura").unwrap(),
            covariates: Covariates {
                gender: Gender::Female,
                born_abroad: false,
                education: EducationLevel::Primary,
                months_on_income_support: 6,
                health_limitation: false,
                swedish_level: SwedishLevel::Fluent,
                prior_work_experience: true,
            },
            synthetic: true,
        })
        .await
        .unwrap();
    let placement = s
        .insert_placement(&NewPlacement {
            referral_id: None,
            participant_id: participant,
            agreement_id: agreement,
            start: d(2025, 5, 1),
            planned_end: d(2026, 12, 31),
            hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
            goals: None,
        })
        .await
        .unwrap();
    let june = YearMonth::new(2025, 6).unwrap();
    s.upsert_attendance(&AttendanceMonth {
        placement_id: placement,
        month: june,
        attended_minutes: 600,
        sick_days: 0,
        leave_days: 0,
        unexcused_days: 1,
        status: AttendanceStatus::Approved,
    })
    .await
    .unwrap();
    let id = s
        .create_invoices_for_month(june, d(2025, 7, 5))
        .await
        .unwrap()
        .invoices[0];
    s.set_invoice_status(id, InvoiceStatus::Approved, None)
        .await
        .unwrap();
    s.set_invoice_status(id, InvoiceStatus::Sent, None)
        .await
        .unwrap();
    vec![("fakturor", id.to_string()), ("invoices", id.to_string())]
}
