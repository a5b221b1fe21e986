"""RiskModel as a scikit-learn estimator: clone, parameters, fitted attributes, the calibrator's
recorded choice, drift week by week, and the applicable checks of sklearn.utils.estimator_checks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from learnrisk.errors import LearnriskError, NotFittedError
from learnrisk.training import Calibrator, RiskModel, drift_by_feature, psi

PARAMS = {"estimator", "target", "calibration", "random_state", "columns", "holdout"}
WEEKS = range(1, 7)


def weekly_frame(n_learners=300, seed=0):
    """One row per learner and week; clicks and submissions grow with the week, as in real features."""
    rng = np.random.default_rng(seed)
    engaged = rng.normal(size=n_learners)
    rows = []
    for w in WEEKS:
        rows.append(
            pd.DataFrame(
                {
                    "learner_id": [f"L{i}" for i in range(n_learners)],
                    "course_id": "AAA-2014J",
                    "week": w,
                    "cutoff": pd.Timestamp("2014-10-01", tz="UTC") + pd.Timedelta(weeks=w),
                    "clicks_total": np.exp(engaged + rng.normal(0, 0.3, n_learners)) * 40 * w,
                    "submitted": np.floor(np.clip(engaged + 1.5, 0, None) * w / 2),
                }
            )
        )
    feats = pd.concat(rows, ignore_index=True)
    risk = 1 / (1 + np.exp(2 * np.tile(engaged, len(WEEKS))))
    y = (rng.random(len(feats)) < risk).astype(float)
    return feats, y


@pytest.fixture(scope="module")
def data():
    return weekly_frame()


@pytest.fixture(scope="module")
def fitted(data):
    feats, y = data
    return RiskModel("logistic", target="dropout").fit(feats, y)


# ---------------------------------------------------------------------------- parameters
def test_clone_of_a_configured_model_has_equal_parameters_and_is_unfitted(fitted):
    model = RiskModel("logistic", target="underperformance", calibration="sigmoid", columns=["week"], holdout=0.25)
    model.metadata["name"] = "kept on the original only"
    twin = clone(model)
    assert twin is not model
    assert twin.get_params() == model.get_params()
    assert twin.get_params()["calibration"] == "sigmoid" and twin.get_params()["holdout"] == 0.25
    assert twin.metadata == {}
    assert not hasattr(twin, "estimator_")
    again = clone(fitted)
    assert again.get_params() == fitted.get_params() and not hasattr(again, "calibrator_")
    with pytest.raises(NotFittedError):
        again.predict_proba(weekly_frame(20)[0])


def test_clone_deep_copies_an_estimator_parameter():
    forest = RandomForestClassifier(n_estimators=7, random_state=1)
    model = RiskModel(forest, target="dropout")
    twin = clone(model)
    assert twin.estimator is not forest and twin.estimator.get_params() == forest.get_params()


def test_get_params_and_set_params():
    model = RiskModel()
    assert set(model.get_params()) == PARAMS
    assert model.get_params() == {
        "estimator": "lightgbm", "target": "dropout", "calibration": "auto", "random_state": 0,
        "columns": None, "holdout": None,
    }
    assert model.set_params(estimator="logistic", calibration="isotonic", holdout=0.3) is model
    assert (model.estimator, model.calibration, model.holdout) == ("logistic", "isotonic", 0.3)
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(metadata={})


def test_init_stores_parameters_only_and_metadata_is_created_on_use():
    model = RiskModel("logistic", target="dropout")
    assert set(vars(model)) == PARAMS
    model.metadata["registered_name"] = "dropout-risk"
    assert model.metadata == {"registered_name": "dropout-risk"}
    assert "metadata" not in model.get_params()


def test_metadata_survives_fit_and_clone_drops_it(data):
    feats, y = data
    model = RiskModel("logistic")
    model.metadata["note"] = "before fit"
    model.fit(feats, y)
    model.metadata["after"] = 1
    assert model.metadata == {"note": "before fit", "after": 1}
    assert model.metadata_ is model.metadata
    assert clone(model).metadata == {}


# ---------------------------------------------------------------------------- fitted state
@pytest.mark.parametrize("call", ["predict_proba", "predict", "decision_function", "drift", "prepare"])
def test_not_fitted_error_before_fit(call, data):
    feats, _ = data
    model = RiskModel("logistic")
    with pytest.raises(NotFittedError, match="not fitted yet") as err:
        getattr(model, call)(feats)
    assert isinstance(err.value, ValueError) and isinstance(err.value, AttributeError)
    assert isinstance(err.value, LearnriskError)
    with pytest.raises(NotFittedError):
        model.get_feature_names_out()


def test_check_is_fitted_follows_the_fitted_state(fitted):
    model = RiskModel("logistic")
    model.metadata["x"] = 1  # metadata_ ends in "_" but does not make a model fitted
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(model)
    check_is_fitted(fitted)


def test_fit_adds_only_attributes_ending_in_underscore(data):
    feats, y = data
    model = RiskModel("logistic", calibration="sigmoid", columns=["week", "clicks_total", "submitted"])
    before = dict(vars(model))
    model.fit(feats, y)
    added = set(vars(model)) - set(before)
    assert added and all(name.endswith("_") for name in added)
    assert {k: vars(model)[k] for k in before} == before  # parameters untouched
    assert {"estimator_", "calibrator_", "classes_", "n_features_in_", "feature_names_in_"} <= added


def test_classes_features_in_and_names_out(fitted, data):
    feats, _ = data
    assert fitted.classes_.tolist() == [0, 1]
    assert fitted.n_features_in_ == feats.shape[1]
    assert fitted.feature_names_in_.tolist() == list(feats.columns)
    assert fitted.get_feature_names_out().tolist() == fitted.feature_names_ == ["week", "clicks_total", "submitted"]
    p = fitted.predict_proba(feats)
    assert p.shape == (len(feats),)  # the documented deviation: one column, the positive class
    assert np.array_equal(fitted.predict(feats), (p >= 0.5).astype(int))
    assert 0.0 <= fitted.score(feats, (fitted.predict(feats))) <= 1.0


def test_any_two_labels_and_numpy_arrays(data):
    feats, y = data
    X = feats[["week", "clicks_total", "submitted"]].to_numpy()
    labels = np.where(y == 1, "left", "stayed")
    model = RiskModel("logistic").fit(X, labels)
    assert model.classes_.tolist() == ["left", "stayed"]  # sorted: "stayed" is the positive class
    assert model.feature_names_ == ["x0", "x1", "x2"] and not hasattr(model, "feature_names_in_")
    assert model.n_features_in_ == 3
    assert set(model.predict(X[:50])) <= {"left", "stayed"}
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(X[:, :2])


def test_fit_keywords_override_the_parameters_for_that_fit(data):
    feats, y = data
    model = RiskModel("logistic", columns=["week", "clicks_total"], holdout=0.2)
    model.fit(feats, y, columns=["clicks_total"])
    assert model.feature_names_ == ["clicks_total"] and model.columns == ["week", "clicks_total"]
    model.fit(feats, y)
    assert model.feature_names_ == ["week", "clicks_total"]


def test_label_errors(data):
    feats, y = data
    with pytest.raises(LearnriskError, match="one class"):
        RiskModel("logistic").fit(feats, np.zeros(len(feats)))
    with pytest.raises(ValueError, match="drop unlabelled rows"):
        RiskModel("logistic").fit(feats, np.where(np.arange(len(y)) == 3, np.nan, y))
    with pytest.raises(ValueError, match="Only binary classification"):
        RiskModel("logistic").fit(feats, np.arange(len(y)) % 3)


# ---------------------------------------------------------------------------- calibrator
@pytest.mark.parametrize("n, chosen", [(1000, "isotonic"), (999, "sigmoid")])
def test_calibrator_records_its_choice_and_keeps_its_parameter(n, chosen):
    rng = np.random.default_rng(n)
    raw = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-raw))).astype(float)
    cal = Calibrator("auto").fit(raw, y)
    assert cal.method == "auto" and cal.get_params() == {"method": "auto"}
    assert cal.method_ == chosen
    assert hasattr(cal, "iso_") == (chosen == "isotonic")
    assert hasattr(cal, "a_") == (chosen == "sigmoid")
    p = cal.transform(raw)
    assert np.all((p > 0) & (p < 1)) and np.array_equal(np.argsort(p, kind="stable"), np.argsort(raw, kind="stable"))


def test_calibrator_unfitted_and_unknown_method():
    with pytest.raises(NotFittedError):
        Calibrator().transform(np.zeros(3))
    with pytest.raises(LearnriskError, match="unknown calibration"):
        Calibrator("beta").fit(np.zeros(4), np.array([0, 1, 0, 1]))


def test_risk_model_calibration_parameter_is_never_overwritten(fitted):
    assert fitted.calibration == "auto" and fitted.calibrator_.method == "auto"
    assert fitted.n_calibration_rows_ < 1000 and fitted.calibrator_.method_ == "sigmoid"
    assert "calibration='sigmoid'" in repr(fitted)


# ---------------------------------------------------------------------------- drift
def test_drift_compares_each_week_with_the_same_training_week(fitted, data):
    feats, _ = data
    week3 = feats[feats["week"] == 3]
    detail = fitted.drift(week3, by_week=True)
    assert set(detail["week"]) == {3} and set(detail["reference_week"]) == {3}
    assert set(detail["reference"]) == {"same week"} and set(detail["rows"]) == {len(week3)}
    assert detail["psi"].abs().max() < 1e-9  # the very rows of training week 3
    X = fitted.prepare(week3)
    pooled = {f: psi(fitted.reference_[f], X[f].to_numpy()) for f in ("clicks_total", "submitted")}
    assert max(pooled.values()) > 0.25  # against all weeks pooled, week 3 "drifts" by construction
    table = fitted.drift(week3)
    assert list(table.columns) == ["feature", "psi"] and table["psi"].max() < 1e-9


def test_drift_of_an_untrained_week_uses_the_nearest_and_without_week_the_pooled(fitted, data):
    feats, _ = data
    later = feats[feats["week"] == 6].assign(week=9)
    detail = fitted.drift(later, by_week=True)
    assert set(detail["reference_week"]) == {6} and set(detail["reference"]) == {"nearest week"}
    no_week = RiskModel("logistic", columns=["clicks_total", "submitted"]).fit(feats.drop(columns="week"), data[1])
    pooled = no_week.drift(feats.drop(columns="week"), by_week=True)
    assert set(pooled["reference"]) == {"pooled"} and pooled["week"].isna().all()
    assert pooled["psi"].abs().max() < 1e-9


def test_drift_by_feature_is_the_row_weighted_mean_over_weeks(fitted, data):
    feats, _ = data
    rows = pd.concat([feats[feats["week"] == 2], feats[feats["week"] == 5].head(100).assign(clicks_total=1e6)])
    detail = fitted.drift(rows, by_week=True)
    table = drift_by_feature(detail).set_index("feature")["psi"]
    n2, n5 = (rows["week"] == 2).sum(), (rows["week"] == 5).sum()
    by = detail.set_index(["feature", "week"])["psi"]
    expected = (n2 * by[("clicks_total", 2)] + n5 * by[("clicks_total", 5)]) / (n2 + n5)
    assert table["clicks_total"] == pytest.approx(expected)
    assert table.index[0] == "clicks_total" and table["clicks_total"] > 0.25
    assert fitted.drift(rows).set_index("feature")["psi"].to_dict() == pytest.approx(table.to_dict())


# ---------------------------------------------------------------------------- sklearn checks
# predict_proba returns the positive class only (shape (n,)): every list, evaluation, fairness
# audit and explanation of the package reads it so; decision_function is the *uncalibrated*
# estimator's log-odds (the space explanations live in) while predict thresholds the calibrated
# probability at 0.5, so "decision_function > 0" and predict may disagree near the boundary.
ONE_COLUMN = "predict_proba returns the positive class only, shape (n,), not (n, 2)"
UNCALIBRATED = "decision_function is the uncalibrated log-odds; predict thresholds the calibrated probability"
COMMON_XFAIL = {
    "check_estimators_unfitted": (
        "raises learnrisk.errors.NotFittedError (a ValueError and an AttributeError, like "
        "scikit-learn's) which is not sklearn.exceptions.NotFittedError: errors.py does not import scikit-learn"
    ),
    "check_classifiers_train": f"{ONE_COLUMN}; {UNCALIBRATED}",
    "check_decision_proba_consistency": ONE_COLUMN,
}
LIGHTGBM_XFAIL = {
    **COMMON_XFAIL,
    "check_classifiers_train": (
        f"{ONE_COLUMN}; the LightGBM defaults (min_child_samples=200, early stopping) are tuned for "
        "tens of thousands of rows, not the check's 200"
    ),
    "check_classifiers_classes": f"{UNCALIBRATED} (and 20 training rows give LightGBM no split)",
}


def _expected_failures(estimator):
    return LIGHTGBM_XFAIL if estimator.estimator == "lightgbm" else COMMON_XFAIL


@parametrize_with_checks(
    [RiskModel("logistic", target="underperformance", calibration="sigmoid"), RiskModel("lightgbm")],
    expected_failed_checks=_expected_failures,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
