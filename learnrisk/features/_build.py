"""``build_features``: one code path for weekly or daily cutoffs (training) and an as-of date (scoring).

:func:`offering_features` computes every row of one offering (a partition); the driver encodes
the tables once, calls it for each offering in turn and assembles one frame. The same
function can be called per partition on a distributed engine with
:meth:`Offering.from_frames`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import FeatureSpecError, LearnriskError
from ..timeline import DAY, from_ns, running, to_ns, utc_timestamp
from ._assessment import assessment_features
from ._catalog import NUMERIC_FEATURES, SENSITIVE_ATTRIBUTES
from ._corporate import corporate_features
from ._engagement import engagement_features
from ._offering import Offering, check_activity_families, split_offerings
from ._relative import zscore_at_cutoff
from ._windows import Requests, as_of_requests, day_requests, weekly_requests

__all__ = [
    "KEY_COLUMNS",
    "RELATIVE_FEATURES",
    "FeatureSpecError",
    "build_features",
    "feature_columns",
    "offering_features",
    "relative_features",
    "sensitive_attributes",
]

KEY_COLUMNS = ["learner_id", "course_id", "week", "cutoff"]
log = logging.getLogger("learnrisk.features")

# z-scored features: (output name, source feature, transform)
_RELATIVE = (
    ("clicks_1w_z", "clicks_1w", np.log1p),
    ("clicks_total_z", "clicks_total", np.log1p),
    ("score_z", "score_mean", None),
)



# --------------------------------------------------------------------------- arguments
_CUTOFF_KINDS = (
    "give exactly one of weeks (training: weeks=range(1, 21)), days (each offering's own day: "
    "days=[30]) or as_of (scoring: as_of='2024-03-04')"
)
_UNITS = {
    "weeks": ("week k is the cutoff start + 7k days", "range(1, 21)"),
    "days": ("day d is the cutoff start + d days", "[30]"),
}


def _check_counts(values, name: str = "weeks") -> np.ndarray:
    """``weeks`` or ``days``: a whole number >= 0 or an iterable of them, as sorted unique int64."""
    rule, example = _UNITS[name]
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise FeatureSpecError(f"{name} must be whole numbers >= 0 such as {example}, found {values!r}")
    values = list(values)
    bad = [w for w in values if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 0]
    if bad or not values:
        raise FeatureSpecError(
            f"{name} must be a non-empty set of whole numbers >= 0 ({rule}), "
            f"found {bad[:5] if bad else 'nothing'}; try {name}={example}"
        )
    return np.unique(np.asarray(values, dtype=np.int64))


def _check_one_kind(weeks, days, as_of) -> None:
    if sum(x is not None for x in (weeks, days, as_of)) != 1:
        raise FeatureSpecError(_CUTOFF_KINDS)


def _check_as_of(as_of) -> pd.Timestamp:
    if as_of is None or as_of is pd.NaT:
        raise FeatureSpecError("as_of must be a date or time such as '2024-03-04', found a missing value")
    try:
        return utc_timestamp(as_of)
    except ValueError:
        raise FeatureSpecError(f"as_of must be a date or time such as '2024-03-04', found {as_of!r}") from None


# --------------------------------------------------------------------------- one offering
def _base(off: Offering, req: Requests) -> dict[str, np.ndarray]:
    if not len(req):
        return {name: np.empty(0) for name in NUMERIC_FEATURES}
    cols = engagement_features(off, req)
    cols.update(assessment_features(off, req))
    re = req.enr
    cols["days_registered_before_start"] = (off.anchor[re] - off.registered[re]) / DAY
    cols["prior_attempts"] = off.prior_attempts[re]
    cols["credits"] = off.credits[re]
    return cols


def offering_features(
    off: Offering,
    weeks: Iterable[int] | None = None,
    *,
    days: Iterable[int] | None = None,
    as_of: pd.Timestamp | None = None,
) -> dict[str, np.ndarray]:
    """Every row of one offering: ``enr`` (enrollment position), ``week``, ``cutoff`` and features.

    Exactly one of ``weeks`` (weekly cutoffs), ``days`` (cutoffs ``anchor + d days``) and
    ``as_of`` (a calendar cutoff). Rows come by week (for days: by day), each in enrollment order.

    Examples
    --------
    >>> off = Offering.from_frames(course, enrollments, activity, assessments, submissions)  # doctest: +SKIP
    >>> cols = offering_features(off, weeks=range(1, 21))                                   # doctest: +SKIP
    >>> cols = offering_features(off, days=[30])                                            # doctest: +SKIP
    """
    _check_one_kind(weeks, days, as_of)
    if weeks is not None:
        return _grid_features(off, weekly_requests(off, _check_counts(weeks, "weeks")))
    if days is not None:
        # One call per residue mod 7: a call has one week grid per enrollment (see day_requests);
        # within a residue the week tells the day apart, so the cohort reference is the same day.
        d = _check_counts(days, "days")
        groups = [_grid_features(off, day_requests(off, d[d % 7 == r])) for r in np.unique(d % 7)]
        if len(groups) == 1:
            return groups[0]
        day = np.concatenate([(g["cutoff"] - off.anchor[g["enr"]]) // DAY for g in groups])
        order = np.lexsort((np.concatenate([g["enr"] for g in groups]), day))
        return {k: np.concatenate([g[k] for g in groups])[order] for k in groups[0]}
    req = as_of_requests(off, to_ns(_check_as_of(as_of)))
    ref_req = None
    if off.self_paced and len(req):
        # Peers of a self-paced learner at week k are compared at their own week-k
        # cutoffs, not at today's date (see _relative).
        ref_req = weekly_requests(off, np.unique(req.week))
    return _grid_features(off, req, ref_req)


def _grid_features(off: Offering, req: Requests, ref_req: Requests | None = None) -> dict[str, np.ndarray]:
    """The features of the rows ``req``; cohort z-scores against ``ref_req`` (default: ``req``)."""
    cols = _base(off, req)
    if len(req):
        ref_cols = cols if ref_req is None else _base(off, ref_req)
        ref_req = req if ref_req is None else ref_req
        tiebreak = np.argsort(np.argsort(off.learner_id, kind="stable"), kind="stable")
        cols.update(_zscores(req.week, req.cutoff, cols, ref_req.week, ref_req.cutoff, ref_cols, tiebreak[ref_req.enr]))
    return {"enr": req.enr, "week": req.week, "cutoff": req.cutoff, **cols}


def _zscores(week, cutoff, cols, ref_week, ref_cutoff, ref_cols, tiebreak) -> dict[str, np.ndarray]:
    """The cohort-relative features (``_RELATIVE``) of rows against reference rows."""
    out = {}
    for name, source, transform in _RELATIVE:
        fn = transform or (lambda v: v)
        out[name] = zscore_at_cutoff(
            week, cutoff, fn(np.asarray(cols[source], dtype=float)),
            ref_week, ref_cutoff, fn(np.asarray(ref_cols[source], dtype=float)), tiebreak,
        )
    return out


RELATIVE_FEATURES: tuple[str, ...] = tuple(name for name, _, _ in _RELATIVE)
"""The cohort-relative features: the only ones that read other learners' rows."""


def relative_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The cohort-relative features of the rows of one offering, against those rows.

    What :func:`offering_features` computes when each row's reference is the rows of the call
    (weekly cutoffs; one day residue; an as-of date in a cohort course), from a frame holding
    ``learner_id``, ``week``, ``cutoff`` and the source features: the second step of building
    one offering in learner buckets (``learnrisk.spark``), whose other features are per learner.
    """
    week = frame["week"].to_numpy(dtype=np.int64)
    cutoff = to_ns(frame["cutoff"])
    codes, _ = pd.factorize(frame["learner_id"].astype("str"), sort=True)
    cols = {source: frame[source].to_numpy(dtype=float) for _, source, _ in _RELATIVE}
    return pd.DataFrame(_zscores(week, cutoff, cols, week, cutoff, cols, codes), index=frame.index)


# --------------------------------------------------------------------------- driver
def _empty_frame() -> pd.DataFrame:
    cols = {
        "learner_id": pd.Series([], dtype="str"),
        "course_id": pd.Series([], dtype="str"),
        "week": pd.Series([], dtype="int64"),
        "cutoff": pd.Series([], dtype="datetime64[ns, UTC]"),
    }
    cols.update({name: pd.Series([], dtype="float64") for name in NUMERIC_FEATURES})
    return pd.DataFrame(cols)


def build_features(
    data,
    weeks: Iterable[int] | None = None,
    *,
    days: Iterable[int] | None = None,
    as_of: str | dt.datetime | pd.Timestamp | None = None,
    include_sensitive: bool = False,
    activity_families: Mapping[str, str] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Point-in-time-correct features, one row per enrollment active at each cutoff.

    Parameters
    ----------
    data : LearningData
    weeks : iterable of int, optional
        Weekly cutoffs for training and evaluation: week ``k`` is ``anchor + 7k days``, the
        anchor being the course start (or, for a self-paced course, the registration).
    days : iterable of int, optional
        Cutoffs in days, each offering at its own day: day ``d`` is ``anchor + d days`` (a
        30-day MOOC cut at its day 30: ``days=[30]``). The row's ``week`` is ``floor(d / 7)``
        and its "last 7 days" end at the cutoff; there is no ``day`` column (the ``cutoff``
        tells the rows of two days of one week apart).
    as_of : date or timestamp, optional
        A calendar cutoff for scoring: every offering running at ``as_of`` (``start <= as_of
        < end``), each enrollment at its own week. A naive time is read as UTC. Give exactly
        one of ``weeks``, ``days`` and ``as_of``.
    include_sensitive : bool, default False
        Add the sensitive attributes (gender, age_band, region, disability, deprivation,
        prior_education: whichever the data has) as ``category`` columns.
    activity_families : mapping, optional
        Explicit activity type -> family entries (``{"video": "content"}``; families
        :data:`~learnrisk.features.FAMILIES`) for the ``share_clicks_*`` features. They win over
        :data:`~learnrisk.features.DEFAULT_ACTIVITY_FAMILIES`; letter case is ignored.
    progress : bool, default False
        Show a progress bar over the offerings.

    Returns
    -------
    DataFrame
        Keys ``learner_id``, ``course_id``, ``week`` (int), ``cutoff`` (UTC), then the
        features of :func:`~learnrisk.features.catalog` (float64, NaN where undefined),
        sorted by course_id, week (for days: day), learner_id. A row exists for an enrollment registered
        before the cutoff and not withdrawn before it, in an offering running at the cutoff.

    Examples
    --------
    >>> import learnrisk
    >>> feats = learnrisk.build_features(data, weeks=range(1, 21))          # doctest: +SKIP
    >>> today = learnrisk.build_features(data, as_of="2024-03-04")          # doctest: +SKIP
    >>> day30 = learnrisk.build_features(data, days=[30])                   # doctest: +SKIP
    """
    _check_one_kind(weeks, days, as_of)
    week_arr = _check_counts(weeks, "weeks") if weeks is not None else None
    day_arr = _check_counts(days, "days") if days is not None else None
    t = _check_as_of(as_of) if as_of is not None else None
    check_activity_families(activity_families)
    only = None
    if t is not None:  # only offerings running at the as-of date have rows
        only = running(data.courses["start"], data.courses["end"], t).to_numpy()
    offerings, learner_index = split_offerings(data, only=only, activity_families=activity_families)
    parts = []
    for off in _maybe_progress(offerings, progress):
        cols = offering_features(off, week_arr, days=day_arr, as_of=t)
        if len(cols["enr"]):
            enr = cols.pop("enr")
            # sort key within the offering: the day of a days cutoff, else the week
            cols["order"] = (cols["cutoff"] - off.anchor[enr]) // DAY if day_arr is not None else cols["week"]
            cols["learner_code"] = off.learner_id[enr]
            cols["course_id"] = off.course_id
            parts.append(cols)
    if not parts:
        frame = _empty_frame()
        unit, cutoffs = ("days", day_arr) if day_arr is not None else ("weeks", week_arr)
        log.warning("build_features: no row to build: %s", _why_empty(data, cutoffs, t, only, unit))
    else:
        frame = _assemble(parts, learner_index)
    if getattr(data, "assignments", None) is not None:  # corporate family (docs/corporate.md)
        frame = pd.concat([frame, corporate_features(data, frame)], axis=1)
    if include_sensitive:
        sens = sensitive_attributes(data, frame)
        frame = pd.concat([frame, sens], axis=1)
    return frame


def _why_empty(data, cutoffs: np.ndarray | None, t: pd.Timestamp | None, only, unit: str = "weeks") -> str:
    """Why no enrollment is active at any cutoff asked for (the message of an empty result)."""
    c, e = data.courses, data.enrollments
    if not len(c) or not len(e):
        return f"the data has {len(c)} offerings and {len(e)} enrollments"
    span = f"offerings run from {c['start'].min():%Y-%m-%d} to {c['end'].max():%Y-%m-%d}"
    if t is not None:
        if only is not None and not only.any():
            return f"no offering is running at {t:%Y-%m-%d %H:%M} UTC ({span})"
        return (
            f"{int(only.sum())} offering(s) run at {t:%Y-%m-%d %H:%M} UTC but none of their enrollments "
            "registered before it without withdrawing before it"
        )
    longest = int(((c["end"] - c["start"]).max() / pd.Timedelta(days=7 if unit == "weeks" else 1)))
    return (
        f"no enrollment is active at {unit} {cutoffs[0]}..{cutoffs[-1]} (registered before the cutoff, not withdrawn, "
        f"offering running; the longest offering has {longest} {unit}; {span})"
    )


def _maybe_progress(offerings: list[Offering], progress: bool):
    if not progress:
        yield from offerings
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("features"), BarColumn(), MofNCompleteColumn(), TextColumn("offerings"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("features", total=len(offerings))
        for off in offerings:
            yield off
            bar.advance(task)


def _assemble(parts: list[dict], learner_index: pd.Index) -> pd.DataFrame:
    """One frame from the offerings' columns, sorted by course_id, week, learner_id.

    Offerings are put in course_id order; within one, rows are sorted by (``order``, learner)
    and are usually so already (weekly rows come week by week, learners in id order);
    ``order`` is the week, or the day of a days cutoff (two days may share a week). The
    features go into one column-major float64 block that pandas keeps without a copy.
    """
    parts = sorted(parts, key=lambda p: p["course_id"])
    for p in parts:
        local = np.lexsort((p["learner_code"], p["order"]))
        if not np.array_equal(local, np.arange(len(local))):
            for key in [*NUMERIC_FEATURES, "week", "cutoff", "learner_code"]:
                p[key] = np.asarray(p[key])[local]
    n = [len(p["week"]) for p in parts]
    values = np.empty((sum(n), len(NUMERIC_FEATURES)), dtype=np.float64, order="F")
    for j, name in enumerate(NUMERIC_FEATURES):
        np.concatenate([p[name] for p in parts], out=values[:, j])
    frame = pd.DataFrame(values, columns=list(NUMERIC_FEATURES), copy=False)
    cutoff = np.concatenate([p["cutoff"] for p in parts])
    course_index = pd.Index([p["course_id"] for p in parts], dtype="str")
    code = np.concatenate([p["learner_code"] for p in parts])
    frame.insert(0, "cutoff", from_ns(cutoff))
    frame.insert(0, "week", np.concatenate([p["week"] for p in parts]).astype(np.int64))
    frame.insert(0, "course_id", pd.Series(course_index.take(np.repeat(np.arange(len(parts)), n))).array)
    frame.insert(0, "learner_id", pd.Series(pd.Index(learner_index, dtype="str").take(code)).array)
    return frame


# --------------------------------------------------------------------------- helpers
def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model inputs of a features frame: every column but the keys, plus ``week``.

    ``week`` is both a key and a feature (one model serves every week).

    >>> feature_columns(pd.DataFrame(columns=KEY_COLUMNS + ["clicks_1w"]))
    ['week', 'clicks_1w']
    """
    cols = [c for c in frame.columns if c not in KEY_COLUMNS]
    return (["week"] if "week" in frame.columns else []) + cols


def sensitive_attributes(data, frame: pd.DataFrame) -> pd.DataFrame:
    """The sensitive attributes of the rows of a features frame, aligned to its index.

    Each attribute is taken from the enrollments' extra columns when present (attributes that
    can change between offerings, as in OULAD), else from the learners table. Columns are
    ``category`` with the categories of the whole data set (so that they agree across frames).

    >>> sens = sensitive_attributes(data, feats)   # doctest: +SKIP
    >>> sens["gender"].value_counts()              # doctest: +SKIP
    """
    out = {}
    keys = frame[["learner_id", "course_id"]]
    for spec in SENSITIVE_ATTRIBUTES:
        name = spec.name
        if name in data.enrollments.columns:
            src = data.enrollments[["learner_id", "course_id", name]].drop_duplicates(["learner_id", "course_id"])
            values = keys.merge(src, on=["learner_id", "course_id"], how="left")[name]
            column = data.enrollments[name]
        elif name in data.learners.columns:
            src = data.learners[["learner_id", name]].drop_duplicates("learner_id")
            values = keys[["learner_id"]].merge(src, on="learner_id", how="left")[name]
            column = data.learners[name]
        else:
            continue
        categories = sorted(pd.unique(column.dropna().astype(str)))
        values = values.astype(object).where(values.notna(), None)
        values = values.map(lambda v: None if v is None else str(v))
        out[name] = pd.Categorical(values, categories=categories)
    return pd.DataFrame(out, index=frame.index)
