"""`train`: features, labels, a temporal split, the model, its baselines and the evaluation.

The split is by time, never by row: the test set is the latest finished offering of each course
code (a code with a single offering trains only), or the offerings the user names. Early
stopping and calibration use a split *by learner* inside the training offerings.

Worked example with the committed synthetic sample: offerings AAA-2013B, AAA-2013J, AAA-2014B,
AAA-2014J -> train on the first three, test on AAA-2014J (started 2014-10-01, after every
training offering of AAA started).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from ..data import LearningData
from ..errors import LearnriskError
from ..fairness import audit_predictions
from ..features import build_features, catalog, feature_columns, sensitive_attributes
from ..metrics import select_top
from ..targets import check_target, make_labels
from ._evaluate import EvaluationReport, evaluate_scores
from ._model import AUTO, RiskModel, check_model

__all__ = ["EngagementRule", "temporal_split", "train"]

RULE_FEATURES = {
    "dropout": ("days_since_last_activity", "clicks_2w", "clicks_total"),
    "underperformance": ("score_mean", "score_weighted", "clicks_total"),
    "not_passing": ("days_since_last_activity", "clicks_2w", "score_mean"),
    "overdue": ("progress_gap", "days_since_last_activity"),
}


class EngagementRule(ClassifierMixin, BaseEstimator):
    """A one-feature baseline: rank learners by a single engagement measure.

    The direction (more is riskier or less is riskier) is learned from the training rows; the
    RiskModel around it calibrates the ranking into probabilities like any other model.
    """

    _handles_nan = True

    def __init__(self, feature: str = "days_since_last_activity"):
        self.feature = feature

    def fit(self, X: pd.DataFrame, y):
        if self.feature not in X.columns:
            raise LearnriskError(f"engagement rule: feature {self.feature!r} is not among the model columns")
        x = X[self.feature].to_numpy(dtype=float)
        self.fill_ = float(np.nanmedian(x)) if np.isfinite(x).any() else 0.0
        x = np.where(np.isfinite(x), x, self.fill_)
        y = np.asarray(y, dtype=float)
        self.sign_ = 1.0 if np.corrcoef(x, y)[0, 1] >= 0 or np.std(x) == 0 else -1.0
        self.classes_ = np.array([0.0, 1.0])
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        x = X[self.feature].to_numpy(dtype=float)
        return self.sign_ * np.where(np.isfinite(x), x, self.fill_)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        z = self.decision_function(X)
        p = 1.0 / (1.0 + np.exp(-(z - np.median(z)) / (np.std(z) + 1e-9)))
        return np.column_stack([1 - p, p])


def _deprecated_test(test_offerings, test, where: str):
    """``test_offerings``, or ``test`` (its former name) with a DeprecationWarning."""
    if test is _UNSET:
        return test_offerings
    if test_offerings is not None:
        raise LearnriskError(f"{where}: give test_offerings only (test is its deprecated former name)")
    warnings.warn(f"{where}(test=...) is deprecated: use test_offerings=...", DeprecationWarning, stacklevel=3)
    return test


_UNSET = object()


def temporal_split(
    courses: pd.DataFrame,
    labelled: Iterable[str],
    test_offerings: Iterable[str] | None = None,
    *,
    test=_UNSET,
) -> tuple[list[str], list[str], list[str]]:
    """Train and test offerings, and notes on the split.

    ``test_offerings`` names the test offerings (``test``, its former name, still works for one
    release with a DeprecationWarning). Default: per course code, the latest labelled offering
    (by start) is the test set when the code has at least two; codes with one offering train only. When that leaves no test offering
    (every code has one offering), the latest-starting offering overall is the test set.
    """
    test = _deprecated_test(test_offerings, test, "temporal_split")
    labelled = set(labelled)
    c = courses[courses["course_id"].isin(labelled)].sort_values(["start", "course_id"])
    notes = []
    if test is not None:
        test = [str(t) for t in test]
        unknown = sorted(set(test) - set(courses["course_id"]))
        if unknown:
            raise LearnriskError(f"unknown test offering(s) {unknown}; known: {sorted(courses['course_id'])}")
        unlabelled = sorted(set(test) - labelled)
        if unlabelled:
            raise LearnriskError(f"test offering(s) {unlabelled} have no outcomes yet (still running); name finished ones")
    else:
        counts = c.groupby("course_code")["course_id"].transform("size")
        test = c[counts >= 2].groupby("course_code").tail(1)["course_id"].tolist()
        if not test and len(c) >= 2:
            test = [c["course_id"].iloc[-1]]
            notes.append(f"every course code has one offering: testing on the latest offering overall ({test[0]})")
    train = [x for x in c["course_id"] if x not in set(test)]
    if not train or not test:
        raise LearnriskError(
            f"a temporal split needs at least two finished offerings; found {len(c)} ({', '.join(c['course_id'])})"
        )
    by_id = courses.set_index("course_id")
    starts, ends = by_id["start"], by_id["end"]
    later = [t for t in test if any(starts[tr] >= starts[t] for tr in train)]
    if later:
        notes.append(
            f"test offering(s) {later} do not start after every training offering: the evaluation is not purely forward in time"
        )
    # a model deployed when a test offering starts could not have had labels that were not known yet
    unknown_yet = sorted({tr for t in test for tr in train if ends[tr] > starts[t]} - set(later))
    if unknown_yet:
        notes.append(
            f"training offering(s) {unknown_yet} end after a test offering starts: their outcomes would not have been known "
            "at deployment time, so the test is slightly optimistic; name earlier offerings with test_offerings=[...] to avoid it"
        )
    return train, sorted(test), notes


def train(
    data: LearningData,
    target: str = "dropout",
    *,
    weeks: Iterable[int] = range(1, 21),
    test_offerings: Iterable[str] | None = None,
    model: str | BaseEstimator = AUTO,
    features: pd.DataFrame | None = None,
    include_sensitive: bool = False,
    calibration: str = "auto",
    top_k: int = 20,
    truth: pd.DataFrame | None = None,
    fail_threshold: float | None = None,
    baselines: bool = True,
    fairness: bool = True,
    abroca_bound: float = 0.05,
    random_state: int = 0,
    progress=None,
    test=_UNSET,
) -> tuple[RiskModel, EvaluationReport]:
    """Train a risk model with a temporal split and evaluate it week by week against baselines.

    Parameters
    ----------
    data : LearningData
    target : {"dropout", "underperformance", "not_passing"}
    weeks : cutoff weeks to train and evaluate on (one pooled model, ``week`` is a feature)
    test_offerings : offerings to test on (default: the latest offering of each course code);
        ``test``, its former name, still works for one release with a DeprecationWarning
    model : "auto" (default), "lightgbm", "logistic", a candidate name of ``model="auto"``
        (``learnrisk.training.CANDIDATES``), or any scikit-learn classifier. ``"auto"`` compares
        the candidates by leave-one-offering-out validation inside the training offerings, refits
        the winner on every training row and calibrates it by cross-fitting, per course code
        (``model.selection_``, ``report.selection``); with one training offering it says so in the
        notes and uses the most regularized candidate.
    features : a frame from build_features (built here when not given)
    include_sensitive : let sensitive attributes be model features (off by default; the model
        card says so when on)
    calibration : "auto" (isotonic, sigmoid under 1,000 calibration rows), "isotonic", "sigmoid"
    top_k : advisor capacity per offering and week for precision/recall at k
    fairness : run the fairness audit of the test predictions (``report.fairness``)
    abroca_bound : ABROCA above this (and beyond chance) is a fairness flag, shown by the gate
    truth : the generator's ground truth (``synthetic.generate(return_truth=True)``) for the
        oracle's AUC
    fail_threshold : for underperformance and not_passing, a final score under it counts as a positive
    progress : callable(str) told about each step (the CLI passes a printer)

    Returns
    -------
    (RiskModel, EvaluationReport)

    Examples
    --------
    >>> data = learnrisk.synthetic.generate(n_learners=3000, seed=0)          # doctest: +SKIP
    >>> model, report = learnrisk.train(data, target="dropout")               # doctest: +SKIP
    >>> report.summary[["auc", "auc_logistic", "auc_rule"]]                   # doctest: +SKIP
    """
    test_offerings = _deprecated_test(test_offerings, test, "train")
    check_target(target)
    check_model(model)  # an unknown name fails here, before any feature is built
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    weeks = sorted({int(w) for w in weeks})
    if features is None:
        say(f"building features for weeks {weeks[0]}-{weeks[-1]}")
        features = build_features(data, weeks=weeks, include_sensitive=include_sensitive)
    else:
        features = features[features["week"].isin(weeks)].reset_index(drop=True)
    y = make_labels(data, features, target, fail_threshold=fail_threshold)
    labelled_offerings = features.loc[y.notna(), "course_id"].unique()
    train_ids, test_ids, notes = temporal_split(data.courses, labelled_offerings, test_offerings)
    is_train = features["course_id"].isin(train_ids).to_numpy() & y.notna().to_numpy()
    is_test = features["course_id"].isin(test_ids).to_numpy() & y.notna().to_numpy()
    if not is_train.any() or not is_test.any():
        raise LearnriskError(f"no labelled rows for {target} in the training or test offerings")
    columns = feature_columns(features)
    if not include_sensitive:
        sensitive = set(catalog().query("sensitive")["name"])
        columns = [c for c in columns if c not in sensitive]
    tr, te = features[is_train].reset_index(drop=True), features[is_test].reset_index(drop=True)
    y_tr, y_te = y[is_train].to_numpy(), y[is_test].to_numpy()

    name = model if isinstance(model, str) else type(model).__name__
    say(f"fitting {name}{' (choosing among candidates by leave-one-offering-out validation)' if model == AUTO else ''} "
        f"on {len(tr):,} rows of {len(train_ids)} offering(s)")
    codes = dict(zip(data.courses["course_id"].astype(str), data.courses["course_code"].astype(str)))
    risk = RiskModel(model, target=target, calibration=calibration, random_state=random_state)
    risk.fit(tr, y_tr, columns=columns, course_codes=codes)
    if risk.selection_note_:
        notes.append(risk.selection_note_)
    preds = te[["learner_id", "course_id", "week"]].copy()
    preds["y"] = y_te
    preds["model"] = risk.predict_proba(te)
    scores = ["model"]
    if baselines:
        say("fitting the baselines (logistic regression, one-feature engagement rule)")
        logit = RiskModel("logistic", target=target, calibration=calibration, random_state=random_state)
        preds["logistic"] = logit.fit(tr, y_tr, columns=columns).predict_proba(te)
        rule_feature = next((f for f in RULE_FEATURES[target] if f in columns), columns[0])
        rule = RiskModel(EngagementRule(rule_feature), target=target, calibration=calibration, random_state=random_state)
        preds["rule"] = rule.fit(tr, y_tr, columns=columns).predict_proba(te)
        scores += ["logistic", "rule"]
        notes.append(f"engagement rule baseline: {rule_feature}")
    if truth is not None:
        col = f"p_{target}"
        t = truth[["learner_id", "course_id", "week", col]].drop_duplicates(["learner_id", "course_id", "week"])
        preds = preds.merge(t.rename(columns={col: "oracle"}), on=["learner_id", "course_id", "week"], how="left")
        scores.append("oracle")
    say("evaluating per week")
    metrics = evaluate_scores(preds, scores, top_k=top_k)
    fair = None
    if fairness:
        fair = _audit(data, te, preds, abroca_bound)
    risk.metadata.update(
        {
            "target": target,
            "model": name,
            "chosen_model": risk.chosen_,
            "selection": None if risk.selection_ is None else _records(risk.selection_),
            "calibrated_course_codes": sorted(risk.calibrators_),
            "weeks": weeks,
            "train_offerings": train_ids,
            "test_offerings": test_ids,
            "include_sensitive": include_sensitive,
            "data_digest": data.digest(),
            "n_train_rows": int(len(tr)),
            "n_test_rows": int(len(te)),
            "fail_threshold": fail_threshold,
            "train_seconds": round(time.perf_counter() - t0, 2),
        }
    )
    report = EvaluationReport(
        target,
        preds,
        metrics,
        train_offerings=train_ids,
        test_offerings=test_ids,
        top_k=top_k,
        model=risk,
        test_features=te,
        fairness=fair,
        notes=notes,
        selection=risk.selection_,
    )
    risk.metadata["test_metrics"] = {k_: (None if isinstance(v, float) and math.isnan(v) else v) for k_, v in report.overall().items()}
    return risk, report


def _records(table: pd.DataFrame) -> list[dict]:
    """A table as JSON-ready records (NaN as None)."""
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in table.to_dict("records")]


def _audit(data: LearningData, test_features: pd.DataFrame, preds: pd.DataFrame, abroca_bound: float):
    """Fairness audit of the test predictions, at the top-10 % operating decision."""
    groups = sensitive_attributes(data, test_features)
    if groups.empty or groups.shape[1] == 0:
        return None
    frame = pd.concat([preds[["learner_id", "course_id", "week", "y", "model"]].reset_index(drop=True), groups.reset_index(drop=True)], axis=1)
    frame = frame.rename(columns={"y": "y_true", "model": "score"})
    frame["selected"] = select_top(frame, score="score", top_frac=0.10).to_numpy()
    return audit_predictions(frame, groups=list(groups.columns), abroca_bound=abroca_bound)
