//! The placement flow in headless Chromium over the demo municipality: a case worker
//! registers a participant and refers them to a supplier with a free place; the supplier
//! accepts in its portal and reports the month's attendance for all its participants on
//! one screen; the case worker approves the month, which locks it. Every page on the way
//! passes axe-core (WCAG 2.1 A/AA) without a serious or critical violation, and no page
//! the supplier sees shows an identity number.

mod support;

use std::panic::AssertUnwindSafe;

use chrono::Utc;
use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::json;
use support::{identity_numbers, sign_in, sign_out, wait_until_path, Audit, Driver, Server};
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::ParticipantId;
use vidare_domain::model::placement::{working_days_in, AttendanceStatus};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::tenant::RoleKind;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::repo::casework::AttendanceReport;
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};
use vidare_store::repo::Page;
use vidare_store::StoreError;

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let e = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Sets a field's value directly (date inputs take keys in the browser's locale order).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

async fn select(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_string()
}

async fn source(client: &Client) -> String {
    client.source().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refer_accept_report_and_approve() {
    let server = Server::start().await;
    let store = server.db.store.clone();
    let s = store.tenant(server.tenant);
    let today = stockholm_today(Utc::now());
    let month = YearMonth::of(today);
    // The supplier account belongs to the first organisation (see support::Server).
    let org = s.list_organisations(Page::first(1000)).await.unwrap()[0].clone();
    // A placement type of its own with an agreement in force and free places, so the
    // flow does not depend on how full the demo's agreements are today.
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("webbtest-tradgard").unwrap(),
            name_sv: Text::parse("Trädgård (webbtest)").unwrap(),
            name_en: Text::parse("Gardening (browser test)").unwrap(),
        })
        .await
        .unwrap();
    let agreement = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: org.id,
            placement_type_id: pt,
            capacity: 3,
            price_per_month: Money::from_kronor(6_000),
            period: DateRange::new(
                month.prev().first_day(),
                Some(month.next().next().last_day()),
            )
            .unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    // A personnummer nobody in the demo has.
    let mut serial = 900;
    let pnr = loop {
        let p = PersonalIdentityNumber::from_parts(
            chrono::NaiveDate::from_ymd_opt(1986, 4, 9).unwrap(),
            serial,
            IdentityKind::Personnummer,
        )
        .unwrap();
        if s.participant_by_personal_number(&p)
            .await
            .unwrap()
            .is_none()
        {
            break p;
        }
        serial += 1;
    };
    let typed = pnr.short_form(today);

    let driver = Driver::start();
    let client = driver.browser().await;
    let mut audit = Audit::default();
    let outcome = AssertUnwindSafe(async {
        // --- the case worker registers and refers.
        sign_in(&client, &server, RoleKind::CaseWorker).await;
        client.goto(&server.url("/deltagare/ny")).await.unwrap();
        audit.check("case_worker", &client).await;
        // A bad personnummer first: the form again, with the field's Swedish message.
        type_into(&client, "#personal_number", "860409-0000").await;
        click(
            &client,
            "form[action='/deltagare/ny'] button[type='submit']",
        )
        .await;
        client
            .wait()
            .for_element(Locator::Css(".error-summary"))
            .await
            .unwrap();
        assert!(source(&client)
            .await
            .contains("id=\"personal_number-error\""));
        audit.check("case_worker (invalid form)", &client).await;
        type_into(&client, "#personal_number", &typed).await;
        type_into(&client, "#first_name", "Webbina").await;
        type_into(&client, "#last_name", "Testdotter").await;
        select(&client, "gender", "female").await;
        select(&client, "education", "primary").await;
        select(&client, "swedish_level", "basic").await;
        type_into(&client, "#months_on_income_support", "26").await;
        for f in ["born_abroad", "health_limitation", "prior_work_experience"] {
            click(&client, &format!("input[name='{f}'][value='nej']")).await;
        }
        click(
            &client,
            "form[action='/deltagare/ny'] button[type='submit']",
        )
        .await;
        wait_until_path(&client, |p| {
            p.starts_with("/deltagare/") && p != "/deltagare/ny"
        })
        .await;
        let participant_path = path(&client).await;
        let participant: i64 = participant_path
            .trim_start_matches("/deltagare/")
            .parse()
            .unwrap();
        assert!(source(&client).await.contains("Webbina Testdotter"));
        audit.check("case_worker", &client).await;

        click(
            &client,
            &format!("a[href='/deltagare/{participant}/anvisa']"),
        )
        .await;
        wait_until_path(&client, |p| p.ends_with("/anvisa")).await;
        audit.check("case_worker", &client).await;
        select(&client, "typ", &pt.get().to_string()).await;
        click(&client, "form[method='get'] button[type='submit']").await;
        client
            .wait()
            .for_element(Locator::Css(&format!("#a{}", agreement.get())))
            .await
            .unwrap();
        assert!(source(&client).await.contains(org.name.as_str()));
        audit.check("case_worker", &client).await;
        click(&client, &format!("#a{}", agreement.get())).await;
        type_into(
            &client,
            "#reason",
            "Vill arbeta utomhus; leverantören är rankad först.",
        )
        .await;
        click(&client, "form[method='post'] button[type='submit']").await;
        wait_until_path(&client, |p| p == participant_path).await;
        assert!(source(&client).await.contains("Deltagaren är anvisad"));
        audit.check("case_worker", &client).await;
        for p in ["/uppfoljningar", "/narvaro"] {
            client.goto(&server.url(p)).await.unwrap();
            audit.check("case_worker", &client).await;
        }
        sign_out(&client, &server).await;

        // --- the supplier accepts and reports the month.
        sign_in(&client, &server, RoleKind::SupplierUser).await;
        let mut supplier_pages = Vec::new();
        client.goto(&server.url("/portal")).await.unwrap();
        audit.check("supplier_user", &client).await;
        supplier_pages.push(source(&client).await);
        click(&client, "nav.section-nav a[href='/portal/anvisningar']").await;
        wait_until_path(&client, |p| p == "/portal/anvisningar").await;
        audit.check("supplier_user", &client).await;
        supplier_pages.push(source(&client).await);
        let referral = s
            .referrals_of_participant(ParticipantId(participant))
            .await
            .unwrap()[0]
            .id;
        click(
            &client,
            &format!("th a[href='/portal/anvisningar/{}']", referral.get()),
        )
        .await;
        wait_until_path(&client, |p| p.starts_with("/portal/anvisningar/")).await;
        audit.check("supplier_user", &client).await;
        supplier_pages.push(source(&client).await);
        set_value(&client, "start", &today.to_string()).await;
        set_value(
            &client,
            "planned_end",
            &month.next().next().last_day().to_string(),
        )
        .await;
        type_into(&client, "#hours_per_week", "20").await;
        type_into(&client, "#goals", "Grönyteskötsel och säsongsarbete").await;
        click(&client, "input[value='acceptera'] ~ button[type='submit']").await;
        wait_until_path(&client, |p| p == "/portal/anvisningar").await;
        assert!(source(&client).await.contains("placeringen startad"));
        audit.check("supplier_user", &client).await;
        supplier_pages.push(source(&client).await);

        let attendance_path = format!("/portal/narvaro/{month}");
        client.goto(&server.url(&attendance_path)).await.unwrap();
        audit.check("supplier_user", &client).await;
        supplier_pages.push(source(&client).await);
        let ours = s
            .placements_of_participant(ParticipantId(participant))
            .await
            .unwrap()[0]
            .id;
        // Every line on the one screen: ours with a few hours, the others with none.
        let hours = client
            .find_all(Locator::Css("input[name^='h_']"))
            .await
            .unwrap();
        assert!(!hours.is_empty());
        for h in hours {
            let name = h.attr("name").await.unwrap().unwrap();
            h.clear().await.unwrap();
            let value = if name == format!("h_{}", ours.get()) {
                if working_days_in(month, &DateRange::new(today, None).unwrap()) > 0 {
                    "4,5"
                } else {
                    "0"
                }
            } else {
                "0"
            };
            h.send_keys(value).await.unwrap();
        }
        click(&client, "button#month").await;
        client
            .wait()
            .for_element(Locator::Css(".notice.ok"))
            .await
            .unwrap();
        assert!(source(&client).await.contains("Närvaron är inskickad"));
        audit.check("supplier_user", &client).await;
        supplier_pages.push(source(&client).await);
        for (i, page) in supplier_pages.iter().enumerate() {
            let found = identity_numbers(page);
            assert!(found.is_empty(), "supplier page {i} shows {found:?}");
            assert!(!page.contains(&pnr.canonical()) && !page.contains(&typed));
        }
        sign_out(&client, &server).await;

        // --- the case worker approves the month; it locks.
        sign_in(&client, &server, RoleKind::CaseWorker).await;
        client
            .goto(&server.url(&format!("/narvaro/{month}")))
            .await
            .unwrap();
        audit.check("case_worker", &client).await;
        client
            .goto(&server.url(&format!("/narvaro/{month}?leverantor={}", org.id.get())))
            .await
            .unwrap();
        assert!(source(&client).await.contains("Webbina Testdotter"));
        audit.check("case_worker", &client).await;
        click(
            &client,
            &format!(
                "form:has(input[name='organisation_id'][value='{}']) button",
                org.id.get()
            ),
        )
        .await;
        client
            .wait()
            .for_element(Locator::Css(".notice.ok"))
            .await
            .unwrap();
        assert!(source(&client)
            .await
            .contains("Månaden är godkänd och låst."));
        audit.check("case_worker", &client).await;
        client
            .goto(&server.url(&format!("/placeringar/{}", ours.get())))
            .await
            .unwrap();
        assert!(source(&client).await.contains("Grönyteskötsel"));
        audit.check("case_worker", &client).await;
        sign_out(&client, &server).await;

        // Locked: the stored month is approved and a change is refused by the store.
        let a = s.attendance_of_placement(ours).await.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].status, AttendanceStatus::Approved);
        let refused = s
            .submit_attendance(
                org.id,
                month,
                &[AttendanceReport {
                    placement_id: ours,
                    attended_minutes: 60,
                    sick_days: 0,
                    leave_days: 0,
                    unexcused_days: 0,
                }],
                Utc::now(),
            )
            .await;
        assert!(
            matches!(&refused, Err(StoreError::Rule(v)) if v.field == "month"),
            "{refused:?}"
        );
        sign_in(&client, &server, RoleKind::SupplierUser).await;
        client.goto(&server.url(&attendance_path)).await.unwrap();
        let locked = source(&client).await;
        assert!(locked.contains("Månaden är godkänd och låst."));
        assert!(identity_numbers(&locked).is_empty());
        audit.check("supplier_user (locked)", &client).await;
    })
    .catch_unwind()
    .await;
    client.close().await.unwrap();
    drop(driver);
    server.stop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    audit.finish();
}
