"""The weekly latent chain of an enrollment, and the oracle probabilities it implies.

State in course week ``w`` (days ``7w .. 7w+6`` after week 0): a motivation level ``z`` on a
grid (``_params.LEVELS``), a flag ``d`` "a life event is disrupting this learner", and ``M``,
the number of tutor-marked assignments (TMAs) the learner decided not to do so far (capped).

Each week after the registration week:

1. a life event starts with the enrollment's weekly hazard, or an ongoing one persists with
   ``LIFE_EVENT_PERSIST``;
2. motivation moves one grid step down with ``logistic(MOVE_BASE + MOVE_GAP * gap +
   MOVE_DISRUPTED_DOWN * d)`` and one step up with ``logistic(MOVE_BASE - MOVE_GAP * gap)``
   (times the chance of not moving down), where ``gap = z - target`` and the target is the
   enrollment's baseline motivation minus a fatigue growing linearly over the course: the
   chain is pulled back toward the learner's own level and drifts down while life gets in
   the way.

In every week (the registration week included), from the week's state:

3. the learner withdraws during the week with hazard ``logistic(WITHDRAW_BASE +
   WITHDRAW_SLOPE * z + WITHDRAW_DISRUPTED * d + WITHDRAW_MISSED * M + early(w))``;
4. if a TMA is due this week, the learner skips it with ``1 - p_submit(z, d)`` and ``M``
   grows by one.

A *ghost* enrollment has no chain: it withdraws with a constant weekly hazard.
Everything observable (clicks, submissions, scores, the final result) is drawn from this
state, so the state is all an oracle can know; :func:`oracle` computes, by an exact backward
recursion over the remaining weeks, the probabilities of withdrawing and of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.special import ndtr

from . import _params as P
from ._arrays import ranges, strings
from ._catalog import Catalog
from ._population import Enrollments, logistic

K = len(P.LEVELS)
C = P.MISSED_CAP + 1
NO_WITHDRAWAL = np.iinfo(np.int64).max // 4


@dataclass
class Chain:
    """The simulated path of every enrollment, week by week (``n`` enrollments x weeks)."""

    level: np.ndarray              # int8 index into LEVELS; weeks before the start: start level
    disrupted: np.ndarray          # bool
    missed: np.ndarray             # int8: missed TMAs at the end of the week (capped)
    skipped: np.ndarray            # bool: the TMA due this week was skipped
    first_week: np.ndarray         # (n,) week the chain starts (registration week, or 0)
    withdraw_week: np.ndarray      # (n,) -1: did not withdraw during the course
    withdraw_day: np.ndarray       # (n,) NO_WITHDRAWAL: did not withdraw (pre-start ones included)

    def take(self, idx: np.ndarray) -> Chain:
        return Chain(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Chain]) -> Chain:
        return Chain(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Chain)})


# --------------------------------------------------------------------------- the model's pieces
def _target(enr: Enrollments, weeks: np.ndarray, w: int) -> np.ndarray:
    return enr.motivation - P.FATIGUE * np.minimum(w / weeks, 1.0)


def move_probs(z, target, d) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of moving one level down and one level up (they never sum above 1)."""
    gap = z - target
    down = logistic(P.MOVE_BASE + P.MOVE_GAP * gap + P.MOVE_DISRUPTED_DOWN * d)
    up = logistic(P.MOVE_BASE - P.MOVE_GAP * gap) * (1.0 - down)
    return down, up


def withdraw_hazard(z, d, m, w) -> np.ndarray:
    early = P.WITHDRAW_EARLY * np.exp(-np.asarray(w, dtype=float) / P.WITHDRAW_EARLY_WEEKS)
    return logistic(P.WITHDRAW_BASE + P.WITHDRAW_SLOPE * z + P.WITHDRAW_DISRUPTED * d + P.WITHDRAW_MISSED * m + early)


def submit_prob(z, d) -> np.ndarray:
    return logistic(P.SUBMIT_BASE + P.SUBMIT_SLOPE * z + P.SUBMIT_DISRUPTED * d)


def sit_prob(z, d, m) -> np.ndarray:
    return logistic(P.SIT_BASE + P.SIT_SLOPE * z + P.SIT_DISRUPTED * d + P.SIT_MISSED * m)


def exam_mean(ability, z, d, m) -> np.ndarray:
    """Mean of the exam performance Y (its noise is Normal(0, FINAL_NOISE))."""
    return ability + P.FINAL_LEVEL * z - P.FINAL_DISRUPTED * d - P.FINAL_MISSED * m


def fail_given_end(ability, z, d, m) -> np.ndarray:
    """P(fail | completes, state of the last week): no exam, or a final score under the mark."""
    # final score = round(CENTER + SCALE * Y) < PASS_MARK  <=>  Y < (PASS_MARK - 0.5 - CENTER) / SCALE
    y_cut = (P.PASS_MARK - 0.5 - P.FINAL_CENTER) / P.FINAL_SCALE
    sit = sit_prob(z, d, m)
    return 1.0 - sit + sit * ndtr((y_cut - exam_mean(ability, z, d, m)) / P.FINAL_NOISE)


def start_week(enr: Enrollments, cat: Catalog) -> np.ndarray:
    return np.where(cat.self_paced[enr.offering], 0, np.maximum(enr.reg_day, 0) // 7)


def tma_weeks(cat: Catalog, enr: Enrollments, n_weeks: int) -> np.ndarray:
    """(n, weeks) bool: a TMA of the enrollment's offering is due that week, on or after registration."""
    tma = np.flatnonzero(cat.a_tma)
    per_off = np.bincount(cat.a_offering[tma], minlength=len(cat.length))
    first = np.cumsum(per_off) - per_off
    e, j = ranges(first[enr.offering], first[enr.offering] + per_off[enr.offering])
    day = cat.a_day[tma[j]]
    due = np.zeros((len(enr), n_weeks), dtype=bool)
    ok = day >= enr.reg_day[e]
    due[e[ok], day[ok] // 7] = True
    return due


# --------------------------------------------------------------------------- simulation
def simulate(rng: np.random.Generator, cat: Catalog, enr: Enrollments) -> Chain:
    """Run the chain week by week, vectorised over enrollments."""
    n = len(enr)
    weeks = cat.weeks[enr.offering]
    length = cat.length[enr.offering]
    n_weeks = int(cat.weeks.max())
    first = start_week(enr, cat)
    due = tma_weeks(cat, enr, n_weeks)
    start = enr.motivation + rng.normal(0.0, P.INITIAL_LEVEL_SD, n)
    lvl = np.abs(start[:, None] - P.LEVELS[None, :]).argmin(axis=1).astype(np.int8)
    dis = np.zeros(n, dtype=bool)
    m = np.zeros(n, dtype=np.int8)
    p_on = logistic(enr.life_event)
    level = np.empty((n, n_weeks), dtype=np.int8)
    disrupted = np.empty((n, n_weeks), dtype=bool)
    missed = np.empty((n, n_weeks), dtype=np.int8)
    skipped = np.zeros((n, n_weeks), dtype=bool)
    withdraw_week = np.full(n, -1, dtype=np.int64)
    alive = ~enr.prestart
    u = rng.random((n_weeks, 4, n))
    u_day = rng.random(n)
    for w in range(n_weeks):
        move = w > first
        new_dis = np.where(dis, u[w, 0] < P.LIFE_EVENT_PERSIST, u[w, 0] < p_on)
        down, up = move_probs(P.LEVELS[lvl], _target(enr, weeks, w), new_dis)
        step = np.where(u[w, 1] < down, -1, np.where(u[w, 1] < down + up, 1, 0))
        lvl = np.where(move, np.clip(lvl + step, 0, K - 1), lvl).astype(np.int8)
        dis = np.where(move, new_dis, dis)
        z = P.LEVELS[lvl]
        h = np.where(enr.ghost, P.GHOST_HAZARD, withdraw_hazard(z, dis, m, w))
        out = alive & (w >= first) & (w < weeks) & (u[w, 2] < h)
        withdraw_week[out] = w
        alive &= ~out
        skip = due[:, w] & (w >= first) & (u[w, 3] >= submit_prob(z, dis))
        m = np.minimum(m + skip, P.MISSED_CAP).astype(np.int8)
        level[:, w], disrupted[:, w], missed[:, w], skipped[:, w] = lvl, dis, m, skip
    # The withdrawal day is uniform on the days of its week the learner was registered and the
    # course was running: week 3 of a 240-day course -> days 21..27.
    w = withdraw_week
    lo = np.maximum(7 * w, enr.reg_day)
    hi = np.minimum(7 * w + 6, length - 1)
    day = lo + np.floor(u_day * (hi - lo + 1)).astype(np.int64)
    withdraw_day = np.where(w >= 0, day, NO_WITHDRAWAL)
    withdraw_day = np.where(enr.prestart, enr.prestart_day, withdraw_day)
    return Chain(level, disrupted, missed, skipped, first, withdraw_week, withdraw_day)


# --------------------------------------------------------------------------- the oracle
_Z = P.LEVELS[None, :, None, None, None]                      # axes: n, level, d, M, (S, F)
_D = np.array([0.0, 1.0])[None, None, :, None, None]
_M = np.arange(C, dtype=float)[None, None, None, :, None]


def _step_back(A: np.ndarray, target: np.ndarray, p_on: np.ndarray, due_rows: np.ndarray, w: int) -> np.ndarray:
    """From (S, F)_{w+1} (functions of the state of week w) to (S, F)_w (of week w-1).

    ``A`` is ``(n, K levels, 2 disruption flags, C missed counts, 2)``, the last axis holding S
    and F, which go through the same linear steps; it is updated in place where possible.
    """
    # Week w's TMA decision comes after surviving it: M -> min(M + 1, cap) with 1 - p_submit
    # (only rows with a TMA due in week w).
    if len(due_rows):
        sub = A[due_rows]
        bumped = np.concatenate([sub[:, :, :, 1:], sub[:, :, :, -1:]], axis=3)
        sub += (1.0 - submit_prob(_Z, _D)) * (bumped - sub)
        A[due_rows] = sub
    # Surviving week w.
    A *= 1.0 - withdraw_hazard(_Z, _D, _M, w)
    # The transition into week w: a level move given the new disruption flag d' ...
    down, up = move_probs(_Z[..., 0, 0], target[:, None, None], _D[..., 0, 0])
    down, up = down[..., None, None], up[..., None, None]
    lower = np.concatenate([A[:, :1], A[:, :-1]], axis=1)     # value one level down (edge: stay)
    upper = np.concatenate([A[:, 1:], A[:, -1:]], axis=1)     # value one level up (edge: stay)
    lower -= A
    upper -= A
    lower *= down
    upper *= up
    A += lower
    A += upper
    # ... after the flag went from d (week w-1) to d': off -> on with p_on, on -> on with PERSIST.
    off, on = A[:, :, 0], A[:, :, 1] - A[:, :, 0]
    out = np.empty_like(A)
    np.multiply(on, p_on[:, None, None, None], out=out[:, :, 0])
    out[:, :, 0] += off
    np.multiply(on, P.LIFE_EVENT_PERSIST, out=out[:, :, 1])
    out[:, :, 1] += off
    return out


def oracle(cat: Catalog, enr: Enrollments, chain: Chain) -> tuple[np.ndarray, np.ndarray]:
    """Exact P(withdraw at or after cutoff k) and P(fail | completes), for every week k.

    Returns two ``(n, weeks + 1)`` arrays (column ``k`` is the cutoff at week ``k``; column 0
    unused), given the state of week ``k - 1``. ``S_k(s)`` is the probability of surviving
    weeks ``k .. W-1`` from state ``s`` in week ``k - 1``, and ``F_k(s)`` of surviving them and
    failing; both follow the backward recursion

        S_k(s) = sum over s' of T_k(s -> s') (1 - h_k(s')) S_{k+1}(s')

    from ``S_W = 1`` and ``F_W = P(fail | end state)``; then ``p_dropout = 1 - S_k`` and
    ``p_underperformance = F_k / S_k``. Ghosts and pre-start withdrawals have closed forms
    (or no cutoff at all) and skip the recursion.
    """
    n = len(enr)
    weeks = cat.weeks[enr.offering]
    n_weeks = int(cat.weeks.max())
    p_drop = np.full((n, n_weeks + 1), np.nan)
    p_fail = np.full((n, n_weeks + 1), np.nan)
    chained = np.flatnonzero(~enr.ghost & ~enr.prestart)
    sub = enr.take(chained)
    wk = weeks[chained]
    due = tma_weeks(cat, sub, n_weeks)
    terminal = np.empty((len(chained), K, 2, C, 2))
    terminal[..., 0] = 1.0
    terminal[..., 1] = fail_given_end(sub.ability[:, None, None, None], _Z[..., 0], _D[..., 0], _M[..., 0])
    p_on = logistic(sub.life_event)
    A = terminal.copy()
    rows = np.arange(len(chained))
    for k in range(n_weeks, 0, -1):
        ends = wk == k
        A[ends] = terminal[ends]
        ok = k <= wk
        at = (rows, chain.level[chained, k - 1], chain.disrupted[chained, k - 1].astype(np.intp), chain.missed[chained, k - 1])
        s_now, f_now = A[at + (0,)], A[at + (1,)]
        p_drop[chained[ok], k] = 1.0 - s_now[ok]
        p_fail[chained[ok], k] = (f_now / np.maximum(s_now, 1e-300))[ok]
        if k > 1:
            w = k - 1
            A = _step_back(A, _target(sub, wk, w), p_on, np.flatnonzero(due[:, w]), w)
    # Ghosts: a constant hazard g over the remaining W - k weeks, and a certain fail.
    g = enr.ghost
    if g.any():
        ks = np.arange(n_weeks + 1)[None, :]
        inside = (ks >= 1) & (ks <= weeks[g][:, None])
        left = np.maximum(weeks[g][:, None] - ks, 0)
        p_drop[g] = np.where(inside, 1.0 - (1.0 - P.GHOST_HAZARD) ** left, np.nan)
        p_fail[g] = np.where(inside, 1.0, np.nan)
    return p_drop, p_fail


def truth_frame(
    cat: Catalog, enr: Enrollments, chain: Chain, learner_ids: np.ndarray, keep: np.ndarray
) -> pd.DataFrame:
    """One row per enrollment (where ``keep``) and week k at which it is active at the cutoff."""
    p_drop, p_fail = oracle(cat, enr, chain)
    weeks = cat.weeks[enr.offering]
    ks = np.arange(p_drop.shape[1])[None, :]
    # Active at cutoff k (= week 0 + 7k days): registered before it (registration day < 7k)
    # and not withdrawn before it (withdrawal day >= 7k).
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
            "learner_id": strings(learner_ids, enr.learner[e]),
            "course_id": strings(course_ids, enr.offering[e]),
            "week": k.astype(np.int64),
            "p_dropout": np.clip(p_drop[e, k], 0.0, 1.0),
            "p_underperformance": np.clip(p_fail[e, k], 0.0, 1.0),
        }
    )
