"""Metrics of the fairness audit on plain arrays: ABROCA (exact), expected calibration error,
and the per-group metric functions of the audit (``MetricFrame``-compatible: the tests check
them against fairlearn).

ABROCA (absolute between-ROC area; Gardner, Brooks & Baker, LAK 2019) is the area between two
groups' ROC curves, ``integral over FPR in [0, 1] of |TPR_a(FPR) - TPR_b(FPR)|``. Each ROC
curve is the piecewise-linear function through the points ``sklearn.metrics.roc_curve``
returns (computed here without its input checks, see :func:`roc_points`); ties in the score
give a diagonal segment, the expected curve under random tie-breaking. Between two consecutive breakpoints of the *union* of both curves' FPR values
the difference ``d(x) = TPR_a(x) - TPR_b(x)`` is linear, so ``|d|`` integrates exactly:

- no sign change on ``[a, b]``: ``(b - a) * (|d_a| + |d_b|) / 2`` (a trapezoid);
- a sign change: the crossing point splits it into two triangles of total area
  ``(b - a) * (d_a**2 + d_b**2) / (2 * (|d_a| + |d_b|))``.

Worked example (the one in the tests): curve A is flat at TPR 0.5 on (0, 1), curve B is the
diagonal TPR = FPR. The union of breakpoints is {0, 1}; d_a = 0.5 - 0 = 0.5 just right of 0,
d_b = 0.5 - 1 = -0.5 just left of 1, so the area is (0.25 + 0.25) / (2 * 1) = 0.25: two
triangles of base 0.5 and height 0.5. A trapezoid on |d| would say 0.5, one on d would say 0.

Vertical segments (a threshold that moves only positives) have no width; on each interval
we therefore take a curve's right limit at the left end and its left limit at the right end.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from scipy.stats import rankdata

__all__ = [
    "abroca",
    "abroca_detail",
    "expected_calibration_error",
    "roc_area_between",
    "roc_points",
]


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


# ---------------------------------------------------------------------------- ROC curves
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


def roc_auc(y_true, score) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half: sklearn's value."""
    y = np.asarray(y_true, dtype=bool).ravel()
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(np.asarray(score, dtype=float).ravel())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _right_limit(fpr: np.ndarray, tpr: np.ndarray, x: np.ndarray) -> np.ndarray:
    """TPR just right of each x in [0, 1): the top of a vertical segment at x, else interpolated."""
    j = np.searchsorted(fpr, x, side="right") - 1  # last breakpoint with fpr <= x
    at = fpr[j] == x
    k = np.minimum(j + 1, fpr.size - 1)
    width = np.where(at, 1.0, fpr[k] - fpr[j])
    frac = np.where(at, 0.0, (x - fpr[j]) / width)
    return tpr[j] + frac * (tpr[k] - tpr[j])


def _left_limit(fpr: np.ndarray, tpr: np.ndarray, x: np.ndarray) -> np.ndarray:
    """TPR just left of each x in (0, 1]: the bottom of a vertical segment at x, else interpolated."""
    i = np.searchsorted(fpr, x, side="left")  # first breakpoint with fpr >= x
    at = fpr[i] == x
    h = np.maximum(i - 1, 0)
    width = np.where(at, 1.0, fpr[i] - fpr[h])
    frac = np.where(at, 1.0, (x - fpr[h]) / width)
    return tpr[h] + frac * (tpr[i] - tpr[h])


def roc_area_between(fpr_a, tpr_a, fpr_b, tpr_b) -> float:
    """Exact area between two piecewise-linear ROC curves over FPR in [0, 1].

    Parameters
    ----------
    fpr_a, tpr_a, fpr_b, tpr_b : array-like
        Breakpoints of each curve, sorted, from (0, 0) to (1, 1), as :func:`roc_points` gives.

    Returns
    -------
    float
        ``integral |TPR_a - TPR_b| dFPR``, crossings between breakpoints included.

    Examples
    --------
    >>> roc_area_between([0, 0, 1, 1], [0, 0.5, 0.5, 1], [0, 1], [0, 1])  # flat 0.5 vs the diagonal
    0.25
    """
    fa, ta, fb, tb = (np.asarray(v, dtype=float) for v in (fpr_a, tpr_a, fpr_b, tpr_b))
    x = np.union1d(fa, fb)
    lo, hi = x[:-1], x[1:]
    d_lo = _right_limit(fa, ta, lo) - _right_limit(fb, tb, lo)
    d_hi = _left_limit(fa, ta, hi) - _left_limit(fb, tb, hi)
    width = hi - lo
    a_lo, a_hi = np.abs(d_lo), np.abs(d_hi)
    crossing = d_lo * d_hi < 0
    trapezoid = width * (a_lo + a_hi) / 2
    total = a_lo + a_hi
    triangles = width * (d_lo**2 + d_hi**2) / (2 * np.where(crossing, total, 1.0))
    return float(np.round(np.where(crossing, triangles, trapezoid).sum(), 12))


# ---------------------------------------------------------------------------- ABROCA
def _eligible(y: np.ndarray, min_group_size: int) -> bool:
    return y.size >= max(min_group_size, 1) and 0 < y.sum() < y.size


def abroca_detail(
    y_true, score, group, *, reference: Hashable | None = None, min_group_size: int = 1, unit=None
) -> dict:
    """ABROCA with the details behind it: the reference group and each group's area.

    Groups with fewer than ``min_group_size`` units (rows, or distinct values of ``unit``
    such as an enrollment id when one enrollment has a row per week) or a single class are
    left out; the default reference is the group with the most units. Returns
    ``{"abroca", "reference", "group", "by_group", "excluded"}`` where ``group`` is the group
    whose curve is farthest from the reference and ``by_group`` maps each compared group to
    its area against the reference. ``abroca`` is NaN when fewer than two groups qualify.
    """
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(score, dtype=float).ravel()
    g = pd.Series(np.asarray(group, dtype=object).ravel())
    if not (y.size == s.size == g.size):
        raise ValueError(f"y_true, score and group must have the same length, found {y.size}, {s.size}, {g.size}")
    g = g.where(g.notna(), "(missing)")
    codes, labels = pd.factorize(g, sort=True)
    units = None if unit is None else pd.factorize(pd.Series(np.asarray(unit, dtype=object).ravel()))[0]
    if units is not None and units.size != y.size:
        raise ValueError(f"unit must have one value per row, found {units.size} for {y.size} rows")
    curves, sizes, excluded = {}, {}, []
    for code, label in enumerate(labels):
        mask = codes == code
        size = int(mask.sum()) if units is None else int(np.unique(units[mask]).size)
        if size >= max(min_group_size, 1) and 0 < y[mask].sum() < mask.sum():
            curves[label] = roc_points(y[mask], s[mask])
            sizes[label] = size
        else:
            excluded.append(label)
    out = {"abroca": float("nan"), "reference": None, "group": None, "by_group": {}, "excluded": excluded}
    if reference is not None and reference not in curves:
        if reference in excluded:
            return out | {"reference": reference}
        raise ValueError(f"reference group {reference!r} not found; groups present: {list(labels)}")
    if len(curves) < 2:
        return out
    # Default reference: the largest qualifying group (Gardner et al.'s "baseline" group);
    # ties go to the first label in sorted order so the choice is reproducible.
    ref = reference if reference is not None else max(curves, key=lambda k: sizes[k])
    by_group = {k: roc_area_between(*curves[k], *curves[ref]) for k in curves if k != ref}
    worst = max(by_group, key=by_group.get)
    return out | {"abroca": by_group[worst], "reference": ref, "group": worst, "by_group": by_group}


def abroca(y_true, score, group, *, reference: Hashable | None = None, min_group_size: int = 1) -> float:
    """Absolute between-ROC area (ABROCA) of a sensitive attribute, computed exactly.

    For two groups: the area between their ROC curves (symmetric in the groups). For more:
    the area between each group's curve and the reference group's, and the largest of these.
    The reference is ``reference`` if given, else the largest group (Gardner, Brooks & Baker
    2019 compare each group with a majority "baseline" group). We compare with the
    majority rather than with "everyone else" so that each number is a distance between two
    actual groups' curves, unchanged when a third group grows or shrinks.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Observed labels.
    score : array-like of float
        Scores (any monotone scale; only the ranking matters).
    group : array-like
        Group label per row; missing labels form their own group ``"(missing)"``.
    reference : hashable, optional
        Group every other group is compared with; default the largest qualifying group.
    min_group_size : int, default 1
        Groups with fewer rows, or with one class only, are left out.

    Returns
    -------
    float
        In [0, 1]; NaN when fewer than two groups qualify.

    Examples
    --------
    >>> y = [1, 0, 1, 1, 0, 1, 0]
    >>> s = [0.9, 0.5, 0.1, 0.9, 0.8, 0.7, 0.6]
    >>> abroca(y, s, ["a"] * 3 + ["b"] * 4)
    0.25
    """
    return abroca_detail(y_true, score, group, reference=reference, min_group_size=min_group_size)["abroca"]


# ---------------------------------------------------------------------------- per-group metrics
def group_metric_functions(min_group_size: int) -> dict:
    """Metric callables for ``fairlearn.metrics.MetricFrame`` (``y_pred`` is the score).

    Each returns NaN on a group too small to report (fewer than ``min_group_size`` rows or
    one class only), so that no noisy number is ever shown. The decision metrics take the
    operating decision as the sample parameter ``selected``.
    """

    def ok(y) -> bool:
        return _eligible(np.asarray(y, dtype=float), min_group_size)

    def n(y, p):
        return float(len(y))

    def base_rate(y, p):
        return float(np.mean(y)) if ok(y) else np.nan

    def auc(y, p):
        return roc_auc(y, p) if ok(y) else np.nan

    def ece(y, p):
        return expected_calibration_error(y, p) if ok(y) else np.nan

    def selection_rate(y, p, selected):
        return float(np.mean(selected)) if ok(y) else np.nan

    def fnr(y, p, selected):  # missed positives: not selected among those who go on to the event
        y, sel = np.asarray(y, dtype=bool), np.asarray(selected, dtype=bool)
        return float(np.mean(~sel[y])) if ok(y) else np.nan

    def fpr(y, p, selected):  # flagged negatives: selected among those who do not
        y, sel = np.asarray(y, dtype=bool), np.asarray(selected, dtype=bool)
        return float(np.mean(sel[~y])) if ok(y) else np.nan

    return {
        "n": n,
        "base_rate": base_rate,
        "roc_auc": auc,
        "ece": ece,
        "selection_rate": selection_rate,
        "fnr": fnr,
        "fpr": fpr,
    }


DECISION_METRICS = ("selection_rate", "fnr", "fpr")
