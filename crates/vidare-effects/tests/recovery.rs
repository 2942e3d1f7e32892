//! Recovery of the generator's known true effect by the matched estimate (issue 7,
//! correctness): on synthetic data at demo scale, the 95 % interval of the matched
//! average effect on the treated must cover the generator's exact ATT
//! (`truth.att`, the mean over the treated of P(Y(1)=1|X) − P(Y(0)=1|X)) for at least
//! 90 of 100 seeds.
//!
//! - `coverage_over_all_hundred_seeds` (ignored; `cargo test --release -p
//!   vidare-effects --test recovery -- --ignored --nocapture`) runs seeds 1–100 and
//!   asserts ≥ 90.
//! - `coverage_on_a_ci_subset` runs seeds 1–20 and asserts ≥ 17 covered. Why 17 of 20:
//!   the seeds are fixed, so the test is deterministic; the threshold is chosen so that
//!   a correctly calibrated 95 % interval passes with probability
//!   P(Bin(20, 0.95) ≥ 17) = 0.984, while an interval whose real coverage were only
//!   80 % would pass with probability P(Bin(20, 0.80) ≥ 17) = 0.41 and one at 70 % with
//!   0.11 — the subset catches a broken estimator, the full run measures coverage.

mod synth_data;

use vidare_effects::counterfactual::{estimate, Estimate, Options};

fn run(seed: u64) -> (Estimate, vidare_synth::truth::Truth) {
    let (data, truth) = synth_data::demo(seed);
    let est = estimate(&data, &Options::default())
        .unwrap_or_else(|r| panic!("seed {seed}: no estimate: {}", r.en));
    (est, truth)
}

/// Runs the seeds; returns how many intervals covered the truth, printing each.
fn coverage(seeds: impl Iterator<Item = u64>) -> (usize, usize) {
    let (mut covered, mut total) = (0, 0);
    let (mut sum_err, mut sum_se) = (0.0, 0.0);
    for seed in seeds {
        let (est, truth) = run(seed);
        let e = &est.effects[0];
        let hit = e.ci_low <= truth.att && truth.att <= e.ci_high;
        covered += usize::from(hit);
        total += 1;
        sum_err += e.att - truth.att;
        sum_se += e.std_error;
        println!(
            "seed {seed:3}: ATT {:+.4} [{:+.4}, {:+.4}] truth {:+.4} (realised {:+.4}) {} matched {}/{} dropped {} max|SMD| {:.3}",
            e.att,
            e.ci_low,
            e.ci_high,
            truth.att,
            truth.att_realised,
            if hit { "covers" } else { "MISSES" },
            est.matching.matched,
            est.population.treated_total,
            est.matching.dropped_by_caliper,
            est.max_abs_smd_after,
        );
    }
    println!(
        "covered {covered} of {total}; mean error {:+.4}, mean standard error {:.4}",
        sum_err / total as f64,
        sum_se / total as f64
    );
    (covered, total)
}

#[test]
fn the_demo_estimate_explains_itself_and_recovers_the_truth() {
    let (est, truth) = run(20240422);
    let main = &est.effects[0];
    assert_eq!(main.outcome, "work_or_studies_365");
    assert!(
        main.ci_low <= truth.att && truth.att <= main.ci_high,
        "truth {} outside [{}, {}]",
        truth.att,
        main.ci_low,
        main.ci_high
    );
    // Every treated participant of the generator is counted as treated.
    assert_eq!(est.population.treated_total, truth.treated);
    // Matching removes the selection: the unadjusted difference overstates the effect.
    assert!(main.unadjusted_difference > main.att);
    // Balance: every covariate level within 0.1 after matching.
    assert!(
        est.max_abs_smd_after < 0.1,
        "max |SMD| after matching {}",
        est.max_abs_smd_after
    );
    assert!(est.max_abs_smd_before > est.max_abs_smd_after);
    // Few treated are off support at the default caliper.
    assert!(est.matching.dropped_by_caliper * 100 <= est.matching.treated);
    // The baseline comparison (a) in a single municipality is exactly the generator's
    // naive "placed under the reserved round minus placed the old way".
    let base = est.baseline.value().expect("baseline comparison");
    assert!(
        (base.difference - truth.naive.reform_placed_minus_baseline_placed).abs() < 1e-12,
        "baseline {} vs generator {}",
        base.difference,
        truth.naive.reform_placed_minus_baseline_placed
    );
    // The time-to-work effects go the same way as the main one.
    assert_eq!(est.effects[1].outcome, "work_or_studies_180");
    assert_eq!(est.effects[2].outcome, "restricted_mean_days_to_work_365");
    assert!(est.effects[2].unit == "days" && est.effects[2].att < 0.0);
    // It serialises for the report and `vidare effects --json`.
    let json = serde_json::to_value(&est).unwrap();
    assert!(json["balance"].as_array().unwrap().len() > 20);
    assert!(json["assumptions"][0]["text"]["sv"].as_str().unwrap().len() > 50);
}

#[test]
fn coverage_on_a_ci_subset() {
    let (covered, total) = coverage(1..=20);
    assert!(covered >= 17, "covered {covered} of {total} (need ≥ 17)");
}

#[test]
#[ignore = "slow: 100 demo-scale generations; run with --release -- --ignored"]
fn coverage_over_all_hundred_seeds() {
    let (covered, total) = coverage(1..=100);
    assert!(covered >= 90, "covered {covered} of {total} (need ≥ 90)");
}

#[test]
fn the_reference_table_has_every_participant_with_the_estimators_roles() {
    use vidare_effects::counterfactual::reference::write_participants_csv;
    let (data, truth) = synth_data::demo(3);
    let mut buf = Vec::new();
    write_participants_csv(&data, &Options::default(), &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), 15);
    let treated_col = header.iter().position(|h| *h == "treated").unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), data.participants.len());
    assert!(rows.iter().all(|r| r.len() == 15));
    let treated = rows.iter().filter(|r| r[treated_col] == "1").count() as u64;
    assert_eq!(treated, truth.treated);
    // Optionally keep the file for running the Python reference by hand:
    // VIDARE_REFERENCE_CSV=/tmp/demo_participants.csv cargo test … -- the_reference_table
    if let Ok(path) = std::env::var("VIDARE_REFERENCE_CSV") {
        std::fs::write(&path, &text).unwrap();
        let est = estimate(&data, &Options::default()).unwrap();
        println!("{}", serde_json::to_string_pretty(&est.effects).unwrap());
        println!(
            "ll {} matched {} dropped {} baseline {:?}",
            est.propensity.model.log_likelihood,
            est.matching.matched,
            est.matching.dropped_by_caliper,
            est.baseline.value().map(|b| (b.difference, b.std_error))
        );
    }
}
