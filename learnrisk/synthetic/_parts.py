"""A large synthetic world written in parts of course codes: :func:`write_parquet`.

In this generator a learner takes one course code (a retake is a later offering of the same
code), so a world splits exactly by code: part ``p`` is ``generate``'s world for its codes
(named after the codes before it) and its share of the learners (numbered after those of the
parts before it), drawn from its own random stream ``SeedSequence([seed, p])``. Each part is
generated, appended to the six Parquet files (one row group or more per part) and dropped, so
memory is bounded by the largest part, not by the world. One part is ``generate(...)`` itself.
"""

from __future__ import annotations

import math
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..data._core import replaced_folder
from ..errors import SyntheticConfigError
from ._world import _as_of, _check, _effect, _university

LEARNERS_PER_PART = 200_000


@dataclass
class Written:
    """What :func:`write_parquet` wrote: rows per table, outcomes of the enrollments, parts."""

    folder: Path
    parts: int
    rows: dict[str, int] = field(default_factory=dict)
    outcomes: Counter = field(default_factory=Counter)
    truth_rows: int = 0


class _Appender:
    """One ParquetWriter per file, its schema fixed by the first part (later parts cast to it)."""

    def __init__(self):
        self.writers: dict[Path, pq.ParquetWriter] = {}

    def write(self, path: Path, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = self.writers.get(path)
        if writer is None:
            writer = self.writers[path] = pq.ParquetWriter(path, table.schema)
        writer.write_table(table.cast(writer.schema))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _split(n: int, parts: int) -> list[int]:
    """``n`` as ``parts`` near-equal whole numbers (the first ones larger)."""
    return [len(a) for a in np.array_split(np.arange(n), parts)]


def write_parquet(
    folder: str | os.PathLike,
    n_learners: int = 2000,
    n_courses: int = 3,
    offerings: int = 4,
    *,
    seed: int = 0,
    sensitive_effect: float | str = "modest",
    start_year: int = 2013,
    self_paced_courses: int = 0,
    as_of: pd.Timestamp | str | None = None,
    truth: str | os.PathLike | None = None,
    learners_per_part: int = LEARNERS_PER_PART,
    progress=None,
) -> Written:
    """Generate a university world and write it as a canonical Parquet folder, part by part.

    The arguments are :func:`generate`'s. The codes are split into
    ``ceil(n_learners / learners_per_part)`` parts (at most one per code: a code is never
    split), each with its share of the learners; with one part the folder is exactly
    ``generate(...).to_parquet(folder)``. ``truth`` writes the oracle frame (``return_truth``)
    to that Parquet file, part by part. ``folder`` is replaced whole, only once every part is
    written (a failure leaves it as it was). ``progress(part, parts)`` is called after each part.

    >>> import tempfile
    >>> from learnrisk import read_parquet, synthetic
    >>> out = tempfile.mkdtemp()
    >>> w = synthetic.write_parquet(out, n_learners=600, n_courses=3, offerings=2, learners_per_part=200)
    >>> w.parts, sorted(read_parquet(out).courses["course_code"].unique())
    (3, ['AAA', 'BBB', 'CCC'])
    """
    _check(n_learners, n_courses, offerings, self_paced_courses)
    if int(learners_per_part) != learners_per_part or learners_per_part < 1:
        raise SyntheticConfigError(f"learners_per_part must be a whole number >= 1, found {learners_per_part!r}")
    effect, when = _effect(sensitive_effect), _as_of(as_of, None)
    parts = min(n_courses, max(1, math.ceil(n_learners / learners_per_part)))
    codes = _split(n_courses, parts)
    learners = [round(n_learners * c / n_courses) for c in np.cumsum(codes)]
    learners = np.diff([0, *learners]).tolist()
    out = Written(Path(folder), parts)
    appender = _Appender()
    truth_path = Path(truth) if truth is not None else None
    try:
        with replaced_folder(folder) as tmp:
            first_code, first_learner = 0, 1
            for p, (n_codes, n) in enumerate(zip(codes, learners)):
                rng = np.random.default_rng(seed if parts == 1 else np.random.SeedSequence([seed, p]))
                # the last self_paced_courses codes of the world are self-paced
                paced = max(0, first_code + n_codes - max(first_code, n_courses - self_paced_courses))
                world = _university(rng, n, n_codes, offerings, effect, start_year, paced, when,
                                    truth_path is not None, first_code, first_learner)  # fmt: skip
                data, oracle = world if truth_path is not None else (world, None)
                for name, frame in data.all_tables().items():
                    appender.write(tmp / f"{name}.parquet", frame)
                    out.rows[name] = out.rows.get(name, 0) + len(frame)
                out.outcomes.update(data.enrollments["outcome"].dropna())
                if oracle is not None:
                    appender.write(tmp / ".truth.parquet", oracle)
                    out.truth_rows += len(oracle)
                first_code, first_learner = first_code + n_codes, first_learner + n
                del world, data, oracle
                if progress is not None:
                    progress(p + 1, parts)
            appender.close()
            if truth_path is not None:
                truth_path.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(tmp / ".truth.parquet", truth_path)
    finally:
        appender.close()
    return out
