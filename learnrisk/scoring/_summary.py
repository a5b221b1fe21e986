"""``summary.json``: what was scored, with which models and data, how long it took, what drifted.

The summary is the one file of an as-of folder that may differ between two runs on the same
inputs (it holds the timings); the risk lists themselves are byte-identical.

Fields
------
as_of : the as-of date (``YYYY-MM-DD``); facts strictly before its midnight UTC were used
generated_by : learnrisk version
models : per target (``dropout``, ``underperformance``): uri, name, version, run_id, kind
data : digest of the six input tables (:meth:`LearningData.digest`), row counts, source path
population : running offerings, enrollments scored, enrollments explained
counts : per course and in total, enrollments per band (high, medium, low)
bands : the rule that assigned the bands (capacity with k, or probability thresholds)
previous : the as-of folder the change columns compare with (null when none)
drift : per model, the PSI of every model input against the training reference stored with the
    model (week by week when the model stores per-week references), and the warnings (PSI
    above 0.25); ``drift_warnings`` lists them as sentences
timings : seconds per step and in total
recovered : what was cleaned up from interrupted runs before writing, and an earlier list that
    could not be read
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .._json import jsonable
from ..training import drift_by_feature

__all__ = ["DRIFT_WARNING_PSI", "build_summary", "drift_report", "model_info", "summary_bytes"]

DRIFT_WARNING_PSI = 0.25
# PSI of these inputs against the pooled training weeks is large by construction (one week is
# scored, many were trained on), so they are reported but never raise a warning.
_NOT_DRIFT = ("week",)


def model_info(model: Any, uri: str | None) -> dict:
    """Name, version, run id and kind of a model (what the registry loader put in its metadata)."""
    meta = dict(getattr(model, "metadata", {}) or {})
    name = meta.get("name") or meta.get("registered_name")
    version = None if meta.get("version") is None else str(meta.get("version"))
    est = model.estimator if isinstance(getattr(model, "estimator", None), str) else type(model).__name__
    if name:
        label = f"{name} v{version}" if version else str(name)
    elif uri:
        label = str(uri)
    else:
        label = f"{est} model passed in memory"
    return {
        "label": label,
        "target": getattr(model, "target", None),
        "uri": None if uri is None else str(uri),
        "name": name,
        "version": version,
        "run_id": meta.get("run_id"),
        "kind": getattr(model, "kind_", None),
        "estimator": est,
    }


def drift_report(model: Any, features: pd.DataFrame, threshold: float = DRIFT_WARNING_PSI) -> dict:
    """The model's drift (:meth:`RiskModel.drift`) on the scored rows, as the summary's dict.

    The model compares the rows of each scored week with the training rows of the same week
    (the nearest trained week for a week it was not trained on) and gives a feature the
    row-weighted mean PSI over the scored weeks; without a ``week`` column it uses the pooled
    training reference, and ``reference`` says so.

    Returns ``{"reference", "weeks", "max_psi", "threshold", "warnings": [{"feature", "psi"}],
    "psi": {feature: psi}}``; ``weeks`` maps each scored week to the training week it was
    compared with; a warning is a PSI above ``threshold`` (0.25, the usual line for a
    significant shift). ``week`` itself is reported but never warned about.
    """
    empty = {"reference": None, "weeks": {}, "max_psi": None, "threshold": threshold, "warnings": [], "psi": {}}
    if features.empty or not hasattr(model, "drift"):
        return empty
    detail = model.drift(features, by_week=True)
    weekly = detail.dropna(subset=["week"]).drop_duplicates("week")
    weeks = {str(int(r.week)): int(r.reference_week) for r in weekly.itertuples(index=False)}
    pooled = bool((detail["reference"] == "pooled").all())
    table = drift_by_feature(detail)
    psi = {str(r.feature): round(float(r.psi), 4) for r in table.itertuples(index=False)}
    warnings = [{"feature": f, "psi": v} for f, v in psi.items() if v > threshold and f not in _NOT_DRIFT]
    considered = [v for f, v in psi.items() if f not in _NOT_DRIFT]
    return {
        "reference": "training rows of all weeks pooled" if pooled else "training rows of the same week",
        "weeks": weeks,
        "max_psi": max(considered) if considered else None,
        "threshold": threshold,
        "warnings": warnings,
        "psi": psi,
    }


def _counts(risk_list: pd.DataFrame) -> dict:
    bands = ["high", "medium", "low"]
    out: dict[str, dict] = {}
    for cid, g in risk_list.groupby("course_id", sort=True):
        vc = g["band"].value_counts()
        out[str(cid)] = {"enrollments": len(g), **{b: int(vc.get(b, 0)) for b in bands}}
    vc = risk_list["band"].value_counts()
    total = {"enrollments": len(risk_list), **{b: int(vc.get(b, 0)) for b in bands}}
    return {"total": total, "courses": out}


def build_summary(
    *,
    as_of: pd.Timestamp,
    models: dict[str, dict],
    data_info: dict,
    risk_list: pd.DataFrame,
    n_explained: int,
    bands: dict,
    previous: str | None,
    drift: dict[str, dict],
    timings: dict[str, float],
    recovered: list[str] | None = None,
    version: str = "",
) -> dict:
    """Assemble the summary dictionary (see the module docstring for the fields)."""
    warnings = [
        f"{target}: {w['feature']} PSI {w['psi']:.2f} > {d['threshold']}"
        for target, d in drift.items()
        for w in d["warnings"]
    ]
    return {
        "as_of": as_of.strftime("%Y-%m-%d"),
        "generated_by": f"learnrisk {version}".strip(),
        "models": models,
        "data": data_info,
        "population": {
            "running_offerings": sorted(map(str, risk_list["course_id"].unique())),
            "enrollments_scored": len(risk_list),
            "enrollments_explained": int(n_explained),
        },
        "counts": _counts(risk_list),
        "bands": bands,
        "previous": previous,
        "drift": drift,
        "drift_warnings": warnings,
        "timings": {k: round(float(v), 3) for k, v in timings.items()},
        "recovered": list(recovered or []),
    }


def summary_bytes(summary: dict) -> bytes:
    """The summary as UTF-8 JSON, indented, keys in insertion order, ending with a newline."""
    return (json.dumps(jsonable(summary), indent=2, ensure_ascii=False) + "\n").encode()
