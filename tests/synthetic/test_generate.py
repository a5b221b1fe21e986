"""The generator's contract: valid canonical tables, seeded determinism, the course calendar."""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.data import LearningData


@pytest.fixture(scope="module")
def small() -> LearningData:
    return synthetic.generate(n_learners=600, n_courses=2, offerings=4, seed=3)


def test_output_passes_validation(small):
    again = LearningData(**small.tables(), validate=True)
    assert len(again.enrollments) == len(small.enrollments)
    assert set(small.enrollments["outcome"].dropna()) <= {"pass", "distinction", "fail", "withdrawn"}


def test_same_seed_gives_identical_tables():
    a = synthetic.generate(n_learners=200, n_courses=2, offerings=2, seed=11)
    b = synthetic.generate(n_learners=200, n_courses=2, offerings=2, seed=11)
    c = synthetic.generate(n_learners=200, n_courses=2, offerings=2, seed=12)
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name])
    assert a.digest() == b.digest() != c.digest()


def test_course_calendar_alternates_february_and_october(small):
    c = small.courses.set_index("course_id")
    assert list(c.index) == [f"{code}-{y}{s}" for code in ("AAA", "BBB") for y in (2013, 2014) for s in "BJ"]
    assert c.loc["AAA-2013B", "start"] == pd.Timestamp("2013-02-01", tz="UTC")
    assert c.loc["BBB-2014J", "start"] == pd.Timestamp("2014-10-01", tz="UTC")
    days = (c["end"] - c["start"]).dt.days
    assert days.between(230, 270).all()
    assert (c["pacing"] == "cohort").all()
    # A temporal split exists: within a code, each offering starts later than the one before,
    # and the latest starts after every other offering of its code has started.
    for _, group in c.groupby("course_code"):
        starts = group["start"].sort_index()
        assert starts.is_monotonic_increasing and starts.is_unique
        assert starts.idxmax() == starts.index[-1]


def test_enrollments_and_retakes(small):
    e = small.enrollments
    n_learners = len(small.learners)
    assert 1.04 * n_learners <= len(e) <= 1.16 * n_learners
    retakes = e[e.duplicated("learner_id", keep=False)].sort_values(["learner_id", "registered_at"])
    first = retakes.groupby("learner_id").first()
    last = retakes.groupby("learner_id").last()
    assert (last["prior_attempts"] == first["prior_attempts"] + 1).all()
    assert first["outcome"].isin(["fail", "withdrawn"]).all()
    for col in ("gender", "age_band", "region", "disability", "deprivation", "prior_education"):
        assert col in small.learners.columns and col in e.columns
    assert e.loc[e["outcome"] == "withdrawn", "final_score"].isna().all()
    assert e.loc[e["outcome"] != "withdrawn", "final_score"].notna().all()
    assert (e["withdrawn_at"].notna() == (e["outcome"] == "withdrawn")).all()
