"""What the weekly job adds to close the loop (``docs/impact.md``): a randomized hold-out, a
ready-to-fill actions sheet, and who has been contacted already.

- **Hold-out** (off by default; an evaluation design the institution must approve): a listed
  learner (band high or medium) is held out when ``u < share``, where ``u`` is the first 8 bytes
  of ``sha256(salt \\x1f course_id \\x1f learner_id)`` read as a number in [0, 1). The draw
  depends on nothing else, so it is the same every week (a learner held out stays held out in
  that offering, whatever their rank) and the same on every machine; another salt is another
  draw. Held-out rows leave the advisors' list (and the report) and go to ``holdout.csv``; the
  remaining rows of a course are ranked again 1, 2, ... and ``contact_now`` follows the new
  ranks, so the advisors' capacity is filled.
- **Actions sheet** ``actions-to-fill.csv``: one row per listed learner, with the first
  recommended intervention pre-filled and empty ``acted_at``, ``status``, ``actor``,
  ``channel`` and ``useful`` columns; ``learnrisk log-action --from-csv`` reads it back.
- **Contacted**: the latest action recorded before the as-of date for each enrollment, in words
  (``2014-11-20 phone: welcome-call (done)``); the report shows it beside the learner.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .._format import to_number
from ..errors import ScoringError

__all__ = [
    "DEFAULT_SALT",
    "SHEET_COLUMNS",
    "actions_sheet",
    "check_holdout",
    "contacted_before",
    "holdout_mask",
    "holdout_rows",
    "split_holdout",
]

DEFAULT_SALT = "learnrisk-holdout"
HOLDOUT_COLUMNS = ["as_of", "course_id", "learner_id", "week", "rank", "p_dropout", "p_underperformance", "risk", "band"]
SHEET_COLUMNS = [
    "as_of", "course_id", "learner_id", "rank", "band", "contact_now", "suggested",
    "intervention_id", "acted_at", "status", "actor", "channel", "useful",
]  # fmt: skip


def check_holdout(share: float) -> float:
    """The hold-out share as a float in [0, 0.5]; ScoringError otherwise."""
    value = to_number(share)
    if value is None or not 0 <= value <= 0.5:
        raise ScoringError(f"holdout must be a share between 0 and 0.5 (like 0.1), found {share!r}")
    return value


def holdout_mask(course_ids, learner_ids, share: float, salt: str = DEFAULT_SALT) -> np.ndarray:
    """True for the enrollments the hash of (salt, course, learner) holds out (module doc).

    >>> holdout_mask(["AAA-2014J"] * 3, ["1", "2", "3"], 0.0).tolist()
    [False, False, False]
    >>> holdout_mask(["AAA-2014J"], ["1"], 0.5).tolist() == holdout_mask(["AAA-2014J"], ["1"], 0.5).tolist()
    True
    """
    u = np.array(
        [
            int.from_bytes(hashlib.sha256(f"{salt}\x1f{c}\x1f{lid}".encode()).digest()[:8], "big") / 2.0**64
            for c, lid in zip(course_ids, learner_ids)
        ],
        dtype=float,
    )
    return u < share


def split_holdout(risk: pd.DataFrame, share: float, salt: str, capacity: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(advisors' list, held-out rows) of a ranked risk frame; the list is ranked again."""
    listed = risk["band"].ne("low").to_numpy()
    held = listed & holdout_mask(risk["course_id"], risk["learner_id"], share, salt) if share > 0 else np.zeros(len(risk), bool)
    kept = risk[~held].reset_index(drop=True)
    kept["rank"] = (kept.groupby("course_id").cumcount() + 1).astype("int64")
    kept["contact_now"] = ((kept["rank"] <= capacity) & kept["band"].ne("low")).to_numpy()
    return kept, risk[held].reset_index(drop=True)


def holdout_rows(held: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The rows of ``holdout.csv``: keys, week, the rank they had, probabilities and band."""
    out = held.copy()
    out["as_of"] = pd.Series([as_of] * len(out), dtype="str")
    return out[HOLDOUT_COLUMNS]


def actions_sheet(risk_list: pd.DataFrame) -> pd.DataFrame:
    """The ready-to-fill sheet of the listed rows (module doc)."""
    listed = risk_list[risk_list["band"].ne("low")]
    sheet = pd.DataFrame(
        {
            "as_of": listed["as_of"].astype("str"),
            "course_id": listed["course_id"].astype("str"),
            "learner_id": listed["learner_id"].astype("str"),
            "rank": listed["rank"].astype("int64"),
            "band": listed["band"].astype("str"),
            "contact_now": listed["contact_now"].astype(bool),
            "suggested": listed["intervention_ids"].astype("str"),
            "intervention_id": listed["intervention_ids"].astype("str").str.split(",").str[0],
        }
    )
    for col in SHEET_COLUMNS[8:]:
        sheet[col] = pd.Series([""] * len(sheet), index=sheet.index, dtype="str")
    if "advisor" in listed.columns:  # the caseload's advisors: who is expected to act
        sheet["actor"] = listed["advisor"].astype("str").str.split("; ").str[0]
    return sheet[SHEET_COLUMNS].reset_index(drop=True)


def contacted_before(actions: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per enrollment, the latest action strictly before ``as_of`` in words; columns
    course_id, learner_id, contacted (empty frame when there is no action)."""
    cols = ["course_id", "learner_id", "contacted"]
    if actions is None or actions.empty:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in cols})
    a = actions[actions["acted_at"] < as_of].sort_values("acted_at", kind="mergesort")
    a = a.drop_duplicates(["course_id", "learner_id"], keep="last")
    channel = a["channel"].fillna("").astype("str") if "channel" in a.columns else pd.Series("", index=a.index)
    words = (
        a["acted_at"].dt.strftime("%Y-%m-%d")
        + np.where(channel.ne(""), " " + channel, "")
        + ": " + a["intervention_id"].astype("str")
        + " (" + a["status"].astype("str").str.replace("_", " ") + ")"
    )
    return pd.DataFrame(
        {"course_id": a["course_id"].astype("str"), "learner_id": a["learner_id"].astype("str"), "contacted": words.astype("str")}
    ).reset_index(drop=True)
