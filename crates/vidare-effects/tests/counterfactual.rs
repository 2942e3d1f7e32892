//! The counterfactual estimator: agreement of the logistic regression with statsmodels
//! (reference values computed once by `bench/python/logistic_fixtures.py`, stored in
//! `bench/python/fixtures/`; no Python is needed here), and what `estimate` does with
//! too little or awkward data.

use std::path::PathBuf;

use vidare_effects::counterfactual::logistic::{fit, Design, FitError};
use vidare_effects::counterfactual::{estimate, Options};
use vidare_effects::data::{
    AgeBand, EducationLevel, EffectsData, ExitOutcome, Gender, SwedishLevel,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../bench/python/fixtures")
        .join(name)
}

/// A CSV with a header and numbers only.
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().expect("number"))
                .collect()
        })
        .collect();
    (header, rows)
}

fn expected(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).expect("fixture")).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name}"))
}

#[test]
fn logistic_regression_agrees_with_statsmodels_on_individual_rows() {
    let (header, rows) = read_csv("logit_individual.csv");
    let exp = expected("logit_individual.expected.json");
    let names: Vec<String> = exp["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let idx: Vec<usize> = names.iter().map(|n| col(&header, n)).collect();
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|r| idx.iter().map(|&j| r[j]))
        .collect();
    let y: Vec<f64> = rows.iter().map(|r| r[col(&header, "y")]).collect();
    let ones = vec![1.0; rows.len()];
    let f = fit(&Design {
        x: &x,
        names: &names,
        successes: &y,
        trials: &ones,
    })
    .unwrap();
    let (coef, se) = (floats(&exp["coefficients"]), floats(&exp["std_errors"]));
    let mut worst: f64 = 0.0;
    for (j, c) in f.coefficients.iter().enumerate() {
        assert_eq!(c.name, names[j]);
        worst = worst
            .max((c.estimate - coef[j]).abs())
            .max((c.std_error - se[j]).abs());
    }
    println!("largest difference from statsmodels: {worst:.3e}");
    assert!(worst < 1e-6, "largest difference {worst}");
    let ll = exp["log_likelihood"].as_f64().unwrap();
    assert!(
        (f.log_likelihood - ll).abs() < 1e-6,
        "{} vs {ll}",
        f.log_likelihood
    );
}

#[test]
fn logistic_regression_agrees_with_statsmodels_on_binomial_rows() {
    let (header, rows) = read_csv("logit_grouped.csv");
    let exp = expected("logit_grouped.expected.json");
    let names: Vec<String> = exp["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let idx: Vec<usize> = names.iter().map(|n| col(&header, n)).collect();
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|r| idx.iter().map(|&j| r[j]))
        .collect();
    let s: Vec<f64> = rows.iter().map(|r| r[col(&header, "successes")]).collect();
    let m: Vec<f64> = rows.iter().map(|r| r[col(&header, "trials")]).collect();
    let f = fit(&Design {
        x: &x,
        names: &names,
        successes: &s,
        trials: &m,
    })
    .unwrap();
    let (coef, se) = (floats(&exp["coefficients"]), floats(&exp["std_errors"]));
    for (j, c) in f.coefficients.iter().enumerate() {
        assert!(
            (c.estimate - coef[j]).abs() < 1e-6,
            "{}: {} vs {}",
            c.name,
            c.estimate,
            coef[j]
        );
        assert!(
            (c.std_error - se[j]).abs() < 1e-6,
            "{}: {} vs {}",
            c.name,
            c.std_error,
            se[j]
        );
    }
}

#[test]
fn separation_that_statsmodels_refuses_is_explained_not_estimated() {
    let (header, rows) = read_csv("logit_separated.csv");
    let exp = expected("logit_separated.expected.json");
    assert!(exp["statsmodels"].as_str().unwrap().starts_with("refused"));
    let names: Vec<String> = ["intercept", "d", "x"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let idx: Vec<usize> = names.iter().map(|n| col(&header, n)).collect();
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|r| idx.iter().map(|&j| r[j]))
        .collect();
    let y: Vec<f64> = rows.iter().map(|r| r[col(&header, "y")]).collect();
    let e = fit(&Design {
        x: &x,
        names: &names,
        successes: &y,
        trials: &vec![1.0; rows.len()],
    })
    .unwrap_err();
    assert_eq!(
        e,
        FitError::Separation {
            covariates: vec!["d".into()]
        }
    );
}

// --- estimate() on hand-made data ---

/// A person: (treated?, age band, born abroad, health limitation, began within a year?).
type Person = (bool, AgeBand, bool, bool, bool);

/// One municipality, one reserved round from 2023-01-01; everyone registered in 2023
/// and observed to the end of 2025. Treated people get a placement under the round.
fn data(people: &[Person]) -> EffectsData {
    use vidare_effects::data::day;
    let d = |y, m, dd| day(chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap());
    let mut e = EffectsData {
        as_of: d(2025, 12, 31),
        ..Default::default()
    };
    e.tenants.ext_id.push(1);
    e.tenants.slug.push("t".into());
    e.tenants.name.push("T".into());
    e.suppliers.ext_id.push(1);
    e.suppliers.tenant.push(0);
    e.suppliers.name.push("S".into());
    e.suppliers.annual_turnover_ore.push(None);
    e.placement_types.ext_id.push(1);
    e.placement_types.tenant.push(0);
    e.placement_types.code.push("x".into());
    e.placement_types.name_sv.push("x".into());
    e.placement_types.name_en.push("x".into());
    e.placement_types.declined_referrals.push(0);
    e.rounds.ext_id.push(7);
    e.rounds.tenant.push(0);
    e.rounds.title.push("R".into());
    e.rounds.contract_start.push(d(2023, 1, 1));
    let a = &mut e.agreements;
    a.ext_id.push(1);
    a.supplier.push(0);
    a.placement_type.push(0);
    a.round.push(Some(0));
    a.start.push(d(2023, 1, 1));
    a.end.push(None);
    a.capacity.push(1000);
    a.price_per_month_ore.push(300_000);
    for (i, &(treated, age, abroad, health, began)) in people.iter().enumerate() {
        let reg = d(2023, 1, 1) + (i as i32 * 7) % 700;
        let p = &mut e.participants;
        p.ext_id.push(i as i64 + 1);
        p.tenant.push(0);
        p.age_band.push(age);
        p.gender.push(if hash(i, 1) % 2 == 0 {
            Gender::Female
        } else {
            Gender::Male
        });
        p.born_abroad.push(abroad);
        p.education.push(EducationLevel::UpperSecondary);
        p.months_on_income_support
            .push((hash(i, 2) % 40) as u16 + 1);
        p.health_limitation.push(health);
        p.swedish_level.push(if abroad && hash(i, 3) % 2 == 0 {
            SwedishLevel::Basic
        } else {
            SwedishLevel::Fluent
        });
        p.prior_work_experience.push(hash(i, 4) % 3 == 0);
        p.registered_on.push(Some(reg));
        p.register_began_on
            .push(began.then_some(reg + 100 + (i as i32 % 50)));
        p.register_activity
            .push(began.then_some(ExitOutcome::WorkUnsubsidised));
        p.register_observed_until.push(Some(d(2025, 12, 31)));
        if treated {
            let pl = &mut e.placements;
            pl.ext_id.push(i as i64 + 1);
            pl.participant.push(i as u32);
            pl.placement_type.push(0);
            pl.supplier.push(0);
            pl.agreement.push(0);
            pl.round.push(Some(0));
            pl.start.push(reg + 30);
            pl.end.push(None);
            pl.exit_date.push(None);
            pl.exit_outcome.push(None);
            for f in pl.follow_up.iter_mut() {
                f.push(None);
            }
            pl.attendance_months.push(0);
            pl.attended_minutes.push(0);
            pl.paid_ore.push(0);
        }
    }
    e.finish().unwrap();
    e
}

/// A deterministic pseudo-random number for person `i` and attribute `k`, so the
/// covariates are not functions of each other (which would make the model collinear).
fn hash(i: usize, k: u64) -> u64 {
    let mut x =
        (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

fn mixed(n: usize) -> Vec<Person> {
    (0..n)
        .map(|i| {
            let age = [
                AgeBand::A18_24,
                AgeBand::A25_34,
                AgeBand::A35_44,
                AgeBand::A45_54,
            ][(hash(i, 5) % 4) as usize];
            (
                hash(i, 6) % 3 != 1,
                age,
                hash(i, 7) % 5 < 2,
                hash(i, 8) % 7 == 0,
                hash(i, 9) % 5 < 2,
            )
        })
        .collect()
}

#[test]
fn no_treated_or_too_few_gives_an_explanation() {
    let none: Vec<Person> = mixed(60)
        .into_iter()
        .map(|p| (false, p.1, p.2, p.3, p.4))
        .collect();
    let r = estimate(&data(&none), &Options::default()).unwrap_err();
    assert_eq!(r.code, "no_treated");
    assert!(!r.sv.is_empty() && !r.en.is_empty());

    let few = mixed(12);
    let r = estimate(&data(&few), &Options::default()).unwrap_err();
    assert_eq!(r.code, "too_few", "{}", r.en);
}

#[test]
fn impossible_options_are_refused() {
    let d = data(&mixed(200));
    for caliper in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = estimate(
            &d,
            &Options {
                caliper_sd: caliper,
                ..Options::default()
            },
        )
        .unwrap_err();
        assert_eq!(r.code, "invalid_caliper");
    }
    let r = estimate(
        &d,
        &Options {
            round: Some(5),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert_eq!(r.code, "unknown_round");
}

#[test]
fn a_level_held_by_one_group_only_is_left_out_and_reported() {
    // Everyone aged 55–64 is in the comparison group: outside common support.
    let mut people = mixed(300);
    for k in 0..25 {
        people.push((false, AgeBand::A55_64, k % 2 == 0, false, k % 3 == 0));
    }
    let est = estimate(&data(&people), &Options::default()).unwrap();
    let ex = est
        .population
        .exclusions
        .iter()
        .find(|e| e.code == "level_without_treated")
        .expect("reported");
    assert_eq!(ex.count, 25);
    assert!(ex.reason.en.contains("55–64"), "{}", ex.reason.en);
    assert!(est
        .propensity
        .model
        .coefficients
        .iter()
        .all(|c| !c.name.contains("55-64")));
    assert!(est
        .effects
        .iter()
        .all(|e| e.std_error.is_finite() && e.ci_low <= e.ci_high));
}

#[test]
fn the_estimate_is_a_difference_of_matched_means_with_an_interval() {
    let d = data(&mixed(400));
    let est = estimate(&d, &Options::default()).unwrap();
    assert_eq!(est.round_id, None);
    let treated = mixed(400).iter().filter(|p| p.0).count() as u64;
    assert_eq!(est.population.treated_total, treated);
    let e = &est.effects[0];
    assert!((e.att - (e.treated_mean - e.counterfactual_mean)).abs() < 1e-12);
    assert!((e.ci_high - e.ci_low - 2.0 * 1.959963984540054 * e.std_error).abs() < 1e-12);
    assert!(e.p_value > 0.0 && e.p_value <= 1.0);
    assert!(est.matching.with_replacement);
    assert_eq!(
        est.matching.matched + est.matching.dropped_by_caliper,
        est.population.treated_analysed
    );
    // Selecting the round by index gives the same and names it.
    let by_round = estimate(
        &d,
        &Options {
            round: Some(0),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(by_round.round_id, Some(7));
    assert_eq!(by_round.effects, est.effects);
    // No baseline period in these data: the comparison (a) explains itself.
    assert!(est.baseline.reason().is_some());
    assert_eq!(est.assumptions.len(), 6);
}
