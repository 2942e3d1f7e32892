//! `vidare export ocds|research` as a user runs it: the built binary against the demo
//! municipality generated into a temporary SQLite database.
//!
//! OCDS: every package exported from the demo's rounds validates against the vendored
//! OCDS 1.1.5 schema with its declared extensions, and its codelist values are codes of
//! their codelists. Research: no identity number or name anywhere in the output, the
//! pseudonyms are stable within an export and under a kept key, different across random
//! keys, the Parquet file holds the CSV's rows, and every run writes the audit and
//! access logs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::{Connection, SqliteConnection};
use vidare_exchange::ocds::validate::validate_package;
use vidare_exchange::research::read_parquet;

fn vidare(args: &[&str], db: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vidare"))
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("VIDARE_DATABASE_URL")
        .env_remove("VIDARE_CONFIG")
        .env_remove("VIDARE_LANG")
        .env_remove("VIDARE_OCID_PREFIXES")
        .env_remove("VIDARE_PUBLIC_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run vidare")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

struct Demo {
    dir: tempfile::TempDir,
    db: String,
}

impl Demo {
    fn new() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
        ok(&vidare(
            &["generate", "--scale", "demo", "--seed", "20240422"],
            &db,
        ));
        Demo { dir, db }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        vidare(args, &self.db)
    }

    async fn sql(&self) -> SqliteConnection {
        SqliteConnection::connect(&self.db).await.unwrap()
    }
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn assert_valid(p: &serde_json::Value, what: &str) {
    let problems = validate_package(p);
    assert!(
        problems.is_empty(),
        "{what}: {} problems, first: {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
}

#[tokio::test]
async fn ocds_packages_of_the_demo_validate() {
    let demo = Demo::new();
    let all = demo.path("all.json");
    let out = demo.run(&[
        "export",
        "ocds",
        "--tenant",
        "demo",
        "--all",
        "--out",
        all.to_str().unwrap(),
    ]);
    ok(&out);
    let package = read_json(&all);
    assert_valid(&package, "--all");
    let releases = package["releases"].as_array().unwrap();
    // The reserved round goes all the way to implementation (paid invoices).
    let tags: BTreeSet<&str> = releases
        .iter()
        .map(|r| r["tag"][0].as_str().unwrap())
        .collect();
    for t in [
        "tender",
        "tenderUpdate",
        "award",
        "contract",
        "implementation",
    ] {
        assert!(tags.contains(t), "{t} missing: {tags:?}");
    }
    assert!(releases
        .iter()
        .all(|r| r["ocid"].as_str().unwrap().starts_with("ocds-213czf-demo-")));
    let reserved = releases.iter().find(|r| r["tag"][0] == "tender").unwrap();
    assert_eq!(
        reserved["tender"]["otherRequirements"]["reservedParticipation"][0],
        "shelteredWorkshop"
    );
    assert!(reserved["tender"]["lots"].as_array().unwrap().len() >= 10);

    // Which rounds the database holds, and which are public.
    let mut c = demo.sql().await;
    let rounds: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM procurement_rounds ORDER BY id")
            .fetch_all(&mut c)
            .await
            .unwrap();
    let published: BTreeSet<String> = releases
        .iter()
        .filter_map(|r| r["tender"]["id"].as_str().map(str::to_string))
        .collect();
    for (id, status) in &rounds {
        let file = demo.path(&format!("round-{id}.json"));
        let out = demo.run(&[
            "export",
            "ocds",
            "--tenant",
            "demo",
            "--round",
            &id.to_string(),
            "--out",
            file.to_str().unwrap(),
        ]);
        if status == "planning" {
            // A round being planned is not public.
            assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
            assert!(
                text(&out.stderr).contains("--round"),
                "{}",
                text(&out.stderr)
            );
            assert!(!file.exists());
            assert!(!published.contains(&id.to_string()));
        } else {
            ok(&out);
            assert_valid(&read_json(&file), &format!("round {id}"));
            assert!(published.contains(&id.to_string()));
        }
    }

    // Payments are monthly sums per contract: they add up to the paid invoices.
    let paid: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(CASE WHEN i.kind = 'credit_note' THEN -ABS(l.amount_ore) ELSE l.amount_ore END), 0) \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
         JOIN framework_agreements a ON a.id = l.agreement_id \
         WHERE i.status = 'paid' AND a.round_id IS NOT NULL",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    let implementation = releases
        .iter()
        .filter(|r| r["tag"][0] == "implementation")
        .collect::<Vec<_>>();
    let mut published_ore = 0i64;
    for r in &implementation {
        for contract in r["contracts"].as_array().unwrap() {
            for t in contract["implementation"]["transactions"]
                .as_array()
                .unwrap()
            {
                published_ore += (t["value"]["amount"].as_f64().unwrap() * 100.0).round() as i64;
            }
        }
    }
    assert!(paid > 0);
    assert_eq!(published_ore, paid);

    // No participant's identity number or name in open data.
    let body = std::fs::read_to_string(&all).unwrap();
    let people: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT personal_number, first_name, last_name FROM participants ORDER BY id LIMIT 500",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for (pnr, first, last) in &people {
        assert!(!body.contains(pnr.as_str()));
        assert!(!body.contains(&pnr[2..8]));
        assert!(!body.contains(&format!("{first} {last}")));
    }

    // Each run is in the audit log, and the chain holds.
    let exports: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND entity = 'ocds'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    let non_planning = rounds.iter().filter(|(_, s)| s != "planning").count() as i64;
    assert_eq!(exports, 1 + non_planning);
    ok(&demo.run(&["audit", "verify"]));
}

#[tokio::test]
async fn ocds_refuses_bad_input() {
    let demo = Demo::new();
    let out_file = demo.path("x.json");
    let out = out_file.to_str().unwrap();
    // Neither --round nor --all.
    let r = demo.run(&["export", "ocds", "--tenant", "demo", "--out", out]);
    assert_eq!(r.status.code(), Some(2));
    // An unknown tenant.
    let r = demo.run(&["export", "ocds", "--tenant", "nope", "--all", "--out", out]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--tenant"), "{}", text(&r.stderr));
    // A round that does not exist.
    let r = demo.run(&[
        "export", "ocds", "--tenant", "demo", "--round", "999999", "--out", out,
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--round"));
    // A malformed prefix.
    let r = demo.run(&[
        "export",
        "ocds",
        "--tenant",
        "demo",
        "--all",
        "--ocid-prefix",
        "ocds-TOOLONG1",
        "--out",
        out,
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--ocid-prefix"));
    assert!(!out_file.exists());
    // A registered prefix is used.
    let r = demo.run(&[
        "export",
        "ocds",
        "--tenant",
        "demo",
        "--all",
        "--ocid-prefix",
        "ocds-abc123",
        "--out",
        out,
    ]);
    ok(&r);
    let p = read_json(&out_file);
    assert!(p["releases"][0]["ocid"]
        .as_str()
        .unwrap()
        .starts_with("ocds-abc123-demo-"));
    assert_valid(&p, "registered prefix");
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

#[tokio::test]
async fn research_export_is_pseudonymised_and_logged() {
    let demo = Demo::new();
    let dir_a = demo.path("a");
    let dir_b = demo.path("b");
    for dir in [&dir_a, &dir_b] {
        ok(&demo.run(&[
            "export",
            "research",
            "--tenant",
            "demo",
            "--format",
            "csv",
            "--as-of",
            "2025-12-31",
            "--out",
            dir.to_str().unwrap(),
        ]));
    }
    let files: BTreeSet<String> = std::fs::read_dir(&dir_a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        ["codebook.csv", "codebook.md", "episodes.csv"]
            .map(String::from)
            .into()
    );
    let (header, rows_a) = csv_rows(&dir_a.join("episodes.csv"));
    let (_, rows_b) = csv_rows(&dir_b.join("episodes.csv"));

    let mut c = demo.sql().await;
    let placements: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM placements")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(rows_a.len() as i64, placements);
    assert!(placements > 1000);

    // No identity number, name or exact date anywhere in the export.
    let people: Vec<(String, String, String)> =
        sqlx::query_as("SELECT personal_number, first_name, last_name FROM participants")
            .fetch_all(&mut c)
            .await
            .unwrap();
    let mut all_text = String::new();
    for f in &files {
        all_text.push_str(&std::fs::read_to_string(dir_a.join(f)).unwrap());
    }
    let fields: BTreeSet<&str> = rows_a.iter().flatten().map(String::as_str).collect();
    for (pnr, first, last) in &people {
        assert!(
            !all_text.contains(pnr.as_str()),
            "identity number in export"
        );
        assert!(
            !all_text.contains(&pnr[2..]),
            "10-digit identity number in export"
        );
        assert!(!all_text.contains(&format!("{}-{}", &pnr[2..8], &pnr[8..])));
        assert!(
            !all_text.contains(&format!("{first} {last}")),
            "name in export"
        );
        assert!(!fields.contains(first.as_str()) && !fields.contains(last.as_str()));
    }
    let csv_text = std::fs::read_to_string(dir_a.join("episodes.csv")).unwrap();
    let has_date = csv_text.as_bytes().windows(10).any(|w| {
        w[4] == b'-'
            && w[7] == b'-'
            && w.iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
    });
    assert!(!has_date, "an exact date in the export");

    // Stable within an export: a person with several episodes has one pseudonym; random
    // keys: nothing in common between two exports.
    let person = column(&header, "person");
    let persons_a: BTreeSet<&str> = rows_a.iter().map(|r| r[person].as_str()).collect();
    let persons_b: BTreeSet<&str> = rows_b.iter().map(|r| r[person].as_str()).collect();
    let distinct: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT participant_id) FROM placements")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(persons_a.len() as i64, distinct);
    assert!(persons_a.is_disjoint(&persons_b));

    // Audit and access logs: every run, every participant read.
    let audits: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND entity = 'research'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(audits, 2);
    let lists: Vec<String> = sqlx::query_scalar(
        "SELECT participants FROM access_events WHERE purpose LIKE 'research export%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let logged: Vec<i64> = lists
        .iter()
        .flat_map(|l| l.split(','))
        .map(|id| id.parse().unwrap())
        .collect();
    let accessed: BTreeSet<i64> = logged.iter().copied().collect();
    assert_eq!(accessed.len() as i64, distinct);
    assert_eq!(logged.len() as i64, 2 * distinct);
    // Every one of them is in the per-participant index (migration 0015).
    let by_minute: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT m.participant_id) FROM access_subject_minutes m \
         JOIN placements p ON p.participant_id = m.participant_id",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(by_minute, distinct);
    ok(&demo.run(&["audit", "verify"]));
}

#[tokio::test]
async fn a_kept_key_gives_the_same_pseudonyms_and_parquet_holds_the_same_rows() {
    let demo = Demo::new();
    let key = demo.path("research.key");
    let csv_dir = demo.path("csv");
    let pq_dir = demo.path("parquet");
    let export = |format: &str, dir: &Path| {
        demo.run(&[
            "export",
            "research",
            "--tenant",
            "demo",
            "--format",
            format,
            "--as-of",
            "2025-12-31",
            "--key-file",
            key.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ])
    };
    ok(&export("csv", &csv_dir));
    assert!(key.exists(), "the key file is created on first use");
    let key_text = std::fs::read_to_string(&key).unwrap();
    ok(&export("parquet", &pq_dir));
    // The key is nowhere in the export.
    for dir in [&csv_dir, &pq_dir] {
        for e in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            let s = String::from_utf8_lossy(&bytes);
            assert!(!s.contains(key_text.trim()));
        }
    }
    let (header, csv) = csv_rows(&csv_dir.join("episodes.csv"));
    let (names, parquet) = read_parquet(&pq_dir.join("episodes.parquet")).unwrap();
    assert_eq!(names, header);
    let parquet: Vec<Vec<String>> = parquet
        .into_iter()
        .map(|r| {
            r.values
                .into_iter()
                .map(|v| v.map(|c| c.to_string()).unwrap_or_default())
                .collect()
        })
        .collect();
    assert_eq!(parquet, csv, "the Parquet rows are the CSV rows");

    // The same key again: byte for byte the same CSV.
    let again = demo.path("again");
    ok(&export("csv", &again));
    assert_eq!(
        std::fs::read(again.join("episodes.csv")).unwrap(),
        std::fs::read(csv_dir.join("episodes.csv")).unwrap()
    );

    // The key may not be kept inside the export directory, and must be a key.
    let inside = csv_dir.join("k.key");
    let r = demo.run(&[
        "export",
        "research",
        "--tenant",
        "demo",
        "--format",
        "csv",
        "--key-file",
        inside.to_str().unwrap(),
        "--out",
        csv_dir.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--key-file"));
    assert!(!inside.exists());
    let bad = demo.path("bad.key");
    std::fs::write(&bad, "not a key").unwrap();
    let r = demo.run(&[
        "export",
        "research",
        "--tenant",
        "demo",
        "--format",
        "csv",
        "--key-file",
        bad.to_str().unwrap(),
        "--out",
        demo.path("c").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--key-file"));
    let r = demo.run(&[
        "export",
        "research",
        "--tenant",
        "demo",
        "--format",
        "csv",
        "--as-of",
        "31/12/2025",
        "--out",
        demo.path("d").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--as-of"));
}

/// `vidare tenant set-ocid-prefix`: a malformed prefix is refused naming the argument; a
/// stored prefix is audited and comes before VIDARE_OCID_PREFIXES, `--ocid-prefix`
/// before it; `--remove` goes back to the test prefix of a synthetic tenant. With the
/// municipality's buyer details set, the buyer is identified by its organisation number.
#[tokio::test]
async fn the_tenant_command_stores_the_ocid_prefix_and_the_export_uses_it() {
    let demo = Demo::new();
    let out_file = demo.path("stored.json");
    let out = out_file.to_str().unwrap();
    let export = |env: Option<&str>, extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vidare"));
        c.args(["export", "ocds", "--tenant", "demo", "--all", "--out", out])
            .args(extra)
            .arg("--database")
            .arg(&demo.db)
            .env_remove("VIDARE_DATABASE_URL")
            .env_remove("VIDARE_CONFIG")
            .env_remove("VIDARE_LANG")
            .env_remove("VIDARE_PUBLIC_URL")
            .env("RUST_LOG", "warn");
        match env {
            Some(v) => c.env("VIDARE_OCID_PREFIXES", v),
            None => c.env_remove("VIDARE_OCID_PREFIXES"),
        };
        let o = c.output().expect("run vidare");
        ok(&o);
        let p = read_json(&out_file);
        assert_valid(&p, "stored prefix");
        p
    };
    let prefixes = |p: &serde_json::Value| -> BTreeSet<String> {
        p["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ocid"].as_str().unwrap()[..11].to_string())
            .collect()
    };
    let one = |s: &str| BTreeSet::from([s.to_string()]);

    // Refused: malformed, unknown tenant.
    for bad in ["ocds-BAD123", "ocds-abc", "abc123"] {
        let r = demo.run(&["tenant", "set-ocid-prefix", "--tenant", "demo", bad]);
        assert_eq!(r.status.code(), Some(2), "{bad}");
        assert!(text(&r.stderr).contains("PREFIX"), "{}", text(&r.stderr));
    }
    let r = demo.run(&[
        "tenant",
        "set-ocid-prefix",
        "--tenant",
        "nope",
        "ocds-abc123",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--tenant"));
    let r = demo.run(&["tenant", "set-ocid-prefix", "--tenant", "demo"]);
    assert_eq!(r.status.code(), Some(2), "a prefix or --remove is needed");
    assert_eq!(
        prefixes(&export(Some("demo=ocds-env001"), &[])),
        one("ocds-env001")
    );

    // Stored: before the environment; the run's --ocid-prefix before it.
    ok(&demo.run(&[
        "tenant",
        "set-ocid-prefix",
        "--tenant",
        "demo",
        "ocds-st0r3d",
    ]));
    assert_eq!(prefixes(&export(None, &[])), one("ocds-st0r3d"));
    assert_eq!(
        prefixes(&export(Some("demo=ocds-env001,*=ocds-env002"), &[])),
        one("ocds-st0r3d")
    );
    assert_eq!(
        prefixes(&export(None, &["--ocid-prefix", "ocds-run001"])),
        one("ocds-run001")
    );

    // The buyer by the municipality's organisation number.
    let p = export(None, &[]);
    assert_eq!(p["releases"][0]["buyer"]["id"], "buyer-demo");
    ok(&demo.run(&[
        "invoicing",
        "settings",
        "--tenant",
        "demo",
        "--org-number",
        "212000-9994",
        "--reference",
        "Arbetsmarknadsenheten",
    ]));
    let p = export(None, &[]);
    for r in p["releases"].as_array().unwrap() {
        assert_eq!(r["buyer"]["id"], "SE-BLV-2120009994");
        assert_eq!(
            r["parties"][0]["identifier"],
            serde_json::json!({"scheme": "SE-BLV", "id": "2120009994", "legalName": r["buyer"]["name"]})
        );
    }
    assert_eq!(p["publisher"]["uid"], "2120009994");

    // Removed: the synthetic demo is back on the test prefix.
    ok(&demo.run(&["tenant", "set-ocid-prefix", "--tenant", "demo", "--remove"]));
    assert_eq!(prefixes(&export(None, &[])), one("ocds-213czf"));

    // Both changes are in the audit log, and the chain holds.
    let mut c = demo.sql().await;
    let changes: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT before_json, after_json FROM audit_log WHERE action = 'update' AND entity = 'tenants' ORDER BY seq",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[0].1.as_deref().unwrap().contains("ocds-st0r3d"));
    assert!(changes[1].0.as_deref().unwrap().contains("ocds-st0r3d"));
    ok(&demo.run(&["audit", "verify"]));
}

/// A real tenant without a stored or configured prefix gets the clear error, for one
/// round and for all; once its prefix is stored it exports.
#[tokio::test]
async fn a_real_tenant_needs_a_prefix() {
    let demo = Demo::new();
    ok(&demo.run(&["tenant", "add", "riktig", "--name", "Riktiga kommunen"]));
    let out_file = demo.path("real.json");
    let out = out_file.to_str().unwrap();
    let r = demo.run(&[
        "export", "ocds", "--tenant", "riktig", "--all", "--out", out,
    ]);
    assert_eq!(r.status.code(), Some(2));
    let stderr = text(&r.stderr);
    assert!(stderr.contains("OCID-prefix"), "{stderr}");
    assert!(stderr.contains("vidare tenant set-ocid-prefix"), "{stderr}");
    ok(&demo.run(&[
        "tenant",
        "set-ocid-prefix",
        "--tenant",
        "riktig",
        "ocds-r1k7ig",
    ]));
    // Now the tenant may publish; it has no rounds yet, which is said plainly.
    let r = demo.run(&[
        "export", "ocds", "--tenant", "riktig", "--all", "--out", out,
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("inga publicerade upphandlingar"),
        "{}",
        text(&r.stderr)
    );
    assert!(!out_file.exists());
}
