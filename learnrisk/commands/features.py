"""``learnrisk features``: build as-of features to a Parquet file, and show the feature catalog."""

from __future__ import annotations

from typing import Annotated

import typer

import learnrisk
from learnrisk.errors import LearnriskError

from ._options import AsOfOpt, DataOpt, IncludeSensitiveOpt, OutOpt, WeeksOpt, parse_date


def features(
    data: DataOpt = None,
    out: OutOpt = None,
    weeks: WeeksOpt = None,
    as_of: AsOfOpt = None,
    include_sensitive: IncludeSensitiveOpt = False,
    show_catalog: Annotated[bool, typer.Option("--catalog", help="Print the feature catalog and exit.")] = False,
) -> None:
    """Build point-in-time-correct features to a Parquet file (--out FILE.parquet).

    Give --weeks (course-relative cutoffs, start + 7k days) or --as-of (a date; each running
    course at its own week). Features at a cutoff use only facts strictly before it.
    """
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    if show_catalog:
        _print_catalog(learnrisk.features.catalog(), Console(highlight=False, width=200))
        return
    if data is None:
        raise LearnriskError("give --data DIR, a canonical Parquet folder or an OULAD folder or zip")
    if (weeks is None) == (as_of is None):
        raise LearnriskError("give exactly one of --weeks (e.g. --weeks 1-20) or --as-of (e.g. --as-of 2024-03-04)")
    if out is None:
        raise LearnriskError("give --out FILE.parquet, the file to write the features to")
    if out.suffix.lower() != ".parquet":
        raise LearnriskError(f"--out must be a .parquet file, found {out}")

    with console.status(f"reading {data}"):
        learning = learnrisk.load_data(data)
    frame = learnrisk.build_features(
        learning,
        weeks=weeks,
        as_of=parse_date(as_of) if as_of is not None else None,
        include_sensitive=include_sensitive,
        progress=True,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(out)
    n_feat = frame.shape[1] - 4 + 1
    console.print(
        f"wrote {out}: {len(frame):,} rows ({frame['course_id'].nunique():,} offerings, "
        f"weeks {frame['week'].min() if len(frame) else '-'}-{frame['week'].max() if len(frame) else '-'}), "
        f"{n_feat} features"
    )


COMMANDS = {"features": features}


def _print_catalog(cat, console) -> None:
    from rich.table import Table

    table = Table(title="feature catalog", title_justify="left")
    for col in ("name", "group", "unit", "actionable", "sensitive", "description"):
        table.add_column(col, overflow="fold")
    for row in cat.itertuples(index=False):
        table.add_row(row.name, row.group, row.unit, "yes" if row.actionable else "no",
                      "yes" if row.sensitive else "no", row.description)
    console.print(table)
