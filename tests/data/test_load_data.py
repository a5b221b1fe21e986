"""load_data: recognises a canonical Parquet folder, an OULAD folder and an OULAD zip by content."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

import learnrisk
from learnrisk.data import load_data
from learnrisk.data._load import detect_format
from learnrisk.errors import DataValidationError, LearnriskError


def test_parquet_folder(tiny, tmp_path):
    folder = tiny.to_parquet(tmp_path / "p")
    assert detect_format(folder) == "parquet"
    got = learnrisk.load_data(folder)
    pd.testing.assert_frame_equal(got.activity, tiny.activity)


def test_oulad_folder(mini_release):
    assert detect_format(mini_release) == "oulad"
    assert len(load_data(mini_release).enrollments) == 4


def test_oulad_zip(mini_release, tmp_path):
    z = tmp_path / "release.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in mini_release.iterdir():
            zf.write(f, "OULAD/" + f.name)
    assert detect_format(z) == "oulad"
    pd.testing.assert_frame_equal(load_data(z).activity, load_data(mini_release).activity)


def test_empty_folder(tmp_path):
    with pytest.raises(LearnriskError) as err:
        load_data(tmp_path)
    message = str(err.value)
    assert "found an empty folder" in message
    assert "courses.parquet" in message and "studentInfo.csv" in message


def test_unknown_folder_names_what_it_holds(tmp_path):
    (tmp_path / "grades.csv").write_text("a,b\n")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(LearnriskError, match="found a folder holding grades.csv, notes.txt; expected"):
        load_data(tmp_path)


def test_unknown_zip_and_file_and_nothing(tmp_path):
    z = tmp_path / "other.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.md", "hello")
    with pytest.raises(LearnriskError, match="found a zip holding readme.md"):
        load_data(z)
    (tmp_path / "data.csv").write_text("a\n")
    with pytest.raises(LearnriskError, match=r"found a file \(\.csv\)"):
        load_data(tmp_path / "data.csv")
    with pytest.raises(LearnriskError, match="the path does not exist"):
        load_data(tmp_path / "missing")


def test_incomplete_parquet_folder_names_missing_tables(tiny, tmp_path):
    folder = tiny.to_parquet(tmp_path / "p")
    (folder / "activity.parquet").unlink()
    with pytest.raises(DataValidationError) as err:
        load_data(folder)
    assert [(p.table, p.column) for p in err.value.problems] == [("activity", "*")]
    assert "activity.parquet is missing" in str(err.value)


def test_incomplete_oulad_folder_names_missing_files(mini_release):
    (mini_release / "studentVle.csv").unlink()
    (mini_release / "vle.csv").unlink()
    with pytest.raises(DataValidationError) as err:
        load_data(mini_release)
    assert sorted(p.table for p in err.value.problems) == ["studentVle.csv", "vle.csv"]
