"""Metrics shared by training and the fairness audit: calibration, the top-k decision, ROC.

This module sits below both :mod:`learnrisk.training` and :mod:`learnrisk.fairness` (it imports
only numpy, pandas and :mod:`learnrisk.errors`), so that the temporal evaluation and the audit
compute the expected calibration error, the advisor's list (top-k / top fraction per offering
and week) and ROC curves with the same code.

- :func:`expected_calibration_error`: ECE with equal-width bins;
- :func:`select_top`: the one capacity selector (``top_k`` learners or the top ``top_frac`` of
  each risk list);
- :func:`roc_points`, :func:`sorted_roc_points`, :func:`roc_auc`, :func:`rank_average`: ROC
  curves and AUC without scikit-learn's input checks (they dominate on the many small groups
  of an audit); the fairness tests check them against ``sklearn.metrics``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import FairnessAuditError

__all__ = [
    "Z95",
    "clustered_wilson_interval",
    "expected_calibration_error",
    "rank_average",
    "roc_auc",
    "roc_points",
    "select_top",
    "sorted_roc_points",
    "wilson_interval",
]

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile: two-sided 95 % intervals


# ---------------------------------------------------------------------------- proportions
def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (NaN, NaN) when ``n`` is 0.

    Shared by the monitoring of published lists (precision and recall) and the impact
    estimates (Newcombe's interval of a difference of proportions is built from two of them).

    >>> [round(v, 4) for v in wilson_interval(1, 2)]
    [0.0945, 0.9055]
    """
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def clustered_wilson_interval(successes, trials, z: float = Z95) -> tuple[float, float]:
    """The Wilson interval of a proportion pooled over clusters (a learner's rows in several lists).

    ``successes[i]`` of ``trials[i]`` belong to cluster ``i``; the rows of a cluster are not
    independent, so the cluster is the unit. The pooled proportion ``p = sum(s) / sum(n)`` is a
    ratio estimator; its cluster-robust (linearised) variance is ``v = sum((s_i - p n_i)^2) /
    sum(n)^2``. The Wilson interval is then taken at the effective sample size ``n_eff = p (1 -
    p) / v`` (Kish's design effect; Korn and Graubard 1998), at most ``sum(n)``; when ``p`` is 0
    or 1 (``v`` is 0: every row alike) ``n_eff`` is the number of clusters with a trial. With one
    trial per cluster ``v = p (1 - p) / n``: exactly :func:`wilson_interval`. A learner listed in
    ``k`` identical lists adds ``k`` rows but one cluster, so the interval stays as wide as
    that of one list. (NaN, NaN) without trials.

    >>> [round(v, 4) for v in clustered_wilson_interval([1, 0], [1, 1])]
    [0.0945, 0.9055]
    >>> [round(v, 4) for v in clustered_wilson_interval([3, 0], [3, 3])]
    [0.0945, 0.9055]
    """
    s = np.asarray(successes, dtype=float).ravel()
    n = np.asarray(trials, dtype=float).ravel()
    total = n.sum()
    if total <= 0:
        return (float("nan"), float("nan"))
    p = s.sum() / total
    v = float(np.sum((s - p * n) ** 2)) / total**2
    n_eff = min(total, p * (1 - p) / v) if v > 0 else float(np.count_nonzero(n))
    return wilson_interval(p * n_eff, n_eff, z)


# ---------------------------------------------------------------------------- calibration
def expected_calibration_error(y_true, y_prob, n_bins: int = 10) -> float:
    """Expected calibration error with ``n_bins`` equal-width bins on [0, 1].

    ``ECE = sum over bins b of (n_b / n) * |mean(y in b) - mean(p in b)|``. Bin ``i`` holds
    ``i / n_bins <= p < (i + 1) / n_bins``; the last bin also holds ``p == 1``. Empty bins add
    nothing. Returns NaN for empty input.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Observed labels.
    y_prob : array-like of float in [0, 1]
        Predicted probabilities of the positive class.
    n_bins : int, default 10
        Number of equal-width bins.

    Returns
    -------
    float

    Examples
    --------
    >>> expected_calibration_error([0, 1, 1, 0], [0.05, 0.95, 0.65, 0.55])
    0.25
    """
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_prob, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true and y_prob must have the same length, found {y.size} and {p.size}")
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, found {n_bins!r}")
    if y.size == 0:
        return float("nan")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("y_prob must hold probabilities in [0, 1] without NaN")
    # floor(p * n_bins), with p == 1 folded into the last bin: p = 0.97 -> bin 9, p = 1 -> bin 9.
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    gap = np.abs(np.bincount(bins, weights=y, minlength=n_bins) - np.bincount(bins, weights=p, minlength=n_bins))
    # |sum(y) - sum(p)| / n over each bin == (n_b / n) * |mean(y) - mean(p)|
    return float(np.round(gap.sum() / y.size, 12))


# ---------------------------------------------------------------------------- operating decision
def select_top(
    frame: pd.DataFrame,
    *,
    score: str = "score",
    by: Sequence[str] = ("course_id", "week"),
    top_frac: float | None = 0.1,
    top_k: int | None = None,
) -> pd.Series:
    """The top-k decision: True for the ``ceil(top_frac * n)`` highest scores of each ``by`` group.

    Ties in the score are broken by row order, so the result is reproducible. Worked example:
    an offering with 45 enrollments active in week 3 and ``top_frac=0.1`` selects
    ceil(4.5) = 5 of them; 30 enrollments select exactly 3 (0.1 * 30 is 3.0000000000000004 in
    floating point, hence the small tolerance below).

    Parameters
    ----------
    frame : DataFrame
        Scored rows.
    score : str, default "score"
        Column of scores (higher = more at risk).
    by : sequence of str, default ("course_id", "week")
        Columns defining one risk list (one offering in one week).
    top_frac : float in (0, 1], default 0.1
        Fraction of each list selected.
    top_k : int, optional
        A fixed capacity instead: the ``top_k`` highest scores of each list (an advisor's k).

    Returns
    -------
    Series of bool aligned to ``frame``, named ``"selected"``.

    Raises
    ------
    FairnessAuditError
        On a capacity out of range or missing columns.

    Examples
    --------
    >>> df = pd.DataFrame({"course_id": ["A"] * 4, "week": 1, "score": [0.1, 0.9, 0.5, 0.7]})
    >>> select_top(df, top_frac=0.5).tolist()
    [False, True, False, True]
    >>> select_top(df, top_k=1).tolist()
    [False, True, False, False]
    """
    if top_k is not None:
        if top_k < 1:
            raise FairnessAuditError(f"top_k must be a positive number of learners, found {top_k!r}")
    elif top_frac is None or not 0 < top_frac <= 1:
        raise FairnessAuditError(f"top_frac must be in (0, 1], found {top_frac!r}")
    keys = list(by)
    missing = [c for c in [*keys, score] if c not in frame.columns]
    if missing:
        raise FairnessAuditError(
            f"select_top needs columns {missing} which the frame lacks; columns found: {list(frame.columns)}"
        )
    grouped = frame.groupby(keys, sort=False, dropna=False)[score]
    rank = grouped.rank(method="first", ascending=False)
    k = top_k if top_k is not None else np.ceil(top_frac * grouped.transform("size") - 1e-9)
    return (rank <= k).rename("selected")


# ---------------------------------------------------------------------------- ROC curves
def rank_average(values) -> np.ndarray:
    """Ranks from 1, ties given the average of the ranks they span (``scipy.stats.rankdata``).

    >>> rank_average([0.3, 0.1, 0.3, 0.2]).tolist()
    [3.5, 1.0, 3.5, 2.0]
    """
    x = np.asarray(values, dtype=float).ravel()
    order = np.argsort(x, kind="stable")
    xs = x[order]
    first = np.empty(x.size, dtype=bool)  # first row of each run of tied values
    first[:1] = True
    np.not_equal(xs[1:], xs[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], x.size)
    # a run over sorted positions starts..ends-1 spans ranks starts+1..ends
    average = (starts + 1 + ends) / 2.0
    ranks = np.empty(x.size, dtype=float)
    ranks[order] = average[np.cumsum(first) - 1]
    return ranks


def roc_auc(y_true, score) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half: sklearn's value.

    NaN when only one class is present.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y = np.asarray(y_true, dtype=bool).ravel()
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rank_average(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_points(y_true, score) -> tuple[np.ndarray, np.ndarray]:
    """ROC curve as (fpr, tpr) breakpoints from (0, 0) to (1, 1), both non-decreasing.

    The points ``sklearn.metrics.roc_curve(..., drop_intermediate=False)`` returns (the tests
    check it), without its input checks, which dominate on the many small groups of an
    audit: one point after each run of tied scores, so equal FPR values with rising TPR mark
    vertical segments and a run of tied scores gives one diagonal segment.
    Both classes must be present.
    """
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(score, dtype=float).ravel()
    order = np.argsort(-s, kind="stable")
    curve = sorted_roc_points(y[order], s[order])
    if curve is None:
        raise ValueError("a ROC curve needs both classes")
    return curve


def sorted_roc_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """ROC breakpoints of rows already sorted by descending score; None with one class."""
    tp = np.cumsum(y)
    n_pos = tp[-1] if tp.size else 0
    if n_pos == 0 or n_pos == y.size:
        return None
    end = np.empty(y.size, dtype=bool)  # last row of each run of tied scores
    np.not_equal(s[1:], s[:-1], out=end[:-1])
    end[-1] = True
    fp = np.arange(1, y.size + 1) - tp
    zero = np.zeros(1)
    return np.concatenate([zero, fp[end] / (y.size - n_pos)]), np.concatenate([zero, tp[end] / n_pos])
