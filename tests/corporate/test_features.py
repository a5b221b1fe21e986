"""Corporate features: hand-checked values, and the as-of rule for HR changes, completions and assignments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnrisk import build_features, make_labels
from learnrisk.errors import ConfigError
from learnrisk.features import catalog, open_assignments
from learnrisk.features._catalog import CORPORATE_FEATURES

AS_OF = pd.Timestamp("2025-06-02", tz="UTC")
NAMES = [f.name for f in CORPORATE_FEATURES]


@pytest.fixture(scope="module")
def base(company):
    data, _ = company
    return data, build_features(data, as_of=AS_OF)


def test_columns_catalog_and_hand_checked_row(base):
    data, feats = base
    assert NAMES == list(feats.columns[-len(NAMES):])
    cat = catalog(include_corporate=True).set_index("name")
    assert set(cat.loc[NAMES, "group"]) == {"assignment", "team", "job"}
    assert NAMES[0] not in set(catalog().name)  # the default catalog is the university one
    row = feats[open_assignments(data, feats)].iloc[0]
    a = data.assignments.set_index(["learner_id", "course_id"]).loc[(row.learner_id, row.course_id)]
    assert row.days_to_due == pytest.approx((a.due_at - AS_OF) / pd.Timedelta(days=1))
    assert row.time_elapsed_share == pytest.approx((AS_OF - a.assigned_at) / (a.due_at - a.assigned_at))
    act = data.activity[(data.activity.learner_id == row.learner_id) & (data.activity.course_id == row.course_id)]
    modules = int(data.courses.set_index("course_id").loc[row.course_id, "modules"])
    assert row.content_done_share == pytest.approx(act[act.timestamp < AS_OF].resource_id.nunique() / modules)
    assert row.progress_gap == pytest.approx(row.content_done_share - row.time_elapsed_share)
    hr = data.hr[(data.hr.learner_id == row.learner_id) & (data.hr.effective_from < AS_OF)].sort_values("effective_from")
    assert row.job_level == hr.job_level.iloc[-1]
    assert feats["team_overdue_rate"].between(0, 1).all() or feats["team_overdue_rate"].isna().any()


def test_university_data_get_no_corporate_columns(tiny):
    assert not set(NAMES) & set(build_features(tiny, weeks=[2]).columns)
    with pytest.raises(ConfigError, match="assignments"):
        make_labels(tiny, build_features(tiny, weeks=[2]), "overdue")


def _later(data, draw):
    """The data with arbitrary facts dated at or after AS_OF: HR changes, completions, new assignments, activity."""
    rng = np.random.default_rng(draw(st.integers(0, 10**6)))
    hr = data.hr
    who = rng.choice(hr["learner_id"].unique(), 20)
    extra = hr.drop_duplicates("learner_id").set_index("learner_id").loc[who].reset_index()
    extra["effective_from"] = AS_OF + pd.to_timedelta(rng.integers(0, 200 * 24, len(extra)), unit="h")
    extra["job_level"] = rng.integers(1, 6, len(extra)).astype(float)
    extra["manager_id"] = rng.choice(hr["manager_id"].dropna().unique(), len(extra))
    extra["department"] = "Elsewhere"
    hr = pd.concat([hr, extra]).drop_duplicates(["learner_id", "effective_from"]).reset_index(drop=True)
    e = data.enrollments.copy()
    later = e["completed_at"] >= AS_OF
    open_now = e["completed_at"].isna()
    floor = e["registered_at"].where(e["registered_at"] > AS_OF, AS_OF)  # never before registering
    e.loc[later, "completed_at"] = floor[later] + pd.to_timedelta(rng.integers(0, 90 * 24, int(later.sum())), unit="h")
    flip = open_now & (rng.random(len(e)) < 0.5)  # some open ones complete later
    e.loc[flip, "completed_at"] = floor[flip] + pd.Timedelta(days=3)
    e.loc[flip, "outcome"] = "pass"
    # new assignments dated at or after the cutoff (a course the learner had not been assigned)
    course = "LEADERSHIP-2025"
    new = np.setdiff1d(data.learners["learner_id"], e.loc[e["course_id"] == course, "learner_id"])[:10]
    when = AS_OF + pd.to_timedelta(rng.integers(0, 30 * 24, len(new)), unit="h")
    e = pd.concat([e, pd.DataFrame({"learner_id": new, "course_id": course, "registered_at": when, "withdrawn_at": pd.NaT,
                                    "outcome": None, "completed_at": pd.NaT})], ignore_index=True)
    assignments = pd.concat([data.assignments, pd.DataFrame({
        "learner_id": new, "course_id": course, "assigned_at": when, "due_at": when + pd.Timedelta(days=60),
        "required": 0, "recertification_of": None})], ignore_index=True)
    act = data.activity
    noise = act.sample(200, random_state=int(rng.integers(0, 1000))).assign(
        timestamp=AS_OF + pd.to_timedelta(rng.integers(0, 1000, 200), unit="h"))
    return data.replace(hr=hr, enrollments=e, assignments=assignments, activity=pd.concat([act, noise], ignore_index=True))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_later_facts_change_no_feature(base, data_strategy):
    data, feats = base
    changed = build_features(_later(data, data_strategy.draw), as_of=AS_OF)
    pd.testing.assert_frame_equal(changed, feats)


def test_hr_rows_count_from_their_effective_date(base):
    data, feats = base
    learner = feats["learner_id"].iloc[0]
    promo = data.hr[data.hr.learner_id == learner].iloc[[0]].assign(effective_from=AS_OF - pd.Timedelta(hours=1), job_level=9.0)
    at = build_features(data.replace(hr=pd.concat([data.hr, promo], ignore_index=True)), as_of=AS_OF)
    assert (at.loc[at.learner_id == learner, "job_level"] == 9.0).all()
    exact = promo.assign(effective_from=AS_OF)  # effective at the cutoff: not before it
    same = build_features(data.replace(hr=pd.concat([data.hr, exact], ignore_index=True)), as_of=AS_OF)
    pd.testing.assert_frame_equal(same, feats)


def test_overdue_labels_only_open_assignments(base):
    data, feats = base
    y = make_labels(data, feats, "overdue")
    is_open = open_assignments(data, feats)
    assert y[~is_open].isna().all() and y[is_open].notna().any()
    rows = feats[is_open & y.notna().to_numpy()].merge(data.enrollments, on=["learner_id", "course_id"]).merge(
        data.assignments, on=["learner_id", "course_id"])
    expected = (~(rows["completed_at"] <= rows["due_at"])).astype(float).to_numpy()
    np.testing.assert_array_equal(y[is_open & y.notna().to_numpy()].to_numpy(), expected)


def test_labels_of_a_cut_world_agree_with_the_whole_world(base):
    from learnrisk import synthetic

    data, _ = base
    cut = synthetic.generate(n_learners=160, seed=3, scenario="corporate", as_of="2025-08-04")
    fc, ff = build_features(cut, weeks=[1, 3]), build_features(data, weeks=[1, 3])
    keys = ["learner_id", "course_id", "week"]
    m = fc[keys].assign(cut=make_labels(cut, fc, "overdue").to_numpy()).merge(
        ff[keys].assign(whole=make_labels(data, ff, "overdue").to_numpy()), on=keys)
    known = m.dropna(subset=["cut"])
    assert len(known) > 200 and (known["cut"] == known["whole"]).all()
    assert known["cut"].sum() > 20  # overdue assignments of the running year are labelled, not only completers


def test_an_assignment_made_after_the_cutoff_is_unknown_at_it(base):
    """A learner enrolled before the cutoff whose course is assigned only after it: the assignment's
    dates, its required flag and its count are facts of the future, as if there were no assignment."""
    data, feats = base
    row = feats[open_assignments(data, feats)].iloc[0]
    key = (data.assignments["learner_id"] == row.learner_id) & (data.assignments["course_id"] == row.course_id)
    without = build_features(data.replace(assignments=data.assignments[~key].reset_index(drop=True)), as_of=AS_OF)
    later = data.assignments.copy()
    later.loc[key, "assigned_at"] = AS_OF + pd.Timedelta(days=1)
    later.loc[key, "due_at"] = AS_OF + pd.Timedelta(days=30)
    after = build_features(data.replace(assignments=later), as_of=AS_OF)
    pd.testing.assert_frame_equal(after, without)
