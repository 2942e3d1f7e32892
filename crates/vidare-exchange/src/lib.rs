//! Vidare's exchange formats.
//!
//! For now: [`csv_import`], the all-or-nothing import of participants and
//! organisations from CSV files as Swedish spreadsheets save them, and the
//! matching export of the canonical format.

#![warn(missing_docs)]

pub mod csv_import;
pub mod ocds;
pub mod peppol;
pub mod research;
