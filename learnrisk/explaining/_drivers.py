"""Drivers: contributions rolled up by feature and group, with a sentence each.

A *driver* is one features-frame column whose contribution raises a learner's risk (a positive
contribution in log-odds). For each explained row the drivers are ranked by contribution; the
top ``top_n`` are kept, whatever their kind, plus the top ``top_n`` *actionable* ones (those
may rank lower), because only actionable drivers trigger an intervention and every
recommendation must point at a driver that is shown. Background and sensitive drivers stay
in the list as context (``actionable=False``): they are part of why the model scores a learner
high, and hiding them would misstate the model.

The cohort value of a driver is the median of that feature over the cohort's rows at the same
cutoff: the rows with the same ``(course_id, week)`` (for self-paced courses ``week`` is counted
from each learner's registration, so this is "learners of the course at the same point").

Metadata (group, description, unit, actionable, sensitive) comes from the feature catalog,
:func:`learnrisk.features.catalog`. A column the catalog does not know is treated as
non-actionable context; a category column (a sensitive attribute the model was asked to use) as
sensitive.

Examples
--------
>>> meta = feature_metadata(model, catalog)                           # doctest: +SKIP
>>> med = cohort_medians(cohort, rows, meta.index)                    # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ExplainError
from ..features import KEY_COLUMNS, catalog
from ._sentences import driver_sentence

__all__ = ["KEYS", "cohort_medians", "feature_metadata", "group_contributions", "select_drivers"]

KEYS = tuple(KEY_COLUMNS)
CATALOG_COLUMNS = ("name", "group", "description", "actionable", "sensitive", "unit")

# Columns the model may use that are not features of the catalog.
_BUILTIN = {
    "week": {"group": "timing", "description": "week of the course", "unit": "", "actionable": False, "sensitive": False},
}


def default_catalog() -> pd.DataFrame:
    """The feature catalog of :mod:`learnrisk.features` (with the corporate features)."""
    return catalog(include_corporate=True)


def feature_metadata(model, catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per features-frame column of the model: group, description, unit, actionable, sensitive.

    Parameters
    ----------
    model : RiskModel
    catalog : DataFrame, optional
        Columns name, group, description, actionable, sensitive, unit (default: the features
        package's catalog).
    """
    catalog = default_catalog() if catalog is None else catalog
    missing = [c for c in ("name", "group", "actionable", "sensitive") if c not in catalog.columns]
    if missing:
        raise ExplainError(f"the feature catalog lacks column(s) {missing}; expected {list(CATALOG_COLUMNS)}")
    cat = catalog.drop_duplicates("name").set_index("name")
    categories = set(getattr(model, "categories_", {}) or {})
    rows = {}
    for name in getattr(model, "source_columns_", model.feature_names_):
        if name in cat.index:
            entry = cat.loc[name]
            rows[name] = {
                "group": str(entry["group"]),
                "description": str(entry.get("description", "") or name.replace("_", " ")),
                "unit": "" if pd.isna(entry.get("unit", "")) else str(entry.get("unit", "")),
                "actionable": bool(entry["actionable"]) and not bool(entry["sensitive"]),
                "sensitive": bool(entry["sensitive"]),
            }
        elif name in _BUILTIN:
            rows[name] = dict(_BUILTIN[name])
        else:
            sensitive = name in categories
            rows[name] = {
                "group": "background" if sensitive else "other",
                "description": name.replace("_", " "),
                "unit": "",
                "actionable": False,
                "sensitive": sensitive,
            }
    meta = pd.DataFrame.from_dict(rows, orient="index")
    meta.index.name = "feature"
    return meta


def cohort_medians(cohort: pd.DataFrame, rows: pd.DataFrame, columns) -> pd.DataFrame:
    """The cohort median of each numeric column at each explained row's cutoff.

    The cohort is grouped by ``(course_id, week)`` when it has both columns (else by
    ``course_id``, else taken whole); each explained row gets its own group's medians (NaN when
    its group is not in the cohort, or a column is all missing there). Category columns get NaN.

    Returns
    -------
    DataFrame, index of ``rows``, one column per column in ``columns``.
    """
    numeric = [c for c in columns if c in cohort.columns and pd.api.types.is_numeric_dtype(cohort[c])]
    by = [k for k in ("course_id", "week") if k in cohort.columns and k in rows.columns]
    if by:
        med = cohort.groupby(by, sort=False, dropna=False, observed=True)[numeric].median()
        out = rows[by].merge(med, left_on=by, right_index=True, how="left")[numeric]
        out.index = rows.index
    else:
        med = cohort[numeric].median()
        out = pd.DataFrame(np.tile(med.to_numpy(dtype=float), (len(rows), 1)), index=rows.index, columns=numeric)
    return out.reindex(columns=list(columns)).astype("float64")


def group_contributions(contributions: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Contributions summed by the catalog's group: one row per explained row, one column per group."""
    groups = meta["group"].reindex(contributions.columns).fillna("other")
    return contributions.T.groupby(groups.to_numpy(), sort=False).sum().T


def select_drivers(
    contributions: pd.DataFrame,
    rows: pd.DataFrame,
    medians: pd.DataFrame,
    meta: pd.DataFrame,
    *,
    top_n: int = 3,
    templates: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The long drivers frame: for each row its top drivers that raise risk, with sentences.

    Parameters
    ----------
    contributions : DataFrame
        Rows x features-frame columns, raw (log-odds) contributions.
    rows : DataFrame
        The explained rows of the features frame (same index), for values and keys.
    medians : DataFrame
        Cohort medians aligned to ``rows`` (from :func:`cohort_medians`).
    meta : DataFrame
        From :func:`feature_metadata`.
    top_n : int
        Drivers kept per row (plus up to ``top_n`` actionable drivers below them).

    Returns
    -------
    DataFrame with the key columns, ``row`` (the features frame's index label), ``rank``,
    ``driver``, ``group``, ``contribution``, ``group_contribution``, ``value``,
    ``cohort_value``, ``sentence``, ``actionable``, ``sensitive``; sorted by row then rank.
    """
    keys = [k for k in KEYS if k in rows.columns]
    columns = list(contributions.columns)
    C = contributions.to_numpy(dtype=float)
    actionable = meta["actionable"].reindex(columns).fillna(False).to_numpy(dtype=bool)
    positive = C > 0
    rank = _ranks(C)
    act_rank = _ranks(np.where(actionable[None, :], C, -np.inf))
    keep = positive & ((rank <= top_n) | (actionable[None, :] & (act_rank <= top_n)))
    ri, fi = np.nonzero(keep)
    groups = group_contributions(contributions, meta)
    group_of = meta["group"].reindex(columns).fillna("other").to_numpy()
    out = rows[keys].iloc[ri].reset_index(drop=True) if keys else pd.DataFrame(index=range(len(ri)))
    out.insert(len(keys), "row", rows.index.to_numpy()[ri])
    out["rank"] = rank[ri, fi].astype(int)
    out["driver"] = np.asarray(columns, dtype=object)[fi]
    out["group"] = group_of[fi]
    out["contribution"] = C[ri, fi]
    out["group_contribution"] = groups.to_numpy(dtype=float)[ri, [groups.columns.get_loc(g) for g in group_of[fi]]] if len(ri) else []
    values = rows.reindex(columns=columns).to_numpy(dtype=object)
    vals = values[ri, fi]
    meds = medians.reindex(columns=columns).to_numpy(dtype=float)[ri, fi]
    out["value"] = [_plain(v) for v in vals]
    out["cohort_value"] = meds
    meta_rows = meta.reindex(columns).to_dict("index")
    row_cache: dict[int, dict] = {}
    sentences = []
    for r, f, v, m in zip(ri, fi, vals, meds):
        if r not in row_cache:
            row_cache[r] = dict(zip(columns, values[r]))
        feature = columns[f]
        sentences.append(driver_sentence(feature, v, m, meta_rows.get(feature, {}), row_cache[r], templates=templates))
    out["sentence"] = sentences
    out["actionable"] = actionable[fi]
    out["sensitive"] = meta["sensitive"].reindex(columns).fillna(False).to_numpy(dtype=bool)[fi]
    out["_pos"] = ri
    out = out.sort_values(["_pos", "rank"], kind="stable").drop(columns="_pos")
    return out.reset_index(drop=True)


def _ranks(M: np.ndarray) -> np.ndarray:
    """Rank of each cell within its row, 1 = largest (ties broken by column order)."""
    n, p = M.shape
    order = np.argsort(-M, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(1, p + 1)
    return rank


def _plain(v):
    """A Python value for the drivers frame (numbers as float, categories as str, missing as None)."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.integer, np.floating, int, float, bool, np.bool_)):
        return float(v)
    return str(v)
