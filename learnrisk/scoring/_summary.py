"""``summary.json``: what was scored, with which models and data, how long it took, what drifted.

The summary is the one file of an as-of folder that may differ between two runs on the same
inputs (it holds the timings); the risk lists themselves are byte-identical.

Fields
------
as_of : the as-of date (``YYYY-MM-DD``); facts strictly before its midnight UTC were used
generated_by : learnrisk version
models : per target (``dropout``, ``underperformance``): uri, name, version, alias, run_id,
    kind, gate (``passed``/``failed``/null), status (``champion``, ``refused by the quality gate``,
    ``not promoted``, or null) and the one-line label the page and console show
data : digest of the six input tables (:meth:`LearningData.digest`), row counts, source path
population : running offerings, enrollments scored, enrollments explained
counts : per course and in total, enrollments per band (high, medium, low)
bands : the rule that assigned the bands (capacity with k, or probability thresholds)
previous : the as-of folder the change columns compare with (null when none)
drift : per model, the PSI of every model input against the training reference stored with the
    model (week by week when the model stores per-week references), and the warnings (PSI
    above 0.25); ``drift_warnings`` lists them (technical lines); ``drift_sentence`` says the same
    in one plain sentence for the page and the console (empty when nothing drifted)
data_warnings : the plausibility warnings of ``data.warnings`` (stale data, an export that
    stopped early...) as one-line messages; the page shows them in a banner, the CLI on stderr
timings : seconds per step and in total
recovered : what was cleaned up from interrupted runs before writing, and an earlier list that
    could not be read
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from .._json import jsonable
from ..features import catalog
from ..training import drift_by_feature

__all__ = ["DRIFT_WARNING_PSI", "build_summary", "drift_report", "drift_sentence", "model_info", "summary_bytes"]

DRIFT_WARNING_PSI = 0.25
DRIFT_ALPHA = 0.01  # chance of one false drift warning per scored week, over all inputs
# PSI of these inputs against the pooled training weeks is large by construction (one week is
# scored, many were trained on), so they are reported but never raise a warning; neither are
# inputs centred on each course by construction (z-scores: unit "z-score" in the catalog),
# whose distribution is the same in every course whatever the population does.
_NOT_DRIFT = ("week",)


def _not_drift() -> set[str]:
    cat = catalog()
    return set(_NOT_DRIFT) | set(cat.loc[cat["unit"] == "z-score", "name"])


def _beyond_chance(model: Any, features: pd.DataFrame, detail: pd.DataFrame, alpha: float = DRIFT_ALPHA) -> set[str]:
    """Inputs whose shift in at least one scored week is larger than chance allows for that
    week's number of rows.

    A sample of ``n`` rows drawn from the training distribution itself has a PSI of about
    ``X2 / n`` (``X2`` chi-square with bins - 1 degrees of freedom), so a small week shows a
    large PSI by chance alone: 0.3 is ordinary for 80 rows and 10 bins. The PSI here smooths the
    week's bin counts (+0.5 each: an empty bin is not evidence of an infinite shift) and is
    compared with the ``1 - alpha / inputs`` quantile of that chance distribution.
    """
    if not hasattr(model, "prepare"):
        return set(detail["feature"])
    X = model.prepare(features)
    by_week = getattr(model, "reference_by_week_", None) or {}
    pooled = getattr(model, "reference_", None) or {}
    n_inputs = max(detail["feature"].nunique(), 1)
    week = features["week"].to_numpy() if "week" in features.columns else None
    out: set[str] = set()
    for r in detail.itertuples(index=False):
        if r.feature in out or r.feature not in X.columns:
            continue
        ref = (by_week.get(int(r.reference_week)) if not pd.isna(r.reference_week) else pooled) or pooled
        if r.feature not in ref:
            continue
        mask = np.ones(len(X), dtype=bool) if week is None or pd.isna(r.week) else week == int(r.week)
        v = X.loc[mask, r.feature].to_numpy(dtype=float)
        edges = np.asarray(ref[r.feature]["edges"], dtype=float)
        q = np.clip(np.asarray(ref[r.feature]["shares"], dtype=float), 1e-4, None)
        nan = ~np.isfinite(v)
        counts = np.append(np.bincount(np.searchsorted(edges, v[~nan], side="right"), minlength=len(edges) + 1), nan.sum())
        n = len(v)
        if n == 0:
            continue
        p = (counts + 0.5) / (n + 0.5 * len(counts))
        smoothed = float(np.sum((p - q) * np.log(p / q)))
        df = max(int((np.asarray(ref[r.feature]["shares"]) > 0).sum()) - 1, 1)
        if smoothed > chi2.ppf(1 - alpha / n_inputs, df) / n:
            out.add(r.feature)
    return out


CHAMPION = "champion"


def model_info(model: Any, uri: str | None) -> dict:
    """Name, version, alias, run id, kind and gate status of a model, and a one-line label.

    The registry loader puts name, version and run id in the metadata; the alias is read from a
    ``models:/NAME@ALIAS`` URI; ``metadata["gate"]`` (``passed``/``failed``, when the training
    run stored it) says whether the quality gate accepted the model. Without a stored gate
    result, a model loaded by an alias other than ``champion`` is labelled "not promoted".
    """
    meta = dict(getattr(model, "metadata", {}) or {})
    name = meta.get("name") or meta.get("registered_name")
    version = None if meta.get("version") is None else str(meta.get("version"))
    uri = None if uri is None else str(uri)
    alias = meta.get("alias")
    if alias is None and uri and uri.startswith("models:/") and "@" in uri:
        alias = uri.rsplit("@", 1)[1]
    gate = meta.get("gate")
    gate = None if gate is None else str(gate).lower()
    if gate in ("failed", "refused", "false"):
        status = "refused by the quality gate"
    elif alias is not None and alias != CHAMPION:
        status = "not promoted"
    elif alias == CHAMPION:
        status = CHAMPION
    else:
        status = None
    est = model.estimator if isinstance(getattr(model, "estimator", None), str) else type(model).__name__
    if name:
        label = f"{name} v{version}" if version else str(name)
        if alias:
            label += f" @{alias}"
    elif uri:
        label = str(uri)
    else:
        label = f"{est} model passed in memory (not from the registry)"
    if status and status != CHAMPION:
        label += f" ({status})"
    return {
        "label": label,
        "target": getattr(model, "target", None),
        "uri": uri,
        "name": name,
        "version": version,
        "alias": alias,
        "gate": gate,
        "status": status,
        "run_id": meta.get("run_id"),
        "kind": getattr(model, "kind_", None),
        "estimator": est,
    }


def drift_report(model: Any, features: pd.DataFrame, threshold: float = DRIFT_WARNING_PSI, *, warn: bool = True) -> dict:
    """The model's drift (:meth:`RiskModel.drift`) on the scored rows, as the summary's dict.

    The model compares the rows of each scored week with the training rows of the same week
    (the nearest trained week for a week it was not trained on) and gives a feature the
    row-weighted mean PSI over the scored weeks; without a ``week`` column it uses the pooled
    training reference, and ``reference`` says so.

    Returns ``{"reference", "weeks", "max_psi", "threshold", "warnings": [{"feature", "psi"}],
    "psi": {feature: psi}}``; ``weeks`` maps each scored week to the training week it was
    compared with; a warning is a PSI above ``threshold`` (0.25, the usual line for a
    significant shift) that is also beyond chance for the week's number of rows
    (:func:`_beyond_chance`). ``week`` and the course-centred z-scores are reported but never
    warned about. ``warn=False`` reports the PSI without warnings (``note`` says why): the
    job passes it for the underperformance model, whose training rows are only the learners
    with an outcome (those who stayed), not the population scored; the dropout model's
    reference holds every enrolled learner of the week and judges the data.
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
    skip = _not_drift()
    candidates = {f for f, v in psi.items() if v > threshold and f not in skip}
    real = _beyond_chance(model, features, detail[detail["feature"].isin(candidates)]) if candidates and warn else set()
    warnings = [{"feature": f, "psi": v} for f, v in psi.items() if f in candidates and f in real]
    considered = [v for f, v in psi.items() if f not in skip]
    return {
        "reference": "training rows of all weeks pooled" if pooled else "training rows of the same week",
        "weeks": weeks,
        "max_psi": max(considered) if considered else None,
        "threshold": threshold,
        "warnings": warnings,
        "psi": psi,
        **({} if warn else {"note": "reported only: trained on learners with an outcome, not every enrolled learner"}),
    }


def drift_sentence(drift: dict[str, dict], labels: dict[str, str] | None = None) -> str:
    """One plain sentence naming the inputs that drifted, or "" when none did.

    >>> drift_sentence({"dropout": {"warnings": [{"feature": "clicks_1w", "psi": 0.9}],
    ...                             "reference": "training rows of the same week"}})
    'This week\'s clicks_1w look clearly different from the training data at the same course week: treat the dropout scores with care and tell the model owner.'
    """
    labels = labels or {}
    feats: list[str] = []
    targets: list[str] = []
    same_week = True
    for target, d in drift.items():
        if not d.get("warnings"):
            continue
        targets.append(target)
        same_week &= d.get("reference") == "training rows of the same week"
        for w in sorted(d["warnings"], key=lambda w: -w["psi"]):
            name = labels.get(w["feature"], w["feature"])
            if name not in feats:
                feats.append(name)
    if not feats:
        return ""
    shown = ", ".join(feats[:3]) + (f" and {len(feats) - 3} more input{'s' if len(feats) > 4 else ''}" if len(feats) > 3 else "")
    where = "at the same course week" if same_week else "(all training weeks pooled)"
    return (
        f"This week's {shown} look clearly different from the training data {where}: "
        f"treat the {' and '.join(targets)} scores with care and tell the model owner."
    )


def _counts(risk_list: pd.DataFrame) -> dict:
    def count(g: pd.DataFrame) -> dict:
        vc = g["band"].value_counts()
        c = {"enrollments": len(g), **{b: int(vc.get(b, 0)) for b in ("high", "medium", "low")}}
        if "contact_now" in g.columns:
            c["contact_now"] = int(g["contact_now"].sum())
        return c

    out = {str(cid): count(g) for cid, g in risk_list.groupby("course_id", sort=True)}
    total = count(risk_list)
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
        "drift_sentence": drift_sentence(drift),
        "data_warnings": [
            {"message": f"{w['table']}.{w['column']}: {w['problem']} ({w['count']:,} rows)"} for w in data_info.get("warnings") or []
        ],
        "timings": {k: round(float(v), 3) for k, v in timings.items()},
        "recovered": list(recovered or []),
    }


def summary_bytes(summary: dict) -> bytes:
    """The summary as UTF-8 JSON, indented, keys in insertion order, ending with a newline."""
    return (json.dumps(jsonable(summary), indent=2, ensure_ascii=False) + "\n").encode()
