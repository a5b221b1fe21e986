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
import pyarrow as pa
import pyarrow.compute as pc

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


def _ns(s: pd.Series) -> np.ndarray:
    """A UTC time column as int64 nanoseconds (NaT as the smallest int64)."""
    return s.dt.as_unit("ns").array.asi8


def _enrollments(data: LearningData, courses: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Enrollments of ``courses`` registered before ``as_of``, with their course position, their
    week-0 anchor (start, or registration if self-paced) and whether they are still active."""
    e = data.enrollments[["learner_id", "course_id", "registered_at", "withdrawn_at"]]
    e = e[e["course_id"].isin(courses["course_id"]) & (e["registered_at"] < as_of)].reset_index(drop=True)
    course_pos = pd.Index(courses["course_id"]).get_indexer(e["course_id"])
    pacing = courses["pacing"] if "pacing" in courses.columns else pd.Series("cohort", index=courses.index)
    self_paced = pacing.eq("self-paced").to_numpy()[course_pos]
    start = _ns(courses["start"])[course_pos]
    return e.assign(
        course_pos=course_pos,
        anchor=np.where(self_paced, _ns(e["registered_at"]), start),
        active=(e["withdrawn_at"].isna() | (e["withdrawn_at"] >= as_of)).to_numpy(),
    )


def _activity_positions(data: LearningData, e: pd.DataFrame, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """(enrollment position, timestamp ns) of every activity row of ``e`` before ``as_of``.

    Ids are matched as integers: codes of the learner ids and of the course ids, then a composite
    key, instead of a merge on two string columns (about 10x faster on 10M rows).
    """
    courses = pd.unique(e["course_id"])
    learners = pd.unique(e["learner_id"])
    n_c = max(len(courses), 1)
    act = data.activity
    ts = _ns(act["timestamp"])
    c_codes = _codes(act["course_id"], courses)
    keep = (ts < as_of.value) & (c_codes >= 0)
    l_codes = _codes(act["learner_id"], learners)[keep]
    act_key = np.where(l_codes >= 0, l_codes * n_c + c_codes[keep], -1)
    e_key = _codes(e["learner_id"], learners) * n_c + _codes(e["course_id"], courses)
    pos = pd.Index(e_key).get_indexer(act_key)  # enrollment keys are >= 0, so -1 never matches
    ok = pos >= 0
    return pos[ok], ts[keep][ok]


def _codes(values: pd.Series, uniques) -> np.ndarray:
    """Position of each value in ``uniques`` (distinct strings), -1 when absent.

    Hashed by Arrow (``pyarrow.compute.index_in``) on the column's own buffers: no Python
    string objects, which is what makes this fast on tens of millions of activity rows.
    """
    arr = pa.array(values)
    found = pc.index_in(arr, value_set=pa.array(uniques).cast(arr.type))
    return np.asarray(pc.fill_null(found, -1), dtype=np.int64)


def course_overviews(data: LearningData, as_of: pd.Timestamp, *, n_missed: int = 5) -> list[CourseOverview]:
    """One :class:`CourseOverview` per offering running at ``as_of``, ordered by course_id.

    Examples
    --------
    >>> [o.course_id for o in course_overviews(data, pd.Timestamp("2024-02-05", tz="UTC"))]  # doctest: +SKIP
    ['A-2024']
    """
    courses = running_courses(data, as_of)
    e = _enrollments(data, courses, as_of)
    pos, ts = _activity_positions(data, e, as_of)
    n_c = len(courses)
    cpos = e["course_pos"].to_numpy()
    active = e["active"].to_numpy()
    # active this week: any activity in [as_of - 7 days, as_of), among active enrollments
    recent = np.zeros(len(e), dtype=bool)
    recent[pos[ts >= (as_of - WEEK).value]] = True
    n_recent = np.bincount(cpos[recent & active], minlength=n_c)
    n_enrolled = np.bincount(cpos, minlength=n_c)
    n_active = np.bincount(cpos[active], minlength=n_c)
    curves = _curves(e, pos, ts, as_of, n_c)
    missed = _missed(data, courses, e[active], as_of, n_missed)

    out = []
    for i, row in enumerate(courses.itertuples(index=False)):
        cid = row.course_id
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
                enrolled=int(n_enrolled[i]),
                active_enrollments=int(n_active[i]),
                withdrawn=int(n_enrolled[i] - n_active[i]),
                active_this_week=int(n_recent[i]),
                curve=curves[i],
                missed=missed.get(cid, []),
            )
        )
    return out


def _curves(e: pd.DataFrame, pos: np.ndarray, ts: np.ndarray, as_of: pd.Timestamp, n_c: int) -> list[list[dict]]:
    """Share of enrolled learners active in each complete week, per course (see module doc)."""
    week_ns = WEEK.value
    anchor = e["anchor"].to_numpy()
    # complete weeks of each enrollment before as_of: weeks w with anchor + 7(w+1) <= as_of
    n_weeks = np.clip((as_of.value - anchor) // week_ns, 0, None)
    # first week the enrollment counts in: the week in which it registered (0 if before the anchor)
    first = np.clip((_ns(e["registered_at"]) - anchor) // week_ns, 0, None)
    # last week: the one in which it withdrew (it counts in that week), else the last complete one
    wd = e["withdrawn_at"]
    wd_week = np.where(wd.isna().to_numpy(), np.iinfo(np.int64).max, (_ns(wd) - anchor) // week_ns)
    last = np.minimum(wd_week, n_weeks - 1)
    horizon = int(n_weeks.max()) if len(e) else 0
    # seen[i, w]: enrollment i had activity in its week w (a complete week)
    seen = np.zeros((len(e), max(horizon, 1)), dtype=bool)
    week = (ts - anchor[pos]) // week_ns
    ok = (week >= 0) & (week < n_weeks[pos])
    seen[pos[ok], week[ok]] = True
    cpos = e["course_pos"].to_numpy()
    out = []
    for c in range(n_c):
        m = cpos == c
        h = int(n_weeks[m].max()) if m.any() else 0
        if h <= 0:
            out.append([])
            continue
        diff = np.zeros(h + 1, dtype=np.int64)
        f, la = first[m], last[m]
        keep = f <= la
        np.add.at(diff, f[keep], 1)
        np.add.at(diff, la[keep] + 1, -1)
        denom = np.cumsum(diff)[:h]
        num = seen[m, :h].sum(axis=0)
        out.append(
            [
                {"week": w, "share_active": float(num[w] / denom[w]) if denom[w] else 0.0, "n_enrolled": int(denom[w])}
                for w in range(h)
            ]
        )
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
