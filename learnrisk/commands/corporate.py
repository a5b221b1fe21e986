"""``learnrisk kpi-impact``: did completing a course move a business KPI? (docs/corporate.md)"""

from __future__ import annotations

from typing import Annotated

import typer

import learnrisk

from ._options import DataOpt


def kpi_impact(
    data: DataOpt,
    course: Annotated[str, typer.Option("--course", help="Course code (every offering) or one offering's course_id.")],
    kpi: Annotated[str, typer.Option("--kpi", help="The KPI's metric name in the kpis table, e.g. productivity.")],
    pre: Annotated[int, typer.Option("--pre", help="Months before completion in the comparison.")] = 3,
    post: Annotated[int, typer.Option("--post", help="Months after completion in the comparison.")] = 3,
    by: Annotated[str, typer.Option("--by", help="HR column to match exactly on and report by.")] = "department",
    boot: Annotated[int, typer.Option("--boot", help="Bootstrap replicates for the 95% intervals.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
) -> None:
    """Completers against matched non-completers: a difference in differences with an interval, by group.

    Example: learnrisk kpi-impact --data data/corporate --course SKILLS --kpi productivity
    """
    result = learnrisk.kpi_impact(learnrisk.load_data(data), course, kpi, pre=pre, post=post, by=by, n_boot=boot, seed=seed)
    typer.echo(result.text)
    typer.echo("\nevent study (completer minus matched control, relative to the first pre month; flat before 0 supports parallel trends):")
    typer.echo(result.event_study.round(3).to_string(index=False))


COMMANDS = {"kpi-impact": kpi_impact}
