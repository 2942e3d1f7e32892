//! The router, driven in-process against both backends.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use vidare_domain::model::{Slug, Text};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::testing::TestDb;
use vidare_web::{router, AppState};

async fn body_text(resp: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn health_and_home(db: TestDb) {
    let version = db.store.require_current_schema().await.unwrap();
    db.store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("demo").unwrap(),
            name: Text::parse("Demo <kommun>").unwrap(),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap();
    let app = router(AppState::new(db.store.clone(), version));

    let resp = app
        .clone()
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body_text(resp).await).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["database"]["schema_version"], version);
    assert_eq!(json["database"]["backend"], db.store.kind().as_str());

    let resp = app
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = body_text(resp).await;
    assert!(
        html.contains("Demo &#60;kommun&#62;") && !html.contains("<kommun>"),
        "names are escaped: {html}"
    );
    assert!(html.contains("lang=\"sv\""));

    let resp = app
        .oneshot(Request::get("/finns-inte").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // With the database closed, health says so with a 503 instead of failing.
    db.store.close().await;
    let app = router(AppState::new(db.store.clone(), version));
    let resp = app
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn sqlite_health_and_home() {
    health_and_home(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn postgres_health_and_home() {
    health_and_home(TestDb::postgres().await).await;
}
