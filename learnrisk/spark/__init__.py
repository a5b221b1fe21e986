"""learnrisk on Apache Spark (the optional extra ``learnrisk[spark]``: pyspark and deltalake).

Spark is a way to run learnrisk's per-offering functions, not a second implementation:
features are ``groupBy(course_id).applyInPandas`` of the pandas path's per-offering builder,
scores a ``mapInPandas`` of the registered model, and the weekly lists are written by the
pandas job's own code (same files, same publish-or-nothing folder). ``docs/scale.md`` says how
to run it on a cluster. pyspark is imported inside functions only.

>>> from learnrisk import spark as lrs
>>> session = lrs.spark_session("local[2]")                               # doctest: +SKIP
>>> feats = lrs.build_features_spark(lrs.read_tables(session, "data/"), weeks=range(1, 21))  # doctest: +SKIP
>>> res = learnrisk.score(lrs.SparkSource("data/"), "2024-03-04", model, out="lists")       # doctest: +SKIP
"""

from ._features import DEFAULT_MAX_EVENTS, build_features_spark, feature_schema, features_to_pandas
from ._score import SparkSource, write_features
from ._session import DEFAULT_MASTER, quiet, spark_session
from ._tables import from_learning_data, read_tables

__all__ = [
    "DEFAULT_MASTER",
    "DEFAULT_MAX_EVENTS",
    "SparkSource",
    "build_features_spark",
    "feature_schema",
    "features_to_pandas",
    "from_learning_data",
    "quiet",
    "read_tables",
    "spark_session",
    "write_features",
]
