"""The weekly latent chain of an enrollment, and the oracle probabilities it implies.

State in course week ``w`` (days ``7w .. 7w+6`` after week 0): a motivation level ``z`` on a
grid (``_params.LEVELS``) and a flag ``d``, "a life event is disrupting this learner".

Each week after the first:

1. a life event starts with the enrollment's weekly hazard, or an ongoing one persists with
   ``LIFE_EVENT_PERSIST``;
2. motivation moves one grid step down with ``logistic(MOVE_BASE + MOVE_GAP * gap +
   MOVE_DISRUPTED_DOWN * d)`` and one step up with ``logistic(MOVE_BASE - MOVE_GAP * gap)``,
   where ``gap = z - target`` and the target is the enrollment's baseline motivation minus a
   fatigue that grows linearly over the course: the chain is pulled back toward the
   learner's own level and drifts down while life gets in the way;
3. the learner withdraws during the week with hazard
   ``logistic(WITHDRAW_BASE + WITHDRAW_SLOPE * z + WITHDRAW_DISRUPTED * d + early(w))``.

A *ghost* enrollment has no chain: it withdraws with a constant weekly hazard.
Everything observable (clicks, submissions, scores, the final result) is drawn from this
state, so the state is all an oracle can know; :func:`oracle` computes, by an exact backward
recursion over the remaining weeks, the probabilities of withdrawing and of failing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from . import _params as P
from ._catalog import Catalog
from ._population import Enrollments, logistic

K = len(P.LEVELS)
NO_WITHDRAWAL = np.iinfo(np.int64).max // 4


@dataclass
class Chain:
    level: np.ndarray              # (n, weeks) int8, index into LEVELS; week < start: start level
    disrupted: np.ndarray          # (n, weeks) bool
    first_week: np.ndarray         # week the chain starts (registration week, or 0)
    withdraw_week: np.ndarray      # -1: did not withdraw during the course
    withdraw_day: np.ndarray       # NO_WITHDRAWAL: did not withdraw (pre-start ones included)


def _target(enr: Enrollments, weeks: np.ndarray, w) -> np.ndarray:
    return enr.motivation - P.FATIGUE * np.minimum(w / weeks, 1.0)


def move_probs(z: np.ndarray, target: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of moving one level down and one level up (they never sum above 1)."""
    gap = z - target
    down = logistic(P.MOVE_BASE + P.MOVE_GAP * gap + P.MOVE_DISRUPTED_DOWN * d)
    up = logistic(P.MOVE_BASE - P.MOVE_GAP * gap) * (1.0 - down)
    return down, up


def withdraw_hazard(z: np.ndarray, d: np.ndarray, w) -> np.ndarray:
    early = P.WITHDRAW_EARLY * np.exp(-np.asarray(w, dtype=float) / P.WITHDRAW_EARLY_WEEKS)
    return logistic(P.WITHDRAW_BASE + P.WITHDRAW_SLOPE * z + P.WITHDRAW_DISRUPTED * d + early)


def fail_given_end(ability: np.ndarray, z: np.ndarray, d: np.ndarray) -> np.ndarray:
    """P(fail | completes, end state): no exam, or an exam score under the pass mark."""
    sit = logistic(P.SIT_BASE + P.SIT_SLOPE * z + P.SIT_DISRUPTED * d)
    # final score = round(CENTER + SCALE * Y) < PASS_MARK  <=>  Y < (PASS_MARK - 0.5 - CENTER) / SCALE
    y_cut = (P.PASS_MARK - 0.5 - P.FINAL_CENTER) / P.FINAL_SCALE
    below = ndtr((y_cut - ability - P.FINAL_LEVEL * z + P.FINAL_DISRUPTED * d) / P.FINAL_NOISE)
    return 1.0 - sit + sit * below


def start_week(enr: Enrollments, cat: Catalog) -> np.ndarray:
    sp = cat.self_paced[enr.offering]
    return np.where(sp, 0, np.maximum(enr.reg_day, 0) // 7)


def simulate(rng: np.random.Generator, cat: Catalog, enr: Enrollments) -> Chain:
    """Run the chain week by week, vectorised over enrollments."""
    n = len(enr)
    weeks = cat.weeks[enr.offering]
    length = cat.length[enr.offering]
    n_weeks = int(cat.weeks.max())
    first = start_week(enr, cat)
    start = enr.motivation + rng.normal(0.0, P.INITIAL_LEVEL_SD, n)
    lvl = np.abs(start[:, None] - P.LEVELS[None, :]).argmin(axis=1).astype(np.int8)
    dis = np.zeros(n, dtype=bool)
    p_on = logistic(enr.life_event)
    level = np.empty((n, n_weeks), dtype=np.int8)
    disrupted = np.empty((n, n_weeks), dtype=bool)
    withdraw_week = np.full(n, -1, dtype=np.int64)
    alive = ~enr.prestart
    u = rng.random((n_weeks, 4, n))
    for w in range(n_weeks):
        move = w > first
        new_dis = np.where(dis, u[w, 0] < P.LIFE_EVENT_PERSIST, u[w, 0] < p_on)
        down, up = move_probs(P.LEVELS[lvl], _target(enr, weeks, w), new_dis)
        step = np.where(u[w, 1] < down, -1, np.where(u[w, 1] < down + up, 1, 0))
        lvl = np.where(move, np.clip(lvl + step, 0, K - 1), lvl).astype(np.int8)
        dis = np.where(move, new_dis, dis)
        level[:, w], disrupted[:, w] = lvl, dis
        h = np.where(enr.ghost, P.GHOST_HAZARD, withdraw_hazard(P.LEVELS[lvl], dis, w))
        out = alive & (w >= first) & (w < weeks) & (u[w, 2] < h)
        withdraw_week[out] = w
        alive &= ~out
    # The withdrawal day is uniform on the days of its week the learner was registered and the
    # course was running: week 3 of a 240-day course -> days 21..27.
    w = withdraw_week
    lo = np.maximum(7 * w, enr.reg_day)
    hi = np.minimum(7 * w + 6, length - 1)
    day = lo + np.floor(u[0, 3] * (hi - lo + 1)).astype(np.int64)
    withdraw_day = np.where(w >= 0, day, NO_WITHDRAWAL)
    withdraw_day = np.where(enr.prestart, enr.prestart_day, withdraw_day)
    return Chain(level, disrupted, first, withdraw_week, withdraw_day)


def oracle(cat: Catalog, enr: Enrollments, chain: Chain) -> tuple[np.ndarray, np.ndarray]:
    """Exact P(withdraw at or after cutoff k) and P(fail | completes), for every week k.

    Returns two ``(n, weeks + 1)`` arrays (column ``k`` is the cutoff at week ``k``; column 0
    unused), given the state of week ``k - 1``. ``S_k(s)`` is the probability of surviving
    weeks ``k .. W-1`` from state ``s`` in week ``k - 1``, and ``F_k(s)`` of surviving them and
    failing; both follow the backward recursion

        S_k(z, d) = sum over (z', d') of T_k((z, d) -> (z', d')) (1 - h_k(z', d')) S_{k+1}(z', d')

    from ``S_W = 1`` and ``F_W = P(fail | end state)``; then ``p_dropout = 1 - S_k`` and
    ``p_underperformance = F_k / S_k``.
    """
    n = len(enr)
    weeks = cat.weeks[enr.offering]
    n_weeks = int(cat.weeks.max())
    z = P.LEVELS[None, :, None]
    dflag = np.array([0.0, 1.0])[None, None, :]
    terminal = fail_given_end(enr.ability[:, None, None], z, dflag)
    p_on = logistic(enr.life_event)[:, None]
    S = np.ones((n, K, 2))
    F = terminal.copy()
    p_drop = np.full((n, n_weeks + 1), np.nan)
    p_fail = np.full((n, n_weeks + 1), np.nan)
    rows = np.arange(n)
    for k in range(n_weeks, 0, -1):
        ends = weeks == k
        S[ends], F[ends] = 1.0, terminal[ends]
        ok = k <= weeks
        lv, dv = chain.level[:, k - 1].astype(np.intp), chain.disrupted[:, k - 1].astype(np.intp)
        s_now, f_now = S[rows, lv, dv], F[rows, lv, dv]
        p_drop[ok, k] = 1.0 - s_now[ok]
        p_fail[ok, k] = (f_now / np.maximum(s_now, 1e-300))[ok]
        if k == 1:
            break
        # Step back over week w = k - 1: hazard in week w, then the transition into it.
        w = k - 1
        keep = 1.0 - withdraw_hazard(z, dflag, w)
        X, Y = keep * S, keep * F
        target = _target(enr, weeks, w)[:, None, None]
        down, up = move_probs(z, target, dflag)
        def shift(A: np.ndarray) -> np.ndarray:
            lower = np.concatenate([A[:, :1], A[:, :-1]], axis=1)   # value at z - 1 (edge: stay)
            upper = np.concatenate([A[:, 1:], A[:, -1:]], axis=1)   # value at z + 1 (edge: stay)
            return down * lower + up * upper + (1.0 - down - up) * A
        XS, YS = shift(X), shift(Y)
        # From disruption d in week w-1 to d' in week w: off -> on with p_on, on -> on with PERSIST.
        p1 = np.stack([np.broadcast_to(p_on, (n, K)), np.full((n, K), P.LIFE_EVENT_PERSIST)], axis=2)
        S = (1 - p1) * XS[:, :, :1] + p1 * XS[:, :, 1:]
        F = (1 - p1) * YS[:, :, :1] + p1 * YS[:, :, 1:]
    # Ghosts: constant hazard g for the remaining W - k weeks, and a certain fail.
    g = enr.ghost
    if g.any():
        ks = np.arange(n_weeks + 1)[None, :]
        left = np.maximum(weeks[g][:, None] - ks, 0)
        p_drop[g] = np.where(ks <= weeks[g][:, None], 1.0 - (1.0 - P.GHOST_HAZARD) ** left, np.nan)
        p_fail[g] = np.where(ks <= weeks[g][:, None], 1.0, np.nan)
        p_drop[g, 0] = p_fail[g, 0] = np.nan
    return p_drop, p_fail


def truth_frame(
    cat: Catalog, enr: Enrollments, chain: Chain, learner_ids: np.ndarray, keep: np.ndarray
) -> pd.DataFrame:
    """One row per enrollment (where ``keep``) and week k at which it is active at the cutoff."""
    p_drop, p_fail = oracle(cat, enr, chain)
    weeks = cat.weeks[enr.offering]
    ks = np.arange(p_drop.shape[1])[None, :]
    # Active at cutoff k: registered before it (day < 7k) and not withdrawn before it.
    active = (
        (ks >= 1)
        & (ks <= weeks[:, None])
        & (enr.reg_day[:, None] < 7 * ks)
        & (chain.withdraw_day[:, None] >= 7 * ks)
        & keep[:, None]
    )
    e, k = np.nonzero(active)
    course_ids = cat.courses["course_id"].to_numpy()
    return pd.DataFrame(
        {
            "learner_id": pd.array(learner_ids[enr.learner[e]], dtype="str"),
            "course_id": pd.array(course_ids[enr.offering[e]], dtype="str"),
            "week": k.astype(np.int64),
            "p_dropout": np.clip(p_drop[e, k], 0.0, 1.0),
            "p_underperformance": np.clip(p_fail[e, k], 0.0, 1.0),
        }
    )
