"""Estimated risk reduction of an intervention: re-score with its driver moved to the cohort median.

For a learner and a recommended intervention, the features it *moves* (by default the drivers
that triggered it; or the catalog entry's ``moves``) are set to the cohort median at the same
cutoff (rows of the same ``(course_id, week)``), or to the value the catalog names, and the
learner is scored again with the same model::

    estimated_reduction = max(0, p_now - p_after)        # calibrated probabilities

Everything else about the learner stays as it is. Re-scoring is batched: one model call per
intervention over all the learners it is recommended for.

What the number is, and is not. It is how much lower the *model* puts the risk of a learner who
looks like this one except for the moved features: an association learned from past offerings,
not a causal effect. Learners who re-engage on their own differ from learners an advisor
phones; an intervention rarely moves a feature all the way to the median; and the model's other
features (recency and weekly clicks move together in life) are held fixed. Use it to rank the
options for one learner, not to promise an outcome.

Why clip at 0: ``p_after`` can be above ``p_now`` when a moved feature is already better than
the cohort median (the move then makes the learner look *worse*) or where the model is not
monotone. Neither means the intervention would harm: it would not push a learner's value towards
the median from the good side. So the estimate is "no benefit" (0); ``risk_after`` keeps the raw
re-scored probability for anyone who wants to see it. A moved feature already at the median, or
whose median is unknown (NaN), is not changed, so its estimated reduction is exactly 0.

Examples
--------
>>> recs = estimate_reductions(model, rows, medians, recs, catalog)   # doctest: +SKIP
>>> recs[["intervention_id", "estimated_reduction"]]                  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._interventions import InterventionCatalog

__all__ = ["estimate_reductions"]


def estimate_reductions(
    model,
    rows: pd.DataFrame,
    medians: pd.DataFrame,
    recs: pd.DataFrame,
    catalog: InterventionCatalog,
    raw_now: np.ndarray,
) -> pd.DataFrame:
    """Add ``risk_now``, ``risk_after``, ``estimated_reduction`` and ``reduction_log_odds`` to ``recs``.

    Parameters
    ----------
    model : RiskModel
    rows : DataFrame
        The explained rows of the features frame.
    medians : DataFrame
        Cohort medians aligned to ``rows`` (same index, features-frame columns).
    recs : DataFrame
        One row per (explained row, intervention): ``_pos`` (position in ``rows``),
        ``intervention_id`` and ``_features`` (the triggering features, a list).
    catalog : InterventionCatalog
    raw_now : ndarray
        The model's raw score of each explained row (aligned to ``rows``).
    """
    recs = recs.copy()
    n = len(recs)
    raw_after = np.full(n, np.nan)
    used = set(getattr(model, "source_columns_", model.feature_names_))
    for iid, idx in recs.groupby("intervention_id", sort=False).indices.items():
        pos = recs["_pos"].to_numpy()[idx]
        sub = rows.iloc[pos].copy()
        meds = medians.iloc[pos]
        inter = catalog[iid]
        if inter.moves:
            plan = {f: np.ones(len(pos), dtype=bool) for f in inter.moves if f in used}
        else:
            lists = recs["_features"].to_numpy()[idx]
            names = sorted({f for fs in lists for f in fs if f in used})
            plan = {f: np.array([f in fs for fs in lists]) for f in names}
        for f, mask in plan.items():
            target = inter.moves.get(f, "median")
            goal = meds[f].to_numpy(dtype=float) if target == "median" else np.full(len(pos), float(target))
            current = sub[f].to_numpy(dtype=float)
            change = mask & ~np.isnan(goal)
            sub[f] = np.where(change, goal, current)
        raw_after[idx] = model.decision_function(sub) if plan else raw_now[pos]
    raw_before = raw_now[recs["_pos"].to_numpy()] if n else np.array([])
    # each row through its own course code's calibrator (per-code calibration, model="auto")
    course = rows["course_id"].to_numpy()[recs["_pos"].to_numpy()] if n and "course_id" in rows.columns else None
    p_now = model.calibrate_raw(raw_before, course) if n else np.array([])
    p_after = model.calibrate_raw(raw_after, course) if n else np.array([])
    recs["risk_now"] = p_now
    recs["risk_after"] = p_after
    recs["estimated_reduction"] = np.clip(p_now - p_after, 0.0, None)
    recs["reduction_log_odds"] = raw_before - raw_after
    return recs
