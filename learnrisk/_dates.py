"""Reading a date or time given by a user (``"2024-03-04"``, a datetime, a Timestamp) as UTC."""

from __future__ import annotations

import pandas as pd

__all__ = ["utc_timestamp"]


def utc_timestamp(value) -> pd.Timestamp:
    """``value`` as a UTC Timestamp; naive values are taken as UTC.

    Raises ValueError when it is not a date or time; callers turn that into their own error.

    >>> utc_timestamp("2024-03-04")
    Timestamp('2024-03-04 00:00:00+0000', tz='UTC')
    """
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a date: {value!r}") from None
    if t is pd.NaT:
        raise ValueError(f"not a date: {value!r}")
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
