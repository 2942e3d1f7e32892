//! Effect measurement in headless Chromium over the demo municipality: management opens
//! the effects dashboard, follows the link to the final report and reads it; the
//! administrator sees the tables by supplier and type and the parameter pages; a visitor
//! sees the public aggregates. Every page passes axe-core (WCAG 2.1 A/AA) without a
//! serious or critical violation and shows no identity number.

mod support;

use std::panic::AssertUnwindSafe;

use fantoccini::Locator;
use futures_util::FutureExt;
use support::{identity_numbers, sign_in, sign_out, Audit, Driver, Server};
use vidare_domain::model::tenant::RoleKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_opens_the_report_and_pages_are_accessible() {
    let server = Server::start().await;
    let driver = Driver::start();
    let client = driver.browser().await;
    let mut audit = Audit::default();
    let outcome = AssertUnwindSafe(async {
        sign_in(&client, &server, RoleKind::Management).await;
        client
            .find(Locator::Css("a[href='/effekter']"))
            .await
            .expect("the menu links to the effects")
            .click()
            .await
            .unwrap();
        assert_eq!(client.current_url().await.unwrap().path(), "/effekter");
        audit.check("management", &client).await;
        let source = client.source().await.unwrap();
        assert!(source.contains("Andel avslut till arbete eller studier"));
        assert!(identity_numbers(&source).is_empty());

        // The report, opened from the dashboard.
        client
            .find(Locator::Css("a[href^='/effekter/rapport?']"))
            .await
            .expect("the dashboard links to the report")
            .click()
            .await
            .unwrap();
        assert_eq!(
            client.current_url().await.unwrap().path(),
            "/effekter/rapport"
        );
        audit.check("management", &client).await;
        let report = client.source().await.unwrap();
        assert!(report.contains("Effektrapport"));
        assert!(report.contains("Balanstabell") || report.contains("Ingen matchad skattning"));
        assert!(identity_numbers(&report).is_empty());
        let charts = client.find_all(Locator::Css("svg.chart")).await.unwrap();
        assert!(charts.len() >= 4, "{} charts", charts.len());
        // The report is a document of its own (no menu): back to the dashboard.
        client.goto(&server.url("/effekter")).await.unwrap();
        sign_out(&client, &server).await;

        // The administrator: tables by supplier and type, the parameter pages.
        sign_in(&client, &server, RoleKind::TenantAdmin).await;
        for path in [
            "/effekter",
            "/effekter/parametrar",
            "/effekter/parametrar/ny",
        ] {
            client.goto(&server.url(path)).await.unwrap();
            audit.check("admin", &client).await;
        }
        client.goto(&server.url("/effekter")).await.unwrap();
        assert!(client.source().await.unwrap().contains("Per leverantör"));
        sign_out(&client, &server).await;

        // A visitor: the public aggregates.
        client
            .goto(&server.url("/effekter/offentlig?kommun=demo"))
            .await
            .unwrap();
        audit.check("public", &client).await;
        let public = client.source().await.unwrap();
        assert!(public.contains("Upphandlade platser"));
        assert!(identity_numbers(&public).is_empty());
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
