#!/usr/bin/env python3
"""Reference values for the logistic-regression agreement tests
(crates/vidare-effects/tests/counterfactual.rs), computed once with statsmodels.

Run from the repository root:

    python3 -m venv /tmp/venv-effects
    /tmp/venv-effects/bin/pip install statsmodels pandas scikit-learn lifelines
    /tmp/venv-effects/bin/python bench/python/logistic_fixtures.py

It writes bench/python/fixtures/logit_*.csv (the data, full precision) and
logit_*.expected.json (coefficients, standard errors, log-likelihood and the package
versions). The data are drawn from a fixed NumPy seed, so re-running gives the same
files. The Rust tests read only the files: no Python is needed to run them.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
VERSIONS = {
    "python": sys.version.split()[0],
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "pandas": pd.__version__,
    "statsmodels": statsmodels.__version__,
}


def write(name, frame, columns, result, how):
    frame.to_csv(os.path.join(OUT, f"{name}.csv"), index=False, float_format="%.17g")
    expected = {
        "how": how,
        "versions": VERSIONS,
        "names": columns,
        "coefficients": [float(v) for v in result.params],
        "std_errors": [float(v) for v in result.bse],
        "log_likelihood": float(result.llf),
        "converged": bool(result.mle_retvals["converged"]) if hasattr(result, "mle_retvals") else True,
    }
    with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")


def individual():
    """0/1 outcome, 2,000 rows: a continuous covariate, a log-transformed count, a
    four-level category (three dummies) and two yes/no covariates — the shape of the
    propensity model."""
    rng = np.random.default_rng(20240422)
    n = 2000
    x_cont = rng.normal(0.0, 1.0, n)
    months = np.floor(1 + rng.exponential(20.0, n))
    ln_months = np.log1p(months / 12.0)
    cat = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    b1 = rng.random(n) < 0.3
    b2 = rng.random(n) < 0.55
    eta = (-0.4 + 0.8 * x_cont - 0.3 * ln_months + 0.5 * (cat == 1) - 0.6 * (cat == 2)
           + 1.1 * (cat == 3) - 0.7 * b1 + 0.35 * b2)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
    frame = pd.DataFrame({
        "y": y,
        "intercept": 1.0,
        "x_cont": x_cont,
        "ln_months": ln_months,
        "cat_1": (cat == 1).astype(float),
        "cat_2": (cat == 2).astype(float),
        "cat_3": (cat == 3).astype(float),
        "b1": b1.astype(float),
        "b2": b2.astype(float),
    })
    columns = [c for c in frame.columns if c != "y"]
    res = sm.Logit(frame["y"], frame[columns]).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    write("logit_individual", frame, columns, res,
          "statsmodels.api.Logit(y, X).fit(method='newton', tol=1e-12, maxiter=100)")


def grouped():
    """Binomial rows (successes of trials) over a 3 × 2 × 2 grid of categories — the
    collapsed form the propensity model is fitted in."""
    rng = np.random.default_rng(7)
    rows = []
    for a in range(3):
        for b in range(2):
            for c in range(2):
                trials = int(rng.integers(20, 400))
                eta = -1.0 + 0.6 * (a == 1) + 1.2 * (a == 2) - 0.8 * b + 0.4 * c
                p = 1.0 / (1.0 + np.exp(-eta))
                succ = int(rng.binomial(trials, p))
                rows.append({"successes": succ, "trials": trials, "intercept": 1.0,
                             "a_1": float(a == 1), "a_2": float(a == 2), "b": float(b), "c": float(c)})
    frame = pd.DataFrame(rows)
    columns = ["intercept", "a_1", "a_2", "b", "c"]
    endog = np.column_stack([frame["successes"], frame["trials"] - frame["successes"]])
    res = sm.GLM(endog, frame[columns], family=sm.families.Binomial()).fit(tol=1e-14, maxiter=100)
    write("logit_grouped", frame, columns, res,
          "statsmodels.api.GLM([successes, failures], X, family=Binomial()).fit(tol=1e-14) "
          "(log-likelihood includes the binomial coefficients; compare coefficients and SEs)")


def separated():
    """A yes/no covariate whose 'yes' rows all have y = 1: statsmodels refuses it
    (PerfectSeparationError / warning); Vidare must explain instead of estimating."""
    frame = pd.DataFrame({
        "y": [0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0],
        "intercept": 1.0,
        "d": [0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0],
        "x": [0.3, -1.2, 0.8, 0.1, 1.5, -0.4, 0.9, 0.0, -0.7, 1.1, 0.5, 0.2],
    })
    frame.to_csv(os.path.join(OUT, "logit_separated.csv"), index=False, float_format="%.17g")
    outcome = "refused"
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sm.Logit(frame["y"], frame[["intercept", "d", "x"]]).fit(method="newton", disp=0)
        outcome = "estimated"
    except Exception as e:  # PerfectSeparationError or PerfectSeparationWarning
        outcome = f"refused: {type(e).__name__}"
    with open(os.path.join(OUT, "logit_separated.expected.json"), "w") as f:
        json.dump({"versions": VERSIONS, "statsmodels": outcome, "separating": ["d"]}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    individual()
    grouped()
    separated()
    print("fixtures written to", OUT)
