//! The procurement workflow through the real router, on both backends: a round planned,
//! published, tendered for by two suppliers, evaluated, awarded and signed, with the
//! clock moved past the tender deadline and the standstill; bad input answered with 4xx
//! and Swedish messages naming the field; tenders sealed (and refused reads logged) by
//! page and API alike; invitation letters e-mailed to a real SMTP server on loopback.

#[path = "adminkit/mod.rs"]
mod adminkit;
mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use vidare_domain::model::procurement::BidDocumentKind;
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::{Slug, Text};
use vidare_store::audit::AuditFilter;
use vidare_store::repo::procurement::NewPlacementType;
use vidare_store::BackendKind;
use vidare_web::pages::procurement::mail::Mailer;
use vidare_web::{router, AppState, Clock, Settings};

use adminkit::{multipart, post_multipart, session};
use support::{email, Browser, Reply, TestApp};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The test app with a clock the test moves (and, optionally, a mailer).
async fn app_with(kind: BackendKind, clock: &Clock, mailer: Option<Mailer>) -> TestApp {
    let mut app = TestApp::new(kind).await;
    let store = app.db.store.clone();
    let version = store.require_current_schema().await.unwrap();
    let mut state =
        AppState::with_settings(store, version, Settings::default()).with_clock(clock.clone());
    if let Some(m) = mailer {
        state = state.with_mailer(m);
    }
    app.app = router(state).layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    app
}

fn location(r: &Reply) -> String {
    r.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn see_other(r: &Reply, what: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.body);
}

fn refused(r: &Reply, what: &str, message: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        r.body
    );
    assert!(
        r.body.contains(message),
        "{what}: expected {message:?} in\n{}",
        r.body
    );
}

async fn api(
    app: &TestApp,
    b: &mut Browser,
    csrf: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
    lang: &str,
) -> Reply {
    app.send(
        b,
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", csrf)
            .header(header::ACCEPT_LANGUAGE, lang)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn sealed_refusals(app: &TestApp) -> usize {
    app.db
        .store
        .tenant(app.tenant)
        .audit_entries(&AuditFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "sealed_read_refused")
        .count()
}

/// Plans and publishes a round through the pages; returns its id and its lot's id.
async fn plan(app: &TestApp, officer: &mut Browser, csrf: &str, title: &str) -> (i64, i64) {
    let s = app.db.store.tenant(app.tenant);
    let ty = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("snickeri").unwrap(),
            name_sv: Text::parse("Snickeri").unwrap(),
            name_en: Text::parse("Carpentry").unwrap(),
        })
        .await
        .unwrap();
    let good = [
        ("title", title),
        ("legal_basis", "reserved_integration"),
        ("contract_kind", "social_services"),
        ("cpv_codes", "85312320-8"),
        ("estimated_value", "3 000 000"),
        ("contract_start", "2031-05-01"),
        ("initial_months", "24"),
        ("option_months", "12"),
        ("tender_deadline", "2031-03-03T12:00"),
    ];
    let r = app.post_form(officer, "/upphandlingar", &good, csrf).await;
    see_other(&r, "plan");
    let id: i64 = location(&r)
        .trim_start_matches("/upphandlingar/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = app
        .post_form(
            officer,
            &format!("/upphandlingar/{id}/delomraden"),
            &[
                ("placement_type", &ty.get().to_string()),
                ("places", "6"),
                ("max_price_per_month", "20 000"),
            ],
            csrf,
        )
        .await;
    see_other(&r, "lot");
    let r = app
        .post_form(
            officer,
            &format!("/upphandlingar/{id}/kriterier"),
            &[
                ("price_weight", "60"),
                ("quality1_name", "Handledning"),
                ("quality1_weight", "40"),
            ],
            csrf,
        )
        .await;
    see_other(&r, "criteria");
    let r = app
        .post_form(
            officer,
            &format!("/upphandlingar/{id}/publicera"),
            &[],
            csrf,
        )
        .await;
    see_other(&r, "publish");
    let lot = s
        .lots_of_round(vidare_domain::ids::RoundId(id))
        .await
        .unwrap()[0]
        .id
        .get();
    (id, lot)
}

/// A supplier's whole tender through the portal: save, two documents, submit.
async fn tender(
    app: &TestApp,
    b: &mut Browser,
    csrf: &str,
    round: i64,
    lot: i64,
    price: &str,
    capacity: &str,
) {
    let r = app
        .post_form(
            b,
            &format!("/portal/anbud/{round}"),
            &[
                (
                    "purpose_statement",
                    "Arbetsintegration är vårt huvudsakliga syfte.",
                ),
                ("headcount_total", "10"),
                ("headcount_target_groups", "4"),
                (&format!("price-{lot}"), price),
                (&format!("capacity-{lot}"), capacity),
                (&format!("answer-{lot}"), "Handledare på plats varje dag."),
            ],
            csrf,
        )
        .await;
    see_other(&r, "save tender");
    for kind in BidDocumentKind::ALL {
        let (ct, body) = multipart(&[
            ("_csrf", None, csrf.as_bytes()),
            ("kind", None, kind.as_str().as_bytes()),
            (
                "file",
                Some(("underlag.pdf", "application/pdf")),
                b"%PDF-1.4 underlag",
            ),
        ]);
        let r = post_multipart(
            app,
            b,
            &format!("/portal/anbud/{round}/dokument"),
            &ct,
            body,
        )
        .await;
        see_other(&r, "document");
    }
    let r = app
        .post_form(b, &format!("/portal/anbud/{round}/lamna"), &[], csrf)
        .await;
    see_other(&r, "submit");
}

async fn a_whole_round_through_the_pages(kind: BackendKind) {
    let clock = Clock::fixed(at("2031-01-10T09:00:00Z"));
    let app = app_with(kind, &clock, None).await;
    let store = &app.db.store;
    let (mut officer, ocsrf) =
        session(store, app.tenant, &email(RoleKind::ProcurementOfficer)).await;

    // Bad input: every field's problem, in Swedish, 422, nothing created.
    let r = app
        .post_form(
            &mut officer,
            "/upphandlingar",
            &[
                ("title", ""),
                ("legal_basis", "reserved_integration"),
                ("contract_kind", "social_services"),
                ("cpv_codes", "1234"),
                ("estimated_value", "tre miljoner"),
                ("contract_start", "2031-05-01"),
                ("initial_months", "36"),
                ("option_months", "24"),
                ("tender_deadline", "2030-01-01T12:00"),
            ],
            &ocsrf,
        )
        .await;
    refused(&r, "bad round", "En CPV-kod består av åtta siffror");
    for m in [
        "högst fyra år",
        "Anbudstiden måste sluta i framtiden",
        "id=\"title-error\"",
        "id=\"estimated_value-error\"",
    ] {
        assert!(r.body.contains(m), "{m} in {}", r.body);
    }
    assert!(store
        .tenant(app.tenant)
        .list_rounds()
        .await
        .unwrap()
        .is_empty());

    let (round, lot) = plan(&app, &mut officer, &ocsrf, "Sysselsättningsplatser 2031").await;
    // Published: the lots and criteria are fixed.
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/kriterier"),
            &[("price_weight", "100")],
            &ocsrf,
        )
        .await;
    refused(
        &r,
        "criteria after publishing",
        "kan bara ändras under planeringen",
    );

    // The public notice.
    let mut public = Browser::default();
    let r = app.get(&mut public, &format!("/annonser/{round}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Sysselsättningsplatser 2031") && r.body.contains("20\u{a0}000,00\u{a0}kr"),
        "{}",
        r.body
    );
    let r = app.get(&mut public, "/api/v1/notices").await;
    assert!(r.body.contains("Sysselsättningsplatser 2031"), "{}", r.body);

    // Two suppliers.
    let s = store.tenant(app.tenant);
    adminkit::add_user(
        store,
        app.tenant,
        "annan@test.example",
        Role::from_parts(RoleKind::SupplierUser, Some(app.other_org)).unwrap(),
    )
    .await;
    let (mut a, acsrf) = session(store, app.tenant, &email(RoleKind::SupplierUser)).await;
    let (mut b, bcsrf) = session(store, app.tenant, "annan@test.example").await;

    // Bad tenders: 422 with the reason, nothing saved.
    let bad = |price: &'static str, cap: &'static str, target: &'static str| {
        vec![
            (
                "purpose_statement".to_string(),
                "Arbetsintegration".to_string(),
            ),
            ("headcount_total".to_string(), "10".to_string()),
            ("headcount_target_groups".to_string(), target.to_string()),
            (format!("price-{lot}"), price.to_string()),
            (format!("capacity-{lot}"), cap.to_string()),
        ]
    };
    for (fields, message) in [
        (
            bad("20 001", "2", "4"),
            "Priset överstiger delområdets takpris 20\u{a0}000,00\u{a0}kr",
        ),
        (
            bad("15 000", "0", "4"),
            "Kapaciteten måste vara minst en plats",
        ),
        (bad("15 000", "2", "12"), "mellan 0 och 100 %"),
    ] {
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app
            .post_form(&mut a, &format!("/portal/anbud/{round}"), &f, &acsrf)
            .await;
        refused(&r, "bad tender", message);
    }
    assert!(s
        .own_tender(vidare_domain::ids::RoundId(round), app.org)
        .await
        .unwrap()
        .is_none());
    // The API says the same, with the field, in English when asked.
    let r = api(
        &app,
        &mut a,
        &acsrf,
        "POST",
        &format!("/api/v1/tenders/{round}"),
        serde_json::json!({"purpose_statement": "Integration", "headcount_total": 10, "headcount_target_groups": 4,
            "offers": [{"lot_id": lot, "price_per_month_ore": 2_000_001, "capacity": 2}]}),
        "en",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let problem: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["errors"][0]["field"], "price_per_month");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("exceeds the lot's maximum"));
    // A missing document refuses the submission.
    let f: Vec<(String, String)> = bad("15 000", "3", "4");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    see_other(
        &app.post_form(&mut a, &format!("/portal/anbud/{round}"), &f, &acsrf)
            .await,
        "draft",
    );
    let r = app
        .post_form(&mut a, &format!("/portal/anbud/{round}/lamna"), &[], &acsrf)
        .await;
    refused(&r, "submit without documents", "Dokument saknas");

    tender(&app, &mut a, &acsrf, round, lot, "15 000", "3").await;
    tender(&app, &mut b, &bcsrf, round, lot, "12 000", "2").await;

    // A question, answered for everyone without who asked.
    let r = app
        .post_form(
            &mut b,
            &format!("/portal/anbud/{round}/fragor"),
            &[("question", "Räknas praktikanter?")],
            &bcsrf,
        )
        .await;
    see_other(&r, "ask");
    let q = s
        .questions_of_round(vidare_domain::ids::RoundId(round))
        .await
        .unwrap()[0]
        .id;
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/fragor/{q}"),
            &[("answer", "Ja, de räknas.")],
            &ocsrf,
        )
        .await;
    see_other(&r, "answer");
    let r = app.get(&mut public, &format!("/annonser/{round}")).await;
    assert!(r.body.contains("Räknas praktikanter?") && r.body.contains("Ja, de räknas."));
    assert!(
        !r.body.contains("Annan ek. för."),
        "the notice reveals who asked"
    );

    // Sealed: the page, the report, a document and the API refuse, and each is logged.
    let before = sealed_refusals(&app).await;
    let r = app
        .get(&mut officer, &format!("/upphandlingar/{round}/utvardering"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("förseglade")
            && !r.body.contains("15\u{a0}000,00")
            && !r.body.contains("Egen ek. för."),
        "{}",
        r.body
    );
    let r = app
        .get(
            &mut officer,
            &format!("/upphandlingar/{round}/utvardering/rapport"),
        )
        .await;
    assert!(r.body.contains("förseglade") && !r.body.contains("12\u{a0}000,00"));
    let doc = s
        .own_tender(vidare_domain::ids::RoundId(round), app.org)
        .await
        .unwrap()
        .unwrap()
        .documents[0]
        .1
        .id;
    let r = app
        .get(
            &mut officer,
            &format!("/upphandlingar/{round}/anbudsdokument/{doc}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::LOCKED);
    let r = app
        .get(&mut officer, &format!("/api/v1/rounds/{round}/tenders"))
        .await;
    assert_eq!(r.status, StatusCode::LOCKED, "{}", r.body);
    assert!(!r.body.contains("1500000"));
    assert_eq!(sealed_refusals(&app).await, before + 4);

    // The deadline passes (2031-03-03 12:00 Stockholm = 11:00 UTC).
    clock.set(at("2031-03-03T11:00:00Z"));
    let r = app
        .post_form(&mut b, &format!("/portal/anbud/{round}/lamna"), &[], &bcsrf)
        .await;
    refused(
        &r,
        "submit after the deadline",
        "Anbudstiden gick ut 2031-03-03 12:00",
    );
    let r = app
        .get(&mut officer, &format!("/upphandlingar/{round}/utvardering"))
        .await;
    assert!(
        r.body.contains("Egen ek. för.") && r.body.contains("15\u{a0}000,00\u{a0}kr"),
        "{}",
        r.body
    );
    let r = app
        .get(&mut officer, &format!("/api/v1/rounds/{round}/tenders"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let tenders: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(tenders["meta"]["total"], 2);

    // Qualification and grades.
    let all = s
        .tenders_of_round(vidare_domain::ids::RoundId(round), clock.now(), "test")
        .await
        .unwrap();
    let criterion = s
        .criteria_of_round(vidare_domain::ids::RoundId(round))
        .await
        .unwrap()[1]
        .id
        .get();
    for (t, grade) in all.iter().zip(["5", "2"]) {
        let bid = t.bid.id.get();
        let r = app
            .post_form(
                &mut officer,
                &format!("/upphandlingar/{round}/kvalificering/{bid}"),
                &[("purpose_test", "pass"), ("share_test", "pass")],
                &ocsrf,
            )
            .await;
        see_other(&r, "qualify");
        let r = app
            .post_form(
                &mut officer,
                &format!("/upphandlingar/{round}/betyg/{bid}"),
                &[(&format!("grade-{lot}-{criterion}"), "9")],
                &ocsrf,
            )
            .await;
        refused(&r, "grade 9", "0–5");
        let r = app
            .post_form(
                &mut officer,
                &format!("/upphandlingar/{round}/betyg/{bid}"),
                &[(&format!("grade-{lot}-{criterion}"), grade)],
                &ocsrf,
            )
            .await;
        see_other(&r, "grade");
    }
    let r = app
        .get(
            &mut officer,
            &format!("/upphandlingar/{round}/utvardering/rapport"),
        )
        .await;
    // Egen: 12 000/15 000 → 80 × 0.6 + 100 × 0.4 = 88,00; Annan: 60 + 16 = 76,00.
    assert!(
        r.body.contains("88,00") && r.body.contains("76,00"),
        "{}",
        r.body
    );

    // Award, sent electronically on Monday 3 March 2031: standstill to Thursday 13 March.
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/tilldelning"),
            &[
                ("decided_on", "2031-03-03"),
                ("sent_on", "2031-03-03"),
                ("delivery", "electronic"),
            ],
            &ocsrf,
        )
        .await;
    see_other(&r, "decide");
    let r = app
        .get(&mut officer, &format!("/upphandlingar/{round}/tilldelning"))
        .await;
    assert!(
        r.body.contains("2031-03-13") && r.body.contains("2031-03-14"),
        "{}",
        r.body
    );
    let bid_a = all
        .iter()
        .find(|t| t.bid.organisation_id == app.org)
        .unwrap()
        .bid
        .id
        .get();
    let r = app
        .get(
            &mut officer,
            &format!("/upphandlingar/{round}/tilldelning/{bid_a}"),
        )
        .await;
    assert!(r.body.contains("Egen ek. för.") && r.body.contains("2031-03-13"));
    let r = app
        .get(&mut a, &format!("/portal/anbud/{round}/beslut"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Tilldelad plats i ramavtalet"));

    // Signing during the standstill: refused with the dates, nothing signed.
    clock.set(at("2031-03-13T10:00:00Z"));
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/avtal"),
            &[
                ("signed_on", "2031-03-13"),
                ("absence_rule", "deduct_unexcused"),
            ],
            &ocsrf,
        )
        .await;
    refused(
        &r,
        "sign during standstill",
        "Avtalsspärren löper till och med 2031-03-13",
    );
    assert!(s
        .agreements_of_round(vidare_domain::ids::RoundId(round))
        .await
        .unwrap()
        .is_empty());
    let r = api(
        &app,
        &mut officer,
        &ocsrf,
        "POST",
        &format!("/api/v1/rounds/{round}/signing"),
        serde_json::json!({"signed_on": "2031-03-13", "absence_rule": "deduct_unexcused"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("\"field\":\"signed_on\""), "{}", r.body);

    clock.set(at("2031-03-14T08:00:00Z"));
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/avtal"),
            &[
                ("signed_on", "2031-03-14"),
                ("absence_rule", "deduct_unexcused"),
            ],
            &ocsrf,
        )
        .await;
    see_other(&r, "sign");
    let agreements = s
        .agreements_of_round(vidare_domain::ids::RoundId(round))
        .await
        .unwrap();
    assert_eq!(agreements.len(), 2);
    assert_eq!(
        agreements
            .iter()
            .find(|x| x.organisation_id == app.org)
            .unwrap()
            .rank,
        Some(1)
    );

    // A periodic declaration below 30 % is flagged on the agreements page.
    clock.set(at("2031-09-30T08:00:00Z"));
    let r = app
        .post_form(
            &mut b,
            "/portal/anbud/egenforsakran",
            &[
                ("purpose_statement", "Arbetsintegration"),
                ("headcount_total", "10"),
                ("headcount_target_groups", "2"),
            ],
            &bcsrf,
        )
        .await;
    see_other(&r, "declaration");
    let r = app
        .get(&mut officer, &format!("/upphandlingar/{round}/avtal"))
        .await;
    assert!(
        r.body.contains("Under 30 % – följ upp") && r.body.contains("2031-09-30"),
        "{}",
        r.body
    );
    let r = app
        .get(&mut officer, &format!("/api/v1/rounds/{round}/agreements"))
        .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["flagged"] == true)
            .count(),
        1,
        "{v}"
    );
    assert!(store.verify_audit().await.unwrap().is_intact());
}

/// A real SMTP receiver on loopback: it speaks enough of RFC 5321 for a client to hand
/// over messages, and keeps what it received (envelope and data).
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 test.invalid ESMTP\r\n").await.unwrap();
                let mut envelope = String::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-test.invalid\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("HELO")
                        || cmd.starts_with("NOOP")
                        || cmd.starts_with("RSET")
                    {
                        b"250 OK\r\n"
                    } else if cmd.starts_with("MAIL FROM") || cmd.starts_with("RCPT TO") {
                        envelope.push_str(&line);
                        b"250 OK\r\n"
                    } else if cmd.starts_with("DATA") {
                        w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                            .await
                            .unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        keep.lock().unwrap().push(format!("{envelope}\n{data}"));
                        envelope.clear();
                        b"250 OK queued\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 Bye\r\n").await;
                        return;
                    } else {
                        b"502 Command not implemented\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, got)
}

/// Quoted-printable soft line breaks and `=XX` escapes undone, for assertions.
fn unfold(s: &str) -> String {
    s.replace("=\r\n", "").replace("=3D", "=")
}

async fn invitations_are_emailed_over_smtp(kind: BackendKind) {
    let (port, received) = smtp_server().await;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "upphandling@test.example",
    )
    .unwrap();
    let clock = Clock::fixed(at("2031-01-10T09:00:00Z"));
    let app = app_with(kind, &clock, Some(mailer)).await;
    let store = &app.db.store;
    let (mut officer, csrf) =
        session(store, app.tenant, &email(RoleKind::ProcurementOfficer)).await;
    let (round, _) = plan(&app, &mut officer, &csrf, "Platser 2031").await;
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/moten"),
            &[
                ("starts_at", "2031-02-01T13:00"),
                ("place", "Rådhuset"),
                ("capacity", "20"),
            ],
            &csrf,
        )
        .await;
    see_other(&r, "meeting");
    // A bad address is refused before anything is sent or saved.
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/inbjudningar"),
            &[
                ("recipient_name", "Ny förening"),
                ("recipient_email", "inte-en-adress"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(received.lock().unwrap().is_empty());
    let r = app
        .post_form(
            &mut officer,
            &format!("/upphandlingar/{round}/inbjudningar"),
            &[
                ("organisation", &app.org.get().to_string()),
                ("recipient_name", "Ny förening"),
                ("recipient_email", "kontakt@ny-forening.example"),
            ],
            &csrf,
        )
        .await;
    see_other(&r, "invite");
    assert!(location(&r).contains("epost=1&fel=0"), "{}", location(&r));
    let got = received.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        1,
        "one message (the registered organisation has no address)"
    );
    let m = unfold(&got[0]);
    assert!(m.contains("RCPT TO:<kontakt@ny-forening.example>"), "{m}");
    assert!(m.contains("MAIL FROM:<upphandling@test.example>"), "{m}");
    assert!(m.contains(&format!("/annonser/{round}")), "{m}");
    assert!(m.contains("Platser 2031"), "{m}");
    let invs = store
        .tenant(app.tenant)
        .invitations_of_round(vidare_domain::ids::RoundId(round))
        .await
        .unwrap();
    assert_eq!(invs.len(), 2);
    assert!(invs.iter().any(
        |i| i.emailed_at.is_some() && i.email.as_deref() == Some("kontakt@ny-forening.example")
    ));
    assert!(invs
        .iter()
        .any(|i| i.emailed_at.is_none() && i.organisation_id == Some(app.org)));
    // The printable letter.
    let id = invs[0].id;
    let r = app
        .get(
            &mut officer,
            &format!("/upphandlingar/{round}/inbjudningar/{id}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Inbjudan till upphandling") && r.body.contains("Rådhuset"),
        "{}",
        r.body
    );
    // The API records and e-mails too.
    let r = api(
        &app,
        &mut officer,
        &csrf,
        "POST",
        &format!("/api/v1/rounds/{round}/invitations"),
        serde_json::json!({"recipient_name": "API-mottagare", "email": "api@example.org"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.body.contains("\"emailed_at\":\"2031-01-10T09:00:00Z\""),
        "{}",
        r.body
    );
    assert_eq!(received.lock().unwrap().len(), 2);
}

async fn api_bad_input_names_the_field(kind: BackendKind) {
    let clock = Clock::fixed(at("2031-01-10T09:00:00Z"));
    let app = app_with(kind, &clock, None).await;
    let (mut officer, csrf) = session(
        &app.db.store,
        app.tenant,
        &email(RoleKind::ProcurementOfficer),
    )
    .await;
    let r = api(
        &app,
        &mut officer,
        &csrf,
        "POST",
        "/api/v1/rounds",
        serde_json::json!({"title": " ", "legal_basis": "x", "contract_kind": "services", "cpv_codes": ["85312320-8"],
            "estimated_value": "100", "contract_start": "2031-05-01", "initial_months": 40, "option_months": 12}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"title")
            && fields.contains(&"legal_basis")
            && fields.contains(&"option_months"),
        "{fields:?}"
    );
    let r = api(
        &app,
        &mut officer,
        &csrf,
        "POST",
        "/api/v1/rounds",
        serde_json::json!({"title": 5}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = api(
        &app,
        &mut officer,
        &csrf,
        "POST",
        "/api/v1/rounds",
        serde_json::json!({"title": "API-omgång", "legal_basis": "reserved_integration", "contract_kind": "social_services",
            "cpv_codes": ["85312320-8"], "estimated_value": "2 000 000", "contract_start": "2031-05-01", "initial_months": 24,
            "option_months": 12, "tender_deadline": "2031-03-01T12:00"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["data"]["id"]
        .as_i64()
        .unwrap();
    let r = api(
        &app,
        &mut officer,
        &csrf,
        "POST",
        &format!("/api/v1/rounds/{id}/criteria"),
        serde_json::json!({"criteria": [{"kind": "price", "name": "Pris", "weight_percent": 70}]}),
        "en",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("\"field\":\"weight_percent\"") && r.body.contains("sum to 100"),
        "{}",
        r.body
    );
    let r = api(
        &app,
        &mut officer,
        &csrf,
        "POST",
        &format!("/api/v1/rounds/{id}/publish"),
        serde_json::json!({}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("\"field\":\"lots\""), "{}", r.body);
    // Sealed via the API: no deadline passed → 423, logged.
    let r = app
        .get(&mut officer, &format!("/api/v1/rounds/{id}/evaluation"))
        .await;
    assert_eq!(r.status, StatusCode::LOCKED, "{}", r.body);
    assert_eq!(sealed_refusals(&app).await, 1);
    // A supplier cannot see a round that is being planned.
    let (mut sup, scsrf) = session(&app.db.store, app.tenant, &email(RoleKind::SupplierUser)).await;
    let r = app.get(&mut sup, &format!("/portal/anbud/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api(&app, &mut sup, &scsrf, "POST", "/api/v1/declarations", serde_json::json!({"purpose_statement": "X", "headcount_total": 10, "headcount_target_groups": 11}), "sv").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("\"field\":\"headcount_target_groups\"")
            && r.body.contains("mellan 0 och 100 %"),
        "{}",
        r.body
    );
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

fn fields(r: &Reply) -> Vec<String> {
    json(r)["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Information meetings through the API (the officer schedules and records) and the
/// suppliers' portal and API (each registers and cancels its own): capacity, the start,
/// other organisations' registrations hidden, guessed ids 404, every change audited.
async fn meetings_through_api_and_portal(kind: BackendKind) {
    let clock = Clock::fixed(at("2031-01-10T09:00:00Z"));
    let app = app_with(kind, &clock, None).await;
    let store = &app.db.store;
    let (mut officer, ocsrf) =
        session(store, app.tenant, &email(RoleKind::ProcurementOfficer)).await;
    let (round, _) = plan(&app, &mut officer, &ocsrf, "Sysselsättningsplatser 2031").await;

    // Bad meeting: every field named, nothing created.
    let r = api(
        &app,
        &mut officer,
        &ocsrf,
        "POST",
        &format!("/api/v1/rounds/{round}/meetings"),
        serde_json::json!({"starts_at": "2030-01-01T10:00", "place": " ", "capacity": 0}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let f = fields(&r);
    assert!(
        f.contains(&"starts_at".into())
            && f.contains(&"place".into())
            && f.contains(&"capacity".into()),
        "{f:?}"
    );
    assert!(
        r.body.contains("Mötet måste ligga i framtiden"),
        "{}",
        r.body
    );
    let r = api(&app, &mut officer, &ocsrf, "POST", &format!("/api/v1/rounds/{round}/meetings"),
        serde_json::json!({"starts_at": "2031-02-01T10:00", "place": "Rådhuset, sal 2", "capacity": 3}), "sv").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let meeting = json(&r)["data"]["id"].as_i64().unwrap();
    assert_eq!(json(&r)["data"]["starts_at"], "2031-02-01T10:00");
    let r = app
        .get(
            &mut officer,
            &format!("/api/v1/rounds/{round}/meetings?limit=1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["meta"]["total"], 1);
    assert_eq!(json(&r)["data"][0]["capacity"], 3);
    let r = app
        .get(
            &mut officer,
            &format!("/api/v1/rounds/{round}/meetings?limit=0"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // The officer records one registration by name.
    let regs = format!("/api/v1/rounds/{round}/meetings/{meeting}/registrations");
    let r = api(
        &app,
        &mut officer,
        &ocsrf,
        "POST",
        &regs,
        serde_json::json!({"organisation_name": "", "attendees": 0}),
        "en",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        fields(&r),
        vec!["organisation_name".to_string(), "attendees".to_string()]
    );
    let r = api(
        &app,
        &mut officer,
        &ocsrf,
        "POST",
        &regs,
        serde_json::json!({"organisation_name": "Gamma AB", "attendees": 1}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api(
        &app,
        &mut officer,
        &ocsrf,
        "POST",
        &format!("/api/v1/rounds/{round}/meetings/999999/registrations"),
        serde_json::json!({"organisation_name": "Gamma AB", "attendees": 1}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Two suppliers.
    adminkit::add_user(
        store,
        app.tenant,
        "annan@test.example",
        Role::from_parts(RoleKind::SupplierUser, Some(app.other_org)).unwrap(),
    )
    .await;
    let (mut a, acsrf) = session(store, app.tenant, &email(RoleKind::SupplierUser)).await;
    let (mut b, bcsrf) = session(store, app.tenant, "annan@test.example").await;

    // The portal lists the meeting with its seats; bad input names the fields.
    let r = app.get(&mut a, "/portal/moten").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Rådhuset, sal 2") && r.body.contains(&format!("attendee_names-{meeting}")),
        "{}",
        r.body
    );
    let anmalan = format!("/portal/moten/{meeting}/anmalan");
    let r = app
        .post_form(
            &mut a,
            &anmalan,
            &[("attendee_names", " "), ("email", "inte-en-adress")],
            &acsrf,
        )
        .await;
    refused(
        &r,
        "empty registration",
        "Ange deltagarnas namn under Deltagare",
    );
    assert!(
        r.body.contains(&format!("href=\"#email-{meeting}\"")),
        "{}",
        r.body
    );
    let r = app
        .post_form(
            &mut a,
            &anmalan,
            &[
                ("attendee_names", "Anna Alm\nBo Berg"),
                ("email", "kontakt@alfa.example"),
            ],
            &acsrf,
        )
        .await;
    see_other(&r, "register in the portal");
    let r = app.get(&mut a, "/portal/moten?klart=anmald").await;
    assert!(
        r.body.contains("Anna Alm, Bo Berg") && r.body.contains("Ni är anmälda"),
        "{}",
        r.body
    );
    // Full now (1 + 2 of 3 seats): the other supplier is refused, naming the field.
    let own = format!("/api/v1/meetings/{meeting}/registrations");
    let r = api(
        &app,
        &mut b,
        &bcsrf,
        "POST",
        &own,
        serde_json::json!({"attendee_names": ["Dan Dahl"], "email": "dan@beta.example"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r), vec!["attendee_names".to_string()]);
    assert!(r.body.contains("är fullt"), "{}", r.body);
    // The other supplier sees the seats, not who registered.
    let r = app.get(&mut b, "/api/v1/meetings").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["data"][0]["seats_left"], 0);
    assert!(json(&r)["data"][0]["registration"].is_null(), "{}", r.body);
    assert!(
        !r.body.contains("Anna Alm") && !r.body.contains("Gamma"),
        "{}",
        r.body
    );
    let r = app.get(&mut b, "/portal/moten").await;
    assert!(
        !r.body.contains("Anna Alm") && r.body.contains("Mötet är fullt"),
        "{}",
        r.body
    );
    // Nothing of the other's to cancel; guessed ids are 404.
    let r = api(
        &app,
        &mut b,
        &bcsrf,
        "POST",
        &format!("{own}/cancel"),
        serde_json::json!({}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = api(
        &app,
        &mut b,
        &bcsrf,
        "POST",
        "/api/v1/meetings/999999/registrations",
        serde_json::json!({"attendee_names": ["Dan"], "email": "dan@beta.example"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app
        .post_form(
            &mut b,
            "/portal/moten/999999/anmalan",
            &[("attendee_names", "Dan"), ("email", "dan@beta.example")],
            &bcsrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // A meeting of a round still being planned does not exist for suppliers.
    let r = api(&app, &mut officer, &ocsrf, "POST", "/api/v1/rounds",
        serde_json::json!({"title": "Planeras", "legal_basis": "reserved_integration", "contract_kind": "social_services",
            "cpv_codes": ["85312320-8"], "estimated_value": "1 000 000", "contract_start": "2031-05-01", "initial_months": 24,
            "option_months": 0, "tender_deadline": "2031-03-01T12:00"}), "sv").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let planned = json(&r)["data"]["id"].as_i64().unwrap();
    let r = api(
        &app,
        &mut officer,
        &ocsrf,
        "POST",
        &format!("/api/v1/rounds/{planned}/meetings"),
        serde_json::json!({"starts_at": "2031-02-02T10:00", "place": "Hemligt"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let hidden = json(&r)["data"]["id"].as_i64().unwrap();
    let r = api(
        &app,
        &mut b,
        &bcsrf,
        "POST",
        &format!("/api/v1/meetings/{hidden}/registrations"),
        serde_json::json!({"attendee_names": ["Dan"], "email": "dan@beta.example"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app.get(&mut b, "/api/v1/meetings").await;
    assert!(!r.body.contains("Hemligt"), "{}", r.body);
    // The first supplier cancels in the portal; the second registers through the API.
    let r = app
        .post_form(
            &mut a,
            &format!("/portal/moten/{meeting}/avanmalan"),
            &[],
            &acsrf,
        )
        .await;
    see_other(&r, "cancel in the portal");
    let r = api(
        &app,
        &mut b,
        &bcsrf,
        "POST",
        &own,
        serde_json::json!({"attendee_names": ["Dan Dahl", "Eva Ek"], "email": "dan@beta.example"}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(json(&r)["data"]["attendees"], 2);
    assert_eq!(json(&r)["data"]["organisation_id"], app.other_org.get());
    let r = app.get(&mut officer, &format!("{regs}?limit=10")).await;
    assert_eq!(json(&r)["meta"]["total"], 2, "{}", r.body);
    assert!(
        r.body.contains("Dan Dahl") && r.body.contains("dan@beta.example"),
        "{}",
        r.body
    );
    let r = app
        .get(
            &mut officer,
            &format!("/upphandlingar/{round}/inbjudningar"),
        )
        .await;
    assert!(
        r.body.contains("Dan Dahl, Eva Ek; dan@beta.example"),
        "{}",
        r.body
    );
    // After the start: closed, with the reason naming the meeting.
    clock.set(at("2031-02-01T09:30:00Z"));
    let r = app
        .post_form(
            &mut a,
            &anmalan,
            &[
                ("attendee_names", "Anna Alm"),
                ("email", "kontakt@alfa.example"),
            ],
            &acsrf,
        )
        .await;
    refused(
        &r,
        "after the start",
        "Informationsmötet började 2031-02-01 10:00",
    );
    let r = api(
        &app,
        &mut b,
        &bcsrf,
        "POST",
        &format!("{own}/cancel"),
        serde_json::json!({}),
        "en",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r), vec!["meeting".to_string()]);
    // Audited: the meetings and every registration and cancellation.
    let log = store
        .tenant(app.tenant)
        .audit_entries(&AuditFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.entity == "information_meetings")
            .count(),
        2
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.entity == "meeting_registrations")
            .count(),
        4
    );
}

/// A multipart body with a title and a file of `size` bytes (a PDF by its content).
fn document(csrf: Option<&str>, title: &str, size: usize) -> (String, Vec<u8>) {
    let mut content = b"%PDF-1.4 ".to_vec();
    content.resize(size, b'x');
    let mut parts: Vec<adminkit::Part> = Vec::new();
    if let Some(c) = csrf {
        parts.push(("_csrf", None, c.as_bytes()));
    }
    parts.push(("title", None, title.as_bytes()));
    parts.push(("kind", None, BidDocumentKind::ALL[0].as_str().as_bytes()));
    parts.push(("file", Some(("underlag.pdf", "application/pdf")), &content));
    multipart(&parts)
}

async fn upload(
    app: &TestApp,
    b: &mut Browser,
    csrf: &str,
    path: &str,
    body: (String, Vec<u8>),
) -> Reply {
    app.send(
        b,
        Request::post(path)
            .header(header::CONTENT_TYPE, body.0)
            .header(header::CONTENT_LENGTH, body.1.len())
            .header("x-csrf-token", csrf)
            .header(header::ACCEPT_LANGUAGE, "sv")
            .body(Body::from(body.1))
            .unwrap(),
    )
    .await
}

/// Round documents through the API, and uploads up to the store's 10 MiB (over axum's
/// 2 MB default) on the pages and the API; one byte more is refused with a message
/// naming the file field, never a 500.
async fn documents_up_to_the_store_limit(kind: BackendKind) {
    use vidare_store::repo::tendering::MAX_DOCUMENT_BYTES;
    let clock = Clock::fixed(at("2031-01-10T09:00:00Z"));
    let app = app_with(kind, &clock, None).await;
    let store = &app.db.store;
    let (mut officer, ocsrf) =
        session(store, app.tenant, &email(RoleKind::ProcurementOfficer)).await;
    let (round, lot) = plan(&app, &mut officer, &ocsrf, "Sysselsättningsplatser 2031").await;
    let api_docs = format!("/api/v1/rounds/{round}/documents");

    // API: 3 MB (over axum's default) is stored and listed.
    let r = upload(
        &app,
        &mut officer,
        &ocsrf,
        &api_docs,
        document(None, "Förfrågningsunderlag", 3 * 1024 * 1024),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(json(&r)["data"]["size"], 3 * 1024 * 1024);
    let r = app.get(&mut officer, &format!("{api_docs}?limit=5")).await;
    assert_eq!(json(&r)["meta"]["total"], 1, "{}", r.body);
    assert_eq!(json(&r)["data"][0]["title"], "Förfrågningsunderlag");
    // No title, not a form: named.
    let r = upload(
        &app,
        &mut officer,
        &ocsrf,
        &api_docs,
        document(None, " ", 100),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r), vec!["title".to_string()]);
    let r = api(
        &app,
        &mut officer,
        &ocsrf,
        "POST",
        &api_docs,
        serde_json::json!({}),
        "sv",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(fields(&r), vec!["file".to_string()]);
    // One byte over the store's limit: 413 naming the file, nothing stored.
    let r = upload(
        &app,
        &mut officer,
        &ocsrf,
        &api_docs,
        document(None, "För stor", MAX_DOCUMENT_BYTES + 1),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(fields(&r), vec!["file".to_string()]);
    assert!(r.body.contains("större än 10 MB"), "{}", r.body);
    // A body over the route's limit is refused before it is read.
    let r = upload(
        &app,
        &mut officer,
        &ocsrf,
        &api_docs,
        document(None, "Mycket för stor", MAX_DOCUMENT_BYTES + 512 * 1024),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(fields(&r), vec!["file".to_string()]);
    // Without a length (as a chunked body), the limit cuts the reading off: still 413.
    let (ct, body) = document(None, "Utan längd", MAX_DOCUMENT_BYTES + 512 * 1024);
    let r = app
        .send(
            &mut officer,
            Request::post(&api_docs)
                .header(header::CONTENT_TYPE, ct)
                .header("x-csrf-token", &ocsrf)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(fields(&r), vec!["file".to_string()]);
    let docs = store
        .tenant(app.tenant)
        .round_documents(vidare_domain::ids::RoundId(round))
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);

    // The round page's form (htmx sends the CSRF header on every request).
    let page = format!("/upphandlingar/{round}/dokument");
    let r = upload(
        &app,
        &mut officer,
        &ocsrf,
        &page,
        document(None, "Bilaga", 3 * 1024 * 1024),
    )
    .await;
    see_other(&r, "3 MB through the page");
    let r = upload(
        &app,
        &mut officer,
        &ocsrf,
        &page,
        document(None, "För stor", MAX_DOCUMENT_BYTES + 1),
    )
    .await;
    refused(
        &r,
        "over the limit through the page",
        "Filen är större än 10 MB",
    );
    let r = upload(
        &app,
        &mut officer,
        &ocsrf,
        &page,
        document(None, "Mycket för stor", MAX_DOCUMENT_BYTES + 512 * 1024),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body.contains("Filen i fältet Fil är större än 10 MB") && r.body.contains("<html"),
        "{}",
        r.body
    );
    // The supplier's tender documents too.
    let (mut a, acsrf) = session(store, app.tenant, &email(RoleKind::SupplierUser)).await;
    let r = app
        .post_form(
            &mut a,
            &format!("/portal/anbud/{round}"),
            &[
                (
                    "purpose_statement",
                    "Arbetsintegration är vårt huvudsakliga syfte.",
                ),
                ("headcount_total", "10"),
                ("headcount_target_groups", "4"),
                (&format!("price-{lot}"), "15 000"),
                (&format!("capacity-{lot}"), "2"),
            ],
            &acsrf,
        )
        .await;
    see_other(&r, "save tender");
    let portal = format!("/portal/anbud/{round}/dokument");
    let r = upload(
        &app,
        &mut a,
        &acsrf,
        &portal,
        document(None, "", 3 * 1024 * 1024),
    )
    .await;
    see_other(&r, "3 MB tender document");
    let r = upload(
        &app,
        &mut a,
        &acsrf,
        &portal,
        document(None, "", MAX_DOCUMENT_BYTES + 1),
    )
    .await;
    refused(&r, "tender document over the limit", "större än 10 MB");
    assert!(docs.len() == 1);

    // Without JavaScript the form carries its token in the `_csrf` field, so the CSRF
    // check reads the body itself: the same limits apply as with the header.
    let form_upload = |csrf: &str, title: &str, size: usize| {
        let (ct, body) = document(Some(csrf), title, size);
        Request::post(&page)
            .header(header::CONTENT_TYPE, ct)
            .header(header::CONTENT_LENGTH, body.len())
            .header(header::ACCEPT_LANGUAGE, "sv")
            .body(Body::from(body))
            .unwrap()
    };
    let r = app
        .send(
            &mut officer,
            form_upload(&ocsrf, "Bilaga 2", 3 * 1024 * 1024),
        )
        .await;
    see_other(&r, "3 MB through the plain form");
    let r = app
        .send(
            &mut officer,
            form_upload(&ocsrf, "För stor", MAX_DOCUMENT_BYTES + 1),
        )
        .await;
    refused(&r, "plain form over the limit", "Filen är större än 10 MB");
    // Without a length the CSRF check stops reading at the route's limit and answers as
    // the route would: a page naming the file field, not a bare text or a 500.
    let (ct, body) = document(Some(&ocsrf), "Utan längd", MAX_DOCUMENT_BYTES + 512 * 1024);
    let r = app
        .send(
            &mut officer,
            Request::post(&page)
                .header(header::CONTENT_TYPE, ct)
                .header(header::ACCEPT_LANGUAGE, "sv")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body.contains("Filen i fältet Fil är större än 10 MB") && r.body.contains("<html"),
        "{}",
        r.body
    );
    // A form without a file over 2 MB (the CSRF check reads no further): 413 with a
    // page that says what to do, as a page or as a problem document.
    let big = format!("_csrf={ocsrf}&title={}", "x".repeat(2 * 1024 * 1024));
    for (path, html) in [(page.as_str(), true), (api_docs.as_str(), false)] {
        let r = app
            .send(
                &mut officer,
                Request::post(path)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT_LANGUAGE, "sv")
                    .body(Body::from(big.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path}: {}",
            r.body
        );
        assert!(r.body.contains("större än 2 MB"), "{path}: {}", r.body);
        assert_eq!(r.body.contains("<html"), html, "{path}: {}", r.body);
    }
    // A forged token in a large form changes nothing.
    let r = app
        .send(
            &mut officer,
            form_upload("fel-token", "Förfalskad", 3 * 1024 * 1024),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let titles: Vec<String> = store
        .tenant(app.tenant)
        .round_documents(vidare_domain::ids::RoundId(round))
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.title.to_string())
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(!titles.iter().any(|t| t == "Förfalskad" || t == "För stor"));
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Postgres).await } )* }
    };
}

both!(
    a_whole_round_through_the_pages,
    invitations_are_emailed_over_smtp,
    api_bad_input_names_the_field,
    meetings_through_api_and_portal,
    documents_up_to_the_store_limit
);
