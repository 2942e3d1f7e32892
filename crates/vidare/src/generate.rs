//! `vidare generate`: synthetic municipalities with a known true effect, written into
//! the database as tenants marked synthetic (see `docs/synthetic-data.md`).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use vidare_store::Store;
use vidare_synth::load::{generate_into, GenerateError};
use vidare_synth::{Model, Scale};

use crate::config::Config;
use crate::Failure;

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// One municipality the size of Östersund (tenant `demo`).
    Demo,
    /// Eight municipalities of one region (tenants `region-1` … `region-8`).
    Region,
    /// 290 municipalities, about a million placed participants (tenants `kommun-001` …).
    National,
}

impl From<ScaleArg> for Scale {
    fn from(s: ScaleArg) -> Scale {
        match s {
            ScaleArg::Demo => Scale::Demo,
            ScaleArg::Region => Scale::Region,
            ScaleArg::National => Scale::National,
        }
    }
}

/// The options of `vidare generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// How much to generate.
    #[arg(long, value_enum, default_value = "demo")]
    pub scale: ScaleArg,
    /// The seed: the same seed gives the same data, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the truth (the true effects and every model parameter) to this JSON file.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Print sizes, outcome shares by period, prices, eligibility failures and the
    /// content hash.
    #[arg(long)]
    pub summary: bool,
}

/// Runs `vidare generate`.
pub async fn run(args: GenerateArgs, config: &Config) -> Result<(), Failure> {
    let started = Instant::now();
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    let scale = Scale::from(args.scale);
    let report = generate_into(&store, &Model::default(), scale, args.seed)
        .await
        .map_err(|e| match e {
            GenerateError::TenantExists(slug) => Failure::input(
                format!("Det finns redan en organisation (tenant) som heter {slug}. Använd en annan databas eller ta bort den först."),
                format!("A tenant named {slug} already exists. Use another database or remove it first."),
            ),
            GenerateError::Store(e) => Failure::Store(e),
        })?;
    store.close().await;
    if let Some(path) = &args.truth {
        let json = serde_json::to_string_pretty(&report.truth).map_err(anyhow::Error::from)?;
        std::fs::write(path, json + "\n")?;
    }
    if args.summary {
        println!("{}", report.summary);
    }
    println!(
        "{} tenant(s), scale {}, seed {}: {:.1} s (database writes {:.1} s, waiting for the generator {:.1} s)",
        report.tenants.len(),
        scale.as_str(),
        args.seed,
        started.elapsed().as_secs_f64(),
        report.load_time.as_secs_f64(),
        report.generate_wait.as_secs_f64()
    );
    println!("content SHA-256 {}", report.content_sha256);
    Ok(())
}
