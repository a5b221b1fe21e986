"""Caseloads: per advisor, one ranked list across all their courses, cut at their capacity.

Where the assignment of learners to advisors comes from, first found wins:

1. a caseload file (CSV with a header): ``learner_id, course_id, advisor[, capacity]``; one row
   per enrollment an advisor serves (an enrollment may have several advisors);
2. an ``advisor`` column on the enrollments table (extra columns of the canonical tables are
   kept), with an optional ``advisor_capacity`` column.

An advisor's **capacity** is the learners they can contact in a week: the ``capacity`` column of
their rows (the first one given), else the ``capacity`` argument (``--capacity``; default the
job's ``top_k``).

The **caseload list** of an advisor is the listed rows (high and medium bands) of their
enrollments, ranked by risk across their courses (ties by raw score, then course and learner
id: the order of every list), cut at the capacity: exactly the union of their courses' lists,
re-ranked, first ``capacity`` kept. ``contact_now`` of the risk list is then "in the cut of at least one advisor".
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ..errors import ScoringError

__all__ = ["Caseload", "assignments", "build_caseloads", "caseload_filename"]

KEYS = ["course_id", "learner_id"]
REQUIRED = ("learner_id", "course_id", "advisor")


@dataclass(frozen=True)
class Caseload:
    """One advisor's list: ``rows`` ranked (``caseload_rank``) and cut at ``capacity``;
    ``served`` the number of their scored enrollments before the cut."""

    advisor: str
    capacity: int
    rows: pd.DataFrame
    served: int  # all their scored enrollments, listed or not
    courses: tuple[str, ...]


def _clean(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ScoringError(f"{source} lacks column(s) {missing}; expected learner_id, course_id, advisor[, capacity]")
    out = frame[list(REQUIRED)].astype("str").copy()
    if "capacity" in frame.columns:
        cap = pd.to_numeric(frame["capacity"], errors="coerce")
        if (cap.dropna() < 1).any() or (cap.dropna() % 1 != 0).any():
            raise ScoringError(f"{source}: capacity must be a whole number >= 1")
        out["capacity"] = cap.to_numpy()
    else:
        out["capacity"] = np.nan
    advisor = frame["advisor"]
    out = out[advisor.notna().to_numpy() & (out["advisor"].str.strip() != "").to_numpy()]
    # one capacity per advisor, from every row that gives one (whichever learners are listed)
    given = out.dropna(subset=["capacity"]).groupby("advisor")["capacity"].unique()
    clash = given[given.map(len) > 1]
    if len(clash):
        name = clash.index[0]
        raise ScoringError(f"{source}: advisor {name!r} has different capacities ({', '.join(f'{c:g}' for c in sorted(clash.iloc[0]))}); give one")
    out["capacity"] = out["advisor"].map(given.map(lambda v: v[0])).astype("float64")
    return out.drop_duplicates(REQUIRED).reset_index(drop=True)


def assignments(data: LearningData, caseload: str | os.PathLike | pd.DataFrame | None = None) -> pd.DataFrame:
    """Who serves which enrollment: learner_id, course_id, advisor, capacity (NaN: default).

    Raises ScoringError when neither a caseload file nor an ``advisor`` column is given, or the
    file cannot be read or lacks a column.
    """
    if isinstance(caseload, pd.DataFrame):
        return _clean(caseload, "the caseload table")
    if caseload is not None:
        path = Path(caseload)
        try:
            frame = pd.read_csv(path, dtype={"learner_id": "str", "course_id": "str", "advisor": "str"})
        except (OSError, ValueError) as exc:
            raise ScoringError(f"cannot read the caseload file {path}: {str(exc).splitlines()[0]}") from None
        return _clean(frame, f"the caseload file {path}")
    e = data.enrollments
    if "advisor" not in e.columns:
        raise ScoringError(
            "--by advisor needs an advisor for each enrollment: an 'advisor' column on the enrollments "
            "table, or a caseload file (--caseload FILE, CSV: learner_id, course_id, advisor[, capacity])"
        )
    frame = e[["learner_id", "course_id", "advisor"]].copy()
    if "advisor_capacity" in e.columns:
        frame["capacity"] = e["advisor_capacity"]
    return _clean(frame, "the enrollments' advisor column")


def build_caseloads(risk_list: pd.DataFrame, assigned: pd.DataFrame, capacity: int) -> list[Caseload]:
    """One :class:`Caseload` per advisor (sorted by name) over the listed rows of ``risk_list``.

    ``risk_list`` needs course_id, learner_id, risk, raw_score and band; the rows keep every column
    and gain ``advisor``, ``caseload_rank`` and ``capacity``.
    """
    if capacity < 1:
        raise ScoringError(f"capacity must be at least 1, found {capacity}")
    rows = risk_list.drop(columns=["advisor", "capacity", "caseload_rank"], errors="ignore")
    rows = rows.merge(assigned, on=KEYS, how="inner", validate="one_to_many")
    out = []
    for advisor, every in rows.groupby("advisor", sort=True):
        g = every[every["band"] != "low"]
        caps = g["capacity"].dropna()
        cap = int(caps.iloc[0]) if len(caps) else int(capacity)
        ranked = g.sort_values(
            ["risk", "raw_score", "course_id", "learner_id"], ascending=[False, False, True, True], kind="mergesort"
        ).reset_index(drop=True)
        ranked["caseload_rank"] = np.arange(1, len(ranked) + 1, dtype="int64")
        ranked["capacity"] = cap
        out.append(
            Caseload(
                advisor=str(advisor),
                capacity=cap,
                rows=ranked.head(cap).reset_index(drop=True),
                served=len(every),
                courses=tuple(sorted(ranked["course_id"].unique())),
            )
        )
    return out


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def caseload_filename(advisor: str) -> str:
    """A file name stem safe on every file system; a short hash keeps two names apart when
    cleaning made them equal (``"Ann Lee"`` -> ``Ann_Lee-1a2b3c``, ``"ann"`` -> ``ann``)."""
    stem = _UNSAFE.sub("_", advisor).strip("._") or "advisor"
    if stem == advisor and not stem.startswith("."):
        return stem[:80]
    return f"{stem[:72]}-{hashlib.sha1(advisor.encode()).hexdigest()[:6]}"
