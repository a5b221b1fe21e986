"""``learnrisk features``: writes the frame of build_features; user errors are one line and exit 2."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import run_cli as run
from learnrisk.features import build_features




@pytest.fixture
def folder(tiny, tmp_path):
    return tiny.to_parquet(tmp_path / "tiny")


def test_weeks_to_parquet(capsys, tiny, folder, tmp_path):
    out = tmp_path / "out" / "feats.parquet"
    code, _, err = run(capsys, "features", "--data", str(folder), "--weeks", "1-4", "--out", str(out))
    assert code == 0, err
    assert "wrote" in err and "rows" in err
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, build_features(tiny, weeks=range(1, 5)))


def test_as_of_with_sensitive(capsys, tiny, folder, tmp_path):
    out = tmp_path / "today.parquet"
    code, _, err = run(capsys, "features", "--data", str(folder), "--as-of", "2024-01-20", "--out", str(out), "--include-sensitive")
    assert code == 0, err
    got = pd.read_parquet(out)
    assert sorted(got.learner_id) == ["L1", "L6"] and "gender" in got.columns


@pytest.mark.parametrize(
    "args, message",
    [
        (["--weeks", "1-3"], "--out"),
        (["--weeks", "1-3", "--as-of", "2024-01-01", "--out", "x.parquet"], "exactly one"),
        (["--weeks", "three", "--out", "x.parquet"], "weeks"),
        (["--weeks", "1-3", "--out", "x.csv"], ".parquet"),
    ],
)
def test_user_errors_are_one_line(capsys, folder, tmp_path, args, message):
    code, _, err = run(capsys, "features", "--data", str(folder), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_catalog_is_printed(capsys):
    code, out, _ = run(capsys, "features", "--catalog")
    assert code == 0 and "days_since_last_activity" in out and "score points" in out
