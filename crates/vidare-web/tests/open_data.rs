//! Open data over HTTP, on both backends: the public page lists the demo's published
//! rounds (never one being planned), the packages at the public URLs validate against
//! the OCDS schema with their extensions and codelists, tenders stay sealed until the
//! deadline, no personal data is published, and bad URLs get a 404 problem. The
//! municipality's administrator stores its OCID prefix on the page (validated, audited,
//! used by the packages); the buyer is identified by the municipality's organisation
//! number; the demo's award decision letters name the awarded suppliers.

mod adminkit;
mod support;

use axum::http::{header, StatusCode};
use chrono::Utc;
use serde_json::Value;
use vidare_domain::deadline::Deadline;
use vidare_domain::ids::{RoundId, TenantId};
use vidare_domain::model::procurement::{
    ContractKind, ContractPeriod, CpvCode, LegalBasis, RoundStatus,
};
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_exchange::ocds::validate::validate_package;
use vidare_store::repo::procurement::{NewLot, NewRound};
use vidare_store::BackendKind;

use adminkit::{add_user, session};
use support::{email, Browser, TestApp};

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

/// A published round of `tenant` whose tender deadline has passed, so its package
/// exists.
async fn past_round(app: &TestApp, tenant: TenantId) -> RoundId {
    app.db
        .store
        .tenant(tenant)
        .insert_round(&NewRound {
            title: Text::parse("Prefixprov").unwrap(),
            reference: None,
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![CpvCode::parse("85312320-8").unwrap()],
            estimated_value: Money::from_kronor(900_000),
            contract_period: ContractPeriod::new(
                chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                24,
                0,
            )
            .unwrap(),
            tender_deadline: Some(Deadline::parse("2024-10-01T12:00").unwrap()),
            status: RoundStatus::Evaluation,
            synthetic: true,
        })
        .await
        .unwrap()
}

async fn ocids(app: &TestApp, round: RoundId) -> Vec<String> {
    let r = app
        .get(
            &mut Browser::default(),
            &format!("/oppen-data/ocds/{}.json", round.get()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = json(&r.body);
    assert_valid(&p);
    p["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rel| rel["ocid"].as_str().unwrap().to_string())
        .collect()
}

async fn prefix_updates(app: &TestApp) -> i64 {
    vidare_store::with_pool!(&app.db.store, |pool| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND action = 'update' \
             AND entity = 'tenants' AND after_json LIKE '%ocid_prefix%'",
        )
        .bind(app.tenant.get())
        .fetch_one(pool)
        .await
        .unwrap()
    })
}

/// The administrator stores the municipality's OCID prefix on the open-data page: a
/// malformed one is refused with a message naming the field and nothing stored; a good
/// one is audited and used by the packages before the test prefix; an empty field
/// removes it again. Nobody else sees the form.
async fn the_administrator_sets_the_ocid_prefix(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let round = past_round(&app, app.tenant).await;
    assert!(ocids(&app, round)
        .await
        .iter()
        .all(|o| o.starts_with("ocds-213czf-test-")));

    // The public and other roles get no form.
    let page = app.get(&mut Browser::default(), "/oppen-data").await;
    assert!(!page.body.contains("name=\"ocid_prefix\""));
    let (mut officer, _) = session(store, app.tenant, &email(RoleKind::ProcurementOfficer)).await;
    let page = app.get(&mut officer, "/oppen-data").await;
    assert!(!page.body.contains("name=\"ocid_prefix\""));

    let (mut admin, csrf) = session(store, app.tenant, &email(RoleKind::TenantAdmin)).await;
    let page = app.get(&mut admin, "/oppen-data").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"ocid_prefix\""), "{}", page.body);
    assert!(page.body.contains("standardens testprefix"));

    // Refused, in Swedish naming the field; nothing stored, nothing audited.
    for bad in [
        "ocds-ABC123",
        "ocds-abc12",
        "ocid-abc123",
        "ocds-abc1234",
        "ocds-åäö123",
    ] {
        let r = app
            .post_form(
                &mut admin,
                "/oppen-data/installningar",
                &[("ocid_prefix", bad)],
                &csrf,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            r.body.contains("OCID-prefix: ange ocds-"),
            "{bad}: {}",
            r.body
        );
        assert!(r.body.contains("aria-invalid=\"true\""));
        assert_eq!(store.tenant_ocid_prefix(app.tenant).await.unwrap(), None);
    }
    assert_eq!(prefix_updates(&app).await, 0);
    // In English too.
    admin.cookies.push(("vidare_lang".into(), "en".into()));
    let r = app
        .post_form(
            &mut admin,
            "/oppen-data/installningar",
            &[("ocid_prefix", "nope")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("OCID prefix: enter ocds-"), "{}", r.body);
    admin.cookies.retain(|(k, _)| k != "vidare_lang");

    // Stored, audited, and used.
    let r = app
        .post_form(
            &mut admin,
            "/oppen-data/installningar",
            &[("ocid_prefix", " ocds-abc123 ")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        store
            .tenant_ocid_prefix(app.tenant)
            .await
            .unwrap()
            .as_deref(),
        Some("ocds-abc123")
    );
    assert_eq!(prefix_updates(&app).await, 1);
    assert!(ocids(&app, round)
        .await
        .iter()
        .all(|o| o == &format!("ocds-abc123-test-{}", round.get())));
    let page = app.get(&mut admin, "/oppen-data?sparat=1").await;
    assert!(page.body.contains("Inställningarna är sparade."));
    assert!(page.body.contains("value=\"ocds-abc123\""));
    assert!(page.body.contains("sparat för kommunen"));
    let public = app.get(&mut Browser::default(), "/oppen-data").await;
    assert!(public.body.contains("<code>ocds-abc123</code>"));

    // Only the administrator may post it.
    let r = app
        .post_form(
            &mut officer,
            "/oppen-data/installningar",
            &[("ocid_prefix", "ocds-zzz999")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Removed again: back to the test prefix of a synthetic tenant.
    let r = app
        .post_form(
            &mut admin,
            "/oppen-data/installningar",
            &[("ocid_prefix", "")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(store.tenant_ocid_prefix(app.tenant).await.unwrap(), None);
    assert_eq!(prefix_updates(&app).await, 2);
    assert!(ocids(&app, round)
        .await
        .iter()
        .all(|o| o.starts_with("ocds-213czf-test-")));
    let report = store.tenant(app.tenant).verify_audit().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// A real (not synthetic) tenant publishes only once it has a prefix; stored for the
/// tenant, its rounds are published under it.
async fn a_real_tenant_publishes_once_its_prefix_is_stored(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let real = store
        .insert_tenant(&vidare_store::repo::tenants::NewTenant {
            slug: vidare_domain::model::Slug::parse("riktig").unwrap(),
            name: Text::parse("Riktiga kommunen").unwrap(),
            municipality_code: None,
            synthetic: false,
        })
        .await
        .unwrap();
    let round = past_round(&app, real).await;
    let mut b = Browser::default();
    let r = app
        .get(&mut b, &format!("/oppen-data/ocds/{}.json", round.get()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("OCID-prefix"), "{}", r.body);
    store
        .tenant(real)
        .set_ocid_prefix(Some("ocds-r1k7ig"))
        .await
        .unwrap();
    assert!(ocids(&app, round)
        .await
        .iter()
        .all(|o| o == &format!("ocds-r1k7ig-riktig-{}", round.get())));
    // The store refuses a malformed prefix itself.
    let e = store
        .tenant(real)
        .set_ocid_prefix(Some("ocds-X"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ocid_prefix") || format!("{e:?}").contains("ocid_prefix"));
}

/// The buyer party carries the municipality's organisation number (from its invoicing
/// buyer details) as its identifier, and the package still validates.
async fn the_buyer_is_identified_by_its_organisation_number(kind: BackendKind) {
    let (app, demo) = with_demo(kind).await;
    let mut b = Browser::default();
    // Without buyer details: named by the short name.
    let p = json(
        &app.get(&mut b, "/oppen-data/ocds.json?kommun=demo")
            .await
            .body,
    );
    assert_eq!(p["releases"][0]["buyer"]["id"], "buyer-demo");
    app.db
        .store
        .tenant(demo)
        .save_invoicing_settings(&vidare_store::repo::invoices::InvoicingSettings {
            org_number: vidare_domain::orgnr::OrganisationNumber::parse("212000-9994").unwrap(),
            buyer_reference: Text::parse("Arbetsmarknadsenheten").unwrap(),
            street: None,
            postcode: None,
            city: None,
            payment_days: 30,
        })
        .await
        .unwrap();
    let r = app.get(&mut b, "/oppen-data/ocds.json?kommun=demo").await;
    assert_eq!(r.status, StatusCode::OK);
    let p = json(&r.body);
    assert_valid(&p);
    assert_eq!(p["publisher"]["scheme"], "SE-BLV");
    assert_eq!(p["publisher"]["uid"], "2120009994");
    let releases = p["releases"].as_array().unwrap();
    assert!(!releases.is_empty());
    for rel in releases {
        assert_eq!(rel["buyer"]["id"], "SE-BLV-2120009994");
        let buyer = &rel["parties"][0];
        assert_eq!(buyer["id"], "SE-BLV-2120009994");
        assert_eq!(buyer["identifier"]["scheme"], "SE-BLV");
        assert_eq!(buyer["identifier"]["id"], "2120009994");
        assert_eq!(buyer["identifier"]["legalName"], rel["buyer"]["name"]);
        assert!(buyer["roles"]
            .as_array()
            .unwrap()
            .contains(&Value::from("buyer")));
    }
    // One round's package too.
    let (public, _) = round_ids(&app, demo).await;
    let one = json(
        &app.get(
            &mut b,
            &format!("/oppen-data/ocds/{}.json", public[0].get()),
        )
        .await
        .body,
    );
    assert_valid(&one);
    assert_eq!(one["releases"][0]["buyer"]["id"], "SE-BLV-2120009994");
}

/// The demo's reserved round has its award results: the decision page and every
/// tenderer's decision letter name the suppliers awarded a place, and the OCDS award
/// release lists them.
async fn the_demo_award_letters_name_the_awarded_suppliers(kind: BackendKind) {
    let (app, demo) = with_demo(kind).await;
    let store = &app.db.store;
    let s = store.tenant(demo);
    add_user(
        store,
        demo,
        "upphandlare@demo.test",
        Role::ProcurementOfficer,
    )
    .await;
    let (mut b, _) = session(store, demo, "upphandlare@demo.test").await;
    let mut decided = 0;
    for round in s.list_rounds().await.unwrap() {
        let Some((_, results)) = s.award_of_round(round.id).await.unwrap() else {
            continue;
        };
        decided += 1;
        let awarded: Vec<_> = results.iter().filter(|r| r.awarded).collect();
        assert!(!awarded.is_empty());
        assert!(results.iter().any(|r| !r.awarded), "an unqualified tender");
        let agreements = s.agreements_of_round(round.id).await.unwrap();
        assert_eq!(awarded.len(), agreements.len());
        for a in &awarded {
            assert!(agreements
                .iter()
                .any(|g| g.organisation_id == a.organisation_id
                    && g.lot_id == Some(a.lot_id)
                    && g.rank == a.rank));
        }
        let plain = |n: &str| !n.contains(['&', '\'', '"', '<', '>']);
        let page = app
            .get(
                &mut b,
                &format!("/upphandlingar/{}/tilldelning", round.id.get()),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for a in awarded.iter().filter(|a| plain(&a.organisation_name)) {
            assert!(
                page.body.contains(&a.organisation_name),
                "{}",
                a.organisation_name
            );
        }
        // The letter to an awarded tenderer names it and its lot's winners; the letter to
        // an unqualified tenderer names the winners of the lots it tendered for.
        let winner = awarded
            .iter()
            .find(|a| plain(&a.organisation_name))
            .expect("a plainly named supplier");
        let letter = app
            .get(
                &mut b,
                &format!(
                    "/upphandlingar/{}/tilldelning/{}",
                    round.id.get(),
                    winner.bid_id.get()
                ),
            )
            .await;
        assert_eq!(letter.status, StatusCode::OK, "{}", letter.body);
        assert!(letter.body.contains(&winner.organisation_name));
        let loser = results.iter().find(|r| !r.awarded).unwrap();
        let letter = app
            .get(
                &mut b,
                &format!(
                    "/upphandlingar/{}/tilldelning/{}",
                    round.id.get(),
                    loser.bid_id.get()
                ),
            )
            .await;
        assert_eq!(letter.status, StatusCode::OK);
        let lot_winners: Vec<_> = awarded
            .iter()
            .filter(|a| a.lot_id == loser.lot_id && plain(&a.organisation_name))
            .collect();
        for w in &lot_winners {
            assert!(
                letter.body.contains(&w.organisation_name),
                "{}",
                w.organisation_name
            );
        }
        // Open data: the award release lists every awarded supplier.
        let p = json(
            &app.get(
                &mut Browser::default(),
                &format!("/oppen-data/ocds/{}.json", round.id.get()),
            )
            .await
            .body,
        );
        let award = p["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["tag"][0] == "award")
            .expect("an award release");
        let suppliers: usize = award["awards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["suppliers"].as_array().unwrap().len())
            .sum();
        assert_eq!(suppliers, awarded.len());
    }
    assert_eq!(decided, 1, "the demo's reserved round is decided");
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
    research_episodes_load,
    the_administrator_sets_the_ocid_prefix,
    a_real_tenant_publishes_once_its_prefix_is_stored,
    the_buyer_is_identified_by_its_organisation_number,
    the_demo_award_letters_name_the_awarded_suppliers
);
