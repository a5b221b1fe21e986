"""Estimated risk reduction: re-scoring with the driver moved to the cohort median, batched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk.explaining import explain
from learnrisk.explaining._drivers import cohort_medians
from learnrisk.explaining._interventions import Intervention, InterventionCatalog, Trigger
from learnrisk.explaining._whatif import estimate_reductions


def test_reduction_is_zero_when_the_driver_is_at_the_cohort_median(tree_model, feats):
    rows = feats.iloc[:50]
    f = "days_since_last_activity"
    medians = cohort_medians(feats, rows, tree_model.source_columns_)
    at_median = rows.copy()
    at_median[f] = medians[f].to_numpy()
    cat = InterventionCatalog([Intervention("i", "t", "d", "tutor", "email", (Trigger(feature=f),))])
    recs = pd.DataFrame({"_pos": np.arange(len(rows)), "intervention_id": "i", "_features": [[f]] * len(rows)})
    raw = tree_model.decision_function(at_median)
    out = estimate_reductions(tree_model, at_median, medians, recs, cat, raw)
    assert (out["estimated_reduction"] == 0).all()
    np.testing.assert_array_equal(out["risk_after"], out["risk_now"])
    # the same rows away from the median do move: the test is not vacuous
    moved = estimate_reductions(tree_model, rows, medians, recs, cat, tree_model.decision_function(rows))
    assert (moved["reduction_log_odds"].abs() > 1e-9).any()


def test_all_reductions_are_zero_when_each_learner_is_its_own_cohort(tree_model, feats, top_rows):
    """With a cohort of one row per (course, week), every median is the learner's own value."""
    one = feats[top_rows].drop_duplicates(["course_id", "week"])
    # triggers without value conditions (the default catalog's "above the median" never fires here)
    cat = InterventionCatalog(
        [Intervention(g, g, "d", "tutor", "email", (Trigger(group=g),)) for g in ("engagement", "submissions", "scores")]
    )
    ex = explain(tree_model, one, cohort=one, interventions=cat)
    assert len(ex.recommendations) > 0
    assert (ex.recommendations["estimated_reduction"] == 0).all()
    np.testing.assert_allclose(ex.recommendations["reduction_log_odds"], 0.0, atol=0)


def test_reduction_equals_rescoring_by_hand(tree_model, feats, top_rows):
    ex = explain(tree_model, feats, rows=top_rows)
    recs = ex.recommendations
    assert (recs["estimated_reduction"] > 0).any()
    cat = ex.interventions
    for _, r in recs.head(25).iterrows():
        row = feats.loc[[r["row"]]].copy()
        same = feats[(feats["course_id"] == r["course_id"]) & (feats["week"] == r["week"])]
        inter = cat[r["intervention_id"]]
        moves = inter.moves or dict.fromkeys(r["triggered_by"].split(", "), "median")
        for f, to in moves.items():
            row[f] = same[f].median() if to == "median" else to
        p_after = tree_model.predict_proba(row)[0]
        p_now = tree_model.predict_proba(feats.loc[[r["row"]]])[0]
        assert r["risk_after"] == pytest.approx(p_after, abs=1e-12)
        assert r["risk_now"] == pytest.approx(p_now, abs=1e-12)
        assert r["estimated_reduction"] == pytest.approx(max(0.0, p_now - p_after), abs=1e-12)


def test_recommendations_are_ranked_by_estimated_reduction(tree_model, feats, top_rows):
    recs = explain(tree_model, feats, rows=top_rows).recommendations
    for _, g in recs.groupby("row"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        assert g["estimated_reduction"].is_monotonic_decreasing
    assert (recs["estimated_reduction"] >= 0).all()
    assert ((recs["risk_now"] - recs["risk_after"]).clip(lower=0) == recs["estimated_reduction"]).all()


def test_rescoring_is_batched_one_call_per_intervention(tree_model, feats, top_rows, monkeypatch):
    calls = []
    original = type(tree_model).decision_function

    def counting(self, frame):
        calls.append(len(frame))
        return original(self, frame)

    monkeypatch.setattr(type(tree_model), "decision_function", counting)
    ex = explain(tree_model, feats, rows=top_rows)
    n_interventions = ex.recommendations["intervention_id"].nunique()
    assert n_interventions >= 2
    assert len(calls) == n_interventions
    assert sum(calls) == len(ex.recommendations)


def test_fixed_target_value_from_the_catalog(tree_model, feats):
    f = "assessments_missed"
    rows = feats[feats[f] >= 1].head(20)
    assert len(rows) > 0
    medians = cohort_medians(feats, rows, tree_model.source_columns_)
    cat = InterventionCatalog([Intervention("i", "t", "d", "tutor", "email", (Trigger(feature=f),), moves={f: 0.0})])
    recs = pd.DataFrame({"_pos": np.arange(len(rows)), "intervention_id": "i", "_features": [[f]] * len(rows)})
    out = estimate_reductions(tree_model, rows, medians, recs, cat, tree_model.decision_function(rows))
    expected = tree_model.predict_proba(rows.assign(**{f: 0.0}))
    np.testing.assert_allclose(out["risk_after"], expected)
