"""read_parquet(to_parquet(x)) gives back every row, column, dtype and value."""

from __future__ import annotations

import pandas as pd

from learnrisk.data import read_parquet


def assert_same(a, b) -> None:
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(getattr(b, name), frame, check_exact=True, obj=name)
    assert a.digest() == b.digest()


def test_tiny_round_trip(tiny, tmp_path):
    assert_same(tiny, read_parquet(tiny.to_parquet(tmp_path / "tiny")))


def test_sample_round_trip(sample_data, tmp_path):
    back = read_parquet(sample_data.to_parquet(tmp_path / "sample"))
    assert_same(sample_data, back)
    assert back.activity.dtypes.to_dict() == sample_data.activity.dtypes.to_dict()


def test_to_parquet_replaces_an_existing_folder(tiny, tmp_path):
    folder = tiny.to_parquet(tmp_path / "d")
    (folder / "stale.txt").write_text("x")
    tiny.select_courses(["A-2023"]).to_parquet(folder)
    assert not (folder / "stale.txt").exists()
    assert set(read_parquet(folder).courses["course_id"]) == {"A-2023"}
