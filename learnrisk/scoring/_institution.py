"""The institution view (``OUT/<as-of>/institution.html``): every running course side by side,
the trend of each over the earlier lists in OUT, and the realized quality of past lists as
``learnrisk monitor`` measured it (the newest ``OUT/monitor/<period>/monitor.json``), once
outcomes are known. Nothing here is recomputed: the trend reads the published lists, the
quality reads what ``monitor`` wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ._tables import read_previous

__all__ = ["course_trends", "past_quality"]


def course_trends(out: Path | None, earlier: list[str]) -> dict[str, list[tuple[str, float]]]:
    """Per course_id: ``[(as-of, share of its scored learners listed), ...]`` over ``earlier``."""
    trends: dict[str, list[tuple[str, float]]] = {}
    if out is None:
        return trends
    for name in earlier:
        prev = read_previous(out / name)
        if prev is None or prev.empty:
            continue
        share = prev.assign(listed=prev["band"].ne("low")).groupby("course_id")["listed"].mean()
        for cid, v in share.items():
            trends.setdefault(str(cid), []).append((name, float(v)))
    return trends


def past_quality(out: Path | None, before: str | None = None) -> dict | None:
    """The newest monitoring result in ``out/monitor/`` (``period``, ``overall``, ``courses``,
    ``link`` relative to an as-of folder), or None when ``learnrisk monitor`` has not run.

    Newest: the period whose last list is latest (then whose first list is latest). With
    ``before`` (an as-of date ``YYYY-MM-DD``), only periods whose last list is earlier than it,
    so that re-running an old week does not show lists published after it.
    """
    if out is None or not (out / "monitor").is_dir():
        return None

    def ends(p: Path) -> tuple[str, str]:
        first, _, last = p.parent.name.partition("_")
        return (last or first, first)

    found = sorted((p for p in (out / "monitor").glob("*/monitor.json") if p.is_file()), key=ends)
    if before is not None:
        found = [p for p in found if ends(p)[0] < before]
    for path in reversed(found):
        try:
            d = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        courses = pd.DataFrame(d.get("courses") or [])
        return {
            "period": d.get("period", path.parent.name),
            "overall": d.get("overall", {}),
            "courses": courses.to_dict("records"),
            "link": f"../monitor/{path.parent.name}/monitor.html",
        }
    return None
