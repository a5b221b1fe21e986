"""The main job (`learnrisk demo`) end to end on small data, and that a second run reuses it."""

import os
import subprocess
import sys

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def run_demo(tmp_path):
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "learnrisk.cli", "demo", "--workdir", str(tmp_path / "out"), "--learners", "1500"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900,
    )


def test_demo_runs_to_a_valid_risk_list_and_reuses(tmp_path):
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    folder = tmp_path / "out" / "risk-lists" / "2014-12-01"
    for name in ("risk_list.csv", "risk_list.parquet", "report.html", "summary.json"):
        assert (folder / name).exists(), name
    risk = pd.read_parquet(folder / "risk_list.parquet")
    assert len(risk) > 0 and risk["learner_id"].notna().all()
    assert risk["p_dropout"].between(0, 1).all() and risk["p_underperformance"].between(0, 1).all()
    assert (tmp_path / "mlflow.db").exists()
    assert "mlflow ui --backend-store-uri" in first.stdout
    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "reusing the synthetic data" in second.stdout and "reusing the risk list" in second.stdout
