"""`LearningData`: the six canonical tables, validated, with Parquet input and output."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .._json import jsonable
from ..errors import DataValidationError, Problem
from ..timeline import running, utc_timestamp
from ._schema import OPTIONAL_TABLES, SENSITIVE_ATTRIBUTES, SPECS, TABLES
from ._validate import (
    ENROLLMENT_KEY,
    KeyIndex,
    _as_str,
    activity_problems,
    as_ids,
    as_of_warnings,
    check_tables,
    coerce_table,
    coerce_tables,
    merge_problems,
    plausibility,
)

log = logging.getLogger("learnrisk.data")
BATCH_ROWS = 1_000_000  # activity rows checked at a time by check_parquet


def _warn(problems: list[Problem]) -> list[Problem]:
    """Log each warning (``learnrisk validate`` prints them as notes) and return them."""
    for p in problems:
        log.warning("warning: %s", p.describe(3))
    return problems

__all__ = ["LearningData", "check_parquet", "read_parquet"]


class LearningData:
    """The six canonical tables of learning data (see ``DESIGN.md``).

    Construction coerces every known column to its canonical dtype (ids as strings,
    times as ``datetime64[ns, UTC]``) and, unless ``validate=False``, runs every check of the
    contract; a bad input raises one :class:`~learnrisk.errors.DataValidationError` and
    never yields a half-loaded object. Extra columns are kept. Suspicious but legal data
    (see :meth:`check`) gives warnings, kept in ``warnings`` (a list of Problem) and logged to
    the ``learnrisk.data`` logger.

    Times are parsed strictly (:func:`learnrisk.timeline.parse_times`): timestamps, or ISO 8601
    strings (without an offset: UTC). Numbers in a time column need ``time_unit``: ``'s'``,
    ``'ms'``, ``'us'``, ``'ns'`` or ``'D'`` (since the epoch), for every time column, or a dict
    such as ``{"activity.timestamp": "s"}``; they are never guessed.

    Examples
    --------
    >>> import learnrisk
    >>> data = learnrisk.synthetic.generate(n_learners=200, seed=1)  # doctest: +SKIP
    >>> data.summary()  # doctest: +SKIP
    """

    courses: pd.DataFrame
    learners: pd.DataFrame
    enrollments: pd.DataFrame
    activity: pd.DataFrame
    assessments: pd.DataFrame
    submissions: pd.DataFrame
    # optional tables (``None`` when the source has none): see ``data._schema.OPTIONAL_SCHEMA``
    actions: pd.DataFrame | None
    assignments: pd.DataFrame | None
    hr: pd.DataFrame | None
    kpis: pd.DataFrame | None

    def __init__(
        self,
        courses: pd.DataFrame,
        learners: pd.DataFrame,
        enrollments: pd.DataFrame,
        activity: pd.DataFrame,
        assessments: pd.DataFrame,
        submissions: pd.DataFrame,
        *,
        actions: pd.DataFrame | None = None,
        assignments: pd.DataFrame | None = None,
        hr: pd.DataFrame | None = None,
        kpis: pd.DataFrame | None = None,
        validate: bool = True,
        time_unit: str | dict[str, str] | None = None,
    ) -> None:
        tables = coerce_tables(
            dict(
                courses=courses,
                learners=learners,
                enrollments=enrollments,
                activity=activity,
                assessments=assessments,
                submissions=submissions,
                actions=actions,
                assignments=assignments,
                hr=hr,
                kpis=kpis,
            ),
            time_unit,
        )
        if validate:
            check_tables(tables)
        for name in SPECS:
            setattr(self, name, tables.get(name))
        self.warnings: list[Problem] = _warn(plausibility(tables)) if validate else []
        self._digest = None  # set by read_parquet with a selection: the digest of the whole folder

    # ------------------------------------------------------------------ access
    def tables(self) -> dict[str, pd.DataFrame]:
        """The six tables by name, in contract order."""
        return {name: getattr(self, name) for name in TABLES}

    def optional_tables(self) -> dict[str, pd.DataFrame]:
        """The optional tables this data has (actions, assignments, hr, kpis), by name."""
        return {name: getattr(self, name) for name in OPTIONAL_TABLES if getattr(self, name, None) is not None}

    def all_tables(self) -> dict[str, pd.DataFrame]:
        """The six tables, then the optional tables present: what ``to_parquet`` writes."""
        return {**self.tables(), **self.optional_tables()}

    def replace(self, **tables) -> LearningData:
        """A copy with some tables replaced (``None`` removes an optional table), validated."""
        return LearningData(**{**self.all_tables(), **tables})

    def validate(self) -> LearningData:
        """Run every check of the contract again; return ``self`` or raise DataValidationError.

        The plausibility warnings found are in :attr:`warnings` (and logged).
        """
        self.check()
        return self

    def check(self, as_of=None) -> list[Problem]:
        """Every check: raise DataValidationError on errors, return the warnings (suspicious data).

        Warnings (each a :class:`~learnrisk.errors.Problem` with a count and example rows):
        events far outside their offering or in the future, an offering that is over whose
        activity stops long before its end, scores that look like a 0-1 or 0-10 scale, more
        than 10,000 clicks in one row; with ``as_of``, also running offerings whose last event
        is more than 14 days before it (stale data). ``docs/data.md`` lists every check.
        """
        tables = coerce_tables(self.all_tables())
        check_tables(tables)
        self.warnings = _warn(plausibility(tables))
        if as_of is None:
            return list(self.warnings)
        return self.warnings + _warn(as_of_warnings(tables, as_of))

    def warning_records(self, as_of=None) -> list[dict]:
        """The warnings of the data (:attr:`warnings`) and, with ``as_of``, those about scoring
        then (stale data), as JSON-ready records: table, column, problem, count and up to 3
        example rows. The scoring job writes them to ``summary.json`` (``data.warnings``)."""
        found = list(self.warnings)
        if as_of is not None:
            found += _warn(as_of_warnings(self.tables(), as_of))
        return [
            {
                "table": p.table,
                "column": p.column,
                "problem": p.problem,
                "count": p.count,
                "examples": [{str(k): jsonable(v) for k, v in row.items()} for row in p.rows.head(3).to_dict("records")],
            }
            for p in found
        ]

    def summary(self) -> pd.DataFrame:
        """Rows and columns per table, and the time span each covers."""
        spans = {
            "courses": ("start", "end"),
            "enrollments": ("registered_at", "registered_at"),
            "activity": ("timestamp", "timestamp"),
            "assessments": ("due_at", "due_at"),
            "submissions": ("submitted_at", "submitted_at"),
        }
        rows = []
        for name, frame in self.all_tables().items():
            lo = hi = pd.NaT
            if name in spans and len(frame):
                lo, hi = frame[spans[name][0]].min(), frame[spans[name][1]].max()
            rows.append({"table": name, "rows": len(frame), "columns": frame.shape[1], "from": lo, "to": hi})
        return pd.DataFrame(rows).set_index("table")

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(f):,}" for n, f in self.all_tables().items())
        return f"LearningData({counts})"

    def select_courses(self, course_ids) -> LearningData:
        """The same data restricted to some course offerings (learners kept only if enrolled)."""
        ids = known_courses(self.courses, course_ids)
        e = self.enrollments[self.enrollments["course_id"].isin(ids)]
        a = self.assessments[self.assessments["course_id"].isin(ids)]
        return LearningData(
            courses=self.courses[self.courses["course_id"].isin(ids)],
            learners=self.learners[self.learners["learner_id"].isin(e["learner_id"])],
            enrollments=e,
            activity=self.activity[self.activity["course_id"].isin(ids)],
            assessments=a,
            submissions=self.submissions[self.submissions["assessment_id"].isin(a["assessment_id"])],
            **{n: _optional_rows(n, f, ids, e["learner_id"]) for n, f in self.optional_tables().items()},
            validate=False,
        )

    def digest(self) -> str:
        """A short content hash of all six tables (row order included), for run tracking.

        Data read with a selection (``read_parquet(folder, courses=..., as_of=...)``) gives the
        digest of the whole folder, the same as ``read_parquet(folder).digest()``.
        """
        source = getattr(self, "_digest", None)
        if callable(source):
            source = self._digest = source()
        if source is not None:
            return source
        h = hashlib.sha256()
        for name, frame in self.all_tables().items():
            _hash_table(h, name, frame.columns, [frame])
        return h.hexdigest()[:16]

    # ------------------------------------------------------------------ output
    def to_parquet(self, folder: str | os.PathLike) -> Path:
        """Write one Parquet file per table into ``folder`` (created; replaced atomically).

        ``read_parquet(folder)`` gives back every row, column, dtype and value.
        """
        with replaced_folder(folder) as tmp:
            for name, frame in self.all_tables().items():
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
        return Path(folder)


@contextlib.contextmanager
def replaced_folder(folder: str | os.PathLike):
    """Yield a staging folder beside ``folder``; on success it replaces ``folder`` whole (rename),
    on any error it is removed and ``folder`` stays as it was."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield tmp
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _optional_rows(name: str, frame: pd.DataFrame, course_ids, learner_ids) -> pd.DataFrame:
    """The rows of an optional table that belong to some offerings: by course where the table
    names one, else (hr) the rows of the learners enrolled in them; kpis are kept whole."""
    if "course_id" in frame.columns:
        return frame[frame["course_id"].isin(course_ids)]
    if name == "hr":
        return frame[frame["learner_id"].isin(learner_ids)]
    return frame


def known_courses(courses: pd.DataFrame, course_ids) -> pd.Index:
    """The distinct ids of ``course_ids`` (strings); ValueError naming any not in ``courses``."""
    ids = pd.Index(pd.unique(pd.Series(list(course_ids), dtype="str")))
    unknown = ids.difference(courses["course_id"])
    if len(unknown):
        raise ValueError(f"unknown course_id {list(unknown)[:5]}; known offerings: {sorted(courses['course_id'])[:10]}")
    return ids


def selected_offerings(c: pd.DataFrame, courses=None, as_of=None) -> np.ndarray:
    """Boolean mask over a (coerced) courses table: the offerings of ``courses`` (all if None)
    running at ``as_of`` (any time if None); ValueError for an unknown course id."""
    keep = np.ones(len(c), dtype=bool)
    if courses is not None:
        keep &= c["course_id"].isin(known_courses(c, courses)).to_numpy()
    if as_of is not None:
        keep &= np.asarray(running(c["start"], c["end"], utc_timestamp(as_of)), dtype=bool)
    return keep


def contract_columns(table: str) -> set[str]:
    """The columns ``read_parquet(..., extra_columns=False)`` reads of ``table``: those of the
    contract (required and optional), the sensitive attributes (the fairness audit's) and, on
    enrollments, the caseload columns ``advisor`` and ``advisor_capacity``."""
    spec = SPECS[table]
    keep = {c.name for c in spec.columns + spec.optional} | set(SENSITIVE_ATTRIBUTES)
    return keep | ({"advisor", "advisor_capacity"} if table == "enrollments" else set())  # caseloads


def _is_string(t) -> bool:
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _read_table(folder: Path, name: str, *, extra_columns: bool = True, where: tuple[str, pd.Series] | None = None) -> pd.DataFrame:
    """One ``<name>.parquet``: every column, or the contract's (``extra_columns=False``); with
    ``where=(column, ids)`` only the rows whose id is in ``ids``.

    A string id column is filtered by pyarrow while it reads (row groups, then rows; the rows
    of other offerings never become pandas objects); ids stored otherwise (numbers) are
    filtered after the read, on the canonical strings.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = folder / f"{name}.parquet"
    try:
        schema = pq.read_schema(path)
        columns = None if extra_columns else [c for c in schema.names if c in contract_columns(name)]
        filters = None
        if where is not None and where[0] in schema.names and _is_string(schema.field(where[0]).type):
            import pyarrow as pa

            filters = pc.field(where[0]).isin(pa.array(where[1].tolist(), type=schema.field(where[0]).type))
        frame = pd.read_parquet(path, columns=columns, filters=filters)
    except Exception as exc:  # pyarrow raises many kinds on a corrupt file
        raise _cannot_read(name, exc) from exc
    if where is not None and filters is None and where[0] in frame.columns:
        frame = frame[_as_str(frame[where[0]]).isin(where[1]).to_numpy()]
    return frame


def read_parquet(
    folder: str | os.PathLike,
    *,
    courses=None,
    as_of=None,
    extra_columns: bool = True,
    validate: bool = True,
    time_unit=None,
) -> LearningData:
    """Read a canonical Parquet folder written by :meth:`LearningData.to_parquet`.

    ``courses`` (course ids) and ``as_of`` (a date: the offerings running then, ``start <= t <
    end``) read only some offerings: the same tables as ``read_parquet(folder)
    .select_courses(...)``, but the rows of the other offerings are skipped while reading
    (Parquet filters) and never validated, so that memory and time follow what is read. Given
    both, the offerings of ``courses`` running at ``as_of``. ``extra_columns=False`` reads only
    the columns of the contract and the sensitive attributes (:func:`contract_columns`).

    ``time_unit`` is for time columns stored as numbers (see :class:`LearningData`).

    Examples
    --------
    >>> data = learnrisk.read_parquet("data/synthetic/sample")  # doctest: +SKIP
    >>> week = learnrisk.read_parquet("data/", as_of="2024-03-04")  # doctest: +SKIP
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError([Problem("*", "*", f"no such folder: {folder}", 0)])
    missing = [n for n in TABLES if not (folder / f"{n}.parquet").exists()]
    if missing:
        raise DataValidationError(
            [Problem(n, "*", f"file {n}.parquet is missing in {folder}", 0) for n in missing]
        )
    present = [n for n in OPTIONAL_TABLES if (folder / f"{n}.parquet").exists()]
    if courses is None and as_of is None:
        tables = {n: _read_table(folder, n, extra_columns=extra_columns) for n in (*TABLES, *present)}
        return LearningData(**tables, validate=validate, time_unit=time_unit)
    c = coerce_table("courses", _read_table(folder, "courses", extra_columns=extra_columns), time_unit)
    tables = {"courses": c[selected_offerings(c, courses, as_of)]}
    ids = as_ids(tables["courses"]["course_id"])
    for n in ("enrollments", "activity", "assessments"):
        tables[n] = _read_table(folder, n, extra_columns=extra_columns, where=("course_id", ids))
    by = {"submissions": ("assessment_id", "assessments"), "learners": ("learner_id", "enrollments")}
    for n, (column, source) in by.items():
        found = as_ids(tables[source][column]) if column in tables[source].columns else pd.Series([], dtype="str")
        tables[n] = _read_table(folder, n, extra_columns=extra_columns, where=(column, found))
    for n in present:
        frame = _read_table(folder, n, extra_columns=extra_columns)
        tables[n] = _optional_rows(n, coerce_table(n, frame, time_unit), ids, as_ids(tables["enrollments"]["learner_id"]))
    data = LearningData(**tables, validate=validate, time_unit=time_unit)
    # the rows not read are checked too (errors only), in bounded memory, and the digest is the
    # whole folder's: run tracking names the input, whatever part of it a job reads
    if validate:
        data._digest = check_parquet(folder, time_unit=time_unit)
    else:
        data._digest = lambda: _scan(folder, time_unit=time_unit, check=False)
    return data


def _cannot_read(name: str, exc: Exception) -> DataValidationError:
    return DataValidationError([Problem(name, "*", f"cannot read {name}.parquet: {exc}", 0)])


def _shifted(p: Problem, offset: int) -> Problem:
    """A problem of a batch with its example rows numbered as rows of the whole file."""
    if p.rows is None or not offset:
        return p
    return Problem(p.table, p.column, p.problem, p.count, p.rows.set_axis(p.rows.index + offset))


def _hash_table(h, name: str, columns, frames) -> None:
    """Feed a table (one frame, or its batches in order) to ``h`` as :meth:`LearningData.digest` does."""
    h.update(name.encode())
    h.update(",".join(map(str, columns)).encode())
    for frame in frames:
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64).tobytes())


def _scan(folder: Path, *, time_unit=None, batch_rows: int = BATCH_ROWS, check: bool = True) -> str:
    """One pass over a Parquet folder in bounded memory: the checks of the contract (errors,
    with ``check``) and the digest of its six tables (what ``read_parquet(folder).digest()``
    gives). Small tables are read whole; activity ``batch_rows`` rows at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    optional = [n for n in OPTIONAL_TABLES if (folder / f"{n}.parquet").exists()]
    raw = {n: _read_table(folder, n) for n in (*TABLES, *optional) if n != "activity"}
    try:
        source = pq.ParquetFile(folder / "activity.parquet")
        raw["activity"] = source.schema_arrow.empty_table().to_pandas()
    except Exception as exc:
        raise _cannot_read("activity", exc) from exc
    tables = coerce_tables(raw, time_unit)
    del raw
    if check:
        check_tables(tables, activity=False)
        enrolled = KeyIndex([tables["enrollments"][k] for k in ENROLLMENT_KEY])  # prepared once for every batch
    h = hashlib.sha256()
    problems: list[Problem] = []
    offset = 0

    def batches():
        nonlocal offset
        try:
            for batch in source.iter_batches(batch_size=batch_rows):
                frame = batch.to_pandas()
                try:
                    act = coerce_table("activity", frame, time_unit)
                    if check:
                        problems.extend(_shifted(p, offset) for p in activity_problems(act, enrolled))
                except DataValidationError as exc:
                    problems.extend(_shifted(p, offset) for p in exc.problems)
                    act = frame.iloc[:0]
                offset += len(frame)
                yield act
        except (OSError, pa.ArrowException) as exc:  # a file damaged after its first row groups
            raise _cannot_read("activity", exc) from exc

    for name in (*TABLES, *optional):
        _hash_table(h, name, tables[name].columns, batches() if name == "activity" else [tables[name]])
    if problems:
        raise DataValidationError(merge_problems(problems))
    return h.hexdigest()[:16]


def check_parquet(folder: str | os.PathLike, *, time_unit=None, batch_rows: int = BATCH_ROWS) -> str:
    """Every error check of the contract on a canonical Parquet folder, in bounded memory.

    The five small tables are read whole; activity, the large one, ``batch_rows`` rows at a
    time, each batch checked against the enrollments
    (:func:`~learnrisk.data._validate.activity_problems`), so that no copy of the whole
    activity table is ever made. Raise one DataValidationError listing every failure (counts
    over the whole file, the first offending rows); warnings are not looked for. Return the
    digest of the folder's data (what ``read_parquet(folder).digest()`` gives).
    """
    return _scan(Path(folder), time_unit=time_unit, batch_rows=batch_rows)
