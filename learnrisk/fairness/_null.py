"""How large a group gap gets by chance: permutation tests of ABROCA and of selection rates.

ABROCA is never zero on finite data: two groups drawn from the *same* population have ROC
curves that differ by sampling noise, and the noise grows as groups shrink and as more groups
are compared (ABROCA takes the largest area). On 3,000 synthetic learners with no injected
association (about 750 test enrollments, 10 weekly cutoffs) the noise alone gave ABROCA
0.12-0.19 for the 10 deprivation bands and the 13 OULAD regions, far above the customary
bound of 0.05; the spread of selection rates between small groups is just as noisy. A flag
that fires on every model teaches people to ignore it, so the audit asks a second question
before flagging: could a gap this large arise if the groups were exchangeable?

The test shuffles the group labels among *enrollments* (an enrollment keeps all its weekly
rows together, so the dependence between one learner's weeks is preserved) and recomputes,
per shuffle, ABROCA against the same reference group and the ratio of the lowest to the
highest group selection rate. It reports

- ``p_value``: ``(1 + #{null >= observed}) / (1 + n_permutations)`` (for the selection ratio,
  ``null <= observed``: a smaller ratio is a larger disparity);
- ``null_q95`` (``selection_null_q05``): the value chance alone passes 5 % of the time, the
  "noise floor" at these group sizes.

:func:`holm_adjust` then adjusts the p-values of one family (one statistic over the
attributes audited) so that the chance of any false flag in the family stays under alpha.

Each shuffle reuses one sort of the scores: a group's ROC curve is read off the rows of the
group in the global score order (cumulated positives and negatives at the end of each run of
tied scores), which is what ``sklearn.metrics.roc_curve`` computes; the tests check both agree.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from ..metrics import sorted_roc_points
from ._metrics import abroca_detail

__all__ = ["abroca_permutation_test", "holm_adjust"]


# The shuffled statistic is ABROCA on a fixed grid of 1,001 false positive rates (trapezoids
# of |TPR_a - TPR_b|), about 20 times faster than the exact union of breakpoints on groups
# of thousands of rows and within 0.001 of it; the observed value the p-value compares with
# is computed the same way, so the test is consistent, and the report shows the exact value.
GRID = np.linspace(0.0, 1.0, 1001)
EARLY_STOP = 20


def _grid_statistic(y_s: np.ndarray, s_s: np.ndarray, idx: list[np.ndarray]) -> float:
    """Largest grid ABROCA of groups idx[1:] against idx[0] (rows in descending score order)."""
    ref = sorted_roc_points(y_s[idx[0]], s_s[idx[0]])
    if ref is None:
        return np.nan
    ref_tpr = np.interp(GRID, *ref)
    areas = [
        np.trapezoid(np.abs(np.interp(GRID, *c) - ref_tpr), GRID)
        for c in (sorted_roc_points(y_s[i], s_s[i]) for i in idx[1:])
        if c is not None
    ]
    return float(max(areas)) if areas else np.nan


def _split(codes: np.ndarray, k: int) -> list[np.ndarray]:
    """Row positions of each group code, each in the original (score) order."""
    # A stable sort keeps the score order; on 16-bit codes numpy uses a radix sort.
    by_group = np.argsort(codes.astype(np.int16), kind="stable")
    return np.split(by_group, np.cumsum(np.bincount(codes, minlength=k))[:-1])


def abroca_permutation_test(
    y_true,
    score,
    group,
    selected=None,
    *,
    unit=None,
    reference: Hashable | None = None,
    min_group_size: int = 1,
    n_permutations: int = 200,
    random_state: int | None = 0,
) -> dict:
    """ABROCA of an attribute with its permutation p-value and noise floor.

    With ``selected`` (the operating decision), the same shuffles also test the spread of
    selection rates: the ratio of the lowest to the highest group selection rate
    (1 = equal rates; the "four-fifths rule" of disparate impact asks for at least 0.8).

    Parameters
    ----------
    y_true, score, group
        As for :func:`learnrisk.fairness.abroca`.
    selected : array-like of bool, optional
        The operating decision per row.
    unit : array-like, optional
        The unit that is shuffled (and counted for ``min_group_size``), e.g. an enrollment id
        when one enrollment has a row per week; default each row. Units whose rows carry
        different groups make the test fall back to shuffling rows.
    reference, min_group_size
        As for :func:`learnrisk.fairness.abroca`; the null uses the observed reference group
        and the groups that qualified in the observed data.
    n_permutations : int, default 200
        0 skips the test (p-values and noise floors are NaN).
    random_state : int or None, default 0

    Returns
    -------
    dict
        :func:`~learnrisk.fairness.abroca_detail`'s keys plus ``p_value``, ``null_q95``,
        ``null_mean``, ``n_permutations`` and, with ``selected``, ``selection_ratio``
        (lowest / highest group selection rate), ``selection_p_value`` and
        ``selection_null_q05`` (the 5th percentile of the ratio under shuffling).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random(400) < 0.3
    >>> s = np.clip(0.3 + 0.3 * y + rng.normal(0, 0.2, 400), 0, 1)
    >>> res = abroca_permutation_test(y, s, rng.choice(["a", "b"], 400), n_permutations=99)
    >>> res["p_value"] > 0.05 and res["abroca"] < res["null_q95"]
    True
    """
    detail = abroca_detail(y_true, score, group, reference=reference, min_group_size=min_group_size, unit=unit)
    out = detail | {"p_value": np.nan, "null_q95": np.nan, "null_mean": np.nan, "n_permutations": 0,
                    "selection_ratio": np.nan, "selection_p_value": np.nan, "selection_null_q05": np.nan}
    if np.isnan(detail["abroca"]):
        return out
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(score, dtype=float).ravel()
    g = pd.Series(np.asarray(group, dtype=object).ravel())
    g = g.where(g.notna(), "(missing)").to_numpy()
    ref, others = detail["reference"], list(detail["by_group"])
    compared = [ref, *others]
    k = len(compared)
    code = np.full(y.size, -1)
    for i, label in enumerate(compared):
        code[g == label] = i
    keep = code >= 0  # rows of groups left out in the observed data stay out of the null
    order = np.flatnonzero(keep)[np.argsort(-s[keep], kind="stable")]
    y_s, s_s, code_s = y[order], s[order], code[order]
    sel_s = None if selected is None else np.asarray(selected, dtype=float).ravel()[order]

    def selection_ratio(codes: np.ndarray) -> float:
        rates = np.bincount(codes, weights=sel_s, minlength=k) / np.maximum(np.bincount(codes, minlength=k), 1)
        return float(rates.min() / rates.max()) if rates.max() > 0 else np.nan

    if sel_s is not None:
        out["selection_ratio"] = selection_ratio(code_s)
    if n_permutations <= 0:
        return out

    # One group label per unit; shuffling units keeps each enrollment's weeks together.
    if unit is None:
        unit_codes = np.arange(order.size)
    else:
        unit_codes = pd.factorize(pd.Series(np.asarray(unit, dtype=object).ravel()[order]))[0]
    unit_group = np.full(unit_codes.max() + 1 if unit_codes.size else 0, -1)
    unit_group[unit_codes] = code_s
    if not np.array_equal(unit_group[unit_codes], code_s):  # a unit spans groups: shuffle rows
        unit_codes, unit_group = np.arange(order.size), code_s.copy()

    rng = np.random.default_rng(random_state)
    observed = _grid_statistic(y_s, s_s, _split(code_s, k))
    null = np.full(n_permutations, np.nan)
    null_ratio = np.full(n_permutations, np.nan)
    # Besag & Clifford (1991) sequential stopping: once both statistics have been reached by
    # chance EARLY_STOP times the p-value is clearly large (about EARLY_STOP / b), and further
    # shuffles would only refine a number nobody acts on; significant gaps get every shuffle.
    observed_ratio = out["selection_ratio"]
    for b in range(n_permutations):
        perm = rng.permutation(unit_group)[unit_codes]
        if sel_s is not None:
            null_ratio[b] = selection_ratio(perm)
        null[b] = _grid_statistic(y_s, s_s, _split(perm, k))
        if b + 1 >= 2 * EARLY_STOP and np.sum(null[: b + 1] >= observed - 1e-12) >= EARLY_STOP and (
            sel_s is None or np.isnan(observed_ratio) or np.sum(null_ratio[: b + 1] <= observed_ratio + 1e-12) >= EARLY_STOP
        ):
            null, null_ratio = null[: b + 1], null_ratio[: b + 1]
            break
    null = null[~np.isnan(null)]
    if null.size:
        hits = int(np.sum(null >= observed - 1e-12))
        out |= {
            "p_value": float(hits / null.size if hits >= EARLY_STOP and null.size < n_permutations else (1 + hits) / (1 + null.size)),
            "null_q95": float(np.quantile(null, 0.95)),
            "null_mean": float(null.mean()),
            "n_permutations": int(null.size),
        }
    null_ratio = null_ratio[~np.isnan(null_ratio)]
    if null_ratio.size and not np.isnan(observed_ratio):
        hits = int(np.sum(null_ratio <= observed_ratio + 1e-12))  # a smaller ratio is a larger disparity
        early = hits >= EARLY_STOP and null_ratio.size < n_permutations
        out |= {
            "selection_p_value": float(hits / null_ratio.size if early else (1 + hits) / (1 + null_ratio.size)),
            "selection_null_q05": float(np.quantile(null_ratio, 0.05)),
        }
    return out


def holm_adjust(p_values: dict) -> dict:
    """Holm-Bonferroni adjusted p-values of a family of tests (NaN entries are not tested).

    The ``i``-th smallest of ``m`` p-values becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))``;
    rejecting where the adjusted value is under ``alpha`` keeps the chance of any false flag
    in the family under ``alpha``.

    >>> holm_adjust({"a": 0.01, "b": 0.04, "c": 0.03, "d": float("nan")})
    {'a': 0.03, 'b': 0.06, 'c': 0.06, 'd': nan}
    """
    tested = sorted((p, k) for k, p in p_values.items() if not np.isnan(p))
    m, running, out = len(tested), 0.0, {k: np.nan for k in p_values}
    for j, (p, k) in enumerate(tested):
        running = max(running, min(1.0, (m - j) * p))
        out[k] = round(running, 12)
    return out
