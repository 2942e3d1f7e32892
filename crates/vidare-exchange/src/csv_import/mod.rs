//! All-or-nothing import of participants and organisations from CSV, and the
//! canonical export that the import reads back.
//!
//! # The format read
//!
//! - Bytes in UTF-8, with or without a byte-order mark. Anything else (such as
//!   Excel's older "CSV (semikolonavgränsad)" in Windows-1252) is refused with a
//!   message telling the user to save as "CSV UTF-8".
//! - Fields separated by `;` or `,`, whichever occurs more often outside quotes
//!   in the header line (`;` on a tie). Quoting as in RFC 4180; CRLF, LF or CR
//!   line ends; empty lines, and lines whose every cell is empty, are skipped.
//! - A header line naming the columns, in Swedish or English, in any order and
//!   case, with spaces, underscores and hyphens interchangeable and `å`, `ä`,
//!   `ö`, `é` also accepted as `a`, `a`, `o`, `e`.
//! - Line numbers are physical lines of the file, the header being line 1, so
//!   they match what a text editor shows (and, without line breaks inside
//!   cells, the row numbers of a spreadsheet).
//!
//! # All or nothing
//!
//! A file with any problem imports nothing: [`ImportFailure::Unreadable`] when
//! the file as a whole cannot be used (encoding, header), otherwise
//! [`ImportFailure::Rows`] with every bad cell of every bad row, each with its
//! line, the column name as written in the file, and the reason in Swedish and
//! English.

use std::fmt;

use chrono::NaiveDate;
use vidare_domain::model::organisation::NewOrganisation;
use vidare_domain::model::participant::NewParticipant;
use vidare_domain::{Lang, Localized, Numbered};

mod cells;
mod header;
mod organisations;
mod participants;
mod reader;
mod writer;

/// One problem with one row of the file: a cell that cannot be read, a rule
/// broken, a number repeated from an earlier line, or a row with the wrong
/// number of fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The physical line of the file (1-based; the header is line 1).
    pub line: u64,
    /// The column as written in the file's header, or `None` when the problem
    /// concerns the whole row (such as the wrong number of fields).
    pub column: Option<String>,
    /// What is wrong and what to write instead, in Swedish.
    pub message_sv: String,
    /// What is wrong and what to write instead, in English.
    pub message_en: String,
}

impl RowError {
    /// The reason in `lang`, without line and column.
    pub fn reason(&self, lang: Lang) -> &str {
        match lang {
            Lang::Sv => &self.message_sv,
            Lang::En => &self.message_en,
        }
    }
}

/// `rad 12, kolumn personnummer: …` (Swedish) or `line 12, column personnummer: …`
/// (English); without the column part when the error concerns the whole row.
impl Localized for RowError {
    fn message(&self, lang: Lang) -> String {
        let (line_word, column_word) = match lang {
            Lang::Sv => ("rad", "kolumn"),
            Lang::En => ("line", "column"),
        };
        match &self.column {
            Some(column) => format!(
                "{line_word} {}, {column_word} {column}: {}",
                self.line,
                self.reason(lang)
            ),
            None => format!("{line_word} {}: {}", self.line, self.reason(lang)),
        }
    }
}

/// The English form of [`Localized::message`].
impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// Why nothing was imported. `Display` gives a one-line English summary; use
/// [`ImportFailure::report`] for the full report in either language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFailure {
    /// The file as a whole cannot be read: not UTF-8, empty, no header, a
    /// required column missing, an unknown or repeated column, …
    #[error("{message_en}")]
    Unreadable {
        /// What is wrong with the file and how to fix it, in Swedish.
        message_sv: String,
        /// What is wrong with the file and how to fix it, in English.
        message_en: String,
    },
    /// Every bad row, sorted by line, then by the order of the columns in the
    /// file (an error about the whole row comes first).
    #[error("{}", summary(.0, Lang::En))]
    Rows(Vec<RowError>),
}

impl ImportFailure {
    /// A report for people, in `lang`.
    ///
    /// For [`ImportFailure::Unreadable`], the message itself. For
    /// [`ImportFailure::Rows`], a first line summing up ("Inget importerades:
    /// 3 fel på 2 rader.") followed by one line per error, such as
    /// `rad 12, kolumn personnummer: Kontrollsiffran stämmer inte. …`. Every
    /// error is listed however many there are: the caller decides how much
    /// to show. Lines are separated by `\n`, without a final line break.
    pub fn report(&self, lang: Lang) -> String {
        match self {
            ImportFailure::Unreadable {
                message_sv,
                message_en,
            } => match lang {
                Lang::Sv => message_sv.clone(),
                Lang::En => message_en.clone(),
            },
            ImportFailure::Rows(errors) => {
                let mut out = summary(errors, lang);
                for error in errors {
                    out.push('\n');
                    out.push_str(&error.message(lang));
                }
                out
            }
        }
    }

    /// Builds an [`ImportFailure::Unreadable`].
    pub(crate) fn unreadable(sv: impl Into<String>, en: impl Into<String>) -> Self {
        ImportFailure::Unreadable {
            message_sv: sv.into(),
            message_en: en.into(),
        }
    }
}

/// Same as [`ImportFailure::report`].
impl Localized for ImportFailure {
    fn message(&self, lang: Lang) -> String {
        self.report(lang)
    }
}

/// "Inget importerades: 3 fel på 2 rader." / "Nothing was imported: 3 errors on 2 lines."
fn summary(errors: &[RowError], lang: Lang) -> String {
    let count = errors.len();
    let mut lines = 0usize;
    let mut last = None;
    for error in errors {
        if last != Some(error.line) {
            lines += 1;
            last = Some(error.line);
        }
    }
    match lang {
        Lang::Sv => format!(
            "Inget importerades: {count} fel på {lines} {}. Rätta raderna nedan och importera filen igen.",
            if lines == 1 { "rad" } else { "rader" }
        ),
        Lang::En => format!(
            "Nothing was imported: {count} {} on {lines} {}. Correct the lines below and import the file again.",
            if count == 1 { "error" } else { "errors" },
            if lines == 1 { "line" } else { "lines" }
        ),
    }
}

/// Reads participants from a CSV file (see the [module documentation](self)
/// for the format), all or nothing.
///
/// Columns, by their canonical Swedish name (English alias in brackets):
/// `personnummer` (`personal_number`, also `pnr`, `samordningsnummer`),
/// `förnamn` (`first_name`), `efternamn` (`last_name`), `kön` (`gender`, may
/// be absent or empty: unknown), `född_utomlands` (`born_abroad`),
/// `utbildningsnivå` (`education`, may be absent or empty: unknown),
/// `månader_försörjningsstöd` (`months_on_income_support`),
/// `hälsobegränsning` (`health_limitation`), `svenskanivå` (`swedish_level`),
/// `arbetslivserfarenhet` (`prior_work_experience`) and, optionally,
/// `syntetisk` (`synthetic`), which where filled in overrides `synthetic` for
/// that row.
///
/// `today` decides the century of 10-digit identity numbers and refuses birth
/// dates in the future. A number given twice (in any form) is an error on the
/// later line.
pub fn parse_participants(
    input: &[u8],
    today: NaiveDate,
    synthetic: bool,
) -> Result<Vec<Numbered<NewParticipant>>, ImportFailure> {
    participants::parse(input, today, synthetic)
}

/// Reads organisations from a CSV file (see the [module documentation](self)
/// for the format), all or nothing.
///
/// Columns, by their canonical Swedish name (English alias in brackets):
/// `organisationsnummer` (`org_number`, also `orgnr`), `namn` (`name`),
/// `juridisk_form` (`legal_form`), `idéburen` (`idea_driven`), and the
/// optional `registrerad_idéburen` (`in_idea_driven_register`, default no),
/// `antal_sysselsatta` (`headcount_total`) with `varav_målgrupp`
/// (`headcount_target_groups`) — both or neither, `omsättning`
/// (`annual_turnover`, not negative), `epost` (`email`) and `syntetisk`
/// (`synthetic`), which where filled in overrides `synthetic` for that row.
///
/// An organisation number given twice is an error on the later line.
pub fn parse_organisations(
    input: &[u8],
    synthetic: bool,
) -> Result<Vec<Numbered<NewOrganisation>>, ImportFailure> {
    organisations::parse(input, synthetic)
}

/// Writes participants in the canonical format, which Swedish Excel opens
/// correctly and [`parse_participants`] reads back to the same values: UTF-8
/// with a byte-order mark, `;` between fields, CRLF line ends, the Swedish
/// header, identity numbers as `YYYYMMDD-NNNC`, yes/no as `ja`/`nej` and the
/// enumerations in Swedish words (`kvinna`, `gymnasial`, `medel`, …).
pub fn write_participants_csv<W: std::io::Write>(
    rows: &[NewParticipant],
    out: W,
) -> std::io::Result<()> {
    participants::write(rows, out)
}

/// Writes organisations in the canonical format, which Swedish Excel opens
/// correctly and [`parse_organisations`] reads back to the same values: as
/// [`write_participants_csv`], with organisation numbers as `NNNNNN-NNNN`,
/// legal forms by their Swedish names and turnover as `1234,50`.
pub fn write_organisations_csv<W: std::io::Write>(
    rows: &[NewOrganisation],
    out: W,
) -> std::io::Result<()> {
    organisations::write(rows, out)
}
