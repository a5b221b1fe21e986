"""Cohort-relative features: a learner's value against the rest of the offering at the same week.

The reference of a row (offering ``o``, week ``k``, cutoff ``t``) is every row of ``o`` at week
``k`` whose cutoff is at or before ``t``, each with its value at its own cutoff (the row itself
included; missing values skipped). For a cohort course all rows of a week share one cutoff,
so this is simply "everyone in the course at the same cutoff". For a self-paced course it is
everyone who reached week ``k`` no later than this learner did: peers who registered later have
not reached week ``k`` at ``t``, so their week-``k`` values are the future and are not used.

The z-score is ``(value - mean) / std`` over the reference (population standard deviation);
NaN with fewer than two reference values, 0 when all reference values are equal.

Sums run in a fixed order (cutoff, then learner) within each week from a shift equal to the
first value, so a row's z-score depends only on the values in its reference and is exactly
the same whatever happens after its cutoff.
"""

from __future__ import annotations

import numpy as np

__all__ = ["zscore_at_cutoff"]


def zscore_at_cutoff(
    week: np.ndarray,
    cutoff: np.ndarray,
    value: np.ndarray,
    ref_week: np.ndarray,
    ref_cutoff: np.ndarray,
    ref_value: np.ndarray,
    ref_tiebreak: np.ndarray,
) -> np.ndarray:
    """z-score of each ``value`` against the reference rows of the same week with cutoff <= its own.

    Examples
    --------
    >>> import numpy as np
    >>> w, t = np.zeros(3, int), np.zeros(3, int)
    >>> zscore_at_cutoff(w, t, np.array([1.0, 2, 3]), w, t, np.array([1.0, 2, 3]), np.arange(3)).round(3)
    array([-1.225,  0.   ,  1.225])
    """
    out = np.full(len(value), np.nan)
    valid = ~np.isnan(ref_value)
    rw, rc, rv, rt = ref_week[valid], ref_cutoff[valid], ref_value[valid], ref_tiebreak[valid]
    order = np.lexsort((rt, rc, rw))
    rw, rc, rv = rw[order], rc[order], rv[order]
    bounds = np.flatnonzero(np.diff(rw)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(rw)]])
    for lo, hi in zip(starts, ends):
        if hi <= lo:
            continue
        rows = np.flatnonzero(week == rw[lo])
        if not len(rows):
            continue
        v = rv[lo:hi] - rv[lo]
        s1, s2 = np.cumsum(v), np.cumsum(v * v)
        pos = np.searchsorted(rc[lo:hi], cutoff[rows], side="right") - 1
        ok = pos >= 1  # at least two reference values
        rows, pos = rows[ok], pos[ok]
        cnt = pos + 1.0
        mean = s1[pos] / cnt
        var = s2[pos] / cnt - mean * mean
        x = value[rows] - rv[lo] - mean
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(var > 0, x / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
        out[rows] = np.where(np.isnan(value[rows]), np.nan, z)
    return out
