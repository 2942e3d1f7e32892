//! `vidare bench effects`: the effect measurement end to end on a generated database —
//! loading every tenant into the columnar data, then computing every figure and the
//! counterfactual estimate — with wall times and the process's peak memory.
//!
//! Targets (issue 7, national scale: ~1,000,000 placed participants, ~12,000,000
//! attendance months): ≤ 10 s end to end from PostgreSQL, ≤ 3 s for the computation,
//! peak memory ≤ 2 GiB.

use std::time::Instant;

use vidare_effects::counterfactual;
use vidare_effects::summary::{self, Options};
use vidare_store::Store;

use crate::Failure;

/// Runs the benchmark against the database at `url` (which must already hold data, e.g.
/// from `vidare generate --scale national`).
pub async fn run(url: &str, round: Option<i64>) -> Result<(), Failure> {
    let started = Instant::now();
    let store = Store::connect(url).await?;
    store.require_current_schema().await?;
    let data = store.effects_data(None).await?;
    let load = started.elapsed();
    let round = match round {
        Some(id) => Some(
            data.rounds
                .ext_id
                .iter()
                .position(|&r| r == id)
                .ok_or_else(|| {
                    Failure::input(
                        format!("--round: det finns ingen omgång med id {id}."),
                        format!("--round: there is no round with id {id}."),
                    )
                })? as u32,
        ),
        None => None,
    };
    let t = Instant::now();
    let figures = summary::compute(
        &data,
        &Options {
            round,
            ..Default::default()
        },
    );
    let figures_time = t.elapsed();
    let t = Instant::now();
    let estimate = counterfactual::estimate(
        &data,
        &counterfactual::Options {
            round,
            ..Default::default()
        },
    );
    let counterfactual_time = t.elapsed();
    let t = Instant::now();
    let json = serde_json::to_string(&figures).map_err(anyhow::Error::from)?;
    let serialise_time = t.elapsed();
    let total = started.elapsed();
    let attendance: u64 = data
        .placements
        .attendance_months
        .iter()
        .map(|&m| u64::from(m))
        .sum();
    println!("effects benchmark ({})", store.kind().as_str());
    println!(
        "data: {} municipalities, {} participants, {} placements, {} attendance months, {} payment rows",
        data.tenants.ext_id.len(),
        data.participants.len(),
        data.placements.len(),
        attendance,
        data.payments.len()
    );
    println!("load            {:>8.3} s", load.as_secs_f64());
    println!("figures         {:>8.3} s", figures_time.as_secs_f64());
    println!(
        "counterfactual  {:>8.3} s ({})",
        counterfactual_time.as_secs_f64(),
        match &estimate {
            Ok(e) => e
                .effects
                .first()
                .map(|m| format!("ATT {:+.4} [{:+.4}, {:+.4}]", m.att, m.ci_low, m.ci_high))
                .unwrap_or_default(),
            Err(r) => r.en.clone(),
        }
    );
    println!(
        "json            {:>8.3} s ({} bytes)",
        serialise_time.as_secs_f64(),
        json.len()
    );
    println!(
        "computation     {:>8.3} s (target ≤ 3 s)",
        (figures_time + counterfactual_time).as_secs_f64()
    );
    println!(
        "end to end      {:>8.3} s (target ≤ 10 s from PostgreSQL)",
        total.as_secs_f64()
    );
    println!(
        "peak memory     {:>8} MiB (target ≤ 2048)",
        super::peak_rss_kib().map_or("?".into(), |k| (k / 1024).to_string())
    );
    // The same analysis in Python (pandas, statsmodels, scikit-learn, lifelines), same
    // data, same run: the ratio of the times and the agreement of the estimates.
    let options = counterfactual::Options {
        round,
        ..Default::default()
    };
    match super::effects_reference::run(&data, &options) {
        Ok(r) => super::effects_reference::print(&r, figures_time, counterfactual_time, &estimate),
        Err(e) => println!("python reference: not run ({e:#})"),
    }
    Ok(())
}
