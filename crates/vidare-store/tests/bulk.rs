//! The raw bulk loader's contract: every test runs unchanged against SQLite and
//! PostgreSQL.

use chrono::NaiveDate;
use vidare_domain::ids::{OrganisationId, ParticipantId, TenantId};
use vidare_domain::model::organisation::{LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::{Slug, Text};
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::bulk::Value;
use vidare_store::repo::tenants::NewTenant;
use vidare_store::testing::TestDb;
use vidare_store::Store;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn tenant(store: &Store, slug: &str) -> TenantId {
    store
        .insert_tenant(&NewTenant {
            slug: Slug::parse(slug).unwrap(),
            name: Text::parse("Bulk").unwrap(),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap()
}

/// A participant row as the raw loader takes it: explicit id, every column.
struct Person {
    id: i64,
    number: String,
    last_name: String,
    registered_on: Option<NaiveDate>,
}

const PERSON_COLUMNS: &[&str] = &[
    "id",
    "tenant_id",
    "personal_number",
    "first_name",
    "last_name",
    "gender",
    "born_abroad",
    "education",
    "months_on_income_support",
    "health_limitation",
    "swedish_level",
    "prior_work_experience",
    "synthetic",
    "registered_on",
];

fn people(first_id: i64, n: usize) -> Vec<Person> {
    (0..n)
        .map(|i| Person {
            id: first_id + i as i64,
            number: PersonalIdentityNumber::from_parts(
                d(1980, 1, 1 + (i % 28) as u32),
                (i / 28) as u16,
                IdentityKind::Personnummer,
            )
            .unwrap()
            .canonical(),
            // Text that COPY must escape and SQLite must take as it is.
            last_name: format!("Provström\t{i}\\"),
            registered_on: if i % 2 == 0 {
                Some(d(2023, 3, 1))
            } else {
                None
            },
        })
        .collect()
}

async fn load_people(
    db: &TestDb,
    t: TenantId,
    rows: &[Person],
    check: bool,
) -> Result<u64, vidare_store::StoreError> {
    let tid = t.get();
    let mut bulk = db.store.begin_bulk(check).await?;
    let n = bulk
        .load(
            "participants",
            PERSON_COLUMNS,
            rows,
            |p: &Person, out: &mut Vec<Value<'_>>| {
                out.extend([
                    Value::Int(p.id),
                    Value::Int(tid),
                    Value::Text(&p.number),
                    Value::Text("Testa"),
                    Value::Text(&p.last_name),
                    Value::Text("female"),
                    Value::Bool(true),
                    Value::Text("primary"),
                    Value::Int(14),
                    Value::Bool(false),
                    Value::Text("basic"),
                    Value::Bool(true),
                    Value::Bool(true),
                    Value::NullableDate(p.registered_on),
                ])
            },
        )
        .await?;
    bulk.commit().await?;
    Ok(n)
}

async fn rows_land_with_their_ids_and_values(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    // More rows than one SQLite statement holds, so batching is exercised too.
    let rows = people(1_000, 2_500);
    assert_eq!(load_people(&db, t, &rows, true).await.unwrap(), 2_500);
    let s = db.store.tenant(t);
    assert_eq!(s.count_participants().await.unwrap(), 2_500);
    let p = s.get_participant(ParticipantId(1_007)).await.unwrap();
    assert_eq!(p.last_name.as_str(), "Provström\t7\\");
    assert_eq!(p.covariates.gender, Gender::Female);
    assert_eq!(p.covariates.months_on_income_support, 14);
    assert!(p.synthetic);
    let registered: Vec<Option<NaiveDate>> = vidare_store::with_pool!(db.store, |pool| {
        sqlx::query_scalar(
            "SELECT registered_on FROM participants WHERE id IN (1000, 1001) ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    assert_eq!(registered, vec![Some(d(2023, 3, 1)), None]);
}

async fn ordinary_inserts_continue_after_loaded_ids(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    load_people(&db, t, &people(500, 3), true).await.unwrap();
    db.store
        .reset_id_sequences(&["participants", "organisations"])
        .await
        .unwrap();
    assert_eq!(
        db.store
            .max_ids(&["participants", "organisations"])
            .await
            .unwrap(),
        vec![502, 0]
    );
    let s = db.store.tenant(t);
    let id = s
        .insert_participant(&NewParticipant {
            personal_number: PersonalIdentityNumber::from_parts(
                d(1991, 2, 3),
                42,
                IdentityKind::Personnummer,
            )
            .unwrap(),
            first_name: Text::parse("Ny").unwrap(),
            last_name: Text::parse("Person").unwrap(),
            covariates: Covariates {
                gender: Gender::Male,
                born_abroad: false,
                education: EducationLevel::UpperSecondary,
                months_on_income_support: 3,
                health_limitation: false,
                swedish_level: SwedishLevel::Fluent,
                prior_work_experience: true,
            },
            synthetic: true,
        })
        .await
        .unwrap();
    assert_eq!(id, ParticipantId(503));
    let org = s
        .insert_organisation(&NewOrganisation {
            org_number: OrganisationNumber::from_payload([7, 6, 9, 6, 0, 0, 1, 2, 3]).unwrap(),
            name: Text::parse("Efter").unwrap(),
            legal_form: LegalForm::EconomicAssociation,
            idea_driven: true,
            in_idea_driven_register: false,
            headcount: None,
            annual_turnover: None,
            email: None,
            synthetic: true,
        })
        .await
        .unwrap();
    assert_eq!(org, OrganisationId(1));
}

async fn a_failed_load_writes_nothing(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    let mut rows = people(1, 10);
    // The same identity number twice in the tenant breaks a unique rule.
    rows[9].number = rows[0].number.clone();
    assert!(load_people(&db, t, &rows, true).await.is_err());
    assert_eq!(db.store.tenant(t).count_participants().await.unwrap(), 0);
    // A load dropped without commit leaves nothing either.
    let tid = t.get();
    let ok = people(1, 2);
    let mut bulk = db.store.begin_bulk(true).await.unwrap();
    bulk.load(
        "participants",
        PERSON_COLUMNS,
        &ok,
        |p: &Person, out: &mut Vec<Value<'_>>| {
            out.extend([
                Value::Int(p.id),
                Value::Int(tid),
                Value::Text(&p.number),
                Value::Text("A"),
                Value::Text("B"),
                Value::Text("male"),
                Value::Bool(false),
                Value::Text("primary"),
                Value::Int(1),
                Value::Bool(false),
                Value::Text("fluent"),
                Value::Bool(false),
                Value::Bool(true),
                Value::NullableDate(None),
            ])
        },
    )
    .await
    .unwrap();
    drop(bulk);
    assert_eq!(db.store.tenant(t).count_participants().await.unwrap(), 0);
    // And the store still works afterwards.
    assert_eq!(load_people(&db, t, &ok, true).await.unwrap(), 2);
}

async fn foreign_keys_are_checked_unless_waived(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    // A participant in a tenant that does not exist.
    let rows = people(1, 1);
    let tid = t.get() + 1_000;
    let load = |check: bool| {
        let rows = &rows;
        let store = &db.store;
        async move {
            let mut bulk = store.begin_bulk(check).await?;
            bulk.load(
                "register_outcomes",
                &["tenant_id", "participant_id", "observed_until"],
                rows,
                |p: &Person, out: &mut Vec<Value<'_>>| {
                    out.extend([
                        Value::Int(tid),
                        Value::Int(p.id),
                        Value::Date(d(2025, 12, 31)),
                    ])
                },
            )
            .await?;
            bulk.commit().await
        }
    };
    assert!(
        load(true).await.is_err(),
        "a dangling key is refused when checked"
    );
    // Waived: the test databases run as a superuser, so PostgreSQL skips the check too.
    load(false).await.unwrap();
    let n: i64 = vidare_store::with_pool!(db.store, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM register_outcomes")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(n, 1);
    // The waiver ended with the load: an ordinary statement is checked again.
    let refused: bool = vidare_store::with_pool!(db.store, |pool| {
        sqlx::query("INSERT INTO register_outcomes (tenant_id, participant_id, observed_until) VALUES ($1, 99, $2)")
            .bind(tid)
            .bind(d(2025, 12, 31))
            .execute(pool)
            .await
            .is_err()
    });
    assert!(refused);
}

/// A bulk load with the foreign-key checks waived (which on PostgreSQL skips ordinary
/// triggers) still keeps the effect totals of migration 0010: those triggers fire always.
async fn effect_totals_follow_a_waived_load(db: TestDb) {
    let t = tenant(&db.store, "a").await;
    let tid = t.get();
    let mut bulk = db.store.begin_bulk(false).await.unwrap();
    // Rows refer to placements, suppliers and agreements that were never loaded: with
    // the checks waived that is allowed, and the sums are all this test reads.
    let months: [(i64, &str, i64); 3] =
        [(1, "2024-01", 600), (1, "2024-02", 900), (2, "2024-01", 60)];
    bulk.load(
        "attendance_months",
        &[
            "tenant_id",
            "placement_id",
            "month",
            "attended_minutes",
            "sick_days",
            "leave_days",
            "unexcused_days",
            "status",
        ],
        &months,
        |r: &(i64, &str, i64), out: &mut Vec<Value<'_>>| {
            out.extend([
                Value::Int(tid),
                Value::Int(r.0),
                Value::Text(r.1),
                Value::Int(r.2),
                Value::Int(0),
                Value::Int(0),
                Value::Int(0),
                Value::Text("approved"),
            ])
        },
    )
    .await
    .unwrap();
    // An approved invoice and a draft: only the approved one counts.
    let invoices: [(i64, &str); 2] = [(10, "approved"), (11, "draft")];
    bulk.load(
        "invoices",
        &[
            "id",
            "tenant_id",
            "organisation_id",
            "month",
            "number",
            "kind",
            "status",
            "issue_date",
            "due_date",
            "total_ore",
        ],
        &invoices,
        |r: &(i64, &str), out: &mut Vec<Value<'_>>| {
            out.extend([
                Value::Int(r.0),
                Value::Int(tid),
                Value::Int(5),
                Value::Text("2024-01"),
                Value::Text(if r.0 == 10 { "F-10" } else { "F-11" }),
                Value::Text("invoice"),
                Value::Text(r.1),
                Value::Date(d(2024, 2, 5)),
                Value::Date(d(2024, 3, 6)),
                Value::Int(0),
            ])
        },
    )
    .await
    .unwrap();
    let lines: [(i64, i64, i64, i64); 3] = [
        (100, 10, 1, 5_000),
        (101, 10, 2, 7_000),
        (102, 11, 1, 9_999),
    ];
    bulk.load(
        "invoice_lines",
        &[
            "id",
            "tenant_id",
            "invoice_id",
            "placement_id",
            "agreement_id",
            "description",
            "paid_days",
            "month_days",
            "price_per_month_ore",
            "amount_ore",
        ],
        &lines,
        |r: &(i64, i64, i64, i64), out: &mut Vec<Value<'_>>| {
            out.extend([
                Value::Int(r.0),
                Value::Int(tid),
                Value::Int(r.1),
                Value::Int(r.2),
                Value::Int(7),
                Value::Text("Plats"),
                Value::Int(31),
                Value::Int(31),
                Value::Int(r.3),
                Value::Int(r.3),
            ])
        },
    )
    .await
    .unwrap();
    bulk.commit().await.unwrap();
    let totals: Vec<(i64, i64, i64, i64)> = vidare_store::with_pool!(db.store, |pool| {
        sqlx::query_as(
            "SELECT placement_id, attendance_months, attended_minutes, paid_ore \
             FROM placement_totals ORDER BY placement_id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    assert_eq!(totals, vec![(1, 2, 1_500, 5_000), (2, 1, 60, 7_000)]);
    let payments: Vec<(i64, i64, String, i64, i64)> = vidare_store::with_pool!(db.store, |pool| {
        sqlx::query_as(
            "SELECT organisation_id, agreement_id, month, amount_ore, line_count \
             FROM supplier_month_payments WHERE line_count > 0",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    assert_eq!(payments, vec![(5, 7, "2024-01".to_string(), 12_000, 2)]);
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
    rows_land_with_their_ids_and_values,
    ordinary_inserts_continue_after_loaded_ids,
    a_failed_load_writes_nothing,
    foreign_keys_are_checked_unless_waived,
    effect_totals_follow_a_waived_load,
);
