"""The as-of rule as properties: nothing at or after a cutoff can change a row at that cutoff.

Random small logs (a cohort course and a self-paced course, events at arbitrary sub-day times
and exactly on week boundaries). For a cutoff ``c`` taken from the rows built, the data is
changed at or after ``c`` in every way the rule allows:

- activity and submissions at or after ``c`` are deleted and new ones added at or after ``c``
  (with a marking date ``scored_at`` or none, a marking date before the submission too);
- a submission before ``c`` whose score is not known before ``c`` (marked at or after ``c``)
  gets another marking date at or after ``c`` and any score (or none); a log without
  ``scored_at`` gets the column from the new submissions;
- assessments due at or after ``c`` (with no submission before ``c``) are deleted, new ones
  due at or after ``c`` (or with no due date) are added;
- outcomes and final scores are scrambled;
- withdrawal dates at or after ``c`` are moved to any other time at or after ``c`` (or none).

The rows at cutoff ``c`` must be exactly equal (same rows, same values, bit for bit). The
cutoff-grid properties run for weekly cutoffs and for days cutoffs (``days=DAYS``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnrisk.data import LearningData
from learnrisk.features import build_features

T0 = pd.Timestamp("2023-01-02", tz="UTC")  # a Monday
SECOND = pd.Timedelta(seconds=1)
WEEK_S = 7 * 86_400
COURSES = pd.DataFrame(
    {
        "course_id": ["C", "P"],
        "course_code": ["C", "P"],
        "start": [T0, T0 - pd.Timedelta(days=10)],
        "end": [T0 + pd.Timedelta(weeks=8), T0 + pd.Timedelta(weeks=9)],
        "pacing": ["cohort", "self-paced"],
    }
)
TYPES = ["resource", "forumng", "quiz", "homepage", "oucontent"]
WEEKS = range(0, 8)
# days cutoffs: several residues mod 7 and two days in one week (10 and 13: week 1)
DAYS = [0, 3, 7, 10, 13, 30, 44, 55]
CUTOFFS = pytest.mark.parametrize("cutoffs", [{"weeks": WEEKS}, {"days": DAYS}], ids=["weeks", "days"])

# Offsets from T0 in seconds: arbitrary ones, and exact day and week boundaries.
offsets = st.one_of(
    st.integers(-5 * WEEK_S, 9 * WEEK_S),
    st.integers(-5, 9).map(lambda w: w * WEEK_S),
    st.integers(-35, 63).map(lambda d: d * 86_400),
)


def at(s: int) -> pd.Timestamp:
    return T0 + s * SECOND


@st.composite
def logs(draw) -> LearningData:
    n = draw(st.integers(2, 5))
    learners = [f"L{i}" for i in range(n)]
    enr = []
    for lid in learners:
        for cid in draw(st.sampled_from([["C"], ["P"], ["C", "P"]])):
            reg = draw(offsets)
            wd = draw(st.one_of(st.none(), st.integers(0, 8 * WEEK_S)))
            enr.append((lid, cid, at(reg), pd.NaT if wd is None else at(reg + wd)))
    enrollments = pd.DataFrame(enr, columns=["learner_id", "course_id", "registered_at", "withdrawn_at"])
    enrollments["outcome"] = draw(st.lists(st.sampled_from(["pass", "fail", "withdrawn", None]), min_size=len(enr), max_size=len(enr)))
    enrollments["final_score"] = draw(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=len(enr), max_size=len(enr)))
    enrollments["final_score"] = enrollments["final_score"].astype(float)
    enrollments["prior_attempts"] = draw(st.lists(st.integers(0, 2), min_size=len(enr), max_size=len(enr)))
    pairs = list(zip(enrollments.learner_id, enrollments.course_id))
    activity = _activity(draw, pairs, offsets, 0, 40)
    assessments = _assessments(draw, offsets, "A", 0, 4)
    submissions = _submissions(draw, enrollments, assessments, offsets, marked=draw(st.booleans()))
    return LearningData(COURSES, pd.DataFrame({"learner_id": learners}), enrollments, activity, assessments, submissions)


def _activity(draw, pairs, times, lo, hi) -> pd.DataFrame:
    rows = draw(st.lists(st.tuples(st.sampled_from(pairs), times, st.sampled_from(TYPES), st.integers(1, 9)), min_size=lo, max_size=hi))
    return pd.DataFrame(
        [(p[0], p[1], at(t), ty, c) for p, t, ty, c in rows],
        columns=["learner_id", "course_id", "timestamp", "activity_type", "clicks"],
    )


def _assessments(draw, times, prefix, lo, hi) -> pd.DataFrame:
    rows = draw(st.lists(st.tuples(st.sampled_from(["C", "P"]), st.one_of(st.none(), times), st.sampled_from([0.0, 10.0, 50.0])), min_size=lo, max_size=hi))
    return pd.DataFrame(
        [(f"{prefix}{i}", c, "TMA", pd.NaT if d is None else at(d), w) for i, (c, d, w) in enumerate(rows)],
        columns=["assessment_id", "course_id", "kind", "due_at", "weight"],
    )


# a marking date: none, some time after the submission (or exactly at it), or before it
marking = st.one_of(st.none(), st.integers(0, 5 * WEEK_S), st.integers(0, 4).map(lambda w: w * WEEK_S), st.integers(-3 * 86_400, -1))


def _score(draw) -> float:
    score = draw(st.one_of(st.none(), st.integers(0, 100)))
    return np.nan if score is None else float(score)


def _submissions(draw, enrollments, assessments, times, taken=frozenset(), marked=False) -> pd.DataFrame:
    rows = []
    for lid, cid in zip(enrollments.learner_id, enrollments.course_id):
        for aid in assessments.assessment_id[assessments.course_id == cid]:
            if (lid, aid) not in taken and draw(st.booleans()):
                t, delay = draw(times), draw(marking) if marked else None
                rows.append((lid, aid, at(t), _score(draw), pd.NaT if delay is None else at(t + delay)))
    frame = pd.DataFrame(rows, columns=["learner_id", "assessment_id", "submitted_at", "score", "scored_at"])
    frame["scored_at"] = pd.to_datetime(frame["scored_at"], utc=True).astype("datetime64[ns, UTC]")
    return frame if marked else frame.drop(columns="scored_at")


def _unknown_scores(draw, subs: pd.DataFrame, c: pd.Timestamp, later) -> pd.DataFrame:
    """Submissions before ``c`` whose score is known at or after ``c``: marked at another time at
    or after ``c``, with another score (a score where there was none; none or another one where
    there was one)."""
    if "scored_at" not in subs.columns:
        return subs
    subs = subs.copy()
    for i in np.flatnonzero((subs.scored_at >= c).to_numpy()):  # NaT and earlier marks: known at submitted_at < c
        old = subs["score"].iloc[i]
        other = st.integers(0, 99).map(lambda v: float(v + (v >= old)))  # any score but the old one
        new = draw(other if np.isnan(old) else st.one_of(st.just(np.nan), other))
        subs.loc[subs.index[i], ["scored_at", "score"]] = [at(draw(later)), new]
    return subs


def _future(draw, data: LearningData, c: pd.Timestamp) -> LearningData:
    """The same facts before ``c``; anything at all at or after it."""
    c_s = int((c - T0) / SECOND)
    later = st.one_of(st.integers(c_s, c_s + 6 * WEEK_S), st.integers(0, 6).map(lambda w: c_s + w * WEEK_S))
    e = data.enrollments.copy()
    pairs = list(zip(e.learner_id, e.course_id))
    activity = pd.concat([data.activity[data.activity.timestamp < c], _activity(draw, pairs, later, 0, 15)], ignore_index=True)
    subs = _unknown_scores(draw, data.submissions[data.submissions.submitted_at < c], c, later)
    a = data.assessments
    keep = ~(a.due_at >= c) | a.assessment_id.isin(subs.assessment_id)
    a = pd.concat([a[keep], _assessments(draw, later, "NEW", 0, 2)], ignore_index=True)
    taken = frozenset(zip(subs.learner_id, subs.assessment_id))
    subs = pd.concat([subs, _submissions(draw, e, a, later, taken, marked=True)], ignore_index=True)
    # labels: scrambled; withdrawals at or after c moved anywhere at or after c (or removed)
    e["outcome"] = draw(st.permutations(list(e["outcome"])))
    e["final_score"] = draw(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=len(e), max_size=len(e)))
    e["final_score"] = e["final_score"].astype(float)
    for i in np.flatnonzero((e.withdrawn_at >= c).to_numpy()):
        moved = draw(st.one_of(st.none(), later))
        e.loc[i, "withdrawn_at"] = pd.NaT if moved is None else max(at(moved), e.loc[i, "registered_at"])
    return LearningData(data.courses, data.learners, e, activity, a, subs)


def _rows_at(frame: pd.DataFrame, c: pd.Timestamp) -> pd.DataFrame:
    return frame[frame.cutoff == c].reset_index(drop=True)


def check_weekly(data, choice, cutoffs=None):
    cutoffs = cutoffs or {"weeks": WEEKS}  # or {"days": DAYS}: the same rule for days cutoffs
    before = build_features(data, **cutoffs)
    times = sorted(before.cutoff.unique())
    if not times:
        return
    c = choice.draw(st.sampled_from(times))
    after = build_features(_future(choice.draw, data, c), **cutoffs)
    pd.testing.assert_frame_equal(_rows_at(before, c), _rows_at(after, c), check_exact=True)


def check_as_of(data, t, choice):
    c = at(t)
    before = build_features(data, as_of=c)
    after = build_features(_future(choice.draw, data, c), as_of=c)
    pd.testing.assert_frame_equal(before, after, check_exact=True)


def check_as_of_on_grid(data, choice):
    weekly = build_features(data, weeks=WEEKS)
    cohort = weekly[weekly.course_id == "C"]
    if cohort.empty:
        return
    c = choice.draw(st.sampled_from(sorted(cohort.cutoff.unique())))
    got = build_features(data, as_of=c)
    pd.testing.assert_frame_equal(
        got[got.course_id == "C"].reset_index(drop=True), _rows_at(cohort, c), check_exact=True
    )
    # a self-paced learner exactly k weeks after registering has the weekly row too
    grid = got.merge(_rows_at(weekly, c)[["learner_id", "course_id"]])
    pd.testing.assert_frame_equal(grid, _rows_at(weekly, c), check_exact=True)


def _settings(n: int):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@CUTOFFS
@_settings(100)
@given(data=logs(), choice=st.data())
def test_nothing_at_or_after_a_weekly_cutoff_changes_its_rows(data, choice, cutoffs):
    check_weekly(data, choice, cutoffs)


@_settings(80)
@given(data=logs(), t=offsets, choice=st.data())
def test_nothing_at_or_after_an_as_of_date_changes_its_rows(data, t, choice):
    check_as_of(data, t, choice)


@_settings(50)
@given(data=logs(), choice=st.data())
def test_as_of_on_a_weekly_cutoff_gives_the_weekly_rows(data, choice):
    check_as_of_on_grid(data, choice)


@pytest.mark.slow
@CUTOFFS
@_settings(400)
@given(data=logs(), choice=st.data())
def test_weekly_property_many_examples(data, choice, cutoffs):
    check_weekly(data, choice, cutoffs)


@pytest.mark.slow
@_settings(300)
@given(data=logs(), t=offsets, choice=st.data())
def test_as_of_property_many_examples(data, t, choice):
    check_as_of(data, t, choice)
