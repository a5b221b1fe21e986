"""Clicks: the activity table, drawn day by day from the weekly latent state.

For every day an enrollment could be active (from ``PRE_START_DAYS`` days before week 0, or
its registration, up to the day before it withdraws or the course ends), the learner is
active with probability

    logistic(DAY_BASE + DAY_SLOPE * z + style)  x  DAY_DISRUPTED (if disrupted)
      x  weekday rhythm  x  (1 + BURST_DAY * burst)  x  PRE_START_FACTOR (before week 0)

where ``burst`` rises from 0 to 1 over the week before each due date. An active day has
``1 + Poisson`` rows (resources visited, more near deadlines and for keen clickers) and each
row ``Geometric`` clicks. Rows pick an activity type by OULAD-like shares and a resource of
that type by a skewed popularity. Everything is built with ``np.repeat`` / ``cumsum`` on flat
arrays: no Python loop runs per learner or per event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..timeline import DAY
from . import _params as P
from ._arrays import ranges, strings, times
from ._catalog import Catalog
from ._latent import Chain
from ._population import Enrollments, logistic


def last_active_day(cat: Catalog, enr: Enrollments, chain: Chain) -> np.ndarray:
    """Exclusive end of the days an enrollment can be active: withdrawal day or course end."""
    return np.minimum(chain.withdraw_day, cat.length[enr.offering])


def _day_factors(cat: Catalog) -> np.ndarray:
    """(offering, weekday of week 0, day + PRE_START_DAYS) activity multiplier of a day.

    It is the weekday rhythm x the deadline burst x the pre-start damping; indexing by the
    weekday of week 0 serves self-paced enrollments, whose week 0 is their own registration.
    """
    n_off, n_days = cat.burst.shape
    days = np.arange(n_days) - P.PRE_START_DAYS
    dow = (np.arange(7)[:, None] + days[None, :]) % 7
    pre = np.where(days < 0, P.PRE_START_FACTOR, 1.0)
    return P.WEEKDAY[dow][None, :, :] * ((1.0 + P.BURST_DAY * cat.burst) * pre)[:, None, :]


def _table(values: np.ndarray, probs: np.ndarray, size: int) -> np.ndarray:
    """A lookup table of ``size`` entries: ``table[U]`` with U uniform on 0..size-1 draws
    ``values`` with ``probs`` (each probability rounded to a multiple of 1 / size)."""
    cum = np.cumsum(probs / probs.sum())
    return values[np.minimum(np.searchsorted(cum, (np.arange(size) + 0.5) / size), len(values) - 1)]


def _clicks_table() -> np.ndarray:
    """Clicks of a row: Geometric(mean CLICKS_PER_ROW), or with mean HEAVY_ROW_CLICKS for a share."""
    k = np.arange(1, 400)
    pmf = lambda mean: (1 / mean) * (1 - 1 / mean) ** (k - 1)  # noqa: E731
    mix = (1 - P.HEAVY_ROW_SHARE) * pmf(P.CLICKS_PER_ROW) + P.HEAVY_ROW_SHARE * pmf(P.HEAVY_ROW_CLICKS)
    return _table(k, mix, 1 << 16).astype(np.int64)


def activity(
    rng: np.random.Generator,
    cat: Catalog,
    enr: Enrollments,
    chain: Chain,
    learner_ids: np.ndarray,
) -> pd.DataFrame:
    """The activity table of all enrollments (rows grouped by enrollment, then by day)."""
    n, n_weeks = chain.level.shape
    off = enr.offering
    # Per enrollment-week: the chance of an active day and the mean number of rows.
    z = P.LEVELS[chain.level]
    day_p = logistic(P.DAY_BASE + P.DAY_SLOPE * z + enr.style[:, None]) * np.where(chain.disrupted, P.DAY_DISRUPTED, 1.0)
    row_mean = P.ROWS_PER_DAY * np.exp(0.25 * z + 0.6 * enr.style[:, None])
    # Per offering, weekday of week 0, and day: the day's multiplier.
    factors = _day_factors(cat)
    n_days = factors.shape[2]
    dow0 = (enr.anchor_ns // DAY + 3) % 7          # 1970-01-01 was a Thursday (Monday = 0)
    base = (off * 7 + dow0) * n_days + P.PRE_START_DAYS
    # Every day an enrollment could be active, then the active ones.
    lo = np.where(enr.ghost, 0, np.maximum(enr.reg_day, -P.PRE_START_DAYS))
    hi = np.where(enr.ghost, 0, last_active_day(cat, enr, chain))
    e, day = ranges(lo, hi)
    ew = e * n_weeks + np.maximum(day // 7, 0)
    on = rng.random(len(e), dtype=np.float32) < day_p.ravel()[ew] * factors.ravel()[base[e] + day]
    e, day, ew = e[on], day[on], ew[on]
    del on
    # Rows on an active day: negative binomial (Poisson with a Gamma(ROWS_SHAPE) intensity, so
    # some days are long sessions), more for keen clickers, busier courses and near deadlines.
    burst = cat.burst.ravel()[off[e] * n_days + P.PRE_START_DAYS + day]
    lam = row_mean.ravel()[ew] * cat.click_scale[off[e]] * (1.0 + P.BURST_ROWS * burst)
    n_rows = 1 + rng.negative_binomial(P.ROWS_SHAPE, P.ROWS_SHAPE / (P.ROWS_SHAPE + lam))
    del burst, lam, ew
    row_day = np.repeat(np.arange(len(e), dtype=np.int32), n_rows)
    m = len(row_day)
    # Per row: activity type by OULAD-like shares, a resource of that type by a skewed
    # popularity (index floor(n_type * u^2): low indices visited most), and clicks.
    shares = np.array([t[1] for t in P.ACTIVITY_TYPES])
    kind = _table(np.arange(len(shares), dtype=np.int8), shares, 1000)[rng.integers(0, 1000, m, dtype=np.uint16)]
    u = rng.random(m, dtype=np.float32)
    resource = (cat.n_res[kind] * (u * u)).astype(np.int32) + cat.res_offset[off[e].astype(np.int32)[row_day], kind]
    del u
    clicks = _clicks_table()[rng.integers(0, 1 << 16, m, dtype=np.uint16)]
    # Exact duplicate log lines (same learner, day, resource and clicks), as OULAD has: a row
    # repeats the one before it on the same day.
    dup = rng.random(m, dtype=np.float32) < P.DUPLICATE_SHARE
    dup[1:] &= row_day[1:] == row_day[:-1]
    dup[0] = False
    src = np.maximum.accumulate(np.where(dup, 0, np.arange(m, dtype=np.int32)))
    del dup
    kind, resource, clicks = kind[src], resource[src], clicks[src]
    del src

    # Columns one at a time, freeing what each used (ten million rows are ~1 GB of arrays).
    n_resources = int(cat.res_offset.max()) + int(cat.n_res.max()) + 1
    columns = {
        "learner_id": strings(learner_ids, enr.learner.astype(np.int32)[e][row_day]),
        "course_id": strings(cat.courses["course_id"].to_numpy(), off.astype(np.int32)[e][row_day]),
        "timestamp": times((enr.anchor_ns[e] + day.astype(np.int64) * DAY)[row_day]),
    }
    del row_day, e, day
    columns["activity_type"] = strings([t[0] for t in P.ACTIVITY_TYPES], kind)
    columns["clicks"] = clicks
    columns["resource_id"] = strings([f"R{i:06d}" for i in range(n_resources)], resource)
    return pd.DataFrame(columns, copy=False)
