"""The course view (``OUT/<as-of>/course/<course_id>.html``): what happened in one running
offering, and what separated passing from not-passing learners in its earlier offerings.

Descriptive, as of ``t`` (every fact strictly before ``t``, the rule of ``_overview``):

- **weekly active share**: the engagement curve of :class:`CourseOverview`;
- **withdrawals by week**: enrollments whose ``withdrawn_at`` (before ``t``) falls in course
  week ``w`` (anchored like the features: course start, or registration when self-paced);
- **assessments** due before ``t``: expected = enrollments registered before the due date and
  not withdrawn before it; submitted = those with a submission before ``t``; late = submitted
  after the due date; mean score of the submissions before ``t``.

Diagnostic, from **earlier offerings of the same course_code that had ended before ``t``**
(their outcomes are known at ``t``; a running or later offering is never read): for each
activity family (``activity_type``) and resource, the share of passing learners (pass or
distinction) who used it and the share of the others (fail or withdrawn) who did, during the
offering; the largest gaps are shown first. With no such offering the page says "no earlier
offering". These are associations in past cohorts, not causes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import LearningData
from ..data._validate import enrollment_positions
from ..timeline import NEVER, before, ended, to_ns, week_of
from ._overview import CourseOverview, _enrollments, running_courses

__all__ = ["CourseDiagnostics", "course_diagnostics", "course_filename"]

PASSING = ("pass", "distinction")
TOP = 8


@dataclass(frozen=True)
class CourseDiagnostics:
    """The course view's figures for one running offering (see the module docstring)."""

    course_id: str
    withdrawals: list[dict] = field(default_factory=list)  # week, withdrawn
    assessments: list[dict] = field(default_factory=list)  # id, title, kind, due_at, expected, submitted, late, mean_score
    earlier: list[str] = field(default_factory=list)  # finished offerings of the same course_code
    n_passing: int = 0
    n_not_passing: int = 0
    families: list[dict] = field(default_factory=list)  # name, passing, not_passing, gap
    resources: list[dict] = field(default_factory=list)


def course_filename(course_id: str) -> str:
    """A safe file name for a course page (``course/<name>.html``)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in course_id) or "course"


def course_diagnostics(data: LearningData, as_of: pd.Timestamp, overviews: list[CourseOverview]) -> dict[str, CourseDiagnostics]:
    """One :class:`CourseDiagnostics` per running offering, by course_id."""
    courses = running_courses(data, as_of)
    t = to_ns(as_of)
    e = _enrollments(data, courses, as_of)
    wd = to_ns(e["withdrawn_at"])
    earlier = _finished_codes(data, overviews, as_of)
    enr, pairs = _usage(data, as_of, sorted({i for ids in earlier.values() for i in ids}))
    out = {}
    for i, ov in enumerate(overviews):
        m = (e["course_pos"].to_numpy() == i) & (wd != NEVER) & before(wd, t)
        weeks = week_of(wd[m], e["anchor"].to_numpy()[m])
        counts = np.bincount(np.clip(weeks, 0, None), minlength=max(ov.week, 0) + 1) if m.any() else np.zeros(max(ov.week, 0) + 1, int)
        withdrawals = [{"week": w, "withdrawn": int(c)} for w, c in enumerate(counts[: max(ov.week, 0) + 1])]
        n_pass, n_not, gaps = _gaps(enr, pairs, earlier[ov.course_id]) if earlier[ov.course_id] else (0, 0, {})
        out[ov.course_id] = CourseDiagnostics(
            course_id=ov.course_id,
            withdrawals=withdrawals,
            assessments=_assessments(data, ov.course_id, e[e["course_pos"] == i], as_of),
            earlier=earlier[ov.course_id],
            n_passing=n_pass,
            n_not_passing=n_not,
            families=gaps.get("activity_type", []),
            resources=gaps.get("resource_id", []),
        )
    return out


def _assessments(data: LearningData, course_id: str, e: pd.DataFrame, as_of: pd.Timestamp) -> list[dict]:
    a = data.assessments
    a = a[(a["course_id"] == course_id) & a["due_at"].notna() & (a["due_at"] < as_of)].sort_values(["due_at", "assessment_id"])
    if a.empty:
        return []
    s = data.submissions
    s = s[s["assessment_id"].isin(a["assessment_id"]) & (s["submitted_at"] < as_of)]
    s = s[s["learner_id"].isin(e["learner_id"])]
    if "scored_at" in s.columns:  # a score counts once it is marked (features' rule)
        s = s.assign(score=s["score"].where(~(s["scored_at"] >= as_of)))
    rows = []
    for r in a.itertuples(index=False):
        expected = int(((e["registered_at"] < r.due_at) & ~(e["withdrawn_at"] < r.due_at)).sum())
        sub = s[s["assessment_id"] == r.assessment_id]
        title = getattr(r, "title", None)
        rows.append(
            {
                "assessment_id": r.assessment_id,
                "title": title if isinstance(title, str) else "",
                "kind": r.kind,
                "due_at": r.due_at,
                "expected": expected,
                "submitted": len(sub),
                "rate": len(sub) / expected if expected else float("nan"),
                "late": int((sub["submitted_at"] > r.due_at).sum()),
                "mean_score": float(sub["score"].mean()) if sub["score"].notna().any() else float("nan"),
            }
        )
    return rows


EARLIER_OFFERINGS = 2  # the latest finished offerings of a code that the diagnostics compare with


def earlier_offerings(courses: pd.DataFrame, codes, as_of: pd.Timestamp, n: int = EARLIER_OFFERINGS) -> dict[str, list[str]]:
    """Per course code of ``codes``: its ``n`` latest offerings that had ended before ``as_of``
    (sorted by id). The weekly job reads just these besides the running offerings, so memory stays
    bounded by a few offerings, not by the whole history."""
    done = courses[ended(courses["end"], as_of)].sort_values(["end", "course_id"])
    return {
        str(code): sorted(done.loc[done["course_code"].astype(str) == str(code), "course_id"].astype(str).tolist()[-n:])
        for code in codes
    }


def _finished_codes(data: LearningData, overviews: list[CourseOverview], as_of: pd.Timestamp) -> dict[str, list[str]]:
    """Per running offering: the latest offerings of its course code that had ended before ``as_of``."""
    latest = earlier_offerings(data.courses, {ov.course_code for ov in overviews}, as_of)
    return {ov.course_id: [i for i in latest[str(ov.course_code)] if i != ov.course_id] for ov in overviews}


def _usage(data: LearningData, as_of: pd.Timestamp, ids: list[str]):
    """The finished enrollments of ``ids`` (with ``passing``) and, per usage column, the distinct
    (enrollment position, value code) pairs of their activity before ``as_of``, and the values.

    Activity rows are matched to enrollments as integer positions (``enrollment_positions``),
    and the pairs made unique with numpy, once for every running course (a merge and a
    drop_duplicates on string columns per course took seconds on a few million rows)."""
    e = data.enrollments
    enr = e[e["course_id"].isin(ids) & e["outcome"].notna()][["learner_id", "course_id", "outcome"]].reset_index(drop=True)
    enr = enr.assign(passing=enr["outcome"].isin(PASSING).to_numpy())
    act = data.activity
    pos = enrollment_positions(act, enr)
    ok = (pos >= 0) & before(to_ns(act["timestamp"]), to_ns(as_of))
    pairs = {}
    for column in ("activity_type", "resource_id"):
        if column not in act.columns:
            continue
        codes, names = pd.factorize(act[column][ok])
        keep = codes >= 0
        key = np.sort(pos[ok][keep].astype(np.int64) * len(names) + codes[keep])
        key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key  # distinct pairs (a sort beats np.unique's hash here)
        pairs[column] = (key // max(len(names), 1), key % max(len(names), 1), np.asarray(names, dtype=object))
    return enr, pairs


def _gaps(enr: pd.DataFrame, pairs, ids: list[str]) -> tuple[int, int, dict[str, list[dict]]]:
    """Passing and not-passing learners of ``ids``, and per column the largest usage gaps."""
    mine = enr["course_id"].isin(ids).to_numpy()
    passing = enr["passing"].to_numpy()
    n_pass, n_not = int((mine & passing).sum()), int((mine & ~passing).sum())
    out: dict[str, list[dict]] = {}
    for column, (p, c, names) in pairs.items():
        if not n_pass or not n_not:
            out[column] = []
            continue
        sel = mine[p]
        used_pass = np.bincount(c[sel & passing[p]], minlength=len(names)) / n_pass
        used_not = np.bincount(c[sel & ~passing[p]], minlength=len(names)) / n_not
        seen = np.flatnonzero(np.bincount(c[sel], minlength=len(names)))
        gap = used_pass[seen] - used_not[seen]
        order = seen[np.lexsort((names[seen].astype(str), -np.abs(gap)))][:TOP]
        out[column] = [
            {"name": str(names[k]), "passing": float(used_pass[k]), "not_passing": float(used_not[k]),
             "gap": float(used_pass[k] - used_not[k])}
            for k in order
        ]  # fmt: skip
    return n_pass, n_not, out
