//! `vidare participants anonymise --tenant SLUG [--before DATE] [--dry-run]`: erasure
//! after the retention period. Every participant whose last placement ended (or, never
//! placed, who registered) before the cut-off, and who has no running placement or
//! pending referral, gets irreversible placeholders for name and personnummer; free-text
//! notes are blanked, and the audit log's entries about them lose their content (their
//! digests stay, so `vidare audit verify` still proves the log). Covariates,
//! placements, attendance, exits and follow-ups stay, so the statistics hold. Each
//! anonymisation is written to the audit log in the same transaction.
//!
//! The cut-off is today minus the tenant's retention period (five years unless its
//! administrator set another on `/admin/gallring`), or `--before` when given.
//! `--dry-run` says how many would be anonymised and changes nothing.

use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::Lang;
use vidare_store::{Actor, Store};

use crate::Failure;

#[derive(Subcommand)]
pub enum Action {
    /// Anonymise participants past the retention period (or whose last activity ended
    /// before a date).
    Anonymise {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// Anonymise those whose last placement ended (or registration was) before this
        /// day, YYYY-MM-DD. Default: today minus the tenant's retention period.
        #[arg(long)]
        before: Option<String>,
        /// Only count who would be anonymised; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs a `participants` command.
pub async fn run(store: &Store, action: Action, lang: Lang) -> Result<(), Failure> {
    match action {
        Action::Anonymise {
            tenant,
            before,
            dry_run,
        } => anonymise(store, &tenant, before.as_deref(), dry_run, lang).await,
    }
}

async fn anonymise(
    store: &Store,
    slug: &str,
    before: Option<&str>,
    dry_run: bool,
    lang: Lang,
) -> Result<(), Failure> {
    let before = before
        .map(|b| {
            NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| Failure::Input {
                sv: format!("--before: {b} är inte ett datum ÅÅÅÅ-MM-DD."),
                en: format!("--before: {b} is not a date YYYY-MM-DD."),
            })
        })
        .transpose()?;
    let Some(tenant) = store.tenant_by_slug(slug).await? else {
        return Err(Failure::Input {
            sv: format!("--tenant: det finns ingen kommun med kortnamnet {slug}."),
            en: format!("--tenant: there is no tenant with the short name {slug}."),
        });
    };
    let s = store.tenant_as(tenant.id, Actor::system("cli:anonymise"));
    let today = stockholm_today(Utc::now());
    // Where the cut-off comes from, for the report.
    let (before, rule) = match before {
        Some(b) => (b, None),
        None => {
            let years = s.retention_years().await?;
            (
                vidare_store::repo::tenants::retention_cutoff(today, years),
                Some(years),
            )
        }
    };
    let rule = |lang: Lang| match (rule, lang) {
        (Some(y), Lang::Sv) => format!(", gallringsfrist {y} år"),
        (Some(y), Lang::En) => format!(", retention period {y} years"),
        (None, _) => String::new(),
    };
    if dry_run {
        if before > today {
            return Err(Failure::Input {
                sv: format!("--before: {before} ligger i framtiden."),
                en: format!("--before: {before} is in the future."),
            });
        }
        let n = s.anonymisation_candidates(before).await?.len();
        match lang {
            Lang::Sv => println!(
                "{n} deltagare skulle anonymiseras i {} (sista aktivitet före {before}{}). Inget har ändrats.",
                tenant.slug,
                rule(lang)
            ),
            Lang::En => println!(
                "{n} participants would be anonymised in {} (last activity before {before}{}). Nothing was changed.",
                tenant.slug,
                rule(lang)
            ),
        }
        return Ok(());
    }
    let ids = s.anonymise_participants(before, today).await?;
    match lang {
        Lang::Sv => println!(
            "{} deltagare anonymiserade i {} (sista aktivitet före {before}{}).",
            ids.len(),
            tenant.slug,
            rule(lang)
        ),
        Lang::En => println!(
            "{} participants anonymised in {} (last activity before {before}{}).",
            ids.len(),
            tenant.slug,
            rule(lang)
        ),
    }
    Ok(())
}
