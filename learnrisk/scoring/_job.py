"""`score()`: the weekly job, a thin composition of what a notebook user calls by hand.

load data -> load models -> features as of the date -> both probabilities -> combined risk,
rank and band per course -> explain the listed learners -> compare with last week's list ->
write ``OUT/<as-of>/`` atomically (``_io``), with ``summary.json`` (``_summary``) and the advisor
page (``_report``).

Rules (``docs/scoring.md`` says the same for users):

- **Population**: the rows of ``build_features(data, as_of=t)``: every enrollment registered
  before ``t`` and not withdrawn before ``t`` in each offering running at ``t``
  (``start <= t < end``), learners without any activity included.
- **Combined risk**: ``1 - (1 - p_dropout) * (1 - p_underperformance)``, the chance of either
  outcome if the two were independent given the features. Without an underperformance model
  ``p_underperformance`` is missing (NaN) and the risk is ``p_dropout``.
- **Rank**: within each course by risk (rounded to 6 decimals, the precision written to the
  files), highest first; ties (isotonic calibration gives many) broken by the model's raw score
  (``raw_score``: :meth:`RiskModel.decision_function`, combined like the risk when there are two
  models), then by learner_id, so that the order never depends on the input's row order.
- **Bands**: by calibrated probability (default ``bands=(0.5, 0.25)``: risk >= 0.5 high,
  >= 0.25 medium, the rest low; a band therefore means the same risk in every course), or the
  thresholds of the model card (``bands="model"``: ``model.metadata["band_thresholds"]``), or
  the former rank cut (``bands="capacity"``: ranks 1..k high, k+1..2k medium).
- **Capacity** is separate from the bands: ``contact_now`` is true for the ``top_k`` highest
  ranks of each course (what advisors can contact in a week) among its listed learners (high
  and medium: nobody in the low band is to be called); with a caseload (``by="advisor"``) it
  is the advisor's capacity across their courses instead (``_caseload``).
- **Explanations**: only *listed* learners (high and medium) are explained (TreeSHAP costs about
  1 ms a row). Each listed row is explained by the model of its larger probability (its
  ``main_risk``), and an intervention's estimated reduction is converted to the combined risk:
  lowering ``p_dropout`` by ``d`` lowers the risk by ``d * (1 - p_underperformance)``.
- **Change since last week**: against the latest as-of folder in OUT earlier than ``t``.
  ``change`` is ``new`` for a listed learner who was not listed then (or not scored), ``up`` /
  ``down`` when the risk moved by at least one point (0.01), ``same`` otherwise; empty when there is
  no earlier list or no earlier row to compare with.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..data import LearningData, load_data
from ..errors import ScoringError
from ..explaining import InterventionCatalog, explain, load_interventions
from ..features import catalog, open_assignments
from ..training import load_model
from ..timeline import utc_timestamp
from ._caseload import assignments, build_caseloads, caseload_filename
from ._manager import manager_pages
from ._io import StagedFolder, as_of_folders, check_output, lock_output, output_errors, publish, recover
from ._loop import DEFAULT_SALT, actions_sheet, check_holdout, contacted_before, holdout_rows, split_holdout
from ._overview import running_courses
from ._course import course_diagnostics, course_filename, earlier_offerings
from ._institution import course_trends, past_quality
from ._report import render_caseload, render_course, render_institution, render_report
from ._sources import data_info, prepare
from ._summary import build_summary, drift_report, model_info, summary_bytes
from ._tables import csv_bytes, parquet_bytes, read_previous

__all__ = ["ScoreResult", "score"]

KEYS = ["course_id", "learner_id"]
DECIMALS = 6
CHANGE_POINTS = 0.01
HISTORY_LISTS = 8  # earlier lists read for each learner's trend
MAX_INTERVENTIONS = 3
TOP_DRIVERS = 3
EXPLAIN_ROWS = 20_000  # listed rows explained at a time (whole offerings)
FILES = ("risk_list.csv", "risk_list.parquet", "report.html", "summary.json", "actions-to-fill.csv")


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`score` produced.

    Attributes
    ----------
    risk_list : DataFrame, one row per scored enrollment (columns in ``docs/scoring.md``)
    summary : dict, the content of ``summary.json``
    paths : dict of file name -> Path (empty when nothing was written)
    folder : Path of ``OUT/<as-of>`` or None
    report_html : str, the advisor page
    caseloads : dict of advisor -> their ranked list cut at capacity (``by="advisor"`` only)
    """

    risk_list: pd.DataFrame
    summary: dict
    paths: dict[str, Path] = field(default_factory=dict)
    folder: Path | None = None
    report_html: str = field(default="", repr=False)
    caseloads: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        c = self.summary["counts"]["total"]
        where = f", written to {self.folder}" if self.folder else ""
        return (
            f"ScoreResult(as_of={self.summary['as_of']}, {c['enrollments']:,} enrollments in "
            f"{len(self.summary['counts']['courses'])} offerings: {c['high']} high, {c['medium']} medium{where})"
        )


# ------------------------------------------------------------------------------------ inputs
def parse_as_of(as_of: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    """The as-of date as midnight UTC; facts strictly before it are used.

    >>> parse_as_of("2024-03-04")
    Timestamp('2024-03-04 00:00:00+0000', tz='UTC')
    """
    try:
        t = utc_timestamp(as_of)
    except ValueError:
        raise ScoringError(f"as-of date {as_of!r} is not a date; give it as YYYY-MM-DD") from None
    if t != t.normalize():
        raise ScoringError(f"as-of {as_of!r} has a time of day; the weekly job takes a date (YYYY-MM-DD)")
    return t


def _load_data(data, as_of: pd.Timestamp) -> tuple[LearningData, str | None]:
    """A LearningData as is; a path: only the offerings running at ``as_of`` and the columns of
    the contract (a Parquet folder skips the other rows while reading: memory follows what is
    scored). When none runs, every offering is read, for the error that names their span."""
    if isinstance(data, LearningData):
        return data, None
    if hasattr(data, "prepare"):  # a source: OfferingStream, learnrisk.spark.SparkSource (_sources)
        return data, getattr(data, "path", None)
    loaded = load_data(data, as_of=as_of, extra_columns=False)
    if loaded.courses.empty:
        loaded = load_data(data, validate=False)
    return loaded, str(data)


def _load_model(model, tracking_uri: str | None, trust_pickle: bool = False) -> tuple[Any, str | None]:
    """A model object as is; a URI or folder through :func:`learnrisk.load_model`."""
    if hasattr(model, "predict_proba"):
        return model, None

    return load_model(str(model), tracking_uri=tracking_uri, trust_pickle=trust_pickle), str(model)


def _check_target(model, expected: str, option: str) -> None:
    target = getattr(model, "target", None)
    if target != expected:
        raise ScoringError(
            f"{option} must be a {expected} model, found a model of target {target!r}; "
            f"pass the {target} model to the matching option"
        )


def _outside_every_course(data: LearningData, t: pd.Timestamp) -> ScoringError:
    c = data.courses
    if c.empty:
        return ScoringError("the data hold no course offering; nothing can be scored")
    first, last = c["start"].min(), c["end"].max()
    return ScoringError(
        f"as-of date {t:%Y-%m-%d} is outside every course offering (offerings run from "
        f"{first:%Y-%m-%d} to {last:%Y-%m-%d}); choose a date on which an offering runs (start <= date < end)"
    )


# ------------------------------------------------------------------------------------ risk
DEFAULT_BANDS = (0.5, 0.25)


def _bands_rule(bands, top_k: int, model) -> dict:
    """The band rule as the summary's dict; ``capacity`` (= ``k``) is the contact-now cut."""
    if isinstance(bands, str) and bands == "capacity":
        return {
            "rule": "capacity",
            "k": int(top_k),
            "capacity": int(top_k),
            "description": f"by rank: in each course the {top_k} highest risks are high, the next {top_k} medium, the rest low.",
        }
    if isinstance(bands, str) and bands == "model":
        th = (getattr(model, "metadata", {}) or {}).get("band_thresholds")
        if not isinstance(th, dict) or "high" not in th or "medium" not in th:
            raise ScoringError(
                "bands='model' needs band thresholds in the model card (metadata['band_thresholds'] "
                "= {'high': p, 'medium': q}); this model has none: use thresholds like (0.5, 0.25) or capacity bands"
            )
        bands = (th["high"], th["medium"])
    try:
        high, medium = (float(b) for b in bands)
    except (TypeError, ValueError):
        raise ScoringError(f"bands must be 'capacity', 'model' or (high, medium) thresholds, found {bands!r}") from None
    if not 0 <= medium <= high <= 1:
        raise ScoringError(f"band thresholds must satisfy 0 <= medium <= high <= 1, found high={high}, medium={medium}")
    return {
        "rule": "thresholds",
        "high": high,
        "medium": medium,
        "k": int(top_k),
        "capacity": int(top_k),
        "description": (
            f"by calibrated probability: a risk of {high:.0%} or more is high, {medium:.0%} or more medium, "
            f"the rest low, in every course. Separately, the {top_k} highest risks of each course are "
            "marked \u201ccontact now\u201d (advisor capacity)."
        ),
    }


def raw_scores(model, features: pd.DataFrame, p: np.ndarray) -> np.ndarray:
    """The model's raw score (:meth:`RiskModel.decision_function`); the logit of ``p`` for a
    model without one."""
    if len(features) and hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(features), dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def risk_frame(
    features: pd.DataFrame,
    p_d: np.ndarray,
    p_u: np.ndarray | None,
    bands: dict,
    raw_d: np.ndarray | None = None,
    raw_u: np.ndarray | None = None,
) -> pd.DataFrame:
    """Keys, probabilities, combined risk, raw score, rank within course, band and contact_now;
    sorted by course and rank.

    ``raw_score`` is the dropout model's raw score, or with two models the log-odds of the
    combined *uncalibrated* risk ``1 - (1 - s(raw_d)) (1 - s(raw_u))`` (``s`` the logistic
    function): it orders learners whom calibration put on the same step.
    """
    p_d = np.round(np.asarray(p_d, dtype=float), DECIMALS)
    raw_d = raw_scores(None, features, p_d) if raw_d is None else np.asarray(raw_d, dtype=float)
    if p_u is None:
        p_u = np.full(len(p_d), np.nan)
        risk = p_d.copy()
        raw = raw_d
    else:
        p_u = np.round(np.asarray(p_u, dtype=float), DECIMALS)
        risk = np.round(1.0 - (1.0 - p_d) * (1.0 - p_u), DECIMALS)
        raw_u = raw_scores(None, features, p_u) if raw_u is None else np.asarray(raw_u, dtype=float)
        # log-odds of 1 - (1-s(a))(1-s(b)) = log((1+e^a)(1+e^b) - 1), computed stably
        raw = np.logaddexp(np.logaddexp(raw_d, raw_u), raw_d + raw_u)
    df = pd.DataFrame(
        {
            "course_id": features["course_id"].astype("str").to_numpy(),
            "learner_id": features["learner_id"].astype("str").to_numpy(),
            "week": features["week"].to_numpy(dtype="int64"),
            "p_dropout": p_d,
            "p_underperformance": p_u,
            "risk": risk,
            "raw_score": np.round(np.asarray(raw, dtype=float), 4) + 0.0,
        }
    )
    df["main_risk"] = np.where(np.isnan(p_u) | (p_d >= p_u), "dropout", "underperformance")
    df = sort_by_risk(df, ["course_id"])
    df.insert(2, "rank", (df.groupby("course_id").cumcount() + 1).astype("int64"))
    df["band"] = assign_bands(df, bands)
    # bands are monotone in risk, so the listed rows of a course are its first ranks
    df["contact_now"] = ((df["rank"] <= bands["capacity"]) & (df["band"] != "low")).to_numpy()
    return df


def sort_by_risk(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """``df`` sorted by ``first`` (ascending), then risk and raw score (highest first), then the
    keys (course_id, learner_id): the one order of every list the job writes."""
    keys = first + ["risk", "raw_score"] + [k for k in KEYS if k not in first]
    asc = [True] * len(first) + [False, False] + [True] * (len(keys) - len(first) - 2)
    return df.sort_values(keys, ascending=asc, kind="mergesort").reset_index(drop=True)


def assign_bands(df: pd.DataFrame, bands: dict) -> np.ndarray:
    """high / medium / low of each row (``rank`` needed for the capacity rule)."""
    if bands["rule"] == "capacity":
        k = bands["k"]
        return np.where(df["rank"] <= k, "high", np.where(df["rank"] <= 2 * k, "medium", "low"))
    return np.where(df["risk"] >= bands["high"], "high", np.where(df["risk"] >= bands["medium"], "medium", "low"))


def compare_with_previous(risk: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Add previous_rank, previous_risk, previous_band, risk_change and change (see module doc)."""
    out = risk.copy()
    if previous is None:
        out["previous_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["previous_risk"] = np.nan
        out["previous_band"] = pd.Series([None] * len(out), dtype="str")
        out["risk_change"] = np.nan
        out["change"] = pd.Series([None] * len(out), dtype="str")
        return out
    prev = previous[KEYS + ["rank", "risk", "band"]].rename(
        columns={"rank": "previous_rank", "risk": "previous_risk", "band": "previous_band"}
    )
    out = out.merge(prev, on=KEYS, how="left", validate="one_to_one")
    out["previous_rank"] = out["previous_rank"].astype("Int64")
    out["risk_change"] = np.round(out["risk"] - out["previous_risk"], DECIMALS) + 0.0
    listed = out["band"].ne("low").to_numpy()
    was_listed = out["previous_band"].isin(["high", "medium"]).to_numpy()
    seen = out["previous_risk"].notna().to_numpy()
    delta = out["risk_change"].to_numpy()
    with np.errstate(invalid="ignore"):
        change = np.where(delta >= CHANGE_POINTS - 1e-9, "up", np.where(delta <= -CHANGE_POINTS + 1e-9, "down", "same"))
    change = np.where(listed & ~was_listed, "new", np.where(seen, change, None))
    out["change"] = pd.Series(change, dtype="str")
    return out


# ------------------------------------------------------------------------------------ explain
def explain_listed(data, models: dict, features: pd.DataFrame, risk: pd.DataFrame, interventions) -> dict:
    """The details of the listed rows: by the source when it can explain them itself (a
    ``SparkSource`` on its executors, calling :func:`_explain_listed` on each slice), else here."""
    if hasattr(data, "explain"):
        return data.explain(models, features, risk, interventions)
    return _explain_listed(models, features, risk, interventions)


def _explain_listed(models: dict, features: pd.DataFrame, risk: pd.DataFrame, interventions, cohort=None) -> dict:
    """Drivers and recommendations of each listed row, by the model of its main risk.

    ``cohort``: the frame the cohort medians come from (default ``features``); a slice of the
    listed rows gives the whole list's details when ``cohort`` has the whole frame's medians.
    Explained a few offerings at a time (about ``EXPLAIN_ROWS`` listed rows, whole offerings:
    the cohort medians are per offering and week), so memory holds one chunk's contributions,
    drivers and sentences, not those of every listed learner (a list can hold a quarter of a
    million learners with probability bands). A model explained against a background sample
    (neither tree nor linear) draws it from the chunk's offerings.
    """

    details: dict[tuple[str, str], dict] = {}
    listed = risk[risk["band"] != "low"]
    key_pos = pd.Series(
        np.arange(len(features)),
        index=pd.MultiIndex.from_arrays([features["course_id"].astype("str"), features["learner_id"].astype("str")]),
    )
    p_u_of = dict(zip(zip(risk["course_id"], risk["learner_id"]), risk["p_underperformance"]))
    p_d_of = dict(zip(zip(risk["course_id"], risk["learner_id"]), risk["p_dropout"]))
    course = features["course_id"].astype("str")
    for target, model in models.items():
        mine = listed[listed["main_risk"] == target]
        if mine.empty:
            continue
        rows = features.index[key_pos.loc[list(zip(mine["course_id"], mine["learner_id"]))].to_numpy()]
        for courses in _course_chunks(course.loc[rows], EXPLAIN_ROWS):
            part = features[course.isin(courses).to_numpy()]
            chunk = rows[course.loc[rows].isin(courses).to_numpy()]
            theirs = None if cohort is None else cohort[cohort["course_id"].astype("str").isin(courses).to_numpy()]
            ex = explain(model, part, rows=chunk, top_n=TOP_DRIVERS, interventions=interventions, cohort=theirs)
            _add_details(details, ex, chunk, part, p_d_of if target == "underperformance" else p_u_of)
    return details


def _course_chunks(course_of_row: pd.Series, size: int) -> list[list[str]]:
    """Offerings in groups whose rows add up to about ``size`` (an offering is never split)."""
    chunks: list[list[str]] = [[]]
    n = 0
    for c, k in course_of_row.value_counts(sort=False).sort_index().items():
        if n and n + k > size:
            chunks.append([])
            n = 0
        chunks[-1].append(c)
        n += k
    return chunks


def _add_details(details: dict, ex, rows, features: pd.DataFrame, p_other: dict) -> None:
    """The shown drivers and interventions of the ``rows`` ``ex`` explained, into ``details``;
    ``p_other``: the other target's probability of each key (an intervention's reduction is
    scaled by ``1 - p_other``). Vectorised over rows: a list can hold 250,000 learners."""
    keys_of = dict(zip(rows, zip(features.loc[rows, "course_id"], features.loc[rows, "learner_id"])))
    rec = ex.recommendations.sort_values(["row", "rank"], kind="mergesort")
    rec = rec[rec["rank"] <= MAX_INTERVENTIONS]
    # shown drivers: the top TOP_DRIVERS, plus any driver behind a shown intervention
    triggers = rec[["row"]].assign(driver=rec["triggered_by"].astype("str").str.split(",")).explode("driver")
    triggers["driver"] = triggers["driver"].str.strip()
    drv = ex.drivers.sort_values(["row", "rank"], kind="mergesort")
    drv = drv[shown_mask(drv, triggers)]
    for row, sentences in drv.groupby("row", sort=False)["sentence"].agg(list).items():
        details.setdefault(keys_of[row], {})["drivers"] = [str(s) for s in sentences]
    for r in rec.itertuples(index=False):
        key = keys_of[r.row]
        other = p_other[key]
        factor = 1.0 if np.isnan(other) else 1.0 - other
        details.setdefault(key, {}).setdefault("interventions", []).append(
            {
                "id": r.intervention_id,
                "title": r.title,
                "who": r.who,
                "channel": r.channel,
                "reduction": round(float(r.estimated_reduction) * factor, DECIMALS) + 0.0,
            }
        )


def shown_mask(drivers: pd.DataFrame, triggers: pd.DataFrame | None = None, top: int = TOP_DRIVERS) -> np.ndarray:
    """Which drivers (``row``, ranked, with their catalog ``group``) the list shows: in each
    row, the strongest driver of each group speaks for it ("average score 36" and "weighted
    average score 36" say one thing), the first ``top`` groups, plus any driver behind a shown
    intervention (``triggers``: ``row``, ``driver``; a recommendation always points at a driver
    on the page)."""
    g = drivers.sort_values(["row", "rank"], kind="mergesort")
    first = ~g.duplicated(["row", "group"])
    keep = first & (first.groupby(g["row"].to_numpy(), sort=False).cumsum() <= top)
    if triggers is not None and len(triggers):
        pairs = pd.MultiIndex.from_arrays([triggers["row"].to_numpy(), triggers["driver"].to_numpy()])
        keep |= pd.MultiIndex.from_arrays([g["row"].to_numpy(), g["driver"].to_numpy()]).isin(pairs)
    return keep.reindex(drivers.index).to_numpy()


def shown_drivers(drivers: pd.DataFrame, triggers: set[str], top: int = TOP_DRIVERS) -> np.ndarray:
    """:func:`shown_mask` of one row's drivers, with the drivers its interventions name."""
    one = drivers.assign(row=0)
    return shown_mask(one, pd.DataFrame({"row": 0, "driver": sorted(triggers)}), top)


def _needs_sensitive(models: dict) -> bool:
    """True when a model was trained with sensitive attributes (``include_sensitive=True``)."""

    sensitive = set(catalog().query("sensitive")["name"])
    return any(sensitive & set(getattr(m, "source_columns_", [])) for m in models.values())


def _intervention_text(i: dict) -> str:
    """'Title (who, channel): est. risk -5.2 pts' (an association in the model, not a causal effect)."""
    points = 100 * i["reduction"]
    change = f"est. risk \u2212{points:.1f} pts" if points >= 0.05 else "no estimated risk change"
    return f"{i['title']} ({i['who']}, {i['channel']}): {change}"


def _with_details(risk: pd.DataFrame, details: dict) -> pd.DataFrame:
    """Add drivers, interventions, intervention_ids and best_reduction (empty for unlisted rows)."""
    rows = []
    for (cid, lid), d in details.items():
        recs = d.get("interventions", [])
        rows.append(
            {
                "course_id": cid,
                "learner_id": lid,
                "drivers": " | ".join(d.get("drivers", [])),
                "interventions": " | ".join(_intervention_text(i) for i in recs),
                "intervention_ids": ",".join(i["id"] for i in recs),
                "best_reduction": max((i["reduction"] for i in recs), default=np.nan),
            }
        )
    cols = ["drivers", "interventions", "intervention_ids"]
    table = pd.DataFrame(rows, columns=KEYS + cols + ["best_reduction"]).astype({c: "str" for c in KEYS + cols})
    out = risk.merge(table, on=KEYS, how="left", validate="one_to_one")
    out[cols] = out[cols].fillna("")
    out["best_reduction"] = out["best_reduction"].astype("float64")
    return out


COLUMNS = [
    "as_of", "course_id", "learner_id", "week", "rank", "p_dropout", "p_underperformance", "risk", "raw_score",
    "band", "contact_now", "main_risk", "last_active", "missed_assessments", "drivers", "interventions", "intervention_ids", "best_reduction",
    "previous_rank", "previous_risk", "previous_band", "risk_change", "change",
]  # fmt: skip


CASELOAD_COLUMNS = [
    "as_of", "advisor", "caseload_rank", "capacity", "course_id", "learner_id", "week", "rank", "risk", "raw_score",
    "band", "main_risk", "last_active", "missed_assessments", "drivers", "interventions", "risk_change", "change",
]  # fmt: skip


def _with_caseloads(risk: pd.DataFrame, caseloads: list, assigned: pd.DataFrame) -> pd.DataFrame:
    """``contact_now`` from the advisors' cuts; ``advisor``: the advisors of each row (``; ``)."""
    cut = {key for c in caseloads for key in zip(c.rows["course_id"], c.rows["learner_id"])}
    names = assigned.sort_values("advisor").groupby(KEYS, sort=False)["advisor"].agg("; ".join)
    out = risk.copy()
    keys = list(zip(out["course_id"], out["learner_id"]))
    out["contact_now"] = np.array([k in cut for k in keys], dtype=bool)
    out["advisor"] = pd.Series([names.get(k, "") for k in keys], index=out.index, dtype="str")
    return out


def _view_inputs(data, data_path: str | None, t: pd.Timestamp, overviews) -> tuple[dict, dict[str, str]] | None:
    """What the course views show: each running offering's :func:`course_diagnostics` (it
    compares with the latest finished offerings of its code, ``_course.EARLIER_OFFERINGS``),
    and each offering's course code. Data given in memory are used as they are; a Parquet folder
    (the weekly job read only the running offerings, or a stream or Spark source read them in
    batches) is read again **one course code at a time** (its running offerings and their
    earlier ones), so memory stays bounded by one code's few offerings, not by every running
    offering at once; an OULAD folder or zip is small enough to read whole."""
    if isinstance(data, LearningData) and data_path is None:
        return course_diagnostics(data, t, overviews), _codes(data.courses)
    if data_path is None:
        return None
    parquet = (Path(data_path) / "courses.parquet").is_file()
    if parquet:
        courses = pd.read_parquet(Path(data_path) / "courses.parquet", columns=["course_id", "course_code", "start", "end"])
    else:  # an OULAD folder or zip
        courses = load_data(data_path, validate=False, extra_columns=False).courses
    start, end = (pd.to_datetime(courses[c], utc=True) for c in ("start", "end"))
    running = courses.loc[(start <= t) & (end > t), ["course_id", "course_code"]].astype(str)
    earlier = earlier_offerings(courses.assign(end=end), set(running["course_code"]), t)
    groups = [g for _, g in running.groupby("course_code", sort=True)] if parquet else [running]
    diagnostics: dict = {}
    for mine in groups:
        ids = mine["course_id"].tolist() + [i for c in sorted(set(mine["course_code"])) for i in earlier[c]]
        part = load_data(data_path, courses=ids, extra_columns=False, validate=False)
        diagnostics.update(course_diagnostics(part, t, [ov for ov in overviews if ov.course_id in set(mine["course_id"])]))
    return diagnostics, _codes(courses)


def _codes(courses: pd.DataFrame) -> dict[str, str]:
    return dict(zip(courses["course_id"].astype(str), courses["course_code"].astype(str)))


def _views(diagnostics: dict, codes: dict, t, overviews, risk, summary, out_path: Path, earlier: list[str]) -> dict[str, tuple[None, str]]:
    """``course/<course>.html`` per running offering and ``institution.html`` (``_course``, ``_institution``)."""
    pages: dict[str, tuple[None, str]] = {
        f"course/{course_filename(ov.course_id)}": (None, render_course(
            as_of=t, overview=ov, diagnostics=diagnostics[ov.course_id], risk_list=risk, summary=summary))
        for ov in overviews
    }  # fmt: skip
    pages["institution"] = (None, render_institution(
        as_of=t, overviews=overviews, risk_list=risk, summary=summary,
        trends=course_trends(out_path, earlier[-HISTORY_LISTS:]), quality=past_quality(out_path, t.strftime("%Y-%m-%d")), codes=codes))  # fmt: skip
    return pages


def _history(out_path: Path, folders: list[str]) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """Per (course_id, learner_id): [(as-of, risk), ...] over the earlier lists, oldest first."""
    hist: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for d in folders:
        prev = read_previous(out_path / d)
        if prev is None:
            continue
        for cid, lid, r in zip(prev["course_id"], prev["learner_id"], prev["risk"]):
            hist.setdefault((cid, lid), []).append((d, float(r)))
    return hist


# ------------------------------------------------------------------------------------ score
class _Steps:
    """Seconds per step; ``steps("name")`` ends the running step and starts the next."""

    def __init__(self, on_step: Callable[[str], None] | None) -> None:
        self.on_step = on_step
        self.timings: dict[str, float] = {}
        self.started = self._t = time.perf_counter()
        self._name: str | None = None

    def __call__(self, name: str) -> None:
        self._close()
        self._name = name
        if self.on_step is not None:
            self.on_step(name)

    def _close(self) -> None:
        now = time.perf_counter()
        if self._name is not None:
            self.timings[self._name] = self.timings.get(self._name, 0.0) + now - self._t
        self._t = now

    def snapshot(self) -> dict[str, float]:
        """Timings so far (the running step up to now) and the total."""
        self._close()
        return {**{k: round(v, 3) for k, v in self.timings.items()}, "total": round(self._t - self.started, 3)}


def score(
    data: LearningData | str | os.PathLike,
    as_of: str | dt.date | pd.Timestamp,
    model: Any,
    underperformance_model: Any = None,
    *,
    out: str | os.PathLike | None = None,
    top_k: int = 20,
    force: bool = False,
    interventions: Any = None,
    bands: str | tuple[float, float] = DEFAULT_BANDS,
    by: str = "course",
    caseload: str | os.PathLike | pd.DataFrame | None = None,
    capacity: int | None = None,
    tracking_uri: str | None = None,
    on_step: Callable[[str], None] | None = None,
    trust_pickle: bool = False,
    holdout: float = 0.0,
    holdout_salt: str = DEFAULT_SALT,
) -> ScoreResult:
    """Score every active enrollment of the offerings running at ``as_of``; write the weekly list.

    Parameters
    ----------
    data : LearningData, or a path for :func:`learnrisk.load_data` (Parquet folder, OULAD folder/zip)
    as_of : date (``"YYYY-MM-DD"``); facts strictly before its midnight UTC are used
    model : the dropout model: a RiskModel, a saved RiskModel folder, or an MLflow URI
        (``models:/NAME@champion``, ``runs:/ID/model``) loaded with :func:`learnrisk.load_model`
    underperformance_model : same kinds, optional; without it the risk is ``p_dropout``
    out : output folder; ``OUT/<as-of>/`` receives risk_list.csv, risk_list.parquet,
        report.html and summary.json. None writes nothing.
    top_k : advisor capacity per course: the ``top_k`` highest risks of each course are
        ``contact_now`` (and, under ``bands="capacity"``, high; the next ``top_k`` medium)
    force : replace an existing ``OUT/<as-of>/`` (atomically); without it an existing one is an error
    interventions : intervention catalog (object or YAML path) for the explainer; default packaged
    bands : ``(high, medium)`` calibrated probability thresholds (default ``(0.5, 0.25)``),
        ``"model"`` (the thresholds of the model card) or ``"capacity"`` (by rank, the former rule)
    by : ``"course"`` (default) or ``"advisor"``: also write, per advisor, one ranked list across
        their courses cut at their capacity (``OUT/<as-of>/caseload/<advisor>.csv`` and ``.html``;
        ``ScoreResult.caseloads``); ``contact_now`` then follows the advisors' cuts
    caseload : with ``by="advisor"``: a CSV file (learner_id, course_id, advisor[, capacity]) or
        a DataFrame; default the ``advisor`` column of the enrollments
    capacity : learners an advisor can contact in a week when the caseload gives none
        (default ``top_k``)
    tracking_uri : MLflow tracking URI for model URIs (default: ``MLFLOW_TRACKING_URI`` or
        ``sqlite:///mlflow.db``)
    on_step : called with the name of each step as it starts (the CLI's progress display)
    trust_pickle : load a model saved as a pickle (``model.pkl``, the former format); refused
        by default, since unpickling runs any code the file holds
    holdout : share (0 to 0.5, default 0: off) of the listed learners kept out of the advisors'
        list by a deterministic hash of learner, course and ``holdout_salt``, written to
        ``holdout.csv`` (a randomized evaluation design the institution must approve:
        ``docs/impact.md``); the rest are ranked again
    holdout_salt : another salt draws another hold-out; keep it for the whole offering

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataValidationError, ModelLoadError, ScoringError
        Invalid data; a missing or unreadable model or a tracking server that does not answer;
        an as-of date outside every offering, a model of the wrong target, a bad intervention
        catalog, an existing as-of folder without ``force``, another run holding OUT's lock, an
        OUT that cannot be written (a file, a dangling link, read-only, disk full). OUT is left
        as it was: the lock is taken only after the inputs and models are checked and the
        features, scores and explanations are computed.

    Examples
    --------
    >>> res = learnrisk.score("data/", "2024-03-04", "models:/learnrisk-dropout@champion",
    ...                       out="risk-lists")                                  # doctest: +SKIP
    >>> res.risk_list.query("band == 'high'").head()                           # doctest: +SKIP
    """

    steps = _Steps(on_step)
    if top_k < 1:
        raise ScoringError(f"top_k must be at least 1, found {top_k}")
    if by not in ("course", "advisor"):
        raise ScoringError(f"by must be 'course' or 'advisor', found {by!r}")
    if caseload is not None and by != "advisor":
        raise ScoringError("a caseload is used with by='advisor' (--by advisor)")
    holdout = check_holdout(holdout)
    t = parse_as_of(as_of)
    name = t.strftime("%Y-%m-%d")
    out_path = None if out is None else Path(out)

    steps("load_data")
    data, data_path = _load_data(data, t)
    steps("load_models")
    dropout_model, dropout_uri = _load_model(model, tracking_uri, trust_pickle)
    # an overdue model (corporate data) scores open assignments; its list has a page per manager
    main = "overdue" if getattr(dropout_model, "target", None) == "overdue" and underperformance_model is None else "dropout"
    _check_target(dropout_model, main, "--model")
    models = {main: dropout_model}
    uris = {main: dropout_uri}
    if underperformance_model is not None:
        under, under_uri = _load_model(underperformance_model, tracking_uri, trust_pickle)
        _check_target(under, "underperformance", "--underperformance-model")
        models["underperformance"] = under
        uris["underperformance"] = under_uri
    codes = dict(zip(data.courses["course_id"].astype(str), data.courses["course_code"].astype(str)))
    for m in models.values():  # each scored offering through its course code's calibrator
        if hasattr(m, "add_course_codes") and getattr(m, "calibrators_", None):
            m.add_course_codes(codes)
    band_rule = _bands_rule(bands, top_k, dropout_model)
    if running_courses(data, t).empty:
        raise _outside_every_course(data, t)
    if not isinstance(interventions, InterventionCatalog):
        interventions = load_interventions(interventions, catalog=catalog())
    assigned = assignments(data, caseload) if by == "advisor" else None
    if out_path is not None:
        check_output(out_path, name, force=force)

    # inputs first (features, scores, explanations): OUT is not touched before the lock
    steps("features")
    prepared = prepare(data, t, models, include_sensitive=_needs_sensitive(models))
    features = prepared.features
    if main == "overdue":  # open assignments only: the corporate tables, in memory
        if not isinstance(data, LearningData) or prepared.predictions is not None:
            raise ScoringError("an overdue model is scored with --engine pandas (the corporate tables are read in memory)")
        features = features[open_assignments(data, features)].reset_index(drop=True)
    steps("predict")
    if prepared.predictions is not None:  # scored where the features were built (Spark)
        (p_d, raw_d), (p_u, raw_u) = prepared.predictions["dropout"], prepared.predictions.get("underperformance", (None, None))
    else:
        p_d = dropout_model.predict_proba(features) if len(features) else np.empty(0)
        p_u = raw_u = None
        raw_d = raw_scores(dropout_model, features, p_d)
        if "underperformance" in models:
            p_u = models["underperformance"].predict_proba(features) if len(features) else np.empty(0)
            raw_u = raw_scores(models["underperformance"], features, p_u)
    risk = risk_frame(features, p_d, p_u, band_rule, raw_d, raw_u)
    if main == "overdue":  # risk is p_overdue; p_dropout stays empty
        risk["main_risk"], risk["p_dropout"] = "overdue", np.nan
    risk, held = split_holdout(risk, holdout, holdout_salt, band_rule["capacity"])
    caseloads = []
    if assigned is not None:
        caseloads = build_caseloads(risk, assigned, top_k if capacity is None else capacity)
        risk = _with_caseloads(risk, caseloads, assigned)
    risk = risk.merge(prepared.facts, on=KEYS, how="left", validate="one_to_one")
    risk["last_active"] = risk["last_active"].fillna("").astype("str")
    risk["missed_assessments"] = risk["missed_assessments"].fillna(0).astype("int64")
    # the data are judged against the dropout model's reference (every enrolled learner of the week)
    drift = {target: drift_report(m, features, warn=target != "underperformance") for target, m in models.items()}

    steps("explain")
    details = explain_listed(data, models, features, risk, interventions) if len(risk) else {}
    risk = _with_details(risk, details)

    with ExitStack() as stack:
        stack.enter_context(output_errors(out_path))
        recovered: list[str] = []
        if out_path is not None:
            steps("lock")
            stack.enter_context(lock_output(out_path))
            recovered = recover(out_path)
            check_output(out_path, name, force=force)  # what appeared while we were computing

        steps("compare")
        previous_name = None
        previous = None
        history: dict = {}
        if out_path is not None:
            earlier = [d for d in as_of_folders(out_path) if d < name]
            history = _history(out_path, earlier[-HISTORY_LISTS:])
            if earlier:
                previous_name = earlier[-1]
                previous = read_previous(out_path / previous_name)
                if previous is None:
                    recovered.append(f"the previous list {previous_name} could not be read: change columns left empty")
                    previous_name = None
        risk = compare_with_previous(risk, previous)
        risk.insert(0, "as_of", pd.Series([name] * len(risk), dtype="str"))
        actions = getattr(data, "actions", None)  # a stream or Spark source carries none
        if actions is not None:  # who has been contacted, when and how (before t)
            risk = risk.merge(contacted_before(actions, t), on=KEYS, how="left", validate="one_to_one")
            risk["contacted"] = risk["contacted"].fillna("").astype("str")
        extra = (["advisor"] if assigned is not None else []) + (["contacted"] if actions is not None else [])
        risk = risk[COLUMNS + extra]
        if caseloads:
            caseloads = build_caseloads(risk, assigned, top_k if capacity is None else capacity)

        steps("report")
        overviews = prepared.overviews
        summary = build_summary(
            as_of=t,
            models={target: model_info(m, uris[target]) for target, m in models.items()},
            data_info=data_info(data, t, data_path, prepared),
            risk_list=risk,
            n_explained=int((risk["band"] != "low").sum()),
            bands=band_rule,
            previous=previous_name,
            drift=drift,
            timings=steps.snapshot(),
            recovered=recovered,
            version=__version__,
        )
        summary["holdout"] = {"share": holdout, "salt": holdout_salt if holdout > 0 else None, "held_out": len(held),
                              "file": "holdout.csv" if holdout > 0 else None}
        summary["caseloads"] = {
            c.advisor: {"capacity": c.capacity, "served": c.served, "courses": list(c.courses), "file": caseload_filename(c.advisor)}
            for c in caseloads
        }
        html = render_report(
            as_of=t, overviews=overviews, risk_list=risk, details=details, summary=summary, history=history
        )
        pages = {
            f"caseload/{caseload_filename(c.advisor)}": (
                c, render_caseload(
                    as_of=t, caseload=c, details=details, summary=summary, risk_list=risk, history=history
                )
            )
            for c in caseloads
        }
        view = _view_inputs(data, data_path, t, overviews) if out_path is not None else None
        if view is not None:  # the course views and the institution view (docs/scoring.md)
            pages.update(_views(*view, t, overviews, risk, summary, out_path, earlier))
        if main == "overdue":  # a page per manager (docs/corporate.md)
            pages.update({f"manager/{stem}": (None, page) for stem, page in manager_pages(data, risk, features, details, t).items()})

        paths: dict[str, Path] = {}
        folder = None
        if out_path is not None:
            steps("write")
            staged = StagedFolder(out_path, name)
            try:
                staged.write_bytes("risk_list.csv", csv_bytes(risk))
                staged.write_bytes("risk_list.parquet", parquet_bytes(risk))
                staged.write_bytes("report.html", html.encode())
                staged.write_bytes("actions-to-fill.csv", csv_bytes(actions_sheet(risk)))
                if holdout > 0:
                    staged.write_bytes("holdout.csv", csv_bytes(holdout_rows(held, name)))
                for stem, (c, page) in pages.items():
                    (staged.path / stem).parent.mkdir(exist_ok=True)
                    if c is not None:
                        staged.write_bytes(f"{stem}.csv", csv_bytes(c.rows[CASELOAD_COLUMNS]))
                    staged.write_bytes(f"{stem}.html", page.encode())
                summary["timings"] = steps.snapshot()
                staged.write_bytes("summary.json", summary_bytes(summary))
                steps("publish")
                folder = publish(staged, out_path / name, force=force)
            except BaseException:
                staged.discard()
                raise
            paths = {f: folder / f for f in FILES + (("holdout.csv",) if holdout > 0 else ())}
            paths.update({f"{stem}.{ext}": folder / f"{stem}.{ext}" for stem, (c, _) in pages.items()
                          for ext in (("csv", "html") if c is not None else ("html",))})
        if out_path is None:
            summary["timings"] = steps.snapshot()
    return ScoreResult(
        risk_list=risk, summary=summary, paths=paths, folder=folder, report_html=html,
        caseloads={c.advisor: c.rows[CASELOAD_COLUMNS] for c in caseloads},
    )
