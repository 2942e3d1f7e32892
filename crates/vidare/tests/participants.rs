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

/// Who `anonymise` should pick with cut-off `before`: not anonymised yet, no running
/// placement, no pending referral, last activity before the cut-off.
fn due(before: chrono::NaiveDate) -> String {
    format!(
        "SELECT COUNT(*) FROM participants d WHERE d.anonymised_on IS NULL \
         AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.participant_id = d.id AND p.end_date IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.participant_id = d.id AND r.status = 'pending') \
         AND COALESCE((SELECT MAX(p.end_date) FROM placements p WHERE p.participant_id = d.id), d.registered_on) < '{before}'"
    )
}

/// Without `--before` the cut-off is today minus the tenant's retention period (five
/// years until the administrator sets another); `--dry-run` counts and changes nothing;
/// the audit log's entries about those anonymised lose their content and the chain
/// still verifies.
#[tokio::test]
async fn anonymise_follows_the_retention_period() {
    use vidare_store::repo::tenants::retention_cutoff;

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    let out = vidare(&["generate", "--scale", "demo", "--seed", "20240423"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = vidare_store::Store::connect(&db).await.unwrap();
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let slug = tenant.slug.to_string();
    let today = vidare_domain::deadline::stockholm_today(chrono::Utc::now());
    let (five, three) = (retention_cutoff(today, 5), retention_cutoff(today, 3));
    let (due_five, due_three) = (
        scalar(&db, &due(five)).await,
        scalar(&db, &due(three)).await,
    );
    assert!(
        due_three > due_five && due_five > 0,
        "the demo has people past both periods: {due_five}, {due_three}"
    );
    let anonymised = "SELECT COUNT(*) FROM participants WHERE anonymised_on IS NOT NULL";
    let entries = "SELECT COUNT(*) FROM audit_log";

    // A dry run under the default period.
    let logged = scalar(&db, entries).await;
    let out = vidare(
        &["participants", "anonymise", "--tenant", &slug, "--dry-run"],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "{due_five} deltagare skulle anonymiseras i {slug} (sista aktivitet före {five}, \
             gallringsfrist 5 år). Inget har ändrats."
        )
    );
    // With a date, too; a date in the future is refused as in a real run.
    let out = vidare(
        &[
            "participants",
            "anonymise",
            "--tenant",
            &slug,
            "--before",
            "2023-01-01",
            "--dry-run",
        ],
        &db,
    );
    let by_date = scalar(
        &db,
        &due(chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap()),
    )
    .await;
    assert!(
        text(&out.stdout).starts_with(&format!("{by_date} deltagare skulle anonymiseras")),
        "{}",
        text(&out.stdout)
    );
    let out = vidare(
        &[
            "participants",
            "anonymise",
            "--tenant",
            &slug,
            "--before",
            "2999-01-01",
            "--dry-run",
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(scalar(&db, anonymised).await, 0);
    assert_eq!(
        scalar(&db, entries).await,
        logged,
        "a dry run writes nothing"
    );

    // The administrator shortens the period to three years; a change of one of those now
    // due is in the audit log.
    let s = store.tenant_as(tenant.id, vidare_store::Actor::system("test"));
    s.set_retention_years(3).await.unwrap();
    let candidates = s.anonymisation_candidates(three).await.unwrap();
    assert_eq!(candidates.len() as i64, due_three);
    let person = candidates[0];
    let record = s.participant_record(person).await.unwrap();
    let name = record.participant.last_name.to_string();
    s.audit(vidare_store::Change::update(
        "participants",
        person.get(),
        &serde_json::json!({ "last_name": name }),
        &serde_json::json!({ "last_name": format!("{name}-Hemlig") }),
    ))
    .await
    .unwrap();
    let about = format!(
        "SELECT COUNT(*) FROM audit_log WHERE participant_id = {} AND after_json IS NOT NULL AND action <> 'anonymise'",
        person.get()
    );
    assert!(scalar(&db, &about).await >= 1);

    let out = vidare(&["participants", "anonymise", "--tenant", &slug], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "{due_three} deltagare anonymiserade i {slug} (sista aktivitet före {three}, gallringsfrist 3 år)."
        )
    );
    assert_eq!(scalar(&db, anonymised).await, due_three);
    assert_eq!(
        scalar(&db, &about).await,
        0,
        "the log's entries about them are emptied"
    );
    let dump: i64 = scalar(
        &db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%{name}-Hemlig%'"),
    )
    .await;
    assert_eq!(dump, 0);
    let out = vidare(&["audit", "verify"], &db);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("poster har gallrats"),
        "{}",
        text(&out.stdout)
    );
}
