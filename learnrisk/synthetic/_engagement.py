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
import pyarrow as pa

from . import _params as P
from ._catalog import DAY_NS, Catalog
from ._latent import Chain
from ._population import Enrollments, logistic


def ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten the integer ranges ``lo[i] .. hi[i] - 1``: (owner index, value) per element.

    >>> ranges(np.array([0, 5]), np.array([2, 8]))
    (array([0, 0, 1, 1, 1]), array([0, 1, 5, 6, 7]))
    """
    count = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), count)
    starts = np.cumsum(count) - count
    value = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(starts - lo, count)
    return owner, value


def strings(dictionary, codes: np.ndarray) -> pd.Series:
    """A ``str`` Series of ``dictionary[codes]`` built in Arrow (fast on ten million rows)."""
    arr = pa.array(np.asarray(dictionary, dtype=object), type=pa.large_string()).take(pa.array(codes))
    return pd.Series(arr, dtype="str")


def last_active_day(cat: Catalog, enr: Enrollments, chain: Chain) -> np.ndarray:
    """Exclusive end of the days an enrollment can be active: withdrawal day or course end."""
    return np.minimum(chain.withdraw_day, cat.length[enr.offering])


def activity(
    rng: np.random.Generator,
    cat: Catalog,
    enr: Enrollments,
    chain: Chain,
    learner_ids: np.ndarray,
) -> pd.DataFrame:
    """The activity table of all enrollments (rows grouped by enrollment, then by day)."""
    off = enr.offering
    lo = np.where(enr.ghost, 0, np.maximum(enr.reg_day, -P.PRE_START_DAYS))
    hi = np.where(enr.ghost, 0, last_active_day(cat, enr, chain))
    e, day = ranges(lo, hi)
    week = np.maximum(day // 7, 0)
    n_weeks = chain.level.shape[1]
    flat = e * n_weeks + week
    z = P.LEVELS[chain.level.ravel()[flat]]
    dis = chain.disrupted.ravel()[flat]
    style = enr.style[e]
    burst = cat.burst[off[e], day + P.PRE_START_DAYS]
    # Calendar weekday of each day (Monday = 0); 1970-01-01 was a Thursday (3).
    dow = ((enr.anchor_ns[e] // DAY_NS + day + 3) % 7).astype(np.intp)
    p = logistic(P.DAY_BASE + P.DAY_SLOPE * z + style)
    p *= np.where(dis, P.DAY_DISRUPTED, 1.0) * P.WEEKDAY[dow] * (1.0 + P.BURST_DAY * burst)
    p *= np.where(day < 0, P.PRE_START_FACTOR, 1.0)
    on = rng.random(len(p)) < np.minimum(p, 0.97)
    e, day, z, style, burst = e[on], day[on], z[on], style[on], burst[on]

    lam = P.ROWS_PER_DAY * np.exp(0.25 * z + 0.6 * style) * (1.0 + P.BURST_ROWS * burst)
    n_rows = 1 + rng.poisson(lam)
    e = np.repeat(e, n_rows)
    day = np.repeat(day, n_rows)
    n = len(e)
    clicks = rng.geometric(1.0 / P.CLICKS_PER_ROW, n).astype(np.int64)
    shares = np.array([t[1] for t in P.ACTIVITY_TYPES])
    kind = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(n), side="right")
    kind = np.minimum(kind, len(shares) - 1)
    # Popularity within a type: index floor(n_type * u^2), so low indices are visited most.
    which = np.floor(cat.n_res[kind] * rng.random(n) ** 2).astype(np.int64)
    resource = cat.res_offset[off[e], kind] + which

    n_resources = cat.res_offset.size and int(cat.res_offset[-1, -1] + cat.n_res[-1])
    resource_names = np.array([f"R{i:06d}" for i in range(n_resources)], dtype=object)
    timestamp = enr.anchor_ns[e] + day * DAY_NS
    course_ids = cat.courses["course_id"].to_numpy()
    return pd.DataFrame(
        {
            "learner_id": strings(learner_ids, enr.learner[e]),
            "course_id": strings(course_ids, off[e]),
            "timestamp": pd.DatetimeIndex(timestamp.view("M8[ns]")).tz_localize("UTC"),
            "activity_type": strings([t[0] for t in P.ACTIVITY_TYPES], kind),
            "clicks": clicks,
            "resource_id": strings(resource_names, resource),
        }
    )
