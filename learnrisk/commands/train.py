"""``learnrisk train``: train, evaluate, track, register and (through the gate) promote a model.

Exit codes: 0 the model was promoted, or promotion was not asked; 2 a user error (bad data,
options or tracking store); 3 ``--promote`` was asked and the quality gate refused (the model
is still logged and registered; the alias ``champion`` did not move).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk._format import format_count, format_number
from learnrisk.errors import LearnriskError

from ._options import (
    AbrocaBoundOpt,
    DataOpt,
    IncludeSensitiveOpt,
    TestOfferingsOpt,
    TopKOpt,
    TrackingUriOpt,
    WeeksOpt,
)

GATE_REFUSED = 3  # the exit code of a promotion the quality gate refused


def train(
    data: DataOpt,
    target: Annotated[str, typer.Option("--target", help="dropout, underperformance, not_passing or overdue (assigned courses: docs/corporate.md).")] = "dropout",
    weeks: WeeksOpt = "1-20",
    test_offerings: TestOfferingsOpt = None,
    model: Annotated[
        str,
        typer.Option("--model", help="auto (candidates compared across training offerings, docs/training.md), lightgbm or logistic."),
    ] = "auto",
    tracking_uri: TrackingUriOpt = None,
    register_name: Annotated[str | None, typer.Option("--register", help="Register the model under this name.")] = None,
    promote: Annotated[
        bool,
        typer.Option(
            "--promote",
            help="Set the alias 'champion' if the quality gate passes (needs --register); "
            f"a refusal exits with code {GATE_REFUSED}.",
        ),
    ] = False,
    include_sensitive: IncludeSensitiveOpt = False,
    top_k: TopKOpt = 20,
    abroca_bound: AbrocaBoundOpt = 0.05,
    fail_threshold: Annotated[
        float | None,
        typer.Option("--fail-threshold", help="Underperformance: final score under this counts as a positive."),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option("--save", help="Also save the RiskModel to this folder (no MLflow needed to load it)."),
    ] = None,
    card: Annotated[Path | None, typer.Option("--card", help="Also write the model card to this Markdown file.")] = None,
    no_mlflow: Annotated[bool, typer.Option("--no-mlflow", help="Do not log to MLflow.")] = False,
) -> None:
    """Train a risk model with a temporal split and print the per-week evaluation.

    Exit codes: 0 done (promoted, or promotion not asked), 2 user error, 3 the gate refused a --promote.
    """
    from rich.console import Console

    if promote and (not register_name or no_mlflow):
        raise LearnriskError("--promote needs --register NAME and MLflow (no --no-mlflow)")

    console = Console(stderr=True)
    with console.status("reading data") as status:
        d = learnrisk.load_data(data)
        m, report = learnrisk.train(
            d,
            target,
            weeks=weeks,
            test_offerings=test_offerings,
            model=model,
            include_sensitive=include_sensitive,
            top_k=top_k,
            fail_threshold=fail_threshold,
            abroca_bound=abroca_bound,
            progress=lambda msg: status.update(msg),
        )
        text = learnrisk.training.model_card(m, report, name=register_name)
        tracked = None
        if not no_mlflow:
            status.update("logging to MLflow")
            tracked = learnrisk.training.log_run(
                m, report, data=d, tracking_uri=tracking_uri, register=register_name, promote=promote, card=text
            )
    print_report(report)
    if save:
        m.save(save)
        typer.echo(f"saved the model to {save}")
    if card:
        Path(card).write_text(text)
        typer.echo(f"wrote the model card to {card}")
    if tracked:
        typer.echo(f"MLflow run {tracked.run_id} in {tracked.tracking_uri} (experiment {tracked.experiment})")
        if tracked.version:
            typer.echo(f"registered {tracked.name} version {tracked.version}")
            typer.echo(str(tracked.gate))
            if promote and tracked.promoted:
                typer.echo(f"promoted: {tracked.name}@champion -> version {tracked.version}")
            elif promote:
                typer.echo(
                    f"not promoted: the quality gate failed ({tracked.gate.why_not()}); "
                    f"the champion alias did not move (exit code {GATE_REFUSED})"
                )
                raise typer.Exit(GATE_REFUSED)


COMMANDS = {"train": train}


def print_report(report) -> None:
    """The per-week table of an evaluation report, printed with rich."""
    from rich.console import Console
    from rich.table import Table

    s = report.summary
    t = Table(title=f"{report.target}: test on {', '.join(report.test_offerings)}", header_style="bold")
    cols = [c for c in ("n", "base_rate", "auc", "auc_logistic", "auc_rule", "auc_oracle", "auc_vs_oracle", "pr_auc", "brier", "ece", "precision_at_k", "recall_at_k") if c in s]
    t.add_column("week", justify="right")
    for c in cols:
        t.add_column(c, justify="right")
    for week, row in s.iterrows():
        t.add_row(str(week), *(format_count(row[c]) if c == "n" else format_number(row[c]) for c in cols))
    console = Console()
    if not console.is_terminal:  # a log file gets every column, not an 80-character cut
        console = Console(width=220)
    console.print(t)
