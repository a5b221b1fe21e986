"""Cutoffs and populations: which rows a features frame has, and where each row's windows lie.

The as-of rule (``DESIGN.md``): a row for an enrollment at cutoff ``t`` exists when the
offering is running at ``t`` (``start <= t < end``), the learner registered before ``t``
(``registered_at < t``; registering exactly at ``t`` is not before it) and had not withdrawn
before ``t`` (``withdrawn_at`` is null or ``>= t``). Features of the row read only facts
strictly before ``t``.

Week 0 of an enrollment (its *anchor*) is the course start, or for a self-paced course the
learner's registration. A weekly cutoff is ``anchor + 7k days``::

    course A-2023 starts Monday 2023-01-02 00:00 UTC
    week 1 -> cutoff 2023-01-09 00:00; week 3 -> cutoff 2023-01-23 00:00
    a learner who withdraws on 2023-01-20 has rows at weeks 0, 1 and 2, not at week 3

A calendar ``as_of`` date is the cutoff itself; the row's week is the number of whole weeks
since the anchor, ``floor((t - anchor) / 7 days)``::

    as_of 2023-01-25 12:00 -> (2023-01-25 12:00 - 2023-01-02) = 23.5 days -> week 3
    as_of 2023-01-23 00:00 -> exactly 21 days -> week 3, the same rows as weeks=[3]

Every row gets a *phase*: the start of the week grid its windows are measured on, so that the
cutoff is ``phase + 7 * week`` days. For weekly cutoffs the phase is the anchor; for an
``as_of`` cutoff it is ``t - 7 * week`` days (the grid shifted so that "the last 7 days" ends at
``t``). For ``as_of 2023-01-25 12:00`` above, the phase is 2023-01-04 12:00 and the last 7 days
are 2023-01-18 12:00 to 2023-01-25 12:00. On a weekly cutoff both are the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._offering import WEEK, Offering

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
    """The population rule: running offering, registered before, not withdrawn before."""
    return (
        (off.start <= cutoff)
        & (cutoff < off.end)
        & (off.registered[enr] < cutoff)
        & ~(off.withdrawn[enr] < cutoff)
    )


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
    week = np.where(keep, (t - anchor) // WEEK, 0)
    phase = t - week * WEEK
    return Requests(enr[keep], week[keep], cutoff[keep], phase)
