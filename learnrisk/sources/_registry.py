"""The readers and writers of each platform format, by the name ``learnrisk import --from`` takes.

A reader is ``read(source, *, report, mapping=None, **options) -> LearningData`` (``source`` a
path, a URL or a database URL; ``report`` an :class:`ImportReport` it fills); a writer is
``write(data, out, **options) -> list[Path]``, used by ``learnrisk synth --format`` so that
every reader has a round trip. Each format module registers itself here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._frames import ImportReport

READERS: dict[str, Callable[..., Any]] = {}
WRITERS: dict[str, Callable[..., list[Path]]] = {}
FILES: dict[str, tuple[str, ...]] = {}  # the names a writer writes in its folder (synth --out checks)


def register(
    kind: str,
    *,
    reader: Callable[..., Any] | None = None,
    writer: Callable[..., list[Path]] | None = None,
    files: tuple[str, ...] = (),
) -> None:
    """Make format ``kind`` known to ``learnrisk import --from`` (reader) and ``learnrisk synth
    --format`` (writer, writing ``files`` into its folder)."""
    if reader is not None:
        READERS[kind] = reader
    if writer is not None:
        WRITERS[kind] = writer
        FILES[kind] = tuple(files)


def _known(kind: str, table: dict, what: str) -> Callable:
    if kind not in table:
        raise ConfigError(f"unknown {what} {kind!r}; known: {', '.join(sorted(table)) or '(none)'}")
    return table[kind]


def read(kind: str, source, *, report: ImportReport | None = None, mapping=None, **options):
    """Read a platform export of format ``kind`` into LearningData (``report`` filled in place)."""
    reader = _known(kind, READERS, "source format")
    report = report if report is not None else ImportReport(kind)
    return reader(source, report=report, mapping=mapping, **options)


def write(kind: str, data, out, **options) -> list[Path]:
    """Write LearningData as a platform export of format ``kind`` into ``out``."""
    return _known(kind, WRITERS, "output format")(data, Path(out), **options)
