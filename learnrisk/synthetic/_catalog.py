"""The course catalog: course codes, dated offerings, their assessments and VLE resources.

An offering is one dated run of a course code. Offerings alternate between February ("B")
and October ("J") presentations, as in OULAD:

    start_year=2013, offerings=4  ->  2013B (2013-02-01), 2013J (2013-10-01),
                                      2014B (2014-02-01), 2014J (2014-10-01)

so the last offering of each code is always the latest, and a temporal split exists.
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..timeline import DAY, from_ns, to_ns
from . import _params as P


def course_codes(n: int) -> list[str]:
    """``AAA, BBB, ..., ZZZ`` and then ``ABA, ABB, ...`` (distinct three-letter codes).

    >>> course_codes(3)
    ['AAA', 'BBB', 'CCC']
    """
    doubled = [c * 3 for c in string.ascii_uppercase]
    rest = ("".join(t) for t in itertools.product(string.ascii_uppercase, repeat=3))
    codes = doubled + [c for c in rest if c not in set(doubled)]
    return codes[:n]


@dataclass
class Catalog:
    """Arrays describing offerings (index ``o``) and assessments (index ``j``)."""

    courses: pd.DataFrame          # the canonical courses table, one row per offering
    code_index: np.ndarray         # offering -> course code index
    order: np.ndarray              # offering -> its position among the code's offerings
    start_ns: np.ndarray           # offering start, ns since epoch (int64)
    end_ns: np.ndarray
    length: np.ndarray             # days a learner's course lasts (cohort: the offering length)
    weeks: np.ndarray              # ceil(length / 7)
    self_paced: np.ndarray         # bool
    difficulty: np.ndarray         # per offering (from its code), lowers ability
    drift: np.ndarray              # per offering, shifts motivation
    click_scale: np.ndarray        # per offering (from its code), multiplies rows per active day
    assessments: pd.DataFrame      # canonical assessments table
    a_offering: np.ndarray         # assessment -> offering
    a_day: np.ndarray              # due day relative to week 0 of the enrollment
    a_exam: np.ndarray             # bool
    a_tma: np.ndarray              # bool: a tutor-marked assignment (its miss counts in the chain)
    res_offset: np.ndarray         # offering -> first resource index of each activity type
    n_res: np.ndarray              # resources per activity type (same for every offering)
    burst: np.ndarray              # (offering, day + PRE_START_DAYS) deadline burst in [0, 1]


def build_catalog(
    rng: np.random.Generator,
    n_courses: int,
    offerings: int,
    start_year: int,
    self_paced_courses: int,
    first_code: int = 0,
) -> Catalog:
    """Draw lengths, assessment schedules and resources for every offering.

    ``first_code``: the codes are ``course_codes(first_code + n_courses)[first_code:]`` (a part
    of a world written in parts: :func:`learnrisk.synthetic.write_parquet`).
    """
    codes = course_codes(first_code + n_courses)[first_code:]
    n_off = n_courses * offerings
    code_index = np.repeat(np.arange(n_courses), offerings)
    order = np.tile(np.arange(offerings), n_courses)
    year = start_year + order // 2
    semester = np.where(order % 2 == 0, "B", "J")
    # B presentations start on 1 February, J presentations on 1 October (00:00 UTC), the rule
    # the OULAD reader uses: "AAA-2013J" -> 2013-10-01.
    start = pd.to_datetime(
        [f"{y}-{'02' if s == 'B' else '10'}-01" for y, s in zip(year, semester)], utc=True
    )
    start_ns = to_ns(start)
    length = rng.integers(P.COURSE_LENGTH_DAYS[0], P.COURSE_LENGTH_DAYS[1] + 1, n_off)
    self_paced = code_index >= n_courses - self_paced_courses
    # A self-paced offering stays open for the registration window plus one course length.
    span = length + np.where(self_paced, P.SELF_PACED_WINDOW_DAYS, 0)
    end_ns = start_ns + span.astype(np.int64) * DAY
    # Course codes differ in difficulty, demand on motivation and busyness; the effects are
    # centred over the codes, so the overall mix of outcomes does not depend on the seed.
    def centred(sd: float, size: int) -> np.ndarray:
        x = rng.normal(0.0, sd, size)
        return x - x.mean() if size > 1 else x * 0.0

    difficulty = centred(P.COURSE_DIFFICULTY_SD, n_courses)[code_index]
    drift = centred(P.OFFERING_DRIFT_SD, n_off) + centred(P.COURSE_DEMAND_SD, n_courses)[code_index]
    click_scale = np.exp(centred(P.COURSE_CLICKS_SD, n_courses))[code_index]
    course_id = [f"{codes[c]}-{y}{s}" for c, y, s in zip(code_index, year, semester)]
    courses = pd.DataFrame(
        {
            "course_id": pd.array(course_id, dtype="str"),
            "course_code": pd.array([codes[c] for c in code_index], dtype="str"),
            "start": from_ns(start_ns),
            "end": from_ns(end_ns),
            "title": pd.array([f"Synthetic course {codes[c]}" for c in code_index], dtype="str"),
            "pacing": pd.array(np.where(self_paced, "self-paced", "cohort"), dtype="str"),
        }
    )

    # Assessments: the schedule is a property of the course code (as in OULAD), shifted by a
    # few days per offering. TMAs are spread from day ~20 to ~40 days before the end; CMAs sit
    # between them; one exam is due EXAM_DAYS_BEFORE_END days before the end.
    n_tma = rng.integers(P.N_TMA[0], P.N_TMA[1] + 1, n_courses)
    n_cma = rng.integers(P.N_CMA[0], P.N_CMA[1] + 1, n_courses)
    n_cma[n_cma < 3] = 0
    rows = []
    for o in range(n_off):
        c = code_index[o]
        L = int(length[o])
        jitter = int(rng.integers(-3, 4))
        first, last = 19 + jitter, L - 40
        tma_days = np.round(np.linspace(first, last, n_tma[c])).astype(int)
        cma_days = np.round(np.linspace(first + 15, last - 10, n_cma[c])).astype(int)
        cw = 90.0 if n_cma[c] else 100.0
        tma_w = np.full(n_tma[c], cw / n_tma[c]).round(1)
        for k, (d, w) in enumerate(zip(tma_days, tma_w), start=1):
            rows.append((o, f"{course_id[o]}-TMA{k}", "TMA", f"TMA {k}", d, w, False))
        for k, d in enumerate(cma_days, start=1):
            rows.append((o, f"{course_id[o]}-CMA{k}", "CMA", f"CMA {k}", d, round(10.0 / n_cma[c], 1), False))
        rows.append((o, f"{course_id[o]}-EXAM", "Exam", "Exam", L - P.EXAM_DAYS_BEFORE_END, 100.0, True))
    a = pd.DataFrame(rows, columns=["o", "assessment_id", "kind", "title", "day", "weight", "exam"])
    a_off = a["o"].to_numpy()
    a_day = a["day"].to_numpy(np.int64)
    due_ns = start_ns[a_off] + a_day * DAY
    due = pd.Series(from_ns(due_ns))
    # Self-paced: each learner's due dates follow their own registration, so due_at is empty.
    due = due.where(~self_paced[a_off], pd.NaT)
    assessments = pd.DataFrame(
        {
            "assessment_id": pd.array(a["assessment_id"], dtype="str"),
            "course_id": pd.array(np.asarray(course_id, dtype=object)[a_off], dtype="str"),
            "kind": pd.array(a["kind"], dtype="str"),
            "due_at": due,
            "weight": a["weight"].astype("float64"),
            "title": pd.array(a["title"], dtype="str"),
        }
    )

    # Deadline bursts: on day t the burst is 1 - (D - t) / BURST_DAYS for the next due day D
    # within BURST_DAYS days (so 1/7 a week before, 1 on the due day), else 0.
    n_days = P.PRE_START_DAYS + int(length.max()) + 7
    burst = np.zeros((n_off, n_days))
    days = np.arange(n_days) - P.PRE_START_DAYS
    for o in range(n_off):
        for d in a_day[a_off == o]:
            gap = d - days
            near = (gap >= 0) & (gap < P.BURST_DAYS)
            burst[o] = np.maximum(burst[o], np.where(near, 1.0 - gap / P.BURST_DAYS, 0.0))

    n_res = np.array([t[2] for t in P.ACTIVITY_TYPES])
    res_offset = np.arange(n_off)[:, None] * n_res.sum() + np.concatenate([[0], np.cumsum(n_res)[:-1]])[None, :]
    return Catalog(
        courses=courses,
        code_index=code_index,
        order=order,
        start_ns=start_ns,
        end_ns=end_ns,
        length=length,
        weeks=-(-length // 7),
        self_paced=self_paced,
        difficulty=difficulty,
        drift=drift,
        click_scale=click_scale,
        assessments=assessments,
        a_offering=a_off,
        a_day=a_day,
        a_exam=a["exam"].to_numpy(),
        a_tma=(a["kind"] == "TMA").to_numpy(),
        res_offset=res_offset,
        n_res=n_res,
        burst=burst,
    )
