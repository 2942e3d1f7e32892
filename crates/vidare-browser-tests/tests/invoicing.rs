//! Credit notes in headless Chromium over the demo municipality. The road to a sent
//! invoice (approving attendance, the buyer details, creating the month's invoices,
//! approving, sending, the Peppol UBL and its validation, payment, the supplier's
//! portal) is driven through the browser for one participant in `placements.rs`; here
//! the store brings the demo supplier's December invoice that far, and the municipality
//! credits it in the browser: a new document, approved, whose Peppol BIS Billing 3.0
//! UBL passes the official EN 16931 and Peppol schematrons, the original untouched and
//! no longer creditable, both in the month's CSV; the supplier sees the credit note and
//! the month's income netted to zero in the portal and downloads the same document.
//! Every page passes axe-core (WCAG 2.1 A/AA) without a serious or critical violation,
//! and no page the supplier sees shows an identity number.

mod support;

use std::panic::AssertUnwindSafe;

use chrono::{NaiveDate, Utc};
use fantoccini::Locator;
use futures_util::FutureExt;
use support::{
    fetch, identity_numbers, row_cells, set_value, sign_in, sign_out, source, submit, type_into,
    validate_ubl, Audit, Driver, Server,
};
use vidare_domain::model::invoice::{InvoiceKind, InvoiceStatus};
use vidare_domain::model::tenant::RoleKind;
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::YearMonth;
use vidare_store::repo::invoices::{InvoiceFilter, InvoicingSettings};
use vidare_store::repo::Page;

/// The demo's last month with attendance: submitted, not yet approved.
const MONTH: &str = "2025-12";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_a_sent_invoice() {
    let server = Server::start().await;
    let store = server.db.store.clone();
    let s = store.tenant(server.tenant);
    let month: YearMonth = MONTH.parse().unwrap();
    // The supplier account belongs to the first organisation (see support::Server).
    let org = s.list_organisations(Page::first(1000)).await.unwrap()[0].clone();

    // December, approved, invoiced, approved and sent (placements.rs drives this road
    // through the browser).
    s.approve_attendance(org.id, month, Utc::now())
        .await
        .unwrap();
    s.save_invoicing_settings(&InvoicingSettings {
        org_number: OrganisationNumber::parse("212000-9994").unwrap(),
        buyer_reference: Text::parse("AME-4711").unwrap(),
        street: None,
        postcode: None,
        city: Some(Text::parse("Storsjö").unwrap()),
        payment_days: 30,
    })
    .await
    .unwrap();
    s.create_invoices_for_month(month, NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())
        .await
        .unwrap();
    let filter = InvoiceFilter {
        month: Some(month),
        organisation: Some(org.id),
        status: None,
    };
    let created = s.list_invoices(&filter).await.unwrap();
    assert_eq!(created.len(), 1, "one invoice for the supplier's month");
    let id = created[0].id;
    assert_eq!(created[0].number, "F202512");
    for to in [InvoiceStatus::Approved, InvoiceStatus::Sent] {
        s.set_invoice_status(id, to, None).await.unwrap();
    }

    let driver = Driver::start();
    let client = driver.browser().await;
    let mut audit = Audit::default();
    let outcome = AssertUnwindSafe(async {
        // --- the municipality credits the sent invoice: a new document.
        sign_in(&client, &server, RoleKind::TenantAdmin).await;
        client
            .goto(&server.url(&format!("/fakturor/{id}")))
            .await
            .unwrap();
        audit.check("tenant_admin", &client).await;
        type_into(&client, "#reason", "Fel antal frånvarodagar").await;
        set_value(&client, "credit_issue_date", "2026-01-20").await;
        submit(&client, "form[action$='/kreditera'] button[type='submit']").await;
        let page = source(&client).await;
        assert!(page.contains("K202512-1"));
        assert!(
            page.contains(&format!("<a href=\"/fakturor/{id}\">F202512</a>")),
            "the credit note links the invoice it corrects"
        );
        audit.check("tenant_admin", &client).await;
        submit(&client, "#next-step").await;
        let status = client
            .find(Locator::Id("invoice-status"))
            .await
            .unwrap()
            .attr("data-status")
            .await
            .unwrap();
        assert_eq!(status.as_deref(), Some("approved"));
        let href = client
            .find(Locator::Id("download-ubl"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let (status, credit) = fetch(&client, &href).await;
        assert_eq!(status, 200);
        assert!(credit.contains("<CreditNote "));
        assert!(credit.contains("<cbc:ID>K202512-1</cbc:ID>"));
        assert!(credit.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
        let reference = credit
            .split("<cac:BillingReference>")
            .nth(1)
            .and_then(|r| r.split("</cac:BillingReference>").next())
            .expect("the credit note refers to an invoice");
        assert!(
            reference.contains("<cbc:ID>F202512</cbc:ID>")
                && reference.contains("<cbc:IssueDate>2026-01-05</cbc:IssueDate>"),
            "{reference}"
        );
        validate_ubl("credit-note.xml", &credit);

        // The original is untouched, and credited once only.
        let (original, _) = s.get_invoice(id).await.unwrap();
        assert_eq!(original.status, InvoiceStatus::Sent);
        let documents = s.list_invoices(&filter).await.unwrap();
        let note = documents
            .iter()
            .find(|d| d.kind == InvoiceKind::CreditNote)
            .expect("the credit note is stored");
        assert_eq!(note.corrects, Some(id));
        assert_eq!(note.total, original.total);
        client
            .goto(&server.url(&format!("/fakturor/{id}")))
            .await
            .unwrap();
        let page = source(&client).await;
        assert!(page.contains(&format!("<a href=\"/fakturor/{}\">K202512-1</a>", note.id)));
        assert!(
            !page.contains("/kreditera"),
            "an invoice already credited offers no second credit"
        );
        audit.check("tenant_admin", &client).await;
        let (status, csv) = fetch(&client, &format!("/fakturor/export.csv?manad={MONTH}")).await;
        assert_eq!(status, 200);
        // (fetch's text() drops the byte-order mark; the router tests check it.)
        assert!(csv.contains("\r\nF202512;Faktura;;sent;"), "{csv}");
        assert!(
            csv.contains("\r\nK202512-1;Kreditnota;F202512;approved;"),
            "{csv}"
        );
        sign_out(&client, &server).await;

        // --- the supplier sees the credit note; December nets to zero.
        sign_in(&client, &server, RoleKind::SupplierUser).await;
        client.goto(&server.url("/portal/fakturor")).await.unwrap();
        audit.check("supplier_user", &client).await;
        let page = source(&client).await;
        assert!(page.contains("F202512") && page.contains("K202512-1"));
        let income = row_cells(&client, "main", MONTH).await;
        assert_eq!(
            income[..3],
            [MONTH.to_string(), "2".into(), Money::ZERO.format_sv()],
            "December: the invoice and its credit note, net zero: {income:?}"
        );
        let found = identity_numbers(&page);
        assert!(found.is_empty(), "the supplier's invoices show {found:?}");
        let (status, xml) = fetch(&client, &format!("/portal/fakturor/{}/ubl.xml", note.id)).await;
        assert_eq!(status, 200);
        assert_eq!(xml, credit, "the supplier downloads the same document");
        validate_ubl("portal-credit-note.xml", &xml);
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
