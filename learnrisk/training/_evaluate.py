"""Temporal evaluation: per-week metrics of a model beside its baselines and the oracle.

Every number has a reference next to it: the model's ROC AUC at week 6 is shown with the
logistic baseline's, the engagement rule's and, on synthetic data, the oracle's (the generator's
true probabilities), at the same week and on the same test rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from ..data import LearningData
from ..metrics import expected_calibration_error, select_top
from ..targets import make_labels
from ._plots import early_warning_curve, importance_bar, reliability_diagram, shap_summary

ALL = "all"
METRICS = ("roc_auc", "pr_auc", "brier", "ece", "precision_top10", "recall_top10", "precision_at_k", "recall_at_k")


def _metrics(y: np.ndarray, p: np.ndarray, top10: np.ndarray, topk: np.ndarray) -> dict[str, float]:
    out = {"n": int(len(y)), "positives": int(y.sum()), "base_rate": float(y.mean()) if len(y) else math.nan}
    both = len(y) > 0 and 0 < y.sum() < len(y)
    out["roc_auc"] = float(roc_auc_score(y, p)) if both else math.nan
    out["pr_auc"] = float(average_precision_score(y, p)) if both else math.nan
    out["brier"] = float(brier_score_loss(y, p)) if len(y) else math.nan
    out["ece"] = float(expected_calibration_error(y, np.clip(p, 0, 1))) if len(y) else math.nan
    pos = y.sum()
    for name, sel in (("top10", top10), ("at_k", topk)):
        hit = y[sel].sum()
        out[f"precision_{name}"] = float(hit / sel.sum()) if sel.sum() else math.nan
        out[f"recall_{name}"] = float(hit / pos) if pos else math.nan
    return out


def evaluate_scores(predictions: pd.DataFrame, scores: list[str], *, top_k: int = 20) -> pd.DataFrame:
    """Long table of metrics: one row per (model, week) and per model for all weeks together.

    ``predictions`` has course_id, week, y and one column per score name.
    """
    rows = []
    for s in scores:
        sub = predictions[predictions[s].notna()]
        # the lists an advisor with that capacity would act on, per offering and week; ties go
        # to the row that comes first (the frame is sorted by course, week, learner)
        top10 = select_top(sub, score=s, top_frac=0.10).to_numpy()
        topk = select_top(sub, score=s, top_k=top_k).to_numpy()
        y, p = sub["y"].to_numpy(), sub[s].to_numpy()
        rows.append({"model": s, "week": ALL, **_metrics(y, p, top10, topk)})
        weeks = sub["week"].to_numpy()
        for w in np.unique(weeks):
            m = weeks == w
            rows.append({"model": s, "week": int(w), **_metrics(y[m], p[m], top10[m], topk[m])})
    return pd.DataFrame(rows)


def calibration_by_offering(predictions: pd.DataFrame, score: str = "model") -> pd.DataFrame:
    """Per test offering (all weeks pooled): n, positives, base_rate, mean_risk, ece, brier.

    A pooled ECE can hide offerings whose base rate the model misses in opposite directions;
    this table shows each one.
    """
    rows = []
    sub = predictions[predictions[score].notna()]
    for course, g in sub.groupby("course_id", sort=True):
        y, p = g["y"].to_numpy(dtype=float), np.clip(g[score].to_numpy(dtype=float), 0, 1)
        rows.append(
            {
                "course_id": course,
                "n": int(len(y)),
                "positives": int(y.sum()),
                "base_rate": float(y.mean()),
                "mean_risk": float(p.mean()),
                "ece": float(expected_calibration_error(y, p)),
                "brier": float(brier_score_loss(y, p)),
            }
        )
    cols = ["course_id", "n", "positives", "base_rate", "mean_risk", "ece", "brier"]
    return pd.DataFrame(rows, columns=cols)


def evaluate_risk(
    data: LearningData,
    features: pd.DataFrame,
    models: dict,
    *,
    fail_threshold: float | None = None,
    top_k: int = 20,
) -> pd.DataFrame:
    """The risk a weekly list ranks by, evaluated against *not passing* (fail or withdraw), per week.

    The risk is ``p_not_passing`` when ``models`` has a ``"not_passing"`` model, else
    ``1 - (1 - p_dropout) * (1 - p_underperformance)`` (``p_dropout`` alone without an
    underperformance model), as in :func:`learnrisk.scoring.score`. Labels: the ``not_passing``
    target of :mod:`learnrisk.targets` (rows of running offerings are left out).

    Parameters
    ----------
    data : LearningData holding the outcomes of the offerings in ``features``
    features : frame from :func:`learnrisk.build_features` (e.g. the test offerings' rows)
    models : dict, target name -> fitted RiskModel (``"not_passing"``, or ``"dropout"`` and
        optionally ``"underperformance"``)
    fail_threshold : as in :func:`learnrisk.targets.make_labels`
    top_k : capacity per offering and week for precision and recall at k

    Returns
    -------
    DataFrame indexed by week (and ``"all"``): n, positives, base_rate, roc_auc, pr_auc, brier,
    ece, precision/recall at the top 10 % and at k, and ``risk`` (which risk was evaluated).

    Examples
    --------
    >>> evaluate_risk(data, report.test_features, {"dropout": m_d, "underperformance": m_u})  # doctest: +SKIP
    """
    if "not_passing" in models:
        risk, what = models["not_passing"].predict_proba(features), "p_not_passing"
    elif "dropout" in models:
        risk, what = models["dropout"].predict_proba(features), "p_dropout"
        if models.get("underperformance") is not None:
            risk = 1 - (1 - risk) * (1 - models["underperformance"].predict_proba(features))
            what = "1 - (1 - p_dropout)(1 - p_underperformance)"
    else:
        raise ValueError(f"evaluate_risk needs a 'not_passing' or a 'dropout' model; given {sorted(models)}")
    y = make_labels(data, features, "not_passing", fail_threshold=fail_threshold).to_numpy()
    preds = features[["course_id", "week"]].reset_index(drop=True).assign(y=y, risk=risk)
    preds = preds[np.isfinite(y)].reset_index(drop=True)
    table = evaluate_scores(preds, ["risk"], top_k=top_k).drop(columns="model").set_index("week")
    order = sorted(w for w in table.index if w != ALL) + [ALL]
    return table.loc[order].assign(risk=what)


class EvaluationReport:
    """Per-week evaluation on the test offerings, with baselines and (on synthetic data) the oracle.

    Attributes
    ----------
    metrics : DataFrame
        Long table: model, week (int or "all"), n, positives, base_rate and every metric in
        ``METRICS``. Models: "model", "logistic" (baseline), "rule" (one-feature engagement
        rule), and "oracle" when the generator's truth was given.
    summary : DataFrame
        One row per week (and "all"): the headline figures side by side.
    predictions : DataFrame
        Test rows (keys, label, each model's probability). Holds learner ids: in memory only,
        never logged.
    fairness : FairnessReport or None
    selection : DataFrame or None
        For ``model="auto"``: the leave-one-offering-out table of the candidates (see
        ``RiskModel.selection_``).
    calibration_by_offering : DataFrame
        The model's calibration per test offering (ECE beside the pooled one of ``overall()``,
        whose ``ece_max_offering`` is the worst of them).
    """

    def __init__(
        self,
        target: str,
        predictions: pd.DataFrame,
        metrics: pd.DataFrame,
        *,
        train_offerings: list[str],
        test_offerings: list[str],
        top_k: int,
        model=None,
        test_features: pd.DataFrame | None = None,
        fairness=None,
        notes: list[str] | None = None,
        selection: pd.DataFrame | None = None,
    ) -> None:
        self.target = target
        self.predictions = predictions
        self.metrics = metrics
        self.train_offerings = list(train_offerings)
        self.test_offerings = list(test_offerings)
        self.top_k = top_k
        self.model = model
        self.test_features = test_features
        self.fairness = fairness
        self.notes = list(notes or [])
        self.selection = selection

    @property
    def calibration_by_offering(self) -> pd.DataFrame:
        return calibration_by_offering(self.predictions, "model")

    # ------------------------------------------------------------------ tables
    def metric(self, name: str = "roc_auc", model: str = "model") -> pd.Series:
        m = self.metrics[self.metrics["model"] == model]
        return m.set_index("week")[name]

    @property
    def summary(self) -> pd.DataFrame:
        wide = {m: g.set_index("week")["roc_auc"] for m, g in self.metrics.groupby("model", sort=False)}
        main = self.metrics[self.metrics["model"] == "model"].set_index("week")
        out = pd.DataFrame(
            {
                "n": main["n"],
                "base_rate": main["base_rate"],
                "auc": main["roc_auc"],
                "auc_logistic": wide["logistic"].reindex(main.index) if "logistic" in wide else np.nan,
                "auc_rule": wide["rule"].reindex(main.index) if "rule" in wide else np.nan,
            },
            index=main.index,
        )
        if "oracle" in wide:
            out["auc_oracle"] = wide["oracle"].reindex(main.index)
            out["auc_vs_oracle"] = out["auc"] / out["auc_oracle"]
        for c in ("pr_auc", "brier", "ece", "precision_top10", "recall_top10", "precision_at_k", "recall_at_k"):
            out[c] = main[c]
        order = sorted(w for w in out.index if w != ALL) + ([ALL] if ALL in out.index else [])
        return out.loc[order]

    def overall(self, model: str = "model") -> dict[str, float]:
        """Pooled metrics of ``model`` over every test row, and ``ece_max_offering``: the largest
        ECE of a single test offering."""
        m = self.metrics[(self.metrics["model"] == model) & (self.metrics["week"] == ALL)]
        if not len(m):
            return {}
        out = m.iloc[0].drop(["model", "week"]).to_dict()
        if model in self.predictions.columns and "course_id" in self.predictions.columns:
            by = calibration_by_offering(self.predictions, model)
            out["ece_max_offering"] = float(by["ece"].max()) if len(by) else math.nan
        return out

    def __repr__(self) -> str:
        o = self.overall()
        weeks = [w for w in self.metrics["week"].unique() if w != ALL]
        return (
            f"EvaluationReport(target={self.target!r}, test={self.test_offerings}, "
            f"{o.get('n', 0):,} test rows over {len(weeks)} weeks, ROC AUC {o.get('roc_auc', float('nan')):.3f}, "
            f"logistic {self.overall('logistic').get('roc_auc', float('nan')):.3f}, "
            f"rule {self.overall('rule').get('roc_auc', float('nan')):.3f})"
        )

    # ------------------------------------------------------------------ plots
    def plot_early_warning(self, metric: str = "roc_auc", ax=None):
        """The early-warning curve: ``metric`` by week for the model, baselines and oracle."""
        return early_warning_curve(self.metrics, metric, target=self.target, ax=ax)

    def plot_reliability(self, ax=None, n_bins: int = 10):
        """Reliability diagram of the test predictions (model and baselines)."""
        return reliability_diagram(self.predictions, ["model", "logistic", "rule"], n_bins=n_bins, ax=ax)

    def plot_importance(self, ax=None, top: int = 20):
        """Feature importance of the model (mean |contribution| in log-odds on test rows)."""
        return importance_bar(self.model, self.test_features, top=top, ax=ax)

    def plot_shap_summary(self, max_rows: int = 2000):
        """SHAP summary (beeswarm) of the model's contributions on a sample of test rows."""
        return shap_summary(self.model, self.test_features, max_rows=max_rows)
