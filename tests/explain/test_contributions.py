"""Contributions add up to the raw score, and LightGBM's TreeSHAP equals shap's."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import shap

from learnrisk.explaining import feature_contributions
from learnrisk.training._contributions import input_contributions, source_of
from learnrisk.training import RiskModel


def _additivity_error(model, rows: pd.DataFrame) -> float:
    contrib, base = feature_contributions(model, rows)
    return float(np.max(np.abs(contrib.sum(axis=1).to_numpy() + base - model.decision_function(rows))))


def test_additivity_lightgbm(tree_model, feats):
    rows = feats.iloc[::7]
    contrib, base = feature_contributions(tree_model, rows)
    assert list(contrib.columns) == tree_model.source_columns_
    assert contrib.index.equals(rows.index)
    assert _additivity_error(tree_model, rows) < 1e-6
    # not vacuous: the contributions vary and carry most of the score
    assert contrib.abs().to_numpy().max() > 0.1


def test_additivity_logistic(linear_model, feats):
    rows = feats.iloc[::5]
    assert _additivity_error(linear_model, rows) < 1e-6


def test_linear_contributions_are_weight_times_standardized_value(linear_model, feats):
    rows = feats.iloc[:40]
    contrib, base = feature_contributions(linear_model, rows)
    pipe = linear_model.estimator_
    imp, scale, lr = pipe.named_steps["impute"], pipe.named_steps["scale"], pipe.named_steps["model"]
    x = imp.transform(linear_model.prepare(rows))
    expected = lr.coef_[0] * (x - scale.mean_) / scale.scale_
    np.testing.assert_allclose(contrib.to_numpy(), expected, atol=1e-12)
    assert base == pytest.approx(float(lr.intercept_[0]))


def test_native_tree_shap_equals_shap_tree_explainer(tree_model, feats):
    X = tree_model.prepare(feats.iloc[::3])
    native, base = input_contributions(tree_model, X)
    explainer = shap.TreeExplainer(tree_model.estimator_.booster_)
    with warnings.catch_warnings():
        # shap 0.51 warns that LightGBM binary output "changed to a list"; for a binary booster
        # shap_values still returns one (rows, features) array, checked below.
        warnings.filterwarnings("ignore", message="LightGBM binary classifier", category=UserWarning)
        values = explainer.shap_values(X)
    values = np.asarray(values)
    assert values.shape == X.shape
    np.testing.assert_allclose(native.to_numpy(), values, atol=1e-6, rtol=0)
    assert base == pytest.approx(float(np.ravel(explainer.expected_value)[0]), abs=1e-6)


def test_native_tree_shap_equals_shaps_own_algorithm(tree_model, feats):
    """For LightGBM, shap.TreeExplainer calls LightGBM's pred_contrib; check against shap's own
    C++ TreeSHAP too (the same explainer forced to its internal tree representation)."""
    X = tree_model.prepare(feats.iloc[::11])
    native, base = input_contributions(tree_model, X)
    explainer = shap.TreeExplainer(tree_model.estimator_.booster_)
    explainer.model.model_type = "internal"
    values = explainer.shap_values(X.to_numpy(dtype=float), check_additivity=False)
    np.testing.assert_allclose(native.to_numpy(), values, atol=1e-6, rtol=0)


def test_one_hot_inputs_map_back_to_their_attribute(sensitive_model, feats):
    assert any("=" in c for c in sensitive_model.feature_names_)
    mapping = source_of(sensitive_model)
    assert {mapping[c] for c in sensitive_model.feature_names_ if c.startswith("gender=")} == {"gender"}
    rows = feats.iloc[::9]
    contrib, _ = feature_contributions(sensitive_model, rows)
    assert list(contrib.columns) == sensitive_model.source_columns_
    assert "gender" in contrib.columns and not any("=" in c for c in contrib.columns)
    X = sensitive_model.prepare(rows)
    raw_in, _ = input_contributions(sensitive_model, X)
    gender_cols = [c for c in X.columns if c.startswith("gender=")]
    np.testing.assert_allclose(contrib["gender"], raw_in[gender_cols].sum(axis=1))
    assert _additivity_error(sensitive_model, rows) < 1e-6


@pytest.mark.slow  # the first shap model-agnostic call compiles numba code (10-50 s)
def test_additivity_other_estimator_with_shap(labelled):
    from sklearn.ensemble import HistGradientBoostingClassifier

    f, y = labelled
    cols = ["week", "days_since_last_activity", "clicks_4w", "assessments_missed", "score_mean"]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # OpenMP threads spin on a busy shared machine
        model = RiskModel(HistGradientBoostingClassifier(max_iter=30), target="dropout").fit(f, y, columns=cols)
    assert model.kind_ == "other"
    rows = f.iloc[:4]
    contrib, base = feature_contributions(model, rows, background=f.iloc[::20])
    with threadpool_limits(1):
        raw = model.decision_function(rows)
    err = np.abs(contrib.sum(axis=1).to_numpy() + base - raw)
    assert err.max() < 1e-6
    assert contrib.abs().to_numpy().max() > 0.01
