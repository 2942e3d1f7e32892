//! Property tests: the canonical export reads back exactly, and a single
//! corrupted digit is reported on exactly its line.

mod common;

use std::collections::HashSet;

use chrono::{Days, NaiveDate};
use common::date;
use proptest::prelude::*;
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel, MAX_MONTHS_ON_INCOME_SUPPORT,
};
use vidare_domain::model::{Email, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_exchange::csv_import::{
    parse_organisations, parse_participants, write_organisations_csv, write_participants_csv,
    ImportFailure,
};

fn today() -> NaiveDate {
    date(2025, 1, 1)
}

fn identity_number() -> impl Strategy<Value = PersonalIdentityNumber> {
    let first = date(1940, 1, 1);
    let days = (date(2007, 12, 31) - first).num_days() as u64;
    (0..=days, 0u16..=999, any::<bool>()).prop_map(move |(day, serial, coordination)| {
        let kind = if coordination {
            IdentityKind::Samordningsnummer
        } else {
            IdentityKind::Personnummer
        };
        PersonalIdentityNumber::from_parts(
            first.checked_add_days(Days::new(day)).unwrap(),
            serial,
            kind,
        )
        .unwrap()
    })
}

/// Names from a small alphabet with Swedish letters and the characters that
/// need quoting in CSV.
fn name() -> impl Strategy<Value = Text> {
    "[aAåÅäÄöÖz\";, -]{1,12}".prop_filter_map("blank", |s| Text::parse_max(&s, 200).ok())
}

fn one_of<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(all)
}

fn participant() -> impl Strategy<Value = NewParticipant> {
    let covariates = (
        one_of(Gender::ALL),
        any::<bool>(),
        one_of(EducationLevel::ALL),
        0..=MAX_MONTHS_ON_INCOME_SUPPORT,
        any::<bool>(),
        one_of(SwedishLevel::ALL),
        any::<bool>(),
    )
        .prop_map(
            |(gender, born_abroad, education, months, health, swedish, work)| Covariates {
                gender,
                born_abroad,
                education,
                months_on_income_support: months,
                health_limitation: health,
                swedish_level: swedish,
                prior_work_experience: work,
            },
        );
    (identity_number(), name(), name(), covariates, any::<bool>()).prop_map(
        |(personal_number, first_name, last_name, covariates, synthetic)| NewParticipant {
            personal_number,
            first_name,
            last_name,
            covariates,
            synthetic,
        },
    )
}

/// Participants with distinct identity numbers.
fn participants(max: usize) -> impl Strategy<Value = Vec<NewParticipant>> {
    proptest::collection::vec(participant(), 0..max).prop_map(|rows| {
        let mut seen = HashSet::new();
        rows.into_iter()
            .filter(|p| seen.insert(p.personal_number))
            .collect()
    })
}

fn organisation() -> impl Strategy<Value = NewOrganisation> {
    let number = (
        1u8..=9,
        0u8..=9,
        2u8..=9,
        proptest::array::uniform6(0u8..=9),
    )
        .prop_map(|(a, b, c, rest)| {
            let mut payload = [a, b, c, 0, 0, 0, 0, 0, 0];
            payload[3..].copy_from_slice(&rest);
            OrganisationNumber::from_payload(payload).unwrap()
        });
    let headcount = proptest::option::of((1u32..=5000).prop_flat_map(|total| {
        (0..=total).prop_map(move |target| Headcount::new(total, target).unwrap())
    }));
    let turnover = proptest::option::of((0i64..=1_000_000_000_000).prop_map(Money::from_ore));
    let email = proptest::option::of(
        "[a-z0-9.]{1,8}@[a-z]{1,8}\\.se".prop_map(|s| Email::parse(&s).unwrap()),
    );
    (
        number,
        name(),
        one_of(LegalForm::ALL),
        any::<bool>(),
        any::<bool>(),
        headcount,
        turnover,
        email,
        any::<bool>(),
    )
        .prop_map(
            |(
                org_number,
                name,
                legal_form,
                idea_driven,
                in_idea_driven_register,
                headcount,
                annual_turnover,
                email,
                synthetic,
            )| NewOrganisation {
                org_number,
                name,
                legal_form,
                idea_driven,
                in_idea_driven_register,
                headcount,
                annual_turnover,
                email,
                synthetic,
            },
        )
}

fn organisations(max: usize) -> impl Strategy<Value = Vec<NewOrganisation>> {
    proptest::collection::vec(organisation(), 0..max).prop_map(|rows| {
        let mut seen = HashSet::new();
        rows.into_iter()
            .filter(|o| seen.insert(o.org_number))
            .collect()
    })
}

proptest! {
    #[test]
    fn participants_read_back_exactly(rows in participants(40), default in any::<bool>()) {
        let mut csv = Vec::new();
        write_participants_csv(&rows, &mut csv).unwrap();
        prop_assert!(csv.starts_with(b"\xEF\xBB\xBFpersonnummer;f\xC3\xB6rnamn;"));
        let parsed = parse_participants(&csv, today(), default).unwrap();
        prop_assert_eq!(parsed.len(), rows.len());
        for (i, (numbered, row)) in parsed.iter().zip(&rows).enumerate() {
            prop_assert_eq!(numbered.line, i as u64 + 2);
            prop_assert_eq!(&numbered.row, row);
        }
    }

    #[test]
    fn organisations_read_back_exactly(rows in organisations(40), default in any::<bool>()) {
        let mut csv = Vec::new();
        write_organisations_csv(&rows, &mut csv).unwrap();
        let parsed = parse_organisations(&csv, default).unwrap();
        prop_assert_eq!(parsed.len(), rows.len());
        for (i, (numbered, row)) in parsed.iter().zip(&rows).enumerate() {
            prop_assert_eq!(numbered.line, i as u64 + 2);
            prop_assert_eq!(&numbered.row, row);
        }
    }

    #[test]
    fn one_corrupted_digit_is_reported_on_its_line(
        rows in participants(30).prop_filter("no rows", |rows| !rows.is_empty()),
        which in any::<prop::sample::Index>(),
        position in 0usize..12,
        delta in 1u8..=9,
    ) {
        let mut csv = Vec::new();
        write_participants_csv(&rows, &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let mut lines: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
        let row = which.index(rows.len());
        // `YYYYMMDD-NNNC`: skip the hyphen.
        let at = if position < 8 { position } else { position + 1 };
        let line = &mut lines[row + 1];
        let digit = line.as_bytes()[at] - b'0';
        let corrupted = char::from(b'0' + (digit + delta) % 10);
        line.replace_range(at..=at, &corrupted.to_string());
        let number = line.split(';').next().unwrap().to_owned();
        prop_assume!(PersonalIdentityNumber::parse(&number, today()).is_err());

        let result = parse_participants(lines.join("\r\n").as_bytes(), today(), false);
        match result {
            Err(ImportFailure::Rows(errors)) => {
                prop_assert_eq!(errors.len(), 1, "{:?}", errors);
                prop_assert_eq!(errors[0].line, row as u64 + 2);
                prop_assert_eq!(errors[0].column.as_deref(), Some("personnummer"));
            }
            other => prop_assert!(false, "expected one row error, got {:?}", other),
        }
    }
}
