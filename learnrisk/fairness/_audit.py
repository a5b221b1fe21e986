"""`audit_predictions`: the fairness audit of scored rows (see :mod:`learnrisk.fairness`).

Per-group metrics come from one ``groupby`` over the rows (per attribute and week: hundreds of
small groups); the pooled between-group gaps get bootstrap intervals from fairlearn's
``MetricFrame`` (see :func:`_gap_intervals`), resampling enrollments.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import FairnessAuditError
from ._metrics import DECISION_METRICS, abroca_detail, group_metric_functions
from ._null import abroca_permutation_test, holm_adjust
from ._report import FairnessReport

__all__ = ["GAP_METRICS", "SENSITIVE_ATTRIBUTES", "audit_predictions"]

#: Canonical names of the sensitive learner attributes (OULAD: gender, age_band, disability,
#: imd_band -> deprivation, region, highest_education -> prior_education).
SENSITIVE_ATTRIBUTES: tuple[str, ...] = ("gender", "age_band", "disability", "deprivation", "region", "prior_education")

#: Metrics whose spread between groups is reported in ``FairnessReport.gaps``.
GAP_METRICS: tuple[str, ...] = ("roc_auc", "ece", "selection_rate", "fnr", "fpr")

METRICS: tuple[str, ...] = ("n", "n_enrollments", "base_rate", "roc_auc", "ece", "selection_rate", "fnr", "fpr")
MISSING = "(missing)"
# fairlearn's MetricFrame takes ~0.3-1.5 s per resample per attribute (it converts its
# columns element by element for every metric and group): the intervals are asked for.
N_BOOT = 0



# ---------------------------------------------------------------------------- input checks
def _as_group_labels(column: pd.Series) -> pd.Series:
    """Group labels as plain strings; missing values form the group "(missing)"."""
    values = column.astype(object)
    return values.where(values.notna(), MISSING).map(str).astype(object)


def _prepare(
    frame: pd.DataFrame,
    *,
    y: str,
    score: str,
    week: str | None,
    selected: str,
    groups: Iterable[str] | None,
    enrollment: Sequence[str] | None,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    if not isinstance(frame, pd.DataFrame):
        raise FairnessAuditError(f"the audit needs a pandas DataFrame of scored rows, found {type(frame).__name__}")
    if groups is None:
        attributes = [a for a in SENSITIVE_ATTRIBUTES if a in frame.columns]
        if not attributes:
            raise FairnessAuditError(
                f"no sensitive attribute column found (looked for {list(SENSITIVE_ATTRIBUTES)}); "
                f"columns found: {list(frame.columns)}; pass groups=[...] naming the group columns"
            )
    else:
        attributes = [groups] if isinstance(groups, str) else list(dict.fromkeys(groups))
        if not attributes:
            raise FairnessAuditError("groups is empty: name at least one group column, or pass groups=None")
    needed = {"labels (y)": y, "scores (score)": score, "decision (selected)": selected}
    if week is not None:
        needed["week (week)"] = week
    missing = [f"{what}: {col!r}" for what, col in needed.items() if col not in frame.columns]
    missing += [f"group: {a!r}" for a in attributes if a not in frame.columns]
    if missing:
        hint = " (compute the decision with learnrisk.fairness.select_top)" if selected not in frame.columns else ""
        raise FairnessAuditError(
            f"the scored rows lack column(s) {', '.join(missing)}; columns found: {list(frame.columns)}{hint}"
        )
    reserved = {"y", "score", "selected", "week", "unit"} & set(attributes)
    if reserved:
        raise FairnessAuditError(f"group columns may not be named {sorted(reserved)}; rename them first")

    warnings: list[str] = []
    labels = pd.to_numeric(frame[y], errors="coerce").astype(float)
    unlabeled = labels.isna() & frame[y].notna()
    if unlabeled.any():
        raise FairnessAuditError(f"column {y!r} must hold 0/1 labels; found non-numeric values such as {frame.loc[unlabeled, y].iloc[0]!r}")
    keep = labels.notna().to_numpy()
    if not keep.all():
        warnings.append(f"{int((~keep).sum()):,} rows without a label (NaN in {y!r}) were left out")
    rows = pd.DataFrame({"y": labels.to_numpy()[keep]})
    bad = ~np.isin(rows["y"].to_numpy(), (0.0, 1.0))
    if bad.any():
        raise FairnessAuditError(f"column {y!r} must hold 0/1 labels; found {sorted(set(rows['y'][bad]))[:5]}")
    if rows.empty:
        raise FairnessAuditError(f"no labelled rows to audit: every value of {y!r} is missing")
    s = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype=float)[keep]
    if np.isnan(s).any() or (s < 0).any() or (s > 1).any():
        raise FairnessAuditError(
            f"column {score!r} must hold calibrated probabilities in [0, 1] without NaN; "
            f"found range [{np.nanmin(s):.3g}, {np.nanmax(s):.3g}] and {int(np.isnan(s).sum())} missing"
        )
    rows["score"] = s
    sel = frame[selected].to_numpy()[keep]
    sel_values = pd.Series(sel, dtype=object)
    if sel_values.isna().any() or not sel_values.isin([True, False, 0, 1]).all():
        raise FairnessAuditError(f"column {selected!r} must hold the operating decision as True/False without missing values")
    rows["selected"] = sel_values.astype(bool).to_numpy()
    if week is not None:
        w = pd.to_numeric(frame[week], errors="coerce").to_numpy()[keep]
        if np.isnan(w.astype(float)).any() or (w != np.round(w)).any():
            raise FairnessAuditError(f"column {week!r} must hold whole course weeks without missing values")
        rows["week"] = w.astype(int)
    ids = [enrollment] if isinstance(enrollment, str) else list(enrollment or [])
    if ids and all(c in frame.columns for c in ids):
        rows["unit"] = frame[ids].iloc[keep].groupby(ids, sort=False, dropna=False).ngroup().to_numpy()
    else:
        rows["unit"] = np.arange(len(rows))
    for a in attributes:
        rows[a] = _as_group_labels(frame[a]).to_numpy()[keep]
    return rows, attributes, warnings


# ---------------------------------------------------------------------------- tables
def _metric_rows(rows: pd.DataFrame, keys: list[str], min_group_size: int) -> pd.DataFrame:
    """One row of metrics per combination of ``keys`` present in ``rows`` (all rows if no keys).

    A group is reportable when it has at least ``min_group_size`` enrollments (distinct units,
    not rows: weeks pooled, one enrollment has up to 20 rows) and both classes.
    """
    funcs = group_metric_functions(1)  # size is checked here, in enrollments
    y, s, sel, unit = (rows[c].to_numpy() for c in ("y", "score", "selected", "unit"))
    parts = rows.groupby(keys, sort=True).indices.items() if keys else [((), np.arange(len(rows)))]
    out = []
    for key, idx in parts:
        key = key if isinstance(key, tuple) else (key,)
        record = dict(zip(keys, key, strict=True))
        n_units = int(np.unique(unit[idx]).size)
        ok = n_units >= min_group_size and 0 < y[idx].sum() < idx.size
        record["status"] = "ok" if ok else "too small"
        for name, f in funcs.items():
            extra = {"selected": sel[idx]} if name in DECISION_METRICS else {}
            record[name] = f(y[idx], s[idx], **extra) if ok or name == "n" else np.nan
        record["n_enrollments"] = n_units
        out.append(record)
    frame = pd.DataFrame(out, columns=[*keys, "status", *METRICS])
    return frame.astype({"n": int, "n_enrollments": int})


def _abroca_rows(
    rows: pd.DataFrame,
    attribute: str,
    min_group_size: int,
    reference: Hashable | None,
    weekly: bool,
    n_permutations: int,
    random_state: int | None,
) -> list[dict]:
    """ABROCA with weeks pooled (with its permutation test) and per week (without)."""
    parts: list[tuple[object, np.ndarray]] = [("all", np.arange(len(rows)))]
    if weekly:
        parts += sorted(rows.groupby("week").indices.items())
    y, s, g, unit, sel = (rows[c].to_numpy() for c in ("y", "score", attribute, "unit", "selected"))
    out = []
    for week, idx in parts:
        args = dict(reference=reference, min_group_size=min_group_size, unit=unit[idx])
        if week == "all":
            d = abroca_permutation_test(
                y[idx], s[idx], g[idx], sel[idx], n_permutations=n_permutations, random_state=random_state, **args
            )
        else:
            d = abroca_detail(y[idx], s[idx], g[idx], **args)
        n_groups = len(d["by_group"]) + 1 if d["by_group"] else 0
        out.append(
            {"attribute": attribute, "week": week if week == "all" else int(week), "abroca": d["abroca"],
             "reference": d["reference"] if n_groups else None, "group": d["group"], "n_groups": n_groups,
             "p_value": d.get("p_value", np.nan), "null_q95": d.get("null_q95", np.nan),
             "selection_p_value": d.get("selection_p_value", np.nan),
             "selection_null_q05": d.get("selection_null_q05", np.nan)}
        )
    return out


def _gap_intervals(
    rows: pd.DataFrame, attribute: str, table: pd.DataFrame, n_boot: int, random_state: int | None
) -> dict[str, dict[str, float]]:
    """95 % bootstrap intervals of the pooled between-group gap and ratio of each gap metric.

    fairlearn's ``MetricFrame`` computes the metrics per group and their spread
    (``difference()``: highest minus lowest group; ``ratio()``: lowest over highest) and, with
    ``n_boot``, percentile intervals of both from resamples. It resamples the rows it is given,
    so it is given one row per *enrollment* (the unit of ``rows``) and each metric gathers the
    enrollment's weekly rows: the bootstrap draws whole enrollments, whose weeks are not
    independent (as the permutation test shuffles whole enrollments). Only the groups
    reportable on the observed data take part (with the observed-size rule a resample would
    drop groups near ``min_group_size``), so the point values agree with the ``gap`` and
    ``ratio`` columns. Returns ``{metric: {"gap_low", "gap_high", "ratio_low", "ratio_high"}}``,
    empty when fewer than two groups are reportable or ``n_boot`` is 0.

    A percentile interval of a largest-minus-smallest gap leans upwards (the extremes of noisy
    groups spread out), so when the groups are close it may lie above the observed gap.
    """
    ok_groups = table.loc[table["status"] == "ok", "group"].to_numpy()
    if n_boot <= 0 or ok_groups.size < 2:
        return {}
    from fairlearn.metrics import MetricFrame  # imports scikit-learn and SciPy: only when asked

    part = rows[rows[attribute].isin(ok_groups)]
    y, s, sel = (part[c].to_numpy() for c in ("y", "score", "selected"))
    group = part[attribute].to_numpy()
    unit = pd.factorize(part["unit"])[0]
    unit_group = np.empty(unit.max() + 1, dtype=object)
    unit_group[unit] = group
    if not np.array_equal(unit_group[unit], group):  # an enrollment spans groups: resample rows
        unit = np.arange(len(part))
        unit_group = group
    order = np.argsort(unit, kind="stable")  # rows of enrollment u: order[start[u]:start[u] + count[u]]
    count = np.bincount(unit)
    start = np.cumsum(count) - count

    def rows_of(units: np.ndarray) -> np.ndarray:
        """Positions of the rows of these enrollments (repeats kept), in their original order."""
        c = count[units]
        first = np.repeat(start[units] - (np.cumsum(c) - c), c)
        return np.sort(order[first + np.arange(c.sum())])

    funcs = group_metric_functions(1)  # the groups taking part were checked on the observed data

    def metric(name: str):
        f = funcs[name]
        decision = name in DECISION_METRICS

        def compute(units, _):
            idx = rows_of(np.asarray(units, dtype=np.int64))
            return f(y[idx], s[idx], selected=sel[idx]) if decision else f(y[idx], s[idx])

        return compute

    units = np.arange(unit_group.size)
    frame = MetricFrame(
        metrics={name: metric(name) for name in GAP_METRICS},
        y_true=units,
        y_pred=units,
        sensitive_features=pd.Series(unit_group, name=attribute),
        n_boot=int(n_boot),
        ci_quantiles=[0.025, 0.975],
        random_state=random_state,
    )
    (gap_low, gap_high), (ratio_low, ratio_high) = frame.difference_ci(), frame.ratio_ci()
    return {
        m: {"gap_low": float(gap_low[m]), "gap_high": float(gap_high[m]),
            "ratio_low": float(ratio_low[m]), "ratio_high": float(ratio_high[m])}
        for m in GAP_METRICS
    }


def _gap_rows(table: pd.DataFrame, week: object) -> list[dict]:
    """Per metric: the lowest and highest reportable group and the spread between them."""
    ok = (table["status"] == "ok").to_numpy()
    groups = table["group"].to_numpy()[ok]
    out = []
    for metric in GAP_METRICS:
        values = table[metric].to_numpy(dtype=float)[ok]
        has = ~np.isnan(values)
        record = {"attribute": None, "week": week, "metric": metric, "gap": np.nan, "ratio": np.nan,
                  "low_group": None, "low": np.nan, "high_group": None, "high": np.nan}
        if has.sum() >= 2:
            v, g = values[has], groups[has]
            lo, hi = int(np.argmin(v)), int(np.argmax(v))
            record |= {"gap": float(v[hi] - v[lo]), "low_group": g[lo], "low": float(v[lo]),
                       "high_group": g[hi], "high": float(v[hi]),
                       "ratio": float(v[lo] / v[hi]) if v[hi] > 0 else np.nan}
        out.append(record)
    return out


# ---------------------------------------------------------------------------- the audit
def audit_predictions(
    frame: pd.DataFrame,
    *,
    y: str = "y_true",
    score: str = "score",
    groups: Iterable[str] | None = None,
    week: str | None = "week",
    selected: str = "selected",
    min_group_size: int = 30,
    abroca_bound: float = 0.05,
    selection_ratio_bound: float = 0.8,
    reference: Mapping[str, Hashable] | None = None,
    enrollment: Sequence[str] | None = ("learner_id", "course_id"),
    n_permutations: int = 400,
    n_boot: int = N_BOOT,
    alpha: float = 0.05,
    random_state: int | None = 0,
) -> FairnessReport:
    """Audit scored rows: per-group metrics, gaps and ABROCA per sensitive attribute and week.

    Parameters
    ----------
    frame : DataFrame
        One row per scored enrollment-week: the label, the calibrated score, the operating
        decision and one column per sensitive attribute. Rows whose label is NaN (not
        labelled for this target) are left out, with a warning.
    y : str, default "y_true"
        Column of 0/1 labels.
    score : str, default "score"
        Column of calibrated probabilities in [0, 1].
    groups : iterable of str, optional
        Group columns to audit; default every column of :data:`SENSITIVE_ATTRIBUTES` present.
    week : str or None, default "week"
        Column of course weeks; ``None`` audits the rows as one pool (``by_week`` is empty).
    selected : str, default "selected"
        Column of the operating decision (True = on the risk list; see :func:`select_top`).
    min_group_size : int, default 30
        A group (in a week, or pooled) with fewer enrollments, or with one class only, is
        reported as "too small": NaN metrics, left out of gaps and ABROCA.
    abroca_bound : float, default 0.05
        An attribute whose pooled ABROCA exceeds it is flagged (if not explained by chance):
        the model ranks learners of some group worse than those of the reference group.
    selection_ratio_bound : float, default 0.8
        An attribute whose lowest group selection rate is under this fraction of its highest
        (the "four-fifths rule"; weeks pooled) is flagged (if not explained by chance): one
        group is put on the risk list far more often than another. Its flag shows the groups'
        observed event rates beside their selection rates, so that a team can judge whether
        the difference follows a difference in risk.
    reference : mapping, optional
        ``{attribute: group}``: the group ABROCA compares the others with; default the
        group with the most enrollments among those large enough to report.
    enrollment : sequence of str or None, default ("learner_id", "course_id")
        Columns naming an enrollment. When present, group sizes count enrollments rather
        than rows (weeks pooled, an enrollment has a row per week) and the permutation test
        shuffles whole enrollments. Absent or None: every row counts as one enrollment.
    n_permutations : int, default 400
        Shuffles of the group labels for the permutation test of each attribute's pooled
        ABROCA (see ``learnrisk/fairness/_null.py``); 0 turns the test off.
    n_boot : int, default 0
        Resamples of the enrollments for the 95 % bootstrap intervals of the pooled gaps
        (``gaps`` columns ``gap_low, gap_high, ratio_low, ratio_high``; fairlearn's
        ``MetricFrame``, see :func:`_gap_intervals`), e.g. 200; 0 leaves them NaN. Each
        resample costs ~0.3-1.5 s per attribute (fairlearn converts its columns element by
        element), hence off by default.
    alpha : float, default 0.05
        An attribute is flagged when its pooled ABROCA exceeds ``abroca_bound`` (or its
        selection ratio is under ``selection_ratio_bound``) *and* the permutation p-value,
        Holm-adjusted over all the tests of the audit (two per attribute), is under
        ``alpha``: the chance that an audit raises any false flag stays under ``alpha``. Past the bound but within chance gives a warning
        instead. With ``n_permutations=0`` the bounds alone decide.
    random_state : int or None, default 0
        Seed of the permutations (same seed, same report).

    Returns
    -------
    FairnessReport

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y_true = rng.random(2000) < 0.3
    >>> frame = pd.DataFrame({"y_true": y_true, "week": rng.integers(1, 5, 2000),
    ...                       "gender": rng.choice(["F", "M"], 2000)})
    >>> frame["score"] = np.clip(0.3 + 0.3 * (y_true - 0.3) + rng.normal(0, 0.2, 2000), 0, 1)
    >>> frame["selected"] = frame["score"] > 0.6
    >>> report = audit_predictions(frame, groups=["gender"])
    >>> report.flags
    []
    """
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, (int, np.integer)) or min_group_size < 1:
        raise FairnessAuditError(f"min_group_size must be a positive integer, found {min_group_size!r}")
    if not isinstance(abroca_bound, (int, float)) or not 0 < abroca_bound < 1:
        raise FairnessAuditError(f"abroca_bound must be a number in (0, 1), found {abroca_bound!r}")
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 0:
        raise FairnessAuditError(f"n_permutations must be a whole number >= 0, found {n_permutations!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise FairnessAuditError(f"n_boot must be a whole number >= 0, found {n_boot!r}")
    if not isinstance(selection_ratio_bound, (int, float)) or not 0 < selection_ratio_bound <= 1:
        raise FairnessAuditError(f"selection_ratio_bound must be a number in (0, 1], found {selection_ratio_bound!r}")
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise FairnessAuditError(f"alpha must be a number in (0, 1), found {alpha!r}")
    rows, attributes, warnings = _prepare(
        frame, y=y, score=score, week=week, selected=selected, groups=groups, enrollment=enrollment
    )
    reference = dict(reference or {})
    unknown = set(reference) - set(attributes)
    if unknown:
        raise FairnessAuditError(f"reference names attributes not audited: {sorted(unknown)}; audited: {attributes}")
    weekly = week is not None
    weeks = sorted(int(w) for w in rows["week"].unique()) if weekly else []

    summaries, by_weeks, abrocas, gaps = [], [], [], []
    for a in attributes:
        pooled = _metric_rows(rows, [a], min_group_size).rename(columns={a: "group"})
        summaries.append(pooled.assign(attribute=a))
        intervals = _gap_intervals(rows, a, pooled, int(n_boot), random_state)
        gaps += [r | {"attribute": a} | intervals.get(r["metric"], {}) for r in _gap_rows(pooled, "all")]
        if weekly:
            per_week = _metric_rows(rows, ["week", a], min_group_size).rename(columns={a: "group"})
            by_weeks.append(per_week.assign(attribute=a))
            for w, part in per_week.groupby("week", sort=True):
                gaps += [r | {"attribute": a} for r in _gap_rows(part, int(w))]
        ref = None if reference.get(a) is None else str(reference[a])
        abrocas += _abroca_rows(rows, a, min_group_size, ref, weekly, int(n_permutations), random_state)

    group_cols = ["attribute", "group", "status", *METRICS]
    summary = pd.concat(summaries, ignore_index=True)[group_cols]
    by_week = (
        pd.concat(by_weeks, ignore_index=True)[["attribute", "week", *group_cols[1:]]]
        if by_weeks
        else pd.DataFrame(columns=["attribute", "week", *group_cols[1:]])
    )
    abroca_frame = pd.DataFrame(abrocas)
    pooled_rows = abroca_frame["week"] == "all"
    # One family of tests: ABROCA and the selection-rate ratio of every attribute, so that an
    # audit of a model without group differences raises any flag with chance under alpha.
    ab_p = dict(zip(attributes, abroca_frame.loc[pooled_rows, "p_value"], strict=True))
    sel_p = dict(zip(attributes, abroca_frame.loc[pooled_rows, "selection_p_value"], strict=True))
    family = holm_adjust({("abroca", a): p for a, p in ab_p.items()} | {("selection", a): p for a, p in sel_p.items()})
    abroca_frame["p_adjusted"] = np.nan
    abroca_frame.loc[pooled_rows, "p_adjusted"] = [family[("abroca", a)] for a in abroca_frame.loc[pooled_rows, "attribute"]]
    gap_frame = pd.DataFrame(gaps, columns=GAP_COLUMNS[:-3] + INTERVAL_COLUMNS)
    # The selection-rate spread (weeks pooled) carries its permutation test.
    sel_adjusted = {a: family[("selection", a)] for a in attributes}
    sel_floor = dict(zip(attributes, abroca_frame.loc[pooled_rows, "selection_null_q05"], strict=True))
    is_sel = (gap_frame["week"] == "all") & (gap_frame["metric"] == "selection_rate")
    gap_frame["p_value"] = gap_frame["attribute"].map(sel_p).where(is_sel)
    gap_frame["p_adjusted"] = gap_frame["attribute"].map(sel_adjusted).where(is_sel)
    gap_frame["null_q05"] = gap_frame["attribute"].map(sel_floor).where(is_sel)
    gap_frame = gap_frame[GAP_COLUMNS + INTERVAL_COLUMNS].astype({c: float for c in INTERVAL_COLUMNS})
    abroca_frame = abroca_frame[ABROCA_COLUMNS]
    abroca_frame["week"] = abroca_frame["week"].astype(object)
    gap_frame["week"] = gap_frame["week"].astype(object)
    overall = _metric_rows(rows, [], min_group_size).assign(week="all")
    if weekly:
        overall = pd.concat([overall, _metric_rows(rows, ["week"], min_group_size)], ignore_index=True)
    overall = overall[["week", "status", *METRICS]]
    overall["week"] = overall["week"].astype(object)

    params = {
        "min_group_size": int(min_group_size),
        "abroca_bound": float(abroca_bound),
        "selection_ratio_bound": float(selection_ratio_bound),
        "n_permutations": int(n_permutations),
        "n_boot": int(n_boot),
        "alpha": float(alpha),
        "n_rows": len(rows),
        "n_enrollments": int(rows["unit"].nunique()),
        "size_unit": "enrollments" if len(rows) and rows["unit"].nunique() < len(rows) else "rows",
        "weeks": weeks,
        "attributes": attributes,
        "columns": {"y": y, "score": score, "week": week, "selected": selected},
        "abroca_reference": "largest reportable group" if not reference else {k: str(v) for k, v in reference.items()},
    }
    flags, flagged, flagged_selection, notes = _flags_and_warnings(summary, by_week, abroca_frame, gap_frame, params)
    keep_cols = ["y", "score", *(["week"] if weekly else []), *attributes]
    return FairnessReport(
        summary=summary,
        by_week=by_week,
        abroca=abroca_frame,
        gaps=gap_frame,
        overall=overall,
        flags=flags,
        flagged=flagged,
        warnings=warnings + notes,
        params=params,
        flagged_selection=flagged_selection,
        _rows=rows[keep_cols],
    )


ABROCA_COLUMNS = ["attribute", "week", "abroca", "reference", "group", "n_groups", "p_value", "p_adjusted", "null_q95"]
#: Bootstrap intervals (95 %, enrollments resampled) of the pooled gap and ratio.
INTERVAL_COLUMNS = ["gap_low", "gap_high", "ratio_low", "ratio_high"]
GAP_COLUMNS = [
    "attribute", "week", "metric", "gap", "ratio", "low_group", "low", "high_group", "high",
    "p_value", "p_adjusted", "null_q05",
]


def _flags_and_warnings(
    summary: pd.DataFrame, by_week: pd.DataFrame, abroca_frame: pd.DataFrame, gaps: pd.DataFrame, params: dict
) -> tuple[list[str], dict[str, float], dict[str, float], list[str]]:
    """Flags (past a bound and not explained by chance) and the other warnings."""
    bound, ratio_bound = params["abroca_bound"], params["selection_ratio_bound"]
    alpha, min_size, n_perm = params["alpha"], params["min_group_size"], params["n_permutations"]
    tested, weekly = n_perm > 0, bool(params["weeks"])
    flags, flagged, flagged_selection, warnings = [], {}, {}, []
    for a in params["attributes"]:
        ab = abroca_frame[abroca_frame["attribute"] == a]
        row = ab[ab["week"] == "all"].iloc[0]
        weekly_values = ab.loc[ab["week"] != "all", "abroca"].astype(float)
        value, p_adj, floor = row["abroca"], row["p_adjusted"], row["null_q95"]
        chance = f"; permutation p = {p_adj:.3g} adjusted, chance alone reaches {floor:.3f} in 5 % of shuffles" if tested else ""
        if row["n_groups"] < 2:
            warnings.append(f"{a}: fewer than two groups with at least {min_size} enrollments and both classes; no ABROCA")
        elif value > bound and (not tested or p_adj < alpha):
            flagged[a] = float(value)
            over = int((weekly_values > bound).sum())
            when = f"; above the bound in {over} of {int(weekly_values.notna().sum())} weeks" if weekly else ""
            flags.append(
                f"{a}: ABROCA {value:.3f} exceeds the bound {bound:g}: the model ranks group {row['group']!s} "
                f"worse than reference group {row['reference']!s} (weeks pooled{when}{chance})"
            )
        elif value > bound:
            warnings.append(
                f"{a}: ABROCA {value:.3f} is above the bound {bound:g} but not flagged: groups this small give as "
                f"much by chance (p = {p_adj:.3g} adjusted; 95 % of shuffled-group ABROCAs are under {floor:.3f}); "
                "more data is needed to tell a real gap from noise"
            )
        sel = gaps[(gaps["attribute"] == a) & (gaps["week"] == "all") & (gaps["metric"] == "selection_rate")].iloc[0]
        ratio = sel["ratio"]
        if not np.isnan(ratio) and ratio < ratio_bound:
            groups = summary[summary["attribute"] == a].set_index("group")
            lo, hi = sel["low_group"], sel["high_group"]
            detail = (
                f"group {hi} is put on the risk list {sel['high'] / sel['low']:.2f} times as often as group {lo}"
                if sel["low"] > 0 else f"group {hi} is put on the risk list and group {lo} never"
            )
            rates = (
                f"{100 * sel['high']:.1f} % vs {100 * sel['low']:.1f} % selected; observed event rates "
                f"{100 * groups.loc[hi, 'base_rate']:.1f} % vs {100 * groups.loc[lo, 'base_rate']:.1f} %"
            )
            if not tested or sel["p_adjusted"] < alpha:
                flagged_selection[a] = float(ratio)
                p_text = f"; permutation p = {sel['p_adjusted']:.3g} adjusted" if tested else ""
                flags.append(
                    f"{a}: selection rates differ beyond the four-fifths bound (ratio {ratio:.2f} < {ratio_bound:g}): "
                    f"{detail} ({rates}; weeks pooled{p_text})"
                )
            else:
                warnings.append(
                    f"{a}: selection-rate ratio {ratio:.2f} is under {ratio_bound:g} but not flagged: groups this small "
                    f"give as much by chance (p = {sel['p_adjusted']:.3g} adjusted; {detail}, {rates})"
                )
        small = summary[(summary["attribute"] == a) & (summary["status"] == "too small")]
        if len(small):
            listed = ", ".join(
                f"{g} ({n:,} enrollments)" for g, n in zip(small["group"][:5], small["n_enrollments"][:5], strict=True)
            )
            more = f" and {len(small) - 5} more" if len(small) > 5 else ""
            warnings.append(
                f"{a}: {len(small)} group(s) too small to report (under {min_size} enrollments or one class): "
                f"{listed}{more}"
            )
        if weekly:
            bw = by_week[by_week["attribute"] == a]
            n_small = int((bw["status"] == "too small").sum())
            if n_small:
                warnings.append(f"{a}: {n_small} of {len(bw)} group-weeks too small to report")
    m = int(abroca_frame.loc[abroca_frame["week"] == "all", "p_adjusted"].notna().sum())
    m += int(gaps["p_adjusted"].notna().sum())
    if tested and m and m / (n_perm + 1) >= alpha:
        warnings.append(
            f"with {n_perm} permutations and {m} tests no flag can reach alpha = {alpha:g} after adjustment; "
            f"use n_permutations >= {int(np.ceil(m / alpha))}"
        )
    return flags, flagged, flagged_selection, warnings
