//! Open data over HTTP, on both backends: the public page lists the demo's published
//! rounds (never one being planned), the packages at the public URLs validate against
//! the OCDS schema with their extensions and codelists, tenders stay sealed until the
//! deadline, no personal data is published, and bad URLs get a 404 problem.

mod support;

use axum::http::{header, StatusCode};
use chrono::Utc;
use serde_json::Value;
use vidare_domain::deadline::Deadline;
use vidare_domain::ids::{RoundId, TenantId};
use vidare_domain::model::procurement::{
    ContractKind, ContractPeriod, CpvCode, LegalBasis, RoundStatus,
};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_exchange::ocds::validate::validate_package;
use vidare_store::repo::procurement::{NewLot, NewRound};
use vidare_store::BackendKind;

use support::{Browser, TestApp};

/// The test application with the demo municipality generated into its database too.
async fn with_demo(kind: BackendKind) -> (TestApp, TenantId) {
    let app = TestApp::new(kind).await;
    let report = vidare_synth::load::generate_into(
        &app.db.store,
        &vidare_synth::Model::default(),
        vidare_synth::Scale::Demo,
        20_240_422,
    )
    .await
    .expect("the demo loads");
    let demo = report.tenants[0].1;
    (app, demo)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

fn assert_valid(p: &Value) {
    let problems = validate_package(p);
    assert!(
        problems.is_empty(),
        "{} problems, first: {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
}

async fn round_ids(app: &TestApp, demo: TenantId) -> (Vec<RoundId>, Vec<RoundId>) {
    let rounds = app.db.store.tenant(demo).list_rounds().await.unwrap();
    let (planning, public): (Vec<_>, Vec<_>) = rounds
        .into_iter()
        .partition(|r| r.status == RoundStatus::Planning);
    (
        public.into_iter().map(|r| r.id).collect(),
        planning.into_iter().map(|r| r.id).collect(),
    )
}

async fn the_page_lists_published_rounds(kind: BackendKind) {
    let (app, demo) = with_demo(kind).await;
    let (public, planning) = round_ids(&app, demo).await;
    assert!(!public.is_empty() && !planning.is_empty());
    let mut b = Browser::default();
    let page = app.get(&mut b, "/oppen-data").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Öppna data om upphandlingar</h1>"));
    for id in &public {
        assert!(page
            .body
            .contains(&format!("/oppen-data/ocds/{}.json", id.get())));
    }
    for id in &planning {
        assert!(!page
            .body
            .contains(&format!("/oppen-data/ocds/{}.json", id.get())));
    }
    assert!(page.body.contains("/oppen-data/ocds.json?kommun=demo"));
    assert!(page.body.contains("ocds-213czf"));
    assert!(page.body.contains("CC0 1.0"));
    // The start page links to it.
    let home = app.get(&mut b, "/").await;
    assert!(home.body.contains("href=\"/oppen-data\""), "{}", home.body);
    // In English too.
    let mut en = Browser {
        cookies: vec![("vidare_lang".into(), "en".into())],
    };
    let page = app.get(&mut en, "/oppen-data").await;
    assert!(page.body.contains("<h1>Open data on procurement</h1>"));
}

async fn packages_validate_and_hold_no_personal_data(kind: BackendKind) {
    let (app, demo) = with_demo(kind).await;
    let (public, planning) = round_ids(&app, demo).await;
    let mut b = Browser::default();
    for id in &public {
        let r = app
            .get(&mut b, &format!("/oppen-data/ocds/{}.json", id.get()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let p = json(&r.body);
        assert_valid(&p);
        assert_eq!(
            p["uri"],
            format!("http://localhost/oppen-data/ocds/{}.json", id.get())
        );
        assert!(p["releases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|rel| rel["ocid"] == format!("ocds-213czf-demo-{}", id.get())));
    }
    for id in &planning {
        let r = app
            .get(&mut b, &format!("/oppen-data/ocds/{}.json", id.get()))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
    }
    let all = app.get(&mut b, "/oppen-data/ocds.json").await;
    assert_eq!(all.status, StatusCode::OK);
    let p = json(&all.body);
    assert_valid(&p);
    let one = app.get(&mut b, "/oppen-data/ocds.json?kommun=demo").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_valid(&json(&one.body));

    // Nobody's identity number or name, in any form.
    let participants = app
        .db
        .store
        .tenant(demo)
        .list_participants(vidare_store::repo::Page::first(300))
        .await
        .unwrap();
    assert!(!participants.is_empty());
    for person in participants {
        let pnr = person.personal_number.canonical();
        assert!(!all.body.contains(&pnr));
        assert!(!all.body.contains(&pnr[2..]));
        assert!(!all
            .body
            .contains(&format!("{} {}", person.first_name, person.last_name)));
    }

    // Bad URLs: a 404 problem naming what is wrong.
    for path in [
        "/oppen-data/ocds/abc.json",
        "/oppen-data/ocds/1",
        "/oppen-data/ocds/0.json",
    ] {
        let r = app.get(&mut b, path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains(".json"), "{path}: {}", r.body);
    }
    let r = app
        .get(&mut b, "/oppen-data/ocds.json?kommun=finns-inte")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("kommun"));
}

/// A round still open for tenders publishes nothing about its tenders; once the
/// deadline has passed it publishes who tendered and how many tenders each lot got.
async fn tenders_stay_sealed_until_the_deadline(kind: BackendKind) {
    let (app, demo) = with_demo(kind).await;
    let store = &app.db.store;
    let s = store.tenant(demo);
    let types = s.list_placement_types().await.unwrap();
    let orgs = s
        .list_organisations(vidare_store::repo::Page::first(2))
        .await
        .unwrap();
    let round_with = |deadline: &str| NewRound {
        title: Text::parse("Nytt anbudsprov").unwrap(),
        reference: None,
        legal_basis: LegalBasis::ReservedIntegration,
        contract_kind: ContractKind::SocialServices,
        cpv_codes: vec![CpvCode::parse("85312320-8").unwrap()],
        estimated_value: Money::from_kronor(2_000_000),
        contract_period: ContractPeriod::new(
            chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            24,
            0,
        )
        .unwrap(),
        tender_deadline: Some(Deadline::parse(deadline).unwrap()),
        status: RoundStatus::Published,
        synthetic: true,
    };
    let mut b = Browser::default();
    for (deadline, sealed) in [("2099-06-01T12:00", true), ("2020-06-01T12:00", false)] {
        let round = s.insert_round(&round_with(deadline)).await.unwrap();
        let lot = s
            .insert_lot(
                round,
                &NewLot {
                    number: 1,
                    placement_type_id: types[0].id,
                    title: Text::parse("Delområde 1").unwrap(),
                    description: None,
                    places: 3,
                    max_price_per_month: Money::from_kronor(4_000),
                    reserved: true,
                },
            )
            .await
            .unwrap();
        for org in &orgs {
            vidare_store::with_pool!(store, |pool| {
                let bid: i64 = sqlx::query_scalar(
                    "INSERT INTO bids (tenant_id, round_id, organisation_id, status, submitted_at) \
                     VALUES ($1, $2, $3, 'submitted', $4) RETURNING id",
                )
                .bind(demo.get())
                .bind(round.get())
                .bind(org.id.get())
                .bind(Utc::now())
                .fetch_one(pool)
                .await
                .unwrap();
                sqlx::query(
                    "INSERT INTO bid_lots (tenant_id, bid_id, lot_id, price_per_month_ore, capacity) \
                     VALUES ($1, $2, $3, 300000, 2)",
                )
                .bind(demo.get())
                .bind(bid)
                .bind(lot.get())
                .execute(pool)
                .await
                .unwrap();
            });
        }
        let r = app
            .get(&mut b, &format!("/oppen-data/ocds/{}.json", round.get()))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let p = json(&r.body);
        assert_valid(&p);
        let releases = p["releases"].as_array().unwrap();
        for o in &orgs {
            assert_eq!(
                r.body.contains(&o.org_number.canonical()),
                !sealed,
                "{deadline}"
            );
        }
        if sealed {
            assert_eq!(releases.len(), 1);
            assert!(releases[0]["tender"].get("tenderers").is_none());
            assert!(releases[0]["tender"].get("numberOfTenderers").is_none());
        } else {
            let update = &releases[1];
            assert_eq!(update["tag"][0], "tenderUpdate");
            assert_eq!(update["tender"]["numberOfTenderers"], orgs.len());
            assert_eq!(
                update["bids"]["statistics"][1]["value"],
                orgs.len(),
                "tenders for lot 1"
            );
        }
    }
}

/// The research export's loading (`repo/research.rs`) on both backends: one episode per
/// placement, the birth date from the identity number, or from the kept birth year once
/// a participant is anonymised; follow-ups attached to their placements.
async fn research_episodes_load(kind: BackendKind) {
    let (app, demo) = with_demo(kind).await;
    let store = &app.db.store;
    let s = store.tenant(demo);
    let episodes = s.research_episodes().await.unwrap();
    let (placements, follow_ups): (i64, i64) = vidare_store::with_pool!(store, |pool| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM placements WHERE tenant_id = $1), \
             (SELECT COUNT(*) FROM follow_ups WHERE tenant_id = $1)",
        )
        .bind(demo.get())
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert_eq!(episodes.len() as i64, placements);
    assert_eq!(
        episodes.iter().map(|e| e.follow_ups.len()).sum::<usize>() as i64,
        follow_ups
    );
    let first = &episodes[0];
    let person = s.get_participant(first.participant_id).await.unwrap();
    assert_eq!(first.birth_date, person.personal_number.birth_date());
    assert!(episodes.iter().any(|e| e.legal_basis.is_some()));
    assert!(episodes.iter().any(|e| e.legal_basis.is_none()));

    // Anonymised: the placeholder identity number is ignored for the kept birth year.
    vidare_store::with_pool!(store, |pool| {
        sqlx::query(
            "UPDATE participants SET anonymised_on = $1, birth_year = 1971 \
             WHERE tenant_id = $2 AND id = $3",
        )
        .bind(chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap())
        .bind(demo.get())
        .bind(first.participant_id.get())
        .execute(pool)
        .await
        .unwrap();
    });
    let again = s.research_episodes().await.unwrap();
    let e = again
        .iter()
        .find(|e| e.placement_id == first.placement_id)
        .unwrap();
    assert_eq!(
        e.birth_date,
        chrono::NaiveDate::from_ymd_opt(1971, 7, 1).unwrap()
    );
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Postgres).await } )* }
    };
}

both!(
    the_page_lists_published_rounds,
    packages_validate_and_hold_no_personal_data,
    tenders_stay_sealed_until_the_deadline,
    research_episodes_load
);
