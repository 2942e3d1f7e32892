//! Open data in headless Chromium over the demo municipality: a visitor who is not
//! signed in goes from the start page to the open-data page, which lists the published
//! rounds, follows a round's download link and gets a valid OCDS package; the page
//! passes axe-core (WCAG 2.1 A/AA) without a serious or critical violation, in Swedish
//! and in English, and shows no identity number.

mod support;

use std::panic::AssertUnwindSafe;

use fantoccini::Locator;
use futures_util::FutureExt;
use support::{identity_numbers, Audit, Driver, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_finds_and_downloads_open_data() {
    let server = Server::start().await;
    let driver = Driver::start();
    let client = driver.browser().await;
    let mut audit = Audit::default();
    let outcome = AssertUnwindSafe(async {
        client.goto(&server.url("/")).await.unwrap();
        client
            .find(Locator::Css("a[href='/oppen-data']"))
            .await
            .expect("the start page links to open data")
            .click()
            .await
            .unwrap();
        let url = client.current_url().await.unwrap();
        assert_eq!(url.path(), "/oppen-data");
        audit.check("public", &client).await;
        let source = client.source().await.unwrap();
        assert!(source.contains("Öppna data om upphandlingar"));
        assert!(identity_numbers(&source).is_empty());

        // A round's download link gives its package.
        let link = client
            .find(Locator::Css("a[href^='/oppen-data/ocds/']"))
            .await
            .expect("a published round is listed")
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let body: String = client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 fetch(arguments[0]).then(r => r.text()).then(done);",
                vec![serde_json::json!(link)],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        let package: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(package["version"], "1.1");
        assert!(!package["releases"].as_array().unwrap().is_empty());

        // In English.
        client
            .goto(&server.url("/sprak?lang=en&next=/oppen-data"))
            .await
            .unwrap();
        let source = client.source().await.unwrap();
        assert!(source.contains("Open data on procurement"), "{source}");
        audit.check("public (en)", &client).await;
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
