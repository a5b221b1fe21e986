"""``--from csv``: an LMS's CSV export read through a mapping file (YAML), and the writer of a
typical export (``learnrisk synth --format csv``) with the mapping that reads it back.

The mapping says, per canonical table, which CSV file holds it and which source column is which
canonical column; how to turn codes into canonical values; how each time column is written.
A worked example (``docs/data.md``, "A CSV export with a mapping file")::

    events:                        # raw events, one row each -> activity (summed per instant)
      file: events.csv             # in the SOURCE folder (default <table>.csv), or SOURCE itself
      columns: {learner_id: Student, course_id: Module, timestamp: Time, activity_type: Event}
      values:
        activity_type: {"Forum viewed": forum, "Quiz attempted": quiz, "*": other}
      times:
        timestamp: {format: "%d/%m/%Y %H:%M", zone: Europe/London}
    enrollments:
      columns: {learner_id: Student, course_id: Module, registered_at: Enrolled, outcome: Result}
      values:
        outcome: {P: pass, F: fail, W: withdrawn, D: distinction}
      times:
        registered_at: {format: "%d/%m/%Y", zone: Europe/London}
    course_dates:
      MATH101-2024: {start: 2024-01-08, end: 2024-05-31}

Rules (each has a test in ``tests/sources/test_csv_mapped.py``):

- **events** become activity through :func:`from_frames`: one row is one click unless a
  ``clicks`` column is mapped; identical events at one instant are summed, never moved.
  ``activity`` instead reads rows that are already counted (``clicks`` required).
- **times**: without a spec a column must be ISO 8601 (the strict parser of
  :func:`learnrisk.timeline.parse_times`; ``06/01/2013`` is refused as ambiguous). A spec is a
  ``strftime`` format (``"%d/%m/%Y %H:%M"``) read in ``zone`` (an IANA name, default UTC; an
  offset written in the value with ``%z`` wins), or a ``unit`` for epoch numbers (``s``,
  ``ms``, ``us``, ``ns``, ``D``). Local times in the hour a zone repeats when clocks go back
  are read as the first of the two (summer time); times in the hour skipped when clocks go
  forward move forward to the first valid instant.
- **values**: a map per column from source codes to canonical values; ``"*"`` maps every code
  not listed; a code not listed without ``"*"`` is kept as it is (so canonical values pass
  through). An outcome that is not one of pass, distinction, fail, withdrawn is an error.
- **constants**: a value for a canonical column the export lacks (``course_id: MATH101`` for a
  one-course export; ``weight: 1``).
- **course dates**: from a ``courses`` table, or ``course_dates``; otherwise derived by
  :func:`from_frames` from the first and last event (and reported).
- Every error names the mapping file and key (with its line), or the CSV file and line.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ..data._schema import OUTCOMES, SCHEMA, SENSITIVE_ATTRIBUTES
from ..errors import SourceError
from ..timeline import TIME_UNITS
from ._common import check_strict, parse_options, record_where, source_times
from ._frames import ImportReport, from_frames
from ._registry import register

__all__ = ["read_csv", "write_csv"]

_TABLE_KEYS = ("file", "columns", "values", "times", "constants")
_TOP_KEYS = ("events", "activity", "enrollments", "courses", "learners", "assessments", "submissions", "course_dates", "csv")
_EVENT_COLUMNS = {"learner_id": "id", "course_id": "id", "timestamp": "time", "activity_type": "str", "clicks": "int", "resource_id": "id"}


def _canonical(table: str) -> dict[str, str]:
    """Canonical column -> kind for a mapping table."""
    if table == "events":
        return dict(_EVENT_COLUMNS)
    spec = SCHEMA[table]
    cols = {c.name: c.kind for c in (*spec.columns, *spec.optional)}
    if table in ("learners", "enrollments"):
        cols.update({a: "str" for a in SENSITIVE_ATTRIBUTES})
    return cols


# Columns a table cannot do without (from a source column or a constant); the others have defaults.
_REQUIRED = {
    "events": ("learner_id", "course_id", "timestamp", "activity_type"),
    "activity": ("learner_id", "course_id", "timestamp", "activity_type", "clicks"),
    "enrollments": ("learner_id", "course_id", "registered_at"),
    "courses": ("course_id", "start", "end"),
    "learners": ("learner_id",),
    "assessments": ("assessment_id", "course_id", "kind", "weight"),
    "submissions": ("learner_id", "assessment_id", "submitted_at"),
}


# --------------------------------------------------------------------------- the mapping file
class _Mapping:
    """The parsed mapping and where each key is (``file:line``) for messages."""

    def __init__(self, mapping, name: str = "mapping"):
        self.lines: dict[tuple, int] = {}
        if isinstance(mapping, (str, Path)):
            path = Path(mapping)
            self.name = path.name
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as e:
                raise SourceError(f"cannot read the mapping file {path}: {e.strerror or e}") from None
            self.doc = self._load(text)
        else:
            self.name = name
            self.doc = mapping
        if not isinstance(self.doc, dict):
            raise SourceError(f"{self.name}: a mapping file holds a YAML mapping of tables (events, enrollments, ...), found {type(self.doc).__name__}")
        self._check()

    def _load(self, text: str):
        import yaml

        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{self.name}:{mark.line + 1}" if mark is not None else self.name
            raise SourceError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
        self._walk(node, ())
        return doc

    def _walk(self, node, path: tuple) -> None:
        import yaml

        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = path + (k.value,)
                self.lines[key] = k.start_mark.line + 1
                self._walk(v, key)

    def at(self, *key) -> str:
        """``file:line: a.b.c`` for messages."""
        line = self.lines.get(tuple(str(k) for k in key))
        return f"{self.name}{f':{line}' if line else ''}: {'.'.join(str(k) for k in key)}"

    def _check(self) -> None:
        for key in self.doc:
            if key not in _TOP_KEYS:
                raise SourceError(f"{self.at(key)}: unknown key; allowed: {', '.join(_TOP_KEYS)}")
        tables = [t for t in _TOP_KEYS[:7] if t in self.doc]
        if not tables:
            raise SourceError(f"{self.name}: no table to read; give at least events (or activity) or enrollments")
        if "events" in tables and "activity" in tables:
            raise SourceError(f"{self.at('activity')}: give events (one row per event) or activity (counted rows), not both")
        for t in tables:
            self._check_table(t)
        dates = self.doc.get("course_dates")
        if dates is not None:
            if not isinstance(dates, dict):
                raise SourceError(f"{self.at('course_dates')}: write course_id: {{start: 2024-01-08, end: 2024-05-31}}")
            for cid, d in dates.items():
                if not isinstance(d, dict) or set(d) != {"start", "end"}:
                    raise SourceError(f"{self.at('course_dates', cid)}: give start and end, e.g. {{start: 2024-01-08, end: 2024-05-31}}")
        opts = self.doc.get("csv") or {}
        if not isinstance(opts, dict) or set(opts) - {"delimiter", "encoding"}:
            raise SourceError(f"{self.at('csv')}: allowed keys: delimiter, encoding")

    def _check_table(self, t: str) -> None:
        spec = self.doc[t]
        if not isinstance(spec, dict):
            raise SourceError(f"{self.at(t)}: write the table's file, columns, values, times (a mapping), found {spec!r}")
        for key in spec:
            if key not in _TABLE_KEYS:
                raise SourceError(f"{self.at(t, key)}: unknown key; allowed: {', '.join(_TABLE_KEYS)}")
        canonical = _canonical("events" if t == "activity" else t)
        for part in ("columns", "values", "times", "constants"):
            entries = spec.get(part) or {}
            if not isinstance(entries, dict):
                raise SourceError(f"{self.at(t, part)}: write canonical column: ... (a mapping), found {entries!r}")
            for col in entries:
                if col not in canonical:
                    raise SourceError(
                        f"{self.at(t, part, col)}: unknown canonical column of {t}; allowed: {', '.join(canonical)}"
                    )
        for col, codes in (spec.get("values") or {}).items():
            if not isinstance(codes, dict):
                raise SourceError(f"{self.at(t, 'values', col)}: write code: value pairs, e.g. {{P: pass, F: fail}}")
            for code in codes:
                if isinstance(code, bool):
                    raise SourceError(f"{self.at(t, 'values', col)}: the code {code} is read by YAML as true/false; quote it ('yes', 'no', 'on', 'off')")
        for col, ts in (spec.get("times") or {}).items():
            if canonical[col] != "time":
                raise SourceError(f"{self.at(t, 'times', col)}: {col} is not a time column")
            self.time_spec(t, col)
        have = set(spec.get("columns") or {}) | set(spec.get("constants") or {})
        for part in ("values", "times"):
            for col in spec.get(part) or {}:
                if col not in have:
                    raise SourceError(f"{self.at(t, part, col)}: {col} is neither under columns nor under constants of {t}")
        missing = [c for c in _REQUIRED[t] if c not in have]
        if missing:
            raise SourceError(
                f"{self.at(t)}: no source column for {', '.join(missing)}; map it under columns "
                f"or give a value under constants (e.g. constants: {{{missing[0]}: ...}})"
            )

    def time_spec(self, table: str, col: str) -> dict:
        """``{format, zone, unit}`` of a time column (``{}`` when none: ISO 8601)."""
        raw = ((self.doc[table].get("times") or {}).get(col))
        if raw is None or raw == "iso":
            return {}
        if isinstance(raw, str):
            raw = {"unit": raw} if raw in TIME_UNITS else {"format": raw}
        where = self.at(table, "times", col)
        if not isinstance(raw, dict) or set(raw) - {"format", "zone", "unit"}:
            raise SourceError(f"{where}: write a format such as \"%d/%m/%Y %H:%M\", a unit (s, ms, us, ns, D), or {{format: ..., zone: Europe/London}}")
        if "unit" in raw and ("format" in raw or "zone" in raw):
            raise SourceError(f"{where}: epoch numbers (unit) are UTC by definition; give a unit or a format with a zone, not both")
        if "unit" in raw and raw["unit"] not in TIME_UNITS:
            raise SourceError(f"{where}: unit {raw['unit']!r} unknown; allowed: {', '.join(TIME_UNITS)}")
        if "format" in raw and "%" not in str(raw["format"]):
            raise SourceError(f"{where}: format {raw['format']!r} has no % directive; write a strftime format such as \"%d/%m/%Y %H:%M\"")
        if "zone" in raw:
            try:
                zoneinfo.ZoneInfo(str(raw["zone"]))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise SourceError(f"{where}: unknown time zone {raw['zone']!r}; give an IANA name such as Europe/London or UTC") from None
        return raw


# --------------------------------------------------------------------------- reading
def _parse_time(values: pd.Series, spec: dict, name: str, where, hint: str) -> pd.Series:
    """One time column by its spec (see the module's docstring)."""
    if "unit" in spec:
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & numbers.isna()
        if bad.any():
            i = bad[bad].index[0]
            raise SourceError(f"{where(i)}: {name} {values.loc[i]!r} is not a number of {spec['unit']} since 1970-01-01 UTC")
        return source_times(numbers, name, where, unit=spec["unit"])
    if "format" in spec:  # an offset in the value (%z) wins over the zone
        times = pd.to_datetime(values, format=spec["format"], errors="coerce", utc="%z" in spec["format"])
        bad = values.notna() & times.isna()
        if bad.any():
            i = bad[bad].index[0]
            raise SourceError(f"{where(i)}: {name} {values.loc[i]!r} does not match the format {spec['format']!r}{hint}")
        if getattr(times.dt, "tz", None) is None:
            times = times.dt.tz_localize(
                spec.get("zone", "UTC"), ambiguous=np.ones(len(times), dtype=bool), nonexistent="shift_forward"
            )
        return times.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return source_times(values, name, where, hint=hint)


def _read_table(m: _Mapping, table: str, path: Path, csv_opts: dict) -> pd.DataFrame:
    """One canonical table from its CSV file, by the mapping."""
    spec = m.doc[table]
    if not path.is_file():
        raise SourceError(f"{m.at(table)}: the file {path} does not exist")
    try:  # every value as text (empty cells missing); a BOM (Excel's UTF-8) is skipped
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                          sep=csv_opts.get("delimiter", ","), encoding=csv_opts.get("encoding", "utf-8-sig"))
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise SourceError(f"{path.name}: cannot read it as CSV ({str(e).strip().splitlines()[0]}); "
                          f"give its delimiter and encoding under csv: in {m.name}") from None
    where = record_where(path, raw)  # row i is line i + 2
    kinds = _canonical("events" if table == "activity" else table)
    out = {}
    for col, source in (spec.get("columns") or {}).items():
        if str(source) not in raw.columns:
            raise SourceError(
                f"{m.at(table, 'columns', col)}: column {source!r} is not in {path.name} "
                f"(its columns: {', '.join(map(str, raw.columns))})"
            )
        out[col] = raw[str(source)]
    for col, value in (spec.get("constants") or {}).items():
        out.setdefault(col, pd.Series(None if value is None else str(value), index=raw.index, dtype="str"))
    frame = pd.DataFrame(out, index=raw.index)
    for col, codes in (spec.get("values") or {}).items():
        if col in frame.columns:
            frame[col] = _apply_codes(frame[col], codes)
    if "outcome" in frame.columns:
        bad = frame["outcome"].notna() & ~frame["outcome"].isin(OUTCOMES)
        if bad.any():
            i = bad[bad].index[0]
            source = (spec.get("columns") or {}).get("outcome")
            code = raw.loc[i, source] if source is not None else frame.loc[i, "outcome"]
            raise SourceError(
                f"{where(i)}: outcome {code!r} is not one of {', '.join(OUTCOMES)}; "
                f"map the code under {table}.values.outcome in {m.name}"
            )
    hint = f"; say how it is written under {table}.times in {m.name}, e.g. {{format: \"%d/%m/%Y %H:%M\", zone: Europe/London}}"
    for col in frame.columns:
        if kinds[col] == "time":
            frame[col] = _parse_time(frame[col], m.time_spec(table, col), f"{col} ({spec.get('columns', {}).get(col, 'constant')})", where, hint)
        elif kinds[col] in ("int", "float"):
            numbers = pd.to_numeric(frame[col], errors="coerce")
            bad = frame[col].notna() & numbers.isna()
            if bad.any():
                i = bad[bad].index[0]
                raise SourceError(f"{where(i)}: {col} {frame.loc[i, col]!r} is not a number")
            frame[col] = numbers
    return frame


def _apply_codes(values: pd.Series, codes: dict) -> pd.Series:
    """Codes mapped to canonical values; ``"*"`` for the rest, else kept as they are."""
    table = {str(k): (None if v is None else str(v)) for k, v in codes.items() if k != "*"}
    mapped = values.map(table)
    known = values.isin(list(table))
    if "*" in codes:
        rest = codes["*"]
        return mapped.where(known | values.isna(), None if rest is None else str(rest)).astype("str")
    return mapped.where(known, values).astype("str")


def _files(m: _Mapping, source: Path) -> dict[str, Path]:
    """Where each table's CSV is: ``file`` relative to the source folder; default ``<table>.csv``
    in a folder; a single source file serves the one table that names no file."""
    tables = [t for t in _TOP_KEYS[:7] if t in m.doc]
    if not source.exists():
        raise SourceError(f"{source}: no such file or folder")
    folder = source if source.is_dir() else source.parent
    out, unnamed = {}, []
    for t in tables:
        name = m.doc[t].get("file")
        if name is None and source.is_file():
            unnamed.append(t)
            out[t] = source
        else:
            out[t] = folder / (name or f"{t}.csv")
    if len(unnamed) > 1:
        raise SourceError(
            f"{m.name}: {', '.join(unnamed)} name no file and the source {source.name} is one file; "
            "give each table its file: (or pass the folder)"
        )
    return out


def read_csv(source, mapping, *, report: ImportReport | None = None, strict: bool = False, validate: bool = True) -> LearningData:
    """Canonical :class:`~learnrisk.data.LearningData` from a CSV export and its mapping file.

    Parameters
    ----------
    source : path
        The folder holding the CSV files, or the one CSV file of a table that names no file
        (typically an events export).
    mapping : path or dict
        The mapping (YAML file, or the same structure as a dict): see ``docs/data.md``.
    report : ImportReport, optional
        Filled in place with what was read, mapped and dropped.
    strict : bool
        Refuse records that would be dropped (no learner or course, learner not enrolled).

    Examples
    --------
    >>> import learnrisk  # doctest: +SKIP
    >>> data = learnrisk.sources.read_csv("export/", "export/mapping.yaml")  # doctest: +SKIP
    """
    m = _Mapping(mapping)
    report = report if report is not None else ImportReport("csv")
    paths = _files(m, Path(source))
    csv_opts = m.doc.get("csv") or {}
    frames = {t: _read_table(m, t, p, csv_opts) for t, p in paths.items()}
    report.read = sum(len(f) for f in frames.values())
    dates = m.doc.get("course_dates")
    course_dates = None
    if dates:
        course_dates = pd.DataFrame(
            [(str(k), str(v["start"]), str(v["end"])) for k, v in dates.items()], columns=["course_id", "start", "end"]
        )
    data = from_frames(
        events=frames.get("events"), activity=_activity(frames.get("activity"), paths.get("activity")), enrollments=frames.get("enrollments"),
        courses=frames.get("courses"), learners=frames.get("learners"), assessments=frames.get("assessments"),
        submissions=_submissions(frames.get("submissions")), course_dates=course_dates, report=report, validate=validate,
    )
    check_strict(report, strict)
    return data


def _activity(frame: pd.DataFrame | None, path: Path | None) -> pd.DataFrame | None:
    """Counted activity rows: every row needs a whole number of clicks."""
    if frame is not None:
        where = record_where(path, frame)
        clicks = frame["clicks"]
        bad = clicks.isna() | (clicks != clicks.round())
        if bad.any():
            i = bad[bad].index[0]
            raise SourceError(f"{where(i)}: clicks {'missing' if pd.isna(clicks.loc[i]) else clicks.loc[i]}: activity rows need a whole number of clicks")
        frame = frame.assign(clicks=clicks.astype("int64"))
    return frame


def _submissions(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is not None and "score" not in frame.columns:
        frame = frame.assign(score=np.nan)
    return frame


def _reader(source, *, report: ImportReport, mapping=None, **options) -> LearningData:
    opts = parse_options("csv", options, {"strict": False})
    if mapping is None:
        raise SourceError("--from csv needs --mapping FILE: a YAML file saying which column is which (docs/data.md)")
    return read_csv(source, mapping, report=report, strict=opts["strict"])


# --------------------------------------------------------------------------- writing
_LONDON = "Europe/London"
_DAY_FIRST = "%d/%m/%Y %H:%M:%S"
_CODES = {"pass": "P", "fail": "F", "withdrawn": "W", "distinction": "D"}
FILES = ("events.csv", "enrollments.csv", "courses.csv", "assessments.csv", "submissions.csv", "mapping.yaml")


def _local(times: pd.Series) -> pd.Series:
    """UTC times as day-first local London text (what a UK LMS exports)."""
    return times.dt.tz_convert(_LONDON).dt.strftime(_DAY_FIRST).astype("str")


def _event_name(activity_type: str) -> str:
    return f"{activity_type} viewed"


def write_csv(data: LearningData, out: Path) -> list[Path]:
    """``data`` as a typical LMS CSV export, and the ``mapping.yaml`` that reads it back.

    ``events.csv`` holds one row per click (``clicks`` rows of each activity row) with day-first
    London times and event names (``"quiz viewed"``); ``enrollments.csv`` day-first London
    times and P/F/W/D result codes; ``courses.csv`` and ``assessments.csv`` ISO dates;
    ``submissions.csv`` epoch seconds. Learner attributes are not written.
    """
    import yaml

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    act = data.activity
    rep = np.repeat(np.arange(len(act)), act["clicks"].to_numpy(dtype=np.int64))
    events = pd.DataFrame({
        "Student": act["learner_id"].to_numpy()[rep],
        "Module": act["course_id"].to_numpy()[rep],
        "Time": _local(act["timestamp"]).to_numpy()[rep],
        "Event": act["activity_type"].map(_event_name).to_numpy()[rep],
    })
    if "resource_id" in act.columns:
        events["Item"] = act["resource_id"].to_numpy()[rep]
    e = data.enrollments
    enrollments = pd.DataFrame({
        "Student": e["learner_id"], "Module": e["course_id"], "Registered": _local(e["registered_at"]),
        "Unregistered": _local(e["withdrawn_at"]), "Result": e["outcome"].map(_CODES),
    })
    c = data.courses
    courses = pd.DataFrame({"Module": c["course_id"], "Course": c["course_code"], "Start": c["start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "End": c["end"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")})
    a = data.assessments
    assessments = pd.DataFrame({"Id": a["assessment_id"], "Module": a["course_id"], "Type": a["kind"],
                                "Due": a["due_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "Weight": a["weight"]})
    s = data.submissions
    submissions = pd.DataFrame({"Student": s["learner_id"], "Assessment": s["assessment_id"],
                                "Submitted": s["submitted_at"].astype("int64") // 10**9, "Score": s["score"]})
    written = []
    for name, frame in (("events", events), ("enrollments", enrollments), ("courses", courses),
                        ("assessments", assessments), ("submissions", submissions)):
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    types = sorted(pd.unique(act["activity_type"]).tolist())
    local = {"format": _DAY_FIRST, "zone": _LONDON}
    events_map = {"learner_id": "Student", "course_id": "Module", "timestamp": "Time", "activity_type": "Event"}
    if "resource_id" in act.columns:
        events_map["resource_id"] = "Item"
    mapping = {
        "events": {"file": "events.csv", "columns": events_map,
                   "values": {"activity_type": {_event_name(t): t for t in types}}, "times": {"timestamp": local}},
        "enrollments": {"file": "enrollments.csv",
                        "columns": {"learner_id": "Student", "course_id": "Module", "registered_at": "Registered",
                                    "withdrawn_at": "Unregistered", "outcome": "Result"},
                        "values": {"outcome": {v: k for k, v in _CODES.items()}},
                        "times": {"registered_at": local, "withdrawn_at": local}},
        "courses": {"file": "courses.csv", "columns": {"course_id": "Module", "course_code": "Course", "start": "Start", "end": "End"}},
        "assessments": {"file": "assessments.csv",
                        "columns": {"assessment_id": "Id", "course_id": "Module", "kind": "Type", "due_at": "Due", "weight": "Weight"}},
        "submissions": {"file": "submissions.csv",
                        "columns": {"learner_id": "Student", "assessment_id": "Assessment", "submitted_at": "Submitted", "score": "Score"},
                        "times": {"submitted_at": {"unit": "s"}}},
    }
    path = out / "mapping.yaml"

    class _Plain(yaml.SafeDumper):  # the same time spec written out each time, not as &id001 / *id001
        def ignore_aliases(self, data):
            return True

    path.write_text(
        "# learnrisk mapping for this CSV export (docs/data.md):\n"
        "#   learnrisk import FOLDER --from csv --mapping FOLDER/mapping.yaml --out DIR\n"
        + yaml.dump(mapping, Dumper=_Plain, sort_keys=False, allow_unicode=True)
    )
    written.append(path)
    return written


def _writer(data: LearningData, out: Path, **options) -> list[Path]:
    parse_options("csv", options, {})
    return write_csv(data, out)


register("csv", reader=_reader, writer=_writer, files=FILES)
