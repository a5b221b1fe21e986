"""Data in from the platforms institutions run: one's own frames, a CSV with a column map,
xAPI statements (files or a live LRS), Caliper events, Moodle (database or exports), Canvas
Data 2 tables and Open edX tracking logs.

Every reader returns :class:`~learnrisk.data.LearningData` through :func:`from_frames`, which owns
the rules shared by all (events summed into activity, derived enrollments and course dates, what
is dropped and why), and fills an :class:`ImportReport`. ``learnrisk import --from KIND`` writes
the canonical Parquet folder and prints the report; ``learnrisk synth --format KIND`` writes the
synthetic data in the platform's format (a round trip for every reader). ``docs/data.md`` has one
section per source.
"""

from __future__ import annotations

from ._frames import EVENT_COLUMNS, ImportReport, events_to_activity, from_frames
from ._registry import FILES, READERS, WRITERS, read, register, write

from . import canvas, csv_mapped, edx, moodle  # noqa: F401  (each registers its reader and writer)
from .csv_mapped import read_csv

__all__ = ["EVENT_COLUMNS", "FILES", "READERS", "WRITERS", "ImportReport", "events_to_activity", "from_frames", "read", "read_csv", "register", "write"]
