"""`Explanation`: the result of :func:`learnrisk.explain`, as DataFrames and JSON-ready records.

>>> ex.contributions.sum(axis=1) + ex.base_value      # == ex.raw_score       # doctest: +SKIP
>>> ex.summary                                       # one line per learner   # doctest: +SKIP
>>> ex.plot_waterfall(0)                                                      # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .._format import format_probability
from .._json import jsonable
from ._sentences import format_value

__all__ = ["Explanation", "jsonable"]

DRIVER_FIELDS = ("rank", "driver", "group", "contribution", "value", "cohort_value", "sentence", "actionable", "sensitive")
REC_FIELDS = (
    "rank", "intervention_id", "title", "who", "channel", "triggered_by", "estimated_reduction", "risk_after",
    "description",
)


@dataclass
class Explanation:
    """Why each explained row scores as it does, and what can be done about it.

    Attributes
    ----------
    keys : DataFrame
        Key columns (learner_id, course_id, week, cutoff) of the explained rows.
    contributions : DataFrame
        One row per explained row (the features frame's index), one column per features-frame
        column of the model: contributions to the raw score, in log-odds.
    base_value : float
        The raw score before any feature: ``contributions.sum(axis=1) + base_value == raw_score``.
    raw_score, risk : Series
        The model's raw score and calibrated probability of each explained row.
    drivers : DataFrame
        Long: keys, row, rank, driver, group, contribution, group_contribution, value,
        cohort_value, sentence, actionable, sensitive.
    recommendations : DataFrame
        Long: keys, row, rank, intervention_id, title, who, channel, triggered_by,
        estimated_reduction, risk_now, risk_after, reduction_log_odds, description.
    groups : DataFrame
        Contributions summed by the catalog's groups (rows x groups).
    metadata : DataFrame
        The catalog entry of each feature (group, description, unit, actionable, sensitive).
    kind : str
        How contributions were computed: "tree" (LightGBM TreeSHAP), "linear" (exact), "other" (shap).
    values : DataFrame
        The explained rows' feature values (same shape as ``contributions``).
    """

    keys: pd.DataFrame
    contributions: pd.DataFrame
    base_value: float
    raw_score: pd.Series
    risk: pd.Series
    drivers: pd.DataFrame
    recommendations: pd.DataFrame
    groups: pd.DataFrame
    metadata: pd.DataFrame
    kind: str
    values: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    target: str | None = None
    n_cohort: int = 0
    interventions: object = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.contributions)

    def __repr__(self) -> str:
        method = {"tree": "LightGBM TreeSHAP", "linear": "exact linear", "other": "shap"}.get(self.kind, self.kind)
        n_rec = len(self.recommendations)
        n_int = self.recommendations["intervention_id"].nunique() if n_rec else 0
        return (
            f"Explanation({len(self):,} rows of a cohort of {self.n_cohort:,}, target={self.target!r}, "
            f"{method} contributions, {len(self.drivers):,} drivers, "
            f"{n_rec:,} recommendations of {n_int} interventions)"
        )

    # ------------------------------------------------------------------ views
    @property
    def summary(self) -> pd.DataFrame:
        """One line per explained row: keys, risk, drivers (sentences), interventions (titles).

        The shape a risk list wants: ``drivers`` and ``interventions`` are short texts joined
        with "; ", in rank order; ``top_reduction`` is the best estimated risk reduction.
        """
        out = self.keys.copy()
        out["risk"] = self.risk.to_numpy()
        d = self.drivers
        r = self.recommendations
        by_row_d = d.groupby("row", sort=False)["sentence"].agg("; ".join) if len(d) else pd.Series(dtype=object)
        by_row_r = r.groupby("row", sort=False)["title"].agg("; ".join) if len(r) else pd.Series(dtype=object)
        top = r.groupby("row", sort=False)["estimated_reduction"].max() if len(r) else pd.Series(dtype=float)
        idx = self.keys.index
        out["drivers"] = by_row_d.reindex(idx).fillna("").to_numpy()
        out["interventions"] = by_row_r.reindex(idx).fillna("").to_numpy()
        out["top_reduction"] = top.reindex(idx).fillna(0.0).to_numpy(dtype=float)
        return out

    def row(self, i: int) -> dict:
        """The record of the ``i``-th explained row (by position), as in :meth:`to_records`."""
        return self.to_records(rows=[self.keys.index[i]])[0]

    def to_records(self, *, contributions: bool = False, rows=None) -> list[dict]:
        """One JSON-serializable dict per explained row (no numpy types, times as ISO strings).

        Each record has the key columns, ``row`` (index label), ``risk``, ``raw_score``,
        ``base_value``, ``drivers`` (list of dicts) and ``recommendations`` (list of dicts, with
        ``triggered_by`` as a list); with ``contributions=True`` also the contribution of every
        feature.

        >>> json.dumps(ex.to_records())                               # doctest: +SKIP
        """
        labels = list(self.keys.index) if rows is None else list(rows)
        d_by = {k: g for k, g in self.drivers.groupby("row", sort=False)} if len(self.drivers) else {}
        r_by = {k: g for k, g in self.recommendations.groupby("row", sort=False)} if len(self.recommendations) else {}
        out = []
        for label in labels:
            rec = {k: jsonable(v) for k, v in self.keys.loc[label].items()}
            rec["row"] = jsonable(label)
            rec["risk"] = jsonable(self.risk.loc[label])
            rec["raw_score"] = jsonable(self.raw_score.loc[label])
            rec["base_value"] = jsonable(self.base_value)
            dg = d_by.get(label)
            rec["drivers"] = [] if dg is None else [
                {f: jsonable(v) for f, v in zip(DRIVER_FIELDS, vals)} for vals in dg[list(DRIVER_FIELDS)].itertuples(index=False)
            ]
            rg = r_by.get(label)
            recs = [] if rg is None else [
                {f: jsonable(v) for f, v in zip(REC_FIELDS, vals)} for vals in rg[list(REC_FIELDS)].itertuples(index=False)
            ]
            for r in recs:
                r["triggered_by"] = [s for s in str(r["triggered_by"]).split(", ") if s]
            rec["recommendations"] = recs
            if contributions:
                rec["contributions"] = {str(k): jsonable(v) for k, v in self.contributions.loc[label].items()}
            out.append(rec)
        return out

    # ------------------------------------------------------------------ plots
    def plot_waterfall(self, i: int = 0, *, max_features: int = 10, ax=None):
        """A waterfall of one explained row (by position): from the base value to its raw score.

        The ``max_features`` largest contributions are drawn one by one, the rest as one bar;
        red raises risk, blue lowers it. Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        c = self.contributions.iloc[i]
        order = c.abs().sort_values(ascending=False).index
        shown = list(order[:max_features])
        items = [(name, float(c[name])) for name in shown]
        rest = float(c[list(order[max_features:])].sum()) if len(order) > max_features else 0.0
        if len(order) > max_features:
            items.append((f"{len(order) - max_features} other features", rest))
        items = items[::-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * len(items) + 1.5))
        start = self.base_value + sum(v for _, v in items)
        # draw from the top (largest) down: the running total ends at the raw score
        left = self.base_value
        lefts = []
        for _, v in items[::-1]:
            lefts.append(left)
            left += v
        lefts = lefts[::-1]
        labels = [self._label(i, name) for name, _ in items]
        values = [v for _, v in items]
        ax.barh(range(len(items)), values, left=lefts, color=["#c0392b" if v > 0 else "#2e86c1" for v in values])
        ax.set_yticks(range(len(items)), labels)
        ax.axvline(self.base_value, color="grey", lw=0.8, ls="--")
        ax.axvline(start, color="black", lw=0.8)
        keys = self.keys.iloc[i]
        who = " ".join(str(keys[k]) for k in ("learner_id", "course_id") if k in keys)
        risk = format_probability(float(self.risk.iloc[i]))
        ax.set_title(f"{who}: risk {risk} (raw {start:.2f}, base {self.base_value:.2f})")
        ax.set_xlabel("contribution to the raw score (log-odds)")
        return ax

    def _label(self, i: int, name: str) -> str:
        if name not in self.values.columns:
            return name
        unit = self.metadata["unit"].get(name, "") if "unit" in self.metadata else ""
        return f"{name} = {format_value(self.values.iloc[i][name], unit, with_unit=True)}"
