//! E-invoices: Peppol BIS Billing 3.0 UBL documents (Invoice and CreditNote) and a CSV
//! that Swedish Excel opens correctly, both pure functions of an
//! [`InvoiceDocument`](vidare_domain::model::invoice::InvoiceDocument).
//!
//! The seller is the supplier, the buyer the municipality, both identified by their
//! Swedish organisation numbers (ISO 6523 scheme 0007) as Peppol endpoint and legal
//! registration. VAT is per line: exempt (E, with the VATEX exemption reason), standard
//! 25 % (S), or outside the scope of VAT (O) when the supplier is not registered.
//! Amounts are in SEK with two decimals, VAT rounded per category as EN 16931 requires.
//! The documents are checked against the official schematrons by
//! `scripts/validate-en16931` (see `tests/en16931.rs`).

mod csv_out;
mod ubl;
pub mod validate;

pub use csv_out::{invoices_csv, CSV_HEADER};
pub use ubl::{file_name, ubl_xml, CUSTOMIZATION_ID, PROFILE_ID};
