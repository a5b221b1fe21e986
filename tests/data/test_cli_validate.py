"""``learnrisk validate``: a summary and exit 0, or every problem and exit 2 with one line on stderr."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import run_cli as run
from learnrisk.data import LearningData




def bad_folder(tiny, folder):
    tables = tiny.tables()
    e = tables["enrollments"].copy()
    e.loc[1, "outcome"] = "passed"
    a = tables["assessments"].copy()
    a.loc[2, "weight"] = -50.0
    tables.update(enrollments=e, assessments=a)
    return LearningData(**tables, validate=False).to_parquet(folder)


def test_valid_oulad_folder(capsys, mini_release):
    code, out, err = run(capsys, "validate", str(mini_release))
    assert code == 0, err
    assert "valid learning data" in out
    assert "activity" in out and "offerings: 2 (course codes: 1); learners: 3; enrollments: 4" in out
    assert "AAA-2014B" in out and "withdrawn" in out
    assert "note: OULAD: 1 registration(s) with date_unregistration before date_registration" in out
    assert err == ""


def test_valid_parquet_folder_counts_running_enrollments(capsys, tiny, tmp_path):
    code, out, _ = run(capsys, "validate", str(tiny.to_parquet(tmp_path / "p")))
    assert code == 0
    assert "(running)" in out and "A-2024" in out


def test_bad_folder_prints_every_problem_and_exits_2(capsys, tiny, tmp_path):
    code, out, err = run(capsys, "validate", str(bad_folder(tiny, tmp_path / "bad")))
    assert code == 2
    assert "invalid learning data: 2 problems" in out
    assert "enrollments.outcome: unknown outcome" in out and "passed" in out
    assert "assessments.weight: negative weight" in out and "-50.0" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("learnrisk: invalid data: enrollments.outcome: unknown outcome")
    assert lines[0].endswith("(and 1 more problems)")


def test_unrecognised_folder_exits_2(capsys, tmp_path):
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert err.strip().splitlines() == [
        f"learnrisk: error: cannot recognise learning data at {tmp_path}: found an empty folder; "
        "expected a canonical Parquet folder (courses.parquet, learners.parquet, enrollments.parquet, "
        "activity.parquet, assessments.parquet, submissions.parquet) or an OULAD folder or .zip "
        "(studentInfo.csv and the 6 other CSV files of the release)"
    ]


@pytest.mark.slow  # a fresh interpreter imports learnrisk (sklearn, ...): over 10 s on a busy machine
@pytest.mark.integration
def test_console_script_on_a_bad_folder_has_no_traceback(tiny, tmp_path):
    folder = bad_folder(tiny, tmp_path / "bad")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from learnrisk.cli import main; main(sys.argv[1:])", "validate", str(folder)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "negative weight" in done.stdout
