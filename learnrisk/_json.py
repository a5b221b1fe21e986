"""One converter to JSON-safe values, for explanations, the fairness audit and summary.json."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

__all__ = ["jsonable"]


def jsonable(v):
    """A value json.dumps accepts: Python numbers and str, ISO strings for times, None for missing.

    >>> jsonable(np.float32(0.5)), jsonable(pd.Timestamp("2024-01-01", tz="UTC")), jsonable(float("nan"))
    (0.5, '2024-01-01T00:00:00+00:00', None)
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, (pd.Timedelta, np.timedelta64)):
        return str(pd.Timedelta(v))
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v).isoformat()
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [jsonable(x) for x in v]
    return str(v) if not isinstance(v, str) else v
