"""``learnrisk score``: the weekly job: risk lists and an advisor report for one as-of date.

Errors the user can fix (bad data, a missing model, a tracking server that does not answer, an
as-of date outside every offering, an existing as-of folder without ``--force``, a second run
on the same OUT, an OUT that cannot be written: a file, a dangling link, read-only, a full disk)
become one line on standard error and exit code 2 (``learnrisk/cli.py``), and
OUT is left as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk.errors import ScoringError

from ._options import (
    AsOfOpt,
    ByOpt,
    CapacityOpt,
    CaseloadOpt,
    DataOpt,
    EngineOpt,
    InterventionsOpt,
    MasterOpt,
    MaxEventsOpt,
    ModelOpt,
    OutOpt,
    TopKOpt,
    TrackingUriOpt,
    TrustPickleOpt,
    parse_engine,
)

STEPS = {
    "load_data": "reading data",
    "load_models": "loading models",
    "features": "building features as of the date",
    "predict": "scoring",
    "explain": "explaining the listed learners",
    "lock": "locking the output folder",
    "compare": "comparing with the previous list",
    "report": "writing the report",
    "write": "writing files",
    "publish": "publishing the as-of folder",
}
DEFAULT_MODEL = "models:/learnrisk-dropout@champion"


def parse_bands(text: str) -> str | tuple[float, float]:
    """``capacity``, ``model``, or ``HIGH,MEDIUM`` probability thresholds (``0.5,0.25``, the default)."""
    text = text.strip()
    if text in ("capacity", "model"):
        return text
    try:
        high, medium = (float(x) for x in text.split(","))
    except ValueError:
        raise ScoringError(f"--bands {text!r}: use capacity, model, or two thresholds like 0.5,0.25") from None
    return (high, medium)


def score(
    data: DataOpt,
    as_of: AsOfOpt,
    model: ModelOpt = DEFAULT_MODEL,
    underperformance_model: Annotated[
        str | None,
        typer.Option(
            "--underperformance-model",
            help="Underperformance model (same forms as --model); without it the risk is p_dropout.",
        ),
    ] = None,
    out: OutOpt = Path("risk-lists"),
    top_k: TopKOpt = 20,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing OUT/<as-of>/ (atomically).")] = False,
    bands: Annotated[
        str,
        typer.Option(
            "--bands",
            help="HIGH,MEDIUM calibrated probability thresholds, model (thresholds of the model card), "
            "or capacity (by rank: top-k per course high).",
        ),
    ] = "0.5,0.25",
    by: ByOpt = "course",
    caseload: CaseloadOpt = None,
    capacity: CapacityOpt = None,
    interventions: InterventionsOpt = None,
    tracking_uri: TrackingUriOpt = None,
    trust_pickle: TrustPickleOpt = False,
    holdout: Annotated[
        float,
        typer.Option(
            "--holdout",
            help="Share (0-0.5) of listed learners kept out of the advisors' list by a hash of learner, course "
            "and salt, written to holdout.csv: a randomized evaluation the institution must approve (docs/impact.md).",
        ),
    ] = 0.0,
    holdout_salt: Annotated[
        str, typer.Option("--holdout-salt", help="Salt of the hold-out draw; keep it for the whole offering.")
    ] = "learnrisk-holdout",
    engine: EngineOpt = "pandas",
    master: MasterOpt = None,
    max_events: MaxEventsOpt = None,
) -> None:
    """Score every active enrollment of the running offerings and write the weekly risk list."""
    parse_engine(engine, master, data)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    band_rule = parse_bands(bands)
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=len(STEPS))
        seen: list[str] = []

        def on_step(name: str) -> None:
            if seen:
                progress.advance(task)
            seen.append(name)
            progress.update(task, description=STEPS.get(name, name))

        result = learnrisk.score(
            _source(data, engine, master, max_events),
            as_of,
            model,
            underperformance_model,
            out=out,
            top_k=top_k,
            force=force,
            interventions=interventions,
            bands=band_rule,
            by=by,
            caseload=caseload,
            capacity=capacity,
            tracking_uri=tracking_uri,
            on_step=on_step,
            trust_pickle=trust_pickle,
            holdout=holdout,
            holdout_salt=holdout_salt,
        )
        progress.update(task, completed=len(STEPS))
    s = result.summary
    total = s["counts"]["total"]
    typer.echo(
        f"scored {total['enrollments']:,} enrollments in {len(s['counts']['courses'])} running offerings "
        f"as of {s['as_of']}: {total['high']} high, {total['medium']} medium, {total['low']} low, "
        f"{total.get('contact_now', 0)} to contact now "
        f"({s['timings']['total']:.1f} s)"
    )
    for target, m in s["models"].items():
        if m.get("status") not in (None, "champion"):
            typer.echo(f"warning: the {target} model {m['label']} is used", err=True)
    for w in s.get("data_warnings") or []:
        typer.echo(f"warning: data: {w.get('message', w) if isinstance(w, dict) else w}", err=True)
    if s.get("drift_sentence"):
        typer.echo(f"warning: data drift: {s['drift_sentence']}", err=True)
    if s.get("caseloads"):
        typer.echo(f"caseloads of {len(s['caseloads'])} advisors in {result.folder}/caseload/")
    if s.get("holdout", {}).get("share"):
        typer.echo(f"held out {s['holdout']['held_out']} listed learners ({s['holdout']['share']:.0%}) in holdout.csv")
    managers = [n for n in result.paths if n.startswith("manager/")]
    if managers:  # an overdue model on corporate data (docs/corporate.md)
        typer.echo(f"pages of {len(managers)} managers in {result.folder}/manager/")
    typer.echo(f"wrote {result.folder}/")
    for name, path in result.paths.items():
        if "/" in name:  # caseload and manager pages: summarised above
            continue
        typer.echo(f"  {name:18s} {path}")


def _source(data: Path, engine: str, master: str | None, max_events: int | None):
    """``--data`` as the engine reads it: a path (pandas), an OfferingStream or a SparkSource."""
    limit = {} if max_events is None else {"max_events": max_events}
    if engine == "stream":
        from learnrisk.scoring import OfferingStream

        return OfferingStream(data, **limit)
    if engine == "spark":
        from learnrisk.spark import SparkSource

        return SparkSource(data, master=master, **limit)
    return data


COMMANDS = {"score": score}
