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
    out = {}
    for i, ov in enumerate(overviews):
        m = (e["course_pos"].to_numpy() == i) & (wd != NEVER) & before(wd, t)
        weeks = week_of(wd[m], e["anchor"].to_numpy()[m])
        counts = np.bincount(np.clip(weeks, 0, None), minlength=max(ov.week, 0) + 1) if m.any() else np.zeros(max(ov.week, 0) + 1, int)
        withdrawals = [{"week": w, "withdrawn": int(c)} for w, c in enumerate(counts[: max(ov.week, 0) + 1])]
        earlier, n_pass, n_not, families, resources = _earlier(data, ov, as_of)
        out[ov.course_id] = CourseDiagnostics(
            course_id=ov.course_id,
            withdrawals=withdrawals,
            assessments=_assessments(data, ov.course_id, e[e["course_pos"] == i], as_of),
            earlier=earlier,
            n_passing=n_pass,
            n_not_passing=n_not,
            families=families,
            resources=resources,
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


def _earlier(data: LearningData, ov: CourseOverview, as_of: pd.Timestamp):
    """Finished offerings of the course code before ``as_of``, and the usage gaps in them."""
    c = data.courses
    done = c[(c["course_code"] == ov.course_code) & (c["course_id"] != ov.course_id) & ended(c["end"], as_of)]
    ids = sorted(done["course_id"].astype(str))
    if not ids:
        return [], 0, 0, [], []
    enr = data.enrollments
    enr = enr[enr["course_id"].isin(ids) & enr["outcome"].notna()][["learner_id", "course_id", "outcome"]]
    enr = enr.assign(passing=enr["outcome"].isin(PASSING).to_numpy())
    act = data.activity
    act = act[act["course_id"].isin(ids) & (act["timestamp"] < as_of)]
    n_pass, n_not = int(enr["passing"].sum()), int((~enr["passing"]).sum())

    def gaps(column: str) -> list[dict]:
        if column not in act.columns or not n_pass or not n_not:
            return []
        used = act[["learner_id", "course_id", column]].dropna().drop_duplicates()
        used = used.merge(enr[["learner_id", "course_id", "passing"]], on=["learner_id", "course_id"])
        n = used.groupby([column, "passing"]).size().unstack(fill_value=0).reindex(columns=[True, False], fill_value=0)
        share = pd.DataFrame({"passing": n[True] / n_pass, "not_passing": n[False] / n_not})
        share["gap"] = share["passing"] - share["not_passing"]
        share = share.sort_values("gap", key=np.abs, ascending=False).head(TOP)
        return [{"name": str(k), **{c: float(v) for c, v in r.items()}} for k, r in share.iterrows()]

    return ids, n_pass, n_not, gaps("activity_type"), gaps("resource_id")
