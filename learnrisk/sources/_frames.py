"""From a platform's own records to the canonical tables: ``from_frames`` and ``ImportReport``.

Every reader (CSV with a mapping, xAPI, Caliper, Moodle, Canvas, Open edX) turns its records into
plain frames (events, and whatever enrollments, courses, assessments and submissions the source
carries) and hands them to :func:`from_frames`, which owns the rules that are the same for all:

- **events -> activity**: one event is one click unless the source gives a count; identical
  events (same learner, offering, instant, activity type and resource) are summed into one row,
  at the same instant (never moved in time, so no event can cross an as-of cutoff);
- **enrollments**, when the source has none: one per learner and offering, registered at the
  learner's first event there (known at that time, so as-of safe), no withdrawal, no outcome;
- **courses**, when the source lacks them: ``start`` is the UTC midnight of the offering's first
  event or due date, ``end`` the UTC midnight after its last; the code is the id. Give
  ``course_dates`` (or a courses frame) where the real dates are known: derived dates move the
  week boundaries, and an offering still running gets the last event seen as its end;
- **what is dropped, and why**: events without a learner, an offering or a time; events and
  submissions of learners not enrolled in the offering; submissions of unknown assessments.
  Each reason is counted in the :class:`ImportReport`, with a few example records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import LearningData
from ..data._validate import pair_exists
from ..timeline import DAY, parse_times

__all__ = ["EVENT_COLUMNS", "ImportReport", "from_frames"]

EVENT_COLUMNS = ("learner_id", "course_id", "timestamp", "activity_type")
_ENROLLMENT = ["learner_id", "course_id"]
_EMPTY = {
    "assessments": {"assessment_id": "str", "course_id": "str", "kind": "str", "due_at": "datetime64[ns, UTC]", "weight": "float64"},
    "submissions": {"learner_id": "str", "assessment_id": "str", "submitted_at": "datetime64[ns, UTC]", "score": "float64"},
}


@dataclass
class ImportReport:
    """What a reader mapped and what it dropped, and why: printed by ``learnrisk import``.

    ``read`` counts the source's records (statements, events, log rows); ``mapped`` the rows of
    each canonical table written; ``dropped`` the records left out, by reason; ``examples`` up to
    three of each reason (ids or statement ids, never a score or a name); ``notes`` what was
    derived rather than read (course dates, enrollments).
    """

    source: str
    read: int = 0
    mapped: dict[str, int] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, count: int = 1, examples=()) -> None:
        """Count ``count`` records left out for ``reason`` (and keep up to 3 examples)."""
        if count <= 0:
            return
        self.dropped[reason] += int(count)
        kept = self.examples.setdefault(reason, [])
        for e in examples:
            if len(kept) >= 3:
                break
            kept.append(str(e))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def lines(self) -> list[str]:
        """The report in plain lines, as ``learnrisk import`` prints it."""
        out = [f"{self.source}: read {self.read:,} record{'s' if self.read != 1 else ''}"]
        if self.mapped:
            out.append("mapped: " + ", ".join(f"{n:,} {t}" for t, n in self.mapped.items()))
        for reason, n in self.dropped.most_common():
            ex = self.examples.get(reason) or []
            out.append(f"dropped {n:,}: {reason}" + (f" (e.g. {', '.join(ex)})" if ex else ""))
        out += [f"note: {n}" for n in self.notes]
        return out

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "read": self.read,
            "mapped": dict(self.mapped),
            "dropped": dict(self.dropped),
            "examples": {k: list(v) for k, v in self.examples.items()},
            "notes": list(self.notes),
        }


def _times(frame: pd.DataFrame, column: str, time_unit, table: str = "") -> pd.Series:
    """``frame[column]`` parsed strictly (:func:`learnrisk.timeline.parse_times`); ``time_unit``
    one unit or a dict keyed ``"table.column"`` or ``"column"``."""
    unit = time_unit
    if isinstance(time_unit, dict):
        unit = time_unit.get(f"{table}.{column}", time_unit.get(column))
    return parse_times(frame[column], f"{table or 'source'}.{column}", unit=unit)


def _drop(frame: pd.DataFrame, mask, reason: str, report: ImportReport, id_columns) -> pd.DataFrame:
    """``frame`` without the rows of ``mask``, counted in ``report`` under ``reason``."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        cols = [c for c in id_columns if c in frame.columns]
        rows = frame.loc[mask, cols].head(3).itertuples(index=False) if cols else []
        shown = [" ".join("(none)" if pd.isna(v) else str(v) for v in row) for row in rows]
        report.drop(reason, int(mask.sum()), list(shown))
    return frame[~mask]


def events_to_activity(events: pd.DataFrame, report: ImportReport, time_unit=None) -> pd.DataFrame:
    """Canonical activity rows from event rows (``EVENT_COLUMNS``, optional ``clicks`` and
    ``resource_id``): one event one click unless ``clicks`` is given; identical events summed."""
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events need the columns {', '.join(EVENT_COLUMNS)}; missing {', '.join(missing)}")
    ev = events.copy()
    ev["timestamp"] = _times(ev, "timestamp", time_unit)
    for col, reason in (
        ("learner_id", "events without a learner"),
        ("course_id", "events without a course"),
        ("timestamp", "events without a time"),
        ("activity_type", "events without an activity type"),
    ):
        empty = ev[col].isna().to_numpy().copy()
        if col != "timestamp":  # parsed times are never "" (and formatting them as text is slow)
            empty |= (ev[col].astype("str") == "").to_numpy()
        ev = _drop(ev, empty, reason, report, ["event_id", "learner_id", "course_id"])
    ev["clicks"] = pd.to_numeric(ev["clicks"], errors="coerce").fillna(1) if "clicks" in ev.columns else 1
    keys = [*EVENT_COLUMNS] + (["resource_id"] if "resource_id" in ev.columns else [])
    for k in ("learner_id", "course_id", "activity_type"):
        ev[k] = ev[k].astype("str")
    out = ev.groupby(keys, sort=True, dropna=False, observed=True)["clicks"].sum().reset_index()
    out["clicks"] = out["clicks"].astype("int64")
    return out[[*keys, "clicks"]]


def _derived_courses(
    course_ids: pd.Series, activity: pd.DataFrame, enrollments: pd.DataFrame, assessments: pd.DataFrame, report: ImportReport
) -> pd.DataFrame:
    """Start and end of offerings the source gives no dates for (see the module's docstring)."""
    times = [
        activity[["course_id", "timestamp"]].rename(columns={"timestamp": "t"}),
        enrollments[["course_id", "registered_at"]].rename(columns={"registered_at": "t"}),
        assessments[["course_id", "due_at"]].rename(columns={"due_at": "t"}).dropna(),
    ]
    spans = pd.concat(times, ignore_index=True).groupby("course_id")["t"].agg(["min", "max"])
    spans = spans.reindex(pd.Index(course_ids, name="course_id"))
    start = spans["min"].dt.floor("D")
    end = spans["max"].dt.floor("D") + pd.Timedelta(DAY, unit="ns")
    out = pd.DataFrame({"course_id": spans.index, "course_code": spans.index, "start": start.to_numpy(), "end": end.to_numpy()})
    if len(out):
        report.note(
            f"{len(out):,} offering{'s' if len(out) != 1 else ''} without dates in the source: start and end derived "
            "from the first and last event or due date (UTC midnights); give course dates where known"
        )
    return out


def from_frames(
    *,
    enrollments: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    activity: pd.DataFrame | None = None,
    courses: pd.DataFrame | None = None,
    learners: pd.DataFrame | None = None,
    assessments: pd.DataFrame | None = None,
    submissions: pd.DataFrame | None = None,
    course_dates: pd.DataFrame | dict | None = None,
    time_unit: str | dict[str, str] | None = None,
    report: ImportReport | None = None,
    validate: bool = True,
    registrations: pd.DataFrame | None = None,
    **optional: pd.DataFrame | None,
) -> LearningData:
    """Canonical :class:`~learnrisk.data.LearningData` from one's own frames.

    Give what the source has; the rest is derived (see ``docs/data.md``, "From your own
    frames"): ``events`` are raw event rows (``learner_id``, ``course_id``, ``timestamp``,
    ``activity_type``, optional ``clicks`` and ``resource_id``) summed into activity;
    ``activity`` is already canonical; ``enrollments`` default to one per learner and offering
    seen, registered at the first event, or at an earlier ``registrations`` row (``learner_id``,
    ``course_id``, ``registered_at``: a registration the source records, which also enrolls a
    learner who never acted); ``courses`` default to dates derived from the events
    (``course_dates``, a frame or ``{course_id: (start, end)}``, overrides them); ``learners``
    default to the enrolled ids; ``assessments`` and ``submissions`` default to empty.
    Events and submissions of learners not enrolled are dropped, and counted in ``report``
    (an :class:`ImportReport`, filled in place). ``optional`` are the optional tables
    (``actions``, ``assignments``, ``hr``, ``kpis``). Times follow :class:`LearningData`
    (``time_unit`` for numbers).

    Examples
    --------
    >>> import pandas as pd, learnrisk
    >>> events = pd.DataFrame({"learner_id": ["a", "a", "b"], "course_id": "C1",
    ...                        "timestamp": ["2024-01-08T10:00", "2024-01-08T10:00", "2024-01-09"],
    ...                        "activity_type": "resource"})
    >>> data = learnrisk.from_frames(events=events)
    >>> data.activity["clicks"].tolist()
    [2, 1]
    """
    report = report if report is not None else ImportReport("frames")
    parts = []
    if events is not None:
        parts.append(events_to_activity(events, report, time_unit))
    if activity is not None:
        act = activity.copy()
        act["timestamp"] = _times(act, "timestamp", time_unit)
        parts.append(act)
    act = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"learner_id": pd.Series(dtype="str"), "course_id": pd.Series(dtype="str"),
         "timestamp": pd.Series(dtype="datetime64[ns, UTC]"), "activity_type": pd.Series(dtype="str"),
         "clicks": pd.Series(dtype="int64")}
    )
    a = assessments.copy() if assessments is not None else pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY["assessments"].items()})
    if "due_at" in a.columns:
        a["due_at"] = _times(a, "due_at", time_unit)
    s = submissions.copy() if submissions is not None else pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY["submissions"].items()})
    if len(s):
        s["submitted_at"] = _times(s, "submitted_at", time_unit)
        s = _drop(s, ~s["assessment_id"].astype("str").isin(a["assessment_id"].astype("str")).to_numpy(),
                  "submissions for an assessment the source does not list", report, ["learner_id", "assessment_id"])
    for frame in (act, a, s):
        for col in ("learner_id", "course_id", "assessment_id"):
            if col in frame.columns:
                frame[col] = frame[col].astype("str")

    if enrollments is None:
        seen = [act[["learner_id", "course_id", "timestamp"]]]
        if len(s):
            course_of = s["assessment_id"].map(a.drop_duplicates("assessment_id").set_index("assessment_id")["course_id"])
            seen.append(pd.DataFrame({"learner_id": s["learner_id"], "course_id": course_of, "timestamp": s["submitted_at"]}))
        if registrations is not None and len(registrations):
            r = registrations.astype({"learner_id": "str", "course_id": "str"})
            seen.append(pd.DataFrame({"learner_id": r["learner_id"], "course_id": r["course_id"],
                                      "timestamp": _times(r, "registered_at", time_unit)}))
        first = pd.concat(seen, ignore_index=True).groupby(_ENROLLMENT, sort=True)["timestamp"].min().reset_index()
        e = first.rename(columns={"timestamp": "registered_at"})
        e["withdrawn_at"] = pd.Series(pd.NaT, index=e.index, dtype="datetime64[ns, UTC]")
        e["outcome"] = pd.Series(None, index=e.index, dtype="str")
        if len(e):
            report.note(f"{len(e):,} enrollments derived (one per learner and offering seen, registered at the first event"
                        + (" or registration)" if registrations is not None and len(registrations) else ")"))
    else:
        e = enrollments.copy()
        for col in ("registered_at", "withdrawn_at"):
            if col in e.columns:
                e[col] = _times(e, col, time_unit)
        if "withdrawn_at" not in e.columns:
            e["withdrawn_at"] = pd.Series(pd.NaT, index=e.index, dtype="datetime64[ns, UTC]")
        if "outcome" not in e.columns:
            e["outcome"] = pd.Series(None, index=e.index, dtype="str")
        for col in _ENROLLMENT:
            e[col] = e[col].astype("str")
        act = _drop(act, ~pair_exists(act, e, _ENROLLMENT), "events of learners not enrolled in the offering", report,
                    ["learner_id", "course_id"])
        if len(s):
            course_of = s["assessment_id"].map(a.drop_duplicates("assessment_id").set_index("assessment_id")["course_id"])
            pairs = pd.DataFrame({"learner_id": s["learner_id"], "course_id": course_of})
            s = _drop(s, ~pair_exists(pairs, e, _ENROLLMENT), "submissions of learners not enrolled in the offering", report,
                      ["learner_id", "assessment_id"])

    ids = pd.Index(pd.unique(pd.concat([e["course_id"], a["course_id"]], ignore_index=True).astype("str")))
    c = _courses(courses, course_dates, ids, act, e, a, report, time_unit)
    l = learners.copy() if learners is not None else pd.DataFrame({"learner_id": pd.unique(e["learner_id"])})
    data = LearningData(c, l, e, act, a, s, validate=validate, **optional)
    report.mapped = {name: len(frame) for name, frame in data.all_tables().items()}
    return data


def _courses(courses, course_dates, ids: pd.Index, act, e, a, report: ImportReport, time_unit) -> pd.DataFrame:
    """The courses table: given rows, then ``course_dates``, then derived dates for the rest."""
    known = courses.copy() if courses is not None else pd.DataFrame(columns=["course_id", "course_code", "start", "end"])
    if len(known):
        known["course_id"] = known["course_id"].astype("str")
        if "course_code" not in known.columns:
            known["course_code"] = known["course_id"]
        for col in ("start", "end"):
            known[col] = _times(known, col, time_unit)
    if course_dates is not None:
        if isinstance(course_dates, dict):
            course_dates = pd.DataFrame(
                [(str(k), v[0], v[1]) for k, v in course_dates.items()], columns=["course_id", "start", "end"]
            )
        dates = course_dates.copy()
        dates["course_id"] = dates["course_id"].astype("str")
        for col in ("start", "end"):
            dates[col] = _times(dates, col, time_unit)
        if "course_code" not in dates.columns:
            dates["course_code"] = dates["course_id"]
        known = pd.concat([known[~known["course_id"].isin(dates["course_id"])], dates], ignore_index=True)
    rest = ids.difference(known["course_id"]) if len(known) else ids
    if len(rest):
        known = pd.concat([known, _derived_courses(pd.Series(rest), act, e, a, report)], ignore_index=True) if len(known) else _derived_courses(pd.Series(rest), act, e, a, report)
    return known.reset_index(drop=True)
