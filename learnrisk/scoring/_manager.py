"""The manager view of a weekly list of an ``overdue`` model: one page per manager.

For corporate data (``assignments`` and ``hr``), each manager gets ``manager/<manager_id>.html``:
their team as of the list's date (HR rows effective before it), each member's open assignments
with the due date, days left, modules started and the chance of being overdue, and who to
nudge first (band medium or high, highest risk first) with the reason in words (behind
schedule, no recent activity) and the model's main drivers. Built from the risk list and the
features frame the list was scored from; it reads nothing the list did not.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..features import hr_as_of
from ._report import _env

__all__ = ["manager_pages", "nudge_reason"]


def nudge_reason(row) -> str:
    """Why to nudge, in words, from the row's corporate features.

    >>> nudge_reason({"content_done_share": 0.2, "time_elapsed_share": 0.6, "days_since_last_activity": 3, "days_to_due": 9})
    '20% of modules started with 60% of the time gone; due in 9 days'
    """
    parts = []
    done, elapsed = row.get("content_done_share"), row.get("time_elapsed_share")
    if done == done and elapsed == elapsed and done is not None and elapsed is not None and done < elapsed:
        parts.append(f"{done:.0%} of modules started with {min(elapsed, 1):.0%} of the time gone")
    idle = row.get("days_since_last_activity")
    if idle is not None and idle == idle and idle >= 14:
        parts.append(f"no activity for {idle:.0f} days")
    left = row.get("days_to_due")
    if left is not None and left == left:
        parts.append(f"due in {left:.0f} days")
    return "; ".join(parts)


def _filename(manager_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(manager_id)) or "_"


def manager_pages(data, risk: pd.DataFrame, features: pd.DataFrame, details: dict, as_of: pd.Timestamp) -> dict[str, str]:
    """``{file stem: html}``, one page per manager with at least one team member on the list."""
    if data.hr is None or "manager_id" not in data.hr.columns or not len(risk):
        return {}
    cols = ["course_id", "learner_id", "days_to_due", "content_done_share", "time_elapsed_share", "days_since_last_activity"]
    rows = risk.merge(features[[c for c in cols if c in features.columns]], on=["course_id", "learner_id"], how="left")
    hr = hr_as_of(data.hr, rows["learner_id"].to_numpy(), pd.DatetimeIndex([as_of] * len(rows)))
    rows["manager_id"] = hr["manager_id"].to_numpy(dtype=object)
    due = data.assignments.set_index(["learner_id", "course_id"])["due_at"]
    rows["due_at"] = [due.get((lr, c)) for lr, c in zip(rows["learner_id"], rows["course_id"])]
    pages = {}
    env = _env()
    for manager, team in rows[rows["manager_id"].notna()].groupby("manager_id", sort=True):
        team = team.sort_values(["risk", "learner_id"], ascending=[False, True], kind="mergesort")
        people = []
        for r in team.to_dict("records"):
            key = (r["course_id"], r["learner_id"])
            people.append({
                **r,
                "nudge": r["band"] != "low",
                "reason": nudge_reason(r),
                "drivers": details.get(key, {}).get("drivers", [])[:2],
                "interventions": [i["title"] for i in details.get(key, {}).get("interventions", [])][:2],
            })
        pages[_filename(manager)] = env.get_template("manager.html.j2").render(
            as_of=as_of.strftime("%Y-%m-%d"),
            manager=str(manager),
            people=people,
            n_members=int(team["learner_id"].nunique()),
            n_nudge=int(sum(p["nudge"] for p in people)),
            expected=float(np.nansum(team["risk"])),
        )
    return pages
