"""The corporate commands through the real entry point: synth --scenario corporate, kpi-impact, demo."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import run_cli


@pytest.mark.slow  # about 9 s: synth, Parquet and the bootstrap through the CLI
def test_synth_corporate_then_kpi_impact(tmp_path, capsys):
    out = tmp_path / "company"
    code, _, err = run_cli(capsys, "synth", "--scenario", "corporate", "--learners", "120", "--out", out,
                           "--truth", tmp_path / "truth.parquet")
    assert code == 0, err
    assert {"assignments.parquet", "hr.parquet", "kpis.parquet"} <= {p.name for p in out.iterdir()}
    assert list(pd.read_parquet(tmp_path / "truth.parquet").columns) == ["learner_id", "course_id", "week", "p_overdue"]
    code, stdout, err = run_cli(capsys, "kpi-impact", "--data", out, "--course", "SKILLS", "--kpi", "productivity",
                                "--boot", "200")
    assert code == 0, err
    assert "95% interval" in stdout and "not proof" in stdout and "event study" in stdout
    code, _, err = run_cli(capsys, "kpi-impact", "--data", out, "--course", "SKILLS", "--kpi", "sales")
    assert code == 2 and err.startswith("learnrisk: error: unknown KPI 'sales'")
    code, _, err = run_cli(capsys, "synth", "--scenario", "corporate", "--format", "oulad", "--out", tmp_path / "x")
    assert code == 2 and "Parquet only" in err


@pytest.mark.slow
def test_demo_corporate_ends_with_manager_pages(tmp_path):
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    run = subprocess.run(
        [sys.executable, "-m", "learnrisk.cli", "demo", "--scenario", "corporate", "--workdir", str(tmp_path / "out"),
         "--learners", "300"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    folder = tmp_path / "out" / "corporate" / "risk-lists" / "2026-10-05"
    risk = pd.read_parquet(folder / "risk_list.parquet")
    assert len(risk) and (risk["main_risk"] == "overdue").all() and risk["risk"].between(0, 1).all()
    pages = list((folder / "manager").glob("*.html"))
    assert pages and "Who to nudge first" in pages[0].read_text()
    assert "learnrisk-overdue" in run.stdout
