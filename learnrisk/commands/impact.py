"""``learnrisk log-action`` and ``learnrisk impact``: record what advisors did, and measure whether
it helped (``docs/impact.md``).

A bad value (an unknown enrollment or intervention id, a bad status, a bad row of an actions
sheet) is one line on standard error and exit code 2; nothing is written. An action recorded
already (same course, learner, day and intervention) is not written again: one ``warning:``
line on standard error, exit code 0 (``--allow-duplicate`` records it).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk.errors import DuplicateActionWarning, ImpactError

from ._options import DataOpt, InterventionsOpt


@contextmanager
def _duplicates_as_lines() -> Iterator[None]:
    """Print each DuplicateActionWarning as one ``warning:`` line on standard error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DuplicateActionWarning)
        yield
    for w in caught:
        if issubclass(w.category, DuplicateActionWarning):
            typer.echo(f"warning: {w.message}", err=True)
        else:  # not ours: as if not caught
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def log_action(
    data: DataOpt,
    learner: Annotated[str | None, typer.Option("--learner", help="Learner id of the enrollment.")] = None,
    course: Annotated[str | None, typer.Option("--course", help="Course offering id of the enrollment.")] = None,
    intervention: Annotated[
        str | None, typer.Option("--intervention", help="Intervention id of the catalog (e.g. welcome-call).")
    ] = None,
    status: Annotated[str, typer.Option("--status", help="done, planned or no_response.")] = "done",
    actor: Annotated[str | None, typer.Option("--actor", help="Who acted (an id, no names of learners).")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="A channel of the catalog (default: the intervention's own).")
    ] = None,
    useful: Annotated[
        str | None, typer.Option("--useful", help="Was the prediction useful: yes or no (leave out if unsure).")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="When (YYYY-MM-DD, UTC; default now). With --from-csv: for rows without acted_at."),
    ] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option("--from-csv", help="Import the filled rows of an actions sheet (OUT/<as-of>/actions-to-fill.csv)."),
    ] = None,
    interventions: InterventionsOpt = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option("--allow-duplicate", help="Record it even if the same course, learner, day and intervention is recorded already."),
    ] = False,
) -> None:
    """Record an advisor's action in DATA/actions.parquet (one, or the filled rows of a sheet)."""
    if from_csv is not None:
        if any(v is not None for v in (learner, course, intervention)):
            raise ImpactError("give either --from-csv FILE or --learner/--course/--intervention, not both")
        with _duplicates_as_lines():
            rows = learnrisk.impact.import_actions_csv(
                data, from_csv, acted_at=at, interventions=interventions, allow_duplicate=allow_duplicate
            )
        typer.echo(f"recorded {len(rows)} action{'s' if len(rows) != 1 else ''} from {from_csv} in {data}/actions.parquet")
        return
    missing = [f"--{n}" for n, v in (("learner", learner), ("course", course), ("intervention", intervention)) if v is None]
    if missing:
        raise ImpactError(f"missing {', '.join(missing)}; or import a filled sheet with --from-csv FILE")
    with _duplicates_as_lines():
        row = learnrisk.impact.log_action(
            data, learner, course, intervention, status, acted_at=at, actor=actor, channel=channel,
            useful=useful, interventions=interventions, allow_duplicate=allow_duplicate,
        )  # fmt: skip
    if row.empty:
        typer.echo(f"recorded nothing in {data}/actions.parquet")
        return
    r = row.iloc[0]
    typer.echo(
        f"recorded {r['intervention_id']} ({r['status']}) for learner {r['learner_id']} in {r['course_id']} "
        f"at {r['acted_at']:%Y-%m-%d %H:%M} UTC in {data}/actions.parquet"
    )


def impact(
    lists: Annotated[Path, typer.Option("--lists", help="The OUT folder of learnrisk score (the published lists).")],
    data: DataOpt,
    from_: Annotated[str | None, typer.Option("--from", help="First as-of date of the lists to use (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last as-of date of the lists to use (YYYY-MM-DD).")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the estimates to this CSV file.")] = None,
) -> None:
    """Effect of contact on withdrawal and on not passing, from the hold-out or observationally; with caveats."""
    result = learnrisk.impact.estimate_impact(lists, data, from_=from_, to=to)
    typer.echo(result.to_text())
    if csv is not None:
        result.summary.to_csv(csv, index=False, float_format="%.6f")
        typer.echo(f"\nwrote {csv}")


COMMANDS = {"log-action": log_action, "impact": impact}
