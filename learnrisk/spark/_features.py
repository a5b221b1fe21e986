"""As-of features on Spark: ``groupBy(course_id).applyInPandas`` of the pandas per-offering path.

Each group is one offering's rows (:func:`~learnrisk.spark._tables.offering_rows`), turned
back into a one-offering LearningData and given to :func:`learnrisk.build_features`, which
encodes it as an :class:`~learnrisk.features.Offering` and calls
:func:`~learnrisk.features.offering_features`: the function the pandas path calls for each
offering. Spark only decides where it runs. The output schema is the feature catalog's.

**Offerings too large for one task** (more activity rows than ``max_events``) are split by a
hash of the learner id into ``ceil(events / max_events)`` buckets. Every feature but three is
a function of one learner's own rows, the course and its assessments, so a bucket computes it
exactly. The three cohort-relative features (``clicks_1w_z``, ``clicks_total_z``, ``score_z``:
:data:`~learnrisk.features.RELATIVE_FEATURES`) compare a learner with the whole offering at the
same week, so they are computed again in a second, narrow step over the offering's rows
(keys and three source columns) by :func:`learnrisk.features.relative_features`. Two cases are
never split (they run in one task): an as-of date in a self-paced offering (the reference is
the peers at their own weekly cutoffs, rows the output does not hold) and ``days`` cutoffs of
several residues modulo 7 (one reference per residue).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from ..features import KEY_COLUMNS, RELATIVE_FEATURES, build_features, relative_features
from ..features._build import _check_as_of, _check_counts, _check_one_kind
from ..features._catalog import NUMERIC_FEATURES
from ..features._offering import check_activity_families
from ._session import quiet, to_naive, to_utc
from ._tables import offering_data, offering_rows

__all__ = ["DEFAULT_MAX_EVENTS", "build_features_spark", "feature_schema", "features_to_pandas"]

DEFAULT_MAX_EVENTS = 5_000_000
BUCKET = "_bucket"
_RELATIVE_SOURCES = ("clicks_1w", "clicks_total", "score_mean")


def feature_schema(extra: Mapping[str, str] | None = None) -> str:
    """The Spark schema (DDL) of a features frame, from the feature catalog; ``extra``: more
    columns (name -> Spark type) after the features.

    >>> feature_schema().split(", ")[:5]
    ['learner_id string', 'course_id string', 'week bigint', 'cutoff timestamp', 'clicks_1w double']
    """
    cols = ["learner_id string", "course_id string", "week bigint", "cutoff timestamp"]
    cols += [f"{name} double" for name in NUMERIC_FEATURES]
    cols += [f"{name} {kind}" for name, kind in (extra or {}).items()]
    return ", ".join(cols)


def to_spark_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A features frame as applyInPandas returns it: the schema's columns, naive UTC cutoffs."""
    out = frame.reindex(columns=columns)
    out["cutoff"] = to_naive(out["cutoff"]) if len(out) else pd.Series([], dtype="datetime64[ns]")
    out["week"] = out["week"].astype("int64")
    return out


def running_offerings(tables: dict, as_of: pd.Timestamp) -> list[str]:
    """course_ids of the offerings running at ``as_of`` (``start <= t < end``)."""
    from pyspark.sql import functions as F

    t = F.lit(as_of.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S.%f")).cast("timestamp")  # session time zone: UTC
    c = tables["courses"].where((F.col("start") <= t) & (t < F.col("end")))
    with quiet():
        return sorted(str(r[0]) for r in c.select("course_id").collect())


def _check_arguments(weeks, days, as_of, activity_families) -> None:
    """The argument checks of :func:`learnrisk.build_features`, on the driver."""
    _check_one_kind(weeks, days, as_of)
    if weeks is not None:
        _check_counts(weeks, "weeks")
    if days is not None:
        _check_counts(days, "days")
    if as_of is not None:
        _check_as_of(as_of)
    check_activity_families(activity_families)


def _feature_fn(cutoffs: dict, activity_families, columns: list[str]):
    """The group function: one offering's (or bucket's) rows -> its features."""

    def features_of(rows: pd.DataFrame) -> pd.DataFrame:
        with quiet():
            frame = build_features(offering_data(rows), **cutoffs, activity_families=activity_families)
        return to_spark_frame(frame, columns)

    return features_of


def _relative_fn(columns: list[str]):
    def relative_of(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.sort_values(["week", "cutoff", "learner_id"], kind="mergesort").reset_index(drop=True)
        rows["cutoff"] = to_utc(rows["cutoff"])
        z = relative_features(rows)
        out = rows.drop(columns=list(RELATIVE_FEATURES)).join(z)
        return to_spark_frame(out, columns)

    return relative_of


def splits(tables: dict, max_events: int | None, course_ids=None, *, split_self_paced: bool = True) -> dict[str, int]:
    """Buckets per offering: ``ceil(activity rows / max_events)`` where that exceeds 1."""
    if not max_events:
        return {}
    from pyspark.sql import functions as F

    act = tables["activity"]
    if course_ids is not None:
        act = act.where(F.col("course_id").isin([str(c) for c in course_ids]))
    counts = act.groupBy(F.col("course_id").cast("string").alias("course_id")).count().collect()
    out = {r["course_id"]: math.ceil(r["count"] / max_events) for r in counts if r["count"] > max_events}
    if out and not split_self_paced:
        c = tables["courses"]
        if "pacing" in c.columns:
            paced = c.where(F.col("pacing") == "self-paced").select(F.col("course_id").cast("string")).collect()
            for r in paced:
                out.pop(r[0], None)
    return out


def _bucketer(n_buckets: dict[str, int]):
    """Add ``_bucket``: learner rows by hash of learner_id, course and assessment rows to every bucket."""
    from pyspark.sql import functions as F

    def bucket(rows):
        if not n_buckets:
            return rows.withColumn(BUCKET, F.lit(0))
        n = F.coalesce(F.create_map(*[x for cid, k in n_buckets.items() for x in (F.lit(cid), F.lit(k))])[F.col("course_id")], F.lit(1))
        per_learner = F.pmod(F.xxhash64("learner_id"), n)
        every = F.explode(F.sequence(F.lit(0), n - 1))
        shared = F.col("learner_id").isNull()  # course and assessment rows
        learner_rows = rows.where(~shared).withColumn(BUCKET, per_learner.cast("int"))
        shared_rows = rows.where(shared).withColumn(BUCKET, every)
        return learner_rows.unionByName(shared_rows)

    return bucket


def build_features_spark(
    tables: dict,
    weeks: Iterable[int] | None = None,
    *,
    days: Iterable[int] | None = None,
    as_of=None,
    activity_families: Mapping[str, str] | None = None,
    course_ids: list[str] | None = None,
    max_events: int | None = DEFAULT_MAX_EVENTS,
):
    """Features of every offering on Spark: a lazy DataFrame with the schema of :func:`feature_schema`.

    The same rows and values as :func:`learnrisk.build_features` on the same tables (order
    aside: sort by course_id, week, learner_id, or use :func:`features_to_pandas`).

    Parameters
    ----------
    tables : dict of Spark DataFrames (:func:`~learnrisk.spark.read_tables`)
    weeks, days, as_of : the cutoffs, as in :func:`learnrisk.build_features` (exactly one)
    activity_families : explicit activity type -> family entries
    course_ids : only these offerings (default: all; with ``as_of``, pass the running ones)
    max_events : activity rows above which an offering is split by learner hash (None: never)

    Examples
    --------
    >>> feats = build_features_spark(read_tables(spark, "data/"), weeks=range(1, 21))   # doctest: +SKIP
    >>> feats.write.parquet("features.parquet")                                        # doctest: +SKIP
    """
    from pyspark.sql import functions as F

    cutoffs = {"weeks": weeks, "days": days, "as_of": as_of}
    cutoffs = {k: (list(v) if k != "as_of" and v is not None else v) for k, v in cutoffs.items() if v is not None}
    _check_arguments(weeks, days, as_of, activity_families)  # errors here, not on an executor
    columns = [*KEY_COLUMNS, *NUMERIC_FEATURES]
    schema = feature_schema()
    if as_of is not None and course_ids is None:  # only the offerings running then have rows
        course_ids = running_offerings(tables, _check_as_of(as_of))
    residues = len({d % 7 for d in days}) if days is not None else 1
    n_buckets = splits(tables, max_events, course_ids, split_self_paced=as_of is None) if residues == 1 else {}
    rows = offering_rows(tables, course_ids, bucket=_bucketer(n_buckets))
    with quiet():
        feats = rows.groupBy("course_id", BUCKET).applyInPandas(_feature_fn(cutoffs, activity_families, columns), schema)
        if not n_buckets:
            return feats
        split = F.col("course_id").isin(list(n_buckets))
        whole = feats.where(~split)
        again = feats.where(split).groupBy("course_id").applyInPandas(_relative_fn(columns), schema)
        return whole.unionByName(again)


def features_to_pandas(feats) -> pd.DataFrame:
    """A Spark features DataFrame as :func:`learnrisk.build_features` returns it: same columns,
    dtypes (``str`` ids, ``datetime64[ns, UTC]`` cutoffs, float64 features) and row order
    (course_id, week, learner_id)."""
    with quiet():
        frame = feats.toPandas()
    return canonical_features(frame)


def canonical_features(frame: pd.DataFrame, *, sort: bool = True) -> pd.DataFrame:
    """Dtypes and (``sort``) row order of :func:`learnrisk.build_features` for rows from Spark."""
    if sort:
        frame = frame.sort_values(["course_id", "week", "learner_id"], kind="mergesort").reset_index(drop=True)
    frame["learner_id"] = frame["learner_id"].astype("str")
    frame["course_id"] = frame["course_id"].astype("str")
    frame["week"] = frame["week"].astype("int64")
    frame["cutoff"] = to_utc(frame["cutoff"])
    for name in NUMERIC_FEATURES:
        frame[name] = frame[name].astype("float64")
    return frame
