"""`FairnessReport`: the result of a fairness audit, as tables, text, a dict, plots and MLflow logs.

The report holds aggregates only (per group, per week), except a private copy of the scored
rows it was computed from, used to draw ROC curves; that copy never leaves the process.
``to_dict``, ``to_markdown`` and ``log_to_mlflow`` write aggregates only: a group too small to
report shows its size and no rate, and its ROC curve is never drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._format import format_cell
from .._json import jsonable
from ..metrics import roc_points

__all__ = ["FairnessReport", "markdown_table"]

METRIC_LABELS = {
    "n": "rows",
    "n_enrollments": "enrollments",
    "base_rate": "base rate",
    "roc_auc": "ROC AUC",
    "ece": "ECE",
    "selection_rate": "selection rate",
    "fnr": "FNR",
    "fpr": "FPR",
}


def _fmt(value: Any, digits: int = 3) -> str:
    """A markdown table cell: :func:`learnrisk._format.format_cell`, with "|" escaped."""
    return format_cell(value, digits).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured markdown table of ``frame`` (index dropped, NaN shown as "—")."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_fmt(v, digits) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _records(frame: pd.DataFrame) -> list[dict]:
    return [jsonable(dict(zip(frame.columns, row, strict=True))) for row in frame.itertuples(index=False)]


@dataclass(frozen=True, repr=False, eq=False)
class FairnessReport:
    """How a model behaves for each group of each sensitive attribute.

    Attributes
    ----------
    summary : DataFrame
        One row per attribute × group, weeks pooled: ``attribute, group, status, n, base_rate,
        roc_auc, ece, selection_rate, fnr, fpr``. ``status`` is ``"ok"`` or ``"too small"``
        (under ``min_group_size`` rows or one class only; its metrics are NaN).
    by_week : DataFrame
        The same per attribute × week × group (empty when the rows carry no week).
    abroca : DataFrame
        ``attribute, week, abroca, reference, group, n_groups, p_value, p_adjusted, null_q95``:
        ABROCA per attribute with weeks pooled (``week == "all"``) and per week; ``group`` is
        the group farthest from the ``reference`` group, ``n_groups`` how many groups were
        large enough to compare; pooled rows carry the permutation test (``null_q95``: the
        ABROCA that chance alone exceeds 5 % of the time at these group sizes).
    gaps : DataFrame
        ``attribute, week, metric, gap, ratio, low_group, low, high_group, high`` for each
        metric: the spread between the lowest and highest reportable group; the pooled
        selection-rate rows carry their permutation test (``p_value, p_adjusted, null_q05``);
        with ``n_boot`` the pooled rows carry 95 % bootstrap intervals of the gap and the ratio
        (``gap_low, gap_high, ratio_low, ratio_high``, from fairlearn's ``MetricFrame``).
    overall : DataFrame
        The whole population's metrics, weeks pooled (``week == "all"``) and per week.
    flags : list of str
        Plain-text warnings: an attribute whose pooled ABROCA exceeds ``abroca_bound``, or
        whose selection-rate ratio is under ``selection_ratio_bound``, beyond what chance
        gives at these group sizes (Holm-adjusted permutation p-value under ``alpha``).
    flagged : dict
        ``{attribute: abroca}`` for the attributes flagged on ABROCA (for quality gates).
    flagged_selection : dict
        ``{attribute: lowest / highest selection rate}`` for those flagged on selection rates.
    warnings : list of str
        Everything else worth knowing: groups too small, attributes not comparable, rows dropped.
    params : dict
        ``min_group_size``, ``abroca_bound``, ``n_rows``, ``weeks``, ``attributes`` and the
        column names used.
    """

    summary: pd.DataFrame
    by_week: pd.DataFrame
    abroca: pd.DataFrame
    gaps: pd.DataFrame
    overall: pd.DataFrame
    flags: list[str]
    flagged: dict[str, float]
    warnings: list[str]
    params: dict[str, Any]
    flagged_selection: dict[str, float] = field(default_factory=dict)
    _rows: pd.DataFrame = field(default_factory=pd.DataFrame)

    # ------------------------------------------------------------------ quick views
    @property
    def attributes(self) -> list[str]:
        """The sensitive attributes audited, in order."""
        return list(self.params.get("attributes", []))

    @property
    def abroca_overall(self) -> pd.Series:
        """ABROCA per attribute with weeks pooled (NaN where fewer than two groups qualify)."""
        pooled = self.abroca[self.abroca["week"] == "all"]
        return pd.Series(pooled["abroca"].to_numpy(dtype=float), index=pooled["attribute"].to_list(), name="abroca")

    @property
    def passed(self) -> bool:
        """True when no attribute's ABROCA exceeds the bound."""
        return not self.flags

    def __repr__(self) -> str:
        p = self.params
        weeks = p.get("weeks") or []
        span = f"weeks {min(weeks)}-{max(weeks)}" if weeks else "no weeks"
        values = ", ".join(f"{a} {_fmt(v)}" for a, v in self.abroca_overall.items())
        flags = f"{len(self.flags)} flag{'s' if len(self.flags) != 1 else ''}"
        kinds = [f"ABROCA: {', '.join(self.flagged)}"] if self.flagged else []
        kinds += [f"selection: {', '.join(self.flagged_selection)}"] if self.flagged_selection else []
        if kinds:
            flags += " (" + "; ".join(kinds) + ")"
        return (
            f"FairnessReport({p.get('n_rows', 0):,} scored rows, {span}, {len(self.attributes)} attributes; "
            f"ABROCA: {values or 'none'}; bound {p.get('abroca_bound')}; {flags}; "
            f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''})"
        )

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Everything but the scored rows, as plain JSON-serialisable values (NaN -> None)."""
        return {
            "params": jsonable(self.params),
            "flags": list(self.flags),
            "flagged": jsonable(self.flagged),
            "flagged_selection": jsonable(self.flagged_selection),
            "warnings": list(self.warnings),
            "overall": _records(self.overall),
            "summary": _records(self.summary),
            "by_week": _records(self.by_week),
            "abroca": _records(self.abroca),
            "gaps": _records(self.gaps),
        }

    def to_markdown(self, *, digits: int = 3, weeks: bool = False, title: str | None = None) -> str:
        """Markdown for a model card: flags, ABROCA per attribute, per-group table, largest gaps.

        With ``weeks=True`` a table of ABROCA per attribute and week is added; ``title`` (e.g.
        ``"## Fairness audit"``) is put first when given (a model card brings its own heading).
        """
        p = self.params
        out = [title, ""] if title else []
        out.append(
            f"{p.get('n_rows', 0):,} scored enrollment-weeks ({p.get('n_enrollments', 0):,} enrollments); "
            f"groups under {p.get('min_group_size')} {p.get('size_unit', 'rows')} or with one class only are "
            f"reported as too small. ABROCA: area between a group's ROC curve and the reference (largest) "
            f"group's; bound {p.get('abroca_bound')}. Selection rates: share put on the risk list at the "
            f"operating decision; bound on lowest/highest {p.get('selection_ratio_bound')}. "
            + (
                f"A value past its bound is flagged only when a permutation test ({p.get('n_permutations')} "
                f"shuffles of the groups, Holm-adjusted over all tests of the audit) puts it beyond chance (alpha {p.get('alpha')})."
                if p.get("n_permutations")
                else "Permutation tests were off: the bounds alone decide."
            )
        )
        out.append("")
        if self.flags:
            out += ["**Flags**", ""] + [f"- {f}" for f in self.flags] + [""]
        else:
            out += ["No flags: no attribute's ABROCA or selection-rate ratio is past its bound beyond chance.", ""]
        pooled = self.abroca[self.abroca["week"] == "all"]
        weekly = self.abroca[self.abroca["week"] != "all"]
        table = pd.DataFrame(
            {
                "attribute": pooled["attribute"].to_list(),
                "ABROCA": pooled["abroca"].to_list(),
                "chance 95 %": pooled["null_q95"].to_list(),
                "p (adjusted)": pooled["p_adjusted"].to_list(),
                "reference group": pooled["reference"].to_list(),
                "farthest group": pooled["group"].to_list(),
                "groups compared": pooled["n_groups"].to_list(),
                "max weekly ABROCA": [weekly.loc[weekly["attribute"] == a, "abroca"].max() for a in pooled["attribute"]],
            }
        )
        if not p.get("n_permutations"):
            table = table.drop(columns=["chance 95 %", "p (adjusted)"])
        out += ["**ABROCA per attribute** (weeks pooled)", "", markdown_table(table, digits), ""]
        groups = self.summary.rename(columns=METRIC_LABELS)
        out += ["**Per group** (weeks pooled; rates at the operating decision)", "", markdown_table(groups, digits), ""]
        if not self.gaps.empty:
            g = self.gaps[self.gaps["week"] == "all"].drop(columns=["week", "p_value", "null_q05"])
            intervals = ["gap_low", "gap_high", "ratio_low", "ratio_high"]
            if p.get("n_boot"):  # the bootstrap interval of the gap beside it, as one cell
                ci = [
                    None if np.isnan(lo) else f"[{lo:.{digits}f}, {hi:.{digits}f}]"
                    for lo, hi in zip(g["gap_low"].astype(float), g["gap_high"].astype(float), strict=True)
                ]
                g.insert(g.columns.get_loc("gap") + 1, "gap 95 % (bootstrap)", ci)
            g = g.drop(columns=[c for c in intervals if c in g.columns])
            g = g.assign(metric=g["metric"].map(METRIC_LABELS)).rename(columns={"p_adjusted": "p (adjusted)"})
            if not p.get("n_permutations"):
                g = g.drop(columns=["p (adjusted)"])
            out += ["**Largest gaps between groups** (weeks pooled)", "", markdown_table(g, digits), ""]
        if weeks and not weekly.empty:
            wide = weekly.pivot(index="attribute", columns="week", values="abroca")
            wide = wide.reindex(list(dict.fromkeys(weekly["attribute"]))).reset_index()  # audit order
            wide.columns = [str(c) for c in wide.columns]
            out += ["**ABROCA per week**", "", markdown_table(wide, digits), ""]
        if self.warnings:
            out += ["**Notes**", ""] + [f"- {w}" for w in self.warnings] + [""]
        return "\n".join(out)

    # ------------------------------------------------------------------ plots
    def plot_roc(self, attribute: str, *, week: int | None = None, ax=None):
        """Per-group ROC curves of one attribute on one matplotlib Axes; returns the Figure.

        Only groups large enough to report are drawn (a too-small group's curve would show
        individual learners' scores). ``week`` restricts to one week; default all weeks pooled.

        Examples
        --------
        >>> fig = report.plot_roc("gender")  # doctest: +SKIP
        >>> fig.savefig("roc_gender.png")      # doctest: +SKIP
        """
        import matplotlib.pyplot as plt

        if attribute not in self.attributes:
            raise KeyError(f"attribute {attribute!r} was not audited; audited: {self.attributes}")
        rows = self._rows
        if rows.empty:
            raise ValueError("this report holds no scored rows to draw (it was rebuilt from a dict?)")
        if week is not None:
            rows = rows[rows["week"] == week]
        table = self.by_week if week is not None else self.summary
        sel = (table["attribute"] == attribute) & (table["status"] == "ok")
        if week is not None:
            sel &= table["week"] == week
        ok = table.loc[sel, ["group", "n_enrollments", "roc_auc"]]
        if ax is None:
            fig, ax = plt.subplots(figsize=(5.5, 5))
        else:
            fig = ax.figure
        curves = {}
        for group, n, auc in ok.itertuples(index=False):
            part = rows[rows[attribute] == group]
            curves[group] = roc_points(part["y"].to_numpy(), part["score"].to_numpy())
            ax.plot(*curves[group], lw=1.6, label=f"{group} ({int(n):,} enrollments, AUC {auc:.3f})")
        ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1)
        pooled = self.abroca[(self.abroca["attribute"] == attribute) & (self.abroca["week"] == (week or "all"))]
        value = pooled["abroca"].iloc[0] if len(pooled) else float("nan")
        if len(pooled) and pooled["reference"].iloc[0] in curves and pooled["group"].iloc[0] in curves:
            # Shade the area ABROCA measures: the farthest group against the reference group.
            x = np.linspace(0, 1, 1001)
            ref, far = curves[pooled["reference"].iloc[0]], curves[pooled["group"].iloc[0]]
            ax.fill_between(x, np.interp(x, *ref), np.interp(x, *far), color="grey", alpha=0.25, lw=0)
        when = f"week {week}" if week is not None else "weeks pooled"
        ax.set_title(f"ROC by {attribute} ({when}); ABROCA {_fmt(value)}")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
        ax.legend(loc="lower right", fontsize="small")
        fig.tight_layout()
        return fig

    def plot_abroca_by_week(self, ax=None):
        """ABROCA per week, one line per attribute, with the bound; returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        weekly = self.abroca[self.abroca["week"] != "all"]
        for attribute, part in weekly.groupby("attribute", sort=False):
            ax.plot(part["week"].astype(int), part["abroca"].astype(float), marker="o", ms=3, label=attribute)
        ax.axhline(self.params.get("abroca_bound", 0.05), color="red", ls="--", lw=1, label="bound")
        ax.set_xlabel("week")
        ax.set_ylabel("ABROCA")
        ax.set_title("ABROCA per week (one week's groups are smaller: noisier than pooled)")
        ax.legend(fontsize="small", ncol=2)
        fig.tight_layout()
        return fig

    # ------------------------------------------------------------------ tracking
    def log_to_mlflow(self, run_id: str | None = None, *, prefix: str = "fairness") -> None:
        """Log the audit to an MLflow run (the active run unless ``run_id`` is given).

        Metrics: ``{prefix}.abroca.<attribute>`` (weeks pooled), ``{prefix}.abroca_by_week.<attribute>``
        (step = week) and ``{prefix}.gap.<metric>.<attribute>`` (weeks pooled). Artifacts under ``{prefix}/``:
        ``audit.json`` (:meth:`to_dict`), ``audit.md`` (:meth:`to_markdown`) and one ROC plot
        per attribute with at least two reportable groups.
        """
        import matplotlib.pyplot as plt
        import mlflow
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        if run_id is None:
            active = mlflow.active_run()
            if active is None:
                raise RuntimeError("no active MLflow run: start one or pass run_id")
            run_id = active.info.run_id
        client = MlflowClient()
        now = int(pd.Timestamp.now(tz="UTC").timestamp() * 1000)
        metrics = []
        for row in self.abroca.itertuples(index=False):
            if pd.isna(row.abroca):
                continue
            step = 0 if row.week == "all" else int(row.week)
            key = f"{prefix}.abroca{'' if row.week == 'all' else '_by_week'}.{row.attribute}"
            metrics.append(Metric(key, float(row.abroca), now, step))
        for row in self.gaps[self.gaps["week"] == "all"].itertuples(index=False):
            if not pd.isna(row.gap):
                metrics.append(Metric(f"{prefix}.gap.{row.metric}.{row.attribute}", float(row.gap), now, 0))
        for start in range(0, len(metrics), 900):  # MLflow accepts at most 1000 metrics per batch
            client.log_batch(run_id, metrics=metrics[start : start + 900])
        client.log_dict(run_id, self.to_dict(), f"{prefix}/audit.json")
        client.log_text(run_id, self.to_markdown(weeks=True), f"{prefix}/audit.md")
        pooled = self.abroca[self.abroca["week"] == "all"]
        for attribute, n_groups in zip(pooled["attribute"], pooled["n_groups"], strict=True):
            if n_groups >= 2 and not self._rows.empty:
                fig = self.plot_roc(attribute)
                client.log_figure(run_id, fig, f"{prefix}/roc_{attribute}.png")
                plt.close(fig)
