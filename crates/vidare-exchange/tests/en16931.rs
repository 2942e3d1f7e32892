//! The e-invoices Vidare writes pass the official EN 16931 and Peppol BIS Billing 3.0
//! schematrons; the validator itself is proven on Peppol's examples and on a broken one.

use std::path::PathBuf;

use chrono::NaiveDate;
use vidare_domain::ids::PlacementId;
use vidare_domain::model::invoice::{
    DocumentLine, DocumentParty, InvoiceDocument, InvoiceKind, InvoiceStatus, VatCategory,
};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::YearMonth;
use vidare_exchange::peppol::validate::{repo_root, validate_or_explain};
use vidare_exchange::peppol::{file_name, invoices_csv, ubl_xml, CSV_HEADER};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn line(id: i64, paid: u32, days: u32, price_kr: i64, vat: VatCategory) -> DocumentLine {
    let price = Money::from_kronor(price_kr);
    DocumentLine {
        placement_id: PlacementId(id),
        description: format!("Café & second hand <{id}>"),
        paid_days: paid,
        month_days: days,
        price_per_month: price,
        amount: price.pro_rata(i64::from(paid), i64::from(days)),
        vat,
    }
}

fn document(lines: Vec<DocumentLine>, vat_registered: bool) -> InvoiceDocument {
    InvoiceDocument {
        kind: InvoiceKind::Invoice,
        number: "F202402".into(),
        month: YearMonth::new(2024, 2).unwrap(),
        issue_date: d(2024, 3, 5),
        due_date: d(2024, 4, 4),
        status: InvoiceStatus::Approved,
        buyer_reference: "AME-4711".into(),
        note: None,
        corrects: None,
        seller: DocumentParty {
            name: "Gröna Händer ekonomisk förening".into(),
            org_number: OrganisationNumber::parse("769600-1234").unwrap(),
            street: None,
            postcode: None,
            city: None,
            email: Some("faktura@example.org".into()),
        },
        seller_vat_registered: vat_registered,
        seller_bankgiro: Some("5050-1055".into()),
        buyer: DocumentParty {
            name: "Exempelby kommun".into(),
            org_number: OrganisationNumber::parse("212000-9994").unwrap(),
            street: Some("Rådhusgatan 1".into()),
            postcode: Some("831 82".into()),
            city: Some("Exempelby".into()),
            email: None,
        },
        lines,
    }
}

fn write_all(dir: &tempfile::TempDir, docs: &[(&str, String)]) -> Vec<PathBuf> {
    docs.iter()
        .map(|(name, xml)| {
            let path = dir.path().join(name);
            std::fs::write(&path, xml).unwrap();
            path
        })
        .collect()
}

#[test]
fn the_validator_passes_peppols_examples_and_fails_a_broken_one() {
    let examples = repo_root().join("vendor/en16931/examples");
    let files: Vec<PathBuf> = [
        "base-example.xml",
        "base-creditnote-correction.xml",
        "vat-category-E.xml",
    ]
    .iter()
    .map(|f| examples.join(f))
    .collect();
    let Some(v) = validate_or_explain(&files) else {
        return;
    };
    assert!(v.valid, "official examples failed: {:#?}", v.failures);

    // The same invoice with a wrong amount due and a wrong specification identifier.
    let xml = std::fs::read_to_string(&files[0]).unwrap();
    let broken = xml
        .replace(
            "<cbc:PayableAmount currencyID=\"EUR\">1656.25</cbc:PayableAmount>",
            "<cbc:PayableAmount currencyID=\"EUR\">9999.99</cbc:PayableAmount>",
        )
        .replace(
            vidare_exchange::peppol::CUSTOMIZATION_ID,
            "urn:example:not-peppol",
        );
    assert_ne!(broken, xml, "the mutation must change the example");
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&dir, &[("broken.xml", broken)]);
    let v = validate_or_explain(&files).unwrap();
    assert!(!v.valid);
    assert!(v.failed_rule("BR-CO-16"), "{:#?}", v.failures);
    assert!(v.failed_rule("PEPPOL-EN16931-R004"), "{:#?}", v.failures);
}

#[test]
fn vidares_invoices_and_credit_notes_pass_both_schematrons() {
    let exempt = document(
        vec![
            line(11, 29, 29, 12_500, VatCategory::Exempt),
            line(12, 8, 29, 9_999, VatCategory::Exempt),
            line(13, 0, 29, 11_000, VatCategory::Exempt),
        ],
        true,
    );
    let mixed = document(
        vec![
            line(21, 17, 29, 10_001, VatCategory::Standard),
            line(22, 3, 29, 8_333, VatCategory::Standard),
            line(23, 29, 29, 12_000, VatCategory::Exempt),
        ],
        true,
    );
    let not_registered = {
        let mut doc = document(
            vec![line(31, 26, 29, 10_000, VatCategory::NotSubject)],
            false,
        );
        doc.seller_bankgiro = None;
        doc
    };
    let credit = {
        let mut doc = mixed.clone();
        doc.kind = InvoiceKind::CreditNote;
        doc.number = "K202402-1".into();
        doc.issue_date = d(2024, 3, 20);
        doc.due_date = d(2024, 4, 19);
        doc.note = Some("Fel antal frånvarodagar för placering 21".into());
        doc.corrects = Some(("F202402".into(), d(2024, 3, 5)));
        doc
    };
    assert_eq!(mixed.vat_total(), mixed.vat_breakdown()[1].2);
    let xml: Vec<(&str, String)> = vec![
        ("exempt.xml", ubl_xml(&exempt)),
        ("mixed.xml", ubl_xml(&mixed)),
        ("not-registered.xml", ubl_xml(&not_registered)),
        ("credit.xml", ubl_xml(&credit)),
    ];
    assert!(xml[3].1.contains("<CreditNote ") && xml[3].1.contains("<cbc:CreditNoteTypeCode>381<"));
    assert!(
        xml[3].1.contains("<cbc:ID>F202402</cbc:ID>"),
        "refers to the corrected invoice"
    );
    assert!(
        xml[0].1.contains("&amp; second hand &lt;11&gt;"),
        "text is escaped"
    );
    assert!(xml[0]
        .1
        .contains("<cbc:CompanyID>SE769600123401</cbc:CompanyID>"));
    assert!(
        !xml[2].1.contains("SE769600123401"),
        "no VAT number when not registered"
    );
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&dir, &xml);
    let Some(v) = validate_or_explain(&files) else {
        return;
    };
    assert!(v.valid && v.fatal().is_empty(), "{:#?}", v.failures);
}

#[test]
fn a_wrong_vat_total_is_caught() {
    let doc = document(vec![line(41, 29, 29, 10_000, VatCategory::Standard)], true);
    let xml = ubl_xml(&doc).replacen(
        "<cbc:TaxAmount currencyID=\"SEK\">2500.00</cbc:TaxAmount>",
        "<cbc:TaxAmount currencyID=\"SEK\">2400.00</cbc:TaxAmount>",
        1,
    );
    assert!(xml.contains("2400.00"));
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&dir, &[("wrong-vat.xml", xml)]);
    let Some(v) = validate_or_explain(&files) else {
        return;
    };
    assert!(!v.valid, "a wrong VAT total must fail");
    assert!(
        v.failed_rule("BR-CO-14") || v.failed_rule("BR-CO-15"),
        "{:#?}",
        v.failures
    );
}

#[test]
fn csv_opens_in_swedish_excel() {
    let mut credit = document(vec![line(51, 10, 29, 10_000, VatCategory::Exempt)], true);
    credit.kind = InvoiceKind::CreditNote;
    credit.number = "K202402-1".into();
    credit.corrects = Some(("F202402".into(), d(2024, 3, 5)));
    let invoice = document(vec![line(51, 10, 29, 10_000, VatCategory::Exempt)], true);
    let bytes = invoices_csv(&[invoice.clone(), credit]);
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let rows: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(rows[0], CSV_HEADER.join(";"));
    assert_eq!(rows.len(), 3);
    // 10 000 kr × 10/29 = 3 448,28 kr, with a decimal comma; the credit note negative.
    assert!(rows[1].contains(";3448,28;E;0"), "{}", rows[1]);
    assert!(
        rows[2].starts_with("K202402-1;Kreditnota;F202402;"),
        "{}",
        rows[2]
    );
    assert!(rows[2].contains(";-3448,28;"), "{}", rows[2]);
    assert!(
        rows[1].contains("\"Café & second hand <51>\"")
            || rows[1].contains("Café & second hand <51>")
    );
    assert_eq!(file_name(&invoice), "F202402-7696001234.xml");
}
