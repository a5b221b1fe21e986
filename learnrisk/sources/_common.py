"""What the file-based readers (mapped CSV, Canvas Data 2, Open edX) share: reader options given
as ``-o key=value`` strings, the strict mode, times that name the record they came from, and
reading a table written as CSV, JSON lines or Parquet.

**Strict mode.** A record that cannot be read at all (a time that does not parse, a line that is
not JSON, a column the mapping names but the file lacks) is always an error naming the file and
line. A record that is readable but unusable (no learner, no course, a learner not enrolled, an
event kind the reader does not map) is dropped and counted in the :class:`ImportReport` with the
reason; ``-o strict=true`` turns the first such reason into an error instead.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError, SourceError
from ..timeline import parse_times
from ._frames import ImportReport

__all__ = ["OULAD_FAMILIES", "check_strict", "dumps_line", "parse_options", "read_json_lines", "read_table", "record_where", "source_times"]

# The writers (synth --format canvas|edx) turn activity types into platform events of the same
# family. The generator writes OULAD's vocabulary; these are its families as the feature catalog's
# default map gives them (tests/sources check that they agree); any other type is written as a
# course-home request and reads back as "other". (The catalog lives in features/, above sources/.)
OULAD_FAMILIES: dict[str, str] = {
    "forumng": "forum", "ouwiki": "forum", "oucollaborate": "forum", "ouelluminate": "forum",
    "quiz": "quiz", "externalquiz": "quiz", "questionnaire": "quiz",
    "oucontent": "content", "subpage": "content", "resource": "content", "url": "content", "glossary": "content",
    "dataplus": "content", "page": "content", "htmlactivity": "content", "folder": "content", "sharedsubpage": "content",
    "dualpane": "other", "repeatactivity": "other",
    "homepage": "other",
}

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def parse_options(kind: str, options: Mapping[str, object], allowed: Mapping[str, object]) -> dict[str, object]:
    """``options`` checked against ``allowed`` (name -> default; a bool default makes a yes/no
    option and accepts ``true``/``false`` strings from ``-o``).

    >>> parse_options("edx", {"strict": "true"}, {"strict": False, "zone": "UTC"})
    {'strict': True, 'zone': 'UTC'}
    """
    out = dict(allowed)
    for key, value in options.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "(none)"
            raise SourceError(f"unknown option {key!r} for --from {kind}; known: {known} (docs/data.md)")
        if isinstance(allowed[key], bool) and not isinstance(value, bool):
            text = str(value).strip().lower()
            if text not in _TRUE + _FALSE:
                raise SourceError(f"option {key} for --from {kind} takes true or false, found {value!r}")
            value = text in _TRUE
        out[key] = value
    return out


def check_strict(report: ImportReport, strict: bool) -> None:
    """In strict mode, the first reason anything was dropped becomes an error."""
    if not strict or not report.dropped:
        return
    reason, n = report.dropped.most_common(1)[0]
    ex = report.examples.get(reason) or []
    shown = f" (e.g. {', '.join(ex)})" if ex else ""
    raise SourceError(
        f"{report.source}: {n:,} record{'s' if n != 1 else ''} dropped: {reason}{shown}; "
        "strict mode refuses them (without -o strict=true they are dropped and counted)"
    )


def source_times(values: pd.Series, name: str, where, unit: str | None = None, hint: str = "") -> pd.Series:
    """``values`` parsed by :func:`learnrisk.timeline.parse_times`; a bad value becomes one
    :class:`SourceError` naming its record (``where(index)`` gives ``file:line``) and the value."""
    if unit is None and (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        # fast path for ISO 8601 text; anything it cannot read goes to the strict parser (and its message)
        fast = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
        if not (fast.isna() & values.notna()).any():
            return fast.astype("datetime64[ns, UTC]")
    try:
        return parse_times(values, name, unit=unit)
    except DataValidationError as e:
        p = e.problems[0]
        idx = p.rows.index[0] if len(p.rows) else values.index[0]
        raise SourceError(f"{where(idx)}: {name} {values.loc[idx]!r}: {p.problem}{hint}") from None


def read_json_lines(path: Path) -> Iterable[tuple[int, dict]]:
    """``(line number, object)`` of each non-empty line of a JSON-lines file (``.gz`` too); a line
    that is not a JSON object is an error naming ``file:line``."""
    import orjson

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                raise SourceError(f"{path.name}:{n}: not valid JSON ({e})") from None
            if not isinstance(obj, dict):
                raise SourceError(f"{path.name}:{n}: a JSON object was expected, found {type(obj).__name__}")
            yield n, obj


def read_table(path: Path) -> pd.DataFrame:
    """A table written as CSV (``.csv``, ``.csv.gz``), JSON lines (``.jsonl``, ``.json``,
    ``.ndjson``, gzipped too) or Parquet: CSV values as text (empty cells missing); nested
    objects (JSON) and structs (Parquet) one level deep as dotted columns (``value.user_id``).
    :func:`record_where` names a row's file and line for messages.

    JSON lines go through Arrow's reader (fast, typed); a file it refuses (a line that is not
    JSON, a field whose type changes between lines) is read line by line, so that the message
    names the line."""
    import pyarrow as pa

    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        frame = _flat_arrow(pq.read_table(path))
        frame.attrs["where"] = ("row", None)
        return frame
    if name.endswith((".csv", ".csv.gz")):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
            raise SourceError(f"{path.name}: cannot read it as CSV ({str(e).strip().splitlines()[0]})") from None
        frame.attrs["where"] = ("csv", None)  # row i is line i + 2 (after the header)
        return frame
    if name.endswith((".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz")):
        import pyarrow.json as pj

        try:
            frame = _flat_arrow(pj.read_json(path))
            frame.attrs["where"] = ("json", None)  # row i is the (i + 1)-th non-empty line
            return frame
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        lines, rows = [], []
        for n, obj in read_json_lines(path):
            lines.append(n)
            rows.append(_flat(obj))
        frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
        frame.attrs["where"] = ("lines", np.asarray(lines, dtype=np.int64))  # an array: pandas deep-copies attrs
        return frame
    raise SourceError(f"{path.name}: unknown file type; give .csv, .jsonl, .json (lines) or .parquet (gzip allowed)")


def _flat_arrow(table) -> pd.DataFrame:
    """An Arrow table with its struct columns flattened one level (``value.user_id``)."""
    import pyarrow as pa

    if any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table.to_pandas()


def _flat(obj: dict) -> dict:
    """One level of nesting as dotted names: ``{"value": {"user_id": 1}}`` -> ``{"value.user_id": 1}``."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                out[f"{k}.{kk}"] = vv
        else:
            out[k] = v
    return out


def _nth_line(path: Path, index: int) -> int:
    """The line number of the ``index``-th (0-based) non-empty line: read only for a message."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        seen = -1
        for n, raw in enumerate(fh, start=1):
            if raw.strip():
                seen += 1
                if seen == index:
                    return n
    return index + 1


def record_where(path: Path, frame: pd.DataFrame):
    """A function giving ``file:line`` (``file row n`` for Parquet) of a row of a frame read by
    :func:`read_table` (by its position)."""
    how, lines = frame.attrs.get("where", ("csv", None))
    if how == "row":
        return lambda i: f"{path.name} row {int(i) + 1}"
    if how == "csv":
        return lambda i: f"{path.name}:{int(i) + 2}"
    if how == "json":
        return lambda i: f"{path.name}:{_nth_line(path, int(i))}"
    return lambda i: f"{path.name}:{lines[int(i)]}"


def dumps_line(obj: dict) -> bytes:
    """One JSON-lines record (compact, UTF-8, newline-terminated)."""
    import orjson

    return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)
