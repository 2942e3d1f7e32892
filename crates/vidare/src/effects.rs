//! `vidare effects`: every figure of the effect measurement with its confidence interval,
//! as JSON for other programs (`--json`) or as a short text summary.

use clap::Args;
use vidare_domain::ids::TenantId;
use vidare_domain::Lang;
use vidare_effects::stats::Proportion;
use vidare_effects::Figure;
use vidare_store::Store;
use vidare_web::pages::effects::analysis::{analyse, Analysis, AnalysisError};

use crate::Failure;

/// The options of `vidare effects`.
#[derive(Args, Debug)]
pub struct EffectsArgs {
    /// The procurement round to evaluate (its id); all rounds when left out.
    #[arg(long)]
    pub round: Option<i64>,
    /// One tenant (municipality) by its short name; every tenant when left out (and no
    /// --round is given).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Print JSON: every figure with its confidence interval.
    #[arg(long)]
    pub json: bool,
}

impl From<AnalysisError> for Failure {
    fn from(e: AnalysisError) -> Self {
        match e {
            AnalysisError::Store(s) => Failure::Store(s),
            other => {
                let (sv, en) = other.messages();
                Failure::input(format!("--round: {sv}"), format!("--round: {en}"))
            }
        }
    }
}

/// Resolves `--tenant`.
pub async fn tenant_arg(store: &Store, slug: Option<&str>) -> Result<Option<TenantId>, Failure> {
    match slug {
        None => Ok(None),
        Some(s) => match store.tenant_by_slug(s).await? {
            Some(t) => Ok(Some(t.id)),
            None => Err(Failure::input(
                format!("--tenant: det finns ingen kommun med kortnamnet {s}."),
                format!("--tenant: there is no tenant with the short name {s}."),
            )),
        },
    }
}

/// Runs the command.
pub async fn run(store: &Store, args: EffectsArgs, lang: Lang) -> Result<(), Failure> {
    let tenant = tenant_arg(store, args.tenant.as_deref()).await?;
    let a = analyse(store, tenant, args.round).await?;
    if args.json {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut out, &a.json())
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        match written {
            // A reader that stops early (`| head`) is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    } else {
        print_text(&a, lang);
    }
    Ok(())
}

fn share(lang: Lang, f: &Figure<Proportion>) -> String {
    match f {
        Figure::Value(p) => format!(
            "{:.1} % ({:.1}–{:.1} %), {}/{}",
            p.share * 100.0,
            p.lower * 100.0,
            p.upper * 100.0,
            p.successes,
            p.total
        ),
        Figure::Insufficient { reason } => match lang {
            Lang::Sv => reason.sv.clone(),
            Lang::En => reason.en.clone(),
        },
    }
}

fn print_text(a: &Analysis, lang: Lang) {
    let s = &a.summary;
    let sv = lang == Lang::Sv;
    println!(
        "{} — {} {}",
        a.municipality,
        if sv {
            "data till och med"
        } else {
            "data up to"
        },
        s.as_of
    );
    for p in &s.periods {
        let name = match (p.key, sv) {
            ("before", true) => "Tidigare ordning",
            ("before", false) => "Old arrangement",
            (_, true) => "Upphandlade platser",
            (_, false) => "Procured places",
        };
        println!(
            "{name}: {} {}, {}: {}",
            p.outcomes.placements,
            if sv { "placeringar" } else { "placements" },
            if sv {
                "arbete eller studier"
            } else {
                "work or studies"
            },
            share(lang, &p.outcomes.work_or_studies)
        );
    }
    match &a.counterfactual {
        Ok(e) => {
            if let Some(m) = e.effects.first() {
                println!(
                    "ATT: {:+.1} {} ({:+.1} – {:+.1})",
                    m.att * 100.0,
                    if sv {
                        "procentenheter"
                    } else {
                        "percentage points"
                    },
                    m.ci_low * 100.0,
                    m.ci_high * 100.0
                );
            }
        }
        Err(r) => println!("ATT: {}", if sv { &r.sv } else { &r.en }),
    }
}
