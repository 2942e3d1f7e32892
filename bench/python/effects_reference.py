#!/usr/bin/env python3
"""The effect analysis written the way a researcher would: pandas, statsmodels,
scikit-learn and lifelines. `vidare bench effects` runs it on the same data in the same
run as Vidare's own computation and prints the ratio of the times (issue 7: Vidare must
be at least 20x faster) and how far the two sets of figures are apart.

Inputs
------
--participants FILE   One row per registered participant (placed or not), written by
                      the benchmark from the same data Vidare analyses
                      (crates/vidare/src/bench/effects_reference.rs documents the
                      columns). The research export (`vidare export research`) has one
                      row per placement episode only — no never-placed comparison pool
                      and no register outcome counted from registration — so the matched
                      comparison needs this participant-level file.
--episodes FILE       Optional: the research export's episodes.csv (one row per
                      placement). Used for the descriptive part: exits to work or studies
                      by procurement with Wilson intervals, Kaplan-Meier time to work and
                      the log-rank test, follow-up shares.

Output: JSON on stdout with the figures and the wall-clock seconds of each part
(reading the CSV files is timed separately from the analysis).

The matched estimate mirrors Vidare's estimator exactly (see
crates/vidare-effects/src/counterfactual/mod.rs): participants registered within the
treated's registration period in their municipality, outcome = began work or studies
within 365 days of registering, propensity score by logistic regression
(statsmodels formula API) on the covariates and registration year, 1 nearest neighbour
on the logit with replacement, ties shared, within municipality, caliper 0.2 SD of the
logit, Abadie-Imbens variance. Package versions used for the recorded figures are in
requirements.txt.
"""
import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.formula.api as smf
from sklearn.neighbors import NearestNeighbors

Z975 = 1.959963984540054
CATS = ["age_band", "gender", "born_abroad", "education", "months_band",
        "health_limitation", "swedish_level", "prior_work_experience", "registration_year"]


def load_participants(path):
    df = pd.read_csv(
        path,
        dtype={"tenant": "int32", "age_band": "category", "gender": "category",
               "born_abroad": "int8", "education": "category",
               "months_on_income_support": "int32", "health_limitation": "int8",
               "swedish_level": "category", "prior_work_experience": "int8",
               "treated": "int8", "other_round": "int8", "baseline_placed": "int8"},
        parse_dates=["registered_on", "register_began_on", "register_observed_until"],
    )
    return df


def outcomes(df):
    """The main outcome and the time-to-work outcomes, where observed."""
    reg, began, obs = df["registered_on"], df["register_began_on"], df["register_observed_until"]
    d = (began - reg).dt.days
    within = began.notna() & (d <= 365)
    defined = reg.notna() & obs.notna() & (within | ((obs - reg).dt.days >= 365))
    days = np.where(within, d.clip(lower=0, upper=365), 365)
    df["y365"] = within.astype(float)
    df["y180"] = (within & (days <= 180)).astype(float)
    df["days365"] = days.astype(float)
    df["defined"] = defined
    return df


def analysis_population(df):
    treated = (df["treated"] == 1) & df["defined"]
    win = df.loc[treated].groupby("tenant")["registered_on"].agg(["min", "max"])
    lo = df["tenant"].map(win["min"])
    hi = df["tenant"].map(win["max"])
    comparison = ((df["treated"] == 0) & (df["other_round"] == 0) & df["defined"]
                  & (df["registered_on"] >= lo) & (df["registered_on"] <= hi))
    a = df.loc[treated | comparison].copy()
    a["t"] = (a["treated"] == 1).astype(int)
    a["months_band"] = pd.cut(a["months_on_income_support"], [-1, 11, 23, np.inf],
                              labels=["0-11", "12-23", "24+"])
    a["registration_year"] = a["registered_on"].dt.year
    a["ln_months"] = np.log1p(np.minimum(a["months_on_income_support"], 511) / 12.0)
    # Levels held by one group only are outside common support.
    dropped = 0
    while True:
        changed = False
        for c in CATS:
            tab = pd.crosstab(a[c], a["t"])
            for g in (0, 1):
                if g not in tab.columns:
                    tab[g] = 0
            only = tab[(tab[0] == 0) | (tab[1] == 0)]
            if len(only):
                keep = ~a[c].isin(only.index)
                dropped += int((~keep).sum())
                a = a.loc[keep]
                changed = True
        if not changed:
            break
    return a, dropped


def propensity(a):
    terms = []
    for c in CATS:
        if a[c].nunique() > 1:
            terms.append(f"C({c})")
    formula = "t ~ " + " + ".join(terms[:4] + ["ln_months"] + terms[4:])
    res = smf.logit(formula, data=a).fit(disp=0, maxiter=100)
    return res, np.asarray(res.fittedvalues)


def match(a, logit, caliper):
    """1-NN on the logit within tenant, with replacement, ties shared; returns
    per-treated blocks and the comparison blocks table."""
    a = a.assign(logit=logit)
    ctrl = a.loc[a["t"] == 0]
    blocks = (ctrl.groupby(["tenant", "logit"], sort=True)
              .agg(n=("y365", "size")).reset_index())
    blocks["bid"] = np.arange(len(blocks))
    key = ctrl[["tenant", "logit"]].merge(blocks[["tenant", "logit", "bid"]],
                                          on=["tenant", "logit"], how="left")["bid"].to_numpy()
    treated = a.loc[a["t"] == 1]
    first = np.full(len(treated), -1)
    second = np.full(len(treated), -1)
    t_tenant = treated["tenant"].to_numpy()
    t_logit = treated["logit"].to_numpy()
    for tenant, grp in blocks.groupby("tenant"):
        idx = np.nonzero(t_tenant == tenant)[0]
        if len(idx) == 0:
            continue
        k = min(2, len(grp))
        nn = NearestNeighbors(n_neighbors=k, metric="manhattan").fit(grp[["logit"]].to_numpy())
        dist, ind = nn.kneighbors(t_logit[idx].reshape(-1, 1))
        bids = grp["bid"].to_numpy()
        ok = dist[:, 0] <= caliper
        first[idx[ok]] = bids[ind[ok, 0]]
        if k == 2:
            tie = ok & (dist[:, 1] == dist[:, 0])
            second[idx[tie]] = bids[ind[tie, 1]]
    return a, ctrl, key, blocks, first, second


def matched_effect(col, ctrl, key, blocks, treated_y, first, second):
    nb = len(blocks)
    y = ctrl[col].to_numpy()
    s = np.bincount(key, weights=y, minlength=nb)
    s2 = np.bincount(key, weights=y * y, minlength=nb)
    n = blocks["n"].to_numpy().astype(float)
    m = first >= 0
    f, sc = first[m], second[m]
    two = sc >= 0
    size = n[f] + np.where(two, n[np.maximum(sc, 0)], 0.0)
    y0 = (s[f] + np.where(two, s[np.maximum(sc, 0)], 0.0)) / size
    y1 = treated_y[m]
    n1 = m.sum()
    att = (y1 - y0).mean()
    w = 1.0 / size
    k = np.bincount(f, weights=w, minlength=nb) + np.bincount(sc[two], weights=w[two], minlength=nb)
    k2 = np.bincount(f, weights=w * w, minlength=nb) + np.bincount(sc[two], weights=(w * w)[two], minlength=nb)
    factor = k * k - k2
    # Conditional variances: within a tie block its sample variance; a single unit
    # borrows from its nearest other block(s) in the tenant.
    with np.errstate(invalid="ignore", divide="ignore"):
        block_var = np.where(n >= 2, (s2 - s * s / n) / (n - 1), np.nan)
    sigma_sum = n * block_var
    tenants = blocks["tenant"].to_numpy()
    logits = blocks["logit"].to_numpy()
    single = np.nonzero((n == 1) & (factor > 0))[0]
    pooled = y.var(ddof=1) if len(y) > 1 else 0.0
    for b in single:
        left = b - 1 if b > 0 and tenants[b - 1] == tenants[b] else None
        right = b + 1 if b + 1 < nb and tenants[b + 1] == tenants[b] else None
        if left is None and right is None:
            sigma_sum[b] = pooled
            continue
        dl = logits[b] - logits[left] if left is not None else np.inf
        dr = logits[right] - logits[b] if right is not None else np.inf
        chosen = [left] if dl < dr else [right] if dr < dl else [left, right]
        j = sum(n[c] for c in chosen)
        mean = sum(s[c] for c in chosen) / j
        sigma_sum[b] = j / (j + 1) * (s[b] - mean) ** 2
    control_part = np.nansum(np.where(factor > 0, factor * sigma_sum, 0.0))
    var = (((y1 - y0 - att) ** 2).sum() + control_part) / n1 ** 2
    se = float(np.sqrt(var))
    return {"att": float(att), "std_error": se, "ci_low": float(att - Z975 * se),
            "ci_high": float(att + Z975 * se), "treated_mean": float(y1.mean()),
            "counterfactual_mean": float(y0.mean())}, k


def balance(a, ctrl_k, key, m_treated):
    """Standardised mean differences of every covariate level before and after."""
    rows = []
    t = a[a["t"] == 1]
    c = a[a["t"] == 0]
    w = ctrl_k[key]
    tm = t.loc[m_treated]
    for col in CATS:
        for level in sorted(a[col].unique(), key=str):
            xt, xc = (t[col] == level).astype(float), (c[col] == level).astype(float)
            sd = np.sqrt((xt.var() + xc.var()) / 2)
            after_c = np.average((c[col] == level).astype(float), weights=w) if w.sum() > 0 else np.nan
            after_t = (tm[col] == level).astype(float).mean()
            rows.append({"variable": col, "level": str(level),
                         "smd_before": float((xt.mean() - xc.mean()) / sd) if sd > 0 else 0.0,
                         "smd_after": float((after_t - after_c) / sd) if sd > 0 else 0.0})
    return rows


def baseline(df):
    d = df[df["defined"]]
    t = d[d["treated"] == 1].groupby("tenant")["y365"].agg(["size", "sum"])
    b = d[(d["treated"] == 0) & (d["other_round"] == 0) & (d["baseline_placed"] == 1)] \
        .groupby("tenant")["y365"].agg(["size", "sum"])
    j = t.join(b, lsuffix="_t", rsuffix="_b", how="inner")
    n1 = j["size_t"].sum()
    p1, p0 = j["sum_t"] / j["size_t"], j["sum_b"] / j["size_b"]
    wt = j["size_t"] / n1
    diff = float((wt * (p1 - p0)).sum())
    se = float(np.sqrt((wt ** 2 * (p1 * (1 - p1) / j["size_t"] + p0 * (1 - p0) / j["size_b"])).sum()))
    return {"difference": diff, "std_error": se, "treated": int(n1), "baseline": int(j["size_b"].sum())}


def counterfactual(df):
    df = outcomes(df)
    a, dropped_levels = analysis_population(df)
    res, logit = propensity(a)
    caliper = 0.2 * np.std(logit, ddof=1)
    a, ctrl, key, blocks, first, second = match(a, logit, caliper)
    treated = a[a["t"] == 1]
    effects = {}
    k = None
    for col in ("y365", "y180", "days365"):
        e, k = matched_effect(col, ctrl, key, blocks, treated[col].to_numpy(), first, second)
        effects[col] = e
    bal = balance(a, k, key, first >= 0)
    return {
        "treated_analysed": int((a["t"] == 1).sum()),
        "comparison_analysed": int((a["t"] == 0).sum()),
        "dropped_by_level": dropped_levels,
        "log_likelihood": float(res.llf),
        "coefficients": int(len(res.params)),
        "caliper_logit": float(caliper),
        "matched": int((first >= 0).sum()),
        "dropped_by_caliper": int((first < 0).sum()),
        "effects": effects,
        "max_abs_smd_before": max(abs(r["smd_before"]) for r in bal),
        "max_abs_smd_after": max(abs(r["smd_after"]) for r in bal),
        "baseline": baseline(df),
    }


def descriptive(ep):
    """Exits, Kaplan-Meier and log-rank over the research export's episodes."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from statsmodels.stats.proportion import proportion_confint
    out = {}
    ended = ep[ep["exit_indicator"].notna()]
    for proc, g in ended.groupby("procurement"):
        k = int(g["exit_indicator"].isin(["work", "studies"]).sum())
        lo, hi = proportion_confint(k, len(g), alpha=0.05, method="wilson")
        out[f"exits_{proc}"] = {"share": k / len(g), "lower": float(lo), "upper": float(hi), "n": len(g)}
    km = {}
    for proc, g in ep.groupby("procurement"):
        f = KaplanMeierFitter().fit(g["time_to_work_days"], event_observed=1 - g["time_to_work_censored"])
        km[proc] = {"median": float(f.median_survival_time_),
                    "survival_365": float(f.survival_function_at_times(365).iloc[0])}
    out["kaplan_meier"] = km
    groups = ep["procurement"].unique()
    if len(groups) >= 2:
        a, b = ep[ep["procurement"] == groups[0]], ep[ep["procurement"] == groups[1]]
        lr = logrank_test(a["time_to_work_days"], b["time_to_work_days"],
                          event_observed_A=1 - a["time_to_work_censored"],
                          event_observed_B=1 - b["time_to_work_censored"])
        out["logrank"] = {"groups": [str(groups[0]), str(groups[1])],
                          "statistic": float(lr.test_statistic), "p_value": float(lr.p_value)}
    for m in ("followup_3m", "followup_6m", "followup_12m"):
        rec = ep[~ep[m].isin(["not_due", "missing"]) & ep[m].notna()]
        out[m] = {"employed_or_studying": float(rec[m].isin(["employed", "subsidised_employment", "studying"]).mean()) if len(rec) else None,
                  "recorded": int(len(rec))}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--participants", required=True)
    ap.add_argument("--episodes")
    args = ap.parse_args()
    t0 = time.perf_counter()
    df = load_participants(args.participants)
    ep = pd.read_csv(args.episodes) if args.episodes else None
    t1 = time.perf_counter()
    cf = counterfactual(df)
    t2 = time.perf_counter()
    desc = descriptive(ep) if ep is not None else None
    t3 = time.perf_counter()
    json.dump({
        "versions": {"python": sys.version.split()[0], "pandas": pd.__version__,
                     "numpy": np.__version__, "statsmodels": statsmodels.__version__,
                     "scikit_learn": __import__("sklearn").__version__,
                     "lifelines": __import__("lifelines").__version__},
        "rows": {"participants": int(len(df)), "episodes": int(len(ep)) if ep is not None else 0},
        "seconds": {"load": t1 - t0, "counterfactual": t2 - t1, "descriptive": t3 - t2,
                    "analysis": t3 - t1, "total": t3 - t0},
        "counterfactual": cf,
        "descriptive": desc,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
