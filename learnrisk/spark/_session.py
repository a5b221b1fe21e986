"""A Spark session set up the way learnrisk's per-offering functions need it.

- **Time zone UTC** (``spark.sql.session.timeZone``): Spark hands timestamps to pandas as naive
  values in the session time zone; in UTC they are the canonical instants, re-localized on the
  way in and out (:func:`to_utc`).
- **Arrow** for every pandas exchange, without the silent fallback to row-by-row conversion.
- **The workers' Python is this interpreter** (``PYSPARK_PYTHON``): the executors must import
  the same learnrisk, pandas and models as the driver.
- **PySpark 4.3 and pandas 3**: PySpark warns that pandas >= 3 "is not fully supported". What
  learnrisk uses works and is tested (``tests/spark``): ``applyInPandas``, ``mapInPandas``,
  ``createDataFrame`` and ``toPandas`` over Arrow with the ``str`` string dtype, float64 with
  NaN, int64 and timestamps (naive in, as above). Spark timestamps have microseconds: canonical
  nanosecond times are truncated to microseconds. :func:`quiet` silences those two known
  warnings (the version notice and pandas' ``copy`` keyword deprecation raised inside PySpark's
  converters) and the notice ``toPandas`` prints before re-raising a failed job's error, and
  nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import warnings
from collections.abc import Iterator

import pandas as pd

from ..errors import SparkEngineError

__all__ = ["DEFAULT_MASTER", "quiet", "spark_session", "to_utc"]

DEFAULT_MASTER = "local[2]"
_KNOWN = (
    (FutureWarning, r"PySpark does not yet fully support pandas"),
    (Warning, r"The copy keyword is deprecated"),
    (UserWarning, r"toPandas attempted Arrow optimization"),  # printed before a failed job's own error
)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Ignore the two known PySpark-on-pandas-3 warnings (see the module doc) in the block."""
    with warnings.catch_warnings():
        for category, message in _KNOWN:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield


def java_available() -> bool:
    """True when a Java runtime can be found (``JAVA_HOME`` or ``java`` on the PATH)."""
    home = os.environ.get("JAVA_HOME")
    return bool(home and os.path.exists(os.path.join(home, "bin", "java"))) or shutil.which("java") is not None


def spark_session(master: str | None = None, *, app_name: str = "learnrisk", config: dict | None = None):
    """A SparkSession (the active one, or a new one on ``master``) in UTC, with Arrow.

    Parameters
    ----------
    master : ``local[2]`` (default: two local cores), ``spark://host:7077``, ``yarn``, ... ;
        ignored when a session is already active (``spark-submit``, Databricks)
    config : extra Spark settings, e.g. ``{"spark.executor.memory": "8g"}``

    Raises
    ------
    SparkEngineError
        pyspark is not installed (``pip install 'learnrisk[spark]'``) or Java is missing.

    Examples
    --------
    >>> spark = spark_session("local[2]")   # doctest: +SKIP
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkEngineError("the Spark engine needs pyspark: pip install 'learnrisk[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        _check_time_zone(active)
        return active
    if not java_available():
        raise SparkEngineError(
            "Spark needs a Java runtime (17 or 21) and none was found: install one "
            "(Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    master = master or DEFAULT_MASTER
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        "spark.sql.legacy.parquet.nanosAsLong": "true",  # pandas writes ns times; read as longs (_tables)
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # UTC instants, not INT96
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.executorEnv.PYTHONWARNINGS": "ignore::FutureWarning",
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    }
    if master.startswith("local"):
        settings["spark.sql.shuffle.partitions"] = "4"  # not 200 tasks for a laptop's data
    settings.update(config or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        with quiet():
            spark = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: py4j raises several kinds
        raise SparkEngineError(f"Spark could not start on {master}: {str(exc).splitlines()[0]}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _check_time_zone(spark) -> None:
    tz = spark.conf.get("spark.sql.session.timeZone")
    if tz not in ("UTC", "Etc/UTC", "+00:00", "Z"):
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def to_utc(values: pd.Series) -> pd.Series:
    """Naive timestamps from Spark (session time zone UTC) as ``datetime64[ns, UTC]``."""
    s = pd.to_datetime(values)
    if s.dt.tz is None:
        s = s.dt.tz_localize("UTC")
    return s.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def to_naive(values: pd.Series) -> pd.Series:
    """UTC timestamps as the naive values Spark reads in a UTC session."""
    s = pd.to_datetime(values)
    if s.dt.tz is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s
