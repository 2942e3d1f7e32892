//! `vidare generate` as a reviewer runs it: the built binary, twice with one seed and
//! once with another, into temporary SQLite databases.

use std::process::Command;

fn generate(db: &str, seed: &str, truth: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vidare"))
        .args([
            "generate",
            "--scale",
            "demo",
            "--seed",
            seed,
            "--summary",
            "--truth",
        ])
        .arg(truth)
        .args(["--database", db])
        .env_remove("VIDARE_DATABASE_URL")
        .env_remove("VIDARE_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run vidare");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hash(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("content SHA-256 "))
        .expect("a content hash line")
        .to_string()
}

#[test]
fn one_seed_one_hash_and_a_truth_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = |n: &str| format!("sqlite://{}", dir.path().join(n).display());
    let truth = dir.path().join("truth.json");
    let first = generate(&db("a.sqlite"), "1", &truth);
    let second = generate(&db("b.sqlite"), "1", &dir.path().join("truth-b.json"));
    let other = generate(&db("c.sqlite"), "2", &dir.path().join("truth-c.json"));
    assert_eq!(hash(&first), hash(&second));
    assert_ne!(hash(&first), hash(&other));
    // The summary shows what a reviewer checks.
    for needle in [
        "attendance_months",
        "outcomes by period",
        "per place and year",
        "failing the share test",
    ] {
        assert!(first.contains(needle), "summary lacks {needle}:\n{first}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    assert_eq!(json["content_sha256"].as_str().unwrap(), hash(&first));
    assert!(json["att"].as_f64().unwrap() > 0.0);
    assert!(json["parameters"].as_array().unwrap().len() > 100);
    // The same database again: the demo tenant exists, so nothing is written.
    let again = Command::new(env!("CARGO_BIN_EXE_vidare"))
        .args(["generate", "--scale", "demo", "--database", &db("a.sqlite")])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}
