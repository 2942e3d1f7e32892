//! Time to work: Kaplan–Meier curves with Greenwood confidence bands and the log-rank
//! test between groups.
//!
//! **Bands.** The pointwise 95 % band uses Greenwood's variance on the log-log scale
//! (the "exponential Greenwood" interval, as lifelines computes it):
//! `σ² = Σ dᵢ / (nᵢ (nᵢ − dᵢ))`, `v = ln S(t)`,
//! lower = `exp(−exp(ln(−v) − z·σ/v))`, upper = `exp(−exp(ln(−v) + z·σ/v))`.
//! Where S(t) = 1 (no event yet) both bounds are 1; where S(t) = 0 both are 0 (as
//! lifelines 0.30 reports them).
//!
//! Censorings at a time are counted at risk at that time (the usual convention).

use serde::Serialize;

use crate::stats::{chi2_sf, solve, Z95};
use crate::Figure;

/// One step of a Kaplan–Meier curve: a distinct time with an event or a censoring.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KmStep {
    pub time: i32,
    pub at_risk: u64,
    pub events: u64,
    pub censored: u64,
    pub survival: f64,
    /// Greenwood's Σ d / (n (n − d)) up to this time (variance of ln S).
    pub greenwood: f64,
    pub lower: f64,
    pub upper: f64,
}

/// A Kaplan–Meier curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmCurve {
    pub subjects: u64,
    pub events: u64,
    pub steps: Vec<KmStep>,
    /// Smallest time with S(t) ≤ 0.5, if reached.
    pub median: Option<i32>,
}

impl KmCurve {
    /// S(t) with its band: the last step at or before `t` (1 before the first step).
    pub fn at(&self, t: i32) -> (f64, f64, f64) {
        match self.steps.iter().rposition(|s| s.time <= t) {
            Some(i) => {
                let s = self.steps[i];
                (s.survival, s.lower, s.upper)
            }
            None => (1.0, 1.0, 1.0),
        }
    }

    /// Whether observation reaches `t` (some subject still at risk or followed to `t`).
    pub fn observed_until(&self) -> i32 {
        self.steps.last().map(|s| s.time).unwrap_or(0)
    }
}

fn loglog_band(s: f64, greenwood: f64, z: f64) -> (f64, f64) {
    if s >= 1.0 {
        return (1.0, 1.0);
    }
    if s <= 0.0 || !greenwood.is_finite() {
        return (0.0, 0.0);
    }
    let v = s.ln();
    let w = z * greenwood.sqrt() / v;
    let lower = (-((-v).ln() - w).exp()).exp();
    let upper = (-((-v).ln() + w).exp()).exp();
    (lower, upper)
}

/// The Kaplan–Meier estimate for durations `time` with `event[i]` true when the event
/// (start of work or studies) happened and false when censored.
pub fn kaplan_meier(time: &[i32], event: &[bool]) -> Figure<KmCurve> {
    assert_eq!(
        time.len(),
        event.len(),
        "time and event columns differ in length"
    );
    if time.is_empty() {
        return Figure::insufficient(
            "empty_group",
            "Gruppen är tom: ingen överlevnadskurva kan skattas.",
            "The group is empty: no survival curve can be estimated.",
        );
    }
    let mut order: Vec<u32> = (0..time.len() as u32).collect();
    order.sort_unstable_by_key(|&i| time[i as usize]);
    let mut at_risk = time.len() as u64;
    let mut s = 1.0f64;
    let mut gw = 0.0f64;
    let mut steps = Vec::new();
    let mut total_events = 0;
    let mut median = None;
    let mut i = 0;
    while i < order.len() {
        let t = time[order[i] as usize];
        let (mut d, mut c) = (0u64, 0u64);
        while i < order.len() && time[order[i] as usize] == t {
            if event[order[i] as usize] {
                d += 1;
            } else {
                c += 1;
            }
            i += 1;
        }
        if d > 0 {
            s *= 1.0 - d as f64 / at_risk as f64;
            gw += if at_risk > d {
                d as f64 / (at_risk as f64 * (at_risk - d) as f64)
            } else {
                f64::INFINITY
            };
        }
        if median.is_none() && s <= 0.5 {
            median = Some(t);
        }
        let (lower, upper) = loglog_band(s, gw, Z95);
        steps.push(KmStep {
            time: t,
            at_risk,
            events: d,
            censored: c,
            survival: s,
            greenwood: gw,
            lower,
            upper,
        });
        total_events += d;
        at_risk -= d + c;
    }
    Figure::Value(KmCurve {
        subjects: time.len() as u64,
        events: total_events,
        steps,
        median,
    })
}

/// The result of a log-rank test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogRank {
    pub groups: usize,
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// The log-rank test of equal survival across groups (`group[i]` in `0..groups`), the
/// multivariate form with the (k − 1) × (k − 1) covariance (as lifelines'
/// `multivariate_logrank_test`; for two groups the same as `logrank_test`).
pub fn log_rank(time: &[i32], event: &[bool], group: &[u32], groups: usize) -> Figure<LogRank> {
    assert_eq!(time.len(), event.len());
    assert_eq!(time.len(), group.len());
    if groups < 2 {
        return Figure::insufficient(
            "one_group",
            "Det behövs minst två grupper att jämföra.",
            "At least two groups are needed for a comparison.",
        );
    }
    let mut size = vec![0u64; groups];
    for &g in group {
        size[g as usize] += 1;
    }
    if let Some(empty) = size.iter().position(|&n| n == 0) {
        return Figure::insufficient(
            "empty_group",
            format!(
                "Grupp {} är tom: log-rank-testet kräver data i varje grupp.",
                empty + 1
            ),
            format!(
                "Group {} is empty: the log-rank test needs data in every group.",
                empty + 1
            ),
        );
    }
    if !event.iter().any(|&e| e) {
        return Figure::insufficient(
            "no_events",
            "Inga händelser (ingen började arbeta eller studera): grupperna kan inte jämföras.",
            "No events (nobody began work or studies): the groups cannot be compared.",
        );
    }
    let mut order: Vec<u32> = (0..time.len() as u32).collect();
    order.sort_unstable_by_key(|&i| time[i as usize]);
    let k = groups;
    let mut n_j: Vec<f64> = size.iter().map(|&n| n as f64).collect();
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut var = vec![vec![0.0; k]; k];
    let mut d_j = vec![0.0; k];
    let mut r_j = vec![0.0; k];
    let mut i = 0;
    while i < order.len() {
        let t = time[order[i] as usize];
        d_j.iter_mut().for_each(|x| *x = 0.0);
        r_j.iter_mut().for_each(|x| *x = 0.0);
        while i < order.len() && time[order[i] as usize] == t {
            let idx = order[i] as usize;
            let g = group[idx] as usize;
            r_j[g] += 1.0;
            if event[idx] {
                d_j[g] += 1.0;
            }
            i += 1;
        }
        let n: f64 = n_j.iter().sum();
        let d: f64 = d_j.iter().sum();
        if d > 0.0 {
            for a in 0..k {
                observed[a] += d_j[a];
                expected[a] += d * n_j[a] / n;
                if n > 1.0 {
                    let f = d * (n - d) / (n - 1.0);
                    for b in 0..k {
                        let delta = if a == b { 1.0 } else { 0.0 };
                        var[a][b] += f * (n_j[a] / n) * (delta - n_j[b] / n);
                    }
                }
            }
        }
        for a in 0..k {
            n_j[a] -= r_j[a];
        }
    }
    let m = k - 1;
    let diff: Vec<f64> = (0..m).map(|a| observed[a] - expected[a]).collect();
    let sub: Vec<Vec<f64>> = (0..m).map(|a| var[a][..m].to_vec()).collect();
    let Some(x) = solve(sub, diff.clone()) else {
        return Figure::insufficient(
            "singular_variance",
            "Variansen är noll: grupperna har inga jämförbara händelser.",
            "The variance is zero: the groups have no comparable events.",
        );
    };
    let statistic: f64 = diff.iter().zip(&x).map(|(a, b)| a * b).sum();
    Figure::Value(LogRank {
        groups: k,
        observed,
        expected,
        statistic,
        df: m,
        p_value: chi2_sf(statistic, m as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_curve() {
        // Times 1,2,2,3(c),4 with events except at 3.
        let t = [1, 2, 2, 3, 4];
        let e = [true, true, true, false, true];
        let c = kaplan_meier(&t, &e).value().cloned().unwrap();
        assert_eq!(c.steps.len(), 4);
        assert!((c.steps[0].survival - 0.8).abs() < 1e-12);
        assert!((c.steps[1].survival - 0.8 * (1.0 - 2.0 / 4.0)).abs() < 1e-12);
        assert!((c.steps[2].survival - 0.4).abs() < 1e-12);
        assert_eq!(c.steps[3].survival, 0.0);
        assert_eq!((c.steps[3].lower, c.steps[3].upper), (0.0, 0.0));
        assert_eq!(c.median, Some(2));
        assert_eq!(c.at(0), (1.0, 1.0, 1.0));
        let (s, lo, hi) = c.at(3);
        assert!(lo < s && s < hi);
    }

    #[test]
    fn too_little_data_is_explained() {
        assert!(kaplan_meier(&[], &[]).reason().is_some());
        let r = log_rank(&[1, 2], &[false, false], &[0, 1], 2);
        assert_eq!(r.reason().unwrap().code, "no_events");
        let r = log_rank(&[1, 2], &[true, true], &[0, 0], 2);
        assert_eq!(r.reason().unwrap().code, "empty_group");
        assert_eq!(
            log_rank(&[1], &[true], &[0], 1).reason().unwrap().code,
            "one_group"
        );
    }

    #[test]
    fn identical_groups_give_no_difference() {
        let t = [1, 2, 3, 1, 2, 3];
        let e = [true, true, false, true, true, false];
        let g = [0, 0, 0, 1, 1, 1];
        let r = log_rank(&t, &e, &g, 2).value().cloned().unwrap();
        assert!(r.statistic.abs() < 1e-12);
        assert!((r.p_value - 1.0).abs() < 1e-9);
    }
}
