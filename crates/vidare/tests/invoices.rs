//! `vidare export invoices` and `vidare invoicing` as a user runs them: the built binary
//! against the demo municipality in a temporary SQLite database. The exported UBL files
//! are checked against the official EN 16931 and Peppol schematrons.

use std::path::PathBuf;
use std::process::{Command, Output};

use vidare_exchange::peppol::validate::validate_or_explain;

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

fn files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn exports_a_demo_month_as_valid_peppol_invoices_and_a_swedish_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", tmp.path().join("v.sqlite").display());
    let out = vidare(&["demo", "--no-serve"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("fakturor");
    let dir_s = dir.display().to_string();

    // A municipality with nothing approved for the month gets a message naming the
    // month and nothing is written. (Missing buyer details are refused by the store,
    // tested in vidare-store's tests/invoices.rs; the demo has its details set.)
    let out = vidare(&["tenant", "add", "utan", "--name", "Utan kommun"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = vidare(
        &[
            "export", "invoices", "--tenant", "utan", "--month", "2025-11", "--out", &dir_s,
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--month"),
        "{}",
        text(&out.stderr)
    );
    assert!(files(&dir).is_empty(), "a refused export writes nothing");

    // Bad input names the flag.
    let out = vidare(
        &[
            "invoicing",
            "settings",
            "--tenant",
            "demo",
            "--org-number",
            "212000-9995",
            "--reference",
            "AME",
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--org-number"),
        "{}",
        text(&out.stderr)
    );
    let out = vidare(
        &[
            "export", "invoices", "--tenant", "demo", "--month", "2025-13", "--out", &dir_s,
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--month"),
        "{}",
        text(&out.stderr)
    );

    let out = vidare(
        &[
            "invoicing",
            "settings",
            "--tenant",
            "demo",
            "--org-number",
            "212000-9994",
            "--reference",
            "AME-4711",
            "--city",
            "Storsjö",
        ],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // December 2025 is not approved yet: nothing to invoice, nothing to export.
    let out = vidare(
        &[
            "invoicing",
            "create",
            "--tenant",
            "demo",
            "--month",
            "2025-12",
            "--issue-date",
            "2026-01-05",
        ],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("0 fakturautkast"),
        "{}",
        text(&out.stdout)
    );

    let out = vidare(
        &[
            "export", "invoices", "--tenant", "demo", "--month", "2025-11", "--out", &dir_s,
        ],
        &db,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = files(&dir);
    let xml: Vec<PathBuf> = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .cloned()
        .collect();
    assert!(xml.len() >= 5, "one invoice per supplier: {written:?}");
    assert_eq!(written.len(), xml.len() + 1, "plus one CSV");
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), written.len(), "{stdout}");

    let first = std::fs::read_to_string(&xml[0]).unwrap();
    assert!(first
        .contains("<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>"));
    assert!(first.contains("<cbc:EndpointID schemeID=\"0007\">2120009994</cbc:EndpointID>"));
    assert!(first.contains("<cbc:BuyerReference>AME-4711</cbc:BuyerReference>"));
    assert!(first.contains("<cbc:StartDate>2025-11-01</cbc:StartDate>"));

    let csv = std::fs::read(dir.join("fakturor-2025-11.csv")).unwrap();
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(csv.starts_with("Nummer;Typ;Krediterar;Status;"), "{csv}");
    let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert!(rows.len() > xml.len(), "one row per line");
    assert!(
        rows[1..]
            .iter()
            .all(|r| r.contains(";2025-11;") && r.contains(',')),
        "{}",
        rows[1]
    );

    if let Some(v) = validate_or_explain(&xml) {
        assert!(v.valid, "{:#?}", v.fatal());
    }
}
