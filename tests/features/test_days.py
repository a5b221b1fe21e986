"""Cutoffs in days per offering: ``build_features(data, days=[...])``, worked out on the tiny log.

Course A-2023 starts Monday 2023-01-02 (day d's cutoff is 2023-01-02 + d days), A-2024 starts
2024-01-01, and in the self-paced course S-2023 day 0 is L7's registration, 2023-03-01 00:00.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnrisk.errors import FeatureSpecError
from learnrisk.features import KEY_COLUMNS, Offering, build_features, offering_features
from tests.conftest import run_cli as run
from tests.features.test_properties import _rows_at, _settings, logs
from tests.features.test_tiny import has_row, row

T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731


@pytest.fixture
def day10(tiny):
    return build_features(tiny, days=[10])


def test_day_cutoff_is_the_anchor_plus_d_days(day10):
    assert list(day10.columns[:4]) == KEY_COLUMNS  # no day column: the cutoff tells the day
    # A-2023, day 10: cutoff 2023-01-12, week floor(10 / 7) = 1; L4 registered 01-09 < 01-12;
    # L3 withdraws 01-20, after the cutoff; L5 withdrew before the start
    a23 = day10[day10.course_id == "A-2023"]
    assert a23.learner_id.tolist() == ["L1", "L2", "L3", "L4"]
    assert set(a23.cutoff) == {T("2023-01-12")} and set(a23.week) == {1}
    assert set(day10[day10.course_id == "A-2024"].cutoff) == {T("2024-01-11")}
    # self-paced: L7's own day 10
    assert row(day10, "L7", "S-2023", 1)["cutoff"] == T("2023-03-11")


def test_windows_end_at_the_day_cutoff(day10):
    # L1: 5 resource clicks on 01-03 and 01-10, 3 forum clicks on 2022-12-28 (pre-start).
    r = row(day10, "L1", "A-2023", 1)
    # last 7 days: [01-05, 01-12) -> the 01-10 click; last 14 days: [12-29, 01-12) -> 01-03 and 01-10
    assert (r["clicks_1w"], r["clicks_2w"], r["clicks_4w"], r["clicks_total"]) == (5, 10, 13, 13)
    assert (r["active_days_1w"], r["active_days_2w"], r["active_days_total"]) == (1, 2, 3)
    assert r["days_since_last_activity"] == 2.0  # 01-12 - 01-10
    assert r["share_clicks_forum"] == pytest.approx(3 / 13)
    assert np.isnan(r["clicks_trend"])  # week 1: fewer than two whole weeks
    assert r["assessments_due"] == 0  # A23-1 is due 01-16, after the cutoff
    assert row(day10, "L4", "A-2023", 1)["clicks_1w"] == 14  # the duplicate rows of 01-10
    r3 = row(day10, "L3", "A-2023", 1)  # quiz 4 clicks on 01-03, 2 on 01-10
    assert (r3["clicks_1w"], r3["clicks_total"], r3["share_clicks_quiz"]) == (2, 6, 1.0)
    # A-2024, day 10 (cutoff 2024-01-11): L1's 2 clicks on 01-02 are 9 days before it
    r24 = row(day10, "L1", "A-2024", 1)
    assert (r24["clicks_1w"], r24["clicks_2w"], r24["clicks_total"]) == (0, 2, 2)


def test_self_paced_days_count_from_registration(tiny, day10):
    # L7: resource 3 clicks 03-01 10:00, quiz 6 clicks 03-09 10:00; cutoff 03-11 00:00
    r = row(day10, "L7", "S-2023", 1)
    assert (r["clicks_1w"], r["clicks_total"], r["share_clicks_quiz"]) == (6, 9, 6 / 9)
    assert r["days_since_last_activity"] == pytest.approx(1 + 14 / 24)
    # day 0 is the registration itself: not registered *before* it, so no row
    assert not (build_features(tiny, days=[0]).course_id == "S-2023").any()


def test_day_zero_of_a_cohort_course(tiny):
    f = build_features(tiny, days=[0])
    a23 = f[f.course_id == "A-2023"]
    assert a23.learner_id.tolist() == ["L1", "L2", "L3"] and set(a23.cutoff) == {T("2023-01-02")}
    assert set(a23.week) == {0}


def test_whole_weeks_of_days_are_the_weekly_rows(tiny):
    pd.testing.assert_frame_equal(build_features(tiny, days=[0, 14, 21]), build_features(tiny, weeks=[0, 2, 3]), check_exact=True)


def test_each_day_on_its_own(tiny):
    """A row does not depend on the other days asked for (z-scores compare the same day)."""
    both = build_features(tiny, days=[8, 10, 30])
    for d in (8, 10, 30):
        alone = build_features(tiny, days=[d])
        got = both.merge(alone[["learner_id", "course_id", "cutoff"]])
        pd.testing.assert_frame_equal(got, alone, check_exact=True)


def test_two_days_of_one_week_are_sorted_by_day(tiny):
    f = build_features(tiny, days=[10, 8])  # both week 1
    a23 = f[f.course_id == "A-2023"]
    assert a23.cutoff.tolist() == [T("2023-01-10")] * 4 + [T("2023-01-12")] * 4
    assert a23.learner_id.tolist() == ["L1", "L2", "L3", "L4"] * 2
    assert f.course_id.is_monotonic_increasing and set(f.week) == {1}


def test_days_past_the_end_give_no_rows(tiny):
    # A-2023 and A-2024 end at day 90 (2023-04-02, 2024-03-31): day 89 runs, day 90 does not
    f = build_features(tiny, days=[89, 90])
    assert set(f[f.course_id == "A-2023"].cutoff) == {T("2023-04-01")}
    assert set(f[f.course_id == "A-2024"].cutoff) == {T("2024-03-30")}
    assert has_row(f, "L7", "S-2023", 12)  # S-2023 runs to 2023-12-31: L7's day 89 and day 90
    assert (f.learner_id == "L7").sum() == 2


def test_days_beyond_every_offering_give_an_empty_frame(tiny, caplog):
    with caplog.at_level("WARNING", logger="learnrisk.features"):
        f = build_features(tiny, days=[400])  # S-2023: L7's day 400 is after 2023-12-31
    assert "no enrollment is active at days 400..400" in caplog.text and "days;" in caplog.text
    assert f.empty and list(f.columns) == list(build_features(tiny, days=[10]).columns)
    assert str(f["cutoff"].dtype) == "datetime64[ns, UTC]" and f["week"].dtype == np.int64


def test_as_of_on_a_day_cutoff_gives_the_day_rows(tiny):
    got = build_features(tiny, as_of="2023-01-12")  # A-2023 day 10
    want = build_features(tiny, days=[10])
    pd.testing.assert_frame_equal(
        got[got.course_id == "A-2023"].reset_index(drop=True),
        want[want.course_id == "A-2023"].reset_index(drop=True),
        check_exact=True,
    )


def test_one_partition_gives_the_same_rows(tiny):
    course = tiny.courses.set_index("course_id", drop=False).loc["A-2023"]
    off = Offering.from_frames(course, tiny.enrollments, tiny.activity, tiny.assessments, tiny.submissions)
    cols = offering_features(off, days=[8, 10])
    f = build_features(tiny, days=[8, 10])
    a23 = f[f.course_id == "A-2023"]
    assert off.learner_id[cols["enr"]].tolist() == a23.learner_id.tolist()
    np.testing.assert_array_equal(cols["clicks_1w"], a23.clicks_1w.to_numpy())


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"weeks": [1], "days": [7]},
        {"days": [7], "as_of": "2023-01-09"},
        {"weeks": [1], "days": [7], "as_of": "2023-01-09"},
    ],
)
def test_weeks_days_and_as_of_are_exclusive(tiny, kwargs):
    with pytest.raises(FeatureSpecError, match="exactly one of weeks .*days .*as_of"):
        build_features(tiny, **kwargs)


@pytest.mark.parametrize("days", [[-1], "30", [1.5], True, []])
def test_days_must_be_whole_numbers(tiny, days):
    with pytest.raises(FeatureSpecError, match="days"):
        build_features(tiny, days=days)


def test_a_single_day_is_accepted(tiny):
    pd.testing.assert_frame_equal(build_features(tiny, days=10), build_features(tiny, days=[10]))


@_settings(40)
@given(data=logs(), choice=st.data())
def test_as_of_on_a_cohort_day_cutoff_gives_the_day_rows(data, choice):
    days = build_features(data, days=[3, 10, 30])
    cohort = days[days.course_id == "C"]
    if cohort.empty:
        return
    c = choice.draw(st.sampled_from(sorted(cohort.cutoff.unique())))
    got = build_features(data, as_of=c)
    pd.testing.assert_frame_equal(got[got.course_id == "C"].reset_index(drop=True), _rows_at(cohort, c), check_exact=True)


# --------------------------------------------------------------------------- command line
@pytest.fixture
def folder(tiny, tmp_path):
    return tiny.to_parquet(tmp_path / "tiny")


def test_cli_days_to_parquet(capsys, tiny, folder, tmp_path):
    out = tmp_path / "day.parquet"
    code, _, err = run(capsys, "features", "--data", str(folder), "--days", "10,14", "--out", str(out))
    assert code == 0, err
    assert "days 10,14" in err
    pd.testing.assert_frame_equal(pd.read_parquet(out), build_features(tiny, days=[10, 14]))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--days", "30", "--weeks", "1-3", "--out", "x.parquet"], "exactly one"),
        (["--days", "30", "--as-of", "2024-01-01", "--out", "x.parquet"], "exactly one"),
        (["--days", "thirty", "--out", "x.parquet"], "days"),
        (["--days", "-3", "--out", "x.parquet"], "days"),
    ],
)
def test_cli_days_errors_are_one_line(capsys, folder, args, message):
    code, _, err = run(capsys, "features", "--data", str(folder), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
