"""Offerings a few at a time: bounded memory on one machine.

The whole history of a large provider does not fit in memory, but one offering does, and the
features (and the weekly job) are computed one offering at a time. :func:`offering_batches`
plans batches of offerings (in course_id order) whose activity stays under ``max_events``
rows, then reads each batch with :func:`~learnrisk.data.read_parquet`'s filters (``courses=``:
Arrow scans with a filter on the offering, the other rows never become pandas objects), so
that peak memory follows the largest batch, not the whole folder. An offering larger than
``max_events`` is a batch of its own.

Worked example: offerings A (3 M events), B (1 M), C (2 M), D (7 M) with ``max_events`` =
5 M give the batches [A, B], [C], [D]: C would take [A, B] to 6 M, and D alone exceeds the
budget (it is read alone: the largest offering is the floor of the memory needed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ._core import LearningData, _read_table, read_parquet, selected_offerings
from ._validate import coerce_table

__all__ = ["DEFAULT_MAX_EVENTS", "batch_sizes", "event_counts", "offering_batches", "plan_batches"]

DEFAULT_MAX_EVENTS = 5_000_000
"""Activity rows read at once by default (about 1 GB of pandas frames and feature arrays)."""


def event_counts(folder: str | os.PathLike, batch_rows: int = 4_000_000) -> pd.Series:
    """Activity rows per course_id of a canonical Parquet folder, read one column, in batches."""
    import pyarrow.parquet as pq

    counts: dict[str, int] = {}
    source = pq.ParquetFile(Path(folder) / "activity.parquet")
    for batch in source.iter_batches(batch_size=batch_rows, columns=["course_id"]):
        vc = batch.column(0).value_counts()
        for value, n in zip(vc.field(0).to_pylist(), vc.field(1).to_pylist()):
            counts[str(value)] = counts.get(str(value), 0) + int(n)
    return pd.Series(counts, dtype="int64").sort_index()


def plan_batches(course_ids, events: pd.Series, max_events: int = DEFAULT_MAX_EVENTS) -> list[list[str]]:
    """Consecutive offerings (course_id order) grouped while their events stay <= ``max_events``.

    >>> plan_batches(["A", "B", "C", "D"], pd.Series({"A": 3, "B": 1, "C": 2, "D": 7}), 5)
    [['A', 'B'], ['C'], ['D']]
    """
    if max_events < 1:
        raise ValueError(f"max_events must be at least 1, found {max_events}")
    batches: list[list[str]] = []
    size = 0
    for cid in sorted(str(c) for c in course_ids):
        n = int(events.get(cid, 0))
        if batches and size + n <= max_events:
            batches[-1].append(cid)
            size += n
        else:
            batches.append([cid])
            size = n
    return batches


def offering_batches(
    folder: str | os.PathLike,
    *,
    courses=None,
    as_of=None,
    max_events: int = DEFAULT_MAX_EVENTS,
    extra_columns: bool = False,
) -> Iterator[LearningData]:
    """The offerings of a canonical Parquet folder as LearningData, a batch at a time.

    ``courses`` and ``as_of`` select offerings as in :func:`~learnrisk.data.read_parquet`;
    ``max_events`` bounds the activity rows of a batch (an offering above it comes alone).
    Batches are not validated (run :func:`~learnrisk.data.check_parquet` once on the folder,
    in bounded memory; ``LearningData.check`` on a batch gives its warnings).

    Examples
    --------
    >>> for part in offering_batches("data/", max_events=2_000_000):   # doctest: +SKIP
    ...     feats = learnrisk.build_features(part, weeks=range(1, 21))
    """
    folder = Path(folder)
    c = coerce_table("courses", _read_table(folder, "courses", extra_columns=extra_columns))
    keep = selected_offerings(c, courses, as_of)
    ids = c.loc[keep, "course_id"]
    for batch in plan_batches(ids, event_counts(folder), max_events):
        yield read_parquet(folder, courses=batch, extra_columns=extra_columns, validate=False)


def batch_sizes(batches: list[list[str]], events: pd.Series) -> np.ndarray:
    """Events per planned batch (for logs and benchmarks)."""
    return np.array([int(sum(events.get(c, 0) for c in b)) for b in batches], dtype=np.int64)
