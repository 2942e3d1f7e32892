//! The access log under concurrency: many requests logging at once are all recorded,
//! each with its own actor, purpose and tenant, and each call returns only after its
//! entries are committed (they are readable the moment it returns). A request whose
//! entries cannot be written gets the error without costing others theirs. Both
//! backends.

use vidare_domain::ids::{ParticipantId, TenantId};
use vidare_domain::model::{Slug, Text};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::testing::TestDb;
use vidare_store::{Actor, Store};

async fn tenant(store: &Store, slug: &str) -> TenantId {
    store
        .insert_tenant(&NewTenant {
            slug: Slug::parse(slug).unwrap(),
            name: Text::parse("Logg kommun").unwrap(),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap()
}

async fn concurrent_reads_are_all_logged(db: TestDb) {
    let store = db.store.clone();
    let a = tenant(&store, "logg-a").await;
    let b = tenant(&store, "logg-b").await;
    let mut tasks = Vec::new();
    for i in 0..64i64 {
        let store = store.clone();
        let t = if i % 2 == 0 { a } else { b };
        tasks.push(tokio::spawn(async move {
            let s = store.tenant_as(t, Actor::system(&format!("klient-{i}")));
            let ids: Vec<ParticipantId> = (0..(i % 5 + 1))
                .map(|k| ParticipantId(i * 10 + k))
                .collect();
            s.log_access(&ids, &format!("purpose-{i}"), Some("/deltagare"))
                .await
                .unwrap();
            // Committed on return: this request's own entries are visible now.
            let mine = s
                .access_entries(Some(ParticipantId(i * 10)), None, 10, 0)
                .await
                .unwrap();
            assert_eq!(mine.len(), 1, "request {i}");
            assert_eq!(mine[0].purpose, format!("purpose-{i}"));
            assert_eq!(mine[0].actor, format!("system:klient-{i}"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let expected = |parity: i64| -> usize {
        (0..64i64)
            .filter(|i| i % 2 == parity)
            .map(|i| (i % 5 + 1) as usize)
            .sum()
    };
    let in_a = store
        .tenant(a)
        .access_entries(None, None, 10_000, 0)
        .await
        .unwrap();
    let in_b = store
        .tenant(b)
        .access_entries(None, None, 10_000, 0)
        .await
        .unwrap();
    assert_eq!(in_a.len(), expected(0));
    assert_eq!(in_b.len(), expected(1));
    // Tenants never see each other's entries.
    assert!(in_a.iter().all(|e| (e.participant_id / 10) % 2 == 0));
    assert!(in_b.iter().all(|e| (e.participant_id / 10) % 2 == 1));
}

async fn a_failing_request_does_not_fail_the_others(db: TestDb) {
    let store = db.store.clone();
    let a = tenant(&store, "logg-c").await;
    // No such tenant: its entries break the foreign key.
    let ghost = TenantId(a.get() + 1000);
    let mut tasks = Vec::new();
    for i in 0..24i64 {
        let store = store.clone();
        let t = if i == 7 { ghost } else { a };
        tasks.push(tokio::spawn(async move {
            store
                .tenant(t)
                .log_access(&[ParticipantId(i)], "case_file", None)
                .await
                .is_ok()
        }));
    }
    let mut ok = Vec::new();
    for t in tasks {
        ok.push(t.await.unwrap());
    }
    assert_eq!(ok.iter().filter(|o| !**o).count(), 1);
    assert!(!ok[7]);
    let logged = store
        .tenant(a)
        .access_entries(None, None, 100, 0)
        .await
        .unwrap();
    assert_eq!(logged.len(), 23);
}

/// A view of many participants is one entry per participant, in the order shown;
/// entries page newest view first across views, and per participant.
async fn entries_page_across_views(db: TestDb) {
    let t = tenant(&db.store, "logg-d").await;
    let s = db.store.tenant_as(t, Actor::system("sida"));
    let views: [(&str, &[i64]); 3] = [
        ("first", &[3, 1, 2]),
        ("second", &[5, 4]),
        ("third", &[9, 7, 8, 6, 7]),
    ];
    for (purpose, ids) in views {
        let ids: Vec<ParticipantId> = ids.iter().map(|&i| ParticipantId(i)).collect();
        s.log_access(&ids, purpose, Some("/deltagare"))
            .await
            .unwrap();
    }
    let all = s.access_entries(None, None, 100, 0).await.unwrap();
    let got: Vec<(i64, &str)> = all
        .iter()
        .map(|e| (e.participant_id, e.purpose.as_str()))
        .collect();
    // Newest view first; a participant shown twice in one view is one entry.
    assert_eq!(
        got,
        vec![
            (9, "third"),
            (7, "third"),
            (8, "third"),
            (6, "third"),
            (5, "second"),
            (4, "second"),
            (3, "first"),
            (1, "first"),
            (2, "first"),
        ]
    );
    // Every window of the list is the same slice of it.
    for offset in 0..10u32 {
        for limit in 1..5u32 {
            let page = s.access_entries(None, None, limit, offset).await.unwrap();
            let from = (offset as usize).min(all.len());
            let to = (from + limit as usize).min(all.len());
            assert_eq!(page, all[from..to], "offset {offset}, limit {limit}");
        }
    }
    let one = s
        .access_entries(Some(ParticipantId(7)), None, 10, 0)
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        (one[0].participant_id, one[0].purpose.as_str()),
        (7, "third")
    );
    assert!(s
        .access_entries(Some(ParticipantId(10)), None, 10, 0)
        .await
        .unwrap()
        .is_empty());
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(vidare_store::testing::TestDb::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(vidare_store::testing::TestDb::postgres().await).await;
                }
            )*
        }
    };
}

both_backends!(
    concurrent_reads_are_all_logged,
    a_failing_request_does_not_fail_the_others,
    entries_page_across_views,
);

/// SQLite only: the write-ahead log is copied into the database file by the background
/// checkpointer, not left for a later writer's commit to do. A fresh migrated database
/// has everything in the log (well below the writer's own automatic threshold), so the
/// main file only grows if the background task runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_log_is_checkpointed_in_the_background() {
    let db = TestDb::sqlite().await;
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let wal = std::fs::metadata(format!("{path}-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        wal > 64 * 1024,
        "the migrations are in the log ({wal} bytes)"
    );
    let before = size();
    let mut after = before;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        after = size();
        if after > before + 64 * 1024 {
            break;
        }
    }
    assert!(
        after > before + 64 * 1024,
        "the database file grew from {before} to only {after} bytes within 5 s"
    );
    // The store still reads and writes afterwards.
    tenant(&db.store, "logg-c").await;
}
