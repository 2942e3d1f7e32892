//! `vidare report`: the final effect report of a round as HTML, or as PDF printed by
//! headless Chromium from the same HTML.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clap::{Args, ValueEnum};
use vidare_domain::Lang;
use vidare_store::Store;
use vidare_web::pages::effects::analysis::analyse;

use crate::Failure;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Html,
    Pdf,
}

/// The options of `vidare report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The procurement round the report is about (its id).
    #[arg(long)]
    pub round: i64,
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
    /// Where to write the report.
    #[arg(long)]
    pub out: PathBuf,
    /// Chromium (or Chrome) to print the PDF with; searched on PATH when left out.
    #[arg(long, env = "VIDARE_CHROMIUM")]
    pub chromium: Option<PathBuf>,
}

/// Runs the command.
pub async fn run(store: &Store, args: ReportArgs, lang: Lang) -> Result<(), Failure> {
    let a = analyse(store, None, Some(args.round)).await?;
    let html = a.report_html(lang);
    match args.format {
        Format::Html => std::fs::write(&args.out, html).map_err(|e| write_failure(&args.out, e))?,
        Format::Pdf => {
            let chromium = find_chromium(args.chromium.as_deref())?;
            print_pdf(&chromium, &html, &args.out)?;
        }
    }
    println!("{}", args.out.display());
    Ok(())
}

fn write_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::input(
        format!("--out: kan inte skriva {}: {e}", path.display()),
        format!("--out: cannot write {}: {e}", path.display()),
    )
}

/// The Chromium to use: the given path, or the first of the usual names on PATH.
pub fn find_chromium(given: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(p) = given {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        return Err(Failure::input(
            format!("--chromium: {} finns inte.", p.display()),
            format!("--chromium: {} does not exist.", p.display()),
        ));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(Failure::input(
        "PDF skrivs ut med Chromium, som inte hittades. Installera det (apt-get install chromium) \
         eller ange sökvägen med --chromium PATH (eller VIDARE_CHROMIUM); --format html kräver det inte.",
        "The PDF is printed with Chromium, which was not found. Install it (apt-get install chromium) \
         or give its path with --chromium PATH (or VIDARE_CHROMIUM); --format html does not need it.",
    ))
}

/// Prints `html` to `out` as PDF with headless Chromium.
pub fn print_pdf(chromium: &Path, html: &str, out: &Path) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("report.html");
    std::fs::write(&page, html)?;
    let target = dir.path().join("report.pdf");
    let mut child = Command::new(chromium)
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", target.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            Failure::input(
                format!("Kan inte starta {}: {e}", chromium.display()),
                format!("Cannot start {}: {e}", chromium.display()),
            )
        })?;
    // Chromium prints in a few seconds; never hang forever.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            return Err(anyhow::anyhow!("Chromium did not finish printing within 120 s").into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    let pdf = std::fs::read(&target).unwrap_or_default();
    if !status.success() || !pdf.starts_with(b"%PDF") {
        return Err(anyhow::anyhow!(
            "Chromium did not produce a PDF (exit {status}): {}",
            stderr.lines().last().unwrap_or("")
        )
        .into());
    }
    std::fs::write(out, pdf).map_err(|e| write_failure(out, e))?;
    Ok(())
}
