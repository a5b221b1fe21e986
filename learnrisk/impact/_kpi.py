"""``kpi_impact``: did completing a course move a business KPI? A matched difference in differences.

For one course (a course code, or one offering) and one monthly KPI:

1. **Completers** are the learners whose enrollment in the course has a ``completed_at``; each
   one's *event month* ``e`` is the first month that starts after their (first) completion.
   Staggered completion dates are handled by working in event time: months are counted from
   each completer's own ``e``.
2. **Windows.** Pre: the ``pre`` months ``e - pre - 1 .. e - 2`` (the month of the completion,
   ``e - 1``, is left out: it is partly before and partly after). Post: ``e .. e + post - 1``.
   Worked example: completed 2024-03-14 -> ``e`` = 2024-04; with pre = post = 3 the pre
   window is 2023-12 .. 2024-02 and the post window 2024-04 .. 2024-06.
3. **Matching.** Each completer gets the non-completer (never completed the course) of the same
   group (``by``, e.g. department, from the HR row effective at the completion) with the
   closest pre-window KPI mean and job level (controls' HR as of the start of the completion
   month), with replacement; the control gets the
   completer's event month as a *pseudo date* and must have the KPI over both windows.
4. **Estimate.** Per pair, (post - pre of the completer) - (post - pre of the control); the
   effect on completers is their mean. The interval is a percentile bootstrap over completers
   (a cluster bootstrap by ``cluster``, e.g. manager, when given). The same by group.
   ``event_study`` gives the mean pair difference at every event month (relative to the
   first pre month): flat before ``e`` is what parallel trends look like.

It is an estimate under stated assumptions, not proof: ``KpiImpact.text`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._format import format_signed
from ..data import LearningData
from ..errors import KpiImpactError
from ..features import hr_as_of

__all__ = ["ASSUMPTIONS", "KpiImpact", "kpi_impact"]

ASSUMPTIONS = (
    "parallel trends: without the course, completers' KPI would have moved like their matched non-completers'",
    "no anticipation: the KPI did not change before completion because of the course",
    "matching on the pre-period KPI and job attributes makes non-completers comparable (no hidden reason "
    "that both drives completion and changes the KPI's trend, such as a new role or a manager's push)",
    "no spillover: completers' training does not change non-completers' KPI",
)


@dataclass
class KpiImpact:
    """The result of :func:`kpi_impact`: ``summary`` (overall and per group), ``event_study``, ``text``."""

    course: str
    metric: str
    summary: pd.DataFrame
    event_study: pd.DataFrame
    pairs: pd.DataFrame = field(repr=False)
    notes: list[str] = field(default_factory=list)

    @property
    def estimate(self) -> float:
        return float(self.summary.loc["all", "effect"])

    @property
    def interval(self) -> tuple[float, float]:
        return float(self.summary.loc["all", "low"]), float(self.summary.loc["all", "high"])

    @property
    def text(self) -> str:
        low, high = self.interval
        lines = [
            f"KPI impact of completing {self.course} on {self.metric} (difference in differences, matched)",
            f"estimate: {format_signed(self.estimate, 2)} per month (95% interval {format_signed(low, 2)} to "
            f"{format_signed(high, 2)}), {int(self.summary.loc['all', 'completers'])} completers matched to "
            f"{int(self.summary.loc['all', 'controls'])} non-completers",
        ]
        for g, r in self.summary.drop(index="all").iterrows():
            lines.append(f"  {g}: {format_signed(r['effect'], 2)} ({format_signed(r['low'], 2)} to {format_signed(r['high'], 2)}), "
                         f"{int(r['completers'])} completers")
        lines.append("This is an estimate, not proof. It holds only if:")
        lines += [f"  - {a}" for a in ASSUMPTIONS]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        low, high = self.interval
        return f"KpiImpact({self.course!r}, {self.metric!r}, effect={self.estimate:.3g} [{low:.3g}, {high:.3g}])"


def _month(t: pd.Series) -> np.ndarray:
    t = pd.DatetimeIndex(t)
    return (t.year * 12 + t.month - 1).to_numpy(dtype=np.int64)


def _completions(data: LearningData, course: str) -> tuple[pd.Series, set]:
    """First completion time per learner of the course (code or offering), and everyone enrolled."""
    c = data.courses
    offerings = set(c.loc[(c["course_code"] == course) | (c["course_id"] == course), "course_id"])
    if not offerings:
        raise KpiImpactError(f"unknown course {course!r}; known course codes: {', '.join(sorted(c['course_code'].unique()))}")
    e = data.enrollments
    if "completed_at" not in e.columns:
        raise KpiImpactError("kpi-impact needs a completed_at column in enrollments (docs/corporate.md)")
    mine = e[e["course_id"].isin(offerings)]
    done = mine[mine["completed_at"].notna()].groupby("learner_id")["completed_at"].min()
    return done, set(mine["learner_id"])


def _panel(data: LearningData, metric: str) -> pd.DataFrame:
    k = data.kpis
    if k is None:
        raise KpiImpactError("this data has no kpis table (docs/corporate.md)")
    known = sorted(k["metric"].unique())
    if metric not in known:
        raise KpiImpactError(f"unknown KPI {metric!r}; this data has: {', '.join(known) or 'none'}")
    k = k[k["metric"] == metric]
    if "subject_kind" in k.columns:
        k = k[k["subject_kind"].fillna("learner") == "learner"]
    k = k.assign(month=_month(k["period_start"]))
    return k.pivot_table(index="subject_id", columns="month", values="value", aggfunc="mean")


def _window(panel: np.ndarray, months: np.ndarray, rows: np.ndarray, first: np.ndarray, n: int) -> np.ndarray:
    """Values of ``panel[rows]`` over months ``first .. first + n - 1`` (NaN outside)."""
    col = np.searchsorted(months, first)[:, None] + np.arange(n)[None, :]
    ok = (col < len(months)) & (months[np.minimum(col, len(months) - 1)] == first[:, None] + np.arange(n))
    out = panel[rows[:, None], np.minimum(col, len(months) - 1)]
    return np.where(ok, out, np.nan)


def kpi_impact(
    data: LearningData,
    course: str,
    kpi: str,
    *,
    pre: int = 3,
    post: int = 3,
    by: str = "department",
    cluster: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> KpiImpact:
    """Matched difference in differences of a monthly KPI for completers of a course (module docstring).

    Parameters
    ----------
    data : LearningData with ``kpis``, ``enrollments.completed_at`` and (for matching) ``hr``
    course : a course code (every offering) or one offering's course_id
    kpi : the ``metric`` of the kpis table (monthly values per learner)
    pre, post : months in the pre and post windows
    by : an HR column to match exactly on and to report by (``None``: one group)
    cluster : an HR column to resample by in the bootstrap (default: each completer)
    n_boot : bootstrap replicates for the 95 % intervals
    seed : bootstrap seed

    Examples
    --------
    >>> data, truth = learnrisk.synthetic.generate(scenario="corporate", return_truth=True)   # doctest: +SKIP
    >>> kpi_impact(data, "SKILLS", "productivity").summary                                  # doctest: +SKIP
    """
    if pre < 1 or post < 1:
        raise KpiImpactError(f"pre and post must be at least 1 month, found pre={pre}, post={post}")
    if n_boot < 1:
        raise KpiImpactError(f"n_boot (--boot) must be at least 1 bootstrap replicate (1000 is usual), found {n_boot}")
    done, _ = _completions(data, course)
    table = _panel(data, kpi)
    months = table.columns.to_numpy(dtype=np.int64)
    panel = table.to_numpy(dtype=float)
    subjects = pd.Index(table.index.astype(str))
    treated = done[done.index.isin(subjects)]
    if treated.empty:
        raise KpiImpactError(f"no completer of {course} has {kpi} values")
    t_rows = subjects.get_indexer(treated.index)
    e = _month(treated.to_numpy()) + 1  # the first month starting after the completion
    t_pre = _window(panel, months, t_rows, e - pre - 1, pre)
    t_post = _window(panel, months, t_rows, e, post)
    whole = ~np.isnan(t_pre).any(axis=1) & ~np.isnan(t_post).any(axis=1)
    notes = []
    if (~whole).any():
        notes.append(f"{int((~whole).sum())} completer(s) left out: their {kpi} does not cover the {pre}+{post} months around completion")

    attrs = [a for a in {by, cluster, "job_level"} if a]
    hr = data.hr
    when = pd.DatetimeIndex(treated.to_numpy())
    t_hr = hr_as_of(hr, treated.index, when) if hr is not None else pd.DataFrame(index=range(len(treated)))
    missing = [a for a in attrs if a not in t_hr.columns]
    if by in missing or (cluster and cluster in missing):
        raise KpiImpactError(f"HR column(s) {missing} not found; give by=/cluster= among the hr table's columns")
    pool = np.flatnonzero(~subjects.isin(done.index))  # never completed the course
    if not len(pool):
        raise KpiImpactError(f"every learner with {kpi} completed {course}: no one to compare with")

    rng = np.random.default_rng(seed)
    pairs = []
    c_hr_at: dict[int, pd.DataFrame] = {}  # controls' HR at the start of each completion month
    scale = np.nanstd(panel) or 1.0
    for i in np.flatnonzero(whole):
        ei = np.full(len(pool), e[i])
        c_pre = _window(panel, months, pool, ei - pre - 1, pre)
        c_post = _window(panel, months, pool, ei, post)
        ok = ~np.isnan(c_pre).any(axis=1) & ~np.isnan(c_post).any(axis=1)
        if hr is not None and e[i] not in c_hr_at:
            start = pd.Timestamp(year=int(e[i] - 1) // 12, month=int(e[i] - 1) % 12 + 1, day=1, tz="UTC")
            c_hr_at[e[i]] = hr_as_of(hr, subjects[pool], pd.DatetimeIndex([start] * len(pool)))
        c_hr = c_hr_at.get(e[i])
        if by and c_hr is not None:
            ok &= (c_hr[by].astype(object) == t_hr[by].iloc[i]).to_numpy()
        if not ok.any():
            continue
        dist = np.abs(c_pre.mean(axis=1) - t_pre[i].mean()) / scale
        if c_hr is not None and "job_level" in c_hr.columns:
            dist = dist + 0.25 * np.abs(c_hr["job_level"].to_numpy(dtype=float) - float(t_hr["job_level"].iloc[i]))
        dist = np.where(ok, np.nan_to_num(dist, nan=np.inf), np.inf)
        j = int(np.argmin(dist + rng.uniform(0, 1e-9, len(dist))))
        c_series = _window(panel, months, pool[[j]], np.array([e[i] - pre - 1]), pre + 1 + post)[0]
        t_series = _window(panel, months, t_rows[[i]], np.array([e[i] - pre - 1]), pre + 1 + post)[0]
        pairs.append({
            "learner_id": treated.index[i], "control_id": subjects[pool[j]],
            "group": str(t_hr[by].iloc[i]) if by else "all",
            "cluster": str(t_hr[cluster].iloc[i]) if cluster else treated.index[i],
            "event_month": int(e[i]),
            "did": (t_post[i].mean() - t_pre[i].mean()) - (c_post[j].mean() - c_pre[j].mean()),
            "series": t_series - c_series,
        })
    if len(pairs) > len({p["control_id"] for p in pairs}):
        notes.append("controls are matched with replacement and the bootstrap resamples completers only: "
                      "the interval is a little narrow when one control serves many completers")
    if not pairs:
        raise KpiImpactError(f"no completer of {course} could be matched to a non-completer of the same {by}")
    pairs = pd.DataFrame(pairs)
    rows = {"all": _estimate(pairs, n_boot, rng)}
    for g, part in pairs.groupby("group", sort=True):
        rows[g] = _estimate(part, n_boot, rng)
    summary = pd.DataFrame(rows).T
    summary.index.name = by or "group"
    series = np.vstack(pairs["series"].to_numpy())
    rel = np.arange(-pre - 1, post)
    diff = series - series[:, [0]]
    event = pd.DataFrame({"event_month": rel, "difference": np.nanmean(diff, axis=0),
                          "se": np.nanstd(diff, axis=0) / np.sqrt(len(diff))})
    return KpiImpact(str(course), str(kpi), summary, event, pairs.drop(columns="series"), notes)


def _estimate(pairs: pd.DataFrame, n_boot: int, rng: np.random.Generator) -> dict:
    """Mean pair difference and a percentile bootstrap interval, resampling clusters."""
    codes, _ = pd.factorize(pairs["cluster"])
    sums = np.bincount(codes, weights=pairs["did"].to_numpy())
    counts = np.bincount(codes).astype(float)
    k = len(sums)
    draw = rng.integers(0, k, (n_boot, k))
    boot = sums[draw].sum(axis=1) / counts[draw].sum(axis=1)
    low, high = np.percentile(boot, [2.5, 97.5]) if k > 1 else (np.nan, np.nan)
    return {"effect": float(pairs["did"].mean()), "low": float(low), "high": float(high),
            "completers": int(len(pairs)), "controls": int(pairs["control_id"].nunique())}
