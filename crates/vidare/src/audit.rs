//! `vidare audit verify`: walks every tenant's audit chain, prints how many entries
//! each holds, how many were redacted (their personal data removed when the participant
//! was anonymised; their digests still checked) and every problem found, and exits
//! non-zero when any chain is broken — an entry edited, emptied without a recorded
//! redaction, or deleted — so a scheduled job can raise the alarm.

use clap::Subcommand;
use vidare_domain::{Lang, Localized};
use vidare_store::Store;

use crate::Failure;

#[derive(Subcommand)]
pub enum Action {
    /// Check that no audit log entry was changed or removed (exit code 1 if any was).
    Verify,
}

/// Runs an `audit` command.
pub async fn run(store: &Store, action: Action, lang: Lang) -> Result<(), Failure> {
    match action {
        Action::Verify => verify(store, lang).await,
    }
}

async fn verify(store: &Store, lang: Lang) -> Result<(), Failure> {
    let report = store.verify_audit().await?;
    let tenants = store.list_tenants().await?;
    let name = |id: i64| {
        tenants
            .iter()
            .find(|t| t.id.get() == id)
            .map(|t| t.slug.to_string())
            .unwrap_or_else(|| format!("tenant {id}"))
    };
    for (tenant, entries) in &report.per_tenant {
        match lang {
            Lang::Sv => println!("{}: {entries} poster", name(*tenant)),
            Lang::En => println!("{}: {entries} entries", name(*tenant)),
        }
    }
    for p in &report.problems {
        match lang {
            Lang::Sv => println!(
                "{}: post {}: {}",
                name(p.tenant_id),
                p.seq,
                p.problem.message(Lang::Sv)
            ),
            Lang::En => println!("{}: entry {}: {}", name(p.tenant_id), p.seq, p.problem),
        }
    }
    if report.redacted > 0 {
        match lang {
            Lang::Sv => println!(
                "{} poster har gallrats: deras personuppgifter är borttagna, deras kontrollsummor kontrollerade.",
                report.redacted
            ),
            Lang::En => println!(
                "{} entries were redacted: their personal data removed, their digests checked.",
                report.redacted
            ),
        }
    }
    if report.is_intact() {
        match lang {
            Lang::Sv => println!(
                "Granskningsloggen är obruten: {} poster i {} kommuner kontrollerade.",
                report.entries, report.tenants
            ),
            Lang::En => println!(
                "The audit log is intact: {} entries in {} tenants checked.",
                report.entries, report.tenants
            ),
        }
        Ok(())
    } else {
        let n = report.problems.len();
        Err(Failure::Other(anyhow::anyhow!(match lang {
            Lang::Sv => format!("granskningsloggen är bruten: {n} fel hittades (se ovan)."),
            Lang::En => format!("the audit log is broken: {n} problems found (see above)."),
        })))
    }
}
