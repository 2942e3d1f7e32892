//! The UBL 2.1 writer. Hand-built XML: every text and attribute value goes through
//! [`escape`], and elements are written in the order the UBL schema requires.

use std::fmt::Write;

use vidare_domain::model::invoice::{DocumentParty, InvoiceDocument, InvoiceKind, VatCategory};
use vidare_domain::money::Money;

/// BT-24: Peppol BIS Billing 3.0 on EN 16931.
pub const CUSTOMIZATION_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
/// BT-23: the Peppol billing process.
pub const PROFILE_ID: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

/// ISO 6523 ICD of the Swedish organisation number (Bolagsverket).
const SCHEME_SE_ORGNR: &str = "0007";
const CURRENCY: &str = "SEK";

/// The file name of a document in an export: `F202403-5560000001.xml`, unique per
/// supplier (the invoice number is) and per tenant (with the organisation number).
pub fn file_name(doc: &InvoiceDocument) -> String {
    let safe: String = doc
        .number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}-{}.xml", doc.seller.org_number.canonical())
}

/// Escapes text and attribute values for XML 1.0, dropping characters XML cannot hold.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn open(&mut self, tag: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}>");
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{tag}>");
    }

    fn text(&mut self, tag: &str, value: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}>{}</{tag}>", escape(value));
    }

    fn attr_text(&mut self, tag: &str, attr: &str, attr_value: &str, value: &str) {
        self.indent();
        let _ = writeln!(
            self.out,
            "<{tag} {attr}=\"{}\">{}</{tag}>",
            escape(attr_value),
            escape(value)
        );
    }

    fn amount(&mut self, tag: &str, m: Money) {
        self.attr_text(tag, "currencyID", CURRENCY, &m.format_decimal());
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
}

fn party(x: &mut Xml, p: &DocumentParty, vat_number: Option<&str>) {
    x.open("cac:Party");
    let orgnr = p.org_number.canonical();
    x.attr_text("cbc:EndpointID", "schemeID", SCHEME_SE_ORGNR, &orgnr);
    x.open("cac:PartyName");
    x.text("cbc:Name", &p.name);
    x.close("cac:PartyName");
    x.open("cac:PostalAddress");
    if let Some(street) = &p.street {
        x.text("cbc:StreetName", street);
    }
    if let Some(city) = &p.city {
        x.text("cbc:CityName", city);
    }
    if let Some(postcode) = &p.postcode {
        x.text("cbc:PostalZone", postcode);
    }
    x.open("cac:Country");
    x.text("cbc:IdentificationCode", "SE");
    x.close("cac:Country");
    x.close("cac:PostalAddress");
    if let Some(vat) = vat_number {
        x.open("cac:PartyTaxScheme");
        x.text("cbc:CompanyID", vat);
        x.open("cac:TaxScheme");
        x.text("cbc:ID", "VAT");
        x.close("cac:TaxScheme");
        x.close("cac:PartyTaxScheme");
    }
    x.open("cac:PartyLegalEntity");
    x.text("cbc:RegistrationName", &p.name);
    x.attr_text("cbc:CompanyID", "schemeID", SCHEME_SE_ORGNR, &orgnr);
    x.close("cac:PartyLegalEntity");
    if let Some(email) = &p.email {
        x.open("cac:Contact");
        x.text("cbc:ElectronicMail", email);
        x.close("cac:Contact");
    }
    x.close("cac:Party");
}

/// A tax category: its code, its rate (not for O, BR-O-05) and, without VAT, the
/// exemption reason.
fn tax_category(x: &mut Xml, tag: &str, cat: VatCategory, with_reason: bool) {
    x.open(tag);
    x.text("cbc:ID", cat.as_str());
    if cat != VatCategory::NotSubject {
        x.text("cbc:Percent", &cat.percent().to_string());
    }
    if with_reason {
        if let Some((code, reason)) = cat.exemption() {
            x.text("cbc:TaxExemptionReasonCode", code);
            x.text("cbc:TaxExemptionReason", reason);
        }
    }
    x.open("cac:TaxScheme");
    x.text("cbc:ID", "VAT");
    x.close("cac:TaxScheme");
    x.close(tag);
}

/// The Peppol BIS Billing 3.0 UBL document: an `Invoice` (type code 380) or a
/// `CreditNote` (381) that refers to the invoice it corrects. Amounts of a credit note
/// are positive, as UBL requires.
pub fn ubl_xml(doc: &InvoiceDocument) -> String {
    let credit = doc.kind == InvoiceKind::CreditNote;
    let (root, ns, line_tag, qty_tag) = if credit {
        (
            "CreditNote",
            "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
            "cac:CreditNoteLine",
            "cbc:CreditedQuantity",
        )
    } else {
        (
            "Invoice",
            "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            "cac:InvoiceLine",
            "cbc:InvoicedQuantity",
        )
    };
    let mut x = Xml {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 1,
    };
    let _ = writeln!(
        x.out,
        "<{root} xmlns=\"{ns}\" \
         xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" \
         xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">"
    );
    x.text("cbc:CustomizationID", CUSTOMIZATION_ID);
    x.text("cbc:ProfileID", PROFILE_ID);
    x.text("cbc:ID", &doc.number);
    x.text("cbc:IssueDate", &doc.issue_date.to_string());
    if credit {
        x.text("cbc:CreditNoteTypeCode", "381");
    } else {
        x.text("cbc:DueDate", &doc.due_date.to_string());
        x.text("cbc:InvoiceTypeCode", "380");
    }
    if let Some(note) = &doc.note {
        x.text("cbc:Note", note);
    }
    x.text("cbc:DocumentCurrencyCode", CURRENCY);
    x.text("cbc:BuyerReference", &doc.buyer_reference);
    x.open("cac:InvoicePeriod");
    x.text("cbc:StartDate", &doc.month.first_day().to_string());
    x.text("cbc:EndDate", &doc.month.last_day().to_string());
    x.close("cac:InvoicePeriod");
    if let Some((number, issued)) = &doc.corrects {
        x.open("cac:BillingReference");
        x.open("cac:InvoiceDocumentReference");
        x.text("cbc:ID", number);
        x.text("cbc:IssueDate", &issued.to_string());
        x.close("cac:InvoiceDocumentReference");
        x.close("cac:BillingReference");
    }
    let vat_number = doc.seller_vat_number();
    x.open("cac:AccountingSupplierParty");
    party(&mut x, &doc.seller, vat_number.as_deref());
    x.close("cac:AccountingSupplierParty");
    x.open("cac:AccountingCustomerParty");
    party(&mut x, &doc.buyer, None);
    x.close("cac:AccountingCustomerParty");

    if let Some(bankgiro) = &doc.seller_bankgiro {
        let digits: String = bankgiro.chars().filter(char::is_ascii_digit).collect();
        x.open("cac:PaymentMeans");
        x.text("cbc:PaymentMeansCode", "30");
        if credit {
            x.text("cbc:PaymentDueDate", &doc.due_date.to_string());
        }
        x.text("cbc:PaymentID", &doc.number);
        x.open("cac:PayeeFinancialAccount");
        x.text("cbc:ID", &digits);
        x.open("cac:FinancialInstitutionBranch");
        x.text("cbc:ID", "SE:BANKGIRO");
        x.close("cac:FinancialInstitutionBranch");
        x.close("cac:PayeeFinancialAccount");
        x.close("cac:PaymentMeans");
    }
    if !credit {
        x.open("cac:PaymentTerms");
        let days = (doc.due_date - doc.issue_date).num_days();
        x.text("cbc:Note", &format!("{days} dagar netto"));
        x.close("cac:PaymentTerms");
    }

    let breakdown = doc.vat_breakdown();
    let vat_total: Money = breakdown.iter().map(|(_, _, v)| *v).sum();
    x.open("cac:TaxTotal");
    x.amount("cbc:TaxAmount", vat_total);
    for (cat, taxable, vat) in &breakdown {
        x.open("cac:TaxSubtotal");
        x.amount("cbc:TaxableAmount", *taxable);
        x.amount("cbc:TaxAmount", *vat);
        tax_category(&mut x, "cac:TaxCategory", *cat, true);
        x.close("cac:TaxSubtotal");
    }
    x.close("cac:TaxTotal");

    let net = doc.net_total();
    x.open("cac:LegalMonetaryTotal");
    x.amount("cbc:LineExtensionAmount", net);
    x.amount("cbc:TaxExclusiveAmount", net);
    x.amount("cbc:TaxInclusiveAmount", net + vat_total);
    x.amount("cbc:PayableAmount", net + vat_total);
    x.close("cac:LegalMonetaryTotal");

    for (i, line) in doc.lines.iter().enumerate() {
        x.open(line_tag);
        x.text("cbc:ID", &(i + 1).to_string());
        x.text(
            "cbc:Note",
            &format!(
                "{} av {} dagar i {}",
                line.paid_days, line.month_days, doc.month
            ),
        );
        x.attr_text(qty_tag, "unitCode", "DAY", &line.paid_days.to_string());
        x.amount("cbc:LineExtensionAmount", line.amount);
        x.open("cac:Item");
        x.text("cbc:Name", &line.description);
        x.open("cac:SellersItemIdentification");
        x.text("cbc:ID", &format!("placering-{}", line.placement_id));
        x.close("cac:SellersItemIdentification");
        tax_category(&mut x, "cac:ClassifiedTaxCategory", line.vat, false);
        x.close("cac:Item");
        // Price per month for a base quantity of the month's days: quantity × price /
        // base quantity is the pro-rata line amount (Peppol R120).
        x.open("cac:Price");
        x.amount("cbc:PriceAmount", line.price_per_month);
        x.attr_text(
            "cbc:BaseQuantity",
            "unitCode",
            "DAY",
            &line.month_days.to_string(),
        );
        x.close("cac:Price");
        x.close(line_tag);
    }
    let _ = writeln!(x.out, "</{root}>");
    x.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape("Café & <Söner> \"AB\" 'x'\u{1}"),
            "Café &amp; &lt;Söner&gt; &quot;AB&quot; &apos;x&apos;"
        );
    }
}
