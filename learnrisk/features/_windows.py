"""Cutoffs and populations: which rows a features frame has, and where each row's windows lie.

The as-of rule (who has a row at a cutoff), the anchors (week 0), the week of a calendar
cutoff and the *phase* of a row's week grid are documented with worked dates in
:mod:`learnrisk.timeline`, which implements them for features, scoring and the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..timeline import WEEK, active, week_of
from ._offering import Offering

__all__ = ["Requests", "as_of_requests", "weekly_requests"]


@dataclass(frozen=True)
class Requests:
    """The rows to compute for one offering: enrollment position, week and cutoff of each row.

    ``phase`` is per enrollment (one week grid per enrollment per call).
    """

    enr: np.ndarray
    week: np.ndarray
    cutoff: np.ndarray
    phase: np.ndarray

    def __len__(self) -> int:
        return len(self.enr)


def _active(off: Offering, enr: np.ndarray, cutoff: np.ndarray) -> np.ndarray:
    """:func:`learnrisk.timeline.active` for enrollments ``enr`` of ``off`` at ``cutoff``."""
    return active(off.start, off.end, off.registered[enr], off.withdrawn[enr], cutoff)


def weekly_requests(off: Offering, weeks: np.ndarray) -> Requests:
    """Rows at the weekly cutoffs ``anchor + 7k days`` for each ``k`` in ``weeks`` (ints >= 0)."""
    weeks = np.asarray(weeks, dtype=np.int64)
    anchor = off.anchor
    enr = np.tile(np.arange(off.n, dtype=np.int64), len(weeks))
    week = np.repeat(weeks, off.n)
    cutoff = anchor[enr] + week * WEEK
    keep = _active(off, enr, cutoff)
    return Requests(enr[keep], week[keep], cutoff[keep], anchor.copy())


def as_of_requests(off: Offering, t: int) -> Requests:
    """Rows at the calendar cutoff ``t`` (ns), each enrollment at its own week."""
    enr = np.arange(off.n, dtype=np.int64)
    cutoff = np.full(off.n, t, dtype=np.int64)
    keep = _active(off, enr, cutoff)
    anchor = off.anchor
    # t >= anchor for every kept row: a cohort course has start <= t, a self-paced anchor is a
    # registration before t; so the week is >= 0.
    week = np.where(keep, week_of(t, anchor), 0)
    phase = t - week * WEEK
    return Requests(enr[keep], week[keep], cutoff[keep], phase)
