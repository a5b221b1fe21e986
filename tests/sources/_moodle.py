"""Shared by the Moodle tests: the synthetic data written as Moodle's tables, and the check that
what comes back is the same canonical data on the fields Moodle carries, with the same features."""

from __future__ import annotations

import numpy as np
import pandas as pd

import learnrisk
from learnrisk import synthetic

from .roundtrip import marked_later

WEEKS = [1, 3, 6, 10]


def small_data():
    # 2 codes x 2 offerings, ~35 enrollments: every outcome, quizzes (CMA) and assignments (TMA,
    # Exam); most scores marked after the submission (grade_grades.timemodified)
    return marked_later(synthetic.generate(n_learners=32, n_courses=2, offerings=2, seed=11))


def _sorted(frame: pd.DataFrame, keys) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def assert_same_as_written(original, back) -> None:
    """``back`` (read with ``ids=idnumber``) equals ``original`` on every field Moodle carries."""
    c0, c1 = _sorted(original.courses, "course_id"), _sorted(back.courses, "course_id")
    for col in ("course_id", "course_code", "start", "end", "title"):
        assert c1[col].tolist() == c0[col].tolist(), col

    keys = ["learner_id", "course_id"]
    e0, e1 = _sorted(original.enrollments, keys), _sorted(back.enrollments, keys)
    for col in ("learner_id", "course_id", "registered_at", "withdrawn_at"):
        assert e1[col].tolist() == e0[col].tolist(), col
    # distinction is a pass in Moodle (a course total over gradepass); fail and withdrawn are kept
    assert e1["outcome"].tolist() == e0["outcome"].replace({"distinction": "pass"}).tolist()
    np.testing.assert_allclose(e1["final_score"].to_numpy(float), e0["final_score"].to_numpy(float), equal_nan=True)
    assert sorted(back.learners["learner_id"]) == sorted(e0["learner_id"].unique())

    a0, a1 = _sorted(original.assessments, "assessment_id"), _sorted(back.assessments, "assessment_id")
    for col in ("assessment_id", "course_id", "due_at", "title"):
        assert a1[col].tolist() == a0[col].tolist(), col
    np.testing.assert_allclose(a1["weight"].to_numpy(float), a0["weight"].to_numpy(float), atol=1e-6)
    assert a1["kind"].tolist() == np.where(a0["kind"] == "CMA", "quiz", "assign").tolist()

    skeys = ["learner_id", "assessment_id"]
    s0, s1 = _sorted(original.submissions, skeys), _sorted(back.submissions, skeys)
    for col in (*skeys, "submitted_at", "scored_at"):
        assert s1[col].tolist() == s0[col].tolist(), col
    np.testing.assert_allclose(s1["score"].to_numpy(float), s0["score"].to_numpy(float), equal_nan=True)

    # activity: one log row per click, summed back at the same instant; resource ids are the
    # course module ids the writer numbered (one per original resource, never merged)
    akeys = ["learner_id", "course_id", "timestamp", "activity_type"]
    g0 = original.activity.groupby(akeys)["clicks"].sum().sort_index()
    g1 = back.activity.groupby(akeys)["clicks"].sum().sort_index()
    pd.testing.assert_series_equal(g1, g0)
    numbered = {r: str(i) for i, r in enumerate(sorted(original.activity["resource_id"].dropna().unique()), start=1)}
    mod0 = original.activity[original.activity["activity_type"] != "homepage"].assign(
        resource_id=lambda f: f["resource_id"].map(numbered))
    module = back.activity["activity_type"] != "homepage"
    r0 = mod0.groupby([*akeys, "resource_id"])["clicks"].sum().sort_index()
    r1 = back.activity[module].groupby([*akeys, "resource_id"])["clicks"].sum().sort_index()
    pd.testing.assert_series_equal(r1, r0)
    assert back.activity.loc[~module, "resource_id"].isna().all()


def assert_same_features(original, back) -> None:
    """The same features (all but the background ones Moodle does not carry)."""
    f0 = learnrisk.build_features(original, weeks=WEEKS)
    f1 = learnrisk.build_features(back, weeks=WEEKS)
    keys = ["course_id", "learner_id", "week"]
    f0, f1 = _sorted(f0, keys), _sorted(f1, keys)
    assert len(f0) > 50
    drop = [c for c in ("prior_attempts", "credits") if c in f0.columns]
    pd.testing.assert_frame_equal(f1.drop(columns=drop, errors="ignore")[f0.drop(columns=drop).columns], f0.drop(columns=drop), check_dtype=False)
