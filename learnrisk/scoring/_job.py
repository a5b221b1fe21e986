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
  files), highest first; ties broken by learner_id, so that the order never depends on the
  input's row order.
- **Bands**: by capacity (default): ranks 1..k are ``high``, k+1..2k ``medium``, the rest
  ``low`` (``top_k`` = k, what advisors can contact in a week); or by probability thresholds
  (``bands=(0.5, 0.25)``: risk >= 0.5 high, >= 0.25 medium), or the thresholds of the model
  card (``bands="model"``: ``model.metadata["band_thresholds"]``).
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
from ..features import build_features, catalog
from ..training import load_model
from ..timeline import utc_timestamp
from ._io import StagedFolder, as_of_folders, check_output, lock_output, output_errors, publish, recover
from ._overview import course_overviews, running_courses
from ._report import render_report
from ._summary import build_summary, drift_report, model_info, summary_bytes
from ._tables import csv_bytes, parquet_bytes, read_previous

__all__ = ["ScoreResult", "score"]

KEYS = ["course_id", "learner_id"]
DECIMALS = 6
CHANGE_POINTS = 0.01
MAX_INTERVENTIONS = 3
TOP_DRIVERS = 3
FILES = ("risk_list.csv", "risk_list.parquet", "report.html", "summary.json")


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
    """

    risk_list: pd.DataFrame
    summary: dict
    paths: dict[str, Path] = field(default_factory=dict)
    folder: Path | None = None
    report_html: str = field(default="", repr=False)

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
    loaded = load_data(data, as_of=as_of, extra_columns=False)
    if loaded.courses.empty:
        loaded = load_data(data, validate=False)
    return loaded, str(data)


def _load_model(model, tracking_uri: str | None) -> tuple[Any, str | None]:
    """A model object as is; a URI or folder through :func:`learnrisk.load_model`."""
    if hasattr(model, "predict_proba"):
        return model, None

    return load_model(str(model), tracking_uri=tracking_uri), str(model)


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
def _bands_rule(bands, top_k: int, model) -> dict:
    if isinstance(bands, str) and bands == "capacity":
        return {
            "rule": "capacity",
            "k": int(top_k),
            "description": f"by capacity: in each course the {top_k} highest risks are high, the next {top_k} medium, the rest low.",
        }
    if isinstance(bands, str) and bands == "model":
        th = (getattr(model, "metadata", {}) or {}).get("band_thresholds")
        if not isinstance(th, dict) or "high" not in th or "medium" not in th:
            raise ScoringError(
                "bands='model' needs band thresholds in the model card (metadata['band_thresholds'] "
                "= {'high': p, 'medium': q}); this model has none: use capacity bands or give thresholds"
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
        "description": f"by probability: risk of {high:.0%} or more is high, {medium:.0%} or more medium, the rest low.",
    }


def risk_frame(features: pd.DataFrame, p_d: np.ndarray, p_u: np.ndarray | None, bands: dict) -> pd.DataFrame:
    """Keys, probabilities, combined risk, rank within course and band; sorted by course and rank."""
    p_d = np.round(np.asarray(p_d, dtype=float), DECIMALS)
    if p_u is None:
        p_u = np.full(len(p_d), np.nan)
        risk = p_d.copy()
    else:
        p_u = np.round(np.asarray(p_u, dtype=float), DECIMALS)
        risk = np.round(1.0 - (1.0 - p_d) * (1.0 - p_u), DECIMALS)
    df = pd.DataFrame(
        {
            "course_id": features["course_id"].astype("str").to_numpy(),
            "learner_id": features["learner_id"].astype("str").to_numpy(),
            "week": features["week"].to_numpy(dtype="int64"),
            "p_dropout": p_d,
            "p_underperformance": p_u,
            "risk": risk,
        }
    )
    df["main_risk"] = np.where(np.isnan(p_u) | (p_d >= p_u), "dropout", "underperformance")
    df = df.sort_values(["course_id", "risk", "learner_id"], ascending=[True, False, True], kind="mergesort")
    df = df.reset_index(drop=True)
    df.insert(2, "rank", (df.groupby("course_id").cumcount() + 1).astype("int64"))
    if bands["rule"] == "capacity":
        k = bands["k"]
        band = np.where(df["rank"] <= k, "high", np.where(df["rank"] <= 2 * k, "medium", "low"))
    else:
        band = np.where(df["risk"] >= bands["high"], "high", np.where(df["risk"] >= bands["medium"], "medium", "low"))
    df["band"] = band
    return df


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
def _explain_listed(models: dict, features: pd.DataFrame, risk: pd.DataFrame, interventions) -> dict:
    """Drivers and recommendations of each listed row, by the model of its main risk."""

    details: dict[tuple[str, str], dict] = {}
    listed = risk[risk["band"] != "low"]
    key_pos = pd.Series(
        np.arange(len(features)),
        index=pd.MultiIndex.from_arrays([features["course_id"].astype("str"), features["learner_id"].astype("str")]),
    )
    p_u_of = dict(zip(zip(risk["course_id"], risk["learner_id"]), risk["p_underperformance"]))
    p_d_of = dict(zip(zip(risk["course_id"], risk["learner_id"]), risk["p_dropout"]))
    for target, model in models.items():
        mine = listed[listed["main_risk"] == target]
        if mine.empty:
            continue
        pos = key_pos.loc[list(zip(mine["course_id"], mine["learner_id"]))].to_numpy()
        rows = features.index[pos]
        ex = explain(model, features, rows=rows, top_n=TOP_DRIVERS, interventions=interventions)
        keys_of = {row: (features.at[row, "course_id"], features.at[row, "learner_id"]) for row in rows}
        rec = ex.recommendations.sort_values(["row", "rank"], kind="mergesort")
        rec = rec[rec["rank"] <= MAX_INTERVENTIONS]
        # shown drivers: the top TOP_DRIVERS, plus any driver behind a shown intervention
        triggers = {
            row: {f.strip() for t in g["triggered_by"] for f in str(t).split(",")}
            for row, g in rec.groupby("row", sort=False)
        }
        drv = ex.drivers.sort_values(["row", "rank"], kind="mergesort")
        for row, g in drv.groupby("row", sort=False):
            shown = (g["rank"] <= TOP_DRIVERS) | g["driver"].isin(triggers.get(row, set()))
            details.setdefault(keys_of[row], {})["drivers"] = [str(s) for s in g.loc[shown, "sentence"]]
        for row, g in rec.groupby("row", sort=False):
            key = keys_of[row]
            other = p_u_of[key] if target == "dropout" else p_d_of[key]
            factor = 1.0 if np.isnan(other) else 1.0 - other
            details.setdefault(key, {})["interventions"] = [
                {
                    "id": r.intervention_id,
                    "title": r.title,
                    "who": r.who,
                    "channel": r.channel,
                    "reduction": round(float(r.estimated_reduction) * factor, DECIMALS) + 0.0,
                }
                for r in g.itertuples(index=False)
            ]
    return details


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
    "as_of", "course_id", "learner_id", "week", "rank", "p_dropout", "p_underperformance", "risk", "band",
    "main_risk", "drivers", "interventions", "intervention_ids", "best_reduction",
    "previous_rank", "previous_risk", "previous_band", "risk_change", "change",
]  # fmt: skip


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
    bands: str | tuple[float, float] = "capacity",
    tracking_uri: str | None = None,
    on_step: Callable[[str], None] | None = None,
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
    top_k : learners per course in the high band (and again in medium) under capacity bands
    force : replace an existing ``OUT/<as-of>/`` (atomically); without it an existing one is an error
    interventions : intervention catalog (object or YAML path) for the explainer; default packaged
    bands : ``"capacity"`` (default), ``"model"``, or ``(high, medium)`` probability thresholds
    tracking_uri : MLflow tracking URI for model URIs (default: ``MLFLOW_TRACKING_URI`` or
        ``sqlite:///mlflow.db``)
    on_step : called with the name of each step as it starts (the CLI's progress display)

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
    t = parse_as_of(as_of)
    name = t.strftime("%Y-%m-%d")
    out_path = None if out is None else Path(out)

    steps("load_data")
    data, data_path = _load_data(data, t)
    steps("load_models")
    dropout_model, dropout_uri = _load_model(model, tracking_uri)
    _check_target(dropout_model, "dropout", "--model")
    models = {"dropout": dropout_model}
    uris = {"dropout": dropout_uri}
    if underperformance_model is not None:
        under, under_uri = _load_model(underperformance_model, tracking_uri)
        _check_target(under, "underperformance", "--underperformance-model")
        models["underperformance"] = under
        uris["underperformance"] = under_uri
    band_rule = _bands_rule(bands, top_k, dropout_model)
    if running_courses(data, t).empty:
        raise _outside_every_course(data, t)
    if not isinstance(interventions, InterventionCatalog):
        interventions = load_interventions(interventions, catalog=catalog())
    if out_path is not None:
        check_output(out_path, name, force=force)

    # inputs first (features, scores, explanations): OUT is not touched before the lock
    steps("features")
    features = build_features(data, as_of=t, include_sensitive=_needs_sensitive(models)).reset_index(drop=True)
    steps("predict")
    p_d = dropout_model.predict_proba(features) if len(features) else np.empty(0)
    p_u = None
    if "underperformance" in models:
        p_u = models["underperformance"].predict_proba(features) if len(features) else np.empty(0)
    risk = risk_frame(features, p_d, p_u, band_rule)
    drift = {target: drift_report(m, features) for target, m in models.items()}

    steps("explain")
    details = _explain_listed(models, features, risk, interventions) if len(risk) else {}
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
        if out_path is not None:
            earlier = [d for d in as_of_folders(out_path) if d < name]
            if earlier:
                previous_name = earlier[-1]
                previous = read_previous(out_path / previous_name)
                if previous is None:
                    recovered.append(f"the previous list {previous_name} could not be read: change columns left empty")
                    previous_name = None
        risk = compare_with_previous(risk, previous)
        risk.insert(0, "as_of", pd.Series([name] * len(risk), dtype="str"))
        risk = risk[COLUMNS]

        steps("report")
        overviews = course_overviews(data, t)
        summary = build_summary(
            as_of=t,
            models={target: model_info(m, uris[target]) for target, m in models.items()},
            data_info={
                "digest": data.digest(),
                "path": data_path,
                "rows": {n: len(f) for n, f in data.tables().items()},
                "warnings": data.warning_records(as_of=t),  # plausibility checks (docs/data.md)
            },
            risk_list=risk,
            n_explained=int((risk["band"] != "low").sum()),
            bands=band_rule,
            previous=previous_name,
            drift=drift,
            timings=steps.snapshot(),
            recovered=recovered,
            version=__version__,
        )
        html = render_report(as_of=t, overviews=overviews, risk_list=risk, details=details, summary=summary)

        paths: dict[str, Path] = {}
        folder = None
        if out_path is not None:
            steps("write")
            staged = StagedFolder(out_path, name)
            try:
                staged.write_bytes("risk_list.csv", csv_bytes(risk))
                staged.write_bytes("risk_list.parquet", parquet_bytes(risk))
                staged.write_bytes("report.html", html.encode())
                summary["timings"] = steps.snapshot()
                staged.write_bytes("summary.json", summary_bytes(summary))
                steps("publish")
                folder = publish(staged, out_path / name, force=force)
            except BaseException:
                staged.discard()
                raise
            paths = {f: folder / f for f in FILES}
        if out_path is None:
            summary["timings"] = steps.snapshot()
    return ScoreResult(risk_list=risk, summary=summary, paths=paths, folder=folder, report_html=html)
