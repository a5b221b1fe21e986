"""Moodle: straight from its database (PostgreSQL or MySQL through SQLAlchemy), from CSV exports
of the same tables, or from the Logs report's CSV download (``_moodle_report.py``).

``learnrisk import --from moodle SOURCE`` where ``SOURCE`` is a SQLAlchemy URL
(``postgresql+psycopg://user@host/moodle``, ``mysql+pymysql://...`` with a driver you install),
a folder of table exports (``mdl_course.csv`` ... or ``course.csv`` ...) or one Logs report
``.csv``. Options (``-o key=value``): ``prefix`` (table prefix, default ``mdl_``), ``courses``
(Moodle course ids, comma-separated; default every course but the site), ``ids`` (``id``, the
default: learner ids are ``user.id``, assessment ids ``assign-<id>``/``quiz-<id>``; or
``idnumber``: ``user.idnumber`` and the grade item's ``idnumber``), ``pass_mark`` (percent of the
course total that passes when the course sets no ``gradepass``), ``timeend`` (``ignore``, the
default, or ``withdrawal``), ``exclude_users`` (user ids, e.g. teachers), ``chunk_rows`` (log rows
per window, default 200,000). ``docs/sources-moodle.md`` has the maps and a worked example.

What becomes what (times are Unix seconds in Moodle; ``0`` means "not set"):

- ``course``: ``shortname`` -> ``course_id``, ``idnumber`` (else ``shortname``) -> ``course_code``,
  ``fullname`` -> ``title``, ``startdate``/``enddate`` -> ``start``/``end``; ``enddate`` 0 -> the
  UTC midnight after the offering's last event or due date (derived, noted in the report).
- ``user_enrolments`` joined to ``enrol``: ``timestart`` (``timecreated`` when 0) ->
  ``registered_at`` (the earliest over a user's enrolment methods in the course). A suspended
  enrolment (``status`` 1 on every method) is a withdrawal at ``timemodified`` -- a **label**
  (when the suspension was saved; features never read it). ``timeend`` is an access end date set
  by an administrator (often the term's end): ignored unless ``-o timeend=withdrawal``.
  ``outcome``: ``withdrawn`` when suspended, else ``pass``/``fail`` from the course total
  (``grade_items.itemtype = 'course'``) against its ``gradepass`` (or ``pass_mark``); the course
  total in percent is ``final_score``. Both are labels.
- ``assign``/``quiz`` with their ``grade_items`` (``itemtype = 'mod'``) -> assessments: ``kind``
  the module, ``due_at`` from ``assign.duedate``/``quiz.timeclose``, ``weight`` from
  ``aggregationcoef2`` (natural weighting, x 100; else ``aggregationcoef``).
- submissions: ``assign_submission`` (``status = 'submitted'``, ``latest = 1``) at
  ``timemodified``; ``quiz_attempts`` (``state = 'finished'``, not a preview) at the last
  ``timefinish``; ``score`` = (``grade_grades.finalgrade`` - ``grademin``) / (``grademax`` -
  ``grademin``) x 100, ``scored_at`` the grade's ``grade_grades.timemodified`` (when it was
  marked: the score counts from then). A grade with no submission record is dated at the
  grade's ``timemodified`` (when it was known).
- ``logstore_standard_log`` -> activity, one row one click (see :func:`activity_types`):
  ``edulevel`` 2 (participating) and 0 (other) are kept, 1 (teaching) is dropped; rows of the
  site or the system (``courseid`` 0 or 1), of no logged-in user (``userid`` 0), done while logged
  in as someone else (``realuserid``) or anonymous are dropped and counted. A row with no user or
  no time at all is an error naming its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ..errors import ConfigError, SourceError
from ..timeline import DAY
from ._frames import ImportReport, _derived_courses, events_to_activity, from_frames
from ._moodle_map import COLUMNS, CONTEXT_MODULE, EDULEVEL_TEACHING, LOG, SITE, TABLES, activity_types
from ._moodle_report import read_logs_report
from ._moodle_write import write_moodle
from ._registry import register

__all__ = ["COLUMNS", "TABLES", "activity_types", "read_moodle", "write_moodle"]

_TEXT = {"shortname", "fullname", "idnumber", "eventname", "component", "crud", "name", "status", "state", "itemtype", "itemmodule"}
_IDENT = re.compile(r"^[A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Options:
    """The reader's ``-o`` options, parsed and checked (see the module's docstring)."""

    prefix: str = "mdl_"
    courses: tuple[int, ...] = ()
    ids: str = "id"
    pass_mark: float | None = None
    timeend: str = "ignore"
    exclude_users: tuple[int, ...] = ()
    chunk_rows: int = 200_000

    @classmethod
    def parse(cls, options: dict) -> Options:
        known = {"prefix", "courses", "ids", "pass_mark", "timeend", "exclude_users", "chunk_rows"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"moodle: unknown option {unknown[0]!r}; the database and table exports take {', '.join(sorted(known))}")
        prefix = str(options.get("prefix", "mdl_"))
        if not _IDENT.match(prefix):
            raise ConfigError(f"moodle: prefix must be letters, digits and underscores, found {prefix!r}")
        ids = str(options.get("ids", "id"))
        if ids not in ("id", "idnumber"):
            raise ConfigError(f"moodle: ids must be 'id' or 'idnumber', found {ids!r}")
        timeend = str(options.get("timeend", "ignore"))
        if timeend not in ("ignore", "withdrawal"):
            raise ConfigError(f"moodle: timeend must be 'ignore' or 'withdrawal', found {timeend!r}")
        return cls(
            prefix=prefix, courses=_int_list(options.get("courses"), "courses"), ids=ids,
            pass_mark=_number(options.get("pass_mark"), "pass_mark"), timeend=timeend,
            exclude_users=_int_list(options.get("exclude_users"), "exclude_users"),
            chunk_rows=_positive(options.get("chunk_rows"), "chunk_rows", 200_000),
        )


def _int_list(value, name: str) -> tuple[int, ...]:
    if value in (None, ""):
        return ()
    try:
        return tuple(int(v) for v in str(value).split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"moodle: {name} takes Moodle ids separated by commas (such as 2,5), found {value!r}") from None


def _positive(value, name: str, default: int) -> int:
    n = _number(value, name)
    if n is None:
        return default
    if n < 1 or n != int(n):
        raise ConfigError(f"moodle: {name} must be a whole number of at least 1, found {value!r}")
    return int(n)


def _number(value, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"moodle: {name} must be a number, found {value!r}") from None


# --------------------------------------------------------------------------- where tables come from
class _Tables:
    """Moodle's tables, only the columns of :data:`COLUMNS`; the log in windows of rows."""

    where: str

    def table(self, name: str) -> pd.DataFrame:
        raise NotImplementedError

    def log_chunks(self) -> Iterator[pd.DataFrame]:
        raise NotImplementedError


class _Database(_Tables):
    """A live database through SQLAlchemy; the log read in keyset windows (``id > last``)."""

    def __init__(self, url: str, opts: Options):
        try:
            import sqlalchemy as sa
        except ImportError:  # pragma: no cover - the moodle extra is installed in CI
            raise ConfigError("moodle: reading a database needs SQLAlchemy: pip install 'learnrisk[moodle]'") from None
        self._sa, self._opts = sa, opts
        shown = re.sub(r"//[^@/]*@", "//***@", url)
        self.where = shown
        self._engine = None
        try:
            self._engine = sa.create_engine(url)
            names = set(sa.inspect(self._engine).get_table_names())
        except Exception as exc:  # noqa: BLE001 - every driver has its own exception classes
            self.close()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SourceError(f"moodle: cannot read the database {shown}: {first}") from None
        try:
            _check_tables(names, opts.prefix, shown)
        except SourceError:
            self.close()
            raise
        self._quote = self._engine.dialect.identifier_preparer.quote

    def _select(self, name: str) -> str:
        cols = ", ".join(self._quote(c) for c in COLUMNS[name])
        return f"SELECT {cols} FROM {self._quote(self._opts.prefix + name)}"

    def _fetch(self, sql: str, params: dict) -> pd.DataFrame:
        with self._engine.connect() as conn:
            result = conn.execute(self._sa.text(sql), params)
            return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))

    def table(self, name: str) -> pd.DataFrame:
        return self._fetch(self._select(name), {})

    def log_chunks(self) -> Iterator[pd.DataFrame]:
        where, params = "", {"n": self._opts.chunk_rows, "last": -1}
        if self._opts.courses:
            where = " AND courseid IN (" + ", ".join(str(c) for c in self._opts.courses) + ")"
        sql = f"{self._select(LOG)} WHERE id > :last{where} ORDER BY id LIMIT :n"
        while True:
            chunk = self._fetch(sql, params)
            if chunk.empty:
                return
            yield chunk
            params["last"] = int(chunk["id"].iloc[-1])
            if len(chunk) < self._opts.chunk_rows:
                return

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class _CsvExports(_Tables):
    """A folder of table exports: ``<prefix><table>.csv`` or ``<table>.csv`` with a header row
    (``\\copy mdl_course TO 'mdl_course.csv' CSV HEADER``); an empty field is NULL."""

    def __init__(self, folder: Path, opts: Options):
        self._folder, self._opts, self.where = folder, opts, str(folder)
        names = {p.stem for p in folder.glob("*.csv")}
        _check_tables(names | {opts.prefix + n for n in TABLES if n in names}, opts.prefix, str(folder))

    def _path(self, name: str) -> Path:
        path = self._folder / f"{self._opts.prefix}{name}.csv"
        return path if path.exists() else self._folder / f"{name}.csv"

    def _read(self, name: str, **kw):
        path = self._path(name)
        header = pd.read_csv(path, nrows=0).columns
        missing = [c for c in COLUMNS[name] if c not in header]
        if missing:
            raise SourceError(f"moodle: {path.name} has no column {missing[0]!r} (Moodle's {name} table has it; export every column)")
        text = {c: "str" for c in COLUMNS[name] if c in _TEXT}  # numbers are parsed by read_csv, checked by _ints
        return pd.read_csv(path, usecols=list(COLUMNS[name]), keep_default_na=False, na_values=[""], dtype=text, **kw)

    def table(self, name: str) -> pd.DataFrame:
        return self._read(name)

    def log_chunks(self) -> Iterator[pd.DataFrame]:
        with self._read(LOG, chunksize=self._opts.chunk_rows) as reader:
            for chunk in reader:
                if self._opts.courses:
                    chunk = chunk[pd.to_numeric(chunk["courseid"], errors="coerce").isin(self._opts.courses)]
                yield chunk


def _check_tables(names: set[str], prefix: str, where: str) -> None:
    """Every table of :data:`TABLES` under ``prefix`` in ``names``, or one line saying which is not."""
    missing = [t for t in TABLES if prefix + t not in names]
    if not missing:
        return
    if len(missing) == len(TABLES):
        found = sorted({n[: -len("course")] for n in names if n.endswith("course") and n != "course"})
        hint = f"; tables found with the prefixes {', '.join(map(repr, found))} (-o prefix=...)" if found else ""
        raise SourceError(f"moodle: no Moodle tables with the prefix {prefix!r} in {where}{hint}")
    raise SourceError(f"moodle: table {prefix + missing[0]} not found in {where} (needed: {', '.join(prefix + t for t in TABLES)})")


# --------------------------------------------------------------------------- from tables to canonical
def _ints(frame: pd.DataFrame, columns, table: str) -> pd.DataFrame:
    """``columns`` as nullable integers, or one line naming the first row that is not a number."""
    out = frame.copy()
    for col in columns:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() & out[col].notna()
        if bad.any():
            row = out.loc[bad].iloc[0]
            rid = f" id={row['id']}" if "id" in out.columns else ""
            raise SourceError(f"moodle: {table} row{rid}: {col} is {row[col]!r}, not a number")
        out[col] = values.round().astype("Int64")
    return out


def _floats(frame: pd.DataFrame, columns) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out


def _seconds(values: pd.Series) -> pd.Series:
    """Unix seconds as UTC times; 0 or missing -> NaT (Moodle's "not set")."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    v = v.where(v > 0)
    return pd.to_datetime(v, unit="s", utc=True).astype("datetime64[ns, UTC]")


def _read_tables(tables: _Tables, opts: Options) -> dict[str, pd.DataFrame]:
    t = {name: tables.table(name) for name in TABLES if name != LOG}
    ints = {
        "course": ["id", "startdate", "enddate"], "user": ["id", "deleted"], "enrol": ["id", "courseid", "status"],
        "user_enrolments": ["id", "enrolid", "userid", "status", "timestart", "timeend", "timecreated", "timemodified"],
        "assign": ["id", "course", "duedate"], "assign_submission": ["assignment", "userid", "latest", "timemodified"],
        "grade_items": ["id", "courseid", "iteminstance", "itemnumber"], "grade_grades": ["itemid", "userid", "timemodified"],
        "quiz": ["id", "course", "timeclose"], "quiz_attempts": ["quiz", "userid", "preview", "timefinish"],
    }
    for name, cols in ints.items():
        t[name] = _ints(t[name], cols, opts.prefix + name)
    t["grade_items"] = _floats(t["grade_items"], ["grademax", "grademin", "gradepass", "aggregationcoef", "aggregationcoef2"])
    t["grade_grades"] = _floats(t["grade_grades"], ["finalgrade"])
    for name in ("course", "user", "grade_items"):
        for col in ("shortname", "fullname", "idnumber", "itemtype", "itemmodule"):
            if col in t[name].columns:
                t[name][col] = t[name][col].astype("str")
    return t


def _given(values: pd.Series) -> pd.Series:
    """Text values, with Moodle's "not set" ('' or NULL) as missing."""
    text = values.astype("object").where(values.notna()).map(lambda v: v if pd.isna(v) else str(v).strip())
    return text.where(text.fillna("") != "").astype("str")


def _learner_ids(t: dict[str, pd.DataFrame], opts: Options) -> pd.Series:
    """Moodle user id -> learner id (``user.id``, or ``user.idnumber`` with ``-o ids=idnumber``)."""
    users = t["user"]
    ids = users["id"].astype("str")
    if opts.ids == "idnumber":
        ids = _given(users["idnumber"]).fillna(ids)
    return pd.Series(ids.to_numpy(), index=users["id"].astype("int64").to_numpy())


def _courses(t, opts: Options, report: ImportReport) -> pd.DataFrame:
    c = t["course"]
    c = c[c["id"] != SITE]
    if opts.courses:
        unknown = sorted(set(opts.courses) - set(c["id"].astype("int64")))
        if unknown:
            raise SourceError(f"moodle: course id {unknown[0]} (-o courses) is not in the course table")
        c = c[c["id"].isin(opts.courses)]
    code = _given(c["idnumber"]).fillna(c["shortname"])
    return pd.DataFrame({
        "moodle_id": c["id"].astype("int64").to_numpy(), "course_id": c["shortname"].to_numpy(),
        "course_code": code.to_numpy(), "title": c["fullname"].to_numpy(),
        "start": _seconds(c["startdate"]).to_numpy(), "end": _seconds(c["enddate"]).to_numpy(),
    })


def _enrollments(t, courses: pd.DataFrame, learner, opts: Options, report: ImportReport) -> pd.DataFrame:
    ue = t["user_enrolments"].merge(t["enrol"][["id", "courseid"]].rename(columns={"id": "enrolid"}), on="enrolid", how="inner")
    ue = ue[ue["courseid"].isin(courses["moodle_id"]) & ~ue["userid"].isin(opts.exclude_users)]
    start = ue["timestart"].where(ue["timestart"] > 0, ue["timecreated"])
    ue = ue.assign(reg=_seconds(start), suspended=ue["status"] == 1, moved=_seconds(ue["timemodified"]), ends=_seconds(ue["timeend"]))
    g = ue.groupby(["userid", "courseid"], sort=True)
    e = pd.DataFrame({
        "registered_at": g["reg"].min(), "suspended": g["suspended"].all(), "moved": g["moved"].max(), "ends": g["ends"].max(),
    }).reset_index()
    withdrawn = e["moved"].where(e["suspended"])
    if opts.timeend == "withdrawal":
        end_of = e["courseid"].map(courses.set_index("moodle_id")["end"])
        early = e["ends"].notna() & (end_of.isna() | (e["ends"] < end_of))
        withdrawn = withdrawn.fillna(e["ends"].where(early))
    withdrawn = withdrawn.where(withdrawn.isna() | (withdrawn >= e["registered_at"]), e["registered_at"])
    if e["suspended"].any():
        report.note(f"{int(e['suspended'].sum()):,} suspended enrolments read as withdrawals at their last change (timemodified): a label")
    out = pd.DataFrame({
        "userid": e["userid"].astype("int64").to_numpy(),
        "learner_id": e["userid"].astype("int64").map(learner).to_numpy(),
        "course_id": e["courseid"].map(courses.set_index("moodle_id")["course_id"]).to_numpy(),
        "moodle_course": e["courseid"].astype("int64").to_numpy(),
        "registered_at": e["registered_at"].to_numpy(), "withdrawn_at": withdrawn.astype("datetime64[ns, UTC]").to_numpy(),
    })
    return _labels(out, t, opts)


def _labels(e: pd.DataFrame, t, opts: Options) -> pd.DataFrame:
    """``final_score`` and ``outcome`` from the course total (labels, never features)."""
    items = t["grade_items"]
    total = items[items["itemtype"] == "course"][["id", "courseid", "grademax", "grademin", "gradepass"]]
    grades = t["grade_grades"].merge(total, left_on="itemid", right_on="id")
    grades = grades.assign(pct=_percent(grades), passed=_passed(grades, opts.pass_mark))
    keyed = grades.set_index(["userid", "courseid"])
    key = pd.MultiIndex.from_arrays([e["userid"], e["moodle_course"]])
    score = keyed["pct"].reindex(key).to_numpy()
    passed = keyed["passed"].reindex(key).to_numpy()
    outcome = np.where(pd.isna(passed), None, np.where(passed == True, "pass", "fail"))  # noqa: E712
    outcome = np.where(e["withdrawn_at"].notna().to_numpy(), "withdrawn", outcome)
    return e.assign(outcome=pd.array(outcome, dtype="str"), final_score=np.asarray(score, dtype="float64"))


def _percent(g: pd.DataFrame) -> pd.Series:
    span = (g["grademax"] - g["grademin"].fillna(0)).where(lambda s: s > 0)
    return ((g["finalgrade"] - g["grademin"].fillna(0)) * 100 / span).clip(0, 100).round(9)


def _passed(g: pd.DataFrame, pass_mark: float | None) -> pd.Series:
    by_item = g["finalgrade"] >= g["gradepass"]
    by_mark = _percent(g) >= (pass_mark if pass_mark is not None else np.nan)
    known = g["finalgrade"].notna() & ((g["gradepass"] > 0) | (pass_mark is not None))
    return pd.Series(np.where(g["gradepass"] > 0, by_item, by_mark), index=g.index, dtype="object").where(known)


def _assessments(t, courses: pd.DataFrame, opts: Options) -> pd.DataFrame:
    items = t["grade_items"]
    items = items[(items["itemtype"] == "mod") & (items["itemnumber"].fillna(0) == 0)]
    parts = []
    for module, due in (("assign", "duedate"), ("quiz", "timeclose")):
        m = t[module][t[module]["course"].isin(courses["moodle_id"])]
        gi = items[items["itemmodule"] == module].drop_duplicates("iteminstance").set_index("iteminstance")
        own = f"{module}-" + m["id"].astype("str")
        if opts.ids == "idnumber":
            own = _given(m["id"].map(gi["idnumber"])).fillna(own)
        coef2, coef = m["id"].map(gi["aggregationcoef2"]), m["id"].map(gi["aggregationcoef"])
        parts.append(pd.DataFrame({
            "assessment_id": own.to_numpy(), "moodle_module": module, "moodle_id": m["id"].astype("int64").to_numpy(),
            "item_id": m["id"].map(gi["id"]).to_numpy(dtype="float64"),
            "course_id": m["course"].map(courses.set_index("moodle_id")["course_id"]).to_numpy(),
            "kind": module, "due_at": _seconds(m[due]).to_numpy(), "title": m["name"].astype("str").to_numpy(),
            "weight": np.where(coef2.fillna(0) > 0, coef2 * 100, coef.fillna(0)).round(6),
        }))
    return pd.concat(parts, ignore_index=True)


def _submissions(t, assessments: pd.DataFrame, learner, report: ImportReport) -> pd.DataFrame:
    s = t["assign_submission"]
    s = s[(s["status"] == "submitted") & (s["latest"] == 1)]
    assign = pd.DataFrame({"module": "assign", "moodle_id": s["assignment"], "userid": s["userid"], "t": s["timemodified"]})
    q = t["quiz_attempts"]
    q = q[(q["state"] == "finished") & (q["preview"].fillna(0) == 0)]
    quiz = q.groupby(["quiz", "userid"])["timefinish"].max().reset_index()
    quiz = pd.DataFrame({"module": "quiz", "moodle_id": quiz["quiz"], "userid": quiz["userid"], "t": quiz["timefinish"]})
    a = assessments.rename(columns={"moodle_module": "module"})
    subs = pd.concat([assign, quiz], ignore_index=True).groupby(["module", "moodle_id", "userid"])["t"].max().reset_index()
    subs = subs.merge(a[["module", "moodle_id"]], on=["module", "moodle_id"])  # the offerings read only
    items = t["grade_items"].set_index("id")
    g = t["grade_grades"].merge(a[["module", "moodle_id", "item_id"]].dropna(), left_on="itemid", right_on="item_id")
    g = g.assign(grademax=g["itemid"].map(items["grademax"]), grademin=g["itemid"].map(items["grademin"]))
    g = g.assign(score=_percent(g))
    both = subs.merge(g[["module", "moodle_id", "userid", "score", "timemodified", "finalgrade"]], how="outer", on=["module", "moodle_id", "userid"])
    graded_only = both["t"].isna() & both["finalgrade"].notna()
    if graded_only.any():
        report.note(f"{int(graded_only.sum()):,} grades with no submission record dated when graded (grade_grades.timemodified)")
    both = both[both["t"].notna() | graded_only]
    when = both["t"].where(both["t"].notna(), both["timemodified"])
    marked = both["timemodified"].where(both["finalgrade"].notna())
    ids = a.set_index(["module", "moodle_id"])["assessment_id"]
    return pd.DataFrame({
        "learner_id": both["userid"].astype("int64").map(learner).to_numpy(),
        "assessment_id": ids.reindex(pd.MultiIndex.from_arrays([both["module"], both["moodle_id"].astype("int64")])).to_numpy(),
        "submitted_at": _seconds(when).to_numpy(), "score": both["score"].astype("float64").to_numpy(),
        "scored_at": _seconds(marked).to_numpy(),
    })


def log_events(chunk: pd.DataFrame, courses: pd.DataFrame, learner, opts: Options, report: ImportReport, table: str) -> pd.DataFrame:
    """One window of ``logstore_standard_log`` as event rows (``EVENT_COLUMNS`` + resource_id)."""
    for col in ("userid", "timecreated"):
        bad = chunk[col].isna() | ((pd.to_numeric(chunk[col], errors="coerce") <= 0) if col == "timecreated" else False)
        if bad.any():
            rid = chunk.loc[bad, "id"].iloc[0]
            raise SourceError(f"moodle: {table} row id={rid} has no {'user' if col == 'userid' else 'time'} ({col} is empty)")
    ev = _ints(chunk, ["id", "userid", "courseid", "timecreated", "edulevel", "contextlevel", "contextinstanceid"], table)
    ev = _drop(ev, ~ev["courseid"].isin(courses["moodle_id"]), "log rows outside a course read (site, system or another course)", report)
    ev = _drop(ev, ev["userid"] <= 0, "log rows of no logged-in user (userid 0)", report)
    ev = _drop(ev, ev["edulevel"] == EDULEVEL_TEACHING, "teaching actions (edulevel 1)", report)
    ev = _drop(ev, ev["realuserid"].notna() & (ev["realuserid"].astype("str") != ""), "actions while logged in as the user (realuserid)", report)
    ev = _drop(ev, pd.to_numeric(ev["anonymous"], errors="coerce").fillna(0) == 1, "anonymous log rows", report)
    ev = _drop(ev, ev["userid"].isin(opts.exclude_users), "log rows of excluded users (-o exclude_users)", report)
    module = ev["contextlevel"] == CONTEXT_MODULE
    return pd.DataFrame({
        "learner_id": ev["userid"].astype("int64").map(learner).to_numpy(dtype="object"),
        "course_id": ev["courseid"].astype("int64").map(courses.set_index("moodle_id")["course_id"]).to_numpy(),
        "timestamp": ev["timecreated"].astype("int64").to_numpy(),
        "activity_type": _types(ev),
        "resource_id": ev["contextinstanceid"].astype("str").where(module).to_numpy(dtype="object"),
    })


def _types(ev: pd.DataFrame) -> np.ndarray:
    """:func:`activity_types` of the log rows, worked out once per distinct (component, event, crud)."""
    parts = [pd.factorize(ev[c].fillna("")) for c in ("component", "eventname", "crud")]
    combined = np.zeros(len(ev), dtype="int64")
    for codes, uniques in parts:
        combined = combined * len(uniques) + codes
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    kinds = [pd.Series(np.asarray(uniques, dtype="object")[codes[first]]) for codes, uniques in parts]
    return activity_types(*kinds).to_numpy(dtype="object")[inverse]


def _drop(frame: pd.DataFrame, mask: pd.Series, reason: str, report: ImportReport) -> pd.DataFrame:
    mask = mask.fillna(False).to_numpy(dtype=bool)
    report.drop(reason, int(mask.sum()), frame.loc[mask, "id"].head(3).map(lambda i: f"id={i}").tolist())
    return frame[~mask]


def sum_activity(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Activity summed over windows (an event split by a window edge is one row again)."""
    act = pd.concat(parts, ignore_index=True)
    keys = ["learner_id", "course_id", "timestamp", "activity_type", "resource_id"]
    return act.groupby(keys, sort=True, dropna=False)["clicks"].sum().reset_index()


def _assemble(tables: _Tables, opts: Options, report: ImportReport) -> LearningData:
    t = _read_tables(tables, opts)
    learner = _learner_ids(t, opts)
    courses = _courses(t, opts, report)
    parts, read, chunks = [], 0, tables.log_chunks()
    try:
        for chunk in chunks:
            read += len(chunk)
            events = log_events(chunk, courses, learner, opts, report, opts.prefix + LOG)
            parts.append(events_to_activity(events, report, time_unit="s"))
    finally:
        chunks.close()  # the file or the cursor, also when a row is refused
    report.read = read
    activity = sum_activity(parts) if parts else None
    e = _enrollments(t, courses, learner, opts, report)
    a = _assessments(t, courses, opts)
    s = _submissions(t, a, learner, report)
    users = t["user"].set_index("id")
    deleted = users["deleted"].reindex(e["userid"]).fillna(0).to_numpy() == 1
    if deleted.any():
        report.note(f"{int(deleted.sum()):,} enrolments of deleted users kept (their history is still the course's)")
    c = courses.drop(columns="moodle_id")
    undated = c["end"].isna()
    if undated.any():
        act = activity if activity is not None else pd.DataFrame({"course_id": [], "timestamp": pd.Series(dtype="datetime64[ns, UTC]")})
        derived = _derived_courses(c.loc[undated, "course_id"], act, e, a, report).set_index("course_id")["end"]
        c.loc[undated, "end"] = c.loc[undated, "course_id"].map(derived).to_numpy()
        report.notes[-1] = (
            f"{int(undated.sum()):,} offering(s) with no end date (enddate 0): end derived as the UTC midnight after the "
            "last event or due date; set the course end date in Moodle where known"
        )
    c["end"] = c["end"].fillna(c["start"] + pd.Timedelta(DAY, unit="ns"))
    return from_frames(
        courses=c, enrollments=e.drop(columns=["userid", "moodle_course"]), activity=activity,
        assessments=a.drop(columns=["moodle_module", "moodle_id", "item_id"]), submissions=s, report=report,
    )


def read_moodle(source, *, report: ImportReport, mapping=None, **options) -> LearningData:
    """Read Moodle (a database URL, a folder of table exports or a Logs report CSV).

    See the module's docstring and ``docs/sources-moodle.md`` for the options and the maps.

    Examples
    --------
    >>> import learnrisk.sources as sources          # doctest: +SKIP
    >>> data = sources.read("moodle", "postgresql+psycopg://reader@db/moodle",
    ...                     courses="12,14", ids="idnumber")  # doctest: +SKIP
    """
    if mapping is not None:
        raise ConfigError("moodle: --mapping is not used (Moodle's tables are known); use -o options (docs/sources-moodle.md)")
    src = str(source)
    if "://" in src:
        opts = Options.parse(options)
        db = _Database(src, opts)
        try:
            return _assemble(db, opts, report)
        finally:
            db.close()
    path = Path(src)
    if path.is_file() and path.suffix.lower() == ".csv":
        return read_logs_report(path, report=report, **options)
    if path.is_dir():
        opts = Options.parse(options)
        return _assemble(_CsvExports(path, opts), opts, report)
    raise SourceError(
        f"moodle: {src} is neither a database URL (postgresql+psycopg://...), a folder of table exports nor a Logs report .csv"
    )


register("moodle", reader=read_moodle, writer=write_moodle, files=tuple(f"mdl_{t}.csv" for t in TABLES))
