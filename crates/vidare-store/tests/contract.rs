//! The storage contract: every test here runs unchanged against SQLite and PostgreSQL.

use chrono::NaiveDate;
use vidare_domain::calendar::DecisionDelivery;
use vidare_domain::deadline::Deadline;
use vidare_domain::ids::*;
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{
    AttendanceMonth, AttendanceStatus, ExitOutcome, FollowUpPoint, FollowUpStatus, ReferralStatus,
    WeeklyMinutes,
};
use vidare_domain::model::procurement::{
    AbsenceRule, ContractKind, ContractPeriod, CpvCode, LegalBasis, RoundStatus,
};
use vidare_domain::model::tenant::Role;
use vidare_domain::model::{Email, Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::import::{BulkError, Numbered};
use vidare_store::repo::placements::{NewPlacement, NewReferral};
use vidare_store::repo::procurement::{NewAgreement, NewLot, NewPlacementType, NewRound};
use vidare_store::repo::tenants::{NewTenant, NewUser};
use vidare_store::repo::Page;
use vidare_store::testing::TestDb;
use vidare_store::{SchemaStatus, Store, StoreError};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
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

fn pnr(serial: u16) -> PersonalIdentityNumber {
    PersonalIdentityNumber::from_parts(d(1990, 5, 17), serial, IdentityKind::Personnummer).unwrap()
}

fn participant(serial: u16) -> NewParticipant {
    NewParticipant {
        personal_number: pnr(serial),
        first_name: text("Testa"),
        last_name: text(&format!("Person {serial}")),
        covariates: Covariates {
            gender: Gender::Female,
            born_abroad: serial % 2 == 0,
            education: EducationLevel::UpperSecondary,
            months_on_income_support: 18,
            health_limitation: false,
            swedish_level: SwedishLevel::Intermediate,
            prior_work_experience: true,
        },
        synthetic: true,
    }
}

fn organisation(payload: [u8; 9]) -> NewOrganisation {
    NewOrganisation {
        org_number: OrganisationNumber::from_payload(payload).unwrap(),
        name: text("Testföreningen ekonomisk förening"),
        legal_form: LegalForm::EconomicAssociation,
        idea_driven: true,
        in_idea_driven_register: false,
        headcount: Some(Headcount::new(20, 9).unwrap()),
        annual_turnover: Some(Money::from_kronor(3_400_000)),
        email: Some(Email::parse("info@testforeningen.example").unwrap()),
        synthetic: true,
    }
}

/// A tenant with one supplier, one placement type and one agreement of `capacity` places
/// in force during 2024.
struct Fixture {
    tenant: TenantId,
    org: OrganisationId,
    agreement: AgreementId,
}

async fn fixture(store: &Store, slug: &str, capacity: u32) -> Fixture {
    let t = tenant(store, slug).await;
    let s = store.tenant(t);
    let org = s
        .insert_organisation(&organisation([7, 6, 9, 6, 0, 0, 1, 2, 3]))
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
    let agreement = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: org,
            placement_type_id: pt,
            capacity,
            price_per_month: Money::from_kronor(3_000),
            period: DateRange::new(d(2024, 1, 1), Some(d(2024, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: Some(d(2023, 12, 1)),
        })
        .await
        .unwrap();
    Fixture {
        tenant: t,
        org,
        agreement,
    }
}

async fn tenants_have_unique_slugs(db: TestDb) {
    let a = tenant(&db.store, "ostersund").await;
    let t = db.store.tenant_by_slug("ostersund").await.unwrap().unwrap();
    assert_eq!(t.id, a);
    assert_eq!(t.name.as_str(), "ostersund kommun");
    let err = db
        .store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("ostersund").unwrap(),
            name: text("Dubblett"),
            municipality_code: None,
            synthetic: false,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { field: "slug" }),
        "{err:?}"
    );
    assert_eq!(db.store.list_tenants().await.unwrap().len(), 1);
}

async fn participants_round_trip(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    let s = db.store.tenant(t);
    let new = participant(123);
    let id = s.insert_participant(&new).await.unwrap();
    let got = s.get_participant(id).await.unwrap();
    assert_eq!(got.personal_number, new.personal_number);
    assert_eq!(got.covariates, new.covariates);
    assert_eq!(got.last_name.as_str(), "Person 123");
    assert!(got.synthetic);
    let by_pnr = s
        .participant_by_personal_number(&new.personal_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_pnr.id, id);
    let err = s.insert_participant(&new).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                field: "personal_number"
            }
        ),
        "{err:?}"
    );
    assert_eq!(s.count_participants().await.unwrap(), 1);
    // The counts are kept until the next recorded change, which shows at once.
    let today = d(2024, 6, 1);
    assert_eq!(s.overview(today).await.unwrap().participants, 1);
    s.insert_participant(&participant(124)).await.unwrap();
    assert_eq!(s.count_participants().await.unwrap(), 2);
    assert_eq!(s.overview(today).await.unwrap().participants, 2);
    // A handle (one request) reads the data position once, so its figures agree with
    // each other; a change made through another handle shows to every later handle,
    // copies included.
    db.store
        .tenant(t)
        .insert_participant(&participant(125))
        .await
        .unwrap();
    assert_eq!(s.count_participants().await.unwrap(), 2);
    assert_eq!(db.store.tenant(t).count_participants().await.unwrap(), 3);
    assert_eq!(s.clone().overview(today).await.unwrap().participants, 3);
    assert!(matches!(
        s.get_participant(ParticipantId(id.get() + 1000)).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn tenants_are_isolated(db: TestDb) {
    let a = fixture(&db.store, "a", 2).await;
    let b = tenant(&db.store, "b").await;
    let sa = db.store.tenant(a.tenant);
    let sb = db.store.tenant(b);
    let p = sa.insert_participant(&participant(1)).await.unwrap();
    // Tenant B sees nothing of A's, by id, by key or in lists.
    assert!(matches!(
        sb.get_participant(p).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(sb
        .participant_by_personal_number(&pnr(1))
        .await
        .unwrap()
        .is_none());
    assert!(sb
        .list_participants(Page::default())
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        sb.get_organisation(a.org).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        sb.get_agreement(a.agreement).await,
        Err(StoreError::NotFound { .. })
    ));
    // The same identity number may exist in both tenants (each municipality its own case).
    sb.insert_participant(&participant(1)).await.unwrap();
    // B cannot refer its participant under A's agreement.
    let pb = sb
        .participant_by_personal_number(&pnr(1))
        .await
        .unwrap()
        .unwrap();
    let err = sb
        .insert_referral(&NewReferral {
            participant_id: pb.id,
            agreement_id: a.agreement,
            reason: text("Försök"),
            referred_on: d(2024, 3, 1),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    // Nor a supplier user tied to A's organisation.
    assert!(sb
        .insert_user(&NewUser {
            email: Email::parse("x@b.example").unwrap(),
            display_name: text("X"),
            role: Role::SupplierUser {
                organisation_id: a.org
            },
        })
        .await
        .is_err());
    assert!(sb.list_users().await.unwrap().is_empty());
}

async fn organisations_and_users_round_trip(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    let s = db.store.tenant(t);
    let new = organisation([5, 5, 6, 0, 1, 6, 0, 6, 8]);
    let id = s.insert_organisation(&new).await.unwrap();
    let got = s.get_organisation(id).await.unwrap();
    assert_eq!(got.org_number, new.org_number);
    assert_eq!(got.headcount, new.headcount);
    assert_eq!(got.annual_turnover, new.annual_turnover);
    assert_eq!(got.legal_form, LegalForm::EconomicAssociation);
    let err = s.insert_organisation(&new).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                field: "org_number"
            }
        ),
        "{err:?}"
    );
    assert_eq!(s.count_organisations().await.unwrap(), 1);

    let u = s
        .insert_user(&NewUser {
            email: Email::parse("Lev@Test.example").unwrap(),
            display_name: text("Leverantör"),
            role: Role::SupplierUser {
                organisation_id: id,
            },
        })
        .await
        .unwrap();
    let user = s.get_user(u).await.unwrap();
    assert_eq!(
        user.role,
        Role::SupplierUser {
            organisation_id: id
        }
    );
    assert_eq!(user.email.as_str(), "lev@test.example");
    assert!(user.active);
    assert_eq!(
        s.user_by_email(&Email::parse("lev@test.example").unwrap())
            .await
            .unwrap()
            .unwrap()
            .id,
        u
    );
}

async fn rounds_and_lots_round_trip(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    let s = db.store.tenant(t);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("cafe").unwrap(),
            name_sv: text("Café och kök"),
            name_en: text("Café and kitchen"),
        })
        .await
        .unwrap();
    let deadline = Deadline::new(d(2023, 5, 15).and_hms_opt(23, 59, 0).unwrap()).unwrap();
    let round = s
        .insert_round(&NewRound {
            title: text("Sysselsättningsplatser 2023–2024"),
            reference: Some(text("AME 2023/41")),
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![
                CpvCode::parse("85312320-8").unwrap(),
                CpvCode::parse("79611000").unwrap(),
            ],
            estimated_value: Money::from_kronor(6_000_000),
            contract_period: ContractPeriod::new(d(2023, 7, 1), 24, 24).unwrap(),
            tender_deadline: Some(deadline),
            status: RoundStatus::Published,
            synthetic: true,
        })
        .await
        .unwrap();
    let got = s.get_round(round).await.unwrap();
    assert_eq!(got.tender_deadline, Some(deadline));
    assert_eq!(got.cpv_codes.len(), 2);
    assert_eq!(got.contract_period.max_end(), d(2027, 6, 30));
    assert!(got.legal_basis.is_reserved());
    s.insert_lot(
        round,
        &NewLot {
            number: 1,
            placement_type_id: pt,
            title: text("Café och kök"),
            description: None,
            places: 6,
            max_price_per_month: Money::from_kronor(4_500),
            reserved: true,
        },
    )
    .await
    .unwrap();
    let lots = s.lots_of_round(round).await.unwrap();
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0].places, 6);
    assert_eq!(lots[0].max_price_per_month, Money::from_kronor(4_500));
    // A lot with the same number is refused.
    let dup = s
        .insert_lot(
            round,
            &NewLot {
                number: 1,
                placement_type_id: pt,
                title: text("Dubblett"),
                description: None,
                places: 1,
                max_price_per_month: Money::from_kronor(1),
                reserved: true,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict { .. }), "{dup:?}");
    // Zero places are refused by the domain rule, naming the field.
    let zero = s
        .insert_lot(
            round,
            &NewLot {
                number: 2,
                placement_type_id: pt,
                title: text("Noll"),
                description: None,
                places: 0,
                max_price_per_month: Money::from_kronor(1),
                reserved: true,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(zero, StoreError::Rule(ref v) if v.field == "places"),
        "{zero:?}"
    );
    // Another tenant cannot add lots to this round.
    let other = tenant(&db.store, "b").await;
    let err = db
        .store
        .tenant(other)
        .insert_lot(
            round,
            &NewLot {
                number: 3,
                placement_type_id: pt,
                title: text("Intrång"),
                description: None,
                places: 1,
                max_price_per_month: Money::from_kronor(1),
                reserved: true,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(s.list_rounds().await.unwrap().len(), 1);
    let _ = DecisionDelivery::Electronic;
}

async fn referrals_respect_capacity_and_term(db: TestDb) {
    let f = fixture(&db.store, "a", 1).await;
    let s = db.store.tenant(f.tenant);
    let p1 = s.insert_participant(&participant(1)).await.unwrap();
    let p2 = s.insert_participant(&participant(2)).await.unwrap();
    let referral = |p: ParticipantId, on: NaiveDate| NewReferral {
        participant_id: p,
        agreement_id: f.agreement,
        reason: text("Intresserad av snickeri"),
        referred_on: on,
    };
    // Outside the agreement's term.
    let err = s
        .insert_referral(&referral(p1, d(2025, 1, 2)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Rule(ref v) if v.field == "agreement_id"),
        "{err:?}"
    );
    let r1 = s
        .insert_referral(&referral(p1, d(2024, 2, 1)))
        .await
        .unwrap();
    // The single place is taken by the pending referral.
    let err = s
        .insert_referral(&referral(p2, d(2024, 2, 1)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Rule(ref v) if v.field == "agreement_id"),
        "{err:?}"
    );
    assert!(s.referrals_of_participant(p2).await.unwrap().is_empty());
    s.decide_referral(r1, ReferralStatus::Accepted, d(2024, 2, 3))
        .await
        .unwrap();
    // A decided referral cannot be decided again.
    assert!(s
        .decide_referral(r1, ReferralStatus::Declined, d(2024, 2, 4))
        .await
        .is_err());
    let placement = s
        .insert_placement(&NewPlacement {
            referral_id: Some(r1),
            participant_id: p1,
            agreement_id: f.agreement,
            start: d(2024, 2, 5),
            planned_end: d(2024, 8, 4),
            hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
            goals: Some(text("Lära sig grundläggande snickeri")),
        })
        .await
        .unwrap();
    // Still full while the placement runs.
    assert!(s
        .insert_referral(&referral(p2, d(2024, 3, 1)))
        .await
        .is_err());
    // Ending the placement frees the place.
    s.record_exit(placement, d(2024, 4, 30), ExitOutcome::WorkSubsidised, None)
        .await
        .unwrap();
    s.insert_referral(&referral(p2, d(2024, 5, 2)))
        .await
        .unwrap();
    let placed = s.get_placement(placement).await.unwrap();
    assert_eq!(placed.period.end(), Some(d(2024, 4, 30)));
}

async fn attendance_locks_when_approved(db: TestDb) {
    let f = fixture(&db.store, "a", 3).await;
    let s = db.store.tenant(f.tenant);
    let p = s.insert_participant(&participant(5)).await.unwrap();
    let placement = s
        .insert_placement(&NewPlacement {
            referral_id: None,
            participant_id: p,
            agreement_id: f.agreement,
            start: d(2024, 5, 1),
            planned_end: d(2024, 10, 31),
            hours_per_week: WeeklyMinutes::new(30 * 60).unwrap(),
            goals: None,
        })
        .await
        .unwrap();
    let may = YearMonth::new(2024, 5).unwrap();
    let mut report = AttendanceMonth {
        placement_id: placement,
        month: may,
        attended_minutes: 80 * 60,
        sick_days: 1,
        leave_days: 0,
        unexcused_days: 0,
        status: AttendanceStatus::Submitted,
    };
    s.upsert_attendance(&report).await.unwrap();
    report.attended_minutes = 90 * 60;
    s.upsert_attendance(&report).await.unwrap();
    // More hours than the month's working days allow.
    let mut too_much = report.clone();
    too_much.attended_minutes = 300 * 60;
    let err = s.upsert_attendance(&too_much).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Rule(ref v) if v.field == "attended_hours"),
        "{err:?}"
    );
    report.status = AttendanceStatus::Approved;
    s.upsert_attendance(&report).await.unwrap();
    report.attended_minutes = 10 * 60;
    report.status = AttendanceStatus::Submitted;
    let err = s.upsert_attendance(&report).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Rule(ref v) if v.field == "month"),
        "{err:?}"
    );
    let stored = s.attendance_of_placement(placement).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].attended_minutes, 90 * 60);
    assert_eq!(stored[0].status, AttendanceStatus::Approved);
}

async fn exits_and_follow_ups_keep_their_order(db: TestDb) {
    let f = fixture(&db.store, "a", 3).await;
    let s = db.store.tenant(f.tenant);
    let p = s.insert_participant(&participant(9)).await.unwrap();
    let placement = s
        .insert_placement(&NewPlacement {
            referral_id: None,
            participant_id: p,
            agreement_id: f.agreement,
            start: d(2024, 3, 1),
            planned_end: d(2024, 9, 1),
            hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
            goals: None,
        })
        .await
        .unwrap();
    let err = s
        .record_exit(placement, d(2024, 2, 28), ExitOutcome::Moved, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Rule(ref v) if v.field == "exit_date"),
        "{err:?}"
    );
    assert!(s.exit_of_placement(placement).await.unwrap().is_none());
    let exit = s
        .record_exit(
            placement,
            d(2024, 6, 14),
            ExitOutcome::StudiesWithAllowance,
            Some(&text("Antagningsbesked Komvux")),
        )
        .await
        .unwrap();
    let stored = s.exit_of_placement(placement).await.unwrap().unwrap();
    assert_eq!(stored.id, exit);
    assert!(stored.outcome.counts_as_work_or_studies());
    let err = s
        .record_follow_up(
            exit,
            FollowUpPoint::Months3,
            d(2024, 6, 1),
            FollowUpStatus::Studying,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Rule(ref v) if v.field == "recorded_on"),
        "{err:?}"
    );
    s.record_follow_up(
        exit,
        FollowUpPoint::Months3,
        d(2024, 9, 16),
        FollowUpStatus::Studying,
    )
    .await
    .unwrap();
    let dup = s
        .record_follow_up(
            exit,
            FollowUpPoint::Months3,
            d(2024, 9, 17),
            FollowUpStatus::Employed,
        )
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict { .. }), "{dup:?}");
}

async fn bulk_loads_all_or_nothing(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    let s = db.store.tenant(t);
    let rows: Vec<_> = (0..1000u16)
        .map(|i| Numbered {
            line: u64::from(i) + 2,
            row: participant(i),
        })
        .collect();
    assert_eq!(s.bulk_insert(&rows).await.unwrap(), 1000);
    assert_eq!(s.count_participants().await.unwrap(), 1000);
    // A name with characters that need escaping in COPY survives the round trip.
    let mut odd = participant(0);
    odd.personal_number =
        PersonalIdentityNumber::from_parts(d(1985, 1, 2), 1, IdentityKind::Samordningsnummer)
            .unwrap();
    odd.last_name = text("Back\\slash\tTab");
    let more = vec![
        Numbered {
            line: 2,
            row: odd.clone(),
        },
        Numbered {
            line: 3,
            row: participant(17),
        },
        Numbered {
            line: 4,
            row: participant(999),
        },
    ];
    match s.bulk_insert(&more).await {
        Err(BulkError::AlreadyStored { field, lines }) => {
            assert_eq!(field, "personal_number");
            assert_eq!(lines, vec![3, 4]);
        }
        other => panic!("expected a clash, got {other:?}"),
    }
    // Nothing of the failed load was written.
    assert_eq!(s.count_participants().await.unwrap(), 1000);
    assert!(s
        .participant_by_personal_number(&odd.personal_number)
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.bulk_insert(&more[..1]).await.unwrap(), 1);
    let stored = s
        .participant_by_personal_number(&odd.personal_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_name.as_str(), "Back\\slash\tTab");
    // Organisations load the same way.
    let orgs = vec![
        Numbered {
            line: 2,
            row: organisation([7, 6, 9, 6, 0, 0, 1, 2, 3]),
        },
        Numbered {
            line: 3,
            row: organisation([8, 0, 2, 0, 0, 4, 5, 6, 7]),
        },
    ];
    assert_eq!(s.bulk_insert(&orgs).await.unwrap(), 2);
    assert!(matches!(
        s.bulk_insert(&orgs[1..]).await,
        Err(BulkError::AlreadyStored { field: "org_number", ref lines }) if lines == &[3]
    ));
}

async fn schema_versions_are_checked(db: TestDb) {
    // `db` is migrated.
    let v = db.store.require_current_schema().await.unwrap();
    assert_eq!(v, db.store.binary_schema_version());
    assert!(matches!(
        db.store.schema_status().await.unwrap(),
        SchemaStatus::Current { .. }
    ));
    // Migrating again is a no-op.
    db.store.migrate().await.unwrap();
    // A migration from a newer Vidare makes this binary refuse the database.
    vidare_store::with_pool!(db.store, |pool| {
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101000000, 'from the future', TRUE, $1, 0)",
        )
        .bind(vec![0u8; 48])
        .execute(pool)
        .await
        .unwrap();
    });
    let err = db.store.require_current_schema().await.unwrap_err();
    assert!(matches!(err, StoreError::SchemaNewer { .. }), "{err:?}");
    assert!(err.to_string().contains("newer"));
    assert!(matches!(
        db.store.migrate().await,
        Err(StoreError::SchemaNewer { .. })
    ));
}

/// A page of participants (read as one JSON array, see `participant_page`) holds exactly
/// what single reads give, in name order, for every kind of value: yes/no both ways,
/// every enumeration, and the anonymisation date.
async fn participant_pages_match_single_reads(db: TestDb) {
    let t = tenant(&db.store, "sidor").await;
    let s = db.store.tenant(t);
    let genders = [Gender::Female, Gender::Male, Gender::Other, Gender::Unknown];
    let levels = [
        SwedishLevel::None,
        SwedishLevel::Basic,
        SwedishLevel::Intermediate,
        SwedishLevel::Fluent,
    ];
    let educations = [
        EducationLevel::Primary,
        EducationLevel::UpperSecondary,
        EducationLevel::PostSecondary,
        EducationLevel::Unknown,
    ];
    for serial in 1..=12u16 {
        let mut p = participant(serial);
        // Names out of insertion order, one shared last name to order by first name.
        p.last_name = text(["Öberg", "Andersson", "Åkesson", "Berg"][usize::from(serial % 4)]);
        p.first_name = text(&format!("Förnamn {:02}", 13 - serial));
        p.covariates = Covariates {
            gender: genders[usize::from(serial) % 4],
            born_abroad: serial % 2 == 0,
            education: educations[usize::from(serial / 3) % 4],
            months_on_income_support: u32::from(serial) * 7,
            health_limitation: serial % 3 == 0,
            swedish_level: levels[usize::from(serial / 2) % 4],
            prior_work_experience: serial % 5 != 0,
        };
        p.synthetic = serial % 2 == 1;
        if serial % 3 == 0 {
            // Registered long ago and never placed: anonymised below.
            s.register_participant(&p, d(2019, 5, 2)).await.unwrap();
        } else {
            s.insert_participant(&p).await.unwrap();
        }
    }
    let anonymised = s
        .anonymise_participants(d(2021, 1, 1), d(2021, 6, 1))
        .await
        .unwrap();
    assert_eq!(anonymised.len(), 4);
    for serial in 13..=14u16 {
        s.insert_participant(&participant(serial)).await.unwrap();
    }
    let everyone = s.list_participants(Page::first(100)).await.unwrap();
    assert_eq!(everyone.len(), 14);
    assert!(everyone.iter().any(|p| p.anonymised_on.is_some()));
    assert!(everyone.iter().any(|p| p.anonymised_on.is_none()));
    let mut expected = Vec::new();
    for p in &everyone {
        expected.push(s.get_participant(p.id).await.unwrap());
    }
    assert_eq!(everyone, expected, "a page holds what single reads give");
    let key = |p: &vidare_domain::model::participant::Participant| {
        (
            p.last_name.as_str().to_owned(),
            p.first_name.as_str().to_owned(),
            p.id,
        )
    };
    let mut sorted = everyone.clone();
    sorted.sort_by_key(key);
    assert_eq!(everyone, sorted, "ordered by last name, first name, id");
    // Pages are windows of the same order, and past the end is empty.
    let second = s
        .list_participants(Page {
            limit: 5,
            offset: 5,
        })
        .await
        .unwrap();
    assert_eq!(second, everyone[5..10]);
    assert!(s
        .list_participants(Page {
            limit: 5,
            offset: 14,
        })
        .await
        .unwrap()
        .is_empty());
    // A search pages the same way.
    let (n, found) = s
        .search_participants(
            "förnamn",
            Page {
                limit: 3,
                offset: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(n, 8, "the anonymised have lost their names");
    let matching: Vec<_> = everyone
        .iter()
        .filter(|p| p.first_name.as_str().starts_with("Förnamn"))
        .cloned()
        .collect();
    assert_eq!(found, matching[3..6]);
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
    tenants_have_unique_slugs,
    participants_round_trip,
    participant_pages_match_single_reads,
    tenants_are_isolated,
    organisations_and_users_round_trip,
    rounds_and_lots_round_trip,
    referrals_respect_capacity_and_term,
    attendance_locks_when_approved,
    exits_and_follow_ups_keep_their_order,
    bulk_loads_all_or_nothing,
    schema_versions_are_checked,
);

#[tokio::test]
async fn an_empty_database_reports_its_status() {
    for db in [
        TestDb::sqlite_unmigrated().await,
        TestDb::postgres_unmigrated().await,
    ] {
        assert!(matches!(
            db.store.schema_status().await.unwrap(),
            SchemaStatus::Empty { .. }
        ));
        assert!(matches!(
            db.store.require_current_schema().await,
            Err(StoreError::SchemaOutdated { .. })
        ));
    }
}

#[tokio::test]
async fn sqlite_uses_wal_and_serialises_writers() {
    let db = TestDb::sqlite().await;
    let mode: String = vidare_store::with_pool!(db.store, |pool| {
        sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(mode, "wal");
    let t = tenant(&db.store, "a").await;
    // Many concurrent writers through separate connections all succeed: BEGIN IMMEDIATE
    // plus the busy timeout queue them instead of failing with SQLITE_BUSY.
    let mut tasks = Vec::new();
    for i in 0..32u16 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .tenant(t)
                .bulk_insert(&[Numbered {
                    line: 2,
                    row: participant(i),
                }])
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 1);
    }
    assert_eq!(db.store.tenant(t).count_participants().await.unwrap(), 32);
}

#[tokio::test]
async fn unreachable_databases_are_reported_plainly() {
    let err = Store::connect("postgres://vidare:hemligt@127.0.0.1:1/vidare")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot reach the database at postgres://vidare:***@127.0.0.1:1/vidare"),
        "{msg}"
    );
    assert!(!msg.contains("hemligt"));
    let err = Store::connect("mysql://x").await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidUrl { .. }));
    let err = Store::connect("sqlite:///nonexistent-dir/sub/x.sqlite")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
}

mod audit {
    use super::*;
    use vidare_store::audit::AuditFilter;
    use vidare_store::Actor;

    async fn changes_are_chained_and_tampering_is_found(db: TestDb) {
        let f = fixture(&db.store, "a", 2).await;
        let actor = Actor::user(UserId(0), "handlaggare@a.example");
        let s = db.store.tenant_as(f.tenant, actor);
        let p = s.insert_participant(&participant(42)).await.unwrap();
        let entries = s
            .audit_entries(&AuditFilter {
                entity: Some("participants".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.action, "create");
        assert_eq!(e.entity_id.as_deref(), Some(p.get().to_string().as_str()));
        assert_eq!(e.actor, "handlaggare@a.example");
        // The identity number is masked in the log, birth date and all.
        let after = e.after_json.as_deref().unwrap();
        assert!(
            after.contains("\"personal_number\":\"********-****\""),
            "{after}"
        );
        assert!(!after.contains(&pnr(42).canonical()), "{after}");
        assert!(
            !after.contains("19900517") && !after.contains("900517"),
            "{after}"
        );
        // tenant, organisation, placement type, agreement, participant
        let all = s
            .audit_entries(&AuditFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(
            all.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![5, 4, 3, 2, 1]
        );
        let report = db.store.verify_audit().await.unwrap();
        assert!(report.is_intact(), "{:?}", report.problems);
        assert_eq!(report.entries, 5);

        // The log refuses changes through SQL while its guard is in place.
        let refused = vidare_store::with_pool!(db.store, |pool| {
            sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 5")
                .execute(pool)
                .await
                .map(|_| ())
        });
        assert!(refused.is_err());

        // Someone with full database access removes the guard and edits an entry.
        vidare_store::with_pool!(db.store, |pool| {
            match db.store.kind() {
                vidare_store::BackendKind::Sqlite => {
                    sqlx::query("DROP TRIGGER audit_log_no_update")
                        .execute(pool)
                        .await
                        .unwrap();
                    sqlx::query("DROP TRIGGER audit_log_no_delete")
                        .execute(pool)
                        .await
                        .unwrap();
                }
                vidare_store::BackendKind::Postgres => {
                    sqlx::query("DROP TRIGGER audit_log_no_change ON audit_log")
                        .execute(pool)
                        .await
                        .unwrap();
                }
            }
            sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")
                .execute(pool)
                .await
                .unwrap();
        });
        let report = db.store.verify_audit().await.unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert_eq!(report.problems[0].seq, 3);

        // Deleting the newest entry is found too, by the chain's head.
        vidare_store::with_pool!(db.store, |pool| {
            // Undo the edit, so only the deletion remains to be found.
            sqlx::query("UPDATE audit_log SET actor = 'system:cli' WHERE seq = 3")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query("DELETE FROM audit_log WHERE seq = 5")
                .execute(pool)
                .await
                .unwrap();
        });
        let report = db.store.verify_audit().await.unwrap();
        assert!(
            report.problems.iter().any(|p| matches!(
                p.problem,
                vidare_store::audit::ProblemKind::TailMissing { .. }
            )),
            "{:?}",
            report.problems
        );
    }

    async fn reads_of_personal_data_are_logged(db: TestDb) {
        let f = fixture(&db.store, "a", 2).await;
        let s = db
            .store
            .tenant_as(f.tenant, Actor::user(UserId(0), "forskare@a.example"));
        let p = s.insert_participant(&participant(7)).await.unwrap();
        s.log_access(&[p], "case_file", Some("/deltagare/7"))
            .await
            .unwrap();
        let entries = s.access_entries(Some(p), None, 10, 0).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].purpose, "case_file");
        assert_eq!(entries[0].actor, "forskare@a.example");
        // Another tenant sees none of it.
        let other = tenant(&db.store, "b").await;
        assert!(db
            .store
            .tenant(other)
            .access_entries(None, None, 10, 0)
            .await
            .unwrap()
            .is_empty());
    }

    mod sqlite {
        #[tokio::test]
        async fn changes_are_chained_and_tampering_is_found() {
            super::changes_are_chained_and_tampering_is_found(
                vidare_store::testing::TestDb::sqlite().await,
            )
            .await;
        }
        #[tokio::test]
        async fn reads_of_personal_data_are_logged() {
            super::reads_of_personal_data_are_logged(vidare_store::testing::TestDb::sqlite().await)
                .await;
        }
    }
    mod postgres {
        #[tokio::test]
        async fn changes_are_chained_and_tampering_is_found() {
            super::changes_are_chained_and_tampering_is_found(
                vidare_store::testing::TestDb::postgres().await,
            )
            .await;
        }
        #[tokio::test]
        async fn reads_of_personal_data_are_logged() {
            super::reads_of_personal_data_are_logged(
                vidare_store::testing::TestDb::postgres().await,
            )
            .await;
        }
    }
}
