//! The reserved-procurement workflow in the store, on both backends: tenders sealed
//! until the deadline (and refused reads logged), the bad-input rules of a tender, and a
//! whole round from publishing to signed framework agreements with the standstill
//! enforced. Every refusal leaves nothing half-written.

use chrono::{DateTime, NaiveDate, Utc};
use vidare_domain::calendar::DecisionDelivery;
use vidare_domain::deadline::Deadline;
use vidare_domain::ids::*;
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::procurement::{
    AbsenceRule, BidDocumentKind, BidStatus, ContractKind, ContractPeriod, CpvCode, CriterionKind,
    EligibilityDeclaration, LegalBasis, RoundStatus, TestOutcome,
};
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_store::audit::AuditFilter;
use vidare_store::repo::procurement::{NewLot, NewPlacementType, NewRound};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::repo::tendering::{NewCriterion, NewFile, TenderDraft, TenderLot};
use vidare_store::testing::TestDb;
use vidare_store::{Scoped, StoreError};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The deadline: 2030-03-04 12:00 in Stockholm (11:00 UTC, winter time).
const DEADLINE: &str = "2030-03-04T12:00";
fn before() -> DateTime<Utc> {
    at("2030-03-04T10:59:59Z")
}
fn after() -> DateTime<Utc> {
    at("2030-03-04T11:00:00Z")
}

struct Fixture {
    tenant: TenantId,
    round: RoundId,
    lot: LotId,
    quality: CriterionId,
    a: OrganisationId,
    b: OrganisationId,
}

async fn fixture(db: &TestDb) -> Fixture {
    let store = &db.store;
    let tenant = store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("upph").unwrap(),
            name: Text::parse("Upphandlingskommun").unwrap(),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap();
    let s = store.tenant(tenant);
    let org = |payload: [u8; 9], name: &str| NewOrganisation {
        org_number: OrganisationNumber::from_payload(payload).unwrap(),
        name: Text::parse(name).unwrap(),
        legal_form: LegalForm::EconomicAssociation,
        idea_driven: true,
        in_idea_driven_register: false,
        headcount: Some(Headcount::new(10, 4).unwrap()),
        annual_turnover: None,
        email: None,
        synthetic: true,
    };
    let a = s
        .insert_organisation(&org([7, 6, 9, 6, 0, 0, 1, 2, 3], "Alfa ek. för."))
        .await
        .unwrap();
    let b = s
        .insert_organisation(&org([7, 6, 9, 6, 0, 0, 4, 5, 6], "Beta ek. för."))
        .await
        .unwrap();
    let ty = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("snickeri").unwrap(),
            name_sv: Text::parse("Snickeri").unwrap(),
            name_en: Text::parse("Carpentry").unwrap(),
        })
        .await
        .unwrap();
    let round = s
        .insert_round(&NewRound {
            title: Text::parse("Sysselsättningsplatser 2030").unwrap(),
            reference: None,
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![CpvCode::parse("85312320-8").unwrap()],
            estimated_value: Money::from_kronor(3_000_000),
            contract_period: ContractPeriod::new(day("2030-05-01"), 24, 12).unwrap(),
            tender_deadline: None,
            status: RoundStatus::Planning,
            synthetic: false,
        })
        .await
        .unwrap();
    let lot = s
        .insert_lot(
            round,
            &NewLot {
                number: 1,
                placement_type_id: ty,
                title: Text::parse("Snickeri").unwrap(),
                description: None,
                places: 6,
                max_price_per_month: Money::from_kronor(20_000),
                reserved: true,
            },
        )
        .await
        .unwrap();
    s.set_criteria(
        round,
        &[
            NewCriterion {
                kind: CriterionKind::Price,
                name: Text::parse("Pris").unwrap(),
                weight_percent: 60,
            },
            NewCriterion {
                kind: CriterionKind::Quality,
                name: Text::parse("Handledning").unwrap(),
                weight_percent: 40,
            },
        ],
    )
    .await
    .unwrap();
    let quality = s.criteria_of_round(round).await.unwrap()[1].id;
    s.set_tender_deadline(
        round,
        &Deadline::parse(DEADLINE).unwrap(),
        at("2030-01-01T00:00:00Z"),
    )
    .await
    .unwrap();
    s.publish_round(round, at("2030-01-02T00:00:00Z"))
        .await
        .unwrap();
    Fixture {
        tenant,
        round,
        lot,
        quality,
        a,
        b,
    }
}

fn draft(lot: LotId, price_kr: i64, capacity: u32, total: i64, target: i64) -> TenderDraft {
    TenderDraft {
        purpose_statement: "Vårt huvudsakliga syfte är arbetsintegration.".into(),
        headcount_total: total,
        headcount_target_groups: target,
        lots: vec![TenderLot {
            lot_id: lot,
            price_per_month: Money::from_kronor(price_kr),
            capacity,
            quality_answer: Some(Text::parse("Handledare på plats varje dag.").unwrap()),
        }],
    }
}

fn pdf() -> NewFile {
    NewFile {
        filename: "underlag.pdf".into(),
        mime: "application/pdf".into(),
        content: b"%PDF-1.4 underlag".to_vec(),
    }
}

/// Saves, documents and submits a tender before the deadline.
async fn tender(
    s: &Scoped<'_>,
    f: &Fixture,
    org: OrganisationId,
    price_kr: i64,
    capacity: u32,
) -> BidId {
    s.save_tender(
        f.round,
        org,
        &draft(f.lot, price_kr, capacity, 10, 4),
        before(),
    )
    .await
    .unwrap();
    for kind in BidDocumentKind::ALL {
        s.attach_bid_document(f.round, org, *kind, &pdf(), before())
            .await
            .unwrap();
    }
    s.submit_tender(f.round, org, before()).await.unwrap()
}

async fn refused_reads(s: &Scoped<'_>) -> usize {
    s.audit_entries(&AuditFilter {
        limit: 1000,
        ..Default::default()
    })
    .await
    .unwrap()
    .iter()
    .filter(|e| e.action == "sealed_read_refused")
    .count()
}

fn field(e: StoreError) -> &'static str {
    match e {
        StoreError::Rule(v) => v.field,
        other => panic!("expected a rule violation, got {other:?}"),
    }
}

async fn sealed_until_the_deadline(db: TestDb) {
    let f = fixture(&db).await;
    let s = db.store.tenant(f.tenant);
    let bid = tender(&s, &f, f.a, 15_000, 3).await;
    assert_eq!(refused_reads(&s).await, 0);
    // Before the deadline: the municipality reads nothing, and each attempt is logged.
    let e = s
        .tenders_of_round(f.round, before(), "evaluation")
        .await
        .unwrap_err();
    assert_eq!(field(e), "tender_deadline");
    assert_eq!(refused_reads(&s).await, 1);
    let doc = s.own_tender(f.round, f.a).await.unwrap().unwrap().documents[0]
        .1
        .id;
    let e = s
        .bid_document(f.round, doc, None, before(), "export")
        .await
        .unwrap_err();
    assert_eq!(field(e), "tender_deadline");
    assert!(s.evaluation(f.round, before(), "api").await.is_err());
    assert!(s
        .qualify(
            f.round,
            bid,
            TestOutcome::Pass,
            TestOutcome::Pass,
            None,
            before()
        )
        .await
        .is_err());
    assert_eq!(refused_reads(&s).await, 4);
    // The purpose is in the log.
    let entries = s
        .audit_entries(&AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.action == "sealed_read_refused"
        && e.after_json.as_deref().unwrap_or("").contains("\"export\"")));
    // Tender content never enters the audit log (it is readable before the deadline).
    assert!(!entries
        .iter()
        .any(|e| e.after_json.as_deref().unwrap_or("").contains("1500000")));
    // The supplier reads its own tender and document at any time.
    let own = s.own_tender(f.round, f.a).await.unwrap().unwrap();
    assert_eq!(own.bid.status, BidStatus::Submitted);
    assert_eq!(own.lots[0].price_per_month, Money::from_kronor(15_000));
    assert!(s
        .bid_document(f.round, doc, Some(f.a), before(), "own")
        .await
        .is_ok());
    // Another organisation cannot read it as its own.
    assert!(matches!(
        s.bid_document(f.round, doc, Some(f.b), before(), "own")
            .await,
        Err(StoreError::NotFound { .. })
    ));
    // At the deadline the seal breaks.
    let all = s
        .tenders_of_round(f.round, after(), "evaluation")
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].lots[0].capacity, 3);
    let (_, _, content) = s
        .bid_document(f.round, doc, None, after(), "evaluation")
        .await
        .unwrap();
    assert_eq!(content, pdf().content);
    assert_eq!(refused_reads(&s).await, 4);
    assert!(db.store.verify_audit().await.unwrap().is_intact());
}

async fn bad_tenders_are_refused_whole(db: TestDb) {
    let f = fixture(&db).await;
    let s = db.store.tenant(f.tenant);
    let audit_before = s
        .count_audit_entries(&AuditFilter::default())
        .await
        .unwrap();
    // Price above the lot's maximum.
    let e = s
        .save_tender(f.round, f.a, &draft(f.lot, 20_001, 2, 10, 4), before())
        .await
        .unwrap_err();
    assert_eq!(field(e), "price_per_month");
    // Capacity zero.
    let e = s
        .save_tender(f.round, f.a, &draft(f.lot, 15_000, 0, 10, 4), before())
        .await
        .unwrap_err();
    assert_eq!(field(e), "capacity");
    // A share above 100 % and below 0 %.
    for target in [11, -1] {
        let e = s
            .save_tender(f.round, f.a, &draft(f.lot, 15_000, 2, 10, target), before())
            .await
            .unwrap_err();
        assert_eq!(field(e), "headcount_target_groups");
    }
    // Two offers for the same lot, one of them over the price cap: nothing saved.
    let mut two = draft(f.lot, 15_000, 2, 10, 4);
    two.lots.push(TenderLot {
        lot_id: f.lot,
        price_per_month: Money::from_kronor(25_000),
        capacity: 1,
        quality_answer: None,
    });
    assert!(s.save_tender(f.round, f.a, &two, before()).await.is_err());
    assert!(s.own_tender(f.round, f.a).await.unwrap().is_none());
    assert_eq!(
        s.count_audit_entries(&AuditFilter::default())
            .await
            .unwrap(),
        audit_before,
        "a refused tender wrote to the log"
    );
    // A missing required document.
    s.save_tender(f.round, f.a, &draft(f.lot, 15_000, 2, 10, 4), before())
        .await
        .unwrap();
    let e = s.submit_tender(f.round, f.a, before()).await.unwrap_err();
    assert_eq!(field(e), "purpose_document");
    s.attach_bid_document(
        f.round,
        f.a,
        BidDocumentKind::PurposeEvidence,
        &pdf(),
        before(),
    )
    .await
    .unwrap();
    let e = s.submit_tender(f.round, f.a, before()).await.unwrap_err();
    assert_eq!(field(e), "share_document");
    let empty = NewFile {
        content: Vec::new(),
        ..pdf()
    };
    let e = s
        .attach_bid_document(
            f.round,
            f.a,
            BidDocumentKind::ShareEvidence,
            &empty,
            before(),
        )
        .await
        .unwrap_err();
    assert_eq!(field(e), "share_document");
    let exe = NewFile {
        mime: "application/x-msdownload".into(),
        ..pdf()
    };
    assert!(s
        .attach_bid_document(f.round, f.a, BidDocumentKind::ShareEvidence, &exe, before())
        .await
        .is_err());
    let own = s.own_tender(f.round, f.a).await.unwrap().unwrap();
    assert_eq!(own.bid.status, BidStatus::Draft);
    assert_eq!(own.documents.len(), 1);
    // After the deadline nothing can be saved, documented or submitted.
    let e = s
        .save_tender(f.round, f.b, &draft(f.lot, 15_000, 2, 10, 4), after())
        .await
        .unwrap_err();
    assert_eq!(field(e), "tender_deadline");
    assert!(s.own_tender(f.round, f.b).await.unwrap().is_none());
    let e = s
        .attach_bid_document(
            f.round,
            f.a,
            BidDocumentKind::ShareEvidence,
            &pdf(),
            after(),
        )
        .await
        .unwrap_err();
    assert_eq!(field(e), "tender_deadline");
    let e = s.submit_tender(f.round, f.a, after()).await.unwrap_err();
    assert_eq!(field(e), "tender_deadline");
    assert_eq!(
        s.own_tender(f.round, f.a)
            .await
            .unwrap()
            .unwrap()
            .bid
            .status,
        BidStatus::Draft
    );
    // A question after the deadline is refused too.
    let q = Text::parse("Får vi lämna anbud sent?").unwrap();
    assert!(s.ask_question(f.round, f.b, &q, after()).await.is_err());
    assert!(db.store.verify_audit().await.unwrap().is_intact());
}

async fn a_whole_round_to_signed_agreements(db: TestDb) {
    let f = fixture(&db).await;
    let s = db.store.tenant(f.tenant);
    // Questions during the tender period, answered for everyone.
    let q = s
        .ask_question(
            f.round,
            f.b,
            &Text::parse("Räknas praktikanter?").unwrap(),
            before(),
        )
        .await
        .unwrap();
    s.answer_question(
        f.round,
        q,
        &Text::parse("Ja, praktikanter räknas.").unwrap(),
        before(),
    )
    .await
    .unwrap();
    let qs = s.questions_of_round(f.round).await.unwrap();
    assert_eq!(qs[0].answer.as_deref(), Some("Ja, praktikanter räknas."));

    let bid_a = tender(&s, &f, f.a, 15_000, 3).await;
    let bid_b = tender(&s, &f, f.b, 12_000, 2).await;
    assert_eq!(s.count_submitted_tenders(f.round).await.unwrap(), 2);

    // Grading before qualification leaves the ranking incomplete; a decision is refused.
    let eval = after() + chrono::Duration::hours(22); // 2030-03-05 10:00 Stockholm
    let e = s
        .decide_award(
            f.round,
            day("2030-03-05"),
            day("2030-03-05"),
            DecisionDelivery::Electronic,
            eval,
        )
        .await
        .unwrap_err();
    assert_eq!(field(e), "grade");
    assert_eq!(
        s.get_round(f.round).await.unwrap().status,
        RoundStatus::Evaluation
    );
    for bid in [bid_a, bid_b] {
        s.qualify(
            f.round,
            bid,
            TestOutcome::Pass,
            TestOutcome::Pass,
            None,
            eval,
        )
        .await
        .unwrap();
    }
    assert_eq!(
        field(
            s.grade(f.round, bid_a, f.lot, f.quality, 6, eval)
                .await
                .unwrap_err()
        ),
        "grade"
    );
    s.grade(f.round, bid_a, f.lot, f.quality, 5, eval)
        .await
        .unwrap();
    s.grade(f.round, bid_b, f.lot, f.quality, 2, eval)
        .await
        .unwrap();
    let (_, _, lots) = s.evaluation(f.round, eval, "evaluation").await.unwrap();
    // A: 12 000/15 000 → 80 p × 0.6 + 100 × 0.4 = 88; B: 100 × 0.6 + 40 × 0.4 = 76.
    let ranking: Vec<_> = lots[0]
        .ranking
        .iter()
        .map(|r| (r.bid_id, r.rank, r.total_centi))
        .collect();
    assert_eq!(ranking, vec![(bid_a, 1, 8800), (bid_b, 2, 7600)]);

    // A decision sent in the future, or before it was made, is refused.
    assert_eq!(
        field(
            s.decide_award(
                f.round,
                day("2030-03-05"),
                day("2030-03-06"),
                DecisionDelivery::Electronic,
                eval
            )
            .await
            .unwrap_err()
        ),
        "sent_on"
    );
    s.decide_award(
        f.round,
        day("2030-03-05"),
        day("2030-03-05"),
        DecisionDelivery::Electronic,
        eval,
    )
    .await
    .unwrap();
    let (decision, results) = s.award_of_round(f.round).await.unwrap().unwrap();
    // Sent Tuesday 5 March 2030: ten days → Friday 15 March; signing from Saturday 16.
    assert_eq!(decision.standstill_end(), day("2030-03-15"));
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.awarded));
    // Grading after the decision is refused.
    assert!(s
        .grade(f.round, bid_b, f.lot, f.quality, 5, eval)
        .await
        .is_err());

    // Signing during the standstill is refused with the dates, and writes nothing.
    let during = at("2030-03-15T12:00:00Z");
    let audit_before = s
        .count_audit_entries(&AuditFilter::default())
        .await
        .unwrap();
    let e = s
        .sign_agreements(
            f.round,
            day("2030-03-15"),
            AbsenceRule::DeductUnexcused,
            during,
        )
        .await
        .unwrap_err();
    let StoreError::Rule(v) = e else { panic!() };
    assert_eq!(v.field, "signed_on");
    assert!(
        v.sv.contains("2030-03-15") && v.sv.contains("2030-03-16"),
        "{}",
        v.sv
    );
    assert!(s.agreements_of_round(f.round).await.unwrap().is_empty());
    assert_eq!(
        s.get_round(f.round).await.unwrap().status,
        RoundStatus::Awarded
    );
    assert_eq!(
        s.count_audit_entries(&AuditFilter::default())
            .await
            .unwrap(),
        audit_before
    );
    // A signing date backdated into the standstill is refused even after it.
    let later = at("2030-03-18T08:00:00Z");
    assert!(s
        .sign_agreements(
            f.round,
            day("2030-03-14"),
            AbsenceRule::DeductUnexcused,
            later
        )
        .await
        .is_err());
    let ids = s
        .sign_agreements(
            f.round,
            day("2030-03-18"),
            AbsenceRule::DeductUnexcused,
            later,
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let agreements = s.agreements_of_round(f.round).await.unwrap();
    let a = agreements
        .iter()
        .find(|x| x.organisation_id == f.a)
        .unwrap();
    assert_eq!((a.rank, a.capacity), (Some(1), 3));
    assert_eq!(a.price_per_month, Money::from_kronor(15_000));
    assert_eq!(a.period.start(), day("2030-05-01"));
    assert_eq!(a.period.end(), Some(day("2032-04-30")));
    assert_eq!(
        s.get_round(f.round).await.unwrap().status,
        RoundStatus::Contracted
    );
    assert!(s
        .sign_agreements(
            f.round,
            day("2030-03-18"),
            AbsenceRule::DeductUnexcused,
            later
        )
        .await
        .is_err());

    // Periodic declarations during the contract: the newest counts.
    let d = |t, g| EligibilityDeclaration::new("Arbetsintegration", t, g).unwrap();
    s.insert_declaration(
        f.b,
        day("2030-09-30"),
        &d(10, 4),
        later + chrono::Duration::days(200),
    )
    .await
    .unwrap();
    s.insert_declaration(
        f.b,
        day("2031-03-31"),
        &d(10, 2),
        later + chrono::Duration::days(400),
    )
    .await
    .unwrap();
    let latest = s.latest_declarations().await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].declared_on, day("2031-03-31"));
    assert!(!latest[0].headcount.meets_share_test());
    assert!(s
        .insert_declaration(f.a, day("2040-01-01"), &d(10, 4), later)
        .await
        .is_err());
    assert!(db.store.verify_audit().await.unwrap().is_intact());
}

async fn planning_rules_and_outreach(db: TestDb) {
    let f = fixture(&db).await;
    let s = db.store.tenant(f.tenant);
    // Published: criteria are fixed.
    assert_eq!(
        field(
            s.set_criteria(
                f.round,
                &[NewCriterion {
                    kind: CriterionKind::Price,
                    name: Text::parse("Pris").unwrap(),
                    weight_percent: 100,
                }],
            )
            .await
            .unwrap_err()
        ),
        "status"
    );
    // Weights not summing to 100 are refused on a planned round.
    let planned = s
        .insert_round(&NewRound {
            title: Text::parse("Nästa omgång").unwrap(),
            reference: None,
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![],
            estimated_value: Money::from_kronor(1),
            contract_period: ContractPeriod::new(day("2032-05-01"), 24, 0).unwrap(),
            tender_deadline: None,
            status: RoundStatus::Planning,
            synthetic: false,
        })
        .await
        .unwrap();
    let e = s
        .set_criteria(
            planned,
            &[
                NewCriterion {
                    kind: CriterionKind::Price,
                    name: Text::parse("Pris").unwrap(),
                    weight_percent: 50,
                },
                NewCriterion {
                    kind: CriterionKind::Quality,
                    name: Text::parse("Kvalitet").unwrap(),
                    weight_percent: 30,
                },
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(field(e), "weight_percent");
    assert_eq!(
        field(s.publish_round(planned, before()).await.unwrap_err()),
        "lots"
    );
    // A meeting with registrations within its capacity.
    let m = s
        .insert_meeting(
            f.round,
            &vidare_store::repo::tendering::NewMeeting {
                starts_at: Deadline::parse("2030-02-10T13:00").unwrap(),
                place: Text::parse("Rådhuset, sal 2").unwrap(),
                capacity: Some(5),
            },
        )
        .await
        .unwrap();
    let name = Text::parse("Alfa ek. för.").unwrap();
    s.register_for_meeting(f.round, m, &name, 4, day("2030-02-01"))
        .await
        .unwrap();
    assert_eq!(
        field(
            s.register_for_meeting(f.round, m, &name, 2, day("2030-02-01"))
                .await
                .unwrap_err()
        ),
        "attendees"
    );
    let meetings = s.meetings_of_round(f.round).await.unwrap();
    assert_eq!(meetings[0].registrations.len(), 1);
    // Round documents and the public view.
    s.insert_round_document(
        f.round,
        &Text::parse("Förfrågningsunderlag").unwrap(),
        &pdf(),
        before(),
    )
    .await
    .unwrap();
    assert_eq!(s.round_documents(f.round).await.unwrap().len(), 1);
    assert_eq!(
        db.store.public_round_tenant(f.round).await.unwrap(),
        f.tenant
    );
    assert!(db.store.public_round_tenant(planned).await.is_err());
}

/// Suppliers register themselves for an information meeting: names and an address,
/// within the capacity, once per organisation, before the meeting starts; they can
/// cancel; a planned round's meeting does not exist for them. Each change is audited.
async fn suppliers_register_for_meetings(db: TestDb) {
    use vidare_domain::model::Email;
    use vidare_store::repo::tendering::{NewMeeting, NewSupplierRegistration};
    let f = fixture(&db).await;
    let s = db.store.tenant(f.tenant);
    let m = s
        .insert_meeting(
            f.round,
            &NewMeeting {
                starts_at: Deadline::parse("2030-02-10T13:00").unwrap(),
                place: Text::parse("Rådhuset, sal 2").unwrap(),
                capacity: Some(3),
            },
        )
        .await
        .unwrap();
    let now = at("2030-02-01T09:00:00Z");
    let reg = |names: &[&str]| NewSupplierRegistration {
        attendee_names: names.iter().map(|n| Text::parse(n).unwrap()).collect(),
        email: Email::parse("kontakt@alfa.example").unwrap(),
    };
    // No names: refused, naming the field.
    assert_eq!(
        field(
            s.register_organisation_for_meeting(m, f.a, &reg(&[]), now)
                .await
                .unwrap_err()
        ),
        "attendee_names"
    );
    s.register_organisation_for_meeting(m, f.a, &reg(&["Anna Alm", "Bo Berg"]), now)
        .await
        .unwrap();
    // Twice: refused.
    assert_eq!(
        field(
            s.register_organisation_for_meeting(m, f.a, &reg(&["Cia"]), now)
                .await
                .unwrap_err()
        ),
        "meeting"
    );
    // Over the capacity: refused with the seats left, nothing written.
    let e = s
        .register_organisation_for_meeting(m, f.b, &reg(&["Dan", "Eva"]), now)
        .await
        .unwrap_err();
    match &e {
        StoreError::Rule(v) => {
            assert_eq!(v.field, "attendee_names");
            assert!(v.sv.contains("bara 1 platser kvar"), "{}", v.sv);
        }
        other => panic!("{other:?}"),
    }
    let ms = s.meetings_of_round(f.round).await.unwrap();
    assert_eq!(ms[0].registrations.len(), 1);
    let r = &ms[0].registrations[0];
    assert_eq!(r.organisation_id, Some(f.a));
    assert_eq!(r.organisation_name, "Alfa ek. för.");
    assert_eq!(r.attendees, 2);
    assert_eq!(r.attendee_names, vec!["Anna Alm", "Bo Berg"]);
    assert_eq!(r.email.as_deref(), Some("kontakt@alfa.example"));
    s.register_organisation_for_meeting(m, f.b, &reg(&["Dan"]), now)
        .await
        .unwrap();
    // Full now.
    let e = s
        .register_organisation_for_meeting(m, f.a, &reg(&["Fia"]), now)
        .await
        .unwrap_err();
    assert_eq!(field(e), "meeting");
    // Cancel: only the organisation's own; a second cancel finds nothing.
    s.cancel_meeting_registration(m, f.b, now).await.unwrap();
    assert!(matches!(
        s.cancel_meeting_registration(m, f.b, now).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        s.meetings_of_round(f.round).await.unwrap()[0]
            .registrations
            .len(),
        1
    );
    // After the start: closed for registering and cancelling.
    let late = at("2030-02-10T12:00:00Z");
    let e = s
        .register_organisation_for_meeting(m, f.b, &reg(&["Dan"]), late)
        .await
        .unwrap_err();
    match &e {
        StoreError::Rule(v) => {
            assert_eq!(v.field, "meeting");
            assert!(v.sv.contains("började 2030-02-10 13:00"), "{}", v.sv);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        field(
            s.cancel_meeting_registration(m, f.a, late)
                .await
                .unwrap_err()
        ),
        "meeting"
    );
    // A meeting of a planned round, or an unknown one, does not exist for suppliers.
    let planned = s
        .insert_round(&NewRound {
            title: Text::parse("Planeras").unwrap(),
            reference: None,
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![],
            estimated_value: Money::from_kronor(1),
            contract_period: ContractPeriod::new(day("2032-05-01"), 24, 0).unwrap(),
            tender_deadline: None,
            status: RoundStatus::Planning,
            synthetic: false,
        })
        .await
        .unwrap();
    let hidden = s
        .insert_meeting(
            planned,
            &NewMeeting {
                starts_at: Deadline::parse("2032-02-10T13:00").unwrap(),
                place: Text::parse("Rådhuset").unwrap(),
                capacity: None,
            },
        )
        .await
        .unwrap();
    for id in [hidden, 999_999] {
        assert!(matches!(
            s.register_organisation_for_meeting(id, f.a, &reg(&["Anna"]), now)
                .await,
            Err(StoreError::NotFound { .. })
        ));
    }
    // Audited: two registrations and a cancellation.
    let log = s
        .audit_entries(&AuditFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let regs = log
        .iter()
        .filter(|e| e.entity == "meeting_registrations")
        .count();
    assert_eq!(regs, 3, "{log:?}");
    assert!(db.store.verify_audit().await.unwrap().is_intact());
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name(vidare_store::testing::TestDb::sqlite().await).await; } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $name() { super::$name(vidare_store::testing::TestDb::postgres().await).await; } )*
        }
    };
}

both!(
    sealed_until_the_deadline,
    bad_tenders_are_refused_whole,
    a_whole_round_to_signed_agreements,
    planning_rules_and_outreach,
    suppliers_register_for_meetings,
);
