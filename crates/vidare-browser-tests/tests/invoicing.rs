//! Invoicing in headless Chromium over the demo municipality: the municipality approves a
//! supplier's December attendance, fills in its buyer details, creates the month's
//! invoices, approves and sends the supplier's invoice, downloads its Peppol BIS Billing
//! 3.0 UBL — which passes the official EN 16931 and Peppol schematrons — and credits it;
//! the supplier sees the invoice, its payments and income by month in the portal and
//! downloads the same document. Every invoicing page passes axe-core (WCAG 2.1 A/AA)
//! without a serious or critical violation, and no page the supplier sees shows an
//! identity number.

mod support;

use std::panic::AssertUnwindSafe;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::json;
use support::{identity_numbers, sign_in, sign_out, Audit, Driver, Server};
use vidare_domain::model::tenant::RoleKind;
use vidare_exchange::peppol::validate::validate_or_explain;
use vidare_store::repo::invoices::InvoiceFilter;
use vidare_store::repo::Page;

/// The demo's last month with attendance: submitted, not yet approved.
const MONTH: &str = "2025-12";

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
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

/// Clicks what submits a form or follows a link, waits until the browser has left the
/// current page (its document is gone), then for the new page's confirmation: the page
/// before may carry a confirmation of its own, which must not be mistaken for this one.
async fn submit(client: &Client, css: &str) {
    let old = client.find(Locator::Css("html")).await.unwrap();
    click(client, css).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while old.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "{css}: the page did not change within 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    notice(client).await;
}

async fn notice(client: &Client) {
    client
        .wait()
        .for_element(Locator::Css(".notice.ok"))
        .await
        .unwrap();
}

async fn source(client: &Client) -> String {
    client.source().await.unwrap()
}

/// Downloads `path` with the browser's own session, as the link on the page would.
async fn fetch(client: &Client, path: &str) -> (u64, String) {
    let v = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.text().then(t => done([r.status, t])))
               .catch(e => done([0, String(e)]));",
            vec![json!(path)],
        )
        .await
        .unwrap();
    (v[0].as_u64().unwrap(), v[1].as_str().unwrap().to_string())
}

fn validate(name: &str, xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, xml).unwrap();
    if let Some(v) = validate_or_explain(std::slice::from_ref(&path)) {
        assert!(v.valid, "{name} fails EN 16931: {:#?}", v.fatal());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_invoice_download_validate_and_credit() {
    let server = Server::start().await;
    let store = server.db.store.clone();
    let s = store.tenant(server.tenant);
    // The supplier account belongs to the first organisation (see support::Server).
    let org = s.list_organisations(Page::first(1000)).await.unwrap()[0].clone();

    let driver = Driver::start();
    let client = driver.browser().await;
    let mut audit = Audit::default();
    let outcome = AssertUnwindSafe(async {
        // --- the municipality approves the supplier's December attendance.
        sign_in(&client, &server, RoleKind::TenantAdmin).await;
        client
            .goto(&server.url(&format!("/narvaro/{MONTH}")))
            .await
            .unwrap();
        submit(
            &client,
            &format!(
                "form:has(input[name='organisation_id'][value='{}']) button",
                org.id.get()
            ),
        )
        .await;

        // --- the buyer details, then the month's invoices.
        client
            .goto(&server.url(&format!("/fakturor?manad={MONTH}")))
            .await
            .unwrap();
        audit.check("tenant_admin", &client).await;
        assert!(source(&client)
            .await
            .contains("organisationsnummer och referens saknas"));
        click(&client, "main a[href='/fakturor/installningar']").await;
        audit.check("tenant_admin", &client).await;
        for (id, value) in [
            ("org_number", "212000-9994"),
            ("buyer_reference", "AME-4711"),
            ("city", "Storsjö"),
        ] {
            let e = client.find(Locator::Id(id)).await.unwrap();
            e.clear().await.unwrap();
            e.send_keys(value).await.unwrap();
        }
        submit(
            &client,
            "form[action='/fakturor/installningar'] button[type='submit']",
        )
        .await;
        audit.check("tenant_admin", &client).await;

        client
            .goto(&server.url(&format!("/fakturor?manad={MONTH}")))
            .await
            .unwrap();
        set_value(&client, "month", MONTH).await;
        set_value(&client, "issue_date", "2026-01-05").await;
        submit(
            &client,
            "form[action='/fakturor/skapa'] button[type='submit']",
        )
        .await;
        audit.check("tenant_admin", &client).await;
        let created = s
            .list_invoices(&InvoiceFilter {
                month: Some(MONTH.parse().unwrap()),
                organisation: Some(org.id),
                status: None,
            })
            .await
            .unwrap();
        assert_eq!(created.len(), 1, "one invoice for the supplier's month");
        let id = created[0].id;
        assert_eq!(created[0].number, "F202512");

        // --- approve and send it on its page.
        client
            .goto(&server.url(&format!("/fakturor/{id}")))
            .await
            .unwrap();
        audit.check("tenant_admin", &client).await;
        for expected in ["approved", "sent"] {
            submit(&client, "#next-step").await;
            let status = client
                .find(Locator::Id("invoice-status"))
                .await
                .unwrap()
                .attr("data-status")
                .await
                .unwrap();
            assert_eq!(status.as_deref(), Some(expected));
        }
        audit.check("tenant_admin", &client).await;
        let href = client
            .find(Locator::Id("download-ubl"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let (status, xml) = fetch(&client, &href).await;
        assert_eq!(status, 200);
        assert!(xml.contains("<cbc:ID>F202512</cbc:ID>"));
        assert!(xml.contains(&format!(
            "<cbc:EndpointID schemeID=\"0007\">{}</cbc:EndpointID>",
            org.org_number.canonical()
        )));
        validate("invoice.xml", &xml);
        let (status, csv) = fetch(&client, &format!("/fakturor/export.csv?manad={MONTH}")).await;
        assert_eq!(status, 200);
        // (fetch's text() drops the byte-order mark; the router tests check it.)
        assert!(csv.contains("\r\nF202512;Faktura;;sent;"), "{csv}");

        // --- credit it: a new document, the original untouched.
        let e = client.find(Locator::Id("reason")).await.unwrap();
        e.send_keys("Fel antal frånvarodagar").await.unwrap();
        set_value(&client, "credit_issue_date", "2026-01-20").await;
        submit(&client, "form[action$='/kreditera'] button[type='submit']").await;
        assert!(source(&client).await.contains("K202512-1"));
        audit.check("tenant_admin", &client).await;
        submit(&client, "#next-step").await;
        let href = client
            .find(Locator::Id("download-ubl"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let (_, credit) = fetch(&client, &href).await;
        assert!(credit.contains("<CreditNote "));
        validate("credit-note.xml", &credit);
        let (original, _) = s.get_invoice(id).await.unwrap();
        assert_eq!(original.status.as_str(), "sent");
        sign_out(&client, &server).await;

        // --- the supplier sees its invoice, payments and income by month.
        sign_in(&client, &server, RoleKind::SupplierUser).await;
        client.goto(&server.url("/portal/fakturor")).await.unwrap();
        audit.check("supplier_user", &client).await;
        let page = source(&client).await;
        assert!(page.contains("F202512"), "the sent invoice is listed");
        assert!(page.contains(&format!("<th scope=\"row\">{MONTH}</th>")));
        let found = identity_numbers(&page);
        assert!(found.is_empty(), "the supplier's invoices show {found:?}");
        let (status, xml) = fetch(&client, &format!("/portal/fakturor/{id}/ubl.xml")).await;
        assert_eq!(status, 200);
        validate("portal-invoice.xml", &xml);
        sign_out(&client, &server).await;
    })
    .catch_unwind()
    .await;
    client.close().await.ok();
    drop(driver);
    server.stop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    audit.finish();
}
