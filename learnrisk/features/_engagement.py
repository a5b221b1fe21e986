"""Engagement features from the activity log, for every cutoff of an offering in one pass.

Each event is put once into a week bucket of its enrollment's grid,
``b = floor((timestamp - phase) / 7 days)``, and a day bucket ``d = floor((timestamp - phase) /
1 day)``. The row at week ``K`` (cutoff ``phase + 7K days``) sees exactly the events with
``b < K``: an event at 10:00 on the day before the cutoff is in bucket ``K - 1``; an event
exactly at the cutoff is in bucket ``K`` and is not before it. Bucket sums are accumulated
across weeks by a cumulative sum, so all cutoffs cost one pass over the events plus a pass
over a small (enrollments x weeks) table.

Buckets below ``-LOOKBACK`` (events more than four weeks before week 0) are lumped into one:
no window reaches that far (the longest is 4 weeks and ``K >= 0``), only the cumulative sums.
Events at or after the last cutoff asked for are dropped.
"""

from __future__ import annotations

import numpy as np

from ..timeline import DAY, NAT, WEEK
from ._offering import FAMILIES, Offering
from ._windows import Requests

__all__ = ["engagement_features"]

LOOKBACK = 4  # weeks before week 0 kept in their own buckets (the longest window)
WINDOWS = (1, 2, 4)  # "last k weeks" windows
TREND_WEEKS = 4


def _cumulative(per_bucket: np.ndarray) -> np.ndarray:
    """``C[:, j]`` = sum of buckets ``< j`` (an extra leading column of zeros)."""
    out = np.zeros((per_bucket.shape[0], per_bucket.shape[1] + 1), dtype=per_bucket.dtype)
    np.cumsum(per_bucket, axis=1, out=out[:, 1:])
    return out


def engagement_features(off: Offering, req: Requests) -> dict[str, np.ndarray]:
    """Engagement features of the rows ``req`` of offering ``off`` (see the module docstring)."""
    n, r = off.n, len(req)
    if r == 0:
        return {}
    k_max = int(req.week.max())
    nb = k_max + LOOKBACK + 1  # bucket index j = b + LOOKBACK + 1; j = 0 is "earlier"
    e, ts = off.act_enr, off.act_ts
    rel = ts - req.phase[e]
    b = rel // WEEK
    keep = b < k_max
    e, ts, rel, b = e[keep], ts[keep], rel[keep], b[keep]
    clicks, fam = off.act_clicks[keep], off.act_family[keep]
    j = np.maximum(b + LOOKBACK + 1, 0)
    flat = e * nb + j

    clicks_b = np.bincount(flat, weights=clicks, minlength=n * nb).reshape(n, nb)
    fam_b = np.bincount(flat * len(FAMILIES) + fam, weights=clicks, minlength=n * nb * len(FAMILIES))
    fam_b = fam_b.reshape(n, nb, len(FAMILIES))
    last_b = np.full(n * nb, NAT, dtype=np.int64)
    np.maximum.at(last_b, flat, ts)
    last_b = last_b.reshape(n, nb)

    # Distinct active days per bucket: a dense (enrollment x day) table for days from
    # -7*LOOKBACK to 7*k_max - 1, and a sort for the few days earlier than that.
    d = rel // DAY
    day0 = 7 * LOOKBACK
    near = d >= -day0
    days = np.zeros((n, day0 + 7 * k_max), dtype=bool)
    days[e[near], d[near] + day0] = True
    days_b = np.zeros((n, nb), dtype=np.int64)
    days_b[:, 1:] = days.reshape(n, LOOKBACK + k_max, 7).sum(axis=2)
    if (~near).any():
        days_b[:, 0] = _distinct_days(e[~near], d[~near], n)

    cum_clicks = _cumulative(clicks_b)
    cum_days = _cumulative(days_b)
    cum_fam = np.zeros((n, nb + 1, len(FAMILIES)))
    np.cumsum(fam_b, axis=1, out=cum_fam[:, 1:])
    run_last = np.full((n, nb + 1), NAT, dtype=np.int64)
    np.maximum.accumulate(last_b, axis=1, out=run_last[:, 1:])

    re, rj = req.enr, req.week + LOOKBACK + 1  # rj: column of "buckets before the cutoff"
    out: dict[str, np.ndarray] = {}
    for w in WINDOWS:
        out[f"clicks_{w}w"] = cum_clicks[re, rj] - cum_clicks[re, rj - w]
    out["clicks_total"] = cum_clicks[re, rj].astype(np.float64)
    for w in WINDOWS:
        out[f"active_days_{w}w"] = (cum_days[re, rj] - cum_days[re, rj - w]).astype(np.float64)
    out["active_days_total"] = cum_days[re, rj].astype(np.float64)

    last = run_last[re, rj]
    never = last == NAT
    # Never active: days since the course started or the learner registered, whichever is later.
    since = np.where(never, np.maximum(off.anchor[re], off.registered[re]), last)
    out["days_since_last_activity"] = (req.cutoff - since) / DAY
    out["never_active"] = never.astype(np.float64)
    out["clicks_trend"] = _trend(clicks_b, re, req.week)

    total = out["clicks_total"]
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, name in enumerate(FAMILIES[:3]):
            out[f"share_clicks_{name}"] = np.where(total > 0, cum_fam[re, rj, i] / total, np.nan)

    pre_clicks, pre_days = _pre_start(off)
    out["pre_start_clicks"] = pre_clicks[re]
    out["pre_start_active_days"] = pre_days[re]
    return out


def _trend(clicks_b: np.ndarray, re: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Least-squares slope of weekly clicks over the last ``min(4, week)`` weeks; NaN below 2.

    Weeks are whole weeks since the anchor (buckets ``week - m .. week - 1``), so a learner at
    week 2 gets the change from week 0 to week 1.
    """
    out = np.full(len(re), np.nan)
    m_all = np.minimum(week, TREND_WEEKS)
    for m in range(2, TREND_WEEKS + 1):
        rows = np.flatnonzero(m_all == m)
        if not len(rows):
            continue
        x = np.arange(m) - (m - 1) / 2.0
        cols = (week[rows] - m + LOOKBACK + 1)[:, None] + np.arange(m)[None, :]
        y = clicks_b[re[rows][:, None], cols]
        out[rows] = (y @ x) / (x @ x)
    return out


def _pre_start(off: Offering) -> tuple[np.ndarray, np.ndarray]:
    """Clicks and distinct active days before each enrollment's anchor (course start)."""
    anchor = off.anchor
    rel = off.act_ts - anchor[off.act_enr]
    pre = rel < 0
    e = off.act_enr[pre]
    clicks = np.bincount(e, weights=off.act_clicks[pre], minlength=off.n)
    return clicks, _distinct_days(e, rel[pre] // DAY, off.n).astype(np.float64)


def _distinct_days(e: np.ndarray, d: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct day numbers ``d`` per enrollment ``e`` (for the few events not in a table)."""
    if not len(e):
        return np.zeros(n, dtype=np.int64)
    span = int(d.max() - d.min()) + 1
    key = np.unique(e * span + (d - d.min()))
    return np.bincount(key // span, minlength=n)
