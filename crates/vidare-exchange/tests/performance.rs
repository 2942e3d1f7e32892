//! How long a million participants take to import. Ignored by default; run with
//! `cargo test --release -p vidare-exchange -- --ignored --nocapture`
//! (`PARSE_REPEATS=5` for more runs; the best counts). It prints wall-clock
//! and CPU time: on a busy machine only the second is steady.

use std::time::Instant;

use chrono::{Days, NaiveDate};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::Text;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_exchange::csv_import::{parse_participants, write_participants_csv};

const ROWS: usize = 1_000_000;

/// A million distinct, plausible participants, the same every run.
fn population() -> Vec<NewParticipant> {
    // Long enough names that a million rows make about 100 MB.
    const FIRST: &[&str] = &[
        "Anna-Karin Elisabet",
        "Mohammed Abdullahi",
        "Åsa-Lena Margareta",
        "Erik Gustav Adolf",
        "Fatima Zahra Amina",
        "Karl-Johan Emanuel",
        "Maria Kristina",
        "Öjvind Sigvard",
    ];
    const LAST: &[&str] = &[
        "Andersson Lindqvist",
        "Johansson-Hägglund",
        "Ali Hassan Mohamud",
        "Öberg-Nilsson",
        "Lindström Åkerlund",
        "Nguyen Thi Hoa",
        "Ekström-Hansson",
    ];
    let first_day = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let names_first: Vec<Text> = FIRST.iter().map(|n| Text::parse(n).unwrap()).collect();
    let names_last: Vec<Text> = LAST.iter().map(|n| Text::parse(n).unwrap()).collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..ROWS)
        .map(|i| {
            let day = (i % 24_000) as u64;
            let serial = ((i / 24_000) % 1000) as u16;
            let r = next();
            NewParticipant {
                personal_number: PersonalIdentityNumber::from_parts(
                    first_day.checked_add_days(Days::new(day)).unwrap(),
                    serial,
                    if r & 1 == 0 {
                        IdentityKind::Personnummer
                    } else {
                        IdentityKind::Samordningsnummer
                    },
                )
                .unwrap(),
                first_name: names_first[(r >> 8) as usize % FIRST.len()].clone(),
                last_name: names_last[(r >> 16) as usize % LAST.len()].clone(),
                covariates: Covariates {
                    gender: Gender::ALL[(r >> 24) as usize % Gender::ALL.len()],
                    born_abroad: r >> 28 & 1 == 1,
                    education: EducationLevel::ALL[(r >> 29) as usize % EducationLevel::ALL.len()],
                    months_on_income_support: (r >> 32) as u32 % 481,
                    health_limitation: r >> 41 & 1 == 1,
                    swedish_level: SwedishLevel::ALL[(r >> 42) as usize % SwedishLevel::ALL.len()],
                    prior_work_experience: r >> 45 & 1 == 1,
                },
                synthetic: true,
            }
        })
        .collect()
}

/// CPU time of this process so far (all threads), where Linux tells it: a
/// busy machine stretches the wall-clock time but not this.
fn cpu_time() -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in brackets and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports in USER_HZ, which is 100 on every Linux platform in use.
    Some(std::time::Duration::from_millis(ticks * 10))
}

#[test]
#[ignore = "measures release-mode speed; run with --release -- --ignored --nocapture"]
fn a_million_participants() {
    let rows = population();
    let mut csv = Vec::with_capacity(ROWS * 100);
    let started = Instant::now();
    write_participants_csv(&rows, &mut csv).unwrap();
    let written = started.elapsed();

    let mut best = None;
    let repeats: usize = std::env::var("PARSE_REPEATS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    for _ in 0..repeats {
        let cpu_before = cpu_time();
        let started = Instant::now();
        let parsed =
            parse_participants(&csv, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), false).unwrap();
        let elapsed = started.elapsed();
        let cpu = cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        assert_eq!(parsed.len(), ROWS);
        assert_eq!(parsed[ROWS - 1].line, ROWS as u64 + 1);
        assert_eq!(parsed[ROWS - 1].row, rows[ROWS - 1]);
        drop(parsed);
        best = Some(best.map_or(elapsed, |b: std::time::Duration| b.min(elapsed)));
        match cpu {
            Some(cpu) => println!("parsed {ROWS} rows in {elapsed:.2?} (CPU time {cpu:.2?})"),
            None => println!("parsed {ROWS} rows in {elapsed:.2?}"),
        }
    }
    let best = best.unwrap();
    println!(
        "{ROWS} participants, {:.1} MB: written in {written:.2?}, parsed in {best:.2?} (best of {repeats}, {:.0} MB/s)",
        csv.len() as f64 / 1e6,
        csv.len() as f64 / 1e6 / best.as_secs_f64()
    );
    if !cfg!(debug_assertions) {
        assert!(best.as_secs_f64() < 2.0, "too slow: {best:?}");
    }
}
