//! `vidare participants anonymise --tenant SLUG --before DATE`: erasure after the
//! retention period. Every participant whose last placement ended (or, never placed,
//! who registered) before DATE, and who has no running placement or pending referral,
//! gets irreversible placeholders for name and personnummer; free-text notes are blanked.
//! Covariates, placements, attendance, exits and follow-ups stay, so the statistics hold.
//! Each anonymisation is written to the audit log in the same transaction.

use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::Lang;
use vidare_store::{Actor, Store};

use crate::Failure;

#[derive(Subcommand)]
pub enum Action {
    /// Anonymise participants whose last activity ended before a date.
    Anonymise {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// Anonymise those whose last placement ended (or registration was) before this
        /// day, YYYY-MM-DD: today minus the retention period.
        #[arg(long)]
        before: String,
    },
}

/// Runs a `participants` command.
pub async fn run(store: &Store, action: Action, lang: Lang) -> Result<(), Failure> {
    match action {
        Action::Anonymise { tenant, before } => anonymise(store, &tenant, &before, lang).await,
    }
}

async fn anonymise(store: &Store, slug: &str, before: &str, lang: Lang) -> Result<(), Failure> {
    let before =
        NaiveDate::parse_from_str(before.trim(), "%Y-%m-%d").map_err(|_| Failure::Input {
            sv: format!("--before: {before} är inte ett datum ÅÅÅÅ-MM-DD."),
            en: format!("--before: {before} is not a date YYYY-MM-DD."),
        })?;
    let Some(tenant) = store.tenant_by_slug(slug).await? else {
        return Err(Failure::Input {
            sv: format!("--tenant: det finns ingen kommun med kortnamnet {slug}."),
            en: format!("--tenant: there is no tenant with the short name {slug}."),
        });
    };
    let s = store.tenant_as(tenant.id, Actor::system("cli:anonymise"));
    let ids = s
        .anonymise_participants(before, stockholm_today(Utc::now()))
        .await?;
    match lang {
        Lang::Sv => println!(
            "{} deltagare anonymiserade i {} (sista aktivitet före {before}).",
            ids.len(),
            tenant.slug
        ),
        Lang::En => println!(
            "{} participants anonymised in {} (last activity before {before}).",
            ids.len(),
            tenant.slug
        ),
    }
    Ok(())
}
