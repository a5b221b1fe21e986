"""The truth: the oracle probabilities are well-formed, kept apart from the data, and are the
real conditional probabilities of the generator (calibrated against what happened)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def _joined(world) -> pd.DataFrame:
    data, truth = world
    e = data.enrollments.merge(data.courses[["course_id", "start"]], on="course_id")
    t = truth.merge(e, on=["learner_id", "course_id"], how="left", validate="many_to_one")
    t["cutoff"] = t["start"] + pd.to_timedelta(7 * t["week"], unit="D")
    return t


def test_truth_columns_and_ranges(world):
    data, truth = world
    assert list(truth.columns) == ["learner_id", "course_id", "week", "p_dropout", "p_underperformance"]
    assert truth["p_dropout"].between(0, 1).all() and truth["p_underperformance"].between(0, 1).all()
    assert truth["week"].min() == 1
    assert not truth.duplicated(["learner_id", "course_id", "week"]).any()
    # Kept apart: no table of the data carries an oracle column.
    for frame in data.tables().values():
        assert not {"p_dropout", "p_underperformance"} & set(frame.columns)


def test_truth_rows_are_the_enrollments_active_at_each_cutoff(world):
    t = _joined(world)
    assert (t["registered_at"] < t["cutoff"]).all()
    assert (t["withdrawn_at"].isna() | (t["withdrawn_at"] >= t["cutoff"])).all()
    data, truth = world
    e = data.enrollments.merge(data.courses[["course_id", "start"]], on="course_id")
    cutoff = e["start"] + pd.Timedelta(weeks=5)
    active = (e["registered_at"] < cutoff) & (e["withdrawn_at"].isna() | (e["withdrawn_at"] >= cutoff))
    assert active.sum() == (truth["week"] == 5).sum()


def test_truth_is_calibrated_and_informative(world):
    t = _joined(world)
    for week in (2, 8, 20):
        s = t[t["week"] == week]
        drop = s["withdrawn_at"].notna()
        se = np.sqrt(s["p_dropout"].mean() * (1 - s["p_dropout"].mean()) / len(s))
        assert abs(drop.mean() - s["p_dropout"].mean()) < 4 * se + 0.005
        assert roc_auc_score(drop, s["p_dropout"]) > 0.75
        done = s[s["outcome"] != "withdrawn"]
        fail = done["outcome"] == "fail"
        assert abs(fail.mean() - done["p_underperformance"].mean()) < 0.03
        assert roc_auc_score(fail, done["p_underperformance"]) > 0.75
    # At the last cutoff nobody can withdraw any more.
    last = t[t["week"] == t.groupby("course_id")["week"].transform("max")]
    assert (last["p_dropout"] == 0).all()


def test_truth_does_not_change_the_data(world):
    from learnrisk import synthetic

    data, _ = world
    plain = synthetic.generate(n_learners=5000, n_courses=3, offerings=4, seed=1)
    assert plain.digest() == data.digest()
