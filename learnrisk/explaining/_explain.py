"""`explain()`: why is this learner at risk, and what can be done, as plain data.

>>> ex = learnrisk.explain(model, feats, rows=feats["learner_id"] == "L42")   # doctest: +SKIP
>>> ex.drivers[["driver", "sentence", "actionable"]]                          # doctest: +SKIP
>>> ex.recommendations[["title", "who", "estimated_reduction"]]               # doctest: +SKIP
>>> json.dumps(ex.to_records())                                               # doctest: +SKIP

The pieces: :mod:`learnrisk.training._contributions` (per-row contributions in log-odds),
:mod:`._drivers` (roll-up and sentences), :mod:`._interventions` (the catalog and its triggers),
:mod:`._whatif` (the estimated risk reduction). The result is an :class:`Explanation`.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..errors import ConfigError, ExplainError, LearnriskError, RowsNotFoundError
from ..training._contributions import BACKGROUND_ROWS, input_contributions, to_source
from ._drivers import KEYS, cohort_medians, default_catalog, feature_metadata, group_contributions, select_drivers
from ._explanation import Explanation
from ._interventions import InterventionCatalog, load_interventions
from ._whatif import estimate_reductions

__all__ = ["explain"]

REC_COLUMNS = [
    "row", "rank", "intervention_id", "title", "who", "channel", "triggered_by", "estimated_reduction",
    "risk_now", "risk_after", "reduction_log_odds", "description",
]


def explain(
    model,
    features: pd.DataFrame,
    *,
    rows=None,
    top_n: int = 3,
    interventions: InterventionCatalog | str | os.PathLike | None = None,
    cohort: pd.DataFrame | None = None,
    catalog: pd.DataFrame | None = None,
    random_state: int = 0,
) -> Explanation:
    """Explain the risk scores of some rows of a features frame: drivers and recommendations.

    Parameters
    ----------
    model : RiskModel
        A fitted model (LightGBM, logistic regression, or any classifier).
    features : DataFrame
        A frame from :func:`learnrisk.build_features`: pass the whole cohort even to explain a few
        learners, since the cohort medians at each cutoff come from it.
    rows : index labels or boolean mask, optional
        Which rows of ``features`` to explain (default: all). Only these are explained, so asking
        for the top 10 % costs a tenth.
    top_n : int, default 3
        Drivers per row: the top ``top_n`` that raise risk, plus up to ``top_n`` actionable ones
        ranked lower (only actionable drivers trigger interventions).
    interventions : InterventionCatalog or path, optional
        The intervention catalog (default: the packaged one); a path is read with
        :func:`load_interventions`.
    cohort : DataFrame, optional
        The features frame the cohort medians come from (default: ``features``).
    catalog : DataFrame, optional
        The feature catalog (default: :func:`learnrisk.features.catalog`).
    random_state : int
        Seed of the background sample for models explained by the ``shap`` library.

    Returns
    -------
    Explanation

    Notes
    -----
    The estimated reduction of an intervention is an association in the model (the risk of a
    similar learner whose driver sits at the cohort median), not a causal effect; see
    ``docs/explain.md``.

    Examples
    --------
    >>> ex = explain(model, feats, rows=model.predict_proba(feats) > 0.5)     # doctest: +SKIP
    >>> ex.summary.head()                                                     # doctest: +SKIP
    """
    if not hasattr(model, "estimator_"):
        raise LearnriskError("explain() needs a fitted RiskModel; call fit() first or load one")
    if top_n < 1:
        raise ConfigError(f"top_n must be at least 1, found {top_n}")
    if not features.index.is_unique:
        raise LearnriskError("the features frame has a duplicated index; call features.reset_index(drop=True) first")
    cohort = features if cohort is None else cohort
    selected = _select(features, rows)
    feature_catalog = default_catalog() if catalog is None else catalog
    meta = feature_metadata(model, feature_catalog)
    if not isinstance(interventions, InterventionCatalog):
        interventions = load_interventions(interventions)
    if len(feature_catalog):
        interventions.check(feature_catalog)

    X = model.prepare(selected)
    background = None
    if model.kind_ not in ("tree", "linear"):
        sample = cohort.sample(min(len(cohort), BACKGROUND_ROWS), random_state=random_state)
        background = model.prepare(sample)
    contrib_in, base = input_contributions(model, X, background=background, random_state=random_state)
    contributions = to_source(model, contrib_in)
    raw = np.asarray(model._raw(X), dtype=float) if len(X) else np.empty(0)
    course = selected["course_id"].to_numpy() if "course_id" in selected.columns else None
    risk = model.calibrate_raw(raw, course) if len(X) else np.empty(0)

    sources = list(contributions.columns)
    medians = cohort_medians(cohort, selected, sources)
    drivers = select_drivers(contributions, selected, medians, meta, top_n=top_n)
    recs = _recommend(drivers, selected, interventions)
    recs = estimate_reductions(model, selected, medians, recs, interventions, raw)
    recs = _rank(recs, selected, interventions)
    keys = selected[[k for k in KEYS if k in selected.columns]]
    return Explanation(
        keys=keys,
        contributions=contributions,
        base_value=base,
        raw_score=pd.Series(raw, index=selected.index, name="raw_score"),
        risk=pd.Series(risk, index=selected.index, name="risk"),
        drivers=drivers,
        recommendations=recs,
        groups=group_contributions(contributions, meta),
        metadata=meta,
        kind=model.kind_,
        values=selected[sources],
        target=getattr(model, "target", None),
        n_cohort=len(cohort),
        interventions=interventions,
    )


def _select(features: pd.DataFrame, rows) -> pd.DataFrame:
    if rows is None:
        return features
    if isinstance(rows, pd.Series) and rows.dtype == bool:
        return features.loc[rows.reindex(features.index, fill_value=False).to_numpy()]
    arr = np.asarray(rows)
    if arr.dtype == bool:
        if len(arr) != len(features):
            raise ExplainError(f"a boolean rows mask needs {len(features)} values (one per row), found {len(arr)}")
        return features.loc[arr]
    labels = list(rows) if not np.isscalar(rows) else [rows]
    missing = [r for r in labels if r not in features.index]
    if missing:
        raise RowsNotFoundError(f"rows not in the features frame's index: {missing[:5]}")
    if len(set(labels)) != len(labels):
        raise ExplainError("rows lists some index labels more than once; give each row once")
    return features.loc[labels]


def _recommend(drivers: pd.DataFrame, rows: pd.DataFrame, catalog: InterventionCatalog) -> pd.DataFrame:
    """One row per (explained row, triggered intervention), with the triggering drivers in rank order."""
    act = drivers[drivers["actionable"].astype(bool)] if len(drivers) else drivers
    pos_of = pd.Series(np.arange(len(rows)), index=rows.index)
    parts = []
    if len(act):
        feature = act["driver"].to_numpy(dtype=object)
        group = act["group"].to_numpy(dtype=object)
        value = pd.to_numeric(act["value"], errors="coerce").to_numpy(dtype=float)
        cohort = act["cohort_value"].to_numpy(dtype=float)
        for inter in catalog:
            hit = np.zeros(len(act), dtype=bool)
            for t in inter.triggers:
                hit |= t.mask(feature, group, value, cohort)
            if hit.any():
                part = act.loc[hit, ["row", "rank", "driver"]].assign(intervention_id=inter.id)
                parts.append(part)
    cols = ["_pos", "intervention_id", "_features", "_first_rank"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    hits = pd.concat(parts, ignore_index=True)
    hits["_pos"] = pos_of.loc[hits["row"]].to_numpy()
    hits = hits.sort_values(["_pos", "intervention_id", "rank"], kind="stable")
    grouped = hits.groupby(["_pos", "intervention_id"], sort=False)
    out = grouped.agg(_features=("driver", list), _first_rank=("rank", "min")).reset_index()
    return out[cols]


def _rank(recs: pd.DataFrame, rows: pd.DataFrame, catalog: InterventionCatalog) -> pd.DataFrame:
    """Rank each row's recommendations by estimated reduction (then log-odds, then catalog order).

    Both compared to 1e-9: two interventions that move the same feature give the same estimate
    up to the last bits of a batched linear model's sums, which depend on the other rows
    explained in the same call; such ties go to catalog order, whatever the batch.
    """
    keys = [k for k in KEYS if k in rows.columns]
    if not len(recs):
        return pd.DataFrame(columns=keys + REC_COLUMNS)
    order = {i.id: n for n, i in enumerate(catalog)}
    recs = recs.assign(
        _order=recs["intervention_id"].map(order),
        _reduction=recs["estimated_reduction"].round(9),
        _log_odds=recs["reduction_log_odds"].round(9),
    )
    recs = recs.sort_values(
        ["_pos", "_reduction", "_log_odds", "_order"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    recs["rank"] = recs.groupby("_pos").cumcount() + 1
    pos = recs["_pos"].to_numpy(dtype=int)
    out = rows[keys].iloc[pos].reset_index(drop=True)
    out["row"] = rows.index.to_numpy()[pos]
    recs = recs.reset_index(drop=True)
    info = {i.id: i for i in catalog}
    out["rank"] = recs["rank"].to_numpy()
    out["intervention_id"] = recs["intervention_id"].to_numpy()
    out["title"] = [info[i].title for i in out["intervention_id"]]
    out["who"] = [info[i].who for i in out["intervention_id"]]
    out["channel"] = [info[i].channel for i in out["intervention_id"]]
    out["triggered_by"] = [", ".join(fs) for fs in recs["_features"]]
    for col in ("estimated_reduction", "risk_now", "risk_after", "reduction_log_odds"):
        out[col] = recs[col].to_numpy(dtype=float)
    out["description"] = [info[i].description for i in out["intervention_id"]]
    return out[keys + REC_COLUMNS]
