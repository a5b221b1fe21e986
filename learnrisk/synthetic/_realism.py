"""Realism figures of any learning data, to compare synthetic data with a real release.

:func:`realism` reads only the canonical tables, so the same code measures the synthetic data
and OULAD read by :func:`learnrisk.read_oulad`. ``python -m learnrisk.synthetic`` prints the
comparison table of ``docs/synthetic.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import LearningData
from ..data._validate import enrollment_positions
from ..timeline import DAY, enrollment_times, to_ns

def realism(data: LearningData) -> pd.Series:
    """Figures that describe how learning data looks: outcomes, engagement, timing.

    Parameters
    ----------
    data : LearningData

    Returns
    -------
    Series
        Indexed by figure name (``share withdrawn``, ``clicks per active learner-week``, ...).

    Examples
    --------
    >>> from learnrisk import synthetic
    >>> r = synthetic.realism(synthetic.generate(n_learners=300, seed=1))
    >>> bool(0 < r["share never active"] < 0.3)
    True
    """
    e = data.enrollments.reset_index(drop=True)
    act = data.activity
    anchor = enrollment_times(data.courses, e).anchor  # week 0 of each enrollment (ns)
    out: dict[str, float] = {"enrollments": float(len(e)), "learners": float(len(data.learners))}
    done = e["outcome"].notna()
    for outcome in ("withdrawn", "fail", "pass", "distinction"):
        out[f"share {outcome}"] = float((e.loc[done, "outcome"] == outcome).mean())

    # Enrollment-level engagement: weeks and days relative to each enrollment's week 0.
    pos = enrollment_positions(act, e)
    day = (to_ns(act["timestamp"]) - anchor[pos]) // DAY
    week = day // 7
    ew = pd.DataFrame({"e": pos, "week": week, "day": day, "clicks": act["clicks"].to_numpy()})
    weekly = ew.groupby(["e", "week"]).agg(clicks=("clicks", "sum"), days=("day", "nunique"))
    out["share never active"] = float(1 - np.isin(np.arange(len(e)), pos).mean())
    out["clicks per active learner-week (mean)"] = float(weekly["clicks"].mean())
    out["clicks per active learner-week (median)"] = float(weekly["clicks"].median())
    out["active days per active learner-week"] = float(weekly["days"].mean())
    out["activity rows per enrollment"] = len(act) / max(len(e), 1)
    out["clicks per row"] = float(act["clicks"].mean())
    out["share of rows before week 0"] = float((day < 0).mean())
    out["share of exact duplicate rows"] = float(act.duplicated().mean())

    w = e["withdrawn_at"].notna().to_numpy()
    wd = pd.Series((to_ns(e["withdrawn_at"])[w] - anchor[w]) / DAY)
    out["share of withdrawals before week 0"] = float((wd < 0).mean())
    out["withdrawal day (median)"] = float(wd.median())
    reg = pd.Series((to_ns(e["registered_at"]) - anchor) / DAY)
    out["registration day (median)"] = float(reg.median())
    out["share registered after week 0"] = float((reg > 0).mean())

    s = data.submissions.merge(data.assessments[["assessment_id", "course_id", "kind", "due_at"]], on="assessment_id")
    course = s[s["kind"] != "Exam"]
    dated = course["due_at"].notna()
    out["share of coursework submitted late"] = float((course.loc[dated, "submitted_at"] > course.loc[dated, "due_at"]).mean())
    out["coursework score (mean)"] = float(course["score"].mean())
    out["coursework score (sd)"] = float(course["score"].std())
    n_course = data.assessments.loc[data.assessments["kind"] != "Exam"].groupby("course_id").size()
    expected = e["course_id"].map(n_course).fillna(0).sum()
    out["coursework submissions per due assessment"] = len(course) / max(expected, 1)
    return pd.Series(out, name="value")
