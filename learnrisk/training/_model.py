"""`RiskModel`: a fitted, calibrated risk model over a features frame.

A RiskModel takes the frame that :func:`learnrisk.build_features` returns and gives one
calibrated probability per row. It owns three things: how the frame becomes a numeric matrix
(``prepare``), the estimator that ranks (``estimator_``), and the calibrator that turns raw
scores into probabilities (``calibrator_``).

Why one model across weeks (``week`` is a feature) rather than one model per week: the
weekly windows share most of their signal (recency, missed work), a single model sees 20x more
rows, its probabilities are comparable from week to week, and it can score any week, including
weeks it was not trained on. The evaluation reports every metric per week, so a week where the
pooled model is weak shows up.

Why isotonic calibration: the calibration set (a split by learner of the training offerings)
has tens of thousands of rows in practice, where isotonic regression is unbiased and needs no
shape assumption; under 1,000 calibration rows we fall back to Platt (sigmoid) scaling, which is
steadier on little data. Both are fitted on learners the estimator never saw.

A RiskModel follows the scikit-learn estimator contract: ``__init__`` stores its parameters,
``clone`` and ``get_params``/``set_params`` work, fitted attributes end in ``_`` and using an
unfitted model raises :class:`learnrisk.errors.NotFittedError`. One deliberate deviation:
``predict_proba`` returns one column (the probability of the positive class, shape ``(n,)``),
not scikit-learn's ``(n, 2)``: every risk list, evaluation and explanation of the package reads
it that way. ``predict`` gives the class at a 0.5 calibrated probability.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from ..errors import ConfigError, LearnriskError, NotFittedError
from ..metrics import rank_average, roc_auc
from ._persist import read_model, write_model

KEYS = ("learner_id", "course_id", "week", "cutoff")
MIN_ISOTONIC_ROWS = 1000
MIN_CODE_CALIBRATION_ROWS = 1000  # a course code gets its own calibrator from this many rows on
AUTO = "auto"
CROSSFIT_FOLDS = 5
SELECTION_TIE = 0.002  # LOOO AUCs this close go to the simpler candidate
MONOTONE_MIN_CORR = 0.05
# strongly regularized trees (issue 18): 4 leaves, 200 rows per leaf, 30 % of the columns per
# tree, L2 10, a slow rate and a fixed, small number of trees (no early stopping)
# model="lightgbm": small, regularised trees and a slow learning rate: the weekly windows are
# noisy and mostly additive; early stopping on held-out learners picks the size
LIGHTGBM = dict(
    n_estimators=1500,
    learning_rate=0.03,
    num_leaves=15,
    min_child_samples=200,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.7,
    reg_lambda=5.0,
    n_jobs=1,  # 2 threads gain little here and collapse under any other load (OpenMP spin-waits)
    verbose=-1,
)
REGULARIZED = {**LIGHTGBM, "n_estimators": 100, "num_leaves": 4, "colsample_bytree": 0.3, "reg_lambda": 10.0}
# the candidates of model="auto", simplest (most regularized) first: ties go to the earlier
CANDIDATES: dict[str, dict[str, Any]] = {
    "lgbm-reg-50": {"kind": "lgbm", "n_estimators": 50},
    "logistic-reg": {"kind": "logistic", "C": 0.1},
    "lgbm-monotone": {"kind": "lgbm", "n_estimators": 100, "monotone": True},
    "lgbm-reg-100": {"kind": "lgbm", "n_estimators": 100},
    "lgbm-reg-200": {"kind": "lgbm", "n_estimators": 200},
    "lgbm-8leaves-100": {"kind": "lgbm", "n_estimators": 100, "num_leaves": 8},
}
FALLBACK = "lgbm-reg-50"
TIE_BREAK = 1e-6
PROB_FLOOR = 0.005
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def make_estimator(kind: str | BaseEstimator, random_state: int = 0) -> BaseEstimator:
    """The estimator behind a name: ``"lightgbm"`` (default), ``"logistic"``, or any classifier.

    Classifiers that cannot take missing values are put behind a median imputer.
    """
    if isinstance(kind, str):
        if kind == "lightgbm":
            from lightgbm import LGBMClassifier

            return LGBMClassifier(**LIGHTGBM, random_state=random_state)
        if kind == "logistic":
            return _logistic(1.0)
        if kind in CANDIDATES:
            spec = dict(CANDIDATES[kind])
            if spec.pop("kind") == "logistic":
                return _logistic(spec["C"])
            from lightgbm import LGBMClassifier

            spec.pop("monotone", None)
            return LGBMClassifier(**{**REGULARIZED, **spec}, random_state=random_state)
        raise ConfigError(
            f"unknown model {kind!r}; allowed: 'auto', 'lightgbm', 'logistic', {', '.join(map(repr, CANDIDATES))}, "
            "or a scikit-learn classifier"
        )
    if not hasattr(kind, "fit") or not hasattr(kind, "predict_proba"):
        raise TypeError(f"expected a scikit-learn classifier with predict_proba, found {type(kind).__name__}")
    est = clone(kind)
    if _handles_nan(est):
        return est
    return Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("model", est)])


def _logistic(C: float) -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=C, max_iter=2000)),
        ]
    )


def check_model(kind: str | BaseEstimator) -> None:
    """Fail early (ConfigError or TypeError) on a model that :class:`RiskModel` cannot build."""
    if kind != AUTO:
        make_estimator(kind)


def build_candidate(kind: str | BaseEstimator, X: pd.DataFrame, y: np.ndarray, random_state: int = 0) -> BaseEstimator:
    """:func:`make_estimator`, with the monotone constraints of ``lgbm-monotone`` read off ``(X, y)``."""
    est = make_estimator(kind, random_state)
    if isinstance(kind, str) and CANDIDATES.get(kind, {}).get("monotone"):
        est.set_params(monotone_constraints=monotone_signs(X, y))
    return est


def monotone_signs(X: pd.DataFrame, y: np.ndarray, min_abs: float = MONOTONE_MIN_CORR) -> list[int]:
    """Per column, the sign of its rank (Spearman) correlation with ``y``; 0 when under ``min_abs``.

    Missing values are left out of each column's correlation (LightGBM routes them apart).
    """
    y = np.asarray(y, dtype=float)
    signs = []
    for name in X.columns:
        x = X[name].to_numpy(dtype=float)
        ok = np.isfinite(x)
        if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
            signs.append(0)
            continue
        rx, ry = rank_average(x[ok]), rank_average(y[ok])
        rho = float(np.corrcoef(rx, ry)[0, 1])
        signs.append(0 if not np.isfinite(rho) or abs(rho) < min_abs else int(np.sign(rho)))
    return signs


def _handles_nan(est: BaseEstimator) -> bool:
    if getattr(est, "_handles_nan", False):
        return True
    name = type(est).__name__
    return name.startswith(("LGBM", "HistGradientBoosting", "XGB")) or isinstance(est, Pipeline)


def estimator_kind(est: BaseEstimator) -> str:
    """``"tree"`` for LightGBM, ``"linear"`` for a logistic regression pipeline, else ``"other"``."""
    final = est.steps[-1][1] if isinstance(est, Pipeline) else est
    if type(final).__name__.startswith("LGBM"):
        return "tree"
    if isinstance(final, LogisticRegression):
        return "linear"
    return "other"


class Calibrator(BaseEstimator):
    """Maps raw log-odds to calibrated probabilities (isotonic, or sigmoid on small data).

    Parameters
    ----------
    method : {"isotonic", "sigmoid", "auto", "none"}, default "isotonic"
        ``auto`` is isotonic from 1,000 rows on, sigmoid below. Never changed by ``fit``.

    Attributes (after fit)
    ----------------------
    method_ : the method used, ``auto`` resolved ("isotonic", "sigmoid" or "none")
    iso_ : the fitted IsotonicRegression (isotonic only)
    a_, b_ : slope and intercept on the raw score (sigmoid only)
    """

    def __init__(self, method: str = "isotonic") -> None:
        self.method = method

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        method = self.method
        if method == "auto":
            method = "isotonic" if len(y) >= MIN_ISOTONIC_ROWS else "sigmoid"
        if method == "isotonic":
            # bounded away from 0 and 1: a block of held-out learners who all stayed is evidence
            # of a low risk, not of none (and an advisor should never read "0 %" or "100 %")
            self.iso_ = IsotonicRegression(y_min=PROB_FLOOR, y_max=1.0 - PROB_FLOOR, out_of_bounds="clip").fit(raw, y)
        elif method == "sigmoid":
            lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
            self.a_, self.b_ = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        elif method != "none":
            raise ConfigError(f"unknown calibration {method!r}; allowed: 'isotonic', 'sigmoid', 'auto', 'none'")
        self.method_ = method
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "method_")

    def transform(self, raw: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # exp of a large raw score is inf, and 1 / (1 + inf) is 0: right
            return self._transform(np.asarray(raw, dtype=float))

    def _transform(self, raw: np.ndarray) -> np.ndarray:
        method = getattr(self, "method_", None)
        if method is None:
            raise NotFittedError("this Calibrator is not fitted yet; call fit() first")
        if method == "isotonic":
            # Isotonic regression is flat on each block; a ranking that is flat loses the
            # model's order inside the block (ties that lower AUC and make top-k arbitrary).
            # A 1e-6 share of the raw score's sigmoid keeps the map strictly increasing: the
            # order of the raw scores is kept exactly and no probability moves by more than 1e-6.
            p = self.iso_.predict(raw) + TIE_BREAK * (1.0 / (1.0 + np.exp(-raw)) - 0.5)
            return np.clip(p, PROB_FLOOR - TIE_BREAK, 1.0 - PROB_FLOOR + TIE_BREAK)
        if method == "sigmoid":
            return 1.0 / (1.0 + np.exp(-(self.a_ * raw + self.b_)))
        return 1.0 / (1.0 + np.exp(-raw))


class RiskModel(ClassifierMixin, BaseEstimator):
    """A calibrated risk model over a features frame (a scikit-learn classifier).

    Parameters
    ----------
    estimator : "auto", "lightgbm", "logistic", a candidate name, or a scikit-learn classifier
        ``"lightgbm"`` (default) and ``"logistic"``: early stopping and calibration on held-out
        learners (``holdout``). ``"auto"``: the candidates of :data:`CANDIDATES` (strongly
        regularized LightGBM settings, a regularized logistic regression, a monotone LightGBM)
        are compared by leave-one-offering-out validation inside the training rows (needs a
        ``course_id`` column), the winner is refit on all rows (``selection_``, ``chosen_``). A
        candidate name (e.g. ``"lgbm-reg-100"``) fits that candidate without the selection.
        ``"auto"`` and the candidates have a fixed number of trees and are calibrated by
        cross-fitting (out-of-fold raw scores of 5 folds grouped by learner fit the calibrator;
        the final estimator sees every row), so no learner is held out of the final model.
    target : {"dropout", "underperformance", "not_passing"}
    calibration : {"auto", "isotonic", "sigmoid", "none"}, default "auto"
        ``auto`` is isotonic from 1,000 calibration rows on, sigmoid below.
    (Calibration per course code: ``"auto"`` and the candidates get one calibrator per course
    code with at least 1,000 calibration rows and both classes; the other codes and unseen
    codes use the pooled one. ``fit(..., calibrate_by=...)`` changes that for one fit.)
    random_state : int
    columns : list of str, optional
        Model input columns (default: every column but the keys ``learner_id``, ``course_id``,
        ``cutoff``; ``week`` is an input).
    holdout : float, optional
        Share of learners kept out of fitting for early stopping and calibration (default 30 %
        for LightGBM: 10 % for early stopping and 20 % for calibration; 20 % otherwise).

    Attributes (after fit)
    ----------------------
    estimator_ : the fitted estimator (raw scores are its log-odds)
    calibrator_ : Calibrator (the method it chose is ``calibrator_.method_``), pooled
    calibrators_ : dict, course code -> Calibrator (empty when pooled only)
    course_codes_ : dict, course_id -> course code of the training offerings
    chosen_ : str, the estimator fitted (the winning candidate for ``"auto"``)
    selection_ : DataFrame or None, for ``"auto"``: one row per candidate, its leave-one-offering-out
        ROC AUC (mean over weeks) per held-out offering, ``mean`` and ``chosen``
    selection_note_ : str, how the candidate was chosen
    classes_ : ndarray, the two labels (``[0, 1]`` for 0/1 labels); the second is "at risk"
    n_features_in_ : int, number of columns of the frame (or array) passed to fit
    feature_names_in_ : ndarray of str, its column names (only when fit was given a DataFrame)
    source_columns_ : list of str, the columns of the features frame the model reads
    feature_names_ : list of str, the model's input columns in order (one-hot ``attribute=value``
        columns for categories); also :meth:`get_feature_names_out`
    kind_ : "tree", "linear" or "other" (how the explainer gets contributions)
    reference_ : dict, per feature the training bin edges and shares (for drift, PSI)
    reference_by_week_ : dict, week -> the same for the training rows of that week
    metadata : dict, free-form facts (training offerings, data digest, registry name, version);
        stored as ``metadata_``, created empty on first use, not a parameter (``clone`` drops it)

    Notes
    -----
    ``predict_proba`` returns the probability of the positive class only, shape ``(n,)``, where
    scikit-learn returns ``(n, 2)``; the package's risk lists, evaluation, fairness audit and
    explanations all read one column. Numpy arrays are accepted (columns named ``x0``, ``x1``...);
    without a ``learner_id`` column each row is its own learner in the splits.

    Examples
    --------
    >>> model = RiskModel("lightgbm", target="dropout").fit(train_feats, y, groups)  # doctest: +SKIP
    >>> p = model.predict_proba(feats)                                                # doctest: +SKIP
    """

    def __init__(
        self,
        estimator: str | BaseEstimator = "lightgbm",
        *,
        target: str = "dropout",
        calibration: str = "auto",
        random_state: int = 0,
        columns: list[str] | None = None,
        holdout: float | None = None,
    ) -> None:
        self.estimator = estimator
        self.target = target
        self.calibration = calibration
        self.random_state = random_state
        self.columns = columns
        self.holdout = holdout

    # ------------------------------------------------------------------ metadata
    @property
    def metadata(self) -> dict[str, Any]:
        """Free-form facts about the model (a dict, created empty on first use, kept by save/load)."""
        md = self.__dict__.get("metadata_")
        if md is None:
            md = self.__dict__["metadata_"] = {}
        return md

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self.__dict__["metadata_"] = dict(value)

    def __setstate__(self, state: dict) -> None:
        # a model pickled before metadata became the fitted attribute metadata_
        if "metadata" in state:
            state = dict(state)
            state["metadata_"] = state.pop("metadata")
        super().__setstate__(state)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "estimator_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # LightGBM takes NaN; other estimators sit behind an imputer
        tags.classifier_tags.multi_class = False
        return tags

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def _as_frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """A DataFrame as is; anything else validated as a numeric matrix with columns x0, x1...

        (A DataFrame given to a model fitted on an array is read as an array, by position.)
        """
        if isinstance(X, pd.DataFrame) and (reset or hasattr(self, "feature_names_in_")):
            return X
        arr = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan", dtype="numeric")
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    # ------------------------------------------------------------------ matrix
    def prepare(self, features: pd.DataFrame) -> pd.DataFrame:
        """The numeric matrix the estimator sees: model columns in training order.

        Category columns (sensitive attributes, only when asked for) are one-hot encoded with the
        categories seen in training, named ``attribute=value``.
        """
        self._check_fitted()
        features = self._as_frame(features, reset=False)
        src = self.source_columns_
        missing = [c for c in src if c not in features.columns]
        if missing:
            raise LearnriskError(
                f"the features frame lacks {len(missing)} model column(s): {missing[:8]}; "
                "build it with learnrisk.build_features using the same options as in training"
            )
        return self._encode(features[src])

    def _encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        cats = getattr(self, "categories_", {})
        if not cats:
            return frame.astype("float64")
        parts = [frame.drop(columns=list(cats)).astype("float64")]
        for col, values in cats.items():
            s = frame[col].astype("object")
            parts.append(pd.DataFrame({f"{col}={v}": (s == v).astype("float64") for v in values}, index=frame.index))
        return pd.concat(parts, axis=1)[self.feature_names_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The model's input columns, as the estimator sees them (``feature_names_``)."""
        self._check_fitted()
        return np.asarray(self.feature_names_, dtype=object)

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        features: pd.DataFrame | np.ndarray,
        y: pd.Series | np.ndarray,
        groups: pd.Series | np.ndarray | None = None,
        *,
        columns: list[str] | None = None,
        holdout: float | None = None,
        course_codes: dict[str, str] | None = None,
        calibrate_by: str | None = "auto",
    ) -> RiskModel:
        """Fit on labelled rows; early stopping and calibration use splits *by learner*.

        A ``holdout`` share of learners is kept out of fitting (default 30 % for LightGBM: 10 %
        for early stopping and 20 % for calibration; 20 % for other estimators, all calibrating).

        Parameters
        ----------
        features : DataFrame from build_features (rows with NaN labels must be dropped first), or
            a numeric array
        y : labels 0/1 aligned to ``features`` (any two labels: the larger is "at risk")
        groups : learner ids aligned to ``features`` (default: its learner_id column, else one
            group per row); all rows of a learner go to the same side of the split, so no
            learner is both fitted on and calibrated on.
        columns, holdout : override the parameters of the same name for this fit (kept for
            calls written before they were parameters)
        course_codes : dict, optional
            course_id -> course code (``data.courses``), for per-code calibration; default: the
            part of the course_id before its last ``-`` (``"AAA-2013J"`` -> ``"AAA"``)
        calibrate_by : {"auto", "course_code", None}, default "auto"
            ``"course_code"``: one calibrator per course code with at least 1,000 calibration
            rows and both classes, the pooled calibrator for the other codes and for codes not
            seen in training (a row's code comes from its ``course_id``). ``None``: one pooled
            calibrator. ``"auto"``: per course code for ``"auto"`` and the candidates, pooled
            for the other estimators (as before).
        """
        if isinstance(features, pd.DataFrame):
            self.n_features_in_ = features.shape[1]
            self.feature_names_in_ = np.asarray(features.columns, dtype=object)
        else:  # sets n_features_in_ and drops feature_names_in_
            features = self._as_frame(features, reset=True)
        y = _labels(y, self)
        if len(y) != len(features):
            raise ValueError(f"features has {len(features)} rows but y has {len(y)} labels")
        columns = self.columns if columns is None else columns
        holdout = self.holdout if holdout is None else holdout
        if columns is None:
            columns = [c for c in features.columns if c not in KEYS or c == "week"]
        self.source_columns_ = list(columns)
        self.categories_ = {
            c: sorted(map(str, features[c].dropna().unique()))
            for c in columns
            if isinstance(features[c].dtype, pd.CategoricalDtype) or features[c].dtype == object
        }
        self.feature_names_ = list(columns)
        encoded = self._encode_fit(features[columns])
        self.feature_names_ = list(encoded.columns)
        if groups is not None:
            groups = np.asarray(groups)
        elif "learner_id" in features.columns:
            groups = features["learner_id"].to_numpy()
        else:
            groups = np.arange(len(features))
        offerings = features["course_id"].astype(str).to_numpy() if "course_id" in features.columns else None
        wk = features["week"].to_numpy() if "week" in features.columns else np.zeros(len(features))
        # every offering the caller knows (the test offerings too), not only the training ones
        self.course_codes_ = {str(k): str(v) for k, v in (course_codes or {}).items()} | _code_map(offerings, course_codes)
        codes = _codes(offerings, self.course_codes_)
        chosen, self.selection_, self.selection_note_ = self.estimator, None, ""
        if isinstance(self.estimator, str) and self.estimator == AUTO:
            chosen, self.selection_, self.selection_note_ = select_candidate(encoded, y, offerings, wk, self.random_state)
        self.chosen_ = chosen if isinstance(chosen, str) else type(chosen).__name__
        crossfit = isinstance(chosen, str) and chosen in CANDIDATES
        if crossfit:
            est = build_candidate(chosen, encoded, y, self.random_state).fit(encoded, y)
            cal_idx = np.arange(len(y))
            raw_cal = crossfit_raw(chosen, encoded, y, groups, self.random_state)
            keep = np.isfinite(raw_cal)
            cal_idx, raw_cal = cal_idx[keep], raw_cal[keep]
            n_fit = len(y)
        else:
            est = build_candidate(chosen, encoded, y, self.random_state)
            if holdout is None:
                holdout = 0.3 if estimator_kind(est) == "tree" else 0.2
            fit_idx, stop_idx, cal_idx = _fit_stop_calibrate(groups, y, holdout, self.random_state, estimator_kind(est))
            if stop_idx is not None:
                import lightgbm

                est.fit(
                    encoded.iloc[fit_idx],
                    y[fit_idx],
                    eval_X=(encoded.iloc[stop_idx],),
                    eval_y=(y[stop_idx],),
                    callbacks=[lightgbm.early_stopping(100, verbose=False)],
                )
            else:
                est.fit(encoded.iloc[fit_idx], y[fit_idx])
            raw_cal = None
            n_fit = len(fit_idx)
        self.estimator_ = est
        self.kind_ = estimator_kind(est)
        if raw_cal is None:
            raw_cal = self._raw(encoded.iloc[cal_idx])
        if calibrate_by not in ("auto", "course_code", None):
            raise ConfigError(f"unknown calibrate_by {calibrate_by!r}; allowed: 'auto', 'course_code', None")
        by_code = calibrate_by == "course_code" or (calibrate_by == "auto" and crossfit)
        self.calibrator_, self.calibrators_ = fit_calibrators(
            raw_cal, y[cal_idx], codes[cal_idx] if by_code and offerings is not None else None, self.calibration
        )
        self.reference_ = _reference_bins(encoded)
        # per-week references: a weekly risk list is one week, compared with that week in training
        self.reference_by_week_ = {int(w): _reference_bins(encoded[wk == w]) for w in np.unique(wk)}
        self.n_train_rows_ = n_fit
        self.n_calibration_rows_ = len(cal_idx)
        self.base_rate_ = float(y.mean())
        return self

    def _encode_fit(self, frame: pd.DataFrame) -> pd.DataFrame:
        cats = self.categories_
        if not cats:
            return frame.astype("float64")
        names = [c for c in frame.columns if c not in cats] + [f"{c}={v}" for c, vs in cats.items() for v in vs]
        self.feature_names_ = names
        return self._encode(frame)

    # ------------------------------------------------------------------ predict
    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        return raw_scores(self.estimator_, X)

    def decision_function(self, features: pd.DataFrame) -> np.ndarray:
        """Raw scores (log-odds of the uncalibrated estimator), the space explanations live in."""
        return self._raw(self.prepare(features))

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """One calibrated probability per row of ``features``, in the same order, shape ``(n,)``.

        The probability of the positive class (``classes_[1]``) only; scikit-learn's classifiers
        return ``(n, 2)``. ``np.column_stack([1 - p, p])`` gives that shape.
        """
        raw = self.decision_function(features)
        course = None
        if getattr(self, "calibrators_", None):
            frame = self._as_frame(features, reset=False)
            course = frame["course_id"].to_numpy() if "course_id" in frame.columns else None
        return self.calibrate_raw(raw, course)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """The label of each row: ``classes_[1]`` where the calibrated probability is 0.5 or more."""
        p = self.predict_proba(features)
        return self.classes_[(p >= 0.5).astype(int)]

    def add_course_codes(self, course_codes: dict[str, str]) -> RiskModel:
        """Tell a fitted model the course code of offerings it has not seen (``{course_id: code}``,
        e.g. from ``data.courses``), so that their rows go through their code's calibrator. Ids
        it does not know otherwise get the part before the last ``-`` (``AAA-2014J`` -> ``AAA``).
        The scoring job does this with the data it scores."""
        self._check_fitted()
        self.course_codes_ = {**getattr(self, "course_codes_", {}), **{str(k): str(v) for k, v in course_codes.items()}}
        return self

    def calibrate_raw(self, raw: np.ndarray, course_id: Any = None) -> np.ndarray:
        """Calibrated probabilities for raw scores (used by the explainer's what-if re-scoring).

        ``course_id`` (one per score, or one for all): with per-code calibrators, each score goes
        through its course code's calibrator (the pooled one for codes without their own);
        without it every score goes through the pooled calibrator.
        """
        self._check_fitted()
        raw = np.asarray(raw, dtype=float)
        cals = getattr(self, "calibrators_", None)
        if not cals or course_id is None:
            return self.calibrator_.transform(raw)
        course = np.broadcast_to(np.asarray(course_id, dtype=object), raw.shape)
        codes = _codes(course.astype(str), getattr(self, "course_codes_", {}))
        out = self.calibrator_.transform(raw) if not np.isin(codes, list(cals)).all() else np.empty(raw.shape)
        for code, cal in cals.items():
            m = codes == code
            if m.any():
                out[m] = cal.transform(raw[m])
        return out

    # ------------------------------------------------------------------ drift
    def drift(self, features: pd.DataFrame, *, by_week: bool = False) -> pd.DataFrame:
        """Population stability index (PSI) of each model input against training, week by week.

        Most features grow with the course week (clicks so far, assessments due), so the rows of
        one week compared with all training weeks pooled would "drift" by construction. The rows
        of each week of ``features`` are compared with the training rows of the same week
        (``reference_by_week_``); a week not trained on is compared with the nearest trained
        week (ties: the earlier). Without a ``week`` column the pooled reference is used.

        Returns
        -------
        DataFrame
            ``by_week=False``: one row per model input, ``feature`` and ``psi`` (the row-weighted
            mean over the weeks of ``features``), largest first. ``by_week=True``: one row per
            week and input, ``week``, ``reference_week``, ``reference`` ("same week", "nearest
            week" or "pooled"), ``rows`` (rows of that week), ``feature``, ``psi``.
        """
        X = self.prepare(features)
        by_ref = getattr(self, "reference_by_week_", None) or {}
        features = self._as_frame(features, reset=False)
        parts: list[tuple[Any, Any, str, np.ndarray, dict]] = []
        if by_ref and "week" in features.columns:
            week = features["week"].to_numpy()
            trained = np.array(sorted(by_ref))
            for w in np.unique(week):
                ref_w = int(trained[np.argmin(np.abs(trained - w))])  # argmin: the earlier on a tie
                label = "same week" if ref_w == w else "nearest week"
                parts.append((int(w), ref_w, label, week == w, by_ref[ref_w]))
        else:
            parts.append((None, None, "pooled", np.ones(len(X), dtype=bool), self.reference_))
        rows = [
            {
                "week": w,
                "reference_week": ref_w,
                "reference": label,
                "rows": int(mask.sum()),
                "feature": name,
                "psi": psi(ref[name], X.loc[mask, name].to_numpy()),
            }
            for w, ref_w, label, mask, ref in parts
            for name in X.columns
            if name in ref
        ]
        cols = ["week", "reference_week", "reference", "rows", "feature", "psi"]
        detail = pd.DataFrame(rows, columns=cols)
        detail[["week", "reference_week"]] = detail[["week", "reference_week"]].astype("Int64")
        return detail if by_week else drift_by_feature(detail)

    # ------------------------------------------------------------------ io
    def save(self, path: str | os.PathLike) -> Path:
        """Save to a folder: ``model.json`` (and ``booster.txt`` for LightGBM), no pickle.

        Every fitted attribute is stored as data (see :mod:`learnrisk.training._persist`), so
        :meth:`load` never runs code from the folder. Load with :meth:`load` or
        :func:`learnrisk.load_model`.
        """
        return write_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, trust_pickle: bool = False) -> RiskModel:
        """Load a model saved with :meth:`save` (a folder, or its ``model.json``).

        A folder of the former format (``model.pkl`` only) is refused with ModelLoadError:
        unpickling runs any code the file holds. ``trust_pickle=True`` loads it anyway, for a
        file whose source you trust (save it again to convert it).
        """
        return read_model(cls, path, trust_pickle=trust_pickle)

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        est = self.estimator if isinstance(self.estimator, str) else type(self.estimator).__name__
        if est == AUTO and hasattr(self, "chosen_"):
            est = f"auto: {self.chosen_}"
        if not self.__sklearn_is_fitted__():
            return f"RiskModel({est!r}, target={self.target!r}, not fitted)"
        return (
            f"RiskModel({est!r}, target={self.target!r}, {len(self.feature_names_)} features, "
            f"calibration={self.calibrator_.method_!r}, trained on {self.n_train_rows_:,} rows)"
        )


def _labels(y: Any, model: RiskModel) -> np.ndarray:
    """Labels as 0.0/1.0 (the second of the two sorted labels is 1); sets ``model.classes_``."""
    y = column_or_1d(y, warn=True)
    if pd.isna(y).any():
        raise ValueError("labels contain NaN: drop unlabelled rows before fit")
    if y.dtype.kind in "fc" and not np.isfinite(y).all():
        raise ValueError("labels contain infinite values; expected two labels such as 0 and 1")
    check_classification_targets(y)  # "Unknown label type: continuous" for a regression target
    classes = np.unique(y)
    if len(classes) < 2:
        raise ConfigError(f"need both classes to fit a {model.target} model; found one class only: {classes}")
    if len(classes) > 2:
        raise ConfigError(
            f"Only binary classification is supported: a RiskModel needs two labels; y has {len(classes)}: {classes[:10]}"
        )
    model.classes_ = np.array([0, 1]) if set(classes.tolist()) <= {0, 1} else classes
    return (y == classes[1]).astype(float)


def raw_scores(est: BaseEstimator, X: pd.DataFrame) -> np.ndarray:
    """The raw score (log-odds) of a fitted estimator: LightGBM's raw score, a decision function,
    or the logit of its probability."""
    if estimator_kind(est) == "tree":
        return est.predict(X, raw_score=True)
    if hasattr(est, "decision_function"):
        return np.asarray(est.decision_function(X), dtype=float)
    return _logit(est.predict_proba(X)[:, 1])


def course_code_of(course_id: str) -> str:
    """The course code of an offering id by the ``CODE-PRESENTATION`` convention (OULAD, synthetic):
    the part before the last ``-``; the whole id when it has none."""
    return str(course_id).rsplit("-", 1)[0]


def _code_map(offerings: np.ndarray | None, given: dict[str, str] | None) -> dict[str, str]:
    if offerings is None:
        return {}
    ids = pd.unique(offerings)
    given = given or {}
    return {str(c): str(given.get(c, course_code_of(c))) for c in ids}


def _codes(offerings: np.ndarray | None, known: dict[str, str]) -> np.ndarray:
    """Course code per row (known ids from the map, others by :func:`course_code_of`)."""
    if offerings is None:
        return np.full(0, "", dtype=object)
    uniq, inv = np.unique(np.asarray(offerings, dtype=str), return_inverse=True)
    return np.array([known.get(c, course_code_of(c)) for c in uniq], dtype=object)[inv]


def fit_calibrators(
    raw: np.ndarray, y: np.ndarray, codes: np.ndarray | None, method: str
) -> tuple[Calibrator, dict[str, Calibrator]]:
    """The pooled calibrator, and one per course code with >= 1,000 rows and both classes."""
    pooled = Calibrator(method).fit(raw, y)
    per_code: dict[str, Calibrator] = {}
    if codes is not None and len(codes) == len(y):
        for code in sorted(set(codes.tolist())):
            m = codes == code
            if m.sum() >= MIN_CODE_CALIBRATION_ROWS and 0 < y[m].sum() < m.sum():
                per_code[str(code)] = Calibrator(method).fit(raw[m], y[m])
    return pooled, per_code


def learner_folds(groups: np.ndarray, n_folds: int, random_state: int) -> np.ndarray:
    """A fold number per row: learners (all their rows together) dealt at random into ``n_folds``."""
    uniq, inv = np.unique(groups, return_inverse=True)
    rng = np.random.default_rng(random_state)
    fold_of = rng.permutation(len(uniq)) % n_folds
    return fold_of[inv]


def crossfit_raw(
    kind: str | BaseEstimator, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, random_state: int, n_folds: int = CROSSFIT_FOLDS
) -> np.ndarray:
    """Out-of-fold raw scores: for each of ``n_folds`` folds of learners, ``kind`` fitted on the
    other folds scores this one (NaN for a fold whose fitting rows hold one class only)."""
    fold = learner_folds(groups, n_folds, random_state)
    out = np.full(len(y), np.nan)
    for k in range(n_folds):
        held = fold == k
        if not held.any() or len(np.unique(y[~held])) < 2:
            continue
        est = build_candidate(kind, X[~held], y[~held], random_state).fit(X[~held], y[~held])
        out[held] = raw_scores(est, X[held])
    if not np.isfinite(out).any() or len(np.unique(y[np.isfinite(out)])) < 2:
        raise ConfigError(f"cannot cross-fit a calibrator on {len(np.unique(groups))} learners: too few rows of one class")
    return out


def mean_weekly_auc(y: np.ndarray, score: np.ndarray, weeks: np.ndarray) -> float:
    """Mean over weeks of the ROC AUC (weeks with one class left out; NaN when none has both)."""
    aucs = [roc_auc(y[weeks == w], score[weeks == w]) for w in np.unique(weeks)]
    aucs = [a for a in aucs if np.isfinite(a)]
    return float(np.mean(aucs)) if aucs else float("nan")


def select_candidate(
    X: pd.DataFrame,
    y: np.ndarray,
    offerings: np.ndarray | None,
    weeks: np.ndarray,
    random_state: int = 0,
    candidates: list[str] | None = None,
) -> tuple[str, pd.DataFrame | None, str]:
    """Leave-one-offering-out selection among ``candidates`` (default: all of :data:`CANDIDATES`).

    Each training offering in turn is held out; every candidate is fitted on the other offerings
    and scored on it by its ROC AUC per week, averaged over weeks. A candidate's score is the mean
    over held-out offerings. The best wins, except that a candidate within 0.002 of the best and
    simpler (earlier in :data:`CANDIDATES`) is preferred. With fewer than two offerings (or no
    ``course_id``) there is nothing to hold out: the most regularized candidate is used and the
    note says so.

    Returns (chosen name, the selection table or None, a note).
    """
    names = list(candidates or CANDIDATES)
    ids = [] if offerings is None else sorted(pd.unique(offerings))
    if len(ids) < 2:
        what = f"one training offering ({ids[0]})" if ids else "no course_id column"
        return FALLBACK, None, (
            f"model auto: {what}, so no leave-one-offering-out validation is possible; "
            f"using the most regularized candidate, {FALLBACK}"
        )
    table = {n: {} for n in names}
    for held in ids:
        va = offerings == held
        tr = ~va
        if len(np.unique(y[tr])) < 2:
            continue
        for name in names:
            est = build_candidate(name, X[tr], y[tr], random_state).fit(X[tr], y[tr])
            table[name][held] = mean_weekly_auc(y[va], raw_scores(est, X[va]), weeks[va])
    sel = pd.DataFrame.from_dict(table, orient="index", columns=ids)
    sel.index.name = "candidate"
    sel["mean"] = sel[ids].mean(axis=1, skipna=True)
    if sel["mean"].isna().all():
        return FALLBACK, None, f"model auto: no held-out offering has both classes; using {FALLBACK}"
    best = sel["mean"].max()
    chosen = next(n for n in names if sel.loc[n, "mean"] >= best - SELECTION_TIE)
    sel["chosen"] = sel.index == chosen
    note = (
        f"model auto: {chosen} chosen by leave-one-offering-out validation over {len(ids)} training offerings "
        f"(mean weekly ROC AUC {sel.loc[chosen, 'mean']:.3f}; best {best:.3f}; ties within {SELECTION_TIE} go to the simpler)"
    )
    return chosen, sel.reset_index(), note


def drift_by_feature(detail: pd.DataFrame) -> pd.DataFrame:
    """One PSI per feature from :meth:`RiskModel.drift` ``(by_week=True)``: the row-weighted mean
    over the weeks, largest first (ties by feature name)."""
    if detail.empty:
        return pd.DataFrame({"feature": pd.Series(dtype=object), "psi": pd.Series(dtype=float)})
    weight = detail["rows"] / detail.drop_duplicates("week")["rows"].sum()
    table = (detail.assign(psi=detail["psi"] * weight).groupby("feature", sort=False)["psi"].sum()).reset_index()
    return table.sort_values(["psi", "feature"], ascending=[False, True], kind="mergesort", ignore_index=True)


def _fit_stop_calibrate(
    groups: np.ndarray, y: np.ndarray, holdout: float, random_state: int, kind: str, tries: int = 20
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Row indices to fit on, to stop early on (trees only, else None) and to calibrate on.

    A ``holdout`` share of learners is held out; for trees, early stopping and calibration use
    different held-out learners (a third and two thirds), so the number of trees is not chosen
    on the rows the calibrator learns from. The fitting and calibration rows must each hold both
    classes: on very small data a draw that misses one is redrawn with the next seed (real data
    always passes on the first draw, which is ``random_state`` itself).
    """
    for attempt in range(tries):
        seed = random_state + 7919 * attempt
        fit_idx, held = split_by_learner(groups, holdout, seed)
        stop_idx, cal_idx = None, held
        if kind == "tree":
            cal_part, stop_part = split_by_learner(groups[held], 1 / 3, seed + 1)
            stop_idx, cal_idx = held[stop_part], held[cal_part]
        if len(np.unique(y[fit_idx])) == 2 and len(np.unique(y[cal_idx])) == 2 and (stop_idx is None or len(stop_idx)):
            return fit_idx, stop_idx, cal_idx
    raise ConfigError(
        f"cannot hold out {holdout:.0%} of {len(np.unique(groups))} learners with both classes on each side "
        f"({int(y.sum())} positive of {len(y)} rows); give more rows or another holdout"
    )


def split_by_learner(groups: np.ndarray, holdout: float, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of (fit, holdout): a random ``holdout`` share of *learners*, all their rows together."""
    uniq, inv = np.unique(groups, return_inverse=True)
    rng = np.random.default_rng(random_state)
    held = rng.random(len(uniq)) < holdout
    mask = held[inv]
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _reference_bins(X: pd.DataFrame, n_bins: int = 10) -> dict[str, dict]:
    ref = {}
    for name in X.columns:
        v = X[name].to_numpy(dtype=float)
        finite = v[np.isfinite(v)]
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1)[1:-1])) if len(finite) else np.array([])
        ref[name] = {"edges": edges.tolist(), "shares": _shares(v, edges).tolist()}
    return ref


def _shares(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values per bin: the bins cut by ``edges`` plus one bin for missing values."""
    nan = ~np.isfinite(v)
    idx = np.searchsorted(edges, v[~nan], side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    counts = np.append(counts, nan.sum())
    return counts / max(counts.sum(), 1.0)


def psi(reference: dict, values: np.ndarray, eps: float = 1e-4) -> float:
    """Population stability index: sum over bins of (p - q) * ln(p / q)."""
    edges = np.asarray(reference["edges"], dtype=float)
    q = np.asarray(reference["shares"], dtype=float)
    p = _shares(np.asarray(values, dtype=float), edges)
    p, q = np.clip(p, eps, None), np.clip(q, eps, None)
    return float(np.sum((p - q) * np.log(p / q)))
