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
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..errors import ConfigError, LearnriskError, ModelLoadError

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


@dataclass
class Calibrator:
    """Maps raw log-odds to calibrated probabilities (isotonic, or sigmoid on small data)."""

    method: str = "isotonic"
    _iso: IsotonicRegression | None = field(default=None, repr=False)
    _a: float = 1.0
    _b: float = 0.0

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        if self.method == "auto":
            self.method = "isotonic" if len(y) >= MIN_ISOTONIC_ROWS else "sigmoid"
        if self.method == "isotonic":
            # bounded away from 0 and 1: a block of held-out learners who all stayed is evidence
            # of a low risk, not of none (and an advisor should never read "0 %" or "100 %")
            self._iso = IsotonicRegression(y_min=PROB_FLOOR, y_max=1.0 - PROB_FLOOR, out_of_bounds="clip").fit(raw, y)
        elif self.method == "sigmoid":
            lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
            self._a, self._b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        elif self.method != "none":
            raise ConfigError(f"unknown calibration {self.method!r}; allowed: 'isotonic', 'sigmoid', 'auto', 'none'")
        return self

    def transform(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            # Isotonic regression is flat on each block; a ranking that is flat loses the
            # model's order inside the block (ties that lower AUC and make top-k arbitrary).
            # A 1e-6 share of the raw score's sigmoid keeps the map strictly increasing: the
            # order of the raw scores is kept exactly and no probability moves by more than 1e-6.
            p = self._iso.predict(raw) + TIE_BREAK * (1.0 / (1.0 + np.exp(-raw)) - 0.5)
            return np.clip(p, PROB_FLOOR - TIE_BREAK, 1.0 - PROB_FLOOR + TIE_BREAK)
        if self.method == "sigmoid":
            return 1.0 / (1.0 + np.exp(-(self._a * raw + self._b)))
        return 1.0 / (1.0 + np.exp(-raw))


class RiskModel:
    """A calibrated risk model over a features frame.

    Parameters
    ----------
    estimator : {"lightgbm", "logistic"} or scikit-learn classifier, default "lightgbm"
    target : {"dropout", "underperformance"}
    calibration : {"auto", "isotonic", "sigmoid", "none"}, default "auto"
        ``auto`` is isotonic from 1,000 calibration rows on, sigmoid below.
    random_state : int

    Attributes (after fit)
    ----------------------
    estimator_ : the fitted estimator (raw scores are its log-odds)
    calibrator_ : Calibrator
    feature_names_ : list of str, the model's input columns in order
    kind_ : "tree", "linear" or "other" (how the explainer gets contributions)
    reference_ : dict, per feature the training bin edges and shares (for drift, PSI)
    reference_by_week_ : dict, week -> the same for the training rows of that week
    metadata : dict, free-form facts (training offerings, data digest, registry name, version)

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
    ) -> None:
        self.estimator = estimator
        self.target = target
        self.calibration = calibration
        self.random_state = random_state
        self.metadata: dict[str, Any] = {}

    # ------------------------------------------------------------------ matrix
    def prepare(self, features: pd.DataFrame) -> pd.DataFrame:
        """The numeric matrix the estimator sees: model columns in training order.

        Category columns (sensitive attributes, only when asked for) are one-hot encoded with the
        categories seen in training, named ``attribute=value``.
        """
        names = getattr(self, "feature_names_", None)
        if names is None:
            raise LearnriskError("this RiskModel is not fitted yet; call fit() first")
        src = getattr(self, "source_columns_", names)
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

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        features: pd.DataFrame,
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
        features : DataFrame from build_features (rows with NaN labels must be dropped first)
        y : labels 0/1 aligned to ``features``
        groups : learner ids aligned to ``features`` (default: its learner_id column); all rows
            of a learner go to the same side of the split, so no learner is both fitted on and
            calibrated on.
        columns : model input columns (default: every non-key column)
        """
        y = np.asarray(y, dtype=float)
        if np.isnan(y).any():
            raise ValueError("labels contain NaN: drop unlabelled rows before fit")
        if len(np.unique(y)) < 2:
            raise LearnriskError(f"need both classes to fit a {self.target} model; found only {np.unique(y)}")
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
        groups = features["learner_id"].to_numpy() if groups is None else np.asarray(groups)
        est = make_estimator(self.estimator, self.random_state)
        if holdout is None:
            holdout = 0.3 if estimator_kind(est) == "tree" else 0.2
        fit_idx, cal_idx = split_by_learner(groups, holdout, self.random_state)
        if estimator_kind(est) == "tree":
            import lightgbm

            # early stopping and calibration on different held-out learners (a third and two
            # thirds), so the number of trees is not chosen on the rows the calibrator learns from
            held = cal_idx
            cal_part, stop_part = split_by_learner(groups[held], 1 / 3, self.random_state + 1)
            stop_idx, cal_idx = held[stop_part], held[cal_part]
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
        """One calibrated probability per row of ``features``, in the same order."""
        return self.calibrator_.transform(self.decision_function(features))

    def calibrate_raw(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores (used by the explainer's what-if re-scoring)."""
        return self.calibrator_.transform(np.asarray(raw, dtype=float))

    # ------------------------------------------------------------------ drift
    def drift(self, features: pd.DataFrame) -> pd.DataFrame:
        """Population stability index of each model input against the training reference."""
        X = self.prepare(features)
        rows = []
        for name, ref in self.reference_.items():
            rows.append({"feature": name, "psi": psi(ref, X[name].to_numpy())})
        return pd.DataFrame(rows).sort_values("psi", ascending=False, ignore_index=True)

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

    def __repr__(self) -> str:
        est = self.estimator if isinstance(self.estimator, str) else type(self.estimator).__name__
        if not hasattr(self, "feature_names_"):
            return f"RiskModel({est!r}, target={self.target!r}, not fitted)"
        return (
            f"RiskModel({est!r}, target={self.target!r}, {len(self.feature_names_)} features, "
            f"calibration={self.calibrator_.method!r}, trained on {self.n_train_rows_:,} rows)"
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
