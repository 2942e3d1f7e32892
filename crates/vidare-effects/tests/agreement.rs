//! Agreement with a standard statistics package: proportions and Wilson intervals
//! (statsmodels), Kaplan–Meier estimates with their bands, medians and log-rank
//! statistics (lifelines) — to 1e-6, against reference values computed once by
//! `bench/reference/effects_reference.py` (versions in the fixture's `versions`).

use serde_json::Value;
use vidare_effects::stats::wilson95;
use vidare_effects::survival::{kaplan_meier, log_rank};

const TOL: f64 = 1e-6;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/reference.json"
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= TOL, "{what}: ours {a}, reference {b}");
}

#[test]
fn wilson_intervals_agree_with_statsmodels() {
    let fx = fixture();
    let cases = fx["proportions"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let (k, n) = (c["k"].as_u64().unwrap(), c["n"].as_u64().unwrap());
        let p = wilson95(k, n).into_value().expect("non-empty");
        close(p.share, f(&c["share"]), &format!("share {k}/{n}"));
        close(p.lower, f(&c["lower"]), &format!("lower {k}/{n}"));
        close(p.upper, f(&c["upper"]), &format!("upper {k}/{n}"));
    }
}

fn columns(c: &Value) -> (Vec<i32>, Vec<bool>) {
    let t = c["time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap() as i32)
        .collect();
    let e = c["event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    (t, e)
}

#[test]
fn kaplan_meier_agrees_with_lifelines() {
    let fx = fixture();
    let curves = fx["kaplan_meier"].as_array().unwrap();
    assert_eq!(curves.len(), 4);
    let mut compared = 0;
    for c in curves {
        let name = c["name"].as_str().unwrap();
        let (t, e) = columns(c);
        let km = kaplan_meier(&t, &e).into_value().expect("curve");
        let steps = c["steps"].as_array().unwrap();
        // lifelines' timeline holds every distinct time, as ours does.
        assert_eq!(
            km.steps.len(),
            steps.len(),
            "{name}: number of distinct times"
        );
        for (ours, theirs) in km.steps.iter().zip(steps) {
            assert_eq!(
                ours.time as i64,
                theirs["time"].as_i64().unwrap(),
                "{name}: time"
            );
            let at = format!("{name} t={}", ours.time);
            close(ours.survival, f(&theirs["survival"]), &format!("S {at}"));
            close(ours.lower, f(&theirs["lower"]), &format!("lower {at}"));
            close(ours.upper, f(&theirs["upper"]), &format!("upper {at}"));
            compared += 1;
        }
        let median = c["median"].as_i64().map(|m| m as i32);
        assert_eq!(km.median, median, "{name}: median");
    }
    assert!(compared > 100, "compared {compared} steps");
}

#[test]
fn log_rank_agrees_with_lifelines() {
    let fx = fixture();
    let curves = fx["kaplan_meier"].as_array().unwrap();
    for case in fx["log_rank"].as_array().unwrap() {
        let groups: Vec<usize> = case["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_u64().unwrap() as usize)
            .collect();
        let (mut t, mut e, mut g) = (Vec::new(), Vec::new(), Vec::new());
        for (k, &gi) in groups.iter().enumerate() {
            let (ti, ei) = columns(&curves[gi]);
            g.extend(std::iter::repeat(k as u32).take(ti.len()));
            t.extend(ti);
            e.extend(ei);
        }
        let r = log_rank(&t, &e, &g, groups.len())
            .into_value()
            .expect("test");
        assert_eq!(r.df as u64, case["df"].as_u64().unwrap());
        close(r.statistic, f(&case["statistic"]), "log-rank statistic");
        close(r.p_value, f(&case["p_value"]), "log-rank p-value");
        let obs: f64 = r.observed.iter().sum();
        let exp: f64 = r.expected.iter().sum();
        close(obs, exp, "observed and expected events total the same");
    }
}
