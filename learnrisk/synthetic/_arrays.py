"""Small array helpers shared by the generator's modules (flat ranges, fast string columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..timeline import from_ns


def ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten the integer ranges ``lo[i] .. hi[i] - 1``: (owner index, value) per element.

    >>> ranges(np.array([0, 5]), np.array([2, 8]))
    (array([0, 0, 1, 1, 1], dtype=int32), array([0, 1, 5, 6, 7], dtype=int32))
    """
    count = np.maximum(hi - lo, 0)
    total = int(count.sum())
    kind = np.int32 if total < 2**31 and len(lo) < 2**31 else np.int64
    owner = np.repeat(np.arange(len(lo), dtype=kind), count)
    starts = np.cumsum(count) - count
    value = np.arange(total, dtype=kind) - np.repeat((starts - lo).astype(kind), count)
    return owner, value


def strings(dictionary, codes: np.ndarray) -> pd.Series:
    """A ``str`` Series of ``dictionary[codes]``, fast on ten million rows.

    When every value of ``dictionary`` is ASCII of one width (ids like ``L000123``), the
    Arrow buffers are built directly from a fixed-width NumPy gather; otherwise Arrow's take.
    """
    values = [str(v) for v in dictionary]
    widths = {len(v) for v in values}
    if len(widths) == 1 and all(v.isascii() for v in values) and 0 not in widths:
        w = widths.pop()
        data = np.array(values, dtype=f"S{w}")[codes]
        offsets = np.arange(0, (len(data) + 1) * w, w, dtype=np.int64)
        arr = pa.Array.from_buffers(pa.large_string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    else:
        arr = pa.array(values, type=pa.large_string()).take(pa.array(codes))
    return pd.Series(arr, dtype="str")


def times(ns: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps from nanoseconds since the epoch (:func:`learnrisk.timeline.from_ns`)."""
    return from_ns(ns)
