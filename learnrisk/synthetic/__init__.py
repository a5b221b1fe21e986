"""Synthetic learning data from a documented latent model: :func:`generate`.

The generator draws a world of course offerings, learners and enrollments, runs a weekly
latent chain per enrollment (motivation, life events, withdrawal) and observes it as clicks,
submissions, scores and final results, in the canonical :class:`~learnrisk.LearningData`
tables. Optionally it returns the *truth*: the oracle probabilities of dropout and
underperformance that the chain implies at every weekly cutoff, so that a model's quality
can be stated as a fraction of the best achievable. See ``docs/synthetic.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import LearningData
from ..errors import LearnriskError, SyntheticConfigError
from ._contacts import contact_effects, simulate_contacts
from ._corporate import CorporateTruth, generate_corporate
from ._parts import LEARNERS_PER_PART, Written, write_parquet
from ._realism import realism
from ._world import _as_of, _check, _effect, _university

__all__ = [
    "LEARNERS_PER_PART",
    "SCENARIOS",
    "CorporateTruth",
    "SyntheticConfigError",
    "Written",
    "contact_effects",
    "generate",
    "realism",
    "simulate_contacts",
    "write_parquet",
]

SCENARIOS = ("university", "corporate")



def generate(
    n_learners: int = 2000,
    n_courses: int = 3,
    offerings: int = 4,
    *,
    seed: int = 0,
    sensitive_effect: float | str = "modest",
    start_year: int = 2013,
    self_paced_courses: int = 0,
    as_of: pd.Timestamp | str | None = None,
    return_truth: bool = False,
    running_at: pd.Timestamp | str | None = None,
    scenario: str = "university",
    **corporate,
) -> LearningData | tuple[LearningData, pd.DataFrame | CorporateTruth]:
    """Generate a seeded, realistic set of learning data from a latent model.

    Parameters
    ----------
    n_learners : int
        Learners; each enrolls in one offering and about 10 % retake a later offering of the
        same course code after failing or withdrawing (so about ``1.1 * n_learners``
        enrollments when there are offerings to retake).
    n_courses : int
        Course codes ``AAA``, ``BBB``, ``CCC``, ...
    offerings : int
        Dated offerings per code, alternating February ("B") and October ("J") starts from
        ``start_year``: ``AAA-2013B``, ``AAA-2013J``, ``AAA-2014B``, ... lasting 230-270 days.
    seed : int
        Same seed, same tables (and the same truth).
    sensitive_effect : {"none", "modest", "strong"} or float
        How much deprivation, disability and prior education shift motivation and ability
        (0, 0.15 and 0.8 standard deviations per unit of disadvantage).
    start_year : int
        Year of the first offering.
    self_paced_courses : int
        How many of the codes (the last ones) are self-paced: week 0 of an enrollment is the
        learner's registration, and due dates follow it (``due_at`` is empty).
    as_of : Timestamp or str, optional
        Cut the world at this moment, as a weekly scoring job would see it: enrollments
        registered later are dropped, later withdrawals, activity and submissions are
        removed, and offerings not ended by then have no outcome or final score (the facts
        known at ``as_of`` are those strictly before it: :mod:`learnrisk.timeline`). A naive
        time is read as UTC.
    return_truth : bool
        Also return the truth (see Returns).
    running_at : Timestamp or str, optional
        Deprecated name of ``as_of`` (a DeprecationWarning); it will be removed in the next
        release.
    scenario : {"university", "corporate"}
        ``"corporate"``: employees, managers, assigned self-paced training with due dates, HR
        and KPI tables (:func:`~learnrisk.synthetic._corporate.generate_corporate`, whose
        keyword arguments ``years``, ``n_departments`` and ``kpi_effect`` pass through; default
        600 employees); the truth is then a :class:`CorporateTruth`. See ``docs/corporate.md``.

    Returns
    -------
    LearningData
        The six canonical tables; learners' attributes are repeated on enrollments.
    truth : DataFrame, only if ``return_truth``
        One row per enrollment and week ``k`` (1 .. course weeks) at which the enrollment is
        active at the cutoff ``start + 7k days``: ``learner_id, course_id, week, p_dropout,
        p_underperformance`` - the exact probabilities, given the latent state the generator
        knew at that cutoff, of withdrawing at or after it and of failing if completing.
        It is a separate frame and never part of the data.

    Examples
    --------
    >>> from learnrisk import synthetic
    >>> data = synthetic.generate(n_learners=300, n_courses=2, offerings=2, seed=1)
    >>> sorted(data.courses["course_id"])
    ['AAA-2013B', 'AAA-2013J', 'BBB-2013B', 'BBB-2013J']
    >>> data, truth = synthetic.generate(n_learners=300, seed=1, return_truth=True)
    >>> list(truth.columns)
    ['learner_id', 'course_id', 'week', 'p_dropout', 'p_underperformance']
    """
    as_of = _as_of(as_of, running_at)
    if scenario not in SCENARIOS or (corporate and scenario != "corporate"):
        raise SyntheticConfigError(f"scenario must be one of {', '.join(SCENARIOS)} (found {scenario!r}); "
                                   f"{', '.join(corporate) or 'no extra argument'} only with scenario='corporate'")
    if scenario == "corporate":
        n = 600 if n_learners == 2000 else n_learners
        year = 2024 if start_year == 2013 else start_year
        return generate_corporate(n, seed=seed, start_year=year, as_of=as_of, return_truth=return_truth, **corporate)
    _check(n_learners, n_courses, offerings, self_paced_courses)
    return _university(np.random.default_rng(seed), int(n_learners), n_courses, offerings, _effect(sensitive_effect),
                       start_year, self_paced_courses, as_of, return_truth)
