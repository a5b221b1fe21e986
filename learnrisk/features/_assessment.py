"""Submission and score features: what the learner handed in, when, and how it was marked.

A submission counts at a cutoff when ``submitted_at < cutoff``. Its score counts when it is
known before the cutoff: at ``max(submitted_at, scored_at)`` when the data gives the marking
time (``scored_at``), else at ``submitted_at`` (OULAD has no marking date: there, if marking
takes days, the first week after a submission is slightly optimistic; see ``docs/features.md``).
Work handed in on 2023-01-09 and marked on 2023-01-30: counted as submitted at the cutoff
2023-01-16, its score first used at the cutoff 2023-02-06. Submission counts, lateness and
misses read ``submitted_at`` only. An assessment is *due* at a
cutoff when ``due_at < cutoff`` (no due date: never due, as for many exams). It is *missed*
when it is due and the learner has not submitted it before the cutoff; a late submission
turns a miss into a late submission from the moment it is made.

Submissions are few (one per learner and assessment), so instead of week buckets they are
sorted per enrollment by time, laid out as an (enrollment x n-th submission) table, and every
row reads the cumulative sums at the number of submissions before its cutoff. The sums run
along one enrollment's own submissions in time order, so a row's values depend only on them,
summed in the same order every time. Scores run in the order they became known (a second
table, built only when some score is known later than its submission).
"""

from __future__ import annotations

import numpy as np

from ..timeline import DAY, NEVER
from ._offering import Offering
from ._windows import Requests

__all__ = ["assessment_features"]


def _count_before(group: np.ndarray, time: np.ndarray, req_group: np.ndarray, req_time: np.ndarray):
    """For items sorted by (group, time): the number of items of ``req_group`` with ``time < req_time``.

    """
    uniq, inv = np.unique(np.concatenate([time, req_time]), return_inverse=True)
    m = len(uniq) + 1
    key_items = group * m + inv[: len(time)]
    key_req = req_group * m + inv[len(time):]
    end = np.searchsorted(key_items, key_req, side="left")
    return end - np.searchsorted(group, req_group, side="left")


class _PerEnrollment:
    """Submissions laid out as an (enrollment x n-th submission) table, in time order.

    Cumulative sums along a row run over one enrollment's own submissions in a fixed order,
    so a row's value never depends on another enrollment or on a later submission.
    """

    def __init__(self, group: np.ndarray, n: int):
        start = np.searchsorted(group, np.arange(n))
        self.group, self.pos = group, np.arange(len(group)) - start[group]
        self.shape = (n, int(self.pos.max()) + 1 if len(group) else 1)

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        table = np.zeros(self.shape)
        table[self.group, self.pos] = values
        return np.cumsum(table, axis=1)

    def last_valid(self, values: np.ndarray) -> np.ndarray:
        """``[i, j]``: the last non-missing value among enrollment i's first j + 1 submissions."""
        table = np.full(self.shape, np.nan)
        table[self.group, self.pos] = values
        idx = np.where(np.isnan(table), -1, np.arange(self.shape[1])[None, :])
        np.maximum.accumulate(idx, axis=1, out=idx)
        rows = np.arange(self.shape[0])[:, None]
        return np.where(idx >= 0, table[rows, np.maximum(idx, 0)], np.nan)


def assessment_features(off: Offering, req: Requests) -> dict[str, np.ndarray]:
    """Submission and score features of the rows ``req`` of offering ``off``."""
    r = len(req)
    if r == 0:
        return {}
    cutoff, re = req.cutoff, req.enr
    out: dict[str, np.ndarray] = {}

    # Due: after the learner registered and strictly before the cutoff. Work that closed before
    # a late registration is not the learner's to miss (registered 2023-01-09, an assessment due
    # 2023-01-05: not due for them).
    due_sorted = np.sort(off.due[off.due != NEVER])
    registered = off.registered[re]
    n_due = np.searchsorted(due_sorted, cutoff, side="left") - np.searchsorted(due_sorted, registered, side="right")
    n_due = np.maximum(n_due, 0)
    out["assessments_due"] = n_due.astype(np.float64)

    order = np.lexsort((off.asm_rank[off.sub_asm], off.sub_ts, off.sub_enr))
    g = off.sub_enr[order]
    ts = off.sub_ts[order]
    asm = off.sub_asm[order]
    score = off.sub_score[order]
    due = off.due[asm]
    weight = off.weight[asm]
    count = _count_before(g, ts, re, cutoff)
    out["assessments_submitted"] = count.astype(np.float64)

    # A submission settles a due assessment at max(submitted_at, due_at): from then on the
    # assessment is neither open nor missed.
    # (an assessment due before the learner registered never counts, as in assessments_due)
    settled = np.where((due == NEVER) | (due <= off.registered[g]), NEVER, np.maximum(ts, due))
    s_order = np.lexsort((settled, g))
    n_settled = _count_before(g[s_order], settled[s_order], re, cutoff)
    out["assessments_missed"] = (n_due - n_settled).astype(np.float64)

    has_due = due != NEVER
    lateness = np.where(has_due, (ts - np.where(has_due, due, 0)) / DAY, np.nan)
    at = _reader(_PerEnrollment(g, off.n), re, count)
    out["submissions_late"] = at((has_due & (ts > due)).astype(np.float64))
    n_lat = at(has_due.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["lateness_mean"] = np.where(n_lat > 0, at(np.where(has_due, lateness, 0.0)) / n_lat, np.nan)
        out["lateness_last"] = at(lateness, np.nan, last=True)

    known = off.sub_known[order]
    if not np.array_equal(known, ts):  # some score is marked after its submission: in marking order
        order = np.lexsort((off.asm_rank[off.sub_asm], off.sub_ts, off.sub_known, off.sub_enr))
        g, known = off.sub_enr[order], off.sub_known[order]
        score, weight = off.sub_score[order], off.weight[off.sub_asm[order]]
        at = _reader(_PerEnrollment(g, off.n), re, _count_before(g, known, re, cutoff))
    out.update(_score_features(at, score, weight))
    return out


def _reader(table: _PerEnrollment, rows: np.ndarray, count: np.ndarray):
    """``at(values)``: for each request row, the cumulative sum (or with ``last``, the last
    non-missing value) of ``values`` over the first ``count`` items of its enrollment."""
    col, some = np.maximum(count - 1, 0), count > 0

    def at(values: np.ndarray, empty: float = 0.0, last: bool = False) -> np.ndarray:
        t = table.last_valid(values) if last else table.cumsum(values)
        return np.where(some, t[rows, col], empty)

    return at


def _score_features(at, score: np.ndarray, weight: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, weighted, last score and trend over the scores ``at`` reads (those known)."""
    out: dict[str, np.ndarray] = {}
    scored = ~np.isnan(score)
    w_ok = scored & ~np.isnan(weight)
    n_scored = at(scored.astype(np.float64))
    sum_score = at(np.where(scored, score, 0.0))
    sum_w = at(np.where(w_ok, weight, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["score_mean"] = np.where(n_scored > 0, sum_score / n_scored, np.nan)
        sum_ws = at(np.where(w_ok, weight * np.where(scored, score, 0.0), 0.0))
        out["score_weighted"] = np.where(sum_w > 0, sum_ws / sum_w, np.nan)
        score_last = at(score, np.nan, last=True)
        out["score_last"] = score_last
        out["score_trend"] = np.where(
            n_scored >= 2, score_last - (sum_score - score_last) / (n_scored - 1), np.nan
        )
    return out
