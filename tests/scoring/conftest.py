"""Shared fixtures of the scoring tests: a small synthetic world, saved, and two small models.

The world has 3 course codes x 4 offerings (2013B .. 2014J), seen as a weekly job sees it on
NEXT_WEEK (``as_of``): the 2014J offerings run (October 2014 to June 2015, week 8 at AS_OF)
and have no outcomes yet; nothing happens after NEXT_WEEK. Scoring at AS_OF therefore has one
week of "future" facts to ignore. Models are trained once per session on weeks 1-10 of the
finished offerings (small and fast: what is tested is the job, not the model's quality).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from learnrisk import synthetic
from tests.conftest import fit_pair

AS_OF = "2014-12-01"
NEXT_WEEK = "2014-12-08"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> dict:
    """``data`` (LearningData), its Parquet folder, and the two models with their folders."""
    base = tmp_path_factory.mktemp("scoring-world")
    data = synthetic.generate(n_learners=300, seed=3, as_of=NEXT_WEEK)
    data.to_parquet(base / "data")
    dropout, under = fit_pair(data)
    dropout.save(base / "dropout")
    under.save(base / "under")
    return {
        "data": data,
        "data_path": base / "data",
        "dropout": dropout,
        "under": under,
        "dropout_path": base / "dropout",
        "under_path": base / "under",
    }


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (hidden ones included): path -> bytes (None for folders)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))
    }


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNRISK_TEST_")}
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONUNBUFFERED": "1", **extra})
    return env


def cli_command(*args: str) -> list[str]:
    """The console script, run by this interpreter (the project's venv)."""
    return [sys.executable, "-c", "import sys; from learnrisk.cli import main; main(sys.argv[1:])", *args]


@pytest.fixture
def run_cli(capsys):
    """Run ``learnrisk ...`` in this process; return (exit code, stdout, stderr)."""
    from tests.conftest import run_cli as run

    return lambda *args: run(capsys, *args)


def as_of_ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")
