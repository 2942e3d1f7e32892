//! `vidare participants anonymise` as an operator runs it, against the demo municipality
//! generated into a temporary SQLite database: names and personnummer of those past the
//! retention period are replaced by irreversible placeholders, the statistics (covariates,
//! placements, exits, follow-ups) are untouched, every anonymisation is audited, and bad
//! input is refused plainly.

use std::process::{Command, Output};

use sqlx::{Connection, SqliteConnection};

fn vidare(args: &[&str], db: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vidare"))
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("VIDARE_DATABASE_URL")
        .env_remove("VIDARE_CONFIG")
        .env_remove("VIDARE_LANG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run vidare")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn scalar(db: &str, sql: &str) -> i64 {
    let mut c = SqliteConnection::connect(db).await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
}

#[tokio::test]
async fn anonymise_keeps_the_statistics_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    let out = vidare(&["generate", "--scale", "demo", "--seed", "20240422"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let slug: String = {
        let mut c = SqliteConnection::connect(&db).await.unwrap();
        sqlx::query_scalar("SELECT slug FROM tenants ORDER BY id LIMIT 1")
            .fetch_one(&mut c)
            .await
            .unwrap()
    };
    let stats = "SELECT (SELECT COUNT(*) FROM participants) * 1000000 + (SELECT COUNT(*) FROM placements) * 1000 \
                 + (SELECT COUNT(*) FROM exits) + (SELECT COUNT(*) FROM follow_ups) * 7 \
                 + (SELECT SUM(months_on_income_support) FROM participants)";
    let before_stats = scalar(&db, stats).await;
    // Expected: not anonymised yet, no running placement, no pending referral, last
    // activity (latest placement end, else registration) before the cut-off.
    let expected = scalar(
        &db,
        "SELECT COUNT(*) FROM participants d WHERE d.anonymised_on IS NULL \
         AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.participant_id = d.id AND p.end_date IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.participant_id = d.id AND r.status = 'pending') \
         AND COALESCE((SELECT MAX(p.end_date) FROM placements p WHERE p.participant_id = d.id), d.registered_on) < '2023-01-01'",
    )
    .await;
    assert!(
        expected > 100,
        "the demo has people past the cut-off: {expected}"
    );

    // Bad input: exit code 2, a plain message, nothing changed.
    let out = vidare(
        &[
            "participants",
            "anonymise",
            "--tenant",
            &slug,
            "--before",
            "1 jan",
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--before"),
        "{}",
        text(&out.stderr)
    );
    let out = vidare(
        &[
            "participants",
            "anonymise",
            "--tenant",
            "finns-inte",
            "--before",
            "2023-01-01",
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--tenant"));
    let out = vidare(
        &[
            "participants",
            "anonymise",
            "--tenant",
            &slug,
            "--before",
            "2999-01-01",
        ],
        &db,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a date in the future is refused"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM participants WHERE anonymised_on IS NOT NULL"
        )
        .await,
        0
    );

    let out = vidare(
        &[
            "participants",
            "anonymise",
            "--tenant",
            &slug,
            "--before",
            "2023-01-01",
        ],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with(&format!("{expected} deltagare anonymiserade")),
        "{}",
        text(&out.stdout)
    );

    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM participants WHERE anonymised_on IS NOT NULL"
        )
        .await,
        expected
    );
    // Placeholders only: no real name, a 19th-century placeholder number, the birth year kept.
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM participants WHERE anonymised_on IS NOT NULL AND (first_name <> 'Anonymiserad' \
                     OR last_name <> CAST(id AS TEXT) OR personal_number NOT LIKE '18%' OR birth_year IS NULL OR birth_year < 1900)").await,
        0
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(DISTINCT personal_number) FROM participants"
        )
        .await,
        scalar(&db, "SELECT COUNT(*) FROM participants").await
    );
    // The statistics are untouched.
    assert_eq!(scalar(&db, stats).await, before_stats);
    // Audited: one entry per participant, and the chain is intact.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'anonymise' AND entity = 'participants'"
        )
        .await,
        expected
    );
    let out = vidare(&["audit", "verify"], &db);
    assert!(out.status.success(), "{}", text(&out.stdout));
    // A second run finds nobody new.
    let out = vidare(
        &[
            "participants",
            "anonymise",
            "--tenant",
            &slug,
            "--before",
            "2023-01-01",
        ],
        &db,
    );
    assert!(
        text(&out.stdout).starts_with("0 deltagare"),
        "{}",
        text(&out.stdout)
    );
}
