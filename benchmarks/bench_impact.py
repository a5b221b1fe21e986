"""Does ``learnrisk impact`` recover the generator's true effect of contact?

World: ``synthetic.generate(n_learners=800, seed=11)`` with its outcomes; lists as the weekly job
would publish them with perfect probabilities (every offering at weeks 3 and 5, combined risk
>= 0.25 listed; ``tests/impact/conftest.oracle_listings``). Each seed draws a new hold-out (salt),
new contacts and new effects (``synthetic.simulate_contacts``, default modest effect 0.2 with
heterogeneity 0.5) and compares the estimate with the truth of that draw:

- randomized (hold-out 50 %): how often the 95 % Newcombe interval of the ITT covers the true
  ITT, its mean width, and how often an interval excludes 0 when the true effect is zero;
- observational (no hold-out): the mean bias (estimate minus truth, in points) of the naive
  difference, the risk-stratified ATT and the AIPW ATE, when advisors favour high risks and call
  at once; when they call up to 7 days later (learners who leave first cannot be reached); and
  when they also favour, unseen, learners who pass anyway (``confounding=2``).

``python -m benchmarks.run bench_impact`` (``--quick``: 10 seeds).
"""

from __future__ import annotations

import numpy as np


def _world():
    from learnrisk import synthetic

    return synthetic.generate(n_learners=800, seed=11, return_truth=True)


def run(quick: bool = False) -> list[dict]:
    from learnrisk import impact, synthetic
    from tests.impact.conftest import oracle_listings

    data, truth = _world()
    n = 10 if quick else 200
    rows: list[dict] = []
    for effect in (0.2, 0.0):
        cover, width, excl = {"withdrawal": 0, "not_passing": 0}, [], 0
        for seed in range(n):
            lists = oracle_listings(data, truth, salt=f"b{seed}")
            d2, tr = synthetic.simulate_contacts(data, lists, effect=effect, seed=seed)
            true = synthetic.contact_effects(tr)
            res = impact.estimate_impact(lists, d2, designs=("randomized",))
            for o in cover:
                r = res.effect("randomized", o)
                cover[o] += r["ci_low"] <= true.loc[o, "itt"] <= r["ci_high"]
                excl += not (r["ci_low"] <= 0 <= r["ci_high"])
                width.append(r["ci_high"] - r["ci_low"])
        if effect:
            for o, c in cover.items():
                rows.append({"measure": f"randomized ITT coverage, {o}", "value": c / n, "unit": "share",
                             "notes": f"{n} seeds, effect 0.2, 95 % Newcombe interval, {len(res.units)} listed learners"})
            rows.append({"measure": "randomized ITT interval width", "value": float(np.mean(width)) * 100, "unit": "points", "notes": "mean"})
        else:
            rows.append({"measure": "randomized: intervals excluding 0 when the effect is 0", "value": excl / (2 * n),
                         "unit": "share", "notes": f"{n} seeds x 2 outcomes (5 % expected)"})
    m = 5 if quick else 40
    settings = {
        "risk-selected, immediate": dict(risk_selection=2.0, lag_days=0),
        "risk-selected, up to 7 days later": dict(risk_selection=2.0, lag_days=7),
        "plus unseen confounding": dict(risk_selection=2.0, lag_days=0, confounding=2.0),
    }
    estimands = {"naive (contacted vs not)": "att", "ATT, matched on risk": "att", "ATE, AIPW": "ate"}
    for name, kw in settings.items():
        bias: dict[str, list[float]] = {e: [] for e in estimands}
        for seed in range(m):
            lists = oracle_listings(data, truth, share=0.0).assign(held_out=False)
            d2, tr = synthetic.simulate_contacts(data, lists, effect=0.2, seed=seed, **kw)
            true = synthetic.contact_effects(tr)
            res = impact.estimate_impact(lists, d2, designs=("observational",), seed=seed)
            for e, t in estimands.items():
                bias[e].append(res.effect("observational", "withdrawal", estimand=e)["effect"] - true.loc["withdrawal", t])
        for e, b in bias.items():
            rows.append({"measure": f"observational bias, {e}: {name}", "value": float(np.mean(b)) * 100,
                         "unit": "points", "notes": f"withdrawal, {m} seeds; sd {np.std(b) * 100:.1f}"})
    return rows


if __name__ == "__main__":
    for r in run(quick=True):
        print(r)
