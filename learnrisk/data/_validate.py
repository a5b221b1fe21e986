"""Coercion to canonical dtypes and the checks of the data contract.

Both collect every problem they find and raise one :class:`DataValidationError`, so that a
user fixes a file once rather than once per problem.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from ._schema import OUTCOMES, PACINGS, SCHEMA, TIME_DTYPE, Column

N_SHOWN = 5
DENSE_KEYS = 20_000_000  # key_positions: largest lookup table (int64 cells) over all possible keys


def _problem(table: str, column: str, what: str, frame: pd.DataFrame, mask) -> Problem:
    mask = np.asarray(mask, dtype=bool)
    return Problem(table, column, what, int(mask.sum()), frame.loc[mask].head(N_SHOWN))


def _as_str(s: pd.Series) -> pd.Series:
    """Ids and labels as strings; integral floats (ids read as float because of NaN) lose the '.0'."""
    if pd.api.types.is_string_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype("str") if s.dtype != "str" else s
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.dropna()
        if (whole == np.floor(whole)).all():
            s = s.astype("Int64")
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    out = s.astype("str")
    return out.where(s.notna(), np.nan) if s.hasnans else out


def _coerce_column(table: str, frame: pd.DataFrame, col: Column, problems: list[Problem]) -> None:
    s = frame[col.name]
    if col.kind in ("id", "str"):
        frame[col.name] = _as_str(s)
    elif col.kind == "time":
        if s.dtype == TIME_DTYPE:
            return
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
            parsed = pd.to_datetime(s, utc=True)
        else:
            parsed = pd.to_datetime(s, utc=True, errors="coerce", format="mixed")
            bad = parsed.isna() & s.notna()
            if bad.any():
                problems.append(_problem(table, col.name, "timestamps that cannot be parsed", frame, bad))
        frame[col.name] = parsed.astype(TIME_DTYPE)
    elif col.kind in ("float", "int"):
        if col.kind == "int" and pd.api.types.is_integer_dtype(s.dtype):
            if not s.hasnans:
                frame[col.name] = s.astype("int64")
                return
            s = s.astype("float64")  # nullable integers with missing values (Int64 with NA): NaN, checked below
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            problems.append(_problem(table, col.name, "values that are not numbers", frame, bad))
        if col.kind == "int":
            frac = num.notna() & (num != np.floor(num))
            if frac.any():
                problems.append(_problem(table, col.name, "values that are not whole numbers", frame, frac))
            if num.notna().all() and not frac.any():
                frame[col.name] = num.astype("int64")
                return
        frame[col.name] = num.astype("float64")


def coerce_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return the tables with canonical dtypes; raise on missing columns or unparseable values."""
    problems: list[Problem] = []
    out: dict[str, pd.DataFrame] = {}
    for name, spec in SCHEMA.items():
        if name not in tables or tables[name] is None:
            problems.append(Problem(name, "*", "table is missing", 0))
            continue
        frame = tables[name]
        if not isinstance(frame, pd.DataFrame):
            problems.append(Problem(name, "*", f"expected a pandas DataFrame, found {type(frame).__name__}", 0))
            continue
        frame = frame.reset_index(drop=True).copy(deep=False)
        missing = [c for c in spec.required if c not in frame.columns]
        for c in missing:
            problems.append(
                Problem(name, c, f"missing required column (found columns: {', '.join(map(str, frame.columns))})", len(frame))
            )
        for col in spec.columns + spec.optional:
            if col.name in frame.columns and col.name not in missing:
                _coerce_column(name, frame, col, problems)
        out[name] = frame
    unknown = sorted(set(tables) - set(SCHEMA))
    for name in unknown:
        problems.append(Problem(name, "*", f"unknown table (allowed: {', '.join(SCHEMA)})", 0))
    if problems:
        raise DataValidationError(problems)
    return out


def positions(values, uniques) -> np.ndarray:
    """Position of each value in ``uniques`` (distinct values), -1 when absent: ids to integer codes.

    Arrow-backed strings (pandas' default ``str``) are looked up by pyarrow's hash join
    (``index_in``): ``Index.get_indexer`` would first turn ten million of them into Python
    objects, which takes most of the time and gigabytes of memory.
    """
    values = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    uniques = uniques if isinstance(uniques, pd.Series) else pd.Series(uniques)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow" and values.dtype == uniques.dtype:
        import pyarrow as pa
        import pyarrow.compute as pc

        vals = pa.array(values)
        keys = pa.array(uniques)
        keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
        found = pc.index_in(vals, value_set=keys.cast(vals.type))
        return np.asarray(pc.fill_null(found, -1)).astype(np.int64)
    return pd.Index(uniques).get_indexer(values)


def key_positions(rows: list, keys: list) -> np.ndarray:
    """Position in ``keys`` of each row's composite key, -1 when absent (the first if repeated).

    ``rows`` and ``keys`` are lists of columns (Series or arrays) of the same key, e.g.
    ``[activity["learner_id"], activity["course_id"]]`` and the same of the enrollments. Each
    column becomes integer codes (:func:`positions`), the codes one int64 key, and the keys are
    matched by a sorted search, so it is fast on ten million activity rows.

    >>> e = pd.DataFrame({"learner": ["a", "a", "b"], "course": ["X", "Y", "X"]})
    >>> key_positions([pd.Series(["b", "a", "c"]), pd.Series(["X", "Y", "X"])], [e["learner"], e["course"]])
    array([ 2,  1, -1])
    """
    n_rows = len(rows[0]) if rows else 0
    row_key = np.zeros(n_rows, dtype=np.int64)
    key_key = np.zeros(len(keys[0]) if keys else 0, dtype=np.int64)
    ok = np.ones(n_rows, dtype=bool)
    space = 1  # number of possible composite keys
    for r, k in zip(rows, keys):
        k = k if isinstance(k, pd.Series) else pd.Series(k)
        cats = pd.Series(k.unique())
        rc, kc = positions(r, cats), positions(k, cats)
        ok &= rc >= 0
        space *= len(cats) + 1
        row_key = row_key * (len(cats) + 1) + rc
        key_key = key_key * (len(cats) + 1) + kc
    if not len(key_key):
        return np.full(n_rows, -1, dtype=np.int64)
    if space <= DENSE_KEYS:  # a table over every possible key: one gather per row
        table = np.full(space, -1, dtype=np.int64)
        table[key_key[::-1]] = np.arange(len(key_key) - 1, -1, -1)  # the first position wins
        return np.where(ok, table[np.where(ok, row_key, 0)], -1)
    order = np.argsort(key_key, kind="stable")
    sorted_keys = key_key[order]
    i = np.minimum(np.searchsorted(sorted_keys, row_key), len(sorted_keys) - 1)
    return np.where(ok & (sorted_keys[i] == row_key), order[i], -1).astype(np.int64)


def enrollment_positions(rows, enrollments: pd.DataFrame) -> np.ndarray:
    """Position in ``enrollments`` of each row's enrollment (its ``learner_id``, ``course_id``), -1 if none.

    ``rows`` is a frame or a mapping of those two columns (activity, submissions, ...).
    """
    key = SCHEMA["enrollments"].key
    return key_positions([rows[k] for k in key], [enrollments[k] for k in key])


def pair_exists(left: pd.DataFrame, right: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Boolean mask: does each row's key (``cols``) of ``left`` occur in ``right``?"""
    return key_positions([left[c] for c in cols], [right[c] for c in cols]) >= 0


def check_tables(t: dict[str, pd.DataFrame]) -> None:
    """Run every content check of the contract; raise one DataValidationError listing all failures."""
    problems: list[Problem] = []
    for name, spec in SCHEMA.items():
        frame = t[name]
        for col in spec.columns:
            if not col.nullable:
                mask = frame[col.name].isna()
                if mask.any():
                    problems.append(_problem(name, col.name, "missing values in a required column", frame, mask))
        if spec.key:
            dup = frame.duplicated(list(spec.key), keep=False)
            if dup.any():
                problems.append(_problem(name, ",".join(spec.key), "duplicate key", frame, dup))

    c, e, a, s, act = t["courses"], t["enrollments"], t["assessments"], t["submissions"], t["activity"]
    mask = c["end"] < c["start"]
    if mask.any():
        problems.append(_problem("courses", "end", "course ends before it starts", c, mask))
    if "pacing" in c.columns:
        mask = c["pacing"].notna() & ~c["pacing"].isin(PACINGS)
        if mask.any():
            problems.append(_problem("courses", "pacing", f"unknown pacing (allowed: {', '.join(PACINGS)})", c, mask))

    mask = ~e["course_id"].isin(c["course_id"])
    if mask.any():
        problems.append(_problem("enrollments", "course_id", "enrollment in an unknown course", e, mask))
    mask = ~e["learner_id"].isin(t["learners"]["learner_id"])
    if mask.any():
        problems.append(_problem("enrollments", "learner_id", "enrollment of an unknown learner", e, mask))
    mask = e["outcome"].notna() & ~e["outcome"].isin(OUTCOMES)
    if mask.any():
        problems.append(_problem("enrollments", "outcome", f"unknown outcome (allowed: {', '.join(OUTCOMES)} or empty)", e, mask))
    mask = e["withdrawn_at"].notna() & (e["withdrawn_at"] < e["registered_at"])
    if mask.any():
        problems.append(_problem("enrollments", "withdrawn_at", "withdrawn before registered", e, mask))
    if "final_score" in e.columns:
        mask = e["final_score"].notna() & ~e["final_score"].between(0, 100)
        if mask.any():
            problems.append(_problem("enrollments", "final_score", "score outside 0-100", e, mask))

    mask = act["clicks"] < 1
    if mask.any():
        problems.append(_problem("activity", "clicks", "clicks below 1 (a row is at least one click)", act, mask))
    mask = ~pair_exists(act, e, ["learner_id", "course_id"])
    if mask.any():
        problems.append(_problem("activity", "learner_id", "activity of a learner not enrolled in that course", act, mask))

    mask = ~a["course_id"].isin(c["course_id"])
    if mask.any():
        problems.append(_problem("assessments", "course_id", "assessment of an unknown course", a, mask))
    mask = a["weight"] < 0
    if mask.any():
        problems.append(_problem("assessments", "weight", "negative weight", a, mask))

    mask = ~s["assessment_id"].isin(a["assessment_id"])
    if mask.any():
        problems.append(_problem("submissions", "assessment_id", "submission for an unknown assessment", s, mask))
    mask = s["score"].notna() & ~s["score"].between(0, 100)
    if mask.any():
        problems.append(_problem("submissions", "score", "score outside 0-100", s, mask))
    course_of = s["assessment_id"].map(a.drop_duplicates("assessment_id").set_index("assessment_id")["course_id"])
    known = course_of.notna().to_numpy()
    enrolled = pair_exists(pd.DataFrame({"learner_id": s["learner_id"], "course_id": course_of}), e, ["learner_id", "course_id"])
    mask = known & ~enrolled
    if mask.any():
        problems.append(_problem("submissions", "learner_id", "submission of a learner not enrolled in the assessment's course", s, mask))

    if problems:
        raise DataValidationError(problems)
