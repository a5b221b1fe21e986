"""Shared fixtures: a tiny hand-written event log whose features can be checked by hand,
and the path of the real OULAD sample in ../shared (tests needing it skip when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from learnrisk.data import LearningData  # noqa: E402

OULAD_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "oulad-sample"


def T(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def make_tiny() -> LearningData:
    """Two offerings of course A (2023 finished, 2024 running) and one self-paced course S.

    Course A-2023 starts Monday 2023-01-02 (week k cutoff = 2023-01-02 + 7k days).
    - L1: active every week, submits everything on time, passes.
    - L2: registered, never active, never submits, fails.
    - L3: active in week 0 and 1, withdraws on 2023-01-20 (day 18, during week 2).
    - L4: registered 2023-01-09 (after start), late on the first assessment, distinction.
    - L5: withdrew before the course started (2022-12-20).
    Course A-2024 (running): L1 again (second attempt) and L6 (no activity).
    Course S (self-paced): L7 registers 2023-03-01 and is active on days 0 and 8 after it.
    """
    courses = pd.DataFrame(
        {
            "course_id": ["A-2023", "A-2024", "S-2023"],
            "course_code": ["A", "A", "S"],
            "start": [T("2023-01-02"), T("2024-01-01"), T("2023-01-01")],
            "end": [T("2023-04-02"), T("2024-03-31"), T("2023-12-31")],
            "pacing": ["cohort", "cohort", "self-paced"],
        }
    )
    learners = pd.DataFrame(
        {
            "learner_id": ["L1", "L2", "L3", "L4", "L5", "L6", "L7"],
            "gender": ["F", "M", "F", "M", "F", "M", "F"],
        }
    )
    enrollments = pd.DataFrame(
        {
            "learner_id": ["L1", "L2", "L3", "L4", "L5", "L1", "L6", "L7"],
            "course_id": ["A-2023"] * 5 + ["A-2024", "A-2024", "S-2023"],
            "registered_at": [
                T("2022-12-01"), T("2022-12-10"), T("2022-12-15"), T("2023-01-09"), T("2022-11-01"),
                T("2023-12-01"), T("2023-12-20"), T("2023-03-01"),
            ],
            "withdrawn_at": [pd.NaT, pd.NaT, T("2023-01-20"), pd.NaT, T("2022-12-20"), pd.NaT, pd.NaT, pd.NaT],
            "outcome": ["pass", "fail", "withdrawn", "distinction", "withdrawn", None, None, None],
            "final_score": [70.0, 30.0, None, 90.0, None, None, None, None],
            "prior_attempts": [0, 0, 0, 1, 0, 1, 0, 0],
            "credits": [60, 60, 120, 60, 30, 60, 60, 15],
        }
    )
    act_rows = []
    for week in range(13):
        act_rows.append(("L1", "A-2023", T("2023-01-02") + pd.Timedelta(days=7 * week + 1), "resource", 5))
    act_rows += [
        ("L1", "A-2023", T("2022-12-28"), "forum", 3),  # pre-start activity
        ("L3", "A-2023", T("2023-01-03"), "quiz", 4),
        ("L3", "A-2023", T("2023-01-10"), "quiz", 2),
        ("L4", "A-2023", T("2023-01-10"), "resource", 7),
        ("L4", "A-2023", T("2023-01-10"), "resource", 7),  # a legal exact duplicate
        ("L1", "A-2024", T("2024-01-02"), "resource", 2),
        ("L7", "S-2023", T("2023-03-01 10:00"), "resource", 3),
        ("L7", "S-2023", T("2023-03-09 10:00"), "quiz", 6),
    ]
    activity = pd.DataFrame(act_rows, columns=["learner_id", "course_id", "timestamp", "activity_type", "clicks"])
    assessments = pd.DataFrame(
        {
            "assessment_id": ["A23-1", "A23-2", "A23-X", "A24-1", "S-1"],
            "course_id": ["A-2023", "A-2023", "A-2023", "A-2024", "S-2023"],
            "kind": ["TMA", "TMA", "Exam", "TMA", "quiz"],
            "due_at": [T("2023-01-16"), T("2023-02-13"), pd.NaT, T("2024-01-15"), T("2023-06-01")],
            "weight": [20.0, 30.0, 50.0, 20.0, 100.0],
        }
    )
    submissions = pd.DataFrame(
        {
            "learner_id": ["L1", "L1", "L4", "L4", "L1"],
            "assessment_id": ["A23-1", "A23-2", "A23-1", "A23-2", "A23-X"],
            "submitted_at": [T("2023-01-15"), T("2023-02-12"), T("2023-01-18"), T("2023-02-13"), T("2023-03-30")],
            "score": [60.0, 80.0, 95.0, None, 70.0],
        }
    )
    return LearningData(courses, learners, enrollments, activity, assessments, submissions)


def fit_pair(data: LearningData, weeks=range(1, 11)):
    """A LightGBM dropout model and a logistic underperformance model fitted on every labelled
    row of ``data``'s weekly features: the pair the scoring and Spark tests score with."""
    import learnrisk
    from learnrisk import targets
    from learnrisk.training import RiskModel

    feats = learnrisk.build_features(data, weeks=weeks)
    y = targets.make_labels(data, feats, "dropout")
    dropout = RiskModel("lightgbm", target="dropout").fit(feats[y.notna()], y[y.notna()])
    yu = targets.make_labels(data, feats, "underperformance")
    under = RiskModel("logistic", target="underperformance").fit(feats[yu.notna()], yu[yu.notna()])
    return dropout, under


@pytest.fixture
def tiny() -> LearningData:
    return make_tiny()


@pytest.fixture
def oulad_sample() -> Path:
    if not (OULAD_SAMPLE / "studentInfo.csv").exists():
        pytest.skip(f"OULAD sample not found at {OULAD_SAMPLE}")
    return OULAD_SAMPLE


@pytest.fixture
def tracking_uri(tmp_path, monkeypatch) -> str:
    """A fresh SQLite MLflow store for one test (never the working folder's mlflow.db)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return uri


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``learnrisk ARGS`` in-process through the real entry point: (exit code, stdout, stderr)."""
    from learnrisk.cli import main

    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err
