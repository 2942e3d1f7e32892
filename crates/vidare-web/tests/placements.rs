//! Case work and the suppliers' portal over HTTP, on both backends: registering and
//! referring a participant, the supplier's answer, monthly attendance with its deadline,
//! approval and lock, exits and follow-ups — with Swedish field messages for bad input,
//! suppliers confined to their own organisation, and no identity number in any portal
//! page.

mod adminkit;
mod support;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::{AgreementId, OrganisationId, ParticipantId, PlacementId};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{working_days_in, ExitOutcome, WeeklyMinutes};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::audit::AuditFilter;
use vidare_store::repo::placements::NewPlacement;
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};
use vidare_store::BackendKind;
use vidare_web::{router, AppState, Clock, Settings};

use adminkit::session;
use support::{email, Browser, Reply, TestApp};

/// A valid personnummer for the registration form (Luhn-checked), and its forms.
const PNR: &str = "19811228-9874";
const PNR_DIGITS: &str = "198112289874";
const PNR_SHORT: &str = "811228-9874";

fn today() -> NaiveDate {
    stockholm_today(Utc::now())
}

/// Every way the number could be written in a page.
fn leaks_pnr(html: &str, pnr: &PersonalIdentityNumber) -> bool {
    let c = pnr.canonical();
    let forms = [
        c.clone(),
        format!("{}-{}", &c[..8], &c[8..]),
        c[2..].to_string(),
        format!("{}-{}", &c[2..8], &c[8..]),
        format!("{}+{}", &c[2..8], &c[8..]),
    ];
    forms.iter().any(|f| html.contains(f.as_str()))
}

/// An agreement of `capacity` places for the test supplier, in force around today.
async fn agreement(app: &TestApp, capacity: u32) -> (i64, AgreementId) {
    let s = app.db.store.tenant(app.tenant);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("cafe").unwrap(),
            name_sv: Text::parse("Kafé").unwrap(),
            name_en: Text::parse("Café").unwrap(),
        })
        .await
        .unwrap();
    let a = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: app.org,
            placement_type_id: pt,
            capacity,
            price_per_month: Money::from_kronor(5_500),
            period: DateRange::new(
                NaiveDate::from_ymd_opt(today().year() - 1, 1, 1).unwrap(),
                Some(NaiveDate::from_ymd_opt(today().year() + 2, 12, 31).unwrap()),
            )
            .unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    (pt.get(), a)
}

fn location(r: &Reply) -> String {
    r.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn registration(pnr: &str, first: &str) -> Vec<(&'static str, String)> {
    vec![
        ("personal_number", pnr.to_string()),
        ("first_name", first.to_string()),
        ("last_name", "Lindqvist".to_string()),
        ("gender", "female".to_string()),
        ("education", "upper_secondary".to_string()),
        ("swedish_level", "fluent".to_string()),
        ("months_on_income_support", "14".to_string()),
        ("born_abroad", "nej".to_string()),
        ("health_limitation", "ja".to_string()),
        ("prior_work_experience", "ja".to_string()),
    ]
}

async fn post<K: AsRef<str>>(
    app: &TestApp,
    b: &mut Browser,
    csrf: &str,
    path: &str,
    fields: &[(K, String)],
) -> Reply {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_str()))
        .collect();
    app.post_form(b, path, &fields, csrf).await
}

async fn case_work_and_portal(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let (pt, agreement_id) = agreement(&app, 1).await;
    let (mut cw, cw_csrf) = app.sign_in(RoleKind::CaseWorker).await;

    // --- registration: bad input is refused with Swedish messages naming the field.
    let mut bad = registration("811228-9875", "Maja");
    bad.retain(|(k, _)| *k != "gender");
    let r = post(&app, &mut cw, &cw_csrf, "/deltagare/ny", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Kontrollsiffran stämmer inte."),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"personal_number-error\""));
    assert!(r.body.contains("id=\"gender-error\""));
    assert!(r.body.contains("Välj ett av alternativen."));
    assert_eq!(
        store.tenant(app.tenant).count_participants().await.unwrap(),
        0
    );

    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        "/deltagare/ny",
        &registration(PNR_SHORT, "Maja"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let maja: i64 = location(&r)
        .trim_start_matches("/deltagare/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Twice is a conflict on the personnummer.
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        "/deltagare/ny",
        &registration(PNR, "Maja"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains("Det finns redan en deltagare med det personnumret."));
    let page = app.get(&mut cw, &format!("/deltagare/{maja}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(PNR) && page.body.contains("Maja Lindqvist"));
    // Search by name and by number.
    let found = app.get(&mut cw, "/deltagare?q=maja").await;
    assert!(found.body.contains("Maja Lindqvist"));
    let found = app.get(&mut cw, "/deltagare?q=811228").await;
    assert!(found.body.contains("Maja Lindqvist"));

    // --- referral: free places shown, reason required, capacity enforced.
    let r = app
        .get(&mut cw, &format!("/deltagare/{maja}/anvisa?typ={pt}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Egen ek. för."));
    assert!(r.body.contains("Lediga platser"));
    let refer_path = format!("/deltagare/{maja}/anvisa");
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &refer_path,
        &[
            ("typ", pt.to_string()),
            ("agreement_id", agreement_id.get().to_string()),
            ("reason", " ".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"reason-error\"") && r.body.contains("Fältet måste fyllas i."));
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &refer_path,
        &[
            ("typ", pt.to_string()),
            ("agreement_id", agreement_id.get().to_string()),
            (
                "reason",
                "Vill arbeta med service; kaféet är rankat först.".into(),
            ),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        "/deltagare/ny",
        &registration("19900101-0017", "Olle"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let olle = location(&r)
        .trim_start_matches("/deltagare/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &format!("/deltagare/{olle}/anvisa"),
        &[
            ("typ", pt.to_string()),
            ("agreement_id", agreement_id.get().to_string()),
            ("reason", "Skäl".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("inga lediga platser"), "{}", r.body);
    assert!(store
        .tenant(app.tenant)
        .referrals_of_participant(ParticipantId(olle.parse().unwrap()))
        .await
        .unwrap()
        .is_empty());

    // --- the supplier answers.
    let (mut sup, sup_csrf) = app.sign_in(RoleKind::SupplierUser).await;
    let list = app.get(&mut sup, "/portal/anvisningar").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Maja Lindqvist") && list.body.contains("D-"));
    let referral = store
        .tenant(app.tenant)
        .referrals_of_participant(ParticipantId(maja))
        .await
        .unwrap()[0]
        .id;
    let answer_path = format!("/portal/anvisningar/{}", referral.get());
    let start = today().to_string();
    let end = (today() + chrono::Days::new(180)).to_string();
    let r = post(
        &app,
        &mut sup,
        &sup_csrf,
        &answer_path,
        &[
            ("svar", "acceptera".into()),
            ("start", start.clone()),
            ("planned_end", end.clone()),
            ("hours_per_week", "61".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains("Timmar per vecka måste vara mellan 1 och 60."));
    let r = post(
        &app,
        &mut sup,
        &sup_csrf,
        &answer_path,
        &[
            ("svar", "acceptera".into()),
            ("start", start.clone()),
            ("planned_end", "2001-01-01".into()),
            ("hours_per_week", "20".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Planerat slut kan inte vara före starten"));
    let r = post(
        &app,
        &mut sup,
        &sup_csrf,
        &answer_path,
        &[
            ("svar", "acceptera".into()),
            ("start", start.clone()),
            ("planned_end", end.clone()),
            ("hours_per_week", "20,5".into()),
            ("goals", "Baristautbildning".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let placements = store
        .tenant(app.tenant)
        .placements_of_participant(ParticipantId(maja))
        .await
        .unwrap();
    assert_eq!(placements.len(), 1);
    assert_eq!(placements[0].hours_per_week.minutes(), 20 * 60 + 30);

    // --- another supplier guessing ids gets 404 and sees nothing.
    adminkit::add_user(
        store,
        app.tenant,
        "annan@test.example",
        Role::SupplierUser {
            organisation_id: app.other_org,
        },
    )
    .await;
    let (mut other, other_csrf) = session(store, app.tenant, "annan@test.example").await;
    assert_eq!(
        app.get(&mut other, &answer_path).await.status,
        StatusCode::NOT_FOUND
    );
    let r = post(
        &app,
        &mut other,
        &other_csrf,
        &answer_path,
        &[("svar", "avboj".into()), ("decline_note", "x".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let this_month = YearMonth::of(today());
    let other_month = app
        .get(&mut other, &format!("/portal/narvaro/{this_month}"))
        .await;
    assert_eq!(other_month.status, StatusCode::OK);
    assert!(!other_month.body.contains("Maja"));
    let pid = placements[0].id.get();
    let r = post(
        &app,
        &mut other,
        &other_csrf,
        &format!("/portal/narvaro/{this_month}"),
        &[(format!("h_{pid}"), "10".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app
        .get(&mut other, "/portal/anvisningar")
        .await
        .body
        .contains("Inga anvisningar."));

    // --- attendance for a whole month: a placement from the first of the month.
    let full = store
        .tenant(app.tenant)
        .insert_placement(&NewPlacement {
            referral_id: None,
            participant_id: ParticipantId(olle.parse().unwrap()),
            agreement_id,
            start: this_month.first_day(),
            planned_end: this_month.last_day(),
            hours_per_week: WeeklyMinutes::new(30 * 60).unwrap(),
            goals: None,
        })
        .await
        .unwrap();
    let days = working_days_in(
        this_month,
        &DateRange::new(this_month.first_day(), None).unwrap(),
    );
    let maja_days = working_days_in(this_month, &placements[0].period);
    let path = format!("/portal/narvaro/{this_month}");
    let form = app.get(&mut sup, &path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&format!("name=\"h_{}\"", full.get())));
    let too_much = (days * 10 + 1).to_string();
    let r = post(
        &app,
        &mut sup,
        &sup_csrf,
        &path,
        &[
            (format!("h_{}", full.get()), too_much),
            (format!("s_{}", full.get()), "1".into()),
            (format!("h_{pid}"), "0".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains(&format!("så högst {} timmar kan rapporteras", days * 10)),
        "{}",
        r.body
    );
    assert!(store
        .tenant(app.tenant)
        .attendance_of_placement(full)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .tenant(app.tenant)
        .attendance_of_placement(PlacementId(pid))
        .await
        .unwrap()
        .is_empty());
    let r = post(
        &app,
        &mut sup,
        &sup_csrf,
        &path,
        &[
            (format!("h_{}", full.get()), "x".into()),
            (format!("h_{pid}"), "0".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ange timmar som ett tal"));
    let hours = (days.min(10) * 6).to_string();
    let r = post(
        &app,
        &mut sup,
        &sup_csrf,
        &path,
        &[
            (format!("h_{}", full.get()), format!("{hours},5")),
            (format!("s_{}", full.get()), "1".into()),
            (format!("u_{}", full.get()), "0".into()),
            (format!("h_{pid}"), (maja_days.min(1) * 4).to_string()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let saved = store
        .tenant(app.tenant)
        .attendance_of_placement(full)
        .await
        .unwrap();
    assert_eq!(saved[0].attended_minutes, (days.min(10) * 6) * 60 + 30);

    // --- the case worker approves the month; it is then locked.
    let overview = app.get(&mut cw, &format!("/narvaro/{this_month}")).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("Att godkänna"), "{}", overview.body);
    let detail = app
        .get(
            &mut cw,
            &format!("/narvaro/{this_month}?leverantor={}", app.org.get()),
        )
        .await;
    assert!(detail.body.contains("Olle Lindqvist"));
    let none: &[(&str, String)] = &[];
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &format!("/narvaro/{this_month}"),
        none,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &format!("/narvaro/{this_month}"),
        &[("organisation_id", app.org.get().to_string())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let locked = app.get(&mut sup, &path).await;
    assert!(locked.body.contains("Månaden är godkänd och låst."));
    assert!(!locked.body.contains(&format!("name=\"h_{}\"", full.get())));
    let r = post(
        &app,
        &mut sup,
        &sup_csrf,
        &path,
        &[(format!("h_{}", full.get()), "1".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Det finns inget att skicka in"),
        "{}",
        r.body
    );
    // The store itself refuses, whatever the form: the API says so too.
    let r = app
        .send(
            &mut sup.clone(),
            Request::post(format!("/api/v1/portal/attendance/{this_month}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-csrf-token", &sup_csrf)
                .body(Body::from(format!(
                    r#"{{"lines":[{{"placement_id":{},"attended_minutes":60}}]}}"#,
                    full.get()
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("\"field\":\"month\"") && r.body.contains("låst"),
        "{}",
        r.body
    );

    // --- no personnummer anywhere in the supplier's pages.
    let maja_pnr = PersonalIdentityNumber::parse_canonical(PNR_DIGITS).unwrap();
    let olle_pnr = PersonalIdentityNumber::parse_canonical("199001010017").unwrap();
    for p in [
        "/portal".to_string(),
        "/portal/anvisningar".to_string(),
        answer_path.clone(),
        path.clone(),
        format!("/portal/narvaro/{}", this_month.prev()),
        "/api/v1/portal/referrals".to_string(),
        format!("/api/v1/portal/attendance/{this_month}"),
    ] {
        let r = app.get(&mut sup, &p).await;
        assert!(r.status.is_success(), "{p}: {}", r.status);
        assert!(
            !leaks_pnr(&r.body, &maja_pnr) && !leaks_pnr(&r.body, &olle_pnr),
            "{p} shows a personnummer"
        );
    }

    // --- exit and follow-up: bad dates refused with Swedish messages.
    let placement_path = format!("/placeringar/{pid}");
    let show = app.get(&mut cw, &placement_path).await;
    assert_eq!(show.status, StatusCode::OK, "{}", show.body);
    assert!(show.body.contains("Baristautbildning"));
    let before = (today() - chrono::Days::new(3)).to_string();
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &format!("{placement_path}/avslut"),
        &[("exit_date", before), ("outcome", "moved".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Avslutsdatumet kan inte vara före placeringens start"),
        "{}",
        r.body
    );
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &format!("{placement_path}/avslut"),
        &[
            ("exit_date", today().to_string()),
            ("outcome", "work_unsubsidised".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"evidence-error\""));
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &format!("{placement_path}/avslut"),
        &[
            ("exit_date", today().to_string()),
            ("outcome", "work_unsubsidised".into()),
            ("evidence", "Anställningsavtal 6 mån".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post(
        &app,
        &mut cw,
        &cw_csrf,
        &format!("{placement_path}/uppfoljning"),
        &[
            ("point", "3".into()),
            ("recorded_on", (today() - chrono::Days::new(1)).to_string()),
            ("fu_status", "employed".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Uppföljningen kan inte göras före avslutet"),
        "{}",
        r.body
    );
    let due = app.get(&mut cw, "/uppfoljningar").await;
    assert_eq!(due.status, StatusCode::OK);

    // --- right of access: a logged JSON download.
    let r = app.get(&mut cw, &format!("/deltagare/{maja}/export")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(location(&r).is_empty());
    assert!(r
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        json["data"]["placements"][0]["exit"]["outcome"],
        "work_unsubsidised"
    );
    let log = store
        .tenant(app.tenant)
        .access_entries(Some(ParticipantId(maja)), None, 100, 0)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.purpose == "right_of_access_export"));
    assert!(log
        .iter()
        .any(|e| e.purpose == "supplier_attendance" && e.actor == email(RoleKind::SupplierUser)));

    // --- the API names fields in English when asked.
    let r = app
        .send(
            &mut cw.clone(),
            Request::post(format!("/api/v1/placements/{}/exit", full.get()))
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT_LANGUAGE, "en")
                .header("x-csrf-token", &cw_csrf)
                .body(Body::from(
                    r#"{"exit_date":"2001-01-01","outcome":"nonsense"}"#,
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"field\":\"outcome\""), "{}", r.body);
}

#[tokio::test]
async fn case_work_and_portal_sqlite() {
    case_work_and_portal(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn case_work_and_portal_postgres() {
    case_work_and_portal(BackendKind::Postgres).await;
}

// ---------------------------------------------------------------- following a placement

/// The test app with a clock the test moves.
async fn app_at(kind: BackendKind, clock: &Clock) -> TestApp {
    let mut app = TestApp::new(kind).await;
    let store = app.db.store.clone();
    let version = store.require_current_schema().await.unwrap();
    let state =
        AppState::with_settings(store, version, Settings::default()).with_clock(clock.clone());
    app.app = router(state).layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    app
}

/// Eight o'clock UTC on `day`: the same day in Stockholm, summer or winter.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(8, 0, 0).unwrap())
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// An agreement of the test placement type `code` for `org` over `from`–`to`.
async fn agreement_over(
    app: &TestApp,
    org: OrganisationId,
    code: &str,
    name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> (i64, AgreementId) {
    let s = app.db.store.tenant(app.tenant);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse(code).unwrap(),
            name_sv: Text::parse(name).unwrap(),
            name_en: Text::parse(name).unwrap(),
        })
        .await
        .unwrap();
    let a = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: org,
            placement_type_id: pt,
            capacity: 4,
            price_per_month: Money::from_kronor(5_000),
            period: DateRange::new(from, Some(to)).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    (pt.get(), a)
}

/// A participant registered in the test tenant.
async fn participant_named(app: &TestApp, serial: u16, first: &str) -> ParticipantId {
    app.db
        .store
        .tenant(app.tenant)
        .register_participant(
            &NewParticipant {
                personal_number: PersonalIdentityNumber::from_parts(
                    d(1985, 5, 17),
                    serial,
                    IdentityKind::Personnummer,
                )
                .unwrap(),
                first_name: Text::parse(first).unwrap(),
                last_name: Text::parse("Berg").unwrap(),
                covariates: Covariates {
                    gender: Gender::Female,
                    born_abroad: false,
                    education: EducationLevel::UpperSecondary,
                    months_on_income_support: 12,
                    health_limitation: false,
                    swedish_level: SwedishLevel::Fluent,
                    prior_work_experience: true,
                },
                synthetic: true,
            },
            d(2031, 1, 2),
        )
        .await
        .unwrap()
}

/// A running placement under `agreement` from `start`, 20 hours a week.
async fn running(
    app: &TestApp,
    who: ParticipantId,
    agreement: AgreementId,
    start: NaiveDate,
) -> PlacementId {
    app.db
        .store
        .tenant(app.tenant)
        .insert_placement(&NewPlacement {
            referral_id: None,
            participant_id: who,
            agreement_id: agreement,
            start,
            planned_end: d(2031, 12, 31),
            hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
            goals: Some(Text::parse("Baristautbildning").unwrap()),
        })
        .await
        .unwrap()
}

/// A JSON request of the signed-in browser, with its CSRF header.
async fn api(
    app: &TestApp,
    b: &mut Browser,
    csrf: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Reply {
    app.send(
        b,
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", csrf)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

/// A 422 problem document naming `field`, with a message containing `says`.
fn refused_field(r: &Reply, field: &str, says: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let p: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let errors = p["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["message"].as_str().unwrap().contains(says)),
        "expected {field}: {says} in {}",
        r.body
    );
}

/// A 422 page marking `field` with a message containing `says`.
fn refused_form(r: &Reply, field: &str, says: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains(&format!("id=\"{field}-error\"")),
        "no error on {field}: {}",
        r.body
    );
    assert!(r.body.contains(says), "expected {says:?}: {}", r.body);
}

async fn audit_len(app: &TestApp) -> usize {
    app.db
        .store
        .tenant(app.tenant)
        .audit_entries(&AuditFilter {
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

/// What a placement holds that the refusals below must leave alone.
async fn state_of(app: &TestApp, p: PlacementId) -> (String, usize, usize, usize) {
    let s = app.db.store.tenant(app.tenant);
    (
        format!("{:?}", s.get_placement(p).await.unwrap()),
        s.notes_of_placement(p).await.unwrap().len(),
        s.pauses_of_placement(p).await.unwrap().len(),
        audit_len(app).await,
    )
}

async fn following_a_placement(kind: BackendKind) {
    let clock = Clock::fixed(morning(d(2031, 5, 15)));
    let app = app_at(kind, &clock).await;
    let store = &app.db.store;
    let s = store.tenant(app.tenant);
    let (_, agreement) = agreement_over(
        &app,
        app.org,
        "cafe",
        "Kafé",
        d(2031, 1, 1),
        d(2032, 12, 31),
    )
    .await;
    let who = participant_named(&app, 11, "Saga").await;
    let p = running(&app, who, agreement, d(2031, 3, 1)).await;
    let page = format!("/placeringar/{}", p.get());
    let (mut cw, csrf) = app.sign_in(RoleKind::CaseWorker).await;

    // --- hours and goals: the form starts from what is stored.
    let r = app.get(&mut cw, &page).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Ändra timmar och mål"), "{}", r.body);
    assert!(r
        .body
        .contains("name=\"hours_per_week\" type=\"text\" value=\"20\""));
    assert!(r.body.contains(">Baristautbildning</textarea>"));
    let hg = format!("{page}/timmar-och-mal");
    let before = state_of(&app, p).await;
    for (hours, says) in [
        ("61", "Timmar per vecka måste vara mellan 1 och 60."),
        ("0,5", "Timmar per vecka måste vara mellan 1 och 60."),
        ("tjugo", "Ange timmar som ett tal"),
        ("", "Fältet måste fyllas i."),
    ] {
        let r = post(
            &app,
            &mut cw,
            &csrf,
            &hg,
            &[
                ("hours_per_week", hours.into()),
                ("goals", "Truckkort".into()),
            ],
        )
        .await;
        refused_form(&r, "hours_per_week", says);
        // What was typed is shown again.
        assert!(r.body.contains(">Truckkort</textarea>"), "{}", r.body);
    }
    assert_eq!(state_of(&app, p).await, before, "nothing written");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &hg,
        &[
            ("hours_per_week", "22,5".into()),
            ("goals", "Truckkort och baristautbildning".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), format!("{page}?klart=timmar-och-mal"));
    let shown = app.get(&mut cw, &location(&r)).await;
    assert!(shown.body.contains("Timmar och mål är ändrade."));
    assert!(shown.body.contains("<dd>22,5</dd>"), "{}", shown.body);
    let now = s.get_placement(p).await.unwrap();
    assert_eq!(now.hours_per_week.minutes(), 22 * 60 + 30);
    assert_eq!(
        now.goals.as_ref().map(|g| g.as_str()),
        Some("Truckkort och baristautbildning")
    );
    let last = s
        .audit_entries(&AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (last.action.as_str(), last.entity.as_str()),
        ("update", "placements")
    );
    assert_eq!(last.actor, email(RoleKind::CaseWorker));
    let before_json: serde_json::Value =
        serde_json::from_str(last.before_json.as_deref().unwrap()).unwrap();
    let after_json: serde_json::Value =
        serde_json::from_str(last.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(
        before_json,
        serde_json::json!({ "weekly_minutes": 1200, "goals": "Baristautbildning" })
    );
    assert_eq!(
        after_json,
        serde_json::json!({ "weekly_minutes": 1350, "goals": "Truckkort och baristautbildning" })
    );

    // The same through the API: minutes, either field alone, an empty goal removes it.
    let api_hg = format!("/api/v1/placements/{}/hours-and-goals", p.get());
    let before = state_of(&app, p).await;
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_hg,
            r#"{"minutes_per_week":30}"#,
        )
        .await,
        "minutes_per_week",
        "mellan 1 och 60",
    );
    refused_field(
        &api(&app, &mut cw, &csrf, "POST", &api_hg, "{}").await,
        "minutes_per_week",
        "Ange nya timmar per vecka eller nya mål.",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_hg,
            &serde_json::json!({ "minutes_per_week": 600, "goals": "x".repeat(2001) }).to_string(),
        )
        .await,
        "goals",
        "",
    );
    assert_eq!(state_of(&app, p).await, before, "nothing written");
    let r = api(&app, &mut cw, &csrf, "POST", &api_hg, r#"{"goals":" "}"#).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api(
        &app,
        &mut cw,
        &csrf,
        "POST",
        &api_hg,
        r#"{"minutes_per_week":900}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let got: serde_json::Value = serde_json::from_str(
        &app.get(&mut cw, &format!("/api/v1/placements/{}", p.get()))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(got["data"]["minutes_per_week"], 900);
    assert_eq!(got["data"]["goals"], serde_json::Value::Null);
    assert_eq!(
        api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            "/api/v1/placements/999999/hours-and-goals",
            r#"{"minutes_per_week":900}"#
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // --- progress notes and three-party meetings.
    let notes = format!("{page}/anteckningar");
    let before = state_of(&app, p).await;
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &notes,
        &[
            ("kind", "progress".into()),
            ("note_on", "2031-05-02".into()),
            ("note_body", " ".into()),
        ],
    )
    .await;
    refused_form(&r, "note_body", "Fältet måste fyllas i.");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &notes,
        &[
            ("kind", "progress".into()),
            ("note_on", "2031-02-01".into()),
            ("note_body", "Kommer i tid".into()),
        ],
    )
    .await;
    refused_form(
        &r,
        "note_on",
        "Datumet kan inte vara före placeringens start 2031-03-01.",
    );
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &notes,
        &[
            ("kind", "meeting".into()),
            ("meeting_on", "2031-05-03".into()),
            ("meeting_attendees", "".into()),
            ("meeting_body", "Mål: truckkort".into()),
        ],
    )
    .await;
    refused_form(&r, "meeting_attendees", "Fältet måste fyllas i.");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &notes,
        &[
            ("kind", "meeting".into()),
            ("meeting_on", "maj".into()),
            ("meeting_attendees", "Saga, handledare".into()),
            ("meeting_body", "Mål: truckkort".into()),
        ],
    )
    .await;
    refused_form(&r, "meeting_on", "ÅÅÅÅ-MM-DD");
    let api_notes = format!("/api/v1/placements/{}/notes", p.get());
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_notes,
            r#"{"kind":"meeting","noted_on":"2031-05-03","body":"Mål: truckkort"}"#,
        )
        .await,
        "attendees",
        "Ange vilka som deltog i trepartsmötet.",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_notes,
            r#"{"kind":"progress","noted_on":"2031-02-28","body":"x"}"#,
        )
        .await,
        "noted_on",
        "före placeringens start",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_notes,
            r#"{"kind":"chat","noted_on":"2031-05-03","body":"x"}"#,
        )
        .await,
        "kind",
        "",
    );
    assert_eq!(state_of(&app, p).await, before, "nothing written");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &notes,
        &[
            ("kind", "progress".into()),
            ("note_on", "2031-05-02".into()),
            ("note_body", "Kommer i tid varje dag".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &notes,
        &[
            ("kind", "meeting".into()),
            ("meeting_on", "2031-05-03".into()),
            ("meeting_attendees", "Saga, handledare, handläggare".into()),
            ("meeting_body", "Mål: truckkort till hösten".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = api(
        &app,
        &mut cw,
        &csrf,
        "POST",
        &api_notes,
        r#"{"kind":"meeting","noted_on":"2031-05-10","attendees":"Saga, handledare","body":"Uppföljande möte"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let shown = app.get(&mut cw, &page).await;
    for text in [
        "Kommer i tid varje dag",
        "Saga, handledare, handläggare",
        "Mål: truckkort till hösten",
        "Uppföljande möte",
    ] {
        assert!(shown.body.contains(text), "{text}");
    }
    let kinds: Vec<_> = s
        .notes_of_placement(p)
        .await
        .unwrap()
        .iter()
        .map(|n| (n.kind.as_str().to_string(), n.noted_on))
        .collect();
    assert_eq!(
        kinds,
        [
            ("meeting".to_string(), d(2031, 5, 10)),
            ("meeting".to_string(), d(2031, 5, 3)),
            ("progress".to_string(), d(2031, 5, 2)),
        ]
    );

    // --- pause and resume.
    let pause = format!("{page}/paus");
    let resume = format!("{page}/ateruppta");
    let api_pause = format!("/api/v1/placements/{}/pauses", p.get());
    let api_resume = format!("/api/v1/placements/{}/resume", p.get());
    let before = state_of(&app, p).await;
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &resume,
        &[("resume_on", "2031-05-04".into())],
    )
    .await;
    refused_form(&r, "resume_on", "Placeringen är inte pausad.");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &pause,
        &[("pause_start", "2031-02-01".into())],
    )
    .await;
    refused_form(&r, "pause_start", "Pausen måste börja inom placeringen");
    let r = post(&app, &mut cw, &csrf, &pause, &[("pause_start", "".into())]).await;
    refused_form(&r, "pause_start", "Fältet måste fyllas i.");
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_resume,
            r#"{"date":"2031-05-04"}"#,
        )
        .await,
        "date",
        "Placeringen är inte pausad.",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_pause,
            r#"{"start":"2031-02-27"}"#,
        )
        .await,
        "start",
        "Pausen måste börja inom placeringen",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_pause,
            r#"{"start":"igår"}"#,
        )
        .await,
        "start",
        "",
    );
    assert_eq!(state_of(&app, p).await, before, "nothing written");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &pause,
        &[
            ("pause_start", "2031-05-05".into()),
            ("pause_reason", "Sjukskriven".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = app.get(&mut cw, &location(&r)).await;
    assert!(shown.body.contains("Placeringen är pausad."));
    assert!(shown.body.contains("action=\"/placeringar/") && shown.body.contains("/ateruppta\""));
    let before = state_of(&app, p).await;
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &pause,
        &[("pause_start", "2031-05-06".into())],
    )
    .await;
    refused_form(&r, "pause_start", "Placeringen är redan pausad.");
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_pause,
            r#"{"start":"2031-05-06"}"#,
        )
        .await,
        "start",
        "redan pausad",
    );
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &resume,
        &[("resume_on", "2031-05-04".into())],
    )
    .await;
    refused_form(
        &r,
        "resume_on",
        "Pausen kan inte sluta före sin start 2031-05-05.",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_resume,
            r#"{"date":"2031-05-01"}"#,
        )
        .await,
        "date",
        "före sin start",
    );
    assert_eq!(state_of(&app, p).await, before, "nothing written");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &resume,
        &[("resume_on", "2031-05-08".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(app
        .get(&mut cw, &location(&r))
        .await
        .body
        .contains("Placeringen är återupptagen."));
    // Once more through the API.
    let r = api(
        &app,
        &mut cw,
        &csrf,
        "POST",
        &api_pause,
        r#"{"start":"2031-05-10","reason":"Semester"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api(
        &app,
        &mut cw,
        &csrf,
        "POST",
        &api_resume,
        r#"{"date":"2031-05-12"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pauses: Vec<_> = s
        .pauses_of_placement(p)
        .await
        .unwrap()
        .iter()
        .map(|x| (x.start, x.end, x.reason.clone()))
        .collect();
    assert_eq!(
        pauses,
        [
            (
                d(2031, 5, 5),
                Some(d(2031, 5, 8)),
                Some("Sjukskriven".to_string())
            ),
            (
                d(2031, 5, 10),
                Some(d(2031, 5, 12)),
                Some("Semester".to_string())
            ),
        ]
    );

    // --- the planned end.
    let planned = format!("{page}/planerat-slut");
    let api_planned = format!("/api/v1/placements/{}/planned-end", p.get());
    let before = state_of(&app, p).await;
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &planned,
        &[("planned_end", "2031-02-28".into())],
    )
    .await;
    refused_form(
        &r,
        "planned_end",
        "Planerat slut kan inte vara före starten 2031-03-01.",
    );
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &planned,
        &[("planned_end", "31/12".into())],
    )
    .await;
    refused_form(&r, "planned_end", "ÅÅÅÅ-MM-DD");
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_planned,
            r#"{"date":"2031-01-01"}"#,
        )
        .await,
        "date",
        "Planerat slut kan inte vara före starten",
    );
    refused_field(
        &api(&app, &mut cw, &csrf, "POST", &api_planned, "{}").await,
        "date",
        "",
    );
    assert_eq!(state_of(&app, p).await, before, "nothing written");
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &planned,
        &[("planned_end", "2032-03-31".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(app
        .get(&mut cw, &location(&r))
        .await
        .body
        .contains("<dd>2032-03-31</dd>"));
    let r = api(
        &app,
        &mut cw,
        &csrf,
        "POST",
        &api_planned,
        r#"{"date":"2032-06-30"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        s.get_placement(p).await.unwrap().planned_end,
        d(2032, 6, 30)
    );

    // --- ended: nothing of it can be changed any more, by page or API.
    let r = api(
        &app,
        &mut cw,
        &csrf,
        "POST",
        &format!("/api/v1/placements/{}/exit", p.get()),
        r#"{"exit_date":"2031-05-14","outcome":"moved"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ended = app.get(&mut cw, &page).await;
    assert!(
        !ended.body.contains("/timmar-och-mal\""),
        "no form for an ended placement"
    );
    let before = state_of(&app, p).await;
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &hg,
        &[("hours_per_week", "10".into()), ("goals", "Nytt".into())],
    )
    .await;
    refused_form(
        &r,
        "hours_per_week",
        "Placeringen är avslutad och kan inte ändras.",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_hg,
            r#"{"minutes_per_week":600}"#,
        )
        .await,
        "minutes_per_week",
        "avslutad",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_planned,
            r#"{"date":"2032-12-31"}"#,
        )
        .await,
        "date",
        "avslutad",
    );
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &api_pause,
            r#"{"start":"2031-05-14"}"#,
        )
        .await,
        "start",
        "avslutad",
    );
    assert_eq!(state_of(&app, p).await, before, "nothing written");

    // Suppliers and researchers cannot change a placement at all.
    for role in [RoleKind::SupplierUser, RoleKind::Researcher] {
        let (mut b, c) = app.sign_in(role).await;
        let r = api(
            &app,
            &mut b,
            &c,
            "POST",
            &api_hg,
            r#"{"minutes_per_week":600}"#,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        let r = post(&app, &mut b, &c, &hg, &[("hours_per_week", "10".into())]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
    }
}

async fn referral_to_an_expired_agreement(kind: BackendKind) {
    let clock = Clock::fixed(morning(d(2031, 5, 15)));
    let app = app_at(kind, &clock).await;
    let (pt, expired) = agreement_over(
        &app,
        app.org,
        "tryckeri",
        "Tryckeri",
        d(2030, 1, 1),
        d(2031, 5, 14),
    )
    .await;
    let who = participant_named(&app, 12, "Ebba").await;
    let (mut cw, csrf) = app.sign_in(RoleKind::CaseWorker).await;
    let before = audit_len(&app).await;

    // The page offers no place under it, and a forged choice is refused on the field.
    let form = app
        .get(
            &mut cw,
            &format!("/deltagare/{}/anvisa?typ={pt}", who.get()),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains("Inga gällande ramavtal"),
        "{}",
        form.body
    );
    assert!(!form.body.contains(&format!(
        "name=\"agreement_id\" value=\"{}\"",
        expired.get()
    )));
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &format!("/deltagare/{}/anvisa", who.get()),
        &[
            ("typ", pt.to_string()),
            ("agreement_id", expired.get().to_string()),
            ("reason", "Vill arbeta med tryck".into()),
        ],
    )
    .await;
    refused_form(&r, "agreement_id", "Avtalet gäller inte på remissdatumet.");
    // The API says the same.
    refused_field(
        &api(
            &app,
            &mut cw,
            &csrf,
            "POST",
            &format!("/api/v1/participants/{}/referrals", who.get()),
            &format!(
                r#"{{"agreement_id":{},"reason":"Vill arbeta med tryck"}}"#,
                expired.get()
            ),
        )
        .await,
        "agreement_id",
        "Avtalet gäller inte",
    );
    assert!(app
        .db
        .store
        .tenant(app.tenant)
        .referrals_of_participant(who)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(audit_len(&app).await, before, "nothing written");
    // The day before, it was in force.
    clock.set(morning(d(2031, 5, 14)));
    let r = api(
        &app,
        &mut cw,
        &csrf,
        "POST",
        &format!("/api/v1/participants/{}/referrals", who.get()),
        &format!(
            r#"{{"agreement_id":{},"reason":"Vill arbeta med tryck"}}"#,
            expired.get()
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// The rows of one section of `/uppfoljningar`, by participant name in order.
fn due_rows(html: &str, anchor: &str) -> Vec<String> {
    let marker = format!("<tr data-state=\"{anchor}\">");
    html.match_indices(&marker)
        .map(|(i, _)| {
            let row = &html[i..];
            let row = &row[..row.find("</tr>").unwrap()];
            let name_at = row.find("<th scope=\"row\"><a").unwrap();
            let name = &row[name_at..];
            let name = &name[name.find('>').unwrap() + 1..];
            let name = &name[name.find('>').unwrap() + 1..];
            name[..name.find('<').unwrap()].to_string()
        })
        .collect()
}

/// The overview's two reminder figures: (due now, overdue).
fn reminder_figures(html: &str) -> (u32, u32) {
    let figure = |id: &str| {
        let marker = format!("id=\"{id}\">");
        let i = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {id}: {html}"))
            + marker.len();
        html[i..i + html[i..].find('<').unwrap()].parse().unwrap()
    };
    (figure("follow-ups-due-now"), figure("follow-ups-overdue"))
}

async fn follow_up_reminders_follow_the_clock(kind: BackendKind) {
    let clock = Clock::fixed(morning(d(2031, 6, 20)));
    let app = app_at(kind, &clock).await;
    let s = app.db.store.tenant(app.tenant);
    let (_, agreement) = agreement_over(
        &app,
        app.org,
        "cafe",
        "Kafé",
        d(2030, 1, 1),
        d(2032, 12, 31),
    )
    .await;
    // Three exits; their 3-month follow-ups fall due on 30 June, 10 June and 20 June.
    let mut placements = Vec::new();
    for (serial, name, exit) in [
        (21, "Alma", d(2031, 3, 30)),
        (22, "Bodil", d(2031, 3, 10)),
        (23, "Cecilia", d(2031, 3, 20)),
    ] {
        let who = participant_named(&app, serial, name).await;
        let p = running(&app, who, agreement, d(2031, 1, 10)).await;
        s.record_exit(p, exit, ExitOutcome::Other, None)
            .await
            .unwrap();
        placements.push(p);
    }
    let (mut cw, csrf) = app.sign_in(RoleKind::CaseWorker).await;

    // 20 June: Bodil's and Cecilia's are due now (Bodil's first), Alma's is coming.
    let page = app.get(&mut cw, "/uppfoljningar").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        due_rows(&page.body, "att-gora-nu"),
        ["Bodil Berg", "Cecilia Berg"]
    );
    assert_eq!(due_rows(&page.body, "kommande"), ["Alma Berg"]);
    assert!(due_rows(&page.body, "forsenade").is_empty());
    assert!(page.body.contains("Att göra nu: 2") && page.body.contains("Kommande: 1"));
    let overview = app.get(&mut cw, "/oversikt").await;
    assert_eq!(reminder_figures(&overview.body), (2, 0));
    assert!(overview
        .body
        .contains("href=\"/uppfoljningar#att-gora-nu\""));
    assert!(overview.body.contains("href=\"/uppfoljningar#forsenade\""));
    // The API says where each stands too.
    let due: serde_json::Value =
        serde_json::from_str(&app.get(&mut cw, "/api/v1/follow-ups/due").await.body).unwrap();
    let states: Vec<(&str, &str)> = due["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["participant_name"].as_str().unwrap(),
                x["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("Bodil Berg", "due_now"),
            ("Cecilia Berg", "due_now"),
            ("Alma Berg", "coming")
        ]
    );

    // 30 June: Alma's falls due.
    clock.set(morning(d(2031, 6, 30)));
    let page = app.get(&mut cw, "/uppfoljningar").await;
    assert_eq!(
        due_rows(&page.body, "att-gora-nu"),
        ["Bodil Berg", "Cecilia Berg", "Alma Berg"]
    );
    assert_eq!(
        reminder_figures(&app.get(&mut cw, "/oversikt").await.body),
        (3, 0)
    );

    // 10 July: Bodil's has waited 30 days and is overdue.
    clock.set(morning(d(2031, 7, 10)));
    let page = app.get(&mut cw, "/uppfoljningar").await;
    assert_eq!(due_rows(&page.body, "forsenade"), ["Bodil Berg"]);
    assert_eq!(
        due_rows(&page.body, "att-gora-nu"),
        ["Cecilia Berg", "Alma Berg"]
    );
    assert_eq!(
        reminder_figures(&app.get(&mut cw, "/oversikt").await.body),
        (2, 1)
    );

    // Recorded, it is gone from the list and the figures.
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &format!("/placeringar/{}/uppfoljning", placements[1].get()),
        &[
            ("point", "3".into()),
            ("recorded_on", "2031-07-10".into()),
            ("fu_status", "employed".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&mut cw, "/uppfoljningar").await;
    assert!(!page.body.contains("Bodil Berg"), "{}", page.body);
    assert!(due_rows(&page.body, "forsenade").is_empty());
    assert_eq!(
        reminder_figures(&app.get(&mut cw, "/oversikt").await.body),
        (2, 0)
    );
    let r = post(
        &app,
        &mut cw,
        &csrf,
        &format!("/placeringar/{}/uppfoljning", placements[0].get()),
        &[
            ("point", "3".into()),
            ("recorded_on", "2031-07-10".into()),
            ("fu_status", "studying".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        due_rows(
            &app.get(&mut cw, "/uppfoljningar").await.body,
            "att-gora-nu"
        ),
        ["Cecilia Berg"]
    );
    assert_eq!(
        reminder_figures(&app.get(&mut cw, "/oversikt").await.body),
        (1, 0)
    );

    // Roles without case work see no reminders on their overview.
    for role in [
        RoleKind::SupplierUser,
        RoleKind::Researcher,
        RoleKind::ProcurementOfficer,
    ] {
        let (mut b, _) = app.sign_in(role).await;
        let r = app.get(&mut b, "/oversikt").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("follow-ups-due-now"), "{role}");
    }
}

async fn the_portal_shows_coming_agreements(kind: BackendKind) {
    let clock = Clock::fixed(morning(d(2031, 6, 20)));
    let app = app_at(kind, &clock).await;
    agreement_over(
        &app,
        app.org,
        "cafe",
        "Kafé",
        d(2031, 1, 1),
        d(2031, 12, 31),
    )
    .await;
    agreement_over(
        &app,
        app.org,
        "snickeri",
        "Snickeri",
        d(2032, 1, 1),
        d(2033, 12, 31),
    )
    .await;
    agreement_over(
        &app,
        app.org,
        "tryckeri",
        "Tryckeri",
        d(2030, 1, 1),
        d(2030, 12, 31),
    )
    .await;
    agreement_over(
        &app,
        app.other_org,
        "tradgard",
        "Trädgård",
        d(2032, 1, 1),
        d(2033, 12, 31),
    )
    .await;
    let (mut sup, _) = app.sign_in(RoleKind::SupplierUser).await;
    let row = |html: &str, name: &str| -> Option<String> {
        let marker = format!("<th scope=\"row\">{name}</th>");
        let i = html.find(&marker)?;
        Some(html[i..i + html[i..].find("</tr>").unwrap()].to_string())
    };
    let r = app.get(&mut sup, "/portal").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cafe = row(&r.body, "Kafé").expect("the agreement in force");
    assert!(
        cafe.contains("Gäller") && !cafe.contains("Kommande"),
        "{cafe}"
    );
    let coming = row(&r.body, "Snickeri").expect("the coming agreement");
    assert!(coming.contains("Kommande"), "{coming}");
    assert!(coming.contains("2032-01-01 – 2033-12-31"), "{coming}");
    assert!(
        coming.contains("<td class=\"num\">4</td>"),
        "capacity: {coming}"
    );
    assert!(row(&r.body, "Tryckeri").is_none(), "expired left out");
    assert!(row(&r.body, "Trädgård").is_none(), "another supplier's");
    // In force agreements come first.
    assert!(r.body.find("Kafé").unwrap() < r.body.find("Snickeri").unwrap());
    // The new year: the café agreement has ended, the carpentry one is in force.
    clock.set(morning(d(2032, 1, 1)));
    let r = app.get(&mut sup, "/portal").await;
    assert!(row(&r.body, "Kafé").is_none());
    let now = row(&r.body, "Snickeri").unwrap();
    assert!(now.contains("Gäller") && !now.contains("Kommande"), "{now}");
}

#[tokio::test]
async fn following_a_placement_sqlite() {
    following_a_placement(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn following_a_placement_postgres() {
    following_a_placement(BackendKind::Postgres).await;
}

#[tokio::test]
async fn referral_to_an_expired_agreement_sqlite() {
    referral_to_an_expired_agreement(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn referral_to_an_expired_agreement_postgres() {
    referral_to_an_expired_agreement(BackendKind::Postgres).await;
}

#[tokio::test]
async fn follow_up_reminders_follow_the_clock_sqlite() {
    follow_up_reminders_follow_the_clock(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn follow_up_reminders_follow_the_clock_postgres() {
    follow_up_reminders_follow_the_clock(BackendKind::Postgres).await;
}

#[tokio::test]
async fn the_portal_shows_coming_agreements_sqlite() {
    the_portal_shows_coming_agreements(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn the_portal_shows_coming_agreements_postgres() {
    the_portal_shows_coming_agreements(BackendKind::Postgres).await;
}
