"""Features of a Parquet folder a batch of offerings at a time, streamed to one Parquet file.

Memory follows the largest batch (:func:`learnrisk.data.offering_batches`: at most
``max_events`` activity rows, or one offering larger than that), not the history; each batch is
given to :func:`build_features`, and its rows are appended to the output file. Batches come in
course_id order, so the file has the rows and the order of ``build_features`` on the whole
folder (sorted by course_id, week, learner_id).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..data._batches import DEFAULT_MAX_EVENTS, offering_batches
from ._build import _empty_frame, build_features

__all__ = ["write_features_by_offering"]


def write_features_by_offering(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    weeks: Iterable[int] | None = None,
    *,
    days: Iterable[int] | None = None,
    as_of=None,
    activity_families: Mapping[str, str] | None = None,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> int:
    """Write the features of a canonical Parquet folder to ``out`` (one Parquet file, replaced
    atomically), reading a batch of offerings at a time. Return the number of rows.

    Examples
    --------
    >>> write_features_by_offering("data/", "features.parquet", weeks=range(1, 21))   # doctest: +SKIP
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    schema = pa.Schema.from_pandas(_empty_frame(), preserve_index=False)
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in offering_batches(folder, as_of=as_of, max_events=max_events):
                frame = build_features(batch, weeks, days=days, as_of=as_of, activity_families=activity_families)
                if len(frame):
                    writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
                    rows += len(frame)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows
