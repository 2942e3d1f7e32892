//! Organisations: columns, rows and the canonical export.

use std::fmt::Write as _;
use std::io::{self, Write};

use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::{Email, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::Numbered;

use super::cells::{self, unreadable_row, Msg};
use super::header::{spec, Column, ColumnSpec};
use super::reader::{read_table_with, Cells, Unique, PARALLEL_MIN_BYTES};
use super::writer::{self, yes_no};
use super::ImportFailure;

/// The longest organisation name accepted.
const MAX_NAME_CHARS: usize = 200;

/// The columns of an organisations file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum O {
    OrgNumber,
    Name,
    LegalForm,
    IdeaDriven,
    InRegister,
    HeadcountTotal,
    HeadcountTarget,
    Turnover,
    Email,
    Synthetic,
}

const fn col(
    field: O,
    name_sv: &'static str,
    name_en: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> ColumnSpec<O> {
    ColumnSpec {
        field,
        name_sv,
        name_en,
        aliases,
        required,
    }
}

impl Column for O {
    // In the order of the enum: `index` relies on it.
    const SPECS: &'static [ColumnSpec<O>] = &[
        col(
            O::OrgNumber,
            "organisationsnummer",
            "org_number",
            &["orgnr", "organisation_number", "organization_number"],
            true,
        ),
        col(O::Name, "namn", "name", &[], true),
        col(O::LegalForm, "juridisk_form", "legal_form", &[], true),
        col(O::IdeaDriven, "idéburen", "idea_driven", &[], true),
        col(
            O::InRegister,
            "registrerad_idéburen",
            "in_idea_driven_register",
            &[],
            false,
        ),
        col(
            O::HeadcountTotal,
            "antal_sysselsatta",
            "headcount_total",
            &[],
            false,
        ),
        col(
            O::HeadcountTarget,
            "varav_målgrupp",
            "headcount_target_groups",
            &[],
            false,
        ),
        col(O::Turnover, "omsättning", "annual_turnover", &[], false),
        col(O::Email, "epost", "email", &["e_post", "e_mail"], false),
        col(O::Synthetic, "syntetisk", "synthetic", &[], false),
    ];

    const PAIRS: &'static [(O, O)] = &[(O::HeadcountTotal, O::HeadcountTarget)];

    fn index(self) -> usize {
        self as usize
    }
}

/// See [`super::parse_organisations`].
pub(crate) fn parse(
    input: &[u8],
    synthetic: bool,
) -> Result<Vec<Numbered<NewOrganisation>>, ImportFailure> {
    let unique = Unique {
        field: O::OrgNumber,
        message: |earlier| {
            Msg::new(
                format!("Samma organisationsnummer som på rad {earlier}. Ta bort dubbletten eller rätta numret."),
                format!("The same organisation number as on line {earlier}. Remove the duplicate or correct the number."),
            )
        },
    };
    read_table_with(
        input,
        unique,
        &|cells: &mut Cells<'_, O>| parse_row(cells, synthetic),
        PARALLEL_MIN_BYTES,
    )
}

/// A headcount cell: absent or empty, a number, or already reported as bad.
#[derive(Clone, Copy)]
enum Count {
    Empty,
    Value(u32),
    Bad,
}

fn parse_row(
    c: &mut Cells<'_, O>,
    default_synthetic: bool,
) -> (Option<OrganisationNumber>, Option<NewOrganisation>) {
    let mut org_number = None;
    let mut name = None;
    let mut legal_form = None;
    let mut idea_driven = None;
    let mut in_register = false;
    let mut total = Count::Empty;
    let mut target = Count::Empty;
    let mut turnover = None;
    let mut email = None;
    let mut synthetic = default_synthetic;

    for (i, field, value) in c.iter() {
        let scratch = &mut *c.scratch;
        let result = match field {
            O::OrgNumber => OrganisationNumber::parse(value)
                .map(|v| org_number = Some(v))
                .map_err(|e| Msg::localized(&e)),
            O::Name => Text::parse_max(value, MAX_NAME_CHARS)
                .map(|v| name = Some(v))
                .map_err(|e| Msg::localized(&e)),
            O::LegalForm => cells::legal_form(value, scratch).map(|v| legal_form = Some(v)),
            O::IdeaDriven => cells::required_bool(value, scratch).map(|v| idea_driven = Some(v)),
            O::InRegister => {
                cells::optional_bool(value, scratch).map(|v| in_register = v.unwrap_or(false))
            }
            O::HeadcountTotal => {
                total = Count::Bad;
                headcount_cell(value).map(|v| total = v)
            }
            O::HeadcountTarget => {
                target = Count::Bad;
                headcount_cell(value).map(|v| target = v)
            }
            O::Turnover => turnover_cell(value).map(|v| turnover = v),
            O::Email => {
                if value.trim().is_empty() {
                    Ok(())
                } else {
                    Email::parse(value)
                        .map(|v| email = Some(v))
                        .map_err(|e| Msg::localized(&e))
                }
            }
            O::Synthetic => cells::optional_bool(value, scratch)
                .map(|v| synthetic = v.unwrap_or(default_synthetic)),
        };
        if let Err(msg) = result {
            c.fail(i, msg);
        }
    }

    let headcount = match (total, target) {
        (Count::Value(total), Count::Value(target)) => match Headcount::new(total, target) {
            Ok(headcount) => Some(headcount),
            Err(violation) => {
                c.fail_rule(violation.field, Msg::new(violation.sv, violation.en));
                None
            }
        },
        (Count::Value(_), Count::Empty) => {
            missing_half(c, O::HeadcountTarget, O::HeadcountTotal);
            None
        }
        (Count::Empty, Count::Value(_)) => {
            missing_half(c, O::HeadcountTotal, O::HeadcountTarget);
            None
        }
        _ => None,
    };

    if c.failed() {
        return (org_number, None);
    }
    let (Some(org_number), Some(name), Some(legal_form), Some(idea_driven)) =
        (org_number, name, legal_form, idea_driven)
    else {
        // Unreachable (every required column exists, and a cell that failed was
        // recorded), but never drop a row silently.
        c.fail_rule("", unreadable_row());
        return (org_number, None);
    };
    let row = NewOrganisation {
        org_number,
        name,
        legal_form,
        idea_driven,
        in_idea_driven_register: in_register,
        headcount,
        annual_turnover: turnover,
        email,
        synthetic,
    };
    (Some(org_number), Some(row))
}

/// Reports the empty `missing` column of a headcount whose `given` half is filled in.
fn missing_half(c: &mut Cells<'_, O>, missing: O, given: O) {
    let (missing, given) = (spec(missing), spec(given));
    c.fail_field(
        missing.field,
        Msg::new(
            format!(
                "{} är ifyllt men inte {}. Fyll i båda eller lämna båda tomma.",
                given.name_sv, missing.name_sv
            ),
            format!(
                "{} is filled in but {} is not. Fill in both or leave both empty.",
                given.name_en, missing.name_en
            ),
        ),
    );
}

fn headcount_cell(value: &str) -> Result<Count, Msg> {
    match cells::count(value) {
        Ok(Some(n)) => Ok(Count::Value(n)),
        Ok(None) => Ok(Count::Empty),
        Err(()) => Err(Msg::new(
            format!(
                "{} är inte ett antal personer. Skriv ett heltal, till exempel 12.",
                cells::shown(value)
            ),
            format!(
                "{} is not a number of people. Write a whole number, for example 12.",
                cells::shown(value)
            ),
        )),
    }
}

fn turnover_cell(value: &str) -> Result<Option<Money>, Msg> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let amount = Money::parse_sv(value).map_err(|e| Msg::localized(&e))?;
    if amount < Money::ZERO {
        return Err(Msg::new(
            "Omsättningen kan inte vara negativ. Skriv ett belopp som är 0 eller större, till exempel 1 234 000.",
            "The turnover cannot be negative. Write an amount of 0 or more, for example 1 234 000.",
        ));
    }
    Ok(Some(amount))
}

/// The Swedish words written for a legal form; [`cells::legal_form`] reads them.
fn legal_form_sv(form: LegalForm) -> &'static str {
    match form {
        LegalForm::EconomicAssociation => "ekonomisk förening",
        LegalForm::NonProfitAssociation => "ideell förening",
        LegalForm::Foundation => "stiftelse",
        LegalForm::LimitedCompanyRestrictedProfit => "aktiebolag svb",
        LegalForm::LimitedCompany => "aktiebolag",
        LegalForm::ReligiousCommunity => "trossamfund",
        LegalForm::Other => "annan",
    }
}

/// See [`super::write_organisations_csv`].
pub(crate) fn write<W: Write>(rows: &[NewOrganisation], out: W) -> io::Result<()> {
    let mut writer = writer::start::<O, W>(out)?;
    let (mut number, mut total, mut target) = (String::new(), String::new(), String::new());
    for row in rows {
        number.clear();
        total.clear();
        target.clear();
        // Writing to a String cannot fail.
        let _ = write!(number, "{}", row.org_number);
        if let Some(headcount) = row.headcount {
            let _ = write!(total, "{}", headcount.total());
            let _ = write!(target, "{}", headcount.from_target_groups());
        }
        let turnover = row
            .annual_turnover
            .map(Money::format_plain_sv)
            .unwrap_or_default();
        writer.write_record([
            number.as_str(),
            row.name.as_str(),
            legal_form_sv(row.legal_form),
            yes_no(row.idea_driven),
            yes_no(row.in_idea_driven_register),
            total.as_str(),
            target.as_str(),
            turnover.as_str(),
            row.email.as_ref().map_or("", Email::as_str),
            yes_no(row.synthetic),
        ])?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_in_enum_order() {
        for (i, s) in O::SPECS.iter().enumerate() {
            assert_eq!(s.field.index(), i);
        }
    }

    #[test]
    fn every_legal_form_spelling_reads_back() {
        let mut scratch = String::new();
        for &form in LegalForm::ALL {
            for written in [
                legal_form_sv(form),
                form.as_str(),
                form.name_sv(),
                form.name_en(),
            ] {
                assert_eq!(
                    cells::legal_form(written, &mut scratch),
                    Ok(form),
                    "{written}"
                );
            }
        }
        assert_eq!(
            cells::legal_form(
                "Aktiebolag med särskild vinstutdelningsbegränsning",
                &mut scratch
            ),
            Ok(LegalForm::LimitedCompanyRestrictedProfit)
        );
    }
}
