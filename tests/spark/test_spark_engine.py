"""The Spark engine gives the pandas path's features and lists, on a real local Spark.

Every row and column is compared to 1e-9 on a synthetic set with several offerings, a
self-paced course and learners without any activity (the listed learners explained on the
executors); a failed Spark job leaves OUT as it was.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import learnrisk
from learnrisk.errors import SparkEngineError
from learnrisk.features._catalog import NUMERIC_FEATURES
from learnrisk.spark import SparkSource, _score, build_features_spark, feature_schema, features_to_pandas, read_tables
from learnrisk.spark._features import canonical_features
from tests.scoring.conftest import snapshot
from tests.spark.conftest import AS_OF

KEYS = ["course_id", "week", "learner_id"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEYS, kind="mergesort").reset_index(drop=True)


def assert_same_features(got: pd.DataFrame, want: pd.DataFrame) -> None:
    want = _sorted(want)
    assert len(got) == len(want) > 0
    assert list(got.columns) == list(want.columns)
    for col in ["learner_id", "course_id", "week", "cutoff"]:
        assert got[col].dtype == want[col].dtype, col
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    for name in NUMERIC_FEATURES:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-9, err_msg=name)


def test_schema_comes_from_the_catalog():
    names = [c.split(" ")[0] for c in feature_schema().split(", ")]
    assert names == ["learner_id", "course_id", "week", "cutoff", *NUMERIC_FEATURES]


WEEKS = [1, 4, 8]


def test_weekly_features_equal_pandas(spark, spark_world):
    data = spark_world["data"]
    assert data.courses["pacing"].eq("self-paced").any()
    want = learnrisk.build_features(data, weeks=WEEKS)
    assert want["never_active"].eq(1).any()  # learners without activity have rows
    got = features_to_pandas(build_features_spark(read_tables(spark, spark_world["data_path"]), weeks=WEEKS))
    assert_same_features(got, want)


@pytest.mark.slow
def test_weekly_features_split_by_learner_equal_pandas(spark, spark_world):
    """The largest offering in 3 learner buckets: per-learner features per bucket, z-scores over the offering."""
    data = spark_world["data"]
    want = learnrisk.build_features(data, weeks=WEEKS)
    events = data.activity.groupby("course_id").size()
    tables = read_tables(spark, spark_world["data_path"])
    got = features_to_pandas(build_features_spark(tables, weeks=WEEKS, max_events=int(events.max() // 3 + 1)))
    assert_same_features(got, want)


def test_weekly_job_on_spark_equals_pandas(spark, spark_world, tmp_path, monkeypatch):
    """Also: the listed learners explained on the executors (``explain_on_executors=0``) get
    the drivers and interventions the pandas job computes in one process."""
    w = spark_world
    built = []
    real = _score._explain_fn
    monkeypatch.setattr(_score, "_explain_fn", lambda *a: built.append(a) or real(*a))
    kwargs = dict(model=w["model"], underperformance_model=w["under"], top_k=5)
    pandas_res = learnrisk.score(w["data_path"], AS_OF, out=tmp_path / "pandas", **kwargs)
    source = SparkSource(w["data_path"], spark=spark, explain_on_executors=0)
    spark_res = learnrisk.score(source, AS_OF, out=tmp_path / "spark", **kwargs)
    assert len(built) == 1  # the executors explained the list
    a, b = pandas_res.risk_list, spark_res.risk_list
    assert len(a) == len(b) > 0
    listed = a[a["band"] != "low"]
    assert set(listed["main_risk"]) == {"dropout", "underperformance"}  # both models explain rows
    assert listed["drivers"].ne("").any() and listed["intervention_ids"].ne("").any()
    assert set(a["course_id"]) & set(w["data"].courses.query("pacing == 'self-paced'")["course_id"])
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        if a[col].dtype == "float64":
            np.testing.assert_allclose(b[col], a[col], rtol=1e-9, atol=1e-9, err_msg=col)
        else:
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col
    assert {p.name for p in (tmp_path / "spark" / AS_OF).iterdir()} == {p.name for p in (tmp_path / "pandas" / AS_OF).iterdir()}
    overviews = spark_res.summary["counts"]["courses"]
    assert overviews == pandas_res.summary["counts"]["courses"]


def test_a_failed_spark_job_leaves_earlier_lists_intact(spark, spark_world, tmp_path):
    w = spark_world
    folder = tmp_path / "data"
    shutil.copytree(w["data_path"], folder)
    out = tmp_path / "lists"
    learnrisk.score(folder, "2013-11-25", w["model"], out=out)
    before = snapshot(out)
    source = SparkSource(folder, spark=spark)
    (folder / "activity.parquet").unlink()  # the job fails on the executors, mid-way
    with pytest.raises(SparkEngineError, match="Spark job failed"):
        learnrisk.score(source, AS_OF, w["model"], out=out)
    assert snapshot(out) == before


@pytest.mark.slow
def test_cli_features_engine_spark_writes_the_pandas_rows(spark, spark_world, tmp_path, capsys):
    from tests.conftest import run_cli

    out = tmp_path / "f.parquet"
    code, _, err = run_cli(capsys, "features", "--data", str(spark_world["data_path"]), "--weeks", "1,4,8",
                           "--engine", "spark", "--out", str(out))  # fmt: skip
    assert code == 0, err
    got = pd.read_parquet(out)
    assert str(got["cutoff"].dtype).endswith("UTC]")  # written as UTC instants
    assert_same_features(canonical_features(got), learnrisk.build_features(spark_world["data"], weeks=WEEKS))
