"""`LearningData`: the six canonical tables, validated, with Parquet input and output."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from ._schema import TABLES
from ._validate import check_tables, coerce_tables

__all__ = ["LearningData", "read_parquet"]


class LearningData:
    """The six canonical tables of learning data (see ``DESIGN.md``).

    Construction coerces every known column to its canonical dtype (ids as strings,
    times as ``datetime64[ns, UTC]``) and, unless ``validate=False``, runs every check of the
    contract; a bad input raises one :class:`~learnrisk.errors.DataValidationError` and
    never yields a half-loaded object. Extra columns are kept.

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

    def __init__(
        self,
        courses: pd.DataFrame,
        learners: pd.DataFrame,
        enrollments: pd.DataFrame,
        activity: pd.DataFrame,
        assessments: pd.DataFrame,
        submissions: pd.DataFrame,
        *,
        validate: bool = True,
    ) -> None:
        tables = coerce_tables(
            dict(
                courses=courses,
                learners=learners,
                enrollments=enrollments,
                activity=activity,
                assessments=assessments,
                submissions=submissions,
            )
        )
        if validate:
            check_tables(tables)
        for name in TABLES:
            setattr(self, name, tables[name])

    # ------------------------------------------------------------------ access
    def tables(self) -> dict[str, pd.DataFrame]:
        """The six tables by name, in contract order."""
        return {name: getattr(self, name) for name in TABLES}

    def validate(self) -> LearningData:
        """Run every check of the contract again; return ``self`` or raise DataValidationError."""
        check_tables(coerce_tables(self.tables()))
        return self

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
        for name, frame in self.tables().items():
            lo = hi = pd.NaT
            if name in spans and len(frame):
                lo, hi = frame[spans[name][0]].min(), frame[spans[name][1]].max()
            rows.append({"table": name, "rows": len(frame), "columns": frame.shape[1], "from": lo, "to": hi})
        return pd.DataFrame(rows).set_index("table")

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(f):,}" for n, f in self.tables().items())
        return f"LearningData({counts})"

    def select_courses(self, course_ids) -> LearningData:
        """The same data restricted to some course offerings (learners kept only if enrolled)."""
        ids = pd.Index(pd.unique(pd.Series(list(course_ids), dtype="str")))
        unknown = ids.difference(self.courses["course_id"])
        if len(unknown):
            raise ValueError(
                f"unknown course_id {list(unknown)[:5]}; known offerings: {sorted(self.courses['course_id'])[:10]}"
            )
        e = self.enrollments[self.enrollments["course_id"].isin(ids)]
        a = self.assessments[self.assessments["course_id"].isin(ids)]
        return LearningData(
            courses=self.courses[self.courses["course_id"].isin(ids)],
            learners=self.learners[self.learners["learner_id"].isin(e["learner_id"])],
            enrollments=e,
            activity=self.activity[self.activity["course_id"].isin(ids)],
            assessments=a,
            submissions=self.submissions[self.submissions["assessment_id"].isin(a["assessment_id"])],
            validate=False,
        )

    def digest(self) -> str:
        """A short content hash of all six tables (row order included), for run tracking."""
        h = hashlib.sha256()
        for name, frame in self.tables().items():
            h.update(name.encode())
            h.update(",".join(map(str, frame.columns)).encode())
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64).tobytes())
        return h.hexdigest()[:16]

    # ------------------------------------------------------------------ output
    def to_parquet(self, folder: str | os.PathLike) -> Path:
        """Write one Parquet file per table into ``folder`` (created; replaced atomically).

        ``read_parquet(folder)`` gives back every row, column, dtype and value.
        """
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            for name, frame in self.tables().items():
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
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
        return folder


def read_parquet(folder: str | os.PathLike, *, validate: bool = True) -> LearningData:
    """Read a canonical Parquet folder written by :meth:`LearningData.to_parquet`.

    Examples
    --------
    >>> data = learnrisk.read_parquet("data/synthetic/sample")  # doctest: +SKIP
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError([Problem("*", "*", f"no such folder: {folder}", 0)])
    missing = [n for n in TABLES if not (folder / f"{n}.parquet").exists()]
    if missing:
        raise DataValidationError(
            [Problem(n, "*", f"file {n}.parquet is missing in {folder}", 0) for n in missing]
        )
    tables = {}
    for n in TABLES:
        try:
            tables[n] = pd.read_parquet(folder / f"{n}.parquet")
        except Exception as exc:  # pyarrow raises many kinds on a corrupt file
            raise DataValidationError([Problem(n, "*", f"cannot read {n}.parquet: {exc}", 0)]) from exc
    return LearningData(**tables, validate=validate)
