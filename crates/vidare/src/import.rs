//! `vidare import participants|organisations FILE --tenant T`: all rows or none.

use std::path::Path;
use std::time::Instant;

use clap::ValueEnum;
use vidare_domain::Lang;
use vidare_exchange::csv_import::{self, ImportFailure};
use vidare_store::import::BulkError;
use vidare_store::Store;

use crate::Failure;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Participants,
    Organisations,
}

/// The most row errors printed; the count says how many there were in all.
const MAX_PRINTED_ERRORS: usize = 200;

/// Reads, validates and loads `file` into the tenant `slug`.
pub async fn run(
    store: &Store,
    kind: Kind,
    file: &Path,
    slug: &str,
    synthetic: bool,
    lang: Lang,
) -> Result<(), Failure> {
    let started = Instant::now();
    let tenant = crate::user::tenant_by_slug(store, slug).await?;
    let bytes = std::fs::read(file).map_err(|e| {
        Failure::input(
            format!("Kan inte läsa {}: {e}", file.display()),
            format!("Cannot read {}: {e}", file.display()),
        )
    })?;
    let scoped = store.tenant(tenant.id);
    let today = vidare_domain::deadline::stockholm_today(chrono::Utc::now());
    let (result, noun_sv, noun_en) = match kind {
        Kind::Participants => {
            let rows = csv_import::parse_participants(&bytes, today, synthetic)
                .map_err(|f| parse_failure(f, file, lang))?;
            (scoped.bulk_insert(&rows).await, "deltagare", "participants")
        }
        Kind::Organisations => {
            let rows = csv_import::parse_organisations(&bytes, synthetic)
                .map_err(|f| parse_failure(f, file, lang))?;
            (
                scoped.bulk_insert(&rows).await,
                "organisationer",
                "organisations",
            )
        }
    };
    match result {
        Ok(n) => {
            let secs = started.elapsed().as_secs_f64();
            match lang {
                Lang::Sv => println!(
                    "Importerade {n} {noun_sv} till {} på {:.1} s.",
                    tenant.name, secs
                ),
                Lang::En => println!(
                    "Imported {n} {noun_en} into {} in {secs:.1} s.",
                    tenant.name
                ),
            }
            Ok(())
        }
        Err(BulkError::AlreadyStored { field, lines }) => {
            let shown: Vec<String> = lines
                .iter()
                .take(MAX_PRINTED_ERRORS)
                .map(u64::to_string)
                .collect();
            let more = lines.len().saturating_sub(MAX_PRINTED_ERRORS);
            let tail = if more > 0 {
                format!(" (+{more})")
            } else {
                String::new()
            };
            Err(Failure::input(
                format!(
                    "Inget importerades: {} rader har ett {field} som redan finns hos {}: rad {}{tail}. Ta bort raderna och försök igen.",
                    lines.len(),
                    tenant.name,
                    shown.join(", ")
                ),
                format!(
                    "Nothing was imported: {} rows have a {field} that {} already holds: lines {}{tail}. Remove them and try again.",
                    lines.len(),
                    tenant.name,
                    shown.join(", ")
                ),
            ))
        }
        Err(BulkError::Store(e)) => Err(e.into()),
    }
}

fn parse_failure(f: ImportFailure, file: &Path, lang: Lang) -> Failure {
    let report = f.report(lang);
    let mut lines: Vec<&str> = report.lines().collect();
    let total = lines.len();
    lines.truncate(MAX_PRINTED_ERRORS);
    let more = total - lines.len();
    let body = lines.join("\n");
    let (sv_more, en_more) = if more > 0 {
        (
            format!("\n… och {more} fel till."),
            format!("\n… and {more} more errors."),
        )
    } else {
        (String::new(), String::new())
    };
    Failure::input(
        format!(
            "Inget importerades från {}. Rätta felen och försök igen:\n{body}{sv_more}",
            file.display()
        ),
        format!(
            "Nothing was imported from {}. Correct these errors and try again:\n{body}{en_more}",
            file.display()
        ),
    )
}
