"""``learnrisk features``: build as-of features to a Parquet file, and show the feature catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk.errors import FeatureSpecError, LearnriskError

from ._options import (
    AsOfOpt,
    DataOpt,
    DaysOpt,
    EngineOpt,
    IncludeSensitiveOpt,
    MasterOpt,
    MaxEventsOpt,
    OutOpt,
    WeeksOpt,
    parse_date,
    parse_engine,
)

ActivityFamiliesOpt = Annotated[
    Path | None,
    typer.Option(
        "--activity-families",
        metavar="FILE.yaml",
        help="YAML map of activity types to families (content, forum, quiz, other), e.g. 'video: content'; "
        "its entries win over the default patterns.",
    ),
]


def features(
    data: DataOpt = None,
    out: OutOpt = None,
    weeks: WeeksOpt = None,
    days: DaysOpt = None,
    as_of: AsOfOpt = None,
    include_sensitive: IncludeSensitiveOpt = False,
    activity_families: ActivityFamiliesOpt = None,
    show_catalog: Annotated[bool, typer.Option("--catalog", help="Print the feature catalog and exit.")] = False,
    engine: EngineOpt = "pandas",
    master: MasterOpt = None,
    max_events: MaxEventsOpt = None,
) -> None:
    """Build point-in-time-correct features to a Parquet file (--out FILE.parquet).

    Give --weeks (start + 7k days), --days (start + d days: each offering at its own day)
    or --as-of (a date; each running course at its own week). Features at a cutoff use only
    facts strictly before it.
    """
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    if show_catalog:
        _print_catalog(learnrisk.features.catalog(), Console(highlight=False, width=200))
        return
    if data is None:
        raise LearnriskError("give --data DIR, a canonical Parquet folder or an OULAD folder or zip")
    if sum(x is not None for x in (weeks, days, as_of)) != 1:
        raise LearnriskError(
            "give exactly one of --weeks (e.g. --weeks 1-20), --days (e.g. --days 30) or --as-of (e.g. --as-of 2024-03-04)"
        )
    if out is None:
        raise LearnriskError("give --out FILE.parquet, the file to write the features to")
    if out.suffix.lower() != ".parquet":
        raise LearnriskError(f"--out must be a .parquet file, found {out}")
    families = _read_activity_families(activity_families) if activity_families is not None else None
    cutoffs = dict(weeks=weeks, days=days, as_of=parse_date(as_of) if as_of is not None else None)
    if parse_engine(engine, master, data) != "pandas":
        if include_sensitive:
            raise LearnriskError(f"--include-sensitive is not supported by --engine {engine}; use --engine pandas")
        rows = _write_features_by_engine(data, out, engine, master, max_events, cutoffs, families)
        console.print(f"wrote {out}: {rows:,} rows (--engine {engine})")
        return

    with console.status(f"reading {data}"):
        learning = learnrisk.load_data(data)
    frame = learnrisk.build_features(
        learning,
        weeks=weeks,
        days=days,
        as_of=parse_date(as_of) if as_of is not None else None,
        include_sensitive=include_sensitive,
        activity_families=families,
        progress=True,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(out)
    n_feat = frame.shape[1] - 4 + 1
    span = f"weeks {frame['week'].min() if len(frame) else '-'}-{frame['week'].max() if len(frame) else '-'}"
    if days is not None:
        span = f"days {','.join(str(d) for d in sorted(set(days)))}"
    console.print(f"wrote {out}: {len(frame):,} rows ({frame['course_id'].nunique():,} offerings, {span}), {n_feat} features")


def _write_features_by_engine(data, out, engine, master, max_events, cutoffs, families) -> int:
    """Features by ``--engine stream`` (one Parquet file, written a batch of offerings at a time)
    or ``spark`` (a folder of Parquet part files named ``--out``); the number of rows."""
    limit = {} if max_events is None else {"max_events": max_events}
    if engine == "stream":
        from learnrisk.features import write_features_by_offering

        return write_features_by_offering(data, out, **cutoffs, activity_families=families, **limit)
    from learnrisk import spark as lrs

    session = lrs.spark_session(master)
    feats = lrs.build_features_spark(lrs.read_tables(session, data), **cutoffs, activity_families=families, **limit)
    lrs.write_features(feats, out)
    import pandas as pd

    return len(pd.read_parquet(out, columns=["week"]))


COMMANDS = {"features": features}


def _read_activity_families(path: Path) -> dict:
    """The ``--activity-families`` file: a YAML mapping of activity type to family name.

    An unknown family is an error naming the allowed ones.
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LearnriskError(f"cannot read --activity-families {path}: {exc}") from None
    try:
        mapping = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        raise LearnriskError(f"--activity-families {path} is not valid YAML{at}") from None
    if not isinstance(mapping, dict) or not mapping:
        raise LearnriskError(
            f"--activity-families {path} must map activity types to families, one a line, e.g. 'video: content'"
        )
    mapping = {str(k): v for k, v in mapping.items()}
    try:
        learnrisk.features.family_of([], mapping)  # checks the family names
    except FeatureSpecError as exc:
        raise LearnriskError(f"--activity-families {path}: {str(exc).removeprefix('activity_families: ')}") from None
    return mapping


def _print_catalog(cat, console) -> None:
    from rich.table import Table

    table = Table(title="feature catalog", title_justify="left")
    for col in ("name", "group", "unit", "actionable", "sensitive", "description"):
        table.add_column(col, overflow="fold")
    for row in cat.itertuples(index=False):
        table.add_row(row.name, row.group, row.unit, "yes" if row.actionable else "no",
                      "yes" if row.sensitive else "no", row.description)
    console.print(table)
