"""The round-trip check the event formats share (xAPI, Caliper): what the format carries comes
back, and the features on it are the same."""

from __future__ import annotations

import pandas as pd

import learnrisk

KEYS = ["learner_id", "course_id", "timestamp", "activity_type", "resource_id"]


def assert_same_on_what_events_carry(back, d, weeks) -> None:
    """``back`` (read from the writer's output) against the synthetic ``d``: activity (identical
    rows summed), submissions, the assessments submitted to, course dates; and the features,
    with ``d``'s enrollments (withdrawals and outcomes are labels no event format carries)."""
    want = d.activity.groupby(KEYS, sort=True)["clicks"].sum().reset_index()
    pd.testing.assert_frame_equal(back.activity.sort_values(KEYS).reset_index(drop=True)[want.columns], want, check_dtype=False)
    cols = ["learner_id", "assessment_id", "submitted_at", "score"]
    pd.testing.assert_frame_equal(
        back.submissions[cols].sort_values(cols[:2]).reset_index(drop=True),
        d.submissions[cols].sort_values(cols[:2]).reset_index(drop=True), check_dtype=False,
    )
    seen = d.assessments[d.assessments["assessment_id"].isin(d.submissions["assessment_id"])]
    acols = ["assessment_id", "course_id", "kind", "due_at", "weight"]
    pd.testing.assert_frame_equal(
        back.assessments[acols].sort_values("assessment_id").reset_index(drop=True),
        seen[acols].sort_values("assessment_id").reset_index(drop=True), check_dtype=False,
    )
    dates = ["course_id", "start", "end"]
    pd.testing.assert_frame_equal(back.courses[dates].sort_values("course_id").reset_index(drop=True),
                                  d.courses[dates].sort_values("course_id").reset_index(drop=True), check_dtype=False)
    base = learnrisk.LearningData(d.courses, d.learners, d.enrollments, d.activity, seen, d.submissions)
    mixed = learnrisk.LearningData(d.courses, d.learners, d.enrollments, back.activity, back.assessments, back.submissions)
    pd.testing.assert_frame_equal(learnrisk.build_features(mixed, weeks=weeks), learnrisk.build_features(base, weeks=weeks))
