"""The weekly job on Spark: :class:`SparkSource`, a source of :func:`learnrisk.score`.

``learnrisk.score(SparkSource("data/"), as_of, model, out=...)`` runs the pandas job with its
per-offering inputs computed on Spark (``scoring._sources``):

1. **per offering** (``groupBy(course_id).applyInPandas``), on the executors: the offering's
   rows become a one-offering LearningData, and the job's own functions run on it:
   :func:`learnrisk.build_features` as of the date, ``learner_facts`` (last active, missed
   assessments) and ``course_overviews`` (the report's course figures);
2. **scores** (``mapInPandas``): the model the driver loaded (a registered MLflow model, a saved
   folder or an object, with each offering's course-code calibrator) is shipped to the
   executors once per task and gives ``p`` and the raw score of every row;
3. **on the driver**: the scored rows (one per active enrollment, not the events) are
   collected, and the pandas job ranks and bands them;
4. **explanations** (:meth:`SparkSource.explain`, which the job calls instead of explaining
   in process): from ``explain_on_executors`` listed learners on (default 2,000), only the
   listed rows go back to Spark, with the cohort medians at their cutoffs, and a
   ``mapInPandas`` runs the job's own ``_explain_listed`` on each slice (the models and the
   intervention catalog shipped as for the scores); each row's details come back as JSON.
   A shorter list is explained on the driver, where it costs less than a Spark job;
5. **on the driver**: the job compares with last week and writes ``OUT/<as-of>/`` through the
   same staging folder and atomic rename: a failed Spark job (features, scores or
   explanations) raises before OUT is touched, so earlier lists stay as they were.

Not done on Spark: the plausibility warnings of ``summary.json`` (run ``learnrisk validate``);
the data digest is that of the input files (names, sizes, times; a Delta table's version), not
of their content; models trained with sensitive attributes are refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ..data._validate import coerce_table
from ..errors import SparkEngineError
from ..features import KEY_COLUMNS, build_features
from ..features._catalog import NUMERIC_FEATURES
from ..explaining._drivers import cohort_medians
from ..scoring._job import _explain_listed, raw_scores
from ..scoring._overview import course_overviews, learner_facts
from ..scoring._sources import Prepared
from ..timeline import running
from ._features import DEFAULT_MAX_EVENTS, canonical_features, feature_schema, to_spark_frame
from ._session import quiet, spark_session
from ._tables import from_learning_data, offering_data, offering_rows, read_tables, source_digest

__all__ = ["SparkSource", "write_features"]

FACTS = {"last_active": "string", "missed_assessments": "bigint", "_overview": "binary"}
# what the details of a listed row need besides its features (scoring._job._explain_listed)
RISK_COLUMNS = {"band": "string", "main_risk": "string", "p_dropout": "double", "p_underperformance": "double"}
DEFAULT_EXPLAIN_ON_EXECUTORS = 2_000  # listed rows from which the executors explain them
ROWS_PER_TASK = 2_000  # listed rows per explain task (about 30 s of TreeSHAP and what-if at 15 ms a row)


def _prepare_fn(as_of: pd.Timestamp, columns: list[str]):
    """The group function: one offering's features, learner facts and course overview."""

    def prepare_offering(rows: pd.DataFrame) -> pd.DataFrame:
        with quiet():
            data = offering_data(rows)
            feats = build_features(data, as_of=as_of)
            facts = learner_facts(data, as_of)
            overview = course_overviews(data, as_of)
        rows_read = {n: len(f) for n, f in data.tables().items()}
        out = to_spark_frame(feats, columns[: len(KEY_COLUMNS) + len(NUMERIC_FEATURES)])
        out = out.merge(facts, on=["course_id", "learner_id"], how="left", validate="one_to_one")
        out["missed_assessments"] = out["missed_assessments"].fillna(0).astype("int64")
        blob = pickle.dumps((overview, rows_read))
        if not len(out):  # an offering with nobody active: one row for its overview
            out = pd.DataFrame({"course_id": [str(data.courses["course_id"].iloc[0])]}).reindex(columns=columns)
            out["cutoff"] = pd.Series([pd.NaT], dtype="datetime64[ns]")
            out["week"] = out["week"].fillna(-1).astype("int64")
            out["missed_assessments"] = 0
        out["_overview"] = [blob] + [None] * (len(out) - 1)
        return out.reindex(columns=columns)

    return prepare_offering


def _predict_fn(models: dict):
    """The mapInPandas function: each row's probability and raw score under each model."""

    def predict(batches):
        for batch in batches:
            listed = batch["learner_id"].notna().to_numpy()
            rows = batch[listed][[*KEY_COLUMNS, *NUMERIC_FEATURES]].reset_index(drop=True)
            feats = canonical_features(rows, sort=False)
            for target, model in models.items():
                p = np.full(len(batch), np.nan)
                raw = np.full(len(batch), np.nan)
                if len(feats):
                    with quiet():
                        p[listed] = np.asarray(model.predict_proba(feats), dtype=float)
                        raw[listed] = raw_scores(model, feats, p[listed])
                batch[f"p_{target}"] = p
                batch[f"raw_{target}"] = raw
            yield batch

    return predict


def _explain_fn(models: dict, interventions, cohort: pd.DataFrame):
    """The mapInPandas function: the details of a slice of the listed rows, as JSON per row."""

    def explain_slice(batches):
        for batch in batches:
            feats = canonical_features(batch[[*KEY_COLUMNS, *NUMERIC_FEATURES]].reset_index(drop=True), sort=False)
            risk = feats[["course_id", "learner_id"]].assign(**{c: batch[c].to_numpy() for c in RISK_COLUMNS})
            with quiet():
                details = _explain_listed(models, feats, risk, interventions, cohort=cohort)
            yield pd.DataFrame(
                {
                    "course_id": [k[0] for k in details],
                    "learner_id": [k[1] for k in details],
                    "detail": [json.dumps(d) for d in details.values()],
                }
            )

    return explain_slice


@contextlib.contextmanager
def spark_errors() -> Iterator[None]:
    """A failed Spark job (an error raised by pyspark or py4j) as a SparkEngineError."""
    try:
        yield
    except Exception as exc:
        if type(exc).__module__.startswith(("pyspark", "py4j")):
            raise SparkEngineError(f"the Spark job failed: {str(exc).strip().splitlines()[0][:500]}") from exc
        raise


class SparkSource:
    """Canonical tables on Spark, as a source of :func:`learnrisk.score`.

    Parameters
    ----------
    data : a folder of canonical tables (Parquet files or Delta tables), or a LearningData
        (small data, tests); or None with ``tables``
    master : Spark master (``local[2]``, ``spark://host:7077``, ...); an active session
        (spark-submit, Databricks) is used as it is
    tables : dict of Spark DataFrames of the six tables (already read, e.g. with Spark's Delta
        connector)
    spark : a SparkSession to use
    max_events : activity rows of one feature task (larger offerings are split by learner)
    explain_on_executors : listed learners from which their drivers and interventions are
        computed on the executors (a ``mapInPandas`` over the listed rows); below it, on the
        driver, where a short list costs less than a Spark job (default 2,000: about 30 s of
        explanations on one core; ``docs/scale.md``); 0: always on the executors, None: never

    Examples
    --------
    >>> res = learnrisk.score(SparkSource("data/", master="local[2]"), "2024-03-04",
    ...                       "models:/learnrisk-dropout@champion", out="risk-lists")  # doctest: +SKIP
    """

    def __init__(self, data=None, *, master: str | None = None, tables: dict | None = None, spark=None,
                 max_events: int | None = DEFAULT_MAX_EVENTS,
                 explain_on_executors: int | None = DEFAULT_EXPLAIN_ON_EXECUTORS) -> None:  # fmt: skip
        self.spark = spark or spark_session(master)
        self.explain_on_executors = explain_on_executors
        self.data = data
        self.max_events = max_events
        self.path = None if data is None or isinstance(data, LearningData) else str(data)
        if tables is not None:
            self.tables = tables
        elif isinstance(data, LearningData):
            self.tables = from_learning_data(self.spark, data)
        elif data is not None:
            self.tables = read_tables(self.spark, data)
        else:
            raise SparkEngineError("SparkSource needs data (a folder or a LearningData) or tables")
        with quiet():
            courses = self.tables["courses"].toPandas()
        self.courses = coerce_table("courses", courses)

    def __repr__(self) -> str:
        return f"SparkSource({self.path or 'tables'}, master={self.spark.sparkContext.master})"

    @property
    def enrollments(self) -> pd.DataFrame:
        """learner_id, course_id and the caseload columns of the enrollments (``by="advisor"``)."""
        e = self.tables["enrollments"]
        cols = [c for c in ("learner_id", "course_id", "advisor", "advisor_capacity") if c in e.columns]
        with quiet():
            return e.select(*cols).toPandas().astype({"learner_id": "str", "course_id": "str"})

    def prepare(self, as_of: pd.Timestamp, models: dict, *, include_sensitive: bool = False) -> Prepared:
        if include_sensitive:
            raise SparkEngineError(
                "a model trained with sensitive attributes cannot be scored by the Spark engine yet; "
                "use the pandas engine (--engine pandas or stream)"
            )
        c = self.courses
        ids = c.loc[np.asarray(running(c["start"], c["end"], as_of), dtype=bool), "course_id"].astype(str).tolist()
        columns = [*KEY_COLUMNS, *NUMERIC_FEATURES, *FACTS]
        schema = feature_schema(FACTS)
        pred_schema = feature_schema({**FACTS, **{f"{k}_{t}": "double" for t in models for k in ("p", "raw")}})
        rows = offering_rows(self.tables, ids)
        with spark_errors(), quiet():
            prepared = rows.groupBy("course_id").applyInPandas(_prepare_fn(as_of, columns), schema)
            scored = prepared.mapInPandas(_predict_fn(models), pred_schema).toPandas()
        return self._collect(scored, models)

    def _collect(self, scored: pd.DataFrame, models: dict) -> Prepared:
        overviews, rows = [], {}
        for blob in scored["_overview"].dropna():
            found, counts = pickle.loads(blob)
            overviews.extend(found)
            for n, k in counts.items():
                rows[n] = rows.get(n, 0) + k
        overviews.sort(key=lambda o: o.course_id)
        scored = scored[scored["learner_id"].notna()]
        scored = scored.sort_values(["course_id", "week", "learner_id"], kind="mergesort").reset_index(drop=True)
        features = canonical_features(scored[[*KEY_COLUMNS, *NUMERIC_FEATURES]].copy())
        facts = scored[["course_id", "learner_id", "last_active", "missed_assessments"]].astype(
            {"course_id": "str", "learner_id": "str", "last_active": "str", "missed_assessments": "int64"}
        )
        predictions = {t: (scored[f"p_{t}"].to_numpy(float), scored[f"raw_{t}"].to_numpy(float)) for t in models}
        return Prepared(features, facts, overviews, predictions=predictions, rows=rows)

    def explain(self, models: dict, features: pd.DataFrame, risk: pd.DataFrame, interventions) -> dict:
        """The details of the listed rows of ``risk`` (``band != "low"``): on the executors from
        ``explain_on_executors`` listed rows on, else on the driver (the same function).

        Only the listed rows travel (their features and the four risk columns the details need),
        with the cohort medians of their cutoffs (one row per offering and week, computed here
        from every scored row): each slice then gets the details the whole list gets on the
        driver. Models explained by the ``shap`` library (neither LightGBM nor logistic) draw a
        background sample from the whole cohort, and stay on the driver.
        """
        listed = risk[risk["band"] != "low"]
        shap_library = any(getattr(m, "kind_", "other") not in ("tree", "linear") for m in models.values())
        threshold = self.explain_on_executors
        if threshold is None or len(listed) < max(threshold, 1) or shap_library:
            return _explain_listed(models, features, risk, interventions)
        on = ["course_id", "learner_id"]
        rows = listed[on].merge(features[[*KEY_COLUMNS, *NUMERIC_FEATURES]], on=on, how="left", validate="one_to_one")
        rows = rows.merge(listed[[*on, *RISK_COLUMNS]], on=on, how="left", validate="one_to_one")
        groups = rows[["course_id", "week"]].drop_duplicates().reset_index(drop=True)
        cohort = pd.concat([groups, cohort_medians(features, groups, NUMERIC_FEATURES)], axis=1)
        parts = max(self.spark.sparkContext.defaultParallelism, -(-len(rows) // ROWS_PER_TASK))
        columns = [*KEY_COLUMNS, *NUMERIC_FEATURES, *RISK_COLUMNS]
        with spark_errors(), quiet():
            frame = self.spark.createDataFrame(to_spark_frame(rows, columns), schema=feature_schema(RISK_COLUMNS))
            frame = frame.repartition(min(parts, len(rows)))
            fn = _explain_fn(models, interventions, cohort)
            got = frame.mapInPandas(fn, "course_id string, learner_id string, detail string").toPandas()
        found = zip(got["course_id"].astype(str), got["learner_id"].astype(str), got["detail"])
        details = {(c, lid): json.loads(d) for c, lid, d in found}
        return {k: details[k] for k in zip(rows["course_id"], rows["learner_id"]) if k in details}  # the list's order

    def data_info(self, as_of: pd.Timestamp, prepared: Prepared) -> dict:
        if isinstance(self.data, LearningData):
            digest = self.data.digest()
        else:
            digest = source_digest(self.path) if self.path else None
        return {"digest": digest, "path": self.path, "rows": prepared.rows, "warnings": []}


def write_features(feats, out: str | os.PathLike, *, force: bool = True) -> Path:
    """Write a Spark features DataFrame to ``out`` (a folder of Parquet part files, readable by
    ``pandas.read_parquet``), sorted by course_id, week, learner_id; atomically: Spark writes a
    staging folder beside ``out``, which is renamed into place only when the job succeeded."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with quiet():
            feats.orderBy("course_id", "week", "learner_id").write.parquet(str(staging))
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise SparkEngineError(f"the Spark job failed: {str(exc).strip().splitlines()[0][:500]}") from exc
    old = None
    if out.exists():
        if not force:
            shutil.rmtree(staging, ignore_errors=True)
            raise SparkEngineError(f"{out} already exists")
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
    return out

