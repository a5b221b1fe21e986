"""``monitor.html``: the monitoring figures as one self-contained page (the scoring pages' style
and script, inline; no network)."""

from __future__ import annotations

import math

import jinja2

from .._format import format_cell, format_percent

__all__ = ["render_monitor"]


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader("learnrisk.monitoring", "templates"), jinja2.PackageLoader("learnrisk.scoring", "templates")]
        ),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = lambda v: format_percent(v) if _finite(v) else "—"
    env.filters["pctm"] = env.filters["pct"]
    env.filters["dec"] = lambda v: f"{v:.3f}" if _finite(v) else "—"
    env.filters["num"] = lambda v: (f"{v:.6f}" if isinstance(v, float) else v) if v is not None and (not isinstance(v, float) or math.isfinite(v)) else ""
    env.filters["cell"] = format_cell
    return env


def render_monitor(result, *, repeated_lists: int = 3) -> str:
    """The page of a :class:`~learnrisk.monitoring.MonitorResult`."""
    REPEATED_LISTS = repeated_lists
    d = result.to_dict()
    tables = [
        ("Never listed, then withdrew or did not pass", d["missed"], ["course_id", "learner_id", "lists", "max_risk", "outcome"],
         "Nobody: every learner with the outcome was named by some list."),
        (f"Listed {REPEATED_LISTS} times or more, no action recorded", d["repeated"],
         ["course_id", "learner_id", "n_listed", "first_listed", "last_listed", "max_risk", "outcome"],
         f"Nobody was listed {REPEATED_LISTS} times or more without an action recorded."),
        ("Listed learners an intervention reached (outcomes may have changed)", d["touched"],
         ["course_id", "learner_id", "n_listed", "acted_at", "intervention_id", "outcome"], "No action of status done on a listed learner."),
        ("Per course, lists pooled", d["courses"],
         ["course_id", "lists", "n_labelled", "positives", "precision_now", "recall_now", "precision_listed", "recall_listed", "auc", "ece"],
         "No list has outcomes yet."),
    ]
    return _env().get_template("monitor.html.j2").render(
        period=d["period"], lists=d["lists"], n_lists=len(d["lists"]), notes=d["notes"], o=d["overall"], quality=d["quality"],
        targets=sorted({r["target"] for r in d["quality"]}), repeated_lists=REPEATED_LISTS, tables=tables,
    )
