"""``learnrisk import``: read a platform's export (a mapped CSV, xAPI, Caliper, Moodle, Canvas
Data 2, Open edX) and write a canonical Parquet folder, printing what was mapped and what was
dropped and why. A record that cannot be read at all is one line naming it, exit 2, and nothing
is written. ``--out`` is replaced whole, so a folder holding other files is refused unless
``--force``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._options import OutOpt, check_out

SOURCE_KINDS = ("csv", "xapi", "caliper", "moodle", "canvas", "edx")
REPORT = "import-report.json"


def _options(pairs: list[str]) -> dict[str, str]:
    from learnrisk.errors import ConfigError

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option takes key=value, found {pair!r}")
        out[key.strip().replace("-", "_")] = value
    return out


def import_(
    source: Annotated[
        str,
        typer.Argument(help="What to read: a file or folder of the export, an LRS URL (xapi) or a database URL (moodle).", show_default=False),
    ],
    kind: Annotated[str, typer.Option("--from", help="The source format: " + ", ".join(SOURCE_KINDS) + ".", show_default=False)],
    out: OutOpt,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping file (YAML): columns, value maps, time formats, verbs... (docs/data.md).")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="A reader option key=value (docs/data.md lists them per source); repeatable.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder holding other files (they are lost: the folder is replaced whole).")
    ] = False,
) -> None:
    """Read a platform export and write a canonical Parquet folder (docs/data.md).

    Examples: ``learnrisk import --from xapi statements.jsonl --out data/``;
    ``learnrisk import --from csv events.csv --mapping mapping.yaml --out data/``.
    """
    from learnrisk import sources
    from learnrisk.data import OPTIONAL_TABLES, TABLES

    check_out(out, {f"{t}.parquet" for t in (*TABLES, *OPTIONAL_TABLES)} | {REPORT}, force, "import")
    report = sources.ImportReport(kind)
    data = sources.read(kind, source, report=report, mapping=mapping, **_options(option or []))
    folder = data.to_parquet(out)
    (folder / REPORT).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    for line in report.lines():
        typer.echo(line)
    typer.echo(f"wrote {folder}")


COMMANDS = {"import": import_}
