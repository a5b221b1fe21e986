"""Do ``learnrisk monitor``'s pooled intervals cover the pooled precision they estimate?

A learner appears in many weekly lists, and its outcome is the same in each: the pooled rows are
not independent. Each replicate draws ``L`` learners; learner ``i`` fails (``y_i``, probability
0.4) and is listed ``1 + Poisson(lam1 if y_i else lam0)`` times, so the pooled precision (failing
rows / listed rows) has the known value ``0.4 (1 + lam1) / (0.4 (1 + lam1) + 0.6 (1 + lam0))``.
Per setting, 2,000 replicates (``--quick``: 200): the coverage and mean width of the 95 %
interval with the learner as the unit (:func:`learnrisk.metrics.clustered_wilson_interval`,
what ``monitor`` reports) and of the Wilson interval of the pooled rows taken as independent
(what it reported before). Then the time of ``monitor()`` itself on 12 weekly lists of 2,000
learners each (one course, outcomes known).

``python -m benchmarks.run bench_monitor``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SETTINGS = {  # name: (learners, lam1, lam0)
    "20 learners, listed ~4x / ~2.5x": (20, 3.0, 1.5),
    "100 learners, listed ~4x / ~2.5x": (100, 3.0, 1.5),
    "100 learners, listed ~9x / ~3x": (100, 8.0, 2.0),
    "1,000 learners, listed ~4x / ~2.5x": (1000, 3.0, 1.5),
}


def _coverage(learners: int, lam1: float, lam0: float, reps: int, seed: int) -> dict:
    from learnrisk.metrics import clustered_wilson_interval, wilson_interval

    rng = np.random.default_rng(seed)
    true = 0.4 * (1 + lam1) / (0.4 * (1 + lam1) + 0.6 * (1 + lam0))
    got = {"clustered": [0, 0.0], "naive": [0, 0.0]}
    for _ in range(reps):
        y = rng.random(learners) < 0.4
        n = 1 + rng.poisson(np.where(y, lam1, lam0))
        for name, (lo, hi) in (("clustered", clustered_wilson_interval(n * y, n)), ("naive", wilson_interval((n * y).sum(), n.sum()))):
            got[name][0] += lo <= true <= hi
            got[name][1] += hi - lo
    return {k: (c / reps, w / reps) for k, (c, w) in got.items()}


def _timing(learners: int = 2000, lists: int = 12) -> tuple[float, int]:
    from learnrisk.data import LearningData
    from learnrisk.monitoring import monitor

    rng = np.random.default_rng(0)
    ts = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    ids = [f"L{i:05d}" for i in range(learners)]
    fail = rng.random(learners) < 0.3
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lists"
        for w in range(lists):
            risk = np.clip(0.3 * fail + rng.random(learners) * 0.7, 0, 1)
            band = np.where(risk > 0.7, "high", np.where(risk > 0.5, "medium", "low"))
            f = pd.DataFrame({"course_id": "C1", "learner_id": ids, "risk": risk, "band": band, "contact_now": risk > 0.8,
                              "p_underperformance": 0.1})  # fmt: skip
            folder = out / f"{pd.Timestamp('2024-01-08') + pd.Timedelta(weeks=w):%Y-%m-%d}"
            folder.mkdir(parents=True)
            f.to_parquet(folder / "risk_list.parquet")
        courses = pd.DataFrame({"course_id": ["C1"], "course_code": ["C"], "start": [ts("2024-01-01")], "end": [ts("2024-06-01")]})
        enr = pd.DataFrame({"learner_id": ids, "course_id": "C1", "registered_at": ts("2023-12-20"), "withdrawn_at": pd.NaT,
                            "outcome": np.where(fail, "fail", "pass")})  # fmt: skip
        act = pd.DataFrame({"learner_id": [ids[0]], "course_id": ["C1"], "timestamp": [ts("2024-01-03")], "activity_type": ["page"], "clicks": [1]})
        assess = pd.DataFrame({"assessment_id": ["T1"], "course_id": ["C1"], "kind": ["quiz"], "due_at": [ts("2024-02-01")], "weight": [1.0]})
        subs = pd.DataFrame({"learner_id": [ids[0]], "assessment_id": ["T1"], "submitted_at": [ts("2024-01-30")], "score": [70.0]})
        data = LearningData(courses, pd.DataFrame({"learner_id": ids}), enr, act, assess, subs)
        t0 = time.perf_counter()
        res = monitor(out, data, out=False)
        return time.perf_counter() - t0, int(res.overall()["n_labelled"])


def run(quick: bool = False) -> list[dict]:
    reps = 200 if quick else 2000
    rows: list[dict] = []
    for i, (name, (learners, lam1, lam0)) in enumerate(SETTINGS.items()):
        got = _coverage(learners, lam1, lam0, reps, seed=i)
        (c, wc), (nv, wn) = got["clustered"], got["naive"]
        rows.append({"measure": f"pooled precision 95% coverage, learner as unit: {name}", "value": c, "unit": "share",
                     "notes": f"{reps} replicates; mean width {wc * 100:.1f} points"})  # fmt: skip
        rows.append({"measure": f"pooled precision 95% coverage, rows as independent (before): {name}", "value": nv, "unit": "share",
                     "notes": f"{reps} replicates; mean width {wn * 100:.1f} points"})  # fmt: skip
    seconds, n = _timing(500 if quick else 2000)
    rows.append({"measure": "monitor() wall time, 12 lists", "value": seconds, "unit": "s",
                 "notes": f"{n:,} labelled list rows of {500 if quick else 2000:,} learners, one course; no MLflow, nothing written"})  # fmt: skip
    return rows
