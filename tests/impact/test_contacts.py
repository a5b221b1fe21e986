"""synthetic.simulate_contacts: who is contacted, what changes, and a truth that matches the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.errors import SyntheticConfigError


@pytest.fixture(scope="module")
def simulated(oracle):
    data, truth = synthetic.simulate_contacts(oracle["data"], oracle["listings"], effect=0.5, seed=3)
    return data, truth


def test_held_out_learners_are_never_contacted(simulated):
    data, truth = simulated
    acted = set(zip(data.actions["course_id"], data.actions["learner_id"]))
    held = truth[truth["held_out"]]
    assert held["would_contact"].any()  # some would have been: the counterfactual is drawn
    assert not acted & set(zip(held["course_id"], held["learner_id"]))
    done = data.actions[data.actions["status"] == "done"]
    assert len(done) == truth["contacted"].sum()
    # an action is dated on or after the learner's first listing, within the week
    first = truth.set_index(["course_id", "learner_id"])["as_of"]
    lag = data.actions["acted_at"].to_numpy() - first.loc[list(zip(data.actions["course_id"], data.actions["learner_id"]))].to_numpy()
    assert (lag >= pd.Timedelta(0)).all() and (lag <= pd.Timedelta(days=7)).all()


def test_the_data_show_the_truth_of_each_arm(oracle, simulated):
    data, truth = simulated
    e = data.enrollments.set_index(["course_id", "learner_id"])
    before = oracle["data"].enrollments.set_index(["course_id", "learner_id"])
    t = truth[truth["withdrawal0"].notna()].set_index(["course_id", "learner_id"])
    observed = e.loc[t.index, "withdrawn_at"].notna().to_numpy()
    expected = np.where(t["contacted"], t["withdrawal1"], t["withdrawal0"]).astype(bool)
    assert (observed == expected).all()
    assert (before.loc[t.index, "withdrawn_at"].notna().to_numpy() == t["withdrawal0"].astype(bool)).all()
    changed = (e["outcome"] != before["outcome"]).to_numpy()
    assert changed.sum() > 0 and changed.sum() <= t["contacted"].sum()
    # contact only ever helps, and only the contacted change
    assert (t["withdrawal1"] <= t["withdrawal0"]).all() and (t["not_passing1"] <= t["not_passing0"]).all()
    effects = synthetic.contact_effects(truth)
    assert (effects.to_numpy() < 0).all()


def test_zero_effect_changes_no_outcome(oracle):
    data, truth = synthetic.simulate_contacts(oracle["data"], oracle["listings"], effect=0.0, seed=3)
    pd.testing.assert_frame_equal(data.enrollments, oracle["data"].enrollments)
    assert len(data.actions) > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"effect": 1.5}, "effect must be a number between 0 and 1"), ({"contact_rate": "most"}, "contact_rate"),
     ({"lag_days": -1}, "lag_days must be >= 0")],
)  # fmt: skip
def test_bad_arguments(oracle, kwargs, message):
    with pytest.raises(SyntheticConfigError, match=message):
        synthetic.simulate_contacts(oracle["data"], oracle["listings"], **kwargs)
    with pytest.raises(SyntheticConfigError, match="listings lack"):
        synthetic.simulate_contacts(oracle["data"], oracle["listings"].drop(columns="held_out"))
