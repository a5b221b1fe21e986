"""Options of the generator: sensitive_effect, as_of (running_at), self-paced courses, bad arguments."""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.data import LearningData


def _gap(data: LearningData) -> tuple[float, float]:
    """Difference in the rate of bad outcomes (withdrawn or fail): most vs least deprived, disabled vs not."""
    e = data.enrollments
    bad = e["outcome"].isin(["withdrawn", "fail"])
    deprived = e["deprivation"].isin(["0-10%", "10-20%", "20-30%"])
    affluent = e["deprivation"].isin(["70-80%", "80-90%", "90-100%"])
    disabled = e["disability"] == "Y"
    return bad[deprived].mean() - bad[affluent].mean(), bad[disabled].mean() - bad[~disabled].mean()


def test_strong_sensitive_effect_shows_in_outcomes_and_none_does_not():
    strong = synthetic.generate(n_learners=4000, n_courses=2, offerings=2, seed=5, sensitive_effect="strong")
    none = synthetic.generate(n_learners=4000, n_courses=2, offerings=2, seed=5, sensitive_effect="none")
    dep, dis = _gap(strong)
    assert dep > 0.12 and dis > 0.15
    dep, dis = _gap(none)
    assert abs(dep) < 0.05 and abs(dis) < 0.08


def test_as_of_cuts_the_world_at_that_moment():
    t = pd.Timestamp("2014-06-01", tz="UTC")
    full = synthetic.generate(n_learners=1500, n_courses=2, offerings=4, seed=9)
    cut, truth = synthetic.generate(n_learners=1500, n_courses=2, offerings=4, seed=9, as_of=t, return_truth=True)
    LearningData(**cut.tables(), validate=True)
    e = cut.enrollments.merge(cut.courses[["course_id", "end"]], on="course_id")
    running = e["end"] > t
    assert running.any() and (~running).any()
    assert e.loc[running, "outcome"].isna().all() and e.loc[running, "final_score"].isna().all()
    assert e.loc[~running, "outcome"].notna().all()
    assert (e["registered_at"] < t).all() and not (e["withdrawn_at"] >= t).any()
    assert (cut.activity["timestamp"] < t).all() and (cut.submissions["submitted_at"] < t).all()
    # Offerings that ended are exactly as in the full world.
    ended = e.loc[~running, "course_id"].unique()
    key = ["learner_id", "course_id"]
    a = full.enrollments[full.enrollments["course_id"].isin(ended)].sort_values(key).reset_index(drop=True)
    b = cut.enrollments[cut.enrollments["course_id"].isin(ended)].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert set(truth["course_id"]) <= set(cut.courses["course_id"])


def test_running_at_is_a_deprecated_alias_of_as_of():
    t = pd.Timestamp("2014-06-01", tz="UTC")
    new = synthetic.generate(n_learners=200, n_courses=1, offerings=2, seed=2, as_of=t)
    with pytest.warns(DeprecationWarning, match="as_of"):
        old = synthetic.generate(n_learners=200, n_courses=1, offerings=2, seed=2, running_at="2014-06-01")
    for name, table in new.tables().items():
        pd.testing.assert_frame_equal(table, old.tables()[name])
    with pytest.warns(DeprecationWarning), pytest.raises(synthetic.SyntheticConfigError, match="not both"):
        synthetic.generate(n_learners=50, as_of=t, running_at=t)


def test_self_paced_courses_anchor_week_zero_on_registration():
    data, truth = synthetic.generate(n_learners=800, n_courses=2, offerings=2, seed=4, self_paced_courses=1, return_truth=True)
    LearningData(**data.tables(), validate=True)
    c = data.courses.set_index("course_id")
    sp = c.index[c["pacing"] == "self-paced"]
    assert list(c.loc[sp, "course_code"].unique()) == ["BBB"]
    assert data.assessments.loc[data.assessments["course_id"].isin(sp), "due_at"].isna().all()
    e = data.enrollments[data.enrollments["course_id"].isin(sp)]
    assert (e["registered_at"] >= e["course_id"].map(c["start"])).all()
    act = data.activity[data.activity["course_id"].isin(sp)].merge(e[["learner_id", "course_id", "registered_at"]])
    assert (act["timestamp"] >= act["registered_at"]).all()
    assert truth["course_id"].isin(sp).any()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sensitive_effect": "huge"}, "'none', 'modest', 'strong'"),
        ({"sensitive_effect": -1.0}, ">= 0"),
        ({"n_learners": 0}, "n_learners"),
        ({"self_paced_courses": 5}, "self_paced_courses"),
    ],
)
def test_bad_arguments_say_what_is_allowed(kwargs, match):
    with pytest.raises(synthetic.SyntheticConfigError, match=match):
        synthetic.generate(**{"n_learners": 50, **kwargs})


def test_float_sensitive_effect_and_single_offering():
    data = synthetic.generate(n_learners=120, n_courses=1, offerings=1, seed=2, sensitive_effect=0.3)
    assert list(data.courses["course_id"]) == ["AAA-2013B"]
    assert len(data.enrollments) == 120  # nothing later to retake
