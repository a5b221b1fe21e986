"""The weekly job reading a batch of offerings at a time writes the list of the in-memory job."""

from __future__ import annotations

import json

import pandas as pd

import learnrisk
from learnrisk.scoring import OfferingStream
from tests.scoring.conftest import AS_OF


def test_offering_stream_gives_the_same_files(world, tmp_path):
    kwargs = dict(model=world["dropout"], underperformance_model=world["under"], top_k=5)
    a = learnrisk.score(world["data_path"], AS_OF, out=tmp_path / "a", **kwargs)
    b = learnrisk.score(OfferingStream(world["data_path"], max_events=1), AS_OF, out=tmp_path / "b", **kwargs)
    assert len(a.risk_list) > 0
    pd.testing.assert_frame_equal(a.risk_list, b.risk_list)
    for name in ("risk_list.csv", "risk_list.parquet", "report.html"):
        assert (a.folder / name).read_bytes() == (b.folder / name).read_bytes(), name
    sa, sb = (json.loads((f / "summary.json").read_text()) for f in (a.folder, b.folder))
    assert {k: v for k, v in sa.items() if k != "timings"} == {k: v for k, v in sb.items() if k != "timings"}


def test_cli_engine_options_are_checked(run_cli, world, tmp_path):
    code, _, err = run_cli("score", "--data", str(world["data_path"]), "--as-of", AS_OF, "--master", "local[2]")
    assert code == 2 and "--master is for --engine spark" in err
    code, _, err = run_cli("score", "--data", str(world["data_path"]), "--as-of", AS_OF, "--engine", "dask")
    assert code == 2 and "--engine must be one of pandas, stream, spark" in err


def test_cli_score_engine_stream(run_cli, world, tmp_path):
    code, out, err = run_cli("score", "--data", str(world["data_path"]), "--as-of", AS_OF,
                             "--model", str(world["dropout_path"]), "--out", str(tmp_path), "--engine", "stream")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / AS_OF / "risk_list.csv").exists()


def test_explained_a_few_offerings_at_a_time_gives_the_same_list(world, tmp_path, monkeypatch):
    """Explanations in chunks of whole offerings (bounded memory) give the same drivers and
    interventions as one explain() over every listed row."""
    from learnrisk.scoring import _job

    kwargs = dict(model=world["dropout"], underperformance_model=world["under"], top_k=5)
    a = learnrisk.score(world["data"], AS_OF, **kwargs)
    monkeypatch.setattr(_job, "EXPLAIN_ROWS", 1)  # one offering per chunk
    chunks = []
    real = _job._course_chunks
    monkeypatch.setattr(_job, "_course_chunks", lambda rows, size: chunks.append(real(rows, size)) or chunks[-1])
    b = learnrisk.score(world["data"], AS_OF, **kwargs)
    assert max(len(c) for c in chunks) > 1  # several chunks were explained
    assert all(len(courses) == 1 for c in chunks for courses in c)
    assert a.risk_list["drivers"].str.len().gt(0).sum() > 0
    pd.testing.assert_frame_equal(a.risk_list, b.risk_list)
