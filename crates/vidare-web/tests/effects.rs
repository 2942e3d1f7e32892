//! Effect measurement over HTTP, on both backends: dashboards per role on the demo
//! municipality (management sees the headline, coordinators also by supplier and type),
//! figures explained instead of invented when there is too little data, the report as a
//! page and as a download, parameter sets versioned with impossible values refused by
//! field, the public page with small cells suppressed, the API, and the cache.

mod support;

use axum::http::{header, StatusCode};
use serde_json::Value;
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::{Email, Text};
use vidare_store::repo::tenants::NewUser;
use vidare_store::BackendKind;
use vidare_web::auth::hash_password;

use support::{email, Browser, TestApp, PASSWORD};

/// The test application signed into the generated demo municipality instead of the
/// (empty) test tenant: the demo is generated into the same database and given the
/// test accounts.
async fn demo_app(kind: BackendKind) -> TestApp {
    let mut app = TestApp::new(kind).await;
    let report = vidare_synth::load::generate_into(
        &app.db.store,
        &vidare_synth::Model::default(),
        vidare_synth::Scale::Demo,
        20_240_422,
    )
    .await
    .expect("the demo loads");
    let demo = report.tenants[0].1;
    // The generator's bulk load (foreign-key checks off) kept the effect totals.
    let mismatches = vidare_store::testing::totals_mismatches(&app.db.store).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let s = app.db.store.tenant(demo);
    let hash = hash_password(PASSWORD);
    for kind in [
        RoleKind::TenantAdmin,
        RoleKind::ProcurementOfficer,
        RoleKind::Management,
        RoleKind::Researcher,
    ] {
        let id = s
            .insert_user(&NewUser {
                email: Email::parse(&email(kind)).unwrap(),
                display_name: Text::parse(kind.name_sv()).unwrap(),
                role: Role::from_parts(kind, None).unwrap(),
            })
            .await
            .unwrap();
        s.set_password_hash(id, &hash, None).await.unwrap();
    }
    app.tenant = demo;
    app
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

async fn dashboards_per_role(kind: BackendKind) {
    let app = demo_app(kind).await;
    let (mut m, _) = app.sign_in(RoleKind::Management).await;
    let r = app.get(&mut m, "/effekter").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Andel avslut till arbete eller studier"));
    // A share with its interval, in Swedish format.
    assert!(r.body.contains(" %"), "{}", r.body);
    assert!(r.body.contains("Siffrorna beräknades"));
    assert!(
        !r.body.contains("Per leverantör"),
        "management sees the headline only"
    );
    let (mut p, _) = app.sign_in(RoleKind::ProcurementOfficer).await;
    let r = app.get(&mut p, "/effekter").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Per leverantör") && r.body.contains("Per placeringstyp"));
    assert!(r.body.contains("Kvarnbackens Arbetskooperativ"));
    // One round.
    let rounds = app.db.store.tenant(app.tenant).list_rounds().await.unwrap();
    let round = rounds
        .iter()
        .find(|r| r.title.to_string().contains("2023"))
        .unwrap();
    let r = app
        .get(&mut p, &format!("/effekter?omgang={}", round.id))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("2023–2024"));
    assert_eq!(
        app.get(&mut p, "/effekter?omgang=999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&mut p, "/effekter?omgang=abc").await.status,
        StatusCode::NOT_FOUND
    );
    // The figures were cached for the scopes asked.
    let s = app.db.store.tenant(app.tenant);
    assert!(s.cached_effects("all").await.unwrap().is_some());
    assert!(s
        .cached_effects(&format!("round:{}", round.id))
        .await
        .unwrap()
        .is_some());
    // A recorded change makes the cached figures stale: they are shown at once, marked
    // as being updated, while one background task computes new ones. (First let the
    // figures catch up with any change made above.)
    let current = || async {
        for _ in 0..1200 {
            let stamp = s.data_position().await.unwrap();
            let c = s.cached_effects("all").await.unwrap().unwrap();
            if c.data_stamp == stamp {
                return c;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the background task never cached current figures");
    };
    let before = current().await;
    let r = app.get(&mut p, "/effekter").await;
    assert!(
        !r.body.contains("Nya siffror beräknas just nu"),
        "{}",
        r.body
    );
    // Account bookkeeping (a new colleague, a sign-in) is recorded but changes no data:
    // the figures stay current.
    s.insert_user(&NewUser {
        email: Email::parse("ny.kollega@example.invalid").unwrap(),
        display_name: Text::parse("Ny kollega").unwrap(),
        role: Role::Researcher,
    })
    .await
    .unwrap();
    let _ = app.sign_in(RoleKind::Researcher).await;
    assert_eq!(s.data_position().await.unwrap(), before.data_stamp);
    let r = app.get(&mut p, "/effekter").await;
    assert!(!r.body.contains("Nya siffror beräknas just nu"));
    // A change of the data does make them stale.
    s.save_parameter_set(&vidare_store::repo::effects::NewParameterSet {
        name: "Ny ränta".into(),
        parameters: vidare_effects::socioeconomic::ParameterSet::default(),
        sources: Default::default(),
        note: None,
    })
    .await
    .unwrap();
    let stamp = s.data_position().await.unwrap();
    assert!(stamp > before.data_stamp, "the change moved the data stamp");
    let r = app.get(&mut p, "/effekter").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Nya siffror beräknas just nu"),
        "{}",
        r.body
    );
    // The background task cached figures of the new data position.
    let refreshed = current().await;
    assert_eq!(refreshed.data_stamp, stamp);
    assert!(refreshed.computed_at >= before.computed_at);
    let r = app.get(&mut p, "/effekter").await;
    assert!(
        !r.body.contains("Nya siffror beräknas just nu"),
        "{}",
        r.body
    );
    // Suppliers and case workers do not see the effects.
    let empty = TestApp::new(kind).await;
    for role in [RoleKind::SupplierUser, RoleKind::CaseWorker] {
        let (mut b, _) = empty.sign_in(role).await;
        assert_eq!(
            empty.get(&mut b, "/effekter").await.status,
            StatusCode::FORBIDDEN
        );
    }
}

/// The server's start-up precomputation leaves every tenant's figures cached, so the
/// first dashboard view is served from the cache.
async fn caches_are_warmed_at_start(kind: BackendKind) {
    let app = demo_app(kind).await;
    let s = app.db.store.tenant(app.tenant);
    assert!(s.cached_effects("all").await.unwrap().is_none());
    let n = vidare_web::pages::effects::figures::warm_caches(&app.db.store).await;
    assert_eq!(n, app.db.store.list_tenants().await.unwrap().len());
    let cached = s.cached_effects("all").await.unwrap().expect("cached");
    assert_eq!(cached.data_stamp, s.data_position().await.unwrap());
    let (mut m, _) = app.sign_in(RoleKind::Management).await;
    let r = app.get(&mut m, "/effekter").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Nya siffror beräknas just nu"));
}

async fn too_little_data_is_explained(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let (mut b, _) = app.sign_in(RoleKind::TenantAdmin).await;
    let r = app.get(&mut b, "/effekter").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Inga avslutade placeringar i gruppen ännu"),
        "{}",
        r.body
    );
    let r = app.get(&mut b, "/effekter/rapport").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Ingen matchad skattning kunde göras"));
    let r = app.get(&mut b, "/api/v1/effects").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = json(&r.body);
    assert!(v["work_or_studies_after"]["share"].is_null());
    assert!(v["work_or_studies_after"]["reason"]
        .as_str()
        .unwrap()
        .contains("avslutade"));
}

async fn report_page_and_download(kind: BackendKind) {
    let app = demo_app(kind).await;
    let (mut b, _) = app.sign_in(RoleKind::Researcher).await;
    let rounds = app.db.store.tenant(app.tenant).list_rounds().await.unwrap();
    let round = rounds
        .iter()
        .find(|r| r.title.to_string().contains("2023"))
        .unwrap();
    let r = app
        .get(&mut b, &format!("/effekter/rapport?omgang={}", round.id))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for part in [
        "<h1>Effektrapport",
        "<h2>Metod</h2>",
        "Balanstabell",
        "Kaplan–Meier",
        "<svg class=\"chart\"",
        "Samhällsekonomisk avkastning",
        "Värdekarta",
        "Känslighetsanalys",
    ] {
        assert!(r.body.contains(part), "the report lacks {part}");
    }
    let r = app
        .get(
            &mut b,
            &format!("/effekter/rapport/ladda-ner?omgang={}", round.id),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains(".html"));
    assert!(r.body.starts_with("<!DOCTYPE html>"));
    // The same report as PDF, printed by Chromium on the server (installed by
    // `.ci/run`; a missing Chromium fails here rather than skipping).
    let r = app
        .get(
            &mut b,
            &format!("/effekter/rapport/pdf?omgang={}", round.id),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains(&format!("effektrapport-omgang-{}.pdf", round.id)));
    assert!(r.body.starts_with("%PDF"));
}

async fn parameter_sets_versioned_and_refused(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let (mut b, csrf) = app.sign_in(RoleKind::Management).await;
    let form = app.get(&mut b, "/effekter/parametrar/ny").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"v_discount_rate\""));
    // Every field as the form holds it, with some changed.
    let keys: Vec<&str> = vidare_effects::socioeconomic::SPECS
        .iter()
        .map(|s| s.key)
        .collect();
    let fields = |changes: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut f = vec![("name".to_string(), "Regionens antaganden".to_string())];
        for k in &keys {
            let v = changes
                .iter()
                .find(|c| c.0 == *k)
                .map(|c| c.1.to_string())
                .unwrap_or_else(|| {
                    format!(
                        "{}",
                        vidare_effects::socioeconomic::ParameterSet::default()
                            .get(k)
                            .unwrap()
                    )
                    .replace('.', ",")
                });
            f.push((format!("v_{k}"), v));
            f.push((format!("s_{k}"), String::new()));
        }
        f
    };
    let post = |f: Vec<(String, String)>| {
        let app = &app;
        let csrf = csrf.clone();
        let mut b = Browser {
            cookies: b.cookies.clone(),
        };
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(a, c)| (a.as_str(), c.as_str())).collect();
            app.post_form(&mut b, "/effekter/parametrar", &refs, &csrf)
                .await
        }
    };
    // Impossible: a share of 1,5.
    let r = post(fields(&[("retention_year1", "1,5")])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("href=\"#v_retention_year1\""), "{}", r.body);
    assert!(r.body.contains("måste vara mellan 0 och 1"));
    // Not a number.
    let r = post(fields(&[("monthly_wage_kr", "mycket")])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("href=\"#v_monthly_wage_kr\""));
    let s = app.db.store.tenant(app.tenant);
    assert_eq!(s.parameter_sets().await.unwrap().len(), 1, "nothing saved");
    // Valid: saved as version 1 and then 2, the newest in use.
    let r = post(fields(&[("discount_rate", "0,04")])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post(fields(&[
        ("discount_rate", "0,05"),
        ("monthly_wage_kr", "22 000"),
    ]))
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let page = app.get(&mut b, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Regionens antaganden v2"));
    assert!(page.body.contains("22000"));
    let current = s.current_parameter_set().await.unwrap();
    assert_eq!(
        (current.version, current.parameters.discount_rate),
        (2, 0.05)
    );
    let list = app.get(&mut b, "/effekter/parametrar").await;
    assert!(list.body.contains("Regionens antaganden v2"));
    assert!(list.body.contains("Samordningsförbundet Uppsala län"));
    let api = json(&app.get(&mut b, "/api/v1/effects/parameter-sets").await.body);
    assert_eq!(api["data"].as_array().unwrap().len(), 3);
    assert_eq!(api["data"][0]["version"], 2);
    // Procurement staff read the sets but cannot make new ones.
    let (mut p, _) = app.sign_in(RoleKind::ProcurementOfficer).await;
    assert_eq!(
        app.get(&mut p, "/effekter/parametrar").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&mut p, "/effekter/parametrar/ny").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn public_page_suppresses_small_cells(kind: BackendKind) {
    let app = demo_app(kind).await;
    let mut anon = Browser::default();
    let r = app.get(&mut anon, "/effekter/offentlig").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Storsjö kommun (demo)"));
    let r = app.get(&mut anon, "/effekter/offentlig?kommun=demo").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Upphandlade platser"));
    assert!(r.body.contains(" %"));
    // Nothing about a single participant and no supplier table.
    assert!(!r.body.contains("Kvarnbackens"));
    // The empty test tenant: every count suppressed or explained, nothing invented.
    let r = app.get(&mut anon, "/effekter/offentlig?kommun=test").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("färre än 5"));
    assert_eq!(
        app.get(&mut anon, "/effekter/offentlig?kommun=finns-inte")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn api_gives_figures_with_intervals(kind: BackendKind) {
    let app = demo_app(kind).await;
    let (mut b, _) = app.sign_in(RoleKind::ProcurementOfficer).await;
    let r = app.get(&mut b, "/api/v1/effects").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = json(&r.body);
    let after = &v["work_or_studies_after"];
    let (share, lo, hi) = (
        after["share"].as_f64().unwrap(),
        after["lower"].as_f64().unwrap(),
        after["upper"].as_f64().unwrap(),
    );
    assert!(
        lo < share && share < hi && (0.3..0.6).contains(&share),
        "{after}"
    );
    assert!(v["by_supplier"].as_array().unwrap().len() > 5);
    assert!(v["att"]["lower"].as_f64().unwrap() < v["att"]["upper"].as_f64().unwrap());
    assert_eq!(
        app.get(&mut b, "/api/v1/effects?round=987654").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Parameter sets through the API: a new version from a system integration, unknown
/// keys and impossible values refused by field, nothing saved then.
async fn parameter_sets_by_api(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let s = app.db.store.tenant(app.tenant);
    for (secret, role) in [
        ("vdr_test_research", Role::Researcher),
        ("vdr_test_casework", Role::CaseWorker),
    ] {
        s.create_api_token(
            &Text::parse(secret).unwrap(),
            &vidare_store::repo::auth::secret_hash(secret),
            role,
            None,
        )
        .await
        .unwrap();
    }
    let send = |bearer: &'static str, method: &'static str, body: &'static str| {
        let app = &app;
        async move {
            let mut b = axum::http::Request::builder()
                .method(method)
                .uri("/api/v1/effects/parameter-sets")
                .header(header::AUTHORIZATION, format!("Bearer {bearer}"));
            if !body.is_empty() {
                b = b.header(header::CONTENT_TYPE, "application/json");
            }
            app.send(
                &mut Browser::default(),
                b.body(axum::body::Body::from(body)).unwrap(),
            )
            .await
        }
    };
    let r = send(
        "vdr_test_research",
        "POST",
        r#"{"name": "Regionens antaganden", "parameters": {"discount_rate": 0.05},
            "sources": {"discount_rate": "Regionens riktlinjer 2026"}, "note": "Ny ränta"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = json(&r.body);
    assert_eq!(v["data"]["name"], "Regionens antaganden");
    assert_eq!(v["data"]["version"], 1);
    let rate = v["data"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "discount_rate")
        .unwrap();
    assert_eq!(rate["value"], 0.05);
    assert_eq!(rate["source"], "Regionens riktlinjer 2026");
    let list = json(&send("vdr_test_research", "GET", "").await.body);
    assert_eq!(list["data"][0]["name"], "Regionens antaganden");
    let versions = list["data"].as_array().unwrap().len();
    // Refused by field, and nothing saved.
    for (body, field) in [
        (
            r#"{"name": "X", "parameters": {"no_such_key": 1.0}}"#,
            "parameters.no_such_key",
        ),
        (
            r#"{"name": "X", "parameters": {"discount_rate": 5.0}}"#,
            "parameters.discount_rate",
        ),
        (r#"{"name": "", "parameters": {}}"#, "name"),
    ] {
        let r = send("vdr_test_research", "POST", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(json(&r.body)["errors"][0]["field"], field, "{}", r.body);
    }
    let r = send("vdr_test_research", "POST", r#"{"name": 3}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = send(
        "vdr_test_casework",
        "POST",
        r#"{"name": "X", "parameters": {}}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let list = json(&send("vdr_test_research", "GET", "").await.body);
    assert_eq!(list["data"].as_array().unwrap().len(), versions);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::BackendKind::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::BackendKind::Postgres).await;
                }
            )*
        }
    };
}

both!(
    dashboards_per_role,
    too_little_data_is_explained,
    report_page_and_download,
    parameter_sets_versioned_and_refused,
    public_page_suppresses_small_cells,
    api_gives_figures_with_intervals,
    parameter_sets_by_api,
    caches_are_warmed_at_start,
);
