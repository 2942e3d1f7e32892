//! Invoicing over HTTP, on both backends: creating a month's invoices from approved
//! attendance, the approval flow, credit notes, the municipality's settings, downloads
//! (Peppol UBL checked against the EN 16931 schematrons, CSV for Excel), the suppliers'
//! portal confined to their own organisation, Swedish field messages for bad input, and
//! the JSON API.

mod support;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::NaiveDate;
use vidare_domain::ids::{OrganisationId, PlacementId};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{AttendanceMonth, AttendanceStatus, WeeklyMinutes};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::tenant::RoleKind;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_exchange::peppol::validate::validate_or_explain;
use vidare_store::repo::invoices::InvoiceFilter;
use vidare_store::repo::placements::NewPlacement;
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};
use vidare_store::BackendKind;

use support::{Reply, TestApp};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn month() -> YearMonth {
    YearMonth::new(2025, 9).unwrap()
}

/// A placement at `org` from 10 September 2025 with approved September attendance
/// (2 unexcused days), under an agreement of 12 000 kr a month deducting them.
async fn approved_placement(app: &TestApp, org: OrganisationId, serial: u16) -> PlacementId {
    let s = app.db.store.tenant(app.tenant);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse(&format!("typ-{serial}")).unwrap(),
            name_sv: Text::parse("Kafé").unwrap(),
            name_en: Text::parse("Café").unwrap(),
        })
        .await
        .unwrap();
    let agreement = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: org,
            placement_type_id: pt,
            capacity: 3,
            price_per_month: Money::from_kronor(12_000),
            period: DateRange::new(d(2025, 1, 1), Some(d(2027, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    let p = s
        .insert_participant(&NewParticipant {
            personal_number: PersonalIdentityNumber::from_parts(
                d(1988, 4, 21),
                serial,
                IdentityKind::Personnummer,
            )
            .unwrap(),
            first_name: Text::parse("Faktura").unwrap(),
            last_name: Text::parse(&format!("Person {serial}")).unwrap(),
            covariates: Covariates {
                gender: Gender::Male,
                born_abroad: true,
                education: EducationLevel::Primary,
                months_on_income_support: 20,
                health_limitation: false,
                swedish_level: SwedishLevel::Basic,
                prior_work_experience: false,
            },
            synthetic: true,
        })
        .await
        .unwrap();
    let placement = s
        .insert_placement(&NewPlacement {
            referral_id: None,
            participant_id: p,
            agreement_id: agreement,
            start: d(2025, 9, 10),
            planned_end: d(2026, 6, 30),
            hours_per_week: WeeklyMinutes::new(25 * 60).unwrap(),
            goals: None,
        })
        .await
        .unwrap();
    s.upsert_attendance(&AttendanceMonth {
        placement_id: placement,
        month: month(),
        attended_minutes: 1200,
        sick_days: 1,
        leave_days: 0,
        unexcused_days: 2,
        status: AttendanceStatus::Approved,
    })
    .await
    .unwrap();
    placement
}

fn location(r: &Reply) -> String {
    r.headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn validate(name: &str, xml: &str) {
    let path: PathBuf = std::env::temp_dir().join(format!(
        "vidare-{}-{}-{name}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap()
    ));
    std::fs::write(&path, xml).unwrap();
    let result = validate_or_explain(std::slice::from_ref(&path));
    std::fs::remove_file(&path).ok();
    if let Some(v) = result {
        assert!(v.valid, "{name}: {:#?}", v.fatal());
    }
}

async fn the_month_is_invoiced_approved_credited_and_downloaded(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    approved_placement(&app, app.org, 801).await;
    let (mut b, csrf) = app.sign_in(RoleKind::ProcurementOfficer).await;

    let page = app.get(&mut b, "/fakturor?manad=2025-09").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("1 placeringsmånader med godkänd närvaro"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("organisationsnummer och referens saknas"));

    // Bad input: a field message in Swedish, nothing created.
    let r = app
        .post_form(
            &mut b,
            "/fakturor/skapa",
            &[("month", "2025-9x"), ("issue_date", "2025-10-05")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Skriv månaden som ÅÅÅÅ-MM"), "{}", r.body);
    let r = app
        .post_form(
            &mut b,
            "/fakturor/skapa",
            &[("month", "2025-09"), ("issue_date", "2025-08-31")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Fakturadatumet kan inte vara före 2025-09"),
        "{}",
        r.body
    );
    let s = app.db.store.tenant(app.tenant);
    assert!(s
        .list_invoices(&InvoiceFilter::default())
        .await
        .unwrap()
        .is_empty());

    let r = app
        .post_form(
            &mut b,
            "/fakturor/skapa",
            &[("month", "2025-09"), ("issue_date", "2025-10-05")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(location(&r).contains("klart=skapade&antal=1"));
    let list = app.get(&mut b, &location(&r)).await;
    assert!(list.body.contains("F202509"), "{}", list.body);
    let id = s.list_invoices(&InvoiceFilter::default()).await.unwrap()[0].id;

    // 21 of 30 days less 2 unexcused: 12 000 × 19/30 = 7 600,00 kr.
    let detail = app.get(&mut b, &format!("/fakturor/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains("7\u{a0}600,00\u{a0}kr"),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("19 / 30"));
    assert!(
        !detail.body.contains("Person 801"),
        "no personal data on an invoice"
    );

    // The flow, one step at a time, with field messages for a bad payment.
    let step = |to: &'static str| vec![("to", to)];
    let r = app
        .post_form(
            &mut b,
            &format!("/fakturor/{id}/status"),
            &step("sent"),
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("kan inte få status sent"), "{}", r.body);
    for to in ["approved", "sent"] {
        let r = app
            .post_form(&mut b, &format!("/fakturor/{id}/status"), &step(to), &csrf)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{to}: {}", r.body);
    }
    let r = app
        .post_form(
            &mut b,
            &format!("/fakturor/{id}/status"),
            &[
                ("to", "paid"),
                ("paid_on", "2025-11-01"),
                ("paid_amount", "sju"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"paid_amount-error\""), "{}", r.body);

    // Downloads need the municipality's details; settings refuse a bad number.
    let r = app.get(&mut b, &format!("/fakturor/{id}/ubl.xml")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("organisationsnummer"));
    let fields = |org: &'static str| {
        vec![
            ("org_number", org),
            ("buyer_reference", "AME-4711"),
            ("street", "Torget 1"),
            ("postcode", "831 30"),
            ("city", "Testby"),
            ("payment_days", "30"),
        ]
    };
    let r = app
        .post_form(
            &mut b,
            "/fakturor/installningar",
            &fields("212000-9995"),
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"org_number-error\""), "{}", r.body);
    assert!(
        r.body.contains("value=\"212000-9995\""),
        "the input is kept"
    );
    let r = app
        .post_form(
            &mut b,
            "/fakturor/installningar",
            &fields("212000-9994"),
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let xml = app.get(&mut b, &format!("/fakturor/{id}/ubl.xml")).await;
    assert_eq!(xml.status, StatusCode::OK);
    assert!(xml.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/xml"));
    assert!(xml.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("F202509-7696001234.xml"));
    assert!(xml
        .body
        .contains("<cbc:PayableAmount currencyID=\"SEK\">7600.00</cbc:PayableAmount>"));
    validate("invoice.xml", &xml.body);

    // Paid, then credited: the original stays as it was, the credit note is a new document.
    let r = app
        .post_form(
            &mut b,
            &format!("/fakturor/{id}/status"),
            &[
                ("to", "paid"),
                ("paid_on", "2025-11-01"),
                ("paid_amount", "7 600,00"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &mut b,
            &format!("/fakturor/{id}/kreditera"),
            &[("reason", ""), ("credit_issue_date", "2025-11-10")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ange varför fakturan krediteras"));
    let r = app
        .post_form(
            &mut b,
            &format!("/fakturor/{id}/kreditera"),
            &[
                ("reason", "Fel frånvaro"),
                ("credit_issue_date", "2025-11-10"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let credit_page = app.get(&mut b, &location(&r)).await;
    assert!(
        credit_page.body.contains("Kreditnota K202509-1"),
        "{}",
        credit_page.body
    );
    let credit_id: i64 = location(&r)
        .trim_start_matches("/fakturor/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (original, _) = s.get_invoice(id).await.unwrap();
    assert_eq!(
        original.status,
        vidare_domain::model::invoice::InvoiceStatus::Paid
    );
    for to in ["approved", "sent"] {
        let r = app
            .post_form(
                &mut b,
                &format!("/fakturor/{credit_id}/status"),
                &step(to),
                &csrf,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let cn = app
        .get(&mut b, &format!("/fakturor/{credit_id}/ubl.xml"))
        .await;
    assert!(cn.body.contains("<CreditNote ") && cn.body.contains("<cbc:ID>F202509</cbc:ID>"));
    validate("credit.xml", &cn.body);

    // The CSV for Excel: the invoice and its credit note net to zero.
    let csv = app.get(&mut b, "/fakturor/export.csv?manad=2025-09").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(
        csv.body.contains(";7600,00;") && csv.body.contains(";-7600,00;"),
        "{}",
        csv.body
    );

    // The month is billable again and a new invoice gets the next number.
    let r = app
        .post_form(
            &mut b,
            "/fakturor/skapa",
            &[("month", "2025-09"), ("issue_date", "2025-11-11")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = app.get(&mut b, "/fakturor?manad=2025-09").await;
    assert!(list.body.contains("F202509-2"));
}

async fn suppliers_see_only_their_own_approved_invoices(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    approved_placement(&app, app.org, 811).await;
    approved_placement(&app, app.other_org, 812).await;
    let s = app.db.store.tenant(app.tenant);
    let created = s
        .create_invoices_for_month(month(), d(2025, 10, 5))
        .await
        .unwrap();
    let invoices = s.list_invoices(&InvoiceFilter::default()).await.unwrap();
    let own = invoices
        .iter()
        .find(|i| i.organisation_id == app.org)
        .unwrap()
        .id;
    let theirs = invoices
        .iter()
        .find(|i| i.organisation_id == app.other_org)
        .unwrap()
        .id;
    assert_eq!(created.invoices.len(), 2);

    let (mut b, _) = app.sign_in(RoleKind::SupplierUser).await;
    // A draft is not the supplier's document yet.
    let page = app.get(&mut b, "/portal/fakturor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("F202509"), "{}", page.body);
    assert_eq!(
        app.get(&mut b, &format!("/portal/fakturor/{own}/ubl.xml"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    use vidare_domain::model::invoice::InvoiceStatus::*;
    for id in [own, theirs] {
        s.set_invoice_status(id, Approved, None).await.unwrap();
        s.set_invoice_status(id, Sent, None).await.unwrap();
    }
    s.set_invoice_status(own, Paid, Some((d(2025, 11, 3), Money::from_kronor(7_600))))
        .await
        .unwrap();
    let page = app.get(&mut b, "/portal/fakturor").await;
    assert!(page.body.contains("F202509"));
    assert!(
        page.body.contains("<th scope=\"row\">2025-09</th>"),
        "income by month: {}",
        page.body
    );
    assert!(
        page.body.contains("7\u{a0}600,00\u{a0}kr (2025-11-03)"),
        "payment shown"
    );
    assert!(!page.body.contains("Annan ek. för."));
    assert!(!page.body.contains("198804"), "no identity number");
    // Download needs the buyer's details; then the own document, never another's.
    assert_eq!(
        app.get(&mut b, &format!("/portal/fakturor/{own}/ubl.xml"))
            .await
            .status,
        StatusCode::CONFLICT
    );
    s.save_invoicing_settings(&vidare_store::repo::invoices::InvoicingSettings {
        org_number: vidare_domain::orgnr::OrganisationNumber::parse("212000-9994").unwrap(),
        buyer_reference: Text::parse("AME").unwrap(),
        street: None,
        postcode: None,
        city: None,
        payment_days: 30,
    })
    .await
    .unwrap();
    let xml = app
        .get(&mut b, &format!("/portal/fakturor/{own}/ubl.xml"))
        .await;
    assert_eq!(xml.status, StatusCode::OK);
    validate("portal.xml", &xml.body);
    assert_eq!(
        app.get(&mut b, &format!("/portal/fakturor/{theirs}/ubl.xml"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&mut b, "/portal/fakturor/999999/ubl.xml")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The municipality's pages are not the supplier's.
    assert_eq!(
        app.get(&mut b, "/fakturor").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&mut b, &format!("/fakturor/{own}")).await.status,
        StatusCode::FORBIDDEN
    );
    let (mut cw, _) = app.sign_in(RoleKind::CaseWorker).await;
    assert_eq!(
        app.get(&mut cw, "/fakturor").await.status,
        StatusCode::FORBIDDEN
    );

    // The API: the supplier's own view; the municipality's list and a refused step.
    let api = app.get(&mut b, "/api/v1/portal/invoices").await;
    assert_eq!(api.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(json["data"]["invoices"].as_array().unwrap().len(), 1);
    assert_eq!(json["data"]["income"][0]["paid"]["ore"], 760_000);
    let (mut admin, csrf) = app.sign_in(RoleKind::TenantAdmin).await;
    let list = app.get(&mut admin, "/api/v1/invoices?month=2025-09").await;
    let json: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(json["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(&mut admin, "/api/v1/invoices?month=sept")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let r = app
        .send(
            &mut admin,
            Request::post(format!("/api/v1/invoices/{}/status", theirs.get()))
                .header(header::CONTENT_TYPE, "application/json")
                .header("X-CSRF-Token", &csrf)
                .body(Body::from(r#"{"status":"paid"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    assert!(r.body.contains("\"field\":\"paid_on\""), "{}", r.body);
}

/// A billed month is corrected by the municipality after its invoice is credited, on a
/// page that works without JavaScript and in the API; the next run bills the corrected
/// values on a new invoice, and the page shows what was approved before.
async fn an_invoiced_month_is_corrected_after_its_credit_note(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let placement = approved_placement(&app, app.org, 821).await;
    let s = app.db.store.tenant(app.tenant);
    let id = s
        .create_invoices_for_month(month(), d(2025, 10, 5))
        .await
        .unwrap()
        .invoices[0];
    use vidare_domain::model::invoice::InvoiceStatus::*;
    s.set_invoice_status(id, Approved, None).await.unwrap();
    s.set_invoice_status(id, Sent, None).await.unwrap();

    let (mut cw, csrf) = app.sign_in(RoleKind::CaseWorker).await;
    let page = format!("/narvaro/2025-09/rattelse/{placement}");
    let overview = app
        .get(
            &mut cw,
            &format!("/narvaro/2025-09?leverantor={}", app.org.get()),
        )
        .await;
    assert!(
        overview.body.contains(&format!("href=\"{page}\"")),
        "{}",
        overview.body
    );
    let r = app.get(&mut cw, &page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Faktura Person 821"), "{}", r.body);
    assert!(
        r.body
            .contains("Månaden är fakturerad på faktura <strong>F202509</strong>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("20 h; 1 / 0 / 2 (Godkänd)"), "{}", r.body);
    assert!(r.body.contains("Inga rättelser."));

    // Refused while the invoice stands, and for bad input; nothing is saved.
    let form = |hours: &'static str, unexcused: &'static str, reason: &'static str| {
        vec![
            ("attended_hours", hours),
            ("sick_days", "1"),
            ("leave_days", "0"),
            ("unexcused_days", unexcused),
            ("reason", reason),
        ]
    };
    let r = app
        .post_form(
            &mut cw,
            &page,
            &form("20", "0", "Frånvaron var godkänd"),
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("href=\"#month\"")
            && r.body.contains("Kreditera fakturan under Fakturor först"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(">Frånvaron var godkänd</textarea>"),
        "the input is kept"
    );
    let r = app
        .post_form(&mut cw, &page, &form("tolv", "0", ""), &csrf)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"attended_hours-error\""), "{}", r.body);
    assert!(
        r.body.contains("Ange varför närvaron rättas."),
        "{}",
        r.body
    );
    let r = app
        .post_form(&mut cw, &page, &form("151", "0", "För många timmar"), &csrf)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("högst 150 timmar"), "{}", r.body);
    assert!(s
        .attendance_corrections(placement)
        .await
        .unwrap()
        .is_empty());

    // The invoicing staff credit the invoice; then the correction goes through.
    let (mut admin, admin_csrf) = app.sign_in(RoleKind::TenantAdmin).await;
    let r = app
        .post_form(
            &mut admin,
            &format!("/fakturor/{id}/kreditera"),
            &[
                ("reason", "Fel frånvaro"),
                ("credit_issue_date", "2025-10-20"),
            ],
            &admin_csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&mut cw, &page).await;
    assert!(
        r.body.contains("Ingen faktura som gäller tar med månaden"),
        "{}",
        r.body
    );
    let r = app
        .post_form(
            &mut cw,
            &page,
            &form("20", "0", "Frånvaron var godkänd"),
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), format!("{page}?klart=rattad"));
    let r = app.get(&mut cw, &location(&r)).await;
    assert!(r.body.contains("Rättelsen är sparad"), "{}", r.body);
    // The history: what was approved before, what it is now, why and by whom.
    assert!(
        r.body.contains("<td>20 h; 1 / 0 / 2 (Godkänd)</td><td>20 h; 1 / 0 / 0</td><td>Frånvaron var godkänd</td>"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!(
            "<td>{}</td>",
            support::email(RoleKind::CaseWorker)
        )),
        "{}",
        r.body
    );

    // The next run bills the corrected month: 21 of 30 days, nothing deducted.
    let r = app
        .post_form(
            &mut admin,
            "/fakturor/skapa",
            &[("month", "2025-09"), ("issue_date", "2025-10-21")],
            &admin_csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let new_id = s
        .list_invoices(&InvoiceFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.number == "F202509-2")
        .unwrap()
        .id;
    let detail = app.get(&mut admin, &format!("/fakturor/{new_id}")).await;
    assert!(detail.body.contains("21 / 30"), "{}", detail.body);
    assert!(
        detail.body.contains("8\u{a0}400,00\u{a0}kr"),
        "{}",
        detail.body
    );

    // The API: the draft now bills the month, so a correction names `month`; field
    // problems for a missing reason and too many hours; a late report for October.
    let post = |body: &'static str| {
        Request::post("/api/v1/attendance/2025-09/corrections")
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-CSRF-Token", &csrf)
            .body(Body::from(body.replace("PID", &placement.to_string())))
            .unwrap()
    };
    let r = app
        .send(
            &mut cw,
            post(r#"{"placement_id":PID,"attended_minutes":600,"unexcused_days":1,"reason":"Ny uppgift"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    assert!(
        r.body.contains("\"field\":\"month\"") && r.body.contains("fakturautkastet F202509-2"),
        "{}",
        r.body
    );
    let r = app
        .send(
            &mut cw,
            post(r#"{"placement_id":PID,"attended_minutes":600}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"field\":\"reason\""), "{}", r.body);
    let r = app
        .send(
            &mut cw,
            Request::post("/api/v1/attendance/2025-10/corrections")
                .header(header::CONTENT_TYPE, "application/json")
                .header("X-CSRF-Token", &csrf)
                .body(Body::from(format!(
                    r#"{{"placement_id":{placement},"attended_minutes":{},"reason":"För mycket"}}"#,
                    231 * 60
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("\"field\":\"attended_hours\""),
        "{}",
        r.body
    );
    let r = app
        .send(
            &mut cw,
            Request::post("/api/v1/attendance/2025-10/corrections")
                .header(header::CONTENT_TYPE, "application/json")
                .header("X-CSRF-Token", &csrf)
                .body(Body::from(format!(
                    r#"{{"placement_id":{placement},"attended_minutes":4800,"sick_days":2,"reason":"Leverantören missade sista dag"}}"#
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let october = s
        .attendance_of_placement(placement)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.month == YearMonth::new(2025, 10).unwrap())
        .unwrap();
    assert_eq!(
        (october.attended_minutes, october.sick_days, october.status),
        (4800, 2, AttendanceStatus::Approved)
    );
    // Suppliers cannot correct.
    let (mut supplier, supplier_csrf) = app.sign_in(RoleKind::SupplierUser).await;
    let r = app
        .send(
            &mut supplier,
            Request::post("/api/v1/attendance/2025-10/corrections")
                .header(header::CONTENT_TYPE, "application/json")
                .header("X-CSRF-Token", &supplier_csrf)
                .body(Body::from(format!(
                    r#"{{"placement_id":{placement},"attended_minutes":60,"reason":"x"}}"#
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&mut supplier, &page).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The API credits an invoice (problem+json per field) and downloads an invoice's UBL:
/// the municipality any of its documents, a supplier only its own approved ones.
async fn the_api_credits_invoices_and_downloads_ubl(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    approved_placement(&app, app.org, 831).await;
    approved_placement(&app, app.other_org, 832).await;
    let s = app.db.store.tenant(app.tenant);
    s.create_invoices_for_month(month(), d(2025, 10, 5))
        .await
        .unwrap();
    let invoices = s.list_invoices(&InvoiceFilter::default()).await.unwrap();
    let own = invoices
        .iter()
        .find(|i| i.organisation_id == app.org)
        .unwrap()
        .id;
    let theirs = invoices
        .iter()
        .find(|i| i.organisation_id == app.other_org)
        .unwrap()
        .id;
    use vidare_domain::model::invoice::InvoiceStatus::*;
    for id in [own, theirs] {
        s.set_invoice_status(id, Approved, None).await.unwrap();
        s.set_invoice_status(id, Sent, None).await.unwrap();
    }

    let (mut admin, csrf) = app.sign_in(RoleKind::ProcurementOfficer).await;
    let credit = |id: i64, body: &str| {
        Request::post(format!("/api/v1/invoices/{id}/credit"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-CSRF-Token", &csrf)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let problem = |r: &Reply, status: StatusCode, fields: &[&str]| {
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
        let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let named: Vec<&str> = json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{}", r.body);
    };
    // Every missing field is named; a date before the invoice's is refused; nothing made.
    let r = app.send(&mut admin, credit(own.get(), "{}")).await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        &["reason", "issue_date"],
    );
    let r = app
        .send(
            &mut admin,
            credit(
                own.get(),
                r#"{"reason":"Fel frånvaro","issue_date":"2025-10-01"}"#,
            ),
        )
        .await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY, &["issue_date"]);
    assert!(r.body.contains("före fakturan"), "{}", r.body);
    let r = app
        .send(
            &mut admin,
            credit(
                own.get(),
                r#"{"reason":"Fel frånvaro","issue_date":"2025-13-01"}"#,
            ),
        )
        .await;
    assert!(r.body.contains("\"field\":\"issue_date\""), "{}", r.body);
    let r = app
        .send(
            &mut admin,
            credit(999_999, r#"{"reason":"Fel","issue_date":"2025-11-01"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        s.list_invoices(&InvoiceFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );

    let r = app
        .send(
            &mut admin,
            credit(
                own.get(),
                r#"{"reason":"Fel frånvaro","issue_date":"2025-11-01"}"#,
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let cn = &json["data"]["invoice"];
    assert_eq!(
        (
            cn["kind"].as_str(),
            cn["number"].as_str(),
            cn["corrects"].as_i64()
        ),
        (Some("credit_note"), Some("K202509-1"), Some(own.get()))
    );
    assert_eq!(cn["status"], "draft");
    assert_eq!(json["data"]["lines"].as_array().unwrap().len(), 1);
    let credit_id = cn["id"].as_i64().unwrap();
    assert_eq!(
        r.headers[header::LOCATION].to_str().unwrap(),
        format!("/api/v1/invoices/{credit_id}")
    );
    assert_eq!(
        s.get_invoice(own).await.unwrap().0.status,
        Sent,
        "never edited"
    );
    // Twice, or a credit note: refused, naming `corrects`.
    let r = app
        .send(
            &mut admin,
            credit(own.get(), r#"{"reason":"Igen","issue_date":"2025-11-02"}"#),
        )
        .await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY, &["corrects"]);
    let r = app
        .send(
            &mut admin,
            credit(credit_id, r#"{"reason":"Igen","issue_date":"2025-11-02"}"#),
        )
        .await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY, &["corrects"]);

    // UBL: refused until the municipality's buyer details are set, then the document.
    let r = app
        .get(&mut admin, &format!("/api/v1/invoices/{}/ubl", own.get()))
        .await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY, &["org_number"]);
    s.save_invoicing_settings(&vidare_store::repo::invoices::InvoicingSettings {
        org_number: vidare_domain::orgnr::OrganisationNumber::parse("212000-9994").unwrap(),
        buyer_reference: Text::parse("AME").unwrap(),
        street: None,
        postcode: None,
        city: None,
        payment_days: 30,
    })
    .await
    .unwrap();
    let xml = app
        .get(&mut admin, &format!("/api/v1/invoices/{}/ubl", own.get()))
        .await;
    assert_eq!(xml.status, StatusCode::OK, "{}", xml.body);
    assert!(xml.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/xml"));
    assert!(xml.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("F202509-7696001234.xml"));
    assert!(xml.body.contains("<Invoice ") && xml.body.contains("<cbc:ID>F202509</cbc:ID>"));
    validate("api-invoice.xml", &xml.body);
    let cn_xml = app
        .get(&mut admin, &format!("/api/v1/invoices/{credit_id}/ubl"))
        .await;
    assert_eq!(cn_xml.status, StatusCode::OK);
    assert!(cn_xml.body.contains("<CreditNote "), "{}", cn_xml.body);
    validate("api-credit.xml", &cn_xml.body);
    assert_eq!(
        app.get(&mut admin, "/api/v1/invoices/999999/ubl")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A supplier: its own approved invoice; never another's, nor its draft credit note.
    let (mut supplier, _) = app.sign_in(RoleKind::SupplierUser).await;
    let mine = app
        .get(
            &mut supplier,
            &format!("/api/v1/invoices/{}/ubl", own.get()),
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body, xml.body);
    for id in [theirs.get(), credit_id, 999_999] {
        let r = app
            .get(&mut supplier, &format!("/api/v1/invoices/{id}/ubl"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
        assert!(!r.body.contains("Annan ek. för."));
    }
    // Suppliers and case workers cannot credit; case workers get no documents.
    let (mut cw, cw_csrf) = app.sign_in(RoleKind::CaseWorker).await;
    assert_eq!(
        app.get(&mut cw, &format!("/api/v1/invoices/{}/ubl", own.get()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .send(
            &mut cw,
            Request::post(format!("/api/v1/invoices/{}/credit", theirs.get()))
                .header(header::CONTENT_TYPE, "application/json")
                .header("X-CSRF-Token", &cw_csrf)
                .body(Body::from(r#"{"reason":"x","issue_date":"2025-11-01"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::BackendKind::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::BackendKind::Postgres).await;
                }
            )*
        }
    };
}

both!(
    the_month_is_invoiced_approved_credited_and_downloaded,
    suppliers_see_only_their_own_approved_invoices,
    an_invoiced_month_is_corrected_after_its_credit_note,
    the_api_credits_invoices_and_downloads_ubl,
);
