//! Participants: columns, rows and the canonical export.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::NaiveDate;
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel, MAX_MONTHS_ON_INCOME_SUPPORT,
};
use vidare_domain::model::Text;
use vidare_domain::personnummer::PersonalIdentityNumber;
use vidare_domain::Numbered;

use super::cells::{self, unreadable_row, Msg};
use super::header::{Column, ColumnSpec};
use super::reader::{read_table_with, Cells, Unique, PARALLEL_MIN_BYTES};
use super::writer::{self, yes_no};
use super::ImportFailure;

/// The longest first or last name accepted.
const MAX_NAME_CHARS: usize = 200;

/// The columns of a participants file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum P {
    PersonalNumber,
    FirstName,
    LastName,
    Gender,
    BornAbroad,
    Education,
    Months,
    Health,
    Swedish,
    WorkExperience,
    Synthetic,
}

const fn col(
    field: P,
    name_sv: &'static str,
    name_en: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> ColumnSpec<P> {
    ColumnSpec {
        field,
        name_sv,
        name_en,
        aliases,
        required,
    }
}

impl Column for P {
    // In the order of the enum: `index` relies on it.
    const SPECS: &'static [ColumnSpec<P>] = &[
        col(
            P::PersonalNumber,
            "personnummer",
            "personal_number",
            &["pnr", "samordningsnummer", "personal_identity_number"],
            true,
        ),
        col(P::FirstName, "förnamn", "first_name", &[], true),
        col(P::LastName, "efternamn", "last_name", &[], true),
        col(P::Gender, "kön", "gender", &[], false),
        col(P::BornAbroad, "född_utomlands", "born_abroad", &[], true),
        col(
            P::Education,
            "utbildningsnivå",
            "education",
            &["education_level"],
            false,
        ),
        col(
            P::Months,
            "månader_försörjningsstöd",
            "months_on_income_support",
            &["månader_med_försörjningsstöd"],
            true,
        ),
        col(
            P::Health,
            "hälsobegränsning",
            "health_limitation",
            &[],
            true,
        ),
        col(P::Swedish, "svenskanivå", "swedish_level", &[], true),
        col(
            P::WorkExperience,
            "arbetslivserfarenhet",
            "prior_work_experience",
            &["work_experience"],
            true,
        ),
        col(P::Synthetic, "syntetisk", "synthetic", &[], false),
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// See [`super::parse_participants`].
pub(crate) fn parse(
    input: &[u8],
    today: NaiveDate,
    synthetic: bool,
) -> Result<Vec<Numbered<NewParticipant>>, ImportFailure> {
    parse_with(input, today, synthetic, PARALLEL_MIN_BYTES)
}

/// [`parse`], reading files of at least `parallel_min` bytes in two threads.
fn parse_with(
    input: &[u8],
    today: NaiveDate,
    synthetic: bool,
    parallel_min: usize,
) -> Result<Vec<Numbered<NewParticipant>>, ImportFailure> {
    let unique = Unique {
        field: P::PersonalNumber,
        message: |earlier| {
            Msg::new(
                format!("Samma personnummer som på rad {earlier}. Ta bort dubbletten eller rätta numret."),
                format!("The same identity number as on line {earlier}. Remove the duplicate or correct the number."),
            )
        },
    };
    read_table_with(
        input,
        unique,
        &|cells: &mut Cells<'_, P>| parse_row(cells, today, synthetic),
        parallel_min,
    )
}

fn parse_row(
    c: &mut Cells<'_, P>,
    today: NaiveDate,
    default_synthetic: bool,
) -> (Option<PersonalIdentityNumber>, Option<NewParticipant>) {
    let mut personal_number = None;
    let mut first_name = None;
    let mut last_name = None;
    let mut gender = Gender::Unknown;
    let mut born_abroad = None;
    let mut education = EducationLevel::Unknown;
    let mut months = None;
    let mut health = None;
    let mut swedish = None;
    let mut work = None;
    let mut synthetic = default_synthetic;

    for (i, field, value) in c.iter() {
        let scratch = &mut *c.scratch;
        let result = match field {
            P::PersonalNumber => PersonalIdentityNumber::parse(value, today)
                .map(|v| personal_number = Some(v))
                .map_err(|e| Msg::localized(&e)),
            P::FirstName => name(value).map(|v| first_name = Some(v)),
            P::LastName => name(value).map(|v| last_name = Some(v)),
            P::Gender => cells::gender(value, scratch).map(|v| gender = v),
            P::BornAbroad => cells::required_bool(value, scratch).map(|v| born_abroad = Some(v)),
            P::Education => cells::education(value, scratch).map(|v| education = v),
            P::Months => months_cell(value).map(|v| months = Some(v)),
            P::Health => cells::required_bool(value, scratch).map(|v| health = Some(v)),
            P::Swedish => cells::swedish_level(value, scratch).map(|v| swedish = Some(v)),
            P::WorkExperience => cells::required_bool(value, scratch).map(|v| work = Some(v)),
            P::Synthetic => cells::optional_bool(value, scratch)
                .map(|v| synthetic = v.unwrap_or(default_synthetic)),
        };
        if let Err(msg) = result {
            c.fail(i, msg);
        }
    }

    // The domain's range rules, checked even when another cell failed so that
    // the report is complete; the placeholders never reach a result.
    let covariates = Covariates {
        gender,
        born_abroad: born_abroad.unwrap_or(false),
        education,
        months_on_income_support: months.unwrap_or(0),
        health_limitation: health.unwrap_or(false),
        swedish_level: swedish.unwrap_or(SwedishLevel::None),
        prior_work_experience: work.unwrap_or(false),
    };
    if let Err(violation) = covariates.check() {
        c.fail_rule(violation.field, Msg::new(violation.sv, violation.en));
    }

    if c.failed() {
        return (personal_number, None);
    }
    let (
        Some(personal_number),
        Some(first_name),
        Some(last_name),
        Some(_),
        Some(_),
        Some(_),
        Some(_),
        Some(_),
    ) = (
        personal_number,
        first_name,
        last_name,
        born_abroad,
        months,
        health,
        swedish,
        work,
    )
    else {
        // Unreachable (every required column exists, and a cell that failed was
        // recorded), but never drop a row silently.
        c.fail_rule("", unreadable_row());
        return (personal_number, None);
    };
    let row = NewParticipant {
        personal_number,
        first_name,
        last_name,
        covariates,
        synthetic,
    };
    (Some(personal_number), Some(row))
}

fn name(value: &str) -> Result<Text, Msg> {
    Text::parse_max(value, MAX_NAME_CHARS).map_err(|e| Msg::localized(&e))
}

fn months_cell(value: &str) -> Result<u32, Msg> {
    match cells::count(value) {
        Ok(Some(months)) => Ok(months),
        Ok(None) => Err(Msg::new(
            format!("Antalet månader saknas. Skriv ett heltal från 0 till {MAX_MONTHS_ON_INCOME_SUPPORT} (0 om inga)."),
            format!("The number of months is missing. Write a whole number from 0 to {MAX_MONTHS_ON_INCOME_SUPPORT} (0 if none)."),
        )),
        Err(()) => Err(Msg::new(
            format!(
                "{} är inte ett antal månader. Skriv ett heltal från 0 till {MAX_MONTHS_ON_INCOME_SUPPORT}, utan decimaler.",
                cells::shown(value)
            ),
            format!(
                "{} is not a number of months. Write a whole number from 0 to {MAX_MONTHS_ON_INCOME_SUPPORT}, without decimals.",
                cells::shown(value)
            ),
        )),
    }
}

/// The Swedish word written for a gender.
fn gender_sv(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "kvinna",
        Gender::Male => "man",
        Gender::Other => "annat",
        Gender::Unknown => "okänt",
    }
}

/// The Swedish word written for an education level.
fn education_sv(education: EducationLevel) -> &'static str {
    match education {
        EducationLevel::Primary => "förgymnasial",
        EducationLevel::UpperSecondary => "gymnasial",
        EducationLevel::PostSecondary => "eftergymnasial",
        EducationLevel::Unknown => "okänd",
    }
}

/// The Swedish word written for a level of Swedish.
fn swedish_sv(level: SwedishLevel) -> &'static str {
    match level {
        SwedishLevel::Fluent => "flytande",
        SwedishLevel::Intermediate => "medel",
        SwedishLevel::Basic => "grundläggande",
        SwedishLevel::None => "ingen",
    }
}

/// See [`super::write_participants_csv`].
pub(crate) fn write<W: Write>(rows: &[NewParticipant], out: W) -> io::Result<()> {
    let mut writer = writer::start::<P, W>(out)?;
    let mut number = String::with_capacity(13);
    let mut months = String::with_capacity(4);
    for row in rows {
        let c = &row.covariates;
        number.clear();
        months.clear();
        // Writing to a String cannot fail.
        let _ = write!(number, "{}", row.personal_number);
        let _ = write!(months, "{}", c.months_on_income_support);
        writer.write_record([
            number.as_str(),
            row.first_name.as_str(),
            row.last_name.as_str(),
            gender_sv(c.gender),
            yes_no(c.born_abroad),
            education_sv(c.education),
            months.as_str(),
            yes_no(c.health_limitation),
            swedish_sv(c.swedish_level),
            yes_no(c.prior_work_experience),
            yes_no(row.synthetic),
        ])?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_import::header::spec;
    use crate::csv_import::reader::split_point;

    #[test]
    fn specs_are_in_enum_order() {
        for (i, s) in P::SPECS.iter().enumerate() {
            assert_eq!(s.field.index(), i);
            assert_eq!(spec(s.field).name_sv, s.name_sv);
        }
    }

    /// Reading in two halves gives exactly what reading in one does.
    #[test]
    fn two_halves_read_like_one() {
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let number = |n: u16| {
            PersonalIdentityNumber::from_parts(
                NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(u64::from(n)),
                n % 1000,
                vidare_domain::personnummer::IdentityKind::Personnummer,
            )
            .unwrap()
            .to_string()
        };
        let row = |n: u16| {
            format!(
                "{};Anna;Öberg;kvinna;nej;gymnasial;{};nej;medel;ja",
                number(n),
                n % 400
            )
        };
        let header = "personnummer;förnamn;efternamn;kön;född_utomlands;utbildningsnivå;månader_försörjningsstöd;hälsobegränsning;svenskanivå;arbetslivserfarenhet";

        let good: Vec<String> = (0..200).map(row).collect();
        let mut bad = good.clone();
        bad[10] = row(150); // a duplicate of a row in the second half
        bad[20] = String::new(); // a blank line
        bad[140] = "x;y".into(); // wrong field count
        bad[170] = row(5); // a duplicate of a row in the first half
        bad[180] = row(181).replace("medel", "kanske"); // and a duplicate of the next row
        let mut not_utf8 = format!("{header}\n{}\n", good.join("\n")).into_bytes();
        let at = not_utf8.len() - 10;
        not_utf8[at] = 0xFF;

        let mut inputs = Vec::new();
        for rows in [&good, &bad] {
            let lf = format!("\n{header}\n\n{}\n\n", rows.join("\n"));
            inputs.push(lf.replace('\n', "\r\n").into_bytes());
            inputs.push(lf.into_bytes());
        }
        inputs.push(not_utf8);
        for input in &inputs {
            assert!(split_point(input, 0, false, 2).is_some());
            let one = parse_with(input, today, false, usize::MAX);
            let two = parse_with(input, today, false, 2);
            assert_eq!(one, two);
        }
        assert_eq!(parse_with(&inputs[1], today, false, 2).unwrap().len(), 200);
        assert_eq!(
            parse_with(&inputs[1], today, false, 2).unwrap()[199].line,
            203
        );
        let Err(ImportFailure::Rows(errors)) = parse_with(&inputs[3], today, false, 2) else {
            panic!("expected row errors")
        };
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [144, 154, 174, 184, 185]);
        let Err(ImportFailure::Unreadable { message_en, .. }) =
            parse_with(&inputs[4], today, false, 2)
        else {
            panic!("expected an unreadable file")
        };
        assert!(message_en.contains("line 201"), "{message_en}");
    }

    #[test]
    fn written_words_read_back() {
        let mut scratch = String::new();
        for &g in Gender::ALL {
            assert_eq!(cells::gender(gender_sv(g), &mut scratch), Ok(g));
            assert_eq!(cells::gender(g.as_str(), &mut scratch), Ok(g));
        }
        for &e in EducationLevel::ALL {
            assert_eq!(cells::education(education_sv(e), &mut scratch), Ok(e));
            assert_eq!(cells::education(e.as_str(), &mut scratch), Ok(e));
        }
        for &s in SwedishLevel::ALL {
            assert_eq!(cells::swedish_level(swedish_sv(s), &mut scratch), Ok(s));
            assert_eq!(cells::swedish_level(s.as_str(), &mut scratch), Ok(s));
        }
    }
}
