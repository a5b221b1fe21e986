"""The risk list as files whose bytes depend only on the inputs.

Same inputs, same bytes: the rows are sorted (course, then rank), probabilities are rounded to
6 decimals before anything else sees them, the CSV prints every float with a fixed format, and
neither file holds a time of the run (timings go to ``summary.json``).

Parquet: :func:`pyarrow.parquet.write_table` with fixed settings (zstd, dictionary encoding on,
statistics on, one row group, format 2.6) on a table built from an explicit schema, so the
bytes do not depend on pandas' dtype inference, and without the pandas or Arrow schema blobs
(``store_schema=False``): the only metadata is the Parquet schema and the writer's name
(``parquet-cpp-arrow version x``), constant for one installation. The tests write the same list
twice, in two processes, and compare bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["csv_bytes", "parquet_bytes", "read_previous"]

FLOAT_FORMAT = "%.6f"

_TYPES = {
    "as_of": pa.string(),
    "course_id": pa.string(),
    "learner_id": pa.string(),
    "week": pa.int64(),
    "rank": pa.int64(),
    "p_dropout": pa.float64(),
    "p_underperformance": pa.float64(),
    "risk": pa.float64(),
    "band": pa.string(),
    "main_risk": pa.string(),
    "drivers": pa.string(),
    "interventions": pa.string(),
    "intervention_ids": pa.string(),
    "best_reduction": pa.float64(),
    "previous_rank": pa.int64(),
    "previous_risk": pa.float64(),
    "previous_band": pa.string(),
    "risk_change": pa.float64(),
    "change": pa.string(),
}


def csv_bytes(risk_list: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header, ``\\n`` line ends, floats as ``%.6f``, missing values empty."""
    frame = risk_list.copy()
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col] + 0.0  # -0.0 -> 0.0, so it never prints as "-0.000000"
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", na_rep="")
    return buf.getvalue().encode("utf-8")


def _schema(frame: pd.DataFrame) -> pa.Schema:
    return pa.schema([pa.field(c, _TYPES.get(c, pa.string())) for c in frame.columns])


def parquet_bytes(risk_list: pd.DataFrame) -> bytes:
    """The risk list as Parquet bytes, deterministic for the same rows (see the module doc)."""
    schema = _schema(risk_list)
    arrays = []
    for field in schema:
        s = risk_list[field.name]
        if pa.types.is_string(field.type):
            arrays.append(pa.array(s.astype("str"), from_pandas=True).cast(field.type))
        elif pa.types.is_integer(field.type):
            arrays.append(pa.array(s.astype("Int64"), type=field.type, from_pandas=True))
        else:
            arrays.append(pa.array(s.to_numpy(dtype="float64"), type=field.type, from_pandas=True))
    table = pa.Table.from_arrays(arrays, schema=schema)
    buf = io.BytesIO()
    pq.write_table(
        table,
        buf,
        compression="zstd",
        use_dictionary=True,
        write_statistics=True,
        row_group_size=max(len(risk_list), 1),
        version="2.6",
        store_schema=False,
    )
    return buf.getvalue()


def read_previous(folder: Path) -> pd.DataFrame | None:
    """The risk list of an earlier as-of folder (Parquet, else CSV); None when neither is readable."""
    cols = ["course_id", "learner_id", "rank", "risk", "band"]
    try:
        return pd.read_parquet(folder / "risk_list.parquet", columns=cols)
    except Exception:  # a damaged or missing file: fall back to the CSV
        pass
    try:
        return pd.read_csv(folder / "risk_list.csv", usecols=cols, dtype={"course_id": "str", "learner_id": "str"})
    except Exception:
        return None
