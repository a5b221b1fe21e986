"""Course overview for the advisor report: who is enrolled, who is active, what is missed.

Every number here is a fact known strictly before the as-of date ``t`` (the same rule as the
features): activity with ``timestamp < t``, submissions with ``submitted_at < t``, assessments
with ``due_at < t``, withdrawals with ``withdrawn_at < t``.

Definitions, per running offering at ``t``:

- **enrolled**: enrollments registered before ``t`` (withdrawn ones included);
- **active enrollments**: enrolled and not withdrawn before ``t`` (the population scored);
- **withdrawn so far**: ``withdrawn_at < t``;
- **active this week**: active enrollments with any activity in ``[t - 7 days, t)``;
- **weekly engagement curve**: for each *complete* course week ``w`` before ``t``, the share of
  the enrollments active during that week (registered before its end, not withdrawn before its
  start) that had any activity in it;
- **most often missed assessments**: assessments due before ``t`` that active enrollments have
  not submitted before ``t``, most missed first.

Weeks are anchored per enrollment, as in the features: at the course start for cohort
offerings, at registration for self-paced ones. Worked example: a cohort offering starts Monday
2024-01-01; at ``t`` = 2024-02-05 (35 days later) it is in week 5, and the complete weeks are
0..4, week 4 being [2024-01-29, 2024-02-05).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import LearningData

__all__ = ["CourseOverview", "course_overviews", "running_courses"]

WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class CourseOverview:
    """Facts about one running offering at the as-of date (see the module docstring)."""

    course_id: str
    title: str
    course_code: str
    pacing: str
    start: pd.Timestamp
    end: pd.Timestamp
    week: int
    enrolled: int
    active_enrollments: int
    withdrawn: int
    active_this_week: int
    curve: list[dict] = field(default_factory=list)  # week, share_active, n_enrolled
    missed: list[dict] = field(default_factory=list)  # assessment_id, title, kind, due_at, missed, of


def running_courses(data: LearningData, as_of: pd.Timestamp) -> pd.DataFrame:
    """Offerings running at ``as_of``: ``start <= t < end``, the population rule of the features."""
    c = data.courses
    return c[(c["start"] <= as_of) & (as_of < c["end"])].sort_values("course_id", ignore_index=True)


def _anchors(data: LearningData, courses: pd.DataFrame) -> pd.DataFrame:
    """Enrollments of ``courses`` with their week-0 anchor (start, or registration if self-paced)."""
    e = data.enrollments[["learner_id", "course_id", "registered_at", "withdrawn_at"]]
    cols = ["course_id", "start"] + (["pacing"] if "pacing" in courses.columns else [])
    e = e.merge(courses[cols], on="course_id", how="inner")
    self_paced = e["pacing"].eq("self-paced").to_numpy() if "pacing" in e.columns else np.zeros(len(e), bool)
    e["anchor"] = e["start"].where(~self_paced, e["registered_at"])
    return e


def course_overviews(data: LearningData, as_of: pd.Timestamp, *, n_missed: int = 5) -> list[CourseOverview]:
    """One :class:`CourseOverview` per offering running at ``as_of``, ordered by course_id.

    Examples
    --------
    >>> [o.course_id for o in course_overviews(data, pd.Timestamp("2024-02-05", tz="UTC"))]  # doctest: +SKIP
    ['A-2024']
    """
    courses = running_courses(data, as_of)
    e = _anchors(data, courses)
    e = e[e["registered_at"] < as_of]
    active = e["withdrawn_at"].isna() | (e["withdrawn_at"] >= as_of)
    act = data.activity
    act = act[act["course_id"].isin(courses["course_id"]) & (act["timestamp"] < as_of)]
    act = act[["learner_id", "course_id", "timestamp"]].merge(
        e[["learner_id", "course_id", "anchor"]], on=["learner_id", "course_id"], how="inner"
    )
    recent = act[act["timestamp"] >= as_of - WEEK][["learner_id", "course_id"]].drop_duplicates()
    active_keys = e.loc[active, ["learner_id", "course_id"]]
    recent = recent.merge(active_keys, on=["learner_id", "course_id"], how="inner")
    n_recent = recent.groupby("course_id").size()
    curves = _curves(e, act, as_of)
    missed = _missed(data, courses, e[active], as_of, n_missed)

    out = []
    for row in courses.itertuples(index=False):
        cid = row.course_id
        mine = e["course_id"].eq(cid).to_numpy()
        pacing = getattr(row, "pacing", None)
        pacing = pacing if isinstance(pacing, str) else "cohort"
        title = getattr(row, "title", None)
        out.append(
            CourseOverview(
                course_id=cid,
                title=title if isinstance(title, str) else "",
                course_code=row.course_code,
                pacing=pacing,
                start=row.start,
                end=row.end,
                # days since start // 7: 2024-01-01 -> 2024-02-05 is 35 days, week 5
                week=int((as_of - row.start).days // 7),
                enrolled=int(mine.sum()),
                active_enrollments=int((mine & active.to_numpy()).sum()),
                withdrawn=int((mine & ~active.to_numpy()).sum()),
                active_this_week=int(n_recent.get(cid, 0)),
                curve=curves.get(cid, []),
                missed=missed.get(cid, []),
            )
        )
    return out


def _curves(e: pd.DataFrame, act: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, list[dict]]:
    """Share of enrolled learners active in each complete week, per course (see module doc)."""
    if e.empty:
        return {}
    # complete weeks of each enrollment before as_of: weeks w with anchor + 7(w+1) <= as_of
    n_weeks = ((as_of - e["anchor"]) // WEEK).clip(lower=0).astype("int64").to_numpy()
    # first week the enrollment counts in: the week in which it registered (0 if before the anchor)
    first = ((e["registered_at"] - e["anchor"]) // WEEK).clip(lower=0).astype("int64").to_numpy()
    # last week: the one in which it withdrew (it counts in that week), else the last complete one
    wd = e["withdrawn_at"]
    wd_week = ((wd - e["anchor"]) // WEEK).astype("float64").to_numpy()  # NaN when not withdrawn
    last = np.where(np.isnan(wd_week), n_weeks - 1, np.minimum(wd_week, n_weeks - 1)).astype("int64")
    courses = e["course_id"].to_numpy()
    act = act.assign(week=((act["timestamp"] - act["anchor"]) // WEEK).astype("int64"))
    act_weeks = act[act["week"] >= 0].drop_duplicates(["learner_id", "course_id", "week"])
    out = {}
    for cid in pd.unique(courses):
        m = courses == cid
        horizon = int(n_weeks[m].max()) if m.any() else 0
        if horizon <= 0:
            out[cid] = []
            continue
        diff = np.zeros(horizon + 1, dtype=np.int64)
        f, la = first[m], last[m]
        ok = f <= la
        np.add.at(diff, f[ok], 1)
        np.add.at(diff, la[ok] + 1, -1)
        denom = np.cumsum(diff)[:horizon]
        a = act_weeks[act_weeks["course_id"] == cid]
        a = a[a["week"] < horizon]
        num = np.bincount(a["week"].to_numpy(), minlength=horizon)[:horizon]
        out[cid] = [
            {"week": w, "share_active": float(num[w] / denom[w]) if denom[w] else 0.0, "n_enrolled": int(denom[w])}
            for w in range(horizon)
        ]
    return out


def _missed(
    data: LearningData, courses: pd.DataFrame, active: pd.DataFrame, as_of: pd.Timestamp, n: int
) -> dict[str, list[dict]]:
    a = data.assessments
    a = a[a["course_id"].isin(courses["course_id"]) & a["due_at"].notna() & (a["due_at"] < as_of)]
    if a.empty or active.empty:
        return {}
    s = data.submissions
    s = s[s["assessment_id"].isin(a["assessment_id"]) & (s["submitted_at"] < as_of)]
    s = s[["learner_id", "assessment_id"]].drop_duplicates()
    # every (active enrollment, assessment of its course due before as_of) pair ...
    pairs = active[["learner_id", "course_id", "registered_at"]].merge(
        a[["assessment_id", "course_id", "due_at"]], on="course_id"
    )
    # ... excluding assessments due before a late registration (not this learner's to miss)
    pairs = pairs[pairs["registered_at"] < pairs["due_at"]]
    done = pairs.merge(s, on=["learner_id", "assessment_id"], how="left", indicator=True)["_merge"].eq("both")
    pairs = pairs.assign(missed=~done.to_numpy())
    agg = pairs.groupby("assessment_id").agg(missed=("missed", "sum"), of=("missed", "size")).reset_index()
    cols = ["assessment_id", "course_id", "kind", "due_at"] + (["title"] if "title" in a.columns else [])
    agg = agg.merge(a[cols], on="assessment_id")
    agg = agg[agg["missed"] > 0].sort_values(["course_id", "missed", "due_at", "assessment_id"],
                                             ascending=[True, False, True, True])
    out: dict[str, list[dict]] = {}
    for cid, g in agg.groupby("course_id", sort=True):
        out[cid] = [
            {
                "assessment_id": r.assessment_id,
                "title": getattr(r, "title", None) if isinstance(getattr(r, "title", None), str) else "",
                "kind": r.kind,
                "due_at": r.due_at,
                "missed": int(r.missed),
                "of": int(r.of),
            }
            for r in g.head(n).itertuples(index=False)
        ]
    return out
