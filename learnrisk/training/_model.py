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

import json
import os
import pickle
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

from ..errors import ConfigError, LearnriskError, ModelLoadError, NotFittedError

KEYS = ("learner_id", "course_id", "week", "cutoff")
MIN_ISOTONIC_ROWS = 1000
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

            return LGBMClassifier(
                # small, regularised trees and a slow learning rate: the weekly windows are
                # noisy and mostly additive; early stopping on held-out learners picks the size
                n_estimators=1500,
                learning_rate=0.03,
                num_leaves=15,
                min_child_samples=200,
                subsample=0.8,
                subsample_freq=1,
                colsample_bytree=0.7,
                reg_lambda=5.0,
                random_state=random_state,
                n_jobs=1,  # 2 threads gain little here and collapse under any other load (OpenMP spin-waits)
                verbose=-1,
            )
        if kind == "logistic":
            return Pipeline(
                [
                    ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                    ("scale", StandardScaler()),
                    ("model", LogisticRegression(C=1.0, max_iter=2000)),
                ]
            )
        raise ConfigError(f"unknown model {kind!r}; allowed: 'lightgbm', 'logistic', or a scikit-learn classifier")
    if not hasattr(kind, "fit") or not hasattr(kind, "predict_proba"):
        raise TypeError(f"expected a scikit-learn classifier with predict_proba, found {type(kind).__name__}")
    est = clone(kind)
    if _handles_nan(est):
        return est
    return Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("model", est)])


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
    estimator : {"lightgbm", "logistic"} or scikit-learn classifier, default "lightgbm"
    target : {"dropout", "underperformance"}
    calibration : {"auto", "isotonic", "sigmoid", "none"}, default "auto"
        ``auto`` is isotonic from 1,000 calibration rows on, sigmoid below.
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
    calibrator_ : Calibrator (the method it chose is ``calibrator_.method_``)
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
        est = make_estimator(self.estimator, self.random_state)
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
        X_cal = encoded.iloc[cal_idx]
        self.estimator_ = est
        self.kind_ = estimator_kind(est)
        raw_cal = self._raw(X_cal)
        self.calibrator_ = Calibrator(self.calibration).fit(raw_cal, y[cal_idx])
        self.reference_ = _reference_bins(encoded)
        # per-week references: a weekly risk list is one week, compared with that week in training
        wk = features["week"].to_numpy() if "week" in features.columns else np.zeros(len(features))
        self.reference_by_week_ = {int(w): _reference_bins(encoded[wk == w]) for w in np.unique(wk)}
        self.n_train_rows_ = len(fit_idx)
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
        est = self.estimator_
        if self.kind_ == "tree":
            return est.predict(X, raw_score=True)
        if hasattr(est, "decision_function"):
            return np.asarray(est.decision_function(X), dtype=float)
        return _logit(est.predict_proba(X)[:, 1])

    def decision_function(self, features: pd.DataFrame) -> np.ndarray:
        """Raw scores (log-odds of the uncalibrated estimator), the space explanations live in."""
        return self._raw(self.prepare(features))

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """One calibrated probability per row of ``features``, in the same order, shape ``(n,)``.

        The probability of the positive class (``classes_[1]``) only; scikit-learn's classifiers
        return ``(n, 2)``. ``np.column_stack([1 - p, p])`` gives that shape.
        """
        raw = self.decision_function(features)
        return self.calibrator_.transform(raw)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """The label of each row: ``classes_[1]`` where the calibrated probability is 0.5 or more."""
        p = self.predict_proba(features)
        return self.classes_[(p >= 0.5).astype(int)]

    def calibrate_raw(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores (used by the explainer's what-if re-scoring)."""
        self._check_fitted()
        return self.calibrator_.transform(np.asarray(raw, dtype=float))

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
        """Save to a folder (``model.pkl`` and a readable ``model.json``); load with RiskModel.load."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with open(path / "model.pkl", "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        info = {
            "target": self.target,
            "kind": getattr(self, "kind_", None),
            "features": getattr(self, "feature_names_", None),
            "metadata": self.metadata,
        }
        (path / "model.json").write_text(json.dumps(info, indent=2, default=str))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> RiskModel:
        """Load a model saved with :meth:`save` (a folder, or its ``model.pkl``)."""
        path = Path(path)
        file = path / "model.pkl" if path.is_dir() else path
        if not file.exists():
            raise ModelLoadError(f"no saved RiskModel at {path} (expected a folder with model.pkl)")
        try:
            with open(file, "rb") as fh:
                model = pickle.load(fh)
        except Exception as exc:
            raise ModelLoadError(f"cannot read the model at {file}: {exc}") from exc
        if not isinstance(model, cls):
            raise ModelLoadError(f"{file} holds a {type(model).__name__}, not a RiskModel")
        return model

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        est = self.estimator if isinstance(self.estimator, str) else type(self.estimator).__name__
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
