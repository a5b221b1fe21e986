"""Submission and score features: what the learner handed in, when, and how it was marked.

A submission counts at a cutoff when ``submitted_at < cutoff``; its score is taken as known
from then on (the data has no marking date: if marking takes days, the first week after a
submission is slightly optimistic; see ``docs/features.md``). An assessment is *due* at a
cutoff when ``due_at < cutoff`` (no due date: never due, as for many exams). It is *missed*
when it is due and the learner has not submitted it before the cutoff; a late submission
turns a miss into a late submission from the moment it is made.

Submissions are few (one per learner and assessment), so instead of week buckets they are
sorted per enrollment by time and every row reads prefix sums at the position of its cutoff.
The prefix sums restart at each enrollment, so a row's values depend only on that
enrollment's own submissions before the cutoff, summed in the same order every time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._offering import DAY, NEVER, Offering
from ._windows import Requests

__all__ = ["assessment_features"]


def _count_before(group: np.ndarray, time: np.ndarray, req_group: np.ndarray, req_time: np.ndarray):
    """For items sorted by (group, time): the number of items of ``req_group`` with ``time < req_time``.

    Returns ``(count, end)``: ``end`` is the position just past the last such item.
    """
    uniq, inv = np.unique(np.concatenate([time, req_time]), return_inverse=True)
    m = len(uniq) + 1
    key_items = group * m + inv[: len(time)]
    key_req = req_group * m + inv[len(time):]
    end = np.searchsorted(key_items, key_req, side="left")
    start = np.searchsorted(group, req_group, side="left")
    return end - start, end


def _at(prefix: np.ndarray, count: np.ndarray, end: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """Value of a per-enrollment prefix array just before ``end`` (``empty`` when count is 0)."""
    if not len(prefix):
        return np.full(len(count), empty)
    return np.where(count > 0, prefix[np.maximum(end - 1, 0)], empty)


def assessment_features(off: Offering, req: Requests) -> dict[str, np.ndarray]:
    """Submission and score features of the rows ``req`` of offering ``off``."""
    r = len(req)
    if r == 0:
        return {}
    cutoff, re = req.cutoff, req.enr
    out: dict[str, np.ndarray] = {}

    due_sorted = np.sort(off.due[off.due != NEVER])
    n_due = np.searchsorted(due_sorted, cutoff, side="left")
    out["assessments_due"] = n_due.astype(np.float64)

    order = np.lexsort((off.asm_rank[off.sub_asm], off.sub_ts, off.sub_enr))
    g = off.sub_enr[order]
    ts = off.sub_ts[order]
    asm = off.sub_asm[order]
    score = off.sub_score[order]
    due = off.due[asm]
    weight = off.weight[asm]
    count, end = _count_before(g, ts, re, cutoff)
    out["assessments_submitted"] = count.astype(np.float64)

    # A submission settles a due assessment at max(submitted_at, due_at): from then on the
    # assessment is neither open nor missed.
    settled = np.where(due == NEVER, NEVER, np.maximum(ts, due))
    s_order = np.lexsort((settled, g))
    n_settled, _ = _count_before(g[s_order], settled[s_order], re, cutoff)
    out["assessments_missed"] = (n_due - n_settled).astype(np.float64)

    has_due = due != NEVER
    lateness = np.where(has_due, (ts - np.where(has_due, due, 0)) / DAY, np.nan)
    scored = ~np.isnan(score)
    w_ok = scored & ~np.isnan(weight)
    frame = pd.DataFrame(
        {
            "late": (has_due & (ts > due)).astype(np.float64),
            "n_lat": has_due.astype(np.float64),
            "sum_lat": np.where(has_due, lateness, 0.0),
            "n_scored": scored.astype(np.float64),
            "sum_score": np.where(scored, score, 0.0),
            "sum_w": np.where(w_ok, weight, 0.0),
            "sum_ws": np.where(w_ok, weight * np.where(scored, score, 0.0), 0.0),
        }
    )
    grouped = frame.groupby(g, sort=False)
    cum = grouped.cumsum()
    last = pd.DataFrame({"lat": lateness, "score": score}).groupby(g, sort=False).ffill()

    def at(col: str, src: pd.DataFrame = cum, empty: float = 0.0) -> np.ndarray:
        return _at(src[col].to_numpy(dtype=np.float64), count, end, empty)

    out["submissions_late"] = at("late")
    n_lat, n_scored = at("n_lat"), at("n_scored")
    sum_score, sum_w = at("sum_score"), at("sum_w")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["lateness_mean"] = np.where(n_lat > 0, at("sum_lat") / n_lat, np.nan)
        out["lateness_last"] = at("lat", last, np.nan)
        out["score_mean"] = np.where(n_scored > 0, sum_score / n_scored, np.nan)
        out["score_weighted"] = np.where(sum_w > 0, at("sum_ws") / sum_w, np.nan)
        score_last = at("score", last, np.nan)
        out["score_last"] = score_last
        out["score_trend"] = np.where(
            n_scored >= 2, score_last - (sum_score - score_last) / (n_scored - 1), np.nan
        )
    return out
