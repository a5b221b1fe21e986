"""Cutoffs and populations: which rows a features frame has, and where each row's windows lie.

The as-of rule (who has a row at a cutoff), the anchors (week 0), the week of a calendar
cutoff and the *phase* of a row's week grid are documented with worked dates in
:mod:`learnrisk.timeline`, which implements them for features, scoring and the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..timeline import DAY, WEEK, active, week_of
from ._offering import Offering

__all__ = ["Requests", "as_of_requests", "day_requests", "weekly_requests"]


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


def _grid_requests(off: Offering, week: np.ndarray, offset: np.ndarray, shift: int) -> Requests:
    """Rows at ``anchor + offset`` ns for each (``week``, ``offset``) pair, on the grid ``anchor + shift``."""
    anchor = off.anchor
    enr = np.tile(np.arange(off.n, dtype=np.int64), len(week))
    cutoff = anchor[enr] + np.repeat(offset, off.n)
    keep = _active(off, enr, cutoff)
    return Requests(enr[keep], np.repeat(week, off.n)[keep], cutoff[keep], anchor + shift)


def weekly_requests(off: Offering, weeks: np.ndarray) -> Requests:
    """Rows at the weekly cutoffs ``anchor + 7k days`` for each ``k`` in ``weeks`` (ints >= 0)."""
    weeks = np.asarray(weeks, dtype=np.int64)
    return _grid_requests(off, weeks, weeks * WEEK, 0)


def day_requests(off: Offering, days: np.ndarray) -> Requests:
    """Rows at the cutoffs ``anchor + d days`` for each ``d`` in ``days`` (ints >= 0, all equal mod 7).

    The week of a row is ``floor(d / 7)`` and its grid (phase) is ``anchor + (d mod 7) days``,
    so that ``cutoff = phase + 7 * week`` days and "the last 7 days" end at the cutoff. One call
    has one grid per enrollment: days of different residues mod 7 go to separate calls.
    """
    days = np.asarray(days, dtype=np.int64)
    shift = np.unique(days % 7)
    if len(shift) > 1:
        raise ValueError(f"days of one call must be equal modulo 7, found {days.tolist()}")
    return _grid_requests(off, days // 7, days * DAY, int(shift[0]) * DAY if len(shift) else 0)


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
