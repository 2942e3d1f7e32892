//! Research exports: one row per participant episode (placement), pseudonymised.
//!
//! A researcher gets what an evaluation needs and nothing that names anyone:
//!
//! - **keyed pseudonyms** for the person, the episode and the supplier:
//!   HMAC-SHA256 under a key that is random per export unless one is supplied, so the
//!   same person has the same pseudonym in every row of an export (and across exports
//!   made with the same key), and nobody without the key can go back from a pseudonym
//!   to an id — nor test a guessed id, since the key is 256 random bits. The key is never
//!   written into the export; the codebook holds only its SHA-256 fingerprint, so two
//!   exports can be seen to share a key;
//! - **coarsened covariates**: age band at the start of the placement instead of the
//!   birth date (which only the identity number holds), months on income support in
//!   bands, calendar months instead of dates; durations in whole days;
//! - the exit outcome, time to work or studies with its censoring flag, the follow-ups
//!   at 3, 6 and 12 months, the placement type and how the agreement was procured.
//!
//! No identity number, name, address, free text or internal id is ever in the output.
//! [`episodes`] builds the rows from plain input; [`write_csv`], [`write_parquet`] and
//! [`codebook_markdown`]/[`codebook_csv`] write them.

mod parquet_out;

pub use parquet_out::{read_parquet, write_parquet};

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use vidare_domain::model::participant::Covariates;
use vidare_domain::model::placement::{
    ExitOutcome, FollowUpPoint, FollowUpStatus, IndicatorCategory,
};
use vidare_domain::period::YearMonth;

/// A pseudonymisation key: 32 bytes.
#[derive(Clone)]
pub struct PseudonymKey([u8; 32]);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PseudonymKey({})", self.fingerprint())
    }
}

/// Why a key file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the key must be 64 hexadecimal digits (32 bytes)")]
pub struct BadKey;

impl PseudonymKey {
    /// A fresh random key from the operating system's generator.
    pub fn random() -> PseudonymKey {
        use rand::RngCore;
        let mut k = [0u8; 32];
        // ThreadRng: a ChaCha-based CSPRNG seeded from the operating system.
        rand::rng().fill_bytes(&mut k);
        PseudonymKey(k)
    }

    /// A key from a key file's text: 64 hexadecimal digits (surrounding white space is
    /// ignored).
    pub fn from_hex(text: &str) -> Result<PseudonymKey, BadKey> {
        let t = text.trim();
        if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadKey);
        }
        let mut k = [0u8; 32];
        for (i, chunk) in t.as_bytes().chunks(2).enumerate() {
            let s = std::str::from_utf8(chunk).map_err(|_| BadKey)?;
            k[i] = u8::from_str_radix(s, 16).map_err(|_| BadKey)?;
        }
        Ok(PseudonymKey(k))
    }

    /// The key as 64 hexadecimal digits (for writing a key file the user asked for).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first 16 hexadecimal digits of the key's SHA-256: tells keys apart, reveals
    /// nothing of them.
    pub fn fingerprint(&self) -> String {
        let h = Sha256::digest(self.0);
        h.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// The pseudonym of `kind` number `id` in tenant `tenant`: 20 hexadecimal digits
    /// (80 bits) of HMAC-SHA256 over `kind:tenant:id`.
    pub fn pseudonym(&self, kind: &str, tenant: i64, id: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(format!("{kind}:{tenant}:{id}").as_bytes());
        let out = mac.finalize().into_bytes();
        out.iter().take(10).map(|b| format!("{b:02x}")).collect()
    }
}

/// How the agreement a placement ran under was procured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Procurement {
    /// An agreement from a round with this legal basis code (`reserved_integration`,
    /// `reserved_idea_driven`, `not_reserved`).
    Round(&'static str),
    /// An agreement from before the procurement rounds (arranged the old way).
    NoRound,
}

impl Procurement {
    fn code(self) -> &'static str {
        match self {
            Procurement::Round(c) => c,
            Procurement::NoRound => "no_round",
        }
    }
}

/// One placement with what the export needs of its participant. Filled by the store;
/// the birth date comes from the identity number, which itself never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeInput {
    /// The tenant's id (part of every pseudonym's input).
    pub tenant_id: i64,
    /// The placement's id.
    pub placement_id: i64,
    /// The participant's id.
    pub participant_id: i64,
    /// The supplier's id.
    pub organisation_id: i64,
    /// Birth date (from the identity number), for the age band only.
    pub birth_date: NaiveDate,
    /// The participant's covariates.
    pub covariates: Covariates,
    /// When the participant registered, if recorded.
    pub registered_on: Option<NaiveDate>,
    /// The placement type's code.
    pub placement_type: String,
    /// How the agreement was procured.
    pub procurement: Procurement,
    /// First day of the placement.
    pub start_date: NaiveDate,
    /// Last day of the placement, if it has ended.
    pub end_date: Option<NaiveDate>,
    /// Planned last day.
    pub planned_end: NaiveDate,
    /// Agreed minutes per week.
    pub weekly_minutes: u32,
    /// The exit date and outcome, if the placement has ended.
    pub exit: Option<(NaiveDate, ExitOutcome)>,
    /// The follow-ups recorded.
    pub follow_ups: Vec<(FollowUpPoint, FollowUpStatus)>,
}

/// One row of the export. Every field is a code, a band, a month, a count of days or a
/// pseudonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeRow {
    /// One value per column of COLUMNS; None = missing.
    pub values: Vec<Option<Cell>>,
}

/// A value in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// A code, band, month or pseudonym.
    Text(String),
    /// A count, a flag (0/1) or a year.
    Int(i32),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Text(s) => f.write_str(s),
            Cell::Int(i) => write!(f, "{i}"),
        }
    }
}

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// A 32-bit integer.
    Int,
}

/// A column of the export and its codebook entry.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The name as registered.
    pub name: &'static str,
    /// The column's type.
    pub kind: ColumnType,
    /// Unit or format.
    pub unit: &'static str,
    /// A longer description, if any.
    pub description: &'static str,
    /// The codes, for coded columns (`code = meaning; …`).
    pub codes: &'static str,
}

const fn col(
    name: &'static str,
    kind: ColumnType,
    unit: &'static str,
    description: &'static str,
    codes: &'static str,
) -> Column {
    Column {
        name,
        kind,
        unit,
        description,
        codes,
    }
}

use ColumnType::{Int, Text};

/// Every column, in order.
pub const COLUMNS: &[Column] = &[
    col("episode", Text, "pseudonym (20 hex digits)", "The placement (episode). Unique per row.", ""),
    col("person", Text, "pseudonym (20 hex digits)", "The participant. The same person has the same pseudonym in every row of this export; a person can have several episodes.", ""),
    col("supplier", Text, "pseudonym (20 hex digits)", "The supplier (social enterprise) the placement was with.", ""),
    col("placement_type", Text, "code", "The kind of placement, by the municipality's placement-type code (e.g. carpentry, cafe).", ""),
    col("procurement", Text, "code", "How the agreement the placement ran under was procured.", "reserved_integration = reserved round under LOU 4 kap. 18 §; reserved_idea_driven = reserved for idea-driven organisations (LOU 19 kap. 25 a §); not_reserved = an ordinary round; no_round = an agreement from before the procurement rounds"),
    col("start_month", Text, "YYYY-MM", "Calendar month the placement started.", ""),
    col("end_month", Text, "YYYY-MM", "Calendar month the placement ended; empty while it runs.", ""),
    col("registration_year", Int, "year", "Year the participant registered with the labour-market unit; empty if not recorded.", ""),
    col("days_registration_to_start", Int, "days", "Days from registration to the start of the placement; empty if registration is not recorded.", ""),
    col("planned_days", Int, "days", "Planned length of the placement (planned end − start + 1).", ""),
    col("weekly_hours", Int, "hours per week", "Agreed hours per week, rounded to whole hours.", ""),
    col("age_band", Text, "years", "Age at the start of the placement, in bands (the birth date is not exported).", "<18; 18-24; 25-34; 35-44; 45-54; 55-64; 65+"),
    col("gender", Text, "code", "Gender as recorded by the case worker.", "female; male; other; unknown"),
    col("born_abroad", Int, "0/1", "Born outside Sweden.", "1 = yes; 0 = no"),
    col("education", Text, "code", "Highest completed education (SCB's broad levels).", "primary = at most compulsory school; upper_secondary; post_secondary; unknown"),
    col("income_support_band", Text, "months", "Months on income support before registering, in bands.", "0-11; 12-23; 24+"),
    col("health_limitation", Int, "0/1", "A documented health limitation affecting work capacity.", "1 = yes; 0 = no"),
    col("swedish_level", Text, "code", "Command of Swedish at registration.", "fluent; intermediate; basic; none"),
    col("prior_work_experience", Int, "0/1", "Has worked before.", "1 = yes; 0 = no"),
    col("exit_outcome", Text, "code", "Why the placement ended; empty while it runs.", "work_unsubsidised; work_subsidised; work_short (under one month); municipal_employment; studies_with_allowance; studies_without_allowance; other_programme; illness; moved; parental_leave; interrupted; other"),
    col("exit_indicator", Text, "code", "The exit by the national indicator (Kolada/SKR): work = regular work of at least one month, subsidised or not (municipal labour-market employment does not count); studies = studies with study allowance; empty while the placement runs.", "work; studies; neither"),
    col("days_in_placement", Int, "days", "Days from the start to the exit (inclusive), or to the export's reference date while the placement runs.", ""),
    col("time_to_work_days", Int, "days", "Days from the start of the placement to an exit to work or studies by the national indicator; for censored episodes the days to the censoring (another exit, or the reference date).", ""),
    col("time_to_work_censored", Int, "0/1", "1 = censored: the placement ended otherwise or still runs at the reference date; 0 = exit to work or studies observed.", "1 = censored; 0 = event"),
    col("followup_3m", Text, "code", "Situation at the follow-up 3 months after the exit.", "employed; subsidised_employment; studying; in_programme; unemployed; on_income_support; unknown; missing = due by the reference date but not recorded; not_due = not yet due or no exit"),
    col("followup_6m", Text, "code", "Situation at the follow-up 6 months after the exit.", "as followup_3m"),
    col("followup_12m", Text, "code", "Situation at the follow-up 12 months after the exit.", "as followup_3m"),
];

fn age_band(birth: NaiveDate, on: NaiveDate) -> &'static str {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    match age {
        i32::MIN..=17 => "<18",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    }
}

fn support_band(months: u32) -> &'static str {
    match months {
        0..=11 => "0-11",
        12..=23 => "12-23",
        _ => "24+",
    }
}

fn days(from: NaiveDate, to: NaiveDate) -> i32 {
    (to - from).num_days() as i32
}

fn flag(b: bool) -> Option<Cell> {
    Some(Cell::Int(i32::from(b)))
}

fn text(s: impl Into<String>) -> Option<Cell> {
    Some(Cell::Text(s.into()))
}

/// Builds the rows, sorted by episode pseudonym (so row order says nothing about ids or
/// dates). `as_of` is the reference date: running placements are censored there, and a
/// follow-up is `missing` only if it fell due by then.
pub fn episodes(input: &[EpisodeInput], key: &PseudonymKey, as_of: NaiveDate) -> Vec<EpisodeRow> {
    let mut rows: Vec<EpisodeRow> = input
        .iter()
        .map(|e| {
            let c = &e.covariates;
            let exit_date = e.exit.map(|(d, _)| d);
            let end = exit_date.or(e.end_date);
            let observed_to = end.unwrap_or(as_of).max(e.start_date);
            let event = e.exit.is_some_and(|(_, o)| o.counts_as_work_or_studies());
            let follow = |point: FollowUpPoint| -> Option<Cell> {
                if let Some((_, s)) = e.follow_ups.iter().find(|(p, _)| *p == point) {
                    return text(s.as_str());
                }
                match exit_date {
                    Some(d) if point.due_on(d) <= as_of => text("missing"),
                    _ => text("not_due"),
                }
            };
            let values = vec![
                text(key.pseudonym("placement", e.tenant_id, e.placement_id)),
                text(key.pseudonym("participant", e.tenant_id, e.participant_id)),
                text(key.pseudonym("organisation", e.tenant_id, e.organisation_id)),
                text(e.placement_type.clone()),
                text(e.procurement.code()),
                text(YearMonth::of(e.start_date).to_string()),
                end.map(|d| Cell::Text(YearMonth::of(d).to_string())),
                e.registered_on.map(|d| Cell::Int(d.year())),
                e.registered_on.map(|d| Cell::Int(days(d, e.start_date))),
                Some(Cell::Int(days(e.start_date, e.planned_end) + 1)),
                Some(Cell::Int(((e.weekly_minutes + 30) / 60) as i32)),
                text(age_band(e.birth_date, e.start_date)),
                text(c.gender.as_str()),
                flag(c.born_abroad),
                text(c.education.as_str()),
                text(support_band(c.months_on_income_support)),
                flag(c.health_limitation),
                text(c.swedish_level.as_str()),
                flag(c.prior_work_experience),
                e.exit.map(|(_, o)| Cell::Text(o.as_str().to_string())),
                e.exit.map(|(_, o)| {
                    Cell::Text(
                        match o.indicator() {
                            IndicatorCategory::Work => "work",
                            IndicatorCategory::Studies => "studies",
                            IndicatorCategory::Neither => "neither",
                        }
                        .to_string(),
                    )
                }),
                Some(Cell::Int(days(e.start_date, observed_to) + 1)),
                Some(Cell::Int(days(e.start_date, observed_to))),
                flag(!event),
                follow(FollowUpPoint::Months3),
                follow(FollowUpPoint::Months6),
                follow(FollowUpPoint::Months12),
            ];
            debug_assert_eq!(values.len(), COLUMNS.len());
            EpisodeRow { values }
        })
        .collect();
    rows.sort_by(|a, b| a.values[0].cmp(&b.values[0]));
    rows
}

impl PartialOrd for Cell {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cell {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

/// Writes the rows as CSV: UTF-8 without BOM, comma-separated, a header row, `\n` line
/// ends, empty fields for missing values — what R, Stata, pandas and SPSS read as is.
pub fn write_csv<W: std::io::Write>(out: W, rows: &[EpisodeRow]) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record(COLUMNS.iter().map(|c| c.name))?;
    for r in rows {
        w.write_record(
            r.values
                .iter()
                .map(|v| v.as_ref().map(Cell::to_string).unwrap_or_default()),
        )?;
    }
    w.flush()
}

/// What the codebook says about the export as a whole.
#[derive(Debug, Clone)]
pub struct ExportInfo {
    /// The municipality's name.
    pub tenant_name: String,
    /// When the export was made.
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// The reference date.
    pub as_of: NaiveDate,
    /// Number of rows.
    pub rows: usize,
    /// The key's fingerprint.
    pub key_fingerprint: String,
    /// Whether the key was supplied (`--key-file`) or random for this export.
    pub key_supplied: bool,
    /// The data files written (`episodes.csv`, `episodes.parquet`).
    pub files: Vec<String>,
}

/// The codebook as Markdown: what the export is, how it was made, every column.
pub fn codebook_markdown(info: &ExportInfo) -> String {
    let mut s = String::new();
    s.push_str("# Codebook: Vidare research export (participant episodes)\n\n");
    s.push_str(&format!(
        "- Municipality: {}\n- Exported: {}\n- Reference date (censoring, follow-ups due): {}\n- Rows: {} (one per placement)\n- Files: {}\n- Pseudonym key fingerprint (SHA-256, first 16 hex digits): `{}` ({})\n\n",
        info.tenant_name,
        info.exported_at.format("%Y-%m-%dT%H:%M:%SZ"),
        info.as_of,
        info.rows,
        info.files.join(", "),
        info.key_fingerprint,
        if info.key_supplied {
            "key supplied by the exporter: pseudonyms match other exports made with the same key"
        } else {
            "random key for this export only, not kept: pseudonyms cannot be linked to any other export"
        }
    ));
    s.push_str(
        "## Pseudonyms and protection\n\n\
         `episode`, `person` and `supplier` are the first 80 bits (20 hex digits) of \
         HMAC-SHA256 under the key above, over the record's kind, the municipality and its \
         internal id. They are stable within the export and cannot be reversed or checked \
         against a guessed id without the key, which is never written into the export. No \
         identity number, name, address, free text or internal id is included. Age is given \
         in bands at the placement's start, months on income support in bands, dates as \
         calendar months; durations are exact in days. Small groups can still be rare: \
         publish only aggregates, and suppress cells under 5.\n\n\
         CSV: UTF-8 without BOM, comma-separated, header row, empty field = missing. \
         Parquet: the same columns (UTF8 strings and INT32), optional (null = missing).\n\n",
    );
    s.push_str(
        "## Columns\n\n| column | type | unit | description | codes |\n|---|---|---|---|---|\n",
    );
    for c in COLUMNS {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            c.name,
            match c.kind {
                ColumnType::Text => "text",
                ColumnType::Int => "integer",
            },
            c.unit,
            c.description,
            c.codes
        ));
    }
    s
}

/// The codebook as CSV (column, type, unit, description, codes).
pub fn codebook_csv() -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(["column", "type", "unit", "description", "codes"])
        .expect("in memory");
    for c in COLUMNS {
        w.write_record([
            c.name,
            match c.kind {
                ColumnType::Text => "text",
                ColumnType::Int => "integer",
            },
            c.unit,
            c.description,
            c.codes,
        ])
        .expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hex_round_trip_and_pseudonyms() {
        let k = PseudonymKey::random();
        let back = PseudonymKey::from_hex(&k.to_hex()).unwrap();
        assert_eq!(
            k.pseudonym("participant", 1, 2),
            back.pseudonym("participant", 1, 2)
        );
        assert_ne!(
            k.pseudonym("participant", 1, 2),
            k.pseudonym("participant", 1, 3)
        );
        assert_ne!(
            k.pseudonym("participant", 1, 2),
            k.pseudonym("organisation", 1, 2)
        );
        assert_eq!(k.pseudonym("participant", 1, 2).len(), 20);
        assert!(PseudonymKey::from_hex("abc").is_err());
        assert!(PseudonymKey::from_hex(&"g".repeat(64)).is_err());
        // RFC 4231 test case 2 (key "Jefe"), to show the MAC is the standard one.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn bands() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(age_band(d(2000, 6, 15), d(2018, 6, 14)), "<18");
        assert_eq!(age_band(d(2000, 6, 15), d(2018, 6, 15)), "18-24");
        assert_eq!(age_band(d(1960, 1, 1), d(2024, 12, 31)), "55-64");
        assert_eq!(age_band(d(1959, 1, 1), d(2024, 12, 31)), "65+");
        assert_eq!(support_band(11), "0-11");
        assert_eq!(support_band(12), "12-23");
        assert_eq!(support_band(24), "24+");
    }
}
