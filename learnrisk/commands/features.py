"""``learnrisk features``: build as-of features to a Parquet file, and show the feature catalog."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("features")
    def features_cmd(
        data: Path = typer.Option(None, "--data", help="Canonical Parquet folder, or an OULAD folder or zip."),
        out: Path = typer.Option(None, "--out", help="Parquet file to write (e.g. features.parquet)."),
        weeks: str = typer.Option(None, "--weeks", help="Weekly cutoffs for training, e.g. 1-20 or 1,4,8-10."),
        as_of: str = typer.Option(None, "--as-of", help="A calendar cutoff for scoring, e.g. 2024-03-04 (UTC)."),
        include_sensitive: bool = typer.Option(
            False, "--include-sensitive", help="Add gender, age band, region, ... as model inputs."
        ),
        show_catalog: bool = typer.Option(False, "--catalog", help="Print the feature catalog and exit."),
    ) -> None:
        """Build point-in-time-correct features: one row per enrollment active at each cutoff.

        Give --weeks (course-relative cutoffs, start + 7k days) or --as-of (a date; each running
        course at its own week). Features at a cutoff use only facts strictly before it.
        """
        from rich.console import Console

        from ..errors import LearnriskError
        from ..features import build_features, catalog
        from ._options import parse_date, parse_weeks

        console = Console(stderr=True, highlight=False)
        if show_catalog:
            _print_catalog(catalog(), Console(highlight=False, width=200))
            return
        if data is None:
            raise LearnriskError("give --data DIR, a canonical Parquet folder or an OULAD folder or zip")
        if (weeks is None) == (as_of is None):
            raise LearnriskError("give exactly one of --weeks (e.g. --weeks 1-20) or --as-of (e.g. --as-of 2024-03-04)")
        if out is None:
            raise LearnriskError("give --out FILE.parquet, the file to write the features to")
        if out.suffix.lower() != ".parquet":
            raise LearnriskError(f"--out must be a .parquet file, found {out}")

        from ..data import load_data

        with console.status(f"reading {data}"):
            learning = load_data(data)
        frame = build_features(
            learning,
            weeks=parse_weeks(weeks) if weeks is not None else None,
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


def _print_catalog(cat, console) -> None:
    from rich.table import Table

    table = Table(title="feature catalog", title_justify="left")
    for col in ("name", "group", "unit", "actionable", "sensitive", "description"):
        table.add_column(col, overflow="fold")
    for row in cat.itertuples(index=False):
        table.add_row(row.name, row.group, row.unit, "yes" if row.actionable else "no",
                      "yes" if row.sensitive else "no", row.description)
    console.print(table)
