"""Simulated advisor contacts of listed learners and their effect, with the truth.

:func:`simulate_contacts` works on top of published lists: ``listings`` is one row per listed or
held-out learner and list (``learnrisk.impact.read_lists(OUT)`` reads them from the weekly job's
folder; the columns used are as_of, course_id, learner_id, risk and held_out), and ``data``
the world with its outcomes (the generator's, uncut). Each enrollment is taken at its first
listing. The model, per enrollment ``i``:

1. **Would the advisor contact?** ``c_i ~ Bernoulli(sigmoid(logit(contact_rate) + risk_selection
   * z_i - confounding * (n_i - mean n)))``, with ``z_i`` the standardized logit of the listed
   risk (advisors call the highest risks first: a confounder the list records, which matching
   and AIPW adjust for) and ``n_i`` whether the learner would not pass without contact (a
   confounder no list records: advisors reach more easily those who do well anyway; 0 by
   default). Drawn for held-out learners too (what would have happened), who are never contacted.
2. **When?** ``acted_at = as_of + U(0, lag_days)`` days. A learner who withdrew before it is not
   reachable: the action is recorded as ``no_response`` and changes nothing.
3. **What does contact do?** With probability ``e_i = clip(effect * (1 + heterogeneity * (1 -
   2 q_i)), 0, 1)`` (``q_i`` the learner's risk quantile among the listed, 0 lowest, 1 highest:
   with ``heterogeneity > 0`` the highest risks gain least, the targeting lesson of Athey,
   Keleher & Spiess 2023) the contact *rescues* the learner: one who would have withdrawn after
   it stays (and passes with probability ``pass_if_kept``, else fails); one who would have
   failed passes. ``effect=0``: contact changes nothing.

The draws use common random numbers, so both potential outcomes of every learner are known: the
truth. Rescued learners keep the activity they had (none after their original withdrawal);
impact reads only outcomes and actions, never refits a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import to_number
from ..data import LearningData
from ..errors import SyntheticConfigError
from ..timeline import DAY, NEVER, to_ns

__all__ = ["contact_effects", "simulate_contacts"]

KEYS = ["course_id", "learner_id"]
TRUTH_COLUMNS = [
    "course_id", "learner_id", "as_of", "risk", "held_out", "would_contact", "contacted", "effect",
    "withdrawal0", "withdrawal1", "not_passing0", "not_passing1",
]  # fmt: skip


def _share(name: str, value: float) -> float:
    number = to_number(value)
    if number is None or not 0 <= number <= 1:
        raise SyntheticConfigError(f"{name} must be a number between 0 and 1, found {value!r}")
    return number


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def simulate_contacts(
    data: LearningData,
    listings: pd.DataFrame,
    *,
    effect: float = 0.2,
    heterogeneity: float = 0.5,
    contact_rate: float = 0.7,
    risk_selection: float = 1.0,
    confounding: float = 0.0,
    lag_days: float = 7.0,
    pass_if_kept: float = 0.5,
    intervention: str = "reengage-checkin",
    channel: str = "email",
    seed: int = 0,
) -> tuple[LearningData, pd.DataFrame]:
    """Contacts of the listed learners, their effect on the outcomes, and the truth.

    Parameters
    ----------
    data : the world with its outcomes (``synthetic.generate(...)``, not cut at an as-of date)
    listings : the published lists (``learnrisk.impact.read_lists(OUT)``)
    effect : chance that a contact rescues a learner (default 0.2, modest; 0: no effect)
    heterogeneity : 0 (the same for all) to 1; the effect falls with the listed risk (module doc)
    contact_rate : share of the listed learners advisors contact (at the mean risk)
    risk_selection : how strongly advisors favour the highest risks (log-odds per sd of logit risk)
    confounding : how strongly they favour, unseen, learners who would pass anyway (log-odds)
    lag_days : contacts happen up to this many days after the list
    pass_if_kept : chance that a learner kept from withdrawing passes
    intervention, channel : what the recorded actions say
    seed : same seed, same contacts and outcomes

    Returns
    -------
    data : LearningData with an ``actions`` table (``done`` or ``no_response``, actor
        ``advisor-1``) and the outcomes of rescued learners changed
    truth : DataFrame, one row per listed enrollment (``TRUTH_COLUMNS``): both potential
        outcomes of withdrawal and not passing (NaN while the offering runs), whether the
        advisor would contact and did; :func:`contact_effects` sums it up

    Examples
    --------
    >>> lists = learnrisk.impact.read_lists("risk-lists")                     # doctest: +SKIP
    >>> data2, truth = synthetic.simulate_contacts(data, lists, effect=0.2)   # doctest: +SKIP
    """
    for name, value in (("effect", effect), ("heterogeneity", heterogeneity), ("contact_rate", contact_rate), ("pass_if_kept", pass_if_kept)):
        _share(name, value)
    if lag_days < 0:
        raise SyntheticConfigError(f"lag_days must be >= 0, found {lag_days}")
    missing = {"as_of", "course_id", "learner_id", "risk", "held_out"} - set(listings.columns)
    if missing:
        raise SyntheticConfigError(f"listings lack {sorted(missing)}; read them with learnrisk.impact.read_lists(OUT)")
    rng = np.random.default_rng(seed)
    u = listings.sort_values(["as_of", *KEYS], kind="mergesort").drop_duplicates(KEYS).reset_index(drop=True)
    u = u[["as_of", *KEYS, "risk", "held_out"]].astype({"course_id": "str", "learner_id": "str"})
    e = data.enrollments
    pos = pd.Series(np.arange(len(e)), index=pd.MultiIndex.from_frame(e[KEYS].astype("str")))
    at = pos.reindex(pd.MultiIndex.from_frame(u[KEYS])).to_numpy()
    if np.isnan(at).any():
        raise SyntheticConfigError("some listed learners are not enrolled in data; simulate on the data the lists were scored from")
    at = at.astype(int)
    outcome = e["outcome"].to_numpy(dtype=object)[at]
    withdrawn_ns = to_ns(e["withdrawn_at"])[at]  # NEVER when the learner did not withdraw
    known = pd.notna(outcome)
    w0 = ((withdrawn_ns != NEVER) | (outcome == "withdrawn")) & known
    np0 = np.isin(outcome, ["fail", "withdrawn"]) & known

    n = len(u)
    risk = u["risk"].to_numpy(dtype=float)
    z = _logit(risk)
    z = (z - z.mean()) / (z.std() or 1.0)
    held = u["held_out"].to_numpy(dtype=bool)
    lag = rng.uniform(0, lag_days, n) if lag_days > 0 else np.zeros(n)
    acted = to_ns(u["as_of"]) + np.round(lag * 24).astype("int64") * (DAY // 24)  # to the hour
    reachable = withdrawn_ns >= acted
    logit_c = _logit(contact_rate) + risk_selection * z - confounding * (np0 - np0.mean() if n else 0)
    would = rng.random(n) < 1 / (1 + np.exp(-logit_c))
    q = (pd.Series(risk).rank(method="average").to_numpy() - 0.5) / max(n, 1)
    e_i = np.clip(effect * (1 + heterogeneity * (1 - 2 * q)), 0, 1)
    rescued = (rng.random(n) < e_i) & reachable & known
    passes = rng.random(n) < pass_if_kept
    useful = rng.choice(np.array(["yes", "no", ""], dtype=object), size=n, p=[0.6, 0.2, 0.2])

    w1 = w0 & ~rescued
    np1 = np.where(rescued & w0, ~passes, np.where(rescued & np0, False, np0))
    attempted = would & ~held
    done = attempted & reachable
    change = done & rescued & np0
    idx = at[change]
    new_outcome = np.where(w0[change] & ~passes[change], "fail", "pass")
    enr = e.copy()
    enr.loc[idx, "withdrawn_at"] = pd.NaT
    enr.loc[idx, "outcome"] = new_outcome
    if "final_score" in enr.columns:
        old = enr.loc[idx, "final_score"].to_numpy(dtype=float)
        enr.loc[idx, "final_score"] = np.where(new_outcome == "pass", np.fmax(old, 60.0), np.fmin(np.nan_to_num(old, nan=30.0), 39.0))

    a = np.flatnonzero(attempted)
    actions = pd.DataFrame(
        {
            "learner_id": u["learner_id"].to_numpy()[a],
            "course_id": u["course_id"].to_numpy()[a],
            "acted_at": pd.to_datetime(acted[a], utc=True),
            "intervention_id": intervention,
            "status": np.where(reachable[a], "done", "no_response"),
            "actor": "advisor-1",
            "channel": channel,
            "useful": pd.Series(useful[a], dtype="str").replace("", None),
        }
    )
    if data.actions is not None:
        actions = pd.concat([data.actions, actions], ignore_index=True)
    tables = {**data.all_tables(), "enrollments": enr, "actions": actions}
    out = LearningData(**tables, validate=False)

    def nan_unknown(x):
        return np.where(known, x.astype(float), np.nan)

    truth = pd.DataFrame(
        {
            "course_id": u["course_id"], "learner_id": u["learner_id"], "as_of": u["as_of"], "risk": risk,
            "held_out": held, "would_contact": would, "contacted": done, "effect": e_i,
            "withdrawal0": nan_unknown(w0), "withdrawal1": nan_unknown(w1),
            "not_passing0": nan_unknown(np0), "not_passing1": nan_unknown(np1),
        }  # fmt: skip
    )
    return out, truth[TRUTH_COLUMNS]


def contact_effects(truth: pd.DataFrame) -> pd.DataFrame:
    """The true effects in ``truth`` (known outcomes only), per outcome (rows) and estimand:
    ``itt`` (being listed rather than held out: ``would_contact * (y1 - y0)``, over everyone),
    ``per_contact`` (``y1 - y0`` among those advisors would contact), ``ate`` (``y1 - y0`` over
    the listed, not held-out learners) and ``att`` (over those contacted)."""
    rows = {}
    for outcome in ("withdrawal", "not_passing"):
        t = truth[truth[f"{outcome}0"].notna()]
        d = (t[f"{outcome}1"] - t[f"{outcome}0"]).to_numpy(dtype=float)
        would, held, done = (t[c].to_numpy(dtype=bool) for c in ("would_contact", "held_out", "contacted"))
        rows[outcome] = {
            "itt": float(np.mean(would * d)) if len(d) else np.nan,
            "per_contact": float(d[would].mean()) if would.any() else np.nan,
            "ate": float(d[~held].mean()) if (~held).any() else np.nan,
            "att": float(d[done].mean()) if done.any() else np.nan,
        }
    return pd.DataFrame(rows).T
