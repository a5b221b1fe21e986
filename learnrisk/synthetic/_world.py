"""The university world: learners, enrollments, the latent chain and what is observed of it
(the body of :func:`learnrisk.synthetic.generate`, and of each part of
:func:`learnrisk.synthetic.write_parquet`)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..data import LearningData
from ..errors import SyntheticConfigError
from ..timeline import DAY, before, ended, to_ns, utc_timestamp
from . import _params as P
from ._arrays import strings, times
from ._assessments import Results, final_results, submissions
from ._catalog import Catalog, build_catalog
from ._engagement import activity
from ._latent import NO_WITHDRAWAL, Chain, simulate, truth_frame
from ._population import Enrollments, make_enrollments, make_learners


def _effect(value: float | str) -> float:
    if isinstance(value, str):
        if value not in P.SENSITIVE_EFFECTS:
            raise SyntheticConfigError(
                f"sensitive_effect={value!r} is not known; use one of "
                f"{', '.join(map(repr, P.SENSITIVE_EFFECTS))} or a number >= 0"
            )
        return P.SENSITIVE_EFFECTS[value]
    try:
        effect = float(value)
    except (TypeError, ValueError):
        raise SyntheticConfigError(f"sensitive_effect must be a name or a number, found {value!r}") from None
    if not np.isfinite(effect) or effect < 0:
        raise SyntheticConfigError(f"sensitive_effect must be a number >= 0, found {value!r}")
    return effect


def _as_of(as_of, running_at) -> pd.Timestamp | None:
    """The cut of the world as a UTC Timestamp, from ``as_of`` or its deprecated name ``running_at``."""
    if running_at is not None:
        warnings.warn(
            "generate(running_at=...) is deprecated and will be removed in the next release; use as_of=...",
            DeprecationWarning,
            stacklevel=3,
        )
        if as_of is not None:
            raise SyntheticConfigError("give as_of only (running_at is its deprecated name), not both")
        as_of = running_at
    if as_of is None:
        return None
    try:
        return utc_timestamp(as_of)
    except ValueError:
        raise SyntheticConfigError(f"as_of must be a date or time such as '2014-06-01', found {as_of!r}") from None


def _check(n_learners: int, n_courses: int, offerings: int, self_paced_courses: int) -> None:
    for name, value, low in (("n_learners", n_learners, 1), ("n_courses", n_courses, 1), ("offerings", offerings, 1)):
        if int(value) != value or value < low:
            raise SyntheticConfigError(f"{name} must be a whole number >= {low}, found {value!r}")
    if not 0 <= self_paced_courses <= n_courses:
        raise SyntheticConfigError(
            f"self_paced_courses must be between 0 and n_courses={n_courses}, found {self_paced_courses!r}"
        )


def _take_results(r: Results, idx: np.ndarray) -> Results:
    return Results(r.outcome[idx], r.final_score[idx], r.sat_exam[idx])


def _next_offering(cat: Catalog) -> np.ndarray:
    """For each offering, the first offering of the same code starting after it ends (or -1)."""
    nxt = np.full(len(cat.length), -1)
    for o in range(len(nxt)):
        later = np.flatnonzero((cat.code_index == cat.code_index[o]) & (cat.start_ns > cat.end_ns[o]))
        if len(later):
            nxt[o] = later[np.argmin(cat.start_ns[later])]
    return nxt


def _world(rng: np.random.Generator, cat: Catalog, n_learners: int, effect: float, first_learner: int = 1):
    """Learners, all enrollments (first attempts, then retakes), their chains and results."""
    learners = make_learners(rng, n_learners, effect, first_learner)
    n_codes = int(cat.code_index.max()) + 1
    # Course codes differ in size (log-normal popularity); offerings of a code a little.
    weight = np.exp(rng.normal(0.0, 0.5, n_codes))[cat.code_index] * rng.uniform(0.8, 1.2, len(cat.length))
    offering = rng.choice(len(weight), size=n_learners, p=weight / weight.sum())
    prior = np.array([v for v, _ in P.PRIOR_ATTEMPTS])[
        rng.choice(len(P.PRIOR_ATTEMPTS), size=n_learners, p=[s for _, s in P.PRIOR_ATTEMPTS])
    ]
    learner = np.arange(n_learners)
    first = make_enrollments(rng, cat, learners, learner, offering, prior)
    chain1 = simulate(rng, cat, first)
    res1 = final_results(rng, cat, first, chain1)

    # Retakes: about RETAKE_SHARE of learners, drawn among those who failed or withdrew in an
    # offering that has a later one of the same code; they register after the first attempt.
    nxt = _next_offering(cat)[first.offering]
    eligible = np.isin(res1.outcome, ["fail", "withdrawn"]) & (nxt >= 0)
    p = min(0.95, P.RETAKE_SHARE * n_learners / max(int(eligible.sum()), 1))
    again = np.flatnonzero(eligible & (rng.random(n_learners) < p))
    withdrawn = chain1.withdraw_day[again] < NO_WITHDRAWAL
    ended = np.where(
        withdrawn,
        first.anchor_ns[again] + np.where(withdrawn, chain1.withdraw_day[again], 0) * DAY,
        cat.end_ns[first.offering[again]],
    )
    second = make_enrollments(rng, cat, learners, learner[again], nxt[again], first.prior_attempts[again] + 1, ended)
    chain2 = simulate(rng, cat, second)
    res2 = final_results(rng, cat, second, chain2)

    enr = Enrollments.concat([first, second])
    chain = Chain.concat([chain1, chain2])
    res = Results(*(np.concatenate([getattr(res1, f), getattr(res2, f)]) for f in Results.__dataclass_fields__))
    order = np.lexsort((enr.learner, enr.offering))
    return learners, enr.take(order), chain.take(order), _take_results(res, order)


def _university(rng, n_learners, n_courses, offerings, effect, start_year, self_paced_courses, as_of, return_truth,
                first_code: int = 0, first_learner: int = 1):
    """The university world (``generate``'s body); ``first_code``/``first_learner`` number a part."""
    cat = build_catalog(rng, n_courses, offerings, start_year, self_paced_courses, first_code)
    learners, enr, chain, res = _world(rng, cat, n_learners, effect, first_learner)
    learner_ids = learners.table["learner_id"].to_numpy()
    act = activity(rng, cat, enr, chain, learner_ids)
    subs = submissions(rng, cat, enr, chain, res, learner_ids)

    registered = enr.anchor_ns + enr.reg_day * DAY
    gone = chain.withdraw_day < NO_WITHDRAWAL
    withdrawn_ns = enr.anchor_ns + np.where(gone, chain.withdraw_day, 0) * DAY
    outcome, final_score = res.outcome, res.final_score
    keep = np.ones(len(enr), dtype=bool)
    if as_of is not None:  # the world as known at as_of: facts strictly before it
        t = to_ns(as_of)
        keep = before(registered, t)
        gone = gone & before(withdrawn_ns, t)
        unfinished = ~ended(cat.end_ns[enr.offering], t)
        outcome = np.where(unfinished, None, outcome)
        final_score = np.where(unfinished, np.nan, final_score)
        act = act[before(to_ns(act["timestamp"]), t)].reset_index(drop=True)
        subs = subs[before(to_ns(subs["submitted_at"]), t)].reset_index(drop=True)

    course_ids = cat.courses["course_id"].to_numpy()
    attrs = learners.table.drop(columns="learner_id")
    enrollments = pd.DataFrame(
        {
            "learner_id": strings(learner_ids, enr.learner),
            "course_id": strings(course_ids, enr.offering),
            "registered_at": times(registered),
            "withdrawn_at": pd.Series(times(withdrawn_ns)).where(gone, pd.NaT),
            "outcome": pd.array(outcome, dtype="str"),
            "final_score": final_score.astype("float64"),
            "prior_attempts": enr.prior_attempts.astype("float64"),
            "credits": enr.credits.astype("float64"),
        }
    )
    enrollments = pd.concat([enrollments, attrs.iloc[enr.learner].reset_index(drop=True)], axis=1)
    enrollments = enrollments[keep].reset_index(drop=True)
    enrolled = np.bincount(enr.learner[keep], minlength=len(learner_ids)) > 0
    learner_table = learners.table[enrolled].reset_index(drop=True)
    data = LearningData(
        courses=cat.courses,
        learners=learner_table,
        enrollments=enrollments,
        activity=act,
        assessments=cat.assessments,
        submissions=subs,
        validate=False,
    )
    if not return_truth:
        return data
    return data, truth_frame(cat, enr, chain, learner_ids, keep)
