"""Issue 12, case 14: scoring a Parquet folder holds only the offerings running at the as-of
date in memory (Parquet filters), and writes the same files as scoring the whole data."""

from __future__ import annotations

import pandas as pd

from learnrisk.scoring._course import earlier_offerings
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
    # the scoring reads the running offerings; the course views then read them with the two latest
    # finished offerings of their codes (the diagnostics' comparison): never the whole history
    c = world["data"].courses
    latest = earlier_offerings(c, set(c.loc[c["course_id"].isin(live), "course_code"]), pd.Timestamp(AS_OF, tz="UTC"))
    compared = live | {i for ids in latest.values() for i in ids}
    assert activity[0][2] == live and all(courses <= compared for _, _, courses in activity)
    assert 0 < len(compared - live) <= 2 * len({c for c in latest}) and compared != set(c["course_id"])
    # the views read one course code at a time (memory: one code's offerings), all of them in the end
    code_of = dict(zip(c["course_id"], c["course_code"]))
    views = [courses for _, _, courses in activity[1:]]
    assert len(views) == len(latest) and all(len({code_of[i] for i in ids}) == 1 for ids in views)
    assert set().union(*views) == compared
    data = world["data"].select_courses(live)
    assert activity[0][1] == len(data.activity) < len(world["data"].activity)
    assert res.summary["data"]["rows"] == {n: len(f) for n, f in data.tables().items()}
    assert set(res.risk_list["course_id"]) == live


def test_no_running_offering_still_names_the_span_of_every_offering(world, tmp_path):
    from learnrisk.errors import ScoringError

    with pytest.raises(ScoringError, match="outside every course offering .offerings run from 2013-02-01"):
        score(world["data_path"], "2031-01-06", world["dropout_path"], out=tmp_path / "out")
