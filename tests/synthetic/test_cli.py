"""``learnrisk synth``: Parquet and OULAD output, the truth file, one-line errors with exit 2."""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk import read_oulad, read_parquet, synthetic
from tests.conftest import run_cli as run




def test_parquet_output_is_the_generated_data(capsys, tmp_path):
    code, _, err = run(capsys, "synth", "--learners", "150", "--seed", "3", "--courses", "2", "--offerings", "2",
                       "--out", str(tmp_path / "s"), "--truth", str(tmp_path / "truth.parquet"))
    assert code == 0, err
    assert "150 learners" in err and "activity rows" in err
    data = read_parquet(tmp_path / "s")
    assert data.digest() == synthetic.generate(150, 2, 2, seed=3).digest()
    truth = pd.read_parquet(tmp_path / "truth.parquet")
    assert list(truth.columns) == ["learner_id", "course_id", "week", "p_dropout", "p_underperformance"]
    assert not (tmp_path / "s" / "truth.parquet").exists()


def test_oulad_output_reads_back(capsys, tmp_path):
    code, _, err = run(capsys, "synth", "--learners", "120", "--seed", "2", "--courses", "1", "--offerings", "3",
                       "--format", "oulad", "--sensitive-effect", "strong", "--out", str(tmp_path / "o"))
    assert code == 0, err
    back = read_oulad(tmp_path / "o")
    data = synthetic.generate(120, 1, 3, seed=2, sensitive_effect="strong")
    pd.testing.assert_frame_equal(back.courses[["course_id", "start", "end"]], data.courses[["course_id", "start", "end"]])
    key = ["learner_id", "course_id"]
    a = data.enrollments.sort_values(key).reset_index(drop=True)
    b = back.enrollments.sort_values(key).reset_index(drop=True)
    for col in ("registered_at", "withdrawn_at", "outcome", "prior_attempts", "credits", "deprivation"):
        pd.testing.assert_series_equal(a[col], b[col], check_names=False)
    assert back.activity["clicks"].sum() == data.activity["clicks"].sum()


@pytest.mark.parametrize(
    "args, message",
    [(["--sensitive-effect", "huge"], "sensitive_effect='huge' is not known"), (["--format", "xlsx"], "--format 'xlsx'")],
)
def test_bad_options_give_one_line_and_exit_2(capsys, tmp_path, args, message):
    code, _, err = run(capsys, "synth", "--learners", "20", "--out", str(tmp_path / "x"), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
