"""The risk list as files whose bytes depend only on the inputs.

Same inputs, same bytes: the rows are sorted (course, then rank), probabilities are rounded to
6 decimals before anything else sees them, the CSV prints every float with a fixed format, and
neither file holds a time of the run (timings go to ``summary.json``).

CSV safety (the list is opened in spreadsheets): a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is *neutralised* as OWASP recommends (CSV injection):
it gets a leading single quote ``'``, so a spreadsheet shows it as text instead of running it as a
formula. A cell that already starts with ``'`` gets one too, so that removing one leading ``'``
always gives the true value back (:func:`read_previous` does). Every field holding a CR or LF
is quoted, so a line break inside an id never splits a row. The Parquet file keeps the true
values.

Parquet: :func:`pyarrow.parquet.write_table` with fixed settings (zstd, dictionary encoding on,
statistics on, one row group, format 2.6) on a table built from an explicit schema, so the
bytes do not depend on pandas' dtype inference, and without the pandas or Arrow schema blobs
(``store_schema=False``): the only metadata is the Parquet schema and the writer's name
(``parquet-cpp-arrow version x``), constant for one installation. The tests write the same list
twice, in two processes, and compare bytes.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["csv_bytes", "neutralise", "parquet_bytes", "read_previous", "unneutralise"]

FLOAT_FORMAT = "%.6f"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP: cells a spreadsheet may run as formulas
NEUTRAL_PREFIX = "'"
_LINE_END_OUTSIDE_QUOTES = re.compile(r'("[^"]*(?:""[^"]*)*")|\r\n')

_TYPES = {
    "as_of": pa.string(),
    "course_id": pa.string(),
    "learner_id": pa.string(),
    "week": pa.int64(),
    "rank": pa.int64(),
    "p_dropout": pa.float64(),
    "p_underperformance": pa.float64(),
    "risk": pa.float64(),
    "raw_score": pa.float64(),
    "contact_now": pa.bool_(),
    "last_active": pa.string(),
    "missed_assessments": pa.int64(),
    "caseload_rank": pa.int64(),
    "capacity": pa.int64(),
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


def neutralise(values: pd.Series) -> pd.Series:
    """Text cells safe for spreadsheets: a leading ``'`` before ``= + - @``, tab, CR or ``'``."""
    text = values.astype("str")
    risky = text.str.startswith((*FORMULA_START, NEUTRAL_PREFIX)).fillna(False).astype(bool)
    if not risky.any():
        return values
    return text.mask(risky, NEUTRAL_PREFIX + text)


def unneutralise(values: pd.Series) -> pd.Series:
    """The true values of cells written by :func:`neutralise` (one leading ``'`` removed)."""
    text = values.astype("str")
    return text.mask(text.str.startswith(NEUTRAL_PREFIX).fillna(False).astype(bool), text.str[1:])


def csv_bytes(risk_list: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header, ``\\n`` line ends, floats as ``%.6f``, missing values empty;
    formula-like text cells neutralised and fields holding CR or LF quoted (module doc)."""
    frame = risk_list.copy()
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col] + 0.0  # -0.0 -> 0.0, so it never prints as "-0.000000"
        elif pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object:
            frame[col] = neutralise(frame[col])
    buf = io.StringIO()
    # "\r\n" as the csv writer's line end makes it quote every field holding CR or LF (with "\n"
    # a bare CR stays unquoted); the record ends, the only CRLFs outside quotes, become "\n".
    frame.to_csv(buf, index=False, float_format=FLOAT_FORMAT, lineterminator="\r\n", na_rep="")
    text = _LINE_END_OUTSIDE_QUOTES.sub(lambda m: m.group(1) or "\n", buf.getvalue())
    return text.encode("utf-8")


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
        elif pa.types.is_boolean(field.type):
            arrays.append(pa.array(s.astype("boolean"), type=field.type, from_pandas=True))
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
        previous = pd.read_csv(folder / "risk_list.csv", usecols=cols, dtype={"course_id": "str", "learner_id": "str"})
    except Exception:
        return None
    for col in ("course_id", "learner_id"):
        previous[col] = unneutralise(previous[col])
    return previous
