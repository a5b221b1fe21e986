"""``learnrisk monitor``: how the published weekly lists did once the outcomes are known.

Reads every ``OUT/<as-of>/risk_list.parquet`` of the period, labels it with the outcomes in
``--data``, prints the figures, writes ``OUT/monitor/<period>/monitor.json`` and ``monitor.html``
and logs one MLflow run for the period (experiment ``learnrisk-monitoring``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._options import DataOpt, TrackingUriOpt


def monitor(
    lists: Annotated[Path, typer.Option("--lists", help="The --out folder of `learnrisk score` (one folder per as-of date).")],
    data: DataOpt,
    from_: Annotated[str | None, typer.Option("--from", help="First as-of date of the period (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last as-of date of the period (YYYY-MM-DD).")] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="dropout, not_passing, underperformance or overdue (default: overdue for an overdue "
                     "model's list, not_passing when the list has an underperformance model, else dropout)."),
    ] = None,
    tracking_uri: TrackingUriOpt = None,
    no_mlflow: Annotated[bool, typer.Option("--no-mlflow", help="Do not log the monitoring run to MLflow.")] = False,
) -> None:
    """Realized precision and recall of past lists, AUC and calibration, churn, missed learners."""
    from learnrisk._format import format_percent
    from learnrisk.monitoring import monitor as run_monitor
    from learnrisk.training import resolve_tracking_uri

    uri = None if no_mlflow else resolve_tracking_uri(tracking_uri)
    res = run_monitor(lists, data, period=(from_, to), target=target, tracking_uri=uri)
    o = res.overall()

    def pct(v: float) -> str:
        return "—" if v != v else format_percent(v)

    def dec(v: float) -> str:
        return "—" if v != v else f"{v:.3f}"

    typer.echo(f"period {res.period}: {o['lists']} lists, {o['lists_with_outcomes']} with outcomes")
    typer.echo(
        f"  at capacity: precision {pct(o['precision_now'])} (95% {pct(o['precision_now_lo'])}–{pct(o['precision_now_hi'])}), "
        f"recall {pct(o['recall_now'])} (95% {pct(o['recall_now_lo'])}–{pct(o['recall_now_hi'])})"
    )
    typer.echo(f"  listed: precision {pct(o['precision_listed'])}, recall {pct(o['recall_listed'])}; "
               f"mean AUC {dec(o['auc'])}, mean ECE {dec(o['ece'])}, churn {pct(o['churn'])}")
    typer.echo(f"  never listed then withdrew or did not pass: {o['missed']}; "
               f"listed 3+ times without action: {o['repeated_without_action']}")
    for note in res.notes:
        typer.echo(f"  note: {note}")
    for name, path in res.paths.items():
        typer.echo(f"wrote {path}")
    if res.run_id:
        typer.echo(f"logged MLflow run {res.run_id} to {uri}")


COMMANDS = {"monitor": monitor}
