"""``report.html``: one self-contained page for advisors, readable when opened from disk.

Everything is inline: the CSS in a ``<style>`` element, the weekly engagement curves as inline
SVG drawn here, no script, no web font, no image file, no link to the network. The page is a
pure function of its inputs (no clock), so two runs on the same inputs give the same page.

Layout: a header (as-of date, models, data-drift warnings), one section per running offering
with its overview (enrolled, active this week, withdrawn so far, the cohort's weekly engagement
curve, the most often missed assessments) and its ranked list of listed learners (high and
medium bands) with drivers and recommended interventions, and a footer saying how to read it.
"""

from __future__ import annotations

import functools
import math

import jinja2
import pandas as pd
from markupsafe import Markup, escape

from .._format import format_percent, format_points, format_probability
from ._overview import CourseOverview

__all__ = ["engagement_svg", "render_report"]


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("learnrisk.scoring", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = format_percent
    env.filters["prob"] = format_probability
    env.filters["pts"] = functools.partial(format_points, missing="")
    env.filters["date"] = lambda t: "" if t is None or pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d")
    return env


def engagement_svg(curve: list[dict], *, width: int = 380, height: int = 150) -> Markup:
    """An inline SVG line chart of the share of enrolled learners active per week (0-100 %)."""
    if not curve:
        return Markup('<p class="muted">No complete week yet.</p>')
    left, right, top, bottom = 36, 10, 10, 26
    w, h = width - left - right, height - top - bottom
    n = len(curve)

    def x(i: int) -> float:
        return left + (w * i / (n - 1) if n > 1 else w / 2)

    def y(share: float) -> float:
        return top + h * (1 - share)

    parts = [
        f'<svg class="curve" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Weekly engagement curve">'
    ]
    for share in (0, 0.25, 0.5, 0.75, 1):
        yy = y(share)
        parts.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{left + w}" y2="{yy:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{yy + 4:.1f}" class="axis" text-anchor="end">{share:.0%}</text>')
    step = max(1, math.ceil(n / 12))
    for i, c in enumerate(curve):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" class="axis" text-anchor="middle">{c["week"]}</text>')
    points = " ".join(f"{x(i):.1f},{y(c['share_active']):.1f}" for i, c in enumerate(curve))
    parts.append(f'<polyline points="{points}" class="line"/>')
    for i, c in enumerate(curve):
        label = f"week {c['week']}: {c['share_active']:.0%} of {c['n_enrolled']} active"
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(c["share_active"]):.1f}" r="3" class="dot">'
            f"<title>{escape(label)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def render_report(
    *,
    as_of: pd.Timestamp,
    overviews: list[CourseOverview],
    risk_list: pd.DataFrame,
    details: dict[tuple[str, str], dict],
    summary: dict,
) -> str:
    """The advisor page as a string.

    Parameters
    ----------
    overviews : one per running offering
    risk_list : every scored enrollment (see :func:`learnrisk.score`)
    details : per ``(course_id, learner_id)`` of a listed row, ``{"drivers": [sentence, ...],
        "interventions": [{"title", "who", "channel", "reduction"}, ...]}``
    summary : the summary dictionary (models, bands, drift warnings)

    Examples
    --------
    >>> html = render_report(as_of=t, overviews=ov, risk_list=rl, details={}, summary=s)  # doctest: +SKIP
    """
    courses = []
    for ov in overviews:
        rows = risk_list[risk_list["course_id"] == ov.course_id]
        listed = rows[rows["band"] != "low"].sort_values("rank")
        people = []
        for r in listed.itertuples(index=False):
            d = details.get((r.course_id, r.learner_id), {})
            people.append(
                {
                    "rank": int(r.rank),
                    "learner_id": r.learner_id,
                    "risk": r.risk,
                    "p_dropout": r.p_dropout,
                    "p_underperformance": r.p_underperformance,
                    "band": r.band,
                    "main_risk": r.main_risk,
                    "change": r.change if isinstance(r.change, str) else "",
                    "risk_change": r.risk_change,
                    "drivers": d.get("drivers", []),
                    "interventions": d.get("interventions", []),
                }
            )
        bands = rows["band"].value_counts()
        courses.append(
            {
                "o": ov,
                "anchor": "course-" + "".join(ch if ch.isalnum() else "-" for ch in ov.course_id),
                "svg": engagement_svg(ov.curve),
                "share_this_week": ov.active_this_week / ov.active_enrollments if ov.active_enrollments else float("nan"),
                "people": people,
                "n_high": int(bands.get("high", 0)),
                "n_medium": int(bands.get("medium", 0)),
                "n_low": int(bands.get("low", 0)),
            }
        )
    has_under = bool(risk_list["p_underperformance"].notna().any()) if len(risk_list) else False
    return _env().get_template("report.html.j2").render(
        as_of=as_of.strftime("%Y-%m-%d"),
        courses=courses,
        summary=summary,
        has_under=has_under,
    )
