"""`estimate_impact()`: the effect of contact on withdrawal and on not passing.

The unit is an enrollment listed at least once in the period (band high or medium, or held
out), taken at its **first** listing: the as-of date, the arm and the predicted risk of that
list. Its outcomes come from the data (known once its offering has ended; the others are
counted as pending and left out): ``withdrawal`` (withdrew at or after the list) and
``not_passing`` (fail or withdrawn). A learner is *contacted* when an action with status
``done`` was recorded on or after that as-of date. Effects are differences of probabilities
(contacted minus not; negative: contact lowers the outcome), in percentage points.

Designs (``docs/impact.md`` says what each can and cannot show):

- **randomized** (lists written with ``--holdout``): listed arm minus held-out arm, the effect of
  being on the advisors' list (intention to treat, ITT), with Newcombe's hybrid score 95 %
  interval for a difference of proportions (Newcombe 1998, method 10: Wilson intervals of each
  arm combined); and ITT divided by the share of the listed arm contacted (the effect of a
  contact among those advisors reach; the share taken as known, so its interval is approximate).
- **observational** (the listed, not held-out learners: contacted against not): the naive
  difference (for reference: the confounded number), a risk-stratified estimate (matched on the
  predicted risk at the time of the list: quintiles of risk, the contacted of each stratum
  against the not contacted of the same stratum, weighted by the contacted: the effect on the
  contacted, ATT, with a Wald interval), and a doubly robust AIPW estimate of the average
  effect (ATE): a propensity model (logistic regression of contact on the list's predicted
  risks and week) and one outcome model per arm, cross-fitted on two folds, propensities
  clipped to [0.02, 0.98], interval from the influence function (intervals are cut to [-1, 1]).

EconML's ``LinearDRLearner`` would give the same AIPW estimate; it is not used because with
scikit-learn 1.9 it passes a column vector to the classifiers (a DataConversionWarning, an
error under ``filterwarnings=error``) and importing it takes seconds. The AIPW here is twenty
lines of scikit-learn (``_aipw``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._format import format_count, format_percent, format_points
from ..data import LearningData, load_data
from ..errors import ImpactError
from ..metrics import Z95 as Z
from ..metrics import wilson_interval
from ._lists import first_listings, read_lists

__all__ = ["CAVEATS", "ImpactResult", "estimate_impact", "newcombe_interval", "unit_outcomes"]

KEYS = ["course_id", "learner_id"]
OUTCOMES = ("withdrawal", "not_passing")
CLIP = 0.02
SUMMARY_COLUMNS = [
    "design", "estimand", "outcome", "band", "n_treated", "n_control", "rate_treated", "rate_control",
    "effect", "ci_low", "ci_high",
]  # fmt: skip
CAVEATS = (
    "Randomized: a hash, not a person, chose who was held out, so the difference is the effect of being "
    "on the advisors' list (offered contact); it is not the effect of the contacts that were actually made.",
    "Observational: advisors chose whom to contact. The estimates adjust only for what the lists recorded "
    "(predicted risk, week); whatever else moved an advisor (a reply, a known circumstance) is confounding. "
    "Purdue's Course Signals reported retention gains that were confounded (students who took more courses "
    "persisted anyway): read an observational effect as a hypothesis for a randomized hold-out. Learners who "
    "leave before an advisor calls cannot be contacted, so the comparison credits contact with their departure.",
    "Interference: learners of one course talk to each other and share tutors; a contact can reach a "
    "held-out learner, which shrinks the difference.",
    "Outcomes changed by contact: where contact works, the listed learners' outcomes are no longer those "
    "the model predicted; its realized precision drops (learnrisk monitor), and retraining on contacted "
    "learners as if nothing happened teaches it that they were not at risk.",
)


# ------------------------------------------------------------------------------ intervals
def newcombe_interval(k1: float, n1: float, k0: float, n0: float) -> tuple[float, float, float]:
    """``p1 - p0`` and its 95 % hybrid score interval (Newcombe 1998, method 10).

    >>> [round(v, 4) for v in newcombe_interval(56, 70, 48, 80)]
    [0.2, 0.0524, 0.3339]
    """
    if n1 == 0 or n0 == 0:
        return (np.nan, np.nan, np.nan)
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson_interval(k1, n1)
    l0, u0 = wilson_interval(k0, n0)
    d = p1 - p0
    return (float(d), float(d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)), float(d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)))


def _row(design: str, estimand: str, outcome: str, band: str, y: np.ndarray, t: np.ndarray, **values) -> dict:
    n1, n0 = int(t.sum()), int((~t).sum())
    return {
        "design": design, "estimand": estimand, "outcome": outcome, "band": band, "n_treated": n1, "n_control": n0,
        "rate_treated": y[t].mean() if n1 else np.nan, "rate_control": y[~t].mean() if n0 else np.nan, **values,
    }  # fmt: skip


def _difference(design, estimand, outcome, band, y, t) -> dict:
    d, lo, hi = newcombe_interval(y[t].sum(), t.sum(), y[~t].sum(), (~t).sum())
    return _row(design, estimand, outcome, band, y, t, effect=d, ci_low=lo, ci_high=hi)


# ------------------------------------------------------------------------------ observational
def _covariates(units: pd.DataFrame) -> np.ndarray:
    """What the list knew: the logits of the predicted risks, and the week."""

    def logit(p):
        p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
        return np.log(p / (1 - p))

    p_u = units["p_underperformance"].fillna(units["p_dropout"])
    return np.column_stack([logit(units["risk"]), logit(units["p_dropout"]), logit(p_u), units["week"].astype(float)])


def _probability_model(X: np.ndarray, y: np.ndarray):
    """A fitted ``X -> P(y = 1)`` (a constant when ``y`` has one class)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(np.unique(y)) < 2:
        value = float(y.mean()) if len(y) else 0.5
        return lambda Z_: np.full(len(Z_), value)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=200)).fit(X, y)
    return lambda Z_: model.predict_proba(Z_)[:, 1]


def _aipw(X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Cross-fitted AIPW estimate of the average effect of ``t`` on ``y`` and its 95 % interval."""
    n = len(y)
    if n < 8 or t.sum() < 2 or (~t).sum() < 2:
        return (np.nan, np.nan, np.nan)
    fold = np.random.default_rng(seed).permutation(n) % 2
    psi = np.empty(n)
    for k in (0, 1):
        fit, out = fold != k, fold == k
        e = np.clip(_probability_model(X[fit], t[fit])(X[out]), CLIP, 1 - CLIP)
        m1 = _probability_model(X[fit & t], y[fit & t])(X[out])
        m0 = _probability_model(X[fit & ~t], y[fit & ~t])(X[out])
        tt, yy = t[out], y[out]
        psi[out] = m1 - m0 + tt * (yy - m1) / e - (~tt) * (yy - m0) / (1 - e)
    est, se = psi.mean(), psi.std(ddof=1) / np.sqrt(n)
    return (float(est), max(est - Z * se, -1.0), min(est + Z * se, 1.0))  # a difference of probabilities


def _arm_variance(p: float, n: int) -> float:
    """The variance of an arm's mean of 0/1 outcomes, ``s^2 / n = p (1 - p) / (n - 1)`` (0 for n = 1)."""
    return p * (1 - p) / max(n - 1, 1)


def _stratified(risk: np.ndarray, t: np.ndarray, y: np.ndarray, strata: int = 5) -> tuple[float, float, float]:
    """Effect on the contacted within quintiles of predicted risk (strata without both arms dropped).

    ``sum_k w_k (p1_k - p0_k) / sum_k w_k`` with ``w_k`` the contacted of stratum ``k``, and the
    Neyman variance ``sum_k w_k^2 (s1_k^2 / n1_k + s0_k^2 / n0_k) / (sum_k w_k)^2`` where
    ``s^2 = n p (1 - p) / (n - 1)`` is the sample variance of the arm's 0/1 outcomes, so each arm
    of each stratum adds ``p (1 - p) / (n - 1)`` (an arm of one learner adds 0: ``p (1 - p)`` is
    0). The weights are taken as fixed."""
    if t.sum() == 0 or (~t).sum() == 0:
        return (np.nan, np.nan, np.nan)
    s = pd.qcut(pd.Series(risk).rank(method="first"), min(strata, len(risk)), labels=False).to_numpy()
    est = var = weight = 0.0
    for k in np.unique(s):
        a, b = (s == k) & t, (s == k) & ~t
        if a.sum() == 0 or b.sum() == 0:
            continue
        w = a.sum()
        p1, p0 = y[a].mean(), y[b].mean()
        est += w * (p1 - p0)
        var += w**2 * (_arm_variance(p1, a.sum()) + _arm_variance(p0, b.sum()))
        weight += w
    if weight == 0:
        return (np.nan, np.nan, np.nan)
    est, se = est / weight, np.sqrt(var) / weight
    return (float(est), max(est - Z * se, -1.0), min(est + Z * se, 1.0))


# ------------------------------------------------------------------------------ units
def unit_outcomes(listings: pd.DataFrame, data: LearningData) -> pd.DataFrame:
    """One row per listed enrollment at its first listing (``_lists.first_listings``) with
    ``known`` (the outcome is known), ``withdrawal``, ``not_passing``, ``contacted`` (an action
    ``done`` on or after that list) and ``first_contact``."""
    units = first_listings(listings)
    e = data.enrollments[KEYS + ["withdrawn_at", "outcome"]].astype({"course_id": "str", "learner_id": "str"})
    units = units.merge(e, on=KEYS, how="left", validate="one_to_one")
    units["known"] = units["outcome"].notna().to_numpy()
    units["withdrawal"] = (units["withdrawn_at"].notna() | units["outcome"].eq("withdrawn")).to_numpy(dtype=float)
    units["not_passing"] = units["outcome"].isin(["fail", "withdrawn"]).to_numpy(dtype=float)
    units.loc[~units["known"], list(OUTCOMES)] = np.nan
    units["contacted"] = False
    units["first_contact"] = pd.Series(pd.NaT, index=units.index, dtype="datetime64[ns, UTC]")
    if data.actions is not None and len(data.actions):
        a = data.actions[data.actions["status"].eq("done")][KEYS + ["acted_at"]].astype({"course_id": "str", "learner_id": "str"})
        a = a.merge(units[KEYS + ["as_of"]], on=KEYS)
        a = a[a["acted_at"] >= a["as_of"]].groupby(KEYS)["acted_at"].min().rename("first_contact").reset_index()
        units = units.drop(columns="first_contact").merge(a, on=KEYS, how="left")
        units["contacted"] = units["first_contact"].notna().to_numpy()
    return units.drop(columns=["withdrawn_at"])


# ------------------------------------------------------------------------------ result
@dataclass(frozen=True)
class ImpactResult:
    """What :func:`estimate_impact` found.

    Attributes
    ----------
    summary : DataFrame, one row per design, estimand, outcome and band (``SUMMARY_COLUMNS``)
    units : DataFrame, one row per listed enrollment (its first listing, arm, outcomes, contact)
    caveats : tuple of str, printed with the numbers
    """

    summary: pd.DataFrame
    units: pd.DataFrame = field(repr=False)
    caveats: tuple[str, ...] = field(default=CAVEATS, repr=False)

    def effect(self, design: str = "randomized", outcome: str = "withdrawal", band: str = "all", estimand: str | None = None) -> pd.Series:
        """The summary row of one design, outcome and band (the first estimand unless named)."""
        s = self.summary
        rows = s[(s["design"] == design) & (s["outcome"] == outcome) & (s["band"] == band)]
        if estimand is not None:
            rows = rows[rows["estimand"] == estimand]
        if rows.empty:
            raise ImpactError(f"no {design} estimate of {outcome} for band {band!r} (estimands: {sorted(set(s['estimand']))})")
        return rows.iloc[0]

    def __repr__(self) -> str:
        u = self.units
        known = u[u["known"]]
        return (
            f"ImpactResult({len(u):,} listed learners, {int(known['held_out'].sum())} held out, "
            f"{int(known['contacted'].sum())} contacted, {int((~u['known']).sum())} outcomes pending)"
        )

    def to_text(self) -> str:
        """The numbers as a table, then the caveats: what ``learnrisk impact`` prints."""
        lines = [repr(self), ""]
        head = f"{'design':13s} {'estimand':24s} {'outcome':12s} {'band':7s} {'n (t/c)':>13s} {'rate t':>7s} {'rate c':>7s} {'effect':>10s}  95% interval"
        lines.append(head)
        for r in self.summary.to_dict("records"):
            ci = f"[{format_points(r['ci_low'])}, {format_points(r['ci_high'])}]" if r["ci_low"] == r["ci_low"] else "—"
            n = f"{format_count(r['n_treated'])}/{format_count(r['n_control'])}"
            lines.append(
                f"{r['design']:13s} {r['estimand']:24s} {r['outcome']:12s} {r['band']:7s} {n:>13s} "
                f"{format_percent(r['rate_treated'], 1):>7s} {format_percent(r['rate_control'], 1):>7s} "
                f"{format_points(r['effect']):>10s}  {ci}"
            )
        lines += ["", "Caveats:"] + [f"- {c}" for c in self.caveats]
        return "\n".join(lines)


def _randomized(units: pd.DataFrame) -> list[dict]:
    rows = []
    r = units[units["randomized"] & units["known"]]
    if r.empty:
        return rows
    for outcome in OUTCOMES:
        for band in ("all", "high", "medium"):
            sub = r if band == "all" else r[r["band"] == band]
            if sub.empty:
                continue
            y, t = sub[outcome].to_numpy(dtype=float), ~sub["held_out"].to_numpy(dtype=bool)
            rows.append(_difference("randomized", "ITT (listed vs held out)", outcome, band, y, t))
            share = sub.loc[t, "contacted"].mean() - sub.loc[~t, "contacted"].mean() if t.any() and (~t).any() else np.nan
            if share > 0:
                d = rows[-1]
                rows.append({**d, "estimand": "per contact (ITT/share)",
                             **{k: d[k] / share for k in ("effect", "ci_low", "ci_high")}})  # fmt: skip
    return rows


def _observational(units: pd.DataFrame, seed: int) -> list[dict]:
    rows = []
    o = units[~units["held_out"] & units["known"]].reset_index(drop=True)
    if o.empty or o["contacted"].all() or not o["contacted"].any():
        return rows
    for outcome in OUTCOMES:
        for band in ("all", "high", "medium"):
            sub = o if band == "all" else o[o["band"] == band]
            t = sub["contacted"].to_numpy(dtype=bool)
            if sub.empty or t.all() or not t.any():
                continue
            y = sub[outcome].to_numpy(dtype=float)
            rows.append(_difference("observational", "naive (contacted vs not)", outcome, band, y, t))
            est, lo, hi = _stratified(sub["risk"].to_numpy(dtype=float), t, y)
            rows.append(_row("observational", "ATT, matched on risk", outcome, band, y, t, effect=est, ci_low=lo, ci_high=hi))
            est, lo, hi = _aipw(_covariates(sub), t, y, seed)
            rows.append(_row("observational", "ATE, AIPW", outcome, band, y, t, effect=est, ci_low=lo, ci_high=hi))
    return rows


def estimate_impact(
    lists: str | os.PathLike | pd.DataFrame,
    data: LearningData | str | os.PathLike,
    *,
    from_=None,
    to=None,
    designs: tuple[str, ...] = ("randomized", "observational"),
    seed: int = 0,
) -> ImpactResult:
    """Estimate the effect of contact on withdrawal and on not passing (module doc).

    Parameters
    ----------
    lists : the OUT folder of the weekly job (or a frame from :func:`read_lists`)
    data : the data with the outcomes and the actions (a LearningData or a path for
        :func:`learnrisk.load_data`), read after the offerings of the lists have ended
    from_, to : the as-of dates of the lists to use (``YYYY-MM-DD``, both included)
    designs : which estimates to make (default both; the observational one fits models)
    seed : the cross-fitting folds of the AIPW estimate

    Returns
    -------
    ImpactResult : ``.summary`` (one row per design, estimand, outcome and band), ``.units``,
        ``.caveats``; ``print(result.to_text())``

    Examples
    --------
    >>> res = learnrisk.impact.estimate_impact("risk-lists", "data/")      # doctest: +SKIP
    >>> res.effect("randomized", "withdrawal")                              # doctest: +SKIP
    """
    unknown = set(designs) - {"randomized", "observational"}
    if unknown:
        raise ImpactError(f"unknown design {sorted(unknown)}; allowed: randomized, observational")
    listings = lists if isinstance(lists, pd.DataFrame) else read_lists(lists, from_, to)
    if len(listings) and listings["p_dropout"].isna().all():  # an overdue model's lists (corporate)
        raise ImpactError(
            "these lists rank assignments at risk of being overdue (corporate data): learnrisk impact measures "
            "withdrawal and not passing, which mean nothing there; use learnrisk kpi-impact for training's effect"
        )
    if not isinstance(data, LearningData):
        data = load_data(data)
    units = unit_outcomes(listings, data)
    if not units["known"].any():
        raise ImpactError(
            f"none of the {len(units)} listed learners has an outcome yet; estimate the impact once their offerings have ended"
        )
    rows = (_randomized(units) if "randomized" in designs else []) + (_observational(units, seed) if "observational" in designs else [])
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    pending = int((~units["known"]).sum())
    caveats = CAVEATS + ((f"{pending} listed learners of offerings not yet ended have no outcome and are left out.",) if pending else ())
    return ImpactResult(summary=summary, units=units, caveats=caveats)
