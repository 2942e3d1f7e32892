//! Invoicing storage: every test runs unchanged against SQLite and PostgreSQL.

use chrono::NaiveDate;
use vidare_domain::ids::*;
use vidare_domain::model::invoice::{InvoiceKind, InvoiceStatus, VatCategory};
use vidare_domain::model::organisation::{LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{AttendanceMonth, AttendanceStatus, WeeklyMinutes};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::audit::AuditFilter;
use vidare_store::repo::invoices::{InvoiceFilter, InvoicingSettings};
use vidare_store::repo::placements::{AttendanceCorrection, NewPlacement};
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::testing::TestDb;
use vidare_store::{Scoped, Store, StoreError};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

fn march() -> YearMonth {
    YearMonth::new(2024, 3).unwrap()
}

async fn tenant(store: &Store, slug: &str) -> TenantId {
    store
        .insert_tenant(&NewTenant {
            slug: Slug::parse(slug).unwrap(),
            name: text(&format!("{slug} kommun")),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap()
}

fn participant(serial: u16) -> NewParticipant {
    NewParticipant {
        personal_number: PersonalIdentityNumber::from_parts(
            d(1990, 5, 17),
            serial,
            IdentityKind::Personnummer,
        )
        .unwrap(),
        first_name: text("Testa"),
        last_name: text(&format!("Person {serial}")),
        covariates: Covariates {
            gender: Gender::Female,
            born_abroad: false,
            education: EducationLevel::UpperSecondary,
            months_on_income_support: 18,
            health_limitation: false,
            swedish_level: SwedishLevel::Intermediate,
            prior_work_experience: true,
        },
        synthetic: true,
    }
}

fn organisation(payload: [u8; 9], name: &str) -> NewOrganisation {
    NewOrganisation {
        org_number: OrganisationNumber::from_payload(payload).unwrap(),
        name: text(name),
        legal_form: LegalForm::EconomicAssociation,
        idea_driven: true,
        in_idea_driven_register: false,
        headcount: None,
        annual_turnover: None,
        email: None,
        synthetic: true,
    }
}

struct Fixture {
    tenant: TenantId,
    org_a: OrganisationId,
    org_b: OrganisationId,
    agreement_b: AgreementId,
    /// At A from 1 January, 2 unexcused days in March (approved).
    p_full: PlacementId,
    /// At A from 22 March (approved).
    p_part: PlacementId,
    /// At B from 1 February (submitted, not approved).
    p_b: PlacementId,
}

async fn agreement(s: &Scoped<'_>, org: OrganisationId, pt: PlacementTypeId) -> AgreementId {
    s.insert_agreement(&NewAgreement {
        round_id: None,
        lot_id: None,
        organisation_id: org,
        placement_type_id: pt,
        capacity: 5,
        price_per_month: Money::from_kronor(3_000),
        period: DateRange::new(d(2024, 1, 1), Some(d(2024, 12, 31))).unwrap(),
        rank: Some(1),
        absence_rule: AbsenceRule::DeductUnexcused,
        signed_on: Some(d(2023, 12, 1)),
    })
    .await
    .unwrap()
}

async fn placement(
    s: &Scoped<'_>,
    serial: u16,
    agreement: AgreementId,
    start: NaiveDate,
) -> PlacementId {
    let p = s.insert_participant(&participant(serial)).await.unwrap();
    s.insert_placement(&NewPlacement {
        referral_id: None,
        participant_id: p,
        agreement_id: agreement,
        start,
        planned_end: d(2024, 12, 31),
        hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
        goals: None,
    })
    .await
    .unwrap()
}

async fn attendance(
    s: &Scoped<'_>,
    p: PlacementId,
    month: YearMonth,
    unexcused: u32,
    status: AttendanceStatus,
) {
    s.upsert_attendance(&AttendanceMonth {
        placement_id: p,
        month,
        attended_minutes: 600,
        sick_days: 1,
        leave_days: 0,
        unexcused_days: unexcused,
        status,
    })
    .await
    .unwrap();
}

async fn fixture(store: &Store, slug: &str) -> Fixture {
    let t = tenant(store, slug).await;
    let s = store.tenant(t);
    let org_a = s
        .insert_organisation(&organisation(
            [7, 6, 9, 6, 0, 0, 1, 2, 3],
            "Gröna Händer ek. för.",
        ))
        .await
        .unwrap();
    let org_b = s
        .insert_organisation(&organisation([8, 0, 2, 4, 8, 1, 5, 5, 5], "Kafé Kvarnen"))
        .await
        .unwrap();
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("carpentry").unwrap(),
            name_sv: text("Snickeri"),
            name_en: text("Carpentry"),
        })
        .await
        .unwrap();
    let agreement_a = agreement(&s, org_a, pt).await;
    let agreement_b = agreement(&s, org_b, pt).await;
    let p_full = placement(&s, 11, agreement_a, d(2024, 1, 1)).await;
    let p_part = placement(&s, 12, agreement_a, d(2024, 3, 22)).await;
    let p_b = placement(&s, 13, agreement_b, d(2024, 2, 1)).await;
    attendance(&s, p_full, march(), 2, AttendanceStatus::Approved).await;
    attendance(&s, p_part, march(), 0, AttendanceStatus::Approved).await;
    attendance(&s, p_b, march(), 0, AttendanceStatus::Submitted).await;
    Fixture {
        tenant: t,
        org_a,
        org_b,
        agreement_b,
        p_full,
        p_part,
        p_b,
    }
}

fn settings() -> InvoicingSettings {
    InvoicingSettings {
        org_number: OrganisationNumber::parse("212000-9994").unwrap(),
        buyer_reference: text("AME-4711"),
        street: Some(text("Rådhusgatan 1")),
        postcode: Some(text("831 82")),
        city: Some(text("Exempelby")),
        payment_days: 30,
    }
}

/// The totals the effect measurement reads agree with the attendance and invoice lines.
async fn assert_totals_kept(store: &Store) {
    let mismatches = vidare_store::testing::totals_mismatches(store).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

fn field(err: StoreError) -> &'static str {
    match err {
        StoreError::Rule(v) => v.field,
        other => panic!("expected a rule violation, got {other:?}"),
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2024, 5, 10, 9, 0, 0).unwrap()
}

/// A correction of March: 600 minutes, 1 sick day, `unexcused` unexcused days.
fn correction(p: PlacementId, unexcused: u32, reason: &str) -> AttendanceCorrection {
    AttendanceCorrection {
        placement_id: p,
        month: march(),
        attended_minutes: 600,
        sick_days: 1,
        leave_days: 0,
        unexcused_days: unexcused,
        reason: text(reason),
    }
}

async fn audit_len(s: &Scoped<'_>) -> usize {
    s.audit_entries(&AuditFilter {
        limit: 10_000,
        ..Default::default()
    })
    .await
    .unwrap()
    .len()
}

fn rule(e: StoreError) -> (&'static str, String) {
    match e {
        StoreError::Rule(v) => (v.field, v.sv),
        other => panic!("expected a rule violation, got {other:?}"),
    }
}

async fn invoices_are_derived_from_approved_attendance(db: TestDb) {
    let f = fixture(&db.store, "a").await;
    let s = db.store.tenant(f.tenant);
    let billable = s.billable_months(march()).await.unwrap();
    assert_eq!(billable.len(), 2, "only approved attendance is billable");

    let created = s
        .create_invoices_for_month(march(), d(2024, 4, 5))
        .await
        .unwrap();
    assert_eq!((created.invoices.len(), created.lines), (1, 2));
    let (inv, lines) = s.get_invoice(created.invoices[0]).await.unwrap();
    assert_eq!(inv.organisation_id, f.org_a);
    assert_eq!(
        (inv.number.as_str(), inv.kind, inv.status),
        ("F202403", InvoiceKind::Invoice, InvoiceStatus::Draft)
    );
    assert_eq!(inv.due_date, d(2024, 5, 5), "30 days by default");
    // Full month less 2 unexcused days: 3 000 × 29/31 = 2 806,45; from the 22nd: 3 000 × 10/31 = 967,74.
    assert_eq!(lines[0].placement_id, f.p_full);
    assert_eq!((lines[0].paid_days, lines[0].month_days), (29, 31));
    assert_eq!(lines[0].amount, Money::from_ore(280_645));
    assert_eq!(lines[1].placement_id, f.p_part);
    assert_eq!(lines[1].amount, Money::from_ore(96_774));
    assert_eq!(inv.total, lines[0].amount + lines[1].amount);
    assert_eq!(created.total, inv.total);
    assert_eq!((inv.vat, lines[0].vat), (Money::ZERO, VatCategory::Exempt));

    // Producing the month again bills nothing twice.
    let again = s
        .create_invoices_for_month(march(), d(2024, 4, 6))
        .await
        .unwrap();
    assert!(again.invoices.is_empty() && again.lines == 0);
    assert!(s.billable_months(march()).await.unwrap().is_empty());

    // Approving B's attendance later gives B its own invoice, numbered for B.
    attendance(&s, f.p_b, march(), 0, AttendanceStatus::Approved).await;
    s.set_agreement_vat(f.agreement_b, VatCategory::Standard)
        .await
        .unwrap();
    let b = s
        .create_invoices_for_month(march(), d(2024, 4, 7))
        .await
        .unwrap();
    let (inv_b, lines_b) = s.get_invoice(b.invoices[0]).await.unwrap();
    assert_eq!(
        (inv_b.organisation_id, inv_b.number.as_str()),
        (f.org_b, "F202403")
    );
    assert_eq!(lines_b[0].vat, VatCategory::Standard);
    assert_eq!(inv_b.vat, Money::from_kronor(750), "25 % of 3 000 kr");
    let listed = s
        .list_invoices(&InvoiceFilter {
            month: Some(march()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed.iter().find(|i| i.id == inv_b.id).unwrap().vat,
        Money::from_kronor(750)
    );
    let only_b = s
        .list_invoices(&InvoiceFilter {
            organisation: Some(f.org_b),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(only_b.len(), 1);

    // A supplier that is not VAT-registered invoices outside the scope of VAT.
    s.set_supplier_invoicing(f.org_a, false, Some("5050-1055"))
        .await
        .unwrap();
    let apr = YearMonth::new(2024, 4).unwrap();
    attendance(&s, f.p_full, apr, 0, AttendanceStatus::Approved).await;
    let c = s
        .create_invoices_for_month(apr, d(2024, 5, 5))
        .await
        .unwrap();
    let (_, lines) = s.get_invoice(c.invoices[0]).await.unwrap();
    assert_eq!(
        (lines[0].vat, lines[0].amount),
        (VatCategory::NotSubject, Money::from_kronor(3_000))
    );
    assert_eq!(
        field(
            s.set_supplier_invoicing(f.org_a, true, Some("12-34"))
                .await
                .unwrap_err()
        ),
        "bankgiro"
    );
    assert_eq!(
        field(
            s.set_agreement_vat(f.agreement_b, VatCategory::NotSubject)
                .await
                .unwrap_err()
        ),
        "vat_category"
    );
    assert_eq!(
        field(
            s.create_invoices_for_month(apr, d(2024, 3, 31))
                .await
                .unwrap_err()
        ),
        "issue_date"
    );
    assert_totals_kept(&db.store).await;
}

async fn the_approval_flow_is_one_step_at_a_time_and_audited(db: TestDb) {
    let f = fixture(&db.store, "a").await;
    let s = db.store.tenant(f.tenant);
    let id = s
        .create_invoices_for_month(march(), d(2024, 4, 5))
        .await
        .unwrap()
        .invoices[0];
    assert_eq!(
        field(
            s.set_invoice_status(
                id,
                InvoiceStatus::Paid,
                Some((d(2024, 5, 1), Money::from_kronor(1)))
            )
            .await
            .unwrap_err()
        ),
        "status"
    );
    assert_eq!(
        field(
            s.set_invoice_status(id, InvoiceStatus::Sent, None)
                .await
                .unwrap_err()
        ),
        "status"
    );
    s.set_invoice_status(id, InvoiceStatus::Approved, None)
        .await
        .unwrap();
    assert_eq!(
        field(
            s.set_invoice_status(id, InvoiceStatus::Draft, None)
                .await
                .unwrap_err()
        ),
        "status"
    );
    assert_eq!(
        field(s.delete_draft_invoice(id).await.unwrap_err()),
        "status"
    );
    s.set_invoice_status(id, InvoiceStatus::Sent, None)
        .await
        .unwrap();
    assert_eq!(
        field(
            s.set_invoice_status(id, InvoiceStatus::Paid, None)
                .await
                .unwrap_err()
        ),
        "paid_on"
    );
    assert_eq!(
        field(
            s.set_invoice_status(
                id,
                InvoiceStatus::Paid,
                Some((d(2024, 4, 1), Money::from_kronor(1)))
            )
            .await
            .unwrap_err()
        ),
        "paid_on"
    );
    assert_eq!(
        field(
            s.set_invoice_status(id, InvoiceStatus::Paid, Some((d(2024, 5, 2), Money::ZERO)))
                .await
                .unwrap_err()
        ),
        "paid_amount"
    );
    let (before, _) = s.get_invoice(id).await.unwrap();
    let paid = s
        .set_invoice_status(id, InvoiceStatus::Paid, Some((d(2024, 5, 2), before.total)))
        .await
        .unwrap();
    assert_eq!(
        (paid.status, paid.paid_on, paid.paid),
        (InvoiceStatus::Paid, Some(d(2024, 5, 2)), Some(before.total))
    );

    let log = s
        .audit_entries(&AuditFilter {
            entity: Some("invoices".into()),
            entity_id: Some(id.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<_> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["create", "update", "update", "update"],
        "creation and three steps"
    );
    assert!(log[0].after_json.as_deref().unwrap().contains("\"paid\""));
    assert!(s.verify_audit().await.unwrap().problems.is_empty());

    // A draft can be deleted (and its month billed again); nothing is left behind.
    attendance(&s, f.p_b, march(), 0, AttendanceStatus::Approved).await;
    let draft = s
        .create_invoices_for_month(march(), d(2024, 4, 5))
        .await
        .unwrap()
        .invoices[0];
    s.delete_draft_invoice(draft).await.unwrap();
    assert!(matches!(
        s.get_invoice(draft).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(s.billable_months(march()).await.unwrap().len(), 1);
    assert_totals_kept(&db.store).await;
}

async fn a_locked_month_is_corrected_by_a_credit_note(db: TestDb) {
    let f = fixture(&db.store, "a").await;
    let s = db.store.tenant(f.tenant);
    let id = s
        .create_invoices_for_month(march(), d(2024, 4, 5))
        .await
        .unwrap()
        .invoices[0];
    let reason = text("Fel frånvaro i mars");
    assert_eq!(
        field(
            s.credit_invoice(id, &reason, d(2024, 4, 20))
                .await
                .unwrap_err()
        ),
        "corrects"
    );
    s.set_invoice_status(id, InvoiceStatus::Approved, None)
        .await
        .unwrap();
    s.set_invoice_status(id, InvoiceStatus::Sent, None)
        .await
        .unwrap();
    assert_eq!(
        field(
            s.credit_invoice(id, &reason, d(2024, 4, 1))
                .await
                .unwrap_err()
        ),
        "issue_date"
    );
    // While the invoice stands, the month cannot be corrected: credit it first.
    let audit = audit_len(&s).await;
    let err = s
        .correct_attendance(&correction(f.p_full, 5, "Fel frånvaro"), now())
        .await
        .unwrap_err();
    let (refused_field, msg) = rule(err);
    assert_eq!(refused_field, "month");
    assert!(
        msg.contains("faktura F202403") && msg.contains("Kreditera fakturan"),
        "{msg}"
    );
    assert_eq!(audit_len(&s).await, audit, "nothing written");
    let credit = s.credit_invoice(id, &reason, d(2024, 4, 20)).await.unwrap();
    let (cn, cn_lines) = s.get_invoice(credit).await.unwrap();
    let (orig, orig_lines) = s.get_invoice(id).await.unwrap();
    assert_eq!(
        (cn.kind, cn.corrects, cn.number.as_str()),
        (InvoiceKind::CreditNote, Some(id), "K202403-1")
    );
    assert_eq!((cn.total, cn_lines.len()), (orig.total, orig_lines.len()));
    assert_eq!(cn.note.as_deref(), Some("Fel frånvaro i mars"));
    assert_eq!(
        orig.status,
        InvoiceStatus::Sent,
        "the original is never edited"
    );
    assert_eq!(
        field(
            s.credit_invoice(id, &reason, d(2024, 4, 21))
                .await
                .unwrap_err()
        ),
        "corrects"
    );
    assert_eq!(
        field(
            s.credit_invoice(credit, &reason, d(2024, 4, 21))
                .await
                .unwrap_err()
        ),
        "corrects"
    );

    // Credited, the month can be corrected: 5 unexcused days instead of 2.
    let fixed = s
        .correct_attendance(
            &correction(f.p_full, 5, "Leverantören rättade frånvaron"),
            now(),
        )
        .await
        .unwrap();
    // The month is billable again, on a new invoice with the corrected values:
    // 3 000 × 26/31 = 2 516,13 kr, and the other placement as before.
    let again = s
        .create_invoices_for_month(march(), d(2024, 4, 21))
        .await
        .unwrap();
    let (new_inv, new_lines) = s.get_invoice(again.invoices[0]).await.unwrap();
    assert_eq!(new_inv.number.as_str(), "F202403-2");
    assert_eq!(
        (new_lines[0].placement_id, new_lines[0].paid_days),
        (f.p_full, 26)
    );
    assert_eq!(new_lines[0].amount, Money::from_ore(251_613));
    assert_eq!(new_lines[1].amount, orig_lines[1].amount);
    assert_eq!(new_inv.total, Money::from_ore(251_613 + 96_774));
    assert_ne!(new_inv.total, orig.total);
    // The original approved values stay in the month's history.
    let history = s.attendance_corrections(f.p_full).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id, fixed);
    let before = history[0].before.as_ref().unwrap();
    assert_eq!(
        (before.unexcused_days, before.status),
        (2, AttendanceStatus::Approved)
    );
    assert_eq!(history[0].after.unexcused_days, 5);
    assert_eq!(history[0].reason, "Leverantören rättade frånvaron");

    // The document for the credit note refers to the invoice; it needs the buyer details.
    assert_eq!(
        field(s.invoice_document(credit).await.unwrap_err()),
        "org_number"
    );
    s.save_invoicing_settings(&settings()).await.unwrap();
    assert_eq!(s.invoicing_settings().await.unwrap(), Some(settings()));
    let doc = s.invoice_document(credit).await.unwrap();
    assert_eq!(doc.corrects, Some(("F202403".to_string(), d(2024, 4, 5))));
    assert_eq!(doc.buyer.name, "a kommun");
    assert_eq!(doc.buyer_reference, "AME-4711");
    assert_eq!(doc.seller_vat_number().as_deref(), Some("SE769600123401"));
    assert_eq!(doc.net_total(), cn.total);
    let mut bad = settings();
    bad.payment_days = 121;
    assert_eq!(
        field(s.save_invoicing_settings(&bad).await.unwrap_err()),
        "payment_days"
    );

    // Income: the invoice (sent) and the credit note (approved) cancel out in March.
    s.set_invoice_status(credit, InvoiceStatus::Approved, None)
        .await
        .unwrap();
    let income = s.income_by_month(f.org_a).await.unwrap();
    assert_eq!(income.len(), 1);
    assert_eq!(
        (income[0].month, income[0].invoices, income[0].net),
        (march(), 2, Money::ZERO)
    );
    assert_eq!(
        income[0].outstanding, orig.total,
        "the credit note is not sent yet"
    );
    assert!(s.income_by_month(f.org_b).await.unwrap().is_empty());
    assert_totals_kept(&db.store).await;
}

async fn invoices_are_tenant_isolated(db: TestDb) {
    let f = fixture(&db.store, "a").await;
    let other = fixture(&db.store, "b").await;
    let s = db.store.tenant(f.tenant);
    let so = db.store.tenant(other.tenant);
    let id = s
        .create_invoices_for_month(march(), d(2024, 4, 5))
        .await
        .unwrap()
        .invoices[0];
    assert!(matches!(
        so.get_invoice(id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        so.set_invoice_status(id, InvoiceStatus::Approved, None)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        so.credit_invoice(id, &text("x"), d(2024, 5, 1)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(so
        .list_invoices(&InvoiceFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        so.set_supplier_invoicing(f.org_a, true, None).await,
        Err(StoreError::NotFound { .. })
    ));
    // B's own month is still billable: A's invoice did not consume it.
    assert_eq!(so.billable_months(march()).await.unwrap().len(), 2);
}

/// The municipality's correction of a placement-month: refused (naming the field, with
/// nothing written) when it cannot be made, added in place of a late report, approved
/// at once, kept in the month's history and the audit log, and billed by the next run.
async fn attendance_is_corrected_by_the_municipality_with_a_history(db: TestDb) {
    let f = fixture(&db.store, "a").await;
    let s = db.store.tenant(f.tenant);
    let audit = audit_len(&s).await;
    let refused = |c: AttendanceCorrection, at| {
        let s = &s;
        async move { rule(s.correct_attendance(&c, at).await.unwrap_err()) }
    };
    // Too many hours: March 2024 has 20 working days (Good Friday), at most 200 hours.
    let mut c = correction(f.p_full, 2, "Rättad tid");
    c.attended_minutes = 200 * 60 + 1;
    assert_eq!(refused(c, now()).await.0, "attended_hours");
    let mut c = correction(f.p_full, 2, "Rättad frånvaro");
    c.sick_days = 19;
    assert_eq!(refused(c, now()).await.0, "absence_days");
    // The same values as approved: nothing to correct.
    let (field, msg) = refused(correction(f.p_full, 2, "Ingen ändring"), now()).await;
    assert_eq!(field, "attended_hours");
    assert!(msg.contains("desamma"), "{msg}");
    // A month not begun, a month the placement did not run in.
    let early = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2024, 2, 28, 9, 0, 0).unwrap();
    assert_eq!(
        refused(correction(f.p_full, 3, "Tidigt"), early).await.0,
        "month"
    );
    let mut c = correction(f.p_part, 0, "Före starten");
    c.month = YearMonth::new(2024, 2).unwrap();
    let (field, msg) = refused(c, now()).await;
    assert_eq!(field, "month");
    assert!(msg.contains("pågick inte"), "{msg}");
    // Another tenant's placement is not found.
    let other = fixture(&db.store, "b").await;
    assert!(matches!(
        db.store
            .tenant(other.tenant)
            .correct_attendance(&correction(f.p_full, 3, "Fel kommun"), now())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    // A draft invoice bills the month: delete it first.
    let draft = s
        .create_invoices_for_month(march(), d(2024, 4, 5))
        .await
        .unwrap()
        .invoices[0];
    let audit_draft = audit_len(&s).await;
    let (field, msg) = refused(correction(f.p_full, 3, "Fel frånvaro"), now()).await;
    assert_eq!(field, "month");
    assert!(
        msg.contains("fakturautkastet F202403") && msg.contains("Ta bort utkastet"),
        "{msg}"
    );
    assert_eq!(audit_len(&s).await, audit_draft, "nothing written");
    assert_eq!(audit_draft, audit + 1, "only the draft was written");
    assert!(s.attendance_corrections(f.p_full).await.unwrap().is_empty());
    s.delete_draft_invoice(draft).await.unwrap();

    // Corrected twice: each correction keeps what it replaced, and the month stays
    // approved with the latest values.
    s.correct_attendance(&correction(f.p_full, 4, "Två dagar till"), now())
        .await
        .unwrap();
    s.correct_attendance(&correction(f.p_full, 3, "En dag var sjukdom"), now())
        .await
        .unwrap();
    let history = s.attendance_corrections(f.p_full).await.unwrap();
    let steps: Vec<_> = history
        .iter()
        .map(|h| {
            (
                h.before.as_ref().map(|b| b.unexcused_days),
                h.after.unexcused_days,
            )
        })
        .collect();
    assert_eq!(steps, [(Some(2), 4), (Some(4), 3)]);
    assert_eq!(history[0].corrected_by, "system:cli");
    let month = s.attendance_of_placement(f.p_full).await.unwrap();
    assert_eq!(
        (month[0].unexcused_days, month[0].status),
        (3, AttendanceStatus::Approved)
    );
    let log = s
        .audit_entries(&AuditFilter {
            entity: Some("attendance_months".into()),
            entity_id: Some(format!("{}/2024-03", f.p_full)),
            ..Default::default()
        })
        .await
        .unwrap();
    let last = &log[0];
    assert_eq!(last.action, "correct");
    assert!(last
        .before_json
        .as_deref()
        .unwrap()
        .contains("\"unexcused_days\":4"));
    let after = last.after_json.as_deref().unwrap();
    assert!(
        after.contains("\"unexcused_days\":3") && after.contains("En dag var sjukdom"),
        "{after}"
    );

    // A late report: B's supplier submitted March but it was never approved, and April
    // was never reported. The municipality records both; they are approved at once.
    let apr = YearMonth::new(2024, 4).unwrap();
    let mut late = correction(f.p_b, 1, "Leverantören missade sista dag");
    late.month = apr;
    late.attended_minutes = 80 * 60;
    s.correct_attendance(&late, now()).await.unwrap();
    s.correct_attendance(&correction(f.p_b, 1, "Godkänd efter kontroll"), now())
        .await
        .unwrap();
    let history = s.attendance_corrections(f.p_b).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].month, march());
    assert_eq!(
        history[0].before.as_ref().map(|b| b.status),
        Some(AttendanceStatus::Submitted)
    );
    assert_eq!((history[1].month, history[1].before.as_ref()), (apr, None));
    assert_eq!(
        s.attendance_of_placement(f.p_b).await.unwrap()[1].status,
        AttendanceStatus::Approved
    );
    // The runs bill what was corrected: March 3 000 × 28/31 for A's first placement,
    // 3 000 × 30/31 for B; April 3 000 × 29/30 for B.
    s.create_invoices_for_month(march(), d(2024, 4, 6))
        .await
        .unwrap();
    let march_lines: Vec<_> = {
        let mut out = Vec::new();
        for inv in s
            .list_invoices(&InvoiceFilter {
                month: Some(march()),
                ..Default::default()
            })
            .await
            .unwrap()
        {
            out.extend(s.get_invoice(inv.id).await.unwrap().1);
        }
        out.sort_by_key(|l| l.placement_id);
        out
    };
    assert_eq!(
        march_lines.iter().map(|l| l.paid_days).collect::<Vec<_>>(),
        [28, 10, 30]
    );
    let april = s
        .create_invoices_for_month(apr, d(2024, 5, 6))
        .await
        .unwrap();
    assert_eq!(
        (april.lines, april.total),
        (1, Money::from_kronor(3_000).pro_rata(29, 30))
    );
    assert!(s.verify_audit().await.unwrap().problems.is_empty());
    assert_totals_kept(&db.store).await;

    // The right-of-access export holds the corrections and why they were made; after the
    // retention period, anonymisation empties those reasons with the rest.
    let participant = s.get_placement(f.p_b).await.unwrap().participant_id;
    let reasons = |record: vidare_store::repo::casework::ParticipantRecord| {
        let mut reasons: Vec<String> = record
            .placements
            .into_iter()
            .flat_map(|p| p.attendance_corrections)
            .map(|c| c.reason)
            .collect();
        reasons.sort();
        reasons
    };
    assert_eq!(
        reasons(s.participant_record(participant).await.unwrap()),
        ["Godkänd efter kontroll", "Leverantören missade sista dag"]
    );
    s.record_exit(
        f.p_b,
        d(2024, 4, 30),
        vidare_domain::model::placement::ExitOutcome::Moved,
        None,
    )
    .await
    .unwrap();
    let gone = s
        .anonymise_participants(d(2024, 6, 1), d(2030, 1, 1))
        .await
        .unwrap();
    assert_eq!(gone, [participant]);
    assert_eq!(
        reasons(s.participant_record(participant).await.unwrap()),
        ["[anonymiserad]", "[anonymiserad]"]
    );
    assert!(s.verify_audit().await.unwrap().problems.is_empty());
}

/// Paused days are not billed (like absence the agreement deducts, whatever its rule)
/// and not counted among the working days that bound a month's reported hours.
async fn paused_days_are_neither_billed_nor_working_days(db: TestDb) {
    let f = fixture(&db.store, "a").await;
    let s = db.store.tenant(f.tenant);
    // Paused 11 March, resumed 21 March: 11–20 March, 10 days, are not billed.
    s.pause_placement(f.p_full, d(2024, 3, 11), Some(&text("Sjukhusvistelse")))
        .await
        .unwrap();
    s.resume_placement(f.p_full, d(2024, 3, 21)).await.unwrap();
    let billable = s.billable_months(march()).await.unwrap();
    let full = billable
        .iter()
        .find(|(_, b)| b.placement_id == f.p_full)
        .unwrap();
    assert_eq!(full.1.paused.ranges().len(), 1);
    let created = s
        .create_invoices_for_month(march(), d(2024, 4, 5))
        .await
        .unwrap();
    let (_, lines) = s.get_invoice(created.invoices[0]).await.unwrap();
    // 31 days less 10 paused less 2 unexcused: 3 000 × 19/31 = 1 838,71 kr.
    assert_eq!(lines[0].placement_id, f.p_full);
    assert_eq!((lines[0].paid_days, lines[0].month_days), (19, 31));
    assert_eq!(lines[0].amount, Money::from_ore(183_871));
    // The other placement, never paused, is billed as before.
    assert_eq!(lines[1].amount, Money::from_ore(96_774));

    // April 2024 has 21 working days (Easter Monday is the 1st). Paused 8 April, resumed
    // 22 April: 10 of them are paused, so at most 11 × 10 hours can be reported.
    let apr = YearMonth::new(2024, 4).unwrap();
    s.pause_placement(f.p_part, d(2024, 4, 8), None)
        .await
        .unwrap();
    s.resume_placement(f.p_part, d(2024, 4, 22)).await.unwrap();
    let report = |minutes, sick| AttendanceMonth {
        placement_id: f.p_part,
        month: apr,
        attended_minutes: minutes,
        sick_days: sick,
        leave_days: 0,
        unexcused_days: 0,
        status: AttendanceStatus::Submitted,
    };
    let err = s
        .upsert_attendance(&report(110 * 60 + 30, 0))
        .await
        .unwrap_err();
    match err {
        StoreError::Rule(v) => {
            assert_eq!(v.field, "attended_hours");
            assert!(
                v.sv.contains("11 arbetsdagar") && v.sv.contains("110 timmar"),
                "{}",
                v.sv
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        field(s.upsert_attendance(&report(0, 12)).await.unwrap_err()),
        "absence_days"
    );
    assert!(s
        .attendance_of_placement(f.p_part)
        .await
        .unwrap()
        .iter()
        .all(|a| a.month != apr));
    s.upsert_attendance(&report(110 * 60, 0)).await.unwrap();
    assert_totals_kept(&db.store).await;
}

/// Simultaneous runs for one month never bill a placement-month twice: each run reads
/// what is billable under the month's invoicing lock (PostgreSQL; SQLite's single writer
/// serialises the transactions anyway), so the later runs find nothing left to bill.
/// Three months, six runs each, so that a missing lock is caught even when one month
/// happens not to race.
async fn simultaneous_invoice_runs_bill_a_month_once(db: TestDb) {
    let f = fixture(&db.store, "a").await;
    let s = db.store.tenant(f.tenant);
    attendance(&s, f.p_b, march(), 0, AttendanceStatus::Approved).await;
    let months = [march(), march().next(), march().next().next()];
    for m in &months[1..] {
        for p in [f.p_full, f.p_part, f.p_b] {
            attendance(&s, p, *m, 0, AttendanceStatus::Approved).await;
        }
    }
    for m in months {
        let runs = futures_util::future::join_all((0..6).map(|i| {
            let store = db.store.clone();
            let tenant = f.tenant;
            async move {
                store
                    .tenant(tenant)
                    .create_invoices_for_month(m, m.next().first_day() + chrono::Duration::days(i))
                    .await
            }
        }))
        .await;
        let mut lines = 0;
        for run in runs {
            let run = run.expect("every run succeeds; the later ones bill nothing");
            lines += run.lines;
        }
        assert_eq!(lines, 3, "{m}: three placement-months, each billed once");
        let invoices = s
            .list_invoices(&InvoiceFilter {
                month: Some(m),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(invoices.len(), 2, "{m}: one invoice per supplier");
        let mut billed = Vec::new();
        for inv in &invoices {
            assert_eq!(inv.number, format!("F{}", m.to_string().replace('-', "")));
            let (_, l) = s.get_invoice(inv.id).await.unwrap();
            billed.extend(l.iter().map(|l| l.placement_id));
        }
        billed.sort();
        assert_eq!(billed, [f.p_full, f.p_part, f.p_b], "{m}");
        assert!(s.billable_months(m).await.unwrap().is_empty());
    }
    assert_totals_kept(&db.store).await;
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::testing::TestDb::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::testing::TestDb::postgres().await).await;
                }
            )*
        }
    };
}

contract!(
    invoices_are_derived_from_approved_attendance,
    the_approval_flow_is_one_step_at_a_time_and_audited,
    a_locked_month_is_corrected_by_a_credit_note,
    invoices_are_tenant_isolated,
    simultaneous_invoice_runs_bill_a_month_once,
    paused_days_are_neither_billed_nor_working_days,
    attendance_is_corrected_by_the_municipality_with_a_history,
);
