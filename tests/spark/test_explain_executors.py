"""A failure inside the explanations on the Spark executors leaves OUT as it was.

That the executors' details equal the driver's is tested with the whole list in
``test_spark_engine.test_weekly_job_on_spark_equals_pandas`` (``explain_on_executors=0``: the
same Spark run, no second one).
"""

from __future__ import annotations

import operator

import pytest

import learnrisk
from learnrisk.errors import SparkEngineError
from learnrisk.explaining import InterventionCatalog, load_interventions
from learnrisk.features import catalog
from learnrisk.spark import SparkSource
from tests.scoring.conftest import snapshot
from tests.spark.conftest import AS_OF


class _BrokenOnExecutors(InterventionCatalog):
    """The packaged catalog on the driver; unpickling it (on an executor) divides by zero."""

    def __reduce__(self):
        return operator.truediv, (1, 0)


@pytest.mark.slow
def test_a_failed_explanation_on_the_executors_leaves_earlier_lists_intact(spark, spark_world, tmp_path):
    w = spark_world
    out = tmp_path / "lists"
    learnrisk.score(w["data_path"], "2013-11-25", w["model"], out=out)
    before = snapshot(out)
    packaged = load_interventions(None, catalog=catalog())
    broken = _BrokenOnExecutors(packaged.interventions, packaged.source)
    source = SparkSource(w["data_path"], spark=spark, explain_on_executors=0)
    with pytest.raises(SparkEngineError, match="the Spark job failed"):
        learnrisk.score(source, AS_OF, w["model"], w["under"], out=out, interventions=broken)
    assert snapshot(out) == before
