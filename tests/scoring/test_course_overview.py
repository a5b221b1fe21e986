"""Course overview of the report, checked by hand on the tiny event log of conftest.py."""

from __future__ import annotations

import pytest
from tests.conftest import T

from learnrisk.scoring._overview import course_overviews, running_courses


def test_running_courses_are_started_and_not_ended(tiny):
    assert list(running_courses(tiny, T("2024-02-05"))["course_id"]) == ["A-2024"]
    assert list(running_courses(tiny, T("2023-01-23"))["course_id"]) == ["A-2023", "S-2023"]
    # start <= t < end, as in the features: A-2023 runs from its first instant, S-2023 has ended at its end
    assert running_courses(tiny, T("2023-01-02"))["course_id"].tolist() == ["A-2023", "S-2023"]
    assert running_courses(tiny, T("2023-12-31"))["course_id"].tolist() == []
    assert running_courses(tiny, T("2025-01-01")).empty


def test_overview_of_a_2023_in_week_3(tiny):
    # t = 2023-01-23 is 21 days after the start (Monday 2023-01-02): week 3, complete weeks 0..2.
    (a, s) = course_overviews(tiny, T("2023-01-23"))
    assert (a.course_id, a.week) == ("A-2023", 3)
    # registered before t: L1..L5; withdrawn before t: L3 (01-20) and L5 (2022-12-20)
    assert (a.enrolled, a.active_enrollments, a.withdrawn) == (5, 3, 2)
    # active in [01-16, 01-23): only L1 (01-17); L4 was last active on 01-10
    assert a.active_this_week == 1
    # week 0 [01-02, 01-09): L1, L2, L3 enrolled (L4 registers 01-09), L1 and L3 active
    # week 1 [01-09, 01-16): L1..L4 enrolled, L1, L3, L4 active
    # week 2 [01-16, 01-23): L1..L4 (L3 withdraws on day 18, in week 2), only L1 active
    assert [(c["week"], c["n_enrolled"]) for c in a.curve] == [(0, 3), (1, 4), (2, 4)]
    assert [c["share_active"] for c in a.curve] == pytest.approx([2 / 3, 3 / 4, 1 / 4])
    # A23-1 due 01-16: L1 on time, L4 late (01-18, still before t), L2 never
    assert [(m["assessment_id"], m["missed"], m["of"]) for m in a.missed] == [("A23-1", 1, 3)]
    # S-2023 runs but nobody registered before t (L7 registers 2023-03-01)
    assert (s.course_id, s.pacing, s.enrolled, s.curve, s.missed) == ("S-2023", "self-paced", 0, [], [])


def test_overview_ignores_facts_on_or_after_as_of(tiny):
    # t = 2023-01-17: L3 still enrolled (withdraws 01-20); L4's submission of 01-18 is the future
    (a, _) = course_overviews(tiny, T("2023-01-17"))
    assert (a.enrolled, a.active_enrollments, a.withdrawn) == (5, 4, 1)
    assert a.active_this_week == 3  # L1, L3, L4 on 01-10, within [01-10, 01-17)
    assert [(m["assessment_id"], m["missed"], m["of"]) for m in a.missed] == [("A23-1", 3, 4)]  # L2, L3, L4
    # t = 2023-01-03 00:00: L1's and L3's clicks stamped exactly at t are not known yet; L1's
    # pre-start forum post (2022-12-28) is in the last 7 days
    (a, _) = course_overviews(tiny, T("2023-01-03"))
    assert a.active_this_week == 1
    assert a.curve == []  # no complete week yet


def test_self_paced_weeks_are_anchored_at_registration(tiny):
    # L7 registers 2023-03-01 10:00 in S-2023 and is active on days 0 and 8 after it
    (s,) = [o for o in course_overviews(tiny, T("2023-03-20")) if o.course_id == "S-2023"]
    assert [(c["week"], c["share_active"]) for c in s.curve] == [(0, 1.0), (1, 1.0)]
    assert s.active_this_week == 0  # last activity 03-09, before [03-13, 03-20)
