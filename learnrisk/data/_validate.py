"""Coercion to canonical dtypes and the checks of the data contract.

Both collect every problem they find and raise one :class:`DataValidationError`, so that a
user fixes a file once rather than once per problem.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataValidationError, Problem
from ..timeline import DAY, NAT, SELF_PACED, TIME_UNITS, parse_times, running, to_ns
from ._schema import ACTION_STATUSES, OUTCOMES, PACINGS, SCHEMA, SPECS, TIME_DTYPE, Column

N_SHOWN = 5
INT64_MAX = np.iinfo(np.int64).max
MAX_CLICKS = 2**31 - 1  # more clicks in one activity row is an error (a wrapped or corrupt number)
CLICKS_WARN = 10_000  # more clicks in one activity row is suspicious: a warning
CONTROL = r"[\x00-\x1f\x7f]"
# Id columns checked for control characters through the table they refer to (an id with one
# there is reported there; here it is also an unknown reference): not scanned twice.
_REFERENCED = {("enrollments", "learner_id"), ("enrollments", "course_id"), ("activity", "learner_id"),
               ("activity", "course_id"), ("assessments", "course_id"), ("submissions", "learner_id"),
               ("submissions", "assessment_id")}
DENSE_KEYS = 20_000_000  # key_positions: largest lookup table (int64 cells) over all possible keys


def _problem(table: str, column: str, what: str, frame: pd.DataFrame, mask) -> Problem:
    mask = np.asarray(mask, dtype=bool)
    return Problem(table, column, what, int(mask.sum()), frame.loc[mask].head(N_SHOWN))


def _as_str(s: pd.Series) -> pd.Series:
    """Ids and labels as strings; integral floats (ids read as float because of NaN) lose the '.0'."""
    if pd.api.types.is_string_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype("str") if s.dtype != "str" else s
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.dropna()
        if (whole == np.floor(whole)).all():
            s = s.astype("Int64")
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    out = s.astype("str")
    return out.where(s.notna(), np.nan) if s.hasnans else out


def _unit_of(table: str, column: str, time_unit) -> str | None:
    """The unit numbers of ``table.column`` are given in: ``time_unit`` itself, or its entry
    for ``"table.column"`` (then ``"column"``) when it is a dict."""
    if isinstance(time_unit, dict):
        return time_unit.get(f"{table}.{column}", time_unit.get(column))
    return time_unit


def check_time_unit(time_unit) -> None:
    """Raise ConfigError unless ``time_unit`` is None, a unit, or a dict of columns to units."""
    units = time_unit.values() if isinstance(time_unit, dict) else [time_unit]
    bad = [u for u in units if u is not None and u not in TIME_UNITS]
    if bad:
        raise ConfigError(
            f"time_unit must be one of {', '.join(map(repr, TIME_UNITS))} (or a dict such as "
            f"{{'activity.timestamp': 's'}}), found {bad[0]!r}"
        )


def _coerce_column(table: str, frame: pd.DataFrame, col: Column, problems: list[Problem], time_unit=None) -> None:
    s = frame[col.name]
    if col.kind in ("id", "str"):
        frame[col.name] = _as_str(s)
    elif col.kind == "time":
        if s.dtype == TIME_DTYPE:
            return
        try:
            frame[col.name] = parse_times(s, f"{table}.{col.name}", _unit_of(table, col.name, time_unit))
        except DataValidationError as exc:
            for p in exc.problems:  # show the whole offending rows, not only the value
                problems.append(Problem(table, col.name, p.problem, p.count, frame.loc[p.rows.index]))
            frame[col.name] = pd.Series(pd.NaT, index=frame.index, dtype=TIME_DTYPE)
    elif col.kind in ("float", "int"):
        if col.kind == "int" and pd.api.types.is_integer_dtype(s.dtype):
            if not s.hasnans:
                too_big = s > INT64_MAX if s.dtype.kind == "u" else np.zeros(len(s), dtype=bool)
                if np.any(too_big):
                    problems.append(_problem(table, col.name, f"whole numbers above {INT64_MAX:,} (64-bit)", frame, too_big))
                    return
                frame[col.name] = s.astype("int64")
                return
            s = s.astype("float64")  # nullable integers with missing values (Int64 with NA): NaN, checked below
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            problems.append(_problem(table, col.name, "values that are not numbers", frame, bad))
        if col.kind == "int":
            frac = num.notna() & (num != np.floor(num))
            if frac.any():
                problems.append(_problem(table, col.name, "values that are not whole numbers", frame, frac))
            # checked on the raw values: a cast to int64 would wrap 2**63 around to -2**63
            big = num.notna() & ~frac & ((num.astype("float64") >= 2.0**63) | (num.astype("float64") < -(2.0**63)))
            if big.any():
                problems.append(_problem(table, col.name, f"whole numbers outside the 64-bit range (above {INT64_MAX:,})", frame, big))
            if num.notna().all() and not frac.any() and not big.any():
                frame[col.name] = num.astype("int64")
                return
            if big.any():
                num = num.astype("float64")
        frame[col.name] = num.astype("float64")


def _coerce_table(name: str, frame: pd.DataFrame, problems: list[Problem], time_unit=None) -> pd.DataFrame:
    """One table with canonical dtypes (a shallow copy: columns already canonical are shared)."""
    spec = SPECS[name]
    frame = frame.reset_index(drop=True).copy(deep=False)
    missing = [c for c in spec.required if c not in frame.columns]
    for c in missing:
        problems.append(
            Problem(name, c, f"missing required column (found columns: {', '.join(map(str, frame.columns))})", len(frame))
        )
    for col in spec.columns + spec.optional:
        if col.name in frame.columns and col.name not in missing:
            _coerce_column(name, frame, col, problems, time_unit)
    return frame


def coerce_table(name: str, frame: pd.DataFrame, time_unit=None) -> pd.DataFrame:
    """One table of the contract (``name``) with canonical dtypes; raise DataValidationError on
    missing columns or unparseable values (what :func:`coerce_tables` does for one table)."""
    check_time_unit(time_unit)
    problems: list[Problem] = []
    out = _coerce_table(name, frame, problems, time_unit)
    if problems:
        raise DataValidationError(problems)
    return out


def as_ids(values) -> pd.Series:
    """Ids as canonical strings (what coercion makes of an id column), distinct, in first-seen order."""
    return pd.Series(_as_str(pd.Series(values)).dropna().unique(), dtype="str")


def coerce_tables(tables: dict[str, pd.DataFrame], time_unit=None) -> dict[str, pd.DataFrame]:
    """Return the tables with canonical dtypes; raise on missing columns or unparseable values.

    Every time column goes through :func:`learnrisk.timeline.parse_times`; numbers in a time
    column need ``time_unit`` (one unit, or a dict of ``"table.column"`` or ``"column"`` to unit).
    """
    check_time_unit(time_unit)
    problems: list[Problem] = []
    out: dict[str, pd.DataFrame] = {}
    for name in SCHEMA:
        if name not in tables or tables[name] is None:
            problems.append(Problem(name, "*", "table is missing", 0))
            continue
        frame = tables[name]
        if not isinstance(frame, pd.DataFrame):
            problems.append(Problem(name, "*", f"expected a pandas DataFrame, found {type(frame).__name__}", 0))
            continue
        out[name] = _coerce_table(name, frame, problems, time_unit)
    for name in SPECS:
        if name not in SCHEMA and tables.get(name) is not None:
            if not isinstance(tables[name], pd.DataFrame):
                problems.append(Problem(name, "*", f"expected a pandas DataFrame, found {type(tables[name]).__name__}", 0))
            else:
                out[name] = _coerce_table(name, tables[name], problems, time_unit)
    unknown = sorted(set(tables) - set(SPECS))
    for name in unknown:
        problems.append(Problem(name, "*", f"unknown table (allowed: {', '.join(SPECS)})", 0))
    if problems:
        raise DataValidationError(problems)
    return out


def positions(values, uniques) -> np.ndarray:
    """Position of each value in ``uniques`` (distinct values), -1 when absent: ids to integer codes.

    Arrow-backed strings (pandas' default ``str``) are looked up by pyarrow's hash join
    (``index_in``): ``Index.get_indexer`` would first turn ten million of them into Python
    objects, which takes most of the time and gigabytes of memory.
    """
    values = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    uniques = uniques if isinstance(uniques, pd.Series) else pd.Series(uniques)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow" and values.dtype == uniques.dtype:
        import pyarrow as pa
        import pyarrow.compute as pc

        vals = pa.array(values)
        keys = pa.array(uniques)
        keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
        found = pc.index_in(vals, value_set=keys.cast(vals.type))
        return np.asarray(pc.fill_null(found, -1)).astype(np.int64)
    return pd.Index(uniques).get_indexer(values)


class KeyIndex:
    """Composite keys (a list of columns, e.g. the enrollments' learner_id and course_id) made
    ready for :meth:`find`, so that many batches of rows are matched against them at the cost
    of one preparation (:func:`key_positions` is one use)."""

    def __init__(self, keys: list) -> None:
        self.cats = [pd.Series((k if isinstance(k, pd.Series) else pd.Series(k)).unique()) for k in keys]
        self.n_keys = len(keys[0]) if keys else 0
        key_key = np.zeros(self.n_keys, dtype=np.int64)
        self.space = 1  # number of possible composite keys
        for k, cats in zip(keys, self.cats):
            key_key = key_key * (len(cats) + 1) + positions(k, cats)
            self.space *= len(cats) + 1
        self.table = self.order = self.sorted_keys = None
        if not self.n_keys:
            return
        if self.space <= DENSE_KEYS:  # a table over every possible key: one gather per row
            self.table = np.full(self.space, -1, dtype=np.int64)
            self.table[key_key[::-1]] = np.arange(self.n_keys - 1, -1, -1)  # the first position wins
        else:
            self.order = np.argsort(key_key, kind="stable")
            self.sorted_keys = key_key[self.order]

    def find(self, rows: list) -> np.ndarray:
        """Position of each row's composite key among the keys, -1 when absent (the first if repeated)."""
        n_rows = len(rows[0]) if rows else 0
        if not self.n_keys:
            return np.full(n_rows, -1, dtype=np.int64)
        row_key = np.zeros(n_rows, dtype=np.int64)
        ok = np.ones(n_rows, dtype=bool)
        for r, cats in zip(rows, self.cats):
            rc = positions(r, cats)
            ok &= rc >= 0
            row_key = row_key * (len(cats) + 1) + rc
        if self.table is not None:
            return np.where(ok, self.table[np.where(ok, row_key, 0)], -1)
        i = np.minimum(np.searchsorted(self.sorted_keys, row_key), len(self.sorted_keys) - 1)
        return np.where(ok & (self.sorted_keys[i] == row_key), self.order[i], -1).astype(np.int64)


def key_positions(rows: list, keys: list) -> np.ndarray:
    """Position in ``keys`` of each row's composite key, -1 when absent (the first if repeated).

    ``rows`` and ``keys`` are lists of columns (Series or arrays) of the same key, e.g.
    ``[activity["learner_id"], activity["course_id"]]`` and the same of the enrollments. Each
    column becomes integer codes (:func:`positions`), the codes one int64 key, and the keys are
    matched by a sorted search, so it is fast on ten million activity rows.

    >>> e = pd.DataFrame({"learner": ["a", "a", "b"], "course": ["X", "Y", "X"]})
    >>> key_positions([pd.Series(["b", "a", "c"]), pd.Series(["X", "Y", "X"])], [e["learner"], e["course"]])
    array([ 2,  1, -1])
    """
    return KeyIndex(keys).find(rows)


def enrollment_positions(rows, enrollments: pd.DataFrame) -> np.ndarray:
    """Position in ``enrollments`` of each row's enrollment (its ``learner_id``, ``course_id``), -1 if none.

    ``rows`` is a frame or a mapping of those two columns (activity, submissions, ...).
    """
    key = SCHEMA["enrollments"].key
    return key_positions([rows[k] for k in key], [enrollments[k] for k in key])


def pair_exists(left: pd.DataFrame, right: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Boolean mask: does each row's key (``cols``) of ``left`` occur in ``right``?"""
    return key_positions([left[c] for c in cols], [right[c] for c in cols]) >= 0


def _control_characters(ids: pd.Series) -> np.ndarray:
    """Which ids hold a control character (looked for among the distinct ids: fast on 10M rows)."""
    distinct = pd.Series(ids.unique(), dtype="str").dropna()  # not ids.dropna(): a copy of the whole column
    bad = distinct[distinct.str.contains(CONTROL, regex=True)]
    return ids.isin(bad).to_numpy() if len(bad) else np.zeros(len(ids), dtype=bool)


def _table_problems(name: str, frame: pd.DataFrame) -> list[Problem]:
    """The checks of one table on its own: control characters in ids, missing required values,
    duplicate keys."""
    spec = SPECS[name]
    problems: list[Problem] = []
    for col in spec.columns + spec.optional:
        if col.kind == "id" and col.name in frame.columns and (name, col.name) not in _REFERENCED:
            mask = _control_characters(frame[col.name])
            if mask.any():
                problems.append(_problem(name, col.name, "ids with control characters (tab, newline, NUL...)", frame, mask))
    for col in spec.columns:
        if not col.nullable:
            mask = frame[col.name].isna()
            if mask.any():
                problems.append(_problem(name, col.name, "missing values in a required column", frame, mask))
    if spec.key:
        dup = frame.duplicated(list(spec.key), keep=False)
        if dup.any():
            problems.append(_problem(name, ",".join(spec.key), "duplicate key", frame, dup))
    return problems


ENROLLMENT_KEY = ["learner_id", "course_id"]


def activity_problems(act: pd.DataFrame, e: pd.DataFrame | KeyIndex) -> list[Problem]:
    """Every check of activity rows (coerced), given the enrollments (or their ``KeyIndex`` on
    learner_id, course_id): they need no other activity row, so that a large activity table is
    checked batch by batch (:func:`merge_problems`)."""
    return _table_problems("activity", act) + _activity_checks(act, e)


def _activity_checks(act: pd.DataFrame, e: pd.DataFrame | KeyIndex) -> list[Problem]:
    problems: list[Problem] = []
    mask = act["clicks"] < 1
    if mask.any():
        problems.append(_problem("activity", "clicks", "clicks below 1 (a row is at least one click)", act, mask))
    mask = act["clicks"] > MAX_CLICKS
    if mask.any():
        problems.append(_problem("activity", "clicks", f"clicks above {MAX_CLICKS:,} in one row (not a click count)", act, mask))
    enrolled = e if isinstance(e, KeyIndex) else KeyIndex([e[k] for k in ENROLLMENT_KEY])
    mask = enrolled.find([act[k] for k in ENROLLMENT_KEY]) < 0
    if mask.any():
        problems.append(_problem("activity", "learner_id", "activity of a learner not enrolled in that course", act, mask))
    return problems


def merge_problems(problems: list[Problem]) -> list[Problem]:
    """Problems found batch by batch as one per check: counts added, the first example rows kept."""
    merged: dict[tuple[str, str, str], Problem] = {}
    for p in problems:
        key = (p.table, p.column, p.problem)
        if key not in merged:
            merged[key] = p
            continue
        first = merged[key]
        rows = first.rows if len(first.rows) >= N_SHOWN or p.rows is None else pd.concat([first.rows, p.rows]).head(N_SHOWN)
        merged[key] = Problem(p.table, p.column, p.problem, first.count + p.count, rows)
    return list(merged.values())


def check_tables(t: dict[str, pd.DataFrame], *, activity: bool = True) -> None:
    """Run every content check of the contract; raise one DataValidationError listing all failures.

    ``activity=False`` leaves out the checks of activity rows (done batch by batch elsewhere:
    :func:`activity_problems`)."""
    problems: list[Problem] = []
    for name in SCHEMA:
        if name != "activity" or activity:
            problems += _table_problems(name, t[name])

    c, e, a, s, act = t["courses"], t["enrollments"], t["assessments"], t["submissions"], t["activity"]
    mask = c["end"] < c["start"]
    if mask.any():
        problems.append(_problem("courses", "end", "course ends before it starts", c, mask))
    if "pacing" in c.columns:
        mask = c["pacing"].notna() & ~c["pacing"].isin(PACINGS)
        if mask.any():
            problems.append(_problem("courses", "pacing", f"unknown pacing (allowed: {', '.join(PACINGS)})", c, mask))

    mask = ~e["course_id"].isin(c["course_id"])
    if mask.any():
        problems.append(_problem("enrollments", "course_id", "enrollment in an unknown course", e, mask))
    mask = ~e["learner_id"].isin(t["learners"]["learner_id"])
    if mask.any():
        problems.append(_problem("enrollments", "learner_id", "enrollment of an unknown learner", e, mask))
    mask = e["outcome"].notna() & ~e["outcome"].isin(OUTCOMES)
    if mask.any():
        problems.append(_problem("enrollments", "outcome", f"unknown outcome (allowed: {', '.join(OUTCOMES)} or empty)", e, mask))
    mask = e["withdrawn_at"].notna() & (e["withdrawn_at"] < e["registered_at"])
    if mask.any():
        problems.append(_problem("enrollments", "withdrawn_at", "withdrawn before registered", e, mask))
    if "final_score" in e.columns:
        mask = e["final_score"].notna() & ~e["final_score"].between(0, 100)
        if mask.any():
            problems.append(_problem("enrollments", "final_score", "score outside 0-100", e, mask))

    if activity:
        problems += _activity_checks(act, e)
    problems += optional_problems(t)

    mask = ~a["course_id"].isin(c["course_id"])
    if mask.any():
        problems.append(_problem("assessments", "course_id", "assessment of an unknown course", a, mask))
    mask = a["weight"] < 0
    if mask.any():
        problems.append(_problem("assessments", "weight", "negative weight", a, mask))

    mask = ~s["assessment_id"].isin(a["assessment_id"])
    if mask.any():
        problems.append(_problem("submissions", "assessment_id", "submission for an unknown assessment", s, mask))
    mask = s["score"].notna() & ~s["score"].between(0, 100)
    if mask.any():
        problems.append(_problem("submissions", "score", "score outside 0-100", s, mask))
    course_of = s["assessment_id"].map(a.drop_duplicates("assessment_id").set_index("assessment_id")["course_id"])
    known = course_of.notna().to_numpy()
    enrolled = pair_exists(pd.DataFrame({"learner_id": s["learner_id"], "course_id": course_of}), e, ["learner_id", "course_id"])
    mask = known & ~enrolled
    if mask.any():
        problems.append(_problem("submissions", "learner_id", "submission of a learner not enrolled in the assessment's course", s, mask))

    if problems:
        raise DataValidationError(problems)


def optional_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    """The checks of the optional tables present in ``t`` (see ``OPTIONAL_SCHEMA``): each on its
    own (required values, keys), then against the six (an action or an assignment names an
    enrollment; known statuses)."""
    problems: list[Problem] = []
    for name in SPECS:
        if name not in SCHEMA and name in t:
            problems += _table_problems(name, t[name])
    e = t["enrollments"]
    for name in ("actions", "assignments"):
        if name in t:
            frame = t[name]
            mask = ~pair_exists(frame, e, ENROLLMENT_KEY)
            if mask.any():
                problems.append(_problem(name, "learner_id", f"{name[:-1]} of a learner not enrolled in the course", frame, mask))
    if "actions" in t:
        frame = t["actions"]
        mask = frame["status"].notna() & ~frame["status"].isin(ACTION_STATUSES)
        if mask.any():
            problems.append(_problem("actions", "status", f"unknown status (allowed: {', '.join(ACTION_STATUSES)})", frame, mask))
        if "useful" in frame.columns:
            mask = frame["useful"].notna() & ~frame["useful"].isin(("yes", "no"))
            if mask.any():
                problems.append(_problem("actions", "useful", "unknown answer (allowed: yes, no or empty)", frame, mask))
    if "assignments" in t:
        frame = t["assignments"]
        mask = frame["due_at"] < frame["assigned_at"]
        if mask.any():
            problems.append(_problem("assignments", "due_at", "due before assigned", frame, mask))
        if "required" in frame.columns:
            mask = frame["required"].notna() & ~frame["required"].isin((0, 1))
            if mask.any():
                problems.append(_problem("assignments", "required", "not 0 or 1 (1: mandatory, 0: recommended)", frame, mask))
    if "kpis" in t and "subject_kind" in t["kpis"].columns:
        frame = t["kpis"]
        mask = frame["subject_kind"].notna() & ~frame["subject_kind"].isin(("learner", "team"))
        if mask.any():
            problems.append(_problem("kpis", "subject_kind", "unknown kind (allowed: learner, team or empty)", frame, mask))
    if "completed_at" in e.columns:
        mask = e["completed_at"] < e["registered_at"]
        if mask.any():
            problems.append(_problem("enrollments", "completed_at", "completed before registered", e, mask))
    return problems


def check_optional_table(name: str, frame: pd.DataFrame, enrollments: pd.DataFrame) -> pd.DataFrame:
    """One optional table (``actions``, ...) with canonical dtypes, checked on its own and against
    the enrollments (only their ``learner_id`` and ``course_id`` are read), as
    :func:`optional_problems` does inside a LearningData; DataValidationError otherwise. For
    writers that append to one table of a Parquet folder without reading the others."""
    out = coerce_table(name, frame)
    e = pd.DataFrame({k: _as_str(enrollments[k]) for k in ENROLLMENT_KEY})
    problems = optional_problems({"enrollments": e, name: out})
    if problems:
        raise DataValidationError(problems)
    return out


# --------------------------------------------------------------------------- plausibility
FAR_DAYS = 365  # an event this many days before its offering's start or after its end is far outside
EARLY_STOP = 0.75  # an offering that is over whose activity stops before this share of its length
STALE_DAYS = 14  # an as-of date this many days after the last event of a running offering
MIN_SCORES = 20  # scores needed before a scale is judged


def _offering_rows(c: pd.DataFrame, mask, **extra) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    out = c.loc[mask, ["course_id", "start", "end"]].copy()
    for k, v in extra.items():
        out[k] = np.asarray(v)[mask]
    return out


def _last_events(c: pd.DataFrame, act: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Course position of each activity row (-1 if unknown), its time (int64 ns) and the last
    event of each offering (NAT if none)."""
    pos = positions(act["course_id"], c["course_id"])
    ts = to_ns(act["timestamp"], missing=NAT)
    last = np.full(len(c), NAT, dtype=np.int64)
    ok = pos >= 0
    np.maximum.at(last, pos[ok], ts[ok])
    return pos, ts, last


def plausibility(t: dict[str, pd.DataFrame], now: pd.Timestamp | None = None) -> list[Problem]:
    """Suspicious but legal data: one Problem per check that finds rows (counts and examples).

    Events far outside their offering (more than ``FAR_DAYS`` before its start or after its end)
    or after ``now`` (default: the clock); a cohort offering that is over (its end before the
    last event of the data) whose activity stops before ``EARLY_STOP`` of its length; scores that
    look like a 0-1 or 0-10 scale; more than ``CLICKS_WARN`` clicks in one row; a submission
    ``scored_at`` before its ``submitted_at`` (legal: features take the later of the two).
    """
    # the clock's time is not written into the message: the same data gives the same report
    when = "the time of the check" if now is None else f"{pd.Timestamp(now):%Y-%m-%d %H:%M} UTC"
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    warnings: list[Problem] = []
    c, act, s, e = t["courses"], t["activity"], t["submissions"], t["enrollments"]
    start, end = to_ns(c["start"], missing=NAT), to_ns(c["end"], missing=NAT)
    pos, ts, last = _last_events(c, act)
    if len(act):
        p = np.maximum(pos, 0)
        far = (pos >= 0) & ((ts < start[p] - FAR_DAYS * DAY) | (ts > end[p] + FAR_DAYS * DAY))
        if far.any():
            what = f"events far outside their offering (more than {FAR_DAYS} days before its start or after its end)"
            warnings.append(_problem("activity", "timestamp", what, act, far))
        future = act["timestamp"] > now
        if future.any():
            warnings.append(_problem("activity", "timestamp", f"events in the future (after {when})", act, future))
    for table, frame, column in (("submissions", s, "submitted_at"), ("submissions", s, "scored_at"), ("enrollments", e, "registered_at")):
        if column not in frame.columns:
            continue
        future = frame[column] > now
        if future.any():
            warnings.append(_problem(table, column, f"events in the future (after {when})", frame, future))

    if len(act):
        reference = int(last.max())  # the data's last event: offerings that ended before it are over
        has = last != NAT
        cohort = ~c["pacing"].eq(SELF_PACED).to_numpy() if "pacing" in c.columns else np.ones(len(c), dtype=bool)
        over = has & cohort & (end <= reference)  # self-paced: learners start all along, no common end
        length = end - start
        early = over & (last < start + EARLY_STOP * length)
        if early.any():
            day = np.where(has, (last - start) // DAY, 0)
            total = length // DAY
            example = int(np.flatnonzero(early)[0])
            what = (
                f"activity of an offering that is over stops long before its end (last event at day "
                f"{day[example]} of {total[example]}, before {EARLY_STOP:.0%} of the offering): an export that stopped early?"
            )
            warnings.append(
                Problem("courses", "end", what, int(early.sum()),
                        _offering_rows(c, early, last_event=pd.Series(np.where(has, last, 0)).astype("datetime64[ns]").dt.tz_localize("UTC")).head(N_SHOWN))
            )

    if "scored_at" in s.columns:  # a grade saved before a resubmission (Moodle), or clocks apart
        mask = s["scored_at"] < s["submitted_at"]
        if mask.any():
            what = "scored before submitted: the score counts as known from submitted_at"
            warnings.append(_problem("submissions", "scored_at", what, s, mask))

    for table, frame, column in (("submissions", s, "score"), ("enrollments", e, "final_score")):
        if column not in frame.columns:
            continue
        scores = frame[column].dropna()
        if len(scores) >= MIN_SCORES and scores.max() <= 10:
            scale = "0-1" if scores.max() <= 1 else "0-10"
            what = f"scores look like a {scale} scale (all {len(scores):,} at most {scores.max():g}); learnrisk expects 0-100"
            warnings.append(Problem(table, column, what, len(scores), frame.loc[scores.index].head(N_SHOWN)))

    mask = act["clicks"] > CLICKS_WARN
    if mask.any():
        warnings.append(_problem("activity", "clicks", f"implausible click counts (above {CLICKS_WARN:,} in one row)", act, mask))
    return warnings


def as_of_warnings(t: dict[str, pd.DataFrame], as_of) -> list[Problem]:
    """Warnings about scoring at ``as_of``: offerings running then whose last event is more than
    ``STALE_DAYS`` before it (a stale export), with the days since their last event."""
    c = t["courses"]
    cutoff = to_ns(pd.Timestamp(as_of))
    start, end = to_ns(c["start"], missing=NAT), to_ns(c["end"], missing=NAT)
    *_, last = _last_events(c, t["activity"])
    live = running(start, end, cutoff)
    reference = np.where(last == NAT, start, last)  # no event at all: since the start
    stale = live & (cutoff - reference > STALE_DAYS * DAY)
    if not stale.any():
        return []
    days = (cutoff - reference) // DAY
    when = pd.Timestamp(cutoff, tz="UTC")
    what = (
        f"as-of date {when:%Y-%m-%d} is more than {STALE_DAYS} days after the last event of a running offering "
        f"({int(days[stale].max())} days at most): the data may be a stale export"
    )
    return [Problem("activity", "timestamp", what, int(stale.sum()), _offering_rows(c, stale, days_since_last_event=days).head(N_SHOWN))]
