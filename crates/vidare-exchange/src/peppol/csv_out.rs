//! Invoices as CSV for Swedish spreadsheets: UTF-8 with a byte-order mark (so Excel
//! recognises the encoding), `;` between fields, CRLF line ends, decimal comma. One row
//! per invoice line; amounts of credit notes are negative so that a column sum is the
//! net amount.

use vidare_domain::model::invoice::{InvoiceDocument, InvoiceKind};
use vidare_domain::money::Money;

/// The header row.
pub const CSV_HEADER: [&str; 18] = [
    "Nummer",
    "Typ",
    "Krediterar",
    "Status",
    "Leverantör",
    "Organisationsnummer",
    "Månad",
    "Fakturadatum",
    "Förfallodatum",
    "Referens",
    "Placering",
    "Beskrivning",
    "Betalda dagar",
    "Dagar i månaden",
    "Månadspris",
    "Belopp exkl. moms",
    "Momskategori",
    "Momssats %",
];

/// The CSV of the documents' lines, BOM first.
pub fn invoices_csv(docs: &[InvoiceDocument]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(&mut out);
        w.write_record(CSV_HEADER).expect("writing to memory");
        for doc in docs {
            let (kind, sign) = match doc.kind {
                InvoiceKind::Invoice => ("Faktura", 1),
                InvoiceKind::CreditNote => ("Kreditnota", -1),
            };
            let signed = |m: Money| Money::from_ore(m.ore() * sign).format_plain_sv();
            for line in &doc.lines {
                w.write_record([
                    doc.number.as_str(),
                    kind,
                    doc.corrects.as_ref().map_or("", |(n, _)| n.as_str()),
                    doc.status.as_str(),
                    doc.seller.name.as_str(),
                    &doc.seller.org_number.to_string(),
                    &doc.month.to_string(),
                    &doc.issue_date.to_string(),
                    &doc.due_date.to_string(),
                    doc.buyer_reference.as_str(),
                    &line.placement_id.to_string(),
                    line.description.as_str(),
                    &line.paid_days.to_string(),
                    &line.month_days.to_string(),
                    &line.price_per_month.format_plain_sv(),
                    &signed(line.amount),
                    line.vat.as_str(),
                    &line.vat.percent().to_string(),
                ])
                .expect("writing to memory");
            }
        }
        w.flush().expect("writing to memory");
    }
    out
}
