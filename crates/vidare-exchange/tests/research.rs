//! Research exports on a tiny dataset: the CSV matches its snapshot (with a fixed key),
//! pseudonyms are stable within an export and differ across keys, censoring and
//! follow-up codes follow the codebook, and the Parquet file reads back with the same
//! rows. The export from a real database (no identity numbers or names anywhere, the
//! audit and access logs) is tested in `crates/vidare/tests/export.rs`.

use chrono::NaiveDate;
use vidare_domain::model::participant::{Covariates, EducationLevel, Gender, SwedishLevel};
use vidare_domain::model::placement::{ExitOutcome, FollowUpPoint, FollowUpStatus};
use vidare_exchange::research::{
    codebook_csv, codebook_markdown, episodes, read_parquet, write_csv, write_parquet, Cell,
    EpisodeInput, EpisodeRow, ExportInfo, Procurement, PseudonymKey, COLUMNS,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn covariates(gender: Gender, months: u32) -> Covariates {
    Covariates {
        gender,
        born_abroad: true,
        education: EducationLevel::Primary,
        months_on_income_support: months,
        health_limitation: false,
        swedish_level: SwedishLevel::Basic,
        prior_work_experience: false,
    }
}

/// Three episodes of two people: one exits to work with follow-ups, one exits otherwise
/// (censored), one still runs at the reference date.
fn tiny() -> Vec<EpisodeInput> {
    vec![
        EpisodeInput {
            tenant_id: 1,
            placement_id: 10,
            participant_id: 100,
            organisation_id: 5,
            birth_date: d(1990, 3, 15),
            covariates: covariates(Gender::Female, 30),
            registered_on: Some(d(2023, 1, 10)),
            placement_type: "carpentry".into(),
            procurement: Procurement::Round("reserved_integration"),
            start_date: d(2023, 2, 1),
            end_date: Some(d(2023, 6, 30)),
            planned_end: d(2024, 1, 31),
            weekly_minutes: 1200,
            exit: Some((d(2023, 6, 30), ExitOutcome::WorkSubsidised)),
            follow_ups: vec![
                (FollowUpPoint::Months3, FollowUpStatus::Employed),
                (FollowUpPoint::Months6, FollowUpStatus::Employed),
            ],
        },
        EpisodeInput {
            tenant_id: 1,
            placement_id: 11,
            participant_id: 101,
            organisation_id: 6,
            birth_date: d(1964, 12, 1),
            covariates: covariates(Gender::Male, 5),
            registered_on: None,
            placement_type: "cafe".into(),
            procurement: Procurement::NoRound,
            start_date: d(2022, 4, 4),
            end_date: Some(d(2022, 9, 15)),
            planned_end: d(2022, 10, 3),
            weekly_minutes: 900,
            exit: Some((d(2022, 9, 15), ExitOutcome::Illness)),
            follow_ups: vec![(FollowUpPoint::Months3, FollowUpStatus::OnIncomeSupport)],
        },
        EpisodeInput {
            tenant_id: 1,
            placement_id: 12,
            participant_id: 101,
            organisation_id: 5,
            birth_date: d(1964, 12, 1),
            covariates: covariates(Gender::Male, 5),
            registered_on: None,
            placement_type: "carpentry".into(),
            procurement: Procurement::Round("reserved_integration"),
            start_date: d(2025, 9, 1),
            end_date: None,
            planned_end: d(2026, 2, 28),
            weekly_minutes: 1500,
            exit: None,
            follow_ups: Vec::new(),
        },
    ]
}

fn fixed_key() -> PseudonymKey {
    PseudonymKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        .unwrap()
}

const AS_OF: (i32, u32, u32) = (2025, 12, 31);

fn rows(key: &PseudonymKey) -> Vec<EpisodeRow> {
    episodes(&tiny(), key, d(AS_OF.0, AS_OF.1, AS_OF.2))
}

fn csv_text(rows: &[EpisodeRow]) -> String {
    let mut buf = Vec::new();
    write_csv(&mut buf, rows).unwrap();
    String::from_utf8(buf).unwrap()
}

fn column(name: &str) -> usize {
    COLUMNS.iter().position(|c| c.name == name).unwrap()
}

/// The row of placement `id` under `key`.
fn row_of<'a>(rows: &'a [EpisodeRow], key: &PseudonymKey, id: i64) -> &'a EpisodeRow {
    let p = key.pseudonym("placement", 1, id);
    rows.iter()
        .find(|r| r.values[0] == Some(Cell::Text(p.clone())))
        .unwrap()
}

#[test]
fn csv_matches_its_snapshot() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/research_tiny.csv");
    let actual = csv_text(&rows(&fixed_key()));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .expect("snapshot missing: run with UPDATE_SNAPSHOTS=1 once and review the file");
    assert_eq!(actual, expected, "review and run with UPDATE_SNAPSHOTS=1");
}

#[test]
fn outcomes_censoring_and_follow_ups() {
    let key = fixed_key();
    let rows = rows(&key);
    let v = |r: &EpisodeRow, c: &str| r.values[column(c)].clone();
    let text = |s: &str| Some(Cell::Text(s.to_string()));
    let int = |n: i32| Some(Cell::Int(n));

    let work = row_of(&rows, &key, 10);
    assert_eq!(v(work, "exit_indicator"), text("work"));
    assert_eq!(v(work, "time_to_work_days"), int(149)); // 2023-02-01 → 2023-06-30
    assert_eq!(v(work, "time_to_work_censored"), int(0));
    assert_eq!(v(work, "days_in_placement"), int(150));
    assert_eq!(v(work, "age_band"), text("25-34"));
    assert_eq!(v(work, "income_support_band"), text("24+"));
    assert_eq!(v(work, "days_registration_to_start"), int(22));
    assert_eq!(v(work, "followup_3m"), text("employed"));
    assert_eq!(v(work, "followup_6m"), text("employed"));
    // Due 2024-06-30, before the reference date, not recorded.
    assert_eq!(v(work, "followup_12m"), text("missing"));
    assert_eq!(v(work, "weekly_hours"), int(20));

    let ill = row_of(&rows, &key, 11);
    assert_eq!(v(ill, "exit_indicator"), text("neither"));
    assert_eq!(v(ill, "time_to_work_censored"), int(1));
    assert_eq!(v(ill, "time_to_work_days"), int(164));
    assert_eq!(v(ill, "procurement"), text("no_round"));
    assert_eq!(v(ill, "registration_year"), None);
    assert_eq!(v(ill, "age_band"), text("55-64"));

    let running = row_of(&rows, &key, 12);
    assert_eq!(v(running, "exit_outcome"), None);
    assert_eq!(v(running, "end_month"), None);
    assert_eq!(v(running, "time_to_work_censored"), int(1));
    assert_eq!(v(running, "time_to_work_days"), int(121)); // censored at 2025-12-31
    assert_eq!(v(running, "followup_3m"), text("not_due"));
    assert_eq!(v(running, "age_band"), text("55-64"));
}

#[test]
fn pseudonyms_are_stable_within_an_export_and_differ_across_keys() {
    let a = PseudonymKey::random();
    let b = PseudonymKey::random();
    let ra = rows(&a);
    let rb = rows(&b);
    let person = column("person");
    let supplier = column("supplier");
    // Participant 101 has two episodes: one pseudonym in both rows.
    let p101 = a.pseudonym("participant", 1, 101);
    assert_eq!(
        ra.iter()
            .filter(|r| r.values[person] == Some(Cell::Text(p101.clone())))
            .count(),
        2
    );
    // Supplier 5 likewise.
    let s5 = a.pseudonym("organisation", 1, 5);
    assert_eq!(
        ra.iter()
            .filter(|r| r.values[supplier] == Some(Cell::Text(s5.clone())))
            .count(),
        2
    );
    // Another key: no pseudonym in common.
    let set = |rows: &[EpisodeRow]| -> std::collections::BTreeSet<String> {
        rows.iter()
            .flat_map(|r| [0, person, supplier].map(|i| r.values[i].clone().unwrap().to_string()))
            .collect()
    };
    assert!(set(&ra).is_disjoint(&set(&rb)));
    // The same key again: the same export.
    assert_eq!(csv_text(&ra), csv_text(&rows(&a)));
    // A pseudonym is not the id, nor any plain hash of it.
    for r in &ra {
        let p = r.values[person].clone().unwrap().to_string();
        assert_eq!(p.len(), 20);
        assert!(!["100", "101"].contains(&p.as_str()));
    }
}

#[test]
fn nothing_identifying_is_written() {
    let csv = csv_text(&rows(&PseudonymKey::random()));
    for forbidden in [
        "1990-03-15",
        "19900315",
        "1964-12-01",
        "2023-02-01",
        "2023-06-30",
    ] {
        assert!(!csv.contains(forbidden), "{forbidden} in\n{csv}");
    }
    let header = csv.lines().next().unwrap();
    for word in [
        "personnummer",
        "name",
        "namn",
        "participant_id",
        "placement_id",
    ] {
        assert!(!header.contains(word), "{header}");
    }
}

#[test]
fn parquet_reads_back_with_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("episodes.parquet");
    let key = fixed_key();
    let rows = rows(&key);
    write_parquet(&path, &rows).unwrap();
    let (names, back) = read_parquet(&path).unwrap();
    assert_eq!(
        names,
        COLUMNS
            .iter()
            .map(|c| c.name.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(back, rows);
    // Every null survives as null, every integer as an integer.
    assert!(back
        .iter()
        .any(|r| r.values[column("exit_outcome")].is_none()));
    assert!(matches!(
        back[0].values[column("weekly_hours")],
        Some(Cell::Int(_))
    ));
}

#[test]
fn the_codebook_describes_every_column() {
    let md = codebook_markdown(&ExportInfo {
        tenant_name: "Storsjö kommun".into(),
        exported_at: chrono::Utc::now(),
        as_of: d(2025, 12, 31),
        rows: 3,
        key_fingerprint: fixed_key().fingerprint(),
        key_supplied: false,
        files: vec!["episodes.csv".into()],
    });
    let csv = codebook_csv();
    for c in COLUMNS {
        assert!(md.contains(&format!("| `{}` |", c.name)), "{}", c.name);
        assert!(csv.contains(&format!("\n{},", c.name)), "{}", c.name);
        assert!(!c.description.is_empty());
    }
    // The fingerprint, never the key.
    assert!(md.contains(&fixed_key().fingerprint()));
    assert!(!md.contains(&fixed_key().to_hex()));
}
