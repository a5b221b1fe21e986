"""Time and the as-of rule, in one place: encoding, anchors, running offerings, the active population.

Features, the scoring overview and the synthetic generator all call this module, so the rows of
a features frame, the report's "active" count and the generator's as-of cut come from one
implementation. NumPy and pandas only.

**Encoding.** Inside learnrisk a time is an int64 number of nanoseconds since the epoch (UTC):
:func:`to_ns` encodes a column (a naive time is read as UTC, an aware one converted) and
:func:`from_ns` decodes. A missing time becomes a sentinel chosen by the caller; the default is
:data:`NEVER` (the largest int64), right for "end-like" times such as ``withdrawn_at`` and
``due_at``: ``withdrawn_at < cutoff`` is then false, as it is for ``NaT`` in pandas.

**The as-of rule** (``DESIGN.md``). A row for an enrollment at cutoff ``t`` exists when the
offering is running at ``t`` (``start <= t < end``, :func:`running`), the learner registered
before ``t`` (``registered_at < t``; registering exactly at ``t`` is not before it) and had not
withdrawn before ``t`` (``withdrawn_at`` is null or ``>= t``; withdrawing exactly at ``t`` keeps
the row): :func:`active`. Features of the row read only facts strictly before ``t``
(:func:`before`).

Week 0 of an enrollment (its *anchor*, :func:`anchors`) is the course start, or for a
self-paced course the learner's registration. A weekly cutoff is ``anchor + 7k days``::

    course A-2023 starts Monday 2023-01-02 00:00 UTC
    week 1 -> cutoff 2023-01-09 00:00; week 3 -> cutoff 2023-01-23 00:00
    a learner who withdraws on 2023-01-20 has rows at weeks 0, 1 and 2, not at week 3

A calendar ``as_of`` date is the cutoff itself; the row's week is the number of whole weeks
since the anchor, ``floor((t - anchor) / 7 days)`` (:func:`week_of`)::

    as_of 2023-01-25 12:00 -> (2023-01-25 12:00 - 2023-01-02) = 23.5 days -> week 3
    as_of 2023-01-23 00:00 -> exactly 21 days -> week 3, the same rows as weeks=[3]

Every row of a features frame gets a *phase*: the start of the week grid its windows are
measured on, so that the cutoff is ``phase + 7 * week`` days. For weekly cutoffs the phase is
the anchor; for an ``as_of`` cutoff it is ``t - 7 * week`` days (the grid shifted so that "the
last 7 days" ends at ``t``). For ``as_of 2023-01-25 12:00`` above, the phase is 2023-01-04 12:00
and the last 7 days are 2023-01-18 12:00 to 2023-01-25 12:00. On a weekly cutoff both are the
same.

The comparisons work on int64 nanoseconds and equally on pandas times (a ``NaT`` compares false
like :data:`NEVER`), so the rule is written once for arrays and frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ConfigError, DataValidationError, Problem

__all__ = [
    "DAY",
    "NAT",
    "NEVER",
    "SELF_PACED",
    "TIME_UNITS",
    "WEEK",
    "EnrollmentTimes",
    "active",
    "anchors",
    "before",
    "ended",
    "enrollment_times",
    "from_ns",
    "is_self_paced",
    "parse_times",
    "running",
    "to_ns",
    "utc_timestamp",
    "week_of",
]

DAY = 86_400 * 10**9
"""One day in nanoseconds."""
WEEK = 7 * DAY
"""One week in nanoseconds."""
NEVER = np.iinfo(np.int64).max
"""A missing end-like time (``withdrawn_at``, ``due_at``): compares false with ``< cutoff``."""
NAT = np.iinfo(np.int64).min
"""pandas' ``NaT`` as int64 nanoseconds (a missing start-like time compares true with ``<``)."""
SELF_PACED = "self-paced"
"""The ``pacing`` of a course whose weeks start at each learner's registration."""


# --------------------------------------------------------------------------- encoding
def utc_timestamp(value) -> pd.Timestamp:
    """``value`` (``"2024-03-04"``, a datetime, a Timestamp) as a UTC Timestamp; naive is UTC.

    Raises ValueError when it is not a date or time; callers turn that into their own error.

    >>> utc_timestamp("2024-03-04")
    Timestamp('2024-03-04 00:00:00+0000', tz='UTC')
    """
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a date: {value!r}") from None
    if t is pd.NaT:
        raise ValueError(f"not a date: {value!r}")
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def to_ns(values, missing: int = NEVER):
    """Times as int64 nanoseconds since the epoch (UTC); missing times become ``missing``.

    ``values`` is a Series, an Index, an array of times or one time (then an ``int`` is
    returned). Naive times are read as UTC, aware ones converted; strings are parsed.

    >>> to_ns(pd.Series(["1970-01-02", None])).tolist() == [DAY, NEVER]
    True
    >>> to_ns(pd.Timestamp("1970-01-01 01:00", tz="Europe/Paris"))
    0
    """
    if np.ndim(values) == 0 and not isinstance(values, (pd.Series, pd.Index)):
        return int(to_ns(pd.Index([values]), missing)[0])
    if isinstance(getattr(values, "dtype", None), pd.DatetimeTZDtype):
        idx = pd.DatetimeIndex(values)
    else:
        idx = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
    out = idx.as_unit("ns").asi8.copy()
    if missing != NAT:
        out[out == NAT] = missing
    return out


def from_ns(ns, missing: int = NEVER) -> pd.DatetimeIndex:
    """UTC times from int64 nanoseconds; ``missing`` (and pandas' NaT) become ``NaT``.

    >>> list(from_ns([0, NEVER]))
    [Timestamp('1970-01-01 00:00:00+0000', tz='UTC'), NaT]
    """
    ns = np.asarray(ns, dtype=np.int64)
    if missing != NAT:
        gone = ns == missing
        if gone.any():
            ns = np.where(gone, NAT, ns)
    return pd.DatetimeIndex(ns.view("M8[ns]"), tz="UTC")


# --------------------------------------------------------------------------- the as-of rule
def before(times, t):
    """Facts known at ``t``: those strictly before it (``times < t``; NaT and NEVER never are)."""
    return times < t


def running(start, end, t):
    """Offerings running at ``t``: ``start <= t < end``."""
    return (start <= t) & (t < end)


def ended(end, t):
    """Offerings over at ``t`` (``end <= t``): their outcomes are known."""
    return end <= t


def active(start, end, registered, withdrawn, cutoff):
    """The population at a cutoff: running offering, registered before, not withdrawn before.

    All arguments are int64 ns (a missing ``withdrawn`` is :data:`NEVER`) or pandas times (a
    missing one ``NaT``), broadcast against each other: one row per (enrollment, cutoff).

    >>> t = to_ns(pd.Timestamp("2023-01-23", tz="UTC"))
    >>> start, end = to_ns(pd.Series(["2023-01-02", "2023-06-01"]))
    >>> registered = to_ns(pd.Series(["2022-12-01", "2023-01-23", "2022-12-01", "2022-12-01"]))
    >>> withdrawn = to_ns(pd.Series([None, None, "2023-01-20", "2023-01-23"]))
    >>> active(start, end, registered, withdrawn, t)   # registered at t; withdrew before; at t
    array([ True, False, False,  True])
    """
    return running(start, end, cutoff) & before(registered, cutoff) & ~before(withdrawn, cutoff)


def is_self_paced(pacing) -> np.ndarray | bool:
    """Whether a ``pacing`` value (or each of a column of them) is self-paced; null is not."""
    if np.ndim(pacing) == 0:
        return isinstance(pacing, str) and pacing == SELF_PACED
    return np.asarray(pd.Series(np.asarray(pacing, dtype=object)).eq(SELF_PACED), dtype=bool)


def anchors(start, registered, self_paced):
    """Week 0 of each enrollment: its course start, or its registration if self-paced.

    ``start`` and ``registered`` in int64 ns (per enrollment, or one start), ``self_paced`` a
    bool (per enrollment or one for all).
    """
    return np.where(self_paced, registered, start).astype(np.int64)


def week_of(t, anchor):
    """The week of a calendar cutoff: whole weeks since the anchor, ``floor((t - anchor) / 7 days)``.

    >>> week_of(to_ns(pd.Timestamp("2023-01-25 12:00")), to_ns(pd.Timestamp("2023-01-02")))
    3
    """
    return (t - anchor) // WEEK


@dataclass(frozen=True)
class EnrollmentTimes:
    """The times of each enrollment (int64 ns) with those of its course.

    ``course`` is the position of the enrollment's course in the courses table (-1 if unknown;
    its start and end are then :data:`NAT`). ``withdrawn`` is :data:`NEVER` when missing.
    """

    course: np.ndarray
    start: np.ndarray
    end: np.ndarray
    registered: np.ndarray
    withdrawn: np.ndarray
    anchor: np.ndarray

    def active(self, cutoff) -> np.ndarray:
        """:func:`active` at ``cutoff`` (int64 ns, one or one per enrollment)."""
        return active(self.start, self.end, self.registered, self.withdrawn, cutoff)


def enrollment_times(courses: pd.DataFrame, enrollments: pd.DataFrame) -> EnrollmentTimes:
    """Encode the times of ``enrollments`` and of their courses (canonical tables)."""
    course = pd.Index(courses["course_id"]).get_indexer(enrollments["course_id"])

    def per_enrollment(values: np.ndarray, fill) -> np.ndarray:
        return np.append(values, fill)[course]  # position -1 takes the fill

    pacing = courses["pacing"] if "pacing" in courses.columns else np.full(len(courses), None, dtype=object)
    start = per_enrollment(to_ns(courses["start"], NAT), NAT)
    registered = to_ns(enrollments["registered_at"])
    return EnrollmentTimes(
        course=course,
        start=start,
        end=per_enrollment(to_ns(courses["end"], NAT), NAT),
        registered=registered,
        withdrawn=to_ns(enrollments["withdrawn_at"]),
        anchor=anchors(start, registered, per_enrollment(is_self_paced(pacing), False)),
    )


# --------------------------------------------------------------------------- strict parsing
TIME_UNITS = {"D": DAY, "s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
"""The units a number of a time column may be given in (``time_unit=``), in nanoseconds."""
ISO_HINT = "write ISO 8601 such as 2024-03-04, 2024-03-04T09:30:00Z or 2024-03-04T10:30:00+01:00"
_SLASHED = r"^\s*\d{1,4}[/.]\d{1,2}[/.]\d{1,4}"
_DIGITS = r"^\s*[-+]?\d+(\.\d*)?\s*$"


def _unit_hint(column: str) -> str:
    return (
        f"numbers without a unit; pass time_unit='s' (or 'ms', 'us', 'ns', 'D') for {column}, "
        "or store the column as timestamps"
    )


def parse_times(values, column: str = "time", unit: str | None = None) -> pd.Series:
    """Times in any accepted encoding as ``datetime64[ns, UTC]``, or one clear error; never a guess.

    Accepted: native timestamp types (naive ones read as UTC, aware ones converted);
    ``datetime``/``Timestamp`` objects; strings in ISO 8601 (``2024-03-04``,
    ``2024-03-04T09:30:00Z``, ``2024-03-04T10:30:00+01:00``; without an offset, UTC); numbers
    only with an explicit ``unit`` (one of :data:`TIME_UNITS`: epoch seconds ``'s'``, ``'ms'``,
    ``'us'``, ``'ns'`` or days ``'D'``). Missing values stay missing (``NaT``).

    Raises :class:`~learnrisk.errors.DataValidationError` (one problem for ``column``, written
    ``"table.column"``, with the offending values) for numbers without a unit, strings that are
    not ISO 8601 (``06/01/2013`` is day-first or month-first: ambiguous), a mix of numbers and
    dates, and times outside what int64 nanoseconds hold (1677-09-22 to 2262-04-11); and
    :class:`~learnrisk.errors.ConfigError` for an unknown ``unit``.

    >>> parse_times(pd.Series(["2024-03-04T10:30:00+01:00", None]), "x.t").tolist()
    [Timestamp('2024-03-04 09:30:00+0000', tz='UTC'), NaT]
    >>> parse_times(pd.Series([86_400]), "x.t", unit="s").tolist()
    [Timestamp('1970-01-02 00:00:00+0000', tz='UTC')]
    """
    if unit is not None and unit not in TIME_UNITS:
        raise ConfigError(f"time_unit for {column} must be one of {', '.join(map(repr, TIME_UNITS))}, found {unit!r}")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    ns, bad, what = _parse(s, column, unit)
    if bad.any():
        table, _, col = column.rpartition(".")
        shown = pd.DataFrame({col: s[bad]}).head(5)
        raise DataValidationError([Problem(table or "*", col, what, int(bad.sum()), shown)])
    return pd.Series(from_ns(ns, missing=NAT), index=s.index, name=s.name)


_NS_MIN, _NS_MAX = pd.Timestamp.min.as_unit("ns"), pd.Timestamp.max.as_unit("ns")
_RANGE = f"times outside {_NS_MIN.date()} to {_NS_MAX.date()} (int64 nanoseconds)"


def _parse(s: pd.Series, column: str, unit: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """int64 ns (missing: NAT), the mask of bad values and what is wrong with them."""
    n = len(s)
    none = np.zeros(n, dtype=bool)
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _from_datetimes(s)
    if pd.api.types.is_bool_dtype(dtype):
        return np.full(n, NAT), s.notna().to_numpy(), "true/false values, not times"
    if pd.api.types.is_numeric_dtype(dtype):
        if unit is None:
            return np.full(n, NAT), s.notna().to_numpy(), _unit_hint(column)
        return _from_numbers(s, unit)
    obj = s.astype(object)
    present = obj.notna().to_numpy()
    is_num = np.zeros(n, dtype=bool)
    if dtype == object:  # a mixed column: look at each value's type
        is_num = np.fromiter(
            (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in obj), bool, n
        ) & present
    if is_num.any():
        if unit is None:
            return np.full(n, NAT), is_num, _unit_hint(column)
        if not is_num[present].all():
            return np.full(n, NAT), present & ~is_num, "a mix of numbers and dates; give one encoding per column"
        return _from_numbers(pd.Series(pd.to_numeric(obj.where(present, np.nan)), index=s.index), unit)
    text = obj.map(lambda v: v if isinstance(v, str) else None) if dtype == object else s
    if text.notna().any():
        t = text.astype("str")
        slashed = t.str.match(_SLASHED, na=False).to_numpy() & text.notna().to_numpy()
        if slashed.any():
            return np.full(n, NAT), slashed, (
                f"dates with slashes or dots such as {text[slashed].iloc[0]!r}: day-first or month-first is "
                f"ambiguous; {ISO_HINT}"
            )
        digits = t.str.match(_DIGITS, na=False).to_numpy() & text.notna().to_numpy() & ~t.str.fullmatch(r"\d{8}", na=False).to_numpy()
        if digits.any():
            return np.full(n, NAT), digits, _unit_hint(column) + " (numbers written as text)"
    parsed = pd.to_datetime(obj, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy() & present
    if bad.any():
        return np.full(n, NAT), bad, f"timestamps that cannot be parsed; {ISO_HINT}"
    return _from_datetimes(parsed)


def _from_datetimes(s: pd.Series) -> tuple[np.ndarray, np.ndarray, str]:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC")
    out_of_range = (s.notna() & ((s < _NS_MIN.tz_localize(s.dt.tz)) | (s > _NS_MAX.tz_localize(s.dt.tz)))).to_numpy()
    if out_of_range.any():
        return np.full(len(s), NAT), out_of_range, _RANGE
    return to_ns(s, missing=NAT), out_of_range, ""


def _from_numbers(s: pd.Series, unit: str) -> tuple[np.ndarray, np.ndarray, str]:
    step = TIME_UNITS[unit]
    hi = (NEVER - 1) // step  # |value| * step stays inside int64 and away from NAT
    n = len(s)
    if pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans:
        v = s.to_numpy()
        bad = (v > hi) if v.dtype.kind == "u" else (v > hi) | (v < -hi)
        if bad.any():
            return np.full(n, NAT), bad, f"{_RANGE}, in unit {unit!r}"
        return v.astype(np.int64) * step, bad, ""
    v = s.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(v)
    bad = ~missing & ~(np.abs(np.where(missing, 0, v)) <= hi * (1 - 1e-9))  # float(hi) may round up
    if bad.any():
        return np.full(n, NAT), bad, f"{_RANGE}, in unit {unit!r}"
    v = np.where(missing, 0.0, v)
    whole = np.floor(v)
    ns = whole.astype(np.int64) * step + np.round((v - whole) * step).astype(np.int64)  # exact for whole numbers
    ns[missing] = NAT
    return ns, bad, ""
