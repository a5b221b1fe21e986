"""``learnrisk fairness``: audit a model per group of each sensitive attribute and print the tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer

from ._options import parse_list, parse_weeks


def register(app: typer.Typer) -> None:
    @app.command("fairness")
    def fairness_cmd(
        model: str = typer.Option(..., "--model", help="models:/NAME@champion, models:/NAME/3, runs:/ID/model, or a saved model folder."),
        data: Path = typer.Option(..., "--data", help="Canonical Parquet folder, or an OULAD folder or zip (finished offerings)."),
        weeks: str = typer.Option("1-20", "--weeks", help="Cutoff weeks, e.g. 1-20 or 2,4,8."),
        groups: str = typer.Option(None, "--groups", help="Comma-separated attributes (default: every sensitive attribute present)."),
        test_offerings: str = typer.Option(None, "--test-offerings", help="Offerings to audit (default: the model's test offerings)."),
        top_frac: float = typer.Option(0.1, "--top-frac", help="Operating decision: top share of each offering's list each week."),
        min_group_size: int = typer.Option(30, "--min-group-size", help="Groups with fewer enrollments are reported as too small."),
        abroca_bound: float = typer.Option(0.05, "--abroca-bound", help="Flag an attribute whose ABROCA exceeds this (beyond chance)."),
        permutations: int = typer.Option(400, "--permutations", help="Shuffles for the permutation tests (0: the bounds alone decide)."),
        tracking_uri: str = typer.Option(None, "--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow tracking URI for models:/ and runs:/ URIs."),
        markdown: Path = typer.Option(None, "--markdown", help="Also write the audit as Markdown (for a model card) to this file."),
        json_out: Path = typer.Option(None, "--json", help="Also write the audit as JSON to this file."),
        plots: Path = typer.Option(None, "--plots", help="Also write one ROC plot per attribute (PNG) into this folder."),
        fail_on_flag: bool = typer.Option(False, "--fail-on-flag", help="Exit with code 1 when the audit raises a flag."),
    ) -> None:
        """Audit a model: per-group AUC, calibration, selection and error rates, gaps and ABROCA."""
        from rich.console import Console

        from .. import load_data, load_model
        from ..fairness import audit

        console = Console(stderr=True)
        with console.status("loading the model") as status:
            m = load_model(model, tracking_uri=tracking_uri)
            status.update("reading data")
            d = load_data(data)
            status.update(f"auditing {m.target} model (features, scores, {permutations} shuffles per attribute)")
            report = audit(
                m,
                d,
                groups=parse_list(groups),
                weeks=parse_weeks(weeks),
                test_offerings=parse_list(test_offerings),
                top_frac=top_frac,
                min_group_size=min_group_size,
                abroca_bound=abroca_bound,
                n_permutations=permutations,
            )
        print_audit(report)
        if markdown:
            Path(markdown).write_text(report.to_markdown(weeks=True, title="# Fairness audit"))
            typer.echo(f"wrote the audit to {markdown}")
        if json_out:
            Path(json_out).write_text(json.dumps(report.to_dict(), indent=2, allow_nan=False))
            typer.echo(f"wrote the audit to {json_out}")
        if plots:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            Path(plots).mkdir(parents=True, exist_ok=True)
            pooled = report.abroca[report.abroca["week"] == "all"]
            for attribute in pooled.loc[pooled["n_groups"] >= 2, "attribute"]:
                fig = report.plot_roc(attribute)
                fig.savefig(Path(plots) / f"roc_{attribute}.png", dpi=110)
                plt.close(fig)
            typer.echo(f"wrote ROC plots to {plots}")
        if fail_on_flag and report.flags:
            raise typer.Exit(1)


def _cell(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_audit(report) -> None:
    """The audit's tables (ABROCA per attribute, per-group metrics), flags and notes, with rich."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # a log file gets every column, not an 80-character cut
        console = Console(width=200)
    p = report.params
    pooled = report.abroca[report.abroca["week"] == "all"]
    t = Table(title=f"ABROCA per attribute, weeks {p['weeks'][0]}-{p['weeks'][-1]} pooled "
                    f"({p['n_enrollments']:,} enrollments, {p['n_rows']:,} enrollment-weeks)", header_style="bold")
    for col in ("attribute", "ABROCA", "chance 95 %", "p (adj.)", "reference", "farthest", "groups", "selection ratio"):
        t.add_column(col, justify="left" if col in ("attribute", "reference", "farthest") else "right")
    sel = report.gaps[(report.gaps["week"] == "all") & (report.gaps["metric"] == "selection_rate")].set_index("attribute")
    for row in pooled.itertuples(index=False):
        flagged = row.attribute in report.flagged or row.attribute in report.flagged_selection
        t.add_row(
            f"[bold red]{row.attribute}[/]" if flagged else row.attribute,
            _cell(row.abroca), _cell(row.null_q95), _cell(row.p_adjusted), _cell(row.reference),
            _cell(row.group), _cell(int(row.n_groups)), _cell(sel.loc[row.attribute, "ratio"] if row.attribute in sel.index else None),
        )
    console.print(t)
    g = Table(title="Per group, weeks pooled (rates at the operating decision)", header_style="bold")
    cols = ["attribute", "group", "status", "n_enrollments", "base_rate", "roc_auc", "ece", "selection_rate", "fnr", "fpr"]
    for col in cols:
        g.add_column(col.replace("n_enrollments", "enrollments"), justify="left" if col in cols[:3] else "right")
    for row in report.summary[cols].itertuples(index=False):
        g.add_row(*(_cell(v.item() if hasattr(v, "item") else v) for v in row))
    console.print(g)
    if report.flags:
        console.print("[bold red]Flags[/]")
        for f in report.flags:
            console.print(f"  ! {f}", highlight=False)
    else:
        console.print("No flags: no attribute's ABROCA or selection-rate ratio is past its bound beyond chance.")
    for w in report.warnings:
        console.print(f"  - {w}", highlight=False, style="dim")
