//! Sign-in, sessions, CSRF and throttling, on both backends.

mod support;

use axum::http::StatusCode;
use support::{email, hidden_csrf, Browser, TestApp, PASSWORD};
use vidare_domain::model::tenant::RoleKind;
use vidare_store::BackendKind;

async fn sign_in_and_out(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    // Not signed in: pages behind sign-in redirect to the sign-in form.
    let mut anon = Browser::default();
    let r = app.get(&mut anon, "/oversikt").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/logga-in?next=/oversikt");

    let (mut b, csrf) = app.sign_in(RoleKind::CaseWorker).await;
    let session = b
        .cookies
        .iter()
        .find(|(k, _)| k == "vidare_session")
        .unwrap()
        .1
        .clone();
    assert_eq!(session.len(), 64);
    let r = app.get(&mut b, "/oversikt").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Handläggare"));
    // The cookie is HttpOnly and SameSite.
    let (mut fresh, _) = (Browser::default(), ());
    let form = app.get(&mut fresh, "/logga-in").await;
    let token = hidden_csrf(&form.body);
    let r = app
        .post_form(
            &mut fresh,
            "/logga-in",
            &[
                ("tenant", &app.tenant.get().to_string()),
                ("email", &email(RoleKind::Researcher)),
                ("password", PASSWORD),
            ],
            &token,
        )
        .await;
    let set = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(
        set.iter().any(|c| c.starts_with("vidare_session=")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Lax")),
        "{set:?}"
    );

    // Signing out without the CSRF token changes nothing.
    let r = app.post_form(&mut b, "/logga-ut", &[], "forged").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&mut b, "/oversikt").await.status, StatusCode::OK);
    // With it, the session ends, in the database too.
    let r = app.post_form(&mut b, "/logga-ut", &[], &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut replay = Browser {
        cookies: vec![("vidare_session".into(), session)],
    };
    assert_eq!(
        app.get(&mut replay, "/oversikt").await.status,
        StatusCode::SEE_OTHER
    );
}

async fn wrong_passwords_are_throttled(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let mut b = Browser::default();
    let form = app.get(&mut b, "/logga-in").await;
    let csrf = hidden_csrf(&form.body);
    let tenant = app.tenant.get().to_string();
    let who = email(RoleKind::Management);
    for _ in 0..5 {
        let r = app
            .post_form(
                &mut b,
                "/logga-in",
                &[
                    ("tenant", &tenant),
                    ("email", &who),
                    ("password", "fel lösenord"),
                ],
                &csrf,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Fel e-postadress eller lösenord"));
    }
    // Even the right password is refused while throttled.
    let r = app
        .post_form(
            &mut b,
            "/logga-in",
            &[("tenant", &tenant), ("email", &who), ("password", PASSWORD)],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // An unknown account gets the same answer as a wrong password.
    let r = app
        .post_form(
            &mut b,
            "/logga-in",
            &[
                ("tenant", &tenant),
                ("email", "ingen@test.example"),
                ("password", "x"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A sign-in without the form's CSRF cookie is refused.
    let mut other = Browser::default();
    let r = app
        .post_form(
            &mut other,
            "/logga-in",
            &[("tenant", &tenant), ("email", &who), ("password", PASSWORD)],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn password_change_ends_other_sessions(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let (mut a, csrf) = app.sign_in(RoleKind::Researcher).await;
    let (mut other, _) = app.sign_in(RoleKind::Researcher).await;
    let r = app
        .post_form(
            &mut a,
            "/konto/losenord",
            &[("current", PASSWORD), ("new", "kort"), ("confirm", "kort")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("minst 12 tecken"));
    let r = app
        .post_form(
            &mut a,
            "/konto/losenord",
            &[
                ("current", PASSWORD),
                ("new", "ett nytt långt lösenord"),
                ("confirm", "ett nytt långt lösenord"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get(&mut a, "/oversikt").await.status, StatusCode::OK);
    assert_eq!(
        app.get(&mut other, "/oversikt").await.status,
        StatusCode::SEE_OTHER
    );
}

async fn language_follows_setting_cookie_and_header(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let mut b = Browser::default();
    assert!(app
        .get(&mut b, "/")
        .await
        .body
        .contains("Välkommen till Vidare"));
    let req = axum::http::Request::get("/")
        .header("accept-language", "en-GB,en;q=0.9,sv;q=0.5")
        .body(axum::body::Body::empty())
        .unwrap();
    assert!(app
        .send(&mut b, req)
        .await
        .body
        .contains("Welcome to Vidare"));
    let r = app.get(&mut b, "/sprak?lang=en&next=/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app.get(&mut b, "/").await.body.contains("lang=\"en\""));
    // A signed-in user's own setting wins over the cookie.
    let (mut u, csrf) = app.sign_in(RoleKind::CaseWorker).await;
    let r = app
        .post_form(
            &mut u,
            "/konto/sprak",
            &[("lang", "en"), ("next", "/oversikt")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    u.cookies.retain(|(k, _)| k != "vidare_lang");
    assert!(app.get(&mut u, "/oversikt").await.body.contains("Overview"));
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Postgres).await } )* }
    };
}

both!(
    sign_in_and_out,
    wrong_passwords_are_throttled,
    password_change_ends_other_sessions,
    language_follows_setting_cookie_and_header
);
