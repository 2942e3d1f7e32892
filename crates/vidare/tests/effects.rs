//! `vidare effects` and `vidare report` as a user runs them: the built binary against the
//! demo municipality generated into a temporary SQLite database and into a PostgreSQL
//! schema — every figure with its interval as JSON, the report as HTML and as PDF
//! (pages counted, title present), and clear refusals.

use std::process::{Command, Output};

fn vidare(args: &[&str], db: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vidare"))
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("VIDARE_DATABASE_URL")
        .env_remove("VIDARE_CONFIG")
        .env_remove("VIDARE_LANG")
        .env_remove("VIDARE_CHROMIUM")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run vidare")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn demo(db: &str) {
    ok(&vidare(&["migrate"], db));
    ok(&vidare(
        &["generate", "--scale", "demo", "--seed", "20240422"],
        db,
    ));
}

/// The reserved round of the demo: the first round.
fn reserved_round(json: &serde_json::Value) -> i64 {
    json["counterfactual"]["estimate"]["round_id"]
        .as_i64()
        .unwrap_or(1)
}

fn check_effects_json(db: &str) {
    let out = ok(&vidare(&["effects", "--json"], db));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let periods = v["figures"]["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    for p in periods {
        let s = &p["outcomes"]["work_or_studies"]["value"];
        let (share, lo, hi) = (
            s["share"].as_f64().unwrap(),
            s["lower"].as_f64().unwrap(),
            s["upper"].as_f64().unwrap(),
        );
        assert!(lo < share && share < hi, "{s}");
    }
    let km = &v["figures"]["time_to_work"]["after"]["value"]["steps"];
    assert!(km.as_array().unwrap().len() > 50);
    assert!(v["figures"]["time_to_work"]["log_rank"]["value"]["p_value"]
        .as_f64()
        .is_some());
    let e = &v["counterfactual"]["estimate"]["effects"][0];
    assert!(e["ci_low"].as_f64().unwrap() < e["att"].as_f64().unwrap());
    assert!(
        v["figures"]["socioeconomic"]["value"]["payers"]
            .as_array()
            .unwrap()
            .len()
            == 4
    );
    assert!(v["figures"]["sroi"]["value"]["ratio"].as_f64().unwrap() > 0.0);
    let round = reserved_round(&v);
    let one = ok(&vidare(
        &["effects", "--json", "--round", &round.to_string()],
        db,
    ));
    let one: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert!(one["figures"]["round"].as_str().unwrap().contains("2023"));
    // Text summary in Swedish by default.
    let text = ok(&vidare(&["effects"], db));
    assert!(
        text.contains("Upphandlade platser") && text.contains("ATT"),
        "{text}"
    );
    // An unknown round is refused, naming the option.
    let o = vidare(&["effects", "--round", "999999"], db);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--round"));
}

#[test]
fn effects_json_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("v.sqlite").display());
    demo(&db);
    check_effects_json(&db);
}

#[test]
fn effects_json_on_postgres() {
    let url = std::env::var("VIDARE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    // A database of its own, dropped afterwards.
    let name = format!("vidare_effects_{:x}", std::process::id() as u64 ^ 0x5eed);
    let admin = |sql: &str| {
        let o = Command::new("psql")
            .arg(&url)
            .arg("-qAtc")
            .arg(sql)
            .output()
            .expect("psql");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    admin(&format!("DROP DATABASE IF EXISTS {name}"));
    admin(&format!("CREATE DATABASE {name}"));
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    let db = format!("{base}/{name}");
    demo(&db);
    check_effects_json(&db);
    admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

#[test]
fn report_as_html_and_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("v.sqlite").display());
    demo(&db);
    let html = dir.path().join("r.html");
    ok(&vidare(
        &[
            "report",
            "--round",
            "1",
            "--format",
            "html",
            "--out",
            html.to_str().unwrap(),
        ],
        &db,
    ));
    let body = std::fs::read_to_string(&html).unwrap();
    assert!(body.starts_with("<!DOCTYPE html>"));
    assert!(
        body.contains("Effektrapport: Reserverad upphandling av sysselsättningsplatser 2023–2024")
    );
    assert!(body.contains("Balanstabell") && body.contains("<svg"));
    // PDF by headless Chromium (installed in CI; the test fails without it).
    let pdf = dir.path().join("r.pdf");
    ok(&vidare(
        &[
            "report",
            "--round",
            "1",
            "--format",
            "pdf",
            "--out",
            pdf.to_str().unwrap(),
            "--chromium",
            "/usr/bin/chromium",
        ],
        &db,
    ));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 5, "{pages} pages");
    // The title is in the document's metadata, as Chromium writes it: UTF-16BE hex.
    let title: String = "Effektrapport: Reserverad upphandling"
        .encode_utf16()
        .map(|u| format!("{u:04X}"))
        .collect();
    assert!(
        text.contains(&format!("/Title <FEFF{title}")),
        "the PDF carries the report's title"
    );
    // Chromium missing: a clear refusal, exit code 2, nothing written.
    let none = dir.path().join("none.pdf");
    let o = vidare(
        &[
            "report",
            "--round",
            "1",
            "--format",
            "pdf",
            "--out",
            none.to_str().unwrap(),
            "--chromium",
            "/finns/inte/chromium",
        ],
        &db,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--chromium"));
    assert!(!none.exists());
    // An unknown round.
    let o = vidare(
        &[
            "report",
            "--round",
            "424242",
            "--out",
            html.to_str().unwrap(),
        ],
        &db,
    );
    assert_eq!(o.status.code(), Some(2));
}
