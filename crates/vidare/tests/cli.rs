//! `vidare user …` and `vidare audit verify` as an operator runs them: the built binary
//! against a temporary SQLite database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `vidare ARGS --database DB` with `env` set and `stdin` (if any) piped in.
fn run(args: &[&str], db: &str, env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vidare"));
    cmd.args(args)
        .arg("--database")
        .arg(db)
        .env_remove("VIDARE_DATABASE_URL")
        .env_remove("VIDARE_CONFIG")
        .env_remove("VIDARE_LANG")
        .env_remove("VIDARE_PASSWORD")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run vidare");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("vidare finishes")
}

fn vidare(args: &[&str], db: &str) -> Output {
    run(args, db, &[], None)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A migrated database with the tenant `test` and one supplier organisation.
fn setup(dir: &tempfile::TempDir) -> String {
    let db = format!("sqlite://{}", dir.path().join("v.sqlite").display());
    let out = vidare(&["migrate"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = vidare(&["tenant", "add", "test", "--name", "Testkommun"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let orgs = dir.path().join("org.csv");
    std::fs::write(
        &orgs,
        format!(
            "org_number,name,legal_form,idea_driven,headcount_total,headcount_target_groups\n\
             {ORGNR},Verkstan ek. för.,economic_association,yes,10,4\n"
        ),
    )
    .unwrap();
    let out = vidare(
        &[
            "import",
            "organisations",
            orgs.to_str().unwrap(),
            "--tenant",
            "test",
        ],
        &db,
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    db
}

/// The test supplier's organisation number (synthetic, valid check digit).
const ORGNR: &str = "769600-1234";
/// A valid organisation number that is not in the register.
const UNREGISTERED: &str = "556016-0680";

/// The stored password hash of an account.
fn stored_hash(db: &str, email: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        let h: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        h
    })
}

#[test]
fn user_add_list_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(&dir);

    // From the environment.
    let out = run(
        &[
            "user",
            "add",
            "--tenant",
            "test",
            "--role",
            "tenant_admin",
            "Admin@Test.Example",
            "--name",
            "Anna Admin",
        ],
        &db,
        &[("VIDARE_PASSWORD", "ett långt lösenord")],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Kontot admin@test.example (Administratör) är skapat"),
        "{}",
        text(&out.stdout)
    );
    assert!(vidare_web::auth::verify_password(
        "ett långt lösenord",
        Some(&stored_hash(&db, "admin@test.example"))
    ));

    // From standard input, one line.
    let out = run(
        &[
            "user",
            "add",
            "--tenant",
            "test",
            "--role",
            "supplier_user",
            "lev@verkstan.example",
            "--organisation",
            ORGNR,
        ],
        &db,
        &[],
        Some("från standard in 123\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(vidare_web::auth::verify_password(
        "från standard in 123",
        Some(&stored_hash(&db, "lev@verkstan.example"))
    ));

    // Generated, printed once.
    let out = run(
        &[
            "user",
            "add",
            "--tenant",
            "test",
            "--role",
            "case_worker",
            "hl@test.example",
            "--generate-password",
            "--lang",
            "en",
        ],
        &db,
        &[],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let generated = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password (shown only now): "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    assert_eq!(generated.len(), 32);
    assert!(vidare_web::auth::verify_password(
        &generated,
        Some(&stored_hash(&db, "hl@test.example"))
    ));

    // Refusals name what is wrong, exit 2, and write nothing.
    // (arguments, environment, what the message must say)
    type Refusal<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let refusals: &[Refusal] = &[
        (
            &["--role", "case_worker", "kort@test.example"],
            &[("VIDARE_PASSWORD", "kort")],
            "minst 12 tecken",
        ),
        (
            &["--role", "root", "x@test.example"],
            &[("VIDARE_PASSWORD", "ett långt lösenord")],
            "--role: okänd roll",
        ),
        (
            &["--role", "supplier_user", "y@test.example"],
            &[("VIDARE_PASSWORD", "ett långt lösenord")],
            "--organisation",
        ),
        (
            &[
                "--role",
                "supplier_user",
                "y@test.example",
                "--organisation",
                UNREGISTERED,
            ],
            &[("VIDARE_PASSWORD", "ett långt lösenord")],
            "finns inte i leverantörsregistret",
        ),
        (
            &["--role", "case_worker", "inte-en-adress"],
            &[("VIDARE_PASSWORD", "ett långt lösenord")],
            "EMAIL:",
        ),
        (
            &["--role", "researcher", "admin@test.example"],
            &[("VIDARE_PASSWORD", "ett långt lösenord")],
            "finns redan ett konto",
        ),
    ];
    for (args, env, expected) in refusals {
        let mut all = vec!["user", "add", "--tenant", "test"];
        all.extend_from_slice(args);
        let out = run(&all, &db, env, None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Without VIDARE_PASSWORD, a password comes from standard input: here an empty one.
    let out = run(
        &[
            "user",
            "add",
            "--tenant",
            "test",
            "--role",
            "researcher",
            "z@test.example",
        ],
        &db,
        &[],
        Some("\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("minst 12 tecken"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &[
            "user",
            "add",
            "--tenant",
            "finns-inte",
            "--role",
            "case_worker",
            "a@b.se",
        ],
        &db,
        &[("VIDARE_PASSWORD", "ett långt lösenord")],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("vidare tenant list"));

    let out = vidare(&["user", "list", "--tenant", "test"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[0].starts_with("admin@test.example\tAnna Admin\ttenant_admin\t"));
    assert!(lines[0].ends_with("\taktivt"));
    assert!(lines[1].starts_with("hl@test.example\thl@test.example\tcase_worker\t"));
    assert!(
        lines[2].starts_with("lev@verkstan.example\t")
            && lines[2].contains("\tsupplier_user\t")
            && lines[2].contains(ORGNR),
        "{list}"
    );

    let out = vidare(
        &["user", "disable", "--tenant", "test", "HL@test.example"],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = vidare(&["user", "list", "--tenant", "test", "--lang", "en"], &db);
    let list = text(&out.stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("hl@test.example\t") && l.ends_with("\tdisabled")),
        "{list}"
    );
    let out = vidare(
        &["user", "disable", "--tenant", "test", "ingen@test.example"],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Det finns inget konto"));

    // Each change is in the audit log as the command line's.
    let out = vidare(&["audit", "verify"], &db);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let actors: Vec<(String, String, String)> = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
        sqlx::query_as(
            "SELECT actor, action, entity FROM audit_log WHERE entity = 'users' ORDER BY seq",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    });
    assert_eq!(actors.len(), 4, "{actors:?}");
    assert!(actors.iter().all(|(a, _, _)| a == "system:cli"));
    assert_eq!(actors[3].1, "update");
    let after: String = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
        sqlx::query_scalar(
            "SELECT after_json FROM audit_log WHERE entity = 'users' ORDER BY seq LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    });
    assert!(
        !after.contains("password") && !after.contains("argon2"),
        "{after}"
    );
}

#[test]
fn audit_verify_finds_a_changed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(&dir);
    let out = run(
        &[
            "user",
            "add",
            "--tenant",
            "test",
            "--role",
            "researcher",
            "f@test.example",
        ],
        &db,
        &[("VIDARE_PASSWORD", "ett långt lösenord")],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = vidare(&["audit", "verify"], &db);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    // tenant creation, the organisation import, the account.
    assert!(stdout.contains("test: 3 poster"), "{stdout}");
    assert!(stdout.contains("Granskningsloggen är obruten"), "{stdout}");

    // Someone with database access removes the append-only guard and rewrites entry 2.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
        sqlx::query("DROP TRIGGER audit_log_no_update")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DROP TRIGGER audit_log_no_delete")
            .execute(&pool)
            .await
            .unwrap();
        let n = sqlx::query("UPDATE audit_log SET actor = 'mallory@evil.example' WHERE seq = 2")
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(n, 1);
        pool.close().await;
    });

    let out = vidare(&["audit", "verify"], &db);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("test: post 2: har ändrats efter att den skrevs"),
        "{stdout}"
    );
    assert!(stderr.contains("granskningsloggen är bruten"), "{stderr}");
    let out = vidare(&["audit", "verify", "--lang", "en"], &db);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("test: entry 2: was changed after it was written"),
        "{}",
        text(&out.stdout)
    );

    // Deleting the newest entry is found too.
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let out = vidare(&["audit", "verify", "--lang", "en"], &db);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("test: 2 entries"), "{stdout}");
    assert!(
        stdout.contains("the newest entries are missing"),
        "{stdout}"
    );
}
