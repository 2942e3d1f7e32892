#!/usr/bin/env python3
"""Reference values for vidare-effects' agreement tests (issue 7).

Run ONCE; the output is committed as
crates/vidare-effects/tests/fixtures/reference.json and the Rust tests compare against
it to 1e-6 without needing Python.

    python3 -m venv /tmp/effects-venv
    /tmp/effects-venv/bin/pip install lifelines statsmodels scipy
    /tmp/effects-venv/bin/python bench/reference/effects_reference.py \
        > crates/vidare-effects/tests/fixtures/reference.json

Package versions used for the committed fixture are recorded in its "versions" field
(and in bench/reference/README.md).

Datasets (all generated here from a fixed seed and stored in the fixture):
- proportions: (successes, total) pairs incl. the edge cases 0/n and n/n;
- survival: 3 groups of durations in days with ties and right-censoring, shaped like
  time to work after a placement start.
"""
import json
import sys

import lifelines
import numpy as np
import scipy
import statsmodels
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from statsmodels.stats.proportion import proportion_confint

rng = np.random.default_rng(20240422)

pairs = [(0, 10), (1, 10), (5, 10), (10, 10), (37, 120), (446, 1000), (1, 1), (3, 7),
         (999, 1000), (2050, 4589), (12, 13)]
proportions = []
for k, n in pairs:
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    proportions.append({"k": k, "n": n, "share": k / n, "lower": float(lo), "upper": float(hi)})


def group(n, scale, censor_scale):
    # Work starts ~ Weibull-ish in days; censoring uniform; rounded to whole days and
    # coarsened to weeks for some to create ties.
    t_event = np.ceil(scale * rng.weibull(1.3, n)).astype(int) + 14
    t_cens = np.ceil(rng.uniform(30, censor_scale, n)).astype(int)
    time = np.minimum(t_event, t_cens)
    event = t_event <= t_cens
    weekly = rng.uniform(size=n) < 0.4
    time = np.where(weekly, (time // 7) * 7 + 7, time)
    return time.tolist(), event.tolist()


groups = [group(80, 300, 900), group(70, 220, 900), group(25, 500, 600)]
# A tiny group with a censoring tie at an event time and a final event.
tiny = ([5, 5, 8, 8, 12, 20], [True, False, True, True, False, True])

curves = []
for name, (time, event) in [("g0", groups[0]), ("g1", groups[1]), ("g2", groups[2]), ("tiny", tiny)]:
    kmf = KaplanMeierFitter()
    kmf.fit(time, event_observed=event, alpha=0.05)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    steps = []
    for t in sf.index:
        if t == 0 and 0 not in time:
            continue
        s = float(sf.loc[t])
        steps.append({
            "time": int(t),
            "survival": s,
            "lower": float(ci.iloc[:, 0].loc[t]),
            "upper": float(ci.iloc[:, 1].loc[t]),
        })
    med = kmf.median_survival_time_
    curves.append({
        "name": name,
        "time": [int(x) for x in time],
        "event": [bool(x) for x in event],
        "steps": steps,
        "median": None if not np.isfinite(med) else int(med),
    })

lr2 = logrank_test(groups[0][0], groups[1][0], event_observed_A=groups[0][1],
                   event_observed_B=groups[1][1])
all_t = groups[0][0] + groups[1][0] + groups[2][0]
all_e = groups[0][1] + groups[1][1] + groups[2][1]
all_g = [0] * len(groups[0][0]) + [1] * len(groups[1][0]) + [2] * len(groups[2][0])
lr3 = multivariate_logrank_test(all_t, all_g, all_e)

out = {
    "generated_by": "bench/reference/effects_reference.py",
    "versions": {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "lifelines": lifelines.__version__,
    },
    "proportions": proportions,
    "kaplan_meier": curves,
    "log_rank": [
        {"groups": [0, 1], "statistic": float(lr2.test_statistic), "p_value": float(lr2.p_value), "df": 1},
        {"groups": [0, 1, 2], "statistic": float(lr3.test_statistic), "p_value": float(lr3.p_value), "df": 2},
    ],
}
json.dump(out, sys.stdout, indent=1)
print()
