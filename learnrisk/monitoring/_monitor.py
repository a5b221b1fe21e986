"""`monitor()`: how the published weekly lists did, once the outcomes are known.

Input: the output folder of the weekly job (``OUT/<as-of>/risk_list.parquet``, one folder per
published list) and the data, which now hold the outcomes (``enrollments.withdrawn_at`` and
``outcome``). Labels come from :func:`learnrisk.targets.make_labels` with the list's as-of date
as the cutoff; an enrollment of an offering still running has no label and counts in no
quality figure (it still counts in churn, which needs no outcome).

Definitions, per list (as-of date) and offering (``course_id``; ``"all"``: the courses pooled):

- **labelled / positives**: scored enrollments with a label; those whose label is 1 (the
  ``target``: ``not_passing`` when the list had an underperformance model, so that the label is
  what the combined risk estimates, ``overdue`` for the list of an overdue model (corporate),
  else ``dropout``).
- **at capacity** (``contact_now``): precision = positives among the labelled learners to
  contact now / those learners; recall = the same positives / all positives.
- **listed** (band high or medium): the same two figures for the listed learners.
- Each precision and recall of one list has a 95 % Wilson score interval (``*_lo``, ``*_hi``):
  a learner appears once in a list.
- **AUC** of the risk against the label (NaN with one class only), **ECE** (10 equal-width
  bins, :func:`learnrisk.metrics.expected_calibration_error`) of the risk.
- **churn**: the share of this list's listed learners who were not listed in the previous
  published list (of the same offering); NaN for the first list of an offering.
- **acted**: listed learners with an action of status ``done`` on or after the list's date.

Pooled over the lists (``overall()``, ``courses``): precision and recall from the summed
counts. A learner appears in many weekly lists, so the pooled rows are not independent: the
intervals treat the learner (``course_id``, ``learner_id``) as the unit
(:func:`learnrisk.metrics.clustered_wilson_interval`: Wilson at the effective sample size of the
cluster-robust ratio variance). A learner listed in ``k`` identical lists moves the pooled
interval as one learner does, not ``k``.

Across the lists of the period:

- ``missed``: learners scored in some list, never listed, whose label is 1 (they withdrew or
  did not pass without the list ever naming them);
- ``repeated``: learners listed in at least ``REPEATED_LISTS`` lists with no action recorded
  for them in that course (any status) up to a week after their last list;
- ``touched``: listed learners with an action of status ``done``: their outcomes may have
  been changed by the intervention, so the realized precision of the lists that named them
  can be lower than the model deserves (a contact that worked turns a true alarm into a
  "false" one). ``notes`` say so in words.

Worked example (the test builds it): a course lists A, B, C on 2024-01-08 (A, B contact now)
and B, C, D on 2024-01-15 (B, D contact now); A and D withdraw, B passes, C fails, E (never
listed) withdraws. Target ``not_passing``: positives A, C, D, E. First list: precision at
capacity 1/2 (A), recall 1/4; listed precision 2/3 (A, C), recall 2/4. Second list: precision
at capacity 1/2 (D), listed 2/3 (C, D); churn 1/3 (D is new). Missed: E.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .._json import jsonable
from ..data import LearningData, load_data
from ..errors import MonitorError
from ..metrics import clustered_wilson_interval, expected_calibration_error, roc_auc, wilson_interval
from ..targets import check_target, make_labels
from ..timeline import WEEK, to_ns, utc_timestamp
from ..training import resolve_tracking_uri
from ._page import render_monitor

__all__ = ["MonitorResult", "monitor", "wilson_interval"]

KEYS = ["course_id", "learner_id"]
DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REPEATED_LISTS = 3
ALL = "all"
LIST_COLUMNS = ["course_id", "learner_id", "risk", "band", "contact_now", "p_underperformance"]
LEARNER_COUNTS = [*KEYS, "n_now", "tp_now", "n_listed", "tp_listed", "positives"]
QUALITY = [
    "as_of", "course_id", "target", "n_scored", "n_labelled", "positives", "base_rate",
    "n_now", "tp_now", "precision_now", "precision_now_lo", "precision_now_hi", "recall_now", "recall_now_lo", "recall_now_hi",
    "n_listed", "tp_listed", "precision_listed", "precision_listed_lo", "precision_listed_hi",
    "recall_listed", "recall_listed_lo", "recall_listed_hi", "auc", "ece", "churn", "n_acted",
]  # fmt: skip


@dataclass(frozen=True)
class MonitorResult:
    """What :func:`monitor` found.

    Attributes
    ----------
    period : str, ``FIRST_LAST`` (as-of dates of the lists, or the ``--from``/``--to`` dates)
    quality : DataFrame, one row per list and offering (and ``course_id == "all"``), columns
        :data:`QUALITY` (see the module docstring)
    courses : DataFrame, per offering pooled over the lists with outcomes (precision and recall
        from the summed counts, intervals with the learner as the unit, AUC and ECE as the mean
        over lists)
    missed, repeated, touched : DataFrames of learners (see the module docstring)
    notes : sentences to read beside the figures
    paths : files written (``monitor.json``, ``monitor.html``), empty when nothing was written
    run_id : the MLflow run, or None
    learners : DataFrame, one row per labelled learner (``course_id``, ``learner_id``) with its
        counts over the lists (``n_now``, ``tp_now``, ``n_listed``, ``tp_listed``,
        ``positives``): the clusters of the pooled intervals (not written to ``monitor.json``)
    """

    period: str
    lists: list[str]
    quality: pd.DataFrame
    courses: pd.DataFrame
    missed: pd.DataFrame
    repeated: pd.DataFrame
    touched: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    run_id: str | None = None
    learners: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEARNER_COUNTS), repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per list, the offerings pooled (``course_id == "all"``), indexed by as-of."""
        return self.quality[self.quality["course_id"] == ALL].drop(columns="course_id").set_index("as_of")

    def overall(self) -> dict:
        """The lists of the period pooled (``course_id == "all"`` rows summed): the headline."""
        q = self.quality[(self.quality["course_id"] == ALL) & (self.quality["n_labelled"] > 0)]
        out = _pooled(q, self.learners)
        out["lists_with_outcomes"] = len(q)
        out["lists"] = len(self.lists)
        out["missed"] = len(self.missed)
        out["repeated_without_action"] = len(self.repeated)
        out["touched_by_intervention"] = len(self.touched)
        out["churn"] = float(self.quality.loc[self.quality["course_id"] == ALL, "churn"].mean())
        return out

    def to_dict(self, *, learners: bool = True) -> dict:
        """JSON-safe content of ``monitor.json``; ``learners=False`` leaves out the learner
        lists (``missed``, ``repeated``, ``touched``: their counts are in ``overall``), as
        logged to MLflow, where no learner id goes."""
        d = jsonable(
            {
                "period": self.period,
                "lists": self.lists,
                "overall": self.overall(),
                "quality": self.quality.to_dict("records"),
                "courses": self.courses.to_dict("records"),
                "missed": self.missed.to_dict("records"),
                "repeated": self.repeated.to_dict("records"),
                "touched": self.touched.to_dict("records"),
                "notes": self.notes,
                "run_id": self.run_id,
            }
        )
        if not learners:
            for k in ("missed", "repeated", "touched"):
                del d[k]
        return d

    def __repr__(self) -> str:
        o = self.overall()
        return (
            f"MonitorResult(period={self.period}, {o['lists']} lists, {o['lists_with_outcomes']} with outcomes, "
            f"{o['missed']} missed, {o['repeated_without_action']} listed again and again without action)"
        )


# ------------------------------------------------------------------------------------ inputs
def published_lists(lists_dir: Path) -> list[str]:
    """The as-of folders of ``lists_dir`` holding a risk list, oldest first."""
    if not lists_dir.is_dir():
        raise MonitorError(f"--lists {lists_dir} is not a folder of published lists (the --out of `learnrisk score`)")
    return sorted(
        p.name for p in lists_dir.iterdir()
        if p.is_dir() and DATE_DIR.match(p.name) and (p / "risk_list.parquet").is_file()
    )  # fmt: skip


def _read_list(folder: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    path = folder / "risk_list.parquet"
    try:
        extra = [c for c in ("main_risk",) if c in pq.read_schema(path).names]  # absent from lists of older versions
        rows = pd.read_parquet(path, columns=LIST_COLUMNS + extra)
    except Exception as exc:  # a damaged file: say which
        raise MonitorError(f"cannot read {folder / 'risk_list.parquet'}: {exc}") from None
    held = folder / "holdout.csv"  # listed by the model, kept out of the advisors' list (score --holdout)
    if held.is_file():
        try:
            h = pd.read_csv(held, dtype={"course_id": "str", "learner_id": "str", "band": "str"})
        except Exception as exc:
            raise MonitorError(f"cannot read {held}: {exc}") from None
        h = h.reindex(columns=rows.columns).assign(contact_now=False)
        rows = pd.concat([rows, h], ignore_index=True) if len(h) else rows
    rows = rows.astype({"course_id": "str", "learner_id": "str", "band": "str"})
    rows["contact_now"] = rows["contact_now"].fillna(False).astype(bool)
    rows["listed"] = rows["band"].ne("low").to_numpy()
    return rows


def _day(text, what: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return utc_timestamp(text).normalize()
    except ValueError:
        raise MonitorError(f"{what} {text!r} is not a date; give it as YYYY-MM-DD") from None


def _list_target(g: pd.DataFrame) -> str:
    """What a list's risk estimates: ``overdue`` for an overdue model's list (corporate: its
    ``main_risk``), else ``not_passing`` with an underperformance model, else ``dropout``."""
    if "main_risk" in g.columns and g["main_risk"].eq("overdue").any():
        return "overdue"
    return "not_passing" if g["p_underperformance"].notna().any() else "dropout"


# ------------------------------------------------------------------------------------ figures
def _pooled(q: pd.DataFrame, learners: pd.DataFrame) -> dict:
    """Precision and recall from summed counts, their intervals with the learner as the unit
    (``learners``: the per-learner counts of the same rows); AUC and ECE averaged."""
    out: dict = {}
    pos = int(q["positives"].sum()) if len(q) else 0
    for kind in ("now", "listed"):
        n, tp = int(q[f"n_{kind}"].sum()) if len(q) else 0, int(q[f"tp_{kind}"].sum()) if len(q) else 0
        out.update(_rates(kind, tp, n, pos, learners))
    out["positives"] = pos
    out["n_labelled"] = int(q["n_labelled"].sum()) if len(q) else 0
    out["auc"] = float(q["auc"].mean()) if len(q) else float("nan")
    out["ece"] = float(q["ece"].mean()) if len(q) else float("nan")
    return out


def _rates(kind: str, tp: int, n: int, positives: int, learners: pd.DataFrame | None = None) -> dict:
    """Precision and recall with 95 % intervals: Wilson (one list: a learner once), or clustered
    by learner when ``learners`` (the per-learner counts behind the sums) is given."""
    if learners is None:
        p_lo, p_hi = wilson_interval(tp, n)
        r_lo, r_hi = wilson_interval(tp, positives)
    else:
        t = learners[f"tp_{kind}"].to_numpy(dtype=float)
        p_lo, p_hi = clustered_wilson_interval(t, learners[f"n_{kind}"].to_numpy(dtype=float))
        r_lo, r_hi = clustered_wilson_interval(t, learners["positives"].to_numpy(dtype=float))
    return {
        f"n_{kind}": n,
        f"tp_{kind}": tp,
        f"precision_{kind}": tp / n if n else float("nan"),
        f"precision_{kind}_lo": p_lo,
        f"precision_{kind}_hi": p_hi,
        f"recall_{kind}": tp / positives if positives else float("nan"),
        f"recall_{kind}_lo": r_lo,
        f"recall_{kind}_hi": r_hi,
    }


def _quality_row(g: pd.DataFrame) -> dict:
    """The figures of one list of one offering (or pooled): ``g`` has risk, listed, contact_now,
    y (NaN when unlabelled), churn_new and acted."""
    lab = g[g["y"].notna()]
    y = lab["y"].to_numpy(dtype=float)
    pos = int(y.sum())
    row = {"n_scored": len(g), "n_labelled": len(lab), "positives": pos, "base_rate": pos / len(lab) if len(lab) else float("nan")}
    for kind, col in (("now", "contact_now"), ("listed", "listed")):
        sel = lab[col].to_numpy(dtype=bool)
        row.update(_rates(kind, int(y[sel].sum()), int(sel.sum()), pos))
    both = 0 < pos < len(lab)
    row["auc"] = roc_auc(y, lab["risk"].to_numpy(dtype=float)) if both else float("nan")
    row["ece"] = expected_calibration_error(y, lab["risk"].to_numpy(dtype=float)) if len(lab) else float("nan")
    listed = g["listed"].to_numpy(dtype=bool)
    has_prev = g["had_previous"].to_numpy(dtype=bool)
    compared = listed & has_prev
    row["churn"] = float(g.loc[compared, "churn_new"].mean()) if compared.any() else float("nan")
    row["n_acted"] = int((listed & g["acted"].to_numpy(dtype=bool)).sum())
    return row


def _done_actions(data: LearningData) -> pd.DataFrame:
    a = data.actions
    if a is None or a.empty:
        return pd.DataFrame({"course_id": pd.Series(dtype="str"), "learner_id": pd.Series(dtype="str"),
                             "acted_at": pd.Series(dtype="datetime64[ns, UTC]"), "intervention_id": pd.Series(dtype="str"),
                             "status": pd.Series(dtype="str")})  # fmt: skip
    return a[["course_id", "learner_id", "acted_at", "intervention_id", "status"]].astype(
        {"course_id": "str", "learner_id": "str", "intervention_id": "str", "status": "str"}
    )


def monitor(
    lists_dir: str | os.PathLike,
    data: LearningData | str | os.PathLike,
    *,
    period: tuple | None = None,
    target: str | None = None,
    out: str | os.PathLike | None = None,
    tracking_uri: str | None = None,
    experiment: str = "learnrisk-monitoring",
) -> MonitorResult:
    """How the published lists did once the outcomes are known (definitions in the module doc).

    Parameters
    ----------
    lists_dir : the ``--out`` folder of ``learnrisk score`` (``OUT/<as-of>/risk_list.parquet``)
    data : LearningData or a path for :func:`learnrisk.load_data`, holding the outcomes
    period : ``(from, to)`` dates (either may be None): only the lists with ``from <= as-of <=
        to``; default every list
    target : ``"dropout"``, ``"not_passing"``, ``"underperformance"`` or ``"overdue"``; default
        per list: ``overdue`` for an overdue model's list, ``not_passing`` when the list had an
        underperformance model, else ``dropout``
    out : where ``monitor/<period>/monitor.json`` and ``monitor.html`` go; default ``lists_dir``;
        ``False`` writes nothing
    tracking_uri : when given, log one MLflow run for the period in ``experiment`` (an earlier
        run of the same period in it is deleted: one run per period)

    Raises
    ------
    MonitorError
        No published list in the folder or the period; a bad date or target.

    Examples
    --------
    >>> res = learnrisk.monitoring.monitor("risk-lists", "data/")          # doctest: +SKIP
    >>> res.quality.query("course_id == 'all'")[["as_of", "precision_now", "recall_now"]]  # doctest: +SKIP
    """
    lists_dir = Path(lists_dir)
    if target is not None:
        check_target(target)
    start, end = (None, None) if period is None else (_day(period[0], "--from"), _day(period[1], "--to"))
    if start is not None and end is not None and end < start:
        raise MonitorError(f"the period ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})")
    names = [
        d for d in published_lists(lists_dir)
        if (start is None or d >= f"{start:%Y-%m-%d}") and (end is None or d <= f"{end:%Y-%m-%d}")
    ]  # fmt: skip
    if not names:
        raise MonitorError(f"no published list in {lists_dir} for the period asked (folders named YYYY-MM-DD with risk_list.parquet)")
    if not isinstance(data, LearningData):
        data = load_data(data)
    label = f"{start:%Y-%m-%d}" if start is not None else names[0]
    label += "_" + (f"{end:%Y-%m-%d}" if end is not None else names[-1])

    actions = _done_actions(data)
    done = actions[actions["status"] == "done"]
    rows, quality = [], []
    previous: dict[str, set] = {}
    for name in names:
        t = utc_timestamp(name)
        g = _read_list(lists_dir / name)
        tgt = target or _list_target(g)
        feats = g[KEYS].assign(cutoff=t)
        g["y"] = make_labels(data, feats, tgt).to_numpy()
        g["as_of"] = name
        g["target"] = tgt
        g["had_previous"] = g["course_id"].isin(list(previous)).to_numpy()
        keys = list(zip(g["course_id"], g["learner_id"]))
        g["churn_new"] = [lid not in previous.get(cid, ()) for cid, lid in keys]
        acted_keys = set(zip(done.loc[to_ns(done["acted_at"]) >= to_ns(t), "course_id"],
                             done.loc[to_ns(done["acted_at"]) >= to_ns(t), "learner_id"]))  # fmt: skip
        g["acted"] = [k in acted_keys for k in keys]
        for cid, c in g.groupby("course_id", sort=True):
            quality.append({"as_of": name, "course_id": cid, "target": tgt, **_quality_row(c)})
        quality.append({"as_of": name, "course_id": ALL, "target": tgt, **_quality_row(g)})
        listed = g[g["listed"]]
        previous.update({cid: set(c["learner_id"]) for cid, c in listed.groupby("course_id")})
        for cid in set(g["course_id"]) - set(listed["course_id"]):
            previous[cid] = set()
        rows.append(g)
    every = pd.concat(rows, ignore_index=True)
    q = pd.DataFrame(quality, columns=QUALITY)
    learners = _learner_counts(every)
    courses = _per_course(q, learners)
    missed, repeated, touched = _learners(every, data, actions, done)
    notes = _notes(q, missed, repeated, touched, data.actions is not None)
    result = MonitorResult(
        period=label, lists=names, quality=q, courses=courses, missed=missed, repeated=repeated, touched=touched,
        notes=notes, learners=learners,
    )  # fmt: skip
    run_id = None
    if tracking_uri is not None:
        run_id = log_monitoring(result, tracking_uri, experiment=experiment)
        result = replace(result, run_id=run_id)
    if out is not False:
        paths = write_monitor(result, Path(out) if out is not None else lists_dir)
        result = replace(result, paths=paths)
    return result


def _learner_counts(every: pd.DataFrame) -> pd.DataFrame:
    """Per labelled learner, the counts over the lists: the clusters of the pooled intervals."""
    lab = every[every["y"].notna()]
    y = lab["y"].to_numpy(dtype=float) == 1
    now, listed = lab["contact_now"].to_numpy(dtype=bool), lab["listed"].to_numpy(dtype=bool)
    f = lab[KEYS].assign(n_now=now, tp_now=now & y, n_listed=listed, tp_listed=listed & y, positives=y)
    return f.groupby(KEYS, sort=True).sum().astype("int64").reset_index()[LEARNER_COUNTS]


def _per_course(q: pd.DataFrame, learners: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for cid, g in q[(q["course_id"] != ALL) & (q["n_labelled"] > 0)].groupby("course_id", sort=True):
        pooled = _pooled(g, learners[learners["course_id"] == cid])
        rows.append({"course_id": cid, "lists": len(g), "first": g["as_of"].min(), "last": g["as_of"].max(), **pooled})
    cols = ["course_id", "lists", "first", "last", "n_labelled", "positives", *_rates("now", 0, 0, 0), *_rates("listed", 0, 0, 0), "auc", "ece"]
    return pd.DataFrame(rows, columns=cols)


def _learners(every: pd.DataFrame, data: LearningData, actions: pd.DataFrame, done: pd.DataFrame):
    """missed, repeated and touched learners over the lists of the period."""
    outcome = data.enrollments[["course_id", "learner_id", "outcome"]].astype({"course_id": "str", "learner_id": "str"})
    per = every.groupby(KEYS, sort=True).agg(
        lists=("as_of", "size"),
        n_listed=("listed", "sum"),
        max_risk=("risk", "max"),
        y=("y", "last"),
    ).reset_index()
    listed = every[every["listed"]].groupby(KEYS)["as_of"].agg(["min", "max"])
    per = per.merge(listed.rename(columns={"min": "first_listed", "max": "last_listed"}), on=KEYS, how="left")
    per["first_listed"] = per["first_listed"].fillna("").astype("str")
    per["last_listed"] = per["last_listed"].fillna("").astype("str")
    per = per.merge(outcome, on=KEYS, how="left")
    per["outcome"] = per["outcome"].fillna("").astype("str")
    missed = per[(per["n_listed"] == 0) & (per["y"] == 1)][KEYS + ["lists", "max_risk", "outcome"]].reset_index(drop=True)

    # no action recorded (any status) up to a week after the last list that named the learner
    horizon = {k: to_ns(utc_timestamp(v)) + WEEK for k, v in zip(zip(per["course_id"], per["learner_id"]), per["last_listed"]) if v}
    acted = {
        (c, l) for c, l, at in zip(actions["course_id"], actions["learner_id"], to_ns(actions["acted_at"]))
        if (c, l) in horizon and at < horizon[(c, l)]
    }  # fmt: skip
    rep = per[per["n_listed"] >= REPEATED_LISTS]
    rep = rep[np.array([k not in acted for k in zip(rep["course_id"], rep["learner_id"])], dtype=bool)]
    repeated = rep[KEYS + ["n_listed", "first_listed", "last_listed", "max_risk", "outcome"]].reset_index(drop=True)

    first_done = done.sort_values("acted_at").groupby(KEYS, sort=True).agg(
        acted_at=("acted_at", "first"), intervention_id=("intervention_id", "first"), actions_done=("status", "size")
    ).reset_index()
    touched = per[per["n_listed"] > 0].merge(first_done, on=KEYS, how="inner")
    touched["acted_at"] = pd.to_datetime(touched["acted_at"], utc=True).dt.strftime("%Y-%m-%d")
    touched = touched[KEYS + ["n_listed", "acted_at", "intervention_id", "actions_done", "outcome"]].reset_index(drop=True)
    for f in (missed, repeated, touched):
        f["outcome"] = f["outcome"].astype("str")
    return missed, repeated, touched


def _notes(q: pd.DataFrame, missed, repeated, touched, has_actions: bool) -> list[str]:
    notes = []
    waiting = q[(q["course_id"] != ALL) & (q["n_labelled"] == 0)]
    if len(waiting):
        notes.append(
            f"{len(waiting)} list-offering pair{'s' if len(waiting) != 1 else ''} have no outcome yet "
            "(the offering is still running): they count in churn only."
        )
    if not has_actions:
        notes.append("The data hold no actions table: nothing says who was contacted, so every learner listed "
                     f"{REPEATED_LISTS} times or more counts as listed again and again without action.")
    if len(touched):
        notes.append(
            f"{len(touched)} listed learner{'s' if len(touched) != 1 else ''} had an intervention done: their "
            "outcomes may have been changed by it, so the realized precision of the lists that named them can "
            "understate the model (a contact that helped turns a true alarm into an apparent false one)."
        )
    if len(missed):
        notes.append(
            f"{len(missed)} learner{'s' if len(missed) != 1 else ''} never listed then withdrew or did not pass."
        )
    return notes


# ------------------------------------------------------------------------------------ output
def write_monitor(result: MonitorResult, out: Path) -> dict[str, Path]:
    """Write ``out/monitor/<period>/monitor.json`` and ``monitor.html`` (each file replaced
    atomically: written beside, then renamed)."""
    folder = out / "monitor" / result.period
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "monitor.json": json.dumps(result.to_dict(), indent=2, allow_nan=False).encode(),
        "monitor.html": render_monitor(result, repeated_lists=REPEATED_LISTS).encode(),
    }
    paths = {}
    for name, content in files.items():
        tmp = folder / f".{name}.tmp-{os.getpid()}"
        tmp.write_bytes(content)
        os.replace(tmp, folder / name)
        paths[name] = folder / name
    return paths


def log_monitoring(result: MonitorResult, tracking_uri: str, *, experiment: str = "learnrisk-monitoring") -> str:
    """One MLflow run for the period: per-list metrics (``step`` = list number, in date order),
    the pooled figures, and ``monitor.json`` without the learner lists as an artifact (no
    learner id goes to MLflow); an earlier run of the same period
    in ``experiment`` is deleted first. Returns the run id."""
    import tempfile

    import mlflow


    uri = resolve_tracking_uri(tracking_uri)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    mlflow.set_tracking_uri(uri)
    exp = mlflow.get_experiment_by_name(experiment)
    if exp is None:
        location = None
        if uri.startswith("sqlite:///"):
            location = (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts" / experiment).resolve().as_uri()
        exp_id = mlflow.create_experiment(experiment, artifact_location=location)
    else:
        exp_id = exp.experiment_id
    client = mlflow.MlflowClient(uri)
    for old in client.search_runs([exp_id], filter_string=f"tags.`learnrisk.period` = '{result.period}'"):
        client.delete_run(old.info.run_id)
    with mlflow.start_run(experiment_id=exp_id, run_name=f"monitor {result.period}") as run:
        mlflow.set_tags({"learnrisk.period": result.period, "learnrisk.kind": "monitoring"})
        mlflow.log_params({"period": result.period, "lists": len(result.lists), "first": result.lists[0], "last": result.lists[-1]})
        finite = {k: float(v) for k, v in result.overall().items() if isinstance(v, (int, float)) and np.isfinite(v)}
        mlflow.log_metrics(finite)
        q = result.quality[result.quality["course_id"] == ALL].reset_index(drop=True)
        for step, r in q.iterrows():
            m = {f"list_{k}": float(r[k]) for k in ("precision_now", "recall_now", "precision_listed", "recall_listed", "auc", "ece", "churn")
                 if pd.notna(r[k])}  # fmt: skip
            if m:
                mlflow.log_metrics(m, step=int(step))
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "monitor.json"
            p.write_text(json.dumps(result.to_dict(learners=False), indent=2, allow_nan=False))
            mlflow.log_artifact(str(p))
        return run.info.run_id

