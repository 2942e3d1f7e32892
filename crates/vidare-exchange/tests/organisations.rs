//! Importing organisations: one test per rule of the format.

mod common;

use common::*;
use vidare_domain::model::organisation::{Headcount, LegalForm};
use vidare_domain::money::{Money, MoneyError};
use vidare_domain::orgnr::{OrganisationNumber, OrganisationNumberError};
use vidare_domain::{Lang, Localized};
use vidare_exchange::csv_import::parse_organisations;

const HEADER: &str = "organisationsnummer;namn;juridisk_form;idéburen;registrerad_idéburen;antal_sysselsatta;varav_målgrupp;omsättning;epost";

fn o_file(rows: &[&str]) -> String {
    let mut s = HEADER.to_owned();
    for r in rows {
        s.push_str("\r\n");
        s.push_str(r);
    }
    s
}

#[test]
fn reads_a_canonical_file() {
    let csv = o_file(&[
        "556016-0680;Snickeriet ek. för.;ekonomisk förening;ja;ja;20;8;\"1 234 567,50 kr\";Info@Snickeriet.SE",
        &format!("{};Kafé Vidare;aktiebolag svb;nej;;;;;", orgnr(1)),
    ]);
    let rows = organisations(&csv).unwrap();
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
    let a = &rows[0].row;
    assert_eq!(
        a.org_number,
        OrganisationNumber::parse("5560160680").unwrap()
    );
    assert_eq!(a.name.as_str(), "Snickeriet ek. för.");
    assert_eq!(a.legal_form, LegalForm::EconomicAssociation);
    assert!(a.idea_driven);
    assert!(a.in_idea_driven_register);
    assert_eq!(a.headcount, Some(Headcount::new(20, 8).unwrap()));
    assert_eq!(a.annual_turnover, Some(Money::from_ore(123_456_750)));
    assert_eq!(a.email.as_ref().unwrap().as_str(), "info@snickeriet.se");
    assert!(!a.synthetic);
    let b = &rows[1].row;
    assert_eq!(b.legal_form, LegalForm::LimitedCompanyRestrictedProfit);
    assert!(!b.idea_driven);
    assert!(!b.in_idea_driven_register);
    assert_eq!(b.headcount, None);
    assert_eq!(b.annual_turnover, None);
    assert_eq!(b.email, None);
}

#[test]
fn english_headers_with_commas_and_only_required_columns() {
    let csv = "Org Number,Name,Legal Form,Idea Driven\n556016-0680,\"Snickeriet, Ek. för.\",economic_association,yes\n";
    let rows = organisations(csv).unwrap();
    assert_eq!(rows[0].row.name.as_str(), "Snickeriet, Ek. för.");
    assert!(!rows[0].row.in_idea_driven_register);
    let orgnr = "orgnr;namn;juridisk form;ideburen\n556016-0680;S;stiftelse;nej\n";
    assert_eq!(
        organisations(orgnr).unwrap()[0].row.legal_form,
        LegalForm::Foundation
    );
}

#[test]
fn every_legal_form_spelling() {
    for (word, expected) in [
        ("ekonomisk förening", LegalForm::EconomicAssociation),
        ("ideell förening", LegalForm::NonProfitAssociation),
        ("stiftelse", LegalForm::Foundation),
        ("aktiebolag svb", LegalForm::LimitedCompanyRestrictedProfit),
        (
            "aktiebolag med särskild vinstutdelningsbegränsning",
            LegalForm::LimitedCompanyRestrictedProfit,
        ),
        (
            "Aktiebolag (svb)",
            LegalForm::LimitedCompanyRestrictedProfit,
        ),
        ("aktiebolag", LegalForm::LimitedCompany),
        ("trossamfund", LegalForm::ReligiousCommunity),
        ("annan", LegalForm::Other),
        ("Ekonomisk Forening", LegalForm::EconomicAssociation),
        ("economic_association", LegalForm::EconomicAssociation),
        ("non_profit_association", LegalForm::NonProfitAssociation),
        ("foundation", LegalForm::Foundation),
        (
            "limited_company_restricted_profit",
            LegalForm::LimitedCompanyRestrictedProfit,
        ),
        ("limited_company", LegalForm::LimitedCompany),
        ("religious_community", LegalForm::ReligiousCommunity),
        ("other", LegalForm::Other),
    ] {
        let csv = o_file(&[&format!("556016-0680;S;{word};ja;;;;;")]);
        let rows = organisations(&csv).unwrap_or_else(|e| panic!("{word}: {e:?}"));
        assert_eq!(rows[0].row.legal_form, expected, "{word}");
    }
    for bad in ["", "kommun", "handelsbolag"] {
        let errors = row_errors(organisations(&o_file(&[&format!(
            "556016-0680;S;{bad};ja;;;;;"
        )])));
        assert_eq!(places(&errors), [(2, Some("juridisk_form"))], "{bad}");
        assert!(errors[0]
            .message_sv
            .contains("ekonomisk förening, ideell förening"));
    }
}

#[test]
fn headcount_columns_come_in_pairs() {
    let csv = "organisationsnummer;namn;juridisk_form;idéburen;antal_sysselsatta\n556016-0680;S;stiftelse;ja;10\n";
    let (sv, en) = unreadable(organisations(csv));
    assert!(
        sv.contains("Kolumnen antal_sysselsatta finns men inte varav_målgrupp"),
        "{sv}"
    );
    assert!(
        en.contains("headcount_total is present but headcount_target_groups is not"),
        "{en}"
    );

    let csv = "organisationsnummer;namn;juridisk_form;idéburen;headcount_target_groups\n";
    let (sv, _) = unreadable(organisations(csv));
    assert!(
        sv.contains("Kolumnen varav_målgrupp finns men inte antal_sysselsatta"),
        "{sv}"
    );
}

#[test]
fn headcount_cells_come_in_pairs() {
    let csv = o_file(&[
        "556016-0680;S;stiftelse;ja;;10;3;;",
        &format!("{};T;stiftelse;ja;;;3;;", orgnr(1)),
        &format!("{};U;stiftelse;ja;;10;;;", orgnr(2)),
    ]);
    let errors = row_errors(organisations(&csv));
    assert_eq!(
        places(&errors),
        [(3, Some("antal_sysselsatta")), (4, Some("varav_målgrupp"))]
    );
    assert!(errors[0]
        .message_sv
        .contains("Fyll i båda eller lämna båda tomma"));
}

#[test]
fn headcount_rules_are_named_on_the_right_column() {
    let csv = o_file(&[
        "556016-0680;S;stiftelse;ja;;0;0;;",
        &format!("{};T;stiftelse;ja;;5;6;;", orgnr(1)),
        &format!("{};U;stiftelse;ja;;fem;x;;", orgnr(2)),
    ]);
    let errors = row_errors(organisations(&csv));
    assert_eq!(
        places(&errors),
        [
            (2, Some("antal_sysselsatta")),
            (3, Some("varav_målgrupp")),
            (4, Some("antal_sysselsatta")),
            (4, Some("varav_målgrupp"))
        ]
    );
    assert_eq!(
        errors[0].message_sv,
        Headcount::new(0, 0).unwrap_err().message(Lang::Sv)
    );
    assert_eq!(
        errors[1].message_en,
        Headcount::new(5, 6).unwrap_err().message(Lang::En)
    );
    assert!(errors[2].message_sv.contains("Skriv ett heltal"));
}

#[test]
fn turnover() {
    for (cell, ore) in [
        ("0", 0),
        ("1234,50", 123_450),
        ("1 234,50 kr", 123_450),
        ("\"1234,5\"", 123_450),
    ] {
        let rows = organisations(&o_file(&[&format!(
            "556016-0680;S;stiftelse;ja;;;;{cell};"
        )]))
        .unwrap();
        assert_eq!(
            rows[0].row.annual_turnover,
            Some(Money::from_ore(ore)),
            "{cell}"
        );
    }
    let errors = row_errors(organisations(&o_file(&[
        "556016-0680;S;stiftelse;ja;;;;-1;",
        &format!("{};T;stiftelse;ja;;;;tolv;", orgnr(1)),
    ])));
    assert_eq!(
        places(&errors),
        [(2, Some("omsättning")), (3, Some("omsättning"))]
    );
    assert!(errors[0].message_sv.contains("kan inte vara negativ"));
    assert_eq!(
        errors[1].message_sv,
        MoneyError::InvalidCharacter.message(Lang::Sv)
    );
}

#[test]
fn email() {
    let errors = row_errors(organisations(&o_file(&[
        "556016-0680;S;stiftelse;ja;;;;;anna@",
    ])));
    assert_eq!(places(&errors), [(2, Some("epost"))]);
    assert!(errors[0].message_sv.contains("namn@exempel.se"));
}

#[test]
fn bad_and_duplicate_organisation_numbers() {
    let csv = o_file(&[
        "556016-0680;A;aktiebolag;nej;;;;;",
        "556016-0681;B;aktiebolag;nej;;;;;",
        "16556016-0680;C;aktiebolag;nej;;;;;",
        "811228-9874;D;aktiebolag;nej;;;;;",
    ]);
    let errors = row_errors(organisations(&csv));
    assert_eq!(
        places(&errors),
        [
            (3, Some("organisationsnummer")),
            (4, Some("organisationsnummer")),
            (5, Some("organisationsnummer"))
        ]
    );
    assert_eq!(
        errors[0].message_sv,
        OrganisationNumberError::InvalidChecksum.message(Lang::Sv)
    );
    assert_eq!(
        errors[1].message_sv,
        "Samma organisationsnummer som på rad 2. Ta bort dubbletten eller rätta numret."
    );
    assert_eq!(
        errors[2].message_en,
        OrganisationNumberError::ThirdDigitTooLow.message(Lang::En)
    );
}

#[test]
fn required_columns_and_bools() {
    let (sv, en) = unreadable(organisations("organisationsnummer;namn;juridisk_form\n"));
    assert!(sv.contains("Kolumnen idéburen saknas"), "{sv}");
    assert!(en.contains("The column idea_driven is missing"), "{en}");
    let errors = row_errors(organisations(&o_file(&[
        "556016-0680;S;stiftelse;;kanske;;;;",
    ])));
    assert_eq!(
        places(&errors),
        [(2, Some("idéburen")), (2, Some("registrerad_idéburen"))]
    );
    assert_eq!(errors[0].message_sv, "Värde saknas. Skriv ja eller nej.");
}

#[test]
fn the_synthetic_flag() {
    let csv = format!(
        "{HEADER};syntetisk\n556016-0680;S;stiftelse;ja;;;;;;ja\n{};T;stiftelse;ja;;;;;;\n",
        orgnr(1)
    );
    for default in [false, true] {
        let rows = parse_organisations(csv.as_bytes(), default).unwrap();
        assert!(rows[0].row.synthetic);
        assert_eq!(rows[1].row.synthetic, default);
    }
}

#[test]
fn header_only_and_empty() {
    assert_eq!(organisations(HEADER).unwrap(), vec![]);
    unreadable(organisations(""));
}

#[test]
fn the_canonical_export() {
    use vidare_exchange::csv_import::write_organisations_csv;
    let csv = o_file(&[
        "556016-0680;Snickeriet; ek. för.;ekonomisk förening;ja;ja;20;8;1234,5;info@snickeriet.se",
        &format!(
            "{};\"Kafé \"\"Vidare\"\"\";Aktiebolag (svb);nej;;;;;",
            orgnr(1)
        ),
    ]);
    // The first row has a `;` in its name without quotes: one field too many.
    assert_eq!(places(&row_errors(organisations(&csv))), [(2, None)]);
    let csv = csv.replace("Snickeriet; ek. för.", "\"Snickeriet; ek. för.\"");
    let rows: Vec<_> = organisations(&csv)
        .unwrap()
        .into_iter()
        .map(|n| n.row)
        .collect();
    let mut out = Vec::new();
    write_organisations_csv(&rows, &mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.starts_with(&format!("\u{feff}{HEADER};syntetisk\r\n")),
        "{text}"
    );
    assert!(text.contains("\r\n556016-0680;\"Snickeriet; ek. för.\";ekonomisk förening;ja;ja;20;8;1234,50;info@snickeriet.se;nej\r\n"), "{text}");
    assert!(
        text.ends_with(";\"Kafé \"\"Vidare\"\"\";aktiebolag svb;nej;nej;;;;;nej\r\n"),
        "{text}"
    );
    let back: Vec<_> = parse_organisations(&out, true)
        .unwrap()
        .into_iter()
        .map(|n| n.row)
        .collect();
    assert_eq!(back, rows);
}
