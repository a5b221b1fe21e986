"""Corporate learning on the synthetic company: the overdue model against its baselines and the
oracle, and kpi-impact against the known training effect, each with a 95 % interval.

The company of ``learnrisk demo --scenario corporate``: 600 employees, four course codes over
three years from 2023 (seed 7; the whole world, so that every label is known); trained on the
offerings of the first two years, tested on the third
(weeks 1-8 since each assignment, open assignments only). Intervals: percentile bootstrap over
test learners (all their rows together), 500 draws. kpi-impact: the SKILLS course and the
monthly ``productivity`` KPI, with a true effect of 5 and of 0.

``python -m benchmarks.run bench_corporate`` adds its rows to ``benchmarks/results.md``.
"""

from __future__ import annotations

import numpy as np


def _interval(values) -> str:
    lo, hi = np.percentile(values, [2.5, 97.5])
    return f"95% [{lo:.3f}, {hi:.3f}]"


def run(quick: bool = False) -> list[dict]:
    from sklearn.metrics import roc_auc_score

    import learnrisk
    from learnrisk.impact import kpi_impact

    n = 200 if quick else 600
    data, truth = learnrisk.synthetic.generate(n_learners=n, seed=7, scenario="corporate", years=3, start_year=2023, return_truth=True)
    model, report = learnrisk.train(data, "overdue", weeks=range(1, 9), truth=truth.overdue, fairness=False)
    p = report.predictions.dropna(subset=["oracle"]).reset_index(drop=True)
    scores = ("model", "logistic", "rule", "oracle")
    point = {s: roc_auc_score(p["y"], p[s]) for s in scores}
    codes, learners = p["learner_id"].factorize()
    rows_of = [np.flatnonzero(codes == i) for i in range(len(learners))]
    rng = np.random.default_rng(0)
    boot = {s: [] for s in (*scores, "ratio")}
    for _ in range(100 if quick else 500):
        rows = np.concatenate([rows_of[i] for i in rng.integers(0, len(rows_of), len(rows_of))])
        q = p.iloc[rows]
        if q["y"].nunique() < 2:
            continue
        got = {s: roc_auc_score(q["y"], q[s]) for s in scores}
        for s in scores:
            boot[s].append(got[s])
        boot["ratio"].append(got["model"] / got["oracle"])
    where = f"{n} employees, test {len(p):,} rows of {len(learners)} learners ({', '.join(report.test_offerings)}); chosen {model.chosen_}"
    out = [
        {"measure": f"overdue: test ROC AUC, {name}", "value": round(point[s], 4), "unit": "",
         "notes": f"{_interval(boot[s])}; {where}" if s == "model" else _interval(boot[s])}
        for s, name in (("model", "model"), ("logistic", "logistic baseline"), ("rule", "rule baseline (progress_gap)"),
                        ("oracle", "oracle"))
    ]
    out.append({"measure": "overdue: AUC / oracle AUC (all weeks)", "value": round(point["model"] / point["oracle"], 4),
                "unit": "ratio", "notes": f"{_interval(boot['ratio'])}; ECE {report.overall()['ece']:.3f}"})
    for effect in (5.0, 0.0):
        d = data if effect == 5.0 else learnrisk.synthetic.generate(n_learners=n, seed=7, scenario="corporate", years=3, start_year=2023, kpi_effect=0.0)
        res = kpi_impact(d, "SKILLS", "productivity", n_boot=1000)
        lo, hi = res.interval
        out.append({"measure": f"kpi-impact: estimate for a true effect of {effect:g}", "value": round(res.estimate, 3),
                    "unit": "KPI points", "notes": f"95% [{lo:.2f}, {hi:.2f}]; {int(res.summary.loc['all', 'completers'])} completers; "
                    f"covers the truth: {'yes' if lo <= effect <= hi else 'NO'}"})
    return out


if __name__ == "__main__":
    for row in run():
        print(row)
