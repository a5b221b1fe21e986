"""One course offering as plain arrays: the unit of work (the partition) of the feature builders.

Features are computed one offering at a time by the same function, so the same code can run
in-process (:func:`split_offerings` encodes every table once and slices it) or per partition on
a distributed engine (:meth:`Offering.from_frames` encodes the frames of one offering).

Times are int64 nanoseconds since the epoch (UTC), encoded by :func:`learnrisk.timeline.to_ns`:
a missing ``withdrawn_at`` or ``due_at`` is ``NEVER`` (the largest int64), so
``withdrawn_at < cutoff`` and ``due_at < cutoff`` are false. ``withdrawn_at`` is read only to
decide who is in the population at a cutoff (:func:`learnrisk.timeline.active`). A submission's
score is known at ``sub_known``: the later of ``submitted_at`` and ``scored_at`` (the marking
time, an optional column), or ``submitted_at`` when ``scored_at`` is absent or empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..data._validate import enrollment_positions
from ..errors import FeatureSpecError
from ..timeline import NAT, anchors, is_self_paced, to_ns

__all__ = [
    "DEFAULT_ACTIVITY_FAMILIES",
    "FAMILIES",
    "Offering",
    "activity_family",
    "check_activity_families",
    "family_of",
    "split_offerings",
]


# Activity types roll up into a few families, so the features do not depend on one
# platform's vocabulary (OULAD's "oucontent", xAPI's "video", Moodle's "mod_forum", ...).
FAMILIES: tuple[str, ...] = ("content", "forum", "quiz", "other")
"""The activity families, in the order of their codes; ``share_clicks_<family>`` for the first three."""

DEFAULT_ACTIVITY_FAMILIES: Mapping[str, str] = MappingProxyType(
    {
        r"^homepage$": "other",
        r"forum|discuss|chat|wiki|collab|elluminate|social|comment|message|post": "forum",
        r"quiz|question|test|exam|assess|survey|poll": "quiz",
        r"content|resource|page|url|link|video|read|file|folder|glossary|data|html|book|lesson|lecture|scorm|media": "content",
    }
)
"""The default map: regular expression -> family, tried in this order on the lower-cased activity
type (``re.search``); the first match wins and a type that matches none is ``"other"``.
Explicit entries (``build_features(..., activity_families={"video": "content"})``) win over it."""

_DEFAULT_PATTERNS = tuple((re.compile(p), FAMILIES.index(f)) for p, f in DEFAULT_ACTIVITY_FAMILIES.items())
_OTHER = FAMILIES.index("other")


def check_activity_families(activity_families: Mapping[str, str] | None) -> dict[str, int]:
    """Explicit entries (activity type -> family name) as lower-cased type -> family code.

    Raises FeatureSpecError for anything but a mapping of names to one of :data:`FAMILIES`.

    >>> check_activity_families({"Video": "content", "peer-review": "quiz"})
    {'video': 0, 'peer-review': 2}
    """
    if activity_families is None:
        return {}
    allowed = ", ".join(FAMILIES)
    if not isinstance(activity_families, Mapping):
        raise FeatureSpecError(
            f"activity_families must map activity types to families ({allowed}), "
            f"such as {{'video': 'content'}}; found {type(activity_families).__name__}"
        )
    out: dict[str, int] = {}
    for name, family in activity_families.items():
        if not isinstance(name, str) or not name.strip():
            raise FeatureSpecError(f"activity_families: an activity type must be a non-empty text, found {name!r}")
        if family not in FAMILIES:
            raise FeatureSpecError(
                f"activity_families: {name!r} maps to {family!r}, which is not a family; use one of {allowed}"
            )
        key, code = name.strip().lower(), FAMILIES.index(family)
        if out.get(key, code) != code:
            raise FeatureSpecError(
                f"activity_families: {name!r} is given twice (letter case aside) with different families"
            )
        out[key] = code
    return out


def activity_family(activity_type: str, explicit: Mapping[str, int] | None = None) -> int:
    """Family code (index into ``FAMILIES``) of one activity type.

    ``explicit`` (from :func:`check_activity_families`) wins over the default patterns.

    >>> FAMILIES[activity_family("forumng")], FAMILIES[activity_family("oucontent")]
    ('forum', 'content')
    >>> FAMILIES[activity_family("homepage")]
    'other'
    >>> FAMILIES[activity_family("ouwiki", {"ouwiki": FAMILIES.index("content")})]
    'content'
    """
    t = str(activity_type).lower()
    if explicit and t in explicit:
        return explicit[t]
    for pattern, code in _DEFAULT_PATTERNS:
        if pattern.search(t):
            return code
    return _OTHER


def family_of(activity_types, activity_families: Mapping[str, str] | None = None) -> dict[str, str]:
    """The family of each activity type: what the ``share_clicks_*`` features count it as.

    ``activity_families`` are explicit entries (type -> family) that win over
    :data:`DEFAULT_ACTIVITY_FAMILIES`; letter case is ignored.

    >>> family_of(["forumng", "video", "dualpane"], {"dualpane": "content"})
    {'forumng': 'forum', 'video': 'content', 'dualpane': 'content'}
    """
    explicit = check_activity_families(activity_families)
    return {str(t): FAMILIES[activity_family(t, explicit)] for t in activity_types}


def _family_codes(uniques, explicit: Mapping[str, int]) -> np.ndarray:
    return np.array([activity_family(u, explicit) for u in uniques], dtype=np.int8)


def _known_at(submissions: pd.DataFrame, submitted: np.ndarray) -> np.ndarray:
    """When each submission's score is known (int64 ns): ``max(submitted_at, scored_at)``;
    ``submitted`` itself when there is no ``scored_at`` column, ``submitted_at`` where it is empty.

    A score marked on 2023-01-20 for work handed in on 2023-01-09 is known from 2023-01-20;
    a ``scored_at`` before ``submitted_at`` (a plausibility warning) counts from ``submitted_at``.
    """
    if "scored_at" not in submissions.columns:
        return submitted
    return np.maximum(submitted, to_ns(submissions["scored_at"], missing=NAT))


def _float(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


@dataclass(frozen=True, eq=False)
class Offering:
    """The facts of one course offering that features may read, as arrays.

    Enrollments are positions ``0..n-1``; activity and submissions refer to them by position
    (``act_enr``, ``sub_enr``), submissions to assessments by position (``sub_asm``).
    ``sub_known``: when each submission's score is known (``sub_ts`` when nothing says later).
    ``learner_id`` holds each enrollment's learner key (any hashable type).
    """

    course_id: str
    start: int
    end: int
    self_paced: bool
    learner_id: np.ndarray
    registered: np.ndarray
    withdrawn: np.ndarray
    prior_attempts: np.ndarray
    credits: np.ndarray
    act_enr: np.ndarray
    act_ts: np.ndarray
    act_clicks: np.ndarray
    act_family: np.ndarray
    due: np.ndarray
    weight: np.ndarray
    asm_rank: np.ndarray
    sub_enr: np.ndarray
    sub_asm: np.ndarray
    sub_ts: np.ndarray
    sub_score: np.ndarray
    sub_known: np.ndarray

    @property
    def n(self) -> int:
        return len(self.registered)

    @property
    def anchor(self) -> np.ndarray:
        """Week 0 of each enrollment: the course start, or the registration if self-paced."""
        return anchors(self.start, self.registered, self.self_paced)

    @classmethod
    def from_frames(
        cls,
        course: pd.Series | dict,
        enrollments: pd.DataFrame,
        activity: pd.DataFrame,
        assessments: pd.DataFrame,
        submissions: pd.DataFrame,
        *,
        activity_families: Mapping[str, str] | None = None,
    ) -> Offering:
        """Encode the canonical tables of one offering (rows of other offerings are ignored).

        This is what one partition of a distributed engine would call. ``activity_families``:
        explicit activity type -> family entries, as in
        :func:`~learnrisk.features.build_features`.
        """
        explicit = check_activity_families(activity_families)
        cid = str(course["course_id"])
        enrollments = enrollments[enrollments["course_id"] == cid]
        activity = activity[activity["course_id"] == cid]
        assessments = assessments[assessments["course_id"] == cid]
        learners = pd.Index(enrollments["learner_id"])
        act_enr = learners.get_indexer(activity["learner_id"])
        keep = act_enr >= 0
        types, uniques = pd.factorize(activity["activity_type"])
        family = _family_codes(uniques, explicit)
        asm_index = pd.Index(assessments["assessment_id"])
        sub_asm = asm_index.get_indexer(submissions["assessment_id"])
        sub_enr = learners.get_indexer(submissions["learner_id"])
        sub_keep = (sub_asm >= 0) & (sub_enr >= 0)
        submissions = submissions[sub_keep]
        due = to_ns(assessments["due_at"])
        sub_ts = to_ns(submissions["submitted_at"])
        return cls(
            course_id=cid,
            start=to_ns(course["start"]),
            end=to_ns(course["end"]),
            self_paced=is_self_paced(course.get("pacing")),
            learner_id=learners.to_numpy(),
            registered=to_ns(enrollments["registered_at"]),
            withdrawn=to_ns(enrollments["withdrawn_at"]),
            prior_attempts=_float(enrollments, "prior_attempts"),
            credits=_float(enrollments, "credits"),
            act_enr=act_enr[keep].astype(np.int64),
            act_ts=to_ns(activity["timestamp"])[keep],
            act_clicks=activity["clicks"].to_numpy(dtype=np.int64)[keep],
            act_family=family[types[keep]] if len(uniques) else np.zeros(int(keep.sum()), np.int8),
            due=due,
            weight=_float(assessments, "weight"),
            asm_rank=_assessment_rank(due, assessments["assessment_id"]),
            sub_enr=sub_enr[sub_keep].astype(np.int64),
            sub_asm=sub_asm[sub_keep].astype(np.int64),
            sub_ts=sub_ts,
            sub_score=_float(submissions, "score"),
            sub_known=_known_at(submissions, sub_ts),
        )


def _assessment_rank(due: np.ndarray, ids: pd.Series) -> np.ndarray:
    """Rank of each assessment by (due date, id): breaks ties between same-time submissions."""
    order = np.lexsort((ids.to_numpy(dtype=object).astype(str), due))
    rank = np.empty(len(due), dtype=np.int64)
    rank[order] = np.arange(len(due))
    return rank


def split_offerings(
    data, only: np.ndarray | None = None, activity_families: Mapping[str, str] | None = None
) -> tuple[list[Offering], pd.Index]:
    """Encode all six tables once and slice them into one :class:`Offering` per course offering.

    The expensive work on ten million activity rows (string ids to integer codes, the
    activity-type families, timestamps to integers) is done once here, not per offering.
    ``only`` (a boolean mask over ``data.courses``) keeps some offerings, e.g. those running
    at an as-of date; the other rows are dropped first. ``activity_families``: explicit
    activity type -> family entries (:func:`check_activity_families`).

    Returns the offerings (in the order of ``data.courses``) and the learner index: an
    Offering's ``learner_id`` holds integer positions into it.
    """
    explicit = check_activity_families(activity_families)
    courses, enr = data.courses, data.enrollments
    course_index = pd.Index(courses["course_id"])
    wanted = np.ones(len(courses), dtype=bool) if only is None else np.asarray(only, dtype=bool)
    learner_index = pd.Index(np.sort(pd.unique(enr["learner_id"]).astype(object)))  # codes in id order
    n_learners = max(len(learner_index), 1)

    e_course = course_index.get_indexer(enr["course_id"])
    e_learner = learner_index.get_indexer(enr["learner_id"])
    e_ok = (e_course >= 0) & np.append(wanted, False)[e_course]
    e_key = e_course.astype(np.int64) * n_learners + e_learner
    e_order = np.argsort(np.where(e_ok, e_key, -1), kind="stable")
    e_order = e_order[e_ok[e_order]]
    e_key_sorted = e_key[e_order]
    e_course_sorted = e_course[e_order]
    bounds = np.searchsorted(e_course_sorted, np.arange(len(courses) + 1))
    registered = to_ns(enr["registered_at"])[e_order]
    withdrawn = to_ns(enr["withdrawn_at"])[e_order]
    prior = _float(enr, "prior_attempts")[e_order]
    credits = _float(enr, "credits")[e_order]
    learner_code = e_learner[e_order].astype(np.int64)

    n_courses = len(courses)
    # position in the sorted enrollments of each enrollment of the table (-1: not kept)
    sorted_position = np.full(len(enr) + 1, -1, dtype=np.int64)
    sorted_position[e_order] = np.arange(len(e_order))

    def enrollment_position(course_col: pd.Series, learner_col: pd.Series) -> np.ndarray:
        """Position in the sorted enrollments of each row's (course, learner); -1 if none."""
        pos = enrollment_positions({"course_id": course_col, "learner_id": learner_col}, enr)
        return sorted_position[pos]

    act = data.activity
    if not wanted.all():  # drop the rows of other offerings before any per-row work
        fc, c_uni = pd.factorize(act["course_id"])
        keep = np.append(course_index.get_indexer(c_uni), -1)[fc]
        rows = np.flatnonzero(np.append(wanted, False)[keep])
        act = act[["learner_id", "course_id", "timestamp", "activity_type", "clicks"]].take(rows)
    a_pos = enrollment_position(act["course_id"], act["learner_id"])
    # sort rows by course (a radix sort on small ints); rows of no enrollment go last
    a_course = np.append(e_course_sorted, n_courses)[a_pos]
    a_order = np.argsort(a_course.astype(np.int16 if n_courses < 32000 else np.int64), kind="stable")
    a_bounds = np.searchsorted(a_course[a_order], np.arange(n_courses + 1))
    t_codes, t_uniques = pd.factorize(act["activity_type"])
    family = np.append(_family_codes(t_uniques, explicit), 0)
    a_pos = a_pos[a_order]
    a_ts = to_ns(act["timestamp"])[a_order]
    a_clicks = act["clicks"].to_numpy(dtype=np.int64)[a_order]
    a_family = family[t_codes[a_order]]

    asm = data.assessments
    s_course = course_index.get_indexer(asm["course_id"]).astype(np.int64)
    due_all = to_ns(asm["due_at"])
    weight_all = _float(asm, "weight")

    sub = data.submissions
    s_asm = pd.Index(asm["assessment_id"]).get_indexer(sub["assessment_id"])
    s_c = np.where(s_asm >= 0, s_course[s_asm], -1)
    s_course_ids = pd.Series(np.append(course_index.to_numpy(dtype=object), None)[s_c])
    s_pos = enrollment_position(s_course_ids, sub["learner_id"])
    s_ok = (s_asm >= 0) & (s_pos >= 0)
    s_ts_all = to_ns(sub["submitted_at"])
    s_score_all = _float(sub, "score")
    s_known_all = _known_at(sub, s_ts_all)

    starts, ends = to_ns(courses["start"]), to_ns(courses["end"])
    self_paced = is_self_paced(courses["pacing"]) if "pacing" in courses.columns else np.zeros(len(courses), bool)
    out = []
    for ci in np.flatnonzero(wanted):
        lo, hi = bounds[ci], bounds[ci + 1]
        alo, ahi = a_bounds[ci], a_bounds[ci + 1]
        a_here = np.flatnonzero(s_course == ci)
        local_asm = np.full(len(asm), -1, dtype=np.int64)
        local_asm[a_here] = np.arange(len(a_here))
        s_here = np.flatnonzero(s_ok & (s_c == ci))
        out.append(
            Offering(
                course_id=str(course_index[ci]),
                start=int(starts[ci]),
                end=int(ends[ci]),
                self_paced=bool(self_paced[ci]),
                learner_id=learner_code[lo:hi],
                registered=registered[lo:hi],
                withdrawn=withdrawn[lo:hi],
                prior_attempts=prior[lo:hi],
                credits=credits[lo:hi],
                act_enr=a_pos[alo:ahi] - lo,
                act_ts=a_ts[alo:ahi],
                act_clicks=a_clicks[alo:ahi],
                act_family=a_family[alo:ahi],
                due=due_all[a_here],
                weight=weight_all[a_here],
                asm_rank=_assessment_rank(due_all[a_here], asm["assessment_id"].iloc[a_here]),
                sub_enr=s_pos[s_here] - lo,
                sub_asm=local_asm[s_asm[s_here]],
                sub_ts=s_ts_all[s_here],
                sub_score=s_score_all[s_here],
                sub_known=s_known_all[s_here],
            )
        )
    return out, learner_index
