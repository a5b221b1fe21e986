"""Drivers: cohort medians at the same cutoff, ranking, sentences with the learner's and cohort's values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk.explaining import explain
from learnrisk.explaining._drivers import cohort_medians, feature_metadata, select_drivers
from learnrisk.explaining._sentences import driver_sentence, format_value
from learnrisk.features import catalog


def test_cohort_median_is_per_course_and_week():
    cohort = pd.DataFrame(
        {
            "learner_id": ["a", "b", "c", "d", "e", "f"],
            "course_id": ["X", "X", "X", "X", "Y", "Y"],
            "week": [1, 1, 1, 2, 1, 1],
            "days_since_last_activity": [1.0, 2.0, 12.0, 30.0, 5.0, np.nan],
        }
    )
    rows = cohort.iloc[[2, 3, 5]]
    med = cohort_medians(cohort, rows, ["days_since_last_activity"])
    # X week 1: median of 1, 2, 12 = 2; X week 2: only 30; Y week 1: 5 (NaN skipped)
    assert med["days_since_last_activity"].tolist() == [2.0, 30.0, 5.0]
    assert med.index.equals(rows.index)


def test_sentences_use_learner_and_cohort_values():
    meta = catalog().set_index("name")
    assert driver_sentence("days_since_last_activity", 12.0, 2.0, meta.loc["days_since_last_activity"], {}) == (
        "no activity for 12 days; course median 2 days"
    )
    assert driver_sentence(
        "assessments_missed", 2.0, 0.0, meta.loc["assessments_missed"], {"assessments_due": 3.0}
    ) == "missed 2 of 3 assessments due so far; course median 0"
    assert driver_sentence("days_since_last_activity", 1.0, 1.0, meta.loc["days_since_last_activity"], {}) == (
        "no activity for 1 day; course median 1 day"
    )
    assert driver_sentence("never_active", 1.0, 0.0, meta.loc["never_active"], {}) == "no activity at all in the course yet"


def test_generic_sentence_for_a_feature_without_template():
    entry = {"description": "Forum posts in the last week (any forum)", "unit": "posts"}
    assert driver_sentence("forum_posts_1w", 0.0, 3.0, entry, {}) == "forum posts in the last week: 0 posts (course median 3 posts)"
    assert driver_sentence("forum_posts_1w", 0.0, np.nan, entry, {}) == "forum posts in the last week: 0 posts"
    # a template whose other feature is missing falls back to the generic sentence
    meta = catalog().set_index("name")
    text = driver_sentence("assessments_missed", 2.0, 0.0, meta.loc["assessments_missed"], {})
    assert text.startswith("assessments past their due date") and "(course median 0)" in text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(12.0, "days", "12 days"), (0.25, "share", "25%"), (3.0, "count", "3"), (np.nan, "days", "none yet"), (2.5, "days", "2.5 days")],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit, with_unit=True) == text


def test_every_catalog_feature_gets_a_sentence(tree_model, feats):
    meta = feature_metadata(tree_model, catalog())
    row = feats.iloc[0]
    for name in tree_model.source_columns_:
        text = driver_sentence(name, row[name], 1.0, meta.loc[name], row.to_dict())
        assert text and "{" not in text and "nan" not in text


def test_drivers_raise_risk_and_are_ranked(tree_model, feats, top_rows):
    ex = explain(tree_model, feats, rows=top_rows, top_n=3)
    d = ex.drivers
    assert len(d) > 0 and (d["contribution"] > 0).all()
    for label, g in d.groupby("row"):
        c = ex.contributions.loc[label]
        positive = c[c > 0].sort_values(ascending=False)
        # the top 3 drivers of any kind are there, in order, with their contribution
        top3 = list(positive.index[:3])
        assert list(g.loc[g["rank"] <= 3, "driver"]) == top3
        np.testing.assert_allclose(g.set_index("driver").loc[top3, "contribution"], positive.iloc[:3])
        # plus up to 3 actionable ones; nothing else
        actionable = [f for f in positive.index if ex.metadata.loc[f, "actionable"]][:3]
        assert set(g["driver"]) == set(top3) | set(actionable)
        assert g["rank"].is_monotonic_increasing


def test_driver_values_and_cohort_medians_come_from_the_whole_cohort(tree_model, feats, top_rows):
    """Explaining a few rows uses the medians of all rows at the same (course, week)."""
    ex = explain(tree_model, feats, rows=top_rows)
    first = ex.drivers.iloc[0]
    same = feats[(feats["course_id"] == first["course_id"]) & (feats["week"] == first["week"])]
    assert first["cohort_value"] == pytest.approx(same[first["driver"]].median())
    assert first["value"] == pytest.approx(feats.loc[first["row"], first["driver"]])
    assert len(same) > top_rows.sum() / 10  # the cohort, not the explained rows


def test_sensitive_and_background_drivers_are_context(sensitive_model, feats):
    ex = explain(sensitive_model, feats, rows=np.arange(0, len(feats), 3), top_n=5)
    meta = ex.metadata
    assert meta.loc["gender", "sensitive"] and not meta.loc["gender", "actionable"]
    assert not meta.loc["prior_attempts", "actionable"] and not meta.loc["week", "actionable"]
    d = ex.drivers
    assert not d.loc[d["sensitive"], "actionable"].any()
    assert d["driver"].isin(["gender", "age_band", "region", "disability", "deprivation", "prior_education"]).any()


def test_unknown_columns_are_non_actionable_context(tree_model):
    stub = pd.DataFrame({"name": ["days_since_last_activity"], "group": ["engagement"], "description": ["x"],
                         "actionable": [True], "sensitive": [False], "unit": ["days"]})
    meta = feature_metadata(tree_model, stub)
    assert meta.loc["days_since_last_activity", "actionable"]
    assert not meta.drop(index="days_since_last_activity")["actionable"].any()
    assert meta.loc["week", "group"] == "timing"


def test_select_drivers_on_a_hand_made_frame():
    rows = pd.DataFrame({"learner_id": ["a"], "course_id": ["X"], "week": [3], "f1": [12.0], "f2": [0.0], "f3": [1.0]})
    contrib = pd.DataFrame({"f1": [0.5], "f2": [-0.2], "f3": [0.1]})
    meta = pd.DataFrame({"group": ["g", "g", "h"], "description": ["one", "two", "three"], "unit": ["days", "", ""],
                         "actionable": [True, True, False], "sensitive": [False, False, False]}, index=["f1", "f2", "f3"])
    med = pd.DataFrame({"f1": [2.0], "f2": [1.0], "f3": [1.0]})
    d = select_drivers(contrib, rows, med, meta, top_n=3)
    assert d["driver"].tolist() == ["f1", "f3"]  # f2 lowers risk: not a driver
    assert d["sentence"].tolist() == ["one: 12 days (course median 2 days)", "three: 1 (course median 1)"]
    assert d["group_contribution"].tolist() == pytest.approx([0.3, 0.1])
    assert d["actionable"].tolist() == [True, False]


def test_course_relative_drivers_in_plain_words():
    from learnrisk.explaining._sentences import driver_sentence, z_words

    assert [z_words(z) for z in (-3.0, -0.8, 0.1, 1.2, 2.5)] == ["far below", "below", "close to", "above", "far above"]
    s = driver_sentence("score_z", -3.0, 0.09, {"description": "score z", "unit": "z-score"}, {})
    assert s == "average score far below the course average at this week"
    assert "SD" not in s and "median" not in s
