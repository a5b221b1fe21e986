"""Where the weekly job's per-offering inputs come from: in memory, a batch of offerings at a
time, or a distributed engine.

Everything the job needs from the event log is computed *per offering*: the features as of
the date (:func:`~learnrisk.features.build_features`), each listed learner's facts
(:func:`learner_facts`) and the course overviews (:func:`course_overviews`). So the same three
calls serve

- a :class:`~learnrisk.data.LearningData` in memory (:func:`prepare`);
- :class:`OfferingStream`: a canonical Parquet folder read a batch of offerings at a time
  (:func:`~learnrisk.data.offering_batches`): peak memory follows the largest batch, not the
  history;
- ``learnrisk.spark.SparkSource``: the same calls run per offering on Spark executors.

A source is any object with ``courses`` (the courses table), ``prepare(as_of, models,
include_sensitive)`` returning :class:`Prepared` and ``data_info(as_of)`` (the ``data`` entry
of ``summary.json``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ..data._batches import DEFAULT_MAX_EVENTS, offering_batches
from ..data._core import _read_table, check_parquet
from ..data._validate import coerce_table
from ..features import build_features
from ._overview import CourseOverview, course_overviews, learner_facts

__all__ = ["OfferingStream", "Prepared", "concat_prepared", "data_info", "prepare"]


@dataclass
class Prepared:
    """The per-offering inputs of one as-of date, for every running offering.

    ``predictions``: target -> (probabilities, raw scores) when the source scored the rows
    itself (a distributed engine); None: the job predicts.
    """

    features: pd.DataFrame
    facts: pd.DataFrame
    overviews: list[CourseOverview]
    predictions: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    warnings: list[dict] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def prepare(data, as_of: pd.Timestamp, models: dict | None = None, *, include_sensitive: bool = False) -> Prepared:
    """Features, learner facts and course overviews of ``data`` at ``as_of``: a LearningData in
    memory, or any source with a ``prepare`` method (:class:`OfferingStream`, SparkSource)."""
    if not isinstance(data, LearningData):
        return data.prepare(as_of, models or {}, include_sensitive=include_sensitive)
    features = build_features(data, as_of=as_of, include_sensitive=include_sensitive).reset_index(drop=True)
    return Prepared(
        features,
        learner_facts(data, as_of),
        course_overviews(data, as_of),
        rows={n: len(f) for n, f in data.tables().items()},
    )


def data_info(data, as_of: pd.Timestamp, path: str | None, prepared: Prepared) -> dict:
    """The ``data`` entry of ``summary.json``: digest, path, rows per table, warnings."""
    if not isinstance(data, LearningData):
        return data.data_info(as_of, prepared)
    return {
        "digest": data.digest(),
        "path": path,
        "rows": prepared.rows,
        "warnings": data.warning_records(as_of=as_of),  # plausibility checks (docs/data.md)
    }


def concat_prepared(parts: list[Prepared]) -> Prepared:
    """One :class:`Prepared` from those of consecutive batches of offerings (course_id order).

    Sensitive attribute columns are re-made categorical over the union of the batches'
    categories (what one frame of all the offerings would have).
    """
    if not parts:
        raise ValueError("no batch to concatenate")
    frames = [p.features for p in parts]
    categorical = [c for c in frames[0].columns if isinstance(frames[0][c].dtype, pd.CategoricalDtype)]
    features = pd.concat(frames, ignore_index=True)
    for c in categorical:
        cats = sorted(set().union(*(f[c].cat.categories for f in frames)))
        features[c] = pd.Categorical(features[c].astype(object).where(features[c].notna(), None), categories=cats)
    rows: dict[str, int] = {}
    for p in parts:
        for n, k in p.rows.items():
            rows[n] = rows.get(n, 0) + k
    return Prepared(
        features=features,
        facts=pd.concat([p.facts for p in parts], ignore_index=True),
        overviews=[o for p in parts for o in p.overviews],
        warnings=[w for p in parts for w in p.warnings],
        rows=rows,
    )


class OfferingStream:
    """A canonical Parquet folder scored a batch of offerings at a time (bounded memory).

    ``learnrisk.score(OfferingStream("data/"), "2024-03-04", model, out=...)`` gives the same
    list as ``learnrisk.score("data/", ...)``, but only one batch of running offerings (at most
    ``max_events`` activity rows, or one offering larger than that) is in memory at a time.
    The data are checked once, in bounded memory (:func:`~learnrisk.data.check_parquet`);
    ``summary.json``'s warnings are those of each batch, in course order.
    """

    def __init__(self, folder: str | os.PathLike, *, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        self.folder = Path(folder)
        self.max_events = int(max_events)
        self.path = str(folder)
        self.courses = coerce_table("courses", _read_table(self.folder, "courses", extra_columns=False))
        self._digest: str | None = None

    def __repr__(self) -> str:
        return f"OfferingStream({self.path!r}, max_events={self.max_events:,})"

    @property
    def enrollments(self) -> pd.DataFrame:
        """The enrollments table (caseloads: ``by="advisor"`` reads its advisor column)."""
        return coerce_table("enrollments", _read_table(self.folder, "enrollments", extra_columns=False))

    def prepare(self, as_of: pd.Timestamp, models: dict, *, include_sensitive: bool = False) -> Prepared:
        self._digest = check_parquet(self.folder)  # every error of the contract, before any work
        parts = []
        for batch in offering_batches(self.folder, as_of=as_of, max_events=self.max_events):
            batch.check()  # plausibility warnings of this batch (errors were looked for above)
            part = prepare(batch, as_of, include_sensitive=include_sensitive)
            part.warnings = batch.warning_records(as_of=as_of)
            parts.append(part)
        return concat_prepared(parts)

    def data_info(self, as_of: pd.Timestamp, prepared: Prepared) -> dict:
        return {
            "digest": self._digest or check_parquet(self.folder),
            "path": self.path,
            "rows": prepared.rows,
            "warnings": prepared.warnings,
        }
