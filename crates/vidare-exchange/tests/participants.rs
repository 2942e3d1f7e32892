//! Importing participants: one test per rule of the format.

mod common;

use common::*;
use vidare_domain::model::participant::{EducationLevel, Gender, SwedishLevel};
use vidare_domain::personnummer::{IdentityNumberError, PersonalIdentityNumber};
use vidare_domain::{Lang, Localized};
use vidare_exchange::csv_import::{parse_participants, ImportFailure};

#[test]
fn reads_a_canonical_file() {
    let csv = p_file(&[p_row("19811228-9874", "Anna"), p_row(&pns(1), "Bo")]);
    let rows = participants(&csv).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[1].line, 3);
    let anna = &rows[0].row;
    assert_eq!(anna.personal_number, pn(1981, 12, 28, 987));
    assert_eq!(anna.first_name.as_str(), "Anna");
    assert_eq!(anna.last_name.as_str(), "Svensson");
    let c = &anna.covariates;
    assert_eq!(c.gender, Gender::Female);
    assert!(!c.born_abroad);
    assert_eq!(c.education, EducationLevel::UpperSecondary);
    assert_eq!(c.months_on_income_support, 12);
    assert!(!c.health_limitation);
    assert_eq!(c.swedish_level, SwedishLevel::Fluent);
    assert!(c.prior_work_experience);
    assert!(!anna.synthetic);
}

#[test]
fn byte_order_mark_is_optional() {
    let csv = p_file(&[p_row("19811228-9874", "Anna")]);
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(csv.as_bytes());
    let plain = participants(&csv).unwrap();
    let bom = parse_participants(&with_bom, today(), false).unwrap();
    assert_eq!(plain, bom);
    assert_eq!(bom.len(), 1);
}

#[test]
fn comma_and_semicolon_delimiters() {
    let semicolon = p_file(&[p_row("19811228-9874", "Anna")]);
    let comma = semicolon.replace(';', ",");
    assert_eq!(
        participants(&semicolon).unwrap(),
        participants(&comma).unwrap()
    );
    assert_eq!(participants(&comma).unwrap().len(), 1);
}

#[test]
fn crlf_line_ends_and_physical_line_numbers() {
    let lf = p_file(&[p_row("19811228-9874", "Anna"), p_row(&pns(1), "Bo")]);
    let crlf = lf.replace('\n', "\r\n");
    let rows = participants(&crlf).unwrap();
    assert_eq!(rows, participants(&lf).unwrap());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);

    // Blank lines are skipped but still counted, in either line-end style.
    let gappy = format!(
        "{P_HEADER}\n\n{}\n\n\n{}\n\n",
        p_row("19811228-9874", "Anna"),
        p_row(&pns(1), "Bo")
    );
    for csv in [
        gappy.clone(),
        gappy.replace('\n', "\r\n"),
        gappy.replace('\n', "\r"),
    ] {
        let lines: Vec<u64> = participants(&csv).unwrap().iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 6], "{csv:?}");
    }
}

#[test]
fn line_numbers_count_line_breaks_inside_quotes() {
    let csv = format!(
        "{P_HEADER}\r\n{}\r\n{}\r\n",
        p_row("19811228-9874", "\"Anna\nMaria\""),
        p_row("not-a-number", "Bo")
    );
    let errors = row_errors(participants(&csv));
    assert_eq!(places(&errors), [(4, Some("personnummer"))]);
}

#[test]
fn quoted_fields_may_hold_the_delimiter_and_quotes() {
    let semicolon = format!(
        "{P_HEADER}\n{}\n",
        p_row("19811228-9874", "\"Anna; \"\"Annie\"\", Maria\"")
    );
    let rows = participants(&semicolon).unwrap();
    assert_eq!(rows[0].row.first_name.as_str(), "Anna; \"Annie\", Maria");

    let comma = format!(
        "{}\n19811228-9874,\"Lind, Berg\",\"A;B\",man,ja,okänd,0,ja,ingen,nej\n",
        P_HEADER.replace(';', ",")
    );
    let rows = participants(&comma).unwrap();
    assert_eq!(rows[0].row.first_name.as_str(), "Lind, Berg");
    assert_eq!(rows[0].row.last_name.as_str(), "A;B");
}

#[test]
fn english_headers_and_header_spellings() {
    let english = "personal_number,first_name,last_name,gender,born_abroad,education,months_on_income_support,health_limitation,swedish_level,prior_work_experience\n19811228-9874,Anna,Svensson,female,no,upper_secondary,12,no,fluent,yes\n";
    let swedish = p_file(&[p_row("19811228-9874", "Anna")]);
    assert_eq!(
        participants(english).unwrap(),
        participants(&swedish).unwrap()
    );

    let variants = "PNR; Förnamn ;EFTERNAMN;Kon;Fodd utomlands;UTBILDNINGSNIVÅ;Månader-försörjningsstöd;Halsobegransning;Svenskaniva;Arbetslivserfarenhet\n19811228-9874;Anna;Svensson;kvinna;nej;gymnasial;12;nej;flytande;ja\n";
    assert_eq!(
        participants(variants).unwrap(),
        participants(&swedish).unwrap()
    );

    let samordning = "Samordningsnummer;First Name;Last-Name;born-abroad;Months On Income Support;HEALTH_LIMITATION;Swedish Level;Prior work experience\n19811228-9874;Anna;Svensson;nej;12;nej;flytande;ja\n";
    assert_eq!(participants(samordning).unwrap().len(), 1);
}

#[test]
fn every_yes_no_spelling() {
    let header = "personnummer;förnamn;efternamn;född_utomlands;månader_försörjningsstöd;hälsobegränsning;svenskanivå;arbetslivserfarenhet";
    for (word, expected) in [
        ("ja", true),
        ("nej", false),
        ("yes", true),
        ("no", false),
        ("1", true),
        ("0", false),
        ("sant", true),
        ("falskt", false),
        ("true", true),
        ("false", false),
        ("JA", true),
        ("Nej", false),
        ("TRUE", true),
        (" Falskt ", false),
    ] {
        let csv = format!("{header}\n19811228-9874;Anna;Svensson;{word};0;{word};ingen;{word}\n");
        let rows = participants(&csv).unwrap_or_else(|e| panic!("{word}: {e:?}"));
        let c = &rows[0].row.covariates;
        assert_eq!(
            (c.born_abroad, c.health_limitation, c.prior_work_experience),
            (expected, expected, expected),
            "{word}"
        );
    }
    for bad in ["kanske", "j", "2", "ja nej", ""] {
        let csv = format!("{header}\n19811228-9874;Anna;Svensson;{bad};0;nej;ingen;nej\n");
        let errors = row_errors(participants(&csv));
        assert_eq!(places(&errors), [(2, Some("född_utomlands"))], "{bad}");
        assert!(
            errors[0].message_sv.contains("Skriv ja eller nej."),
            "{bad}"
        );
        assert!(errors[0].message_en.contains("yes or no"), "{bad}");
    }
}

/// A participant row with the given gender, education and Swedish cells.
fn with_enums(gender: &str, education: &str, swedish: &str) -> String {
    format!(
        "{P_HEADER}\n19811228-9874;Anna;Svensson;{gender};nej;{education};0;nej;{swedish};nej\n"
    )
}

#[test]
fn every_gender_spelling() {
    for (word, expected) in [
        ("kvinna", Gender::Female),
        ("man", Gender::Male),
        ("annat", Gender::Other),
        ("okänt", Gender::Unknown),
        ("female", Gender::Female),
        ("male", Gender::Male),
        ("other", Gender::Other),
        ("unknown", Gender::Unknown),
        ("Kvinna", Gender::Female),
        ("OKÄNT", Gender::Unknown),
        ("okant", Gender::Unknown),
        ("", Gender::Unknown),
    ] {
        let rows = participants(&with_enums(word, "gymnasial", "medel")).unwrap();
        assert_eq!(rows[0].row.covariates.gender, expected, "{word}");
    }
    let errors = row_errors(participants(&with_enums("k", "gymnasial", "medel")));
    assert_eq!(places(&errors), [(2, Some("kön"))]);
    assert!(errors[0]
        .message_sv
        .contains("kvinna, man, annat eller okänt"));
}

#[test]
fn every_education_spelling() {
    for (word, expected) in [
        ("förgymnasial", EducationLevel::Primary),
        ("gymnasial", EducationLevel::UpperSecondary),
        ("eftergymnasial", EducationLevel::PostSecondary),
        ("okänd", EducationLevel::Unknown),
        ("primary", EducationLevel::Primary),
        ("upper_secondary", EducationLevel::UpperSecondary),
        ("post_secondary", EducationLevel::PostSecondary),
        ("unknown", EducationLevel::Unknown),
        ("Upper secondary", EducationLevel::UpperSecondary),
        ("FÖRGYMNASIAL", EducationLevel::Primary),
        ("", EducationLevel::Unknown),
    ] {
        let rows = participants(&with_enums("", word, "medel")).unwrap();
        assert_eq!(rows[0].row.covariates.education, expected, "{word}");
    }
    let errors = row_errors(participants(&with_enums("", "universitet", "medel")));
    assert_eq!(places(&errors), [(2, Some("utbildningsnivå"))]);
}

#[test]
fn every_swedish_level_spelling() {
    for (word, expected) in [
        ("flytande", SwedishLevel::Fluent),
        ("medel", SwedishLevel::Intermediate),
        ("grundläggande", SwedishLevel::Basic),
        ("ingen", SwedishLevel::None),
        ("fluent", SwedishLevel::Fluent),
        ("intermediate", SwedishLevel::Intermediate),
        ("basic", SwedishLevel::Basic),
        ("none", SwedishLevel::None),
        ("Grundlaggande", SwedishLevel::Basic),
    ] {
        let rows = participants(&with_enums("", "", word)).unwrap();
        assert_eq!(rows[0].row.covariates.swedish_level, expected, "{word}");
    }
    for bad in ["", "bra", "B1"] {
        let errors = row_errors(participants(&with_enums("", "", bad)));
        assert_eq!(places(&errors), [(2, Some("svenskanivå"))], "{bad}");
        assert!(errors[0]
            .message_sv
            .contains("flytande, medel, grundläggande eller ingen"));
    }
}

#[test]
fn optional_columns_may_be_left_out() {
    let csv = "personnummer;förnamn;efternamn;född_utomlands;månader_försörjningsstöd;hälsobegränsning;svenskanivå;arbetslivserfarenhet\n19811228-9874;Anna;Svensson;ja;3;nej;basic;nej\n";
    let rows = participants(csv).unwrap();
    assert_eq!(rows[0].row.covariates.gender, Gender::Unknown);
    assert_eq!(rows[0].row.covariates.education, EducationLevel::Unknown);
}

#[test]
fn missing_required_column() {
    let csv = P_HEADER.replace(";född_utomlands", "") + "\n";
    let (sv, en) = unreadable(participants(&csv));
    assert!(sv.contains("Kolumnen född_utomlands saknas"), "{sv}");
    assert!(en.contains("The column born_abroad is missing"), "{en}");

    // Every missing column is named at once.
    let (sv, _) = unreadable(participants("personnummer;förnamn\n"));
    for column in [
        "efternamn",
        "född_utomlands",
        "svenskanivå",
        "arbetslivserfarenhet",
    ] {
        assert!(sv.contains(column), "{column}: {sv}");
    }
}

#[test]
fn unknown_column_lists_the_accepted_ones() {
    let csv = format!(
        "{P_HEADER};skostorlek\n{};42\n",
        p_row("19811228-9874", "Anna")
    );
    let (sv, en) = unreadable(participants(&csv));
    assert!(
        sv.contains("Okänd kolumn \"skostorlek\" (kolumn 11 (K))"),
        "{sv}"
    );
    assert!(sv.contains("personnummer, förnamn, efternamn"), "{sv}");
    assert!(sv.contains("syntetisk"), "{sv}");
    assert!(en.contains("Unknown column \"skostorlek\""), "{en}");
    assert!(
        en.contains("personal_number, first_name, last_name"),
        "{en}"
    );
}

#[test]
fn a_first_line_that_is_not_a_header() {
    let csv = p_row("19811228-9874", "Anna") + "\n";
    let (sv, en) = unreadable(participants(&csv));
    assert!(sv.starts_with("Första raden ska vara en rubrikrad"), "{sv}");
    assert!(en.contains("header line"), "{en}");
}

#[test]
fn duplicate_header_column() {
    let csv = format!("{P_HEADER};first_name\n");
    let (sv, en) = unreadable(participants(&csv));
    assert!(
        sv.contains("\"förnamn\" (kolumn 2 (B)) och \"first_name\" (kolumn 11 (K))"),
        "{sv}"
    );
    assert!(en.contains("Remove one of them"), "{en}");
}

#[test]
fn an_empty_header_cell_is_refused() {
    let csv = format!("{P_HEADER};\n");
    let (sv, _) = unreadable(participants(&csv));
    assert!(sv.contains("Kolumn 11 (K) saknar namn"), "{sv}");
}

#[test]
fn the_same_personnummer_twice() {
    let csv = p_file(&[
        p_row(&pns(1), "A"),
        p_row("19811228-9874", "Anna"),
        p_row(&pns(2), "B"),
        p_row("811228-9874", "Anna igen"),
        p_row("198112289874", "Anna en gång till"),
    ]);
    let errors = row_errors(participants(&csv));
    assert_eq!(
        places(&errors),
        [(5, Some("personnummer")), (6, Some("personnummer"))]
    );
    assert_eq!(
        errors[0].message_sv,
        "Samma personnummer som på rad 3. Ta bort dubbletten eller rätta numret."
    );
    assert!(errors[1]
        .message_en
        .starts_with("The same identity number as on line 3."));
}

#[test]
fn wrong_number_of_fields_is_one_error_for_the_line() {
    let csv = p_file(&[
        p_row("19811228-9874", "Anna"),
        p_row(&pns(1), "Bo;Olle"),
        "19811228-9874;bara tre;fält".to_owned(),
    ]);
    let errors = row_errors(participants(&csv));
    assert_eq!(places(&errors), [(3, None), (4, None)]);
    assert!(errors[0]
        .message_sv
        .contains("Raden har 11 fält men rubrikraden har 10"));
    assert!(errors[1]
        .message_en
        .contains("The line has 3 fields but the header line has 10"));
}

#[test]
fn bad_personnummer_names_column_and_line() {
    let csv = p_file(&[
        p_row(&pns(1), "A"),
        p_row(&pns(2), "B"),
        p_row("19811228-9875", "Anna"),
    ]);
    let errors = row_errors(participants(&csv));
    assert_eq!(places(&errors), [(4, Some("personnummer"))]);
    let expected = PersonalIdentityNumber::parse("19811228-9875", today()).unwrap_err();
    assert_eq!(expected, IdentityNumberError::InvalidChecksum);
    assert_eq!(errors[0].message_sv, expected.message(Lang::Sv));
    assert_eq!(errors[0].message_en, expected.message(Lang::En));

    let report = ImportFailure::Rows(errors).report(Lang::Sv);
    assert!(
        report.contains("rad 4, kolumn personnummer: Kontrollsiffran stämmer inte."),
        "{report}"
    );
}

#[test]
fn future_birth_dates_are_refused_relative_to_today() {
    let future = pn(2025, 3, 2, 1).to_string();
    let errors = row_errors(participants(&p_file(&[p_row(&future, "Ny")])));
    assert_eq!(
        errors[0].message_en,
        IdentityNumberError::FutureDate.message(Lang::En)
    );
}

#[test]
fn months_above_the_maximum() {
    let row = |months: &str| {
        format!("19811228-9874;Anna;Svensson;kvinna;nej;gymnasial;{months};nej;flytande;ja")
    };
    assert_eq!(
        participants(&p_file(&[row("480")])).unwrap()[0]
            .row
            .covariates
            .months_on_income_support,
        480
    );
    for months in ["481", "99999999999999"] {
        let errors = row_errors(participants(&p_file(&[row(months)])));
        assert_eq!(places(&errors), [(2, Some("månader_försörjningsstöd"))]);
        assert_eq!(
            errors[0].message_sv,
            "Antalet månader med försörjningsstöd kan vara högst 480."
        );
    }
    for months in ["-1", "12,5", "tolv", ""] {
        let errors = row_errors(participants(&p_file(&[row(months)])));
        assert_eq!(
            places(&errors),
            [(2, Some("månader_försörjningsstöd"))],
            "{months}"
        );
        assert!(errors[0].message_sv.contains("från 0 till 480"), "{months}");
    }
}

#[test]
fn names_are_checked() {
    let long = "x".repeat(201);
    let csv = p_file(&[p_row(&pns(1), "  "), p_row(&pns(2), &long)]);
    let errors = row_errors(participants(&csv));
    assert_eq!(
        places(&errors),
        [(2, Some("förnamn")), (3, Some("förnamn"))]
    );
    assert!(errors[0].message_sv.contains("får inte vara tomt"));
    assert!(errors[1].message_sv.contains("högst 200 tecken"));
    // Names are trimmed.
    let rows = participants(&p_file(&[p_row(&pns(1), "  Åsa Öberg ")])).unwrap();
    assert_eq!(rows[0].row.first_name.as_str(), "Åsa Öberg");
}

#[test]
fn three_bad_rows_report_exactly_those_lines() {
    let mut rows: Vec<String> = (1..=10).map(|n| p_row(&pns(n), "Ok")).collect();
    rows[2] = p_row("19811228-9875", "Fel kontrollsiffra"); // line 4
    rows[5] = format!(
        "{};Anna;Svensson;kvinna;kanske;gymnasial;12;nej;flytande;ja",
        pns(100)
    ); // line 7
    rows[8] = format!(
        "{};Anna;Svensson;kvinna;ja;gymnasial;999;nej;flytande;ja",
        pns(101)
    ); // line 10
    let errors = row_errors(participants(&p_file(&rows)));
    let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [4, 7, 10]);
    assert_eq!(
        places(&errors),
        [
            (4, Some("personnummer")),
            (7, Some("född_utomlands")),
            (10, Some("månader_försörjningsstöd"))
        ]
    );
}

#[test]
fn every_error_of_a_row_in_column_order() {
    let csv = p_file(&[
        "19811228-9875;;Svensson;x;kanske;y;-1;z;w;v".to_owned(),
        p_row(&pns(7), "Ok"),
    ]);
    let errors = row_errors(participants(&csv));
    let columns: Vec<_> = places(&errors)
        .into_iter()
        .map(|(_, c)| c.unwrap())
        .collect();
    assert_eq!(
        columns,
        [
            "personnummer",
            "förnamn",
            "kön",
            "född_utomlands",
            "utbildningsnivå",
            "månader_försörjningsstöd",
            "hälsobegränsning",
            "svenskanivå",
            "arbetslivserfarenhet"
        ]
    );
    assert!(errors.iter().all(|e| e.line == 2));
}

#[test]
fn columns_are_named_as_written_in_the_file() {
    let csv = "Personal Number,First Name,Last Name,Born Abroad,Months on income support,Health limitation,Swedish level,Prior work experience\n123,Anna,Svensson,no,0,no,none,no\n";
    let errors = row_errors(participants(csv));
    assert_eq!(places(&errors), [(2, Some("Personal Number"))]);
    let report = ImportFailure::Rows(errors).report(Lang::En);
    assert!(
        report.contains(
            "line 2, column Personal Number: The identity number has the wrong number of digits."
        ),
        "{report}"
    );
}

#[test]
fn header_only_is_an_empty_import() {
    for csv in [
        P_HEADER.to_string(),
        format!("{P_HEADER}\n"),
        format!("{P_HEADER}\r\n\r\n\r\n"),
        format!("\u{feff}{P_HEADER}\r\n"),
    ] {
        assert_eq!(participants(&csv).unwrap(), vec![], "{csv:?}");
    }
}

#[test]
fn rows_of_empty_cells_are_skipped() {
    let csv = format!(
        "{P_HEADER}\n{}\n;;;;;;;;;\n  \n;;\n",
        p_row("19811228-9874", "Anna")
    );
    assert_eq!(participants(&csv).unwrap().len(), 1);
}

#[test]
fn an_empty_file_is_unreadable() {
    for csv in ["", "\u{feff}", "\n\n", " \r\n"] {
        let (sv, en) = unreadable(participants(csv));
        assert!(sv.starts_with("Filen är tom."), "{csv:?}: {sv}");
        assert!(en.starts_with("The file is empty."), "{csv:?}: {en}");
    }
}

#[test]
fn a_file_that_is_not_utf8_names_the_line() {
    // Windows-1252, as older Excel saves "CSV (semikolonavgränsad)".
    let mut bytes = b"personnummer;fornamn;efternamn;fodd_utomlands;manader_forsorjningsstod;halsobegransning;svenskaniva;arbetslivserfarenhet\r\n".to_vec();
    bytes.extend_from_slice(b"19811228-9874;Anna;Svensson;nej;0;nej;ingen;nej\r\n");
    bytes.extend_from_slice(b"19811228-9874;\xc5sa;\xd6berg;nej;0;nej;ingen;nej\r\n");
    let (sv, en) = unreadable(parse_participants(&bytes, today(), false));
    assert!(
        sv.contains("Filen är inte UTF-8 (ogiltiga tecken på rad 3)"),
        "{sv}"
    );
    assert!(sv.contains("CSV UTF-8"), "{sv}");
    assert!(en.contains("line 3"), "{en}");
}

#[test]
fn the_synthetic_flag() {
    let plain = p_file(&[p_row("19811228-9874", "Anna")]);
    for default in [false, true] {
        let rows = parse_participants(plain.as_bytes(), today(), default).unwrap();
        assert_eq!(rows[0].row.synthetic, default);
    }
    let csv = format!(
        "{P_HEADER};syntetisk\n{};ja\n{};nej\n{};\n",
        p_row(&pns(1), "A"),
        p_row(&pns(2), "B"),
        p_row(&pns(3), "C")
    );
    for default in [false, true] {
        let rows = parse_participants(csv.as_bytes(), today(), default).unwrap();
        let flags: Vec<bool> = rows.iter().map(|r| r.row.synthetic).collect();
        assert_eq!(flags, [true, false, default]);
    }
    let bad = format!("{P_HEADER};synthetic\n{};kanske\n", p_row(&pns(1), "A"));
    assert_eq!(
        places(&row_errors(participants(&bad))),
        [(2, Some("synthetic"))]
    );
}

#[test]
fn reports_in_both_languages() {
    let csv = p_file(&[
        p_row("19811228-9875", "Anna"),
        p_row(&pns(1), "Bo;extra"),
        "19811228-9874;Anna;Svensson;kvinna;kanske;gymnasial;500;nej;flytande;ja".to_owned(),
    ]);
    let failure = participants(&csv).unwrap_err();
    let sv = failure.report(Lang::Sv);
    let lines: Vec<&str> = sv.lines().collect();
    assert_eq!(lines.len(), 5, "{sv}");
    assert_eq!(
        lines[0],
        "Inget importerades: 4 fel på 3 rader. Rätta raderna nedan och importera filen igen."
    );
    assert!(lines[1].starts_with("rad 2, kolumn personnummer: "), "{sv}");
    assert!(lines[2].starts_with("rad 3: Raden har 11 fält"), "{sv}");
    assert!(
        lines[3].starts_with("rad 4, kolumn född_utomlands: "),
        "{sv}"
    );
    assert!(
        lines[4].starts_with("rad 4, kolumn månader_försörjningsstöd: "),
        "{sv}"
    );
    let en = failure.report(Lang::En);
    assert!(
        en.starts_with("Nothing was imported: 4 errors on 3 lines."),
        "{en}"
    );
    assert!(en.contains("\nline 3: The line has 11 fields"), "{en}");
    assert_eq!(failure.message(Lang::En), en);
    assert!(failure
        .to_string()
        .starts_with("Nothing was imported: 4 errors on 3 lines."));

    let unreadable = participants("").unwrap_err();
    assert_eq!(unreadable.report(Lang::Sv), unreadable_sv(&unreadable));
    assert_eq!(unreadable.to_string(), unreadable.report(Lang::En));
}

fn unreadable_sv(failure: &ImportFailure) -> String {
    match failure {
        ImportFailure::Unreadable { message_sv, .. } => message_sv.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_report_lists_every_error_however_many() {
    let rows: Vec<String> = (0..1200).map(|_| p_row("19811228-9875", "Anna")).collect();
    let failure = participants(&p_file(&rows)).unwrap_err();
    let ImportFailure::Rows(errors) = &failure else {
        panic!("{failure:?}")
    };
    assert_eq!(errors.len(), 1200);
    assert_eq!(failure.report(Lang::Sv).lines().count(), 1201);
}

#[test]
fn ten_digit_numbers_use_today_for_the_century() {
    let csv = p_file(&[p_row("811228-9874", "Anna"), p_row("8112289874", "Anna")]);
    let errors = row_errors(participants(&csv));
    // Both are the same person: the second is a duplicate.
    assert_eq!(places(&errors), [(3, Some("personnummer"))]);
    let rows = participants(&p_file(&[p_row("811228-9874", "Anna")])).unwrap();
    assert_eq!(rows[0].row.personal_number, pn(1981, 12, 28, 987));
}

#[test]
fn the_canonical_export_through_a_file() {
    use vidare_exchange::csv_import::write_participants_csv;
    let rows: Vec<_> = participants(&p_file(&[
        p_row("19811228-9874", "\"Anna \"\"Annie\"\"; Maria\""),
        format!(
            "{};Bo;Ek;man;ja;förgymnasial;0;ja;grundläggande;nej",
            pns(3)
        ),
        format!("{};Cy;Ek;annat;ja;eftergymnasial;480;ja;ingen;nej", pns(4)),
        format!("{};Di;Ek;okänt;ja;okänd;1;ja;medel;nej", pns(5)),
    ]))
    .unwrap()
    .into_iter()
    .map(|n| n.row)
    .collect();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write_participants_csv(&rows, file.as_file_mut()).unwrap();
    let bytes = std::fs::read(file.path()).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(
        text.starts_with(&format!("\u{feff}{P_HEADER};syntetisk\r\n")),
        "{text}"
    );
    assert!(text.contains("\r\n19811228-9874;\"Anna \"\"Annie\"\"; Maria\";Svensson;kvinna;nej;gymnasial;12;nej;flytande;ja;nej\r\n"), "{text}");
    assert!(
        text.contains(";man;ja;förgymnasial;0;ja;grundläggande;nej;nej\r\n"),
        "{text}"
    );
    assert!(
        text.contains(";annat;ja;eftergymnasial;480;ja;ingen;nej;nej\r\n"),
        "{text}"
    );
    assert!(
        text.ends_with(";okänt;ja;okänd;1;ja;medel;nej;nej\r\n"),
        "{text}"
    );
    let back: Vec<_> = parse_participants(&bytes, today(), true)
        .unwrap()
        .into_iter()
        .map(|n| n.row)
        .collect();
    assert_eq!(back, rows);
}
