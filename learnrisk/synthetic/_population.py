"""Learners, their attributes and static latent traits, and their enrollments.

A learner has OULAD-like attributes and two latent traits, *motivation* and *ability*
(standard normal, correlated). ``sensitive_effect`` shifts both means by the learner's
*disadvantage* (deprivation band, disability, prior education): with ``"none"`` the attributes
are pure labels, with ``"strong"`` a fairness audit of any good model finds gaps.
An enrollment adds its own wobble to motivation, the course's difficulty to ability, a
registration day, a weekly life-event hazard, and two flags drawn at registration:
*pre-start withdrawal* (registers, then withdraws before week 0) and *ghost* (stays
registered but never opens the course).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ..timeline import DAY, anchors
from . import _params as P
from ._catalog import Catalog


def _pick(rng: np.random.Generator, table: tuple, n: int) -> np.ndarray:
    """Indices into ``table`` ((value, share) pairs), drawn with the shares as probabilities."""
    p = np.array([s for _, s in table], dtype=float)
    return rng.choice(len(table), size=n, p=p / p.sum())


def _values(table: tuple, idx: np.ndarray) -> np.ndarray:
    return np.array([v for v, _ in table], dtype=object)[idx]


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Learners:
    table: pd.DataFrame            # canonical learners table (learner_id + attributes)
    motivation: np.ndarray
    ability: np.ndarray
    disadvantage: np.ndarray       # the score ``sensitive_effect`` multiplies
    life_event: np.ndarray         # weekly life-event log-odds shift


def make_learners(rng: np.random.Generator, n: int, effect: float, first_id: int = 1) -> Learners:
    """Draw attributes and latent traits of ``n`` learners, numbered from ``first_id``."""
    gender = _pick(rng, P.GENDER, n)
    age = _pick(rng, P.AGE_BAND, n)
    region = _pick(rng, P.REGION, n)
    disability = _pick(rng, P.DISABILITY, n)
    deprivation = _pick(rng, P.DEPRIVATION, n)
    education = _pick(rng, P.PRIOR_EDUCATION, n)
    # Disadvantage: deprivation runs from +1 (band "0-10%", most deprived) to -1 ("90-100%"),
    # 0 when unknown; disability adds 1; prior education runs from +0.6 (no formal
    # qualifications) to -0.6 (postgraduate). Centred so that the outcome mix hardly moves
    # with the effect's strength.
    dep = np.where(deprivation < 10, (4.5 - deprivation) / 4.5, 0.0)
    edu = np.array([-0.1, 0.3, -0.4, 0.6, -0.6])[education]
    score = 0.6 * dep + 1.0 * (disability == 1) + 0.5 * edu
    score = score - score.mean() if n else score
    z = rng.standard_normal((n, 2))
    motivation = z[:, 0] - effect * score
    r = P.TRAIT_CORRELATION
    ability = r * z[:, 0] + np.sqrt(1 - r * r) * z[:, 1] - 0.8 * effect * score
    table = pd.DataFrame(
        {
            "learner_id": pd.array([f"L{i:06d}" for i in range(first_id, first_id + n)], dtype="str"),
            "gender": pd.array(_values(P.GENDER, gender), dtype="str"),
            "age_band": pd.array(_values(P.AGE_BAND, age), dtype="str"),
            "region": pd.array(_values(P.REGION, region), dtype="str"),
            "disability": pd.array(_values(P.DISABILITY, disability), dtype="str"),
            "deprivation": pd.array(_values(P.DEPRIVATION, deprivation), dtype="str"),
            "prior_education": pd.array(_values(P.PRIOR_EDUCATION, education), dtype="str"),
        }
    )
    return Learners(table, motivation, ability, score, 0.5 * effect * score)


@dataclass
class Enrollments:
    """One entry per enrollment; days are relative to the enrollment's week 0 (its anchor)."""

    learner: np.ndarray            # learner index
    offering: np.ndarray           # offering index
    prior_attempts: np.ndarray
    credits: np.ndarray
    anchor_ns: np.ndarray          # week 0: course start (cohort) or registration (self-paced)
    reg_day: np.ndarray            # registration day (negative: before week 0)
    motivation: np.ndarray         # baseline m of the weekly chain
    ability: np.ndarray
    style: np.ndarray              # taste for clicking, unrelated to outcomes
    life_event: np.ndarray         # weekly log-odds that a life event starts
    ghost: np.ndarray              # never active, never submits
    prestart: np.ndarray           # withdraws before week 0
    prestart_day: np.ndarray       # its withdrawal day (valid where ``prestart``)

    def __len__(self) -> int:
        return len(self.learner)

    def take(self, idx: np.ndarray) -> Enrollments:
        return Enrollments(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Enrollments]) -> Enrollments:
        return Enrollments(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Enrollments)})


def make_enrollments(
    rng: np.random.Generator,
    cat: Catalog,
    learners: Learners,
    learner: np.ndarray,
    offering: np.ndarray,
    prior_attempts: np.ndarray,
    not_before_ns: np.ndarray | None = None,
) -> Enrollments:
    """Draw registration, static traits and the two registration-time flags of enrollments.

    ``not_before_ns`` (retakes) is the earliest registration time: a learner re-registers
    only after the previous attempt ended or was abandoned.
    """
    n = len(learner)
    start = cat.start_ns[offering]
    sp = cat.self_paced[offering]
    # Cohort registration: most register weeks before the start (median ~55 days, as in OULAD:
    # a log-normal number of days, clipped to 1..270); 1 % register 1-20 days after the start.
    before = np.clip(np.round(np.exp(rng.normal(np.log(55), 0.65, n))), 1, 270).astype(np.int64)
    late = rng.random(n) < 0.01
    after = rng.integers(1, 21, n)
    reg_day = np.where(late, after, -before)
    # Self-paced: a learner registers on a day of the window and that day is their week 0.
    sp_day = rng.integers(0, P.SELF_PACED_WINDOW_DAYS, n)
    anchor = anchors(start, start + sp_day * DAY, sp)
    reg_day = np.where(sp, 0, reg_day)
    if not_before_ns is not None:
        # Re-registration no earlier than the day after the previous attempt ended.
        earliest = -((anchor - not_before_ns) // DAY) + 1
        reg_day = np.where(sp, reg_day, np.maximum(reg_day, earliest))
    credits = np.array([v for v, _ in P.CREDITS])[_pick(rng, P.CREDITS, n)]
    retake = prior_attempts > 0
    motivation = (
        learners.motivation[learner]
        + rng.normal(0.0, P.ENROLLMENT_NOISE_SD, n)
        + cat.drift[offering]
        + P.RETAKE_MOTIVATION * retake
    )
    ability = learners.ability[learner] - cat.difficulty[offering] + P.RETAKE_ABILITY * retake
    style = rng.normal(0.0, P.STYLE_SD, n)
    life_event = (
        np.log(P.LIFE_EVENT_HAZARD / (1 - P.LIFE_EVENT_HAZARD))
        + learners.life_event[learner]
        + P.LOAD_PER_60_CREDITS * (credits - 60) / 60
    )
    u_pre, u_ghost, u_day = rng.random(n), rng.random(n), rng.random(n)
    prestart = (u_pre < logistic(P.PRESTART_BASE + P.PRESTART_SLOPE * motivation)) & (sp | (reg_day < 0))
    # Cohort: the withdrawal day is uniform on registration .. day -1; self-paced: week 0.
    span = np.where(sp, 7, np.maximum(-reg_day, 1))
    prestart_day = np.where(sp, 0, reg_day) + np.floor(u_day * span).astype(np.int64)
    ghost = ~prestart & (u_ghost < logistic(P.GHOST_BASE + P.GHOST_SLOPE * motivation))
    return Enrollments(
        learner=learner,
        offering=offering,
        prior_attempts=prior_attempts,
        credits=credits,
        anchor_ns=anchor,
        reg_day=reg_day,
        motivation=motivation,
        ability=ability,
        style=style,
        life_event=life_event,
        ghost=ghost,
        prestart=prestart,
        prestart_day=prestart_day,
    )
