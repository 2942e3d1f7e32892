//! The `vidare` command as a user runs it: the built binary against a temporary SQLite
//! database.

use std::process::{Command, Output};

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

struct Temp {
    dir: tempfile::TempDir,
}

impl Temp {
    fn new() -> Temp {
        Temp {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn db(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("v.sqlite").display())
    }
    fn file(&self, name: &str, content: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p.display().to_string()
    }
}

#[test]
fn import_is_all_or_nothing_and_lists_every_bad_row() {
    let t = Temp::new();
    let db = t.db();
    assert!(vidare(&["migrate"], &db).status.success());
    let out = vidare(
        &[
            "tenant",
            "add",
            "ostersund",
            "--name",
            "Östersunds kommun",
            "--municipality-code",
            "2380",
        ],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let header = "personnummer;förnamn;efternamn;kön;född_utomlands;utbildningsnivå;månader_försörjningsstöd;hälsobegränsning;svenskanivå;arbetslivserfarenhet\r\n";
    let bad = format!(
        "\u{feff}{header}\
         19811228-9874;Anna;Andersson;kvinna;nej;gymnasial;12;nej;flytande;ja\r\n\
         19811228-9875;Bo;Berg;man;ja;förgymnasial;3;ja;grundläggande;nej\r\n\
         19811228-9874;Cilla;Carlsson;kvinna;nej;gymnasial;999;nej;medel;ja\r\n"
    );
    let file = t.file("bad.csv", &bad);
    let out = vidare(
        &["import", "participants", &file, "--tenant", "ostersund"],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("fel: Inget importerades"), "{err}");
    assert!(err.contains("rad 3"), "{err}");
    assert!(err.contains("rad 4"), "{err}");
    assert!(!err.contains("rad 2,"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );

    let good = format!(
        "{header}19811228-9874;Anna;Andersson;kvinna;nej;gymnasial;12;nej;flytande;ja\r\n\
         701063-2391;Bo;Berg;man;ja;förgymnasial;3;ja;grundläggande;nej\r\n"
    );
    let file = t.file("good.csv", &good);
    let out = vidare(
        &["import", "participants", &file, "--tenant", "ostersund"],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Importerade 2 deltagare"),
        "{}",
        text(&out.stdout)
    );

    // The same file again clashes with what is stored; nothing more is written.
    let out = vidare(
        &[
            "import",
            "participants",
            &file,
            "--tenant",
            "ostersund",
            "--lang",
            "en",
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("Nothing was imported: 2 rows"), "{err}");
    assert!(err.contains("lines 2, 3"), "{err}");
}

#[test]
fn organisations_import_with_english_headers_and_commas() {
    let t = Temp::new();
    let db = t.db();
    assert!(vidare(&["migrate"], &db).status.success());
    assert!(vidare(&["tenant", "add", "k", "--name", "Kommunen"], &db)
        .status
        .success());
    let csv = "org_number,name,legal_form,idea_driven,headcount_total,headcount_target_groups\n\
               556016-0680,Exempel AB,limited_company,no,10,2\n\
               769600-1234,Kooperativet ek. för.,economic_association,yes,20,12\n";
    let file = t.file("orgs.csv", csv);
    let out = vidare(&["import", "organisations", &file, "--tenant", "k"], &db);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("Importerade 2 organisationer"));
}

#[test]
fn unknown_tenants_and_unreachable_databases_are_reported_plainly() {
    let t = Temp::new();
    let db = t.db();
    assert!(vidare(&["migrate"], &db).status.success());
    let file = t.file("x.csv", "personnummer\n");
    let out = vidare(
        &["import", "participants", &file, "--tenant", "finns-inte"],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--tenant: det finns ingen kommun med kortnamnet"));

    let out = vidare(&["migrate"], "postgres://vidare:hemligt@127.0.0.1:1/vidare");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.starts_with(
            "fel: Databasen på postgres://vidare:***@127.0.0.1:1/vidare går inte att nå"
        ),
        "{err}"
    );
    assert!(!err.contains("hemligt"));
    assert_eq!(err.lines().count(), 1, "one plain line, no trace: {err}");
}

#[test]
fn a_newer_schema_is_refused() {
    let t = Temp::new();
    let db = t.db();
    assert!(vidare(&["migrate"], &db).status.success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = vidare_store::Store::connect(&db).await.unwrap();
        vidare_store::with_pool!(store, |pool| {
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (99990101000000, 'future', TRUE, X'00', 0)",
            )
            .execute(pool)
            .await
            .unwrap();
        });
        store.close().await;
    });
    let out = vidare(&["serve", "--addr", "127.0.0.1:0"], &db);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("nyare version av Vidare"), "{err}");
    let out = vidare(&["migrate", "--lang", "en"], &db);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("newer than this program supports"),
        "{}",
        text(&out.stderr)
    );
}
