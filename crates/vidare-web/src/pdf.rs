//! Printing a self-contained HTML document (the final effect report) to PDF with
//! headless Chromium, for `vidare report --format pdf` and the report page's PDF
//! download. The document is written to a private temporary directory and printed from
//! there with a throwaway profile; Chromium gets [`TIMEOUT`] to finish.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long Chromium may take to print before it is stopped.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Why no PDF was made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No Chromium at the given path, or none of the usual names on PATH.
    #[error("Chromium was not found")]
    NoChromium,
    #[error("cannot start {path}: {source}")]
    Start {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Chromium did not finish printing within {} s", TIMEOUT.as_secs())]
    Timeout,
    #[error("Chromium did not produce a PDF (exit {status}): {detail}")]
    Failed { status: String, detail: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The Chromium to print with: `given` if it is a file, else `VIDARE_CHROMIUM`, else the
/// first of the usual names on PATH.
pub fn find_chromium(given: Option<&Path>) -> Result<PathBuf, PdfError> {
    if let Some(p) = given {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(PdfError::NoChromium)
        };
    }
    if let Some(p) = std::env::var_os("VIDARE_CHROMIUM").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(PdfError::NoChromium)
        };
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
    Err(PdfError::NoChromium)
}

/// Prints `html` with headless Chromium and returns the PDF's bytes. Blocks: call it
/// from a blocking thread.
pub fn print_pdf(chromium: &Path, html: &str) -> Result<Vec<u8>, PdfError> {
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
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| PdfError::Start {
            path: chromium.to_path_buf(),
            source,
        })?;
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PdfError::Timeout);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    let pdf = std::fs::read(&target).unwrap_or_default();
    if !status.success() || !pdf.starts_with(b"%PDF") {
        return Err(PdfError::Failed {
            status: status.to_string(),
            detail: stderr.lines().last().unwrap_or("").to_string(),
        });
    }
    Ok(pdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_chromium_is_reported_not_searched_for() {
        assert!(matches!(
            find_chromium(Some(Path::new("/nonexistent/chromium"))),
            Err(PdfError::NoChromium)
        ));
    }

    #[test]
    fn a_program_that_prints_nothing_is_a_failure() {
        // `true` exits successfully without writing a PDF.
        let Ok(t) = which("true") else { return };
        assert!(matches!(
            print_pdf(&t, "<p>x</p>"),
            Err(PdfError::Failed { .. })
        ));
    }

    fn which(name: &str) -> Result<PathBuf, ()> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .ok_or(())
    }
}
