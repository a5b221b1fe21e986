"""``learnrisk train``: train, evaluate, track, register and (through the gate) promote a model."""

from __future__ import annotations

from pathlib import Path

import typer

from ._options import parse_list, parse_weeks


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train_cmd(
        data: Path = typer.Option(..., "--data", help="Canonical Parquet folder, or an OULAD folder or zip."),
        target: str = typer.Option("dropout", "--target", help="dropout or underperformance."),
        weeks: str = typer.Option("1-20", "--weeks", help="Cutoff weeks, e.g. 1-20 or 2,4,8."),
        test_offerings: str = typer.Option(None, "--test-offerings", help="Comma-separated test offerings (default: latest of each course code)."),
        model: str = typer.Option("lightgbm", "--model", help="lightgbm or logistic."),
        tracking_uri: str = typer.Option(None, "--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow tracking URI (default sqlite:///mlflow.db)."),
        register_name: str = typer.Option(None, "--register", help="Register the model under this name."),
        promote: bool = typer.Option(False, "--promote", help="Set the alias 'champion' if the quality gate passes."),
        include_sensitive: bool = typer.Option(False, "--include-sensitive", help="Allow sensitive attributes as features (the model card says so)."),
        top_k: int = typer.Option(20, "--top-k", help="Advisor capacity per offering and week for precision/recall at k."),
        abroca_bound: float = typer.Option(0.05, "--abroca-bound", help="Fairness: ABROCA above this (beyond chance) is flagged and shown by the gate."),
        fail_threshold: float = typer.Option(None, "--fail-threshold", help="Underperformance: final score under this counts as a positive."),
        save: Path = typer.Option(None, "--save", help="Also save the RiskModel to this folder (no MLflow needed to load it)."),
        card: Path = typer.Option(None, "--card", help="Also write the model card to this Markdown file."),
        no_mlflow: bool = typer.Option(False, "--no-mlflow", help="Do not log to MLflow."),
    ) -> None:
        """Train a risk model with a temporal split and print the per-week evaluation."""
        from rich.console import Console

        from .. import load_data
        from ..training import log_run, model_card, train

        console = Console(stderr=True)
        with console.status("reading data") as status:
            d = load_data(data)
            m, report = train(
                d,
                target,
                weeks=parse_weeks(weeks),
                test_offerings=parse_list(test_offerings),
                model=model,
                include_sensitive=include_sensitive,
                top_k=top_k,
                fail_threshold=fail_threshold,
                abroca_bound=abroca_bound,
                progress=lambda msg: status.update(msg),
            )
            text = model_card(m, report, name=register_name)
            tracked = None
            if not no_mlflow:
                status.update("logging to MLflow")
                tracked = log_run(m, report, data=d, tracking_uri=tracking_uri, register=register_name, promote=promote, card=text)
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
                if promote:
                    typer.echo(
                        f"promoted: {tracked.name}@champion -> version {tracked.version}"
                        if tracked.promoted
                        else "not promoted: the quality gate failed (reasons above); the champion alias did not move"
                    )


def print_report(report) -> None:
    """The per-week table of an evaluation report, printed with rich."""
    import math

    from rich.console import Console
    from rich.table import Table

    s = report.summary
    t = Table(title=f"{report.target}: test on {', '.join(report.test_offerings)}", header_style="bold")
    cols = [c for c in ("n", "base_rate", "auc", "auc_logistic", "auc_rule", "auc_oracle", "auc_vs_oracle", "pr_auc", "brier", "ece", "precision_at_k", "recall_at_k") if c in s]
    t.add_column("week", justify="right")
    for c in cols:
        t.add_column(c, justify="right")
    for week, row in s.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            cells.append("—" if v is None or (isinstance(v, float) and math.isnan(v)) else (f"{int(v):,}" if c == "n" else f"{v:.3f}"))
        t.add_row(str(week), *cells)
    console = Console()
    if not console.is_terminal:  # a log file gets every column, not an 80-character cut
        console = Console(width=220)
    console.print(t)
