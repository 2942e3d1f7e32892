//! Logistic regression by Newton–Raphson (equivalently IRLS) with step-halving.
//!
//! The data are binomial rows: row `i` has covariates `xᵢ` (the first column is
//! normally the intercept, a column of ones), `mᵢ` trials and `sᵢ` successes. Plain 0/1
//! data are `mᵢ = 1`; rows with the same covariates can be collapsed into one row with
//! their counts, which gives exactly the same maximum-likelihood estimate and standard
//! errors and is how [`super::estimate`] keeps a million participants cheap.
//!
//! - **Likelihood**: `ℓ(β) = Σ sᵢ ln μᵢ + (mᵢ − sᵢ) ln(1 − μᵢ)`, `μᵢ = 1/(1 + e^{−xᵢβ})`
//!   (no binomial coefficients: the same value statsmodels' `Logit` reports for 0/1
//!   data).
//! - **Iteration**: from `β = 0`, each iteration makes one pass over the rows, computing
//!   `ℓ`, the score `g = Σ (sᵢ − mᵢμᵢ) xᵢ` and the information `H = Σ mᵢμᵢ(1 − μᵢ) xᵢxᵢᵀ`
//!   together (no allocation per row), then solves `H δ = g` by Cholesky. If the
//!   log-likelihood at `β + δ` is lower than at `β`, the step is halved (up to 30
//!   times).
//! - **Convergence**: when the largest change of a coefficient is at most
//!   `1e-10 × (1 + max |βⱼ|)`; at most [`MAX_ITERATIONS`] iterations.
//! - **Standard errors**: square roots of the diagonal of `H⁻¹` at the final `β` (the
//!   observed = expected information for the logit link), as statsmodels reports them.
//! - **Refusals** ([`FitError`]): no rows, fewer rows than coefficients, an outcome
//!   without variation, a 0/1 column whose rows all have the same outcome (perfect or
//!   quasi-complete separation, named), collinear columns (named), fitted probabilities
//!   numerically 0 or 1 when the iteration stops (separation by a combination of
//!   columns), or no convergence. None of them gives a number.

use serde::Serialize;

use super::linalg::Cholesky;

/// Most Newton iterations before giving up.
pub const MAX_ITERATIONS: usize = 100;

/// Binomial rows for a logistic regression.
#[derive(Debug, Clone, Copy)]
pub struct Design<'a> {
    /// Row-major covariates, `rows × names.len()`.
    pub x: &'a [f64],
    /// The column names, in order (the first normally `intercept`).
    pub names: &'a [String],
    /// Successes per row.
    pub successes: &'a [f64],
    /// Trials per row (1 for 0/1 data).
    pub trials: &'a [f64],
}

impl Design<'_> {
    fn p(&self) -> usize {
        self.names.len()
    }

    fn rows(&self) -> usize {
        self.trials.len()
    }
}

/// One coefficient of a fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    pub name: String,
    pub estimate: f64,
    pub std_error: f64,
    /// `estimate / std_error`.
    pub z: f64,
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogisticFit {
    pub coefficients: Vec<Coefficient>,
    /// Covariance matrix of the coefficients, row-major (`H⁻¹`).
    #[serde(skip)]
    pub covariance: Vec<f64>,
    pub log_likelihood: f64,
    /// Log-likelihood of the intercept-only model (for McFadden's pseudo-R²).
    pub log_likelihood_null: f64,
    /// `1 − ℓ/ℓ₀`.
    pub pseudo_r2: f64,
    /// Σ trials.
    pub observations: f64,
    pub iterations: usize,
}

impl LogisticFit {
    /// The coefficient vector.
    pub fn beta(&self) -> Vec<f64> {
        self.coefficients.iter().map(|c| c.estimate).collect()
    }

    /// The linear predictor `xβ` of a row.
    pub fn linear_predictor(&self, row: &[f64]) -> f64 {
        row.iter()
            .zip(&self.coefficients)
            .map(|(x, c)| x * c.estimate)
            .sum()
    }
}

/// Why a logistic regression gives no estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FitError {
    /// There are no rows (or no trials).
    NoObservations,
    /// Fewer observations than coefficients.
    TooFewObservations {
        observations: f64,
        coefficients: usize,
    },
    /// Every observation has the same outcome.
    NoVariation { successes: f64, observations: f64 },
    /// The outcome is perfectly predicted by these 0/1 columns (perfect or
    /// quasi-complete separation): their coefficients have no finite estimate.
    Separation { covariates: Vec<String> },
    /// This column is a linear combination of the columns before it (or constant).
    Collinear { covariate: String },
    /// The iteration did not converge within the limit.
    NotConverged { iterations: usize },
}

impl FitError {
    /// A sentence in Swedish.
    pub fn sv(&self) -> String {
        match self {
            FitError::NoObservations => "Det finns inga observationer att skatta modellen på.".into(),
            FitError::TooFewObservations { observations, coefficients } => format!(
                "För få observationer ({observations}) för modellens {coefficients} koefficienter."
            ),
            FitError::NoVariation { successes, observations } => format!(
                "Utfallet varierar inte ({successes} av {observations} observationer har det), så modellen kan inte skattas."
            ),
            FitError::Separation { covariates } => format!(
                "Fullständig separation: utfallet bestäms helt av {} – koefficienten saknar ändlig skattning. Slå ihop kategorier eller ta bort variabeln.",
                covariates.join(", ")
            ),
            FitError::Collinear { covariate } => format!(
                "Variabeln {covariate} är en linjärkombination av de andra (kollinearitet) och kan inte skattas."
            ),
            FitError::NotConverged { iterations } => format!(
                "Skattningen konvergerade inte på {iterations} iterationer."
            ),
        }
    }

    /// A sentence in English.
    pub fn en(&self) -> String {
        match self {
            FitError::NoObservations => "There are no observations to fit the model to.".into(),
            FitError::TooFewObservations { observations, coefficients } => format!(
                "Too few observations ({observations}) for the model's {coefficients} coefficients."
            ),
            FitError::NoVariation { successes, observations } => format!(
                "The outcome does not vary ({successes} of {observations} observations have it), so the model cannot be fitted."
            ),
            FitError::Separation { covariates } => format!(
                "Perfect separation: the outcome is fully determined by {} — the coefficient has no finite estimate. Merge categories or drop the variable.",
                covariates.join(", ")
            ),
            FitError::Collinear { covariate } => format!(
                "The covariate {covariate} is a linear combination of the others (collinearity) and cannot be estimated."
            ),
            FitError::NotConverged { iterations } => format!(
                "The estimation did not converge in {iterations} iterations."
            ),
        }
    }
}

/// μ = logistic(η), ln μ and ln(1 − μ), without overflow or cancellation, from one
/// exponential and one logarithm: with `e = exp(−|η|)` and `l = ln(1 + e)`,
/// `ln μ = −(max(−η, 0) + l)` and `ln(1 − μ) = −(max(η, 0) + l)`.
#[inline]
fn logistic_logs(eta: f64) -> (f64, f64, f64) {
    let e = (-eta.abs()).exp();
    let l = e.ln_1p();
    let mu = if eta >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (mu, -((-eta).max(0.0) + l), -(eta.max(0.0) + l))
}

/// Log-likelihood, score and information (lower triangle, mirrored at the end) at β.
struct Pass {
    ll: f64,
    grad: Vec<f64>,
    info: Vec<f64>,
    /// Rows whose fitted probability is numerically 0 or 1.
    extreme: usize,
}

/// One pass over the rows. Only the non-zero entries of a row enter the information
/// (dummy-coded rows are mostly zeros), which gives the same sums with a fraction of
/// the multiplications; the index buffer is allocated once per pass, not per row.
fn pass(d: &Design<'_>, beta: &[f64]) -> Pass {
    let p = d.p();
    let mut ll = 0.0;
    let mut grad = vec![0.0; p];
    let mut info = vec![0.0; p * p];
    let mut extreme = 0usize;
    let mut nz: Vec<usize> = Vec::with_capacity(p);
    for (i, row) in d.x.chunks_exact(p).enumerate() {
        let m = d.trials[i];
        if m == 0.0 {
            continue;
        }
        let s = d.successes[i];
        nz.clear();
        let mut eta = 0.0;
        for (j, (&x, &b)) in row.iter().zip(beta).enumerate() {
            if x != 0.0 {
                nz.push(j);
                eta += x * b;
            }
        }
        let (mu, l1, l0) = logistic_logs(eta);
        ll += s * l1 + (m - s) * l0;
        let w = m * mu * (1.0 - mu);
        if !(1e-10..=1.0 - 1e-10).contains(&mu) {
            extreme += 1;
        }
        let r = s - m * mu;
        for (k, &a) in nz.iter().enumerate() {
            let xa = row[a];
            grad[a] += r * xa;
            let wa = w * xa;
            let h = &mut info[a * p..a * p + a + 1];
            for &b in &nz[..=k] {
                h[b] += wa * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            info[b * p + a] = info[a * p + b];
        }
    }
    Pass {
        ll,
        grad,
        info,
        extreme,
    }
}

/// Whether every entry of column `j` is 0 or 1.
fn is_binary(d: &Design<'_>, j: usize) -> bool {
    let p = d.p();
    d.x.chunks_exact(p).all(|r| r[j] == 0.0 || r[j] == 1.0)
}

/// 0/1 columns for which the rows with the value 1, or those with 0, all have the same
/// outcome: each alone separates the data (quasi-completely).
fn separating_columns(d: &Design<'_>) -> Vec<String> {
    let p = d.p();
    let mut out = Vec::new();
    for j in 0..p {
        if !is_binary(d, j) {
            continue;
        }
        // [value][0 = successes, 1 = failures]
        let mut c = [[0.0f64; 2]; 2];
        for (i, row) in d.x.chunks_exact(p).enumerate() {
            let v = usize::from(row[j] == 1.0);
            c[v][0] += d.successes[i];
            c[v][1] += d.trials[i] - d.successes[i];
        }
        let present = |v: usize| c[v][0] + c[v][1] > 0.0;
        let pure = |v: usize| present(v) && (c[v][0] == 0.0 || c[v][1] == 0.0);
        // Both values present (else the column is constant: collinear with the
        // intercept, reported as such by the factorisation).
        if present(0) && present(1) && (pure(0) || pure(1)) {
            out.push(d.names[j].clone());
        }
    }
    out
}

/// Fits the model. See the module documentation for the method and the refusals.
pub fn fit(d: &Design<'_>) -> Result<LogisticFit, FitError> {
    let p = d.p();
    assert_eq!(d.x.len(), d.rows() * p, "design size");
    assert_eq!(d.successes.len(), d.rows(), "successes length");
    let n: f64 = d.trials.iter().sum();
    let succ: f64 = d.successes.iter().sum();
    if d.rows() == 0 || n <= 0.0 {
        return Err(FitError::NoObservations);
    }
    if n < p as f64 {
        return Err(FitError::TooFewObservations {
            observations: n,
            coefficients: p,
        });
    }
    if succ <= 0.0 || succ >= n {
        return Err(FitError::NoVariation {
            successes: succ,
            observations: n,
        });
    }
    let sep = separating_columns(d);
    if !sep.is_empty() {
        return Err(FitError::Separation { covariates: sep });
    }

    let mut beta = vec![0.0; p];
    let mut cur = pass(d, &beta);
    let mut iterations = 0;
    loop {
        if iterations >= MAX_ITERATIONS {
            return Err(diagnose_stop(d, &beta, &cur, iterations));
        }
        iterations += 1;
        let chol = match Cholesky::new(&cur.info, p) {
            Ok(c) => c,
            Err(e) => {
                if cur.extreme > 0 {
                    return Err(diagnose_stop(d, &beta, &cur, iterations));
                }
                return Err(FitError::Collinear {
                    covariate: d.names[e.column].clone(),
                });
            }
        };
        let delta = chol.solve(&cur.grad);
        let mut step = 1.0;
        let mut halvings = 0;
        let (next_beta, next) = loop {
            let b: Vec<f64> = beta.iter().zip(&delta).map(|(b, d)| b + step * d).collect();
            let nx = pass(d, &b);
            if nx.ll >= cur.ll - 1e-12 * cur.ll.abs() || halvings >= 30 {
                break (b, nx);
            }
            step *= 0.5;
            halvings += 1;
        };
        let change = delta.iter().map(|d| (step * d).abs()).fold(0.0, f64::max);
        let size = next_beta.iter().map(|b| b.abs()).fold(0.0, f64::max);
        beta = next_beta;
        cur = next;
        if change <= 1e-10 * (1.0 + size) {
            break;
        }
    }
    if cur.extreme > 0 && beta.iter().any(|b| b.abs() > 20.0) {
        return Err(diagnose_stop(d, &beta, &cur, iterations));
    }
    let chol = Cholesky::new(&cur.info, p).map_err(|e| FitError::Collinear {
        covariate: d.names[e.column].clone(),
    })?;
    let cov = chol.inverse();
    let coefficients = (0..p)
        .map(|j| {
            let se = cov[j * p + j].sqrt();
            Coefficient {
                name: d.names[j].clone(),
                estimate: beta[j],
                std_error: se,
                z: beta[j] / se,
            }
        })
        .collect();
    let pbar = succ / n;
    let ll0 = succ * pbar.ln() + (n - succ) * (1.0 - pbar).ln();
    Ok(LogisticFit {
        coefficients,
        covariance: cov,
        log_likelihood: cur.ll,
        log_likelihood_null: ll0,
        pseudo_r2: 1.0 - cur.ll / ll0,
        observations: n,
        iterations,
    })
}

/// The iteration stopped without a usable optimum: separation when fitted
/// probabilities are numerically 0 or 1 (naming the columns whose coefficients ran
/// away), otherwise no convergence.
fn diagnose_stop(d: &Design<'_>, beta: &[f64], cur: &Pass, iterations: usize) -> FitError {
    if cur.extreme > 0 {
        let max = beta.iter().map(|b| b.abs()).fold(0.0, f64::max);
        let covariates = d
            .names
            .iter()
            .zip(beta)
            .filter(|(_, b)| b.abs() >= 0.5 * max)
            .map(|(n, _)| n.clone())
            .collect();
        FitError::Separation { covariates }
    } else {
        FitError::NotConverged { iterations }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn collapsed_rows_give_the_same_fit_as_individual_rows() {
        // x ∈ {0, 1, 2}, individual 0/1 outcomes.
        let xs = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0];
        let ys = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let x: Vec<f64> = xs.iter().flat_map(|&v| [1.0, v]).collect();
        let ones = vec![1.0; xs.len()];
        let nm = names(&["intercept", "x"]);
        let a = fit(&Design {
            x: &x,
            names: &nm,
            successes: &ys,
            trials: &ones,
        })
        .unwrap();
        let xc = [1.0, 0.0, 1.0, 1.0, 1.0, 2.0];
        let b = fit(&Design {
            x: &xc,
            names: &nm,
            successes: &[1.0, 2.0, 2.0],
            trials: &[3.0, 4.0, 3.0],
        })
        .unwrap();
        for j in 0..2 {
            assert!((a.coefficients[j].estimate - b.coefficients[j].estimate).abs() < 1e-12);
            assert!((a.coefficients[j].std_error - b.coefficients[j].std_error).abs() < 1e-12);
        }
        assert!((a.log_likelihood - b.log_likelihood).abs() < 1e-10);
        // The score is zero at the optimum.
        let beta = a.beta();
        let g: f64 = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| y - 1.0 / (1.0 + (-(beta[0] + beta[1] * x)).exp()))
            .sum();
        assert!(g.abs() < 1e-10);
    }

    #[test]
    fn a_dummy_with_one_outcome_only_is_separation() {
        // Everyone with d = 1 has y = 1.
        let rows = [
            (0.0, 0.0),
            (0.0, 1.0),
            (0.0, 0.0),
            (1.0, 1.0),
            (1.0, 1.0),
            (0.0, 1.0),
        ];
        let x: Vec<f64> = rows.iter().flat_map(|&(d, _)| [1.0, d]).collect();
        let y: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let nm = names(&["intercept", "d"]);
        let e = fit(&Design {
            x: &x,
            names: &nm,
            successes: &y,
            trials: &[1.0; 6],
        })
        .unwrap_err();
        assert_eq!(
            e,
            FitError::Separation {
                covariates: vec!["d".into()]
            }
        );
        assert!(e.sv().contains("separation") && e.en().contains("separation"));
    }

    #[test]
    fn a_continuous_covariate_that_separates_is_caught_by_the_iteration() {
        // y = 1 exactly when x > 0: complete separation, no finite maximum.
        let xs = [-3.0, -2.0, -1.5, -0.5, 0.5, 1.0, 2.5, 3.0];
        let x: Vec<f64> = xs.iter().flat_map(|&v| [1.0, v]).collect();
        let y: Vec<f64> = xs.iter().map(|&v| f64::from(v > 0.0)).collect();
        let nm = names(&["intercept", "x"]);
        let e = fit(&Design {
            x: &x,
            names: &nm,
            successes: &y,
            trials: &[1.0; 8],
        })
        .unwrap_err();
        match e {
            FitError::Separation { covariates } => assert!(covariates.contains(&"x".to_string())),
            other => panic!("expected separation, got {other:?}"),
        }
    }

    #[test]
    fn collinear_and_constant_columns_are_named() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let x: Vec<f64> = xs.iter().flat_map(|&v| [1.0, v, 2.0 * v]).collect();
        let nm = names(&["intercept", "x", "two_x"]);
        let e = fit(&Design {
            x: &x,
            names: &nm,
            successes: &y,
            trials: &[1.0; 6],
        })
        .unwrap_err();
        assert_eq!(
            e,
            FitError::Collinear {
                covariate: "two_x".into()
            }
        );
    }

    #[test]
    fn no_variation_and_no_rows_are_refused() {
        let nm = names(&["intercept"]);
        assert_eq!(
            fit(&Design {
                x: &[],
                names: &nm,
                successes: &[],
                trials: &[]
            })
            .unwrap_err(),
            FitError::NoObservations
        );
        assert!(matches!(
            fit(&Design {
                x: &[1.0, 1.0],
                names: &nm,
                successes: &[1.0, 1.0],
                trials: &[1.0, 1.0]
            })
            .unwrap_err(),
            FitError::NoVariation { .. }
        ));
    }
}
