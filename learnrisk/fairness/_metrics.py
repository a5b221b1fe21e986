"""Metrics of the fairness audit on plain arrays: ABROCA (exact) and the per-group metric
functions of the audit (``MetricFrame``-compatible: the audit runs them through fairlearn).
The expected calibration error and the ROC curves are shared with training and live below
both, in :mod:`learnrisk.metrics`.

ABROCA (absolute between-ROC area; Gardner, Brooks & Baker, LAK 2019) is the area between two
groups' ROC curves, ``integral over FPR in [0, 1] of |TPR_a(FPR) - TPR_b(FPR)|``. Each ROC
curve is the piecewise-linear function through the points ``sklearn.metrics.roc_curve``
returns (computed without its input checks, see :func:`learnrisk.metrics.roc_points`); ties in the score
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

from ..metrics import expected_calibration_error, roc_auc, roc_points, sorted_roc_points

__all__ = [
    "abroca",
    "abroca_detail",
    "group_metric_functions",
    "roc_area_between",
]


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
