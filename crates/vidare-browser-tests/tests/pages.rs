//! Every role signs in through the real form in headless Chromium, walks the pages its
//! menu shows, and every page passes axe-core's WCAG 2.1 A/AA rules without a serious or
//! critical violation. A supplier's pages show no personnummer; signing out ends the
//! session.

mod support;

use std::panic::AssertUnwindSafe;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use support::{
    identity_numbers, local_links, sign_in, sign_out, wait_until_path, Audit, Driver, Server,
};
use vidare_domain::model::tenant::RoleKind;

/// Visits `path` unless it (or the page it redirects to) was checked already; records
/// axe's findings and returns the landed path and the page's source.
async fn visit(
    audit: &mut Audit,
    seen: &mut Vec<String>,
    who: &str,
    client: &Client,
    server: &Server,
    path: &str,
) -> Option<(String, String)> {
    if seen.iter().any(|p| p == path) {
        return None;
    }
    seen.push(path.to_string());
    client.goto(&server.url(path)).await.unwrap();
    let landed = client.current_url().await.unwrap().path().to_string();
    if landed != path {
        if seen.contains(&landed) {
            return None;
        }
        seen.push(landed.clone());
    }
    audit.check(who, client).await;
    Some((landed, client.source().await.unwrap()))
}

/// Walks what `role` reaches: the menu's pages, the account page, and the first entry
/// each list links to (a case file, say). Returns (path, source) of every page.
async fn walk(
    audit: &mut Audit,
    client: &Client,
    server: &Server,
    role: RoleKind,
) -> Vec<(String, String)> {
    let who = role.as_str();
    let mut pages = Vec::new();
    // The dashboard the sign-in landed on.
    audit.check(who, client).await;
    pages.push(("/oversikt".to_string(), client.source().await.unwrap()));
    let menu = local_links(client, server, "nav.site-nav a").await;
    assert!(!menu.is_empty(), "{who} sees a menu");
    let mut seen: Vec<String> = vec!["/oversikt".into()];
    // Pages reached from within a page rather than the menu: the suppliers' meeting
    // registrations (linked from the tenders list) and the open-data page, where an
    // admin also sees the publishing settings form.
    let extra: Vec<String> = match role {
        RoleKind::SupplierUser => vec!["/portal/moten".into()],
        RoleKind::TenantAdmin => vec!["/oppen-data".into()],
        _ => Vec::new(),
    };
    // The account page last: signing out uses its form.
    for path in menu
        .iter()
        .chain(extra.iter())
        .chain(["/konto".to_string()].iter())
    {
        let Some((landed, source)) = visit(audit, &mut seen, who, client, server, path).await
        else {
            continue;
        };
        pages.push((landed.clone(), source));
        // One level deeper: the first entry a list links to under its own path.
        let prefix = format!("{landed}/");
        let deeper = local_links(client, server, "main a").await;
        // Downloads (JSON, CSV, XML, PDF) are not pages.
        let download = |p: &str| {
            [".json", ".csv", ".xml", ".pdf", ".zip", ".parquet"]
                .iter()
                .any(|ext| p.split('?').next().unwrap_or(p).ends_with(ext))
        };
        if let Some(first) = deeper
            .into_iter()
            .find(|p| p.starts_with(&prefix) && !download(p))
        {
            if let Some(page) = visit(audit, &mut seen, who, client, server, &first).await {
                pages.push(page);
            }
        }
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_and_the_public_pages_pass_axe() {
    let server = Server::start().await;
    let driver = Driver::start();
    let client = driver.browser().await;
    let mut audit = Audit::default();

    // A failure inside still closes the browser, so no Chromium outlives the test.
    let outcome = AssertUnwindSafe(async {
        // The public pages.
        for path in ["/", "/logga-in", "/api/docs"] {
            client.goto(&server.url(path)).await.unwrap();
            let landed = client.current_url().await.unwrap().path().to_string();
            if path == "/api/docs" && landed != path {
                continue; // not served (yet), or behind sign-in: checked with a role below
            }
            audit.check("public", &client).await;
        }
        // A failed sign-in: the form again, with its error summary.
        client.goto(&server.url("/logga-in")).await.unwrap();
        client
            .find(Locator::Css("#email"))
            .await
            .unwrap()
            .send_keys("ingen@browser.test.example")
            .await
            .unwrap();
        client
            .find(Locator::Css("#password"))
            .await
            .unwrap()
            .send_keys("fel lösenord")
            .await
            .unwrap();
        client
            .find(Locator::Css(
                "form[action='/logga-in'] button[type='submit']",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .wait()
            .for_element(Locator::Css(".error-summary"))
            .await
            .unwrap();
        audit.check("public (wrong password)", &client).await;
        // The public pages in English, reached through the language switch.
        client.goto(&server.url("/")).await.unwrap();
        client
            .find(Locator::Css(".user-tools a[lang='en']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_until_path(&client, |p| p == "/").await;
        let lang: serde_json::Value = client
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap();
        assert_eq!(
            lang, "en",
            "the language switch changes the page's language"
        );
        audit.check("public (en)", &client).await;
        client.goto(&server.url("/logga-in")).await.unwrap();
        audit.check("public (en)", &client).await;
        client
            .find(Locator::Css(".user-tools a[lang='sv']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_until_path(&client, |p| p == "/logga-in").await;

        // Each role in turn, in the same browser: sign in, walk, sign out.
        for role in RoleKind::ALL {
            sign_in(&client, &server, *role).await;
            let pages = walk(&mut audit, &client, &server, *role).await;
            match role {
                RoleKind::SupplierUser => {
                    for (path, source) in &pages {
                        let found = identity_numbers(source);
                        assert!(
                            found.is_empty(),
                            "a supplier's page {path} shows identity numbers: {found:?}"
                        );
                    }
                }
                // The check above can fail: the case worker's list shows numbers.
                RoleKind::CaseWorker => {
                    let list = pages
                        .iter()
                        .find(|(p, _)| p == "/deltagare")
                        .expect("a case worker reaches the participant list");
                    assert!(
                        !identity_numbers(&list.1).is_empty(),
                        "the participant list shows identity numbers to a case worker"
                    );
                }
                _ => {}
            }
            sign_out(&client, &server).await;
        }
    })
    .catch_unwind()
    .await;
    // The check can fail: a page with known violations fails the audit, naming them.
    let control = AssertUnwindSafe(async {
        client
            .goto("data:text/html,<html><body><input type=text><img src=x></body></html>")
            .await
            .unwrap();
        let mut control = Audit::default();
        control.check("control (broken on purpose)", &client).await;
        control
    })
    .catch_unwind()
    .await;
    client.close().await.unwrap();
    drop(driver);
    server.stop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    let control = control.unwrap_or_else(|p| std::panic::resume_unwind(p));
    let verdict = std::panic::catch_unwind(AssertUnwindSafe(|| control.finish()));
    let message = verdict
        .expect_err("the audit fails on a page with serious violations")
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    for rule in ["html-has-lang", "label", "image-alt", "<img src=\"x\">"] {
        assert!(
            message.contains(rule),
            "the failure names {rule}: {message}"
        );
    }
    audit.finish();
}
