"""Option parsing shared by the commands: week ranges, lists, dates, and a step printer."""

from __future__ import annotations

import pandas as pd

from ..errors import LearnriskError
from ..timeline import utc_timestamp


def parse_weeks(text: str) -> list[int]:
    """``"1-20"`` -> 1..20; ``"1,4,8-10"`` -> [1, 4, 8, 9, 10]."""
    weeks: set[int] = set()
    try:
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                weeks.update(range(lo, hi + 1))
            else:
                weeks.add(int(part))
    except ValueError:
        raise LearnriskError(f"cannot read weeks {text!r}: use a range like 1-20 or a list like 1,4,8-10") from None
    if not weeks or min(weeks) < 0:
        raise LearnriskError(f"weeks {text!r}: give whole weeks >= 0, e.g. 1-20")
    return sorted(weeks)


def parse_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_date(text: str) -> pd.Timestamp:
    """An as-of date (``2024-03-04`` or an ISO timestamp), as UTC."""
    try:
        return utc_timestamp(text)
    except ValueError:
        raise LearnriskError(f"cannot read the date {text!r}: use YYYY-MM-DD") from None
