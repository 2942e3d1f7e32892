//! A large import (enough rows that SQLite rebuilds the secondary indexes after the
//! rows are in) leaves exactly the indexes it found, whether it succeeds or is refused
//! for a clash; on both backends.

use chrono::NaiveDate;
use vidare_domain::ids::TenantId;
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::{Slug, Text};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::import::{BulkError, Numbered};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::repo::Page;
use vidare_store::testing::TestDb;
use vidare_store::{BackendKind, Store};

const ROWS: usize = 25_000;

async fn tenant(store: &Store) -> TenantId {
    store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("stor").unwrap(),
            name: Text::parse("Stor kommun").unwrap(),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap()
}

fn person(i: usize) -> Numbered<NewParticipant> {
    let born = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new((i % 9000) as u64);
    Numbered {
        line: i as u64 + 2,
        row: NewParticipant {
            personal_number: PersonalIdentityNumber::from_parts(
                born,
                (i / 9000) as u16,
                IdentityKind::Personnummer,
            )
            .unwrap(),
            first_name: Text::parse("Test").unwrap(),
            // Names out of order, so the name index really has to be sorted.
            last_name: Text::parse(&format!("Efternamn {:05}", (i * 7919) % ROWS)).unwrap(),
            covariates: Covariates {
                gender: Gender::Male,
                born_abroad: i % 3 == 0,
                education: EducationLevel::Primary,
                months_on_income_support: (i % 40) as u32,
                health_limitation: false,
                swedish_level: SwedishLevel::Basic,
                prior_work_experience: i % 2 == 0,
            },
            synthetic: true,
        },
    }
}

async fn indexes(store: &Store) -> Vec<(String, String)> {
    match store.kind() {
        BackendKind::Sqlite => vidare_store::with_pool!(store, |pool| sqlx::query_as(
            "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' \
             AND tbl_name = 'participants' ORDER BY name"
        )
        .fetch_all(pool)
        .await
        .unwrap()),
        BackendKind::Postgres => {
            vidare_store::with_pool!(store, |pool| {
                sqlx::query_as(
            "SELECT indexname::text, indexdef FROM pg_indexes WHERE tablename = 'participants' \
             AND schemaname = current_schema() ORDER BY indexname"
        )
        .fetch_all(pool)
        .await
        .unwrap()
            })
        }
    }
}

/// On SQLite, the writer connection's sorting settings (temporary files, a small page
/// cache, helper threads), which a large import changes for its index builds.
async fn writer_settings(store: &Store) -> Option<(i64, i64, i64)> {
    let vidare_store::Backend::Sqlite(pool) = store.writer() else {
        return None;
    };
    let mut conn = pool.acquire().await.unwrap();
    let mut get = Vec::new();
    for pragma in ["temp_store", "cache_size", "threads"] {
        get.push(
            sqlx::query_scalar::<_, i64>(&format!("PRAGMA {pragma}"))
                .fetch_one(&mut *conn)
                .await
                .unwrap(),
        );
    }
    Some((get[0], get[1], get[2]))
}

async fn a_large_import_keeps_the_indexes(db: TestDb) {
    let store = &db.store;
    let before = indexes(store).await;
    let settings = writer_settings(store).await;
    if store.kind() == BackendKind::Sqlite {
        // Temporary data in memory, a 64 MiB page cache, no helper threads.
        assert_eq!(settings, Some((2, -65536, 0)));
    }
    assert!(
        before.iter().any(|(n, _)| n == "participants_tenant_name"),
        "{before:?}"
    );
    let t = tenant(store).await;
    let s = store.tenant(t);
    let rows: Vec<_> = (0..ROWS).map(person).collect();
    assert_eq!(s.bulk_insert(&rows).await.unwrap(), ROWS as u64);
    assert_eq!(indexes(store).await, before);
    assert_eq!(writer_settings(store).await, settings);
    assert_eq!(s.count_participants().await.unwrap(), ROWS as u64);
    // The rebuilt name index serves the list in name order.
    let first = s.list_participants(Page::first(3)).await.unwrap();
    let names: Vec<_> = first.iter().map(|p| p.last_name.to_string()).collect();
    assert_eq!(
        names,
        ["Efternamn 00000", "Efternamn 00001", "Efternamn 00002"]
    );

    // Rows went in in key order: ids follow the personal numbers, not the file's order
    // (in the file, row 9,000 has the earliest number after row 0).
    let all = s
        .list_participants(Page {
            limit: ROWS as u32,
            offset: 0,
        })
        .await
        .unwrap();
    let mut by_id: Vec<_> = all
        .iter()
        .map(|p| (p.id.get(), p.personal_number.canonical()))
        .collect();
    by_id.sort();
    assert_eq!(by_id.len(), ROWS);
    assert!(by_id.windows(2).all(|w| w[0].1 < w[1].1));

    // A second large file with one clash is refused whole, and the indexes survive the
    // rollback.
    let mut again: Vec<_> = (ROWS..2 * ROWS).map(person).collect();
    again[ROWS / 2].row = person(17).row;
    match s.bulk_insert(&again).await {
        Err(BulkError::AlreadyStored { lines, .. }) => {
            assert_eq!(lines, vec![ROWS as u64 / 2 + ROWS as u64 + 2])
        }
        other => panic!("expected a clash, got {other:?}"),
    }
    assert_eq!(indexes(store).await, before);
    assert_eq!(writer_settings(store).await, settings);
    assert_eq!(s.count_participants().await.unwrap(), ROWS as u64);
}

mod sqlite {
    #[tokio::test]
    async fn a_large_import_keeps_the_indexes() {
        super::a_large_import_keeps_the_indexes(vidare_store::testing::TestDb::sqlite().await)
            .await;
    }
}

mod postgres {
    #[tokio::test]
    async fn a_large_import_keeps_the_indexes() {
        super::a_large_import_keeps_the_indexes(vidare_store::testing::TestDb::postgres().await)
            .await;
    }
}
