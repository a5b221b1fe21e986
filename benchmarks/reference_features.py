"""The reference: the same features as ``learnrisk.features`` written the plain way.

For each weekly cutoff: compute every enrollment's cutoff, select the population, filter the
activity and submissions to the rows before the cutoff, and group by enrollment. One
filter-and-groupby per cutoff, as a feature pipeline is usually first written. It is slow on
purpose-free, easy-to-read pandas and serves two ends: ``tests/features/test_reference.py``
checks that the fast builder gives the same numbers on small data, and
``benchmarks/bench_features.py`` times both on an OULAD-sized set.

Weekly cutoffs only (the as-of path of the fast builder is checked against its own weekly
path by the tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from learnrisk.features._catalog import NUMERIC_FEATURES
from learnrisk.features._offering import activity_family

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
KEYS = ["learner_id", "course_id"]


def _enrollments(data) -> pd.DataFrame:
    c = data.courses[["course_id", "start", "end"]].copy()
    pacing = data.courses["pacing"] if "pacing" in data.courses.columns else pd.Series(None, index=c.index)
    c["self_paced"] = (pacing == "self-paced").fillna(False).astype(bool)
    e = data.enrollments.merge(c, on="course_id")
    e["anchor"] = e["start"].where(~e["self_paced"], e["registered_at"])
    for col in ("prior_attempts", "credits"):
        if col not in e.columns:
            e[col] = np.nan
    return e


def _zscore(rows: pd.DataFrame, value: str) -> pd.Series:
    """z-score within (course, week) against rows with a cutoff at or before the row's own."""
    out = pd.Series(np.nan, index=rows.index)
    for _, g in rows.groupby(["course_id", "week"]):
        if g["cutoff"].nunique() == 1:  # a cohort course: everyone at the same cutoff
            pairs = [(g.index, g)]
        else:  # a self-paced course: peers who reached this week no later
            pairs = [([i], g[g["cutoff"] <= c]) for i, c in g["cutoff"].items()]
        for targets, ref in pairs:
            v = ref[value].dropna()
            if len(v) < 2:
                continue
            x = rows.loc[targets, value]
            z = x * 0.0 if v.max() == v.min() else (x - v.mean()) / v.std(ddof=0)
            out.loc[targets] = z
    return out


def _slope(weekly: np.ndarray) -> float:
    m = len(weekly)
    x = np.arange(m) - (m - 1) / 2.0
    return float((weekly * x).sum() / (x * x).sum())


def reference_features(data, weeks) -> pd.DataFrame:
    """Features at weekly cutoffs, one filter-and-groupby per cutoff (same columns and rows as
    ``build_features(data, weeks=weeks)``)."""
    enr = _enrollments(data)
    act = data.activity.merge(enr[KEYS + ["anchor"]], on=KEYS)
    families = {t: activity_family(t) for t in act["activity_type"].unique()}
    act["family"] = act["activity_type"].map(families)
    act["day"] = (act["timestamp"] - act["anchor"]) // DAY
    act["bucket"] = (act["timestamp"] - act["anchor"]) // WEEK
    asm = data.assessments[["assessment_id", "course_id", "due_at", "weight"]]
    sub = data.submissions.merge(asm, on="assessment_id").merge(enr[KEYS], on=KEYS)
    sub = sub.sort_values(["submitted_at", "due_at", "assessment_id"], na_position="last")

    pre = act[act["timestamp"] < act["anchor"]]
    pre_stats = pre.groupby(KEYS).agg(pre_start_clicks=("clicks", "sum"), pre_start_active_days=("day", "nunique"))

    frames = []
    for k in weeks:
        e = enr.copy()
        e["week"] = int(k)
        e["cutoff"] = e["anchor"] + int(k) * WEEK
        e = e[
            (e["start"] <= e["cutoff"]) & (e["cutoff"] < e["end"]) & (e["registered_at"] < e["cutoff"])
            & ~(e["withdrawn_at"] < e["cutoff"])
        ]
        e = e.set_index(KEYS)
        cut = e["cutoff"]

        a = act.join(cut, on=KEYS, how="inner")
        a = a[a["timestamp"] < a["cutoff"]]
        g = a.groupby(KEYS)
        f = pd.DataFrame(index=e.index)
        for w in (1, 2, 4):
            recent = a[a["timestamp"] >= a["cutoff"] - w * WEEK].groupby(KEYS)
            f[f"clicks_{w}w"] = recent["clicks"].sum()
            f[f"active_days_{w}w"] = recent["day"].nunique()
        f["clicks_total"] = g["clicks"].sum()
        f["active_days_total"] = g["day"].nunique()
        last = g["timestamp"].max().reindex(e.index)
        counts = ["clicks_1w", "clicks_2w", "clicks_4w", "clicks_total",
                  "active_days_1w", "active_days_2w", "active_days_4w", "active_days_total"]
        f[counts] = f[counts].fillna(0.0)
        never = last.isna()
        since = last.where(~never, np.maximum(e["anchor"], e["registered_at"]))
        f["days_since_last_activity"] = (e["cutoff"] - since) / DAY
        f["never_active"] = never.astype(float)

        m = min(4, int(k))
        if m >= 2:
            wk = a[a["bucket"].between(k - m, k - 1)].groupby(KEYS + ["bucket"])["clicks"].sum().unstack()
            wk = wk.reindex(index=e.index, columns=range(k - m, k)).fillna(0.0)
            f["clicks_trend"] = [_slope(r) for r in wk.to_numpy()]
        else:
            f["clicks_trend"] = np.nan
        fam = a.groupby(KEYS + ["family"])["clicks"].sum().unstack().reindex(columns=range(4)).fillna(0.0)
        fam = fam.reindex(e.index)
        for i, name in enumerate(("content", "forum", "quiz")):
            f[f"share_clicks_{name}"] = fam[i] / f["clicks_total"].where(f["clicks_total"] > 0)

        p = pre_stats.reindex(e.index).fillna(0.0)
        f["pre_start_clicks"] = p["pre_start_clicks"]
        f["pre_start_active_days"] = p["pre_start_active_days"]

        # submissions and scores
        s = sub.join(e[["cutoff", "registered_at"]], on=KEYS, how="inner")
        s = s[s["submitted_at"] < s["cutoff"]]
        # due: after the learner registered and before the cutoff (work that closed before a
        # late registration is not the learner's to miss)
        due = e[["cutoff", "registered_at"]].reset_index().merge(asm, on="course_id")
        due = due[(due["due_at"] < due["cutoff"]) & (due["due_at"] > due["registered_at"])]
        f["assessments_due"] = due.groupby(KEYS).size().reindex(e.index).fillna(0.0)
        f["assessments_submitted"] = s.groupby(KEYS).size().reindex(e.index).fillna(0.0)
        in_window = (s["due_at"] < s["cutoff"]) & (s["due_at"] > s["registered_at"])
        on_due = s[in_window].groupby(KEYS).size().reindex(e.index).fillna(0.0)
        f["assessments_missed"] = f["assessments_due"] - on_due
        s = s.assign(lateness=(s["submitted_at"] - s["due_at"]) / DAY)
        f["submissions_late"] = (s["lateness"] > 0).groupby([s["learner_id"], s["course_id"]]).sum().reindex(e.index).fillna(0.0)
        with_due = s.dropna(subset=["lateness"]).groupby(KEYS)["lateness"]
        f["lateness_mean"] = with_due.mean()
        f["lateness_last"] = with_due.last()
        scored = s.dropna(subset=["score"])
        gs = scored.groupby(KEYS)
        f["score_mean"] = gs["score"].mean()
        wok = scored.dropna(subset=["weight"])
        sw = (wok["weight"] * wok["score"]).groupby([wok["learner_id"], wok["course_id"]]).sum()
        w = wok.groupby(KEYS)["weight"].sum()
        f["score_weighted"] = (sw / w.where(w > 0)).reindex(e.index)
        f["score_last"] = gs["score"].last()
        n = gs["score"].count().reindex(e.index)
        total = gs["score"].sum().reindex(e.index)
        f["score_trend"] = (f["score_last"] - (total - f["score_last"]) / (n - 1)).where(n >= 2)

        f["days_registered_before_start"] = (e["anchor"] - e["registered_at"]) / DAY
        f["prior_attempts"] = e["prior_attempts"].astype(float)
        f["credits"] = e["credits"].astype(float)
        f["week"] = int(k)
        f["cutoff"] = e["cutoff"]
        frames.append(f.reset_index())

    rows = pd.concat(frames, ignore_index=True)
    rows["_c1"] = np.log1p(rows["clicks_1w"])
    rows["_ct"] = np.log1p(rows["clicks_total"])
    rows["clicks_1w_z"] = _zscore(rows, "_c1")
    rows["clicks_total_z"] = _zscore(rows, "_ct")
    rows["score_z"] = _zscore(rows, "score_mean")
    rows = rows.sort_values(["course_id", "week", "learner_id"]).reset_index(drop=True)
    return rows[["learner_id", "course_id", "week", "cutoff", *NUMERIC_FEATURES]]
