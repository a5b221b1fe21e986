"""One real local Spark (``local[2]``) per test session, and a small synthetic world for it.

Spark needs Java: the fixture skips (with the reason) only when no Java runtime can be found;
``.ci/run`` installs openjdk-17-jre-headless when it is missing.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark", reason="the spark extra is not installed (pip install 'learnrisk[spark]')")

from learnrisk import synthetic  # noqa: E402
from learnrisk.spark._session import java_available  # noqa: E402
from tests.conftest import fit_pair  # noqa: E402

AS_OF = "2013-12-02"  # the 2013J offerings and the self-paced course run, in week 8-9


@pytest.fixture(scope="session")
def spark():
    if not java_available():
        pytest.skip("no Java runtime: Spark cannot start (apt-get install openjdk-17-jre-headless)")
    from learnrisk.spark import spark_session

    session = spark_session("local[2]", app_name="learnrisk-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_world(tmp_path_factory) -> dict:
    """Two course codes x two offerings, one code self-paced, seen on the week after AS_OF;
    a dropout model trained on the finished offerings; the data as a Parquet folder."""
    base = tmp_path_factory.mktemp("spark-world")
    data = synthetic.generate(n_learners=160, n_courses=2, offerings=2, seed=5, self_paced_courses=1, as_of="2013-12-09")
    data.to_parquet(base / "data")
    model, under = fit_pair(data)
    return {"data": data, "data_path": base / "data", "model": model, "under": under, "base": base}
