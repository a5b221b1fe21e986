"""as_of: a calendar cutoff, each running offering at its own week, through the same code path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk.features import FeatureSpecError, build_features
from learnrisk.synthetic import generate

T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
WEEK = pd.Timedelta(days=7)


def test_as_of_on_a_weekly_cutoff_equals_that_week(tiny):
    got = build_features(tiny, as_of="2023-01-23")  # week 3 of A-2023; S-2023 has nobody yet
    want = build_features(tiny, weeks=[3])
    want = want[want.cutoff == T("2023-01-23")].reset_index(drop=True)
    assert len(got) == 3
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_as_of_mid_week_uses_the_last_7_days_before_it(tiny):
    f = build_features(tiny, as_of=pd.Timestamp("2023-01-25 12:00"))  # naive: read as UTC
    assert set(f.course_id) == {"A-2023"} and set(f.week) == {3}
    assert (f.cutoff == T("2023-01-25 12:00")).all()
    r = f.set_index("learner_id").loc["L1"]
    # L1 clicks 5 on 01-03, 01-10, 01-17, 01-24 and 3 on 2022-12-28; last 7 days: 01-18 12:00 .. 01-25 12:00
    assert (r["clicks_1w"], r["clicks_2w"], r["clicks_total"]) == (5, 10, 23)
    assert r["days_since_last_activity"] == 1.5
    assert r["clicks_trend"] == 0.0


def test_as_of_for_a_self_paced_course_takes_each_learners_week(tiny):
    f = build_features(tiny, as_of="2023-03-10")
    r = f[f.course_id == "S-2023"].iloc[0]
    # L7 registered 2023-03-01: 9 days -> week 1; last 7 days 03-03..03-10 hold the quiz (6 clicks)
    assert (r["learner_id"], r["week"], r["clicks_1w"], r["clicks_total"]) == ("L7", 1, 6, 9)
    # A-2023 is still running at 2023-03-10 (it ends 04-02): week 9 = floor(67 days / 7)
    assert set(f[f.course_id == "A-2023"].week) == {9}


def test_running_offering_is_scored_and_finished_ones_are_not(tiny):
    f = build_features(tiny, as_of="2024-01-20")
    assert sorted(f.learner_id) == ["L1", "L6"] and set(f.course_id) == {"A-2024"}
    assert set(f.week) == {2}
    assert build_features(tiny, as_of="2023-04-02").query("course_id == 'A-2023'").empty  # end is not running
    assert build_features(tiny, as_of="2022-12-30").empty  # nothing has started


def test_as_of_equals_weeks_on_synthetic_data_with_self_paced_courses():
    data = generate(n_learners=300, n_courses=2, offerings=2, seed=5, self_paced_courses=1)
    cohort = data.courses[data.courses.pacing == "cohort"].iloc[0]
    t = cohort["start"] + 5 * WEEK
    got = build_features(data, as_of=t)
    weekly = build_features(data, weeks=range(0, 40))
    at_t = weekly[weekly.cutoff == t].reset_index(drop=True)
    # rows whose enrollment is on a weekly cutoff at t: the cohort course's, and self-paced
    # learners who registered an exact number of weeks before t
    on_grid = got.merge(at_t[["learner_id", "course_id"]], on=["learner_id", "course_id"])
    assert len(at_t) > 20 and (got.course_id == cohort["course_id"]).sum() == (at_t.course_id == cohort["course_id"]).sum()
    pd.testing.assert_frame_equal(
        got.merge(on_grid[["learner_id", "course_id"]]).reset_index(drop=True), at_t, check_exact=True
    )
    # every self-paced row of as_of sits at floor((t - registered) / 7 days)
    sp = got[got.course_id.isin(data.courses.course_id[data.courses.pacing == "self-paced"])]
    reg = sp.merge(data.enrollments, on=["learner_id", "course_id"])["registered_at"]
    assert len(sp) > 0 and (sp.week.to_numpy() == ((t - reg) // WEEK).to_numpy()).all()


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"weeks": [1], "as_of": "2023-01-09"}, {"weeks": "1-20"}, {"weeks": [-1]}, {"weeks": [1.5]},
     {"weeks": []}, {"as_of": "not a date"}],
)
def test_bad_arguments_say_what_is_allowed(tiny, kwargs):
    with pytest.raises(FeatureSpecError, match="weeks|as_of"):
        build_features(tiny, **kwargs)


def test_empty_result_keeps_the_columns(tiny):
    f = build_features(tiny, as_of="2030-01-01")
    assert f.empty and list(f.columns) == list(build_features(tiny, weeks=[1]).columns)
    assert str(f.cutoff.dtype) == "datetime64[ns, UTC]" and f.week.dtype == np.int64
