"""``report.html``: one self-contained page for advisors, readable when opened from disk.

Everything is inline: the CSS in a ``<style>`` element, a few lines of vanilla JavaScript in a
``<script>`` element (sort, filter, search; the page reads fully without it), the charts as
inline SVG drawn here; no web font, no image file, no link to the network. The page is a pure
function of its inputs (no clock), so two runs on the same inputs give the same page.

Layout: a header (as-of date, models with their registry alias and gate status, a stale-data
banner, one drift sentence), "who to call first" (the highest risks to contact now, across all
courses, with their first reason and first action), all courses side by side, then one section
per running offering with its overview (enrolled, active this week, withdrawn so far, the risk
distribution, the weekly engagement curve, the most often missed assessments) and its ranked
list of listed learners (high and medium bands, and everyone to contact now) with trend, last
active date, missed assessments, drivers and recommended interventions, and a footer saying how
to read it. :func:`render_caseload` draws an advisor's caseload with the same table.

The CSS and the script live in ``templates/_style.css.j2`` and ``_script.js.j2``, included
inline by every page: the report, the course view (:func:`render_course`,
``course/<course_id>.html``, figures from ``_course``) and the institution view
(:func:`render_institution`, ``institution.html``, trends and past quality from
``_institution``), and ``learnrisk monitor``'s page. The report links to those two views,
written beside it; nothing else.
"""

from __future__ import annotations

import functools
import math

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from .._format import format_percent, format_points, format_probability
from ._course import CourseDiagnostics, course_filename
from ._overview import CourseOverview

__all__ = [
    "bars_svg", "effect_words", "engagement_svg", "render_caseload", "render_course", "render_institution", "render_report",
    "risk_distribution_svg", "sparkline_svg",
]  # fmt: skip


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
    env.filters["pctx"] = lambda v: "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format_percent(v)
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


BINS = 10


def risk_distribution_svg(risks, bands, *, width: int = 380, height: int = 120) -> Markup:
    """An inline SVG histogram of the risks of one course in ten 10-point bins, each bar
    coloured by the band of most of its learners."""
    risks = [float(r) for r in risks]
    if not risks:
        return Markup('<p class="muted">No learner scored.</p>')
    left, right, top, bottom = 30, 6, 8, 22
    w, h = width - left - right, height - top - bottom
    counts = [0] * BINS
    band_of: list[dict[str, int]] = [{} for _ in range(BINS)]
    for r, b in zip(risks, bands):
        i = min(int(r * BINS), BINS - 1)
        counts[i] += 1
        band_of[i][b] = band_of[i].get(b, 0) + 1
    top_count = max(counts)
    bw = w / BINS
    parts = [
        f'<svg class="dist" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Risk distribution: learners per 10-point risk bin">'
    ]
    parts.append(f'<text x="{left - 4}" y="{top + 8}" class="axis" text-anchor="end">{top_count}</text>')
    parts.append(f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" class="grid"/>')
    for i, c in enumerate(counts):
        bh = h * c / top_count if top_count else 0
        band = max(band_of[i], key=band_of[i].get) if band_of[i] else "low"
        label = f"risk {i * 10}-{(i + 1) * 10}%: {c} learner{'' if c == 1 else 's'}"
        parts.append(
            f'<rect x="{left + i * bw + 1:.1f}" y="{top + h - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" '
            f'class="bar bar-{band}"><title>{escape(label)}</title></rect>'
        )
        if i % 2 == 0:
            parts.append(f'<text x="{left + i * bw:.1f}" y="{height - 6}" class="axis" text-anchor="middle">{i * 10}%</text>')
    parts.append(f'<text x="{left + w:.1f}" y="{height - 6}" class="axis" text-anchor="end">100%</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline_svg(points: list[tuple[str, float]], *, width: int = 64, height: int = 18) -> Markup:
    """A tiny inline SVG line of a learner's risk over the earlier lists and this one (0-100 %)."""
    if len(points) < 2:
        return Markup("")
    n = len(points)
    xy = [(2 + (width - 4) * i / (n - 1), 2 + (height - 4) * (1 - v)) for i, (_, v) in enumerate(points)]
    title = ", ".join(f"{d}: {format_probability(v)}" for d, v in points)
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    return Markup(
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Risk over the last {n} lists">'
        f"<title>{escape(title)}</title><polyline points=\"{path}\"/>"
        f'<circle cx="{xy[-1][0]:.1f}" cy="{xy[-1][1]:.1f}" r="2"/></svg>'
    )


REPORT_ROWS_PER_COURSE = 500  # listed learners shown per course on report.html (ranked; all in risk_list.csv)

def effect_words(risk: float, reduction: float, course_risks) -> str:
    """An intervention's estimated effect in words that mean something even for a saturated
    learner: the points of risk, the change of the odds, and the move in the course's ranking.
    ``course_risks``: the risks of the course's scored learners (a NumPy array must be sorted
    ascending; anything else is sorted here).

    >>> effect_words(0.995, 0.002, [0.999, 0.996, 0.995, 0.994, 0.5])
    'est. risk −0.2 pts: odds about 29% lower, rank 3 → 4 in the course'
    """
    if reduction is None or not math.isfinite(reduction) or reduction < 0.0005:
        return "no estimated change"
    new = max(risk - reduction, 0.0)
    odds = risk / (1 - risk) if risk < 1 else math.inf
    new_odds = new / (1 - new) if new < 1 else math.inf
    parts = [f"est. risk {format_points(-reduction)}"]
    if math.isfinite(odds) and odds > 0:
        parts.append(f"odds about {1 - new_odds / odds:.0%} lower")
    # the course's risks sorted ascending (the report passes them sorted: one sort per course)
    a = course_risks if isinstance(course_risks, np.ndarray) else np.sort(np.asarray(course_risks, dtype=float))
    n = len(a)
    above = n - int(np.searchsorted(a, risk, side="right"))  # learners ranked above this one
    ties = int(np.searchsorted(a, risk, side="right") - np.searchsorted(a, risk, side="left"))
    rank = 1 + above
    # after the move: those above the new risk, this learner's equals (and itself) not counted
    new_rank = max(1 + n - int(np.searchsorted(a, new, side="right")) - (ties if new < risk else 0), rank)
    words = parts[0] + (": " + parts[1] if len(parts) > 1 else "")
    if new_rank > rank:
        words += f", rank {rank} \u2192 {new_rank} in the course"
    return words


def _course_risks(risk_list: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each course's scored risks, sorted ascending (what :func:`effect_words` ranks in)."""
    return {str(c): np.sort(g["risk"].to_numpy(dtype=float)) for c, g in risk_list.groupby("course_id")}


def _people(rows: pd.DataFrame, details: dict, history: dict, course_risks: dict[str, np.ndarray]) -> list[dict]:
    """The table rows of the listed learners in ``rows`` (already in display order)."""
    people = []
    for r in rows.to_dict("records"):
        key = (r["course_id"], r["learner_id"])
        d = details.get(key, {})
        trend = list(history.get(key, [])) + [("this week", float(r["risk"]))]
        interventions = [
            {**i, "effect": effect_words(float(r["risk"]), float(i.get("reduction", float("nan"))), course_risks[r["course_id"]])}
            for i in d.get("interventions", [])
        ]
        change = r.get("change")
        people.append(
            {
                **{k: r.get(k) for k in ("rank", "learner_id", "course_id", "risk", "p_dropout", "p_underperformance",
                                         "band", "main_risk", "risk_change", "raw_score", "caseload_rank", "advisor")},
                "rank": int(r["rank"]),
                "contact_now": bool(r.get("contact_now", False)),
                "change": change if isinstance(change, str) else "",
                "last_active": r.get("last_active") or "",
                "contacted": r.get("contacted") or "",
                "missed": int(r.get("missed_assessments", 0) or 0),
                "spark": sparkline_svg(trend),
                "drivers": d.get("drivers", []),
                "interventions": interventions,
            }
        )
    return people


def _listed(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["band"].ne("low")]


def _models_line(summary: dict) -> list[dict]:
    return [{"target": t, **m, "flag": m.get("status") not in (None, "champion")} for t, m in summary["models"].items()]


def render_report(
    *,
    as_of: pd.Timestamp,
    overviews: list[CourseOverview],
    risk_list: pd.DataFrame,
    details: dict[tuple[str, str], dict],
    summary: dict,
    history: dict | None = None,
) -> str:
    """The advisor page as a string.

    Parameters
    ----------
    overviews : one per running offering
    risk_list : every scored enrollment (see :func:`learnrisk.score`)
    details : per ``(course_id, learner_id)`` of a listed row, ``{"drivers": [sentence, ...],
        "interventions": [{"title", "who", "channel", "reduction"}, ...]}``
    summary : the summary dictionary (models, bands, drift sentence, data warnings)
    history : per ``(course_id, learner_id)``, ``[(as-of, risk), ...]`` of the earlier lists

    Examples
    --------
    >>> html = render_report(as_of=t, overviews=ov, risk_list=rl, details={}, summary=s)  # doctest: +SKIP
    """
    history = history or {}
    course_risks = _course_risks(risk_list)
    courses = []
    for ov in overviews:
        rows = risk_list[risk_list["course_id"] == ov.course_id]
        listed = _listed(rows).sort_values("rank")
        shown = listed.head(REPORT_ROWS_PER_COURSE)  # the page stays readable; the CSV has everyone
        bands = rows["band"].value_counts()
        courses.append(
            {
                "o": ov,
                "anchor": _course_anchor(ov.course_id),
                "page": f"course/{course_filename(ov.course_id)}.html",
                "svg": engagement_svg(ov.curve),
                "dist": risk_distribution_svg(rows["risk"], rows["band"]),
                "share_this_week": ov.active_this_week / ov.active_enrollments if ov.active_enrollments else float("nan"),
                "people": _people(shown, details, history, course_risks),
                "n_listed_hidden": int(len(listed) - len(shown)),
                "n_high": int(bands.get("high", 0)),
                "n_medium": int(bands.get("medium", 0)),
                "n_low": int(bands.get("low", 0)),
                "n_now": int(rows["contact_now"].sum()) if "contact_now" in rows.columns else 0,
                "median": float(rows["risk"].median()) if len(rows) else float("nan"),
                "n_not_listed": int(len(rows) - len(listed)),
            }
        )
    first = risk_list
    if "contact_now" in first.columns:
        first = first[first["contact_now"].astype(bool)]
    first = first.sort_values(["risk", "raw_score", "course_id", "learner_id"], ascending=[False, False, True, True])
    has_under = bool(risk_list["p_underperformance"].notna().any()) if len(risk_list) else False
    return _env().get_template("report.html.j2").render(
        as_of=as_of.strftime("%Y-%m-%d"),
        courses=courses,
        call_first=_people(first.head(5), details, history, course_risks),
        summary=summary,
        models=_models_line(summary),
        has_under=has_under,
        caseload=None,
    )


def render_caseload(
    *, as_of: pd.Timestamp, caseload, details: dict, summary: dict, risk_list: pd.DataFrame, history: dict | None = None
) -> str:
    """An advisor's page: their ranked list across courses, cut at their capacity
    (:class:`learnrisk.scoring._caseload.Caseload`); ``risk_list`` gives the course rankings
    the effects are said in."""
    history = history or {}
    rows = caseload.rows
    course_risks = _course_risks(risk_list)
    return _env().get_template("report.html.j2").render(
        as_of=as_of.strftime("%Y-%m-%d"),
        courses=[],
        call_first=_people(rows, details, history, course_risks),
        summary=summary,
        models=_models_line(summary),
        has_under=bool(rows["p_underperformance"].notna().any()) if "p_underperformance" in rows.columns and len(rows) else False,
        caseload=caseload,
    )


def bars_svg(values: list[tuple[int, int]], *, label: str, width: int = 380, height: int = 130) -> Markup:
    """An inline SVG bar chart of counts per course week (``[(week, count), ...]``)."""
    if not values:
        return Markup('<p class="muted">No complete week yet.</p>')
    left, right, top, bottom = 30, 6, 8, 22
    w, h = width - left - right, height - top - bottom
    top_count = max(c for _, c in values) or 1
    bw = w / len(values)
    step = max(1, math.ceil(len(values) / 12))
    parts = [
        f'<svg class="bars" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
        f'<text x="{left - 4}" y="{top + 8}" class="axis" text-anchor="end">{top_count}</text>',
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" class="grid"/>',
    ]
    for i, (week, c) in enumerate(values):
        bh = h * c / top_count
        parts.append(
            f'<rect x="{left + i * bw + 1:.1f}" y="{top + h - bh:.1f}" width="{max(bw - 2, 1):.1f}" height="{bh:.1f}" class="bar">'
            f"<title>week {week}: {c}</title></rect>"
        )
        if i % step == 0:
            parts.append(f'<text x="{left + (i + 0.5) * bw:.1f}" y="{height - 6}" class="axis" text-anchor="middle">{week}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _course_anchor(course_id: str) -> str:
    return "course-" + "".join(ch if ch.isalnum() else "-" for ch in course_id)


def render_course(*, as_of: pd.Timestamp, overview: CourseOverview, diagnostics: CourseDiagnostics, risk_list: pd.DataFrame, summary: dict) -> str:
    """The course view of one running offering (``course/<course_id>.html``, see ``_course``)."""
    ov, d = overview, diagnostics
    rows = risk_list[risk_list["course_id"] == ov.course_id]
    rated = [a for a in d.assessments if a["rate"] == a["rate"]]
    return _env().get_template("course.html.j2").render(
        as_of=as_of.strftime("%Y-%m-%d"),
        o=ov,
        d=d,
        anchor=_course_anchor(ov.course_id),
        n_high=int(rows["band"].eq("high").sum()),
        share_this_week=ov.active_this_week / ov.active_enrollments if ov.active_enrollments else float("nan"),
        curve=engagement_svg(ov.curve),
        withdrawals=bars_svg([(w["week"], w["withdrawn"]) for w in d.withdrawals], label="Withdrawals per course week"),
        busiest=max(d.withdrawals, key=lambda w: w["withdrawn"]) if any(w["withdrawn"] for w in d.withdrawals) else None,
        worst=min(rated, key=lambda a: a["rate"]) if rated else None,
        generated_by=summary.get("generated_by", ""),
    )


def render_institution(
    *, as_of: pd.Timestamp, overviews: list[CourseOverview], risk_list: pd.DataFrame, summary: dict,
    trends: dict[str, list[tuple[str, float]]], quality: dict | None, codes: dict[str, str],
) -> str:
    """The institution view (``institution.html``, see ``_institution``)."""
    past: dict[str, list] = {}
    for c in (quality or {}).get("courses", []):
        past.setdefault(codes.get(c["course_id"], ""), []).append(c)
    out = []
    for ov in overviews:
        g = risk_list[risk_list["course_id"] == ov.course_id]
        share = float(g["band"].ne("low").mean()) if len(g) else 0.0
        same = past.get(ov.course_code, [])
        n_now, tp = sum(c["n_now"] or 0 for c in same), sum(c["tp_now"] or 0 for c in same)
        out.append(
            {
                "course_id": ov.course_id,
                "file": course_filename(ov.course_id),
                "scored": len(g),
                "high": int(g["band"].eq("high").sum()),
                "medium": int(g["band"].eq("medium").sum()),
                "now": int(g["contact_now"].sum()),
                "median": float(g["risk"].median()) if len(g) else float("nan"),
                "share": share,
                "spark": sparkline_svg(list(trends.get(ov.course_id, [])) + [("this week", share)]),
                "past": tp / n_now if n_now else None,
            }
        )
    total = {k: sum(r[k] for r in out) for k in ("scored", "high", "now")}
    return _env().get_template("institution.html.j2").render(
        as_of=as_of.strftime("%Y-%m-%d"), rows=out, total=total, quality=quality, generated_by=summary.get("generated_by", "")
    )
