"""Plots of an evaluation: early-warning curve, reliability diagram, importance, SHAP summary.

Each function returns a matplotlib Figure and never calls ``plt.show()``; notebooks display the
figure, the trainer logs it to MLflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._contributions import input_contributions

LABELS = {"model": "model", "logistic": "baseline: logistic", "rule": "baseline: engagement rule", "oracle": "oracle"}
STYLES = {"model": "-o", "logistic": "--s", "rule": ":^", "oracle": "-."}


def _fig_ax(ax, size=(7, 4.2)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    return fig, ax


def early_warning_curve(metrics: pd.DataFrame, metric: str = "roc_auc", *, target: str = "", ax=None):
    fig, ax = _fig_ax(ax)
    per_week = metrics[metrics["week"] != "all"]
    for name, sub in per_week.groupby("model", sort=False):
        sub = sub.sort_values("week")
        ax.plot(sub["week"].astype(int), sub[metric], STYLES.get(name, "-"), label=LABELS.get(name, name), ms=4)
    ax.set_xlabel("week of the course (cutoff)")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(f"Early-warning curve{': ' + target if target else ''} (test offerings)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def reliability_diagram(predictions: pd.DataFrame, scores: list[str], *, n_bins: int = 10, ax=None):
    fig, ax = _fig_ax(ax, size=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, label="perfectly calibrated")
    y = predictions["y"].to_numpy()
    for s in scores:
        if s not in predictions:
            continue
        p = predictions[s].to_numpy()
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        n = np.bincount(bins, minlength=n_bins)
        keep = n > 0
        mean_p = np.bincount(bins, weights=p, minlength=n_bins)[keep] / n[keep]
        mean_y = np.bincount(bins, weights=y, minlength=n_bins)[keep] / n[keep]
        ax.plot(mean_p, mean_y, STYLES.get(s, "-o"), label=LABELS.get(s, s), ms=4)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed share")
    ax.set_title("Reliability diagram (test offerings)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def _sample(features: pd.DataFrame, max_rows: int, seed: int = 0) -> pd.DataFrame:
    if len(features) <= max_rows:
        return features
    return features.sample(max_rows, random_state=seed).sort_index()


def mean_abs_contributions(model, features: pd.DataFrame, max_rows: int = 2000) -> pd.Series:
    contrib, _ = input_contributions(model, model.prepare(_sample(features, max_rows)))
    return contrib.abs().mean().sort_values(ascending=False)


def importance_bar(model, features: pd.DataFrame, *, top: int = 20, ax=None):
    imp = mean_abs_contributions(model, features).head(top)[::-1]
    fig, ax = _fig_ax(ax, size=(7, 0.3 * len(imp) + 1.2))
    ax.barh(imp.index, imp.to_numpy(), color="#3b6ea5")
    ax.set_xlabel("mean |contribution| (log-odds)")
    ax.set_title("Feature importance (test offerings)")
    fig.tight_layout()
    return fig


def shap_summary(model, features: pd.DataFrame, *, max_rows: int = 2000):
    import matplotlib.pyplot as plt
    import shap

    X = model.prepare(_sample(features, max_rows))
    contrib, _ = input_contributions(model, X)
    shap.summary_plot(contrib.to_numpy(), X, show=False, max_display=15, plot_size=(7, 6))
    fig = plt.gcf()
    fig.suptitle("SHAP summary (log-odds, test offerings)", fontsize=10)
    fig.tight_layout()
    return fig
