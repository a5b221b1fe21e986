"""The synthetic world looks like OULAD where it should: outcome mix, silent learners,
pre-start withdrawals, deadline bursts and disengagement before a withdrawal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from learnrisk import synthetic

from .conftest import course_days


def test_outcome_mix_near_oulad(world):
    data, _ = world
    mix = data.enrollments["outcome"].value_counts(normalize=True)
    assert abs(mix["withdrawn"] - 0.31) < 0.04, mix
    assert abs(mix["fail"] - 0.22) < 0.04, mix
    assert abs(mix["pass"] - 0.38) < 0.05, mix
    assert abs(mix["distinction"] - 0.09) < 0.03, mix


def test_some_learners_never_active_and_they_do_worse(world):
    data, _ = world
    e = data.enrollments
    active = pd.MultiIndex.from_frame(data.activity[["learner_id", "course_id"]].drop_duplicates())
    silent = ~pd.MultiIndex.from_frame(e[["learner_id", "course_id"]]).isin(active)
    assert 0.04 < silent.mean() < 0.10
    assert e.loc[silent, "outcome"].isin(["withdrawn", "fail"]).all()


def test_about_a_quarter_of_withdrawals_happen_before_the_start(world):
    data, _ = world
    e = data.enrollments.merge(data.courses[["course_id", "start"]], on="course_id")
    w = e[e["withdrawn_at"].notna()]
    before = (w["withdrawn_at"] < w["start"]).mean()
    assert 0.18 < before < 0.33
    assert (w["withdrawn_at"] >= w["registered_at"]).all()
    # ... and the rest is spread over the course, front-loaded.
    day = (w["withdrawn_at"] - w["start"]).dt.days
    assert 20 < day.median() < 90 and (day > 150).mean() > 0.05


def test_clicks_per_active_week_are_of_oulad_order(world):
    data, _ = world
    r = synthetic.realism(data)
    assert 30 < r["clicks per active learner-week (mean)"] < 70
    assert r["clicks per active learner-week (median)"] < r["clicks per active learner-week (mean)"]
    assert 2.0 < r["active days per active learner-week"] < 3.5
    assert set(data.activity["activity_type"].unique()) >= {"resource", "oucontent", "forumng", "quiz", "homepage"}
    assert data.activity.duplicated().any()
    ts = data.activity["timestamp"]
    assert (ts == ts.dt.normalize()).all()  # day resolution, midnight UTC


def test_bursts_before_due_dates(world):
    data, _ = world
    d = course_days(data)
    daily = d.groupby(["course_id", "day"])["clicks"].sum()
    a = data.assessments[data.assessments["kind"] == "TMA"].merge(data.courses[["course_id", "start"]], on="course_id")
    a["due"] = (a["due_at"] - a["start"]).dt.days
    before, after = [], []
    for row in a.itertuples():
        before.append(daily.reindex([(row.course_id, row.due - k) for k in range(7)]).fillna(0).mean())
        after.append(daily.reindex([(row.course_id, row.due + k) for k in range(1, 8)]).fillna(0).mean())
    assert np.mean(before) > 1.3 * np.mean(after)


def test_engagement_decays_before_a_withdrawal(world):
    data, _ = world
    d = course_days(data)
    weekly = d.groupby(["learner_id", "course_id", "week"])["clicks"].sum()
    e = data.enrollments.merge(data.courses[["course_id", "start"]], on="course_id")
    w = e[e["withdrawn_at"] > e["start"] + pd.Timedelta(days=70)].copy()
    w["week"] = (w["withdrawn_at"] - w["start"]).dt.days // 7

    def clicks(lag: int) -> float:
        idx = pd.MultiIndex.from_arrays([w["learner_id"], w["course_id"], w["week"] - lag])
        return float(weekly.reindex(idx).fillna(0).mean())

    late = np.mean([clicks(1), clicks(2)])
    early = np.mean([clicks(6), clicks(7), clicks(8)])
    assert late < 0.8 * early
