//! Effect measurement in storage, on SQLite and PostgreSQL alike: the bulk read into the
//! columnar data (ids mapped to indices, exits, follow-ups, attendance, register rows,
//! tenant isolation), the versioned parameter sets (impossible values refused by field,
//! nothing half-written, every version audited) and the dashboards' cache.

use chrono::{NaiveDate, Utc};
use std::collections::HashMap;
use vidare_domain::ids::*;
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{
    AttendanceMonth, AttendanceStatus, ExitOutcome, FollowUpPoint, FollowUpStatus, WeeklyMinutes,
};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_effects::data::{day, AgeBand};
use vidare_effects::socioeconomic::ParameterSet;
use vidare_store::audit::AuditFilter;
use vidare_store::repo::effects::{CachedFigures, NewParameterSet};
use vidare_store::repo::placements::NewPlacement;
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

async fn tenant(store: &Store, slug: &str) -> TenantId {
    store
        .insert_tenant(&NewTenant {
            slug: Slug::parse(slug).unwrap(),
            name: text("Effektkommun"),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap()
}

fn participant(serial: u16, birth: NaiveDate, health: bool) -> NewParticipant {
    NewParticipant {
        personal_number: PersonalIdentityNumber::from_parts(
            birth,
            serial,
            IdentityKind::Personnummer,
        )
        .unwrap(),
        first_name: text("Alva"),
        last_name: text("Testsson"),
        covariates: Covariates {
            gender: Gender::Female,
            born_abroad: true,
            education: EducationLevel::Primary,
            months_on_income_support: 30,
            health_limitation: health,
            swedish_level: SwedishLevel::Basic,
            prior_work_experience: false,
        },
        synthetic: true,
    }
}

/// One supplier, one type, one old-way agreement; three participants: one placed who
/// exits to work with a 3-month follow-up, one placed still running, one never placed.
async fn small_municipality(s: &Scoped<'_>) -> (PlacementId, PlacementId) {
    let org = s
        .insert_organisation(&NewOrganisation {
            org_number: OrganisationNumber::from_payload([7, 6, 9, 6, 0, 0, 1, 2, 3]).unwrap(),
            name: text("Snickarglädje ekonomisk förening"),
            legal_form: LegalForm::EconomicAssociation,
            idea_driven: true,
            in_idea_driven_register: false,
            headcount: Some(Headcount::new(10, 5).unwrap()),
            annual_turnover: Some(Money::from_kronor(1_200_000)),
            email: None,
            synthetic: true,
        })
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
            capacity: 5,
            price_per_month: Money::from_kronor(3_000),
            period: DateRange::new(d(2022, 1, 1), Some(d(2024, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    let a = s
        .register_participant(&participant(101, d(1990, 3, 14), false), d(2022, 2, 1))
        .await
        .unwrap();
    let b = s
        .register_participant(&participant(102, d(1965, 8, 70 - 60), true), d(2022, 3, 1))
        .await
        .unwrap();
    s.register_participant(&participant(103, d(2001, 1, 2), false), d(2022, 4, 1))
        .await
        .unwrap();
    let place = |p, start| NewPlacement {
        referral_id: None,
        participant_id: p,
        agreement_id: agreement,
        start,
        planned_end: d(2022, 12, 31),
        hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
        goals: None,
    };
    let pa = s.insert_placement(&place(a, d(2022, 3, 1))).await.unwrap();
    let pb = s.insert_placement(&place(b, d(2022, 4, 1))).await.unwrap();
    for (p, m) in [(pa, 3), (pa, 4), (pb, 4)] {
        s.upsert_attendance(&AttendanceMonth {
            placement_id: p,
            month: YearMonth::new(2022, m).unwrap(),
            attended_minutes: 1200,
            sick_days: 0,
            leave_days: 0,
            unexcused_days: 0,
            status: AttendanceStatus::Submitted,
        })
        .await
        .unwrap();
    }
    let exit = s
        .record_exit(pa, d(2022, 5, 15), ExitOutcome::WorkSubsidised, None)
        .await
        .unwrap();
    s.record_follow_up(
        exit,
        FollowUpPoint::Months3,
        d(2022, 8, 20),
        FollowUpStatus::Employed,
    )
    .await
    .unwrap();
    (pa, pb)
}

async fn loads_columnar_data(db: TestDb) {
    let t = tenant(&db.store, "effekt").await;
    let other = tenant(&db.store, "annan").await;
    let s = db.store.tenant(t);
    let (pa, pb) = small_municipality(&s).await;
    // Another tenant's rows never leak into this tenant's data.
    small_municipality(&db.store.tenant(other)).await;

    let data = s.effects_data().await.unwrap();
    assert_eq!(data.tenants.ext_id, vec![t.get()]);
    assert_eq!(data.participants.len(), 3);
    assert_eq!(data.placements.len(), 2);
    assert_eq!(data.suppliers.len(), 1);
    assert_eq!(data.suppliers.annual_turnover_ore, vec![Some(120_000_000)]);
    assert_eq!(data.agreements.len(), 1);
    assert_eq!(data.placement_types.code, vec!["carpentry".to_string()]);
    let ia = data
        .placements
        .ext_id
        .iter()
        .position(|&x| x == pa.get())
        .unwrap();
    let ib = data
        .placements
        .ext_id
        .iter()
        .position(|&x| x == pb.get())
        .unwrap();
    let pl = &data.placements;
    assert_eq!(pl.exit_outcome[ia], Some(ExitOutcome::WorkSubsidised));
    assert_eq!(pl.exit_date[ia], Some(day(d(2022, 5, 15))));
    assert_eq!(pl.exit_outcome[ib], None);
    assert_eq!(pl.follow_up[0][ia], Some(FollowUpStatus::Employed));
    assert_eq!(pl.follow_up[1][ia], None);
    assert_eq!((pl.attendance_months[ia], pl.attendance_months[ib]), (2, 1));
    assert_eq!(pl.attended_minutes[ia], 2400);
    assert_eq!(pl.round[ia], None);
    // Time to work: the exit to subsidised work 75 days after the start, an event.
    assert_eq!((pl.days_to_work[ia], pl.work_censored[ia]), (75, false));
    assert!(pl.work_censored[ib]);
    // Covariates and the age band from the identity number, at registration.
    let pa_idx = pl.participant[ia] as usize;
    assert_eq!(data.participants.age_band[pa_idx], AgeBand::A25_34);
    assert_eq!(
        data.participants.registered_on[pa_idx],
        Some(day(d(2022, 2, 1)))
    );
    let pb_idx = pl.participant[ib] as usize;
    assert_eq!(data.participants.age_band[pb_idx], AgeBand::A55_64);
    assert!(data.participants.health_limitation[pb_idx]);

    // All tenants at once.
    let all = db.store.effects_data(None).await.unwrap();
    assert_eq!(all.tenants.ext_id.len(), 2);
    assert_eq!(all.participants.len(), 6);
    assert_eq!(all.placements.len(), 4);
}

async fn empty_tenant_loads_empty(db: TestDb) {
    let t = tenant(&db.store, "tom").await;
    let data = db.store.tenant(t).effects_data().await.unwrap();
    assert_eq!(data.participants.len(), 0);
    assert_eq!(data.placements.len(), 0);
    assert_eq!(data.as_of, day(Utc::now().date_naive()));
}

fn new_set(name: &str, parameters: ParameterSet) -> NewParameterSet {
    NewParameterSet {
        name: name.into(),
        parameters,
        sources: HashMap::from([(
            "discount_rate".to_string(),
            "Trafikverket, ASEK 7.0".to_string(),
        )]),
        note: Some("Test".into()),
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

async fn parameter_sets_are_versioned(db: TestDb) {
    let t = tenant(&db.store, "param").await;
    let s = db.store.tenant(t);
    // Nothing stored: the built-in default, version 0, citing its sources.
    let sets = s.parameter_sets().await.unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!((sets[0].id, sets[0].version), (None, 0));
    assert!(sets[0].sources["income_support_per_month_kr"].contains("162 000"));

    let audit_before = audit_len(&s).await;
    let mut p = ParameterSet::default();
    p.discount_rate = 0.04;
    let first = s
        .save_parameter_set(&new_set("Region", p.clone()))
        .await
        .unwrap();
    p.discount_rate = 0.05;
    let second = s
        .save_parameter_set(&new_set("Region", p.clone()))
        .await
        .unwrap();
    let current = s.current_parameter_set().await.unwrap();
    assert_eq!(current.id, Some(second));
    assert_eq!(current.version, 2);
    assert_eq!(current.parameters.discount_rate, 0.05);
    assert_eq!(current.sources["discount_rate"], "Trafikverket, ASEK 7.0");
    // A key without a given source keeps the built-in citation.
    assert!(current.sources["monthly_wage_kr"].contains("Upphandlingsmyndigheten"));
    let old = s.parameter_set(first).await.unwrap();
    assert_eq!((old.version, old.parameters.discount_rate), (1, 0.04));
    assert_eq!(s.parameter_sets().await.unwrap().len(), 3);
    // Another tenant sees none of them.
    let other = tenant(&db.store, "param-annan").await;
    assert!(matches!(
        db.store.tenant(other).parameter_set(first).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(audit_len(&s).await, audit_before + 2);
}

async fn impossible_parameters_are_refused(db: TestDb) {
    let t = tenant(&db.store, "omojlig").await;
    let s = db.store.tenant(t);
    let before = audit_len(&s).await;
    let mut p = ParameterSet::default();
    p.retention_year1 = 1.5;
    match s.save_parameter_set(&new_set("X", p)).await {
        Err(StoreError::Rule(v)) => {
            assert_eq!(v.field, "retention_year1");
            assert!(v.sv.contains("mellan 0 och 1"), "{}", v.sv);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let mut p = ParameterSet::default();
    p.monthly_wage_kr = -1.0;
    assert!(matches!(
        s.save_parameter_set(&new_set("X", p)).await,
        Err(StoreError::Rule(v)) if v.field == "monthly_wage_kr"
    ));
    assert!(matches!(
        s.save_parameter_set(&new_set("  ", ParameterSet::default())).await,
        Err(StoreError::Rule(v)) if v.field == "name"
    ));
    // Nothing half-written: no version, no audit entry.
    assert_eq!(s.parameter_sets().await.unwrap().len(), 1);
    assert_eq!(audit_len(&s).await, before);
}

async fn cache_is_replaced_per_scope(db: TestDb) {
    let t = tenant(&db.store, "cache").await;
    let s = db.store.tenant(t);
    assert_eq!(s.cached_effects("all").await.unwrap(), None);
    let at = Utc::now();
    let c = |stamp, figures: &str| CachedFigures {
        computed_at: at,
        data_stamp: stamp,
        figures: figures.into(),
    };
    s.store_cached_effects("all", &c(1, "{\"a\":1}"))
        .await
        .unwrap();
    s.store_cached_effects("round:7", &c(1, "{\"r\":7}"))
        .await
        .unwrap();
    s.store_cached_effects("all", &c(2, "{\"a\":2}"))
        .await
        .unwrap();
    let got = s.cached_effects("all").await.unwrap().unwrap();
    assert_eq!((got.data_stamp, got.figures.as_str()), (2, "{\"a\":2}"));
    assert_eq!(
        s.cached_effects("round:7").await.unwrap().unwrap().figures,
        "{\"r\":7}"
    );
    // The data stamp follows the audit log.
    let stamp = s.data_position().await.unwrap();
    s.save_parameter_set(&new_set("Ny", ParameterSet::default()))
        .await
        .unwrap();
    assert_eq!(s.data_position().await.unwrap(), stamp + 1);
}

macro_rules! both {
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

both!(
    loads_columnar_data,
    empty_tenant_loads_empty,
    parameter_sets_are_versioned,
    impossible_parameters_are_refused,
    cache_is_replaced_per_scope,
);
