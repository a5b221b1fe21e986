"""Numbers and percentages for people: one module, one missing mark.

Every table, model card, report and command prints numbers through these functions, so that a
missing value always reads :data:`MISSING` and a risk is never shown as 0 % or 100 %.

Standard library only: numpy and pandas scalars (``np.float64``, ``np.int64``, ``np.bool_``,
``pd.NA``, ``pd.NaT``) are accepted duck-typed, so that importing this module (and the command
line that uses it) stays fast.

>>> format_probability(0.4321), format_probability(0.996), format_probability(float("nan"))
('43%', '>99%', '—')
>>> format_cell(0.12345), format_cell(12345), format_cell(True), format_cell(None)
('0.123', '12,345', 'yes', '—')
>>> format_readable(12.0), format_readable(0.456), format_readable(2, signed=True)
('12', '0.46', '+2')
>>> format_points(0.052), format_points(-0.052), format_points(0.052, signed=False)
('+5.2 pts', '−5.2 pts', '5.2 pts')
"""

from __future__ import annotations

import functools
import math
import numbers

__all__ = [
    "MISSING",
    "format_cell",
    "format_count",
    "format_number",
    "format_percent",
    "format_points",
    "format_probability",
    "format_readable",
    "format_signed",
    "is_missing",
    "to_number",
]

MISSING = "—"  # the em dash, for every missing number learnrisk prints
_MINUS = "−"  # U+2212, the typographic minus of signed changes (report, points)


def is_missing(value) -> bool:
    """None, NaN, ``pd.NA`` or ``pd.NaT``."""
    if value is None:
        return True
    if isinstance(value, str):
        return False
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError, OverflowError):
        return type(value).__name__ in ("NAType", "NaTType")


def to_number(value) -> float | None:
    """``value`` as a finite float, or None (missing, infinite, text, or not a number)."""
    if value is None or isinstance(value, str):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return v if math.isfinite(v) else None


def _is_bool(value) -> bool:
    return isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b"


def _is_integer(value) -> bool:
    return not _is_bool(value) and (
        isinstance(value, numbers.Integral) or getattr(getattr(value, "dtype", None), "kind", "") in ("i", "u")
    )


def _or_missing(fmt):
    """A formatter that prints ``missing`` (default :data:`MISSING`) for a missing value."""

    @functools.wraps(fmt)
    def wrapper(value, *args, missing: str = MISSING, **kwargs) -> str:
        return missing if is_missing(value) else fmt(value, *args, **kwargs)

    return wrapper


@_or_missing
def format_probability(p) -> str:
    """A risk for people: 0.4321 -> '43%', but never '0%' or '100%', which no model can know
    (0.996 -> '>99%', 0.004 -> '<1%')."""
    p = float(p)
    return ">99%" if p > 0.99 else "<1%" if p < 0.01 else f"{100 * p:.0f}%"


@_or_missing
def format_percent(share, digits: int = 0) -> str:
    """A share as a percentage: 0.4321 -> '43%' (``digits`` after the point)."""
    return f"{100 * float(share):.{digits}f}%"


@_or_missing
def format_number(value, digits: int = 3) -> str:
    """A number with a fixed count of digits after the point: 0.12345 -> '0.123'."""
    return f"{float(value):.{digits}f}"


@_or_missing
def format_count(value) -> str:
    """A whole number with thousands separators: 12345 -> '12,345'."""
    return f"{int(value):,}"


@_or_missing
def format_signed(value, digits: int = 2) -> str:
    """A number with its sign always shown: 0.5 -> '+0.50', -0.5 -> '-0.50'."""
    return f"{float(value):+.{digits}f}"


@_or_missing
def format_points(change, digits: int = 1, *, signed: bool = True) -> str:
    """A change of probability in percentage points: 0.052 -> '+5.2 pts' (a typographic minus)."""
    spec = f"+.{digits}f" if signed else f".{digits}f"
    return f"{100 * float(change):{spec}} pts".replace("-", _MINUS)


@_or_missing
def format_cell(value, digits: int = 3) -> str:
    """One cell of a table: missing -> :data:`MISSING`, yes/no, '12,345', '0.123', or the text."""
    if _is_bool(value):
        return "yes" if value else "no"
    if _is_integer(value):
        return format_count(value)
    if isinstance(value, numbers.Real) or getattr(getattr(value, "dtype", None), "kind", "") == "f":
        return format_number(value, digits)
    return str(value)


def format_readable(value, *, signed: bool = False, missing: str = MISSING) -> str:
    """A number as a person would write it: '12', '0.46', '3.5', '120'; text is returned as is.

    Whole numbers have no decimals; otherwise two significant-looking digits: 2 decimals under 1,
    1 decimal under 10, none from 10. ``signed`` puts a '+' before positive numbers.
    """
    if isinstance(value, str):
        return value
    v = to_number(value)
    if v is None:
        return missing
    if abs(v - round(v)) < 1e-9:
        text = f"{round(v):d}"
    elif abs(v) >= 10:
        text = f"{v:.0f}"
    elif abs(v) >= 1:
        text = f"{v:.1f}"
    else:
        text = f"{v:.2f}"
    return "+" + text if signed and v > 0 else text
