//! Runs `scripts/validate-en16931` (Saxon-HE with the official CEN and Peppol
//! schematrons vendored in `vendor/en16931/`) on UBL files. For tests and tooling: it
//! starts a process and needs the repository's working tree.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The outcome of validating some files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// True when no assertion flagged `fatal` failed.
    pub valid: bool,
    /// One line per failed assertion: file, schematron, flag, rule id, location, message.
    pub failures: Vec<String>,
}

impl Validation {
    /// The failed assertions flagged `fatal`.
    pub fn fatal(&self) -> Vec<&str> {
        self.failures
            .iter()
            .filter(|l| l.split('\t').nth(2) == Some("fatal"))
            .map(String::as_str)
            .collect()
    }

    /// Whether a rule (e.g. `BR-CO-16`) failed.
    pub fn failed_rule(&self, id: &str) -> bool {
        self.failures
            .iter()
            .any(|l| l.split('\t').nth(3) == Some(id))
    }
}

/// Why the files could not be validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorError {
    /// The XSLT processor is not installed (`scripts/validate-en16931 --install`).
    #[error("the EN 16931 validator is not installed: {0}")]
    Missing(String),
    /// The script failed for another reason (bad input, a schematron did not compile).
    #[error("the EN 16931 validator failed: {0}")]
    Failed(String),
}

/// The repository root (where `scripts/` and `vendor/` are), from a crate's directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/<name> is two levels below the root")
        .to_path_buf()
}

/// Validates `files` against both schematrons.
pub fn validate_files(files: &[PathBuf]) -> Result<Validation, ValidatorError> {
    let script = repo_root().join("scripts").join("validate-en16931");
    let output = Command::new("python3")
        .arg(&script)
        .args(files)
        .output()
        .map_err(|e| ValidatorError::Missing(format!("cannot run {}: {e}", script.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let failures: Vec<String> = stdout.lines().map(str::to_owned).collect();
    match output.status.code() {
        Some(0) => Ok(Validation {
            valid: true,
            failures,
        }),
        Some(1) => Ok(Validation {
            valid: false,
            failures,
        }),
        Some(3) => Err(ValidatorError::Missing(stderr.trim().to_owned())),
        _ => Err(ValidatorError::Failed(format!("{stdout}{stderr}"))),
    }
}

/// For tests: validates `files`. A missing validator fails the test with the way to
/// install it (`scripts/test` installs it); a test never passes unvalidated.
pub fn validate_or_explain(files: &[PathBuf]) -> Option<Validation> {
    match validate_files(files) {
        Ok(v) => Some(v),
        Err(ValidatorError::Missing(why)) => panic!(
            "the EN 16931 validator is not installed: {why}\n\
             Install it with scripts/validate-en16931 --install (scripts/test does)."
        ),
        Err(e) => panic!("{e}"),
    }
}
