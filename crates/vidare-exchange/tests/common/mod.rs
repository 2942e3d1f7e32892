//! Helpers shared by the integration tests.
#![allow(dead_code)]

use chrono::NaiveDate;
use vidare_domain::model::organisation::NewOrganisation;
use vidare_domain::model::participant::NewParticipant;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_domain::Numbered;
use vidare_exchange::csv_import::{
    parse_organisations, parse_participants, ImportFailure, RowError,
};

/// The fixed "today" of the tests.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A valid personnummer.
pub fn pn(y: i32, m: u32, d: u32, serial: u16) -> PersonalIdentityNumber {
    PersonalIdentityNumber::from_parts(date(y, m, d), serial, IdentityKind::Personnummer).unwrap()
}

/// A valid personnummer written `YYYYMMDD-NNNC`; `n` picks one of many.
pub fn pns(n: u16) -> String {
    pn(1980, 1 + u32::from(n % 12), 1 + u32::from(n % 28), n).to_string()
}

/// A valid organisation number `NNNNNN-NNNC`; `n` picks one of many.
pub fn orgnr(n: u8) -> String {
    OrganisationNumber::from_payload([8, 0, 2, 4, 0, n / 100, n / 10 % 10, n % 10, 1])
        .unwrap()
        .to_string()
}

/// The canonical Swedish participant header (without `syntetisk`).
pub const P_HEADER: &str = "personnummer;förnamn;efternamn;kön;född_utomlands;utbildningsnivå;månader_försörjningsstöd;hälsobegränsning;svenskanivå;arbetslivserfarenhet";

/// A valid participant row for `P_HEADER`.
pub fn p_row(pnr: &str, first: &str) -> String {
    format!("{pnr};{first};Svensson;kvinna;nej;gymnasial;12;nej;flytande;ja")
}

/// A file of `P_HEADER` and `rows`, LF line ends.
pub fn p_file(rows: &[String]) -> String {
    let mut s = String::from(P_HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s
}

pub fn participants(csv: &str) -> Result<Vec<Numbered<NewParticipant>>, ImportFailure> {
    parse_participants(csv.as_bytes(), today(), false)
}

pub fn organisations(csv: &str) -> Result<Vec<Numbered<NewOrganisation>>, ImportFailure> {
    parse_organisations(csv.as_bytes(), false)
}

/// The row errors of a failed import; panics otherwise.
pub fn row_errors<T: std::fmt::Debug>(result: Result<T, ImportFailure>) -> Vec<RowError> {
    match result {
        Err(ImportFailure::Rows(errors)) => errors,
        other => panic!("expected row errors, got {other:?}"),
    }
}

/// The (Swedish, English) messages of an unreadable file; panics otherwise.
pub fn unreadable<T: std::fmt::Debug>(result: Result<T, ImportFailure>) -> (String, String) {
    match result {
        Err(ImportFailure::Unreadable {
            message_sv,
            message_en,
        }) => (message_sv, message_en),
        other => panic!("expected an unreadable file, got {other:?}"),
    }
}

/// (line, column) of each error.
pub fn places(errors: &[RowError]) -> Vec<(u64, Option<&str>)> {
    errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect()
}
