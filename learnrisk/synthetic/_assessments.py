"""Submissions, scores and the final result, drawn from the latent state.

Coursework: a TMA is submitted unless the chain skipped it (``_latent``: probability
``1 - p_submit(z, d)`` with the state of the due week); a CMA is submitted with ``p_submit(z, d)``
drawn here. Only a learner registered and still enrolled on the due day submits. A submission
is late with ``logistic(LATE_BASE + LATE_SLOPE * z + LATE_DISRUPTED * d)`` by
``Geometric(1 / LATE_MEAN_DAYS)`` days (dropped if that falls after a withdrawal or the end),
otherwise on the due day or a few days before. Score: ``SCORE_MEAN + SCORE_ABILITY * ability +
SCORE_LEVEL * z + Normal(0, SCORE_NOISE)``, rounded and clipped to 0-100; a few are empty.

Final result of an enrollment that did not withdraw, from the state ``(z, d, M)`` of its last
week (``M``: TMAs skipped): it sits the exam with ``logistic(SIT_BASE + SIT_SLOPE * z +
SIT_DISRUPTED * d + SIT_MISSED * M)``; the exam performance is ``Y = ability + FINAL_LEVEL * z -
FINAL_DISRUPTED * d - FINAL_MISSED * M + Normal(0, FINAL_NOISE)`` and the final score (also the
exam's score) ``round(FINAL_CENTER + FINAL_SCALE * Y)`` clipped to 0-100: fail under
``PASS_MARK``, distinction from ``DISTINCTION_MARK``. Who does not sit fails, with half that
score and at most ``PASS_MARK - 1``. Ghosts never sit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..timeline import DAY
from . import _params as P
from ._arrays import ranges, strings, times
from ._catalog import Catalog
from ._engagement import last_active_day
from ._latent import NO_WITHDRAWAL, Chain, exam_mean, sit_prob, submit_prob
from ._population import Enrollments, logistic


@dataclass
class Results:
    outcome: np.ndarray            # object array: withdrawn / fail / pass / distinction
    final_score: np.ndarray        # float, NaN for withdrawn
    sat_exam: np.ndarray           # bool


def final_results(rng: np.random.Generator, cat: Catalog, enr: Enrollments, chain: Chain) -> Results:
    """Draw the final result of every enrollment from its last week's state."""
    n = len(enr)
    rows, last = np.arange(n), cat.weeks[enr.offering] - 1
    z = P.LEVELS[chain.level[rows, last]]
    d = chain.disrupted[rows, last].astype(float)
    m = chain.missed[rows, last].astype(float)
    u_sit, eps = rng.random(n), rng.standard_normal(n)
    withdrawn = chain.withdraw_day < NO_WITHDRAWAL
    sit = ~enr.ghost & (u_sit < sit_prob(z, d, m))
    y = exam_mean(enr.ability, z, d, m) + P.FINAL_NOISE * eps
    score = np.clip(np.round(P.FINAL_CENTER + P.FINAL_SCALE * y), 0, 100)
    score = np.where(sit, score, np.minimum(np.round(0.5 * score), P.PASS_MARK - 1))
    outcome = np.where(score < P.PASS_MARK, "fail", np.where(score >= P.DISTINCTION_MARK, "distinction", "pass"))
    outcome = np.where(withdrawn, "withdrawn", outcome).astype(object)
    return Results(outcome, np.where(withdrawn, np.nan, score), sit & ~withdrawn)


def submissions(
    rng: np.random.Generator,
    cat: Catalog,
    enr: Enrollments,
    chain: Chain,
    res: Results,
    learner_ids: np.ndarray,
) -> pd.DataFrame:
    """The submissions table: coursework by the latent state, and the exam of who sat it."""
    n_a = np.bincount(cat.a_offering, minlength=len(cat.length))
    first_a = np.cumsum(n_a) - n_a
    e, j = ranges(first_a[enr.offering], first_a[enr.offering] + n_a[enr.offering])
    due = cat.a_day[j]
    exam = cat.a_exam[j]
    end = last_active_day(cat, enr, chain)[e]
    week = np.clip(due // 7, 0, chain.level.shape[1] - 1)
    z = P.LEVELS[chain.level[e, week]]
    d = chain.disrupted[e, week].astype(float)
    m = len(e)
    u_sub, u_late, late_days, early_days = rng.random(m), rng.random(m), rng.geometric(1 / P.LATE_MEAN_DAYS, m), rng.geometric(0.4, m) - 1
    noise, u_missing = rng.standard_normal(m), rng.random(m)

    eligible = ~enr.ghost[e] & (due >= enr.reg_day[e]) & (due < end)
    # TMAs: the chain's decision; CMAs: a draw from the same probability.
    tma = cat.a_tma[j]
    submit = eligible & np.where(tma, ~chain.skipped[e, week], u_sub < submit_prob(z, d))
    late = u_late < logistic(P.LATE_BASE + P.LATE_SLOPE * z + P.LATE_DISRUPTED * d)
    day = np.where(late, due + late_days, np.maximum(due - early_days, enr.reg_day[e]))
    submit &= day < end
    score = P.SCORE_MEAN + P.SCORE_ABILITY * enr.ability[e] + P.SCORE_LEVEL * z + P.SCORE_NOISE * noise
    score = np.clip(np.round(score), 0, 100)
    score = np.where(u_missing < P.SCORE_MISSING, np.nan, score)
    # The exam: sat by the completers who sat it, on its due day, scored with the final score.
    sat = res.sat_exam[e]
    keep = np.where(exam, sat, submit)
    day = np.where(exam, due, day)
    score = np.where(exam, res.final_score[e], score)
    e, j, day, score = e[keep], j[keep], day[keep], score[keep]
    at = enr.anchor_ns[e] + day * DAY
    return pd.DataFrame(
        {
            "learner_id": strings(learner_ids, enr.learner[e]),
            "assessment_id": strings(cat.assessments["assessment_id"].to_numpy(), j),
            "submitted_at": times(at),
            "score": score.astype("float64"),
            "is_banked": np.zeros(len(e), dtype=np.int64),
        }
    )
