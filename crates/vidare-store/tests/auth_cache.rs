//! The in-process cache of sessions and API tokens never hides a change this process
//! made: sign-out, deactivation, a new language, a revoked token all take effect on the
//! very next lookup, on both backends.

use chrono::{Duration, Utc};
use vidare_domain::ids::TenantId;
use vidare_domain::model::tenant::Role;
use vidare_domain::model::{Email, Slug, Text};
use vidare_domain::Lang;
use vidare_store::repo::tenants::{NewTenant, NewUser};
use vidare_store::testing::TestDb;
use vidare_store::Store;

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

async fn tenant(store: &Store) -> TenantId {
    store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("cache").unwrap(),
            name: text("Cache kommun"),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap()
}

async fn changes_reach_the_next_lookup(db: TestDb) {
    let store = &db.store;
    let t = tenant(store).await;
    let s = store.tenant(t);
    let user = s
        .insert_user(&NewUser {
            email: Email::parse("handlaggare@cache.example").unwrap(),
            display_name: text("Handläggare"),
            role: Role::CaseWorker,
        })
        .await
        .unwrap();
    let expires = Utc::now() + Duration::hours(1);
    s.create_session("hash-a", user, "csrf-a", expires)
        .await
        .unwrap();
    s.create_session("hash-b", user, "csrf-b", expires)
        .await
        .unwrap();

    // Read twice: the second read is served from the cache.
    let first = store.session("hash-a").await.unwrap().unwrap();
    assert_eq!(first.lang, None);
    assert!(store.session("hash-a").await.unwrap().is_some());

    // A new language shows at once.
    s.set_user_lang(user, Lang::En).await.unwrap();
    assert_eq!(
        store.session("hash-a").await.unwrap().unwrap().lang,
        Some(Lang::En)
    );

    // Signing out ends exactly that session at once.
    assert!(store.session("hash-b").await.unwrap().is_some());
    store.delete_session("hash-b").await.unwrap();
    assert!(store.session("hash-b").await.unwrap().is_none());
    assert!(store.session("hash-a").await.unwrap().is_some());

    // Deactivating the account ends its cached sessions at once.
    s.set_user_active(user, false).await.unwrap();
    assert!(store.session("hash-a").await.unwrap().is_none());

    // A revoked token stops working at once, though it was just read.
    let token = s
        .create_api_token(&text("integration"), "token-hash", Role::Researcher, None)
        .await
        .unwrap();
    assert!(store.api_token("token-hash").await.unwrap().is_some());
    assert!(store.api_token("token-hash").await.unwrap().is_some());
    s.revoke_api_token(token).await.unwrap();
    assert!(store.api_token("token-hash").await.unwrap().is_none());
}

async fn a_session_past_its_expiry_is_refused_even_when_cached(db: TestDb) {
    let store = &db.store;
    let t = tenant(store).await;
    let s = store.tenant(t);
    let user = s
        .insert_user(&NewUser {
            email: Email::parse("kort@cache.example").unwrap(),
            display_name: text("Kort"),
            role: Role::Management,
        })
        .await
        .unwrap();
    s.create_session(
        "short",
        user,
        "csrf",
        Utc::now() + Duration::milliseconds(300),
    )
    .await
    .unwrap();
    assert!(store.session("short").await.unwrap().is_some());
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(store.session("short").await.unwrap().is_none());
}

macro_rules! both_backends {
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

both_backends!(
    changes_reach_the_next_lookup,
    a_session_past_its_expiry_is_refused_even_when_cached,
);
