//! A whole reserved procurement in headless Chromium: the procurement officer plans a
//! round with a lot and award criteria, publishes it and invites suppliers; two supplier
//! users tender (declaration, price, two documents) before the deadline; the tenders
//! stay sealed; the clock passes the deadline and the officer qualifies, grades, reads
//! the evaluation report, makes the award decision, is refused signing during the
//! standstill, and signs once it has ended. axe-core checks every page of the flow.
//!
//! The server is the real router over the demo municipality, with a clock the test
//! moves (the only difference from `support::Server`).

mod support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Days, Utc};
use fantoccini::{Client, Locator};
use serde_json::Value;
use support::{Audit, Driver, PASSWORD};
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::TenantId;
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::{Email, Text};
use vidare_store::repo::tenants::NewUser;
use vidare_store::repo::Page;
use vidare_store::testing::TestDb;
use vidare_web::auth::hash_password;
use vidare_web::{AppState, Clock, Settings};

struct Flow {
    _db: TestDb,
    base: String,
    clock: Clock,
    tenant: TenantId,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

const OFFICER: &str = "upphandlare@flode.test.example";
const SUPPLIER_A: &str = "leverantor-a@flode.test.example";
const SUPPLIER_B: &str = "leverantor-b@flode.test.example";

async fn start(now: DateTime<Utc>) -> Flow {
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let report = vidare_synth::load::generate_into(
        &store,
        &vidare_synth::Model::default(),
        vidare_synth::Scale::Demo,
        20_240_422,
    )
    .await
    .expect("the demo municipality loads");
    let tenant = report.tenants[0].1;
    let s = store.tenant(tenant);
    let orgs = s.list_organisations(Page::first(1000)).await.unwrap();
    let hash = hash_password(PASSWORD);
    for (email, role) in [
        (
            OFFICER,
            Role::from_parts(RoleKind::ProcurementOfficer, None).unwrap(),
        ),
        (
            SUPPLIER_A,
            Role::from_parts(RoleKind::SupplierUser, Some(orgs[0].id)).unwrap(),
        ),
        (
            SUPPLIER_B,
            Role::from_parts(RoleKind::SupplierUser, Some(orgs[1].id)).unwrap(),
        ),
    ] {
        let id = s
            .insert_user(&NewUser {
                email: Email::parse(email).unwrap(),
                display_name: Text::parse(email).unwrap(),
                role,
            })
            .await
            .unwrap();
        s.set_password_hash(id, &hash, None).await.unwrap();
    }
    let version = store.require_current_schema().await.unwrap();
    let clock = Clock::fixed(now);
    let app = vidare_web::router(
        AppState::with_settings(store, version, Settings::default()).with_clock(clock.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(vidare_web::serve(listener, app, async move {
        let _ = rx.await;
    }));
    Flow {
        _db: db,
        base: format!("http://{addr}"),
        clock,
        tenant,
        shutdown: Some(tx),
    }
}

impl Flow {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// Waits until a new document has loaded after `action` (a click that submits a form or
/// follows a link), then for it to be complete.
async fn and_wait(client: &Client) {
    let started = Instant::now();
    loop {
        let v: Value = client
            .execute(
                "return (window.__vidare_old === undefined) && document.readyState === 'complete'",
                vec![],
            )
            .await
            .unwrap_or(Value::Bool(false));
        if v == Value::Bool(true) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no new page loaded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the element matching `css` and waits for the next page.
async fn click(client: &Client, css: &str) {
    client
        .execute("window.__vidare_old = true", vec![])
        .await
        .unwrap();
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
    and_wait(client).await;
}

async fn go(client: &Client, flow: &Flow, path: &str) {
    client.goto(&flow.url(path)).await.unwrap();
    and_wait(client).await;
}

/// Sets a field's value (typing into date and time inputs depends on the browser's
/// locale; the value itself does not).
async fn set(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1];",
            vec![Value::from(id), Value::from(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
}

async fn typ(client: &Client, id: &str, value: &str) {
    let e = client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

async fn text(client: &Client) -> String {
    client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_string()
}

async fn sign_in(client: &Client, flow: &Flow, email: &str) {
    go(client, flow, "/logga-in").await;
    typ(client, "email", email).await;
    typ(client, "password", PASSWORD).await;
    click(client, "form[action='/logga-in'] button[type='submit']").await;
    assert_eq!(path(client).await, "/oversikt", "sign-in as {email}");
}

async fn check(audit: &mut Audit, who: &str, client: &Client) {
    audit.check(who, client).await;
}

/// A supplier tenders through the portal.
async fn tender(
    client: &Client,
    flow: &Flow,
    audit: &mut Audit,
    who: &str,
    round: i64,
    lot: i64,
    price: &str,
    capacity: &str,
    files: &[std::path::PathBuf; 2],
) {
    go(client, flow, "/portal/anbud").await;
    check(audit, who, client).await;
    click(client, &format!("a[href='/portal/anbud/{round}']")).await;
    check(audit, who, client).await;
    typ(
        client,
        "purpose_statement",
        "Vårt huvudsakliga syfte är arbetsintegration.",
    )
    .await;
    typ(client, "headcount_total", "12").await;
    typ(client, "headcount_target_groups", "6").await;
    typ(client, &format!("price-{lot}"), price).await;
    typ(client, &format!("capacity-{lot}"), capacity).await;
    typ(
        client,
        &format!("answer-{lot}"),
        "Handledare finns på plats hela dagen.",
    )
    .await;
    click(
        client,
        &format!("form[action='/portal/anbud/{round}'] button[type='submit']"),
    )
    .await;
    assert!(
        text(client).await.contains("Utkastet är sparat"),
        "{}",
        text(client).await
    );
    for (field, file) in ["purpose_document", "share_document"].iter().zip(files) {
        client
            .find(Locator::Id(field))
            .await
            .unwrap()
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        click(client, &format!("form:has(#{field}) button[type='submit']")).await;
        assert!(
            text(client).await.contains("Dokumentet är uppladdat"),
            "{}",
            text(client).await
        );
    }
    click(client, "#submit-tender").await;
    let t = text(client).await;
    assert!(t.contains("Anbudet är lämnat"), "{t}");
    check(audit, who, client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_a_whole_round_plan_invite_tender_as_two_suppliers_evaluate_award_standstill_sign() {
    // Monday 2 March 2026, 09:00 in Stockholm.
    let start_at = DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let flow = start(start_at).await;
    let driver = Driver::start();
    let mut audit = Audit::default();
    let dir = tempfile::tempdir().unwrap();
    let files = [
        dir.path().join("stadgar.pdf"),
        dir.path().join("personal.pdf"),
    ];
    for f in &files {
        std::fs::write(f, b"%PDF-1.4\n% underlag for the browser test\n").unwrap();
    }
    let today = stockholm_today(start_at);
    let deadline_day = today + Days::days(21);
    let deadline = format!("{deadline_day}T12:00");

    // ---- The officer plans, publishes and invites. ----
    let officer = driver.browser().await;
    sign_in(&officer, &flow, OFFICER).await;
    go(&officer, &flow, "/upphandlingar").await;
    check(&mut audit, "officer", &officer).await;
    click(&officer, "a[href='/upphandlingar/behov']").await;
    assert!(text(&officer).await.contains("anvisningar"));
    check(&mut audit, "officer", &officer).await;
    go(&officer, &flow, "/upphandlingar/ny").await;
    check(&mut audit, "officer", &officer).await;
    // A mistake first: the error page must be accessible too.
    typ(&officer, "title", "Sysselsättningsplatser – webbläsartest").await;
    typ(&officer, "cpv_codes", "123").await;
    click(
        &officer,
        "form[action='/upphandlingar'] button[type='submit']",
    )
    .await;
    assert!(text(&officer)
        .await
        .contains("En CPV-kod består av åtta siffror"));
    check(&mut audit, "officer", &officer).await;
    typ(&officer, "cpv_codes", "85312320-8").await;
    typ(&officer, "estimated_value", "4 000 000").await;
    set(
        &officer,
        "contract_start",
        &(today + Days::days(90)).to_string(),
    )
    .await;
    typ(&officer, "initial_months", "24").await;
    typ(&officer, "option_months", "12").await;
    set(&officer, "tender_deadline", &deadline).await;
    click(
        &officer,
        "form[action='/upphandlingar'] button[type='submit']",
    )
    .await;
    let overview = path(&officer).await;
    let round: i64 = overview
        .trim_start_matches("/upphandlingar/")
        .parse()
        .unwrap_or_else(|_| panic!("{overview}"));
    check(&mut audit, "officer", &officer).await;

    click(
        &officer,
        &format!("a[href='/upphandlingar/{round}/delomraden']"),
    )
    .await;
    check(&mut audit, "officer", &officer).await;
    officer
        .execute(
            "const s = document.getElementById('placement_type'); s.selectedIndex = 1;",
            vec![],
        )
        .await
        .unwrap();
    typ(&officer, "places", "8").await;
    typ(&officer, "max_price_per_month", "20 000").await;
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/delomraden'] button"),
    )
    .await;
    assert!(
        text(&officer).await.contains("20 000,00 kr"),
        "{}",
        text(&officer).await
    );
    let lot: i64 = flow_lot(&flow, round).await;

    go(&officer, &flow, &format!("/upphandlingar/{round}")).await;
    typ(&officer, "price_weight", "60").await;
    typ(&officer, "quality1_name", "Handledning och stöd").await;
    typ(&officer, "quality1_weight", "40").await;
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/kriterier'] button"),
    )
    .await;
    assert!(text(&officer)
        .await
        .contains("Tilldelningsgrunderna är sparade"));
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/publicera'] button"),
    )
    .await;
    assert!(text(&officer).await.contains("publicerad"));
    check(&mut audit, "officer", &officer).await;

    click(
        &officer,
        &format!("a[href='/upphandlingar/{round}/inbjudningar']"),
    )
    .await;
    check(&mut audit, "officer", &officer).await;
    for cb in officer
        .find_all(Locator::Css("input[name='organisation']"))
        .await
        .unwrap()
        .into_iter()
        .take(3)
    {
        cb.click().await.unwrap();
    }
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/inbjudningar'] button[type='submit']"),
    )
    .await;
    assert!(text(&officer)
        .await
        .contains("Inbjudningarna är registrerade"));
    set(
        &officer,
        "starts_at",
        &format!("{}T13:00", today + Days::days(7)),
    )
    .await;
    typ(&officer, "place", "Rådhuset, sal 2").await;
    typ(&officer, "capacity", "30").await;
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/moten'] button"),
    )
    .await;
    assert!(text(&officer).await.contains("Rådhuset, sal 2"));
    check(&mut audit, "officer", &officer).await;
    click(
        &officer,
        &format!("a[href^='/upphandlingar/{round}/inbjudningar/']"),
    )
    .await;
    assert!(text(&officer).await.contains("Inbjudan till upphandling"));
    check(&mut audit, "officer", &officer).await;

    // ---- The public notice. ----
    let public = driver.browser().await;
    go(&public, &flow, "/annonser").await;
    check(&mut audit, "public", &public).await;
    go(&public, &flow, &format!("/annonser/{round}")).await;
    assert!(text(&public).await.contains("Handledning och stöd"));
    check(&mut audit, "public", &public).await;

    // ---- Two suppliers tender; one asks a question. ----
    let a = driver.browser().await;
    sign_in(&a, &flow, SUPPLIER_A).await;
    tender(
        &a,
        &flow,
        &mut audit,
        "supplier A",
        round,
        lot,
        "16 000",
        "4",
        &files,
    )
    .await;
    typ(&a, "question", "Räknas personer i praktik in i andelen?").await;
    click(
        &a,
        &format!("form[action='/portal/anbud/{round}/fragor'] button"),
    )
    .await;
    assert!(text(&a).await.contains("Frågan är skickad"));
    let b = driver.browser().await;
    sign_in(&b, &flow, SUPPLIER_B).await;
    tender(
        &b,
        &flow,
        &mut audit,
        "supplier B",
        round,
        lot,
        "14 000",
        "3",
        &files,
    )
    .await;

    // ---- The officer answers; the tenders are sealed. ----
    go(&officer, &flow, &format!("/upphandlingar/{round}/fragor")).await;
    check(&mut audit, "officer", &officer).await;
    let q = officer
        .find(Locator::Css("textarea[name='answer']"))
        .await
        .unwrap();
    q.send_keys("Ja, personer i praktik räknas.").await.unwrap();
    click(&officer, "form[action*='/fragor/'] button").await;
    go(&public, &flow, &format!("/annonser/{round}")).await;
    assert!(text(&public)
        .await
        .contains("Ja, personer i praktik räknas."));
    go(
        &officer,
        &flow,
        &format!("/upphandlingar/{round}/utvardering"),
    )
    .await;
    let t = text(&officer).await;
    assert!(
        t.contains("Anbuden är förseglade") && !t.contains("16 000,00"),
        "{t}"
    );
    check(&mut audit, "officer", &officer).await;

    // ---- The deadline passes: qualification, grades, report. ----
    flow.clock.set(
        vidare_domain::deadline::Deadline::parse(&deadline)
            .unwrap()
            .instant()
            + Days::minutes(5),
    );
    go(
        &officer,
        &flow,
        &format!("/upphandlingar/{round}/utvardering"),
    )
    .await;
    let t = text(&officer).await;
    assert!(
        t.contains("16 000,00 kr") && t.contains("14 000,00 kr"),
        "{t}"
    );
    check(&mut audit, "officer", &officer).await;
    let bids: Vec<String> = officer
        .execute(
            "return Array.from(document.querySelectorAll('form[action*=\"/kvalificering/\"]')).map(f => f.getAttribute('action'))",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(bids.len(), 2);
    for (action, grade) in bids.iter().zip(["5", "3"]) {
        click(&officer, &format!("form[action='{action}'] button")).await;
        let bid = action.rsplit('/').next().unwrap();
        officer
            .execute(
                "const s = document.querySelector('form[action$=\"/betyg/' + arguments[0] + '\"] select'); s.value = arguments[1];",
                vec![Value::from(bid), Value::from(grade)],
            )
            .await
            .unwrap();
        click(
            &officer,
            &format!("form[action='/upphandlingar/{round}/betyg/{bid}'] button"),
        )
        .await;
    }
    let t = text(&officer).await;
    assert!(
        t.contains("Rangordning per delområde") && !t.contains("Rangordningen är inte klar"),
        "{t}"
    );
    click(
        &officer,
        &format!("a[href='/upphandlingar/{round}/utvardering/rapport']"),
    )
    .await;
    assert!(text(&officer).await.contains("Utvärderingsrapport"));
    check(&mut audit, "officer", &officer).await;

    // ---- Award, standstill, signing. ----
    go(
        &officer,
        &flow,
        &format!("/upphandlingar/{round}/tilldelning"),
    )
    .await;
    check(&mut audit, "officer", &officer).await;
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/tilldelning'] button"),
    )
    .await;
    let t = text(&officer).await;
    let sent = stockholm_today(flow.clock.now());
    let end = vidare_domain::calendar::standstill_end(
        sent,
        vidare_domain::calendar::DecisionDelivery::Electronic,
    );
    assert!(t.contains(&end.to_string()), "standstill end {end} in {t}");
    check(&mut audit, "officer", &officer).await;
    click(
        &officer,
        &format!("a[href^='/upphandlingar/{round}/tilldelning/']"),
    )
    .await;
    assert!(text(&officer)
        .await
        .contains("Avtalsspärren löper till och med"));
    check(&mut audit, "officer", &officer).await;
    go(
        &officer,
        &flow,
        &format!("/upphandlingar/{round}/tilldelning"),
    )
    .await;
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/avtal'] button"),
    )
    .await;
    let t = text(&officer).await;
    assert!(
        t.contains(&format!("Avtalsspärren löper till och med {end}")),
        "signing refused: {t}"
    );
    check(&mut audit, "officer", &officer).await;

    let signing = vidare_domain::calendar::earliest_signing_date(
        sent,
        vidare_domain::calendar::DecisionDelivery::Electronic,
    );
    flow.clock.set(
        DateTime::parse_from_rfc3339(&format!("{signing}T08:00:00Z"))
            .unwrap()
            .with_timezone(&Utc),
    );
    go(
        &officer,
        &flow,
        &format!("/upphandlingar/{round}/tilldelning"),
    )
    .await;
    click(
        &officer,
        &format!("form[action='/upphandlingar/{round}/avtal'] button"),
    )
    .await;
    assert_eq!(
        path(&officer).await,
        format!("/upphandlingar/{round}/avtal")
    );
    let t = text(&officer).await;
    assert!(
        t.contains("16 000,00 kr") && t.contains("14 000,00 kr"),
        "{t}"
    );
    check(&mut audit, "officer", &officer).await;

    // The supplier's decision letter.
    go(&a, &flow, &format!("/portal/anbud/{round}/beslut")).await;
    assert!(text(&a).await.contains("Tilldelad plats i ramavtalet"));
    check(&mut audit, "supplier A", &a).await;

    let agreements = flow_agreements(&flow, round).await;
    assert_eq!(agreements, 2, "two framework agreements signed");
    for c in [officer, public, a, b] {
        c.close().await.unwrap();
    }
    audit.finish();
    let mut flow = flow;
    if let Some(tx) = flow.shutdown.take() {
        let _ = tx.send(());
    }
}

async fn flow_lot(flow: &Flow, round: i64) -> i64 {
    flow._db
        .store
        .tenant(flow.tenant)
        .lots_of_round(vidare_domain::ids::RoundId(round))
        .await
        .unwrap()[0]
        .id
        .get()
}

async fn flow_agreements(flow: &Flow, round: i64) -> usize {
    flow._db
        .store
        .tenant(flow.tenant)
        .agreements_of_round(vidare_domain::ids::RoundId(round))
        .await
        .unwrap()
        .len()
}
