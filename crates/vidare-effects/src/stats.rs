//! Small statistical building blocks: Wilson intervals, the normal and chi-square
//! distributions (via the regularised incomplete gamma function), summary statistics.
//!
//! Accuracy: `ln_gamma` (Lanczos, g = 7, 9 terms) and the incomplete gamma (series and
//! Lentz continued fraction to 1e-15) are good to about 1e-13 relative, far inside the
//! 1e-6 the agreement tests demand.

use serde::Serialize;

use crate::{Figure, Reason};

/// The 97.5 % quantile of the standard normal distribution (two-sided 95 %).
pub const Z95: f64 = 1.959_963_984_540_054;

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < a + 1.0 {
        1.0 - gamma_p_series(a, x)
    } else {
        gamma_q_fraction(a, x)
    }
}

fn gamma_p_series(a: f64, x: f64) -> f64 {
    let mut sum = 1.0 / a;
    let mut term = sum;
    let mut n = a;
    for _ in 0..10_000 {
        n += 1.0;
        term *= x / n;
        sum += term;
        if term.abs() < sum.abs() * 1e-16 {
            break;
        }
    }
    sum * (-x + a * x.ln() - ln_gamma(a)).exp()
}

fn gamma_q_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// P(X > x) for X chi-square with `df` degrees of freedom.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    gamma_q(df / 2.0, x / 2.0)
}

/// The complementary error function.
pub fn erfc(x: f64) -> f64 {
    if x >= 0.0 {
        gamma_q(0.5, x * x)
    } else {
        2.0 - gamma_q(0.5, x * x)
    }
}

/// The standard normal distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// A share with its 95 % Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    pub successes: u64,
    pub total: u64,
    pub share: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The Wilson score interval for `k` successes out of `n` at quantile `z` (as
/// statsmodels' `proportion_confint(method="wilson")`).
pub fn wilson(k: u64, n: u64, z: f64) -> Figure<Proportion> {
    if n == 0 {
        return Figure::Insufficient {
            reason: Reason::new(
                "empty_group",
                "Gruppen är tom: det finns ingen att räkna andelen på.",
                "The group is empty: there is nobody to compute the share over.",
            ),
        };
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    Figure::Value(Proportion {
        successes: k,
        total: n,
        share: p,
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    })
}

/// [`wilson`] at 95 %.
pub fn wilson95(k: u64, n: u64) -> Figure<Proportion> {
    wilson(k, n, Z95)
}

/// Mean, sample standard deviation (n − 1) and coefficient of variation of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    /// `sd / mean`.
    pub cv: f64,
}

/// Mean, sample sd and CV; insufficient for fewer than two values or a zero mean.
pub fn spread(values: &[f64]) -> Figure<Spread> {
    if values.len() < 2 {
        return Figure::Insufficient {
            reason: Reason::new(
                "too_few_values",
                "Färre än två värden: spridningen kan inte beräknas.",
                "Fewer than two values: the spread cannot be computed.",
            ),
        };
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return Figure::Insufficient {
            reason: Reason::new(
                "zero_mean",
                "Medelvärdet är noll: variationskoefficienten är inte definierad.",
                "The mean is zero: the coefficient of variation is undefined.",
            ),
        };
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    Figure::Value(Spread {
        n: values.len(),
        mean,
        sd,
        cv: sd / mean,
    })
}

/// The median of a slice (mean of the middle two for an even count); None if empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let m = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[m - 1] + values[m]) / 2.0
    } else {
        values[m]
    })
}

/// Solves `a x = b` for a small dense symmetric positive-definite-ish matrix by Gaussian
/// elimination with partial pivoting; None if singular.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[i][k] * x[k]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_match_known_values() {
        assert!((normal_cdf(Z95) - 0.975).abs() < 1e-12);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        // chi2.sf(3.841458820694124, 1) = 0.05
        assert!((chi2_sf(3.841_458_820_694_124, 1.0) - 0.05).abs() < 1e-12);
        // chi2.sf(5.991464547107979, 2) = 0.05
        assert!((chi2_sf(5.991_464_547_107_979, 2.0) - 0.05).abs() < 1e-12);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn wilson_refuses_empty_and_bounds_extremes() {
        assert!(wilson95(0, 0).value().is_none());
        let p = wilson95(0, 10).into_value().unwrap();
        assert_eq!(p.lower, 0.0);
        assert!(p.upper > 0.2 && p.upper < 0.35);
        let p = wilson95(10, 10).into_value().unwrap();
        assert!((p.upper - 1.0).abs() < 1e-12);
    }

    #[test]
    fn spread_and_median() {
        assert!(spread(&[1.0]).value().is_none());
        assert!(spread(&[0.0, 0.0]).value().is_none());
        let s = spread(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
            .into_value()
            .unwrap();
        assert!((s.mean - 5.0).abs() < 1e-12);
        assert!((s.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn solve_small_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }
}
