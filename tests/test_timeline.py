"""learnrisk.timeline: time encoding and the as-of rule, and that features and the scoring
overview take their population from it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnrisk import timeline
from learnrisk.data import LearningData
from learnrisk.features import build_features
from learnrisk.scoring._overview import _enrollments, course_overviews, running_courses
from learnrisk.timeline import DAY, NAT, NEVER, WEEK, active, anchors, from_ns, running, to_ns, week_of

from .conftest import T


# --------------------------------------------------------------------------- encoding
def test_to_ns_reads_naive_as_utc_and_converts_aware():
    naive = pd.Series(pd.to_datetime(["2023-01-02 00:00", "2023-01-02 12:30"]))
    paris = naive.dt.tz_localize("Europe/Paris")
    utc = naive.dt.tz_localize("UTC")
    assert to_ns(naive).tolist() == to_ns(utc).tolist()
    assert (to_ns(utc) - to_ns(paris)).tolist() == [3600 * 10**9] * 2  # Paris is UTC+1 in January
    assert to_ns(pd.Timestamp("1970-01-02")) == DAY
    assert to_ns(dt.datetime(1970, 1, 8, tzinfo=dt.timezone.utc)) == WEEK


def test_to_ns_missing_sentinel():
    s = pd.Series([T("2023-01-02"), pd.NaT])
    assert to_ns(s)[1] == NEVER
    assert to_ns(s, missing=NAT)[1] == NAT
    assert to_ns(s, missing=-1)[1] == -1
    assert to_ns(pd.Series(["2023-01-02", None]))[1] == NEVER


def test_to_ns_accepts_other_units():
    s = pd.Series(pd.DatetimeIndex(["2023-01-02 00:00:01"], tz="UTC").as_unit("s"))
    assert to_ns(s)[0] == to_ns(T("2023-01-02 00:00:01"))


@pytest.mark.parametrize("missing", [NEVER, NAT])
def test_round_trip(missing):
    s = pd.Series([T("2023-01-02 10:00"), pd.NaT, T("1969-12-31 23:59:59.000000001")])
    back = from_ns(to_ns(s, missing=missing), missing=missing)
    assert isinstance(back, pd.DatetimeIndex) and str(back.dtype) == "datetime64[ns, UTC]"
    pd.testing.assert_series_equal(pd.Series(back), s.dt.as_unit("ns"))


def test_utc_timestamp():
    assert timeline.utc_timestamp("2024-03-04") == T("2024-03-04")
    assert timeline.utc_timestamp(pd.Timestamp("2024-03-04 01:00", tz="Europe/Paris")) == T("2024-03-04")
    for bad in ("not a date", None, pd.NaT):
        with pytest.raises(ValueError):
            timeline.utc_timestamp(bad)


# --------------------------------------------------------------------------- the rule
def ns(text: str) -> int:
    return to_ns(T(text))


def test_active_worked_examples():
    """The docstring's course: A-2023 starts Monday 2023-01-02; L3 withdraws on 2023-01-20."""
    start, end = ns("2023-01-02"), ns("2023-04-02")
    registered = np.array([ns("2022-12-15"), ns("2023-01-23"), ns("2022-12-15"), ns("2022-12-15")])
    withdrawn = np.array([ns("2023-01-20"), NEVER, ns("2023-01-23"), NEVER])
    weeks = np.arange(5)
    cutoff = start + weeks * WEEK
    rows = active(start, end, registered[:, None], withdrawn[:, None], cutoff[None, :])
    assert rows[0].tolist() == [True, True, True, False, False]  # weeks 0, 1, 2; not 3
    assert rows[1].tolist() == [False, False, False, False, True]  # registering at t is not before t
    assert rows[2].tolist() == [True, True, True, True, False]  # withdrawing exactly at t keeps the row
    assert rows[3].all()


def test_active_works_on_pandas_times_too():
    reg = pd.Series([T("2022-12-01"), T("2023-01-23")])
    wd = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns, UTC]")
    assert active(T("2023-01-02"), T("2023-04-02"), reg, wd, T("2023-01-23")).tolist() == [True, False]


def test_running_boundaries():
    start, end = ns("2023-01-02"), ns("2023-04-02")
    at = [ns("2023-01-01 23:59"), start, ns("2023-04-01 23:59"), end]
    assert [bool(running(start, end, t)) for t in at] == [False, True, True, False]
    assert timeline.ended(end, end) and not timeline.ended(end, end - 1)


def test_week_of_an_as_of_date():
    anchor = ns("2023-01-02")
    assert week_of(ns("2023-01-25 12:00"), anchor) == 3  # 23.5 days
    assert week_of(ns("2023-01-23"), anchor) == 3  # exactly 21 days
    assert week_of(ns("2023-01-22 23:59"), anchor) == 2
    assert week_of(ns("2023-01-01"), anchor) == -1  # floor, not truncation


def test_anchors_and_pacing():
    start = ns("2023-01-01")
    reg = np.array([ns("2023-03-01"), ns("2022-12-01")])
    assert anchors(start, reg, False).tolist() == [start, start]
    assert anchors(start, reg, True).tolist() == reg.tolist()
    assert anchors(start, reg, np.array([True, False])).tolist() == [reg[0], start]
    assert timeline.is_self_paced(pd.Series(["self-paced", "cohort", None])).tolist() == [True, False, False]
    assert timeline.is_self_paced("self-paced") and not timeline.is_self_paced(float("nan"))


def test_enrollment_times_of_the_tiny_data(tiny):
    times = timeline.enrollment_times(tiny.courses, tiny.enrollments)
    e = tiny.enrollments
    l7 = int(np.flatnonzero(e["learner_id"].eq("L7"))[0])  # self-paced: anchored on registration
    assert times.anchor[l7] == ns("2023-03-01")
    assert (times.anchor[e["course_id"].eq("A-2023").to_numpy()] == ns("2023-01-02")).all()
    assert times.withdrawn[~e["withdrawn_at"].notna().to_numpy()].tolist() == [NEVER] * 6


# --------------------------------------------------------------------------- one population
BASE = T("2023-01-02")


def _world(enrollments: list[tuple], courses: list[tuple]) -> LearningData:
    hours = lambda h: BASE + pd.Timedelta(hours=h)  # noqa: E731
    c = pd.DataFrame(
        {
            "course_id": [f"C{i}" for i in range(len(courses))],
            "course_code": ["C"] * len(courses),
            "start": [hours(s) for s, _, _ in courses],
            "end": [hours(s + d) for s, d, _ in courses],
            "pacing": ["self-paced" if sp else "cohort" for _, _, sp in courses],
        }
    )
    e = pd.DataFrame(
        {
            "learner_id": [f"L{i}" for i in range(len(enrollments))],
            "course_id": [f"C{ci % len(courses)}" for ci, _, _ in enrollments],
            "registered_at": pd.Series([hours(r) for _, r, _ in enrollments], dtype="datetime64[ns, UTC]"),
            "withdrawn_at": pd.Series([pd.NaT if w is None else hours(w) for _, _, w in enrollments], dtype="datetime64[ns, UTC]"),
            "outcome": [None] * len(enrollments),
        }
    )
    empty = lambda cols: pd.DataFrame({k: pd.Series([], dtype=t) for k, t in cols.items()})  # noqa: E731
    return LearningData(
        courses=c,
        learners=pd.DataFrame({"learner_id": e["learner_id"]}),
        enrollments=e,
        activity=empty({"learner_id": "str", "course_id": "str", "timestamp": "datetime64[ns, UTC]", "activity_type": "str", "clicks": "int64"}),
        assessments=empty({"assessment_id": "str", "course_id": "str", "kind": "str", "due_at": "datetime64[ns, UTC]", "weight": "float64"}),
        submissions=empty({"learner_id": "str", "assessment_id": "str", "submitted_at": "datetime64[ns, UTC]", "score": "float64"}),
        validate=False,
    )


hour = st.integers(-72, 72)
course = st.tuples(st.integers(-48, 24), st.integers(1, 96), st.booleans())
enrollment = st.tuples(st.integers(0, 5), hour, st.one_of(st.none(), hour))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(courses=st.lists(course, min_size=1, max_size=3), enrollments=st.lists(enrollment, min_size=1, max_size=12), t=hour)
def test_features_and_overview_agree_on_who_is_active(courses, enrollments, t):
    data = _world(enrollments, courses)
    as_of = BASE + pd.Timedelta(hours=t)
    # the rule, written out row by row
    c = data.courses.set_index("course_id")
    expected = set()
    for r in data.enrollments.itertuples(index=False):
        start, end = c.loc[r.course_id, "start"], c.loc[r.course_id, "end"]
        withdrawn = r.withdrawn_at
        if start <= as_of < end and r.registered_at < as_of and (pd.isna(withdrawn) or withdrawn >= as_of):
            expected.add((r.learner_id, r.course_id))
    feats = build_features(data, as_of=as_of)
    assert set(zip(feats["learner_id"], feats["course_id"])) == expected
    e = _enrollments(data, running_courses(data, as_of), as_of)
    assert set(zip(e.loc[e["active"], "learner_id"], e.loc[e["active"], "course_id"])) == expected
    counts = {o.course_id: o.active_enrollments for o in course_overviews(data, as_of)}
    assert sum(counts.values()) == len(expected)
    for cid, n in counts.items():
        assert n == sum(1 for _, k in expected if k == cid)
    # the week of each row is timeline's week of the as-of date since the row's anchor
    times = timeline.enrollment_times(data.courses, data.enrollments)
    pos = pd.Index(data.enrollments["learner_id"]).get_indexer(feats["learner_id"])
    assert feats["week"].tolist() == week_of(to_ns(as_of), times.anchor[pos]).tolist()
