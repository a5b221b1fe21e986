"""``learnrisk fairness``: audit a model per group of each sensitive attribute and print the tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk._format import format_cell

from ._options import (
    AbrocaBoundOpt,
    DataOpt,
    GroupsOpt,
    ModelOpt,
    TestOfferingsOpt,
    TrackingUriOpt,
    TrustPickleOpt,
    WeeksOpt,
)


def fairness(
    model: ModelOpt,
    data: DataOpt,
    weeks: WeeksOpt = "1-20",
    groups: GroupsOpt = None,
    test_offerings: TestOfferingsOpt = None,
    top_frac: Annotated[
        float, typer.Option("--top-frac", help="Operating decision: top share of each offering's list each week.")
    ] = 0.1,
    min_group_size: Annotated[
        int, typer.Option("--min-group-size", help="Groups with fewer enrollments are reported as too small.")
    ] = 30,
    abroca_bound: AbrocaBoundOpt = 0.05,
    permutations: Annotated[
        int, typer.Option("--permutations", help="Shuffles for the permutation tests (0: the bounds alone decide).")
    ] = 400,
    tracking_uri: TrackingUriOpt = None,
    trust_pickle: TrustPickleOpt = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the audit as Markdown (for a model card) to this file.")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the audit as JSON to this file.")] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Also write one ROC plot per attribute (PNG) into this folder.")
    ] = None,
    fail_on_flag: Annotated[
        bool, typer.Option("--fail-on-flag", help="Exit with code 1 when the audit raises a flag.")
    ] = False,
) -> None:
    """Audit a model: per-group AUC, calibration, selection and error rates, gaps and ABROCA.

    Give the data of finished offerings (the audit needs outcomes).
    """
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("loading the model") as status:
        m = learnrisk.load_model(model, tracking_uri=tracking_uri, trust_pickle=trust_pickle)
        status.update("reading data")
        d = learnrisk.load_data(data)
        status.update(f"auditing {m.target} model (features, scores, {permutations} shuffles per attribute)")
        report = learnrisk.fairness.audit(
            m,
            d,
            groups=groups,
            weeks=weeks,
            test_offerings=test_offerings,
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


COMMANDS = {"fairness": fairness}


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
            format_cell(row.abroca), format_cell(row.null_q95), format_cell(row.p_adjusted), format_cell(row.reference),
            format_cell(row.group), format_cell(int(row.n_groups)), format_cell(sel.loc[row.attribute, "ratio"] if row.attribute in sel.index else None),
        )
    console.print(t)
    g = Table(title="Per group, weeks pooled (rates at the operating decision)", header_style="bold")
    cols = ["attribute", "group", "status", "n_enrollments", "base_rate", "roc_auc", "ece", "selection_rate", "fnr", "fpr"]
    for col in cols:
        g.add_column(col.replace("n_enrollments", "enrollments"), justify="left" if col in cols[:3] else "right")
    for row in report.summary[cols].itertuples(index=False):
        g.add_row(*(format_cell(v) for v in row))
    console.print(g)
    if report.flags:
        console.print("[bold red]Flags[/]")
        for f in report.flags:
            console.print(f"  ! {f}", highlight=False)
    else:
        console.print("No flags: no attribute's ABROCA or selection-rate ratio is past its bound beyond chance.")
    for w in report.warnings:
        console.print(f"  - {w}", highlight=False, style="dim")
