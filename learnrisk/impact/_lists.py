"""What was published: the listed and the held-out learners of every weekly list in OUT.

Impact reads the lists as written (``risk_list.parquet``, else ``risk_list.csv``; ``holdout.csv``;
``summary.json`` for the hold-out share); it never scores again with a model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ImpactError
from ..timeline import utc_timestamp

__all__ = ["LISTING_COLUMNS", "first_listings", "read_lists"]

LISTING_COLUMNS = [
    "as_of", "course_id", "learner_id", "week", "p_dropout", "p_underperformance", "risk", "band",
    "held_out", "holdout_share",
]  # fmt: skip
_READ = ["course_id", "learner_id", "week", "p_dropout", "p_underperformance", "risk", "band"]


def _date(value, option: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return utc_timestamp(value)
    except (ValueError, TypeError):
        raise ImpactError(f"{option} {value!r} is not a date; give YYYY-MM-DD") from None


def _list_rows(folder: Path) -> pd.DataFrame | None:
    try:
        return pd.read_parquet(folder / "risk_list.parquet", columns=_READ)
    except Exception:  # a damaged or missing file: the CSV
        pass
    try:
        rows = pd.read_csv(folder / "risk_list.csv", usecols=_READ, dtype={"course_id": "str", "learner_id": "str"})
    except Exception:
        return None
    for col in ("course_id", "learner_id"):  # the writer neutralises formula-like ids with a leading '
        rows[col] = rows[col].str.removeprefix("'")
    return rows


def _share(folder: Path) -> float:
    try:
        return float(json.loads((folder / "summary.json").read_text())["holdout"]["share"] or 0.0)
    except (OSError, ValueError, KeyError, TypeError):
        return 1.0 if (folder / "holdout.csv").is_file() else 0.0  # a hold-out without its summary


def read_lists(lists_dir: str | os.PathLike, from_=None, to=None) -> pd.DataFrame:
    """Every listed (band high or medium) and held-out row of the as-of folders in ``lists_dir``
    dated ``from_ <= as-of <= to`` (both optional, ``YYYY-MM-DD``).

    Columns: as_of (UTC Timestamp), course_id, learner_id, week, p_dropout, p_underperformance,
    risk, band, held_out (bool), holdout_share (the list's hold-out share, 0 without one).

    Raises
    ------
    ImpactError : no such folder, or no list in the period
    """
    root = Path(lists_dir)
    if not root.is_dir():
        raise ImpactError(f"--lists {root} is not a folder; give the OUT folder of learnrisk score")
    lo, hi = _date(from_, "--from"), _date(to, "--to")
    frames = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            t = utc_timestamp(folder.name)
        except ValueError:
            continue
        if (lo is not None and t < lo) or (hi is not None and t > hi):
            continue
        rows = _list_rows(folder)
        if rows is None:
            continue
        rows = rows[rows["band"].ne("low")].assign(held_out=False)
        if (folder / "holdout.csv").is_file():
            held = pd.read_csv(folder / "holdout.csv", usecols=_READ, dtype={"course_id": "str", "learner_id": "str"})
            for col in ("course_id", "learner_id"):
                held[col] = held[col].str.removeprefix("'")
            rows = pd.concat([rows, held.assign(held_out=True)], ignore_index=True)
        frames.append(rows.assign(as_of=t, holdout_share=_share(folder)))
    if not frames:
        period = f" between {from_ or 'the first'} and {to or 'the last'}" if (lo or hi) else ""
        raise ImpactError(f"no risk list in {root}{period}; run learnrisk score --out {root} first")
    out = pd.concat(frames, ignore_index=True)
    out["course_id"] = out["course_id"].astype("str")
    out["learner_id"] = out["learner_id"].astype("str")
    out["held_out"] = out["held_out"].astype(bool)
    return out[LISTING_COLUMNS]


def first_listings(listings: pd.DataFrame) -> pd.DataFrame:
    """One row per enrollment: its first listing in the period (the time of assignment: the
    arm, the predicted risk and the as-of date of that list)."""
    out = listings.sort_values(["as_of", "course_id", "learner_id"], kind="mergesort")
    out = out.drop_duplicates(["course_id", "learner_id"], keep="first").reset_index(drop=True)
    out["held_out"] = out["held_out"].astype(bool)
    out["randomized"] = (out["holdout_share"] > 0).to_numpy() if "holdout_share" in out else np.zeros(len(out), bool)
    return out
