"""Hand-computed features of the tiny log (tests/conftest.py): each value worked out on paper.

Course A-2023 starts Monday 2023-01-02: week k's cutoff is 2023-01-02 + 7k days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk.features import KEY_COLUMNS, build_features

T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731


@pytest.fixture
def feats(tiny):
    return build_features(tiny, weeks=range(0, 6))


def row(feats, learner, course, week) -> pd.Series:
    got = feats[(feats.learner_id == learner) & (feats.course_id == course) & (feats.week == week)]
    assert len(got) == 1, f"expected one row for {learner} {course} week {week}, found {len(got)}"
    return got.iloc[0]


def has_row(feats, learner, course, week) -> bool:
    return bool(((feats.learner_id == learner) & (feats.course_id == course) & (feats.week == week)).any())


def test_keys_types_and_order(feats):
    assert list(feats.columns[:4]) == KEY_COLUMNS
    assert feats["week"].dtype == np.int64
    assert str(feats["cutoff"].dtype) == "datetime64[ns, UTC]"
    assert feats.index.equals(pd.RangeIndex(len(feats)))
    key = feats[["course_id", "week", "learner_id"]]
    assert key.equals(key.sort_values(["course_id", "week", "learner_id"]).reset_index(drop=True))
    numeric = feats.columns[4:]
    assert all(feats[c].dtype == np.float64 for c in numeric)
    assert row(feats, "L1", "A-2023", 3)["cutoff"] == T("2023-01-23")


def test_withdrawal_ends_rows_at_the_cutoff_after_it(feats):
    # L3 withdraws 2023-01-20: cutoffs 01-02, 01-09, 01-16 are before it, 01-23 is after.
    assert [has_row(feats, "L3", "A-2023", k) for k in range(5)] == [True, True, True, False, False]
    # L5 withdrew 2022-12-20, before the course started: never a row.
    assert not (feats.learner_id == "L5").any()


def test_registration_must_be_strictly_before_the_cutoff(feats):
    # L4 registered 2023-01-09 00:00 = the week-1 cutoff: not before it, so no row at week 1.
    assert [has_row(feats, "L4", "A-2023", k) for k in range(4)] == [False, False, True, True]


def test_never_active_learner_has_zero_counts(feats):
    r = row(feats, "L2", "A-2023", 3)
    for c in ("clicks_1w", "clicks_4w", "clicks_total", "active_days_total", "pre_start_clicks"):
        assert r[c] == 0.0
    assert r["never_active"] == 1.0
    # never active: days since the start (L2 registered before it): 2023-01-23 - 2023-01-02
    assert r["days_since_last_activity"] == 21.0
    assert np.isnan(r["share_clicks_content"]) and np.isnan(r["score_mean"])
    assert r["assessments_due"] == 1.0 and r["assessments_missed"] == 1.0


def test_late_registrant_never_active_counts_from_registration(tiny):
    tiny.activity = tiny.activity[tiny.activity.learner_id != "L4"]
    r = row(build_features(tiny, weeks=[2]), "L4", "A-2023", 2)
    # registered 2023-01-09, cutoff 2023-01-16: 7 days, not 14 since the start
    assert r["days_since_last_activity"] == 7.0 and r["never_active"] == 1.0


def test_engagement_windows_of_l1(feats):
    # L1: 5 resource clicks on day 1 of every week, and 3 forum clicks on 2022-12-28 (pre-start).
    r = row(feats, "L1", "A-2023", 3)
    assert (r["clicks_1w"], r["clicks_2w"], r["clicks_4w"], r["clicks_total"]) == (5, 10, 18, 18)
    assert (r["active_days_1w"], r["active_days_2w"], r["active_days_4w"], r["active_days_total"]) == (1, 2, 4, 4)
    assert r["pre_start_clicks"] == 3 and r["pre_start_active_days"] == 1
    assert r["days_since_last_activity"] == 6.0  # last click 2023-01-17
    assert r["share_clicks_forum"] == pytest.approx(3 / 18)
    assert r["share_clicks_content"] == pytest.approx(15 / 18)
    assert r["clicks_trend"] == 0.0  # 5, 5, 5 clicks in weeks 0-2
    w0 = row(feats, "L1", "A-2023", 0)
    assert (w0["clicks_1w"], w0["clicks_total"], w0["days_since_last_activity"]) == (3, 3, 5.0)
    assert np.isnan(w0["clicks_trend"])


def test_duplicates_count_and_trend(feats):
    # L4: two identical rows of 7 clicks on 2023-01-10 (week 1): both count.
    r = row(feats, "L4", "A-2023", 2)
    assert r["clicks_1w"] == 14 and r["active_days_1w"] == 1
    assert r["clicks_trend"] == 14.0  # weeks 0 and 1: 0 then 14 clicks
    # week 4: weekly clicks 0, 14, 0, 0 -> least-squares slope -1.4
    assert row(feats, "L4", "A-2023", 4)["clicks_trend"] == pytest.approx(-1.4)


def test_submissions_and_scores(feats):
    # A23-1 is due 2023-01-16: at the week-2 cutoff (01-16 00:00) it is not yet due.
    r2 = row(feats, "L1", "A-2023", 2)
    assert r2["assessments_due"] == 0 and r2["assessments_submitted"] == 1  # submitted 01-15
    assert r2["lateness_mean"] == -1.0 and r2["score_last"] == 60.0
    r = row(feats, "L4", "A-2023", 3)  # submitted A23-1 on 01-18: 2 days late, 95 points
    assert (r["assessments_due"], r["assessments_submitted"], r["assessments_missed"]) == (1, 1, 0)
    assert r["submissions_late"] == 1 and r["lateness_last"] == 2.0
    assert r["score_mean"] == 95.0 and r["score_weighted"] == 95.0
    # score_z at week 3: L1 60, L4 95 -> -1 and +1; L2 has no score
    assert row(feats, "L1", "A-2023", 3)["score_z"] == -1.0 and r["score_z"] == 1.0
    assert np.isnan(row(feats, "L2", "A-2023", 3)["score_z"])


def test_scores_later_in_the_course(tiny):
    f = build_features(tiny, weeks=[7, 12])
    r = row(f, "L1", "A-2023", 7)  # cutoff 2023-02-20: A23-1 (60, w20) and A23-2 (80, w30)
    assert r["score_mean"] == 70.0
    assert r["score_weighted"] == pytest.approx((20 * 60 + 30 * 80) / 50)
    assert r["score_trend"] == 20.0
    # L4's A23-2 submission (2023-02-13, exactly at its due date) has no score: counted, not scored
    r4 = row(f, "L4", "A-2023", 7)
    assert r4["assessments_submitted"] == 2 and r4["score_mean"] == 95.0 and r4["score_last"] == 95.0
    assert r4["submissions_late"] == 1 and r4["lateness_mean"] == 1.0  # (2 + 0) / 2
    # the exam A23-X has no due date: never due; L1 submits it 2023-03-30, after week 12 (03-27)
    r12 = row(f, "L1", "A-2023", 12)
    assert (r12["assessments_due"], r12["assessments_submitted"], r12["assessments_missed"]) == (2, 2, 0)


def test_self_paced_weeks_are_anchored_at_registration(feats):
    # L7 registers in S-2023 on 2023-03-01 00:00; week k's cutoff is 2023-03-01 + 7k days.
    s = feats[feats.course_id == "S-2023"]
    assert s["week"].tolist() == [1, 2, 3, 4, 5]  # no week 0: registered exactly at it
    r1 = row(feats, "L7", "S-2023", 1)
    assert r1["cutoff"] == T("2023-03-08")
    assert r1["clicks_1w"] == 3 and r1["days_since_last_activity"] == pytest.approx(6 + 14 / 24)
    assert r1["days_registered_before_start"] == 0.0
    r2 = row(feats, "L7", "S-2023", 2)  # quiz on 2023-03-09 10:00
    assert (r2["clicks_1w"], r2["clicks_total"], r2["share_clicks_quiz"]) == (6, 9, 6 / 9)
    assert r2["clicks_trend"] == 3.0
    assert np.isnan(r2["clicks_1w_z"])  # alone in its course: no cohort to compare with


def test_running_offering_and_background(feats):
    a24 = feats[feats.course_id == "A-2024"]
    assert set(a24.learner_id) == {"L1", "L6"}
    r = row(feats, "L1", "A-2024", 1)
    assert r["prior_attempts"] == 1 and r["credits"] == 60 and r["days_registered_before_start"] == 31
    assert r["clicks_total"] == 2  # only the A-2024 activity: the 2023 offering is another partition
    # cohort z at week 1 of A-2024: log1p(2) vs log1p(0) -> +1 and -1
    assert r["clicks_1w_z"] == 1.0 and row(feats, "L6", "A-2024", 1)["clicks_1w_z"] == -1.0


def test_event_exactly_at_the_cutoff_is_not_before_it(tiny):
    extra = pd.DataFrame(
        {"learner_id": ["L2"], "course_id": ["A-2023"], "timestamp": [T("2023-01-09")], "activity_type": ["quiz"], "clicks": [9]}
    )
    tiny.activity = pd.concat([tiny.activity, extra], ignore_index=True)
    f = build_features(tiny, weeks=[1, 2])
    assert row(f, "L2", "A-2023", 1)["clicks_total"] == 0 and row(f, "L2", "A-2023", 1)["never_active"] == 1
    r = row(f, "L2", "A-2023", 2)
    assert r["clicks_1w"] == 9 and r["days_since_last_activity"] == 7.0


def test_weeks_past_the_end_give_no_rows(tiny):
    # A-2023 ends 2023-04-02 = start + 90 days: week 12 (day 84) runs, week 13 (day 91) does not
    f = build_features(tiny, weeks=[12, 13])
    assert set(f[f.course_id == "A-2023"].week) == {12}
