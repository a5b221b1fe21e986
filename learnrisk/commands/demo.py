"""``learnrisk demo``: the main job on built-in defaults (what ``make demo`` runs)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        workdir: Path = typer.Option(Path("demo-output"), "--workdir", help="Where data, risk lists and model cards go."),
        tracking_uri: str = typer.Option(None, "--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow store (default sqlite:///mlflow.db here)."),
        learners: int = typer.Option(5000, "--learners", help="Synthetic learners to generate (first run only)."),
        as_of: str = typer.Option("2014-12-01", "--as-of", help="The weekly scoring date."),
    ) -> None:
        """Synthetic data -> trained, registered, promoted models -> this week's risk list and report."""
        from rich.console import Console
        from rich.table import Table

        from .._demo import DemoConfig, run_demo
        from ..scoring._report import format_probability

        console = Console()
        step = {"n": 0}

        def say(msg: str) -> None:
            step["n"] += 1
            console.print(f"[bold cyan]\\[demo][/] {msg}")

        res = run_demo(DemoConfig(workdir=workdir, tracking_uri=tracking_uri, n_learners=learners, as_of=as_of), say=say)
        risk = res["risk_list"]
        top = risk.sort_values(["risk", "course_id", "learner_id"], ascending=[False, True, True]).head(10)
        t = Table(title=f"Top of the risk list as of {as_of} ({len(risk):,} enrollments scored)", show_lines=True)
        for c in ("course", "learner", "risk", "band", "why (top driver)", "recommended action"):
            t.add_column(c)
        for _, r in top.iterrows():
            t.add_row(
                str(r["course_id"]), str(r["learner_id"]), format_probability(r["risk"]), str(r["band"]),
                _first(r.get("drivers")), _first(r.get("interventions")),
            )
        console.print(t)
        folder = res["folder"]
        uri = res["tracking_uri"]
        console.print(f"\n[bold]Risk list[/]   {folder / 'risk_list.csv'}  (and risk_list.parquet, summary.json)")
        console.print(f"[bold]Report[/]      {folder / 'report.html'}  (open it in a browser; it works from disk)")
        console.print(f"[bold]Model cards[/] {workdir / 'models'}")
        console.print(f"[bold]MLflow[/]      {uri}")
        console.print(f"             open the UI with: uv run mlflow ui --backend-store-uri {uri}")
        console.print(f"\ndone in {res['seconds']:.0f} s")


def _first(cell) -> str:
    if cell is None or (isinstance(cell, float) and cell != cell):
        return "—"
    text = str(cell)
    for sep in (" | ", "\n", "; "):
        if sep in text:
            return text.split(sep)[0]
    return text
