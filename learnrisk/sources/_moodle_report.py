"""Moodle's Logs report downloaded as CSV (Site administration > Reports > Logs, or a course's
Reports > Logs, "Download table data as" CSV).

Its columns are ``Time``, ``User full name``, ``Affected user``, ``Event context``,
``Component``, ``Event name``, ``Description``, ``Origin``, ``IP address``. What it lacks, and
what that costs (``docs/sources-moodle.md``):

- **time**: written in the language pack's short date format in the *downloading user's* time
  zone, to the minute (English: ``1/09/23, 10:15`` is ``%d/%m/%y, %H:%M``; US English
  ``%m/%d/%y, %H:%M``). It cannot be guessed, so ``-o time_format=...`` is required, and
  ``-o timezone=Europe/London`` says the zone (UTC by default, noted in the report).
- **who**: a full name, not an id. Standard events' ``Description`` starts "The user with id
  'N'": ``-o learners=description`` (the default) takes that id (the same as ``user.id`` in
  the database); ``-o learners=name`` takes the full name through ``-o learner_map=FILE`` (a CSV
  with ``full_name,learner_id``; names not in the map are dropped) or, without a map, a
  pseudonymous hash of the name (two people with the same name become one learner).
- **which course**: the report is downloaded per course and its rows do not carry the course's
  id: ``-o course=ID`` names the offering; dates with ``-o start=`` and ``-o end=`` (ISO dates),
  else derived from the first and last event.
- **no edulevel, no role, no enrolment, no grades**: teachers' actions are read as activity
  unless a learner map leaves them out (or ``-o exclude_users=5,9``); enrollments are derived
  at each learner's first event.

A row without a time or a user is an error naming its line; rows whose description names no
user, and rows from the command line or a restore (``Origin`` cli/restore), are dropped and
counted.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

from ..data import LearningData
from ..errors import ConfigError, SourceError
from ..timeline import utc_timestamp
from ._frames import ImportReport, from_frames
from ._moodle_map import report_activity_types

__all__ = ["REPORT_COLUMNS", "read_logs_report"]

REPORT_COLUMNS = (
    "Time", "User full name", "Affected user", "Event context", "Component", "Event name", "Description", "Origin", "IP address",
)
_USER = re.compile(r"The user with id '(\d+)'")
_MODULE = re.compile(r"course module id '(\d+)'")
_OPTIONS = {"course", "time_format", "timezone", "learners", "learner_map", "exclude_users", "start", "end"}


def read_logs_report(path: Path, *, report: ImportReport, **options) -> LearningData:
    """Read one Logs report CSV download (see the module's docstring for what it lacks)."""
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise ConfigError(f"moodle: unknown option {unknown[0]!r} for a Logs report CSV; it takes {', '.join(sorted(_OPTIONS))}")
    for need, example in (("course", "-o course=BIO101-2023"), ("time_format", "-o 'time_format=%d/%m/%y, %H:%M'")):
        if not options.get(need):
            raise ConfigError(
                f"moodle: a Logs report CSV needs {example}: "
                + ("its rows do not name the course" if need == "course" else "its times follow the language pack and cannot be guessed")
            )
    learners = options.get("learners", "description")
    if learners not in ("description", "name"):
        raise ConfigError(f"moodle: learners must be 'description' or 'name', found {learners!r}")
    raw = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in REPORT_COLUMNS if c not in raw.columns]
    if missing:
        raise SourceError(f"moodle: {path.name} is not a Logs report download: no column {missing[0]!r}")
    report.read = len(raw)
    line = raw.index + 2  # the header is line 1
    for col, what in (("Time", "time"), ("User full name", "user")):
        empty = raw[col].str.strip().isin(["", "-"])
        if empty.any():
            raise SourceError(f"moodle: {path.name}:{line[empty.to_numpy()][0]}: a log row with no {what} ({col!r} is empty)")
    times = _times(raw["Time"], options["time_format"], options.get("timezone"), path, line, report)
    raw = raw.assign(timestamp=times, line=line)
    raw = _dropped(raw, raw["Origin"].str.strip().str.lower().isin(["cli", "restore"]), "log rows from the command line or a restore", report)
    if learners == "description":
        who = raw["Description"].str.extract(_USER, expand=False)
        raw = _dropped(raw.assign(learner_id=who), who.isna(), "log rows whose description names no user id", report)
    else:
        raw = raw.assign(learner_id=_by_name(raw["User full name"], options.get("learner_map"), path))
        raw = _dropped(raw, raw["learner_id"].isna(), "log rows of people not in the learner map", report)
    excluded = [u.strip() for u in str(options.get("exclude_users") or "").split(",") if u.strip()]
    raw = _dropped(raw, raw["learner_id"].isin(excluded), "log rows of excluded users (-o exclude_users)", report)
    events = pd.DataFrame({
        "learner_id": raw["learner_id"], "course_id": str(options["course"]), "timestamp": raw["timestamp"],
        "activity_type": report_activity_types(raw["Component"], raw["Event name"]),
        "resource_id": raw["Description"].str.extract(_MODULE, expand=False),
    })
    dates = None
    if options.get("start") or options.get("end"):
        if not (options.get("start") and options.get("end")):
            raise ConfigError("moodle: give both -o start=YYYY-MM-DD and -o end=YYYY-MM-DD, or neither (then derived)")
        dates = {str(options["course"]): (utc_timestamp(options["start"]), utc_timestamp(options["end"]))}
    report.note("Logs report CSV: enrollments derived at each learner's first event; no grades, roles or edulevel in this export")
    return from_frames(events=events, course_dates=dates, report=report)


def _times(values: pd.Series, fmt: str, zone, path: Path, line, report: ImportReport) -> pd.Series:
    parsed = pd.to_datetime(values.str.strip(), format=fmt, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise SourceError(f"moodle: {path.name}:{line[i]}: time {values.iloc[i]!r} does not match time_format {fmt!r}")
    if parsed.dt.tz is None:
        if not zone:
            report.note("Logs report times read as UTC (give -o timezone=... the zone of the user who downloaded it)")
        try:
            parsed = parsed.dt.tz_localize(zone or "UTC", ambiguous="NaT", nonexistent="shift_forward")
        except Exception as exc:  # noqa: BLE001 - zoneinfo and pytz raise their own
            raise ConfigError(f"moodle: timezone {zone!r} is not a time zone name such as Europe/London ({exc})") from None
    return parsed.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _by_name(names: pd.Series, learner_map, path: Path) -> pd.Series:
    if learner_map:
        m = pd.read_csv(learner_map, dtype="str", keep_default_na=False)
        if not {"full_name", "learner_id"} <= set(m.columns):
            raise SourceError(f"moodle: learner_map {learner_map} needs the columns full_name and learner_id")
        return names.str.strip().map(m.set_index(m["full_name"].str.strip())["learner_id"].to_dict())
    return names.str.strip().map(lambda n: "u-" + hashlib.sha256(n.encode()).hexdigest()[:12])


def _dropped(frame: pd.DataFrame, mask: pd.Series, reason: str, report: ImportReport) -> pd.DataFrame:
    mask = mask.fillna(False).to_numpy(dtype=bool)
    report.drop(reason, int(mask.sum()), [f"line {n}" for n in frame["line"][mask].head(3)])
    return frame[~mask]
