"""Write :class:`LearningData` as the seven CSV files of the official OULAD release.

So that OULAD-format data of any size exists for tests and benchmarks, and so that tools made
for OULAD can read learnrisk data. The format is the release's own: every field double-quoted,
CRLF line endings, an empty string for a missing value, the columns in the release's order.

Times become whole days relative to the start of the offering, rounded down::

    start 2013-10-01 00:00 UTC, timestamp 2013-09-21 12:00 UTC  ->  -9.5 days  ->  date -10
    start 2013-10-01, end 2014-06-26  ->  module_presentation_length 268

The offering's own ``start`` is used. ``read_oulad`` puts the start of a ``J`` presentation on
October ``start_day`` and of a ``B`` presentation on February ``start_day``; data whose offerings
start elsewhere read back shifted (a log record says so and which ``start_day`` to use).

pyarrow's CSV writer quotes every valid value, numbers included, with ``quoting_style="all_valid"``,
but leaves a null unquoted and ends lines with ``\\n`` (the C++ ``eol`` and ``null_string``
options are not exposed in Python, pyarrow 25). So a column with missing values is written as
text with empty strings (then quoted), and ``\\n`` is turned into ``\\r\\n`` block by block; a
block with more ``\\n`` bytes than rows (a line break inside a value) is written again with
such line breaks replaced by spaces, so that the only ``\\n`` bytes are line ends.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import LearnriskError
from ..timeline import DAY, NAT, to_ns
from ._core import LearningData
from ._oulad import ATTRIBUTES, FILES, START_MONTH

__all__ = ["write_oulad"]

log = logging.getLogger("learnrisk.data")

COURSE_ID = re.compile(r"^(?P<code>.+)-(?P<presentation>\d{4}[BJ])$")
ROWS_PER_BLOCK = 1_000_000


def write_oulad(data: LearningData, folder: str | os.PathLike) -> Path:
    """Write ``data`` as the 7 CSV files of the official OULAD release into ``folder``.

    Parameters
    ----------
    data : LearningData
        Course ids must be of the form ``CODE-YYYYB`` or ``CODE-YYYYJ`` (``AAA-2013J``), the
        OULAD module code and presentation.
    folder : str or path-like
        Created if needed; the seven files are replaced one by one (each written to a
        temporary name, then renamed), other files are left alone.

    Returns
    -------
    Path
        ``folder``.

    Notes
    -----
    Days are counted from each offering's ``start``, rounded down. ``vle.csv`` lists the distinct
    (resource, activity type) pairs of each offering; ``id_site`` is the ``resource_id`` when every
    resource id belongs to one offering and one activity type, and a synthesized integer
    otherwise. Learner attributes come from the enrollment's own columns (gender, region,
    prior_education, deprivation, age_band, disability) when present, else from ``learners``;
    learners without an enrollment are not written (OULAD has no such rows).

    Raises
    ------
    LearnriskError
        A course id is not of the form ``CODE-YYYY[B|J]``, or a row refers to an unknown
        course or assessment.

    Examples
    --------
    >>> import learnrisk
    >>> data = learnrisk.read_oulad("oulad-sample")  # doctest: +SKIP
    >>> learnrisk.write_oulad(data, "copy")  # doctest: +SKIP
    >>> learnrisk.read_oulad("copy").digest() == data.digest()  # doctest: +SKIP
    True
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    c = data.courses
    parts = c["course_id"].str.extract(COURSE_ID)
    bad = parts["code"].isna()
    if bad.any():
        shown = ", ".join(repr(x) for x in c.loc[bad, "course_id"].head(5))
        raise LearnriskError(
            f"cannot write OULAD: {int(bad.sum())} course id(s) not of the form CODE-YYYYB or CODE-YYYYJ "
            f"(found {shown}); OULAD names an offering by module code and presentation, e.g. AAA-2013J "
            "(J: October start, B: February start): rename the offerings (courses, enrollments, activity, "
            "assessments) before writing"
        )
    _note_calendar(c)
    courses = _Offerings(c, parts)
    _write_csv(
        folder / "courses.csv",
        {
            "code_module": courses.module,
            "code_presentation": courses.presentation,
            "module_presentation_length": _floor_days(courses.end_ns - courses.start_ns),
        },
    )
    a = data.assessments
    ai = courses.positions(a["course_id"], "assessments")
    _write_csv(
        folder / "assessments.csv",
        {
            **courses.keys(ai),
            "id_assessment": a["assessment_id"],
            "assessment_type": a["kind"],
            "date": courses.days(a["due_at"], ai),
            "weight": a["weight"],
        },
    )
    _write_enrollments(data, courses, folder)
    s = data.submissions
    known = pd.Index(a["assessment_id"].drop_duplicates())
    pos = known.get_indexer(s["assessment_id"])
    if (pos < 0).any():
        raise LearnriskError(f"cannot write OULAD: {int((pos < 0).sum())} submission(s) for an unknown assessment; run data.validate()")
    si = ai[~a["assessment_id"].duplicated().to_numpy()][pos]
    _write_csv(
        folder / "studentAssessment.csv",
        {
            "id_assessment": s["assessment_id"],
            "id_student": s["learner_id"],
            "date_submitted": courses.days(s["submitted_at"], si),
            "is_banked": s["is_banked"] if "is_banked" in s.columns else np.zeros(len(s), dtype=np.int64),
            "score": s["score"],
        },
    )
    _write_activity(data.activity, courses, folder)
    return folder


class _Offerings:
    """Module code, presentation and start of each offering, and lookups by course id."""

    def __init__(self, c: pd.DataFrame, parts: pd.DataFrame) -> None:
        self.ids = pd.Index(c["course_id"])
        self.module = pa.array(parts["code"].to_numpy(), pa.string())
        self.presentation = pa.array(parts["presentation"].to_numpy(), pa.string())
        self.start_ns = to_ns(c["start"], missing=NAT)
        self.end_ns = to_ns(c["end"], missing=NAT)

    def positions(self, course_id: pd.Series, table: str) -> np.ndarray:
        """Offering position of every row, through the distinct values (fast on 10 million rows)."""
        codes, uniques = pd.factorize(course_id)
        pos = self.ids.get_indexer(uniques)[codes] if len(uniques) else np.zeros(len(codes), dtype=np.intp)
        if (codes < 0).any() or (pos < 0).any():
            raise LearnriskError(
                f"cannot write OULAD: {int(((codes < 0) | (pos < 0)).sum())} row(s) of {table} refer to no known "
                "course_id; run data.validate() to see them"
            )
        return pos

    def keys(self, pos: np.ndarray) -> dict[str, pa.Array]:
        idx = pa.array(pos.astype(np.int32))
        return {"code_module": self.module.take(idx), "code_presentation": self.presentation.take(idx)}

    def days(self, times: pd.Series, pos: np.ndarray) -> pa.Array:
        ns = to_ns(times, missing=NAT)
        return _floor_days(ns - self.start_ns[pos], missing=ns == NAT)


def _floor_days(delta_ns: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    days = np.floor_divide(delta_ns, DAY)  # floor: -9.5 days -> -10
    return pa.array(days, pa.int64(), mask=missing)


def _note_calendar(c: pd.DataFrame) -> None:
    start = c["start"]
    rule = start.dt.month.eq(c["course_id"].str[-1].map(START_MONTH)) & start.dt.hour.eq(0) & start.dt.minute.eq(0)
    days = set(start[rule].dt.day)
    if not rule.all() or len(days) > 1:
        log.warning(
            "OULAD: %d offering(s) do not start at midnight UTC on one common day of February (B) or October (J); "
            "read_oulad will put their start on that day and shift their times",
            int((~rule).sum()) or len(c),
        )
    elif days and days != {1}:
        log.info("OULAD: offerings start on day %d of the month: read back with read_oulad(..., start_day=%d)", *days, *days)


def _write_enrollments(data: LearningData, courses: _Offerings, folder: Path) -> None:
    e, learners = data.enrollments, data.learners
    ei = courses.positions(e["course_id"], "enrollments")
    keyed = learners.drop_duplicates("learner_id").set_index("learner_id")
    attrs = {}
    for name, col in ATTRIBUTES.items():
        if name in e.columns:
            attrs[col] = e[name]
        elif name in keyed.columns:
            attrs[col] = e["learner_id"].map(keyed[name])
        else:
            attrs[col] = pa.nulls(len(e), pa.string())
    optional = {c: e[c] if c in e.columns else pa.nulls(len(e), pa.float64()) for c in ("prior_attempts", "credits")}
    n_alone = int((~learners["learner_id"].isin(e["learner_id"])).sum())
    if n_alone:
        log.info("OULAD: %d learner(s) without an enrollment not written (OULAD lists registrations only)", n_alone)
    keys = courses.keys(ei)
    info = {**keys, "id_student": e["learner_id"], **attrs}
    info["num_of_prev_attempts"] = optional["prior_attempts"]
    info["studied_credits"] = optional["credits"]
    info["final_result"] = e["outcome"].str.capitalize()  # pass -> Pass
    _write_csv(folder / "studentInfo.csv", {c: info[c] for c in FILES["studentInfo.csv"]})
    _write_csv(
        folder / "studentRegistration.csv",
        {
            **keys,
            "id_student": e["learner_id"],
            "date_registration": courses.days(e["registered_at"], ei),
            "date_unregistration": courses.days(e["withdrawn_at"], ei),
        },
    )


def _write_activity(act: pd.DataFrame, courses: _Offerings, folder: Path) -> None:
    ci = courses.positions(act["course_id"], "activity").astype(np.int64)
    ti, types = pd.factorize(act["activity_type"])
    has_resource = "resource_id" in act.columns
    ri, resources = pd.factorize(act["resource_id"]) if has_resource else (np.full(len(act), -1), pd.Index([]))
    # One vle.csv row per distinct (offering, activity type, resource) triple, in order of first use.
    n_t, n_r = max(len(types), 1), len(resources) + 1
    key = (ci * n_t + ti) * n_r + (ri + 1)
    site, triples = pd.factorize(key)
    t_ct, t_r = np.divmod(triples, n_r)
    t_c, t_t = np.divmod(t_ct, n_t)
    t_r = t_r - 1  # -1: no resource id
    keep_ids = has_resource and len(triples) > 0 and (t_r >= 0).all() and len(np.unique(t_r)) == len(triples)
    if keep_ids:
        site_ids = pa.array(np.asarray(resources, dtype=object), pa.string())
        vle_site, row_site = site_ids.take(pa.array(t_r)), act["resource_id"]
    else:
        if has_resource:
            log.info("OULAD: resource ids missing or shared by offerings or activity types: id_site synthesized")
        vle_site, row_site = pa.array(np.arange(1, len(triples) + 1)), pa.array(site + 1)
    _write_csv(
        folder / "vle.csv",
        {
            "id_site": vle_site,
            **courses.keys(t_c),
            "activity_type": pa.array(np.asarray(types, dtype=object), pa.string()).take(pa.array(t_t)),
            "week_from": pa.nulls(len(triples), pa.string()),
            "week_to": pa.nulls(len(triples), pa.string()),
        },
    )
    _write_csv(
        folder / "studentVle.csv",
        {
            **courses.keys(ci),
            "id_student": act["learner_id"],
            "id_site": row_site,
            "date": courses.days(act["timestamp"], ci),
            "sum_click": act["clicks"],
        },
    )


# --------------------------------------------------------------------------- CSV text
def _column(values) -> pa.Array | pa.ChunkedArray:
    """A column ready for the writer: numbers without gaps as they are (pyarrow quotes them),
    anything with gaps as text with "" for missing (so that it is quoted too)."""
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, from_pandas=True)
    if pa.types.is_boolean(arr.type):
        arr = pc.cast(arr, pa.int8())  # is_banked True -> 1
    if arr.null_count == 0 and (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or _is_text(arr.type)):
        return arr
    if not _is_text(arr.type):
        arr = pc.cast(arr, pa.string())  # 10.0 -> "10", as the writer formats numbers
    return pc.fill_null(arr, "")


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _one_line_values(table: pa.Table) -> pa.Table:
    """Line breaks inside text values become spaces (the only newline bytes must be line ends)."""
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        if _is_text(col.type):
            table = table.set_column(i, name, pc.replace_substring_regex(col, "\r\n|\r|\n", " "))
    return table


def _write_csv(path: Path, columns: dict[str, object]) -> None:
    table = pa.table({name: _column(v) for name, v in columns.items()})
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid", batch_size=64 * 1024)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write((",".join(f'"{c}"' for c in table.column_names) + "\r\n").encode())
            for first in range(0, table.num_rows, ROWS_PER_BLOCK):
                block = table.slice(first, ROWS_PER_BLOCK)
                text = _csv_bytes(block, options)
                if text.count(b"\n") != block.num_rows or b"\r" in text:  # a line break inside a value
                    text = _csv_bytes(_one_line_values(block), options)
                out.write(text.replace(b"\n", b"\r\n"))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _csv_bytes(table: pa.Table, options: pacsv.WriteOptions) -> bytes:
    buf = pa.BufferOutputStream()
    pacsv.write_csv(table, buf, options)
    return buf.getvalue().to_pybytes()
