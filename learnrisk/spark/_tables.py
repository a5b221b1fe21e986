"""Canonical tables as Spark DataFrames, and one offering's rows as one group.

Sources: a canonical Parquet folder (``<table>.parquet`` files, or folders of part files, as
:meth:`LearningData.to_parquet` or Spark writes them), or Delta tables (``<table>/_delta_log``):
the ``deltalake`` package reads the Delta log and gives the Parquet files of the current
version, which Spark reads directly, so no Delta jars are needed. A Delta table whose readers
need more than that (deletion vectors, column mapping) or that is partitioned is refused with
what to do instead.

:func:`offering_rows` stacks what one offering's features read (its course row, enrollments,
activity, assessments and submissions) into one tagged frame grouped by ``course_id``: the
input of ``groupBy(course_id).applyInPandas``. :func:`offering_data` turns one group back into
a :class:`~learnrisk.data.LearningData` of that offering, for the very functions the pandas
path calls.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from ..data import LearningData
from ..data._schema import TABLES
from ..errors import SparkEngineError
from ._session import quiet, to_naive, to_utc

__all__ = ["from_learning_data", "offering_data", "offering_rows", "read_tables", "source_digest"]

# tag -> (table, the columns a per-offering function reads, with their Spark types)
COLUMNS: dict[int, tuple[str, dict[str, str]]] = {
    0: ("courses", {"course_code": "string", "start": "timestamp", "end": "timestamp", "pacing": "string", "title": "string"}),
    1: ("enrollments", {
        "learner_id": "string", "registered_at": "timestamp", "withdrawn_at": "timestamp",
        "prior_attempts": "double", "credits": "double",
    }),
    2: ("activity", {"learner_id": "string", "timestamp": "timestamp", "activity_type": "string", "clicks": "long"}),
    3: ("assessments", {
        "assessment_id": "string", "kind": "string", "due_at": "timestamp", "weight": "double", "title": "string",
    }),
    4: ("submissions", {
        "learner_id": "string", "assessment_id": "string", "submitted_at": "timestamp", "score": "double", "scored_at": "timestamp",
    }),
}  # fmt: skip
TAG = "_table"
_COURSE_COLUMNS = ("course_id", "course_code", "start", "end", "pacing", "title")


# ------------------------------------------------------------------------------ reading
def _delta_files(path: Path) -> list[str]:
    from deltalake import DeltaTable

    table = DeltaTable(str(path))
    protocol = table.protocol()
    unsupported = set(protocol.reader_features or []) - {"timestampNtz"}
    if unsupported:
        raise SparkEngineError(
            f"the Delta table {path} needs reader features {sorted(unsupported)}, which learnrisk reads "
            "without Delta jars cannot apply; read it with Spark's Delta connector and pass the DataFrames "
            "to learnrisk.spark.SparkSource(tables=...)"
        )
    if table.metadata().partition_columns:
        raise SparkEngineError(
            f"the Delta table {path} is partitioned by {table.metadata().partition_columns}; read it with "
            "Spark's Delta connector and pass the DataFrames to learnrisk.spark.SparkSource(tables=...)"
        )
    return list(table.file_uris())


def _table_path(folder: Path, name: str) -> tuple[str, Path]:
    """("delta" | "parquet", path) of one table in ``folder``."""
    delta = folder / name
    if (delta / "_delta_log").is_dir():
        return "delta", delta
    for candidate in (folder / f"{name}.parquet", delta):
        if candidate.exists():
            return "parquet", candidate
    raise SparkEngineError(
        f"no table {name} in {folder}: expected {name}.parquet (a file or a folder of part files) "
        f"or a Delta table {name}/ (with _delta_log)"
    )


def read_tables(spark, folder: str | os.PathLike, tables=TABLES) -> dict:
    """The canonical tables of ``folder`` (Parquet or Delta, table by table) as Spark DataFrames.

    Examples
    --------
    >>> tables = read_tables(spark_session(), "data/")     # doctest: +SKIP
    >>> tables["activity"].count()                         # doctest: +SKIP
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SparkEngineError(f"--data {folder} is not a folder of canonical tables (Parquet or Delta)")
    out = {}
    for name in tables:
        kind, path = _table_path(folder, name)
        files = _delta_files(path) if kind == "delta" else [str(path)]
        with quiet():
            out[name] = _times(spark.read.parquet(*files))
    return out


TIME_COLUMNS = ("start", "end", "registered_at", "withdrawn_at", "timestamp", "due_at", "submitted_at", "scored_at")


def _times(df):
    """Nanosecond Parquet times (pandas' default), read as longs, as Spark timestamps (microseconds)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    for field in df.schema.fields:
        if field.name in TIME_COLUMNS and isinstance(field.dataType, LongType):
            df = df.withColumn(field.name, F.timestamp_micros(F.floor(F.col(field.name) / 1000)))
    return df


def source_digest(folder: str | os.PathLike, tables=TABLES) -> str:
    """A short hash of what a Spark job reads: each table's files (name, size, modification time),
    or a Delta table's version. Cheap at any size (nothing is read); it changes when the data do."""
    h = hashlib.sha256()
    folder = Path(folder)
    for name in tables:
        kind, path = _table_path(folder, name)
        h.update(name.encode())
        if kind == "delta":
            from deltalake import DeltaTable

            h.update(f"delta:{DeltaTable(str(path)).version()}".encode())
            continue
        files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
        for f in files:
            st = f.stat()
            h.update(f"{f.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def from_learning_data(spark, data: LearningData) -> dict:
    """The six tables of an in-memory LearningData as Spark DataFrames (small data, tests)."""
    out = {}
    with quiet():
        for name, frame in data.tables().items():
            frame = frame.copy()
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                    frame[col] = to_naive(frame[col])
                elif isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype("str")
            out[name] = spark.createDataFrame(frame)
    return out


# ------------------------------------------------------------------------------ one offering
def _select(df, tag: int, extra: dict[str, str]):
    from pyspark.sql import functions as F

    name, cols = COLUMNS[tag]
    have = set(df.columns)
    exprs = [F.col("course_id").cast("string").alias("course_id"), F.lit(tag).cast("byte").alias(TAG)]
    for col, kind in {**cols, **extra}.items():
        exprs.append((F.col(col) if col in have else F.lit(None)).cast(kind).alias(col))
    return df.select(*exprs)


def offering_rows(tables: dict, course_ids: list[str] | None = None, *, bucket=None):
    """One tagged DataFrame of every row the per-offering functions read, keyed by course_id.

    ``course_ids`` keeps some offerings; ``bucket``: a function of a DataFrame returning a
    column, the sub-partition of each row (learner-hash splitting, see ``_features``).
    Submissions get the course_id of their assessment (a join). Outcomes, withdrawal reasons and
    final scores are not carried: no per-offering function reads a label.
    """
    from pyspark.sql import functions as F

    c, e, a, asm, s = (tables[n] for n in ("courses", "enrollments", "activity", "assessments", "submissions"))
    sub = s.join(asm.select(F.col("assessment_id").cast("string"), F.col("course_id").cast("string")), "assessment_id")
    parts = [_select(df, tag, {}) for tag, df in enumerate((c, e, a, asm, sub))]
    if course_ids is not None:
        keep = [str(x) for x in course_ids]
        parts = [p.where(F.col("course_id").isin(keep)) for p in parts]
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p, allowMissingColumns=True)
    return out if bucket is None else bucket(out)


def offering_data(rows: pd.DataFrame) -> LearningData:
    """One group of :func:`offering_rows` (one offering, or one learner bucket of it) as a
    LearningData, unvalidated (the source was checked before), times back in UTC."""
    rows = rows.copy()
    for col in TIME_COLUMNS:
        if col in rows.columns:
            rows[col] = to_utc(rows[col])
    tables = {}
    for tag, (name, cols) in COLUMNS.items():
        part = rows[rows[TAG] == tag]
        keep = ["course_id", *cols] if name != "submissions" else list(cols)
        tables[name] = part[[k for k in keep if k in part.columns]].reset_index(drop=True)
    course = tables["courses"]
    tables["courses"] = course[[k for k in _COURSE_COLUMNS if k in course.columns]]
    if tables["courses"]["pacing"].isna().all():
        tables["courses"] = tables["courses"].assign(pacing="cohort")
    e = tables["enrollments"]
    tables["enrollments"] = e.assign(outcome=pd.Series([None] * len(e), dtype="str"))
    tables["learners"] = pd.DataFrame({"learner_id": pd.unique(e["learner_id"])}).astype("str")
    return LearningData(**tables, validate=False)
