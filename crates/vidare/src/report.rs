//! `vidare report`: the final effect report of a round as HTML, or as PDF printed by
//! headless Chromium from the same HTML.

use std::path::{Path, PathBuf};

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

/// The Chromium to use: the given path (`--chromium` or `VIDARE_CHROMIUM`), or the
/// first of the usual names on PATH.
pub fn find_chromium(given: Option<&Path>) -> Result<PathBuf, Failure> {
    vidare_web::pdf::find_chromium(given).map_err(|_| match given {
        Some(p) => Failure::input(
            format!("--chromium: {} finns inte.", p.display()),
            format!("--chromium: {} does not exist.", p.display()),
        ),
        None => Failure::input(
            "PDF skrivs ut med Chromium, som inte hittades. Installera det (apt-get install chromium) \
             eller ange sökvägen med --chromium PATH (eller VIDARE_CHROMIUM); --format html kräver det inte.",
            "The PDF is printed with Chromium, which was not found. Install it (apt-get install chromium) \
             or give its path with --chromium PATH (or VIDARE_CHROMIUM); --format html does not need it.",
        ),
    })
}

/// Prints `html` to `out` as PDF with headless Chromium.
pub fn print_pdf(chromium: &Path, html: &str, out: &Path) -> Result<(), Failure> {
    let pdf = vidare_web::pdf::print_pdf(chromium, html).map_err(|e| match e {
        vidare_web::pdf::PdfError::Start { path, source } => Failure::input(
            format!("Kan inte starta {}: {source}", path.display()),
            format!("Cannot start {}: {source}", path.display()),
        ),
        e => anyhow::anyhow!("{e}").into(),
    })?;
    std::fs::write(out, pdf).map_err(|e| write_failure(out, e))?;
    Ok(())
}
