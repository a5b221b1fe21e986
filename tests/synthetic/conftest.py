"""Shared synthetic worlds for the generator's tests (generated once per test session)."""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk import synthetic


@pytest.fixture(scope="session")
def world():
    """5,000 learners, 3 codes x 4 offerings, with the truth (about 2 s)."""
    return synthetic.generate(n_learners=5000, n_courses=3, offerings=4, seed=1, return_truth=True)


def course_days(data) -> pd.DataFrame:
    """Activity with the course day and week of each row, and the enrollment's withdrawal day."""
    c = data.courses.set_index("course_id")["start"]
    act = data.activity
    start = act["course_id"].map(c)
    out = pd.DataFrame(
        {
            "learner_id": act["learner_id"],
            "course_id": act["course_id"],
            "day": (act["timestamp"] - start).dt.days,
            "clicks": act["clicks"],
        }
    )
    out["week"] = out["day"] // 7
    return out
