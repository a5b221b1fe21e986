"""``learnrisk validate``: check learning data against the canonical contract and summarise it."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk.errors import DataValidationError


def validate(
    path: Annotated[Path, typer.Argument(help="Canonical Parquet folder, or an OULAD folder or zip.", show_default=False)],
) -> None:
    """Check learning data against the canonical contract and print a summary.

    Exit code 0 when the data is valid; otherwise every problem found is printed (table,
    column, problem, number of rows, first offending rows) and the exit code is 2.
    """
    from rich.console import Console

    out = Console(highlight=False)
    with _collect_notes() as notes, Console(stderr=True).status(f"reading {path}"):
        try:
            data = learnrisk.load_data(path)
        except DataValidationError as exc:
            out.print(str(exc), markup=False, soft_wrap=True)
            raise
    print_summary(data, path, notes, out)


COMMANDS = {"validate": validate}


def print_summary(data, path, notes: list[str], console) -> None:
    """Rows per table, offerings, learners and outcome counts, with rich tables."""
    from rich.table import Table

    table = Table(title=f"{path}: valid learning data", title_justify="left")
    for col, justify in (("table", "left"), ("rows", "right"), ("from", "left"), ("to", "left")):
        table.add_column(col, justify=justify)
    for name, row in data.summary().iterrows():
        span = [_day(row["from"]), _day(row["to"])]
        table.add_row(name, f"{row['rows']:,}", *span)
    console.print(table)

    c, e = data.courses, data.enrollments
    console.print(
        f"offerings: {len(c):,} (course codes: {c['course_code'].nunique():,}); "
        f"learners: {len(data.learners):,}; enrollments: {len(e):,}"
    )
    counts = e.assign(outcome=e["outcome"].fillna("(running)")).pivot_table(
        index="course_id", columns="outcome", values="learner_id", aggfunc="size", fill_value=0
    )
    outcomes = Table(title="outcomes per offering", title_justify="left")
    outcomes.add_column("offering")
    for col in counts.columns:
        outcomes.add_column(str(col), justify="right")
    shown = counts.head(40)
    for offering, row in shown.iterrows():
        outcomes.add_row(str(offering), *(f"{v:,}" for v in row))
    outcomes.add_row("all", *(f"{v:,}" for v in counts.sum()), style="bold")
    console.print(outcomes)
    if len(counts) > len(shown):
        console.print(f"({len(counts) - len(shown):,} more offerings not shown)")
    for note in notes:
        console.print(f"note: {note}", markup=False, soft_wrap=True)


def _day(value) -> str:
    import pandas as pd

    return "" if pd.isna(value) else str(value.date())


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


@contextlib.contextmanager
def _collect_notes():
    """Collect the readers' log records (rows they adjusted) to print them with the summary."""
    logger = logging.getLogger("learnrisk.data")
    notes: list[str] = []
    handler = _ListHandler(notes)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield notes
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
