"""Issue 12, case 14: scoring a Parquet folder holds only the offerings running at the as-of
date in memory (Parquet filters), and writes the same files as scoring the whole data."""

from __future__ import annotations

import pandas as pd
import pytest

import learnrisk.data._core as core
from learnrisk.scoring import score
from learnrisk.timeline import running
from tests.scoring.conftest import AS_OF, NEXT_WEEK, as_of_ts

FILES = ("risk_list.csv", "risk_list.parquet", "report.html")


def _running(data, as_of: str) -> set[str]:
    c = data.courses
    return set(c.loc[running(c["start"], c["end"], as_of_ts(as_of)).to_numpy(), "course_id"])


@pytest.mark.parametrize("as_of", [AS_OF, NEXT_WEEK])
def test_a_folder_gives_the_files_of_the_whole_data(world, tmp_path, as_of):
    args = (as_of, world["dropout_path"], world["under_path"])
    folder = score(world["data_path"], *args, out=tmp_path / "folder", top_k=5)
    whole = score(world["data"], *args, out=tmp_path / "whole", top_k=5)
    for f in FILES:
        assert (tmp_path / "folder" / as_of / f).read_bytes() == (tmp_path / "whole" / as_of / f).read_bytes(), f
    pd.testing.assert_frame_equal(folder.risk_list, whole.risk_list)


def test_only_the_running_offerings_are_read_into_memory(world, tmp_path, monkeypatch):
    reads: list[tuple[str, int, set]] = []
    read_table = core._read_table

    def counting(folder, name, **kw):
        frame = read_table(folder, name, **kw)
        reads.append((name, len(frame), set(frame["course_id"]) if "course_id" in frame.columns else set()))
        return frame

    monkeypatch.setattr(core, "_read_table", counting)
    res = score(world["data_path"], AS_OF, world["dropout_path"], out=tmp_path / "out", top_k=5)
    live = _running(world["data"], AS_OF)
    assert 0 < len(live) < len(world["data"].courses)
    activity = [r for r in reads if r[0] == "activity"]
    assert activity and all(courses <= live for _, _, courses in activity)  # never another offering's rows
    data = world["data"].select_courses(live)
    assert max(n for _, n, _ in activity) == len(data.activity) < len(world["data"].activity)
    assert res.summary["data"]["rows"] == {n: len(f) for n, f in data.tables().items()}
    assert set(res.risk_list["course_id"]) == live


def test_no_running_offering_still_names_the_span_of_every_offering(world, tmp_path):
    from learnrisk.errors import ScoringError

    with pytest.raises(ScoringError, match="outside every course offering .offerings run from 2013-02-01"):
        score(world["data_path"], "2031-01-06", world["dropout_path"], out=tmp_path / "out")
