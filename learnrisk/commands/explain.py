"""``learnrisk explain``: one learner's drivers and recommended interventions, as text or JSON."""

from __future__ import annotations

import json
from typing import Annotated

import typer

import learnrisk
from learnrisk._format import format_points, format_probability, format_signed
from learnrisk.errors import LearnriskError

from ._options import AsOfOpt, DataOpt, InterventionsOpt, ModelOpt, TrackingUriOpt, TrustPickleOpt, parse_date

NOTE = "Estimated reduction: the model's risk with that driver at the course median; an association, not a causal effect."


def explain(
    model: ModelOpt,
    data: DataOpt,
    as_of: AsOfOpt,
    learner: Annotated[str, typer.Option("--learner", help="The learner_id to explain.")],
    course: Annotated[
        str | None, typer.Option("--course", help="Only this course_id (default: every running course of the learner).")
    ] = None,
    interventions: InterventionsOpt = None,
    top_n: Annotated[int, typer.Option("--top", help="Drivers per learner.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records instead of tables.")] = False,
    tracking_uri: TrackingUriOpt = None,
    trust_pickle: TrustPickleOpt = False,
) -> None:
    """Explain one learner's risk at a date: drivers in plain words and interventions."""
    from rich.console import Console

    console = Console(stderr=True)
    t = parse_date(as_of)
    with console.status("loading the model") as status:
        m = learnrisk.load_model(model, tracking_uri=tracking_uri, trust_pickle=trust_pickle)
        catalog = learnrisk.explaining.load_interventions(interventions) if interventions else None
        status.update("reading data")
        d = learnrisk.load_data(data)
        status.update("building features at " + t.date().isoformat())
        feats = learner_cohort(d, m, t, learner, course)
        status.update("explaining")
        mask = (feats["learner_id"] == learner).to_numpy()
        if course:
            mask = mask & (feats["course_id"] == course).to_numpy()
        ex = learnrisk.explain(m, feats, rows=mask, top_n=top_n, interventions=catalog)
    records = ex.to_records()
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    print_records(records, target=getattr(m, "target", "risk"), as_of=t.date().isoformat())


COMMANDS = {"explain": explain}


def learner_cohort(data, model, as_of, learner: str, course: str | None):
    """Features at ``as_of`` of every running course of the learner (the cohort the medians come from)."""
    enr = data.enrollments
    courses = sorted(enr.loc[enr["learner_id"] == learner, "course_id"].astype(str).unique())
    if not courses:
        raise LearnriskError(f"learner {learner!r} has no enrollment in the data; check the id (learner_id column)")
    if course:
        if course not in courses:
            raise LearnriskError(f"learner {learner!r} is not enrolled in {course!r}; their courses: {', '.join(courses)}")
        courses = [course]
    sensitive = set(learnrisk.features.catalog().query("sensitive")["name"])
    need_sensitive = bool(sensitive & set(getattr(model, "source_columns_", [])))
    feats = learnrisk.build_features(data.select_courses(courses), as_of=as_of, include_sensitive=need_sensitive)
    if not (feats["learner_id"] == learner).any():
        raise LearnriskError(
            f"learner {learner!r} has no active enrollment at {as_of.date()} in a running course "
            f"(courses: {', '.join(courses)}): the course has not started or has ended, or the learner withdrew"
        )
    return feats.reset_index(drop=True)


def print_records(records: list[dict], *, target: str, as_of: str) -> None:
    """One learner's explanation as rich tables: drivers, then recommended interventions."""
    from rich.console import Console
    from rich.table import Table

    out = Console()
    for rec in records:
        out.print(
            f"[bold]{rec['learner_id']}[/bold] in {rec['course_id']}, week {rec['week']} (as of {as_of}): "
            f"{target} risk [bold]{format_probability(rec['risk'])}[/bold]"
        )
        if not rec["drivers"]:
            out.print("No feature raises this learner's risk: the score is at or below the model's base value.\n")
            continue
        drivers = Table(title="Drivers that raise risk", header_style="bold", title_justify="left")
        for col, just in (("#", "right"), ("driver", "left"), ("in words", "left"), ("log-odds", "right"), ("", "left")):
            drivers.add_column(col, justify=just)
        for d in rec["drivers"]:
            flag = "" if d["actionable"] else ("context (sensitive)" if d["sensitive"] else "context")
            drivers.add_row(str(d["rank"]), d["driver"], d["sentence"], format_signed(d["contribution"]), flag)
        out.print(drivers)
        if not rec["recommendations"]:
            out.print("No intervention: none of the drivers above is actionable in the intervention catalog.\n")
            continue
        recs = Table(title="Recommended interventions", header_style="bold", title_justify="left")
        for col, just in (("#", "right"), ("intervention", "left"), ("who", "left"), ("channel", "left"),
                          ("because of", "left"), ("est. reduction", "right")):
            recs.add_column(col, justify=just)
        for r in rec["recommendations"]:
            recs.add_row(str(r["rank"]), r["title"], r["who"], r["channel"], ", ".join(r["triggered_by"]),
                         format_points(r["estimated_reduction"], signed=False))
        out.print(recs)
        out.print(f"[dim]{NOTE}[/dim]\n")
